//! Figures that need a second person (issue 62, item 2). A replica is self-declared: its
//! replicator (or a coordinator for them) types how many people it reached, and that count is
//! published (the municipality's figures, the coverage grid, open data). So it counts at once
//! only within two bounds ([`Bounds`], settings):
//!
//! - **per replica**: at most `replica_review_attendees` people (default 60: a large
//!   classroom or a council session);
//! - **per replicator and month**: the person's replicas recorded in the last 30 days
//!   (every certification of theirs, pending ones included, rejected ones not) reach at most
//!   `replica_review_monthly` people with this one (default 150: two or three replicas a week).
//!
//! Beyond either bound the replica is stored `pending` and counts nowhere until a coordinator
//! of its replicator's cohort's provider (a direction's coordinator within its departments; an
//! admin, any) approves it ([`decide`]); a rejected one never counts. Whoever recorded the
//! replica does not review it. Decisions are audited.

use super::{ReplicaView, endorsing_cohort, replica_views};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{ReplicaReview, Role};
use crate::entities::{cohort, replica, replicator};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;

/// How many days «a month» of a replicator's replicas is (a sliding window: no calendar edge
/// to record twice the bound across).
pub const WINDOW_DAYS: i64 = 30;

/// The bounds within which a replica counts without review: the settings' own
/// (`replica_review_attendees`, `replica_review_monthly`), checked when they are read.
pub use crate::config::ReplicaReviewBounds as Bounds;

/// The review a new replica of `people` for `found` gets: `counted` within the bounds,
/// `pending` beyond either. Locks the person's certifications first, so that two replicas
/// recorded at once are summed one after the other.
pub(super) async fn initial<C: ConnectionTrait>(
    db: &C,
    found: &replicator::Model,
    people: i32,
    bounds: Bounds,
) -> AppResult<ReplicaReview> {
    if i64::from(people) > bounds.per_replica {
        return Ok(ReplicaReview::Pending);
    }
    let certifications: Vec<i32> = replicator::Entity::find()
        .filter(replicator::Column::ParticipantId.eq(found.participant_id))
        .lock_exclusive()
        .all_mapped(db, |r| r.id)
        .await?;
    let since = crate::time::now() - chrono::Duration::days(WINDOW_DAYS);
    let recent: Vec<i32> = replica::Entity::find()
        .filter(replica::Column::ReplicatorId.is_in(certifications))
        .filter(replica::Column::CreatedAt.gte(since))
        .filter(replica::Column::Review.ne(ReplicaReview::Rejected))
        .select_only()
        .column(replica::Column::PeopleReached)
        .into_tuple()
        .all(db)
        .await?;
    let total: i64 = recent.into_iter().map(i64::from).sum::<i64>() + i64::from(people);
    Ok(if total > bounds.per_month {
        ReplicaReview::Pending
    } else {
        ReplicaReview::Counted
    })
}

/// The replicas `user` may review, as a condition on `replicas`: those of replicators endorsed
/// in cohorts of a coordinator's provider (a direction's: in its departments); an admin's,
/// all. `None` for the roles that review none.
fn reviewable(user: &Actor) -> Option<Condition> {
    if !user.is_staff() {
        return None;
    }
    let mut replicators = Query::select()
        .column(replicator::Column::Id)
        .from(replicator::Entity)
        .to_owned();
    if let Some(provider) = user.managed_provider() {
        replicators.and_where(
            replicator::Column::CohortId.in_subquery(
                Query::select()
                    .column(cohort::Column::Id)
                    .from(cohort::Entity)
                    .and_where(cohort::Column::ProviderId.eq(provider))
                    .to_owned(),
            ),
        );
    }
    let mut condition = Condition::all();
    if user.role != Role::Admin {
        condition = condition.add(replica::Column::ReplicatorId.in_subquery(replicators));
    }
    if let Some(codes) = user.direction_departments() {
        condition = condition.add(replica::Column::DepartmentCode.is_in(codes.to_vec()));
    }
    Some(condition)
}

