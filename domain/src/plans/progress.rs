//! The plan against reality (issue 47): per line and for the plan, each goal's progress —
//! achieved from the year's start to the end of the period, achieved within the period, what a
//! straight line through the year expects by then, the gap — the budget's execution and the
//! cost per person certified, per assistance closed and per municipality reached.
//!
//! Read only from maintained figures: the delivery facts (`figures::delivery`) and the cohort
//! figures behind a cost item's units; no raw enrolment or certificate is counted here.
//!
//! A line counts what its plan's provider delivered in the plan's year on the line's capacity
//! (its cohorts of the line's course, when it names one; its assistances on the capacity
//! either way), in the line's municipalities: those it lists, else those
//! of its rule within the plan's territory, else the plan's whole territory (national, the
//! direction's departments, the gobernación's department). A «¿Dónde formar?» line counts the
//! whole territory: the selection changes every day, and what was delivered where it was
//! chosen must not leave the balance when the ranking moves (see `docs/DECISIONS.md`).
//!
//! Periods: a month (`2026-06`), a quarter (`2026-Q2`), a semester (`2026-S1`), or none (the
//! year to date). A period that has ended is frozen ([`balance`]): the first reading after it
//! closes — or the nightly job — stores its figures in `plan_balances`, and from then on they
//! are answered as stored, whatever is written later.

use super::{LineRows, PlanScope};
use crate::entities::values::{CostStage, DeliverySource, PlanStatus, TargetRule};
use crate::entities::{cost_item, delivery_fact, municipality, plan, plan_balance};
use crate::error::{AppError, AppResult, FieldError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A line is behind when a goal's achievement is below this share of what a straight line
/// through the year expects by then (90 %): a week's delay is not an alarm.
const BEHIND_BELOW_PERCENT: i64 = 90;

/// A follow-up period of a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Month(i32, u32),
    Quarter(i32, u32),
    Semester(i32, u32),
}

