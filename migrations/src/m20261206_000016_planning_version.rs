//! Issue 36: a `planning` row in `cache_versions`, moved on by the database itself whenever
//! what the planning views show changes outside the figures: cohorts and their targets,
//! courses, providers, technical assistance, municipal demands and their referrals. The kept
//! pages (overlaps, the offer, the dashboards) are kept for this version and the figures' one,
//! so a cohort moved or a demand raised through any instance shows on every instance's next
//! visit. A trigger, not a call in each write path: no path can forget.
//!
//! PostgreSQL: one statement-level trigger per table (one bump per statement). SQLite has only
//! row triggers: one bump per row, on tables written a few rows at a time.

use crate::shapes::{execute_all, migration_name};
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

migration_name!("m20261206_000016_planning_version");

/// The tables whose writes move the planning version on; a cohort's updates only when they
/// change what the views show: taking a cohort's row lock (`cohorts::lock`, a no-op update of
/// `updated_at` under every enrolment) or the jobs' quota bookkeeping does not.
const TABLES: &[&str] = &[
    "cohorts",
    "cohort_municipalities",
    "cohort_departments",
    "courses",
    "providers",
    "assistances",
    "assistance_capacities",
    "assistance_milestones",
    "assistance_visits",
    "demands",
    "demand_referrals",
];

/// The columns of `cohorts` whose change moves the version on.
const COHORT_COLUMNS: &str = "course_id, provider_id, name, modality, status, start_date, end_date, \
     enrolment_opens, enrolment_closes, seats, venue, meeting_url, min_attendance_pct, \
     pass_mark_tenths, cancellation_reason, closed_at";

/// `UPDATE` or, for cohorts, `UPDATE OF` the columns above.
fn update_event(table: &str) -> String {
    if table == "cohorts" {
        format!("UPDATE OF {COHORT_COLUMNS}")
    } else {
        "UPDATE".into()
    }
}

const BUMP: &str = "UPDATE cache_versions SET version = version + 1 WHERE name = 'planning'";

/// The triggers that move the planning version on at every write to `tables` (PostgreSQL's
/// run `planning_bump()`, created here): for a later migration's new tables too.
pub(crate) fn bump_triggers(backend: DbBackend, tables: &[&str]) -> Vec<String> {
    let mut statements = Vec::new();
    for table in tables {
        if backend == DbBackend::Postgres {
            statements.push(format!(
                "CREATE TRIGGER planning_{table} AFTER INSERT OR {update} OR DELETE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION planning_bump()",
                update = update_event(table)
            ));
        } else {
            for (name, event) in [
                ("insert", "INSERT".to_string()),
                ("update", update_event(table)),
                ("delete", "DELETE".to_string()),
            ] {
                statements.push(format!(
                    "CREATE TRIGGER planning_{table}_{name} AFTER {event} ON {table} \
                     BEGIN {BUMP}; END"
                ));
            }
        }
    }
    statements
}

/// Drops what [`bump_triggers`] created for `tables`.
pub(crate) fn drop_bump_triggers(backend: DbBackend, tables: &[&str]) -> Vec<String> {
    let mut statements = Vec::new();
    for table in tables {
        if backend == DbBackend::Postgres {
            statements.push(format!(
                "DROP TRIGGER IF EXISTS planning_{table} ON {table}"
            ));
        } else {
            for event in ["insert", "update", "delete"] {
                statements.push(format!("DROP TRIGGER IF EXISTS planning_{table}_{event}"));
            }
        }
    }
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO cache_versions (name, version) VALUES ('planning', 0)")
            .await?;
        let mut statements = Vec::new();
        if manager.get_database_backend() == DbBackend::Postgres {
            statements.push(format!(
                "CREATE FUNCTION planning_bump() RETURNS trigger AS $$ BEGIN {BUMP}; \
                 RETURN NULL; END $$ LANGUAGE plpgsql"
            ));
        }
        statements.extend(bump_triggers(manager.get_database_backend(), TABLES));
        execute_all(db, statements).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut statements = drop_bump_triggers(manager.get_database_backend(), TABLES);
        if manager.get_database_backend() == DbBackend::Postgres {
            statements.push("DROP FUNCTION IF EXISTS planning_bump()".into());
        }
        statements.push("DELETE FROM cache_versions WHERE name = 'planning'".into());
        execute_all(db, statements).await?;
        Ok(())
    }
}
