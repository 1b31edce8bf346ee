//! `/reportes`: the attendance report for people (reviewers see their department), with an
//! inline SVG chart of attendance and completion by municipality (no JavaScript) and links to
//! the Excel files. The downloads here use the browser session (the API takes only tokens).

use super::params::{CoverageParams, ReportParams};
use crate::accounts::guards::ReportReader;
use crate::api::Paging;
use crate::spreadsheets::download::Download;
use crate::web::PageResult;
use crate::web::{DepartmentChoice, IdChoice, KeptKey, Page, Pager};
use domain::reports::coverage::CoverageQuery;
use domain::reports::{NOT_CLOSED, NOT_STARTED, ReportQuery};
use domain::text::urlencode;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        report_page,
        participants_page,
        attendance_download,
        coverage_download,
        coverage_grid
    ]
}

/// The chart's units per percentage point, and each municipality's height: its name on a
/// line, then its two bars, each with its value. Drawn for a phone (issue 45): 360 units wide,
/// so its 13-unit text reads at 12 px or more on a 390 px screen.
const SCALE: f64 = 2.0;
const ROW: usize = 52;
const CHART_WIDTH: usize = 360;

/// Rows per page of the tables of people and of municipality × cohort.
const PER_PAGE: u64 = 50;

/// The report's filters as `key=value&…` (URL-encoded), for links that keep them.
fn query_pairs(query: &ReportQuery) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            parts.push(format!("{k}={}", urlencode(v.trim())));
        }
    };
    push("department", query.department.clone());
    push("municipality", query.municipality.clone());
    push("cohort", query.cohort.map(|c| c.to_string()));
    push("course", query.course.map(|c| c.to_string()));
    push("capacity", query.capacity.map(|c| c.to_string()));
    push("provider", query.provider.map(|c| c.to_string()));
    push("from", query.from.clone());
    push("to", query.to.clone());
    parts.join("&")
}

/// The report's filters as a query string (`?…`, or nothing without filters).
fn query_string(query: &ReportQuery) -> String {
    let pairs = query_pairs(query);
    if pairs.is_empty() {
        pairs
    } else {
        format!("?{pairs}")
    }
}

/// The participants of one municipality and cohort, keeping the other filters.
fn participants_link(query: &ReportQuery, municipality: &str, cohort: i32) -> String {
    let narrowed = ReportQuery {
        municipality: Some(municipality.to_string()),
        cohort: Some(cohort),
        ..query.clone()
    };
    format!("/reportes/participantes{}", query_string(&narrowed))
}

/// A page number from the query string as the list convention takes it (≥ 1).
fn paging(pagina: Option<u64>) -> Paging {
    Paging {
        page: Some(crate::api::page_number(pagina) as i64),
        per_page: Some(PER_PAGE as i64),
    }
}

/// One municipality's pair of bars in the chart.
#[derive(Serialize)]
pub struct Bar<'a> {
    name: &'a str,
    code: &'a str,
    text_y: usize,
    attendance_y: usize,
    completion_y: usize,
    /// The baselines of the two values written after the bars.
    attendance_text_y: usize,
    completion_text_y: usize,
    attendance_w: String,
    completion_w: String,
    attendance: String,
    completion: String,
}

/// The inline-SVG bar chart of attendance and completion by municipality (the partial
/// `attendance_chart` draws it): on the reports page and on the dashboards.
#[derive(Serialize)]
pub struct Chart<'a> {
    bars: Vec<Bar<'a>>,
    chart_height: usize,
    chart_width: usize,
    /// Where the values start: after the longest bar (100 %).
    value_x: f64,
}

/// «66,7 %», or `missing` when there is nothing to measure yet.
fn percent_or(pct: Option<f64>, missing: &str) -> String {
    pct.map_or_else(|| missing.to_string(), domain::format::percent_value)
}

/// A bar's width for a percentage (none when there is nothing to measure).
fn width(pct: Option<f64>) -> String {
    format!("{:.1}", pct.unwrap_or(0.0).clamp(0.0, 100.0) * SCALE)
}

