//! Issue 48, item 3: trainers who train others (formación de formadores).
//!
//! - `cohorts.trains_trainers`: the cohort trains trainers (false for every cohort before);
//! - `replicators`: a person who completed such a cohort, endorsed by a coordinator of its
//!   provider, certified from `since` to `until` in the department of their municipality;
//!   one row per person and cohort; `replicator_capacities` the course's capacities at the
//!   endorsement;
//! - `replicas`: what a replicator delivered (date, municipality, capacity, audience) with
//!   `people_reached` (its named attendees, `replica_attendees`, or the count given);
//! - `replica_figures`: people reached by replicas per municipality × capacity × year,
//!   refreshed in the transaction that writes a replica (second-generation reach, never summed
//!   into direct training).

use crate::shapes::{
    Cascade, References, Restrict, SetNull, add_column, create_indexes, drop_column, drop_tables,
    id, index, migration_name, pk, timestamp,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261223_000033_replicators");

/// The audiences of a replica.
pub const AUDIENCES: [&str; 5] = [
    "servidores",
    "consejo_planeacion",
    "organizaciones_comunitarias",
    "jovenes",
    "otra",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "cohorts",
            ColumnDef::new("trains_trainers")
                .boolean()
                .not_null()
                .default(false),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("replicators")
                    .col(id())
                    .col(ColumnDef::new("participant_id").integer().not_null())
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(ColumnDef::new("since").date().not_null())
                    .col(ColumnDef::new("until").date().not_null())
                    .col(ColumnDef::new("endorsed_by").integer().null())
                    .col(timestamp("endorsed_at"))
                    .refs("participant_id", "participants", Cascade)
                    .refs("cohort_id", "cohorts", Restrict)
                    .refs_col("department_code", "departments", "code", Restrict)
                    .refs("endorsed_by", "users", SetNull)
                    .take(),
            )
            .await?;
        let mut unique = index("replicators", &["participant_id", "cohort_id"]);
        unique
            .name("uq_replicators_participant_id_cohort_id")
            .unique();
        create_indexes(
            manager,
            [
                unique,
                index("replicators", &["department_code"]),
                index("replicators", &["cohort_id"]),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("replicator_capacities")
                    .col(ColumnDef::new("replicator_id").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .primary_key(&mut pk(&["replicator_id", "capacity_id"]))
                    .refs("replicator_id", "replicators", Cascade)
                    .refs("capacity_id", "capacities", Restrict)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("replicator_capacities", &["capacity_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("replicas")
                    .col(id())
                    .col(ColumnDef::new("replicator_id").integer().not_null())
                    .col(ColumnDef::new("date").date().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(
                        ColumnDef::new("audience")
                            .string()
                            .not_null()
                            .check(Expr::col("audience").is_in(AUDIENCES)),
                    )
                    .col(ColumnDef::new("people_reached").integer().not_null())
                    .col(ColumnDef::new("by_count").boolean().not_null())
                    .col(ColumnDef::new("recorded_by").integer().null())
                    .col(timestamp("created_at"))
                    .refs("replicator_id", "replicators", Cascade)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .refs("capacity_id", "capacities", Restrict)
                    .refs("recorded_by", "users", SetNull)
                    .take(),
            )
            .await?;
        for columns in [
            &["replicator_id"][..],
            &["municipality_code", "date"][..],
            &["department_code"][..],
        ] {
            manager.create_index(index("replicas", columns)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("replica_attendees")
                    .col(id())
                    .col(ColumnDef::new("replica_id").integer().not_null())
                    .col(ColumnDef::new("full_name").string().not_null())
                    .col(ColumnDef::new("position").string().null())
                    .refs("replica_id", "replicas", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("replica_attendees", &["replica_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("replica_figures")
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(ColumnDef::new("replicas").integer().not_null())
                    .col(ColumnDef::new("people_reached").integer().not_null())
                    .primary_key(&mut pk(&["municipality_code", "capacity_id", "year"]))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("replica_figures", &["department_code"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "replica_figures",
                "replica_attendees",
                "replicas",
                "replicator_capacities",
                "replicators",
            ],
        )
        .await?;
        drop_column(manager, "cohorts", "trains_trainers").await?;
        Ok(())
    }
}
