//! Key positions (cargos clave, issue 68 item 3): the posts of an alcaldía that hold a
//! capacity (secretaría de planeación, hacienda, control interno, tesorería…), who holds each
//! now and since when, and what happens when a holder leaves.
//!
//! - The list is each municipality's own (`key_positions`): its liaison, the department's
//!   reviewer and staff add positions and change them; [`SUGGESTED`] only proposes the usual
//!   titles with the capacity each usually holds.
//! - A holder is a person of the product (registered in the municipality) or only a name.
//! - **Certified** means: the holder is a person of the product with a valid certificate of a
//!   course tied to the position's capacity (any cohort, any municipality). A name that is not
//!   a person of the product, or a person certified only in other capacities, is not.
//! - A departure ([`depart`]) records who left and whether they were certified, leaves the
//!   position vacant and, for a person of the product, records that they left the entity
//!   (`people::departures`, which the figures and the handover read). When the holder who left
//!   was certified, the department's reviewers and the municipality's liaisons are emailed
//!   (outbox) and their home pages list the position ([`vacated_certified`]) until someone
//!   holds it again. A new holder named over another records the previous one's departure on
//!   the new holder's day of possession.
//! - [`import`]: the positions of one municipality from a spreadsheet (SIGEP-like columns).

pub mod demo;
pub mod import;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{CertificateStatus, Role};
use crate::entities::{
    capacity, certificate, cohort, course_capacity, key_position, key_position_departure,
    municipality, participant, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::reports::place::{self, Place};
use crate::rows::Found;
use crate::rows::Rows;
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The appointment types (value, label as people read it). SIGEP's «tipo de vinculación».
pub const APPOINTMENTS: &[(&str, &str)] = &[
    ("carrera", "Carrera administrativa"),
    ("libre_nombramiento", "Libre nombramiento y remoción"),
    ("provisional", "Provisional"),
    ("contrato", "Contrato de prestación de servicios"),
    ("periodo", "Periodo fijo"),
];

/// The usual key positions of an alcaldía (title, the code of the capacity it usually holds):
/// what the page proposes. Each municipality's list is its own.
pub const SUGGESTED: &[(&str, &str)] = &[
    ("Secretario(a) de Planeación", "planeacion_territorial"),
    ("Secretario(a) de Hacienda", "ejecucion_recursos"),
    ("Tesorero(a)", "movilizacion_recursos"),
    (
        "Jefe(a) de Control Interno",
        "gobierno_abierto_transparencia",
    ),
    (
        "Profesional de Ordenamiento Territorial",
        "ordenamiento_territorial",
    ),
];

/// The earliest day of possession taken.
const EARLIEST_YEAR: i32 = 1950;

pub fn appointment_label(value: &str) -> Option<&'static str> {
    APPOINTMENTS
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, label)| *label)
}

/// Whether `user` may read and change the key positions of `place`: its liaison, the
/// department's reviewer, the administrators and ESAP's coordinators (a territorial
/// direction's, in its departments). The holders are named, so a coordinator of another
/// provider is not (as for the handover).
pub fn may_access(user: &Actor, place: &Place) -> bool {
    if let Some(codes) = user.direction_departments() {
        return codes.contains(&place.department_code);
    }
    match user.role {
        Role::Admin => true,
        Role::Coordinator => !user.is_other_provider(),
        Role::Reviewer | Role::Liaison => {
            user.covers_municipality(&place.code, &place.department_code)
        }
        Role::Instructor | Role::Participant => false,
    }
}

/// The municipality `code` if `user` may work on its key positions (404 otherwise).
pub async fn scoped<C: ConnectionTrait>(db: &C, user: &Actor, code: &str) -> AppResult<Place> {
    let place = place::find(db, user, code).await?;
    if !may_access(user, &place) {
        return Err(AppError::NotFound);
    }
    Ok(place)
}

