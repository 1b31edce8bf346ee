//! CPU work off the async executor: argon2 hashes, certificate PDFs, workbooks, spreadsheet
//! parsing.
//!
//! Requests are served by a few executor threads (one per core). A 50 ms password hash or a
//! workbook that takes seconds to build, run on one of them, keeps every request that thread
//! holds waiting — the health check included. [`run`] moves such a job to tokio's blocking
//! threads (the way vaultwarden's `run_blocking` does) and waits for it without holding an
//! executor thread.
//!
//! At most one job per core runs at once; the others wait their turn in order, as a future,
//! without a thread. That is the bound the executor imposed before (it ran as many of them as it
//! has threads), so the change frees the executor without letting memory grow: an argon2 hash
//! takes 19 MiB, and a burst of sign-ins must not turn into a burst of threads.
//!
//! Never call it with a write transaction open: the database would stay locked for the whole
//! job. Do the work first, then `BEGIN` (see `docs/DECISIONS.md`, "CPU work off the executor").

use crate::error::{AppError, AppResult};
use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// One turn per core.
static TURNS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    Arc::new(Semaphore::new(cores))
});

/// Runs `job` on a blocking thread when a turn is free, and gives back its result. A panic in
/// the job is resumed here, as if the job had run inline. If the caller stops waiting (its
/// request was dropped), the job still finishes, and keeps its turn until it does.
pub async fn run<T, F>(job: F) -> AppResult<T>
where
    F: FnOnce() -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let turn = Arc::clone(&TURNS)
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal("el turno de trabajo no está disponible".into()))?;
    let shift = crate::time::shift();
    let joined = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let result = crate::time::shifted(shift, job);
        if started.elapsed() >= LARGE_JOB {
            // A workbook or a big upload: give what it freed back to the system now, so the
            // process returns to its steady size instead of keeping its peak.
            release_memory();
        }
        drop(turn);
        result
    })
    .await;
    match joined {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(AppError::Internal(format!(
            "el trabajo en segundo plano no terminó: {error}"
        ))),
    }
}

/// Jobs at least this long are large (workbooks, uploads, PDFs in bulk): after one, freed
/// memory is handed back to the system.
const LARGE_JOB: std::time::Duration = std::time::Duration::from_millis(100);

/// Allocator settings for a long-running server (glibc; nothing elsewhere), called once at
/// start. glibc's threshold for mapping big blocks rises after the first big one is freed, so
/// argon2's 19 MiB and a workbook's buffers end up inside the heaps and the process keeps its
/// peak. A fixed threshold (blocks ≥ 4 MiB are always mapped, and given back when freed) and
/// freed heap tops returned beyond 8 MiB keep memory near its steady level; large jobs also
/// trim the heaps when they end ([`release_memory`]). The number of heaps is left alone:
/// limiting it to two made every page ≈ 30 % slower (threads waiting for a heap's lock).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator parameters; called at start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 8 << 20);
    }
}

/// Hands memory freed by a large job back to the system (glibc; nothing elsewhere).
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_calling_thread_and_give_back_their_result() {
        let caller = std::thread::current().id();
        let (value, thread) = run(|| Ok((6 * 7, std::thread::current().id())))
            .await
            .unwrap();
        assert_eq!(value, 42);
        assert_ne!(thread, caller);
        let refused: AppResult<()> = run(|| Err(AppError::Conflict("no".into()))).await;
        assert!(matches!(refused, Err(AppError::Conflict(m)) if m == "no"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_more_jobs_run_at_once_than_there_are_cores() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut jobs = tokio::task::JoinSet::new();
        for _ in 0..cores * 3 {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            jobs.spawn(run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }));
        }
        while let Some(done) = jobs.join_next().await {
            done.unwrap().unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(
            (1..=cores).contains(&most),
            "{most} jobs at once on {cores} cores"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_a_job_reaches_the_caller_as_it_was() {
        struct Marker;
        let caller = tokio::spawn(run(|| -> AppResult<()> { std::panic::panic_any(Marker) }));
        let payload = caller.await.unwrap_err().into_panic();
        assert!(payload.downcast_ref::<Marker>().is_some());
    }
}
