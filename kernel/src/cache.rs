//! Values kept per key for a version of what they were computed from (issue 36): the
//! department-wide pages whose rendering costs more than a request may (the reports, the
//! capacity grid, the offer view), the costly API answers and the national rankings.
//!
//! * A value is fresh while the version it was computed for is current and it is younger than
//!   the time to live. A value whose time to live is over while its version is current is
//!   served at once to everyone and recomputed behind the answer (issue 69); a value whose
//!   version moved is still served at once to everyone while *one* request recomputes it
//!   (see the grace below); a key never computed makes the others wait for that one computation
//!   (single flight), never 32 computations of the same thing.
//! * With a grace ([`Kept::recomputed_behind`], issue 50), a stale value computed less than the
//!   grace ago is served at once to the visitor who finds it too: computed less than half the
//!   grace ago, as it is; older, while one background task recomputes it. So while writes keep
//!   moving the figures' version (an enrolment day) nobody waits for a page's computation, a
//!   page is computed at most about every half grace however often the version moves, and it
//!   shows a new version at most the grace (plus its computation) after it moved. A value
//!   older than the grace is recomputed by its visitor, as above: a page nobody read for a while
//!   shows what changed at once. The age is counted from the last moment the value was known
//!   current (computed, or found fresh by a visitor): a page computed long ago and read a
//!   moment before the version moved is as recent as that read, so the first reader after a
//!   burst's first write does not pay its computation. So the computations own what they read
//!   (`'static`).
//! * With a [`Shelf`] (the database's `kept_contents`, [`DbShelf`]), what one process computed
//!   outlives it and is shared: a key missing from memory — the first visits after a start, or
//!   on an instance that has not computed it yet — is looked for on the shelf first, and served
//!   from there (at once when its version is current, recomputed behind the answer when only
//!   its time to live is over; when its version is stale, the waiting visitors get it at once
//!   and the first one recomputes). Before recomputing a stale value, the shelf is
//!   asked whether another instance already computed the current version. What is computed is
//!   put on the shelf in the background, at most every [`SHELVE_EVERY`] per key.
//! * With a bound per group ([`Kept::per_group`]: the kept pages' group is a page for a scope),
//!   no caller can make a store grow by asking for new keys (issue 46): a group holds at most
//!   that many keys in memory — beyond it a new key's value is computed and served but not kept
//!   (an expired key of the group makes room) — and at most that many rows on the shelf (the
//!   oldest of the group go when a new one is put there).
//! * With a time to live of zero nothing is kept (tests).

use crate::entities::kept_content;
use crate::error::AppResult;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often at most a key's value is put on the shelf again: the shelf serves the first
/// visits after a start (as stale as this at worst, and recomputed by one of them) and tells
/// other instances what was computed; writing a page's content on every recomputation under a
/// busy day would only add writes.
pub const SHELVE_EVERY: Duration = Duration::from_secs(30);

/// The most rows the shelf keeps (every kept store of every instance together); the oldest go
/// first, and rows older than [`SHELF_DAYS`] go in any case.
pub const SHELF_ROWS: u64 = 4_000;
/// Days a shelved value is kept without being computed again.
pub const SHELF_DAYS: i64 = 2;

struct Entry<V, S> {
    value: Arc<V>,
    version: S,
    /// When it was last known to be current: computed, or found fresh by a visitor. The
    /// version it was computed for moved on after this, so a stale value's staleness is at most
    /// the time since (what the grace measures).
    current: Instant,
    /// Until when it is fresh (for its version): the time to live after it was computed.
    until: Instant,
    /// When this process last put the key on the shelf.
    shelved: Option<Instant>,
}

/// A value found on the shelf: the version it was computed for and its age.
pub struct Shelved<V, S> {
    pub version: S,
    pub value: V,
    pub age: Duration,
}

/// A bounded group of keys, as [`Shelf::save`] gets it: its name and the most keys it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group<'a> {
    pub name: &'a str,
    pub most: usize,
}

/// Where kept values outlive the process and are shared by instances. Failures are the
/// shelf's to log: a value not found or not shelved only costs a computation.
#[async_trait::async_trait]
pub trait Shelf<K, V, S>: Send + Sync {
    /// The value shelved under `key`; with `only_for`, only if computed for that version.
    async fn load(&self, key: &K, only_for: Option<&S>) -> Option<Shelved<V, S>>;
    /// Puts `value`, computed for `version`, under `key`; with `group`, the group's keys beyond
    /// its most (the oldest first) leave the shelf.
    async fn save(&self, key: &K, version: &S, value: &V, group: Option<Group<'_>>);
}

/// The group of a key in a store bounded per group.
pub type GroupOf<K> = for<'a> fn(&'a K) -> &'a str;

/// Values `V` kept per key `K`, each for the version `S` of what it was computed from (the
/// figures' version, or several versions at once). Cloning shares the store (a background
/// recomputation holds it).
pub struct Kept<K, V, S = u64>(Arc<Store<K, V, S>>);

impl<K, V, S> Clone for Kept<K, V, S> {
    fn clone(&self) -> Self {
        Kept(self.0.clone())
    }
}

/// The ones in flight per key: one computation per key at a time (a key's entry goes when
/// nobody holds it).
type Flights<K> = Arc<Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>>;