impl Period {
    /// `2026-06`, `2026-Q2`, `2026-S1`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Period> {
        let (year, rest) = text.trim().split_once('-')?;
        if year.len() != 4 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        if !(2000..=2100).contains(&year) {
            return None;
        }
        let number = |digits: &str, max: u32| -> Option<u32> {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok().filter(|n| (1..=max).contains(n))
        };
        if let Some(q) = rest.strip_prefix('Q') {
            return number(q, 4).map(|q| Period::Quarter(year, q));
        }
        if let Some(s) = rest.strip_prefix('S') {
            return number(s, 2).map(|s| Period::Semester(year, s));
        }
        if rest.len() == 2 {
            return number(rest, 12).map(|m| Period::Month(year, m));
        }
        None
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Month(y, _) | Period::Quarter(y, _) | Period::Semester(y, _) => y,
        }
    }

    /// The first and last months.
    fn months(self) -> (u32, u32) {
        match self {
            Period::Month(_, m) => (m, m),
            Period::Quarter(_, q) => (3 * q - 2, 3 * q),
            Period::Semester(_, s) => (6 * s - 5, 6 * s),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        let (first, _) = self.months();
        NaiveDate::from_ymd_opt(self.year(), first, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        let (_, last) = self.months();
        let next = if last == 12 {
            NaiveDate::from_ymd_opt(self.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year(), last + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// `2026-06`, `2026-Q2`, `2026-S1`.
    pub fn key(self) -> String {
        match self {
            Period::Month(y, m) => format!("{y}-{m:02}"),
            Period::Quarter(y, q) => format!("{y}-Q{q}"),
            Period::Semester(y, s) => format!("{y}-S{s}"),
        }
    }

    /// «junio de 2026», «segundo trimestre de 2026», «primer semestre de 2026».
    pub fn label(self) -> String {
        const ORDINALS: [&str; 4] = ["primer", "segundo", "tercer", "cuarto"];
        match self {
            Period::Month(y, _) => {
                format!("{} de {y}", crate::format::month_name(self.first_day()))
            }
            Period::Quarter(y, q) => {
                format!("{} trimestre de {y}", ORDINALS[(q - 1) as usize])
            }
            Period::Semester(y, s) => {
                format!("{} semestre de {y}", ORDINALS[(s - 1) as usize])
            }
        }
    }

    /// Whether the period has ended by `today`.
    pub fn closed_by(self, today: NaiveDate) -> bool {
        self.last_day() < today
    }

    /// Every month, quarter and semester of `year` that has ended by `today`.
    pub fn closed_in(year: i32, today: NaiveDate) -> Vec<Period> {
        let mut out = Vec::new();
        out.extend((1..=12).map(|m| Period::Month(year, m)));
        out.extend((1..=4).map(|q| Period::Quarter(year, q)));
        out.extend((1..=2).map(|s| Period::Semester(year, s)));
        out.retain(|p| p.closed_by(today));
        out
    }
}

/// `period` as the API and the pages take it: empty is the year to date; anything else must
/// be a month, quarter or semester of the plan's year (422 in Spanish otherwise).
pub fn period_of(row: &plan::Model, text: Option<&str>) -> AppResult<Option<Period>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let refuse = |message: String| {
        Err(AppError::Validation(vec![FieldError::new(
            "period", message,
        )]))
    };
    match Period::parse(text) {
        None => refuse(format!(
            "El periodo se escribe {y}-06 (un mes), {y}-Q2 (un trimestre) o {y}-S1 (un semestre).",
            y = row.year
        )),
        Some(p) if p.year() != row.year => refuse(format!(
            "El plan es de la vigencia {}: el periodo debe ser de ese año.",
            row.year
        )),
        Some(p) => Ok(Some(p)),
    }
}

/// One goal's progress.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = PlanGoalProgress)]
pub struct GoalProgress {
    /// `cohorts`, `people_trained`, `people_certified`, `assistances_closed`,
    /// `municipalities_reached`.
    pub goal: String,
    pub label: String,
    /// The year's goal.
    pub target: i64,
    /// From the year's start to the end of the period (or today).
    pub achieved: i64,
    /// Within the period alone (the year to date when no period is asked).
    pub achieved_in_period: i64,
    /// What a straight line from 1 January to 31 December expects by the end of the period
    /// (or today), rounded down.
    pub expected_to_date: i64,
    /// `achieved − expected_to_date` (negative: behind).
    pub gap: i64,
    /// How many are missing to reach what is expected (0 when at or above it).
    pub shortfall: i64,
    pub behind: bool,
    /// The baseline («línea base»): what the same provider achieved on the line's capacity,
    /// course and territory in the whole previous year, from the same figures (none in
    /// balances frozen before it was added).
    #[serde(default)]
    pub baseline: Option<i64>,
}

/// The budget and its execution, in whole pesos.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = PlanBudgetExecution)]
pub struct BudgetExecution {
    /// The budget the plan assigns (every source).
    pub planned: i64,
    /// Cost items committed or executed by the end of the period.
    pub committed: i64,
    /// Cost items executed (paid) by the end of the period.
    pub executed: i64,
    /// Cost items still estimates (stage «planeado»), not counted as execution.
    pub estimated: i64,
}

/// A line's, or the whole plan's, progress.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = PlanLineProgress)]
pub struct LineProgress {
    /// The line (none for the plan's totals).
    pub line_id: Option<i32>,
    pub position: Option<i32>,
    /// «Planeación territorial», or «Todo el plan».
    pub title: String,
    pub goals: Vec<GoalProgress>,
    pub budget: BudgetExecution,
    pub cost_per_person_certified: Option<i64>,
    pub cost_per_assistance_closed: Option<i64>,
    pub cost_per_municipality_reached: Option<i64>,
    pub behind: bool,
}

/// The plan against reality for a period.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = PlanProgress)]
pub struct Progress {
    pub plan_id: i32,
    pub year: i32,
    /// The plan version whose goals are used.
    pub version: i32,
    /// `2026-06`, `2026-Q2`, `2026-S1`; none: the year to date.
    pub period: Option<String>,
    /// «junio de 2026», «año a la fecha».
    pub period_label: String,
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// Whether the period has ended: its figures are frozen.
    pub closed: bool,
    /// When a closed period's figures were frozen.
    pub frozen_at: Option<DateTime<Utc>>,
    pub lines: Vec<LineProgress>,
    pub total: LineProgress,
}

/// What a line counts, summed from the delivery facts.
#[derive(Clone, Copy, Debug, Default)]
struct Achieved {
    cohorts: i64,
    trained: i64,
    certified: i64,
    closed: i64,
    municipalities: i64,
}

/// The facts of one line in `years`: provider, capacity, course, municipalities.
fn line_condition(
    row: &plan::Model,
    line: &LineRows,
    departments: Option<&[String]>,
    years: &[i32],
) -> Condition {
    let mut condition = Condition::all()
        .add(delivery_fact::Column::ProviderId.eq(row.provider_id))
        .add(delivery_fact::Column::Year.is_in(years.iter().copied()))
        .add(delivery_fact::Column::CapacityId.eq(line.figures.capacity_id));
    // A course narrows the line's cohorts; its assistances (which have no course) still count.
    if let Some(course) = line.figures.course_id {
        condition = condition.add(
            Condition::any()
                .add(delivery_fact::Column::Source.eq(DeliverySource::Assistance))
                .add(delivery_fact::Column::CourseId.eq(course)),
        );
    }
    if !line.municipalities.is_empty() {
        return condition.add(
            delivery_fact::Column::MunicipalityCode.is_in(line.municipalities.iter().cloned()),
        );
    }
    if let Some(departments) = departments {
        condition =
            condition.add(delivery_fact::Column::DepartmentCode.is_in(departments.iter().cloned()));
    }
    let meeting = |rule: Condition| {
        delivery_fact::Column::MunicipalityCode.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(municipality::Column::Code)
                .from(municipality::Entity)
                .cond_where(rule)
                .to_owned(),
        )
    };
    match line.figures.target_rule {
        Some(TargetRule::Pdet) => condition.add(meeting(
            Condition::all().add(municipality::Column::PdetSubregionId.is_not_null()),
        )),
        Some(TargetRule::Categories56) => condition.add(meeting(
            Condition::all().add(municipality::Column::Category.is_in(["5", "6"])),
        )),
        Some(TargetRule::Priorities) | None => condition,
    }
}

/// The names of [`Achieved`]'s five figures as [`sums`] reads them (after a stretch's prefix).
const FIGURES: [&str; 5] = [
    "cohorts",
    "trained",
    "certified",
    "closed",
    "municipalities",
];

/// [`FIGURES`] over the facts where `inner` holds, as SQL aggregates.
fn sums(inner: &str) -> [String; 5] {
    let cohort = DeliverySource::Cohort.as_str();
    [
        format!(
            "COUNT(DISTINCT CASE WHEN {inner} AND source = '{cohort}' AND trained > 0 THEN source_id END)"
        ),
        format!("SUM(CASE WHEN {inner} THEN trained ELSE 0 END)"),
        format!("SUM(CASE WHEN {inner} THEN certified ELSE 0 END)"),
        format!("SUM(CASE WHEN {inner} THEN closed_reached ELSE 0 END)"),
        // A gobernación's facts are kept at its department: no municipality reached.
        format!(
            "COUNT(DISTINCT CASE WHEN {inner} AND trained + certified + closed_reached > 0 \
             AND municipality_code <> department_code THEN municipality_code END)"
        ),
    ]
}

/// The stretch of the year to date: `year` up to the end of `until`'s month.
fn year_to(year: i32, until: NaiveDate) -> String {
    let until = crate::figures::delivery::month_of(until);
    format!("year = {year} AND month <= {until}")
}

/// A line's five figures over one stretch of [`achieved`], as read (`None`: no fact at all).
#[derive(Default, FromQueryResult)]
struct Stretch {
    cohorts: Option<i64>,
    trained: Option<i64>,
    certified: Option<i64>,
    closed: Option<i64>,
    municipalities: Option<i64>,
}

impl From<Stretch> for Achieved {
    fn from(s: Stretch) -> Self {
        let n = |v: Option<i64>| v.unwrap_or(0);
        Achieved {
            cohorts: n(s.cohorts),
            trained: n(s.trained),
            certified: n(s.certified),
            closed: n(s.closed),
            municipalities: n(s.municipalities),
        }
    }
}

/// The three stretches of [`achieved`], read in one statement.
#[derive(Default)]
struct Stretches {
    all: Stretch,
    in_period: Stretch,
    year_before: Stretch,
}

impl FromQueryResult for Stretches {
    fn from_query_result(row: &sea_orm::QueryResult, _: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Stretches {
            all: Stretch::from_query_result(row, "a_")?,
            in_period: Stretch::from_query_result(row, "p_")?,
            year_before: Stretch::from_query_result(row, "b_")?,
        })
    }
}

/// What a line achieved in its plan's year up to `until`, within `[from, until]`, and in the
/// whole year before (the line's baseline), in one statement (issue 69: it was two per line).
/// `condition` is [`line_condition`] of the plan's year and the year before.
async fn achieved<C: ConnectionTrait>(
    db: &C,
    condition: Condition,
    year: i32,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<(Achieved, Achieved, Achieved)> {
    let from = crate::figures::delivery::month_of(from);
    let stretches = [
        ("a_", year_to(year, until)),
        (
            "p_",
            format!(
                "year = {year} AND month >= {from} AND month <= {}",
                crate::figures::delivery::month_of(until)
            ),
        ),
        ("b_", format!("year = {}", year - 1)),
    ];
    let mut query = delivery_fact::Entity::find()
        .select_only()
        .filter(condition);
    for (prefix, inner) in &stretches {
        for (name, expr) in FIGURES.iter().zip(sums(inner)) {
            query = query.column_as(Expr::cust(expr), format!("{prefix}{name}"));
        }
    }
    let found: Option<Stretches> = query.into_model().one(db).await?;
    let found = found.unwrap_or_default();
    Ok((
        found.all.into(),
        found.in_period.into(),
        found.year_before.into(),
    ))
}

/// One line's year to date, read beside the others' by [`year_to_date_of_lines`].
struct LineStretch {
    line: i32,
    all: Stretch,
}

impl FromQueryResult for LineStretch {
    fn from_query_result(row: &sea_orm::QueryResult, _: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(LineStretch {
            line: row.try_get("", "line")?,
            all: Stretch::from_query_result(row, "a_")?,
        })
    }
}

/// How many lines one statement of [`year_to_date_of_lines`] reads (SQLite joins at most 500
/// selects in one compound statement) …
const LINES_PER_STATEMENT: usize = 200;

/// … and how many values it binds at most (SQLite takes 32,766, PostgreSQL 65,535; a line
/// lists up to every municipality of its territory).
const VALUES_PER_STATEMENT: usize = 10_000;

/// A line to read in [`year_to_date_of_lines`]: its id, its [`line_condition`] of `year`, and
/// how many values that condition binds (its municipalities and departments).
struct LineRead {
    line: i32,
    condition: Condition,
    values: usize,
}

/// What each line achieved in `year` up to the end of `until`'s month — the `a_` stretch of
/// [`achieved`] — every line in one statement (a `UNION ALL` of one aggregate per line; issue
/// 69: it was a statement per line, with the period and the year before read beside it), or a
/// few when there are more than [`LINES_PER_STATEMENT`] lines or [`VALUES_PER_STATEMENT`]
/// values.
async fn year_to_date_of_lines<C: ConnectionTrait>(
    db: &C,
    lines: Vec<LineRead>,
    year: i32,
    until: NaiveDate,
) -> AppResult<HashMap<i32, Achieved>> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::UnionType;
    let inner = year_to(year, until);
    let last_month = crate::figures::delivery::month_of(until);
    let mut out = HashMap::new();
    for chunk in in_statements(lines) {
        let mut selects = chunk.into_iter().map(
            |LineRead {
                 line, condition, ..
             }| {
                let mut query = delivery_fact::Entity::find()
                    .select_only()
                    .column_as(Expr::val(line), "line")
                    .filter(condition)
                    .filter(delivery_fact::Column::Month.lte(last_month));
                for (name, expr) in FIGURES.iter().zip(sums(&inner)) {
                    query = query.column_as(Expr::cust(expr), format!("a_{name}"));
                }
                query.into_query()
            },
        );
        let Some(mut statement) = selects.next() else {
            continue;
        };
        for select in selects {
            statement.union(UnionType::All, select);
        }
        let statement = db.get_database_backend().build(&statement);
        for found in LineStretch::find_by_statement(statement).all(db).await? {
            out.insert(found.line, found.all.into());
        }
    }
    Ok(out)
}

/// `lines` in groups of at most [`LINES_PER_STATEMENT`] lines and [`VALUES_PER_STATEMENT`]
/// values (a line binding more goes alone), in their order: one statement each.
fn in_statements(lines: Vec<LineRead>) -> Vec<Vec<LineRead>> {
    let mut chunks: Vec<Vec<LineRead>> = Vec::new();
    let mut values = 0;
    for line in lines {
        let fits = chunks.last().is_some_and(|chunk| {
            chunk.len() < LINES_PER_STATEMENT && values + line.values <= VALUES_PER_STATEMENT
        });
        if !fits {
            chunks.push(Vec::new());
            values = 0;
        }
        values += line.values;
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(line);
        }
    }
    chunks
}

