//! Periodic work every app instance runs: today, the session reminders. Each job is
//! idempotent (keyed outbox rows), so several instances running it do no harm.

use crate::config::AppConfig;
use crate::templates::Templates;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Orbit, Rocket};
use sea_orm::DatabaseConnection;
use std::time::Duration;

pub struct Jobs;

#[rocket::async_trait]
impl Fairing for Jobs {
    fn info(&self) -> Info {
        Info {
            name: "periodic jobs",
            kind: Kind::Liftoff,
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let (Some(db), Some(config)) = (
            rocket.state::<DatabaseConnection>().cloned(),
            rocket.state::<AppConfig>().cloned(),
        ) else {
            return;
        };
        if config.jobs_poll_seconds == 0 {
            return;
        }
        // The task outlives this borrow of Rocket: it keeps its own (cheap) registry.
        let shutdown = rocket.shutdown();
        let templates = match Templates::load() {
            Ok(t) => t,
            Err(error) => {
                tracing::error!(%error, "jobs: templates");
                return;
            }
        };
        rocket::tokio::spawn(async move {
            let period = Duration::from_secs(config.jobs_poll_seconds);
            loop {
                let notifier = crate::mail::Notifier {
                    templates: &templates,
                    config: &config,
                };
                match crate::enrolment::reminders::queue_due(&db, &notifier, crate::time::now())
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(queued = n, "session reminders queued"),
                    Err(error) => tracing::error!(%error, "session reminders failed; will retry"),
                }
                rocket::tokio::select! {
                    _ = rocket::tokio::time::sleep(period) => {}
                    _ = shutdown.clone() => break,
                }
            }
        });
    }
}