struct Store<K, V, S> {
    ttl: Duration,
    /// Most keys a cache holds; the oldest goes first beyond it.
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V, S>>>,
    flights: Flights<K>,
    shelf: Option<Arc<dyn Shelf<K, V, S>>>,
    /// The most keys of one group, and each key's group.
    per_group: Option<(usize, GroupOf<K>)>,
    /// A stale value computed less than this long ago is served while recomputed behind.
    grace: Duration,
    /// Whether the grace covers a move from the first version to the second (issue 61: a
    /// write answered with its figures is read at once; only the figures worker's moves get
    /// the grace). None: every move.
    graceful: Option<fn(&S, &S) -> bool>,
}

/// A key's flight while someone waits for it or holds it: its entry in `flights` goes with
/// the last one.
struct Flight<K: Clone + Eq + Hash> {
    flights: Flights<K>,
    key: K,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl<K: Clone + Eq + Hash> Drop for Flight<K> {
    fn drop(&mut self) {
        let mut flights = self
            .flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The map's and this one: nobody else holds it, and nobody can take it from the map
        // meanwhile (taken under the same lock).
        if Arc::strong_count(&self.lock) <= 2
            && flights
                .get(&self.key)
                .is_some_and(|held| Arc::ptr_eq(held, &self.lock))
        {
            flights.remove(&self.key);
        }
    }
}

enum Found<V> {
    Fresh(Arc<V>),
    /// Computed for the current version, but its time to live is over.
    Expired(Arc<V>),
    /// Computed for another version, stale for `age`; whether the grace covers it.
    Stale(Arc<V>, Duration, bool),
    Missing,
}

impl<K, V, S> Kept<K, V, S>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: Clone + PartialEq + Send + Sync + 'static,
{
    pub fn new(ttl_seconds: u64, capacity: usize) -> Self {
        Self::with(Store {
            ttl: Duration::from_secs(ttl_seconds),
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            flights: Arc::default(),
            shelf: None,
            per_group: None,
            grace: Duration::ZERO,
            graceful: None,
        })
    }

    fn with(store: Store<K, V, S>) -> Self {
        Kept(Arc::new(store))
    }

    /// The store's settings, to build it again with one changed (before it is shared).
    fn rebuilt(self, change: impl FnOnce(&mut Store<K, V, S>)) -> Self {
        match Arc::try_unwrap(self.0) {
            Ok(mut store) => {
                change(&mut store);
                Self::with(store)
            }
            // Shared already: a builder is called where the store is made, never after.
            Err(shared) => Kept(shared),
        }
    }

    /// The same, holding at most `most` keys of each group (`group` says a key's group) in
    /// memory and on the shelf (see the module's comment).
    pub fn per_group(self, most: usize, group: GroupOf<K>) -> Self {
        self.rebuilt(|store| store.per_group = Some((most.max(1), group)))
    }

    /// The same, serving a value computed less than `grace` ago for an older version at once,
    /// recomputed in the background once older than half the grace (see the module's comment).
    pub fn recomputed_behind(self, grace: Duration) -> Self {
        self.rebuilt(|store| store.grace = grace)
    }

    /// The same, the grace covering only the moves `graceful(kept, current)` accepts: a value
    /// kept for a version the predicate refuses is served to nobody — its first visitor
    /// recomputes it and the others wait for that computation, as for a missing one (issue
    /// 61: a version moved by a write that was answered is read at once).
    pub fn graceful_when(self, graceful: fn(&S, &S) -> bool) -> Self {
        self.rebuilt(|store| store.graceful = Some(graceful))
    }

    /// How many keys are kept in memory.
    pub fn len(&self) -> usize {
        self.0.entries().len()
    }

    /// Whether nothing is kept in memory.
    pub fn is_empty(&self) -> bool {
        self.0.entries().is_empty()
    }

    /// How many keys hold a flight (a computation under way or waited for).
    pub fn flights_held(&self) -> usize {
        self.0
            .flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Whether a fresh value of `key` for `version` is kept in memory: what a visitor would be
    /// served without waiting for a computation.
    pub fn holds(&self, key: &K, version: &S) -> bool {
        let now = Instant::now();
        self.0
            .entries()
            .get(key)
            .is_some_and(|e| e.version == *version && now < e.until)
    }

    /// Computes `key`'s value for `version` ahead of its visitors (issue 69: kept pages warmed
    /// at start and after a figures flush), unless a fresh one is kept here or on the shelf.
    /// Under the key's flight, as a visitor's computation: visitors arriving meanwhile get the
    /// kept value as usual, or wait for this one when there is none. Says whether it computed.
    pub async fn warm<F, Fut>(&self, key: K, version: S, compute: F) -> AppResult<bool>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        let store = &self.0;
        if store.ttl.is_zero() {
            return Ok(false);
        }
        let flight = store.flight(&key);
        let _computing = flight.lock.lock().await;
        if self.holds(&key, &version) {
            return Ok(false);
        }
        if let Some(shelf) = &store.shelf
            && let Some(found) = shelf.load(&key, Some(&version)).await
        {
            // Kept at once, even past its time to live: visitors arriving while it is
            // recomputed here are served it rather than wait (its version is current).
            let fresh = found.age < store.ttl;
            store.store(
                key.clone(),
                found.version,
                Arc::new(found.value),
                found.age,
                true,
            );
            if fresh {
                return Ok(false);
            }
        }
        let value = Arc::new(compute().await?);
        store.keep(key, version, value);
        Ok(true)
    }

