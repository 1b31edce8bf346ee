//! The lifecycle (draft → open → in_progress → closed, or cancelled) and what a status change
//! does to the cohort's own rows: freezing results on closing, cancelling enrolments with an
//! email on cancelling. What it sets off above (demand, surveys) is announced as a
//! [`super::events::CohortEvent`].

use super::events::CohortEvent;
use crate::audit::{self, Change};
use crate::enrolment::status::StatusAudit;
use crate::entities::values::{CohortStatus, EnrolmentStatus};
use crate::entities::{cohort, cohort_session, enrolment, participant};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::mail::{self, Email};
use crate::parse;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::Serialize;

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

/// Refuses (409) a move the lifecycle does not allow.
pub(super) fn check_transition(from: CohortStatus, to: CohortStatus) -> AppResult<()> {
    if !transition_allowed(from, to) {
        return Err(AppError::Conflict(format!(
            "Una cohorte en estado «{}» no puede pasar a «{}».",
            from.label(),
            to.label()
        )));
    }
    Ok(())
}

pub(super) async fn change_status<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    current: &cohort::Model,
    to: CohortStatus,
    reason: Option<&str>,
) -> AppResult<Option<CohortEvent>> {
    check_transition(current.status, to)?;
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
    Ok(match to {
        CohortStatus::Closed => Some(CohortEvent::Closed),
        CohortStatus::Cancelled => Some(CohortEvent::Cancelled),
        _ => None,
    })
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
                before: serde_json::to_value(StatusAudit::of(before)).ok(),
                after: serde_json::to_value(crate::enrolment::status::Cancelled::because(
                    "cohort_cancelled",
                ))
                .ok(),
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
