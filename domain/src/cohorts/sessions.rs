//! Sessions: the dated meetings of a cohort. Times are stored in UTC and entered and shown in
//! America/Bogota; a session belongs to the local date it starts on.

use crate::audit::{self, Change};
use crate::entities::values::Modality;
use crate::entities::{attendance_mark, cohort, cohort_session, lti_link};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::rows::Found;
use crate::time::{from_local, local};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

/// The longest session we accept.
const MAX_HOURS: i64 = 12;
/// At most this many sessions from one recurrence.
const MAX_GENERATED: usize = 200;

/// Whether a session lies inside the cohort's dates (by its local start and end dates).
pub fn within(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    start: NaiveDate,
    end: NaiveDate,
) -> bool {
    let (first, last) = (local(starts_at).date_naive(), local(ends_at).date_naive());
    first >= start && last <= end
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    pub id: i32,
    pub cohort_id: i32,
    #[schema(format = DateTime, example = "2027-02-02T14:00:00-05:00")]
    pub starts_at: String,
    #[schema(format = DateTime, example = "2027-02-02T17:00:00-05:00")]
    pub ends_at: String,
    pub topic: String,
    pub location: Option<String>,
    /// Local (Bogotá) date and times, for people.
    pub local_date: NaiveDate,
    /// Bogotá start time, HH:MM.
    #[schema(example = "14:00")]
    pub local_start: String,
    /// Bogotá end time, HH:MM.
    #[schema(example = "17:00")]
    pub local_end: String,
    /// Spanish weekday of `local_date`.
    #[schema(example = "martes")]
    pub weekday: &'static str,
    /// The session's modality: its own, or the cohort's when it has none (issue 65).
    pub modality: Modality,
    /// Whether `modality` is the session's own (`false`: it follows the cohort's).
    pub own_modality: bool,
    /// `modality` in words.
    #[schema(example = "Virtual")]
    pub modality_label: &'static str,
    /// The cohort's virtual-classroom link the session opens (`GET /cohorts/{id}/lti-links`).
    pub lti_link_id: Option<i32>,
    /// Where people meet in person (presencial and mixta sessions, or a virtual one with no
    /// link at all): the session's `location`, else the cohort's venue.
    #[schema(example = "Casa de la Cultura")]
    pub place: Option<String>,
    /// The virtual classroom's launch page, relative to the public URL (a virtual or mixta
    /// session with `lti_link_id`): its place online.
    #[schema(example = "/cohortes/3/aula-virtual/7")]
    pub launch_url: Option<String>,
    /// The room's link for a virtual or mixta session without `lti_link_id`: the session's
    /// `location` when it is a link, else the cohort's `meeting_url`.
    #[schema(example = "https://sala.example.org/x")]
    pub meeting_url: Option<String>,
    /// What the coordinator should know and may still accept: `festivo` when `local_date` is
    /// a Colombian public holiday (the session is kept; integrations keep working).
    pub warnings: Vec<SessionWarning>,
}

/// A warning about a session that is accepted anyway.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SessionWarning {
    /// `festivo`: the session falls on a public holiday.
    #[schema(example = "festivo")]
    pub code: &'static str,
    /// Spanish sentence for people, naming the holiday.
    #[schema(example = "El lunes 12 de octubre de 2026 es festivo (Día de la Raza).")]
    pub message: String,
}

/// The holiday `date` falls on, as a warning: «El lunes 12 de octubre de 2026 es festivo
/// (Día de la Raza).»
pub fn holiday_warning(date: NaiveDate) -> Option<SessionWarning> {
    crate::holidays::holiday(date).map(|name| SessionWarning {
        code: "festivo",
        message: format!(
            "El {} {} es festivo ({name}).",
            weekday_name(date),
            crate::format::long_date(date)
        ),
    })
}

/// The page that starts the launch of a cohort's virtual-classroom link.
pub fn launch_path(cohort_id: i32, link_id: i32) -> String {
    format!("/cohortes/{cohort_id}/aula-virtual/{link_id}")
}

