//! The year's plan pages (issue 47), phone-first: the plans of a year, a new plan, the plan
//! (its lines with goals and budget, its state and act, its versions with their reasons), adding
//! or changing a line of a draft, approving it (a confirmation with the act typed) and amending
//! it (the reason and the lines that change).

use crate::accounts::guards::{CurrentUser, ReportReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{KeptKey, OwnedChoice, Page, PageResult};
use chrono::Datelike;
use domain::entities::values::{BudgetSource, PlanStatus, ProviderKind, Role, TargetRule};
use domain::entities::{capacity, course, plan};
use domain::error::{AppError, FieldError};
use domain::plans::comparison as plan_comparison;
use domain::plans::lifecycle::{self, AmendedLineInput, AmendmentInput, ApprovalInput};
use domain::plans::lines::{self, BudgetInput, GoalsInput, LineInput, TargetsInput};
use domain::plans::progress::{self as plan_progress, LineProgress, Period, Progress};
use domain::plans::{
    self, GOAL_LABELS, LineView, ListFilter, PlanInput, PlanSummary, PlanView, Whole,
};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        plan_page,
        new_line_page,
        add_line_submit,
        edit_line_page,
        edit_line_submit,
        approval_page,
        approve_submit,
        amend_page,
        amend_submit,
        comparison_page,
        workbook_download
    ]
}

// ---- The plans of a year --------------------------------------------------------------------

#[derive(Serialize)]
struct YearLink {
    year: i32,
    current: bool,
}

#[derive(Serialize)]
struct ListView {
    year: i32,
    years: Vec<YearLink>,
    rows: Vec<PlanSummary>,
    may_create: bool,
}

#[get("/planes?<vigencia>")]
async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
    vigencia: Option<i32>,
) -> PageResult {
    let this_year = domain::time::today().year();
    let year = vigencia
        .filter(|y| (domain::parse::MIN_YEAR..=domain::parse::MAX_YEAR).contains(y))
        .unwrap_or(this_year);
    let mut years = plans::years(db.inner(), &user).await?;
    years.extend(plans::open_years());
    years.push(year);
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let filter = ListFilter {
        year: Some(year),
        provider: None,
    };
    let (rows, _) =
        plans::list(db.inner(), &user, &filter, 1, domain::paging::MAX_PER_PAGE).await?;
    page.render(
        "plans",
        &format!("Planes de trabajo {year}"),
        ListView {
            year,
            years: years
                .into_iter()
                .map(|y| YearLink {
                    year: y,
                    current: y == year,
                })
                .collect(),
            rows,
            may_create: user.is_staff(),
        },
    )
}

// ---- A new plan -----------------------------------------------------------------------------

#[derive(Serialize, Default)]
struct NewPlanFields {
    name: String,
}

#[derive(Serialize)]
struct NewPlanView {
    form: NewPlanFields,
    years: Vec<OwnedChoice>,
    /// An admin chooses the provider.
    providers: Option<Vec<OwnedChoice>>,
    provider_name: String,
    /// An admin or ESAP's national coordinator chooses the direction.
    directions: Option<Vec<OwnedChoice>>,
    /// A territorial direction's coordinator writes its direction's plan.
    own_direction: Option<String>,
    department_note: Option<String>,
}

#[derive(FromForm, Default)]
struct NewPlanForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    year: String,
    #[field(default = String::new())]
    provider_id: String,
    #[field(default = String::new())]
    territorial_direction_id: String,
}
csrf_protected!(NewPlanForm);

