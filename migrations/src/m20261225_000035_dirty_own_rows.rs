//! Issue 50: the figures flush leaves the write path, so `figures_dirty` now holds committed
//! rows between a write and the flush that takes them.
//!
//! Every trigger names a (cohort, person) only when the table does not name it already (the
//! `NOT EXISTS` of migrations 4 and 18). With committed rows waiting, that check loses writes
//! on PostgreSQL: a writer sees a waiting row that a flush running at that moment has already
//! read, names nothing, and commits after the flush recomputed the cohort; the flush then
//! deletes the row it read and the writer's change is never counted. So on PostgreSQL the
//! check now only looks at the rows of the writer's own transaction (`xmin` is the current
//! transaction): a writer always names what it touched at least once, and a flush deletes only
//! the rows it read. A write inside a savepoint may name a pair twice (harmless: the flush
//! reads each pair once).
//!
//! SQLite keeps the check: its flush holds the database's only write lock from its first read
//! to its commit, so no writer runs beside it.
//!
//! Every trigger function that names rows is rewritten in place (`pg_get_functiondef`), so the
//! change reaches the functions of every earlier migration without repeating their lists.

use crate::shapes::migration_name;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261225_000035_dirty_own_rows");

const CHECK: &str = "SELECT 1 FROM figures_dirty WHERE ";
const OWN_CHECK: &str =
    "SELECT 1 FROM figures_dirty WHERE figures_dirty.xmin = pg_current_xact_id()::xid AND ";

/// Rewrites every PL/pgSQL function whose body holds `from`, replacing it with `to`.
fn rewrite(from: &str, to: &str) -> String {
    format!(
        "DO $rewrite$ DECLARE f record; BEGIN \
         FOR f IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = current_schema() AND p.prosrc LIKE '%{from}%' LOOP \
         EXECUTE replace(pg_get_functiondef(f.oid), '{from}', '{to}'); \
         END LOOP; END $rewrite$"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            // Not twice: a function already rewritten holds both strings.
            db.execute_unprepared(&rewrite(OWN_CHECK, CHECK)).await?;
            db.execute_unprepared(&rewrite(CHECK, OWN_CHECK)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&rewrite(OWN_CHECK, CHECK)).await?;
        }
        Ok(())
    }
}
