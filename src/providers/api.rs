//! `/api/v1/providers`: every signed-in person reads them, admins write them.

use crate::accounts::guards::{AdminUser, CurrentUser};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use domain::providers::{self, ProviderInput, ProviderView};
use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![list, create, update]
}

/// List providers
///
/// Roles: any signed-in user. Every provider (oferente) of training and technical
/// assistance, ESAP first, then by name; inactive ones included (`active`). Returned whole.
#[utoipa::path(
    tag = "providers",
    operation_id = "listProviders",
    responses((status = 200, description = "Every provider.", body = List<ProviderView>))
)]
#[get("/providers")]
pub async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
) -> AppResult<Json<List<ProviderView>>> {
    let items = providers::list(db.inner()).await?;
    Ok(Json(List::whole(items)))
}

/// Create a provider
///
/// Roles: admin. `name` and `kind` are required; a gobernación names its department; the NIT
/// carries DIAN's check digit and belongs to one provider. Audited.
#[utoipa::path(
    tag = "providers",
    operation_id = "createProvider",
    request_body = ProviderInput,
    responses(
        (status = 201, description = "The provider.", body = ProviderView),
        (status = 403, response = crate::openapi::responses::Forbidden),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[post("/providers", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<ProviderInput>,
) -> AppResult<Created<ProviderView>> {
    let view = domain::db::write(db, async |txn| {
        providers::create(txn, admin.id, &body.into_inner()).await
    })
    .await?;
    Ok(created(view))
}

/// Change a provider
///
/// Roles: admin. Absent fields stay; an empty `nit` or `department_code` removes it;
/// `active: false` retires it (its offer stays; it takes no new coordinators or referrals).
/// ESAP cannot be deactivated (422). Audited.
#[utoipa::path(
    tag = "providers",
    operation_id = "updateProvider",
    params(("id" = i32, Path, description = "Provider id.", example = 1)),
    request_body = ProviderInput,
    responses(
        (status = 200, description = "The provider.", body = ProviderView),
        (status = 403, response = crate::openapi::responses::Forbidden),
        (status = 404, response = crate::openapi::responses::NotFound),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[patch("/providers/<id>", data = "<body>")]
pub async fn update(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<ProviderInput>,
) -> AppResult<Json<ProviderView>> {
    let view = domain::db::write(db, async |txn| {
        providers::update(txn, admin.id, id, &body.into_inner()).await
    })
    .await?;
    Ok(Json(view))
}
