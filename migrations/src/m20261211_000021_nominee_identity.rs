//! Issue 46: a nomination is confirmed by the person nominated, not by whoever holds the
//! mailbox the liaison typed.
//!
//! * `registration_confirmations.nomination_id`: the nomination whose emailed link started a
//!   registration; confirming the registration confirms it when the document registered is the
//!   nominated one. No foreign key: SQLite cannot add one to an existing table, and the row is
//!   only read while the registration waits (nominations are never deleted).
//! * Nominations confirmed before this by the link alone, for someone without an account (not
//!   registered, or a record a coordinator imported), go back to pending: that confirmation
//!   came from whoever held the address on the nomination, which the liaison may have typed.
//!   The person confirms again with her account (registering, or signing in and following the
//!   link, which stays valid until the coordinator decides).

use crate::shapes::migration_name;
use crate::shapes::{add_column, drop_column};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261211_000021_nominee_identity");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            "registration_confirmations",
            ColumnDef::new("nomination_id").integer().null(),
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE nominations SET status = 'pending', confirmed_at = NULL \
                 WHERE status = 'confirmed' AND (participant_id IS NULL OR participant_id IN \
                 (SELECT id FROM participants WHERE user_id IS NULL))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "registration_confirmations", "nomination_id").await?;
        Ok(())
    }
}
