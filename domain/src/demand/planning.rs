//! Planning against demand: a cohort answers demands (they become planned), closing it with
//! a completer from the demand's municipality meets them, and a cohort that is cancelled, or
//! closes without anyone of that municipality completing, gives its demands back (open again).

use super::{DemandScope, Outcome, tell_author};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{DemandStatus, EnrolmentStatus};
use crate::entities::{audit_log, cohort, course_capacity, demand, enrolment, municipality};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// Whether a cohort offered to these targets reaches a municipality (no targets = the whole
/// country).
pub fn reaches(targets: &crate::cohorts::Targets, municipality: &municipality::Model) -> bool {
    (targets.municipalities.is_empty() && targets.departments.is_empty())
        || targets.municipalities.contains(&municipality.code)
        || targets.departments.contains(&municipality.department_code)
}

/// Open demands a cohort of `course_id` offered to `targets` could answer (the cohort form
/// lists them), in the caller's scope, oldest first.
pub async fn matching<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    course_id: i32,
    targets: &crate::cohorts::Targets,
    cohort_id: Option<i32>,
) -> AppResult<Vec<super::DemandView>> {
    let scope = DemandScope::of(user)?;
    let capacities = course_capacities(db, course_id).await?;
    let mut status = sea_orm::Condition::any().add(demand::Column::Status.eq(DemandStatus::Open));
    if let Some(id) = cohort_id {
        status = status.add(demand::Column::CohortId.eq(id));
    }
    let rows = demand::Entity::find()
        .filter(scope.condition())
        .filter(status)
        .filter(demand::Column::CapacityId.is_in(capacities))
        .order_by_asc(demand::Column::CreatedAt)
        .all(db)
        .await?;
    let places = super::places_of(db, &rows).await?;
    let rows = rows
        .into_iter()
        .filter(|d| {
            // A gobernación's demand is no cohort's (issue 49): an assistance answers it.
            d.municipality_code
                .as_ref()
                .and_then(|code| places.get(code))
                .is_some_and(|m| reaches(targets, m))
        })
        .collect();
    super::views(db, rows).await
}

async fn course_capacities<C: ConnectionTrait>(db: &C, course_id: i32) -> AppResult<Vec<i32>> {
    Ok(course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course_id))
        .all_mapped(db, |c| c.capacity_id)
        .await?)
}

