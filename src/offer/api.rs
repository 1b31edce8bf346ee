//! `/api/v1/reports/offer` and its workbook: reviewers for their department, staff for any.

use crate::accounts::guards::ReportReader;
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, Workbook};
use crate::spreadsheets::download::Download;
use crate::web::{KeptJson, KeptKey};
use domain::offer::{OfferQuery, OfferReport};
use rocket::response::content::RawJson;
use rocket::{FromForm, Route, State, get, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![offer, offer_xlsx]
}

/// The offer view's filters as the query string carries them.
#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferParams {
    /// DANE code of the department (reviewers are always limited to their own); with one,
    /// the answer also lists the municipalities without offer on each capacity.
    #[param(example = "18")]
    pub department: Option<String>,
    /// Capacity id.
    pub capacity: Option<i32>,
    /// Provider id.
    pub provider: Option<i32>,
    /// Cohorts running on or after this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub from: Option<String>,
    /// Cohorts starting on or before this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
    /// Sector id (`GET /sectors`): the cohorts of the courses, the assistances and the demands
    /// that carry it (issue 49).
    pub sector: Option<i32>,
}

impl From<OfferParams> for OfferQuery {
    fn from(p: OfferParams) -> Self {
        OfferQuery {
            department: p.department,
            capacity: p.capacity,
            provider: p.provider,
            from: p.from,
            to: p.to,
            sector: p.sector,
        }
    }
}

/// The whole offer per municipality, capacity and provider
///
/// Roles: staff (any department, or the whole country) and reviewers (their department,
/// silently). Per municipality × capacity × provider: cohorts received (targeting it or its
/// department, or with its people enrolled; drafts and cancelled cohorts are not offer), seats
/// offered there, and its people enrolled, completed and certified (from the figures model).
/// With a department, `without_offer` lists the municipality × capacity cells that received
/// nothing. `overlaps` pairs cohorts of different providers on a same capacity, place and
/// time; `unanswered_demands` lists the open demands with nothing planned and the providers
/// they were pointed to. `assistances` (not cancelled; `assistances_closed` of them closed) and
/// `visits` count technical assistance, from its maintained figures, whatever the dates.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportOffer",
    params(OfferParams),
    responses(
        (status = 200, description = "The offer view.", body = OfferReport),
        (status = 403, response = Forbidden),
    )
)]
#[get("/reports/offer?<params..>")]
pub async fn offer(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: OfferParams,
    kept: KeptJson<'_>,
) -> AppResult<RawJson<String>> {
    let filters = OfferQuery::from(params).resolve(&user)?;
    // Kept per scope and the resolved filters, the only thing the answer reads (issue 36):
    // folding a department's figures is the cost.
    let key = KeptKey::page("/api/v1/reports/offer")
        .with("department", filters.department.as_deref())
        .with("capacity", filters.capacity)
        .with("provider", filters.provider)
        .with("from", filters.from)
        .with("to", filters.to)
        .with("sector", filters.sector)
        .with("nothing", filters.nothing.then_some(true));
    let db = db.inner().clone();
    kept.answer(&user, key, move || async move {
        domain::offer::report(&db, &filters).await
    })
    .await
}

/// The offer view as a workbook
///
/// Same roles and filters as `GET /reports/offer`: sheets «Oferta», «Sin oferta», «Traslapes
/// entre oferentes» and «Demanda sin respuesta».
#[utoipa::path(
    tag = "reports",
    operation_id = "reportOfferXlsx",
    params(OfferParams),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/reports/offer.xlsx?<params..>")]
pub async fn offer_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: OfferParams,
) -> AppResult<Download> {
    workbook(db.inner(), &user, params).await
}

/// The workbook for `params` as `user` reads them (the API and the page's download).
pub async fn workbook(
    db: &DatabaseConnection,
    user: &ReportReader,
    params: OfferParams,
) -> AppResult<Download> {
    let filters = OfferQuery::from(params).resolve(user)?;
    let report = domain::offer::report(db, &filters).await?;
    let described = filters.describe(db).await?;
    let name = domain::reports::named::file_name(
        domain::offer::FILE,
        &described,
        domain::reports::named::today(),
    );
    let bytes = domain::offer::workbook(report, described, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}
