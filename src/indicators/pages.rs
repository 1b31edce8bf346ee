//! Pages for indicators and impact (issue 15): a municipality's training beside its
//! indicators (`/municipios/<code>`), ESAP's comparison (`/reportes/impacto`, and its Excel
//! file), «¿Dónde formar?» (`/reportes/prioridades`, from which a coordinator starts a cohort
//! with the chosen municipalities) and the indicators themselves (`/indicadores`: the list,
//! the administrator's edits of names and capacity links, and the import of new years).

use crate::accounts::guards::{AdminUser, MunicipalityReader, ReportReader, StaffUser};
use crate::error::{AppResult, DomainResult};
use crate::spreadsheets::download::Download;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::import::{DraftUploadForm, KeptOutcome};
use crate::web::{DepartmentChoice, KeptKey, Page};
use crate::web::{Failure, PageResult};
use domain::entities::capacity;
use domain::error::{AppError, FieldError};
use domain::indicators::chart::series_chart;
use domain::indicators::impact::{
    CapacityImpact, Comparison, ComparisonQuery, IndicatorSeries, Preset, Unit,
};
use domain::indicators::import::{ObservationImport, ObservationSummary};
use domain::indicators::priorities::{Priorities, PriorityQuery};
use domain::indicators::{IndicatorInput, IndicatorView};
use domain::spreadsheets::pipeline::Mode;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        municipality_page,
        comparison_page,
        comparison_download,
        priorities_page,
        priorities_download,
        indicators_page,
        indicator_submit,
        import_submit
    ]
}

/// Capacities for a select, by their order.
#[derive(Serialize)]
struct Choice {
    id: i32,
    name: String,
    selected: bool,
}

async fn capacity_choices(
    db: &DatabaseConnection,
    selected: Option<i32>,
) -> DomainResult<Vec<Choice>> {
    Ok(capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| Choice {
            selected: Some(c.id) == selected,
            id: c.id,
            name: c.name,
        })
        .collect())
}

// ---- A municipality ------------------------------------------------------------------------

#[derive(Serialize)]
struct SeriesView<'a> {
    series: &'a IndicatorSeries,
    /// The chart's inline SVG (`SeriesChart::svg`), already escaped.
    chart: Option<String>,
    /// «+3,2» / «-1,0», with the reading of the direction.
    change: Option<String>,
    rows: Vec<SeriesRow>,
}

#[derive(Serialize)]
struct SeriesRow {
    year: i32,
    value: String,
    synthetic: bool,
    completed: i64,
}

#[derive(Serialize)]
struct CapacityView<'a> {
    impact: &'a CapacityImpact,
    indicators: Vec<SeriesView<'a>>,
}

#[derive(Serialize)]
struct MunicipalityView<'a> {
    /// The technical assistances it receives (issue 33), newest first.
    assistances: Vec<domain::assistance::AssistanceView>,
    municipality: &'a domain::reports::place::Place,
    capacities: Vec<CapacityView<'a>>,
    trained_any: bool,
    is_staff: bool,
    is_liaison: bool,
    /// Issue 48: a link to its handover, for those who read it (not another provider's
    /// coordinator).
    handover: bool,
    /// The municipality's demands in the caller's scope (issue 16), newest first.
    demands: Vec<DemandLine>,
}

#[derive(Serialize)]
struct DemandLine {
    id: i32,
    topic: String,
    capacity_name: String,
    people_estimate: i32,
    status_label: &'static str,
    endorsed: bool,
}

fn signed(change: f64, places: usize) -> String {
    let text = domain::format::decimal(change, places);
    if change > 0.0 && !text.starts_with('-') && text != domain::format::decimal(0.0, places) {
        format!("+{text}")
    } else {
        text
    }
}

