//! Sessions: the dated meetings of a cohort. Times are stored in UTC and entered and shown in
//! America/Bogota; a session belongs to the local date it starts on.

use crate::audit::{self, Change};
use crate::entities::{attendance_mark, cohort, cohort_session};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
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

impl From<cohort_session::Model> for SessionView {
    fn from(s: cohort_session::Model) -> Self {
        let (start, end) = (local(s.starts_at), local(s.ends_at));
        SessionView {
            id: s.id,
            cohort_id: s.cohort_id,
            starts_at: crate::time::date_time(s.starts_at),
            ends_at: crate::time::date_time(s.ends_at),
            topic: s.topic,
            location: s.location,
            local_date: start.date_naive(),
            local_start: format!("{:02}:{:02}", start.hour(), start.minute()),
            local_end: format!("{:02}:{:02}", end.hour(), end.minute()),
            weekday: weekday_name(start.date_naive()),
        }
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

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<cohort_session::Model> {
    cohort_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
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
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    topic: String,
    location: Option<String>,
) -> AppResult<cohort_session::Model> {
    let at = crate::time::now();
    Ok(cohort_session::ActiveModel {
        cohort_id: Set(cohort_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        topic: Set(topic),
        location: Set(location),
        check_in_secret: Set(crate::accounts::secrets::random_hex()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
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

/// A new session, checked: its times, topic and place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub location: Option<String>,
}

/// Checks a session to add to a cohort running from `start_date` to `end_date`, writing
/// nothing: every problem at once (422). [`add`] and the import of cohorts use it.
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
    })
}

pub async fn add<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    input: &SessionInput,
) -> AppResult<SessionView> {
    editable(cohort)?;
    let new = check(cohort.start_date, cohort.end_date, input)?;
    let saved = insert(
        db,
        cohort.id,
        new.starts_at,
        new.ends_at,
        new.topic,
        new.location,
    )
    .await?;
    let view = SessionView::from(saved);
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
    let before = SessionView::from(current.clone());
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
    if let (Some(s), Some(e)) = (starts_at, ends_at) {
        check_times((cohort.start_date, cohort.end_date), s, e, &mut errors);
    }
    let (Some(s), Some(e), Some(topic)) = (starts_at, ends_at, topic.filter(|_| errors.is_empty()))
    else {
        return Err(AppError::Validation(errors));
    };
    let mut model: cohort_session::ActiveModel = current.into();
    model.starts_at = Set(s);
    model.ends_at = Set(e);
    model.topic = Set(topic);
    if input.location.is_some() {
        model.location = Set(location);
    }
    model.updated_at = Set(crate::time::now());
    let view = SessionView::from(model.update(db).await?);
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
    let before = SessionView::from(current);
    cohort_session::Entity::delete_by_id(id).exec(db).await?;
    audit::record(
        db,
        audit_change(actor, "session.deleted", id, Some(&before), None),
    )
    .await?;
    Ok(())
}

/// A recurrence: on these weekdays (1 = Monday … 7 = Sunday), at these local times, between
/// two dates (inclusive).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Recurrence {
    /// 1 = Monday … 7 = Sunday.
    #[schema(value_type = Vec<u32>, required = true, max_items = 5000, example = json!([2, 4]))]
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
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(start_time), Some(end_time), Some(from), Some(to)) = (start_time, end_time, from, to)
    else {
        return Err(AppError::Validation(errors));
    };
    let days = dates(&weekdays, from, to);
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
    let mut created = Vec::with_capacity(days.len());
    for (n, day) in days.into_iter().enumerate() {
        let starts_at = from_local(day, start_time.hour(), start_time.minute());
        let ends_at = from_local(day, end_time.hour(), end_time.minute());
        let topic = format!("{prefix} {}", existing + n + 1);
        let saved = insert(db, cohort.id, starts_at, ends_at, topic, location.clone()).await?;
        created.push(SessionView::from(saved));
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

    #[test]
    fn a_late_session_stays_on_its_local_date() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let (s, e) = (from_local(day, 21, 0), from_local(day, 23, 30));
        assert!(within(s, e, day, day));
        let view = SessionView::from(cohort_session::Model {
            id: 1,
            cohort_id: 1,
            starts_at: s,
            ends_at: e,
            topic: "x".into(),
            location: None,
            check_in_secret: String::new(),
            modality: None,
            lti_link_id: None,
            created_at: s,
            updated_at: s,
        });
        assert_eq!(view.local_date, day);
        assert_eq!(view.local_end, "23:30");
        assert_eq!(view.ends_at, "2026-01-31T23:30:00-05:00");
    }
}
