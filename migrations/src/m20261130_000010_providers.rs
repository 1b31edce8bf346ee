//! Every provider's offer (issue 32).
//!
//! - `providers`: the organisations that offer training or assistance (ESAP, DNP, Función
//!   Pública, gobernaciones, universities…). ESAP is inserted here, first, so it has id 1 on
//!   every engine and owns everything recorded before providers existed.
//! - `courses.provider_id` and `cohorts.provider_id` (a cohort's is its course's, kept on the
//!   cohort so every scope reads it without a join); both default to ESAP.
//! - `users.provider_id`: a coordinator's provider (none = ESAP).
//! - `demand_referrals`: a demand pointed to a provider by a reviewer or a coordinator, once per
//!   provider.

use crate::shapes::{Cascade, References, Restrict, SetNull, id, index, migration_name, timestamp};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261130_000010_providers");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("providers")
                    .col(id())
                    .col(ColumnDef::new("name").string().not_null().unique_key())
                    .col(
                        ColumnDef::new("kind")
                            .string()
                            .not_null()
                            .check(Expr::col("kind").is_in([
                                "nacional",
                                "gobernacion",
                                "universidad",
                                "cooperacion",
                                "gremio",
                                "otra",
                            ])),
                    )
                    .col(ColumnDef::new("nit").string().null().unique_key())
                    .col(ColumnDef::new("department_code").string_len(2).null())
                    .col(ColumnDef::new("active").boolean().not_null().default(true))
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .take(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO providers (name, kind, nit, department_code, active, created_at, updated_at) \
             VALUES ('Escuela Superior de Administración Pública (ESAP)', 'nacional', '899999054-7', \
             NULL, TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
        .await?;
        // PostgreSQL references the provider; SQLite cannot add a referencing column with a
        // non-null default, so there the domain's validation alone guards it.
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for (table, nullable) in [("courses", false), ("cohorts", false), ("users", true)] {
            let reference = if postgres {
                " REFERENCES providers (id)"
            } else {
                ""
            };
            let kind = if nullable {
                "NULL".to_string()
            } else {
                "NOT NULL DEFAULT 1".to_string()
            };
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN provider_id INTEGER {kind}{reference}"
            ))
            .await?;
        }
        for table in ["courses", "cohorts"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{table}_provider_id"))
                        .table(table)
                        .col("provider_id")
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("demand_referrals")
                    .col(id())
                    .col(ColumnDef::new("demand_id").integer().not_null())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(ColumnDef::new("note").text().not_null())
                    .col(ColumnDef::new("referred_by").integer().null())
                    .col(timestamp("created_at"))
                    .refs("demand_id", "demands", Cascade)
                    .refs("provider_id", "providers", Restrict)
                    .refs("referred_by", "users", SetNull)
                    .take(),
            )
            .await?;
        // A demand is pointed to a provider once (the email goes out once).
        manager
            .create_index(
                Index::create()
                    .name("ux_demand_referrals_demand_provider")
                    .table("demand_referrals")
                    .col("demand_id")
                    .col("provider_id")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index("demand_referrals", &["provider_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .drop_table(Table::drop().table("demand_referrals").if_exists().take())
            .await?;
        for table in ["courses", "cohorts"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_provider_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        for table in ["courses", "cohorts", "users"] {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN provider_id"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table("providers").if_exists().take())
            .await
    }
}
