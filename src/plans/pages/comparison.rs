//! Territorial directions and providers compared on a year (`plans::comparison`).

use super::*;

/// One figure of a row as people read it: «66,7 %», «2 de 3», and whether it is a small group.
#[derive(Serialize)]
pub(super) struct FigureCell {
    text: String,
    detail: String,
    small_group: bool,
}

impl FigureCell {
    fn share(share: &plan_comparison::Share, what: (&str, &str)) -> FigureCell {
        FigureCell {
            text: share
                .percent
                .map_or_else(|| "Sin datos".to_string(), domain::format::percent_value),
            detail: format!(
                "{} de {}",
                domain::format::thousands(share.count),
                domain::format::plural(share.n, what.0, what.1)
            ),
            small_group: share.n > 0 && share.small_group,
        }
    }
}

#[derive(Serialize)]
pub(super) struct ComparisonRowView {
    name: String,
    plans: String,
    cells: Vec<FigureCell>,
}

#[derive(Serialize)]
pub(super) struct ComparisonView {
    year: String,
    directions: Vec<ComparisonRowView>,
    providers: Vec<ComparisonRowView>,
    min_group: i64,
    /// The indicators to read the cost per point of change in, the comparison's selected.
    indicators: Vec<OwnedChoice>,
    /// «IDF – Índice de Desempeño Fiscal entre 2025 y 2026».
    indicator_phrase: String,
    cost_method: String,
}

/// Points as people read them: «3,9».
fn points(value: f64) -> String {
    domain::format::decimal(value, 2)
}

/// The cost per point of change as people read it: the pesos and what they rest on, or why
/// there is none.
fn point_of_change_cell(
    point: &plan_comparison::PointOfChange,
    indicator: Option<&plan_comparison::IndicatorWindow>,
) -> FigureCell {
    let cost = &point.cost;
    let measured = domain::format::plural(
        point.measured as i64,
        "municipio medido",
        "municipios medidos",
    );
    // Short: the cell is one of many on a phone's row.
    let detail = match (cost.per_point_of_change, cost.points_beyond_comparison) {
        (Some(_), Some(beyond)) => format!(
            "{} ÷ {} puntos",
            domain::format::pesos(cost.executed),
            points(beyond)
        ),
        _ => match indicator {
            None => "Sin indicador".to_string(),
            Some(i) if point.measured == 0 => {
                format!("Sin medición {}–{}", i.from_year, i.to_year)
            }
            Some(_) if cost.small_group => measured,
            Some(_) if cost.executed == 0 => "Sin costo en los medidos".to_string(),
            Some(_) => "No supera a los no alcanzados".to_string(),
        },
    };
    FigureCell {
        text: cost
            .per_point_of_change
            .map_or_else(|| "Sin datos".to_string(), domain::format::pesos),
        detail,
        small_group: point.measured > 0 && cost.small_group,
    }
}

pub(super) fn comparison_row(
    row: &plan_comparison::Row,
    indicator: Option<&plan_comparison::IndicatorWindow>,
) -> ComparisonRowView {
    let cost = &row.cost_per_person_certified;
    let satisfaction = &row.satisfaction;
    ComparisonRowView {
        name: row.name.clone(),
        plans: domain::format::plural(row.plans, "plan", "planes"),
        cells: vec![
            FigureCell::share(&row.goals_met, ("meta", "metas")),
            FigureCell::share(&row.timeliness, ("cohorte", "cohortes")),
            FigureCell::share(&row.milestones_on_time, ("hito", "hitos")),
            FigureCell {
                text: satisfaction.mean.map_or_else(
                    || "Sin datos".to_string(),
                    |m| format!("{} de 5", domain::format::decimal(m, 2)),
                ),
                detail: domain::format::plural(satisfaction.n, "respuesta", "respuestas"),
                small_group: satisfaction.n > 0 && satisfaction.small_group,
            },
            FigureCell::share(&row.completion, ("persona", "personas")),
            FigureCell {
                text: cost
                    .value
                    .map_or_else(|| "Sin datos".to_string(), domain::format::pesos),
                detail: format!(
                    "{} ejecutados, {}",
                    domain::format::pesos(cost.executed),
                    domain::format::plural(cost.n, "persona certificada", "personas certificadas")
                ),
                small_group: cost.n > 0 && cost.small_group,
            },
            FigureCell {
                text: domain::format::pesos(row.point_of_change.executed),
                detail: format!(
                    "en {}",
                    domain::format::plural(
                        row.point_of_change.reached as i64,
                        "municipio alcanzado",
                        "municipios alcanzados"
                    )
                ),
                small_group: false,
            },
            point_of_change_cell(&row.point_of_change, indicator),
        ],
    }
}

