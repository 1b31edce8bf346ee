//! An edition's progress as a workbook (issue 64): `GET
//! /api/v1/programme-editions/{id}/progress.xlsx` and the page's download
//! `/ediciones/{id}/avance.xlsx` — the rows of the progress report (a reviewer's only her
//! department's people), built by `domain::programmes::workbook`.

use crate::accounts::guards::ReportReader;
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound, Workbook};
use crate::spreadsheets::download::Download;
use domain::programmes::workbook;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;

/// The API's route (mounted at `/api/v1`).
pub fn routes() -> Vec<Route> {
    routes![progress_xlsx]
}

/// The page's download (mounted at `/`).
pub fn page_routes() -> Vec<Route> {
    routes![progress_download]
}

async fn download(db: &DatabaseConnection, user: &ReportReader, id: i32) -> AppResult<Download> {
    let (name, bytes) = workbook::for_actor(db, user, id).await?;
    Ok(Download::xlsx(&name, bytes))
}

/// An edition's progress as a workbook
///
/// Roles: as `GET /programme-editions/{id}/progress` (staff who manage the edition; a
/// reviewer, her department's people only). Sheet «Avance»: one row per person enrolled —
/// name, municipality, each module's state, attendance (on the one basis) and grade, modules
/// completed and required, the programme's status and whether she is at risk. No document
/// numbers.
#[utoipa::path(
    tag = "programmes",
    operation_id = "getEditionProgressXlsx",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/programme-editions/<id>/progress.xlsx")]
pub async fn progress_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
) -> AppResult<Download> {
    download(db.inner(), &user, id).await
}

/// The edition page's download of its progress (the same workbook).
#[get("/ediciones/<id>/avance.xlsx")]
pub async fn progress_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
) -> AppResult<Download> {
    download(db.inner(), &user, id).await
}
