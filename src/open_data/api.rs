//! `/open-data/offer.{csv,json}` and `/open-data/coverage.{csv,json}`: the open data sets
//! (issue 32), public (no authentication), mounted at the site root rather than under
//! `/api/v1` (they are files for datos.gov.co and anyone, not an API with tokens), and
//! described in the OpenAPI document with the server `/`. Errors are problem+json, as the
//! API's (`web::problem::answers_problem`).
//!
//! Beside each CSV, its flavour for Colombian Excel, `/open-data/{slug}.excel.csv` (`;`
//! separator; the same writer, `CsvFlavour::ExcelColombia`), and the Frictionless Data Package
//! describing every CSV, `/open-data/datapackage.json` (issue 67). Those are documented in
//! `docs/api-v1.md` rather than in the OpenAPI document: they are files, not API operations.

use crate::error::AppResult;
use crate::spreadsheets::download::Download;
use domain::config::AppConfig;
use domain::open_data::coverage::{self, CoverageRow};
use domain::open_data::offer::{self, OfferRow};
use domain::open_data::plans::{self as plan_data, PlanRow};
use domain::open_data::resources::{self as resource_data, ResourceRow};
use domain::open_data::{COVERAGE, OFFER, PLANS, RESOURCES, package};
use domain::spreadsheets::CsvFlavour;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        offer_csv,
        offer_json,
        coverage_csv,
        coverage_json,
        plans_csv,
        plans_json,
        resources_csv,
        resources_json,
        offer_excel_csv,
        coverage_excel_csv,
        plans_excel_csv,
        resources_excel_csv,
        datapackage
    ]
}

/// The offer (CSV)
///
/// **Extension.** Public (no authentication). Every published cohort (open, in progress,
/// closed; never drafts or cancelled ones) of every provider, one per row, ordered by cohort
/// id; the columns and their meaning are at `/datos-abiertos`. UTF-8 with BOM, comma
/// separator, `CRLF`, a header row of `snake_case` Spanish names, dates `YYYY-MM-DD`, text
/// always quoted (DIVIPOLA codes keep their leading zeros), lists joined with `;`, as an
/// attachment (`aula-territorial-oferta.csv`). `sector` (a sector's code, `codigos_sector`)
/// keeps the cohorts of the courses that carry it.
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataOfferCsv",
    params(("sector" = Option<String>, Query, description = "A sector's code (`GET /api/v1/sectors`).", example = "vivienda_agua")),
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "The offer as CSV.", content_type = "text/csv", body = String))
)]
#[get("/open-data/offer.csv?<sector>")]
pub async fn offer_csv(
    db: &State<DatabaseConnection>,
    sector: Option<&str>,
) -> AppResult<Download> {
    let rows = offer::rows(db.inner(), sector).await?;
    Ok(Download::csv(
        OFFER.file_name,
        offer::csv(&rows, CsvFlavour::Standard),
    ))
}

/// The offer (JSON)
///
/// **Extension.** Public (no authentication). The same rows and keys as the CSV, as a JSON
/// array of objects (as datos.gov.co's API answers); list columns are JSON lists. `sector` as
/// in the CSV.
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataOfferJson",
    params(("sector" = Option<String>, Query, description = "A sector's code (`GET /api/v1/sectors`).", example = "vivienda_agua")),
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "Every published cohort.", body = Vec<OfferRow>))
)]
#[get("/open-data/offer.json?<sector>")]
pub async fn offer_json(
    db: &State<DatabaseConnection>,
    sector: Option<&str>,
) -> AppResult<Json<Vec<OfferRow>>> {
    Ok(Json(offer::rows(db.inner(), sector).await?))
}

/// The coverage (CSV)
///
/// **Extension.** Public (no authentication). Per municipality × capacity × year (of the
/// cohort's start), the distinct people trained, completed and certified, with every
/// provider; ordered by municipality code, capacity and year. A count from 1 to 4 is an empty
/// field (suppressed). Same CSV conventions as the offer (`aula-territorial-cobertura.csv`).
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataCoverageCsv",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "The coverage as CSV.", content_type = "text/csv", body = String))
)]
#[get("/open-data/coverage.csv")]
pub async fn coverage_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = coverage::rows(db.inner()).await?;
    Ok(Download::csv(
        COVERAGE.file_name,
        coverage::csv(&rows, CsvFlavour::Standard),
    ))
}

/// The coverage (JSON)
///
/// **Extension.** Public (no authentication). The same rows and keys as the CSV, as a JSON
/// array of objects; a suppressed count (1 to 4) is `null`.
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataCoverageJson",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "Every municipality × capacity × year with someone trained.", body = Vec<CoverageRow>))
)]
#[get("/open-data/coverage.json")]
pub async fn coverage_json(db: &State<DatabaseConnection>) -> AppResult<Json<Vec<CoverageRow>>> {
    Ok(Json(coverage::rows(db.inner()).await?))
}

