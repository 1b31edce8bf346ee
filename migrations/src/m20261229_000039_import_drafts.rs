//! Issue 61, item 3: an import's file is chosen once. The file a page previewed is kept as a
//! draft, under a random token the preview page carries, so «Importar» sends only the token.
//!
//! - `import_drafts`: the token (unique), the account that previewed (only it may import the
//!   draft), which import it is for (`kind`, e.g. `cohorts`, `enrolment:42`), the file's name
//!   and bytes (at most the upload limit), when it was kept and when it was used (once).
//!
//! PostgreSQL references the account (`ON DELETE CASCADE`: an account removed leaves no files
//! behind); SQLite keeps the column plain, as migration 38 does, and the domain guards it.

use crate::shapes::{Cascade, fk_id, id, index, migration_name, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

migration_name!("m20261229_000039_import_drafts");

const DRAFTS: &str = "import_drafts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let mut table = Table::create();
        table
            .table(DRAFTS)
            .col(id())
            .col(ColumnDef::new("token").string().not_null().unique_key())
            .col(ColumnDef::new("user_id").integer().not_null())
            .col(ColumnDef::new("kind").string().not_null())
            .col(ColumnDef::new("filename").string().not_null())
            .col(ColumnDef::new("bytes").blob().not_null())
            .col(timestamp("created_at"))
            .col(timestamp_null("used_at"));
        if postgres {
            table.foreign_key(&mut fk_id(DRAFTS, "user_id", "users", Cascade));
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
