//! Cohorts: one scheduled run of a course for some municipalities or departments, with its
//! dates, enrolment window, seats, instructors, completion rule and lifecycle.

pub mod api;
pub mod overlap;
pub mod pages;
pub mod public;
pub mod scope;
pub mod sessions;

use crate::audit::{self, Change};
use crate::catalogue::courses::{self, CapacityRef};
use crate::entities::values::{CohortStatus, EnrolmentStatus, Modality, Role};
use crate::entities::{
    cohort, cohort_department, cohort_instructor, cohort_municipality, cohort_session, course,
    department, enrolment, municipality, participant, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::mail::{self, Email};
use crate::parse;
use crate::validate;
use chrono::NaiveDate;
use scope::CohortScope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// The lifecycle: draft → open → in_progress → closed, or cancelled before closing.
pub fn transition_allowed(from: CohortStatus, to: CohortStatus) -> bool {
    use CohortStatus::*;
    matches!(
        (from, to),
        (Draft, Open)
            | (Open, InProgress)
            | (InProgress, Closed)
            | (Draft | Open | InProgress, Cancelled)
    )
}

/// What a coordinator sends to create (all required fields) or change (any subset) a cohort.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CohortInput {
    pub course_id: Option<i32>,
    pub name: Option<String>,
    pub modality: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub enrolment_opens: Option<String>,
    pub enrolment_closes: Option<String>,
    pub seats: Option<i64>,
    pub venue: Option<String>,
    pub meeting_url: Option<String>,
    pub municipality_codes: Option<Vec<String>>,
    pub department_codes: Option<Vec<String>>,
    pub instructor_ids: Option<Vec<i32>>,
    pub min_attendance_pct: Option<i64>,
    pub pass_mark: Option<f64>,
    pub status: Option<String>,
    pub cancellation_reason: Option<String>,
}

/// Targets and instructors of a cohort.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub municipalities: Vec<String>,
    pub departments: Vec<String>,
    pub instructors: Vec<i32>,
}

pub async fn targets_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Targets>> {
    let mut map: HashMap<i32, Targets> = ids.iter().map(|id| (*id, Targets::default())).collect();
    for row in cohort_municipality::Entity::find()
        .filter(cohort_municipality::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_municipality::Column::MunicipalityCode)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .municipalities
            .push(row.municipality_code);
    }
    for row in cohort_department::Entity::find()
        .filter(cohort_department::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_department::Column::DepartmentCode)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .departments
            .push(row.department_code);
    }
    for row in cohort_instructor::Entity::find()
        .filter(cohort_instructor::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_instructor::Column::UserId)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .instructors
            .push(row.user_id);
    }
    Ok(map)
}

/// The resolved, validated values of a cohort about to be written.
struct Plan {
    course: course::Model,
    name: String,
    modality: Modality,
    start_date: NaiveDate,
    end_date: NaiveDate,
    enrolment_opens: NaiveDate,
    enrolment_closes: NaiveDate,
    seats: i32,
    venue: Option<String>,
    meeting_url: Option<String>,
    targets: Targets,
    min_attendance_pct: i32,
    pass_mark_tenths: i32,
}

