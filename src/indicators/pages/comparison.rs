//! ESAP's comparison (`/reportes/impacto`) and its Excel file.

use super::*;
use std::collections::HashMap;

/// The comparison's filters as the page's form sends them (Spanish names).
#[derive(Clone, Debug, Default, FromForm)]
pub(super) struct ComparisonForm {
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
            let first = domain::capacities::in_order(db).await?.into_iter().next();
            self.capacidad = first.map(|c| c.id.to_string());
        }
        if self.indicador.is_none() {
            // A national index first: a self-assessed level (issue 68) only when chosen.
            let national = |list: &[domain::indicators::IndicatorView]| {
                list.iter()
                    .find(|i| !domain::self_assessment::indicator::is_self_assessed(&i.code))
                    .or(list.first())
                    .map(|i| i.id)
            };
            self.indicador = match self.capacidad.as_deref().map(str::parse::<i32>) {
                Some(Ok(id)) => domain::indicators::by_capacity(db)
                    .await?
                    .get(&id)
                    .and_then(|list| national(list)),
                _ => national(&domain::indicators::list(db).await?),
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
pub(super) struct PresetView {
    label: &'static str,
    explanation: &'static str,
    href: String,
    /// The comparison shown has its choices.
    active: bool,
}

#[derive(Serialize)]
pub(super) struct ComparisonView<'a> {
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
pub(super) struct UnitChoice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
pub(super) struct GroupView {
    label: String,
    municipalities: String,
    median: String,
    mean: String,
    small: bool,
    cost: CostView,
}

/// A group's cost as the page shows it (amounts in whole pesos, for the `pesos` helper).
#[derive(Serialize)]
pub(super) struct CostView {
    executed: i64,
    training: i64,
    assistance: i64,
    replicas: i64,
    per_municipality: Option<i64>,
    per_person_certified: Option<i64>,
    per_point_of_change: Option<i64>,
    /// «Puerto Rico (18592), El Paujíl (18256)».
    without_cost: String,
    without_cost_count: usize,
}

#[derive(Serialize)]
pub(super) struct StratumView {
    label: String,
    municipalities: String,
    groups: Vec<GroupView>,
}

#[derive(Serialize)]
pub(super) struct RowView {
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

pub(super) fn group_views(
    groups: &[domain::indicators::impact::Group],
    names: &HashMap<&str, &str>,
) -> Vec<GroupView> {
    groups
        .iter()
        .map(|g| GroupView {
            cost: CostView {
                executed: g.cost.executed,
                training: g.cost.training,
                assistance: g.cost.assistance,
                replicas: g.cost.replicas,
                per_municipality: g.cost.per_municipality,
                per_person_certified: g.cost.per_person_certified,
                per_point_of_change: g.cost.per_point_of_change,
                without_cost: g
                    .cost
                    .municipalities_without_cost
                    .iter()
                    .map(|code| match names.get(code.as_str()) {
                        Some(name) => format!("{name} ({code})"),
                        None => code.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                without_cost_count: g.cost.municipalities_without_cost.len(),
            },
            label: g.label.clone(),
            municipalities: domain::format::thousands(g.municipalities as i64),
            median: g.median_change.map_or("—".into(), |v| signed(v, 2)),
            mean: g.mean_change.map_or("—".into(), |v| signed(v, 2)),
            small: g.small,
        })
        .collect()
}

pub(super) fn comparison_link(form: &ComparisonForm, path: &str) -> String {
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
pub(super) async fn comparison_page(
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
    let presets = preset_views(&form, comparison.as_ref());
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
            .map(|c| group_views(&c.groups, &names(c)))
            .unwrap_or_default(),
        strata: stratum_views(comparison.as_ref()),
        rows: row_views(comparison.as_ref()),
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
        units: unit_choices(comparison.as_ref()),
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

/// The comparison's municipalities' names by DANE code.
fn names(c: &Comparison) -> HashMap<&str, &str> {
    c.rows
        .iter()
        .map(|r| (r.municipality_code.as_str(), r.municipality_name.as_str()))
        .collect()
}

/// The presets as links that keep the other filters; the one in force is marked.
fn preset_views(form: &ComparisonForm, comparison: Option<&Comparison>) -> Vec<PresetView> {
    Preset::ALL
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
                active: comparison.is_some_and(|c| c.preset == Some(p)),
            }
        })
        .collect()
}

/// The comparison by stratum (category and PDET), when there is one.
fn stratum_views(comparison: Option<&Comparison>) -> Vec<StratumView> {
    comparison
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
                    groups: group_views(&s.groups, &names(c)),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One row per municipality compared, when there is a comparison.
fn row_views(comparison: Option<&Comparison>) -> Vec<RowView> {
    comparison
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
        .unwrap_or_default()
}

/// The units of intervention to choose from, the comparison's one selected.
fn unit_choices(comparison: Option<&Comparison>) -> Vec<UnitChoice> {
    let chosen = comparison.map(|c| c.unit).unwrap_or_default();
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
}

#[get("/reportes/impacto.xlsx?<form..>")]
pub(super) async fn comparison_download(
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
