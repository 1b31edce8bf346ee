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
        // Statements slower than a fifth of a second are logged as warnings (the slow-query
        // log an operator reads first); the others not at all.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, Duration::from_millis(200))
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

/// Gives SQLite's query planner statistics where its tables have none or have grown many
/// times since (`PRAGMA optimize` over every table, each analysed on a sample): without them
/// it walked every valid certificate on each figures flush at national scale (issue 36).
/// PostgreSQL's autovacuum does this by itself; there this does nothing.
pub async fn optimize(db: &DatabaseConnection) -> crate::error::AppResult<()> {
    use sea_orm::ConnectionTrait;
    if !is_sqlite(db) {
        return Ok(());
    }
    let txn = begin(db).await?;
    txn.execute_unprepared("PRAGMA analysis_limit = 1000")
        .await?;
    txn.execute_unprepared("PRAGMA optimize = 0x10002").await?;
    commit(txn).await
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

/// A writing transaction ([`begin`], ended by [`commit`] or by being dropped: rolled back). On
/// SQLite it also holds this process's write turn for the database file until it ends.
pub struct Txn {
    inner: sea_orm::DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
    /// This database's figures worker in this process, if it runs one: [`commit`] then leaves
    /// the figures to it (issue 50) instead of flushing them in the transaction.
    figures_worker: Option<std::sync::Arc<tokio::sync::Notify>>,
}

tokio::task_local! {
    /// The statements counted by [`count_statements`] in this task.
    static STATEMENTS: std::cell::Cell<u64>;
}

/// Runs `work` and counts the statements it sends through writing transactions ([`Txn`]) in
/// this task: what the tests measure to say how many statements an enrolment costs (issue 50).
/// Statements run by triggers inside the database are not counted.
pub async fn count_statements<F: std::future::Future>(work: F) -> (F::Output, u64) {
    STATEMENTS
        .scope(std::cell::Cell::new(0), async {
            let out = work.await;
            (out, STATEMENTS.with(|n| n.get()))
        })
        .await
}

fn counted() {
    // Outside `count_statements` there is nothing to count.
    STATEMENTS.try_with(|n| n.set(n.get() + 1)).unwrap_or(());
}

impl std::ops::Deref for Txn {
    type Target = sea_orm::DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }
    async fn execute_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        counted();
        self.inner.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        counted();
        self.inner.execute_unprepared(sql).await
    }
    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        counted();
        self.inner.query_one_raw(stmt).await
    }
    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        counted();
        self.inner.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}

impl Txn {
    /// Ends the transaction without writing anything (as dropping it does), now.
    pub async fn rollback(self) -> Result<(), sea_orm::DbErr> {
        self.inner.rollback().await
    }
}

/// The write turns of this process, one per SQLite database file (issue 36). SQLite lets one
/// writer at a time; the others wait in its busy handler, which sleeps (up to 100 ms a time)
/// and checks again, so under a burst the lock sits free while every waiter sleeps — 2,000
/// enrolments at once went through at a few a second, the rest answered 503. Waiting here
/// instead, in order and without a connection, hands the lock on at once. Other processes on
/// the same file (a command line beside the server) still meet the busy handler.
static WRITE_TURNS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Turns>>>,
> = std::sync::LazyLock::new(Default::default);