/// Makes `demand_ids` the demands `cohort` answers: new ones become planned (their authors are
/// emailed), ones no longer listed are open again. Every demand must be in the caller's scope,
/// open (or already this cohort's), on one of the course's capacities and in the cohort's
/// territory; otherwise 422 and nothing changes.
pub async fn link<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    cohort: &cohort::Model,
    demand_ids: &[i32],
) -> AppResult<()> {
    let scope = DemandScope::of(user)?;
    let targets = crate::cohorts::targets_of(db, &[cohort.id])
        .await?
        .remove(&cohort.id)
        .unwrap_or_default();
    let capacities = course_capacities(db, cohort.course_id).await?;
    let mut wanted = demand_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let rows = demand::Entity::find()
        .filter(demand::Column::Id.is_in(wanted.clone()))
        .filter(scope.condition())
        .all(db)
        .await?;
    let mut errors = Vec::new();
    for id in &wanted {
        let Some(row) = rows.iter().find(|d| d.id == *id) else {
            errors.push(FieldError::new(
                "demand_ids",
                format!("La demanda {id} no existe."),
            ));
            continue;
        };
        let mine = row.cohort_id == Some(cohort.id) && row.status == DemandStatus::Planned;
        if row.status != DemandStatus::Open && !mine {
            errors.push(FieldError::new(
                "demand_ids",
                format!(
                    "La demanda {id} está {}: solo se planea una demanda abierta.",
                    row.status.label().to_lowercase()
                ),
            ));
        }
        if !capacities.contains(&row.capacity_id) {
            errors.push(FieldError::new(
                "demand_ids",
                format!(
                    "La demanda {id} pide otra capacidad que la que fortalece el curso de la \
                     cohorte."
                ),
            ));
        }
        let Some(code) = row.municipality_code.clone() else {
            errors.push(FieldError::new(
                "demand_ids",
                format!(
                    "La demanda {id} es de una gobernación: la atiende una asistencia técnica, \
                     no una cohorte."
                ),
            ));
            continue;
        };
        let place = municipality::Entity::find_by_id(code).one(db).await?;
        if !place.as_ref().is_some_and(|m| reaches(&targets, m)) {
            errors.push(FieldError::new(
                "demand_ids",
                format!("La demanda {id} es de un municipio al que la cohorte no está dirigida."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let at = crate::time::now();
    // Given back: linked before, not listed now.
    for row in demand::Entity::find()
        .filter(demand::Column::CohortId.eq(cohort.id))
        .filter(demand::Column::Status.eq(DemandStatus::Planned))
        .filter(demand::Column::Id.is_not_in(wanted.clone()))
        .all(db)
        .await?
    {
        reopen(db, Some(user.id), row, "unlinked").await?;
    }
    for row in rows {
        if row.status == DemandStatus::Planned {
            continue;
        }
        let mut model: demand::ActiveModel = row.clone().into();
        model.status = Set(DemandStatus::Planned);
        model.cohort_id = Set(Some(cohort.id));
        model.planned_at = Set(Some(at));
        model.updated_at = Set(at);
        let before = InCohort::of(&row);
        let saved = save_audited(
            db,
            Some(user.id),
            "demand.planned",
            model,
            before,
            InCohort::of,
        )
        .await?;
        tell_author(
            db,
            notifier,
            &saved,
            Outcome::Planned {
                cohort: &cohort.name,
                start_date: cohort.start_date,
            },
        )
        .await?;
    }
    Ok(())
}

/// A demand's status in its audit rows (`demand.met` before; an assistance moving it).
#[derive(Serialize)]
pub(crate) struct StatusAudit {
    pub status: DemandStatus,
}

/// A demand's status and the cohort it is planned in (`demand.planned`, `demand.reopened`,
/// `demand.replanned`).
#[derive(Serialize)]
struct InCohort {
    status: DemandStatus,
    cohort_id: Option<i32>,
}

impl InCohort {
    fn of(row: &demand::Model) -> Self {
        Self {
            status: row.status,
            cohort_id: row.cohort_id,
        }
    }
}

/// A demand moved, and why (`demand.reopened`; an assistance planning, meeting or reopening it).
#[derive(Serialize)]
pub(crate) struct Moved<'a> {
    pub status: DemandStatus,
    pub why: &'a str,
}

/// A demand met by a closed cohort, with how many of its municipality completed (`demand.met`).
#[derive(Serialize)]
struct Met {
    status: DemandStatus,
    completed: u64,
}

/// A demand planned again in a reopened cohort (`demand.replanned`).
#[derive(Serialize)]
struct Replanned<'a> {
    status: DemandStatus,
    cohort_id: i32,
    why: &'a str,
}

/// Back to open, no longer tied to a cohort (audited with `why`).
async fn reopen<C: ConnectionTrait>(
    db: &C,
    actor: Option<i32>,
    row: demand::Model,
    why: &str,
) -> AppResult<()> {
    let mut model: demand::ActiveModel = row.clone().into();
    model.status = Set(DemandStatus::Open);
    model.cohort_id = Set(None);
    model.planned_at = Set(None);
    model.updated_at = Set(crate::time::now());
    let after = |_: &demand::Model| Moved {
        status: DemandStatus::Open,
        why,
    };
    save_audited(
        db,
        actor,
        "demand.reopened",
        model,
        InCohort::of(&row),
        after,
    )
    .await?;
    Ok(())
}

/// Saves a demand's changed `model`, audited as `action` by `actor`: `before`, and `after` as it
/// reads the saved row. The saved row.
pub(super) async fn save_audited<C: ConnectionTrait, B: Serialize, A: Serialize>(
    db: &C,
    actor: Option<i32>,
    action: &str,
    model: demand::ActiveModel,
    before: B,
    after: impl FnOnce(&demand::Model) -> A,
) -> AppResult<demand::Model> {
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor,
            action,
            subject_type: "demand",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(after(&saved)).ok(),
        },
    )
    .await?;
    Ok(saved)
}

/// A cohort closed: each demand it answers is met when at least one person of the demand's
/// municipality completed it (the author is emailed), and open again otherwise.
pub async fn on_closed<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
) -> AppResult<()> {
    let at = crate::time::now();
    for row in planned_by(db, cohort.id).await? {
        let completed = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort.id))
            .filter(enrolment::Column::MunicipalityCode.eq(row.municipality_code.clone()))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
            .count(db)
            .await?;
        if completed == 0 {
            reopen(db, Some(actor), row, "closed_without_completers").await?;
            continue;
        }
        let mut model: demand::ActiveModel = row.clone().into();
        model.status = Set(DemandStatus::Met);
        model.met_at = Set(Some(at));
        model.updated_at = Set(at);
        let before = StatusAudit { status: row.status };
        let after = |saved: &demand::Model| Met {
            status: saved.status,
            completed,
        };
        let saved = save_audited(db, Some(actor), "demand.met", model, before, after).await?;
        tell_author(
            db,
            notifier,
            &saved,
            Outcome::Met {
                cohort: &cohort.name,
                completed,
            },
        )
        .await?;
    }
    Ok(())
}

