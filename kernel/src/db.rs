//! The database connection: SQLite (embedded default) or PostgreSQL, one schema for both.

use crate::error::AppError;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, TransactionTrait};
use std::time::Duration;

/// How long a statement waits for a lock by default.
pub const DEFAULT_BUSY_SECONDS: u64 = 15;

/// PostgreSQL connections per instance, and how many of them writing transactions may hold at
/// once: the rest are kept for readers, so a gobernación's reports do not queue for a
/// connection behind a burst of enrolments waiting on one cohort's lock (issue 50, item 4).
const POSTGRES_POOL: u32 = 24;
const POSTGRES_WRITERS: usize = 12;

/// [`connect_with`] the default lock wait and pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection, AppError> {
    connect_with(url, DEFAULT_BUSY_SECONDS, None).await
}

/// The most connections a pool for `url` holds unless the settings say otherwise
/// (`database_connections`).
pub fn default_pool_size(url: &str) -> u32 {
    if url.starts_with("sqlite") {
        8
    } else {
        POSTGRES_POOL
    }
}

/// The most connections `db`'s pool holds.
pub fn pool_size(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DbBackend::Sqlite => db
            .get_sqlite_connection_pool()
            .options()
            .get_max_connections(),
        _ => db
            .get_postgres_connection_pool()
            .options()
            .get_max_connections(),
    }
}

/// Opens every connection of the pool now (issue 69), so the first visitors after a start or
/// a deploy, who arrive together, find them open instead of each paying a handshake and the
/// connection's settings (a SQLite connection's PRAGMAs took 8–22 ms under that first wave):
/// holds that many transactions at once, then lets them go. A failure is only logged (the
/// visitors open what they need).
///
/// Only on SQLite, whose connections are the process's own. A PostgreSQL connection is one of
/// the server's `max_connections` (100 by default), shared by every instance, the backups and
/// the operators' tools: opening all 24 of each instance ahead took slots nobody used (three
/// instances and a fourth app in one test run reached the server's limit, and the next
/// connection was refused), and a fresh connection's cost is not what the first visitors wait
/// for there (docs/DECISIONS.md, issue 69).
pub async fn open_pool(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let wanted = pool_size(db);
    let mut held = Vec::with_capacity(wanted as usize);
    for _ in 0..wanted {
        match db.begin().await {
            Ok(txn) => held.push(txn),
            Err(error) => {
                tracing::warn!(%error, "no se abrieron de antemano las conexiones");
                break;
            }
        }
    }
    for txn in held {
        if let Err(error) = txn.rollback().await {
            tracing::warn!(%error, "una conexión abierta de antemano no se liberó");
        }
    }
}

/// Connects to `url`. For SQLite: creates the file and its folder, WAL journal (readers never
/// wait for the writer), every commit on disk before it is answered (`synchronous = FULL`:
/// the WAL is synced at each `COMMIT`; with group commit one sync serves a burst's writers,
/// issue 50), foreign keys on, and a busy timeout so concurrent writers queue
/// instead of failing. For PostgreSQL: the same wait as `lock_timeout`. A statement that still
/// finds the database locked after `busy_seconds` fails with an error that
/// `AppError::from` turns into `AppError::Busy` (503 with `Retry-After`), never a 500. The pool
/// holds at most `connections` ([`default_pool_size`] when `None`; at least 2).
pub async fn connect_with(
    url: &str,
    busy_seconds: u64,
    connections: Option<u32>,
) -> Result<DatabaseConnection, AppError> {
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
        .max_connections(connections.unwrap_or_else(|| default_pool_size(url)).max(2))
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(busy)
        })
        .map_sqlx_postgres_opts(move |o| {
            o.options([("lock_timeout", format!("{}s", busy.as_secs()))])
        });
    // At start a refused connection is a configuration or server problem to report as is,
    // not the "busy, try again" a request gets when the database drops away later.
    let mut db = Database::connect(options)
        .await
        .map_err(|e| AppError::Internal(format!("no se pudo conectar a la base de datos: {e}")))?;
    // Every statement is counted for the task that sent it, when it counts (`count_queries`).
    // A task being profiled (`profile_queries`) also keeps each statement and its time.
    db.set_metric_callback(|info| {
        QUERIES.try_with(|n| n.set(n.get() + 1)).unwrap_or(());
        PROFILE
            .try_with(|p| {
                p.borrow_mut()
                    .push((info.elapsed, info.statement.sql.clone()))
            })
            .unwrap_or(());
    });
    Ok(db)
}