/// A municipality's page: what it is, and per capacity its training by year beside each linked
/// indicator's series, before and after the first completion (`indicators::impact`).
#[get("/municipios/<code>")]
async fn municipality_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult {
    // The municipality in the caller's territory (404 otherwise) names the page; its content is
    // kept per scope for the figures', indicators' and planning versions (issue 36).
    let place = domain::reports::place::find(db.inner(), &user, code).await?;
    let key = KeptKey::page(format!("/municipios/{}", place.code));
    page.render_kept(&place.name, key, {
        let (db, drawer, code) = (db.inner().clone(), page.drawer(), code.to_string());
        move || async move {
            let impact = domain::indicators::impact::municipality(&db, &user, &code).await?;
            let capacities = impact
                .capacities
                .iter()
                .map(|c| CapacityView {
                    impact: c,
                    indicators: c
                        .indicators
                        .iter()
                        .map(|s| SeriesView {
                            series: s,
                            chart: series_chart(s, &c.by_year)
                                .map(|chart| chart.svg(&format!("{}-{}", c.capacity.code, s.code))),
                            change: s.change.map(|v| signed(v, 1)),
                            rows: s
                                .observations
                                .iter()
                                .map(|o| SeriesRow {
                                    year: o.year,
                                    value: o.display.clone(),
                                    synthetic: o.synthetic,
                                    completed: c
                                        .by_year
                                        .iter()
                                        .find(|y| y.year == o.year)
                                        .map_or(0, |y| y.completed),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect();
            // Issue 33: the technical assistance it receives, beside its training.
            let (assistances, _) = domain::assistance::list(
                &db,
                &user,
                &domain::assistance::ListFilter {
                    municipality: Some(impact.municipality.code.clone()),
                    ..Default::default()
                },
                1,
                50,
            )
            .await?;
            let view = MunicipalityView {
                assistances,
                municipality: &impact.municipality,
                trained_any: impact.capacities.iter().any(|c| c.trained > 0),
                capacities,
                is_staff: user.is_staff(),
                handover: !user.is_other_provider(),
                is_liaison: user.role == domain::entities::values::Role::Liaison,
                demands: domain::demand::of_municipality(&db, &user, &impact.municipality.code)
                    .await?
                    .into_iter()
                    .map(|d| DemandLine {
                        capacity_name: impact
                            .capacities
                            .iter()
                            .find(|c| c.capacity.id == d.capacity_id)
                            .map(|c| c.capacity.name.clone())
                            .unwrap_or_default(),
                        id: d.id,
                        topic: d.topic,
                        people_estimate: d.people_estimate,
                        status_label: d.status.label(),
                        endorsed: d.endorsed_by.is_some(),
                    })
                    .collect(),
            };
            drawer.content("municipality", &impact.municipality.name, view)
        }
    })
    .await
}

// ---- ESAP's comparison ---------------------------------------------------------------------

/// The comparison's filters as the page's form sends them (Spanish names).
#[derive(Clone, Debug, Default, FromForm)]
struct ComparisonForm {
    /// A capacity's id, or `any` (every capacity summed).
    capacidad: Option<String>,
    indicador: Option<i32>,
    desde: Option<i32>,
    hasta: Option<i32>,
    umbral: Option<i64>,
    departamento: Option<String>,
    unidad: Option<String>,
    /// A preset (`estudio_esap`, `formacion_capacidad`): what the other filters left out take.
    ajuste: Option<String>,
}

impl ComparisonForm {
    fn query(&self) -> ComparisonQuery {
        ComparisonQuery {
            capacity: self.capacidad.clone(),
            indicator: self.indicador,
            from_year: self.desde,
            to_year: self.hasta,
            threshold: self.umbral,
            department: self.departamento.clone(),
            unit: self.unidad.clone(),
            preset: self.ajuste.clone(),
        }
    }

    /// The page's defaults: the first capacity (unless the preset counts every one) and its
    /// first indicator (the first of all for any capacity).
    async fn with_defaults(mut self, db: &DatabaseConnection) -> DomainResult<Self> {
        self.capacidad = domain::parse::text(self.capacidad.as_deref());
        self.ajuste = domain::parse::text(self.ajuste.as_deref());
        let any = domain::indicators::impact::preset_counts_any_capacity(self.ajuste.as_deref());
        if self.capacidad.is_none() && !any {
            let first = capacity::Entity::find()
                .order_by_asc(capacity::Column::SortOrder)
                .one(db)
                .await?;
            self.capacidad = first.map(|c| c.id.to_string());
        }
        if self.indicador.is_none() {
            self.indicador = match self.capacidad.as_deref().map(str::parse::<i32>) {
                Some(Ok(id)) => domain::indicators::by_capacity(db)
                    .await?
                    .get(&id)
                    .and_then(|list| list.first())
                    .map(|i| i.id),
                _ => domain::indicators::list(db).await?.first().map(|i| i.id),
            };
        }
        Ok(self)
    }

    /// The capacity chosen by its id, if one is.
    fn capacity_id(&self) -> Option<i32> {
        self.capacidad.as_deref().and_then(|c| c.parse().ok())
    }
}

/// A preset, offered as a link that keeps the indicator, the years and the department.
#[derive(Serialize)]
struct PresetView {
    label: &'static str,
    explanation: &'static str,
    href: String,
    /// The comparison shown has its choices.
    active: bool,
}

#[derive(Serialize)]
struct ComparisonView<'a> {
    comparison: Option<Comparison>,
    errors: Vec<FieldError>,
    capacities: Vec<Choice>,
    indicators: Vec<Choice>,
    departments: Vec<DepartmentChoice<'a>>,
    is_reviewer: bool,
    /// «Cualquier capacidad» is the capacity chosen.
    any_capacity: bool,
    /// The capacity in the page's sentence: its name or «cualquier capacidad (todas sumadas)».
    capacity_phrase: String,
    presets: Vec<PresetView>,
    from_year: String,
    to_year: String,
    threshold: i64,
    /// The unit's choices (code, label, selected) and its plural for the page's sentences.
    units: Vec<UnitChoice>,
    unit_noun: &'static str,
    download: String,
    groups: Vec<GroupView>,
    strata: Vec<StratumView>,
    rows: Vec<RowView>,
    row_count: String,
}

#[derive(Serialize)]
struct UnitChoice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct GroupView {
    label: String,
    municipalities: String,
    median: String,
    mean: String,
    small: bool,
}

#[derive(Serialize)]
struct StratumView {
    label: String,
    municipalities: String,
    groups: Vec<GroupView>,
}

#[derive(Serialize)]
struct RowView {
    code: String,
    name: String,
    department: String,
    category: String,
    pdet: bool,
    completed: i64,
    assistances: i64,
    from: String,
    to: String,
    change: String,
    synthetic: bool,
}

fn group_views(groups: &[domain::indicators::impact::Group]) -> Vec<GroupView> {
    groups
        .iter()
        .map(|g| GroupView {
            label: g.label.clone(),
            municipalities: domain::format::thousands(g.municipalities as i64),
            median: g.median_change.map_or("—".into(), |v| signed(v, 2)),
            mean: g.mean_change.map_or("—".into(), |v| signed(v, 2)),
            small: g.small,
        })
        .collect()
}

fn comparison_link(form: &ComparisonForm, path: &str) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", domain::text::urlencode(&v)));
        }
    };
    push("ajuste", form.ajuste.clone());
    push("capacidad", form.capacidad.clone());
    push("indicador", form.indicador.map(|v| v.to_string()));
    push("desde", form.desde.map(|v| v.to_string()));
    push("hasta", form.hasta.map(|v| v.to_string()));
    push("umbral", form.umbral.map(|v| v.to_string()));
    push("departamento", form.departamento.clone());
    push("unidad", form.unidad.clone());
    format!("{path}?{}", parts.join("&"))
}

/// ESAP's comparison: trained and untrained municipalities, overall and by stratum.
#[get("/reportes/impacto?<form..>")]
async fn comparison_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    form: ComparisonForm,
) -> PageResult {
    let form = form.with_defaults(db.inner()).await?;
    let (comparison, errors) =
        match domain::indicators::impact::compare(db.inner(), &user, &form.query()).await {
            Ok(c) => (Some(c), Vec::new()),
            Err(AppError::Validation(errors)) => (None, errors),
            Err(other) => return Err(other.into()),
        };
    let indicators = domain::indicators::list(db.inner())
        .await?
        .into_iter()
        .map(|i: IndicatorView| Choice {
            selected: Some(i.id) == form.indicador,
            id: i.id,
            name: i.name,
        })
        .collect();
    let departments = domain::territory::departments(db.inner()).await?;
    let selected = form.departamento.as_deref();
    let any_capacity = match &comparison {
        Some(c) => c.capacity.is_none(),
        None => form.capacidad.as_deref() == Some(domain::indicators::impact::ANY_CAPACITY),
    };
    let capacities = capacity_choices(
        db.inner(),
        comparison
            .as_ref()
            .map_or(form.capacity_id(), |c| c.capacity.as_ref().map(|c| c.id)),
    )
    .await?;
    let presets = Preset::ALL
        .into_iter()
        .map(|p| {
            let link = ComparisonForm {
                ajuste: Some(p.code().to_string()),
                // Training in one capacity keeps the one chosen.
                capacidad: if p == Preset::FormacionCapacidad {
                    form.capacity_id().map(|c| c.to_string())
                } else {
                    None
                },
                indicador: form.indicador,
                desde: form.desde,
                hasta: form.hasta,
                departamento: form.departamento.clone(),
                umbral: None,
                unidad: None,
            };
            PresetView {
                label: p.label(),
                explanation: p.explanation(),
                href: comparison_link(&link, "/reportes/impacto"),
                active: comparison.as_ref().is_some_and(|c| c.preset == Some(p)),
            }
        })
        .collect();
    let view = ComparisonView {
        any_capacity,
        capacity_phrase: comparison
            .as_ref()
            .and_then(|c| c.capacity.as_ref())
            .map_or_else(
                || "cualquier capacidad (todas sumadas)".to_string(),
                |c| c.name.clone(),
            ),
        presets,
        groups: comparison
            .as_ref()
            .map(|c| group_views(&c.groups))
            .unwrap_or_default(),
        strata: comparison
            .as_ref()
            .map(|c| {
                c.strata
                    .iter()
                    .map(|s| StratumView {
                        label: format!(
                            "Categoría {}, {}",
                            s.category.as_deref().unwrap_or("sin dato"),
                            if s.pdet { "PDET" } else { "no PDET" }
                        ),
                        municipalities: domain::format::thousands(s.municipalities as i64),
                        groups: group_views(&s.groups),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        rows: comparison
            .as_ref()
            .map(|c| {
                c.rows
                    .iter()
                    .map(|r| RowView {
                        code: r.municipality_code.clone(),
                        name: r.municipality_name.clone(),
                        department: r.department_name.clone(),
                        category: r.category.clone().unwrap_or_else(|| "—".into()),
                        pdet: r.pdet,
                        completed: r.completed,
                        assistances: r.assistances,
                        from: domain::indicators::display(&c.indicator_unit, r.from_value),
                        to: domain::indicators::display(&c.indicator_unit, r.to_value),
                        change: signed(r.change, 2),
                        synthetic: r.synthetic,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        row_count: domain::format::thousands(comparison.as_ref().map_or(0, |c| c.rows.len()) as i64),
        from_year: comparison
            .as_ref()
            .map_or(String::new(), |c| c.from_year.to_string()),
        to_year: comparison
            .as_ref()
            .map_or(String::new(), |c| c.to_year.to_string()),
        threshold: comparison
            .as_ref()
            .map_or(domain::indicators::impact::DEFAULT_THRESHOLD, |c| {
                c.threshold
            }),
        units: {
            let chosen = comparison.as_ref().map(|c| c.unit).unwrap_or_default();
            Unit::ALL
                .into_iter()
                .map(|u| UnitChoice {
                    code: u.code(),
                    label: match u {
                        Unit::Training => "Aprobaciones de formación",
                        Unit::Assistance => "Asistencias técnicas cerradas",
                        Unit::Both => "Ambas (aprobaciones y asistencias)",
                    },
                    selected: u == chosen,
                })
                .collect()
        },
        unit_noun: comparison
            .as_ref()
            .map(|c| c.unit)
            .unwrap_or_default()
            .nouns()
            .1,
        download: comparison_link(&form, "/reportes/impacto.xlsx"),
        comparison,
        errors,
        capacities,
        indicators,
        departments: DepartmentChoice::list(&departments, selected),
        is_reviewer: user.department_scope().is_some(),
    };
    // The comparison's filters are a form: refused, the page says why beside them (422).
    let errors = view.errors.clone();
    let html = page.render_form(
        "impact",
        "Formación e indicadores: comparación",
        view,
        &errors,
    );
    if errors.is_empty() {
        html
    } else {
        Err(Failure::form_again(html))
    }
}

#[get("/reportes/impacto.xlsx?<form..>")]
async fn comparison_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    form: ComparisonForm,
) -> AppResult<Download> {
    let form = form.with_defaults(db.inner()).await?;
    let comparison = domain::indicators::impact::compare(db.inner(), &user, &form.query()).await?;
    let bytes = domain::indicators::workbook::comparison(&comparison, &user.full_name).await?;
    Ok(Download::xlsx(
        domain::indicators::workbook::COMPARISON_FILE,
        bytes,
    ))
}

// ---- Where to train next -------------------------------------------------------------------

#[derive(Serialize)]
struct PrioritiesView<'a> {
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
struct PriorityView<'a> {
    row: &'a domain::indicators::priorities::PriorityRow,
    score: String,
    percentile: String,
}

/// «¿Dónde formar?»: municipalities ranked by need, with the reasons; staff select some and
/// start a cohort for them.
#[get("/reportes/prioridades?<capacidad>&<departamento>")]
async fn priorities_page(
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
async fn priorities_download(
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

// ---- The indicators ------------------------------------------------------------------------

#[derive(Serialize)]
struct IndicatorRow {
    indicator: IndicatorView,
    /// The edit form's values: the indicator's, or what was typed when it came back refused
    /// (then `open`, so its box shows).
    edit: IndicatorEdit,
    /// The prefix of the edit form's fields in the page's problems.
    form: String,
    capacities: Vec<Choice>,
    capacity_names: String,
    years: String,
}

#[derive(Serialize)]
struct IndicatorsView {
    indicators: Vec<IndicatorRow>,
    is_admin: bool,
    is_staff: bool,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
    /// After a clean preview: the kept file's token, which «Cargar» sends alone.
    draft: Option<String>,
}

/// The edit form of an indicator as shown.
#[derive(Serialize)]
struct IndicatorEdit {
    name: String,
    source: String,
    unit: String,
    note: String,
    higher_is_better: bool,
    open: bool,
}

/// The prefix of an indicator's edit form on the page (`indicador-3.name`).
fn edit_prefix(id: i32) -> String {
    format!("indicador-{id}")
}

async fn indicators_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
) -> DomainResult<IndicatorsView> {
    indicators_view_typed(db, user, summary, errors, None).await
}

/// The page, with one indicator's edit form as typed when it comes back refused.
async fn indicators_view_typed(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
    typed: Option<(i32, &IndicatorForm)>,
) -> DomainResult<IndicatorsView> {
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?;
    let spans = domain::indicators::year_spans(db).await?;
    let mut rows = Vec::new();
    for indicator in domain::indicators::list(db).await? {
        let typed = typed.filter(|(id, _)| *id == indicator.id).map(|(_, f)| f);
        let chosen = typed.map_or(&indicator.capacity_ids, |f| &f.capacity_ids);
        let edit = match typed {
            Some(form) => IndicatorEdit {
                name: form.name.clone(),
                source: form.source.clone(),
                unit: form.unit.clone(),
                note: form.note.clone(),
                higher_is_better: form.higher_is_better == "si",
                open: true,
            },
            None => IndicatorEdit {
                name: indicator.name.clone(),
                source: indicator.source.clone(),
                unit: indicator.unit.clone(),
                note: indicator.note.clone(),
                higher_is_better: indicator.higher_is_better,
                open: false,
            },
        };
        rows.push(IndicatorRow {
            edit,
            form: edit_prefix(indicator.id),
            capacities: capacities
                .iter()
                .map(|c| Choice {
                    id: c.id,
                    name: c.name.clone(),
                    selected: chosen.contains(&c.id),
                })
                .collect(),
            capacity_names: capacities
                .iter()
                .filter(|c| indicator.capacity_ids.contains(&c.id))
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            years: match spans.get(&indicator.id) {
                Some((a, b)) if a == b => a.to_string(),
                Some((a, b)) => format!("{a} a {b}"),
                None => "sin datos".into(),
            },
            indicator,
        });
    }
    Ok(IndicatorsView {
        indicators: rows,
        is_admin: user.role == domain::entities::values::Role::Admin,
        is_staff: user.is_staff(),
        summary,
        errors,
        draft: None,
    })
}

/// The indicators, their capacities and years; the import of new years (staff) and the edits
/// (admin).
#[get("/indicadores")]
async fn indicators_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
) -> PageResult {
    let view = indicators_view(db.inner(), &user, None, Vec::new()).await?;
    page.render("indicators", "Indicadores de las capacidades", view)
}

#[derive(FromForm)]
struct IndicatorForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    source: String,
    #[field(default = String::new())]
    unit: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = String::new())]
    higher_is_better: String,
    #[field(default = Vec::new())]
    capacity_ids: Vec<i32>,
}
csrf_protected!(IndicatorForm);

/// An administrator's edit of an indicator: texts, direction and capacities.
#[post("/indicadores/<id>", data = "<form>")]
async fn indicator_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<IndicatorForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = IndicatorInput {
        code: None,
        name: Some(form.name.clone()),
        source: Some(form.source.clone()),
        unit: Some(form.unit.clone()),
        higher_is_better: Some(form.higher_is_better == "si"),
        note: Some(form.note.clone()),
        capacity_ids: Some(form.capacity_ids.clone()),
    };
    crate::web::form::saved_or_again(
        domain::indicators::update(db.inner(), &admin, id, input).await,
        |saved| {
            Flash::success(
                Redirect::to(format!("/indicadores#indicador-{id}")),
                format!("Indicador «{}» guardado.", saved.name),
            )
        },
        async |errors| {
            let view =
                indicators_view_typed(db.inner(), &admin, None, Vec::new(), Some((id, &form)))
                    .await?;
            let errors = crate::web::form::scoped(&edit_prefix(id), errors);
            page.render_refused(
                "indicators",
                "Indicadores de las capacidades",
                view,
                &errors,
            )
        },
    )
    .await
}

/// A file of observations from the page: «Revisar» previews, «Cargar» saves; the page shows
/// what changed (or would change), or every problem found with its row (422).
#[post("/indicadores/cargar?<accion>", data = "<form>")]
async fn import_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    accion: Option<String>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let mode = if accion.as_deref() == Some("cargar") {
        Mode::Save
    } else {
        Mode::Preview
    };
    let KeptOutcome {
        status,
        summary,
        errors,
        draft,
    } = crate::web::import::kept(
        db.inner(),
        ObservationImport::open(&staff),
        staff.id,
        "indicators",
        form.0.file.as_ref(),
        &form.0.draft,
        mode,
    )
    .await?;
    let rendered = async {
        let mut view = indicators_view(db.inner(), &staff, summary, errors).await?;
        view.draft = draft;
        page.render("indicators", "Indicadores de las capacidades", view)
    }
    .await;
    Failure::unless_ok(status, rendered?)
}