/// The new-plan page, as it opens or refused with what was typed.
async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    form: &NewPlanForm,
    errors: &[FieldError],
) -> PageResult {
    let provider = domain::providers::get(db, user.provider_id).await?;
    let chosen_year = form.year.trim().parse::<i32>().ok();
    let years = plans::open_years()
        .into_iter()
        .map(|y| (y, y.to_string()))
        .collect();
    let years = OwnedChoice::of_rows(years, chosen_year.or(Some(plans::open_years()[0])));
    let admin = user.role == Role::Admin;
    let providers = if admin {
        let rows = domain::providers::active(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        Some(OwnedChoice::of_rows(
            rows,
            form.provider_id
                .trim()
                .parse()
                .ok()
                .or(Some(domain::providers::ESAP)),
        ))
    } else {
        None
    };
    let own_direction = user
        .direction_departments()
        .and(user.direction.as_ref())
        .map(|d| d.name.clone());
    let directions = if admin || (own_direction.is_none() && !user.is_other_provider()) {
        let chosen = form.territorial_direction_id.trim().parse::<i32>().ok();
        let mut choices = vec![OwnedChoice {
            value: String::new(),
            label: "Plan nacional de la ESAP (sin dirección)".into(),
            selected: chosen.is_none(),
        }];
        choices.extend(OwnedChoice::of_rows(
            domain::territory::directions::list(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
            chosen,
        ));
        Some(choices)
    } else {
        None
    };
    let department_note = (!admin && provider.kind == ProviderKind::Gobernacion).then(|| {
        "El plan de una gobernación es el de su departamento: sus líneas llegan a sus \
         municipios."
            .to_string()
    });
    page.render_form(
        "plan_new",
        "Nuevo plan de trabajo",
        NewPlanView {
            form: NewPlanFields {
                name: form.name.clone(),
            },
            years,
            providers,
            provider_name: provider.name,
            directions,
            own_direction,
            department_note,
        },
        errors,
    )
}

#[get("/planes/nuevo")]
async fn new_page(db: &State<DatabaseConnection>, page: Page<'_>, staff: StaffUser) -> PageResult {
    new_html(db, &page, &staff, &<NewPlanForm as Default>::default(), &[]).await
}

fn optional_id(text: &str) -> Option<i32> {
    text.trim().parse().ok()
}

#[post("/planes", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<NewPlanForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = PlanInput {
        provider_id: optional_id(&form.provider_id),
        territorial_direction_id: optional_id(&form.territorial_direction_id),
        department_code: None,
        year: form.year.trim().parse().ok(),
        name: Some(form.name.clone()),
    };
    let result = domain::db::write(db, async |txn| plans::create(txn, &staff, &input).await).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/planes/{}", view.id)),
                "Plan creado como borrador: agregue sus líneas.",
            )
        },
        async |errors| new_html(db, &page, &staff, &form, &errors).await,
    )
    .await
}

// ---- The plan -------------------------------------------------------------------------------

#[derive(Serialize)]
struct GoalRow {
    label: &'static str,
    value: i32,
}