tokio::task_local! {
    /// The statements counted by [`count_queries`] in this task.
    static QUERIES: std::cell::Cell<u64>;
    /// The statements and their times recorded by [`profile_queries`] in this task.
    static PROFILE: std::cell::RefCell<Vec<(Duration, String)>>;
}

/// Runs `work` and returns, with its output, every statement it sent through a connection made
/// by [`connect_with`] in this task, with the time the database took for each (the benchmarks'
/// profile of one cold computation, issue 69). Same reach as [`count_queries`].
pub async fn profile_queries<F: std::future::Future>(
    work: F,
) -> (F::Output, Vec<(Duration, String)>) {
    PROFILE
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, PROFILE.with(|p| p.take()))
        })
        .await
}

/// Runs `work` and counts every statement it sends through a connection made by
/// [`connect_with`] in this task — reads included, transactions' statements too (issue 69:
/// what a home page's first computation costs). Statements of tasks it spawns and of triggers
/// inside the database are not counted. Unlike [`count_statements`] (the writing transactions'
/// statements only), this is sea_orm's metric hook on the connection.
pub async fn count_queries<F: std::future::Future>(work: F) -> (F::Output, u64) {
    QUERIES
        .scope(std::cell::Cell::new(0), async {
            let out = work.await;
            (out, QUERIES.with(|n| n.get()))
        })
        .await
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
    write(db, async |txn| {
        txn.execute_unprepared("PRAGMA analysis_limit = 1000")
            .await?;
        txn.execute_unprepared("PRAGMA optimize = 0x10002").await?;
        Ok(())
    })
    .await
}

/// How many migrations this build knows that the database has not applied (read only: the
/// migrations table is never created here). An error when the database does not answer, or
/// holds migrations this build does not know (a newer version migrated it).
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, AppError> {
    Ok(Migrator::get_pending_migrations_read_only(db).await?.len())
}

/// The file path of a SQLite URL (see [`crate::database_url`]).
pub use crate::database_url::sqlite_file;

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

/// A writing transaction ([`begin`], ended by [`commit`] or by being dropped: rolled back). On
/// SQLite it is one member of a group of writers sharing one transaction ([`Group`]): its own
/// savepoint, this process's write turn for the database file while it works, and the group's
/// `COMMIT` before [`commit`] answers.
pub struct Txn {
    /// Taken only when the transaction ends (see `Drop`).
    inner: Option<sea_orm::DatabaseTransaction>,
    /// SQLite: the write turn and the group this transaction is a member of.
    member: Option<Member>,
    /// PostgreSQL: this transaction's place among the instance's writers ([`POSTGRES_WRITERS`]).
    _writer: Option<tokio::sync::OwnedSemaphorePermit>,
    /// This database's figures worker in this process, if it runs one and the transaction was
    /// begun [`begin_deferred`]: [`commit`] then leaves the figures to it (issue 50) instead of
    /// flushing them in the transaction.
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
    count_more(1);
}

/// Adds `statements` sent on this task's behalf by another task (a cohort's desk decides an
/// enrolment in its own task, `enrolment::desk`) to this task's count, if it counts.
pub fn count_more(statements: u64) {
    // Outside `count_statements` there is nothing to count.
    STATEMENTS
        .try_with(|n| n.set(n.get() + statements))
        .unwrap_or(());
}

impl std::ops::Deref for Txn {
    type Target = sea_orm::DatabaseTransaction;
    #[allow(
        clippy::expect_used,
        reason = "taken only by the methods that end the transaction, which consume it"
    )]
    fn deref(&self) -> &Self::Target {
        self.inner
            .as_ref()
            .expect("a transaction is open until it ends")
    }
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        (**self).get_database_backend()
    }
    async fn execute_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        counted();
        (**self).execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        counted();
        (**self).execute_unprepared(sql).await
    }
    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        counted();
        (**self).query_one_raw(stmt).await
    }
    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        counted();
        (**self).query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        (**self).support_returning()
    }
}

impl Txn {
    /// Ends the transaction without writing anything (as dropping it does), now.
    #[allow(
        clippy::expect_used,
        reason = "open until this call, which consumes it"
    )]
    pub async fn rollback(mut self) -> Result<(), sea_orm::DbErr> {
        let inner = self
            .inner
            .take()
            .expect("a transaction is open until it ends");
        let undone = inner.rollback().await;
        if let Some(member) = self.member.take() {
            // The others' writes in the group are committed (or refused) whatever this one did.
            if let Err(error) = member.leave().await {
                tracing::warn!(%error, "the group of a transaction that wrote nothing did not commit");
            }
        }
        undone
    }
}

