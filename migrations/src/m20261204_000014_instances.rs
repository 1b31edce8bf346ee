//! Several app instances on one database behave as one (issue 34).
//!
//! - `credentials_keys`: the Ed25519 keys that sign verifiable credentials, so every instance
//!   signs with the same key and publishes the same DID document. The current key is the one
//!   not retired; retired keys stay published so what they signed keeps verifying.
//! - `cache_versions`: one row per kind of derived data kept in memory (`figures`,
//!   `indicators`), bumped in the transaction that changes it; every instance compares the row
//!   with the version its cached values were computed at.
//! - `job_leases`: which instance runs a periodic job until when, so it runs once.

use crate::shapes::{drop_tables_if_exist, id, migration_name, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

migration_name!("m20261204_000014_instances");

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("credentials_keys")
                    .col(id())
                    // The secret seed as a multibase Multikey (`z3u2…`).
                    .col(ColumnDef::new("secret_key").text().not_null())
                    // Its public half (`z6Mk…`), as `did.json` publishes it.
                    .col(
                        ColumnDef::new("public_key")
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    // `generated` here, or `imported` from `credentials_key_file`.
                    .col(
                        ColumnDef::new("origin")
                            .string()
                            .not_null()
                            .check(Expr::col("origin").is_in(["generated", "imported"])),
                    )
                    .col(timestamp("created_at"))
                    .col(timestamp_null("retired_at"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cache_versions")
                    .col(ColumnDef::new("name").string().not_null().primary_key())
                    .col(
                        ColumnDef::new("version")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO cache_versions (name, version) VALUES ('figures', 0), ('indicators', 0)",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("job_leases")
                    .col(ColumnDef::new("job").string().not_null().primary_key())
                    .col(ColumnDef::new("holder").string().not_null())
                    .col(timestamp("expires_at"))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            &["job_leases", "cache_versions", "credentials_keys"],
        )
        .await
    }
}
