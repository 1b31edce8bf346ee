//! The emails of enrolment: enrolled, waitlisted (with position), promoted, cancelled; each
//! with the cohort's dates, place or link, and a calendar file where a calendar entry helps.
//! Each is keyed to its enrolment, so it is queued exactly once.

use crate::calendar::{self, Event};
use crate::cohorts::sessions::{self, SessionView};
use crate::entities::{cohort, cohort_session, course, enrolment, participant};
use crate::error::AppResult;
use crate::mail::Notifier;
use crate::mail::{self, Attachment, Email};
use sea_orm::{ConnectionTrait, EntityTrait};

pub enum Notice {
    Enrolled,
    Waitlisted { position: u64 },
    Promoted,
    Cancelled { reason: String, by_staff: bool },
}

/// The cohort's sessions as an iCalendar file.
pub async fn cohort_calendar<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    public_url: &str,
) -> AppResult<Attachment> {
    Ok(calendar_of(
        cohort,
        &sessions::list(db, cohort.id).await?,
        public_url,
    ))
}

fn calendar_of(
    cohort: &cohort::Model,
    sessions: &[cohort_session::Model],
    public_url: &str,
) -> Attachment {
    let events: Vec<Event> = sessions
        .iter()
        .map(|s| session_event(cohort, s, public_url))
        .collect();
    Attachment {
        filename: "calendario.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
        content: calendar::calendar(&cohort.name, &events).into_bytes(),
    }
}

/// What a cohort's notices show besides the cohort row: its course's name and its sessions.
/// Read once, and by an enrolment before it takes the cohort's lock (issue 50: the fewer
/// statements under the lock, the sooner the next person of the cohort has her answer).
pub struct Details {
    course: String,
    sessions: Vec<cohort_session::Model>,
}

impl Details {
    /// Known by the cohort's id alone, so it can be read before the cohort's row is locked.
    pub async fn of<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Self> {
        use sea_orm::{ColumnTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};
        let course: Option<String> = course::Entity::find()
            .join(JoinType::InnerJoin, cohort::Relation::Course.def().rev())
            .filter(cohort::Column::Id.eq(cohort_id))
            .select_only()
            .column(course::Column::Name)
            .into_tuple()
            .one(db)
            .await?;
        Ok(Details {
            course: course.unwrap_or_default(),
            sessions: sessions::list(db, cohort_id).await?,
        })
    }
}

/// A session as a calendar event, where its modality says (issue 65): a presencial one at its
/// place; a virtual one at its virtual classroom's launch page (LOCATION and URL) or its
/// room's link; a mixta one at its place, with the link to connect as URL. The URL is the
/// cohort's page when there is no link.
pub fn session_event(
    cohort: &cohort::Model,
    session: &crate::entities::cohort_session::Model,
    public_url: &str,
) -> Event {
    let view = SessionView::of(cohort, session.clone());
    let (place, online) = view.whereabouts(public_url);
    let cohort_page = format!(
        "{}/cohortes/{}",
        public_url.trim_end_matches('/'),
        cohort.id
    );
    let connect = online.as_ref().map(|url| {
        if view.launch_url.is_some() {
            format!("Aula virtual: {url}")
        } else {
            format!("Sala virtual: {url}")
        }
    });
    Event {
        // Unique to this installation (issue 67): the same session id exists in every one.
        uid: calendar::uid(&format!("sesion-{}", session.id), public_url),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        summary: format!("{} · {}", cohort.name, session.topic),
        location: place.or_else(|| online.clone()),
        description: connect,
        url: Some(online.unwrap_or(cohort_page)),
    }
}

pub async fn send<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
    person: &participant::Model,
    enrolment: &enrolment::Model,
    notice: Notice,
) -> AppResult<()> {
    if person.email.is_none() {
        return Ok(());
    }
    let details = Details::of(db, cohort.id).await?;
    send_with(db, notifier, cohort, &details, person, enrolment, notice).await
}

/// [`send`] with the cohort's [`Details`] read already.
pub async fn send_with<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
    details: &Details,
    person: &participant::Model,
    enrolment: &enrolment::Model,
    notice: Notice,
) -> AppResult<()> {
    if let Some(email) = email(notifier, cohort, details, person, enrolment.id, notice)? {
        mail::enqueue(db, notifier, email).await?;
    }
    Ok(())
}

/// The email of `notice` to `person` about her enrolment `enrolment_id` (none when she has no
/// address): what [`send_with`] queues, and what a cohort's desk queues for a whole batch at
/// once (`mail::enqueue_many`).
pub fn email(
    notifier: &Notifier<'_>,
    cohort: &cohort::Model,
    details: &Details,
    person: &participant::Model,
    enrolment_id: i32,
    notice: Notice,
) -> AppResult<Option<Email>> {
    let Some(to) = person.email.clone() else {
        return Ok(None);
    };
    let course_name = details.course.clone();
    let upcoming: Vec<SessionView> = details
        .sessions
        .iter()
        .filter(|s| s.ends_at > crate::time::now())
        .cloned()
        .map(|s| SessionView::of(cohort, s))
        .collect();
    let public_url = notifier.config.public_url.trim_end_matches('/').to_string();
    let mut data = NoticeData {
        full_name: person.full_name(),
        cohort: &cohort.name,
        course: course_name,
        modality: cohort.modality.label(),
        start_date: cohort.start_date.to_string(),
        end_date: cohort.end_date.to_string(),
        venue: cohort.venue.as_deref(),
        meeting_url: cohort.meeting_url.as_deref(),
        sessions: upcoming,
        cohort_url: format!("{public_url}/cohortes/{}", cohort.id),
        position: None,
        reason: None,
        by_staff: None,
    };
    let (kind, template, subject, with_calendar) = match notice {
        Notice::Enrolled => (
            "inscrito",
            "enrolment_enrolled",
            format!("Inscripción confirmada: {}", cohort.name),
            true,
        ),
        Notice::Waitlisted { position } => {
            data.position = Some(position);
            (
                "espera",
                "enrolment_waitlisted",
                format!("Lista de espera (puesto {position}): {}", cohort.name),
                false,
            )
        }
        Notice::Promoted => (
            "cupo",
            "enrolment_promoted",
            format!("¡Tiene cupo! {}", cohort.name),
            true,
        ),
        Notice::Cancelled { reason, by_staff } => {
            data.reason = Some(reason);
            data.by_staff = Some(by_staff);
            (
                "cancelada",
                "enrolment_cancelled",
                format!("Inscripción cancelada: {}", cohort.name),
                false,
            )
        }
    };
    let data = serde_json::to_value(&data)
        .map_err(|e| crate::error::AppError::Internal(format!("datos del aviso: {e}")))?;
    let attachments = if with_calendar {
        vec![calendar_of(cohort, &details.sessions, &public_url)]
    } else {
        Vec::new()
    };
    Ok(Some(Email {
        to,
        subject,
        template,
        data,
        attachments,
        dedupe_key: Some(format!("inscripcion:{enrolment_id}:{kind}")),
    }))
}

/// What every enrolment notice shows; the state-specific fields are set by its kind.
#[derive(serde::Serialize)]
struct NoticeData<'a> {
    full_name: String,
    cohort: &'a str,
    course: String,
    modality: &'static str,
    start_date: String,
    end_date: String,
    venue: Option<&'a str>,
    meeting_url: Option<&'a str>,
    sessions: Vec<SessionView>,
    cohort_url: String,
    position: Option<u64>,
    reason: Option<String>,
    by_staff: Option<bool>,
}
