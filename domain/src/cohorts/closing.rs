//! Closing a cohort said before it happens, and undone while nothing rests on it (issue 45).
//!
//! [`facts`] answers what closing cohort `id` now would do, with this cohort's facts: the
//! sessions still ahead, the assessments some people have no score in, and who would be
//! recorded as not completing (with why) — what the confirmation page lists and the API's
//! `closing` extension returns. It reads the same rule [`crate::results::freeze`] applies.
//!
//! [`reopen`] takes a cohort closed by mistake back to «En curso» while no certificate has been
//! issued from it: its people are enrolled again (the frozen values cleared), audited, and it
//! announces [`CohortEvent::Reopened`] so the demands its closing met are planned again (see
//! [`crate::cohort_flow`]). The figures follow by themselves: the enrolments' and the cohort's
//! status changes name the cohort in `figures_dirty` (see [`crate::figures`]).

use super::events::CohortEvent;
use super::scope::CohortScope;
use super::{CohortView, find_in_scope, lock, view};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::enrolment::status::StatusAudit;
use crate::entities::values::{CohortStatus, EnrolmentStatus};
use crate::entities::{certificate, cohort, cohort_session, enrolment};
use crate::error::{AppError, AppResult};
use crate::people::scope::PersonScope;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashSet;

/// What closing a cohort now would do.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClosingFacts {
    /// Sessions that have not started yet, in order: closing leaves them without attendance.
    pub sessions_ahead: Vec<SessionAhead>,
    /// Assessments some enrolled people have no score in, in order.
    pub unscored: Vec<Unscored>,
    /// The people the reader may see who would be recorded as not completing, by name.
    pub not_completing: Vec<NotCompleting>,
    /// People who would not complete whom the reader does not see (other departments).
    pub not_completing_hidden: u64,
    /// People who would be recorded as completing.
    pub completing: u64,
    /// Why closing would be refused now (the weights do not sum 100 %), or `None`.
    pub refused: Option<String>,
}

/// A session still ahead.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionAhead {
    pub session_id: i32,
    pub starts_at: DateTime<Utc>,
    pub topic: String,
}

/// An assessment with scores missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Unscored {
    pub assessment_id: i32,
    pub name: String,
    /// Enrolled people without a score in it.
    pub missing: u64,
}

/// Someone who would be recorded as not completing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NotCompleting {
    pub enrolment_id: i32,
    pub full_name: String,
    /// Why, in Spanish (the rule's reasons: «asistencia 50 % < 80 %», «falta la calificación
    /// de «Taller»»).
    pub reasons: Vec<String>,
}

/// What closing cohort `id` (one `user` manages, 404 otherwise) would do now. A cohort that
/// cannot move to closed from its state is a conflict (409), as closing it would be.
pub async fn facts<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<ClosingFacts> {
    let cohort = find_in_scope(db, &CohortScope::of(Some(user)), id).await?;
    super::lifecycle::check_transition(cohort.status, CohortStatus::Closed)?;
    let now = crate::time::now();
    let sessions_ahead = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(id))
        .filter(cohort_session::Column::StartsAt.gt(now))
        .order_by_asc(cohort_session::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SessionAhead {
            session_id: s.id,
            starts_at: s.starts_at,
            topic: s.topic,
        })
        .collect();
    let enrolled: Vec<i32> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::Id)
        .filter(enrolment::Column::CohortId.eq(id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .into_tuple()
        .all(db)
        .await?;
    let items = crate::results::items(db, id).await?;
    let scores = crate::results::scores_by_enrolment(db, id).await?;
    let unscored = items
        .iter()
        .filter_map(|item| {
            let missing = enrolled
                .iter()
                .filter(|e| !scores.get(e).is_some_and(|s| s.contains_key(&item.id)))
                .count() as u64;
            (missing > 0).then(|| Unscored {
                assessment_id: item.id,
                name: item.name.clone(),
                missing,
            })
        })
        .collect();
    let visible: HashSet<i32> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::Id)
        .filter(enrolment::Column::CohortId.eq(id))
        .filter(PersonScope::of(user).condition())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // The rule closing applies (results::freeze), over the same people.
    let rows = if enrolled.is_empty() {
        Vec::new()
    } else {
        crate::results::at_closing(db, &cohort, &PersonScope::All, Some(&enrolled)).await?
    };
    let mut facts = ClosingFacts {
        sessions_ahead,
        unscored,
        refused: crate::results::check_closable(db, id)
            .await
            .err()
            .map(|e| e.to_string()),
        ..Default::default()
    };
    for row in rows {
        if row.completed {
            facts.completing += 1;
        } else if visible.contains(&row.enrolment_id) {
            facts.not_completing.push(NotCompleting {
                enrolment_id: row.enrolment_id,
                full_name: row.full_name,
                reasons: row.reasons,
            });
        } else {
            facts.not_completing_hidden += 1;
        }
    }
    Ok(facts)
}