/// Who holds a position.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PositionHolder)]
pub struct Holder {
    /// The person of the product, when the holder is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<i32>,
    pub full_name: String,
}

/// The latest departure from a position.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PositionDeparture)]
pub struct DepartureView {
    pub id: i32,
    pub holder_name: String,
    #[schema(format = Date)]
    pub on: NaiveDate,
    /// dd/mm/aaaa.
    pub on_display: String,
    pub reason: Option<String>,
    /// Whether the holder who left was certified in the position's capacity.
    pub certified: bool,
}

/// A key position as the page and the API show it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = KeyPosition)]
pub struct PositionView {
    pub id: i32,
    pub municipality_code: String,
    pub title: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    /// Null while the position is vacant.
    pub holder: Option<Holder>,
    /// `carrera`, `libre_nombramiento`, `provisional`, `contrato` or `periodo`; null while
    /// vacant.
    pub appointment: Option<String>,
    pub appointment_label: Option<&'static str>,
    /// The day of possession; null while vacant.
    #[schema(format = Date)]
    pub since: Option<NaiveDate>,
    /// dd/mm/aaaa.
    pub since_display: Option<String>,
    /// The holder is a person of the product certified in the position's capacity.
    pub certified: bool,
    pub last_departure: Option<DepartureView>,
}

/// A municipality's key positions, and how many are held by people certified in their
/// capacity («3 de 5»).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Positions {
    pub municipality: Place,
    pub items: Vec<PositionView>,
    pub held_by_certified: usize,
    pub total: usize,
}

/// A position's holder as given.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PositionHolderInput)]
pub struct HolderInput {
    /// A person of the product registered in the municipality.
    pub participant_id: Option<i32>,
    /// The holder's name, when they are not a person of the product (ignored otherwise).
    pub full_name: Option<String>,
}

/// A position to create (every field) or to change (the fields given).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PositionInput {
    #[schema(example = "Tesorero(a)")]
    pub title: Option<String>,
    /// The capacity the position holds.
    #[schema(example = 2)]
    pub capacity_id: Option<i32>,
    /// Who holds it (omit for a vacant position; on a change, omit to keep the holder).
    pub holder: Option<HolderInput>,
    /// Required with a new holder.
    #[schema(example = "libre_nombramiento")]
    pub appointment: Option<String>,
    /// The day of possession (AAAA-MM-DD), not after today; required with a new holder.
    #[schema(example = "2024-01-02")]
    pub since: Option<String>,
}

/// A departure to record.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PositionDepartureInput)]
pub struct DepartureInput {
    /// The day the holder left (AAAA-MM-DD), not after today nor before their possession.
    #[schema(value_type = String, required = true, example = "2026-10-15")]
    pub on: Option<String>,
    /// Why (optional, one line).
    pub reason: Option<String>,
}

/// participant → the capacities in which they hold a valid certificate.
pub async fn certified_capacities<C: ConnectionTrait>(
    db: &C,
    participant_ids: &[i32],
) -> AppResult<HashMap<i32, HashSet<i32>>> {
    let mut out: HashMap<i32, HashSet<i32>> = HashMap::new();
    if participant_ids.is_empty() {
        return Ok(out);
    }
    let mut certs: Vec<(i32, i32)> = Vec::new();
    for chunk in participant_ids.chunks(500) {
        for c in certificate::Entity::find()
            .filter(certificate::Column::ParticipantId.is_in(chunk.iter().copied()))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
            .all(db)
            .await?
        {
            certs.push((c.participant_id, c.cohort_id));
        }
    }
    if certs.is_empty() {
        return Ok(out);
    }
    let cohort_ids: HashSet<i32> = certs.iter().map(|(_, c)| *c).collect();
    let courses: HashMap<i32, i32> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(cohort_ids))
        .all_mapped(db, |c| (c.id, c.course_id))
        .await?;
    let course_ids: HashSet<i32> = courses.values().copied().collect();
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    for cc in course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.is_in(course_ids))
        .all(db)
        .await?
    {
        capacities
            .entry(cc.course_id)
            .or_default()
            .push(cc.capacity_id);
    }
    for (person, cohort_id) in certs {
        let Some(course) = courses.get(&cohort_id) else {
            continue;
        };
        for capacity in capacities.get(course).into_iter().flatten() {
            out.entry(person).or_default().insert(*capacity);
        }
    }
    Ok(out)
}

