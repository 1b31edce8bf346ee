//! `/api/v1/me/data-requests`, `/api/v1/me/data-access` (the person) and
//! `/api/v1/data-requests` (the administrator).

use crate::accounts::guards::{AdminUser, ParticipantUser};
use crate::api::{Created, List, created};
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

/// One's own data requests
///
/// Roles: participant. Newest first, returned whole.
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "listMyDataRequests",
    responses(
        (status = 200, description = "Her requests.", body = List<DataRequestView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/data-requests")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<DataRequestView>>> {
    Ok(Json(List::whole(requests::mine(db.inner(), me.id).await?)))
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
}

/// Every data request
///
/// Roles: admin (others 403). Pending first by due date, then resolved newest first; each
/// pending one flagged `urgency` «vencida» or «vence pronto» (≤ 3 business days).
#[utoipa::path(
    tag = "habeas-data",
    operation_id = "listDataRequests",
    params(RequestQuery),
    responses(
        (status = 200, description = "The requests.", body = List<DataRequestView>),
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
    let rows = requests::list(db.inner(), &admin, query.status.as_deref()).await?;
    Ok(Json(List::whole(rows)))
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
