//! The satisfaction report (issue 17): invited, answered, response rate, the six dimensions'
//! means and the follow-up's answers — for a department, capacity, course, cohort or quarter
//! (of the cohort's end), and broken down by one of them.
//!
//! Confidentiality: only aggregates leave this module, and no subtraction of two published
//! figures can isolate fewer than [`MIN_GROUP`] answers. The smallest unit any report is cut
//! by is one cohort's answers of one department (a *cell*): every grouping — by cohort,
//! course, capacity, department, quarter, an instructor, a caller's departments — is a union
//! of whole cells. So a cell with 1 to 4 answers of a kind is **withheld**: its answers count
//! in no mean, share or comment list anywhere (its invitations and answered count still show).
//! Every published figure is then a sum of cells of at least 5 answers each, and the
//! difference of any two (a course minus one of its cohorts, a cohort minus one department, a
//! capacity minus a cohort) is again such a sum. A group whose counted answers are fewer than
//! [`MIN_GROUP`] (none) shows no means. What this does not stop: a cell watched while it grows
//! from 5 to 6 answers (its mean moves by one answer); the satisfaction window is open to all
//! at once, and the report is cached, which blurs but does not prevent it.
//! Instructors' results and comments go to coordinators only; comments only for one cohort,
//! sorted alphabetically (never in the order they came).
//!
//! One pass: the answers summed per cohort × department × kind (one grouped query), the
//! invitations counted the same way, the cohorts' names, courses, capacities and instructors;
//! everything else is addition in memory.

use super::DIMENSIONS;
use crate::accounts::actor::Actor;
use crate::entities::values::{Application, Role, SurveyKind};
use crate::entities::{
    capacity, cohort, cohort_instructor, course, course_capacity, survey_response, survey_tally,
    user,
};
use crate::error::{AppError, AppResult};
use chrono::Datelike;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Fewest answers a group needs to show means.
pub const MIN_GROUP: i64 = 5;

/// How the report breaks down.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum By {
    #[default]
    Cohort,
    Course,
    Capacity,
    Department,
    Quarter,
}

impl By {
    pub const ALL: [By; 5] = [
        By::Cohort,
        By::Course,
        By::Capacity,
        By::Department,
        By::Quarter,
    ];

    pub fn parse(text: &str) -> Option<By> {
        Some(match text {
            "cohort" => By::Cohort,
            "course" => By::Course,
            "capacity" => By::Capacity,
            "department" => By::Department,
            "quarter" => By::Quarter,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            By::Cohort => "cohort",
            By::Course => "course",
            By::Capacity => "capacity",
            By::Department => "department",
            By::Quarter => "quarter",
        }
    }

    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            By::Cohort => "Cohorte",
            By::Course => "Curso",
            By::Capacity => "Capacidad",
            By::Department => "Departamento",
            By::Quarter => "Trimestre",
        }
    }
}

/// The report's filters.
#[derive(Clone, Debug, Default)]
pub struct SatisfactionQuery {
    pub department: Option<String>,
    pub capacity: Option<i32>,
    pub course: Option<i32>,
    pub cohort: Option<i32>,
    /// `2026-T4`: the quarter in which the cohort ended.
    pub quarter: Option<String>,
    pub by: By,
}

/// The quarter of a date as the report names it: `2026-T4`.
pub fn quarter_of(date: chrono::NaiveDate) -> String {
    format!("{}-T{}", date.year(), date.month0() / 3 + 1)
}

/// A quarter as typed: `2026-T4`, `2026-t4` or `2026-4`.
pub fn parse_quarter(text: &str) -> AppResult<String> {
    let text = text.trim().to_uppercase();
    let (year, q) = text.split_once('-').unwrap_or(("", ""));
    let q = q.trim_start_matches('T');
    match (year.parse::<i32>(), q.parse::<u8>()) {
        (Ok(y), Ok(q @ 1..=4)) if (2000..=2100).contains(&y) => Ok(format!("{y}-T{q}")),
        _ => Err(AppError::invalid(
            "quarter",
            "Escriba el trimestre como año y número, por ejemplo 2026-T4.",
        )),
    }
}

