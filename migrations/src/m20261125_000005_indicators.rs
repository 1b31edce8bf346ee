//! Indicators as data over time (issue 15).
//!
//! - `indicators`: what is measured (code, name, source, unit, whether higher is better, a
//!   caveat), no longer owned by one capacity;
//! - `indicator_capacities`: which capacities an indicator measures (admins edit the links);
//! - `indicator_values` (was `indicator_observations`): one value per indicator × municipality ×
//!   year, now with where it came from (`source`) and whether the national generator made it
//!   up (`synthetic`).
//!
//! The rows of the old `capacity_indicators` and `indicator_observations` are kept, with their
//! ids (each old indicator keeps its one capacity as its first link).

use crate::shapes::{
    Cascade, References, Restrict, create_indexes, execute_all, id, index, migration_name, pk,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261125_000005_indicators");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("indicators")
                    .col(id())
                    .col(ColumnDef::new("code").string().not_null().unique_key())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("source").string().not_null())
                    .col(ColumnDef::new("unit").string().not_null())
                    .col(
                        ColumnDef::new("higher_is_better")
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(ColumnDef::new("note").text().not_null().default(""))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("indicator_capacities")
                    .col(ColumnDef::new("indicator_id").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .primary_key(&mut pk(&["indicator_id", "capacity_id"]))
                    .refs("indicator_id", "indicators", Cascade)
                    .refs("capacity_id", "capacities", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("indicator_values")
                    .col(id())
                    .col(ColumnDef::new("indicator_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(ColumnDef::new("value").double().not_null())
                    .col(ColumnDef::new("source").string().not_null().default(""))
                    .col(
                        ColumnDef::new("synthetic")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .refs("indicator_id", "indicators", Cascade)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .take(),
            )
            .await?;
        execute_all(
            db,
            [
                "INSERT INTO indicators (id, code, name, source, unit, higher_is_better, note) \
             SELECT id, code, name, source, scale, TRUE, '' FROM capacity_indicators",
                "INSERT INTO indicator_capacities (indicator_id, capacity_id) \
             SELECT id, capacity_id FROM capacity_indicators",
                "INSERT INTO indicator_values \
             (id, indicator_id, municipality_code, year, value, source, synthetic) \
             SELECT o.id, o.indicator_id, o.municipality_code, o.year, o.value, i.source, FALSE \
             FROM indicator_observations o JOIN capacity_indicators i ON i.id = o.indicator_id",
                "DROP TABLE indicator_observations",
                "DROP TABLE capacity_indicators",
            ],
        )
        .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Rows were copied with their ids: the sequences continue after them.
            for table in ["indicators", "indicator_values"] {
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
                .await?;
            }
        }
        for (name, unique, columns) in [
            (
                "uq_indicator_values_indicator_id_municipality_code_year",
                true,
                &["indicator_id", "municipality_code", "year"][..],
            ),
            (
                "ix_indicator_values_municipality_code",
                false,
                &["municipality_code", "indicator_id", "year"][..],
            ),
            // The comparison and the priorities read one indicator's year for every
            // municipality.
            (
                "ix_indicator_values_indicator_year",
                false,
                &["indicator_id", "year", "municipality_code", "value"][..],
            ),
            (
                "ix_indicator_capacities_capacity_id",
                false,
                &["capacity_id", "indicator_id"][..],
            ),
        ] {
            let table = if name.contains("capacities") {
                "indicator_capacities"
            } else {
                "indicator_values"
            };
            let mut index = Index::create().name(name).table(table).take();
            if unique {
                index.unique();
            }
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    /// Back to one capacity per indicator (its first link) and observations without source.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("capacity_indicators")
                    .col(id())
                    .col(ColumnDef::new("code").string().not_null().unique_key())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(ColumnDef::new("source").string().not_null())
                    .col(ColumnDef::new("scale").string().not_null())
                    .refs("capacity_id", "capacities", Restrict)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("indicator_observations")
                    .col(id())
                    .col(ColumnDef::new("indicator_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(ColumnDef::new("value").double().not_null())
                    .refs("indicator_id", "capacity_indicators", Cascade)
                    .take(),
            )
            .await?;
        execute_all(db, [
            "INSERT INTO capacity_indicators (id, code, capacity_id, name, source, scale) \
             SELECT i.id, i.code, MIN(l.capacity_id), i.name, i.source, i.unit FROM indicators i \
             JOIN indicator_capacities l ON l.indicator_id = i.id \
             GROUP BY i.id, i.code, i.name, i.source, i.unit",
            "INSERT INTO indicator_observations (id, indicator_id, municipality_code, year, value) \
             SELECT o.id, o.indicator_id, o.municipality_code, o.year, o.value \
             FROM indicator_values o \
             WHERE o.indicator_id IN (SELECT id FROM capacity_indicators)",
            "DROP TABLE indicator_values",
            "DROP TABLE indicator_capacities",
            "DROP TABLE indicators",
        ]).await?;
        create_indexes(
            manager,
            [
                Index::create()
                    .name("uq_indicator_observations_indicator_id_municipality_code_year")
                    .table("indicator_observations")
                    .unique()
                    .col("indicator_id")
                    .col("municipality_code")
                    .col("year")
                    .take(),
                index("indicator_observations", &["municipality_code"]),
            ],
        )
        .await?;
        Ok(())
    }
}
