//! What a coordinator sends to endorse a replicator, and what a replicator sends to record a
//! replica, checked (every problem at once, in Spanish) before anything is written.

use super::MAX_ATTENDEES;
use crate::entities::values::ReplicaAudience;
use crate::entities::{municipality, replicator};
use crate::error::{AppError, AppResult, FieldError};
use crate::validate;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Deserialize;

/// Endorse a person as a replicator: `cohort_id` (trains trainers, of the caller's provider)
/// and `participant_id` (completed it); `since` defaults to today, `until` to two years later.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EndorsementInput {
    pub cohort_id: Option<i32>,
    pub participant_id: Option<i32>,
    #[schema(value_type = Option<NaiveDate>)]
    pub since: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub until: Option<String>,
}

/// The new end of a certification (a past date ends it).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UntilInput {
    #[schema(value_type = NaiveDate)]
    pub until: Option<String>,
}

/// Someone who attended a replica: a name, or `{"full_name", "position"?}`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AttendeeInput {
    Name(String),
    Person {
        full_name: String,
        position: Option<String>,
    },
}

/// Record a replica. `replicator_id`: the participant's own certification (needed only when
/// they hold several) or, for a coordinator, the replicator they record it for (required).
/// Attendees by name (`attendees`) or as a count (`attendee_count`, 1–500), not both.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReplicaInput {
    pub replicator_id: Option<i32>,
    #[schema(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    pub capacity_id: Option<i32>,
    #[schema(value_type = Option<ReplicaAudience>)]
    pub audience: Option<String>,
    #[schema(max_items = 500)]
    pub attendees: Option<Vec<AttendeeInput>>,
    #[schema(minimum = 1, maximum = 500)]
    pub attendee_count: Option<i64>,
}

/// A replica's values once every rule passed.
pub(super) struct Checked {
    pub(super) date: NaiveDate,
    pub(super) municipality_code: String,
    pub(super) capacity_id: i32,
    pub(super) audience: ReplicaAudience,
    pub(super) people_reached: i32,
    /// Named attendees (name, position); empty when given as a count.
    pub(super) attendees: Vec<(String, Option<String>)>,
}

/// Checks a replica against its replicator's certification (every problem at once, 422).
pub(super) async fn check<C: ConnectionTrait>(
    db: &C,
    input: &ReplicaInput,
    found: &replicator::Model,
    capacities: &[i32],
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let date = checked_date(input, found, &mut errors);
    let municipality_code = checked_municipality(db, input, found, &mut errors).await?;
    let capacity_id = checked_capacity(input, capacities, &mut errors);
    let audience = checked_audience(input, &mut errors);
    let listed = input.attendees.as_deref().unwrap_or_default();
    let attendees = checked_attendees(listed, &mut errors);
    let people_reached = people_reached(input, listed, &attendees, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let missing = || AppError::Internal("réplica incompleta tras validar".into());
    Ok(Checked {
        date: date.ok_or_else(missing)?,
        municipality_code: municipality_code.ok_or_else(missing)?,
        capacity_id: capacity_id.ok_or_else(missing)?,
        audience: audience.ok_or_else(missing)?,
        people_reached: people_reached.ok_or_else(missing)?,
        attendees,
    })
}

/// The replica's date: given, not in the future, and within the certification.
fn checked_date(
    input: &ReplicaInput,
    found: &replicator::Model,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let today = crate::time::today();
    let date = crate::parse::date("date", input.date.as_deref(), true, errors);
    if let Some(d) = date {
        if d > today {
            errors.push(FieldError::new(
                "date",
                "La réplica no puede tener una fecha futura: regístrela cuando la dicte.",
            ));
        } else if d < found.since || d > found.until {
            errors.push(FieldError::new(
                "date",
                format!(
                    "La fecha está fuera de su certificación como replicador (del {} al {}).",
                    crate::format::date(found.since),
                    crate::format::date(found.until)
                ),
            ));
        }
    }
    date
}

/// The replica's municipality: given, known, and in the certification's department.
async fn checked_municipality<C: ConnectionTrait>(
    db: &C,
    input: &ReplicaInput,
    found: &replicator::Model,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<String>> {
    let code = input
        .municipality_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(crate::territory::normalize_municipality_code);
    Ok(match code {
        None => {
            errors.push(FieldError::new(
                "municipality_code",
                "Elija el municipio de la réplica.",
            ));
            None
        }
        Some(code) => match municipality::Entity::find_by_id(code.clone())
            .one(db)
            .await?
        {
            None => {
                errors.push(FieldError::new(
                    "municipality_code",
                    format!("No existe un municipio con código DANE «{code}»."),
                ));
                None
            }
            Some(m) if m.department_code != found.department_code => {
                errors.push(FieldError::new(
                    "municipality_code",
                    format!(
                        "{} no está en el departamento de su certificación: las réplicas se \
                         dictan solo en él.",
                        m.name
                    ),
                ));
                None
            }
            Some(m) => Some(m.code),
        },
    })
}

/// The capacity: given and one of the certification's.
fn checked_capacity(
    input: &ReplicaInput,
    capacities: &[i32],
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    match input.capacity_id {
        None => {
            errors.push(FieldError::new("capacity_id", "Elija la capacidad."));
            None
        }
        Some(id) if !capacities.contains(&id) => {
            errors.push(FieldError::new(
                "capacity_id",
                "Esa capacidad no es de su certificación como replicador.",
            ));
            None
        }
        Some(id) => Some(id),
    }
}

/// The audience: given and one of the known kinds.
fn checked_audience(input: &ReplicaInput, errors: &mut Vec<FieldError>) -> Option<ReplicaAudience> {
    match input
        .audience
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => {
            errors.push(FieldError::new(
                "audience",
                "Elija a quién dictó la réplica.",
            ));
            None
        }
        Some(text) => {
            let parsed = ReplicaAudience::parse(text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "audience",
                    "El público debe ser servidores, consejo_planeacion, \
                     organizaciones_comunitarias, jovenes u otra.",
                ));
            }
            parsed
        }
    }
}

