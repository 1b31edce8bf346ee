//! `/api/v1/capacities`: everyone signed in reads; admins create and edit (editable reference
//! data, audited; the rules are `domain::capacities`).

use crate::accounts::guards::{AdminUser, CurrentUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound};
use domain::capacities::{self, CapacityInput, CapacityView};
use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![list, create, update]
}

/// List municipal capacities
///
/// Roles: any signed-in user. Includes inactive capacities (see `active`).
#[utoipa::path(
    tag = "reference",
    operation_id = "listCapacities",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of capacities.", body = List<CapacityView>))
)]
#[get("/capacities?<page>&<per_page>")]
async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<CapacityView>>> {
    let (items, total, page, per_page) =
        capacities::list(db.inner(), &Paging { page, per_page }).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Create a capacity
///
/// Roles: admin. `code` and `name` are required. Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "createCapacity",
    request_body = CapacityInput,
    responses(
        (status = 201, description = "Capacity created.", body = CapacityView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/capacities", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<CapacityInput>,
) -> AppResult<Created<CapacityView>> {
    let view = domain::db::write(db, async |txn| {
        capacities::create(txn, admin.id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// Change a capacity
///
/// Roles: admin. The code never changes (other systems use it): a different `code` is a 422.
/// Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "updateCapacity",
    params(("id" = i32, Path, description = "Capacity id.", example = 1)),
    request_body = CapacityInput,
    responses(
        (status = 200, description = "The updated capacity.", body = CapacityView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/capacities/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<CapacityInput>,
) -> AppResult<Json<CapacityView>> {
    let view = domain::db::write(db, async |txn| {
        capacities::update(txn, admin.id, id, &body).await
    })
    .await?;
    Ok(Json(view))
}