impl Achieved {
    /// The figure a goal (`cohorts`, `people_trained`, …) counts.
    fn of(&self, goal: &str) -> i64 {
        match goal {
            "cohorts" => self.cohorts,
            "people_trained" => self.trained,
            "people_certified" => self.certified,
            "assistances_closed" => self.closed,
            _ => self.municipalities,
        }
    }
}

/// The cost items of these lines by the end of `until`, as (line, stage) → value in pesos.
async fn costs<C: ConnectionTrait>(
    db: &C,
    lines: &[i32],
    until: NaiveDate,
) -> AppResult<HashMap<(i32, CostStage), i64>> {
    let mut out = HashMap::new();
    if lines.is_empty() {
        return Ok(out);
    }
    let items = cost_item::Entity::find()
        .filter(cost_item::Column::PlanLineId.is_in(lines.to_vec()))
        .filter(cost_item::Column::IncurredOn.lte(until))
        .all(db)
        .await?;
    let values = crate::costs::values(db, &items).await?;
    for item in &items {
        if let Some(line) = item.plan_line_id {
            *out.entry((line, item.stage)).or_insert(0) +=
                values.get(&item.id).copied().unwrap_or(0);
        }
    }
    Ok(out)
}

/// Days of `year` elapsed by the end of `day` (0 before it starts, the whole year after).
fn elapsed(year: i32, day: NaiveDate) -> (i64, i64) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(NaiveDate::MAX);
    let total = (next - first).num_days();
    let done = ((day - first).num_days() + 1).clamp(0, total);
    (done, total)
}

