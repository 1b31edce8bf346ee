//! Issue 49, item 6: cohorts and assistances brought in from a provider's spreadsheet. Each
//! imported cohort or assistance keeps the provider's own key of its rows (`reference`, unique
//! per provider and kind), so the same file sent again changes nothing and a corrected file
//! updates what it brought in.
//!
//! - `imported_records`: provider, kind (`cohort` or `assistance`), reference, and the cohort or
//!   the assistance (exactly one, the one the kind names; each record has at most one
//!   reference). A cohort or assistance removed takes its reference with it.

use crate::shapes::{Cascade, References, Restrict, id, index, migration_name, timestamp};
use sea_orm_migration::prelude::*;

migration_name!("m20261217_000027_imported_records");

const TABLE: &str = "imported_records";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .col(id())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(
                        ColumnDef::new("kind")
                            .string()
                            .not_null()
                            .check(Expr::col("kind").is_in(["cohort", "assistance"])),
                    )
                    .col(ColumnDef::new("reference").string().not_null())
                    .col(ColumnDef::new("cohort_id").integer().null())
                    .col(ColumnDef::new("assistance_id").integer().null())
                    .col(timestamp("created_at"))
                    .check(
                        Expr::col("kind")
                            .eq("cohort")
                            .and(Expr::col("cohort_id").is_not_null())
                            .and(Expr::col("assistance_id").is_null())
                            .or(Expr::col("kind")
                                .eq("assistance")
                                .and(Expr::col("assistance_id").is_not_null())
                                .and(Expr::col("cohort_id").is_null())),
                    )
                    .refs("provider_id", "providers", Restrict)
                    .refs("cohort_id", "cohorts", Cascade)
                    .refs("assistance_id", "assistances", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(TABLE, &["provider_id", "kind", "reference"])
                    .unique()
                    .take(),
            )
            .await?;
        for column in ["cohort_id", "assistance_id"] {
            manager
                .create_index(index(TABLE, &[column]).unique().take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TABLE).take())
            .await?;
        Ok(())
    }
}