impl Drop for Txn {
    /// A transaction dropped without [`commit`] (an error's `?`, a request cancelled): its
    /// savepoint is rolled back (sea_orm queues it on the connection, before anything the group
    /// sends after) and, on SQLite, the group goes on without it in a task of its own.
    fn drop(&mut self) {
        drop(self.inner.take());
        if let Some(member) = self.member.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        if let Err(error) = member.leave().await {
                tracing::warn!(%error, "the group of a transaction that wrote nothing did not commit");
            }
                    });
                }
                // Without a runtime the turn is given up; the next writer joins the group and
                // ends it, or a waiting member does ([`Member::leave`]).
                Err(_) => drop(member),
            }
        }
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
    /// Writers waiting for the turn: while there are any, a member that ends leaves the group
    /// open for them instead of committing it.
    waiting: std::sync::atomic::AtomicUsize,
    /// The group now open on this file, if any (read and changed only by the turn's holder).
    group: std::sync::Mutex<Option<std::sync::Arc<Group>>>,
    /// How many groups committed on this file (the tests read it: writers share commits).
    commits: std::sync::atomic::AtomicU64,
}

/// Group commit on SQLite (issue 50). SQLite lets one writer at a time, so concurrent writes
/// queue for the file's turn; instead of each paying its own `BEGIN IMMEDIATE … COMMIT`, the
/// writers that arrive while one works share one transaction: each works in its own savepoint
/// (an error, or a transaction dropped, rolls back only its own writes), hands the turn on,
/// and waits for the group's `COMMIT`, which the member that ends with nobody waiting sends
/// (or the one that finds the group full or old: [`GROUP_MOST`], [`GROUP_LONGEST`]). Nothing
/// is answered before that `COMMIT` returned: a member's [`commit`] returns its own result —
/// its own error, or the group's when the `COMMIT` itself failed.
struct Group {
    /// The transaction the members share; taken out when the group commits.
    outer: tokio::sync::Mutex<Option<sea_orm::DatabaseTransaction>>,
    opened: std::time::Instant,
    members: std::sync::atomic::AtomicUsize,
    /// The group's end: `Ok` once committed, the error of its `COMMIT` otherwise.
    ended: tokio::sync::watch::Sender<Option<Result<(), String>>>,
}

/// The most writers one group takes before it commits, whoever waits.
const GROUP_MOST: usize = 200;
/// The longest a group stays open while writers keep arriving: what a burst adds, at most, to
/// the first member's answer.
const GROUP_LONGEST: Duration = Duration::from_millis(50);
/// How often a member waiting for its group's end looks whether the group was left with
/// nobody to end it (a writer gave up waiting for the turn), and then ends it itself.
const GROUP_WATCH: Duration = Duration::from_millis(20);

/// One transaction's place in a [`Group`]: the write turn while it works, then its wait.
pub(crate) struct Member {
    turns: std::sync::Arc<Turns>,
    group: std::sync::Arc<Group>,
    turn: tokio::sync::OwnedSemaphorePermit,
}

impl Member {
    /// Ends this member's part (its savepoint already released or rolled back): commits the
    /// group when nobody waits for the turn, when the group is full or old; otherwise hands the
    /// turn on and waits for the member that does. The group's result.
    async fn leave(self) -> Result<(), sea_orm::DbErr> {
        use std::sync::atomic::Ordering;
        let Member { turns, group, turn } = self;
        let full = group.members.load(Ordering::Acquire) >= GROUP_MOST
            || group.opened.elapsed() >= GROUP_LONGEST;
        if full || turns.waiting.load(Ordering::Acquire) == 0 {
            let ended = end_group(&turns, &group).await;
            drop(turn);
            return ended;
        }
        let mut ended = group.ended.subscribe();
        drop(turn);
        loop {
            if let Some(result) = ended.borrow_and_update().clone() {
                return result.map_err(sea_orm::DbErr::Custom);
            }
            tokio::select! {
                changed = ended.changed() => {
                    if changed.is_err() {
                        return Err(sea_orm::DbErr::Custom(
                            "la transacción del grupo terminó sin confirmarse".into(),
                        ));
                    }
                }
                _ = tokio::time::sleep(GROUP_WATCH) => {
                    // The turn free and this group still open: whoever it was handed to gave
                    // up; end it here.
                    if let Ok(turn) = turns.turn.clone().try_acquire_owned() {
                        let open = turns
                            .group
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .as_ref()
                            .is_some_and(|g| std::sync::Arc::ptr_eq(g, &group));
                        if open {
                            let ended = end_group(&turns, &group).await;
                            drop(turn);
                            return ended;
                        }
                    }
                }
            }
        }
    }
}