fn goal(
    key: &str,
    label: &str,
    target: Option<i32>,
    achieved: i64,
    in_period: i64,
    (done, total): (i64, i64),
) -> Option<GoalProgress> {
    let target = i64::from(target?);
    let expected = target * done / total.max(1);
    Some(GoalProgress {
        goal: key.to_string(),
        label: label.to_string(),
        target,
        achieved,
        achieved_in_period: in_period,
        expected_to_date: expected,
        gap: achieved - expected,
        shortfall: (expected - achieved).max(0),
        behind: expected > 0 && achieved * 100 < expected * BEHIND_BELOW_PERCENT,
        baseline: None,
    })
}

fn per(cost: i64, n: i64) -> Option<i64> {
    (n > 0 && cost > 0).then(|| cost / n)
}

#[allow(clippy::too_many_arguments, reason = "the parts of one line's figures")]
fn line_progress(
    line_id: Option<i32>,
    position: Option<i32>,
    title: String,
    goals: &super::Goals,
    all: Achieved,
    period: Achieved,
    budget: BudgetExecution,
    days: (i64, i64),
) -> LineProgress {
    let goals: Vec<GoalProgress> = [
        goal(
            "cohorts",
            super::GOAL_LABELS[0],
            goals.cohorts,
            all.cohorts,
            period.cohorts,
            days,
        ),
        goal(
            "people_trained",
            super::GOAL_LABELS[1],
            goals.people_trained,
            all.trained,
            period.trained,
            days,
        ),
        goal(
            "people_certified",
            super::GOAL_LABELS[2],
            goals.people_certified,
            all.certified,
            period.certified,
            days,
        ),
        goal(
            "assistances_closed",
            super::GOAL_LABELS[3],
            goals.assistances_closed,
            all.closed,
            period.closed,
            days,
        ),
        goal(
            "municipalities_reached",
            super::GOAL_LABELS[4],
            goals.municipalities_reached,
            all.municipalities,
            period.municipalities,
            days,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    LineProgress {
        line_id,
        position,
        title,
        behind: goals.iter().any(|g| g.behind),
        cost_per_person_certified: per(budget.executed, all.certified),
        cost_per_assistance_closed: per(budget.executed, all.closed),
        cost_per_municipality_reached: per(budget.executed, all.municipalities),
        goals,
        budget,
    }
}

impl LineProgress {
    /// Its goals behind, in words: «Personas formadas: 40 de 120 esperadas a la fecha» (the
    /// homes' list of lines behind).
    pub fn behind_in_words(&self) -> Vec<String> {
        self.goals
            .iter()
            .filter(|g| g.behind)
            .map(|g| {
                format!(
                    "{}: {} de {} esperadas a la fecha",
                    g.label,
                    crate::format::thousands(g.achieved),
                    crate::format::thousands(g.expected_to_date)
                )
            })
            .collect()
    }
}

/// Computes the progress of plan `row` in `version` for `period` (the year to date when
/// `None`) from the maintained figures, over the lines `scope` reads.
async fn compute<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    period: Option<Period>,
    today: NaiveDate,
) -> AppResult<Progress> {
    Ok(compute_counting(db, scope, row, period, today).await?.0)
}

/// What the comparison of directions and providers reads of one plan, the year to date: every
/// line's progress and the people certified on its lines (whether or not a line sets a goal
/// of people certified: the cost per person certified divides by them).
pub(crate) async fn year_to_date<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
) -> AppResult<(Progress, i64)> {
    compute_counting(db, &PlanScope::All, row, None, crate::time::today()).await
}

