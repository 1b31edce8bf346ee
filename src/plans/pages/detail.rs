//! The plan: its lines with their goals, budget and progress in the period chosen, its state
//! and act, its versions with their reasons; and its «ficha técnica» as a workbook.

use super::*;

#[derive(Serialize)]
pub(super) struct GoalRow {
    label: &'static str,
    value: i32,
}

#[derive(Serialize)]
pub(super) struct LineCard {
    line: LineView,
    goals: Vec<GoalRow>,
    /// Its progress in the period chosen (the current version only).
    progress: Option<LineProgress>,
    /// Its figures were changed by an amendment up to the version shown.
    changed: bool,
    /// It was added by an amendment.
    added_later: bool,
}

#[derive(Serialize)]
pub(super) struct VersionRow {
    number: i32,
    text: String,
    shown: bool,
    current: bool,
}

#[derive(Serialize)]
pub(super) struct PlanPageView {
    lines: Vec<LineCard>,
    /// The plan against reality (the current version of an approved or draft plan).
    progress: Option<Progress>,
    /// The periods to choose from (those that have started), the chosen one marked.
    periods: Vec<PeriodChoice>,
    period_error: Option<String>,
    /// How many lines are behind what is expected by now.
    lines_behind: usize,
    lines_count: usize,
    versions: Vec<VersionRow>,
    showing_old: bool,
    may_edit_lines: bool,
    may_amend: bool,
    plan: PlanView,
}

pub(super) fn goal_values(line: &LineView) -> [Option<i32>; 5] {
    let g = &line.goals;
    [
        g.cohorts,
        g.people_trained,
        g.people_certified,
        g.assistances_closed,
        g.municipalities_reached,
    ]
}

#[derive(Serialize)]
pub(super) struct PeriodChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The year to date, then the semesters, quarters and months of the plan's year that have
/// started, the chosen one marked.
pub(super) fn period_choices(year: i32, chosen: Option<Period>) -> Vec<PeriodChoice> {
    let today = domain::time::today();
    let mut out = vec![PeriodChoice {
        value: String::new(),
        label: "Año a la fecha".to_string(),
        selected: chosen.is_none(),
    }];
    let periods = (1..=2)
        .map(|s| Period::Semester(year, s))
        .chain((1..=4).map(|q| Period::Quarter(year, q)))
        .chain((1..=12).map(|m| Period::Month(year, m)));
    for period in periods.filter(|p| p.first_day() <= today) {
        let mut label = period.label();
        if let Some(first) = label.get(..1) {
            label = first.to_uppercase() + label.get(1..).unwrap_or_default();
        }
        if period.closed_by(today) {
            label.push_str(" (cerrado)");
        }
        out.push(PeriodChoice {
            value: period.key(),
            label,
            selected: chosen == Some(period),
        });
    }
    out
}

pub(super) fn local_date(at: chrono::DateTime<chrono::Utc>) -> String {
    domain::format::date(domain::time::local(at).date_naive())
}

#[get("/planes/<id>?<version>&<periodo>")]
pub(super) async fn plan_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    id: i32,
    version: Option<i32>,
    periodo: Option<&str>,
) -> PageResult {
    let (row, scope) = plans::find_visible(db.inner(), &user, id).await?;
    let view = plans::view(db.inner(), &scope, &row, version).await?;
    // The plan against reality, for its current version: a bad period shows the year to date
    // with the problem beside the choice.
    let (period, period_error) = match plan_progress::period_of(&row, periodo) {
        Ok(period) => (period, None),
        Err(AppError::Validation(errors)) => (None, errors.into_iter().next().map(|e| e.message)),
        Err(other) => return Err(other.into()),
    };
    // Kept per scope for the figures' and the planning's versions (and the kept pages' time
    // to live, as «expected by today» moves with the day): a national plan's lines each read
    // the delivery facts of the whole country.
    let progress = if view.version == view.current_version {
        let key =
            KeptKey::page(format!("/planes/{}", row.id)).with("periodo", period.map(Period::key));
        Some(
            page.kept_value(key, {
                let (db, scope, row) = (db.inner().clone(), scope.clone(), row.clone());
                move || async move { plan_progress::progress(&db, &scope, &row, period).await }
            })
            .await?,
        )
    } else {
        None
    };
    let line_progress = |line_id: i32| {
        progress
            .as_ref()
            .and_then(|p| p.lines.iter().find(|l| l.line_id == Some(line_id)).cloned())
    };
    let manages = user.is_staff() && scope.manages(&row);
    let open = !plans::has_ended(&row);
    let draft = row.status == PlanStatus::Draft;
    let versions = view
        .versions
        .iter()
        .map(|v| VersionRow {
            number: v.number,
            text: match (&v.reason, &view.approval) {
                (Some(reason), _) => format!(
                    "modificada el {}{}: «{reason}»",
                    local_date(v.created_at),
                    v.created_by
                        .as_ref()
                        .map(|p| format!(" por {}", p.full_name))
                        .unwrap_or_default()
                ),
                (None, Some(approval)) => format!(
                    "aprobada con {} (registrada el {})",
                    approval.act,
                    local_date(approval.approved_at)
                ),
                (None, None) => "borrador".to_string(),
            },
            shown: v.number == view.version,
            current: v.number == view.current_version,
        })
        .collect();
    let lines = view
        .lines
        .iter()
        .map(|line| LineCard {
            goals: goal_values(line)
                .into_iter()
                .zip(GOAL_LABELS)
                .filter_map(|(value, label)| value.map(|value| GoalRow { label, value }))
                .collect(),
            changed: line.since_version > 1 && line.since_version != line.added_in_version,
            added_later: line.added_in_version > 1,
            progress: line_progress(line.id),
            line: line.clone(),
        })
        .collect();
    let title = view.name.clone();
    let lines_behind = progress
        .as_ref()
        .map_or(0, |p| p.lines.iter().filter(|l| l.behind).count());
    page.render(
        "plan",
        &title,
        PlanPageView {
            lines,
            periods: period_choices(row.year, period),
            period_error,
            lines_behind,
            progress,
            lines_count: view.lines.len(),
            versions,
            showing_old: view.version < view.current_version,
            may_edit_lines: manages && open && draft,
            may_amend: manages && open && !draft,
            plan: view,
        },
    )
}

/// The plan's «ficha técnica» as a workbook, for the period chosen on its page.
#[get("/planes/<id>/ficha.xlsx?<periodo>")]
pub(super) async fn workbook_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
    periodo: Option<&str>,
) -> AppResult<crate::spreadsheets::download::Download> {
    crate::plans::api::progress_download(db.inner(), &user, id, periodo).await
}