/// The key positions of municipality `code`, in their order of creation, without a scope
/// check (the callers check it: [`list`], the handover, the home pages).
pub async fn of_municipality<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Vec<PositionView>> {
    let rows = key_position::Entity::find()
        .filter(key_position::Column::MunicipalityCode.eq(code))
        .order_by_asc(key_position::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<key_position::Model>,
) -> AppResult<Vec<PositionView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let capacity_names = crate::capacities::names_by_id(db).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let departures = key_position_departure::Entity::find()
        .filter(key_position_departure::Column::PositionId.is_in(ids))
        .order_by_asc(key_position_departure::Column::LeftOn)
        .order_by_asc(key_position_departure::Column::Id)
        .all(db)
        .await?;
    let mut person_ids: Vec<i32> = rows
        .iter()
        .filter_map(|r| r.holder_participant_id)
        .chain(departures.iter().filter_map(|d| d.holder_participant_id))
        .collect();
    person_ids.sort_unstable();
    person_ids.dedup();
    let mut people: HashMap<i32, participant::Model> = HashMap::new();
    for chunk in person_ids.chunks(500) {
        for p in participant::Entity::find()
            .filter(participant::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            people.insert(p.id, p);
        }
    }
    let certified = certified_capacities(db, &person_ids).await?;
    let mut latest: HashMap<i32, DepartureView> = HashMap::new();
    for d in departures {
        let holder_name = d
            .holder_participant_id
            .and_then(|id| people.get(&id))
            .map(participant::Model::full_name)
            .or(d.holder_name.clone())
            .unwrap_or_default();
        latest.insert(
            d.position_id,
            DepartureView {
                id: d.id,
                holder_name,
                on: d.left_on,
                on_display: crate::format::date(d.left_on),
                reason: d.reason,
                certified: d.certified,
            },
        );
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let holder = match (r.holder_participant_id, r.holder_name.as_deref()) {
                (Some(id), _) => Some(Holder {
                    participant_id: Some(id),
                    full_name: people
                        .get(&id)
                        .map(participant::Model::full_name)
                        .unwrap_or_default(),
                }),
                (None, Some(name)) => Some(Holder {
                    participant_id: None,
                    full_name: name.to_string(),
                }),
                (None, None) => None,
            };
            let is_certified = r
                .holder_participant_id
                .and_then(|id| certified.get(&id))
                .is_some_and(|caps| caps.contains(&r.capacity_id));
            PositionView {
                id: r.id,
                capacity_name: capacity_names
                    .get(&r.capacity_id)
                    .cloned()
                    .unwrap_or_default(),
                appointment_label: r.appointment.as_deref().and_then(appointment_label),
                since_display: r.since.map(crate::format::date),
                last_departure: latest.remove(&r.id),
                municipality_code: r.municipality_code,
                title: r.title,
                capacity_id: r.capacity_id,
                holder,
                appointment: r.appointment,
                since: r.since,
                certified: is_certified,
            }
        })
        .collect())
}

/// The key positions of municipality `code` as `user` may read them (404 outside their
/// scope), with the count held by certified people.
pub async fn list<C: ConnectionTrait>(db: &C, user: &Actor, code: &str) -> AppResult<Positions> {
    let municipality = scoped(db, user, code).await?;
    let items = of_municipality(db, &municipality.code).await?;
    Ok(Positions {
        held_by_certified: items.iter().filter(|p| p.certified).count(),
        total: items.len(),
        municipality,
        items,
    })
}