    /// The same, with values also kept on `shelf` (see the module's comment).
    pub fn shelved(self, shelf: Arc<dyn Shelf<K, V, S>>) -> Self {
        self.rebuilt(|store| store.shelf = Some(shelf))
    }

    /// The value of `key` for `version`: kept, or computed by `compute` (see the module's
    /// comment for who waits and who gets a stale value). `compute` owns what it reads: it
    /// may run after the caller has its answer.
    pub async fn get<F, Fut>(&self, key: K, version: S, compute: F) -> AppResult<Arc<V>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<V>> + Send + 'static,
    {
        Ok(self.get_marked(key, version, compute).await?.0)
    }

    /// [`Kept::get`], and whether the value served was computed for an older version than
    /// `version` (served within the grace, or while another visitor recomputes it): what a
    /// page says «actualizando» for (issue 61).
    pub async fn get_marked<F, Fut>(
        &self,
        key: K,
        version: S,
        compute: F,
    ) -> AppResult<(Arc<V>, bool)>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<V>> + Send + 'static,
    {
        let store = &self.0;
        if store.ttl.is_zero() {
            return Ok((Arc::new(compute().await?), false));
        }
        let flight = store.flight(&key);
        match store.find(&key, &version) {
            Found::Fresh(value) => return Ok((value, false)),
            Found::Expired(value) => {
                // Nothing it was computed from has changed since: served at once to everyone,
                // the first visitor included, and recomputed behind the answer by one of them.
                store.recompute_behind(key, version, value.clone(), flight, compute);
                return Ok((value, false));
            }
            Found::Stale(value, age, true) => {
                if age < store.grace / 2 {
                    // Computed a moment ago: served as it is, recomputed once older.
                    return Ok((value, true));
                }
                // Someone is already recomputing it: serve what is kept.
                let Ok(computing) = flight.lock.clone().try_lock_owned() else {
                    return Ok((value, true));
                };
                if age < store.grace {
                    // Recent enough: served at once, recomputed behind the answer.
                    let (behind, stale) = (store.clone(), value.clone());
                    tokio::spawn(async move {
                        behind.recompute(key, version, stale, compute).await;
                        drop(computing);
                        drop(flight);
                    });
                    return Ok((value, true));
                }
                return Ok(store.recompute(key, version, value, compute).await);
            }
            Found::Stale(value, _, false) => {
                // Behind a write that was answered: nobody is served it; one visitor
                // recomputes and the others wait for that value.
                let _computing = flight.lock.lock().await;
                return Ok(store.recompute(key, version, value, compute).await);
            }
            Found::Missing => {}
        }
        let first = flight.lock.lock().await;
        match store.find(&key, &version) {
            Found::Fresh(value) => return Ok((value, false)),
            Found::Expired(value) => {
                // Taken from the shelf by the visitor ahead: whoever leaves the flight last
                // recomputes it behind the answer.
                drop(first);
                store.recompute_behind(key, version, value.clone(), flight, compute);
                return Ok((value, false));
            }
            Found::Stale(value, _, true) => return Ok((value, true)),
            Found::Stale(..) | Found::Missing => {}
        }
        if let Some(shelf) = &store.shelf
            && let Some(found) = shelf.load(&key, None).await
        {
            let current = found.version == version;
            let fresh = current && found.age < store.ttl;
            let value = Arc::new(found.value);
            store.store(key.clone(), found.version, value.clone(), found.age, true);
            if fresh {
                return Ok((value, false));
            }
            if current {
                // Only its time to live is over: nothing it was computed from has changed
                // since, so this first visitor is served it at once too, and it is recomputed
                // behind the answer (issue 69: after a start, nobody waits for a computation
                // of a value the shelf holds for the current version).
                drop(first);
                store.recompute_behind(key, version, value.clone(), flight, compute);
                return Ok((value, false));
            }
            // Stale: the visitors waiting behind get it at once (when its group had room for
            // it); this first one recomputes once they have gone (the flight is fair, so a
            // later visitor cannot slip in).
            drop(first);
            let _computing = flight.lock.lock().await;
            return Ok(store.recompute(key, version, value, compute).await);
        }
        let value = Arc::new(compute().await?);
        store.keep(key, version, value.clone());
        Ok((value, false))
    }
}

impl<K, V, S> Store<K, V, S>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: Clone + PartialEq + Send + Sync + 'static,
{
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V, S>>> {
        // Plain inserts and removals: a panic elsewhere leaves the map consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn flight(&self, key: &K) -> Flight<K> {
        let lock = self
            .flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        Flight {
            flights: self.flights.clone(),
            key: key.clone(),
            lock,
        }
    }