/// The replicas waiting for `user`'s review, oldest first; a page of them and the total. Empty
/// for the roles that review none.
pub async fn pending<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ReplicaView>, u64)> {
    let Some(scope) = reviewable(user) else {
        return Ok((Vec::new(), 0));
    };
    let query = replica::Entity::find()
        .filter(scope)
        .filter(replica::Column::Review.eq(ReplicaReview::Pending));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(replica::Column::CreatedAt)
        .order_by_asc(replica::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((replica_views(db, rows).await?, total))
}

/// A coordinator's decision on a pending replica: `approve` (it counts from now on) or
/// `reject` (it never counts; `note` says why, required).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReplicaReviewInput)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    #[schema(example = "approve")]
    pub decision: Option<String>,
    /// Why (required to reject; up to 500 characters).
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// Approves or rejects a pending replica (see the module's comment), refreshes its
/// municipality's figures in the same transaction, audited. Outside the reviewer's scope →
/// 404 (a participant, a reviewer, a liaison → 403); not pending → 409; recorded by the caller
/// or the caller's own replica, a bad decision or note → 422, nothing written.
pub async fn decide<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &ReviewInput,
) -> AppResult<ReplicaView> {
    let Some(scope) = reviewable(user) else {
        return Err(AppError::Forbidden);
    };
    let found = replica::Entity::find_by_id(id)
        .filter(scope)
        .lock_exclusive()
        .found(db)
        .await?;
    let holder = replicator::Entity::find_by_id(found.replicator_id)
        .found(db)
        .await?;
    endorsing_cohort(db, user, holder.cohort_id).await?;
    let mut errors = Vec::new();
    let decision = match input.decision.as_deref().map(str::trim) {
        Some("approve") => Some(ReplicaReview::Approved),
        Some("reject") => Some(ReplicaReview::Rejected),
        _ => {
            errors.push(FieldError::new(
                "decision",
                "Elija si aprueba («approve») o rechaza («reject») la réplica.",
            ));
            None
        }
    };
    let note = crate::parse::text(input.note.as_deref());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new(
            "note",
            "La observación admite hasta 500 caracteres.",
        ));
    }
    if decision == Some(ReplicaReview::Rejected) && note.is_none() {
        errors.push(FieldError::new(
            "note",
            "Escriba por qué rechaza la réplica: el replicador lo leerá.",
        ));
    }
    let own_person = crate::entities::participant::Entity::find_by_id(holder.participant_id)
        .one(db)
        .await?
        .and_then(|p| p.user_id)
        == Some(user.id);
    if found.recorded_by == Some(user.id) || own_person {
        errors.push(FieldError::new(
            "decision",
            "Usted registró esta réplica: la revisa otra persona de la coordinación.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if found.review != ReplicaReview::Pending {
        return Err(AppError::Conflict(format!(
            "La réplica ya fue revisada: {}.",
            found.review.label().to_lowercase()
        )));
    }
    let Some(decision) = decision else {
        return Err(AppError::NotFound);
    };
    let before = replica_views(db, vec![found.clone()]).await?.pop();
    let municipality = found.municipality_code.clone();
    let mut row: replica::ActiveModel = found.into();
    row.review = Set(decision);
    row.reviewed_by = Set(Some(user.id));
    row.reviewed_at = Set(Some(crate::time::now()));
    row.review_note = Set(note);
    let saved = row.update(db).await?;
    crate::figures::replicas::refresh(db, &municipality).await?;
    crate::instances::bump(db, crate::instances::Cached::Figures).await?;
    let view = replica_views(db, vec![saved])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: match decision {
                ReplicaReview::Approved => "replica.approved",
                _ => "replica.rejected",
            },
            subject_type: "replica",
            subject_id: view.id.to_string(),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}