/// [`compute`], with the people certified on the lines shown, up to the period's end.
async fn compute_counting<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    period: Option<Period>,
    today: NaiveDate,
) -> AppResult<(Progress, i64)> {
    let version = row.version;
    let lines: Vec<LineRows> = super::load_lines(db, &[(row.id, version)])
        .await?
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|l| scope.reaches_line(row, l))
        .collect();
    let year_start = NaiveDate::from_ymd_opt(row.year, 1, 1).unwrap_or(NaiveDate::MIN);
    let (from, until) = match period {
        Some(p) => (p.first_day(), p.last_day()),
        None => (
            year_start,
            today.min(NaiveDate::from_ymd_opt(row.year, 12, 31).unwrap_or(NaiveDate::MAX)),
        ),
    };
    let days = elapsed(row.year, until);
    let departments = super::lines::territory(db, row).await?;
    let capacities: HashMap<i32, String> =
        crate::capacities::names(db).await?.into_iter().collect();
    let line_ids: Vec<i32> = lines.iter().map(|l| l.line.id).collect();
    let costs = costs(db, &line_ids, until).await?;
    let mut out = Vec::new();
    let mut certified = 0;
    for line in &lines {
        // The plan's year and the year before (the line's baseline).
        let condition =
            line_condition(row, line, departments.as_deref(), &[row.year - 1, row.year]);
        let (all, in_period, before) = achieved(db, condition, row.year, from, until).await?;
        certified += all.certified;
        let stage = |s: CostStage| costs.get(&(line.line.id, s)).copied().unwrap_or(0);
        let budget = BudgetExecution {
            planned: line.budget.iter().map(|(_, amount)| amount).sum(),
            committed: stage(CostStage::Comprometido) + stage(CostStage::Ejecutado),
            executed: stage(CostStage::Ejecutado),
            estimated: stage(CostStage::Planeado),
        };
        let title = capacities
            .get(&line.figures.capacity_id)
            .cloned()
            .unwrap_or_default();
        let mut progress = line_progress(
            Some(line.line.id),
            Some(line.line.position),
            title,
            &super::Goals::of(&line.figures),
            all,
            in_period,
            budget,
            days,
        );
        for goal in &mut progress.goals {
            goal.baseline = Some(before.of(&goal.goal));
        }
        out.push(progress);
    }
    let total = totals(&out);
    let progress = Progress {
        plan_id: row.id,
        year: row.year,
        version,
        period: period.map(Period::key),
        period_label: period.map_or_else(|| "Año a la fecha".to_string(), Period::label),
        from,
        until,
        closed: period.is_some_and(|p| p.closed_by(today)),
        frozen_at: None,
        lines: out,
        total,
    };
    Ok((progress, certified))
}