fn normalize_codes(codes: &[String], normalize: fn(&str) -> String) -> Vec<String> {
    codes
        .iter()
        .map(|c| normalize(c.trim()))
        .filter(|c| !c.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Merges `input` over `current` (None when creating) and checks every rule at once.
async fn plan<C: ConnectionTrait>(
    db: &C,
    input: &CohortInput,
    current: Option<(&cohort::Model, &Targets)>,
) -> AppResult<Plan> {
    let mut errors = Vec::new();
    let course_id = input.course_id.or(current.map(|(c, _)| c.course_id));
    let course = match course_id {
        None => {
            errors.push(FieldError::new(
                "course_id",
                "Elija el curso de la cohorte.",
            ));
            None
        }
        Some(id) => match course::Entity::find_by_id(id).one(db).await? {
            None => {
                errors.push(FieldError::new("course_id", "El curso elegido no existe."));
                None
            }
            Some(c)
                if c.retired_at.is_some() && current.is_none_or(|(m, _)| m.course_id != c.id) =>
            {
                errors.push(FieldError::new(
                    "course_id",
                    "El curso está retirado: no admite cohortes nuevas.",
                ));
                None
            }
            Some(c) => Some(c),
        },
    };
    let name = match &input.name {
        Some(text) => match validate::single_line("name", text, validate::TITLE_MAX) {
            Ok(Some(name)) => Some(name),
            Ok(None) => {
                errors.push(FieldError::new("name", "Escriba el nombre de la cohorte."));
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
        None => match current {
            Some((c, _)) => Some(c.name.clone()),
            None => {
                errors.push(FieldError::new("name", "Escriba el nombre de la cohorte."));
                None
            }
        },
    };
    let modality = match input
        .modality
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(text) => {
            let parsed = Modality::parse(text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "modality",
                    "La modalidad debe ser presencial, virtual o mixta.",
                ));
            }
            parsed
        }
        None => current
            .map(|(c, _)| c.modality)
            .or(course.as_ref().map(|c| c.default_modality)),
    };
    let date_or = |field: &str,
                   text: &Option<String>,
                   fallback: Option<NaiveDate>,
                   errors: &mut Vec<FieldError>| match text {
        Some(t) => parse::date(field, Some(t), true, errors),
        None if fallback.is_some() => fallback,
        None => parse::date(field, None, true, errors),
    };
    let start_date = date_or(
        "start_date",
        &input.start_date,
        current.map(|(c, _)| c.start_date),
        &mut errors,
    );
    let end_date = date_or(
        "end_date",
        &input.end_date,
        current.map(|(c, _)| c.end_date),
        &mut errors,
    );
    let enrolment_opens = date_or(
        "enrolment_opens",
        &input.enrolment_opens,
        current.map(|(c, _)| c.enrolment_opens),
        &mut errors,
    );
    let enrolment_closes = date_or(
        "enrolment_closes",
        &input.enrolment_closes,
        current.map(|(c, _)| c.enrolment_closes),
        &mut errors,
    );
    if let (Some(start), Some(end)) = (start_date, end_date)
        && end < start
    {
        errors.push(FieldError::new(
            "end_date",
            "La fecha de fin no puede ser anterior a la de inicio.",
        ));
    }
    if let (Some(opens), Some(closes)) = (enrolment_opens, enrolment_closes)
        && closes < opens
    {
        errors.push(FieldError::new(
            "enrolment_closes",
            "Las inscripciones no pueden cerrar antes de abrir.",
        ));
    }
    if let (Some(closes), Some(end)) = (enrolment_closes, end_date)
        && closes > end
    {
        errors.push(FieldError::new(
            "enrolment_closes",
            "Las inscripciones deben cerrar antes de que termine la cohorte.",
        ));
    }
    let seats = match input.seats {
        Some(s) if !(1..=10_000).contains(&s) => {
            errors.push(FieldError::new(
                "seats",
                "Los cupos deben ser un número entre 1 y 10000.",
            ));
            None
        }
        Some(s) => Some(s as i32),
        None => {
            let seats = current.map(|(c, _)| c.seats);
            if seats.is_none() {
                errors.push(FieldError::new(
                    "seats",
                    "Escriba cuántos cupos tiene la cohorte.",
                ));
            }
            seats
        }
    };
    let venue = match &input.venue {
        Some(text) => validate::line("venue", Some(text), validate::SHORT_TEXT_MAX, &mut errors),
        None => current.and_then(|(c, _)| c.venue.clone()),
    };
    let meeting_url = match &input.meeting_url {
        Some(text) => validate::line("meeting_url", Some(text), validate::URL_MAX, &mut errors),
        None => current.and_then(|(c, _)| c.meeting_url.clone()),
    };

    if let Some(url) = &meeting_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        errors.push(FieldError::new(
            "meeting_url",
            "El enlace de la sala virtual debe empezar por https://.",
        ));
    }
    match modality {
        Some(Modality::Presencial | Modality::Mixta) if venue.is_none() => errors.push(
            FieldError::new("venue", "Escriba el lugar donde se reúne la cohorte."),
        ),
        Some(Modality::Virtual) if venue.is_none() && meeting_url.is_none() => {
            errors.push(FieldError::new(
                "meeting_url",
                "Escriba el enlace de la sala virtual o el lugar.",
            ))
        }
        _ => {}
    }

    let mut targets = current.map(|(_, t)| t.clone()).unwrap_or_default();
    if let Some(codes) = &input.municipality_codes {
        targets.municipalities = normalize_codes(codes, |c| {
            crate::people::registration::normalize_municipality_code(c)
        });
        let found = municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(targets.municipalities.clone()))
            .all(db)
            .await?;
        for code in &targets.municipalities {
            if !found.iter().any(|m| &m.code == code) {
                errors.push(FieldError::new(
                    "municipality_codes",
                    format!("No existe un municipio con código DANE «{code}»."),
                ));
            }
        }
    }
    if let Some(codes) = &input.department_codes {
        targets.departments = normalize_codes(codes, |c| {
            if c.len() == 1 {
                format!("0{c}")
            } else {
                c.to_string()
            }
        });
        let found = department::Entity::find()
            .filter(department::Column::Code.is_in(targets.departments.clone()))
            .all(db)
            .await?;
        for code in &targets.departments {
            if !found.iter().any(|d| &d.code == code) {
                errors.push(FieldError::new(
                    "department_codes",
                    format!("No existe un departamento con código DANE «{code}»."),
                ));
            }
        }
    }
    if let Some(ids) = &input.instructor_ids {
        let mut ids = ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let found = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        for id in &ids {
            match found.iter().find(|u| u.id == *id) {
                None => errors.push(FieldError::new(
                    "instructor_ids",
                    format!("No existe el usuario {id}."),
                )),
                Some(u) if u.role != Role::Instructor || !u.active => errors.push(FieldError::new(
                    "instructor_ids",
                    format!("{} no tiene el rol de instructor activo.", u.full_name),
                )),
                _ => {}
            }
        }
        targets.instructors = ids;
    }
    let min_attendance_pct = match input.min_attendance_pct {
        Some(p) => parse::percent("min_attendance_pct", p, &mut errors),
        None => current
            .map(|(c, _)| c.min_attendance_pct)
            .or(course.as_ref().map(|c| c.min_attendance_pct)),
    };
    let pass_mark_tenths = match input.pass_mark {
        Some(m) => parse::grade_tenths("pass_mark", m, &mut errors),
        None => current
            .map(|(c, _)| c.pass_mark_tenths)
            .or(course.as_ref().map(|c| c.pass_mark_tenths)),
    };

    if let Some((cohort, _)) = current {
        // Dates may not leave sessions stranded, nor seats drop below those already taken.
        if let (Some(start), Some(end)) = (start_date, end_date) {
            let stranded = cohort_session::Entity::find()
                .filter(cohort_session::Column::CohortId.eq(cohort.id))
                .all(db)
                .await?
                .into_iter()
                .filter(|s| !sessions::within(s.starts_at, s.ends_at, start, end))
                .count();
            if stranded > 0 {
                errors.push(FieldError::new(
                    "start_date",
                    format!("{stranded} sesión(es) quedarían fuera de las nuevas fechas: muévalas o elimínelas primero."),
                ));
            }
        }
        if let Some(seats) = seats {
            let taken = count_enrolments(db, cohort.id, EnrolmentStatus::Enrolled).await?;
            if (seats as u64) < taken {
                errors.push(FieldError::new(
                    "seats",
                    format!("Ya hay {taken} personas inscritas: los cupos no pueden ser menos."),
                ));
            }
        }
    }

    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let missing = || AppError::Internal("cohorte incompleta tras validar".into());
    Ok(Plan {
        course: course.ok_or_else(missing)?,
        name: name.ok_or_else(missing)?,
        modality: modality.ok_or_else(missing)?,
        start_date: start_date.ok_or_else(missing)?,
        end_date: end_date.ok_or_else(missing)?,
        enrolment_opens: enrolment_opens.ok_or_else(missing)?,
        enrolment_closes: enrolment_closes.ok_or_else(missing)?,
        seats: seats.ok_or_else(missing)?,
        venue,
        meeting_url,
        targets,
        min_attendance_pct: min_attendance_pct.ok_or_else(missing)?,
        pass_mark_tenths: pass_mark_tenths.ok_or_else(missing)?,
    })
}

