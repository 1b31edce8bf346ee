//! Issue 49, item 2: a visit's agreements (compromisos) followed. Agreements and attendees were
//! already rows (`visit_agreements`, `visit_attendees`, migration 11); what was text was the
//! page's form. An agreement gains its state:
//!
//! - `status`: `pending`, `done` or `dropped` (checked), with `note` (when done) and `reason`
//!   (when dropped), and who changed it last (`status_changed_by`, `status_changed_at`); every
//!   change is also in the audit log with its before and after.
//! - The agreements recorded before carry over: one with a `done_on` is `done` on that day, the
//!   others `pending`.
//! - `(status, due_on)` indexed: the homes list the pending ones past their due date.
//! - Writes to `visit_agreements` move the planning version on (migration 16's triggers): the
//!   kept home dashboards flag the overdue agreements, and an agreement marked done shows on
//!   every instance's next visit.

use crate::m20261206_000016_planning_version::{bump_triggers, drop_bump_triggers};
use crate::shapes::{add_column, drop_column, execute_all, index, migration_name, timestamp_null};
use sea_orm_migration::prelude::*;

migration_name!("m20261214_000024_agreement_states");

const TABLE: &str = "visit_agreements";
const PLANNING: &[&str] = &[TABLE];
const STATUSES: &[&str] = &["pending", "done", "dropped"];

fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new("status")
            .string()
            .not_null()
            .default("pending")
            .check(Expr::col("status").is_in(STATUSES.iter().copied()))
            .take(),
        ColumnDef::new("note").string().null().take(),
        ColumnDef::new("reason").string().null().take(),
        ColumnDef::new("status_changed_by").integer().null().take(),
        timestamp_null("status_changed_at"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in columns() {
            add_column(manager, TABLE, column).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE visit_agreements SET status = 'done' WHERE done_on IS NOT NULL",
        )
        .await?;
        manager
            .create_index(index(TABLE, &["status", "due_on"]))
            .await?;
        execute_all(db, bump_triggers(db.get_database_backend(), PLANNING)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        execute_all(db, drop_bump_triggers(db.get_database_backend(), PLANNING)).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_visit_agreements_status_due_on")
                    .table(TABLE)
                    .to_owned(),
            )
            .await?;
        for column in [
            "status_changed_at",
            "status_changed_by",
            "reason",
            "note",
            "status",
        ] {
            drop_column(manager, TABLE, column).await?;
        }
        Ok(())
    }
}