/// `path` (or a URL) as an absolute URL under `public_url`.
pub fn absolute(public_url: &str, path: &str) -> String {
    if is_link(path) {
        path.to_string()
    } else {
        format!("{}{path}", public_url.trim_end_matches('/'))
    }
}

/// A location typed as a link (the form's «Lugar o enlace»).
fn is_link(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

pub fn weekday_name(date: NaiveDate) -> &'static str {
    [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ][date.weekday().num_days_from_monday() as usize]
}

/// A session's local (Bogotá) date, weekday and times, for pages that show only when.
#[derive(Clone, Debug)]
pub struct LocalTimes {
    pub local_date: NaiveDate,
    pub weekday: &'static str,
    /// HH:MM.
    pub local_start: String,
    /// HH:MM.
    pub local_end: String,
}

pub fn local_times(s: &cohort_session::Model) -> LocalTimes {
    let (start, end) = (local(s.starts_at), local(s.ends_at));
    LocalTimes {
        local_date: start.date_naive(),
        weekday: weekday_name(start.date_naive()),
        local_start: format!("{:02}:{:02}", start.hour(), start.minute()),
        local_end: format!("{:02}:{:02}", end.hour(), end.minute()),
    }
}

impl SessionView {
    /// A session of `cohort` as people see it: its times, and its modality and place
    /// resolved against the cohort's (the modality, the venue and the room's link).
    pub fn of(cohort: &cohort::Model, s: cohort_session::Model) -> Self {
        let times = local_times(&s);
        let modality = s.modality.unwrap_or(cohort.modality);
        let typed_link = s.location.clone().filter(|l| is_link(l));
        let launch_url = match modality {
            Modality::Presencial => None,
            _ => s.lti_link_id.map(|link| launch_path(cohort.id, link)),
        };
        let meeting_url = match modality {
            Modality::Presencial => None,
            _ if launch_url.is_some() => None,
            _ => typed_link.or_else(|| cohort.meeting_url.clone()),
        };
        let in_person = s.location.clone().or_else(|| cohort.venue.clone());
        let place = match modality {
            Modality::Presencial => in_person,
            Modality::Mixta => s
                .location
                .clone()
                .filter(|l| !is_link(l))
                .or_else(|| cohort.venue.clone()),
            Modality::Virtual if launch_url.is_none() && meeting_url.is_none() => in_person,
            Modality::Virtual => None,
        };
        SessionView {
            id: s.id,
            cohort_id: s.cohort_id,
            starts_at: crate::time::date_time(s.starts_at),
            ends_at: crate::time::date_time(s.ends_at),
            topic: s.topic,
            location: s.location,
            local_date: times.local_date,
            local_start: times.local_start,
            local_end: times.local_end,
            weekday: times.weekday,
            modality,
            own_modality: s.modality.is_some(),
            modality_label: modality.label(),
            lti_link_id: s.lti_link_id,
            place,
            launch_url,
            meeting_url,
            warnings: holiday_warning(times.local_date).into_iter().collect(),
        }
    }