#[derive(Serialize)]
struct LineCard {
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
struct VersionRow {
    number: i32,
    text: String,
    shown: bool,
    current: bool,
}

#[derive(Serialize)]
struct PlanPageView {
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

fn goal_values(line: &LineView) -> [Option<i32>; 5] {
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
struct PeriodChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The year to date, then the semesters, quarters and months of the plan's year that have
/// started, the chosen one marked.
fn period_choices(year: i32, chosen: Option<Period>) -> Vec<PeriodChoice> {
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

fn local_date(at: chrono::DateTime<chrono::Utc>) -> String {
    domain::format::date(domain::time::local(at).date_naive())
}

#[get("/planes/<id>?<version>&<periodo>")]
async fn plan_page(
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
async fn workbook_download(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
    periodo: Option<&str>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let (row, scope) = plans::find_visible(db.inner(), &user, id).await?;
    let period = plan_progress::period_of(&row, periodo)?;
    let (name, bytes) = domain::plans::workbook::progress_workbook(
        db.inner(),
        &scope,
        &row,
        period,
        &user.full_name,
    )
    .await?;
    Ok(crate::spreadsheets::download::Download::xlsx(&name, bytes))
}

// ---- A line's fields ------------------------------------------------------------------------

/// One line as typed in a form (a new line, a draft's line, or a line of an amendment).
#[derive(FromForm, Default, Clone)]
struct LineForm {
    /// In an amendment: the line changed (empty for a new one).
    #[field(default = String::new())]
    line_id: String,
    /// In an amendment: take the line out.
    #[field(default = false)]
    removed: bool,
    #[field(default = String::new())]
    capacity_id: String,
    #[field(default = String::new())]
    course_id: String,
    #[field(default = String::new())]
    rule: String,
    #[field(default = String::new())]
    municipality_codes: String,
    #[field(default = String::new())]
    goal_cohorts: String,
    #[field(default = String::new())]
    goal_people_trained: String,
    #[field(default = String::new())]
    goal_people_certified: String,
    #[field(default = String::new())]
    goal_assistances_closed: String,
    #[field(default = String::new())]
    goal_municipalities_reached: String,
    #[field(default = String::new())]
    budget_inversion: String,
    #[field(default = String::new())]
    budget_funcionamiento: String,
    #[field(default = String::new())]
    budget_cooperacion: String,
    #[field(default = String::new())]
    budget_sgr: String,
    #[field(default = String::new())]
    budget_propios: String,
}

const GOAL_FIELDS: [&str; 5] = [
    "goal_cohorts",
    "goal_people_trained",
    "goal_people_certified",
    "goal_assistances_closed",
    "goal_municipalities_reached",
];

impl LineForm {
    fn goals(&self) -> [&String; 5] {
        [
            &self.goal_cohorts,
            &self.goal_people_trained,
            &self.goal_people_certified,
            &self.goal_assistances_closed,
            &self.goal_municipalities_reached,
        ]
    }

    fn amount(&self, source: BudgetSource) -> &String {
        match source {
            BudgetSource::Inversion => &self.budget_inversion,
            BudgetSource::Funcionamiento => &self.budget_funcionamiento,
            BudgetSource::Cooperacion => &self.budget_cooperacion,
            BudgetSource::Sgr => &self.budget_sgr,
            BudgetSource::Propios => &self.budget_propios,
        }
    }

    fn amount_mut(&mut self, source: BudgetSource) -> &mut String {
        match source {
            BudgetSource::Inversion => &mut self.budget_inversion,
            BudgetSource::Funcionamiento => &mut self.budget_funcionamiento,
            BudgetSource::Cooperacion => &mut self.budget_cooperacion,
            BudgetSource::Sgr => &mut self.budget_sgr,
            BudgetSource::Propios => &mut self.budget_propios,
        }
    }

    /// Nothing typed (the amendment's empty «new line»).
    fn is_blank(&self) -> bool {
        [
            &self.capacity_id,
            &self.course_id,
            &self.rule,
            &self.municipality_codes,
        ]
        .into_iter()
        .chain(self.goals())
        .chain(BudgetSource::ALL.into_iter().map(|s| self.amount(s)))
        .all(|text| text.trim().is_empty())
    }

    /// The line as it stands, for a form that changes it.
    fn of(line: &LineView) -> Self {
        let number = |n: Option<i32>| {
            n.map(|n| domain::format::thousands(n.into()))
                .unwrap_or_default()
        };
        let [c, t, ce, a, m] = goal_values(line);
        let mut form = LineForm {
            line_id: line.id.to_string(),
            capacity_id: line.capacity.id.to_string(),
            course_id: line
                .course
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            rule: line
                .targets
                .rule
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            municipality_codes: line.targets.municipality_codes.join(", "),
            goal_cohorts: number(c),
            goal_people_trained: number(t),
            goal_people_certified: number(ce),
            goal_assistances_closed: number(a),
            goal_municipalities_reached: number(m),
            ..Default::default()
        };
        for item in &line.budget {
            *form.amount_mut(item.source) = domain::format::thousands(item.amount);
        }
        form
    }

    /// The domain's input (every field: a form states the whole line — every goal and every
    /// source named, an empty box as `null`), and the sources of its budget items in the order
    /// sent (to put a problem of `budget[i]` beside its field).
    fn input(&self) -> (LineInput, Vec<BudgetSource>) {
        let sources: Vec<BudgetSource> = BudgetSource::ALL.into_iter().collect();
        let input = LineInput {
            capacity_id: self.capacity_id.trim().parse().ok(),
            course_id: Some(self.course_id.trim().parse().ok()),
            targets: Some(TargetsInput {
                municipality_codes: Some(
                    self.municipality_codes
                        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect(),
                ),
                rule: Some(self.rule.clone()),
                ..Default::default()
            }),
            goals: Some(GoalsInput {
                cohorts: Some(Whole::typed(&self.goal_cohorts)),
                people_trained: Some(Whole::typed(&self.goal_people_trained)),
                people_certified: Some(Whole::typed(&self.goal_people_certified)),
                assistances_closed: Some(Whole::typed(&self.goal_assistances_closed)),
                municipalities_reached: Some(Whole::typed(&self.goal_municipalities_reached)),
                ..Default::default()
            }),
            budget: Some(
                sources
                    .iter()
                    .map(|s| BudgetInput {
                        source: Some(s.as_str().to_string()),
                        amount: Some(Whole::typed(self.amount(*s))),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        (input, sources)
    }
}

/// A domain field of a line (`goals.cohorts`, `budget[1].amount`, `targets.rule`) as the
/// page's field (`goal_cohorts`, `budget_cooperacion`, `rule`).
fn page_field(field: &str, sources: &[BudgetSource]) -> String {
    if let Some(goal) = field.strip_prefix("goals.") {
        return format!("goal_{goal}");
    }
    if let Some(rest) = field.strip_prefix("budget[")
        && let Some((index, _)) = rest.split_once(']')
    {
        return match index.parse::<usize>().ok().and_then(|i| sources.get(i)) {
            Some(source) => format!("budget_{}", source.as_str()),
            None => "budget".to_string(),
        };
    }
    match field {
        "targets.rule" => "rule".into(),
        "targets.municipality_codes" | "targets" => "municipality_codes".into(),
        other => other.to_string(),
    }
}

#[derive(Serialize)]
struct NamedValue {
    name: String,
    label: &'static str,
    value: String,
}

/// The fields of one line for the `plan_line_fields` partial.
#[derive(Serialize)]
struct LineFields {
    prefix: String,
    input_prefix: String,
    key: String,
    capacities: Vec<OwnedChoice>,
    courses: Vec<OwnedChoice>,
    rules: Vec<OwnedChoice>,
    municipality_codes: String,
    goals: Vec<NamedValue>,
    budget: Vec<NamedValue>,
}

/// What the line forms choose from: the active capacities and the plan provider's courses.
struct Catalogue {
    capacities: Vec<(i32, String)>,
    courses: Vec<(i32, String)>,
}

impl Catalogue {
    async fn load(db: &DatabaseConnection, row: &plan::Model) -> AppResult<Self> {
        let capacities = capacity::Entity::find()
            .order_by_asc(capacity::Column::SortOrder)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let courses = course::Entity::find()
            .filter(course::Column::ProviderId.eq(row.provider_id))
            .filter(course::Column::RetiredAt.is_null())
            .order_by_asc(course::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, format!("{} ({})", c.name, c.code)))
            .collect();
        Ok(Catalogue {
            capacities,
            courses,
        })
    }

    /// The fields of `form`, its problems named after `prefix`, its inputs after
    /// `input_prefix`.
    fn fields(&self, form: &LineForm, prefix: &str, input_prefix: &str) -> LineFields {
        let with_empty = |label: &str, rows: &[(i32, String)], chosen: &str| {
            let chosen = chosen.trim().parse::<i32>().ok();
            let mut choices = vec![OwnedChoice {
                value: String::new(),
                label: label.to_string(),
                selected: chosen.is_none(),
            }];
            choices.extend(OwnedChoice::of_rows(rows.to_vec(), chosen));
            choices
        };
        let mut rules = vec![OwnedChoice {
            value: String::new(),
            label: "Ninguna: los municipios que escriba abajo".into(),
            selected: form.rule.trim().is_empty(),
        }];
        rules.extend(
            [
                TargetRule::Pdet,
                TargetRule::Categories56,
                TargetRule::Priorities,
            ]
            .into_iter()
            .map(|r| OwnedChoice {
                value: r.as_str().to_string(),
                label: match r {
                    TargetRule::Pdet => "Los municipios PDET del territorio del plan",
                    TargetRule::Categories56 => {
                        "Los municipios de categorías 5 y 6 del territorio del plan"
                    }
                    TargetRule::Priorities => {
                        "La selección de «¿Dónde formar?» del día, en el territorio del plan"
                    }
                }
                .to_string(),
                selected: form.rule.trim() == r.as_str(),
            }),
        );
        let key = match prefix {
            "" => "l-".to_string(),
            prefix => prefix.replace(['.', '[', ']'], "-"),
        };
        LineFields {
            prefix: prefix.to_string(),
            input_prefix: input_prefix.to_string(),
            key,
            capacities: with_empty("Elija una capacidad", &self.capacities, &form.capacity_id),
            courses: with_empty("Sin curso", &self.courses, &form.course_id),
            rules,
            municipality_codes: form.municipality_codes.clone(),
            goals: GOAL_FIELDS
                .iter()
                .zip(GOAL_LABELS)
                .zip(form.goals())
                .map(|((name, label), value)| NamedValue {
                    name: name.to_string(),
                    label,
                    value: value.clone(),
                })
                .collect(),
            budget: BudgetSource::ALL
                .into_iter()
                .map(|s| NamedValue {
                    name: format!("budget_{}", s.as_str()),
                    label: s.label(),
                    value: form.amount(s).clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct LinePageView {
    plan_id: i32,
    plan_name: String,
    heading: String,
    action: String,
    button: &'static str,
    fields: LineFields,
}

/// Where a form for the lines of plan `row` leads instead, when the plan is not an open draft:
/// an approved plan is amended; a plan whose year ended changes no more (409).
fn not_a_draft(row: &plan::Model) -> AppResult<Option<Redirect>> {
    if plans::has_ended(row) {
        return Err(AppError::Conflict(format!(
            "La vigencia {} terminó: el plan ya no cambia.",
            row.year
        ))
        .into());
    }
    Ok((row.status != PlanStatus::Draft)
        .then(|| Redirect::to(format!("/planes/{}/modificar", row.id))))
}

/// The page of a new line, or of a draft's line (`line`), as it opens or refused.
async fn line_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    row: &plan::Model,
    line: Option<i32>,
    form: &LineForm,
    errors: &[FieldError],
) -> PageResult {
    let catalogue = Catalogue::load(db, row).await?;
    let (heading, action, button) = match line {
        None => (
            "Nueva línea del plan".to_string(),
            format!("/planes/{}/lineas", row.id),
            "Agregar la línea",
        ),
        Some(id) => (
            "Cambiar la línea".to_string(),
            format!("/planes/{}/lineas/{id}", row.id),
            "Guardar la línea",
        ),
    };
    page.render_form(
        "plan_line",
        &heading,
        LinePageView {
            plan_id: row.id,
            plan_name: row.name.clone(),
            heading: heading.clone(),
            action,
            button,
            fields: catalogue.fields(form, "", "line."),
        },
        errors,
    )
}

#[get("/planes/<id>/lineas/nueva")]
async fn new_line_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    if let Some(elsewhere) = not_a_draft(&row)? {
        return Ok(Either::Right(elsewhere));
    }
    line_html(
        db,
        &page,
        &row,
        None,
        &<LineForm as Default>::default(),
        &[],
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm)]
struct LineSubmission {
    #[field(default = String::new())]
    csrf_token: String,
    line: LineForm,
}
csrf_protected!(LineSubmission);

/// The answer to a line's form: back to the plan, or the form again with each problem beside
/// its field.
async fn line_answer<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    (id, line): (i32, Option<i32>),
    result: domain::error::AppResult<T>,
    (form, sources): (&LineForm, &[BudgetSource]),
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                match line {
                    None => "Línea agregada al plan.",
                    Some(_) => "Línea guardada.",
                },
            )
        },
        async |errors| {
            let row = plans::find_managed(db, user, id).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    e.field = page_field(&e.field, sources);
                    e
                })
                .collect();
            line_html(db, page, &row, line, form, &errors).await
        },
    )
    .await
}

#[post("/planes/<id>/lineas", data = "<form>")]
async fn add_line_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<LineSubmission>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0.line;
    let (input, sources) = form.input();
    let result = domain::db::write(db, async |txn| lines::add(txn, &staff, id, &input).await).await;
    line_answer(db, &page, &staff, (id, None), result, (&form, &sources)).await
}

#[get("/planes/<id>/lineas/<line>/editar")]
async fn edit_line_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    line: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    let view = lines::line_view(db.inner(), &staff, &row, line).await?;
    if let Some(elsewhere) = not_a_draft(&row)? {
        return Ok(Either::Right(elsewhere));
    }
    line_html(db, &page, &row, Some(line), &LineForm::of(&view), &[])
        .await
        .map(Either::Left)
}

#[post("/planes/<id>/lineas/<line>", data = "<form>")]
async fn edit_line_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    line: i32,
    form: CsrfForm<LineSubmission>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0.line;
    let (input, sources) = form.input();
    let result = domain::db::write(db, async |txn| {
        lines::edit(txn, &staff, id, line, &input).await
    })
    .await;
    line_answer(
        db,
        &page,
        &staff,
        (id, Some(line)),
        result,
        (&form, &sources),
    )
    .await
}

// ---- Approval -------------------------------------------------------------------------------

/// What approving does, said before (the house's confirmation), with the act to type.
async fn approval_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    id: i32,
    typed_act: &str,
    errors: &[FieldError],
) -> PageResult {
    let facts = lifecycle::approval_facts(db, staff, id).await?;
    let plan = &facts.plan;
    let lines: Vec<String> = plan
        .lines
        .iter()
        .map(|l| {
            format!(
                "Línea {} · {} · {} · {}",
                l.position,
                l.capacity.name,
                l.targets_label,
                domain::format::pesos(l.budget_total)
            )
        })
        .collect();
    let confirmation = Confirmation::new(
        format!("¿Aprobar el plan «{}»?", plan.name),
        format!("/planes/{id}/aprobacion"),
        "Sí, aprobar el plan",
        format!("/planes/{id}"),
    )
    .restoring()
    .refused(facts.refused.clone())
    .list(
        format!(
            "Queda aprobado el plan de {} — {}, vigencia {} — con {} y un presupuesto de {}:",
            plan.provider.name,
            plan.territory_label,
            plan.year,
            domain::format::plural(plan.lines.len() as i64, "línea", "líneas"),
            domain::format::pesos(plan.budget.total)
        ),
        lines,
    )
    .fact(
        "Sus cifras quedan como la versión 1 y ya no se editan: cualquier cambio será una \
         modificación con su motivo, que crea una nueva versión y conserva esta.",
    )
    .fact(format!(
        "Queda registrado que {} registró la aprobación hoy, con el acto que escriba.",
        staff.full_name
    ))
    .ask(
        "act",
        "Acto que aprueba el plan (resolución o acta del comité, con su número y fecha)",
        true,
        typed_act,
    );
    if errors.is_empty() {
        confirmation.render(page, "Aprobar el plan")
    } else {
        confirmation.render_refused(page, "Aprobar el plan", errors)
    }
}

#[get("/planes/<id>/aprobar")]
async fn approval_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult {
    approval_confirmation(db, &page, &staff, id, "", &[]).await
}

#[derive(FromForm)]
struct ApprovalForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    act: String,
    /// Sent by the confirmation page: approving acts only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(ApprovalForm);

#[post("/planes/<id>/aprobacion", data = "<form>")]
async fn approve_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ApprovalForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.confirmed {
        return approval_confirmation(db, &page, &staff, id, &form.act, &[])
            .await
            .map(Either::Right);
    }
    let input = ApprovalInput {
        act: Some(form.act.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        lifecycle::approve(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                "Plan aprobado: sus cifras quedan como la versión 1.",
            )
        },
        async |errors| approval_confirmation(db, &page, &staff, id, &form.act, &errors).await,
    )
    .await
    .map(Either::Left)
}

