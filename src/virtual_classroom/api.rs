//! `/api/v1/lti/tools` (the admin registers tools; staff read them to link cohorts),
//! `/api/v1/cohorts/{id}/lti-links`, `/api/v1/cohorts/{id}/lti-launches` and
//! `/api/v1/cohorts/{id}/lti-line-items` (the cohort's coordinator).

use super::platform_of;
use crate::accounts::guards::{AdminUser, StaffUser};
use crate::api::{Created, JsonBody, List, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound};
use domain::config::AppConfig;
use domain::virtual_classroom::grades::{self, LineItemView, MappingInput};
use domain::virtual_classroom::launch::{self, LaunchView};
use domain::virtual_classroom::links::{self, LinkInput, LinkView};
use domain::virtual_classroom::tools::{self, ToolInput, ToolView};
use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        register_tool,
        list_tools,
        create_link,
        list_links,
        list_launches,
        list_line_items,
        map_line_item
    ]
}

/// Register an LTI 1.3 tool
///
/// Roles: admin. The tool's OIDC login initiation URL, target link URI, redirect URIs, its
/// keys (`jwks_url`, or `public_jwk`: an RSA JWK or JWK Set), an optional deep-linking URL,
/// what it may learn of people (`share_name`, `share_email`) and the services granted
/// (`scopes`, default the four of NRPS and AGS). Answers the `client_id` and `deployment_id`
/// given to the tool and the platform's issuer, authorization endpoint, token endpoint and
/// JWK Set URL, to enter on the tool's side. URLs must be https (plain http only on this
/// machine). Audited.
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "registerLtiTool",
    request_body = ToolInput,
    responses(
        (status = 201, description = "Tool registered.", body = ToolView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/lti/tools", data = "<body>")]
async fn register_tool(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    admin: AdminUser,
    body: JsonBody<ToolInput>,
) -> AppResult<Created<ToolView>> {
    let platform = platform_of(config);
    let view = domain::db::write(db, async |txn| {
        tools::register(txn, &platform, &admin, &body).await
    })
    .await?;
    Ok(created(view))
}

/// List the registered tools
///
/// Roles: staff (a coordinator links its cohorts to them).
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "listLtiTools",
    responses((status = 200, description = "Every tool.", body = inline(List<ToolView>)))
)]
#[get("/lti/tools")]
async fn list_tools(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    _staff: StaffUser,
) -> AppResult<Json<List<ToolView>>> {
    let items = tools::list(db.inner(), &platform_of(config)).await?;
    Ok(Json(List::whole(items)))
}

/// Link a cohort to a tool
///
/// Roles: staff who manage the cohort (404 otherwise). `custom` parameters travel with each
/// launch (Moodle's published tool needs its `id`). A closed or cancelled cohort → 409.
/// Answers the launch page's URL. Audited.
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "createLtiLink",
    request_body = LinkInput,
    responses(
        (status = 201, description = "Link created.", body = LinkView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/lti-links", data = "<body>")]
async fn create_link(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    staff: StaffUser,
    id: i32,
    body: JsonBody<LinkInput>,
) -> AppResult<Created<LinkView>> {
    let platform = platform_of(config);
    let view = domain::db::write(db, async |txn| {
        links::create(txn, &platform, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// A cohort's links to the virtual classroom
///
/// Roles: staff who manage the cohort (404 otherwise).
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "listLtiLinks",
    responses(
        (status = 200, description = "The cohort's links.", body = inline(List<LinkView>)),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/lti-links")]
async fn list_links(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<List<LinkView>>> {
    let cohort = domain::cohorts::find_managed(db.inner(), &staff, id).await?;
    let items = links::of_cohort(db.inner(), &platform_of(config), cohort.id).await?;
    Ok(Json(List::whole(items)))
}

/// Who launched the cohort's virtual classroom
///
/// Roles: staff who manage the cohort (404 otherwise). Newest first, at most 1,000; a launch
/// in a virtual session's window names the session.
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "listLtiLaunches",
    responses(
        (status = 200, description = "The launches.", body = inline(List<LaunchView>)),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/lti-launches")]
async fn list_launches(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<List<LaunchView>>> {
    let cohort = domain::cohorts::find_managed(db.inner(), &staff, id).await?;
    Ok(Json(List::whole(
        launch::of_cohort(db.inner(), cohort.id).await?,
    )))
}

/// The cohort's gradable activities (AGS line items)
///
/// Roles: staff who manage the cohort (404 otherwise). Each assessment is one; a tool's own
/// line items feed an assessment once mapped to it.
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "listLtiLineItems",
    responses(
        (status = 200, description = "The line items.", body = inline(List<LineItemView>)),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/lti-line-items")]
async fn list_line_items(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<List<LineItemView>>> {
    let items = domain::db::write(db, async |txn| grades::of_cohort(txn, &staff, id).await).await?;
    Ok(Json(List::whole(items)))
}

/// Map a tool's line item to an assessment
///
/// Roles: staff who manage the cohort (404 otherwise). The line item's latest fully graded
/// results become the assessment's scores at once (audited as written by the tool); `null`
/// unmaps it. An assessment's own line item, or an assessment of another cohort → 422; a
/// closed cohort → 409.
#[utoipa::path(
    tag = "virtual classroom",
    operation_id = "mapLtiLineItem",
    request_body = MappingInput,
    responses(
        (status = 200, description = "Mapped.", body = LineItemView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[patch("/cohorts/<id>/lti-line-items/<item_id>", data = "<body>")]
async fn map_line_item(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    item_id: i32,
    body: JsonBody<MappingInput>,
) -> AppResult<Json<LineItemView>> {
    let view = domain::db::write(db, async |txn| {
        grades::map(txn, &staff, id, item_id, &body).await
    })
    .await?;
    Ok(Json(view))
}
