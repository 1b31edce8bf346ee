//! Cohorts: one scheduled run of a course for some municipalities or departments, with its
//! dates, enrolment window, seats, instructors, completion rule and lifecycle.

pub mod closing;
pub mod demo;
pub mod events;
mod input;
mod lifecycle;
pub mod overlap;
pub mod quotas;
pub mod scope;
pub mod sessions;
mod targets;
mod views;

pub use input::CohortInput;
use input::{Plan, plan};
use lifecycle::change_status;
pub use lifecycle::transition_allowed;
use targets::write_targets;
pub use targets::{Targets, place_names, targets_of};
pub use views::{CohortView, CourseRef, ListFilter, list, view, views};

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{CohortStatus, EnrolmentStatus};
use crate::entities::{cohort, enrolment};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::rows::Found;
use crate::validate;
use events::CohortEvent;
use scope::CohortScope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

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

fn apply(model: &mut cohort::ActiveModel, plan: &Plan) {
    model.course_id = Set(plan.course.id);
    model.provider_id = Set(plan.course.provider_id);
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
    model.quota_release_on = Set(plan.quota_release_on);
    model.trains_trainers = Set(plan.trains_trainers);
    model.updated_at = Set(crate::time::now());
}

/// Creates a draft cohort (with its targets and instructors), audited, and announces the
/// demands it answers (see [`crate::cohort_flow`]). A direction's coordinator creates cohorts
/// only for its departments (422).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &CohortInput,
) -> AppResult<(CohortView, Vec<CohortEvent>)> {
    let actor = user.id;
    input.check_lists()?;
    // A new cohort is a draft: any other status is refused, never silently ignored.
    if let Some(status) = input.status.as_deref()
        && CohortStatus::parse(status.trim()) != Some(CohortStatus::Draft)
    {
        return Err(AppError::invalid(
            "status",
            "Una cohorte nueva empieza en borrador: omita el estado o envíe «draft».",
        ));
    }
    let plan = plan(
        db,
        input,
        None,
        user.direction_departments(),
        user.managed_provider(),
    )
    .await?;
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
    quotas::write(db, saved.id, &plan.quotas).await?;
    crate::joint::write(
        db,
        crate::joint::OfferKind::Cohort,
        saved.id,
        &plan.co_providers,
    )
    .await?;
    let events = input
        .demand_ids
        .iter()
        .map(|ids| CohortEvent::DemandsChosen(ids.clone()))
        .collect();
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
    Ok((view, events))
}

/// What [`check`] found: the cohort as it would be saved, and whether that changes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Its course's provider.
    pub provider_id: i32,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
    /// Creating, or changing a field of `current`.
    pub changes: bool,
}

