//! `/api/v1/replicators`, `/api/v1/replicas`: trainers who train others (issue 48). Reading is
//! scoped like the people lists; a replicator records their replicas, a coordinator of the
//! cohort's provider endorses replicators and records replicas for them.

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed};
use domain::trainers::review::{Bounds, ReviewInput};
use domain::trainers::{
    self, EndorsementInput, ReplicaFilter, ReplicaInput, ReplicaView, ReplicatorFilter,
    ReplicatorItem, UntilInput,
};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list_replicators,
        endorse,
        show_replicator,
        change_until,
        list_replicas,
        record_replica,
        pending_replicas,
        review_replica
    ]
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplicatorQuery {
    /// DANE code of the department of the certification.
    department: Option<String>,
    /// Capacity id: replicators certified in it.
    capacity: Option<i32>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List replicators
///
/// **Issue 48.** Roles: anyone signed in, scoped like the people lists: national staff every
/// replicator, a territorial direction's coordinator its departments, another provider's
/// coordinator the replicators of its cohorts, a reviewer their department, a liaison the
/// people of their municipality, a participant themselves. Latest `until` first. `since` and
/// `until` are inclusive; a replicator is certified while today is between them.
#[utoipa::path(
    tag = "trainers",
    operation_id = "listReplicators",
    params(ReplicatorQuery),
    responses(
        (status = 200, description = "A page of replicators.", body = List<ReplicatorItem>),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/replicators?<query..>")]
pub async fn list_replicators(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    query: ReplicatorQuery,
) -> AppResult<Json<List<ReplicatorItem>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let filter = ReplicatorFilter {
        department: domain::parse::text(query.department.as_deref())
            .map(|d| if d.len() == 1 { format!("0{d}") } else { d }),
        capacity: query.capacity,
    };
    let (items, total) = trainers::list(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Endorse a replicator
///
/// **Issue 48.** Roles: a coordinator of the cohort's provider (an admin, any). The person
/// must have completed the cohort, which must train trainers (422); certified in the course's
/// capacities in the department of their municipality from `since` (default today) to
/// `until` (default two years later). Another provider's cohort → 404; already a replicator
/// of it → 409. Audited.
#[utoipa::path(
    tag = "trainers",
    operation_id = "endorseReplicator",
    request_body = EndorsementInput,
    responses(
        (status = 201, description = "The replicator.", body = ReplicatorItem),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/replicators", data = "<body>")]
pub async fn endorse(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<EndorsementInput>,
) -> AppResult<Created<ReplicatorItem>> {
    let item =
        domain::db::write(db, async |txn| trainers::endorse(txn, &staff, &body).await).await?;
    Ok(created(item))
}

/// One replicator
///
/// **Issue 48.** Roles: as the list; outside the caller's scope → 404.
#[utoipa::path(
    tag = "trainers",
    operation_id = "getReplicator",
    params(("id" = i32, Path, description = "Replicator id.", example = 1)),
    responses(
        (status = 200, description = "The replicator.", body = ReplicatorItem),
        (status = 404, response = NotFound),
    )
)]
#[get("/replicators/<id>")]
pub async fn show_replicator(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<ReplicatorItem>> {
    Ok(Json(trainers::item(db.inner(), &user, id).await?))
}

/// End or extend a certification
///
/// **Issue 48.** Roles: a coordinator of the cohort's provider (an admin, any). `until` in the
/// past ends the certification; not before `since` (422). Audited.
#[utoipa::path(
    tag = "trainers",
    operation_id = "changeReplicatorUntil",
    params(("id" = i32, Path, description = "Replicator id.", example = 1)),
    request_body = UntilInput,
    responses(
        (status = 200, description = "The replicator.", body = ReplicatorItem),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/replicators/<id>", data = "<body>")]
pub async fn change_until(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<UntilInput>,
) -> AppResult<Json<ReplicatorItem>> {
    let item = domain::db::write(db, async |txn| {
        trainers::change_until(txn, &staff, id, &body).await
    })
    .await?;
    Ok(Json(item))
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplicaQuery {
    /// DANE code of the municipality where it was delivered.
    municipality: Option<String>,
    /// Replicator id.
    replicator: Option<i32>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List replicas
///
/// **Issue 48.** Roles: anyone signed in: the replicas of the replicators the caller reads
/// (as `GET /replicators`), and a reviewer's department, a liaison's municipality. Newest
/// first. Attendees by name are listed (no documents); a replica given as a count has none.
#[utoipa::path(
    tag = "trainers",
    operation_id = "listReplicas",
    params(ReplicaQuery),
    responses(
        (status = 200, description = "A page of replicas.", body = List<ReplicaView>),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/replicas?<query..>")]
pub async fn list_replicas(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    query: ReplicaQuery,
) -> AppResult<Json<List<ReplicaView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let filter = ReplicaFilter {
        municipality: domain::parse::text(query.municipality.as_deref())
            .map(|m| domain::territory::normalize_municipality_code(&m)),
        replicator: query.replicator,
    };
    let (items, total) = trainers::replicas(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Record a replica
///
/// **Issue 48.** Roles: the replicator (a participant; `replicator_id` only when they hold
/// several certifications, someone else's → 404), or a coordinator of the cohort's provider
/// for them (`replicator_id` required). Rules (422, nothing stored): the date within the
/// certification and not in the future, a municipality of the replicator's department, one
/// of their capacities, the audience, attendees by name or `attendee_count` (1–500), not both
/// and not neither. Within the bounds (issue 62: at most `replica_review_attendees` people,
/// default 60, and the replicator's replicas of the last 30 days at most
/// `replica_review_monthly` people with it, default 150) it is `counted` at once in the
/// municipality's `people_reached_by_replicas`; beyond them it is stored `pending` and counts
/// nowhere until a coordinator approves it (`POST /replicas/{id}/review`). Other roles → 403.
/// Audited.
#[utoipa::path(
    tag = "trainers",
    operation_id = "recordReplica",
    request_body = ReplicaInput,
    responses(
        (status = 201, description = "The replica.", body = ReplicaView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/replicas", data = "<body>")]
pub async fn record_replica(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    user: CurrentUser,
    body: crate::api::JsonBody<ReplicaInput>,
) -> AppResult<Created<ReplicaView>> {
    let view = domain::db::write(db, async |txn| {
        trainers::record_replica(txn, &user, &body, Bounds::of(config)).await
    })
    .await?;
    Ok(created(view))
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingQuery {
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// Replicas waiting for review
///
/// **Issue 62.** Roles: a coordinator (the replicas of replicators endorsed in its provider's
/// cohorts; a territorial direction's, in its departments) or an admin (all); other roles get
/// an empty list. The replicas beyond the bounds (`review: pending`), oldest first: they count
/// nowhere until approved.
#[utoipa::path(
    tag = "trainers",
    operation_id = "listPendingReplicas",
    params(PendingQuery),
    responses(
        (status = 200, description = "A page of pending replicas.", body = List<ReplicaView>),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/replicas/pending?<query..>")]
pub async fn pending_replicas(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    query: PendingQuery,
) -> AppResult<Json<List<ReplicaView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let (items, total) = trainers::review::pending(db.inner(), &user, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Approve or reject a pending replica
///
/// **Issue 62.** Roles: a coordinator of the replicator's cohort's provider (a direction's,
/// in its departments) or an admin — not who recorded it, not the replicator (422). `decision`
/// `approve` (it counts from now on in the municipality's figures, the coverage and open data)
/// or `reject` (never counts; `note` required, up to 500 characters). Outside the caller's
/// scope → 404; participants, reviewers, liaisons, instructors → 403; already reviewed or
/// within the bounds → 409. Audited.
#[utoipa::path(
    tag = "trainers",
    operation_id = "reviewReplica",
    params(("id" = i32, Path, description = "Replica id.", example = 1)),
    request_body = ReviewInput,
    responses(
        (status = 200, description = "The replica, reviewed.", body = ReplicaView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/replicas/<id>/review", data = "<body>")]
pub async fn review_replica(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<ReviewInput>,
) -> AppResult<Json<ReplicaView>> {
    let view = domain::db::write(db, async |txn| {
        trainers::review::decide(txn, &user, id, &body).await
    })
    .await?;
    Ok(Json(view))
}
