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

use crate::schema::{Cascade, SetNull, fk, fk_id, index};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261224_000034_handover"
    }
}

const TABLE: &str = "liaison_handovers";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("handover_seen_for").integer().null())
                    .take(),
            )
            .await?;
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
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("new_user_id").integer().not_null())
                    .col(ColumnDef::new("named_by").integer().null())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("expires_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("confirmed_at")
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        TABLE,
                        "municipality_code",
                        "municipalities",
                        "code",
                        Cascade,
                    ))
                    .foreign_key(&mut fk_id(TABLE, "new_user_id", "users", Cascade))
                    .foreign_key(
                        ForeignKey::create()
                            .name(format!("fk_{TABLE}_named_by"))
                            .from(TABLE, "named_by")
                            .to("users", "id")
                            .on_delete(SetNull)
                            .on_update(Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(index(TABLE, &["municipality_code", "created_at"]))
            .await?;
        manager.create_index(index(TABLE, &["new_user_id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TABLE).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("handover_seen_for")
                    .take(),
            )
            .await
    }
}