/// Checks `input` by the rules of [`create`] (`current` none) or of a change of `current`
/// (fields only), writing nothing: every problem at once (422). The import of cohorts checks
/// its rows with it.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &CohortInput,
    current: Option<&cohort::Model>,
) -> AppResult<Checked> {
    input.check_lists()?;
    let (targets, quotas) = match current {
        Some(c) => (
            targets_of(db, &[c.id])
                .await?
                .remove(&c.id)
                .unwrap_or_default(),
            quotas::of(db, &[c.id])
                .await?
                .remove(&c.id)
                .unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let plan = plan(
        db,
        input,
        current.map(|c| (c, &targets, &quotas)),
        user.direction_departments(),
        user.managed_provider(),
    )
    .await?;
    let changes = current.is_none_or(|c| {
        c.course_id != plan.course.id
            || c.provider_id != plan.course.provider_id
            || c.name != plan.name
            || c.modality != plan.modality
            || c.start_date != plan.start_date
            || c.end_date != plan.end_date
            || c.enrolment_opens != plan.enrolment_opens
            || c.enrolment_closes != plan.enrolment_closes
            || c.seats != plan.seats
            || c.venue != plan.venue
            || c.meeting_url != plan.meeting_url
            || c.min_attendance_pct != plan.min_attendance_pct
            || c.pass_mark_tenths != plan.pass_mark_tenths
            || c.quota_release_on != plan.quota_release_on
            || c.trains_trainers != plan.trains_trainers
            || plan.targets != targets
            || plan.quotas != quotas
    });
    Ok(Checked {
        provider_id: plan.course.provider_id,
        start_date: plan.start_date,
        end_date: plan.end_date,
        changes,
    })
}

/// Changes fields and/or the status, audited, and announces what that sets off above (see
/// [`crate::cohort_flow`]). Closed and cancelled cohorts are history: 409.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &CohortInput,
) -> AppResult<(CohortView, Vec<CohortEvent>)> {
    let actor = user.id;
    // Outside a direction's departments: 404, as if it did not exist.
    find_in_scope(db, &CohortScope::of(Some(user)), id).await?;
    input.check_lists()?;
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
                "El estado debe ser borrador, abierta, en curso, cerrada o cancelada.",
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
        || input.pass_mark.is_some()
        || input.seat_quotas.is_some()
        || input.quota_release_on.is_some()
        || input.co_provider_ids.is_some()
        || input.trains_trainers.is_some();
    let mut quotas_changed = false;
    if changes_fields {
        let current_quotas = quotas::of(db, &[id]).await?.remove(&id).unwrap_or_default();
        let plan = plan(
            db,
            input,
            Some((&current, &current_targets, &current_quotas)),
            user.direction_departments(),
            user.managed_provider(),
        )
        .await?;
        let mut model: cohort::ActiveModel = current.clone().into();
        apply(&mut model, &plan);
        model.update(db).await?;
        if plan.targets != current_targets {
            write_targets(db, id, &plan.targets).await?;
        }
        if plan.quotas != current_quotas {
            quotas::write(db, id, &plan.quotas).await?;
        }
        let mut current_co_providers: Vec<i32> = before.co_providers.iter().map(|p| p.id).collect();
        current_co_providers.sort_unstable();
        if plan.co_providers != current_co_providers {
            crate::joint::write(db, crate::joint::OfferKind::Cohort, id, &plan.co_providers)
                .await?;
        }
        quotas_changed =
            plan.quotas != current_quotas || plan.quota_release_on != current.quota_release_on;
    }
    // The demands it answers must still fit when its course or territory changes (422
    // otherwise, naming them).
    let mut events = Vec::new();
    let reshaped = input.course_id.is_some()
        || input.municipality_codes.is_some()
        || input.department_codes.is_some();
    match &input.demand_ids {
        Some(ids) => events.push(CohortEvent::DemandsChosen(ids.clone())),
        None if reshaped => events.push(CohortEvent::Reshaped),
        None => {}
    }
    if let Some(to) = target_status.filter(|to| *to != current.status) {
        events.extend(change_status(db, notifier, actor, &current, to, reason.as_deref()).await?);
    }
    // More seats (or other quotas): the waiting list moves up, first come first served.
    let updated = find(db, id).await?;
    if (updated.seats > current.seats || quotas_changed)
        && matches!(
            updated.status,
            CohortStatus::Open | CohortStatus::InProgress
        )
    {
        events.push(CohortEvent::SeatsAdded);
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
    Ok((after, events))
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<cohort::Model> {
    cohort::Entity::find_by_id(id).found(db).await
}

/// A cohort's name, if there is such a cohort.
pub async fn name_of<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<String>> {
    Ok(cohort::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.name))
}

/// Serialises the changes of one cohort that count seats, attendance or grades: on PostgreSQL
/// `SELECT … FOR UPDATE`, the cohort row's lock, so concurrent transactions on the same cohort
/// run one after the other; on SQLite the writing transaction already holds the file's write
/// lock (`db::begin`: `BEGIN IMMEDIATE`), and the clause is left out. Returns the cohort, in one
/// statement. (It was a no-op `UPDATE … RETURNING` until issue 50: on PostgreSQL every
/// enrolment then wrote a new version of its cohort's row, and a burst into two cohorts of 500
/// spent its time walking those versions under the lock.)
pub async fn lock<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<cohort::Model> {
    lock_in_scope(db, &CohortScope::All, cohort_id).await
}

/// [`lock`] if `scope` allows the cohort (404 otherwise, as if it did not exist): the scope's
/// check and the lock in one statement.
pub async fn lock_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &CohortScope,
    cohort_id: i32,
) -> AppResult<cohort::Model> {
    use sea_orm::QuerySelect;
    cohort::Entity::find_by_id(cohort_id)
        .filter(scope.condition())
        .lock_exclusive()
        .found(db)
        .await
}

/// The cohort `user` may manage: any for an admin; for a coordinator, its provider's, and only
/// those of its departments for a territorial direction's coordinator (404 otherwise, as if it
/// did not exist). Every staff action on a cohort (its sessions, enrolments, imports,
/// certificates) starts here.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<cohort::Model> {
    find_in_scope(db, &CohortScope::of(Some(user)), id).await
}

/// The cohort if the scope allows it; otherwise 404, as if it did not exist.
pub async fn find_in_scope<C: ConnectionTrait>(
    db: &C,
    scope: &CohortScope,
    id: i32,
) -> AppResult<cohort::Model> {
    cohort::Entity::find_by_id(id)
        .filter(scope.condition())
        .found(db)
        .await
}
