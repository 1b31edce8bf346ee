//! Issue 62, items 1 and 6: the knowledge bank's storage is bounded and its downloads mean
//! something.
//!
//! - `resources.file_path`: where a file kept outside the database lies, relative to the
//!   `files_dir` setting (`bank/{id}-{random}`); null when its bytes are in `resource_files`.
//! - `resources.deleted_at`, `deleted_by`: a resource deleted by its provider's coordinator or
//!   an admin (its bytes are gone; the row stays, so its page says «retirado» and its
//!   downloads and the account's upload rate keep counting). No foreign key on `deleted_by`
//!   (SQLite adds none to an existing table); the audit log names who.
//! - `resource_downloads`: who downloaded a resource on a given (Colombian) day, as a hash of
//!   the account or the client address, so a download counts once per visitor per day; rows
//!   of earlier days are deleted as new ones arrive.
//! - An index on `resources (created_by, created_at)` for the per-account upload rate.

use crate::shapes::{
    Cascade, References, add_column, drop_column, migration_name, pk, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261226_000036_bank_storage");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new("file_path").string().null().take(),
            timestamp_null("deleted_at"),
            ColumnDef::new("deleted_by").integer().null().take(),
        ] {
            add_column(manager, "resources", column).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_resources_created_by_created_at")
                    .table("resources")
                    .col("created_by")
                    .col("created_at")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("resource_downloads")
                    .col(ColumnDef::new("resource_id").integer().not_null())
                    .col(ColumnDef::new("visitor").string_len(64).not_null())
                    .col(ColumnDef::new("day").date().not_null())
                    .primary_key(&mut pk(&["resource_id", "visitor", "day"]))
                    .refs("resource_id", "resources", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_resource_downloads_day")
                    .table("resource_downloads")
                    .col("day")
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("resource_downloads").take())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_resources_created_by_created_at")
                    .table("resources")
                    .to_owned(),
            )
            .await?;
        for column in ["deleted_by", "deleted_at", "file_path"] {
            drop_column(manager, "resources", column).await?;
        }
        Ok(())
    }
}