/// One dimension's mean.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SatisfactionItem)]
pub struct DimensionMean {
    /// `calidad`, `pertinencia`, `oportunidad`, `metodologia`, `instructor` or `logistica`.
    pub dimension: String,
    pub label: String,
    /// 1–5, two decimals; `null` when the group has fewer than 5 answers.
    pub mean: Option<f64>,
    /// Answers behind it.
    pub n: i64,
}

/// One follow-up answer's share.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = FollowUpShare)]
pub struct ApplicationShare {
    pub answer: Application,
    pub label: String,
    /// `null` when fewer than 5 answered.
    pub count: Option<i64>,
    pub share: Option<f64>,
}

/// The follow-up survey's figures.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = FollowUpSummary)]
pub struct FollowUp {
    pub invited: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    /// «¿Ha aplicado lo aprendido?»
    pub applied: Vec<ApplicationShare>,
    pub suppressed: bool,
}

/// One row of the breakdown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SatisfactionGroup)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub invited: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    /// The six means in the order of `items`; `null` each when suppressed.
    pub means: Vec<Option<f64>>,
    /// The mean of the six means.
    pub overall: Option<f64>,
    /// Follow-up: who answered, and the share who applied it (sí or parcialmente).
    pub follow_up_responded: i64,
    pub applied_share: Option<f64>,
    pub suppressed: bool,
}

/// An instructor's results (coordinators only).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = InstructorResult)]
pub struct InstructorRow {
    pub name: String,
    pub cohorts: i64,
    pub n: i64,
    /// The «instructor» dimension's mean.
    pub instructor_mean: Option<f64>,
    pub overall: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SatisfactionReport)]
pub struct SatisfactionReport {
    /// Satisfaction surveys sent.
    pub invited: i64,
    /// Satisfaction surveys answered.
    pub responded: i64,
    /// `responded / invited` (0–1); `null` when none was sent.
    pub response_rate: Option<f64>,
    pub items: Vec<DimensionMean>,
    pub overall: Option<f64>,
    /// True when the means are hidden (too few answers).
    pub suppressed: bool,
    pub follow_up: FollowUp,
    /// `cohort`, `course`, `capacity`, `department` or `quarter`.
    pub by: By,
    pub groups: Vec<Group>,
    /// Per instructor; only for coordinators and admins (otherwise absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructors: Option<Vec<InstructorRow>>,
    /// The comments of one cohort (with `cohort=`), for coordinators and admins, without
    /// names, alphabetically; absent otherwise or when the group is too small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_comments: Option<Vec<String>>,
    pub min_group: i64,
}

/// Answers summed, as the grouped query returns them.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    n: i64,
    sums: [i64; 6],
    applied: [i64; 3],
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.n += other.n;
        for i in 0..6 {
            self.sums[i] += other.sums[i];
        }
        for i in 0..3 {
            self.applied[i] += other.applied[i];
        }
    }

    fn mean(&self, i: usize) -> f64 {
        round2(self.sums[i] as f64 / self.n as f64)
    }

    fn overall(&self) -> f64 {
        round2(self.sums.iter().sum::<i64>() as f64 / (6 * self.n) as f64)
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn rate(responded: i64, invited: i64) -> Option<f64> {
    (invited > 0).then(|| (responded as f64 / invited as f64).min(1.0))
}

/// What one cohort × department holds.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    /// Answers (satisfaction, follow-up).
    sat: Tally,
    fu: Tally,
    /// Invitations and answers (satisfaction, follow-up).
    invited: [i64; 2],
    responded: [i64; 2],
}

impl Cell {
    fn add(&mut self, other: &Cell) {
        self.sat.add(&other.sat);
        self.fu.add(&other.fu);
        for i in 0..2 {
            self.invited[i] += other.invited[i];
            self.responded[i] += other.responded[i];
        }
    }
}

