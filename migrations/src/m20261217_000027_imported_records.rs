//! Issue 49, item 6: cohorts and assistances brought in from a provider's spreadsheet. Each
//! imported cohort or assistance keeps the provider's own key of its rows (`reference`, unique
//! per provider and kind), so the same file sent again changes nothing and a corrected file
//! updates what it brought in.
//!
//! - `imported_records`: provider, kind (`cohort` or `assistance`), reference, and the cohort or
//!   the assistance (exactly one, the one the kind names; each record has at most one
//!   reference). A cohort or assistance removed takes its reference with it.

use crate::schema::{Cascade, Restrict, fk_id, index};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261217_000027_imported_records"
    }
}

const TABLE: &str = "imported_records";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .col(
                        ColumnDef::new("id")
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
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
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
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
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name(format!("fk_{TABLE}_provider_id"))
                            .from(TABLE, "provider_id")
                            .to("providers", "id")
                            .on_delete(Restrict)
                            .on_update(Cascade)
                            .take(),
                    )
                    .foreign_key(&mut fk_id(TABLE, "cohort_id", "cohorts", Cascade))
                    .foreign_key(&mut fk_id(TABLE, "assistance_id", "assistances", Cascade))
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