    /// Where the session happens, in one line for an email or a calendar: the place in
    /// person and the link to connect (the launch page or the room, absolute under
    /// `public_url`).
    pub fn whereabouts(&self, public_url: &str) -> (Option<String>, Option<String>) {
        let online = self
            .launch_url
            .as_deref()
            .or(self.meeting_url.as_deref())
            .map(|url| absolute(public_url, url));
        (self.place.clone(), online)
    }
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Vec<cohort_session::Model>> {
    Ok(cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?)
}

/// A cohort's virtual-classroom link, as the sessions' form offers it.
#[derive(Clone, Debug, Serialize)]
pub struct LinkOption {
    pub id: i32,
    pub title: String,
}

/// The cohort's virtual-classroom links a session may open, oldest first.
pub async fn links<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<LinkOption>> {
    Ok(lti_link::Entity::find()
        .filter(lti_link::Column::CohortId.eq(cohort_id))
        .order_by_asc(lti_link::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| LinkOption {
            id: l.id,
            title: l.title,
        })
        .collect())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<cohort_session::Model> {
    cohort_session::Entity::find_by_id(id).found(db).await
}

/// A session as the API receives it: `starts_at`, `ends_at` and `topic` are required to add
/// one; any subset on PATCH (an empty `location` clears it).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SessionInput {
    /// RFC 3339 with offset; without offset → 422.
    #[schema(format = DateTime, example = "2027-02-02T14:00:00-05:00")]
    pub starts_at: Option<String>,
    /// After `starts_at`, at most 12 hours later.
    #[schema(format = DateTime, example = "2027-02-02T17:00:00-05:00")]
    pub ends_at: Option<String>,
    #[schema(max_length = 200, example = "Diagnóstico territorial")]
    pub topic: Option<String>,
    #[schema(max_length = 200, example = "Casa de la Cultura")]
    pub location: Option<String>,
    /// `presencial`, `virtual` or `mixta`. Omitted on a new session, `null` or empty: the
    /// cohort's (and follows it when the cohort's changes).
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<Modality>, nullable)]
    pub modality: Option<Option<String>>,
    /// A virtual-classroom link of the same cohort (another cohort's → 422); `null` removes
    /// it. A virtual or mixta session with a link has its launch page as its place online.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i32>, nullable)]
    pub lti_link_id: Option<Option<i32>>,
}

/// A session's topic; generated sessions add " N" to a prefix of at most 190 characters.
const MAX_TOPIC_CHARS: usize = crate::validate::SHORT_TEXT_MAX;
const MAX_PREFIX_CHARS: usize = MAX_TOPIC_CHARS - 10;

fn location_of(text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::validate::line("location", text, crate::validate::SHORT_TEXT_MAX, errors)
}

fn editable(cohort: &cohort::Model) -> AppResult<()> {
    if cohort.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte está {}: sus sesiones ya no se modifican.",
            cohort.status.label().to_lowercase()
        )));
    }
    Ok(())
}

/// Checks one session against its cohort's dates; pushes Spanish messages.
fn check_times(
    (start_date, end_date): (NaiveDate, NaiveDate),
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) {
    if ends_at <= starts_at {
        errors.push(FieldError::new(
            "ends_at",
            "La sesión debe terminar después de empezar.",
        ));
    } else if ends_at - starts_at > Duration::hours(MAX_HOURS) {
        errors.push(FieldError::new(
            "ends_at",
            format!("Una sesión puede durar máximo {MAX_HOURS} horas."),
        ));
    }
    if !within(starts_at, ends_at, start_date, end_date) {
        errors.push(FieldError::new(
            "starts_at",
            format!(
                "La sesión queda fuera de las fechas de la cohorte ({} a {}).",
                crate::format::date(start_date),
                crate::format::date(end_date)
            ),
        ));
    }
}