/// A group's cells: those shown, and every department's answers of the same cohorts (for the
/// complement rule).
#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    shown: Cell,
    all_sat: i64,
    all_fu: i64,
}

impl Sum {
    /// Whether the satisfaction means must stay hidden.
    fn hide_sat(&self) -> bool {
        hidden(self.shown.sat.n, self.all_sat)
    }

    fn hide_fu(&self) -> bool {
        hidden(self.shown.fu.n, self.all_fu)
    }
}

/// Fewer than [`MIN_GROUP`] answers, or a rest (answers of the same cohorts outside the shown
/// departments) of 1 to 4. With withheld cells the rest is 0 or at least 5: the second test is
/// a guard kept for a change that would split cells.
fn hidden(shown: i64, all: i64) -> bool {
    let rest = all - shown;
    shown < MIN_GROUP || (rest > 0 && rest < MIN_GROUP)
}

/// The departments whose answers the caller may read: `None` = all (national staff), or the
/// list (a reviewer's one, a direction's). Instructors, participants and liaisons: 403.
fn visible(user: &Actor) -> AppResult<Option<Vec<String>>> {
    match user.role {
        Role::Admin => Ok(None),
        Role::Coordinator => Ok(user.direction_departments().map(<[String]>::to_vec)),
        Role::Reviewer => Ok(Some(user.department_code.iter().cloned().collect())),
        _ => Err(AppError::Forbidden),
    }
}

/// The report for `user` (see the module's comment).
pub async fn report<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    query: &SatisfactionQuery,
) -> AppResult<SatisfactionReport> {
    let visible = visible(user)?;
    let staff = user.is_staff();
    let department = crate::reports::non_empty(&query.department);
    // The departments whose answers are shown: None = all.
    let focus: Option<Vec<String>> = match (visible, department) {
        (None, None) => None,
        (None, Some(d)) => Some(vec![d]),
        (Some(v), None) => Some(v),
        (Some(v), Some(d)) => Some(v.into_iter().filter(|x| *x == d).collect()),
    };
    let cells = load_cells(db, focus.as_deref(), query.cohort).await?;
    let cohort_ids: BTreeSet<i32> = cells.keys().map(|(c, _)| *c).collect();
    let facts = CohortFacts::load(db, &cohort_ids).await?;
    let kept = |cohort_id: i32| -> bool {
        let Some(f) = facts.cohorts.get(&cohort_id) else {
            return false;
        };
        query.course.is_none_or(|c| c == f.course_id)
            && query
                .capacity
                .is_none_or(|c| facts.capacities_of(f.course_id).contains(&c))
            && query.quarter.as_ref().is_none_or(|q| *q == f.quarter)
    };
    let shows = |department: &str| {
        focus
            .as_ref()
            .is_none_or(|ds| ds.iter().any(|d| d == department))
    };
    // Groups: (sort key, key) → (label, sum); and the total.
    // What is shown adds up per group; what the complement rule compares it with is every
    // department's answers of the group's cohorts.
    let mut total = Sum::default();
    let mut groups: BTreeMap<(String, String), (String, Sum, BTreeSet<i32>)> = BTreeMap::new();
    let mut per_cohort: BTreeMap<i32, Sum> = BTreeMap::new();
    let departments = crate::territory::department_names(db).await?;
    for ((cohort_id, department_code), cell) in &cells {
        if !kept(*cohort_id) {
            continue;
        }
        let shown = shows(department_code);
        let of_cohort = per_cohort.entry(*cohort_id).or_default();
        of_cohort.all_sat += cell.sat.n;
        of_cohort.all_fu += cell.fu.n;
        if shown {
            of_cohort.shown.add(cell);
            total.shown.add(cell);
        }
        for (sort, key, label) in facts.keys(query.by, *cohort_id, department_code, &departments) {
            let group = groups
                .entry((sort, key))
                .or_insert_with(|| (label, Sum::default(), BTreeSet::new()));
            group.2.insert(*cohort_id);
            if shown {
                group.1.shown.add(cell);
            }
        }
    }
    let all_of = |sum: &mut Sum, cohorts: &mut dyn Iterator<Item = &i32>| {
        for c in cohorts {
            if let Some(of_cohort) = per_cohort.get(c) {
                sum.all_sat += of_cohort.all_sat;
                sum.all_fu += of_cohort.all_fu;
            }
        }
    };
    all_of(&mut total, &mut per_cohort.keys());
    let groups = groups
        .into_iter()
        .filter(|(_, (_, s, _))| s.shown.invited[0] + s.shown.invited[1] + s.shown.sat.n > 0)
        .map(|((_, key), (label, mut sum, cohorts))| {
            all_of(&mut sum, &mut cohorts.iter());
            group_row(key, label, &sum)
        })
        .collect();
    let hide = total.hide_sat();
    let items = DIMENSIONS
        .iter()
        .enumerate()
        .map(|(i, (dimension, label, _))| DimensionMean {
            dimension: dimension.to_string(),
            label: label.to_string(),
            mean: (!hide).then(|| total.shown.sat.mean(i)),
            n: total.shown.sat.n,
        })
        .collect();
    let instructors = if staff {
        Some(instructors(db, &per_cohort).await?)
    } else {
        None
    };
    // Comments come only from the cells whose answers are counted (never a withheld one).
    let counted = |id: i32, follow_up: bool| -> Vec<String> {
        cells
            .iter()
            .filter(|((c, d), cell)| {
                *c == id && shows(d) && if follow_up { cell.fu.n } else { cell.sat.n } > 0
            })
            .map(|((_, d), _)| d.clone())
            .collect()
    };
    let (comments, follow_up_comments) = match query.cohort {
        Some(id) if staff && kept(id) => (
            comments(
                db,
                id,
                SurveyKind::Satisfaction,
                &counted(id, false),
                total.hide_sat(),
            )
            .await?,
            comments(
                db,
                id,
                SurveyKind::FollowUp,
                &counted(id, true),
                total.hide_fu(),
            )
            .await?,
        ),
        _ => (None, None),
    };
    Ok(SatisfactionReport {
        invited: total.shown.invited[0],
        responded: total.shown.responded[0],
        response_rate: rate(total.shown.responded[0], total.shown.invited[0]),
        items,
        overall: (!hide).then(|| total.shown.sat.overall()),
        suppressed: hide,
        follow_up: follow_up(&total),
        by: query.by,
        groups,
        instructors,
        comments,
        follow_up_comments,
        min_group: MIN_GROUP,
    })
}