/// Territorial directions and providers compared on a year (`plans::comparison`): a table
/// per kind, by name, each figure with the cases behind it and «grupo pequeño» below five. A
/// year that is not one answers 422 with the problem beside the filter (this year's figures
/// below it).
#[get("/reportes/planes?<vigencia>&<indicador>")]
pub(super) async fn comparison_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    vigencia: Option<&str>,
    indicador: Option<i32>,
) -> PageResult {
    let (year, mut errors) = match plan_comparison::year_of(vigencia) {
        Ok(year) => (year, Vec::new()),
        Err(AppError::Validation(errors)) => (
            domain::time::today().year(),
            errors
                .into_iter()
                .map(|e| FieldError::new("vigencia", e.message))
                .collect(),
        ),
        Err(other) => return Err(other.into()),
    };
    // An indicator that does not exist: said beside its choice, the default's figures below.
    let indicador = match plan_comparison::indicator_of(db.inner(), indicador).await {
        Ok(_) => indicador,
        Err(AppError::Validation(found)) => {
            errors.extend(
                found
                    .into_iter()
                    .map(|e| FieldError::new("indicador", e.message)),
            );
            None
        }
        Err(other) => return Err(other.into()),
    };
    let title = format!("Planes comparados {year}");
    let shown = if errors.is_empty() {
        year.to_string()
    } else {
        vigencia.unwrap_or_default().to_string()
    };
    if errors.is_empty() {
        // Kept per scope and year like the other reports (satisfaction included).
        let key = KeptKey::page("/reportes/planes")
            .with("vigencia", Some(year))
            .with("indicador", indicador)
            .showing_satisfaction();
        let (db, drawer, reader, heading) = (
            db.inner().clone(),
            page.drawer(),
            user.0.clone(),
            title.clone(),
        );
        page.render_kept(&title, key, move || async move {
            let view = comparison_view(&db, &reader, year, shown, indicador).await?;
            drawer.content("plan_comparison", &heading, view)
        })
        .await
    } else {
        Err(crate::web::Failure::form_again(page.render_refused(
            "plan_comparison",
            &title,
            comparison_view(db.inner(), &user, year, shown, indicador).await?,
            &errors,
        )))
    }
}

/// The comparison page's view of `year` for `user` (`shown`: the year as the filter shows it)
/// with the cost per point of change of `indicator` (the default when none).
pub(super) async fn comparison_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    year: i32,
    shown: String,
    indicator: Option<i32>,
) -> domain::error::AppResult<ComparisonView> {
    let report = plan_comparison::comparison(db, user, year, indicator).await?;
    let window = report.indicator.as_ref();
    let indicators = domain::indicators::list(db)
        .await?
        .into_iter()
        .map(|i| OwnedChoice {
            selected: window.is_some_and(|w| w.id == i.id),
            value: i.id.to_string(),
            label: i.name,
        })
        .collect();
    Ok(ComparisonView {
        year: shown,
        directions: report
            .directions
            .iter()
            .map(|r| comparison_row(r, window))
            .collect(),
        providers: report
            .providers
            .iter()
            .map(|r| comparison_row(r, window))
            .collect(),
        min_group: report.min_group,
        indicators,
        indicator_phrase: window.map_or_else(String::new, |w| {
            format!("«{}» entre {} y {}", w.name, w.from_year, w.to_year)
        }),
        cost_method: report.cost_method,
    })
}