fn topic_of(text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match crate::validate::single_line("topic", text.unwrap_or(""), MAX_TOPIC_CHARS) {
        Ok(None) => {
            errors.push(FieldError::new("topic", "Escriba el tema de la sesión."));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
        Ok(Some(t)) => Some(t),
    }
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    new: NewSession,
) -> AppResult<cohort_session::Model> {
    let at = crate::time::now();
    Ok(cohort_session::ActiveModel {
        cohort_id: Set(cohort_id),
        starts_at: Set(new.starts_at),
        ends_at: Set(new.ends_at),
        topic: Set(new.topic),
        location: Set(new.location),
        modality: Set(new.modality),
        lti_link_id: Set(new.lti_link_id),
        check_in_secret: Set(crate::accounts::secrets::random_hex()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The modality asked for: `None` when not sent (or not one of the three: a problem pushed),
/// `Some(None)` for the cohort's (`null` or empty).
fn modality_of(input: &SessionInput, errors: &mut Vec<FieldError>) -> Option<Option<Modality>> {
    let text = input.modality.as_ref()?;
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Some(None),
        Some(text) => match Modality::parse(text) {
            Some(modality) => Some(Some(modality)),
            None => {
                errors.push(FieldError::new(
                    "modality",
                    "La modalidad debe ser presencial, virtual o mixta.",
                ));
                None
            }
        },
    }
}

/// The link asked for must be one of the cohort's own virtual-classroom links.
async fn check_link<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    input: &SessionInput,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    if let Some(Some(id)) = input.lti_link_id {
        let link = lti_link::Entity::find_by_id(id).one(db).await?;
        if link.is_none_or(|l| l.cohort_id != cohort.id) {
            errors.push(FieldError::new(
                "lti_link_id",
                "El aula virtual elegida no es de esta cohorte.",
            ));
        }
    }
    Ok(())
}

/// What a session's modality asks of its place, checked when the session's own modality or
/// link is set: in person, a place (its own or the cohort's venue); online, the virtual
/// classroom or a room's link (typed as its location, or the cohort's); and a presencial
/// session opens no virtual classroom.
fn check_place(view: &SessionView, errors: &mut Vec<FieldError>) {
    let online = view.launch_url.is_some() || view.meeting_url.is_some();
    match view.modality {
        Modality::Presencial if view.lti_link_id.is_some() => errors.push(FieldError::new(
            "lti_link_id",
            "Una sesión presencial no abre el aula virtual: elija la modalidad virtual o mixta, \
             o quite el aula virtual.",
        )),
        Modality::Virtual | Modality::Mixta if !online => errors.push(FieldError::new(
            "lti_link_id",
            "Una sesión virtual necesita por dónde conectarse: elija el aula virtual o escriba \
             el enlace de la sala en «Lugar o enlace» (o en la cohorte).",
        )),
        _ => {}
    }
    if matches!(view.modality, Modality::Presencial | Modality::Mixta) && view.place.is_none() {
        errors.push(FieldError::new(
            "location",
            "Escriba el lugar donde se reúnen las personas en la sesión.",
        ));
    }
}

fn audit_change(
    actor: i32,
    action: &'static str,
    id: i32,
    before: Option<&SessionView>,
    after: Option<&SessionView>,
) -> Change<'static> {
    Change {
        actor: Some(actor),
        action,
        subject_type: "session",
        subject_id: id.to_string(),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: after.and_then(|a| serde_json::to_value(a).ok()),
    }
}

/// A new session, checked: its times, topic, place, modality (none: the cohort's) and link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub location: Option<String>,
    pub modality: Option<Modality>,
    pub lti_link_id: Option<i32>,
}

/// Checks a session to add to a cohort running from `start_date` to `end_date`, writing
/// nothing: every problem at once (422). [`add`] and the import of cohorts use it; [`add`]
/// checks the link and what the modality asks of the place besides.
pub fn check(
    start_date: NaiveDate,
    end_date: NaiveDate,
    input: &SessionInput,
) -> AppResult<NewSession> {
    let mut errors = Vec::new();
    let starts_at = parse::date_time("starts_at", input.starts_at.as_deref(), &mut errors);
    let ends_at = parse::date_time("ends_at", input.ends_at.as_deref(), &mut errors);
    let topic = topic_of(input.topic.as_deref(), &mut errors);
    let location = location_of(input.location.as_deref(), &mut errors);
    let modality = modality_of(input, &mut errors).flatten();
    if let (Some(s), Some(e)) = (starts_at, ends_at) {
        check_times((start_date, end_date), s, e, &mut errors);
    }
    let (Some(starts_at), Some(ends_at), Some(topic)) =
        (starts_at, ends_at, topic.filter(|_| errors.is_empty()))
    else {
        return Err(AppError::Validation(errors));
    };
    Ok(NewSession {
        starts_at,
        ends_at,
        topic,
        location,
        modality,
        lti_link_id: input.lti_link_id.flatten(),
    })
}

/// Whether the input sets what [`check_place`] looks at.
fn sets_place(input: &SessionInput, own_modality: bool) -> bool {
    input.modality.is_some()
        || input.lti_link_id.is_some()
        || (own_modality && input.location.is_some())
}

pub async fn add<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    input: &SessionInput,
) -> AppResult<SessionView> {
    editable(cohort)?;
    let mut errors = Vec::new();
    let new = match check(cohort.start_date, cohort.end_date, input) {
        Ok(new) => Some(new),
        Err(AppError::Validation(found)) => {
            errors = found;
            None
        }
        Err(other) => return Err(other),
    };
    check_link(db, cohort, input, &mut errors).await?;
    if let Some(new) = &new
        && errors.is_empty()
        && sets_place(input, new.modality.is_some())
    {
        let at = crate::time::now();
        let planned = cohort_session::Model {
            id: 0,
            cohort_id: cohort.id,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            topic: new.topic.clone(),
            location: new.location.clone(),
            check_in_secret: String::new(),
            modality: new.modality,
            lti_link_id: new.lti_link_id,
            created_at: at,
            updated_at: at,
        };
        check_place(&SessionView::of(cohort, planned), &mut errors);
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let saved = insert(db, cohort.id, new).await?;
    let view = SessionView::of(cohort, saved);
    audit::record(
        db,
        audit_change(actor, "session.created", view.id, None, Some(&view)),
    )
    .await?;
    Ok(view)
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    id: i32,
    input: &SessionInput,
) -> AppResult<SessionView> {
    editable(cohort)?;
    let current = find(db, id).await?;
    if current.cohort_id != cohort.id {
        return Err(AppError::NotFound);
    }
    let before = SessionView::of(cohort, current.clone());
    let mut errors = Vec::new();
    let starts_at = match &input.starts_at {
        Some(t) => parse::date_time("starts_at", Some(t), &mut errors),
        None => Some(current.starts_at),
    };
    let ends_at = match &input.ends_at {
        Some(t) => parse::date_time("ends_at", Some(t), &mut errors),
        None => Some(current.ends_at),
    };
    let topic = match &input.topic {
        Some(t) => topic_of(Some(t), &mut errors),
        None => Some(current.topic.clone()),
    };
    let location = location_of(input.location.as_deref(), &mut errors);
    let modality = modality_of(input, &mut errors);
    check_link(db, cohort, input, &mut errors).await?;
    if let (Some(s), Some(e)) = (starts_at, ends_at) {
        check_times((cohort.start_date, cohort.end_date), s, e, &mut errors);
    }
    let (Some(s), Some(e), Some(topic)) = (starts_at, ends_at, topic.filter(|_| errors.is_empty()))
    else {
        return Err(AppError::Validation(errors));
    };
    let next = cohort_session::Model {
        starts_at: s,
        ends_at: e,
        topic,
        location: if input.location.is_some() {
            location
        } else {
            current.location.clone()
        },
        modality: modality.unwrap_or(current.modality),
        lti_link_id: input.lti_link_id.unwrap_or(current.lti_link_id),
        updated_at: crate::time::now(),
        ..current.clone()
    };
    if sets_place(input, next.modality.is_some()) {
        check_place(&SessionView::of(cohort, next.clone()), &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
    }
    let mut model: cohort_session::ActiveModel = current.into();
    model.starts_at = Set(next.starts_at);
    model.ends_at = Set(next.ends_at);
    model.topic = Set(next.topic);
    model.location = Set(next.location);
    model.modality = Set(next.modality);
    model.lti_link_id = Set(next.lti_link_id);
    model.updated_at = Set(next.updated_at);
    let view = SessionView::of(cohort, model.update(db).await?);
    audit::record(
        db,
        audit_change(actor, "session.updated", id, Some(&before), Some(&view)),
    )
    .await?;
    Ok(view)
}

/// Removes a session that has no attendance yet (marks are history: 409).
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    id: i32,
) -> AppResult<()> {
    editable(cohort)?;
    let current = find(db, id).await?;
    let marks = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(id))
        .count(db)
        .await?;
    if marks > 0 {
        return Err(AppError::Conflict(
            "La sesión ya tiene asistencia registrada: no se puede eliminar.".into(),
        ));
    }
    let before = SessionView::of(cohort, current);
    cohort_session::Entity::delete_by_id(id).exec(db).await?;
    audit::record(
        db,
        audit_change(actor, "session.deleted", id, Some(&before), None),
    )
    .await?;
    Ok(())
}