fn group_row(key: String, label: String, sum: &Sum) -> Group {
    let hide = sum.hide_sat();
    let s = &sum.shown;
    Group {
        key,
        label,
        invited: s.invited[0],
        responded: s.responded[0],
        response_rate: rate(s.responded[0], s.invited[0]),
        means: (0..6).map(|i| (!hide).then(|| s.sat.mean(i))).collect(),
        overall: (!hide).then(|| s.sat.overall()),
        follow_up_responded: s.responded[1],
        applied_share: (!sum.hide_fu())
            .then(|| round2((s.fu.applied[0] + s.fu.applied[1]) as f64 / s.fu.n as f64)),
        suppressed: hide,
    }
}

fn follow_up(total: &Sum) -> FollowUp {
    let hide = total.hide_fu();
    let fu = &total.shown.fu;
    let answers = [Application::Si, Application::Parcialmente, Application::No];
    FollowUp {
        invited: total.shown.invited[1],
        responded: total.shown.responded[1],
        response_rate: rate(total.shown.responded[1], total.shown.invited[1]),
        applied: answers
            .iter()
            .enumerate()
            .map(|(i, a)| ApplicationShare {
                answer: *a,
                label: a.label().to_string(),
                count: (!hide).then_some(fu.applied[i]),
                share: (!hide).then(|| round2(fu.applied[i] as f64 / fu.n as f64)),
            })
            .collect(),
        suppressed: hide,
    }
}

