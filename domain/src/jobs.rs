//! Periodic work every app instance runs: today, the session reminders. Each job is
//! idempotent (keyed outbox rows), so several instances running it do no harm.

use crate::config::AppConfig;
use crate::mail::Notifier;
use crate::templates::Templates;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// Runs the periodic jobs every `jobs_poll_seconds` until `stop` completes (the web layer
/// passes Rocket's shutdown). With `jobs_poll_seconds = 0` it returns at once.
pub async fn run_until(
    db: DatabaseConnection,
    config: AppConfig,
    templates: Templates,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    if config.jobs_poll_seconds == 0 {
        return;
    }
    let period = Duration::from_secs(config.jobs_poll_seconds);
    tokio::pin!(stop);
    loop {
        let notifier = Notifier {
            templates: &templates,
            config: &config,
        };
        match crate::enrolment::reminders::queue_due(&db, &notifier, crate::time::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(queued = n, "session reminders queued"),
            Err(error) => tracing::error!(%error, "session reminders failed; will retry"),
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(period) => {}
        }
    }
}
