//! Periodic work: the session reminders, the follow-up surveys and the surveys' reminders, the
//! release of quota seats and the reminders of unfilled quotas (issue 35), and the figures of
//! any write made outside a transaction (see `figures`). Every app instance
//! runs the loop, but only the holder of the lease [`LEASE`] in `job_leases` does the work
//! (`instances::hold_lease`), renewing it at every pass; when it stops (or dies) another
//! instance takes over once the lease ends. Each job is idempotent besides (keyed outbox rows;
//! recomputing figures twice gives the same figures), so even two holders would do no harm.

use crate::config::AppConfig;
use crate::mail::Notifier;
use crate::templates::Templates;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// The name of the periodic jobs' lease in `job_leases`.
pub const LEASE: &str = "periodic";

/// How long a pass's lease lasts: two periods (the holder renews it every period), at least a
/// minute.
pub fn lease_time(poll_seconds: u64) -> chrono::Duration {
    chrono::Duration::seconds(
        i64::try_from(poll_seconds.saturating_mul(2).max(60)).unwrap_or(i64::MAX / 2),
    )
}

/// Runs the periodic jobs every `jobs_poll_seconds` until `stop` completes (the web layer
/// passes Rocket's shutdown), on the instance `instance` while it holds the lease [`LEASE`],
/// which it gives up when stopped. With `jobs_poll_seconds = 0` it returns at once.
pub async fn run_until(
    db: DatabaseConnection,
    config: AppConfig,
    templates: Templates,
    instance: String,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    if config.jobs_poll_seconds == 0 {
        return;
    }
    let period = Duration::from_secs(config.jobs_poll_seconds);
    let lease = lease_time(config.jobs_poll_seconds);
    let mut holding = false;
    tokio::pin!(stop);
    loop {
        match crate::instances::hold_lease(&db, LEASE, &instance, lease, crate::time::now()).await {
            Ok(held) => {
                if held != holding {
                    if held {
                        tracing::info!(instance, "esta instancia ejecuta los trabajos periódicos");
                    } else {
                        tracing::info!(instance, "otra instancia ejecuta los trabajos periódicos");
                    }
                }
                holding = held;
            }
            Err(error) => {
                tracing::error!(%error, "periodic jobs: lease not taken; will retry");
                holding = false;
            }
        }
        if holding {
            run_once(&db, &config, &templates).await;
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(period) => {}
        }
    }
    if holding && let Err(error) = crate::instances::release_lease(&db, LEASE, &instance).await {
        tracing::warn!(%error, "periodic jobs: lease not released (it ends by itself)");
    }
}

/// One pass of every periodic job; failures are logged and retried at the next pass.
pub async fn run_once(db: &DatabaseConnection, config: &AppConfig, templates: &Templates) {
    let notifier = Notifier { templates, config };
    // First, so what the jobs read from the figures (the plans' closed balances) is current.
    if let Err(error) = crate::figures::settle(db).await {
        tracing::error!(%error, "figures not brought up to date; will retry");
    }
    match crate::enrolment::reminders::queue_due(db, &notifier, crate::time::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(queued = n, "session reminders queued"),
        Err(error) => tracing::error!(%error, "session reminders failed; will retry"),
    }
    match crate::surveys::run_due(db, &notifier, crate::time::now()).await {
        Ok((0, 0)) => {}
        Ok((opened, reminded)) => {
            tracing::info!(
                opened,
                reminded,
                "follow-up surveys opened, reminders queued"
            )
        }
        Err(error) => tracing::error!(%error, "surveys' periodic work failed; will retry"),
    }
    match crate::nominations::release_due_quotas(db, &notifier).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(promoted = n, "quota seats released to the waiting list"),
        Err(error) => tracing::error!(%error, "quota release failed; will retry"),
    }
    match crate::nominations::remind_unfilled_quotas(db, &notifier).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(queued = n, "unfilled-quota reminders queued"),
        Err(error) => tracing::error!(%error, "unfilled-quota reminders failed; will retry"),
    }
    match crate::habeas::retention::run(db, config.retention_years, crate::time::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(anonymised = n, "people past the retention term anonymised"),
        Err(error) => tracing::error!(%error, "retention term not applied; will retry"),
    }
    match crate::cache::trim_shelf(db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "old kept values taken off the shelf"),
        Err(error) => tracing::error!(%error, "the shelf of kept values not trimmed; will retry"),
    }
    if hourly(&OPTIMIZED)
        && let Err(error) = crate::db::optimize(db).await
    {
        tracing::error!(%error, "SQLite's statistics not brought up to date; will retry");
    }
    if hourly(&FROZEN) {
        match crate::plans::progress::freeze_closed(db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(frozen = n, "plan balances of closed periods frozen"),
            Err(error) => tracing::error!(%error, "plan balances not frozen; will retry"),
        }
    }
}

static OPTIMIZED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
static FROZEN: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Whether an hourly job is due, `last` holding when it last ran in this process (the first
/// pass after a start runs it): the planner's statistics, the plans' closed balances.
fn hourly(last: &std::sync::atomic::AtomicI64) -> bool {
    use std::sync::atomic::Ordering;
    let now = crate::time::now().timestamp();
    let previous = last.load(Ordering::Relaxed);
    now - previous >= 3_600
        && last
            .compare_exchange(previous, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}
