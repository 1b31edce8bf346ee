//! The database connection: SQLite (embedded default) or PostgreSQL, one schema for both.

use crate::error::AppError;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use std::time::Duration;

/// How long a statement waits for a lock by default.
pub const DEFAULT_BUSY_SECONDS: u64 = 15;

/// [`connect_with`] the default lock wait.
pub async fn connect(url: &str) -> Result<DatabaseConnection, AppError> {
    connect_with(url, DEFAULT_BUSY_SECONDS).await
}

/// Connects to `url`. For SQLite: creates the file and its folder, WAL journal (readers never
/// wait for the writer), foreign keys on, and a busy timeout so concurrent writers queue
/// instead of failing. For PostgreSQL: the same wait as `lock_timeout`. A statement that still
/// finds the database locked after `busy_seconds` fails with an error that
/// `AppError::from` turns into `AppError::Busy` (503 with `Retry-After`), never a 500.
pub async fn connect_with(url: &str, busy_seconds: u64) -> Result<DatabaseConnection, AppError> {
    let busy = Duration::from_secs(busy_seconds.max(1));
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::Internal(format!(
                "no se pudo crear la carpeta {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy)
        })
        .map_sqlx_postgres_opts(move |o| {
            o.options([("lock_timeout", format!("{}s", busy.as_secs()))])
        });
    // At start a refused connection is a configuration or server problem to report as is,
    // not the "busy, try again" a request gets when the database drops away later.
    Database::connect(options)
        .await
        .map_err(|e| AppError::Internal(format!("no se pudo conectar a la base de datos: {e}")))
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), AppError> {
    Migrator::up(db, None).await.map_err(AppError::from)
}

/// How many migrations this build knows that the database has not applied (read only: the
/// migrations table is never created here). An error when the database does not answer, or
/// holds migrations this build does not know (a newer version migrated it).
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, AppError> {
    Ok(Migrator::get_pending_migrations_read_only(db).await?.len())
}

/// The file path of a SQLite URL, if it is one and not in memory.
pub(crate) fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken (waiting up to the busy timeout) before the first read, so two writers never both
/// read and then deadlock trying to upgrade. PostgreSQL ignores the mode.
pub async fn begin(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Commits a writing transaction after bringing the figures model up to date with what it
/// wrote (`figures::flush`, issue 20) and, when that changed figures, moving their version on
/// in the same transaction (`instances::bump`: every instance's caches see it). Every writing
/// transaction ends here (clippy refuses a bare `commit`).
#[allow(clippy::disallowed_methods)]
pub async fn commit(txn: sea_orm::DatabaseTransaction) -> crate::error::AppResult<()> {
    let started = std::time::Instant::now();
    if crate::figures::flush(&txn).await? {
        crate::instances::bump(&txn, crate::instances::Cached::Figures).await?;
        crate::metrics::FIGURES_FLUSH.observe(started.elapsed());
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/a.db?mode=rwc"),
            Some("data/a.db")
        );
        assert_eq!(sqlite_file("sqlite:///tmp/a.db"), Some("/tmp/a.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://postgres@127.0.0.1/aula"), None);
    }
}