/// Answers and invitations per cohort × department (from `survey_tallies`): of every cohort
/// (no focus), or of the cohorts that have invitations in the focus departments — with every
/// department's figures of those cohorts, for the complement rule.
async fn load_cells<C: ConnectionTrait>(
    db: &C,
    focus: Option<&[String]>,
    cohort: Option<i32>,
) -> AppResult<BTreeMap<(i32, String), Cell>> {
    let mut cells: BTreeMap<(i32, String), Cell> = BTreeMap::new();
    if focus.is_some_and(|f| f.is_empty()) {
        return Ok(cells);
    }
    let mut select = survey_tally::Entity::find();
    if let Some(id) = cohort {
        select = select.filter(survey_tally::Column::CohortId.eq(id));
    }
    if let Some(departments) = focus {
        select = select.filter(
            survey_tally::Column::CohortId.in_subquery(
                Query::select()
                    .column(survey_tally::Column::CohortId)
                    .from(survey_tally::Entity)
                    .and_where(survey_tally::Column::DepartmentCode.is_in(departments.to_vec()))
                    .take(),
            ),
        );
    }
    for t in select.all(db).await? {
        // A cell of 1 to 4 answers is withheld (see the module's comment): its invitations
        // and answered count stay, its answers count nowhere.
        let withheld = t.n < MIN_GROUP;
        let tally = Tally {
            n: t.n,
            sums: [
                t.calidad,
                t.pertinencia,
                t.oportunidad,
                t.metodologia,
                t.instructor,
                t.logistica,
            ],
            applied: [t.si, t.parcialmente, t.no],
        };
        let cell = cells.entry((t.cohort_id, t.department_code)).or_default();
        let i = usize::from(t.kind == SurveyKind::FollowUp);
        match t.kind {
            _ if withheld => {}
            SurveyKind::Satisfaction => cell.sat.add(&tally),
            SurveyKind::FollowUp => cell.fu.add(&tally),
        }
        cell.invited[i] += t.invited;
        cell.responded[i] += t.responded;
    }
    Ok(cells)
}

struct CohortFact {
    name: String,
    course_id: i32,
    quarter: String,
    end_date: chrono::NaiveDate,
}

/// What the groups are named and filtered by: per cohort its name, course and quarter; the
/// courses' names and capacities; the capacities' names.
struct CohortFacts {
    cohorts: HashMap<i32, CohortFact>,
    courses: HashMap<i32, String>,
    course_capacities: HashMap<i32, Vec<i32>>,
    capacities: HashMap<i32, String>,
}