// ---- Amendments -----------------------------------------------------------------------------

#[derive(Serialize)]
struct AmendLine {
    id: i32,
    position: i32,
    title: String,
    removed: bool,
    open: bool,
    fields: LineFields,
}

#[derive(Serialize)]
struct AmendView {
    plan: PlanView,
    next_version: i32,
    reason: String,
    lines: Vec<AmendLine>,
    new_line: LineFields,
    new_line_open: bool,
}

#[derive(FromForm)]
struct AmendForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = Vec::new())]
    lines: Vec<LineForm>,
}
csrf_protected!(AmendForm);

/// The amendment page: every line of the current version as it stands (or as typed), and an
/// empty new line; refused, each problem beside its line's field.
async fn amend_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    row: &plan::Model,
    typed: Option<&AmendForm>,
    errors: &[FieldError],
) -> PageResult {
    let scope = plans::PlanScope::of(db, user).await?;
    let view = plans::view(db, &scope, row, None).await?;
    let catalogue = Catalogue::load(db, row).await?;
    let has_problem = |prefix: &str| errors.iter().any(|e| e.field.starts_with(prefix));
    let count = view.lines.len();
    let lines = view
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = format!("l{}.", line.id);
            let form = typed
                .and_then(|t| {
                    t.lines
                        .iter()
                        .find(|l| l.line_id.trim() == line.id.to_string())
                })
                .cloned()
                .unwrap_or_else(|| LineForm::of(line));
            AmendLine {
                id: line.id,
                position: line.position,
                title: format!(
                    "{} · {}",
                    line.capacity.name,
                    domain::format::pesos(line.budget_total)
                ),
                removed: form.removed,
                open: has_problem(&prefix),
                fields: catalogue.fields(&form, &prefix, &format!("lines[{i}].")),
            }
        })
        .collect();
    let new_form = typed
        .and_then(|t| t.lines.iter().find(|l| l.line_id.trim().is_empty()))
        .cloned()
        .unwrap_or_default();
    let new_line_open = !new_form.is_blank();
    let next_version = view.current_version + 1;
    page.render_form(
        "plan_amend",
        "Modificar el plan",
        AmendView {
            new_line: catalogue.fields(&new_form, "nueva.", &format!("lines[{count}].")),
            new_line_open,
            reason: typed.map(|t| t.reason.clone()).unwrap_or_default(),
            lines,
            next_version,
            plan: view,
        },
        errors,
    )
}

