//! `/api/v1/municipalities/{code}/positions`, `/api/v1/positions/{id}` and its departure, and
//! the import of a municipality's positions from a spreadsheet.

use crate::accounts::guards::MunicipalityReader;
use crate::api::{Created, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{Upload, upload_error};
use domain::positions::import::{PositionImport, PositionImportSummary};
use domain::positions::{self, DepartureInput, PositionInput, PositionView, Positions};
use rocket::form::{Errors, Form};
use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![list, create, update, departure, import, template]
}

/// A municipality's key positions
///
/// Roles: the municipality's liaison, the department's reviewer, administrators and ESAP's
/// coordinators (a territorial direction's, in its departments); others in those roles, or an
/// unknown code → 404; participants and instructors → 403. Each position with the capacity it
/// holds, its holder (`participant_id` when a person of the product, else only `full_name`;
/// null while vacant), `appointment` (`carrera`, `libre_nombramiento`, `provisional`,
/// `contrato`, `periodo`), `since` (day of possession) and `certified` (the holder is a person
/// of the product with a valid certificate of a course of the position's capacity);
/// `held_by_certified` of `total` («3 de 5»).
#[utoipa::path(
    tag = "positions",
    operation_id = "listKeyPositions",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18592")),
    responses(
        (status = 200, description = "The municipality's key positions.", body = Positions),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/municipalities/<code>/positions")]
async fn list(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
) -> AppResult<Json<Positions>> {
    Ok(Json(positions::list(db.inner(), &user, code).await?))
}

/// Add a key position
///
/// Roles: as `listKeyPositions`. `title` and `capacity_id` required; `holder` optional (a
/// vacant position): `{"participant_id"}` (a person registered in the municipality) or
/// `{"full_name"}`, then `appointment` and `since` (not after today) are required. 422 with
/// every problem, in Spanish; nothing written. Audited.
#[utoipa::path(
    tag = "positions",
    operation_id = "createKeyPosition",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18592")),
    request_body = PositionInput,
    responses(
        (status = 201, description = "The position.", body = PositionView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/municipalities/<code>/positions", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
    body: crate::api::JsonBody<PositionInput>,
) -> AppResult<Created<PositionView>> {
    let view = positions::create(db.inner(), &user, code, &body.into_inner()).await?;
    Ok(created(view))
}

/// Change a key position
///
/// Roles: as `listKeyPositions`. The fields given replace the recorded ones; `holder` omitted
/// keeps the holder. A different holder named over the one recorded records that one's
/// departure on the new holder's `since` (and, if they were certified, tells the department's
/// reviewers and the municipality's liaisons, as `recordKeyPositionDeparture`). 422 with every
/// problem; nothing written. Audited.
#[utoipa::path(
    tag = "positions",
    operation_id = "updateKeyPosition",
    params(("id" = i32, Path, description = "Key position id.", example = 1)),
    request_body = PositionInput,
    responses(
        (status = 200, description = "The position.", body = PositionView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/positions/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<PositionInput>,
) -> AppResult<Json<PositionView>> {
    let view = positions::update(db.inner(), &notifier, &user, id, &body.into_inner()).await?;
    Ok(Json(view))
}

/// Record that a key position's holder left
///
/// Roles: as `listKeyPositions`. `on` (AAAA-MM-DD, not after today nor before the holder's
/// possession), `reason` optional. The position is vacant afterwards (its `last_departure`
/// says who left); a person of the product is recorded as having left the entity. When the
/// holder was certified in the position's capacity, the department's reviewers and the
/// municipality's liaisons are emailed and their home pages list the position until it is
/// held again. A vacant position → 409. Audited.
#[utoipa::path(
    tag = "positions",
    operation_id = "recordKeyPositionDeparture",
    params(("id" = i32, Path, description = "Key position id.", example = 1)),
    request_body = DepartureInput,
    responses(
        (status = 200, description = "The position, vacant.", body = PositionView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/positions/<id>/departure", data = "<body>")]
async fn departure(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<DepartureInput>,
) -> AppResult<Json<PositionView>> {
    let view = positions::depart(db.inner(), &notifier, &user, id, &body.into_inner()).await?;
    Ok(Json(view))
}

/// Import a municipality's key positions
///
/// Roles: as `listKeyPositions`. Multipart `file` (`.xlsx` or `.csv`), one row per position:
/// «Cargo», «Nombre del titular», «Documento» (optional: links a person registered in the
/// municipality), «Tipo de vinculación» (value or label), «Fecha de posesión» (AAAA-MM-DD or
/// dd/mm/aaaa), «Capacidad» (name or code; empty for a usual title). A «Cargo» already
/// recorded is changed; naming another holder than the one recorded is refused (record the
/// departure first). **All or nothing**: 422 with every problem (`errors: [{row, field,
/// message}]`, in Spanish). `dry_run=true` previews. Audited.
#[utoipa::path(
    tag = "positions",
    operation_id = "importKeyPositions",
    params(
        ("code" = String, Path, description = "DANE code of the municipality.", example = "18592"),
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = PositionImportSummary),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/municipalities/<code>/positions/import?<dry_run>", data = "<upload>")]
async fn import(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
    dry_run: QueryFlag,
    upload: Result<Form<Upload<'_>>, Errors<'_>>,
) -> AppResult<Json<PositionImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = PositionImport::open(db.inner(), &user, code);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// The template of the import of key positions
///
/// Roles: as `listKeyPositions`. One sheet with the columns, an example row and drop-down
/// lists for the appointment type and the capacity (`plantilla-cargos-clave.xlsx`).
#[utoipa::path(
    tag = "positions",
    operation_id = "downloadKeyPositionsTemplate",
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/positions/template.xlsx")]
async fn template(
    db: &State<DatabaseConnection>,
    _user: MunicipalityReader,
) -> AppResult<Download> {
    template_download(db.inner()).await
}

/// The template (the API's and the page's link).
pub async fn template_download(db: &DatabaseConnection) -> AppResult<Download> {
    Ok(Download::xlsx(
        "plantilla-cargos-clave.xlsx",
        domain::positions::import::template(db).await?,
    ))
}