pub fn chart(summary: &[domain::reports::MunicipalitySummary]) -> Chart<'_> {
    let bars = summary
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let y = n * ROW;
            Bar {
                name: &s.municipality_name,
                code: &s.municipality_code,
                text_y: y + 14,
                attendance_y: y + 20,
                completion_y: y + 35,
                attendance_text_y: y + 31,
                completion_text_y: y + 46,
                attendance_w: width(s.attendance_pct),
                completion_w: width(s.completion_pct),
                attendance: percent_or(s.attendance_pct, NOT_STARTED),
                completion: percent_or(s.completion_pct, NOT_CLOSED),
            }
        })
        .collect();
    Chart {
        bars,
        chart_height: summary.len() * ROW + 6,
        chart_width: CHART_WIDTH,
        value_x: 100.0 * SCALE + 6.0,
    }
}

#[derive(Serialize)]
struct SummaryRow<'a> {
    code: &'a str,
    name: &'a str,
    cohorts: i64,
    enrolled: i64,
    attendance: String,
    completed: i64,
    completion: String,
    certified: i64,
}

#[derive(Serialize)]
struct DetailRow<'a> {
    code: &'a str,
    name: &'a str,
    cohort_id: i32,
    cohort: &'a str,
    /// «Sin iniciar», «En curso (4 de 10 sesiones)», «Cerrada».
    stage: String,
    enrolled: i64,
    sessions: i64,
    scheduled: i64,
    attendance: String,
    completed: String,
    certified: i64,
    participants: String,
}

/// A line of the differential approach: a group and how many people of it.
#[derive(Serialize)]
struct Group {
    label: String,
    count: String,
}

/// The filters typed in the report's form, to show them again.
#[derive(Serialize)]
struct FilterForm {
    department: String,
    municipality: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct ReportView<'a> {
    /// The provider filter's choices (none for another provider's coordinator).
    providers: Vec<IdChoice>,
    is_reviewer: bool,
    department: String,
    /// The department's name, shown where people read it.
    department_name: String,
    filter: FilterForm,
    /// The filters' choices by name: every department (for those who may choose one) and the
    /// chosen department's municipalities.
    departments: Vec<DepartmentChoice<'a>>,
    municipalities: Vec<DepartmentChoice<'a>>,
    #[serde(flatten)]
    chart: Chart<'a>,
    table: Vec<SummaryRow<'a>>,
    detail: Vec<DetailRow<'a>>,
    pager: Pager,
    participants: String,
    groups: Vec<Group>,
    attendance_xlsx: String,
    coverage_xlsx: String,
}

