//! `/api/v1/sectors` and `/api/v1/population-groups` (issue 49): everyone signed in reads;
//! admins add, rename, retire and delete (editable reference data, audited; the rules are
//! `domain::descriptors`). One handler body per verb serves both lists.

use crate::accounts::guards::{AdminUser, CurrentUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound};
use domain::descriptors::{self, DescriptorInput, DescriptorView};
use domain::entities::values::DescriptorKind;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list_sectors,
        create_sector,
        update_sector,
        delete_sector,
        list_population_groups,
        create_population_group,
        update_population_group,
        delete_population_group,
    ]
}

async fn list(
    db: &DatabaseConnection,
    kind: DescriptorKind,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<DescriptorView>>> {
    let (items, total, page, per_page) =
        descriptors::list(db, kind, &Paging { page, per_page }).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

async fn create(
    db: &DatabaseConnection,
    admin: &AdminUser,
    kind: DescriptorKind,
    body: &DescriptorInput,
) -> AppResult<Created<DescriptorView>> {
    let view = domain::db::write(db, async |txn| {
        descriptors::create(txn, admin.id, kind, body).await
    })
    .await?;
    Ok(created(view))
}

async fn update(
    db: &DatabaseConnection,
    admin: &AdminUser,
    kind: DescriptorKind,
    id: i32,
    body: &DescriptorInput,
) -> AppResult<Json<DescriptorView>> {
    let view = domain::db::write(db, async |txn| {
        descriptors::update(txn, admin.id, kind, id, body).await
    })
    .await?;
    Ok(Json(view))
}

async fn remove(
    db: &DatabaseConnection,
    admin: &AdminUser,
    kind: DescriptorKind,
    id: i32,
) -> AppResult<Status> {
    Ok(domain::db::write(db, async |txn| {
        descriptors::delete(txn, admin.id, kind, id).await?;
        Ok(Status::NoContent)
    })
    .await?)
}

/// List the sectors
///
/// Roles: any signed-in user. CONPES's sectoral descriptors (the sectors of the national
/// budget), in their order; includes inactive ones (see `active`).
#[utoipa::path(
    tag = "reference",
    operation_id = "listSectors",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of sectors.", body = List<DescriptorView>))
)]
#[get("/sectors?<page>&<per_page>")]
async fn list_sectors(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<DescriptorView>>> {
    list(db, DescriptorKind::Sector, page, per_page).await
}

/// Add a sector
///
/// Roles: admin. `code` and `name` are required; the code is unique among sectors. Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "createSector",
    request_body = DescriptorInput,
    responses(
        (status = 201, description = "Sector added.", body = DescriptorView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/sectors", data = "<body>")]
async fn create_sector(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<DescriptorInput>,
) -> AppResult<Created<DescriptorView>> {
    create(db, &admin, DescriptorKind::Sector, &body).await
}

/// Change a sector
///
/// Roles: admin. Renames it, or retires it from the choices (`active: false`); the code never
/// changes (a different `code` is a 422). Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "updateSector",
    params(("id" = i32, Path, description = "Sector id.", example = 1)),
    request_body = DescriptorInput,
    responses(
        (status = 200, description = "The updated sector.", body = DescriptorView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/sectors/<id>", data = "<body>")]
async fn update_sector(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<DescriptorInput>,
) -> AppResult<Json<DescriptorView>> {
    update(db, &admin, DescriptorKind::Sector, id, &body).await
}

/// Delete a sector
///
/// Roles: admin. Only a sector nothing carries; one a course, assistance or demand carries is
/// a 409 (retire it with `active: false`). Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "deleteSector",
    params(("id" = i32, Path, description = "Sector id.", example = 1)),
    responses(
        (status = 204, description = "Sector deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/sectors/<id>")]
async fn delete_sector(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
) -> AppResult<Status> {
    remove(db, &admin, DescriptorKind::Sector, id).await
}

/// List the population groups
///
/// Roles: any signed-in user. CONPES's population descriptors, in their order; includes
/// inactive ones (see `active`).
#[utoipa::path(
    tag = "reference",
    operation_id = "listPopulationGroups",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of population groups.", body = List<DescriptorView>))
)]
#[get("/population-groups?<page>&<per_page>")]
async fn list_population_groups(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<DescriptorView>>> {
    list(db, DescriptorKind::PopulationGroup, page, per_page).await
}

/// Add a population group
///
/// Roles: admin. `code` and `name` are required; the code is unique among population groups.
/// Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "createPopulationGroup",
    request_body = DescriptorInput,
    responses(
        (status = 201, description = "Population group added.", body = DescriptorView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/population-groups", data = "<body>")]
async fn create_population_group(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<DescriptorInput>,
) -> AppResult<Created<DescriptorView>> {
    create(db, &admin, DescriptorKind::PopulationGroup, &body).await
}

/// Change a population group
///
/// Roles: admin. Renames it, or retires it from the choices (`active: false`); the code never
/// changes (a different `code` is a 422). Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "updatePopulationGroup",
    params(("id" = i32, Path, description = "Population group id.", example = 1)),
    request_body = DescriptorInput,
    responses(
        (status = 200, description = "The updated population group.", body = DescriptorView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/population-groups/<id>", data = "<body>")]
async fn update_population_group(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<DescriptorInput>,
) -> AppResult<Json<DescriptorView>> {
    update(db, &admin, DescriptorKind::PopulationGroup, id, &body).await
}

/// Delete a population group
///
/// Roles: admin. Only a group nothing carries; one in use is a 409 (retire it with
/// `active: false`). Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "deletePopulationGroup",
    params(("id" = i32, Path, description = "Population group id.", example = 1)),
    responses(
        (status = 204, description = "Population group deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/population-groups/<id>")]
async fn delete_population_group(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
) -> AppResult<Status> {
    remove(db, &admin, DescriptorKind::PopulationGroup, id).await
}