/// The named attendees (name, position): at most [`MAX_ATTENDEES`], each with a name.
fn checked_attendees(
    listed: &[AttendeeInput],
    errors: &mut Vec<FieldError>,
) -> Vec<(String, Option<String>)> {
    let mut attendees = Vec::new();
    if listed.len() > MAX_ATTENDEES as usize {
        errors.push(FieldError::new(
            "attendees",
            format!("Una réplica lista hasta {MAX_ATTENDEES} asistentes."),
        ));
    } else {
        for (i, a) in listed.iter().enumerate() {
            let (name, position) = match a {
                AttendeeInput::Name(name) => (name.as_str(), None),
                AttendeeInput::Person {
                    full_name,
                    position,
                } => (full_name.as_str(), position.as_deref()),
            };
            let field = format!("attendees[{i}]");
            match validate::single_line(&field, name, validate::FULL_NAME_MAX) {
                Ok(Some(name)) => {
                    let position = validate::line(
                        &format!("attendees[{i}].position"),
                        position,
                        validate::SHORT_TEXT_MAX,
                        errors,
                    );
                    attendees.push((name, position));
                }
                Ok(None) => errors.push(FieldError::new(
                    field,
                    "Escriba el nombre del asistente o quite la fila.",
                )),
                Err(e) => errors.push(e),
            }
        }
    }
    attendees
}

/// How many people the replica reached: the names listed or the count given, not both.
fn people_reached(
    input: &ReplicaInput,
    listed: &[AttendeeInput],
    attendees: &[(String, Option<String>)],
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    match (listed.is_empty(), input.attendee_count) {
        (true, None) => {
            errors.push(FieldError::new(
                "attendees",
                "Escriba los asistentes por nombre o cuántas personas asistieron.",
            ));
            None
        }
        (false, Some(_)) => {
            errors.push(FieldError::new(
                "attendee_count",
                "Dé los asistentes por nombre o como un número, no ambos.",
            ));
            None
        }
        (true, Some(n)) if !(1..=MAX_ATTENDEES).contains(&n) => {
            errors.push(FieldError::new(
                "attendee_count",
                format!("El número de asistentes debe estar entre 1 y {MAX_ATTENDEES}."),
            ));
            None
        }
        (true, Some(n)) => Some(n as i32),
        (false, None) => Some(attendees.len() as i32),
    }
}
