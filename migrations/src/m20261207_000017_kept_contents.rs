//! Issue 36: the kept pages and rankings outlive the process and are shared by the instances.
//!
//! `kept_contents` holds the last value each instance computed for a kept key (a page's
//! content, an API answer, a national ranking), with the versions it was computed for and
//! when. After a restart, or on an instance that has not computed a key yet, the first visits
//! are served that value (stale if the versions moved, while one visitor recomputes it)
//! instead of all waiting for one computation; an instance finds there what another one
//! already computed for the current versions. Derived data: deleting every row loses nothing
//! but time.

use crate::shapes::{migration_name, timestamp};
use sea_orm_migration::prelude::*;

migration_name!("m20261207_000017_kept_contents");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("kept_contents")
                    // The kept key: what is kept (`page`, `rankings`…), the caller's scope and
                    // the URI or parameters.
                    .col(ColumnDef::new("key").text().not_null().primary_key())
                    // The versions the content was computed for, as JSON.
                    .col(ColumnDef::new("version").text().not_null())
                    .col(ColumnDef::new("content").text().not_null())
                    .col(timestamp("computed_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("kept_contents_computed_at")
                    .table("kept_contents")
                    .col("computed_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("kept_contents").if_exists().take())
            .await
    }
}
