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
}

pub(super) fn comparison_row(row: &plan_comparison::Row) -> ComparisonRowView {
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
        ],
    }
}

/// Territorial directions and providers compared on a year (`plans::comparison`): a table
/// per kind, by name, each figure with the cases behind it and «grupo pequeño» below five. A
/// year that is not one answers 422 with the problem beside the filter (this year's figures
/// below it).
#[get("/reportes/planes?<vigencia>")]
pub(super) async fn comparison_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    vigencia: Option<&str>,
) -> PageResult {
    let (year, errors) = match plan_comparison::year_of(vigencia) {
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
            .showing_satisfaction();
        let (db, drawer, reader, heading) = (
            db.inner().clone(),
            page.drawer(),
            user.0.clone(),
            title.clone(),
        );
        page.render_kept(&title, key, move || async move {
            let view = comparison_view(&db, &reader, year, shown).await?;
            drawer.content("plan_comparison", &heading, view)
        })
        .await
    } else {
        Err(crate::web::Failure::form_again(page.render_refused(
            "plan_comparison",
            &title,
            comparison_view(db.inner(), &user, year, shown).await?,
            &errors,
        )))
    }
}

/// The comparison page's view of `year` for `user` (`shown`: the year as the filter shows it).
pub(super) async fn comparison_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    year: i32,
    shown: String,
) -> domain::error::AppResult<ComparisonView> {
    let report = plan_comparison::comparison(db, user, year).await?;
    Ok(ComparisonView {
        year: shown,
        directions: report.directions.iter().map(comparison_row).collect(),
        providers: report.providers.iter().map(comparison_row).collect(),
        min_group: report.min_group,
    })
}
