//! The figures worker (issue 50): the figures leave the write path.
//!
//! A server runs one per database ([`run_until`], started with the app's other background
//! work). While it runs, [`kernel::db::commit`] commits a write without recomputing figures —
//! the cohorts it touched stay named in `figures_dirty`, committed with it — and wakes the
//! worker, which waits a short window (`figures_delay_ms`) so the writes of a burst gather,
//! then recomputes every cohort named in one transaction ([`settle`]: each cohort once,
//! whatever the number of writes that named it) and moves the figures' version on once, so a
//! kept page is recomputed at most once per flush and scope, never once per write.
//!
//! * Several instances: each runs its worker; PostgreSQL's advisory lock in
//!   [`super::flush`] lets one flush at a time, and a flush deletes only the rows it read (by
//!   id), so a write committed while another instance flushes is taken by the next flush.
//! * A crash between a commit and the flush loses nothing: the names are durable and a worker
//!   takes them when it starts; it also looks every [`POLL`] for names nobody woke it for (a
//!   command line beside the server, another instance that stopped).
//! * A process without a worker for a database (the command line, imports, the demo loader,
//!   the tests that do not ask for one) flushes in every writing transaction, as before.

use crate::error::AppResult;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How often a worker looks for names nobody woke it for.
pub const POLL: Duration = Duration::from_secs(5);

/// The workers of this process, per database ([`kernel::db::database_key`]): the signal that
/// wakes them and how many run (two app instances in one process — the tests — share it).
type Registry = HashMap<String, (Arc<Notify>, usize)>;

static WORKERS: LazyLock<Mutex<Registry>> = LazyLock::new(Default::default);

/// The signal of the figures worker running for the database `key` in this process, if any.
pub fn of(key: &str) -> Option<Arc<Notify>> {
    WORKERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(key)
        .map(|(wake, _)| wake.clone())
}

/// The flushes this process's workers made, per database (issue 69): a number that moves on
/// after each flush that changed the figures. The worker announces; whoever keeps something
/// computed from the figures (the web layer's warmed pages) listens ([`flushes`]).
static FLUSHED: LazyLock<Mutex<HashMap<String, tokio::sync::watch::Sender<u64>>>> =
    LazyLock::new(Default::default);

fn flushed(key: &str) -> tokio::sync::watch::Sender<u64> {
    FLUSHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key.to_string())
        .or_insert_with(|| tokio::sync::watch::channel(0).0)
        .clone()
}

/// The flushes of the figures of the database `key` ([`kernel::db::database_key`]) made by
/// this process's worker: the receiver sees the count move on after each flush that changed
/// the figures (several flushes may be seen as one).
pub fn flushes(key: &str) -> tokio::sync::watch::Receiver<u64> {
    flushed(key).subscribe()
}

/// A worker's registration, undone when it stops.
struct Registered(String);

impl Registered {
    fn new(key: String) -> (Registered, Arc<Notify>) {
        let mut workers = WORKERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = workers
            .entry(key.clone())
            .or_insert_with(|| (Arc::new(Notify::new()), 0));
        entry.1 += 1;
        (Registered(key), entry.0.clone())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut workers = WORKERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = workers.get_mut(&self.0) {
            entry.1 -= 1;
            if entry.1 == 0 {
                workers.remove(&self.0);
            }
        }
    }
}

/// Brings the figures up to date with every write committed before the call, now, in one
/// transaction (first in line for SQLite's write turn); moves the figures' version on when
/// anything changed, and says so. What the worker runs after its window, and what a command or
/// a test calls when it needs the figures current at once. Nothing is written — no write lock
/// taken — when nothing is named.
pub async fn settle(db: &DatabaseConnection) -> AppResult<bool> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if crate::entities::figures_dirty::Entity::find()
        .count(db)
        .await?
        == 0
    {
        return Ok(false);
    }
    let txn = kernel::db::begin_first(db).await?;
    kernel::db::commit_flushed(txn).await
}

/// Whether writes wait for the figures worker (names in `figures_dirty` not flushed yet): a
/// page computed from the figures now may be behind them (issue 61, «actualizando»). One read
/// of at most one row.
pub async fn waiting<C: sea_orm::ConnectionTrait>(db: &C) -> AppResult<bool> {
    use sea_orm::{EntityTrait, QuerySelect};
    Ok(crate::entities::figures_dirty::Entity::find()
        .select_only()
        .column(crate::entities::figures_dirty::Column::Id)
        .limit(1)
        .into_tuple::<i32>()
        .one(db)
        .await?
        .is_some())
}

/// Runs this instance's figures worker for `db` until `stop` completes: flushes what is named
/// at start, then after every wake-up (a commit) waits `delay` for the rest of the burst and
/// flushes. With `delay` zero it returns at once and every write flushes its own figures.
pub async fn run_until(
    db: DatabaseConnection,
    delay: Duration,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    if delay.is_zero() {
        return;
    }
    let key = kernel::db::database_key(&db);
    let (_registered, wake) = Registered::new(key.clone());
    let announced = flushed(&key);
    tokio::pin!(stop);
    loop {
        match settle(&db).await {
            Ok(true) => announced.send_modify(|n| *n += 1),
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "figures not brought up to date; will retry"),
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
        // The rest of the burst: its writes are recomputed together.
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}