#[get("/planes/<id>/modificar")]
async fn amend_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    if plans::has_ended(&row) {
        return Err(AppError::Conflict(format!(
            "La vigencia {} terminó: el plan ya no cambia.",
            row.year
        ))
        .into());
    }
    if row.status == PlanStatus::Draft {
        // A draft's lines are changed directly.
        return Ok(Either::Right(Redirect::to(format!("/planes/{id}"))));
    }
    amend_html(db, &page, &staff, &row, None, &[])
        .await
        .map(Either::Left)
}

#[post("/planes/<id>/modificaciones", data = "<form>")]
async fn amend_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<AmendForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    // Each line sent, the prefix its problems are shown under, and its budget's sources.
    let mut items = Vec::new();
    let mut shown_as: Vec<(String, Vec<BudgetSource>)> = Vec::new();
    for line in &form.lines {
        let line_id = line.line_id.trim().parse::<i32>().ok();
        if line_id.is_none() && line.is_blank() {
            continue;
        }
        let (input, sources) = line.input();
        let removed = line_id.is_some() && line.removed;
        items.push(AmendedLineInput {
            line_id,
            removed: Some(removed),
            capacity_id: input.capacity_id,
            course_id: input.course_id,
            targets: input.targets,
            goals: input.goals,
            budget: input.budget,
            ..Default::default()
        });
        shown_as.push((
            line_id.map_or_else(|| "nueva.".to_string(), |id| format!("l{id}.")),
            sources,
        ));
    }
    let input = AmendmentInput {
        reason: Some(form.reason.clone()),
        lines: Some(items),
        ..Default::default()
    };
    let result = domain::db::write(db, async |txn| {
        lifecycle::amend(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                format!(
                    "Modificación guardada: el plan está en su versión {}.",
                    view.current_version
                ),
            )
        },
        async |errors| {
            let row = plans::find_managed(db.inner(), &staff, id).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    if let Some(rest) = e.field.strip_prefix("lines[")
                        && let Some((index, field)) = rest.split_once("].")
                        && let Some((prefix, sources)) =
                            index.parse::<usize>().ok().and_then(|i| shown_as.get(i))
                    {
                        e.field = match field {
                            "line_id" | "removed" => format!("{prefix}line"),
                            field => format!("{prefix}{}", page_field(field, sources)),
                        };
                    }
                    e
                })
                .collect();
            amend_html(db, &page, &staff, &row, Some(&form), &errors).await
        },
    )
    .await
}

// ---- Directions and providers compared ------------------------------------------------------

/// One figure of a row as people read it: «66,7 %», «2 de 3», and whether it is a small group.
#[derive(Serialize)]
struct FigureCell {
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
struct ComparisonRowView {
    name: String,
    plans: String,
    cells: Vec<FigureCell>,
}

#[derive(Serialize)]
struct ComparisonView {
    year: String,
    directions: Vec<ComparisonRowView>,
    providers: Vec<ComparisonRowView>,
    min_group: i64,
}

fn comparison_row(row: &plan_comparison::Row) -> ComparisonRowView {
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
async fn comparison_page(
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
async fn comparison_view(
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