    fn find(&self, key: &K, version: &S) -> Found<V> {
        let now = Instant::now();
        match self.entries().get_mut(key) {
            None => Found::Missing,
            Some(e) if e.version == *version && now < e.until => {
                e.current = now;
                Found::Fresh(e.value.clone())
            }
            // Only its time to live is over.
            Some(e) if e.version == *version => Found::Expired(e.value.clone()),
            // Its version moved on: stale since the last moment it was known current.
            Some(e) => Found::Stale(
                e.value.clone(),
                e.current.elapsed(),
                self.graceful
                    .is_none_or(|graceful| graceful(&e.version, version)),
            ),
        }
    }

    /// Keeps `value` for `version`, computed `age` ago; says whether it is due on the shelf
    /// (never when it came `from_shelf`, nor when its group is full: then it is not kept).
    fn store(&self, key: K, version: S, value: Arc<V>, age: Duration, from_shelf: bool) -> bool {
        let now = Instant::now();
        let mut entries = self.entries();
        if let Some((most, group)) = self.per_group
            && !entries.contains_key(&key)
        {
            let name = group(&key);
            let mut members = 0;
            let mut expired: Option<(&K, Instant)> = None;
            for (k, e) in entries.iter().filter(|(k, _)| group(k) == name) {
                members += 1;
                if e.until <= now && expired.is_none_or(|(_, until)| e.until < until) {
                    expired = Some((k, e.until));
                }
            }
            if members >= most {
                // Full: only an expired key of the group makes room.
                let Some(expired) = expired.map(|(k, _)| k.clone()) else {
                    return false;
                };
                entries.remove(&expired);
            }
        }
        if entries.len() >= self.capacity
            && !entries.contains_key(&key)
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.until)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        // Taken from the shelf: this process has not shelved it (a recomputation goes there).
        let shelved = if from_shelf {
            None
        } else {
            entries.get(&key).and_then(|e| e.shelved)
        };
        let due = !from_shelf && shelved.is_none_or(|at| at.elapsed() >= SHELVE_EVERY);
        entries.insert(
            key,
            Entry {
                value,
                version,
                current: now.checked_sub(age).unwrap_or(now),
                until: now + self.ttl.saturating_sub(age),
                shelved: if due { Some(now) } else { shelved },
            },
        );
        due
    }

    /// Keeps a freshly computed `value` and, when due, puts it on the shelf in the background.
    fn keep(&self, key: K, version: S, value: Arc<V>) {
        let due = self.store(
            key.clone(),
            version.clone(),
            value.clone(),
            Duration::ZERO,
            false,
        );
        if let Some(shelf) = self.shelf.clone().filter(|_| due) {
            let per_group = self.per_group;
            tokio::spawn(async move {
                let group = per_group.map(|(most, group)| Group {
                    name: group(&key),
                    most,
                });
                shelf.save(&key, &version, &value, group).await
            });
        }
    }

    /// Recomputes `key`'s value in the background unless someone is computing it already;
    /// the flight is held until the new value is kept.
    fn recompute_behind<F, Fut>(
        self: &Arc<Self>,
        key: K,
        version: S,
        stale: Arc<V>,
        flight: Flight<K>,
        compute: F,
    ) where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<V>> + Send + 'static,
    {
        let Ok(computing) = flight.lock.clone().try_lock_owned() else {
            return;
        };
        let behind = self.clone();
        tokio::spawn(async move {
            behind.recompute(key, version, stale, compute).await;
            drop(computing);
            drop(flight);
        });
    }

    /// Computes the value anew for a key that has a stale one, which is served if the
    /// computation fails. Called holding the key's flight.
    async fn recompute<F, Fut>(
        &self,
        key: K,
        version: S,
        stale: Arc<V>,
        compute: F,
    ) -> (Arc<V>, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        if let Found::Fresh(value) = self.find(&key, &version) {
            return (value, false);
        }
        // Another instance may have computed this version already.
        if let Some(shelf) = &self.shelf
            && let Some(found) = shelf.load(&key, Some(&version)).await
            && found.age < self.ttl
        {
            let value = Arc::new(found.value);
            self.store(key, found.version, value.clone(), found.age, true);
            return (value, false);
        }
        match compute().await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                self.keep(key, version, fresh.clone());
                (fresh, false)
            }
            Err(error) => {
                tracing::warn!(%error, "recomputing a kept value failed; serving the last one");
                (stale, true)
            }
        }
    }
}

/// The database's `kept_contents` as a [`Shelf`]: values and versions as JSON, keys prefixed by
/// what is kept (`what`), so the stores of one app share the table without meeting. A store
/// bounded per group keeps pairs whose first member is the group (`["<group>", …]` as JSON),
/// so the rows of a group are those whose key starts with it.
#[derive(Clone)]
pub struct DbShelf {
    db: DatabaseConnection,
    what: &'static str,
}

impl DbShelf {
    pub fn new(db: DatabaseConnection, what: &'static str) -> Self {
        DbShelf { db, what }
    }

    fn key<K: Serialize>(&self, key: &K) -> Option<String> {
        serde_json::to_string(key)
            .ok()
            .map(|k| format!("{}|{k}", self.what))
    }
}

