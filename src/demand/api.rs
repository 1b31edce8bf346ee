//! `/api/v1/demands` (issue 16): municipal demand. Liaisons raise and follow their
//! municipality's; reviewers their department's (and endorse them); coordinators see theirs
//! (a direction's coordinator: its departments), decline with a reason, and plan demands by
//! linking them to cohorts (`demand_ids` on `POST/PATCH /cohorts`). Out of scope → 404.
//! Issue 32: reviewers and coordinators point an open demand to a provider
//! (`POST /demands/{id}/referral`), the list filters by `?provider=`, every demand says whether
//! it is `stale`.

use crate::accounts::guards::CurrentUser;
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed};
use domain::demand::referrals::{ReferralInput, ReferralView};
use domain::demand::{DemandFilter, DemandInput, DemandView};
use domain::entities::values::DemandStatus;
use domain::error::AppError;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        update,
        endorse,
        refer,
        demand_report,
        demand_report_xlsx,
        overlaps,
        overlaps_xlsx
    ]
}

/// The list's filters.
#[derive(Debug, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandQuery {
    /// DANE code of a department.
    #[param(example = "18")]
    department: Option<String>,
    /// DANE code of a municipality.
    #[param(example = "18256")]
    municipality: Option<String>,
    /// Capacity id.
    capacity: Option<i32>,
    /// `open`, `planned`, `met` or `declined`.
    #[param(value_type = Option<DemandStatus>)]
    status: Option<String>,
    /// Provider id: only the demands pointed to that provider (issue 32).
    provider: Option<i32>,
    /// Sector id (`GET /sectors`): only the demands about that sector (issue 49).
    sector: Option<i32>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<i64>,
}