/// How many certificates have been issued from cohort `id` (valid, revoked or replaced).
pub async fn certificates_issued<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<u64> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(id))
        .count(db)
        .await?)
}

/// Refuses (409) to reopen cohort `current` unless it is closed and no certificate has been
/// issued from it.
pub async fn check_reopenable<C: ConnectionTrait>(
    db: &C,
    current: &cohort::Model,
) -> AppResult<()> {
    if current.status != CohortStatus::Closed {
        return Err(AppError::Conflict(format!(
            "Solo se reabre una cohorte cerrada; esta está en estado «{}».",
            current.status.label()
        )));
    }
    let issued = certificates_issued(db, current.id).await?;
    if issued > 0 {
        let issued = if issued == 1 {
            "ya se expidió 1 certificado".to_string()
        } else {
            format!(
                "ya se expidieron {} certificados",
                crate::format::thousands(issued as i64)
            )
        };
        return Err(AppError::Conflict(format!(
            "No se puede reabrir la cohorte: {issued} de ella, y un certificado expedido da \
             por definitivos sus resultados."
        )));
    }
    Ok(())
}

/// What an enrolment held at closing, before reopening thaws it (`enrolment.reopened`).
#[derive(Serialize)]
struct Unfrozen {
    status: EnrolmentStatus,
    sessions_total: Option<i32>,
    sessions_attended: Option<i32>,
    final_grade_milli: Option<i32>,
}

/// Takes closed cohort `id` (one `user` manages) back to «En curso» while no certificate has
/// been issued from it (409 otherwise): everyone recorded as completing or not is enrolled
/// again, with the values frozen at closing cleared. Audited (`cohort.reopened` and one
/// `enrolment.reopened` per person); announces [`CohortEvent::Reopened`].
pub async fn reopen<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(CohortView, Vec<CohortEvent>)> {
    find_in_scope(db, &CohortScope::of(Some(user)), id).await?;
    let current = lock(db, id).await?;
    check_reopenable(db, &current).await?;
    let before = view(db, id).await?;
    let frozen = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(id))
        .filter(
            enrolment::Column::Status
                .is_in([EnrolmentStatus::Completed, EnrolmentStatus::NotCompleted]),
        )
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let at = crate::time::now();
    if !frozen.is_empty() {
        enrolment::Entity::update_many()
            .col_expr(
                enrolment::Column::Status,
                Expr::value(EnrolmentStatus::Enrolled.as_str()),
            )
            .col_expr(enrolment::Column::SessionsTotal, Expr::value(None::<i32>))
            .col_expr(
                enrolment::Column::SessionsAttended,
                Expr::value(None::<i32>),
            )
            .col_expr(enrolment::Column::FinalGradeMilli, Expr::value(None::<i32>))
            .col_expr(enrolment::Column::UpdatedAt, Expr::value(at))
            .filter(enrolment::Column::Id.is_in(frozen.iter().map(|e| e.id)))
            .exec(db)
            .await?;
    }
    audit::record_many(
        db,
        frozen
            .iter()
            .map(|e| Change {
                actor: Some(user.id),
                action: "enrolment.reopened",
                subject_type: "enrolment",
                subject_id: e.id.to_string(),
                before: serde_json::to_value(Unfrozen {
                    status: e.status,
                    sessions_total: e.sessions_total,
                    sessions_attended: e.sessions_attended,
                    final_grade_milli: e.final_grade_milli,
                })
                .ok(),
                after: serde_json::to_value(StatusAudit::of(EnrolmentStatus::Enrolled)).ok(),
            })
            .collect(),
    )
    .await?;
    let mut model: cohort::ActiveModel = current.clone().into();
    model.status = Set(CohortStatus::InProgress);
    model.closed_at = Set(None);
    model.updated_at = Set(at);
    model.update(db).await?;
    let after = view(db, id).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "cohort.reopened",
            subject_type: "cohort",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok((
        after,
        vec![CohortEvent::Reopened {
            closed_at: current.closed_at,
        }],
    ))
}