#[async_trait::async_trait]
impl<K, V, S> Shelf<K, V, S> for DbShelf
where
    K: Serialize + Sync,
    V: Serialize + DeserializeOwned + Sync,
    S: Serialize + DeserializeOwned + Sync,
{
    async fn load(&self, key: &K, only_for: Option<&S>) -> Option<Shelved<V, S>> {
        let mut query = kept_content::Entity::find_by_id(self.key(key)?);
        if let Some(version) = only_for {
            query = query
                .filter(kept_content::Column::Version.eq(serde_json::to_string(version).ok()?));
        }
        let row = match query.one(&self.db).await {
            Ok(row) => row?,
            Err(error) => {
                tracing::warn!(%error, what = self.what, "kept value not read from the shelf");
                return None;
            }
        };
        let (Ok(version), Ok(value)) = (
            serde_json::from_str(&row.version),
            serde_json::from_str(&row.content),
        ) else {
            // Written by another build of the app: computed again.
            return None;
        };
        let age = (crate::time::now() - row.computed_at)
            .to_std()
            .unwrap_or_default();
        Some(Shelved {
            version,
            value,
            age,
        })
    }

    async fn save(&self, key: &K, version: &S, value: &V, group: Option<Group<'_>>) {
        let (Some(key), Ok(version), Ok(content)) = (
            self.key(key),
            serde_json::to_string(version),
            serde_json::to_string(value),
        ) else {
            return;
        };
        let bound = match group {
            Some(group) => match serde_json::to_string(group.name) {
                Ok(name) => {
                    let prefix = format!("{}|[{name},", self.what);
                    if !key.starts_with(&prefix) {
                        tracing::warn!(
                            what = self.what,
                            "a grouped key is not a pair: not shelved"
                        );
                        return;
                    }
                    Some((prefix, group.most))
                }
                Err(_) => return,
            },
            None => None,
        };
        if let Err(error) = save(&self.db, key, version, content, bound).await {
            tracing::warn!(%error, what = self.what, "kept value not put on the shelf");
        }
    }
}

async fn save(
    db: &DatabaseConnection,
    key: String,
    version: String,
    content: String,
    bound: Option<(String, usize)>,
) -> AppResult<()> {
    // A write like any other: on SQLite it takes the process's write turn.
    crate::db::write(db, async |txn| {
        if let Some((prefix, most)) = bound {
            // The group's other rows beyond `most - 1` (the oldest) make room for this one. LIKE
            // narrows them down (on SQLite it ignores ASCII case); the prefix decides.
            let escaped = prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let mut rows: Vec<(String, chrono::DateTime<chrono::Utc>)> =
                kept_content::Entity::find()
                    .select_only()
                    .column(kept_content::Column::Key)
                    .column(kept_content::Column::ComputedAt)
                    .filter(kept_content::Column::Key.like(
                        sea_orm::sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\'),
                    ))
                    .into_tuple()
                    .all(txn)
                    .await?;
            rows.retain(|(k, _)| k.starts_with(&prefix) && *k != key);
            if rows.len() >= most {
                rows.sort_by_key(|row| std::cmp::Reverse(row.1));
                let gone: Vec<String> = rows
                    .drain(most.saturating_sub(1)..)
                    .map(|(k, _)| k)
                    .collect();
                for chunk in gone.chunks(500) {
                    kept_content::Entity::delete_many()
                        .filter(kept_content::Column::Key.is_in(chunk.iter().cloned()))
                        .exec(txn)
                        .await?;
                }
            }
        }
        kept_content::Entity::insert(kept_content::ActiveModel {
            key: Set(key),
            version: Set(version),
            content: Set(content),
            computed_at: Set(crate::time::now()),
        })
        .on_conflict(
            OnConflict::column(kept_content::Column::Key)
                .update_columns([
                    kept_content::Column::Version,
                    kept_content::Column::Content,
                    kept_content::Column::ComputedAt,
                ])
                .to_owned(),
        )
        .exec(txn)
        .await?;
        Ok(())
    })
    .await
}