/// The progress of plan `row` for `period` as `scope` reads it: a closed period answers its
/// frozen balance (frozen now, if this is its first reading since it closed); an open one, or
/// the year to date, is computed from the current figures. A draft has no balances (its goals
/// are not approved): it is computed every time.
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    period: Option<Period>,
) -> AppResult<Progress> {
    let today = crate::time::today();
    let Some(p) = period.filter(|p| p.closed_by(today) && row.status != PlanStatus::Draft) else {
        return compute(db, scope, row, period, today).await;
    };
    // Frozen whole (every line), then cut to what the caller reads.
    let whole = balance(db, row, p, today).await?;
    cut(db, scope, row, whole).await
}

/// A reader sees the lines it reaches (a gobernación reading another territory's plan); the
/// plan's totals are of the lines shown.
async fn cut<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    mut whole: Progress,
) -> AppResult<Progress> {
    if matches!(scope, PlanScope::Department { .. }) {
        let shown: Vec<i32> = super::load_lines(db, &[(row.id, whole.version)])
            .await?
            .remove(&row.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|l| scope.reaches_line(row, l))
            .map(|l| l.line.id)
            .collect();
        if shown.len() < whole.lines.len() {
            whole
                .lines
                .retain(|l| l.line_id.is_some_and(|id| shown.contains(&id)));
            whole.total = totals(&whole.lines);
        }
    }
    Ok(whole)
}

/// The plan's totals over `lines` (those the caller reads): sums per goal and of the budget,
/// the costs per unit from the sums.
fn totals(lines: &[LineProgress]) -> LineProgress {
    let mut goals: HashMap<String, GoalProgress> = HashMap::new();
    let mut order = Vec::new();
    let mut budget = BudgetExecution::default();
    for line in lines {
        for g in &line.goals {
            let sum = goals.entry(g.goal.clone()).or_insert_with(|| {
                order.push(g.goal.clone());
                GoalProgress {
                    target: 0,
                    achieved: 0,
                    achieved_in_period: 0,
                    expected_to_date: 0,
                    gap: 0,
                    shortfall: 0,
                    behind: false,
                    baseline: g.baseline.map(|_| 0),
                    ..g.clone()
                }
            });
            sum.target += g.target;
            if let (Some(total), Some(part)) = (sum.baseline.as_mut(), g.baseline) {
                *total += part;
            }
            sum.achieved += g.achieved;
            sum.achieved_in_period += g.achieved_in_period;
            sum.expected_to_date += g.expected_to_date;
            sum.gap = sum.achieved - sum.expected_to_date;
            sum.shortfall = (sum.expected_to_date - sum.achieved).max(0);
            sum.behind = sum.expected_to_date > 0
                && sum.achieved * 100 < sum.expected_to_date * BEHIND_BELOW_PERCENT;
        }
        budget.planned += line.budget.planned;
        budget.committed += line.budget.committed;
        budget.executed += line.budget.executed;
        budget.estimated += line.budget.estimated;
    }
    let goals: Vec<GoalProgress> = order.iter().filter_map(|k| goals.remove(k)).collect();
    let achieved = |key: &str| {
        goals
            .iter()
            .find(|g| g.goal == key)
            .map_or(0, |g| g.achieved)
    };
    LineProgress {
        line_id: None,
        position: None,
        title: "Todo el plan".to_string(),
        behind: goals.iter().any(|g| g.behind),
        cost_per_person_certified: per(budget.executed, achieved("people_certified")),
        cost_per_assistance_closed: per(budget.executed, achieved("assistances_closed")),
        cost_per_municipality_reached: per(budget.executed, achieved("municipalities_reached")),
        goals,
        budget,
    }
}

