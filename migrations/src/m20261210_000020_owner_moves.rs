//! Issue 46: only the owner moves an account, and a person's own change of name is reviewed.
//!
//! - `email_change_undos`: the links that undo a change of an account's sign-in email, sent to
//!   the old address (when the change is asked for, and again when it is confirmed), valid one
//!   week; only their hash is stored. Following one restores the old address and ends every
//!   way into the account.
//! - `name_changes`: a participant's own change of names once she has an enrolment, waiting for
//!   the coordination of one of her cohorts (`pending`), then `approved`, `rejected` (with the
//!   reason) or `withdrawn` (she asked for another, or for her approved name again). The
//!   participant row keeps the approved name meanwhile, so certificates keep it.

use crate::shapes::{
    Cascade, References, SetNull, id, index, migration_name, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261210_000020_owner_moves");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("email_change_undos")
                    .col(id())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("email_change_id").integer().not_null())
                    .col(ColumnDef::new("user_id").integer().not_null())
                    // The address the account had before the change: what undoing restores.
                    .col(ColumnDef::new("restore_email").string().not_null())
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("used_at"))
                    .refs("email_change_id", "email_changes", Cascade)
                    .refs("user_id", "users", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("email_change_undos", &["user_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("name_changes")
                    .col(id())
                    .col(ColumnDef::new("participant_id").integer().not_null())
                    .col(ColumnDef::new("first_names").string().not_null())
                    .col(ColumnDef::new("last_names").string().not_null())
                    // The approved name when she asked.
                    .col(ColumnDef::new("previous_first_names").string().not_null())
                    .col(ColumnDef::new("previous_last_names").string().not_null())
                    .col(
                        ColumnDef::new("status")
                            .string_len(16)
                            .not_null()
                            .default("pending"),
                    )
                    .col(timestamp("requested_at"))
                    .col(timestamp_null("decided_at"))
                    .col(ColumnDef::new("decided_by").integer().null())
                    .col(ColumnDef::new("reason").text().null())
                    .refs("participant_id", "participants", Cascade)
                    .refs("decided_by", "users", SetNull)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("name_changes", &["participant_id"]))
            .await?;
        manager
            .create_index(index("name_changes", &["status"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("name_changes").if_exists().take())
            .await?;
        manager
            .drop_table(Table::drop().table("email_change_undos").if_exists().take())
            .await
    }
}
