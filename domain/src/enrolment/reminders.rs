//! The reminder the day before each session, to everyone enrolled: queued by a periodic job
//! and keyed to (session, enrolment), so each person gets it once per session even if the job
//! runs many times, on several instances, or across restarts.

use crate::cohorts::sessions::SessionView;
use crate::entities::values::{CohortStatus, EnrolmentStatus};
use crate::entities::{cohort, cohort_session, enrolment, participant};
use crate::error::AppResult;
use crate::mail::Notifier;
use crate::mail::{self, Email};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// Queues the reminders of sessions that start tomorrow (Colombian date). Returns how many
/// emails were newly queued.
pub async fn queue_due(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let tomorrow = crate::time::local(now).date_naive() + Duration::days(1);
    let from = crate::time::from_local(tomorrow, 0, 0);
    let to = crate::time::from_local(tomorrow + Duration::days(1), 0, 0);
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::StartsAt.gte(from))
        .filter(cohort_session::Column::StartsAt.lt(to))
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    let mut queued = 0;
    for (session, cohort) in sessions {
        let Some(cohort) =
            cohort.filter(|c| matches!(c.status, CohortStatus::Open | CohortStatus::InProgress))
        else {
            continue;
        };
        let people = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort.id))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
            .find_also_related(participant::Entity)
            .all(db)
            .await?;
        let view = SessionView::of(&cohort, session.clone());
        let public_url = notifier.config.public_url.trim_end_matches('/');
        let (location, online) = view.whereabouts(public_url);
        for (row, person) in people {
            let Some(person) = person else { continue };
            let Some(to) = person.email.clone() else {
                continue;
            };
            let fresh = crate::db::write(db, async |txn| {
                let message = SessionReminder {
                    full_name: person.full_name(),
                    cohort: &cohort.name,
                    session: &view,
                    location: location.clone(),
                    launch_url: view.launch_url.as_ref().and(online.clone()),
                    meeting_url: view.meeting_url.as_ref().and(online.clone()),
                    cohort_url: format!("{public_url}/cohortes/{}", cohort.id),
                };
                let email = Email::of(to, &message)?
                    .once(format!("recordatorio:{}:{}", session.id, row.id));
                let fresh = mail::enqueue(txn, notifier, email).await?;
                Ok(fresh)
            })
            .await?;
            queued += usize::from(fresh);
        }
    }
    Ok(queued)
}

/// The day before a session: when, and where as its modality says (issue 65): the place in
/// person, the virtual classroom's launch page or the room's link (absolute URLs).
#[derive(serde::Serialize)]
struct SessionReminder<'a> {
    full_name: String,
    cohort: &'a str,
    session: &'a crate::cohorts::sessions::SessionView,
    location: Option<String>,
    launch_url: Option<String>,
    meeting_url: Option<String>,
    cohort_url: String,
}

impl mail::Message for SessionReminder<'_> {
    const TEMPLATE: &'static str = "session_reminder";
    fn subject(&self) -> String {
        format!("Mañana: {} · {}", self.cohort, self.session.topic)
    }
}