/// List demands
///
/// Roles: admin and coordinators (a direction's coordinator: its departments), reviewers
/// (their department), liaisons (their municipality); others 403. Newest first. Each demand
/// carries its `referrals` and whether it is `stale` (open 60 days or more after it was
/// raised, with nothing planned); `provider` keeps the demands pointed to that provider.
#[utoipa::path(
    tag = "demand",
    operation_id = "listDemands",
    params(DemandQuery),
    responses(
        (status = 200, description = "A page of demands.", body = List<DemandView>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/demands?<query..>")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    query: DemandQuery,
) -> AppResult<Json<List<DemandView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let status = match query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(text) => Some(DemandStatus::parse(text).ok_or_else(|| {
            AppError::invalid(
                "status",
                "El estado debe ser open, planned, met o declined.",
            )
        })?),
    };
    let filter = DemandFilter {
        department: query.department,
        municipality: query.municipality,
        capacity_id: query.capacity,
        status,
        provider_id: query.provider,
        sector_id: query.sector,
    };
    let (items, total) = domain::demand::list(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Raise a demand
///
/// Roles: a liaison for their municipality, a reviewer for a municipality of their
/// department (counted as endorsed), coordinators (a direction's within its departments);
/// others 403. `municipality_code`, `capacity_id`, `topic`, `description`,
/// `people_estimate`, `modality`, `wanted_from` and `wanted_to` are required; `priority`
/// defaults to `media`. A municipality outside the caller's territory is a 422. Audited.
#[utoipa::path(
    tag = "demand",
    operation_id = "createDemand",
    request_body = DemandInput,
    responses(
        (status = 201, description = "The demand, open.", body = DemandView),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/demands", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    body: crate::api::JsonBody<DemandInput>,
) -> AppResult<Created<DemandView>> {
    let view = domain::db::write(db, async |txn| {
        domain::demand::create(txn, &user, &body.into_inner()).await
    })
    .await?;
    Ok(created(view))
}

/// Show a demand
///
/// Roles: as for the list; outside the caller's territory 404.
#[utoipa::path(
    tag = "demand",
    operation_id = "showDemand",
    params(("id" = i32, Path, description = "Demand id.", example = 1)),
    responses(
        (status = 200, description = "The demand.", body = DemandView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/demands/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<DemandView>> {
    let row = domain::demand::find_in_scope(db.inner(), &user, id).await?;
    Ok(Json(domain::demand::view(db.inner(), row).await?))
}

/// Change or decline a demand
///
/// Roles: its author while it is open (any field; other people 403; planned, met or
/// declined 409); coordinators decline an open demand with `"status": "declined"` and a
/// `reason` (the author is emailed). `planned` and `met` come from cohorts (422). Audited.
#[utoipa::path(
    tag = "demand",
    operation_id = "updateDemand",
    params(("id" = i32, Path, description = "Demand id.", example = 1)),
    request_body = DemandInput,
    responses(
        (status = 200, description = "The demand.", body = DemandView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/demands/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<DemandInput>,
) -> AppResult<Json<DemandView>> {
    let view = domain::db::write(db, async |txn| {
        domain::demand::update(txn, &notifier, &user, id, &body.into_inner()).await
    })
    .await?;
    Ok(Json(view))
}

/// Endorse a demand
///
/// Roles: a reviewer of the demand's department (the gobernación backs it); others 403, once
/// (409 after), not when met or declined (409). Audited.
#[utoipa::path(
    tag = "demand",
    operation_id = "endorseDemand",
    params(("id" = i32, Path, description = "Demand id.", example = 1)),
    responses(
        (status = 200, description = "The demand, endorsed.", body = DemandView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/demands/<id>/endorsement")]
async fn endorse(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<DemandView>> {
    let view = domain::db::write(db, async |txn| {
        domain::demand::endorse(txn, &user, id).await
    })
    .await?;
    Ok(Json(view))
}

/// Point a demand to a provider
///
/// Roles: a reviewer of the demand's department, coordinators and admins who see it (outside
/// the caller's territory 404); others 403. Only open demands (planned, met or declined 409);
/// `provider_id` must be an active provider and `note` is required (422); the same provider
/// twice 409. The provider's active coordinators who see the demand are emailed once (ESAP's:
/// its coordinators without another provider). Audited (`demand.referred`).
#[utoipa::path(
    tag = "demand",
    operation_id = "referDemand",
    params(("id" = i32, Path, description = "Demand id.", example = 1)),
    request_body = ReferralInput,
    responses(
        (status = 201, description = "The referral.", body = ReferralView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/demands/<id>/referral", data = "<body>")]
async fn refer(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<ReferralInput>,
) -> AppResult<Created<ReferralView>> {
    Ok(domain::db::write(db, async |txn| {
        let view =
            domain::demand::referrals::refer(txn, &notifier, &user, id, &body.into_inner()).await?;
        Ok(created(view))
    })
    .await?)
}

/// The demand report's filters.
#[derive(Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandReportParams {
    /// DANE code of a department.
    #[param(example = "18")]
    department: Option<String>,
    /// Capacity id.
    capacity: Option<i32>,
    /// Sector id (`GET /sectors`): only the demands about that sector (issue 49).
    sector: Option<i32>,
}

impl DemandReportParams {
    fn query(&self) -> domain::demand::reports::DemandReportQuery {
        domain::demand::reports::DemandReportQuery {
            department: self.department.clone(),
            capacity: self.capacity,
            sector: self.sector,
        }
    }
}

/// The demand map
///
/// Roles: as for the demands (a reviewer: their department; a liaison: their municipality;
/// a direction's coordinator: its departments). Per municipality × capacity: open demands
/// (`open`), people the open and planned demands ask for (`people_requested`), seats planned
/// for them (`planned_seats`: per planned demand, its people up to its cohort's seats), and
/// people of the municipality who completed training in the capacity (`completed`); then
/// unmet demand (open or planned) by priority and age, and the 20 oldest open demands.
#[utoipa::path(
    tag = "demand",
    operation_id = "reportDemand",
    params(DemandReportParams),
    responses(
        (status = 200, description = "The demand map.", body = domain::demand::reports::DemandReport),
        (status = 403, response = Forbidden),
    )
)]
#[get("/reports/demand?<params..>", rank = 2)]
async fn demand_report(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    params: DemandReportParams,
) -> AppResult<Json<domain::demand::reports::DemandReport>> {
    Ok(Json(
        domain::demand::reports::report(db.inner(), &user, &params.query()).await?,
    ))
}

/// The demand map as a workbook
///
/// Same roles and parameters as `GET /reports/demand`: sheets «Mapa», «Sin atender» and «Más
/// antiguas».
#[utoipa::path(
    tag = "demand",
    operation_id = "reportDemandXlsx",
    params(DemandReportParams),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/reports/demand.xlsx?<params..>", rank = 1)]
async fn demand_report_xlsx(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    params: DemandReportParams,
) -> AppResult<crate::spreadsheets::download::Download> {
    demand_workbook(db.inner(), &user, params.query()).await
}

/// The demand report's workbook for `user` (the API's and the page's download).
pub(crate) async fn demand_workbook(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    query: domain::demand::reports::DemandReportQuery,
) -> AppResult<crate::spreadsheets::download::Download> {
    let report = domain::demand::reports::report(db, user, &query).await?;
    let filters = report_filters(db, query.department.as_deref(), query.capacity).await?;
    let name = file_name(domain::demand::workbook::DEMAND_FILE, &filters);
    let bytes = domain::demand::workbook::demand(&report, filters, &user.full_name).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(&name, bytes))
}

/// A workbook's file name with its place (a department chosen, else the country) and day.
fn file_name(stem: &str, filters: &[(String, String)]) -> String {
    let chosen: Vec<(String, String)> = filters
        .iter()
        .filter(|(_, value)| value != "Todos" && value != "Todas")
        .cloned()
        .collect();
    domain::reports::named::file_name(stem, &chosen, domain::reports::named::today())
}

/// The filters as a workbook's header names them.
pub(crate) async fn report_filters(
    db: &DatabaseConnection,
    department: Option<&str>,
    capacity: Option<i32>,
) -> crate::error::DomainResult<Vec<(String, String)>> {
    let department = match department.map(str::trim).filter(|d| !d.is_empty()) {
        Some(code) => domain::territory::department_name(db, code).await?,
        None => "Todos".into(),
    };
    let capacity = match capacity {
        Some(id) => domain::capacities::name_of(db, id)
            .await?
            .unwrap_or_else(|| "Todas".into()),
        None => "Todas".into(),
    };
    Ok(vec![
        ("Departamento".into(), department),
        ("Capacidad".into(), capacity),
    ])
}

/// The overlap report's filters.
#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverlapParams {
    /// DANE code of a department: pairs with a shared place in it.
    #[param(example = "18")]
    pub(crate) department: Option<String>,
    /// Cohorts running on or after this date (`YYYY-MM-DD`).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub(crate) from: Option<String>,
    /// Cohorts running on or before this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub(crate) to: Option<String>,
}

impl OverlapParams {
    /// The filters as they are used (issue 46): text trimmed, empty as absent.
    fn normalised(self) -> Self {
        let text = |value: Option<String>| domain::parse::text(value.as_deref());
        OverlapParams {
            department: text(self.department),
            from: text(self.from),
            to: text(self.to),
        }
    }
}

pub(crate) async fn overlap_pairs(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    params: &OverlapParams,
) -> crate::error::DomainResult<Vec<domain::cohorts::overlap::Pair>> {
    domain::cohorts::overlap::report_for(
        db,
        user,
        params.department.clone(),
        params.from.as_deref(),
        params.to.as_deref(),
    )
    .await
}

/// Cohorts that overlap
///
/// Roles: staff (the country), reviewers (their department). Pairs of non-cancelled cohorts
/// that strengthen a same capacity in a same municipality or department with overlapping
/// dates, the latest first; cohorts offered to the whole country are left out.
#[utoipa::path(
    tag = "demand",
    operation_id = "reportOverlaps",
    params(OverlapParams),
    responses(
        (status = 200, description = "The pairs.", body = List<domain::cohorts::overlap::Pair>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/overlaps?<params..>", rank = 2)]
async fn overlaps(
    db: &State<DatabaseConnection>,
    user: crate::accounts::guards::ReportReader,
    params: OverlapParams,
    kept: crate::web::KeptJson<'_>,
) -> AppResult<rocket::response::content::RawJson<String>> {
    let params = params.normalised();
    // Kept per scope and filters (issue 36): pairing every cohort of the country is the cost.
    let key = crate::web::KeptKey::page("/api/v1/reports/overlaps")
        .with("department", params.department.as_deref())
        .with("from", params.from.as_deref())
        .with("to", params.to.as_deref());
    let (db, reader) = (db.inner().clone(), user.0.clone());
    kept.answer(&user, key, move || async move {
        let items = overlap_pairs(&db, &reader, &params).await?;
        Ok(List::whole(items))
    })
    .await
}

/// Cohorts that overlap, as a workbook
///
/// Same roles and parameters as `GET /reports/overlaps`: one sheet, «Traslapes».
#[utoipa::path(
    tag = "demand",
    operation_id = "reportOverlapsXlsx",
    params(OverlapParams),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/overlaps.xlsx?<params..>", rank = 1)]
async fn overlaps_xlsx(
    db: &State<DatabaseConnection>,
    user: crate::accounts::guards::ReportReader,
    params: OverlapParams,
) -> AppResult<crate::spreadsheets::download::Download> {
    overlaps_workbook(db.inner(), &user, &params).await
}

/// A date filter as typed, `None` when empty.
fn typed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|d| !d.is_empty())
}

/// The overlap report's workbook for `user` (the API's and the page's download).
pub(crate) async fn overlaps_workbook(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    params: &OverlapParams,
) -> AppResult<crate::spreadsheets::download::Download> {
    let pairs = overlap_pairs(db, user, params).await?;
    let mut filters = report_filters(db, params.department.as_deref(), None).await?;
    filters.truncate(1);
    filters.push((
        "Periodo".into(),
        format!(
            "{} a {}",
            typed(&params.from).unwrap_or("el comienzo"),
            typed(&params.to).unwrap_or("hoy y después")
        ),
    ));
    let name = file_name(domain::demand::workbook::OVERLAPS_FILE, &filters);
    let bytes = domain::demand::workbook::overlaps(&pairs, filters, &user.full_name).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(&name, bytes))
}
