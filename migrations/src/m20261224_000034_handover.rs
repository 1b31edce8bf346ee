//! Issue 48, item 4: the handover (empalme) to a new municipal administration.
//!
//! - `users.handover_seen_for`: the start year of the administration period (2020, 2024,
//!   2028…) in which a liaison was last taken to their municipality's handover page on signing
//!   in; null = never. A liaison signing in while it is not the current period's start year
//!   lands on the handover page once, and the column records the period.
//! - `liaison_handovers`: an administrator names the next liaison of a municipality. The new
//!   official's account is created inactive and receives an emailed, single-use, expiring link
//!   (`token_hash`: the SHA-256 of its token) to choose a password and confirm; on confirmation
//!   (`confirmed_at`) the new account becomes active and every other active liaison account of
//!   the municipality is deactivated. The municipality's history stays attached to the
//!   municipality, so nothing else moves.

use crate::shapes::{
    Cascade, References, SetNull, add_column, create_indexes, drop_column, id, index,
    migration_name, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261224_000034_handover");

const TABLE: &str = "liaison_handovers";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "users",
            ColumnDef::new("handover_seen_for").integer().null(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .col(id())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("new_user_id").integer().not_null())
                    .col(ColumnDef::new("named_by").integer().null())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("confirmed_at"))
                    .refs_col("municipality_code", "municipalities", "code", Cascade)
                    .refs("new_user_id", "users", Cascade)
                    .refs("named_by", "users", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index(TABLE, &["municipality_code", "created_at"]),
                index(TABLE, &["new_user_id"]),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TABLE).take())
            .await?;
        drop_column(manager, "users", "handover_seen_for").await
    }
}