/// Commits `group` (the caller holds the turn) and tells its members; the next writer opens a
/// new one.
async fn end_group(turns: &Turns, group: &Group) -> Result<(), sea_orm::DbErr> {
    turns
        .group
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    let outer = group.outer.lock().await.take();
    let committed = match outer {
        #[allow(clippy::disallowed_methods)]
        Some(outer) => outer.commit().await,
        None => Ok(()),
    };
    group.ended.send_replace(Some(
        committed.as_ref().map(|_| ()).map_err(|e| e.to_string()),
    ));
    turns
        .commits
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::metrics::group_committed(group.members.load(std::sync::atomic::Ordering::Acquire));
    committed
}

/// The longest a writer waits for its turn before answering 503 with `Retry-After` (the pool's
/// own wait for a connection).
const WRITE_TURN_WAIT: Duration = Duration::from_secs(30);

/// The name of the database `db` reaches, the same for every connection to it in this process:
/// the file of a SQLite database, the server and database of a PostgreSQL one.
pub fn database_key(db: &DatabaseConnection) -> String {
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

/// This process's `T` for the database `key`, made by `make` the first time.
fn per_database<T>(
    map: &std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<T>>>,
    key: &str,
    make: impl FnOnce() -> T,
) -> std::sync::Arc<T> {
    map.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key.to_string())
        .or_insert_with(|| std::sync::Arc::new(make()))
        .clone()
}

fn turns_of(key: &str) -> std::sync::Arc<Turns> {
    per_database(&WRITE_TURNS, key, || Turns {
        gate: tokio::sync::Semaphore::new(1),
        turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        waiting: Default::default(),
        group: Default::default(),
        commits: Default::default(),
    })
}

/// A place waited for at most [`WRITE_TURN_WAIT`]; waiting longer reads as the pool's own wait
/// (`error::is_busy`): 503 with `Retry-After`.
async fn within_wait(
    wait: impl std::future::Future<
        Output = Result<tokio::sync::OwnedSemaphorePermit, tokio::sync::AcquireError>,
    >,
) -> Result<tokio::sync::OwnedSemaphorePermit, sea_orm::DbErr> {
    match tokio::time::timeout(WRITE_TURN_WAIT, wait).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::ConnectionClosed,
        )),
        Err(_) => Err(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        )),
    }
}

/// The writers of this process on each PostgreSQL database: at most [`POSTGRES_WRITERS`] hold a
/// connection in a writing transaction at once; the others wait here, in order, without one.
static POSTGRES_WRITER_PLACES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Semaphore>>>,
> = std::sync::LazyLock::new(Default::default);

async fn writer_place(
    db: &DatabaseConnection,
    key: &str,
) -> Result<tokio::sync::OwnedSemaphorePermit, sea_orm::DbErr> {
    let places = per_database(&POSTGRES_WRITER_PLACES, key, || {
        // Half the pool at most, for a pool smaller than the default.
        tokio::sync::Semaphore::new(POSTGRES_WRITERS.min(pool_size(db) as usize / 2).max(1))
    });
    within_wait(places.acquire_owned()).await
}

/// How many of this process's writing requests may read at once before their transaction (who
/// is calling: the token or session and its account), per database. With the writing
/// transactions' own share ([`POSTGRES_WRITERS`]; SQLite: one group), the pool keeps
/// connections free for readers even when a burst admits a hundred writing requests at once:
/// a reviewer's page then never waits for a connection behind their sign-in lookups
/// (issue 50, item 4).
const POSTGRES_WRITER_LOOKUPS: usize = 6;
const SQLITE_WRITER_LOOKUPS: usize = 3;

static WRITER_LOOKUP_PLACES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Semaphore>>>,
> = std::sync::LazyLock::new(Default::default);