/// Keeps the shelf bounded (a periodic job): rows older than [`SHELF_DAYS`] go, and beyond
/// [`SHELF_ROWS`] the oldest. Says how many went.
pub async fn trim_shelf(db: &DatabaseConnection) -> AppResult<u64> {
    let mut cutoff = crate::time::now() - chrono::Duration::days(SHELF_DAYS);
    let beyond: Option<chrono::DateTime<chrono::Utc>> = kept_content::Entity::find()
        .select_only()
        .column(kept_content::Column::ComputedAt)
        .order_by_desc(kept_content::Column::ComputedAt)
        .offset(SHELF_ROWS)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(beyond) = beyond {
        cutoff = cutoff.max(beyond + chrono::Duration::microseconds(1));
    }
    crate::db::write(db, async |txn| {
        Ok(kept_content::Entity::delete_many()
            .filter(kept_content::Column::ComputedAt.lt(cutoff))
            .exec(txn)
            .await?
            .rows_affected)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_warmed_key_is_held_and_its_first_visitors_compute_nothing() {
        let kept: Kept<&str, usize> = Kept::new(60, 10);
        assert!(!kept.holds(&"nacional", &1));
        assert!(kept.warm("nacional", 1, || async { Ok(7) }).await.unwrap());
        assert!(kept.holds(&"nacional", &1));
        // Fresh already: warming again computes nothing.
        assert!(!kept.warm("nacional", 1, || async { Ok(8) }).await.unwrap());
        let computed = Arc::new(AtomicUsize::new(0));
        let visits = futures_join(32, || {
            let (kept, computed) = (kept.clone(), computed.clone());
            tokio::spawn(async move {
                kept.get("nacional", 1, move || async move {
                    Ok(computed.fetch_add(1, Ordering::SeqCst) + 100)
                })
                .await
                .map(|v| *v)
            })
        })
        .await;
        assert_eq!(computed.load(Ordering::SeqCst), 0, "nobody computed");
        assert!(visits.iter().all(|v| *v == 7));
        // A new version is not held until warmed again.
        assert!(!kept.holds(&"nacional", &2));
        assert!(kept.warm("nacional", 2, || async { Ok(9) }).await.unwrap());
        assert!(kept.holds(&"nacional", &2));
        // Nothing is kept with a time to live of zero: warming does nothing.
        let off: Kept<&str, usize> = Kept::new(0, 10);
        assert!(!off.warm("nacional", 1, || async { Ok(1) }).await.unwrap());
        assert!(!off.holds(&"nacional", &1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_first_visits_compute_once_and_a_new_version_is_computed_by_one() {
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(60, 10));
        let computed = Arc::new(AtomicUsize::new(0));
        let visit = |version: u64| {
            let (kept, computed) = (kept.clone(), computed.clone());
            tokio::spawn(async move {
                kept.get("antioquia", version, move || async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(computed.fetch_add(1, Ordering::SeqCst) + 1)
                })
                .await
                .map(|v| *v)
            })
        };
        let first: Vec<usize> = futures_join(32, || visit(1)).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1, "one computation");
        assert!(first.iter().all(|v| *v == 1));
        // The figures change: one visit recomputes, the others get the kept value at once.
        let second: Vec<usize> = futures_join(32, || visit(2)).await;
        assert_eq!(computed.load(Ordering::SeqCst), 2, "one recomputation");
        assert!(second.iter().all(|v| *v == 1 || *v == 2));
        assert!(second.contains(&2));
        // Fresh again for version 2.
        assert_eq!(
            *kept.get("antioquia", 2, || async { Ok(99) }).await.unwrap(),
            2
        );
    }

    #[tokio::test]
    async fn nothing_is_kept_without_a_time_to_live_and_the_oldest_key_leaves_first() {
        let none: Kept<u8, u8> = Kept::new(0, 10);
        assert_eq!(*none.get(1, 1, || async { Ok(1) }).await.unwrap(), 1);
        assert_eq!(*none.get(1, 1, || async { Ok(2) }).await.unwrap(), 2);
        let small: Kept<u8, u8> = Kept::new(60, 2);
        for key in 1..=3 {
            small
                .get(key, 1, move || async move { Ok(key) })
                .await
                .unwrap();
        }
        assert_eq!(small.len(), 2);
        assert!(!small.0.entries().contains_key(&1));
    }

    fn first_of<'a>(key: &'a (&'static str, u32)) -> &'a str {
        key.0
    }

    /// Issue 46: a group holds at most its bound; a key beyond it is computed (and served) on
    /// every visit but not kept, other groups keep theirs, an expired key of the group makes
    /// room, and no flight outlives its visitors.
    #[tokio::test]
    async fn a_full_group_computes_new_keys_without_keeping_them() {
        let kept: Kept<(&'static str, u32), u32> = Kept::new(1, 100).per_group(3, first_of);
        for n in 0..10 {
            let value = kept
                .get(("a", n), 1, move || async move { Ok(n) })
                .await
                .unwrap();
            assert_eq!(*value, n);
        }
        assert_eq!(kept.len(), 3, "three keys of the group");
        assert_eq!(
            *kept.get(("a", 0), 1, || async { Ok(99) }).await.unwrap(),
            0
        );
        assert_eq!(
            *kept.get(("a", 7), 1, || async { Ok(99) }).await.unwrap(),
            99,
            "computed, not kept"
        );
        kept.get(("b", 0), 1, || async { Ok(5) }).await.unwrap();
        assert_eq!(kept.len(), 4, "another group has its own room");
        assert_eq!(kept.flights_held(), 0, "no flight left behind");
        // Once a key of the group has expired, a new one takes its place.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        kept.get(("a", 8), 1, || async { Ok(8) }).await.unwrap();
        assert_eq!(kept.len(), 4);
        assert_eq!(
            *kept.get(("a", 8), 1, || async { Ok(99) }).await.unwrap(),
            8
        );
    }

    /// A shelf in memory: what another process left, and what this one puts there.
    #[derive(Default)]
    struct MemoryShelf {
        rows: Mutex<HashMap<&'static str, (u64, usize, Instant)>>,
        saves: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Shelf<&'static str, usize, u64> for MemoryShelf {
        async fn load(
            &self,
            key: &&'static str,
            only_for: Option<&u64>,
        ) -> Option<Shelved<usize, u64>> {
            let rows = self.rows.lock().unwrap();
            let (version, value, at) = rows.get(key)?;
            if only_for.is_some_and(|v| v != version) {
                return None;
            }
            Some(Shelved {
                version: *version,
                value: *value,
                age: at.elapsed(),
            })
        }

        async fn save(
            &self,
            key: &&'static str,
            version: &u64,
            value: &usize,
            _group: Option<Group<'_>>,
        ) {
            self.saves.fetch_add(1, Ordering::SeqCst);
            self.rows
                .lock()
                .unwrap()
                .insert(key, (*version, *value, Instant::now()));
        }
    }

    fn shelf_with(version: u64, value: usize) -> Arc<MemoryShelf> {
        let shelf = Arc::new(MemoryShelf::default());
        shelf
            .rows
            .lock()
            .unwrap()
            .insert("antioquia", (version, value, Instant::now()));
        shelf
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn after_a_start_the_first_visits_are_served_from_the_shelf_without_computing() {
        let shelf = shelf_with(1, 7);
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(60, 10).shelved(shelf.clone()));
        let computed = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let (kept, computed) = (kept.clone(), computed.clone());
                tokio::spawn(async move {
                    kept.get("antioquia", 1, move || async move {
                        computed.fetch_add(1, Ordering::SeqCst);
                        Ok(99)
                    })
                    .await
                    .map(|v| *v)
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.await.unwrap().unwrap(), 7, "the shelved value");
        }
        assert_eq!(computed.load(Ordering::SeqCst), 0, "nothing computed");
        assert_eq!(
            shelf.saves.load(Ordering::SeqCst),
            0,
            "nothing written back"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_shelved_value_past_its_time_for_the_current_version_makes_nobody_wait() {
        // Shelved for version 1 more than the time to live (1 s) ago; version 1 is current.
        let shelf = shelf_with(1, 7);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(1, 10).shelved(shelf.clone()));
        nobody_waits_while_it_is_recomputed_behind(kept).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_kept_value_past_its_time_for_the_current_version_makes_nobody_wait() {
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(1, 10));
        kept.get("antioquia", 1, || async { Ok(7) }).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        nobody_waits_while_it_is_recomputed_behind(kept).await;
    }

    /// 32 visitors of a value kept for the current version past its time to live: every one
    /// is answered the kept 7 while its recomputation waits, and it is recomputed once behind.
    async fn nobody_waits_while_it_is_recomputed_behind(kept: Arc<Kept<&'static str, usize>>) {
        let computed = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let (done, mut answers) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..32 {
            let (kept, computed, release, done) = (
                kept.clone(),
                computed.clone(),
                release.clone(),
                done.clone(),
            );
            tokio::spawn(async move {
                let value = kept
                    .get("antioquia", 1, move || async move {
                        release.notified().await;
                        Ok(computed.fetch_add(1, Ordering::SeqCst) + 100)
                    })
                    .await
                    .map(|v| *v)
                    .unwrap();
                done.send(value).unwrap();
            });
        }
        // Every one of the 32 answers, the first included, while the recomputation waits.
        for _ in 0..32 {
            let value = tokio::time::timeout(Duration::from_secs(10), answers.recv())
                .await
                .expect("every visitor answered while the computation was under way");
            assert_eq!(value, Some(7));
        }
        release.notify_one();
        let mut after = 7;
        for _ in 0..100 {
            after = *kept.get("antioquia", 1, || async { Ok(99) }).await.unwrap();
            if after != 7 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(after, 100, "the value recomputed behind is kept");
        assert_eq!(computed.load(Ordering::SeqCst), 1, "recomputed once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_stale_shelved_value_is_served_at_once_while_the_first_visitor_recomputes() {
        let shelf = shelf_with(1, 7);
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(60, 10).shelved(shelf.clone()));
        let computed = Arc::new(AtomicUsize::new(0));
        // The computation ends only when the test says so: if the other visitors waited
        // for it, they would never answer.
        let release = Arc::new(tokio::sync::Notify::new());
        let (done, mut answers) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..32 {
            let (kept, computed, release, done) = (
                kept.clone(),
                computed.clone(),
                release.clone(),
                done.clone(),
            );
            tokio::spawn(async move {
                let value = kept
                    .get("antioquia", 2, move || async move {
                        release.notified().await;
                        Ok(computed.fetch_add(1, Ordering::SeqCst) + 100)
                    })
                    .await
                    .map(|v| *v)
                    .unwrap();
                done.send(value).unwrap();
            });
        }
        // At least 30 answer while the computation is under way (31 as a rule; 30 when a
        // visitor takes the recomputation in the instant the first hands the flight over, and
        // the first then waits for it).
        let mut first = Vec::new();
        for _ in 0..30 {
            let value = tokio::time::timeout(Duration::from_secs(10), answers.recv())
                .await
                .expect("the visitors answered while the computation was under way");
            first.push(value.unwrap());
        }
        assert!(first.iter().all(|v| *v == 7), "the stale value: {first:?}");
        release.notify_one();
        let mut rest = Vec::new();
        for _ in 0..2 {
            let value = tokio::time::timeout(Duration::from_secs(10), answers.recv())
                .await
                .unwrap()
                .unwrap();
            rest.push(value);
        }
        assert!(rest.contains(&100), "the recomputed value: {rest:?}");
        assert!(rest.iter().all(|v| *v == 7 || *v == 100));
        assert_eq!(computed.load(Ordering::SeqCst), 1, "computed once");
        // Put on the shelf in the background, once.
        for _ in 0..100 {
            if shelf.saves.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(shelf.rows.lock().unwrap()["antioquia"].0, 2);
        assert_eq!(shelf.rows.lock().unwrap()["antioquia"].1, 100);
        // Computed again soon after (a new version): kept, not shelved again yet.
        let again = kept
            .get("antioquia", 3, || async { Ok(200) })
            .await
            .unwrap();
        assert_eq!(*again, 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            shelf.saves.load(Ordering::SeqCst),
            1,
            "at most every SHELVE_EVERY"
        );
    }

    #[tokio::test]
    async fn a_stale_value_is_taken_from_the_shelf_when_another_instance_computed_it() {
        let shelf = shelf_with(1, 7);
        let kept: Kept<&str, usize> = Kept::new(60, 10).shelved(shelf.clone());
        assert_eq!(
            *kept.get("antioquia", 1, || async { Ok(99) }).await.unwrap(),
            7
        );
        // Another instance computes version 2 and shelves it.
        shelf.save(&"antioquia", &2, &8, None).await;
        let value = kept
            .get("antioquia", 2, || async {
                panic!("not computed: the shelf has it")
            })
            .await
            .unwrap();
        assert_eq!(*value, 8);
        // A shelved value too old for the time to live, for the current version, is computed
        // anew behind its first visitor's answer (issue 69: she does not wait for it).
        let aged = shelf_with(1, 7);
        aged.rows.lock().unwrap().get_mut("antioquia").unwrap().2 =
            Instant::now() - Duration::from_secs(120);
        let old: Kept<&str, usize> = Kept::new(60, 10).shelved(aged);
        let first = old.get("antioquia", 1, || async { Ok(5) }).await.unwrap();
        assert_eq!(*first, 7, "served at once");
        let mut later = 7;
        for _ in 0..100 {
            later = *old.get("antioquia", 1, || async { Ok(6) }).await.unwrap();
            if later != 7 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(later, 5, "recomputed behind the first answer, once");
    }

    /// Issue 50: within the grace a stale value is served to the visitor who finds it too —
    /// as it is for half the grace, then recomputed behind the answer (once, whatever the
    /// visitors); past the grace the visitor waits for the new value, as without one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn within_the_grace_a_stale_value_is_served_at_once_and_recomputed_behind() {
        let kept: Kept<&str, usize> =
            Kept::new(60, 10).recomputed_behind(Duration::from_millis(300));
        assert_eq!(*kept.get("home", 1, || async { Ok(1) }).await.unwrap(), 1);
        // Computed a moment ago: served as it is, not recomputed.
        assert_eq!(
            *kept
                .get("home", 2, || async { panic!("not recomputed yet") })
                .await
                .unwrap(),
            1
        );
        tokio::time::sleep(Duration::from_millis(160)).await;
        let computed = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        for _ in 0..5 {
            let (computed, release) = (computed.clone(), release.clone());
            let served = tokio::time::timeout(
                Duration::from_secs(5),
                kept.get("home", 2, move || async move {
                    release.notified().await;
                    computed.fetch_add(1, Ordering::SeqCst);
                    Ok(2)
                }),
            )
            .await
            .expect("nobody waits for the computation")
            .unwrap();
            assert_eq!(*served, 1, "the last value, at once");
        }
        release.notify_one();
        let mut now = 0;
        for _ in 0..200 {
            now = *kept.get("home", 2, || async { Ok(99) }).await.unwrap();
            if now == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(now, 2, "recomputed behind the answers");
        assert_eq!(computed.load(Ordering::SeqCst), 1, "once");
        assert_eq!(kept.flights_held(), 0, "no flight left behind");
        // Past the grace, the visitor who finds it stale has the new value.
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(*kept.get("home", 3, || async { Ok(3) }).await.unwrap(), 3);
    }

    /// Fails when the grace counts from the computation: the first visitor after the version
    /// moved would wait for the page computed long ago, though it was read a moment before.
    #[tokio::test]
    async fn the_grace_counts_from_the_last_moment_a_value_was_known_current() {
        let kept: Kept<&str, usize> =
            Kept::new(60, 10).recomputed_behind(Duration::from_millis(300));
        assert_eq!(*kept.get("home", 1, || async { Ok(1) }).await.unwrap(), 1);
        // Computed long ago (beyond the grace) but read, fresh, all along.
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(60)).await;
            assert_eq!(
                *kept
                    .get("home", 1, || async { panic!("fresh") })
                    .await
                    .unwrap(),
                1
            );
        }
        // The version moves: served at once, as it is (known current a moment ago).
        assert_eq!(
            *kept
                .get("home", 2, || async { panic!("not recomputed yet") })
                .await
                .unwrap(),
            1
        );
        // Past the grace since it was last known current, its visitor has the new value.
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(*kept.get("home", 2, || async { Ok(2) }).await.unwrap(), 2);
    }

    async fn futures_join<F>(n: usize, start: F) -> Vec<usize>
    where
        F: Fn() -> tokio::task::JoinHandle<AppResult<usize>>,
    {
        let handles: Vec<_> = (0..n).map(|_| start()).collect();
        let mut out = Vec::with_capacity(n);
        for handle in handles {
            out.push(handle.await.unwrap().unwrap());
        }
        out
    }
}
