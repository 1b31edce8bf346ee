//! Server-side sessions and registration confirmations (issue 13).
//!
//! `sessions`: a browser session is a row; the private cookie carries a random secret whose
//! SHA-256 is the key, so signing out, a password reset or a deactivation ends a session at
//! once, on every app instance. `registration_confirmations`: a self-registration waits here
//! until the link emailed to its address is followed, so an address proves it is the
//! registrant's before an account uses it (and registering never tells who already has one).

use crate::shapes::{
    Cascade, References, create_indexes, drop_tables_if_exist, id, index, migration_name,
    timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261123_000003_sessions");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("user_id").integer().not_null())
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .refs("user_id", "users", Cascade)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("sessions", &["user_id"]),
                index("sessions", &["expires_at"]),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("registration_confirmations")
                    .col(id())
                    .col(
                        ColumnDef::new("token_hash")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new("email").string().not_null())
                    // The imported participant record this registration claims, if any.
                    .col(ColumnDef::new("participant_id").integer().null())
                    // The registration as submitted (JSON, without the password).
                    .col(ColumnDef::new("registration_json").text().not_null())
                    .col(ColumnDef::new("password_hash").string().not_null())
                    // Where the browser goes once confirmed (a checked local path).
                    .col(ColumnDef::new("next_path").string().not_null())
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .col(timestamp_null("used_at"))
                    .refs("participant_id", "participants", Cascade)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("registration_confirmations", &["email"]),
                index("registration_confirmations", &["participant_id"]),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, &["registration_confirmations", "sessions"]).await
    }
}