#[get("/reportes?<pagina>&<params..>")]
async fn report_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: ReportParams,
    pagina: Option<u64>,
) -> PageResult {
    // A place that does not exist is said beside its filter (issue 61), as typed.
    let typed = ReportQuery::from(params).normalised();
    let (query, mut errors) = typed.clone().resolve_places(db.inner()).await?;
    let (filters, more) = query.resolve_for_page(&user)?;
    errors.extend(more);
    let page = page.refusing(errors);
    let paged = paging(pagina);
    let key = super::params::kept_key("/reportes", &query).with("pagina", paged.page);
    page.render_kept("Informes", key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let (summary, (rows, total, page_number, _), differential) = rocket::tokio::try_join!(
                domain::reports::summaries(&db, &filters),
                domain::reports::attendance_page(&db, &filters, &paged),
                domain::reports::differential::differential(&db, &filters)
            )?;
            let table = summary
                .iter()
                .map(|s| SummaryRow {
                    code: &s.municipality_code,
                    name: &s.municipality_name,
                    cohorts: s.cohorts,
                    enrolled: s.enrolled,
                    attendance: percent_or(s.attendance_pct, NOT_STARTED),
                    completed: s.completed,
                    completion: percent_or(s.completion_pct, NOT_CLOSED),
                    certified: s.certified,
                })
                .collect();
            // The summary covers every municipality; the municipality × cohort table is paged.
            let detail = rows
                .iter()
                .map(|r| DetailRow {
                    code: &r.municipality_code,
                    name: &r.municipality_name,
                    cohort_id: r.cohort_id,
                    cohort: &r.cohort_name,
                    enrolled: r.enrolled,
                    stage: r.stage().label(r.sessions_held, r.sessions_scheduled),
                    sessions: r.sessions_held,
                    scheduled: r.sessions_scheduled,
                    attendance: percent_or(r.attendance_pct, NOT_STARTED),
                    completed: r
                        .completed
                        .map_or_else(|| NOT_CLOSED.to_string(), |n| n.to_string()),
                    certified: r.certified,
                    participants: participants_link(&query, &r.municipality_code, r.cohort_id),
                })
                .collect();
            let group = |label: &str, count: String| Group {
                label: label.to_string(),
                count,
            };
            let mut groups = vec![group(
                "Personas con consentimiento",
                differential.consenting.text(),
            )];
            for c in differential.sex.iter().chain(&differential.ethnic_group) {
                groups.push(group(&c.label, c.count.text()));
            }
            groups.push(group("Con discapacidad", differential.disability.text()));
            groups.push(group("Víctimas del conflicto", differential.victims.text()));
            let qs = query_string(&query);
            let department = filters.department.clone().unwrap_or_default();
            let department_name = domain::territory::department_name(&db, &department).await?;
            let departments = domain::territory::departments(&db).await?;
            let places = domain::territory::municipalities_of(&db, &department).await?;
            // Another provider's coordinator reads its own provider's results only: no choice.
            let providers = if user.is_other_provider() {
                Vec::new()
            } else {
                domain::providers::list(&db)
                    .await?
                    .into_iter()
                    .map(|p| IdChoice {
                        selected: filters.provider == Some(p.id),
                        id: p.id,
                        name: p.name,
                    })
                    .collect()
            };
            let chosen = query
                .municipality
                .as_deref()
                .map(domain::territory::normalize_municipality_code);
            let view = ReportView {
                providers,
                is_reviewer: user.department_scope().is_some(),
                departments: DepartmentChoice::list(&departments, filters.department.as_deref()),
                municipalities: places
                    .iter()
                    .map(|m| DepartmentChoice {
                        code: &m.code,
                        name: &m.name,
                        selected: chosen.as_deref() == Some(m.code.as_str()),
                    })
                    .collect(),
                department,
                department_name,
                filter: FilterForm {
                    department: query.department.clone().unwrap_or_default(),
                    municipality: typed.municipality.clone().unwrap_or_default(),
                    from: query.from.clone().unwrap_or_default(),
                    to: query.to.clone().unwrap_or_default(),
                },
                chart: chart(&summary),
                table,
                detail,
                pager: Pager::new(
                    "/reportes",
                    &query_pairs(&query),
                    page_number,
                    PER_PAGE,
                    total as u64,
                ),
                participants: format!("/reportes/participantes{qs}"),
                groups,
                attendance_xlsx: format!("/reportes/asistencia.xlsx{qs}"),
                coverage_xlsx: format!(
                    "/reportes/cobertura.xlsx{}",
                    filters
                        .department
                        .as_deref()
                        .map(|d| format!("?department={}", urlencode(d)))
                        .unwrap_or_default()
                ),
            };
            drawer.content("reports", "Informes", view)
        }
    })
    .await
}

#[derive(Serialize)]
struct PersonRow<'a> {
    municipality_code: &'a str,
    municipality_name: &'a str,
    cohort_name: &'a str,
    document_type: &'static str,
    document_number: &'a str,
    full_name: &'a str,
    status: &'static str,
    /// The share of the sessions held, and the same with its basis.
    attendance: &'a str,
    attendance_basis: &'a str,
    completed: &'static str,
    certificate: Option<&'a str>,
}

/// A filter in force, as the page lists it.
#[derive(Serialize)]
struct Described {
    what: String,
    value: String,
}