pub async fn count_enrolments<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    status: EnrolmentStatus,
) -> AppResult<u64> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::Status.eq(status))
        .count(db)
        .await?)
}

async fn write_targets<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    targets: &Targets,
) -> AppResult<()> {
    cohort_municipality::Entity::delete_many()
        .filter(cohort_municipality::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    cohort_department::Entity::delete_many()
        .filter(cohort_department::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    cohort_instructor::Entity::delete_many()
        .filter(cohort_instructor::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    if !targets.municipalities.is_empty() {
        cohort_municipality::Entity::insert_many(targets.municipalities.iter().map(|code| {
            cohort_municipality::ActiveModel {
                cohort_id: Set(cohort_id),
                municipality_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !targets.departments.is_empty() {
        cohort_department::Entity::insert_many(targets.departments.iter().map(|code| {
            cohort_department::ActiveModel {
                cohort_id: Set(cohort_id),
                department_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !targets.instructors.is_empty() {
        cohort_instructor::Entity::insert_many(targets.instructors.iter().map(|id| {
            cohort_instructor::ActiveModel {
                cohort_id: Set(cohort_id),
                user_id: Set(*id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

fn apply(model: &mut cohort::ActiveModel, plan: &Plan) {
    model.course_id = Set(plan.course.id);
    model.name = Set(plan.name.clone());
    model.modality = Set(plan.modality);
    model.start_date = Set(plan.start_date);
    model.end_date = Set(plan.end_date);
    model.enrolment_opens = Set(plan.enrolment_opens);
    model.enrolment_closes = Set(plan.enrolment_closes);
    model.seats = Set(plan.seats);
    model.venue = Set(plan.venue.clone());
    model.meeting_url = Set(plan.meeting_url.clone());
    model.min_attendance_pct = Set(plan.min_attendance_pct);
    model.pass_mark_tenths = Set(plan.pass_mark_tenths);
    model.updated_at = Set(crate::time::now());
}

/// Creates a draft cohort (with its targets and instructors), audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    input: &CohortInput,
) -> AppResult<CohortView> {
    // A new cohort is a draft: any other status is refused, never silently ignored.
    if let Some(status) = input.status.as_deref()
        && CohortStatus::parse(status.trim()) != Some(CohortStatus::Draft)
    {
        return Err(AppError::invalid(
            "status",
            "Una cohorte nueva empieza en borrador: omita el estado o envíe «draft».",
        ));
    }
    let plan = plan(db, input, None).await?;
    let at = crate::time::now();
    let mut model = cohort::ActiveModel {
        status: Set(CohortStatus::Draft),
        cancellation_reason: Set(None),
        created_by: Set(Some(actor)),
        created_at: Set(at),
        closed_at: Set(None),
        ..Default::default()
    };
    apply(&mut model, &plan);
    let saved = model.insert(db).await?;
    write_targets(db, saved.id, &plan.targets).await?;
    let view = view(db, saved.id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "cohort.created",
            subject_type: "cohort",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Changes fields and/or the status. Closed and cancelled cohorts are history: 409.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    id: i32,
    input: &CohortInput,
) -> AppResult<CohortView> {
    // Seats may change: serialise with the enrolments of this cohort.
    let current = lock(db, id).await?;
    if current.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte está {}: ya no se puede modificar.",
            current.status.label().to_lowercase()
        )));
    }
    let target_status = match input
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(text) => Some(CohortStatus::parse(text).ok_or_else(|| {
            AppError::invalid(
                "status",
                "El estado debe ser draft, open, in_progress, closed o cancelled.",
            )
        })?),
    };
    let reason = match &input.cancellation_reason {
        Some(text) => validate::single_line("cancellation_reason", text, validate::REASON_MAX)
            .map_err(|e| AppError::Validation(vec![e]))?,
        None => None,
    };
    let before = view(db, id).await?;
    let current_targets = targets_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    let changes_fields = input.course_id.is_some()
        || input.name.is_some()
        || input.modality.is_some()
        || input.start_date.is_some()
        || input.end_date.is_some()
        || input.enrolment_opens.is_some()
        || input.enrolment_closes.is_some()
        || input.seats.is_some()
        || input.venue.is_some()
        || input.meeting_url.is_some()
        || input.municipality_codes.is_some()
        || input.department_codes.is_some()
        || input.instructor_ids.is_some()
        || input.min_attendance_pct.is_some()
        || input.pass_mark.is_some();
    if changes_fields {
        let plan = plan(db, input, Some((&current, &current_targets))).await?;
        let mut model: cohort::ActiveModel = current.clone().into();
        apply(&mut model, &plan);
        model.update(db).await?;
        if plan.targets != current_targets {
            write_targets(db, id, &plan.targets).await?;
        }
    }
    if let Some(to) = target_status.filter(|to| *to != current.status) {
        change_status(db, notifier, actor, &current, to, reason.as_deref()).await?;
    }
    // More seats: the waiting list moves up, first come first served.
    let updated = find(db, id).await?;
    if updated.seats > current.seats
        && matches!(
            updated.status,
            CohortStatus::Open | CohortStatus::InProgress
        )
    {
        crate::enrolment::fill_seats(db, notifier, Some(actor), &updated).await?;
    }
    let after = view(db, id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: if target_status.is_some_and(|s| s != current.status) {
                "cohort.status_changed"
            } else {
                "cohort.updated"
            },
            subject_type: "cohort",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}

async fn change_status<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    current: &cohort::Model,
    to: CohortStatus,
    reason: Option<&str>,
) -> AppResult<()> {
    if !transition_allowed(current.status, to) {
        return Err(AppError::Conflict(format!(
            "Una cohorte en estado «{}» no puede pasar a «{}».",
            current.status.label(),
            to.label()
        )));
    }
    if to == CohortStatus::Open {
        let sessions = cohort_session::Entity::find()
            .filter(cohort_session::Column::CohortId.eq(current.id))
            .count(db)
            .await?;
        if sessions == 0 {
            return Err(AppError::Conflict(
                "Programe al menos una sesión antes de abrir las inscripciones.".into(),
            ));
        }
    }
    if to == CohortStatus::Closed {
        // Results become final: refuse while the weights are not final, then freeze them.
        crate::results::check_closable(db, current.id).await?;
        crate::results::freeze(db, actor, current).await?;
    }
    let mut model: cohort::ActiveModel = current.clone().into();
    model.status = Set(to);
    model.updated_at = Set(crate::time::now());
    if to == CohortStatus::Closed {
        model.closed_at = Set(Some(crate::time::now()));
    }
    if to == CohortStatus::Cancelled {
        let reason =
            parse::text(reason).unwrap_or_else(|| "Cancelada por la coordinación".to_string());
        model.cancellation_reason = Set(Some(reason.clone()));
        cancel_enrolments(db, notifier, actor, current, &reason).await?;
    }
    model.update(db).await?;
    Ok(())
}

/// Everyone enrolled or waiting is cancelled and told why, in the same transaction.
async fn cancel_enrolments<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
    reason: &str,
) -> AppResult<()> {
    let affected = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(
            enrolment::Column::Status
                .is_in([EnrolmentStatus::Enrolled, EnrolmentStatus::Waitlisted]),
        )
        .find_also_related(participant::Entity)
        .all(db)
        .await?;
    let at = crate::time::now();
    for (row, person) in affected {
        let before = row.status;
        let mut model: enrolment::ActiveModel = row.clone().into();
        model.status = Set(EnrolmentStatus::Cancelled);
        model.waitlist_seq = Set(None);
        model.cancelled_at = Set(Some(at));
        model.cancellation_reason = Set(Some(format!("Cohorte cancelada: {reason}")));
        model.updated_at = Set(at);
        model.update(db).await?;
        audit::record(
            db,
            Change {
                actor: Some(actor),
                action: "enrolment.cancelled",
                subject_type: "enrolment",
                subject_id: row.id.to_string(),
                before: Some(json!({"status": before})),
                after: Some(json!({"status": "cancelled", "reason": "cohort_cancelled"})),
            },
        )
        .await?;
        if let Some(email) = person.as_ref().and_then(|p| p.email.clone()) {
            let message = CohortCancelled {
                full_name: person.as_ref().map(|p| p.full_name()),
                cohort: &cohort.name,
                start_date: cohort.start_date.to_string(),
                end_date: cohort.end_date.to_string(),
                reason,
            };
            let email = Email::of(email, &message)?
                .once(format!("cohort_cancelled:{}:{}", cohort.id, row.id));
            mail::enqueue(db, notifier, email).await?;
        }
    }
    Ok(())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<cohort::Model> {
    cohort::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Serialises the changes of one cohort that count seats, attendance or grades: touches the
/// cohort row (`UPDATE cohorts SET updated_at = updated_at`), a row lock on PostgreSQL and the
/// write lock on SQLite, so concurrent transactions on the same cohort run one after the
/// other. Returns the cohort.
pub async fn lock<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<cohort::Model> {
    cohort::Entity::update_many()
        .col_expr(
            cohort::Column::UpdatedAt,
            sea_orm::sea_query::Expr::col(cohort::Column::UpdatedAt),
        )
        .filter(cohort::Column::Id.eq(cohort_id))
        .exec(db)
        .await?;
    find(db, cohort_id).await
}

/// The cohort if the scope allows it; otherwise 404, as if it did not exist.
pub async fn find_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &CohortScope,
    id: i32,
) -> AppResult<cohort::Model> {
    cohort::Entity::find_by_id(id)
        .filter(scope.condition())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Clone, Debug, Serialize)]
pub struct CourseRef {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub hours: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct CohortView {
    pub id: i32,
    pub course_id: i32,
    pub course: CourseRef,
    pub capacities: Vec<CapacityRef>,
    pub name: String,
    pub modality: Modality,
    pub status: CohortStatus,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub enrolment_opens: NaiveDate,
    pub enrolment_closes: NaiveDate,
    pub seats: i32,
    pub enrolled: u64,
    pub waitlisted: u64,
    pub seats_available: u64,
    pub venue: Option<String>,
    pub meeting_url: Option<String>,
    pub municipality_codes: Vec<String>,
    pub department_codes: Vec<String>,
    pub instructor_ids: Vec<i32>,
    pub min_attendance_pct: i32,
    pub pass_mark: f64,
    pub cancellation_reason: Option<String>,
    pub warnings: Vec<overlap::Warning>,
}

/// Full views (with warnings) of cohorts, in the given order.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    cohorts: Vec<cohort::Model>,
    with_warnings: bool,
) -> AppResult<Vec<CohortView>> {
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let course_ids: Vec<i32> = cohorts.iter().map(|c| c.course_id).collect();
    let courses: HashMap<i32, course::Model> = course::Entity::find()
        .filter(course::Column::Id.is_in(course_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let capacities = courses::capacities_of(db, &course_ids).await?;
    let mut targets = targets_of(db, &ids).await?;
    let counts = enrolment_counts(db, &ids).await?;
    let mut out = Vec::with_capacity(cohorts.len());
    for c in cohorts {
        let course = courses.get(&c.course_id).ok_or(AppError::NotFound)?;
        let t = targets.remove(&c.id).unwrap_or_default();
        let (enrolled, waitlisted) = counts.get(&c.id).copied().unwrap_or((0, 0));
        let warnings = if with_warnings {
            overlap::warnings_for(db, &c).await?
        } else {
            Vec::new()
        };
        out.push(CohortView {
            id: c.id,
            course_id: c.course_id,
            course: CourseRef {
                id: course.id,
                code: course.code.clone(),
                name: course.name.clone(),
                hours: course.hours,
            },
            capacities: capacities.get(&c.course_id).cloned().unwrap_or_default(),
            name: c.name,
            modality: c.modality,
            status: c.status,
            start_date: c.start_date,
            end_date: c.end_date,
            enrolment_opens: c.enrolment_opens,
            enrolment_closes: c.enrolment_closes,
            seats: c.seats,
            enrolled,
            waitlisted,
            seats_available: (c.seats as u64).saturating_sub(enrolled),
            venue: c.venue,
            meeting_url: c.meeting_url,
            municipality_codes: t.municipalities,
            department_codes: t.departments,
            instructor_ids: t.instructors,
            min_attendance_pct: c.min_attendance_pct,
            pass_mark: parse::grade_value(c.pass_mark_tenths),
            cancellation_reason: c.cancellation_reason,
            warnings,
        });
    }
    Ok(out)
}

pub async fn view<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<CohortView> {
    let model = find(db, id).await?;
    views(db, vec![model], true)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// (enrolled, waitlisted) per cohort.
async fn enrolment_counts<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, (u64, u64)>> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Count {
        cohort_id: i32,
        status: EnrolmentStatus,
        n: i64,
    }
    let rows = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::Status)
        .column_as(enrolment::Column::Id.count(), "n")
        .filter(enrolment::Column::CohortId.is_in(ids.to_vec()))
        .filter(
            enrolment::Column::Status
                .is_in([EnrolmentStatus::Enrolled, EnrolmentStatus::Waitlisted]),
        )
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::Status)
        .into_model::<Count>()
        .all(db)
        .await?;
    let mut map: HashMap<i32, (u64, u64)> = HashMap::new();
    for row in rows {
        let entry = map.entry(row.cohort_id).or_default();
        match row.status {
            EnrolmentStatus::Enrolled => entry.0 = row.n as u64,
            _ => entry.1 = row.n as u64,
        }
    }
    Ok(map)
}

/// Filters of the coordinators' list (and the API).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<CohortStatus>,
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity_id: Option<i32>,
    pub course_id: Option<i32>,
    pub modality: Option<Modality>,
    /// Cohorts running at some point between these dates.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &CohortScope,
    filter: &ListFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<CohortView>, u64)> {
    let mut condition = Condition::all().add(scope.condition());
    if let Some(status) = filter.status {
        condition = condition.add(cohort::Column::Status.eq(status));
    }
    if let Some(code) = &filter.department {
        condition = condition.add(scope::in_department(code));
    }
    if let Some(code) = &filter.municipality {
        condition = condition.add(scope::offered_to_municipality(code));
    }
    if let Some(capacity_id) = filter.capacity_id {
        condition = condition.add(
            cohort::Column::CourseId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::entities::course_capacity::Column::CourseId)
                    .from(crate::entities::course_capacity::Entity)
                    .and_where(crate::entities::course_capacity::Column::CapacityId.eq(capacity_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(course_id) = filter.course_id {
        condition = condition.add(cohort::Column::CourseId.eq(course_id));
    }
    if let Some(modality) = filter.modality {
        condition = condition.add(cohort::Column::Modality.eq(modality));
    }
    if let Some(from) = filter.from {
        condition = condition.add(cohort::Column::EndDate.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(cohort::Column::StartDate.lte(to));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        condition = condition.add(cohort::Column::Name.contains(text));
    }
    let paginator = cohort::Entity::find()
        .filter(condition)
        .order_by_desc(cohort::Column::StartDate)
        .order_by_desc(cohort::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows, false).await?, total))
}

/// Names of the places a cohort is offered to, for people ("todo el país" when none).
pub async fn place_names<C: ConnectionTrait>(db: &C, targets: &Targets) -> AppResult<Vec<String>> {
    let mut names = Vec::new();
    let departments: HashMap<String, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    for code in &targets.departments {
        names.push(format!(
            "Departamento de {}",
            departments
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.clone())
        ));
    }
    for m in municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(targets.municipalities.clone()))
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?
    {
        let department = departments
            .get(&m.department_code)
            .cloned()
            .unwrap_or_default();
        names.push(format!("{} ({department})", m.name));
    }
    if names.is_empty() {
        names.push("Todo el país".to_string());
    }
    Ok(names)
}

/// To each person of a cancelled cohort, with the reason.
#[derive(Serialize)]
struct CohortCancelled<'a> {
    full_name: Option<String>,
    cohort: &'a str,
    start_date: String,
    end_date: String,
    reason: &'a str,
}

impl mail::Message for CohortCancelled<'_> {
    const TEMPLATE: &'static str = "cohort_cancelled";
    fn subject(&self) -> String {
        format!("Cohorte cancelada: {}", self.cohort)
    }
}
