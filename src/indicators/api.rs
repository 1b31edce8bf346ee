//! `/api/v1` for indicators and impact (issue 15): the indicators and their links (everyone
//! signed in reads; admins write), observations (reviewers: their department), the import of
//! new years (staff), a municipality's impact, ESAP's comparison and where to train next
//! (staff: the country; reviewers: their department).

use crate::accounts::guards::{
    AdminUser, CurrentUser, MunicipalityReader, ReportReader, StaffUser,
};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound, PayloadTooLarge, ValidationFailed, Workbook};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{Upload, upload_error};
use crate::web::{KeptJson, KeptKey};
use domain::indicators::impact::{Comparison, ComparisonQuery, MunicipalityImpact};
use domain::indicators::import::{ObservationImport, ObservationSummary};
use domain::indicators::priorities::{PriorityQuery, PriorityRow};
use domain::indicators::{IndicatorInput, IndicatorView, ObservationQuery, ObservationView};
use rocket::response::content::RawJson;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        update,
        observations,
        import,
        municipality_impact,
        comparison,
        comparison_xlsx,
        priorities
    ]
}

/// List indicators
///
/// Roles: any signed-in user. Each with the capacities it measures (`capacity_ids`).
#[utoipa::path(
    tag = "indicators",
    operation_id = "listIndicators",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of indicators, by name.", body = List<IndicatorView>))
)]
#[get("/indicators?<page>&<per_page>")]
async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<IndicatorView>>> {
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let all = domain::indicators::list(db.inner()).await?;
    let total = all.len() as u64;
    let items = all
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Create an indicator
///
/// Roles: admin. `code`, `name`, `source` and `unit` are required; `higher_is_better`
/// defaults to `true`. Audited.
#[utoipa::path(
    tag = "indicators",
    operation_id = "createIndicator",
    request_body = IndicatorInput,
    responses(
        (status = 201, description = "Indicator created.", body = IndicatorView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/indicators", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<IndicatorInput>,
) -> AppResult<Created<IndicatorView>> {
    Ok(created(
        domain::indicators::create(db.inner(), &admin, body.into_inner()).await?,
    ))
}

/// Change an indicator or its capacities
///
/// Roles: admin. Absent fields stay as they are; `capacity_ids` replaces the links. The
/// `code` never changes (imports name indicators by it): a different one is a 422. Audited.
#[utoipa::path(
    tag = "indicators",
    operation_id = "updateIndicator",
    params(("id" = i32, Path, description = "Indicator id.", example = 1)),
    request_body = IndicatorInput,
    responses(
        (status = 200, description = "The indicator.", body = IndicatorView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/indicators/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<IndicatorInput>,
) -> AppResult<Json<IndicatorView>> {
    Ok(Json(
        domain::indicators::update(db.inner(), &admin, id, body.into_inner()).await?,
    ))
}

/// Filters of an indicator's observations.
#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObservationParams {
    /// DANE code of the department (reviewers are always limited to their own).
    #[param(example = "18")]
    pub department: Option<String>,
    /// DANE code of the municipality.
    #[param(example = "18256")]
    pub municipality: Option<String>,
    /// The year (vigencia).
    #[param(example = 2023)]
    pub year: Option<i32>,
}

/// An indicator's observations
///
/// Roles: any signed-in user; a reviewer sees only their department's municipalities
/// (silently). By municipality, then year. `synthetic: true` marks values made up by the
/// national generator (demo and benchmark databases only).
#[utoipa::path(
    tag = "indicators",
    operation_id = "listObservations",
    params(
        ("id" = i32, Path, description = "Indicator id.", example = 1),
        ObservationParams,
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses(
        (status = 200, description = "A page of observations.", body = List<ObservationView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/indicators/<id>/observations?<page>&<per_page>&<params..>")]
async fn observations(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
    params: ObservationParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<ObservationView>>> {
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let query = ObservationQuery {
        department: params.department,
        municipality: params.municipality,
        year: params.year,
    };
    let (items, total) =
        domain::indicators::observations(db.inner(), &user, id, &query, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Import observations (new years from DNP/TerriData)
///
/// Roles: staff. Multipart `file` (`.xlsx` or `.csv`), long form `codigo_dane, indicador,
/// anio, valor` or wide form `codigo_dane, anio, <code>, <code>…`; an optional `fuente`
/// column says where the values come from. **All or nothing**: any bad row → 422 with
/// `errors: [{row, field, message}]`. `dry_run=true` says what would change without writing.
/// Re-loading the same file changes nothing (`unchanged`); real values replace synthetic ones.
/// Audited per indicator and year.
#[utoipa::path(
    tag = "indicators",
    operation_id = "importObservations",
    params(
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = ObservationSummary),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
    )
)]
#[post("/indicators/observations/import?<dry_run>", data = "<upload>")]
async fn import(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    dry_run: QueryFlag,
    upload: Result<rocket::form::Form<Upload<'_>>, rocket::form::Errors<'_>>,
) -> AppResult<Json<ObservationSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = ObservationImport::open(&staff);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// A municipality's training beside its indicators
///
/// Roles: staff and reviewers (a municipality of another department → 404). For each
/// capacity: people trained, completed, certified and still in the entity (all years and per
/// year), and each linked indicator's observations with `before` (the last observation before
/// the year of the first completion in that capacity) and `after` (the latest observation
/// after that year); both `null` when nobody completed yet or the series has no such year.
#[utoipa::path(
    tag = "indicators",
    operation_id = "municipalityImpact",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18256")),
    responses(
        (status = 200, description = "The municipality's impact.", body = MunicipalityImpact),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/municipalities/<code>/impact")]
async fn municipality_impact(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
    kept: KeptJson<'_>,
) -> AppResult<RawJson<String>> {
    // The municipality in the caller's territory (404 otherwise); the answer kept per scope for
    // the same versions as the municipality's page (issue 69: the first visitors after a start
    // find it on the shelf).
    let place = domain::reports::place::find(db.inner(), &user, code).await?;
    let key = KeptKey::page(format!("/api/v1/municipalities/{}/impact", place.code));
    let db = db.inner().clone();
    let caller = user.0.clone();
    kept.answer(&user, key, move || async move {
        domain::indicators::impact::municipality(&db, &caller, &place.code).await
    })
    .await
}

/// The comparison's parameters.
#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonParams {
    /// Capacity id, or `any`: every capacity's counts summed per municipality (ESAP's study
    /// counts assistances across topics). Required unless the preset sets it.
    #[param(example = "any")]
    pub capacity: Option<String>,
    /// Indicator id (required).
    pub indicator: Option<i32>,
    /// First year; default: the indicator's first observed year.
    #[param(example = 2020)]
    pub from_year: Option<i32>,
    /// Second year, after `from_year`; default: the indicator's latest observed year.
    #[param(example = 2023)]
    pub to_year: Option<i32>,
    /// Count of the unit (before `to_year`) that puts a municipality in the first group;
    /// 1–1,000, default 5.
    #[param(example = 5)]
    pub threshold: Option<i64>,
    /// What is counted: `training` (completions, default), `assistance` (closed technical
    /// assistances, the unit of ESAP's own study) or `both` (their sum).
    #[param(example = "assistance")]
    pub unit: Option<String>,
    /// DANE code of the department (reviewers are always limited to their own).
    #[param(example = "18")]
    pub department: Option<String>,
    /// A named set of choices for the parameters left out: `estudio_esap` (ESAP's own study:
    /// `capacity=any`, `unit=assistance`, `threshold=5`) or `formacion_capacidad` (training in
    /// the chosen capacity: `unit=training`, `threshold=5`; `capacity` still required). An
    /// explicit `capacity`, `unit` or `threshold` overrides the preset's.
    #[param(example = "estudio_esap")]
    pub preset: Option<String>,
}

impl From<ComparisonParams> for ComparisonQuery {
    fn from(p: ComparisonParams) -> Self {
        ComparisonQuery {
            capacity: p.capacity,
            indicator: p.indicator,
            from_year: p.from_year,
            to_year: p.to_year,
            threshold: p.threshold,
            department: p.department,
            unit: p.unit,
            preset: p.preset,
        }
    }
}

/// ESAP's comparison: trained and untrained municipalities
///
/// Roles: staff (the country) and reviewers (their department, silently). Municipalities with
/// an observation of the indicator in both years, grouped by the count of the `unit` in the
/// capacity before `to_year` (completions, closed technical assistances started before it, or
/// both): ≥ threshold, 1 to threshold − 1, none — each with its number of
/// municipalities, median and mean change (`to − from`); overall and within strata of the same
/// category and PDET status. Groups under 5 municipalities carry `small: true`. An
/// association, never a cause (`caveat`). `capacity=any` sums every capacity's counts per
/// municipality (an assistance on two capacities counts in each; `capacity` is then null);
/// `preset` names ESAP's study (`estudio_esap`) or training in one capacity
/// (`formacion_capacidad`), and the answer's `preset` says whose choices it has. A value out
/// of its rules (an unknown preset, unit or capacity, a threshold outside 1–1,000, the same
/// years) → 422 naming the field.
#[utoipa::path(
    tag = "indicators",
    operation_id = "reportImpact",
    params(ComparisonParams),
    responses(
        (status = 200, description = "The comparison.", body = Comparison),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/impact?<params..>", rank = 2)]
async fn comparison(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ComparisonParams,
) -> AppResult<Json<Comparison>> {
    Ok(Json(
        domain::indicators::impact::compare(db.inner(), &user, &params.into()).await?,
    ))
}

/// ESAP's comparison as a workbook
///
/// Same roles and parameters as `GET /reports/impact`. Sheets «Grupos», «Estratos» and
/// «Municipios», with the caveat in each header.
#[utoipa::path(
    tag = "indicators",
    operation_id = "reportImpactXlsx",
    params(ComparisonParams),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/impact.xlsx?<params..>", rank = 1)]
async fn comparison_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ComparisonParams,
) -> AppResult<Download> {
    let comparison = domain::indicators::impact::compare(db.inner(), &user, &params.into()).await?;
    let bytes = domain::indicators::workbook::comparison(&comparison, &user.full_name).await?;
    Ok(Download::xlsx(
        domain::indicators::workbook::COMPARISON_FILE,
        bytes,
    ))
}

/// Where to train next: the list's parameters.
#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriorityParams {
    /// Capacity id; none: all capacities.
    pub capacity: Option<i32>,
    /// DANE code of the department (reviewers are always limited to their own).
    #[param(example = "18")]
    pub department: Option<String>,
    /// How many municipalities, 1–1,200 (default 50).
    #[param(example = 50)]
    pub limit: Option<i64>,
}

/// Where to train next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PriorityList {
    pub items: Vec<PriorityRow>,
    /// Municipalities ranked before the limit.
    pub total: usize,
    /// How many people trained one technical assistance counts as in «little received» (the
    /// `priority_assistance_weight` setting, default 5).
    #[schema(example = 5)]
    pub assistance_weight: i64,
    /// How training is weighed against assistance, in Spanish, with why the default is what
    /// it is.
    pub weighting: String,
}

/// Where to train next
///
/// Roles: staff (the country) and reviewers (their department, silently). Municipalities
/// ranked by need for the capacity (`score`, 0–100): PDET (20), category 6 (15) or 5 (10),
/// weakness on the capacity's indicators (up to 30, from the weakest national percentile at
/// each municipality's latest real measurement; a synthetic value only where there is no real
/// one, flagged `weakest_synthetic`), little received in the current and previous year —
/// completions plus `assistance_weight` people per technical assistance started: 20 for
/// none, 10 below 5 — and the alcaldía's open demand (10, or 15 when endorsed or of high
/// priority), with the reasons in words. `weighting` explains the weight in Spanish.
#[utoipa::path(
    tag = "indicators",
    operation_id = "reportPriorities",
    params(PriorityParams),
    responses(
        (status = 200, description = "The ranking.", body = PriorityList),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/priorities?<params..>")]
async fn priorities(
    db: &State<DatabaseConnection>,
    cache: &State<domain::indicators::priorities::Cache>,
    user: ReportReader,
    params: PriorityParams,
) -> AppResult<Json<PriorityList>> {
    let ranked = domain::indicators::priorities::rank(
        db.inner(),
        cache.inner(),
        &user,
        &PriorityQuery {
            capacity: params.capacity,
            department: params.department,
            limit: params.limit,
        },
    )
    .await?;
    Ok(Json(PriorityList {
        items: ranked.items,
        total: ranked.total,
        assistance_weight: ranked.assistance_weight,
        weighting: ranked.weighting,
    }))
}
