//! Revocation status lists (issue 19): each list is the certificates of an id range that are
//! no longer valid. An index on (status, id) answers that from a few index entries instead of
//! reading every certificate of the range (131,072 rows per list; measured in BENCHMARKS.md).

use crate::shapes::{index, migration_name};
use sea_orm_migration::prelude::*;

migration_name!("m20261128_000008_status_lists");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("certificates", &["status", "id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_certificates_status_id")
                    .table("certificates")
                    .to_owned(),
            )
            .await
    }
}