/// A writing request's place among those reading before their transaction (see
/// [`POSTGRES_WRITER_LOOKUPS`]): held while it reads, dropped before its transaction.
pub async fn writer_lookup_place(
    db: &DatabaseConnection,
) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
    let places = per_database(&WRITER_LOOKUP_PLACES, &database_key(db), || {
        tokio::sync::Semaphore::new(if is_sqlite(db) {
            SQLITE_WRITER_LOOKUPS
        } else {
            // A quarter of the pool at most, for a pool smaller than the default.
            POSTGRES_WRITER_LOOKUPS
                .min(pool_size(db) as usize / 4)
                .max(1)
        })
    });
    within_wait(places.acquire_owned())
        .await
        .map_err(AppError::from)
}

/// Counts a writer among the waiting until it holds the turn or gives up (even cancelled).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

async fn write_turn(
    turns: &std::sync::Arc<Turns>,
    first: bool,
) -> Result<tokio::sync::OwnedSemaphorePermit, sea_orm::DbErr> {
    let _waiting = Waiting::new(&turns.waiting);
    within_wait(async {
        let _gate = if first {
            None
        } else {
            Some(turns.gate.acquire().await?)
        };
        turns.turn.clone().acquire_owned().await
    })
    .await
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, after this
/// process's write turn for the file ([`WRITE_TURNS`]): the write lock is taken before the
/// first read, so two writers never both read and then deadlock trying to upgrade. PostgreSQL
/// ignores the mode and has no turn (its row locks hand over at once).
///
/// Its figures are brought up to date in the transaction, before `COMMIT` (issue 61: whoever
/// wrote reads her write at once, on any instance); only [`begin_deferred`] leaves them to the
/// figures worker.
pub async fn begin(db: &DatabaseConnection) -> Result<Txn, sea_orm::DbErr> {
    begin_turn(db, false, false).await
}

/// [`begin`] for the writes of a burst whose writers read no figures (people enrolling
/// themselves at a cohort's desk): where this process runs a figures worker for the database,
/// [`commit`] leaves the figures to it (issue 50) — they follow within the bound DECISIONS
/// states, and a kept page behind them says «actualizando». Elsewhere the same as [`begin`].
pub async fn begin_deferred(db: &DatabaseConnection) -> Result<Txn, sea_orm::DbErr> {
    begin_turn(db, false, true).await
}

/// [`begin`] for the figures worker: first in line for SQLite's write turn.
pub async fn begin_first(db: &DatabaseConnection) -> Result<Txn, sea_orm::DbErr> {
    begin_turn(db, true, false).await
}

async fn begin_turn(
    db: &DatabaseConnection,
    first: bool,
    deferred: bool,
) -> Result<Txn, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let key = database_key(db);
    let figures_worker = if deferred {
        FIGURES.get().and_then(|figures| (figures.worker)(&key))
    } else {
        None
    };
    if !is_sqlite(db) {
        // The figures worker does not queue behind a burst's writers.
        let writer = if first {
            None
        } else {
            Some(writer_place(db, &key).await?)
        };
        return Ok(Txn {
            inner: Some(db.begin().await?),
            member: None,
            _writer: writer,
            figures_worker,
        });
    }
    let turns = turns_of(&key);
    let turn = write_turn(&turns, first).await?;
    let open = turns
        .group
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let group = match open {
        Some(group) => group,
        None => {
            let outer = db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?;
            let group = std::sync::Arc::new(Group {
                outer: tokio::sync::Mutex::new(Some(outer)),
                opened: std::time::Instant::now(),
                members: Default::default(),
                ended: tokio::sync::watch::Sender::new(None),
            });
            *turns
                .group
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(group.clone());
            group
        }
    };
    group
        .members
        .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    let member = Member { turns, group, turn };
    let savepoint = match member.group.outer.lock().await.as_ref() {
        Some(outer) => outer.begin().await,
        None => Err(sea_orm::DbErr::Custom(
            "la transacción del grupo ya terminó".into(),
        )),
    };
    match savepoint {
        Ok(inner) => Ok(Txn {
            inner: Some(inner),
            member: Some(member),
            _writer: None,
            figures_worker,
        }),
        Err(error) => {
            if let Err(error) = member.leave().await {
                tracing::warn!(%error, "the group of a transaction that wrote nothing did not commit");
            }
            Err(error)
        }
    }
}

