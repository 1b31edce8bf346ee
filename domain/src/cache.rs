//! Values kept per key for a version of the figures they were computed from (issue 36): the
//! department-wide pages whose rendering costs more than a request may (the reports, the
//! capacity grid, the offer view). A value is fresh while the figures' version it was computed
//! for is current and it is younger than the time to live. A stale value is still served at
//! once to everyone while *one* request recomputes it; a key never computed makes the others
//! wait for that one computation (single flight), never 32 computations of the same thing.
//! With a time to live of zero nothing is kept (tests).

use crate::error::AppResult;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Entry<V, S> {
    value: Arc<V>,
    version: S,
    at: Instant,
}

/// Values `V` kept per key `K`, each for the version `S` of what it was computed from (the
/// figures' version, or several versions at once).
pub struct Kept<K, V, S = u64> {
    ttl: Duration,
    /// Most keys a cache holds; the oldest goes first beyond it.
    capacity: usize,
    entries: Mutex<HashMap<K, Entry<V, S>>>,
    /// One computation per key at a time.
    flights: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

enum Found<V> {
    Fresh(Arc<V>),
    Stale(Arc<V>),
    Missing,
}

impl<K: Clone + Eq + Hash, V, S: Clone + PartialEq> Kept<K, V, S> {
    pub fn new(ttl_seconds: u64, capacity: usize) -> Self {
        Kept {
            ttl: Duration::from_secs(ttl_seconds),
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V, S>>> {
        // Plain inserts and removals: a panic elsewhere leaves the map consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn flight(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        self.flights
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(key.clone())
            .or_default()
            .clone()
    }

    fn find(&self, key: &K, version: &S) -> Found<V> {
        match self.entries().get(key) {
            None => Found::Missing,
            Some(e) if e.version == *version && e.at.elapsed() < self.ttl => {
                Found::Fresh(e.value.clone())
            }
            Some(e) => Found::Stale(e.value.clone()),
        }
    }

    fn store(&self, key: K, version: S, value: Arc<V>) {
        let mut entries = self.entries();
        if entries.len() >= self.capacity
            && !entries.contains_key(&key)
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            key,
            Entry {
                value,
                version,
                at: Instant::now(),
            },
        );
    }

    /// The value of `key` for the figures' `version`: kept, or computed by `compute` (see the
    /// module's comment for who waits and who gets a stale value).
    pub async fn get<F, Fut>(&self, key: K, version: S, compute: F) -> AppResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>>,
    {
        if self.ttl.is_zero() {
            return Ok(Arc::new(compute().await?));
        }
        let flight = self.flight(&key);
        match self.find(&key, &version) {
            Found::Fresh(value) => return Ok(value),
            Found::Stale(value) => {
                // Someone is already recomputing it: serve what is kept.
                let Ok(_computing) = flight.try_lock() else {
                    return Ok(value);
                };
                if let Found::Fresh(value) = self.find(&key, &version) {
                    return Ok(value);
                }
                return match compute().await {
                    Ok(fresh) => {
                        let fresh = Arc::new(fresh);
                        self.store(key, version, fresh.clone());
                        Ok(fresh)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "recomputing a kept page failed; serving the last one");
                        Ok(value)
                    }
                };
            }
            Found::Missing => {}
        }
        let _computing = flight.lock().await;
        if let Found::Fresh(value) | Found::Stale(value) = self.find(&key, &version) {
            return Ok(value);
        }
        let value = Arc::new(compute().await?);
        self.store(key, version, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_first_visits_compute_once_and_a_new_version_is_computed_by_one() {
        let kept: Arc<Kept<&str, usize>> = Arc::new(Kept::new(60, 10));
        let computed = Arc::new(AtomicUsize::new(0));
        let visit = |version: u64| {
            let (kept, computed) = (kept.clone(), computed.clone());
            tokio::spawn(async move {
                kept.get("antioquia", version, || async {
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
            small.get(key, 1, || async move { Ok(key) }).await.unwrap();
        }
        assert_eq!(small.entries().len(), 2);
        assert!(!small.entries().contains_key(&1));
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