impl CohortFacts {
    async fn load<C: ConnectionTrait>(db: &C, ids: &BTreeSet<i32>) -> AppResult<CohortFacts> {
        let mut cohorts = HashMap::new();
        let ids: Vec<i32> = ids.iter().copied().collect();
        for chunk in ids.chunks(2_000) {
            let rows: Vec<(i32, String, i32, chrono::NaiveDate)> = cohort::Entity::find()
                .select_only()
                .column(cohort::Column::Id)
                .column(cohort::Column::Name)
                .column(cohort::Column::CourseId)
                .column(cohort::Column::EndDate)
                .filter(cohort::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(db)
                .await?;
            for (id, name, course_id, end_date) in rows {
                cohorts.insert(
                    id,
                    CohortFact {
                        name,
                        course_id,
                        quarter: quarter_of(end_date),
                        end_date,
                    },
                );
            }
        }
        let courses = course::Entity::find()
            .select_only()
            .column(course::Column::Id)
            .column(course::Column::Name)
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let mut course_capacities: HashMap<i32, Vec<i32>> = HashMap::new();
        for (course_id, capacity_id) in course_capacity::Entity::find()
            .select_only()
            .column(course_capacity::Column::CourseId)
            .column(course_capacity::Column::CapacityId)
            .into_tuple::<(i32, i32)>()
            .all(db)
            .await?
        {
            course_capacities
                .entry(course_id)
                .or_default()
                .push(capacity_id);
        }
        let capacities = capacity::Entity::find()
            .select_only()
            .column(capacity::Column::Id)
            .column(capacity::Column::Name)
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(CohortFacts {
            cohorts,
            courses,
            course_capacities,
            capacities,
        })
    }

    fn capacities_of(&self, course_id: i32) -> &[i32] {
        self.course_capacities
            .get(&course_id)
            .map_or(&[], Vec::as_slice)
    }

    /// The groups a cohort × department falls in: (sort key, key, label). A course with two
    /// capacities counts in both.
    fn keys(
        &self,
        by: By,
        cohort_id: i32,
        department_code: &str,
        departments: &HashMap<String, String>,
    ) -> Vec<(String, String, String)> {
        let Some(f) = self.cohorts.get(&cohort_id) else {
            return vec![];
        };
        match by {
            By::Cohort => vec![(
                format!("{}|{:010}", f.end_date, cohort_id),
                cohort_id.to_string(),
                f.name.clone(),
            )],
            By::Course => {
                let name = self.courses.get(&f.course_id).cloned().unwrap_or_default();
                vec![(crate::text::fold(&name), f.course_id.to_string(), name)]
            }
            By::Capacity => self
                .capacities_of(f.course_id)
                .iter()
                .map(|c| {
                    let name = self.capacities.get(c).cloned().unwrap_or_default();
                    (crate::text::fold(&name), c.to_string(), name)
                })
                .collect(),
            By::Department => {
                let name = departments
                    .get(department_code)
                    .cloned()
                    .unwrap_or_else(|| department_code.to_string());
                vec![(crate::text::fold(&name), department_code.to_string(), name)]
            }
            By::Quarter => vec![(f.quarter.clone(), f.quarter.clone(), f.quarter.clone())],
        }
    }
}

/// Per instructor, over the kept cohorts they taught (`per_cohort`): the «instructor» mean and the overall
/// mean, under the same suppression.
async fn instructors<C: ConnectionTrait>(
    db: &C,
    per_cohort: &BTreeMap<i32, Sum>,
) -> AppResult<Vec<InstructorRow>> {
    let ids: Vec<i32> = per_cohort.keys().copied().collect();
    let mut taught: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for chunk in ids.chunks(2_000) {
        for link in cohort_instructor::Entity::find()
            .filter(cohort_instructor::Column::CohortId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            taught.entry(link.user_id).or_default().push(link.cohort_id);
        }
    }
    let names: HashMap<i32, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FullName)
        .filter(user::Column::Id.is_in(taught.keys().copied().collect::<Vec<_>>()))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut rows: Vec<InstructorRow> = taught
        .into_iter()
        .map(|(user_id, cohorts)| {
            let mut sum = Sum::default();
            for c in &cohorts {
                if let Some(s) = per_cohort.get(c) {
                    sum.shown.add(&s.shown);
                    sum.all_sat += s.all_sat;
                    sum.all_fu += s.all_fu;
                }
            }
            let hide = sum.hide_sat();
            InstructorRow {
                name: names.get(&user_id).cloned().unwrap_or_default(),
                cohorts: cohorts.len() as i64,
                n: sum.shown.sat.n,
                instructor_mean: (!hide).then(|| sum.shown.sat.mean(4)),
                overall: (!hide).then(|| sum.shown.sat.overall()),
            }
        })
        .collect();
    rows.sort_by_key(|r| crate::text::sort_key(&r.name));
    Ok(rows)
}

/// A cohort's comments of one kind from the counted cells of `departments`, alphabetically,
/// when its group is large enough.
async fn comments<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    kind: SurveyKind,
    departments: &[String],
    hide: bool,
) -> AppResult<Option<Vec<String>>> {
    if hide || departments.is_empty() {
        return Ok(None);
    }
    let select = survey_response::Entity::find()
        .select_only()
        .column(survey_response::Column::Comment)
        .filter(survey_response::Column::CohortId.eq(cohort_id))
        .filter(survey_response::Column::Kind.eq(kind))
        .filter(survey_response::Column::Comment.is_not_null())
        .filter(survey_response::Column::DepartmentCode.is_in(departments.to_vec()));
    let mut texts: Vec<String> = select
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    texts.sort_by_key(|t| crate::text::fold(t));
    Ok(Some(texts))
}