/// One file's write turn. Writers queue at the `gate` (in order) and only its holder waits for
/// the `turn` itself; the figures worker waits for the `turn` directly, so under a burst it is
/// at most second in line instead of behind every writer queued (issue 50: the figures of a
/// burst must not wait for the burst to end).
struct Turns {
    gate: tokio::sync::Semaphore,
    turn: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The longest a writer waits for its turn before answering 503 with `Retry-After` (the pool's
/// own wait for a connection).
const WRITE_TURN_WAIT: Duration = Duration::from_secs(30);

/// The name of the database `db` reaches, the same for every connection to it in this process:
/// the file of a SQLite database, the server and database of a PostgreSQL one.
pub(crate) fn database_key(db: &DatabaseConnection) -> String {
    match db.get_database_backend() {
        DbBackend::Sqlite => db
            .get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_string_lossy()
            .into_owned(),
        DbBackend::Postgres => {
            let options = db.get_postgres_connection_pool().connect_options();
            format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            )
        }
        _ => String::new(),
    }
}

async fn write_turn(
    db: &DatabaseConnection,
    key: &str,
    first: bool,
) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, sea_orm::DbErr> {
    if !is_sqlite(db) {
        return Ok(None);
    }
    let turns = WRITE_TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key.to_string())
        .or_insert_with(|| {
            std::sync::Arc::new(Turns {
                gate: tokio::sync::Semaphore::new(1),
                turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            })
        })
        .clone();
    let wait = async {
        let _gate = if first {
            None
        } else {
            Some(turns.gate.acquire().await?)
        };
        turns.turn.clone().acquire_owned().await
    };
    // Waiting too long reads as the pool's own wait (`error::is_busy`): 503 with `Retry-After`.
    match tokio::time::timeout(WRITE_TURN_WAIT, wait).await {
        Ok(Ok(permit)) => Ok(Some(permit)),
        Ok(Err(_)) => Err(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::ConnectionClosed,
        )),
        Err(_) => Err(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        )),
    }
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, after this
/// process's write turn for the file ([`WRITE_TURNS`]): the write lock is taken before the
/// first read, so two writers never both read and then deadlock trying to upgrade. PostgreSQL
/// ignores the mode and has no turn (its row locks hand over at once).
pub async fn begin(db: &DatabaseConnection) -> Result<Txn, sea_orm::DbErr> {
    begin_turn(db, false).await
}

/// [`begin`] for the figures worker: first in line for SQLite's write turn.
pub(crate) async fn begin_first(db: &DatabaseConnection) -> Result<Txn, sea_orm::DbErr> {
    begin_turn(db, true).await
}

async fn begin_turn(db: &DatabaseConnection, first: bool) -> Result<Txn, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let key = database_key(db);
    let turn = write_turn(db, &key, first).await?;
    let inner = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(Txn {
        inner,
        _turn: turn,
        figures_worker: crate::figures::worker::of(&key),
    })
}

/// Commits a writing transaction. The figures model follows what it wrote (issue 20): the
/// triggers named the touched cohorts in `figures_dirty`, committed with the write. Where this
/// process runs a figures worker for the database (a server, issue 50) the commit only wakes
/// it: the worker recomputes the burst's cohorts together a moment later and moves the
/// figures' version on. Elsewhere (the command line, imports, most tests) the figures are
/// brought up to date here, before `COMMIT` (`figures::flush`), and their version moved on in
/// the same transaction (`instances::bump`: every instance's caches see it). Every writing
/// transaction ends here (clippy refuses a bare `commit`).
#[allow(clippy::disallowed_methods)]
pub async fn commit(mut txn: Txn) -> crate::error::AppResult<()> {
    let worker = txn.figures_worker.take();
    if worker.is_none() {
        flush_figures(&txn).await?;
    }
    txn.inner.commit().await?;
    if let Some(worker) = worker {
        worker.notify_one();
    }
    Ok(())
}

/// Commits after bringing the figures up to date in the transaction, whatever the database's
/// mode (the figures worker's own transaction).
#[allow(clippy::disallowed_methods)]
pub(crate) async fn commit_flushed(txn: Txn) -> crate::error::AppResult<bool> {
    let flushed = flush_figures(&txn).await?;
    txn.inner.commit().await?;
    Ok(flushed)
}

async fn flush_figures(txn: &Txn) -> crate::error::AppResult<bool> {
    let started = std::time::Instant::now();
    if crate::figures::flush(txn).await? {
        crate::instances::bump(txn, crate::instances::Cached::Figures).await?;
        crate::metrics::FIGURES_FLUSH.observe(started.elapsed());
        return Ok(true);
    }
    Ok(false)
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
