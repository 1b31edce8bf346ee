//! Periodic work every app instance runs: the session reminders, the follow-up surveys and
//! the surveys' reminders, the release of quota seats and the reminders of unfilled quotas
//! (issue 35), and the figures of any write
//! made outside a transaction (see `figures`). Each job is idempotent (keyed outbox rows;
//! recomputing figures twice gives the same figures), so several instances do no harm.

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
        match crate::surveys::run_due(&db, &notifier, crate::time::now()).await {
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
        match crate::nominations::release_due_quotas(&db, &notifier).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(promoted = n, "quota seats released to the waiting list"),
            Err(error) => tracing::error!(%error, "quota release failed; will retry"),
        }
        match crate::nominations::remind_unfilled_quotas(&db, &notifier).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(queued = n, "unfilled-quota reminders queued"),
            Err(error) => tracing::error!(%error, "unfilled-quota reminders failed; will retry"),
        }
        if let Err(error) = flush_figures(&db).await {
            tracing::error!(%error, "figures not brought up to date; will retry");
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(period) => {}
        }
    }
}

/// Brings the figures up to date with writes committed outside `db::commit` (a transaction of
/// its own; nothing to do — and no write lock taken — when nothing is pending).
async fn flush_figures(db: &DatabaseConnection) -> crate::error::AppResult<()> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if crate::entities::figures_dirty::Entity::find()
        .count(db)
        .await?
        == 0
    {
        return Ok(());
    }
    let txn = crate::db::begin(db).await?;
    crate::db::commit(txn).await
}
