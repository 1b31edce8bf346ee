//! `/api/v1/me/data-requests`, `/api/v1/me/data-access` (the person) and
//! `/api/v1/data-requests` (the administrator).

use crate::accounts::guards::{AdminUser, ParticipantUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed};
use domain::habeas::access::{self, AccessView};
use domain::habeas::requests::{self, DataRequestView, NewDataRequest, Resolution};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use utoipa::IntoParams;

pub fn routes() -> Vec<Route> {
    routes![create, mine, data_access, list, resolve]
}

/// Ask about one's personal data (habeas data)
///
/// Roles: participant. `kind`: `consulta` (her data, answered with her export), `revocacion`
/// (revoke her authorization) or `supresion` (delete her data); `reason` optional. `due_on` is
/// 15 business days counted from the day after the request (Colombian holidays skipped). One
/// pending request of a kind at a time (409). She is e-mailed; audited.
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "createDataRequest",
    request_body = NewDataRequest,
    responses(
        (status = 201, description = "The request, pending.", body = DataRequestView),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/me/data-requests", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    body: crate::api::JsonBody<NewDataRequest>,
) -> AppResult<Created<DataRequestView>> {
    let view = requests::create(db.inner(), &notifier, me.id, &body.into_inner()).await?;
    Ok(created(view))
}

#[derive(rocket::FromForm, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// One's own data requests
///
/// Roles: participant. Newest first, paged (`page`, `per_page`; out of range → 422).
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "listMyDataRequests",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of her requests.", body = List<DataRequestView>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/me/data-requests?<query..>")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    query: PageQuery,
) -> AppResult<Json<List<DataRequestView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let (items, total) = requests::mine_page(db.inner(), me.id, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Who opened one's record
///
/// Roles: participant. Every time staff opened her record (who, in what role, what, when),
/// newest first, the latest 200.
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "listMyDataAccess",
    responses(
        (status = 200, description = "The views of her record.", body = List<AccessView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/data-access")]
async fn data_access(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<AccessView>>> {
    Ok(Json(List::whole(access::of_user(db.inner(), me.id).await?)))
}

#[derive(rocket::FromForm, IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestQuery {
    /// `pending`, `accepted` or `rejected`; empty: all.
    #[param(example = "pending")]
    status: Option<String>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// Every data request
///
/// Roles: admin (others 403). Pending first by due date, then resolved newest first; each
/// pending one flagged `urgency` «vencida» or «vence pronto» (≤ 3 business days). Paged
/// (`page`, `per_page`; out of range → 422).
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "listDataRequests",
    params(RequestQuery),
    responses(
        (status = 200, description = "A page of the requests.", body = List<DataRequestView>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/data-requests?<query..>")]
async fn list(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    query: RequestQuery,
) -> AppResult<Json<List<DataRequestView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let (items, total) =
        requests::list_page(db.inner(), &admin, query.status.as_deref(), page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Resolve a data request
///
/// Roles: admin (others 403). `{"decision": "accepted"}`: a `supresion` anonymises the person
/// (certificates already issued keep their name and stay verifiable; counts stay), a
/// `revocacion` withdraws her consents and erases her sensitive data, a `consulta` e-mails her
/// data export. `{"decision": "rejected", "note"}`: the note is required (422). Already
/// resolved → 409. She is e-mailed; audited.
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "resolveDataRequest",
    params(("id" = i32, Path, description = "Data request id.", example = 1)),
    request_body = Resolution,
    responses(
        (status = 200, description = "The resolved request.", body = DataRequestView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/data-requests/<id>/resolution", data = "<body>")]
async fn resolve(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<Resolution>,
) -> AppResult<Json<DataRequestView>> {
    let view = requests::resolve(db.inner(), &notifier, &admin, id, &body.into_inner()).await?;
    Ok(Json(view))
}