/// The OpenAPI example of a recurrence's weekdays: Tuesdays and Thursdays.
fn weekdays_example() -> [u32; 2] {
    [2, 4]
}

/// A recurrence: on these weekdays (1 = Monday … 7 = Sunday), at these local times, between
/// two dates (inclusive).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Recurrence {
    /// 1 = Monday … 7 = Sunday.
    #[schema(value_type = Vec<u32>, required = true, max_items = 5000, example = weekdays_example)]
    pub weekdays: Option<Vec<u32>>,
    /// Local (Bogotá) time, HH:MM.
    #[schema(value_type = String, required = true, example = "14:00")]
    pub start_time: Option<String>,
    /// Local time, after `start_time`.
    #[schema(value_type = String, required = true, example = "17:00")]
    pub end_time: Option<String>,
    /// First date (inclusive), within the cohort.
    #[schema(value_type = NaiveDate, required = true)]
    pub from: Option<String>,
    /// Last date (inclusive), within the cohort.
    #[schema(value_type = NaiveDate, required = true)]
    pub to: Option<String>,
    /// Prefix of each topic (default "Sesión"); sessions are numbered after the existing ones.
    pub topic: Option<String>,
    /// Defaults to the cohort's venue.
    pub location: Option<String>,
    /// Every session's modality, as in [`SessionInput`] (omitted: the cohort's).
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    /// Every session's virtual-classroom link, as in [`SessionInput`].
    pub lti_link_id: Option<i32>,
    /// `true`: Colombian public holidays are left out (the pages' default). Omitted or
    /// `false`: they are kept, each session on one carrying its `festivo` warning.
    pub skip_holidays: Option<bool>,
}