/// The plans (CSV)
///
/// **Extension.** Public (no authentication). One row per line of every approved plan (its
/// current version; drafts are not published): provider, territorial direction or
/// department, year, state, version and act, the line's capacity, course and targets, its
/// goals, its budget by source, what was achieved to date on its goals and the committed and
/// executed cost. No personal data: counts of people from 1 to 4 are empty fields. Ordered by
/// year, plan and line; same CSV conventions as the offer (`aula-territorial-planes.csv`).
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataPlansCsv",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "The plans as CSV.", content_type = "text/csv", body = String))
)]
#[get("/open-data/plans.csv")]
pub async fn plans_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = plan_data::rows(db.inner()).await?;
    Ok(Download::csv(
        PLANS.file_name,
        plan_data::csv(&rows, CsvFlavour::Standard),
    ))
}

/// The plans (JSON)
///
/// **Extension.** Public (no authentication). The same rows and keys as the CSV, as a JSON
/// array of objects; a goal the line does not set, and a suppressed count, are `null`.
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataPlansJson",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "Every line of every approved plan.", body = Vec<PlanRow>))
)]
#[get("/open-data/plans.json")]
pub async fn plans_json(db: &State<DatabaseConnection>) -> AppResult<Json<Vec<PlanRow>>> {
    Ok(Json(plan_data::rows(db.inner()).await?))
}

/// The knowledge bank's public resources (CSV)
///
/// **Extension.** Public (no authentication). Every published resource marked public, one per
/// row, ordered by id: its kind, tags, origin, link or file download, the lesson's structure
/// and its downloads; withdrawn ones and those for accounts only are left out. No personal
/// data. Same CSV conventions as the offer (`aula-territorial-banco-de-conocimiento.csv`).
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataResourcesCsv",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "The public resources as CSV.", content_type = "text/csv", body = String))
)]
#[get("/open-data/resources.csv")]
pub async fn resources_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = resource_data::rows(db.inner()).await?;
    Ok(Download::csv(
        RESOURCES.file_name,
        resource_data::csv(&rows, CsvFlavour::Standard),
    ))
}

/// The knowledge bank's public resources (JSON)
///
/// **Extension.** Public (no authentication). The same rows and keys as the CSV, as a JSON
/// array of objects.
#[utoipa::path(
    tag = "open-data",
    operation_id = "openDataResourcesJson",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses((status = 200, description = "Every public resource.", body = Vec<ResourceRow>))
)]
#[get("/open-data/resources.json")]
pub async fn resources_json(db: &State<DatabaseConnection>) -> AppResult<Json<Vec<ResourceRow>>> {
    Ok(Json(resource_data::rows(db.inner()).await?))
}

/// The offer for Colombian Excel: the same file as `/open-data/offer.csv` (and the same
/// `sector`), separated by `;`.
#[get("/open-data/offer.excel.csv?<sector>")]
pub async fn offer_excel_csv(
    db: &State<DatabaseConnection>,
    sector: Option<&str>,
) -> AppResult<Download> {
    let rows = offer::rows(db.inner(), sector).await?;
    let flavour = CsvFlavour::ExcelColombia;
    Ok(Download::csv(
        &OFFER.csv_file_name(flavour),
        offer::csv(&rows, flavour),
    ))
}

/// The coverage for Colombian Excel (`;`).
#[get("/open-data/coverage.excel.csv")]
pub async fn coverage_excel_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = coverage::rows(db.inner()).await?;
    let flavour = CsvFlavour::ExcelColombia;
    Ok(Download::csv(
        &COVERAGE.csv_file_name(flavour),
        coverage::csv(&rows, flavour),
    ))
}

/// The plans for Colombian Excel (`;`).
#[get("/open-data/plans.excel.csv")]
pub async fn plans_excel_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = plan_data::rows(db.inner()).await?;
    let flavour = CsvFlavour::ExcelColombia;
    Ok(Download::csv(
        &PLANS.csv_file_name(flavour),
        plan_data::csv(&rows, flavour),
    ))
}

/// The public resources for Colombian Excel (`;`).
#[get("/open-data/resources.excel.csv")]
pub async fn resources_excel_csv(db: &State<DatabaseConnection>) -> AppResult<Download> {
    let rows = resource_data::rows(db.inner()).await?;
    let flavour = CsvFlavour::ExcelColombia;
    Ok(Download::csv(
        &RESOURCES.csv_file_name(flavour),
        resource_data::csv(&rows, flavour),
    ))
}

/// The Frictionless Data Package describing every CSV above (both flavours), with absolute
/// paths on this installation's `public_url`.
#[get("/open-data/datapackage.json")]
pub fn datapackage(config: &State<AppConfig>) -> Json<serde_json::Value> {
    Json(package::datapackage(&config.public_url))
}