#[derive(Serialize)]
struct ParticipantsView<'a> {
    is_reviewer: bool,
    department_name: String,
    filters: Vec<Described>,
    rows: Vec<PersonRow<'a>>,
    total: u64,
    pager: Pager,
    back: String,
    attendance_xlsx: String,
}

/// The participant-level detail: one row per enrolment in scope, 50 per page.
#[get("/reportes/participantes?<pagina>&<params..>")]
async fn participants_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: ReportParams,
    pagina: Option<u64>,
) -> PageResult {
    let (query, mut errors) = ReportQuery::from(params)
        .normalised()
        .resolve_places(db.inner())
        .await?;
    let (filters, more) = query.resolve_for_page(&user)?;
    errors.extend(more);
    let page = page.refusing(errors);
    let (page_number, per_page) = paging(pagina).resolve()?;
    let title = "Participantes del informe";
    let key = super::params::kept_key("/reportes/participantes", &query)
        .with("pagina", Some(page_number));
    page.render_kept(title, key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let (rows, total) =
                domain::reports::participants_page(&db, &filters, page_number, per_page).await?;
            let rows = rows
                .iter()
                .map(|p| PersonRow {
                    municipality_code: &p.municipality_code,
                    municipality_name: &p.municipality_name,
                    cohort_name: &p.cohort_name,
                    document_type: p.document_type.as_str(),
                    document_number: &p.document_number,
                    full_name: &p.full_name,
                    status: p.status_label,
                    attendance: p.attendance.pct_text(),
                    attendance_basis: p.attendance.text(),
                    completed: domain::results::Verdict::from_completed(p.completed).answer(),
                    certificate: p.certificate_code.as_deref(),
                })
                .collect();
            let qs = query_string(&query);
            let department = filters.department.clone().unwrap_or_default();
            let view = ParticipantsView {
                is_reviewer: user.department_scope().is_some(),
                department_name: domain::territory::department_name(&db, &department).await?,
                filters: filters
                    .describe(&db)
                    .await?
                    .into_iter()
                    .map(|(what, value)| Described { what, value })
                    .collect(),
                rows,
                total,
                pager: Pager::new(
                    "/reportes/participantes",
                    &query_pairs(&query),
                    page_number,
                    per_page,
                    total,
                ),
                back: format!("/reportes{qs}"),
                attendance_xlsx: format!("/reportes/asistencia.xlsx{qs}"),
            };
            drawer.content("report_participants", title, view)
        }
    })
    .await
}

#[get("/reportes/asistencia.xlsx?<params..>")]
async fn attendance_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
) -> crate::error::AppResult<Download> {
    let query = ReportQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let (name, bytes) =
        domain::reports::workbook::attendance_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}

#[get("/reportes/cobertura.xlsx?<params..>")]
async fn coverage_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
) -> crate::error::AppResult<Download> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let (name, bytes) =
        domain::reports::workbook::coverage_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}

/// How strongly a capacity was strengthened in a municipality, for the grid's colour.
fn level(certified: i64, trained: i64) -> &'static str {
    match (certified, trained) {
        (_, 0) => "none",
        (0, _) => "trained",
        (c, _) if c < 5 => "some",
        _ => "strong",
    }
}

#[derive(Serialize)]
struct GridCell {
    certified: i64,
    trained: i64,
    /// Technical assistances (not cancelled) on the capacity.
    assisted: i64,
    /// People reached by replicas (second-generation reach, issue 48): shown apart.
    replicated: i64,
    level: &'static str,
    label: String,
}

#[derive(Serialize)]
struct GridRow<'a> {
    code: &'a str,
    name: &'a str,
    pdet: bool,
    cells: Vec<GridCell>,
    gaps: usize,
}

#[derive(Serialize)]
struct CapacityColumn<'a> {
    id: i32,
    name: &'a str,
}

#[derive(Serialize)]
struct GridView<'a> {
    capacities: Vec<CapacityColumn<'a>>,
    grid: Vec<GridRow<'a>>,
    department: String,
    is_reviewer: bool,
    departments: Vec<DepartmentChoice<'a>>,
}