/// A closed cohort was reopened (issue 45): what its closing at `closed_at` did to its demands
/// is undone — the ones it met are planned again, and so are the ones it gave back for want of
/// a completer of their municipality (found in the audit of that closing) while still open and
/// unlinked. Audited (`demand.replanned`); nobody is emailed (the authors were told it was met,
/// and will be told again when it closes).
pub async fn on_reopened<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    closed_at: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<()> {
    let at = crate::time::now();
    let met = demand::Entity::find()
        .filter(demand::Column::CohortId.eq(cohort.id))
        .filter(demand::Column::Status.eq(DemandStatus::Met))
        .order_by_asc(demand::Column::Id)
        .all(db)
        .await?;
    let mut given_back = Vec::new();
    if let Some(closed_at) = closed_at {
        let reopened = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("demand.reopened"))
            .filter(audit_log::Column::SubjectType.eq("demand"))
            .filter(audit_log::Column::OccurredAt.gte(closed_at - chrono::Duration::seconds(1)))
            .filter(audit_log::Column::AfterJson.contains("closed_without_completers"))
            .all(db)
            .await?;
        let ids: Vec<i32> = reopened
            .iter()
            .filter(|row| {
                row.before_json
                    .as_deref()
                    .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
                    .and_then(|before| before["cohort_id"].as_i64())
                    == Some(i64::from(cohort.id))
            })
            .filter_map(|row| row.subject_id.parse().ok())
            .collect();
        if !ids.is_empty() {
            given_back = demand::Entity::find()
                .filter(demand::Column::Id.is_in(ids))
                .filter(demand::Column::Status.eq(DemandStatus::Open))
                .filter(demand::Column::CohortId.is_null())
                .order_by_asc(demand::Column::Id)
                .all(db)
                .await?;
        }
    }
    for row in met.into_iter().chain(given_back) {
        let mut model: demand::ActiveModel = row.clone().into();
        model.status = Set(DemandStatus::Planned);
        model.cohort_id = Set(Some(cohort.id));
        model.met_at = Set(None);
        if row.planned_at.is_none() {
            model.planned_at = Set(Some(at));
        }
        model.updated_at = Set(at);
        let after = |saved: &demand::Model| Replanned {
            status: saved.status,
            cohort_id: cohort.id,
            why: "cohort_reopened",
        };
        let before = InCohort::of(&row);
        save_audited(db, Some(actor), "demand.replanned", model, before, after).await?;
    }
    Ok(())
}

/// A cohort was cancelled: its demands are open again.
pub async fn on_cancelled<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
) -> AppResult<()> {
    for row in planned_by(db, cohort.id).await? {
        reopen(db, Some(actor), row, "cohort_cancelled").await?;
    }
    Ok(())
}

/// The ids of the demands `cohort_id` answers.
pub async fn planned_ids<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<i32>> {
    Ok(planned_by(db, cohort_id)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect())
}

async fn planned_by<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<demand::Model>> {
    Ok(demand::Entity::find()
        .filter(demand::Column::CohortId.eq(cohort_id))
        .filter(demand::Column::Status.eq(DemandStatus::Planned))
        .order_by_asc(demand::Column::Id)
        .all(db)
        .await?)
}
