//! Issue 66: attendance where the network fails.
//!
//! - `attendance_batch_marks`: every mark a phone sent in a batch (items 2), by its idempotency
//!   `key` (unique per session): the device, the enrolment, the status and the device's time
//!   as sent (nullable: a mark that could not be read is kept with what there was), the
//!   outcome, and the first answer as JSON (`result`), so the same key sent again answers
//!   `unchanged` with it. `enrolment_id` has no foreign key: a refused mark may name an
//!   enrolment that does not exist.
//! - `session_evidence`: a photo or scan of the signed sheet attached to a session (item 5):
//!   its safe name, checked content type and size, and where its bytes lie (`file_path` under
//!   `files_dir`, like the knowledge bank's files, or `session_evidence_files` in the database).
//! - `session_evidence_files`: the bytes of an evidence file kept in the database.

use crate::shapes::{
    Cascade, References, SetNull, create_indexes, drop_tables_if_exist, id, index, one_of,
    timestamp, timestamp_null, unique,
};
use sea_orm_migration::prelude::*;

crate::shapes::migration_name!("m20270101_000042_offline_attendance");

const TABLES: &[&str] = &[
    "attendance_batch_marks",
    "session_evidence",
    "session_evidence_files",
];

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("attendance_batch_marks")
            .col(id())
            .col(ColumnDef::new("session_id").integer().not_null())
            .col(ColumnDef::new("idempotency_key").string_len(100).not_null())
            .col(ColumnDef::new("device_id").string_len(100).null())
            .col(ColumnDef::new("enrolment_id").integer().null())
            .col(ColumnDef::new("status").string_len(40).null())
            .col(timestamp_null("marked_at"))
            .col(one_of(
                "outcome",
                &["applied", "superseded", "conflict", "refused"],
            ))
            .col(ColumnDef::new("result").text().not_null())
            .col(ColumnDef::new("received_by").integer().null())
            .col(timestamp("received_at"))
            .refs("session_id", "cohort_sessions", Cascade)
            .refs("received_by", "users", SetNull)
            .take(),
        Table::create()
            .table("session_evidence")
            .col(id())
            .col(ColumnDef::new("session_id").integer().not_null())
            .col(ColumnDef::new("file_name").string().not_null())
            .col(ColumnDef::new("content_type").string().not_null())
            .col(ColumnDef::new("file_size").big_integer().not_null())
            .col(ColumnDef::new("file_path").string().null())
            .col(ColumnDef::new("uploaded_by").integer().null())
            .col(timestamp("uploaded_at"))
            .refs("session_id", "cohort_sessions", Cascade)
            .refs("uploaded_by", "users", SetNull)
            .take(),
        Table::create()
            .table("session_evidence_files")
            .col(
                ColumnDef::new("evidence_id")
                    .integer()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new("content").blob().not_null())
            .refs("evidence_id", "session_evidence", Cascade)
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique("attendance_batch_marks", &["session_id", "idempotency_key"]),
        index("attendance_batch_marks", &["session_id", "enrolment_id"]),
        index("session_evidence", &["session_id"]),
        index("session_evidence", &["uploaded_by", "uploaded_at"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        create_indexes(manager, indexes()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let dependents_first: Vec<&'static str> = TABLES.iter().rev().copied().collect();
        drop_tables_if_exist(manager, &dependents_first).await
    }
}