/// The frozen balance of a closed period of plan `row`: stored when first asked (or by the
/// nightly job, [`freeze_closed`]); two instances freezing at once keep the first.
async fn balance<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    period: Period,
    today: NaiveDate,
) -> AppResult<Progress> {
    let key = period.key();
    if let Some(found) = plan_balance::Entity::find_by_id((row.id, key.clone()))
        .one(db)
        .await?
        && let Ok(mut stored) = serde_json::from_str::<Progress>(&found.body)
    {
        stored.frozen_at = Some(found.frozen_at);
        return Ok(stored);
    }
    let mut computed = compute(db, &PlanScope::All, row, Some(period), today).await?;
    let now = crate::time::now();
    let body = serde_json::to_string(&computed).map_err(|e| AppError::Internal(e.to_string()))?;
    let inserted = plan_balance::ActiveModel {
        plan_id: Set(row.id),
        period: Set(key.clone()),
        version: Set(computed.version),
        frozen_at: Set(now),
        body: Set(body),
    };
    let insert = plan_balance::Entity::insert(inserted)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                plan_balance::Column::PlanId,
                plan_balance::Column::Period,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if insert == 0 {
        // Another reader froze it first: its figures are the balance.
        if let Some(found) = plan_balance::Entity::find_by_id((row.id, key))
            .one(db)
            .await?
            && let Ok(mut stored) = serde_json::from_str::<Progress>(&found.body)
        {
            stored.frozen_at = Some(found.frozen_at);
            return Ok(stored);
        }
    }
    computed.frozen_at = Some(now);
    Ok(computed)
}

/// Freezes every closed period of every approved plan of this year and the last that has not
/// been frozen yet (the nightly job: a balance does not wait for its first reader). Returns
/// how many were frozen.
pub async fn freeze_closed<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    let today = crate::time::today();
    let plans = plan::Entity::find()
        .filter(plan::Column::Status.ne(PlanStatus::Draft.as_str()))
        .filter(plan::Column::Year.is_in([today.year() - 1, today.year()]))
        .all(db)
        .await?;
    let mut frozen = 0;
    for row in &plans {
        let have: Vec<String> = plan_balance::Entity::find()
            .select_only()
            .column(plan_balance::Column::Period)
            .filter(plan_balance::Column::PlanId.eq(row.id))
            .into_tuple()
            .all(db)
            .await?;
        for period in Period::closed_in(row.year, today) {
            if !have.contains(&period.key()) {
                balance(db, row, period, today).await?;
                frozen += 1;
            }
        }
    }
    Ok(frozen)
}

/// A line behind what is expected by today, for the home pages.
#[derive(Clone, Debug, Serialize)]
pub struct BehindLine {
    pub plan_id: i32,
    pub plan_name: String,
    pub position: i32,
    pub title: String,
    /// The goals behind, in words: «Personas formadas: 40 de 120 esperadas a la fecha».
    pub goals: Vec<String>,
}

/// How long the lines behind of a scope are kept while only the figures move (a plan's change
/// shows at once): the homes that list them are recomputed at every figures version (a write's
/// figures show on a report within 2 s), and the progress of a scope's plans is most of that
/// recomputation (issue 50: about 130 ms of a gobernación's 240 at national scale) for a list
/// that moves over weeks.
pub const BEHIND_KEPT_SECONDS: u64 = 60;

/// The lines behind of each plan scope, kept for the planning version (plans, their lines and
/// goals, cohorts) and at most [`BEHIND_KEPT_SECONDS`] (nothing kept with a time to live of
/// zero: the tests).
#[derive(Clone)]
pub struct KeptBehind(crate::cache::Kept<String, Vec<BehindLine>, i64>);

impl KeptBehind {
    pub fn new(ttl_seconds: u64) -> Self {
        KeptBehind(crate::cache::Kept::new(
            ttl_seconds.min(BEHIND_KEPT_SECONDS),
            512,
        ))
    }

    /// [`behind`] for `user`, kept per scope.
    pub async fn behind(
        &self,
        db: &sea_orm::DatabaseConnection,
        user: &crate::accounts::actor::Actor,
    ) -> AppResult<Vec<BehindLine>> {
        let scope = PlanScope::of(db, user).await?;
        let year = crate::time::today().year();
        let planning = crate::instances::Versions::read(db).await?.planning;
        let lines = self
            .0
            .get(format!("{scope:?}|{year}"), planning, {
                let db = db.clone();
                move || async move { behind_in(&db, &scope, year).await }
            })
            .await?;
        Ok(lines.as_ref().clone())
    }
}