/// Reports kept (Rocket state) in memory and on the database's shelf, each for the tallies'
/// version it was computed at (every transaction that changes the tallies moves it, on any
/// instance): a report for an older version is never shown, visitors asking together for one
/// not kept wait for a single computation (issue 69: the first visitors after a start find
/// it on the shelf), and one kept for [`KEEP_SECONDS`] or more is served once more while it is
/// computed again behind it (names of courses and cohorts may change meanwhile).
#[derive(Clone)]
pub struct Cache {
    /// Keyed by the caller's reach (staff or not, and the departments seen: `*` for all) and
    /// the filters.
    kept: crate::cache::Kept<(String, Filters), SatisfactionReport, i64>,
}

impl Cache {
    /// Kept in memory and on `db`'s shelf, each report served for `keep_seconds` before it is
    /// computed again ([`KEEP_SECONDS`] in the app; 0 keeps nothing, as the other stores).
    pub fn new(db: &sea_orm::DatabaseConnection, keep_seconds: u64) -> Self {
        let shelf = crate::cache::DbShelf::new(db.clone(), "satisfaction");
        Cache {
            kept: crate::cache::Kept::new(keep_seconds, KEEP_AT_MOST)
                .per_group(KEPT_PER_REACH, |key: &(String, Filters)| key.0.as_str())
                .shelved(std::sync::Arc::new(shelf)),
        }
    }
}

/// How long the app serves a kept report before it computes it again.
pub const KEEP_SECONDS: u64 = 300;

/// Reports kept in memory at most.
const KEEP_AT_MOST: usize = 2_000;

/// Reports kept per caller's reach, in memory and on the shelf: the filters are the caller's
/// to choose (any ids), so without a bound each new combination would write a row of the
/// shelf and push out what others keep there (as the kept pages' bound per page and scope).
const KEPT_PER_REACH: usize = 32;

/// What a report depends on besides the caller's reach: the query.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
struct Filters {
    department: Option<String>,
    capacity: Option<i32>,
    course: Option<i32>,
    cohort: Option<i32>,
    quarter: Option<String>,
    by: By,
}

/// The report for `user`, from `cache` when it still holds (see [`Cache`]).
pub async fn cached(
    db: &sea_orm::DatabaseConnection,
    cache: &Cache,
    user: &Actor,
    query: &SatisfactionQuery,
) -> AppResult<std::sync::Arc<SatisfactionReport>> {
    let seen = visible(user)?.map_or_else(|| "*".to_string(), |codes| codes.join(","));
    let reach = format!("{}|{seen}", user.is_staff());
    let filters = Filters {
        department: crate::reports::non_empty(&query.department),
        capacity: query.capacity,
        course: query.course,
        cohort: query.cohort,
        quarter: query.quarter.clone(),
        by: query.by,
    };
    let version = super::tallies::version(db).await?;
    let (db, user, query) = (db.clone(), user.clone(), query.clone());
    cache
        .kept
        .get((reach, filters), version, move || async move {
            report(&db, &user, &query).await
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(quarter_of(d), "2026-T4");
        assert_eq!(parse_quarter("2026-t3").unwrap(), "2026-T3");
        assert_eq!(parse_quarter("2025-1").unwrap(), "2025-T1");
        assert!(parse_quarter("2026-T5").is_err());
        assert!(parse_quarter("T4").is_err());
    }

    #[test]
    fn small_groups_and_small_rests_are_hidden() {
        assert!(hidden(4, 4));
        assert!(!hidden(5, 5));
        assert!(hidden(5, 6), "a rest of one answer would be given away");
        assert!(!hidden(5, 10));
        assert!(hidden(0, 0));
    }
}
