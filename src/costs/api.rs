//! `/api/v1/cohorts/{id}/costs`, `/api/v1/assistances/{id}/costs` and `/api/v1/costs/{id}`
//! (issue 47): the staff who manage a cohort or assistance write its cost items; they and the
//! reviewers of its department read them (out of scope: 404). Rules in
//! `domain::costs::items`.

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound, PayloadTooLarge, ValidationFailed};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{Upload, upload_error};
use domain::costs::import::{CostImport, CostImportSummary};
use domain::costs::items::{self, CostInput, CostView};
use rocket::form::{Errors, Form};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list_cohort_costs,
        add_cohort_cost,
        list_assistance_costs,
        add_assistance_cost,
        update_cost,
        delete_cost,
        import_costs,
        import_template
    ]
}

/// The cost items of a cohort
///
/// Roles: the staff who manage the cohort (an admin any; a coordinator its provider's, within
/// its direction), and the reviewer of a department it targets. Others, or out of scope: 404.
/// Each item carries its `value` (amount × units: participants, sessions). Newest first;
/// returned whole.
#[utoipa::path(
    tag = "costs",
    operation_id = "listCohortCosts",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The cohort's cost items.", body = List<CostView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/costs")]
pub async fn list_cohort_costs(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<CostView>>> {
    let target = items::cohort_read(db.inner(), &user, id).await?;
    Ok(Json(List::whole(items::list(db.inner(), &target).await?)))
}

/// Add a cost item to a cohort
///
/// Roles: the staff who manage the cohort (a reviewer 403; another provider's coordinator
/// 404). `kind`, `basis`, `amount` (whole pesos, > 0) and `stage` required; `plan_line_id`
/// must be a line of an approved plan of the cohort's provider for the year it starts in, with
/// a capacity of its course (and its course, when the line names one). Bad input → 422 per
/// field, nothing written. Audited.
#[utoipa::path(
    tag = "costs",
    operation_id = "addCohortCost",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = CostInput,
    responses(
        (status = 201, description = "Cost item created.", body = CostView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/cohorts/<id>/costs", data = "<body>")]
pub async fn add_cohort_cost(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CostInput>,
) -> AppResult<Created<CostView>> {
    Ok(domain::db::write(db, async |txn| {
        let target = items::cohort_managed(txn, &staff, id).await?;
        let view = items::add(txn, staff.id, &target, &body).await?;
        Ok(created(view))
    })
    .await?)
}

/// The cost items of an assistance
///
/// Roles: the staff who manage the assistance, and the reviewer of its department. Others,
/// or out of scope: 404. `por_sesion` counts the assistance's visits, `por_participante` the
/// attendees recorded at them.
#[utoipa::path(
    tag = "costs",
    operation_id = "listAssistanceCosts",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    responses(
        (status = 200, description = "The assistance's cost items.", body = List<CostView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/assistances/<id>/costs")]
pub async fn list_assistance_costs(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<CostView>>> {
    let target = items::assistance_read(db.inner(), &user, id).await?;
    Ok(Json(List::whole(items::list(db.inner(), &target).await?)))
}

/// Add a cost item to an assistance
///
/// Roles: the staff who manage the assistance. Same fields and rules as for a cohort (the
/// line's capacity must be one of the assistance's). Audited.
#[utoipa::path(
    tag = "costs",
    operation_id = "addAssistanceCost",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = CostInput,
    responses(
        (status = 201, description = "Cost item created.", body = CostView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/costs", data = "<body>")]
pub async fn add_assistance_cost(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CostInput>,
) -> AppResult<Created<CostView>> {
    Ok(domain::db::write(db, async |txn| {
        let target = items::assistance_managed(txn, &staff, id).await?;
        let view = items::add(txn, staff.id, &target, &body).await?;
        Ok(created(view))
    })
    .await?)
}

/// Change a cost item
///
/// Roles: the staff who manage its cohort or assistance. Any subset of the fields (typically
/// `stage` as it moves from planned to committed to executed, or `amount`); checked as when
/// adding. Audited.
///
/// **Extension** (not in api-v1.md): a cost moves through its stages, and amounts get
/// corrected; without it an item could only be recorded again.
#[utoipa::path(
    tag = "costs",
    operation_id = "updateCost",
    params(("id" = i32, Path, description = "Cost item id.", example = 1)),
    request_body = CostInput,
    responses(
        (status = 200, description = "The changed cost item.", body = CostView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/costs/<id>", data = "<body>")]
pub async fn update_cost(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CostInput>,
) -> AppResult<Json<CostView>> {
    Ok(domain::db::write(db, async |txn| {
        let (item, target) = items::find_managed(txn, &staff, id).await?;
        let view = items::update(txn, staff.id, &target, item, &body).await?;
        Ok(Json(view))
    })
    .await?)
}

/// Delete a cost item
///
/// Roles: the staff who manage its cohort or assistance. Audited.
///
/// **Extension** (not in api-v1.md): removes an item recorded by mistake.
#[utoipa::path(
    tag = "costs",
    operation_id = "deleteCost",
    params(("id" = i32, Path, description = "Cost item id.", example = 1)),
    responses(
        (status = 204, description = "Cost item deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[delete("/costs/<id>")]
pub async fn delete_cost(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Status> {
    Ok(domain::db::write(db, async |txn| {
        let (item, _) = items::find_managed(txn, &staff, id).await?;
        items::remove(txn, staff.id, item).await?;
        Ok(Status::NoContent)
    })
    .await?)
}

/// Import executed costs
///
/// Roles: staff; each row's cohort or assistance must be one the caller manages. Multipart
/// `file` (`.xlsx` or `.csv`) with the columns `referencia`, `cohorte` or `asistencia` (the
/// id), `tipo`, `base`, `valor` (whole pesos), `fecha` (`YYYY-MM-DD`, the day paid; today if
/// empty), `linea_plan` and `descripcion` (optional); every row is an executed cost, checked
/// by the same rules as one added by hand. **All or nothing**: any bad row → 422 with
/// `errors: [{row, field, message}]` in Spanish. `dry_run=true` says what would change without
/// writing. The same file sent again changes nothing (`unchanged`: the provider's `referencia`
/// is the key); a changed row updates its item. Audited.
#[utoipa::path(
    tag = "costs",
    operation_id = "importCosts",
    params(
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = CostImportSummary),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/imports/costs?<dry_run>", data = "<upload>")]
pub async fn import_costs(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    dry_run: QueryFlag,
    upload: Result<Form<Upload<'_>>, Errors<'_>>,
) -> AppResult<Json<CostImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = CostImport::open(&staff);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// The template of the import of executed costs
///
/// Roles: staff. One sheet with the columns, an example row and drop-down lists for `tipo`
/// and `base`; every column in Text format (`plantilla-costos.xlsx`).
#[utoipa::path(
    tag = "costs",
    operation_id = "downloadCostImportTemplate",
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/imports/costs/template.xlsx")]
pub async fn import_template(_staff: StaffUser) -> AppResult<Download> {
    template_download().await
}

/// The template (the API's and the import page's link).
pub async fn template_download() -> AppResult<Download> {
    Ok(Download::xlsx(
        "plantilla-costos.xlsx",
        domain::costs::import::template().await?,
    ))
}
