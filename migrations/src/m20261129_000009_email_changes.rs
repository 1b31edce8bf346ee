//! Email changes waiting for the new address's confirmation (issue 30).
//!
//! A staff correction of a person's email no longer moves their account at once: the change
//! waits here until the link emailed to the new address is followed, so a coordinator cannot
//! point somebody's account at a mailbox of their own and reset its password.

use crate::shapes::{Cascade, References, id, index, migration_name, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

migration_name!("m20261129_000009_email_changes");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("email_changes")
                    .col(id())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("user_id").integer().not_null())
                    .col(ColumnDef::new("new_email").string().not_null())
                    // Who asked for it (the correcting coordinator or admin).
                    .col(ColumnDef::new("requested_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("used_at"))
                    .refs("user_id", "users", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("email_changes", &["user_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("email_changes").if_exists().take())
            .await
    }
}