/// Runs `work` in a writing transaction of its own ([`begin`]) and commits it ([`commit`]); an
/// error rolls everything back. The one way a page or a command writes (issue 45: a refused form
/// gets this error and is drawn again).
#[allow(
    clippy::disallowed_methods,
    reason = "the one way to write begins and commits here"
)]
pub async fn write<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&Txn) -> crate::error::AppResult<T>,
) -> crate::error::AppResult<T> {
    let txn = begin(db).await?;
    let out = work(&txn).await?;
    commit(txn).await?;
    Ok(out)
}

/// [`write`] begun [`begin_deferred`]: the figures are left to the worker (a cohort's desk).
#[allow(
    clippy::disallowed_methods,
    reason = "the one way to write begins and commits here"
)]
pub async fn write_deferred<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&Txn) -> crate::error::AppResult<T>,
) -> crate::error::AppResult<T> {
    let txn = begin_deferred(db).await?;
    let out = work(&txn).await?;
    commit(txn).await?;
    Ok(out)
}

/// A boxed future borrowing a transaction (what [`Figures::flush`] returns).
pub type TxnFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = crate::error::AppResult<T>> + Send + 'a>>;

/// What the figures model does around a commit. The figures are an area above the kernel
/// (`domain::figures`): it registers these once per process ([`install_figures`], called by
/// `domain::db::connect`), so the kernel keeps the figures in step with every write without
/// importing them.
pub struct Figures {
    /// Brings the figures up to date inside `txn`, before its `COMMIT`; whether anything
    /// changed (the figures' version then moves on).
    pub flush: for<'a> fn(&'a Txn) -> TxnFuture<'a, bool>,
    /// The signal of the figures worker running for the database `key` in this process, if
    /// any: a transaction begun [`begin_deferred`] leaves its figures to it.
    pub worker: fn(&str) -> Option<std::sync::Arc<tokio::sync::Notify>>,
}

static FIGURES: std::sync::OnceLock<Figures> = std::sync::OnceLock::new();

/// Registers the figures model's hooks for this process (the first registration stays).
pub fn install_figures(figures: Figures) {
    if FIGURES.set(figures).is_err() {
        // Already registered by an earlier connection: the same hooks.
    }
}

/// Commits a writing transaction. The figures model follows what it wrote (issue 20): the
/// triggers named the touched cohorts in `figures_dirty`, committed with the write. A
/// transaction begun [`begin_deferred`] where this process runs a figures worker for the
/// database (a cohort's desk in a server, issue 50) only wakes it: the worker recomputes the
/// burst's cohorts together a moment later and moves the figures' version on. Every other one
/// (issue 61: whoever wrote reads her write on her next request, on any instance) brings the
/// figures up to date here, before `COMMIT` (`figures::flush`, with whatever a desk's batches
/// left named), and moves the figures' version and the writes' version on in the same
/// transaction (`instances::bump`: every instance's caches see it; a kept page computed
/// before a write's version is never served again, see `cache::Kept::graceful_when`). Every
/// writing transaction ends here (clippy refuses a bare `commit`).
#[allow(clippy::disallowed_methods)]
pub async fn commit(mut txn: Txn) -> crate::error::AppResult<()> {
    let worker = txn.figures_worker.take();
    if worker.is_none() && flush_figures(&txn).await? {
        crate::instances::bump(&txn, crate::instances::Cached::Writes).await?;
    }
    end(txn).await?;
    if let Some(worker) = worker {
        worker.notify_one();
    }
    Ok(())
}

/// Commits after bringing the figures up to date in the transaction, whatever the database's
/// mode (the figures worker's own transaction).
pub async fn commit_flushed(txn: Txn) -> crate::error::AppResult<bool> {
    let flushed = flush_figures(&txn).await?;
    end(txn).await?;
    Ok(flushed)
}

/// Commits `txn`'s work: on PostgreSQL its `COMMIT`; on SQLite its savepoint released into
/// its group, and the group's `COMMIT` awaited ([`Member::leave`]).
#[allow(clippy::disallowed_methods)]
#[allow(
    clippy::expect_used,
    reason = "open until this call, which consumes it"
)]
async fn end(mut txn: Txn) -> Result<(), sea_orm::DbErr> {
    let inner = txn
        .inner
        .take()
        .expect("a transaction is open until it ends");
    let released = inner.commit().await;
    let ended = match txn.member.take() {
        Some(member) => member.leave().await,
        None => Ok(()),
    };
    released.and(ended)
}

