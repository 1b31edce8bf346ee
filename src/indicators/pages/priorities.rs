//! «¿Dónde formar?» (`/reportes/prioridades`) and its Excel file.

use super::*;

#[derive(Serialize)]
pub(super) struct PrioritiesView<'a> {
    ranked: &'a Priorities,
    rows: Vec<PriorityView<'a>>,
    /// Some row's percentile is of a synthetic value: the page says what the mark means.
    any_synthetic: bool,
    /// The workbook of the same filters.
    xlsx: String,
    capacities: Vec<Choice>,
    departments: Vec<DepartmentChoice<'a>>,
    is_reviewer: bool,
    is_staff: bool,
    total: i64,
    shown: usize,
}

#[derive(Serialize)]
pub(super) struct PriorityView<'a> {
    row: &'a domain::indicators::priorities::PriorityRow,
    score: String,
    percentile: String,
}

/// «¿Dónde formar?»: municipalities ranked by need, with the reasons; staff select some and
/// start a cohort for them.
#[get("/reportes/prioridades?<capacidad>&<departamento>")]
pub(super) async fn priorities_page(
    db: &State<DatabaseConnection>,
    cache: &State<domain::indicators::priorities::Cache>,
    page: Page<'_>,
    user: ReportReader,
    capacidad: Option<i32>,
    departamento: Option<String>,
) -> PageResult {
    let departamento = domain::parse::text(departamento.as_deref());
    // Kept per scope and filters for the versions (issue 36): the rankings are kept too, but
    // drawing a hundred rows costs more than a request may at 32 clients.
    // The assistance weight is a setting, not a parameter: a page kept by an instance with
    // another weight (on the shared shelf) is another page.
    let key = KeptKey::page("/reportes/prioridades")
        .with("capacidad", capacidad)
        .with("departamento", departamento.as_deref())
        .with("peso_asistencia", Some(cache.assistance_weight()));
    page.render_kept("¿Dónde formar?", key, {
        let (db, drawer, cache) = (db.inner().clone(), page.drawer(), cache.inner().clone());
        move || async move {
            let ranked = domain::indicators::priorities::rank(
                &db,
                &cache,
                &user,
                &PriorityQuery {
                    capacity: capacidad,
                    department: departamento.clone(),
                    limit: Some(if departamento.as_deref().is_some_and(|d| !d.is_empty()) {
                        domain::indicators::priorities::MAX_LIMIT
                    } else {
                        100
                    }),
                },
            )
            .await?;
            let departments = domain::territory::departments(&db).await?;
            let view = PrioritiesView {
                any_synthetic: ranked.items.iter().any(|r| r.weakest_synthetic),
                xlsx: format!(
                    "/reportes/prioridades.xlsx?capacidad={}&departamento={}",
                    capacidad.map(|c| c.to_string()).unwrap_or_default(),
                    domain::text::urlencode(departamento.as_deref().unwrap_or(""))
                ),
                rows: ranked
                    .items
                    .iter()
                    .map(|row| PriorityView {
                        row,
                        score: domain::format::decimal(row.score, 1),
                        percentile: row
                            .indicator_percentile
                            .map_or("sin medición".into(), |p| domain::format::decimal(p, 0)),
                    })
                    .collect(),
                total: ranked.total as i64,
                shown: ranked.items.len(),
                ranked: &ranked,
                capacities: capacity_choices(&db, capacidad).await?,
                departments: DepartmentChoice::list(&departments, departamento.as_deref()),
                is_reviewer: user.department_scope().is_some(),
                is_staff: user.is_staff(),
            };
            drawer.content("priorities", "¿Dónde formar?", view)
        }
    })
    .await
}

/// «¿Dónde formar?» as a workbook: the whole ranking of the filters (not only the rows the
/// page shows), named by its place and day (`donde-formar-caqueta-2026-11-26.xlsx`).
#[get("/reportes/prioridades.xlsx?<capacidad>&<departamento>")]
pub(super) async fn priorities_download(
    db: &State<DatabaseConnection>,
    cache: &State<domain::indicators::priorities::Cache>,
    user: ReportReader,
    capacidad: Option<i32>,
    departamento: Option<String>,
) -> AppResult<Download> {
    use domain::reports::named::{self, Filter};
    let ranked = domain::indicators::priorities::rank(
        db.inner(),
        cache.inner(),
        &user,
        &PriorityQuery {
            capacity: capacidad,
            department: departamento.clone(),
            limit: Some(domain::indicators::priorities::MAX_LIMIT),
        },
    )
    .await?;
    // A reviewer's ranking is their department's, whatever was asked.
    let department = user
        .department_scope()
        .map(str::to_string)
        .or_else(|| domain::parse::text(departamento.as_deref()));
    let mut chosen = Vec::new();
    if let Some(code) = department {
        chosen.push(Filter::Department(code));
    }
    let described = named::describe(db.inner(), &chosen).await?;
    let name = named::file_name(
        domain::indicators::workbook::PRIORITIES_FILE,
        &described,
        named::today(),
    );
    let mut header = described;
    if header.is_empty() {
        header.push(("Departamento".into(), "Todo el país".into()));
    }
    header.push((
        "Capacidad".into(),
        ranked
            .capacity
            .as_ref()
            .map_or_else(|| "Todas".into(), |c| c.name.clone()),
    ));
    let bytes = domain::indicators::workbook::priorities(&ranked, header, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}
