//! The demand map (`/reportes/demanda`) and the overlap report (`/reportes/traslapes`), with their workbooks.

use super::*;

#[derive(Serialize)]
pub(super) struct ReportView<'a> {
    report: domain::demand::reports::DemandReport,
    capacities: Vec<Choice>,
    sectors: Vec<Choice>,
    departments: Vec<crate::web::DepartmentChoice<'a>>,
    /// Reviewers and liaisons see their territory: no department filter.
    territorial: bool,
    xlsx: String,
}

/// The demand map: per municipality × capacity, open demand, people requested, seats planned
/// and completed; unmet demand by priority and age; the oldest open demands.
#[get("/reportes/demanda?<departamento>&<capacidad>&<sector>")]
pub(super) async fn report_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    sector: Option<i32>,
) -> PageResult {
    let departamento = domain::parse::text(departamento.as_deref());
    // Kept per scope and filters for the versions (demands move the planning one; issue 36).
    let key = KeptKey::page("/reportes/demanda")
        .with("departamento", departamento.as_deref())
        .with("capacidad", capacidad)
        .with("sector", sector);
    page.render_kept("Mapa de la demanda", key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let query = domain::demand::reports::DemandReportQuery {
                department: departamento.clone(),
                capacity: capacidad,
                sector,
            };
            let report = domain::demand::reports::report(&db, &user, &query).await?;
            let departments = domain::territory::departments(&db).await?;
            let view = ReportView {
                report,
                capacities: capacity_choices(&db, capacidad).await?,
                sectors: crate::descriptors::pages::sector_choices(&db, sector).await?,
                departments: crate::web::DepartmentChoice::list(
                    &departments,
                    departamento.as_deref(),
                ),
                territorial: matches!(user.role, Role::Reviewer | Role::Liaison),
                xlsx: format!(
                    "/reportes/demanda.xlsx?departamento={}&capacidad={}&sector={}",
                    departamento.as_deref().unwrap_or_default(),
                    capacidad.map(|c| c.to_string()).unwrap_or_default(),
                    sector.map(|c| c.to_string()).unwrap_or_default()
                ),
            };
            drawer.content("demand_report", "Mapa de la demanda", view)
        }
    })
    .await
}

/// The demand map's workbook, from the page (a signed-in browser, not a token).
#[get("/reportes/demanda.xlsx?<departamento>&<capacidad>&<sector>")]
pub(super) async fn report_download(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    sector: Option<i32>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let query = domain::demand::reports::DemandReportQuery {
        department: departamento,
        capacity: capacidad,
        sector,
    };
    crate::demand::api::demand_workbook(db.inner(), &user, query).await
}

#[derive(Serialize)]
pub(super) struct OverlapView<'a> {
    pairs: Vec<PairLine>,
    count: usize,
    departments: Vec<crate::web::DepartmentChoice<'a>>,
    is_reviewer: bool,
    from: String,
    to: String,
    xlsx: String,
}

/// A pair as the report shows it: each side linked when the reader may open its page (issue
/// 45: another provider's draft, or an assistance outside a direction's departments, is named
/// only).
#[derive(Serialize)]
pub(super) struct PairLine {
    #[serde(flatten)]
    pair: domain::cohorts::overlap::Pair,
    first_url: Option<String>,
    second_url: Option<String>,
}

impl PairLine {
    fn lines(
        pairs: Vec<domain::cohorts::overlap::Pair>,
        (cohorts, assistances): (BTreeSet<i32>, BTreeSet<i32>),
    ) -> Vec<PairLine> {
        use domain::cohorts::overlap::{CohortRef, OfferKind};
        let url = |side: &CohortRef| match side.kind {
            OfferKind::Cohort => cohorts
                .contains(&side.id)
                .then(|| format!("/cohortes/{}", side.id)),
            OfferKind::Assistance => assistances
                .contains(&side.id)
                .then(|| format!("/asistencias/{}", side.id)),
        };
        pairs
            .into_iter()
            .map(|pair| PairLine {
                first_url: url(&pair.first),
                second_url: url(&pair.second),
                pair,
            })
            .collect()
    }
}

/// The national overlap report: cohorts on a same capacity and place with overlapping dates.
#[get("/reportes/traslapes?<departamento>&<desde>&<hasta>")]
pub(super) async fn overlaps_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: crate::accounts::guards::ReportReader,
    departamento: Option<String>,
    desde: Option<String>,
    hasta: Option<String>,
) -> PageResult {
    let text = |value: Option<String>| domain::parse::text(value.as_deref());
    let (departamento, desde, hasta) = (text(departamento), text(desde), text(hasta));
    let params = crate::demand::api::OverlapParams {
        department: departamento.clone(),
        from: desde.clone(),
        to: hasta.clone(),
    };
    // Kept per scope, filters and the versions of the figures and the planning data: pairing
    // every cohort and assistance of the scope is the cost (issue 36).
    let title = "Cohortes y asistencias técnicas que se traslapan";
    let key = KeptKey::page("/reportes/traslapes")
        .with("departamento", departamento.as_deref())
        .with("desde", desde.as_deref())
        .with("hasta", hasta.as_deref());
    page.render_kept(title, key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let pairs = crate::demand::api::overlap_pairs(&db, &user, &params).await?;
            let opened = domain::cohorts::overlap::opened_by(&db, &user, &pairs).await?;
            let departments = domain::territory::departments(&db).await?;
            let view = OverlapView {
                count: pairs.len(),
                pairs: PairLine::lines(pairs, opened),
                departments: crate::web::DepartmentChoice::list(
                    &departments,
                    departamento.as_deref(),
                ),
                is_reviewer: user.role == Role::Reviewer,
                xlsx: format!(
                    "/reportes/traslapes.xlsx?departamento={}&desde={}&hasta={}",
                    departamento.as_deref().unwrap_or_default(),
                    desde.as_deref().unwrap_or_default(),
                    hasta.as_deref().unwrap_or_default()
                ),
                from: desde.clone().unwrap_or_default(),
                to: hasta.clone().unwrap_or_default(),
            };
            drawer.content("overlaps", title, view)
        }
    })
    .await
}

/// The overlap report's workbook, from the page.
#[get("/reportes/traslapes.xlsx?<departamento>&<desde>&<hasta>")]
pub(super) async fn overlaps_download(
    db: &State<DatabaseConnection>,
    user: crate::accounts::guards::ReportReader,
    departamento: Option<String>,
    desde: Option<String>,
    hasta: Option<String>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let params = crate::demand::api::OverlapParams {
        department: departamento,
        from: desde,
        to: hasta,
    };
    crate::demand::api::overlaps_workbook(db.inner(), &user, &params).await
}