/// One position as `user` may read it, with its municipality (404 outside their scope).
pub async fn get<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(Place, PositionView)> {
    let row = key_position::Entity::find_by_id(id).found(db).await?;
    let place = scoped(db, user, &row.municipality_code).await?;
    let view = views(db, vec![row])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((place, view))
}

/// A holder as validated: a person of the product or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValidHolder {
    Person(i32),
    Name(String),
}

/// A position's fields as validated.
#[derive(Clone, Debug)]
pub(crate) struct Valid {
    pub title: String,
    pub capacity_id: i32,
    pub holder: Option<(ValidHolder, String, NaiveDate)>,
}

/// A date of possession or departure: AAAA-MM-DD, not after `today`, not before 1950.
pub(crate) fn past_date(
    field: &str,
    text: Option<&str>,
    today: NaiveDate,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        errors.push(FieldError::new(field, missing));
        return None;
    };
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) if d > today => {
            errors.push(FieldError::new(
                field,
                format!(
                    "La fecha no puede ser posterior a hoy ({}).",
                    crate::format::date(today)
                ),
            ));
            None
        }
        Ok(d) if chrono::Datelike::year(&d) < EARLIEST_YEAR => {
            errors.push(FieldError::new(
                field,
                format!("Escriba una fecha desde {EARLIEST_YEAR}."),
            ));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("«{text}» no es una fecha válida (AAAA-MM-DD)."),
            ));
            None
        }
    }
}

/// The appointment type, one of [`APPOINTMENTS`].
pub(crate) fn appointment(
    field: &str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).unwrap_or("");
    if appointment_label(value).is_some() {
        return Some(value.to_string());
    }
    errors.push(FieldError::new(
        field,
        if value.is_empty() {
            "Elija el tipo de vinculación del titular.".to_string()
        } else {
            format!(
                "«{value}» no es un tipo de vinculación: elija carrera, libre nombramiento, \
                 provisional, contrato o periodo."
            )
        },
    ));
    None
}