/// The local dates a recurrence yields.
pub fn dates(weekdays: &[u32], from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| weekdays.contains(&d.weekday().number_from_monday()))
        .collect()
}

/// Creates every session of the recurrence, all or nothing.
pub async fn generate<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    rule: &Recurrence,
) -> AppResult<Vec<SessionView>> {
    editable(cohort)?;
    let mut errors = Vec::new();
    let weekdays = rule.weekdays.clone().unwrap_or_default();
    if crate::validate::list("weekdays", Some(&weekdays), &mut errors) {
        // The form's boxes are named days; only the API sends the numbers.
        if weekdays.is_empty() {
            errors.push(FieldError::new(
                "weekdays",
                "Elija al menos un día de la semana.",
            ));
        } else if weekdays.iter().any(|d| !(1..=7).contains(d)) {
            errors.push(FieldError::new(
                "weekdays",
                "Los días de la semana van del 1 (lunes) al 7 (domingo).",
            ));
        }
    }
    let start_time: Option<NaiveTime> =
        parse::time_of_day("start_time", rule.start_time.as_deref(), &mut errors);
    let end_time = parse::time_of_day("end_time", rule.end_time.as_deref(), &mut errors);
    if let (Some(s), Some(e)) = (start_time, end_time)
        && e <= s
    {
        errors.push(FieldError::new(
            "end_time",
            "La hora de fin debe ser posterior a la de inicio.",
        ));
    }
    let from = parse::date("from", rule.from.as_deref(), true, &mut errors);
    let to = parse::date("to", rule.to.as_deref(), true, &mut errors);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(FieldError::new(
                "to",
                "La fecha final no puede ser anterior a la inicial.",
            ));
        }
        if f < cohort.start_date || t > cohort.end_date {
            errors.push(FieldError::new(
                "from",
                format!(
                    "Las fechas deben estar dentro de la cohorte ({} a {}).",
                    crate::format::date(cohort.start_date),
                    crate::format::date(cohort.end_date)
                ),
            ));
        }
    }
    let prefix = crate::validate::line(
        "topic",
        rule.topic.as_deref(),
        MAX_PREFIX_CHARS,
        &mut errors,
    )
    .unwrap_or_else(|| "Sesión".to_string());
    let location = location_of(rule.location.as_deref(), &mut errors);
    // The modality and link, read and checked as one session's are.
    let online = SessionInput {
        location: rule.location.clone(),
        modality: rule.modality.clone().map(Some),
        lti_link_id: rule.lti_link_id.map(Some),
        ..Default::default()
    };
    let modality = modality_of(&online, &mut errors).flatten();
    check_link(db, cohort, &online, &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(start_time), Some(end_time), Some(from), Some(to)) = (start_time, end_time, from, to)
    else {
        return Err(AppError::Validation(errors));
    };
    let mut days = dates(&weekdays, from, to);
    if rule.skip_holidays == Some(true) {
        days.retain(|day| crate::holidays::holiday(*day).is_none());
    }
    if days.is_empty() {
        return Err(AppError::invalid(
            "weekdays",
            "Ninguno de los días elegidos cae entre esas fechas.",
        ));
    }
    if days.len() > MAX_GENERATED {
        return Err(AppError::invalid(
            "to",
            format!(
                "Se generarían {} sesiones; el máximo es {MAX_GENERATED}.",
                days.len()
            ),
        ));
    }
    let existing = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort.id))
        .count(db)
        .await? as usize;
    let location = location.or(cohort.venue.clone());
    if sets_place(&online, modality.is_some()) {
        let at = crate::time::now();
        let planned = cohort_session::Model {
            id: 0,
            cohort_id: cohort.id,
            starts_at: at,
            ends_at: at,
            topic: String::new(),
            location: location.clone(),
            check_in_secret: String::new(),
            modality,
            lti_link_id: rule.lti_link_id,
            created_at: at,
            updated_at: at,
        };
        check_place(&SessionView::of(cohort, planned), &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
    }
    let mut created = Vec::with_capacity(days.len());
    for (n, day) in days.into_iter().enumerate() {
        let starts_at = from_local(day, start_time.hour(), start_time.minute());
        let ends_at = from_local(day, end_time.hour(), end_time.minute());
        let topic = format!("{prefix} {}", existing + n + 1);
        let new = NewSession {
            starts_at,
            ends_at,
            topic,
            location: location.clone(),
            modality,
            lti_link_id: rule.lti_link_id,
        };
        created.push(SessionView::of(cohort, insert(db, cohort.id, new).await?));
    }
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "session.generated",
            subject_type: "cohort",
            subject_id: cohort.id.to_string(),
            before: None,
            after: serde_json::to_value(&created).ok(),
        },
    )
    .await?;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrences_cross_month_boundaries_on_the_right_weekdays() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 27).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 2, 12).unwrap();
        let days = dates(&[2, 4], from, to);
        let text: Vec<String> = days.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            text,
            [
                "2026-01-27",
                "2026-01-29",
                "2026-02-03",
                "2026-02-05",
                "2026-02-10",
                "2026-02-12"
            ]
        );
        assert!(
            days.iter()
                .all(|d| matches!(weekday_name(*d), "martes" | "jueves"))
        );
    }

    fn cohort_of(modality: Modality, venue: Option<&str>, meeting: Option<&str>) -> cohort::Model {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let at = from_local(day, 8, 0);
        cohort::Model {
            id: 3,
            course_id: 1,
            name: "c".into(),
            modality,
            status: crate::entities::values::CohortStatus::Open,
            start_date: day,
            end_date: day,
            enrolment_opens: day,
            enrolment_closes: day,
            seats: 10,
            venue: venue.map(str::to_string),
            meeting_url: meeting.map(str::to_string),
            min_attendance_pct: 80,
            pass_mark_tenths: 30,
            cancellation_reason: None,
            created_by: None,
            created_at: at,
            updated_at: at,
            closed_at: None,
            provider_id: 1,
            quota_release_on: None,
            quotas_released_at: None,
            quota_reminded_at: None,
            trains_trainers: false,
        }
    }

    fn session_of(
        location: Option<&str>,
        modality: Option<Modality>,
        link: Option<i32>,
    ) -> cohort_session::Model {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let (s, e) = (from_local(day, 21, 0), from_local(day, 23, 30));
        cohort_session::Model {
            id: 1,
            cohort_id: 3,
            starts_at: s,
            ends_at: e,
            topic: "x".into(),
            location: location.map(str::to_string),
            check_in_secret: String::new(),
            modality,
            lti_link_id: link,
            created_at: s,
            updated_at: s,
        }
    }

    #[test]
    fn a_session_is_where_its_modality_says() {
        let mixed = cohort_of(
            Modality::Mixta,
            Some("Alcaldía"),
            Some("https://sala.example.org/x"),
        );
        // Inherited: the cohort's venue and its room.
        let view = SessionView::of(&mixed, session_of(None, None, None));
        assert_eq!(view.modality, Modality::Mixta);
        assert!(!view.own_modality);
        assert_eq!(view.place.as_deref(), Some("Alcaldía"));
        assert_eq!(
            view.meeting_url.as_deref(),
            Some("https://sala.example.org/x")
        );
        assert_eq!(view.launch_url, None);
        // Virtual with a link: the launch page only.
        let view = SessionView::of(
            &mixed,
            session_of(Some("Alcaldía"), Some(Modality::Virtual), Some(7)),
        );
        assert_eq!(view.place, None);
        assert_eq!(view.meeting_url, None);
        assert_eq!(
            view.launch_url.as_deref(),
            Some("/cohortes/3/aula-virtual/7")
        );
        assert_eq!(
            view.whereabouts("https://aula.example.org/"),
            (
                None,
                Some("https://aula.example.org/cohortes/3/aula-virtual/7".to_string())
            )
        );
        // Presencial: the place, never a link.
        let view = SessionView::of(
            &mixed,
            session_of(None, Some(Modality::Presencial), Some(7)),
        );
        assert_eq!(view.place.as_deref(), Some("Alcaldía"));
        assert_eq!((view.launch_url, view.meeting_url), (None, None));
        // Virtual with a room typed as its location.
        let inperson = cohort_of(Modality::Presencial, Some("Alcaldía"), None);
        let view = SessionView::of(
            &inperson,
            session_of(
                Some("https://meet.example.org/a"),
                Some(Modality::Virtual),
                None,
            ),
        );
        assert_eq!(
            view.meeting_url.as_deref(),
            Some("https://meet.example.org/a")
        );
        assert_eq!(view.place, None);
        let mut errors = Vec::new();
        check_place(&view, &mut errors);
        assert!(errors.is_empty());
        // Virtual with nowhere to connect: refused on the link.
        let view = SessionView::of(&inperson, session_of(None, Some(Modality::Virtual), None));
        check_place(&view, &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "lti_link_id");
    }

    #[test]
    fn a_late_session_stays_on_its_local_date() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let (s, e) = (from_local(day, 21, 0), from_local(day, 23, 30));
        assert!(within(s, e, day, day));
        let cohort = cohort_of(Modality::Presencial, None, None);
        let view = SessionView::of(&cohort, session_of(None, None, None));
        assert_eq!(view.local_date, day);
        assert_eq!(view.local_end, "23:30");
        assert_eq!(view.ends_at, "2026-01-31T23:30:00-05:00");
    }
}