/// The lines behind in this year's approved plans of `scope` (see [`KeptBehind::behind`]): a
/// coordinator's provider's (a territorial direction's coordinator, its direction's), a
/// gobernación's those that reach its department (the plans it reads, the lines that reach
/// it); an admin, every plan. Year to date, from the maintained figures.
async fn behind_in<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    year: i32,
) -> AppResult<Vec<BehindLine>> {
    let rows: Vec<plan::Model> = plan::Entity::find()
        .filter(scope.condition())
        .filter(plan::Column::Year.eq(year))
        .filter(plan::Column::Status.ne(PlanStatus::Draft.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter(|row| !matches!(scope, PlanScope::Staff { .. }) || scope.manages(row))
        .collect();
    let wanted: Vec<(i32, i32)> = rows.iter().map(|row| (row.id, row.version)).collect();
    let mut lines = super::load_lines(db, &wanted).await?;
    // The lines each plan shows its reader, as its progress reads them (year to date).
    let mut shown: Vec<(&plan::Model, LineRows)> = Vec::new();
    let mut conditions = Vec::new();
    for row in &rows {
        let departments = super::lines::territory(db, row).await?;
        for line in lines.remove(&row.id).unwrap_or_default() {
            if scope.reaches_line(row, &line) {
                conditions.push(LineRead {
                    line: line.line.id,
                    condition: line_condition(row, &line, departments.as_deref(), &[year]),
                    values: 8
                        + line.municipalities.len()
                        + departments.as_ref().map_or(0, Vec::len),
                });
                shown.push((row, line));
            }
        }
    }
    let until =
        crate::time::today().min(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX));
    let achieved = year_to_date_of_lines(db, conditions, year, until).await?;
    let days = elapsed(year, until);
    let mut behind = Vec::new();
    for (row, line) in shown {
        let all = achieved.get(&line.line.id).copied().unwrap_or_default();
        // Whether a line is behind reads its goals' year to date only: no period, baseline or
        // budget (see [`line_progress`]).
        let progress = line_progress(
            Some(line.line.id),
            Some(line.line.position),
            String::new(),
            &super::Goals::of(&line.figures),
            all,
            all,
            BudgetExecution::default(),
            days,
        );
        if progress.behind {
            behind.push((row, line, progress));
        }
    }
    if behind.is_empty() {
        return Ok(Vec::new());
    }
    let capacities: HashMap<i32, String> =
        crate::capacities::names(db).await?.into_iter().collect();
    let mut out = Vec::new();
    for (row, line, progress) in behind {
        out.push(BehindLine {
            plan_id: row.id,
            plan_name: row.name.clone(),
            position: line.line.position,
            title: capacities
                .get(&line.figures.capacity_id)
                .cloned()
                .unwrap_or_default(),
            goals: progress.behind_in_words(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_in_statements_of_bounded_size() {
        let lines = |values: &[usize]| -> Vec<LineRead> {
            values
                .iter()
                .enumerate()
                .map(|(n, v)| LineRead {
                    line: n as i32,
                    condition: Condition::all(),
                    values: *v,
                })
                .collect()
        };
        let sizes = |chunks: Vec<Vec<LineRead>>| -> Vec<Vec<i32>> {
            chunks
                .into_iter()
                .map(|c| c.into_iter().map(|l| l.line).collect())
                .collect()
        };
        assert!(in_statements(Vec::new()).is_empty());
        assert_eq!(sizes(in_statements(lines(&[8, 8, 8]))), vec![vec![0, 1, 2]]);
        // 450 small lines: 200, 200, 50.
        let many = in_statements(lines(&[8; 450]));
        assert_eq!(
            many.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![200, 200, 50]
        );
        // Values: a line of 9,000 municipalities does not join one of 2,000; one over the
        // bound goes alone.
        assert_eq!(
            sizes(in_statements(lines(&[9_000, 2_000, 12_000, 8]))),
            vec![vec![0], vec![1], vec![2], vec![3]]
        );
        assert_eq!(
            sizes(in_statements(lines(&[5_000, 5_000, 1]))),
            vec![vec![0, 1], vec![2]]
        );
    }

    #[test]
    fn periods_are_read_and_named() {
        let q2 = Period::parse("2026-Q2").unwrap();
        assert_eq!(q2.first_day(), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(q2.last_day(), NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        assert_eq!(q2.label(), "segundo trimestre de 2026");
        let s1 = Period::parse("2026-S1").unwrap();
        assert_eq!(s1.last_day(), NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        let feb = Period::parse("2028-02").unwrap();
        assert_eq!(
            feb.last_day(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
        assert_eq!(feb.key(), "2028-02");
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(
            dec.last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        for bad in [
            "2026-13", "2026-Q5", "2026-S3", "2026-6", "26-06", "2026-Q0", "x", "2026-+6",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert!(Period::parse("2026-06").unwrap().closed_by(today));
        assert!(!Period::parse("2026-07").unwrap().closed_by(today));
        assert_eq!(Period::closed_in(2026, today).len(), 6 + 2 + 1);
    }

    #[test]
    fn a_straight_line_through_the_year() {
        let (done, total) = elapsed(2026, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        assert_eq!((done, total), (181, 365));
        let g = goal("x", "x", Some(365), 100, 10, (done, total)).unwrap();
        assert_eq!(g.expected_to_date, 181);
        assert_eq!(g.gap, -81);
        assert!(g.behind);
        let g = goal("x", "x", Some(365), 170, 10, (done, total)).unwrap();
        assert!(!g.behind, "170 of 181 expected is within 90 %");
        assert_eq!(goal("x", "x", None, 1, 1, (done, total)), None);
    }
}