/// Checks a position's fields for municipality `code` (every problem at once).
async fn validate<C: ConnectionTrait>(
    db: &C,
    code: &str,
    title: Option<&str>,
    capacity_id: Option<i32>,
    holder: Option<&HolderInput>,
    appointment_value: Option<&str>,
    since: Option<&str>,
) -> AppResult<Valid> {
    let mut errors = Vec::new();
    let title = crate::validate::required(
        "title",
        crate::validate::single_line("title", title.unwrap_or(""), crate::validate::TITLE_MAX),
        "Escriba el nombre del cargo.",
        &mut errors,
    );
    let capacity = match capacity_id {
        Some(id) => capacity::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    if capacity.is_none() {
        errors.push(FieldError::new(
            "capacity_id",
            "Elija la capacidad que el cargo ejerce.",
        ));
    }
    let mut valid_holder = None;
    if let Some(h) = holder {
        let who = match h.participant_id {
            Some(id) => {
                let person = participant::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .filter(|p| p.municipality_code == code && p.anonymised_at.is_none());
                if person.is_none() {
                    errors.push(FieldError::new(
                        "holder.participant_id",
                        "Esa persona no está registrada en este municipio: elija otra o \
                         escriba solo el nombre del titular.",
                    ));
                }
                person.map(|p| ValidHolder::Person(p.id))
            }
            None => crate::validate::required(
                "holder.full_name",
                crate::validate::single_line(
                    "holder.full_name",
                    h.full_name.as_deref().unwrap_or(""),
                    crate::validate::FULL_NAME_MAX,
                ),
                "Escriba el nombre del titular o elija una persona registrada.",
                &mut errors,
            )
            .map(ValidHolder::Name),
        };
        let kind = appointment("appointment", appointment_value, &mut errors);
        let on = past_date(
            "since",
            since,
            crate::time::today(),
            "Escriba la fecha de posesión (AAAA-MM-DD).",
            &mut errors,
        );
        if let (Some(who), Some(kind), Some(on)) = (who, kind, on) {
            valid_holder = Some((who, kind, on));
        }
    } else if appointment_value.is_some_and(|a| !a.trim().is_empty())
        || since.is_some_and(|s| !s.trim().is_empty())
    {
        errors.push(FieldError::new(
            "holder",
            "Sin titular no hay vinculación ni fecha de posesión: escriba el titular o deje \
             esos campos vacíos.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Valid {
        title: title.unwrap_or_default(),
        capacity_id: capacity.map(|c| c.id).unwrap_or_default(),
        holder: valid_holder,
    })
}

pub(crate) fn holder_columns(
    holder: &Option<(ValidHolder, String, NaiveDate)>,
) -> (
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
) {
    match holder {
        Some((ValidHolder::Person(id), kind, on)) => {
            (Some(*id), None, Some(kind.clone()), Some(*on))
        }
        Some((ValidHolder::Name(name), kind, on)) => {
            (None, Some(name.clone()), Some(kind.clone()), Some(*on))
        }
        None => (None, None, None, None),
    }
}

/// Writes a new position of municipality `code` (inside the caller's transaction).
pub(crate) async fn insert<C: ConnectionTrait>(
    db: &C,
    actor_id: i32,
    code: &str,
    valid: &Valid,
) -> AppResult<key_position::Model> {
    let (person, name, kind, since) = holder_columns(&valid.holder);
    let now = crate::time::now();
    let row = key_position::ActiveModel {
        municipality_code: Set(code.to_string()),
        title: Set(valid.title.clone()),
        capacity_id: Set(valid.capacity_id),
        holder_participant_id: Set(person),
        holder_name: Set(name),
        appointment: Set(kind),
        since: Set(since),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor_id),
            action: "key_position.created",
            subject_type: "key_position",
            subject_id: row.id.to_string(),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    Ok(row)
}

/// A key position as the log keeps it (`key_position.*`).
#[derive(Serialize)]
struct Snapshot<'a> {
    municipality_code: &'a str,
    title: &'a str,
    capacity_id: i32,
    holder_participant_id: Option<i32>,
    holder_name: Option<&'a str>,
    appointment: Option<&'a str>,
    since: Option<String>,
}

pub(crate) fn snapshot(row: &key_position::Model) -> serde_json::Value {
    serde_json::to_value(Snapshot {
        municipality_code: &row.municipality_code,
        title: &row.title,
        capacity_id: row.capacity_id,
        holder_participant_id: row.holder_participant_id,
        holder_name: row.holder_name.as_deref(),
        appointment: row.appointment.as_deref(),
        since: row.since.map(|d| d.to_string()),
    })
    .unwrap_or_default()
}

/// A holder's departure (`key_position.departure`).
#[derive(Serialize)]
struct Departure {
    departure_id: i32,
    left_on: String,
    certified: bool,
}

/// Adds a key position to municipality `code` (its liaison, the department's reviewer,
/// staff; 404 outside their scope; 422 with every problem, nothing written).
pub async fn create(
    db: &DatabaseConnection,
    user: &Actor,
    code: &str,
    input: &PositionInput,
) -> AppResult<PositionView> {
    let place = scoped(db, user, code).await?;
    let valid = validate(
        db,
        &place.code,
        input.title.as_deref(),
        input.capacity_id,
        input.holder.as_ref(),
        input.appointment.as_deref(),
        input.since.as_deref(),
    )
    .await?;
    let row = crate::db::write(db, async |txn| {
        insert(txn, user.id, &place.code, &valid).await
    })
    .await?;
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Changes position `id` (the fields given). A different holder named over the one recorded
/// records that one's departure on the new holder's day of possession (emails when they were
/// certified, as [`depart`]).
pub async fn update(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &PositionInput,
) -> AppResult<PositionView> {
    let row = key_position::Entity::find_by_id(id).found(db).await?;
    let place = scoped(db, user, &row.municipality_code).await?;
    if input.title.is_none()
        && input.capacity_id.is_none()
        && input.holder.is_none()
        && input.appointment.is_none()
        && input.since.is_none()
    {
        // Nothing asked: no write, no audit row, no «changed» date moved.
        return Err(AppError::invalid(
            "title",
            "Indique qué cambiar del cargo: el nombre, la capacidad, el titular, el tipo de \
             vinculación o la fecha de posesión.",
        ));
    }
    let current_holder = match (row.holder_participant_id, row.holder_name.clone()) {
        (Some(p), _) => Some(HolderInput {
            participant_id: Some(p),
            full_name: None,
        }),
        (None, Some(name)) => Some(HolderInput {
            participant_id: None,
            full_name: Some(name),
        }),
        (None, None) => None,
    };
    let holder = input.holder.clone().or(current_holder);
    // A holder kept keeps their appointment and possession day unless others are given.
    let same_holder = input.holder.is_none();
    let kept_since = row.since.map(|d| d.to_string());
    let appointment_value = input
        .appointment
        .clone()
        .or_else(|| same_holder.then(|| row.appointment.clone()).flatten());
    let since = input
        .since
        .clone()
        .or_else(|| same_holder.then_some(kept_since).flatten());
    let title = input.title.clone().or(Some(row.title.clone()));
    let capacity_id = input.capacity_id.or(Some(row.capacity_id));
    let valid = validate(
        db,
        &place.code,
        title.as_deref(),
        capacity_id,
        holder.as_ref(),
        appointment_value.as_deref(),
        since.as_deref(),
    )
    .await?;
    let replaced = match (&valid.holder, row.holder_participant_id, &row.holder_name) {
        (Some((ValidHolder::Person(new), _, _)), Some(old), _) => *new != old,
        (Some((ValidHolder::Name(new), _, _)), None, Some(old)) => {
            crate::text::fold(new) != crate::text::fold(old)
        }
        (Some(_), None, None) => false,
        (Some(_), _, _) => true,
        (None, _, _) => false,
    };
    if let (true, Some((_, _, on))) = (replaced, &valid.holder)
        && row.since.is_some_and(|s| *on < s)
    {
        return Err(AppError::invalid(
            "since",
            "La fecha de posesión del nuevo titular no puede ser anterior a la del titular \
             que reemplaza.",
        ));
    }
    let row = crate::db::write(db, async |txn| {
        if replaced && let Some((_, _, on)) = &valid.holder {
            leave(
                txn,
                notifier,
                user,
                &place,
                &row,
                *on,
                Some("Reemplazo en el cargo".into()),
            )
            .await?;
        }
        let before = snapshot(&row);
        let (person, name, kind, since) = holder_columns(&valid.holder);
        let mut active: key_position::ActiveModel = row.clone().into();
        active.title = Set(valid.title.clone());
        active.capacity_id = Set(valid.capacity_id);
        active.holder_participant_id = Set(person);
        active.holder_name = Set(name);
        active.appointment = Set(kind);
        active.since = Set(since);
        active.updated_at = Set(crate::time::now());
        let updated = active.update(txn).await?;
        audit::record(
            txn,
            Change {
                actor: Some(user.id),
                action: "key_position.updated",
                subject_type: "key_position",
                subject_id: updated.id.to_string(),
                before: Some(before),
                after: Some(snapshot(&updated)),
            },
        )
        .await?;
        Ok(updated)
    })
    .await?;
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Records that the holder of position `id` left on `input.on` (see the module): the
/// position is vacant afterwards. 409 for a vacant position.
pub async fn depart(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &DepartureInput,
) -> AppResult<PositionView> {
    let row = key_position::Entity::find_by_id(id).found(db).await?;
    let place = scoped(db, user, &row.municipality_code).await?;
    let mut errors = Vec::new();
    let on = past_date(
        "on",
        input.on.as_deref(),
        crate::time::today(),
        "Escriba el día en que el titular dejó el cargo (AAAA-MM-DD).",
        &mut errors,
    );
    let reason = crate::validate::line(
        "reason",
        input.reason.as_deref(),
        crate::validate::REASON_MAX,
        &mut errors,
    );
    if let (Some(on), Some(since)) = (on, row.since)
        && on < since
    {
        errors.push(FieldError::new(
            "on",
            format!(
                "La salida no puede ser anterior a la posesión ({}).",
                crate::format::date(since)
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let on = on.unwrap_or_else(crate::time::today);
    if row.holder_participant_id.is_none() && row.holder_name.is_none() {
        return Err(AppError::Conflict(
            "El cargo ya está vacante: no tiene titular que registrar como salida.".into(),
        ));
    }
    let row = crate::db::write(db, async |txn| {
        leave(txn, notifier, user, &place, &row, on, reason.clone()).await?;
        let mut active: key_position::ActiveModel = row.clone().into();
        active.holder_participant_id = Set(None);
        active.holder_name = Set(None);
        active.appointment = Set(None);
        active.since = Set(None);
        active.updated_at = Set(crate::time::now());
        Ok(active.update(txn).await?)
    })
    .await?;
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// The holder of `row` leaves on `on`: the departure row, the person's departure from the
/// entity, the audit entry and, when they were certified in the position's capacity, the
/// emails to the department's reviewers and the municipality's liaisons.
async fn leave<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    place: &Place,
    row: &key_position::Model,
    on: NaiveDate,
    reason: Option<String>,
) -> AppResult<()> {
    let certified = match row.holder_participant_id {
        Some(person) => certified_capacities(db, &[person])
            .await?
            .get(&person)
            .is_some_and(|caps| caps.contains(&row.capacity_id)),
        None => false,
    };
    let departure = key_position_departure::ActiveModel {
        position_id: Set(row.id),
        holder_participant_id: Set(row.holder_participant_id),
        holder_name: Set(row.holder_name.clone()),
        appointment: Set(row.appointment.clone()),
        since: Set(row.since),
        left_on: Set(on),
        reason: Set(reason.clone()),
        certified: Set(certified),
        recorded_by: Set(Some(user.id)),
        recorded_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if let Some(person) = row.holder_participant_id {
        crate::people::departures::record(
            db,
            person,
            &row.municipality_code,
            false,
            crate::time::from_local(on, 0, 0),
        )
        .await?;
    }
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "key_position.departure",
            subject_type: "key_position",
            subject_id: row.id.to_string(),
            before: Some(snapshot(row)),
            after: serde_json::to_value(Departure {
                departure_id: departure.id,
                left_on: on.to_string(),
                certified,
            })
            .ok(),
        },
    )
    .await?;
    if certified {
        let holder_name = match row.holder_participant_id {
            Some(id) => participant::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|p| p.full_name())
                .unwrap_or_default(),
            None => row.holder_name.clone().unwrap_or_default(),
        };
        let capacity_name = crate::capacities::name_of(db, row.capacity_id)
            .await?
            .unwrap_or_default();
        let recipients = user::Entity::find()
            .filter(user::Column::Active.eq(true))
            .filter(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all()
                            .add(user::Column::Role.eq(Role::Reviewer))
                            .add(user::Column::DepartmentCode.eq(place.department_code.clone())),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(user::Column::Role.eq(Role::Liaison))
                            .add(user::Column::MunicipalityCode.eq(place.code.clone())),
                    ),
            )
            .order_by_asc(user::Column::Id)
            .all(db)
            .await?;
        let mut emails = Vec::new();
        for to in recipients {
            let message = CertifiedHolderLeft {
                full_name: to.full_name.clone(),
                municipality: place.name.clone(),
                department: place.department_name.clone(),
                title: row.title.clone(),
                capacity: capacity_name.clone(),
                holder_name: holder_name.clone(),
                left_on: crate::format::date(on),
                reason: reason.clone(),
                path: page_path(&place.code),
            };
            emails.push(
                Email::of(to.email.clone(), &message)?
                    .once(format!("cargo-clave-salida:{}:{}", departure.id, to.id)),
            );
        }
        mail::enqueue_many(db, notifier, emails).await?;
    }
    Ok(())
}

/// The key positions page of a municipality.
pub fn page_path(code: &str) -> String {
    format!("/municipios/{code}/cargos")
}

/// «Un titular certificado dejó un cargo clave».
#[derive(Serialize)]
struct CertifiedHolderLeft {
    full_name: String,
    municipality: String,
    department: String,
    title: String,
    capacity: String,
    holder_name: String,
    left_on: String,
    reason: Option<String>,
    path: String,
}

impl mail::Message for CertifiedHolderLeft {
    const TEMPLATE: &'static str = "key_position_left";
    fn subject(&self) -> String {
        format!(
            "{}: quedó vacante el cargo de {} ({})",
            self.municipality, self.title, self.capacity
        )
    }
}

/// A position left by a holder certified in its capacity and not held again: what the homes
/// of the department's reviewer and the municipality's liaison list.
#[derive(Clone, Debug, Serialize)]
pub struct VacatedPosition {
    pub position_id: i32,
    pub municipality_code: String,
    pub municipality_name: String,
    pub title: String,
    pub capacity_name: String,
    pub holder_name: String,
    pub left_on: String,
    pub page_url: String,
}

/// The positions of the municipalities of `department_code` (or only of `municipality_code`)
/// whose latest holder was certified in their capacity, left, and has no successor yet;
/// the latest departure first.
pub async fn vacated_certified<C: ConnectionTrait>(
    db: &C,
    department_code: Option<&str>,
    municipality_code: Option<&str>,
) -> AppResult<Vec<VacatedPosition>> {
    let mut places = municipality::Entity::find();
    if let Some(code) = department_code {
        places = places.filter(municipality::Column::DepartmentCode.eq(code));
    }
    if let Some(code) = municipality_code {
        places = places.filter(municipality::Column::Code.eq(code));
    }
    let mut query = key_position::Entity::find()
        .filter(key_position::Column::HolderParticipantId.is_null())
        .filter(key_position::Column::HolderName.is_null());
    if let Some(code) = municipality_code {
        query = query.filter(key_position::Column::MunicipalityCode.eq(code));
    }
    let vacant = query.all(db).await?;
    if vacant.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<String, String> = places.all_mapped(db, |m| (m.code, m.name)).await?;
    let vacant: Vec<key_position::Model> = vacant
        .into_iter()
        .filter(|p| names.contains_key(&p.municipality_code))
        .collect();
    let mut out: Vec<(NaiveDate, VacatedPosition)> = views(db, vacant)
        .await?
        .into_iter()
        .filter_map(|p| {
            let left = p.last_departure.filter(|d| d.certified)?;
            let place = VacatedPosition {
                position_id: p.id,
                municipality_name: names.get(&p.municipality_code).cloned().unwrap_or_default(),
                page_url: page_path(&p.municipality_code),
                municipality_code: p.municipality_code,
                title: p.title,
                capacity_name: p.capacity_name,
                holder_name: left.holder_name,
                left_on: left.on_display,
            };
            Some((left.on, place))
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.position_id.cmp(&b.1.position_id)));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

/// The positions of municipality `code` not held by someone certified in their capacity
/// (vacant, or held by someone who is not): what the handover lists.
pub async fn uncovered<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<Vec<PositionView>> {
    Ok(of_municipality(db, code)
        .await?
        .into_iter()
        .filter(|p| !p.certified)
        .collect())
}
