//! Issue 61, item 3: an import's file is chosen once. The file a page previewed is kept as a
//! draft, under a random token the preview page carries, so «Importar» sends only the token.
//!
//! - `import_drafts`: the token (unique), the account that previewed (only it may import the
//!   draft), which import it is for (`kind`, e.g. `cohorts`, `enrolment:42`), the file's name
//!   and bytes (at most the upload limit), when it was kept and when it was used (once).
//!
//! PostgreSQL references the account (`ON DELETE CASCADE`: an account removed leaves no files
//! behind); SQLite keeps the column plain, as migration 38 does, and the domain guards it.

use crate::schema::{Cascade, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261229_000039_import_drafts"
    }
}

const DRAFTS: &str = "import_drafts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let mut table = Table::create();
        table
            .table(DRAFTS)
            .col(
                ColumnDef::new("id")
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(ColumnDef::new("token").string().not_null().unique_key())
            .col(ColumnDef::new("user_id").integer().not_null())
            .col(ColumnDef::new("kind").string().not_null())
            .col(ColumnDef::new("filename").string().not_null())
            .col(ColumnDef::new("bytes").blob().not_null())
            .col(
                ColumnDef::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(ColumnDef::new("used_at").timestamp_with_time_zone().null());
        if postgres {
            table.foreign_key(
                &mut ForeignKey::create()
                    .name(format!("fk_{DRAFTS}_user_id"))
                    .from(DRAFTS, "user_id")
                    .to("users", "id")
                    .on_delete(Cascade)
                    .on_update(Cascade)
                    .take(),
            );
        }
        manager.create_table(table.take()).await?;
        manager.create_index(index(DRAFTS, &["created_at"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DRAFTS).to_owned())
            .await
    }
}