/// The municipality × capacity grid: every municipality of the chosen (or the reviewer's)
/// department — those without any training too, which are the gaps a gobernación looks for —
/// against every active capacity, each cell with people certified / trained.
#[get("/reportes/capacidades?<params..>")]
async fn coverage_grid(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    params: CoverageParams,
) -> PageResult {
    let query = CoverageQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    // Kept per scope and figures' version: drawing every municipality × capacity cell of a
    // department is the cost (issue 36). The content reads the resolved filters only.
    let title = "Capacidades por municipio";
    let key = KeptKey::page("/reportes/capacidades")
        .with("department", filters.department.as_deref())
        .with("municipality", filters.municipality.as_deref())
        .with("capacity", filters.capacity)
        .with("pdet", filters.pdet)
        .with("category", filters.category.as_deref())
        .with("nothing", filters.nothing.then_some(true));
    page.render_kept(title, key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let rows = domain::reports::coverage::coverage(&db, &filters).await?;
            let capacities = domain::capacities::active_in_order(&db).await?;
            let cells: std::collections::HashMap<(String, i32), (i64, i64, i64, i64)> = rows
                .iter()
                .map(|r| {
                    (
                        (r.municipality_code.clone(), r.capacity_id),
                        (
                            r.certified,
                            r.participants_trained,
                            r.assistances,
                            r.people_reached_by_replicas,
                        ),
                    )
                })
                .collect();
            // With a department: all its municipalities (gaps included). Nationally: those with data.
            let mut places: Vec<(String, String, bool)> =
                match (&filters.department, filters.nothing) {
                    (_, true) => Vec::new(),
                    (Some(department), false) => domain::territory::municipalities_of_kind(
                        &db,
                        department,
                        filters.pdet == Some(true),
                        filters.category.as_deref(),
                    )
                    .await?
                    .into_iter()
                    .map(|m| (m.code, m.name, m.pdet_subregion_id.is_some()))
                    .collect(),
                    (None, false) => {
                        let mut seen = std::collections::BTreeMap::new();
                        for r in &rows {
                            seen.insert(
                                (r.municipality_name.clone(), r.municipality_code.clone()),
                                r.pdet,
                            );
                        }
                        seen.into_iter()
                            .map(|((name, code), pdet)| (code, name, pdet))
                            .collect()
                    }
                };
            places.dedup();
            let grid = places
                .iter()
                .map(|(code, name, pdet)| {
                    let cells: Vec<GridCell> = capacities
                    .iter()
                    .map(|c| {
                        let (certified, trained, assisted, replicated) = cells
                            .get(&(code.clone(), c.id))
                            .copied()
                            .unwrap_or((0, 0, 0, 0));
                        GridCell {
                            certified,
                            trained,
                            assisted,
                            replicated,
                            level: level(certified, trained),
                            label: format!(
                                "{name}, {}: {certified} certificadas de {trained} formadas, {}{}",
                                c.name,
                                domain::format::plural(
                                    assisted,
                                    "asistencia técnica",
                                    "asistencias técnicas"
                                ),
                                if replicated > 0 {
                                    format!(
                                        "; alcance de segunda generación (réplicas): {}",
                                        domain::format::plural(replicated, "persona", "personas")
                                    )
                                } else {
                                    String::new()
                                }
                            ),
                        }
                    })
                    .collect();
                    GridRow {
                        code,
                        name,
                        pdet: *pdet,
                        gaps: cells
                            .iter()
                            .filter(|c| c.trained == 0 && c.assisted == 0)
                            .count(),
                        cells,
                    }
                })
                .collect();
            let departments = domain::territory::departments(&db).await?;
            let view = GridView {
                capacities: capacities
                    .iter()
                    .map(|c| CapacityColumn {
                        id: c.id,
                        name: &c.name,
                    })
                    .collect(),
                grid,
                department: filters.department.clone().unwrap_or_default(),
                is_reviewer: user.department_scope().is_some(),
                departments: DepartmentChoice::list(&departments, filters.department.as_deref()),
            };
            drawer.content("coverage_grid", title, view)
        }
    })
    .await
}