async fn flush_figures(txn: &Txn) -> crate::error::AppResult<bool> {
    let started = std::time::Instant::now();
    let Some(figures) = FIGURES.get() else {
        return Ok(false);
    };
    if (figures.flush)(txn).await? {
        crate::instances::bump(txn, crate::instances::Cached::Figures).await?;
        crate::metrics::FIGURES_FLUSH.observe(started.elapsed());
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "the tests hold transactions open by hand"
)]
mod tests {
    use super::{begin, commit, connect, database_key, sqlite_file, turns_of};
    use sea_orm::{ConnectionTrait, DatabaseConnection};
    use std::sync::atomic::Ordering;

    async fn scratch(name: &str) -> (DatabaseConnection, std::path::PathBuf) {
        let file = std::env::temp_dir().join(format!(
            "aula-group-{name}-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let db = connect(&format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .unwrap();
        super::migrate(&db).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
            .await
            .unwrap();
        (db, file)
    }

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql.to_string(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// The pool holds what `database_connections` says, at least 2, and the engine's default
    /// when it is unset (several instances on one PostgreSQL server stay under its limit).
    #[tokio::test]
    async fn the_pool_holds_what_the_setting_says() {
        for (setting, held) in [(None, 8), (Some(3), 3), (Some(0), 2)] {
            let file =
                std::env::temp_dir().join(format!("aula-pool-{}-{}.db", std::process::id(), held));
            let url = format!("sqlite://{}?mode=rwc", file.display());
            let db = super::connect_with(&url, 1, setting).await.unwrap();
            assert_eq!(super::pool_size(&db), held, "{setting:?}");
            db.close().await.unwrap();
            std::fs::remove_file(&file).ok();
        }
        assert_eq!(super::default_pool_size("postgres://db/aula"), 24);
    }

    /// Issue 50, group commit: 60 writers at once on one SQLite file share commits (fewer
    /// `COMMIT`s than writers); each is answered with its own result — the one that breaks a
    /// rule gets its error, the one that gives up and the one dropped mid-way leave nothing —
    /// and a writer told «committed» finds its row from another connection at once: nothing
    /// is answered before its group's `COMMIT`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_share_commits_and_each_gets_its_own_answer() {
        let (db, file) = scratch("share").await;
        let turns = turns_of(&database_key(&db));
        let before = turns.commits.load(Ordering::Relaxed);
        let mut tasks = Vec::new();
        for i in 0..60i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let txn = begin(&db).await.unwrap();
                // Writer 30 repeats writer 29's value: the unique rule refuses it.
                let x = if i == 30 { 29 } else { i };
                let inserted = txn
                    .execute_unprepared(&format!("INSERT INTO t (x) VALUES ({x})"))
                    .await;
                tokio::task::yield_now().await;
                match (i, inserted) {
                    (_, Err(_)) => return "refused",
                    (40, Ok(_)) => {
                        txn.rollback().await.unwrap();
                        return "gave up";
                    }
                    (50, Ok(_)) => {
                        drop(txn);
                        return "dropped";
                    }
                    (_, Ok(_)) => {}
                }
                commit(txn).await.unwrap();
                // Answered: committed, visible from any connection.
                let seen = count(&db, &format!("SELECT count(*) FROM t WHERE x = {x}")).await;
                assert_eq!(seen, 1, "writer {i} was answered before its commit");
                "committed"
            }));
        }
        let mut answers = std::collections::BTreeMap::new();
        for task in tasks {
            *answers.entry(task.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(answers.get("committed"), Some(&57), "{answers:?}");
        assert_eq!(answers.get("refused"), Some(&1), "{answers:?}");
        assert_eq!(count(&db, "SELECT count(*) FROM t").await, 57);
        assert_eq!(
            count(&db, "SELECT count(*) FROM t WHERE x IN (40, 50)").await,
            0,
            "a writer that gave up or was dropped leaves nothing"
        );
        let commits = turns.commits.load(Ordering::Relaxed) - before;
        assert!(
            commits < 60,
            "writers at once share commits: {commits} commits for 60 writers"
        );
        // The next writer, alone, is answered at once (no group left open behind it).
        let txn = begin(&db).await.unwrap();
        txn.execute_unprepared("INSERT INTO t (x) VALUES (1000)")
            .await
            .unwrap();
        commit(txn).await.unwrap();
        assert_eq!(count(&db, "SELECT count(*) FROM t").await, 58);
        db.close().await.unwrap();
        std::fs::remove_file(file).unwrap();
    }

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
