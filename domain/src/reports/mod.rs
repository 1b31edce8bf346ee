//! Reports for gobernaciones and ESAP (issue 8): attendance, completion and certificates per
//! municipality and cohort, as JSON and as Excel.
//!
//! Every figure is computed with a constant number of grouped queries (no query per row),
//! grouped by the enrolment's own municipality (the municipality of the moment of enrolment:
//! the history stays with the entity). A reviewer is silently limited to their department; a
//! department filter for another department yields nothing.

pub mod coverage;
pub mod dashboard;
mod detail;
pub mod differential;
pub mod named;
pub mod place;
pub mod workbook;

pub use detail::{
    Batch, ParticipantRow, participant_batches, participants_of_batch, participants_page,
};

use crate::accounts::actor::Actor;
use crate::entities::values::CohortStatus;
use crate::entities::{
    cohort, cohort_figure, course_capacity, department, enrolment, municipality,
};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Select,
};
use serde::Serialize;
use std::collections::HashMap;

/// The filters of a report as they arrive in the query string (the web layer reads them as
/// `reports::ReportParams`).
#[derive(Clone, Debug, Default)]
pub struct ReportQuery {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub cohort: Option<i32>,
    pub course: Option<i32>,
    pub capacity: Option<i32>,
    pub provider: Option<i32>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The filters after validation and the caller's scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub cohort: Option<i32>,
    pub course: Option<i32>,
    pub capacity: Option<i32>,
    /// Only this provider's cohorts (a filter; forced for another provider's coordinator).
    pub provider: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A reviewer asked for another department: the report is empty.
    pub nothing: bool,
    /// A territorial direction's coordinator: only these departments (people and figures).
    pub within: Option<Vec<String>>,
}

/// A filter's text, trimmed; `None` when empty.
pub(crate) fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Applies the caller's department scope to a report's place filters, silently: a reviewer's
/// department replaces `department`, and asking for another department (or a municipality of
/// one) — or being a reviewer without a department — yields `true`: an empty report, never an
/// error that would confirm anything.
pub(crate) fn limit_to_scope(
    user: &Actor,
    department: &mut Option<String>,
    municipality: Option<&str>,
) -> bool {
    if let Some(scope) = user.department_scope() {
        let elsewhere = department.as_deref().is_some_and(|d| d != scope)
            || municipality.is_some_and(|m| !m.starts_with(scope));
        *department = Some(scope.to_string());
        elsewhere
    } else {
        user.role == crate::entities::values::Role::Reviewer
    }
}

impl ReportQuery {
    /// The filters as they are used (issue 46): text trimmed, empty as absent. What the pages
    /// show again, link to and keep their content under.
    pub fn normalised(self) -> Self {
        ReportQuery {
            department: non_empty(&self.department),
            municipality: non_empty(&self.municipality),
            from: non_empty(&self.from),
            to: non_empty(&self.to),
            ..self
        }
    }

    /// The place filters checked against the reference (issue 61): a municipality typed by
    /// name or code becomes its code; one that does not exist (or a department code that does
    /// not) is left out and returned as a problem, in Spanish, instead of being read as a
    /// filter that matches nothing.
    pub async fn resolve_places<C: ConnectionTrait>(
        mut self,
        db: &C,
    ) -> AppResult<(Self, Vec<crate::error::FieldError>)> {
        use crate::error::FieldError;
        let mut errors = Vec::new();
        if let Some(code) = non_empty(&self.department) {
            let found = department::Entity::find_by_id(code.clone()).one(db).await?;
            if found.is_none() {
                errors.push(FieldError::new(
                    "department",
                    format!(
                        "No existe un departamento con código DANE «{code}»: elíjalo de la lista."
                    ),
                ));
                self.department = None;
            }
        }
        if let Some(typed) = non_empty(&self.municipality) {
            match crate::territory::resolve_municipality_list(db, &typed).await? {
                Ok(codes) if codes.len() == 1 => {
                    self.municipality = codes.into_iter().next();
                }
                Ok(_) => {
                    errors.push(FieldError::new("municipality", "Elija un solo municipio."));
                    self.municipality = None;
                }
                Err(problems) => {
                    errors.extend(
                        problems
                            .into_iter()
                            .map(|p| FieldError::new("municipality", p)),
                    );
                    self.municipality = None;
                }
            }
        }
        Ok((self, errors))
    }

    /// [`ReportQuery::resolve_places`] then [`ReportQuery::resolve`], for the API and the
    /// workbooks: a place that does not exist is a 422 like a date that does not pass.
    pub async fn resolve_checked<C: ConnectionTrait>(
        self,
        db: &C,
        user: &Actor,
    ) -> AppResult<Filters> {
        let (query, mut errors) = self.resolve_places(db).await?;
        match query.resolve(user) {
            Ok(filters) if errors.is_empty() => Ok(filters),
            Ok(_) => Err(AppError::Validation(errors)),
            Err(AppError::Validation(more)) => {
                errors.extend(more);
                Err(AppError::Validation(errors))
            }
            Err(other) => Err(other),
        }
    }

    /// Like [`ReportQuery::resolve`] for a report's page (issue 45): dates that do not pass
    /// are left out of the report and returned as the page's problems, so the page shows the
    /// report without them and says why beside the filters.
    pub fn resolve_for_page(
        &self,
        user: &Actor,
    ) -> AppResult<(Filters, Vec<crate::error::FieldError>)> {
        match self.resolve(user) {
            Ok(filters) => Ok((filters, Vec::new())),
            Err(AppError::Validation(errors)) => {
                let without_dates = ReportQuery {
                    from: None,
                    to: None,
                    ..self.clone()
                };
                Ok((without_dates.resolve(user)?, errors))
            }
            Err(other) => Err(other),
        }
    }

    /// Validates dates (422) and applies the caller's department scope.
    pub fn resolve(&self, user: &Actor) -> AppResult<Filters> {
        let mut errors = Vec::new();
        let from = crate::parse::date("from", self.from.as_deref(), false, &mut errors);
        let to = crate::parse::date("to", self.to.as_deref(), false, &mut errors);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.push(crate::error::FieldError::new(
                "to",
                "La fecha final no puede ser anterior a la inicial.",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut filters = Filters {
            department: non_empty(&self.department),
            municipality: non_empty(&self.municipality),
            cohort: self.cohort,
            course: self.course,
            capacity: self.capacity,
            provider: self.provider,
            from,
            to,
            nothing: false,
            within: None,
        };
        filters.nothing = limit_to_scope(
            user,
            &mut filters.department,
            filters.municipality.as_deref(),
        );
        if let Some(codes) = user.direction_departments() {
            // A direction's coordinator reads the attendance report, its people and its
            // workbook within its departments; asking for another is an empty report.
            let outside = |code: &str| !codes.iter().any(|c| c == code);
            filters.nothing |= filters.department.as_deref().is_some_and(outside)
                || filters
                    .municipality
                    .as_deref()
                    .is_some_and(|m| outside(m.get(..2).unwrap_or_default()))
                || codes.is_empty();
            filters.within = Some(codes.to_vec());
        }
        if user.is_other_provider() {
            // Another provider's coordinator reads the results (and the people) of its own
            // provider's cohorts; every provider's offer is in the offer view.
            filters.nothing |= self.provider.is_some_and(|p| p != user.provider_id);
            filters.provider = Some(user.provider_id);
        }
        Ok(filters)
    }
}

impl Filters {
    /// (what, value) pairs for the workbook's header block.
    /// The filters in force, as people read them: names, not codes ([`named::describe`]).
    pub async fn describe<C: ConnectionTrait>(&self, db: &C) -> AppResult<Vec<(String, String)>> {
        use named::Filter;
        let filters: Vec<Filter> = [
            self.department.clone().map(Filter::Department),
            self.municipality.clone().map(Filter::Municipality),
            self.cohort.map(Filter::Cohort),
            self.course.map(Filter::Course),
            self.capacity.map(Filter::Capacity),
            self.provider.map(Filter::Provider),
            self.from.map(Filter::From),
            self.to.map(Filter::To),
        ]
        .into_iter()
        .flatten()
        .collect();
        named::describe(db, &filters).await
    }

    /// Whether the report covers a whole department (or the nation): no filter but the
    /// department. Such reports read their differential approach from the figures model.
    pub fn whole_territory(&self) -> bool {
        self.within.is_none()
            && self.municipality.is_none()
            && self.cohort.is_none()
            && self.course.is_none()
            && self.capacity.is_none()
            && self.provider.is_none()
            && self.from.is_none()
            && self.to.is_none()
    }

    /// Whether a filter reads the cohort's columns (otherwise reports skip joining cohorts:
    /// one lookup less per enrolment).
    fn needs_cohort(&self) -> bool {
        self.course.is_some()
            || self.capacity.is_some()
            || self.provider.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    /// The conditions on enrolments (joined to their municipality, and to their cohort when
    /// [`Filters::needs_cohort`]).
    fn condition(&self) -> Condition {
        let mut c = Condition::all().add(enrolment::Column::Status.is_in(crate::figures::COUNTED));
        if let Some(d) = &self.department {
            c = c.add(municipality::Column::DepartmentCode.eq(d.clone()));
        }
        if let Some(codes) = &self.within {
            c = c.add(municipality::Column::DepartmentCode.is_in(codes.clone()));
        }
        if let Some(m) = &self.municipality {
            c = c.add(enrolment::Column::MunicipalityCode.eq(m.clone()));
        }
        if let Some(id) = self.cohort {
            c = c.add(enrolment::Column::CohortId.eq(id));
        }
        c.add(self.cohort_condition())
    }

    /// The conditions on the cohort's own columns (course, capacity, dates), for queries
    /// joined to `cohorts` — the same for enrolments and for figures.
    fn cohort_condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(id) = self.course {
            c = c.add(cohort::Column::CourseId.eq(id));
        }
        if let Some(id) = self.provider {
            c = c.add(cohort::Column::ProviderId.eq(id));
        }
        if let Some(id) = self.capacity {
            c = c.add(
                cohort::Column::CourseId.in_subquery(
                    Query::select()
                        .column(course_capacity::Column::CourseId)
                        .from(course_capacity::Entity)
                        .and_where(course_capacity::Column::CapacityId.eq(id))
                        .to_owned(),
                ),
            );
        }
        if let Some(from) = self.from {
            c = c.add(cohort::Column::EndDate.gte(from));
        }
        if let Some(to) = self.to {
            c = c.add(cohort::Column::StartDate.lte(to));
        }
        c
    }
}

/// Joins a query that already reaches `enrolments` to the enrolment's municipality (and to the
/// cohort when a filter needs it), and applies the filters.
pub(crate) fn scoped<E: EntityTrait>(select: Select<E>, filters: &Filters) -> Select<E> {
    let select = if filters.needs_cohort() {
        select.join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
    } else {
        select
    };
    scoped_municipality(select, filters)
}

/// The same for a query that selects cohort columns: always joined to the cohort.
pub(crate) fn scoped_with_cohort<E: EntityTrait>(
    select: Select<E>,
    filters: &Filters,
) -> Select<E> {
    scoped_municipality(
        select.join(JoinType::InnerJoin, enrolment::Relation::Cohort.def()),
        filters,
    )
}

fn scoped_municipality<E: EntityTrait>(select: Select<E>, filters: &Filters) -> Select<E> {
    select
        .join(
            JoinType::InnerJoin,
            enrolment::Entity::belongs_to(municipality::Entity)
                .from(enrolment::Column::MunicipalityCode)
                .to(municipality::Column::Code)
                .into(),
        )
        .filter(filters.condition())
}

/// One row of the attendance report: a municipality (of the enrolment) and a cohort, read from
/// the figures model (`crate::figures`).
///
/// Honest states (issue 20): a cohort that has not held a session yet has no attendance and no
/// completion (`None`); a running cohort's percentage is over the sessions held so far
/// (`sessions_held`); completion is decided at closing, so only closed cohorts have it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceReportRow)]
pub struct AttendanceRow {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub department_name: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    /// The cohort's state: `draft`, `open`, `in_progress`, `closed` or `cancelled`.
    pub status: CohortStatus,
    /// Enrolments enrolled, completed or not completed (at closing: the frozen enrolment).
    pub enrolled: i64,
    /// Sessions held so far (all of them once closed).
    pub sessions_held: i64,
    /// The same as `sessions_held` (kept for existing integrations).
    pub sessions: i64,
    /// Sessions scheduled in the cohort.
    pub sessions_scheduled: i64,
    /// Sessions attended (presente or tarde) by these enrolments.
    pub attended: i64,
    /// `100 × attended / (enrolled × sessions)`, over the sessions held while running and over
    /// all sessions once closed; `null` before the first session.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: Option<f64>,
    /// People who completed; `null` until the cohort closes.
    pub completed: Option<i64>,
    /// Valid certificates.
    pub certified: i64,
}

impl AttendanceRow {
    /// How far the cohort is, as a report reads it.
    pub fn stage(&self) -> Stage {
        Stage::of(self.status, self.sessions_held)
    }

    /// The sessions the percentage is over (0 before the first).
    fn denominator(&self) -> i64 {
        match self.stage() {
            Stage::Closed => self.sessions_scheduled,
            Stage::Running => self.sessions_held,
            Stage::NotStarted => 0,
        }
    }
}

/// How far a cohort is, for its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// No session held yet (or cancelled before any): no attendance, no completion.
    NotStarted,
    /// Sessions held, not closed: attendance over the sessions held, no completion yet.
    Running,
    /// Closed: the frozen figures.
    Closed,
}

impl Stage {
    pub fn of(status: CohortStatus, sessions_held: i64) -> Stage {
        match status {
            CohortStatus::Closed => Stage::Closed,
            _ if sessions_held > 0 => Stage::Running,
            _ => Stage::NotStarted,
        }
    }

    /// «Sin iniciar», «En curso (4 de 10 sesiones)», «Cerrada».
    pub fn label(self, held: i64, scheduled: i64) -> String {
        match self {
            Stage::NotStarted => "Sin iniciar".to_string(),
            Stage::Running => format!("En curso ({held} de {scheduled} sesiones)"),
            Stage::Closed => "Cerrada".to_string(),
        }
    }
}

/// What pages and workbooks say for attendance before a cohort's first session.
pub use crate::attendance::basis::NOT_STARTED;
/// What they say for completion before a cohort closes (completion is decided at closing).
pub use crate::results::NOT_CLOSED;

/// `100 × part / whole` (0 when there is no whole).
pub fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part * 100) as f64 / whole as f64
    }
}

/// `100 × part / whole`, or `None` when there is no whole (nothing to measure yet).
pub fn pct_of(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| pct(part, whole))
}

#[derive(FromQueryResult)]
struct FigureRow {
    cohort_id: i32,
    municipality_code: String,
    department_code: String,
    // The figures' own columns are INTEGER (PostgreSQL decodes them as i32 only).
    enrolled: i32,
    completed: i32,
    attended: i32,
    certified: i32,
    sessions_scheduled: i32,
    cohort_name: String,
    status: CohortStatus,
    municipality_name: String,
    department_name: String,
}

pub(crate) use crate::figures::{attended_marks, valid_certificates};

/// Sessions already started per cohort, for these cohorts (the definition of «held» is
/// [`crate::attendance::basis::sessions_of`]'s).
async fn sessions_held<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
) -> AppResult<HashMap<i32, i64>> {
    Ok(crate::attendance::basis::sessions_of(db, cohort_ids)
        .await?
        .into_iter()
        .map(|(id, (held, _))| (id, held))
        .collect())
}

/// One page of rows computed in full (the list convention: `page` ≥ 1, `per_page` ≤ 500):
/// (items, total of every row, page, per_page).
pub fn page_of<T>(
    rows: Vec<T>,
    paging: &crate::paging::Paging,
) -> AppResult<(Vec<T>, usize, u64, u64)> {
    let (page, per_page) = paging.resolve()?;
    let total = rows.len();
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let items = rows
        .into_iter()
        .skip(skip)
        .take(per_page as usize)
        .collect();
    Ok((items, total, page, per_page))
}

/// The attendance report: rows by municipality (code) and cohort, read from the figures model
/// (one query, plus the sessions held of the cohorts not closed yet), in the report's order
/// (municipality name, code, cohort).
pub async fn attendance<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<Vec<AttendanceRow>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    rows_of(db, ordered(figures_in_scope(filters))).await
}

/// One page of the attendance report, cut in SQL (the list convention: `page` ≥ 1,
/// `per_page` ≤ 500): (items, total of every row, page, per_page). Its cost follows the page.
pub async fn attendance_page<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    paging: &crate::paging::Paging,
) -> AppResult<(Vec<AttendanceRow>, usize, u64, u64)> {
    let (page, per_page) = paging.resolve()?;
    if filters.nothing {
        return Ok((Vec::new(), 0, page, per_page));
    }
    let total: i64 = figures_filtered(filters)
        .select_only()
        .column_as(cohort_figure::Column::CohortId.count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let offset = (page - 1).saturating_mul(per_page);
    let items = if offset >= total as u64 {
        Vec::new()
    } else {
        rows_of(
            db,
            ordered(figures_in_scope(filters))
                .offset(offset)
                .limit(per_page),
        )
        .await?
    };
    Ok((items, total as usize, page, per_page))
}

/// The report's order: municipality name (folded), code, cohort.
fn ordered(select: Select<cohort_figure::Entity>) -> Select<cohort_figure::Entity> {
    select
        .order_by_asc(cohort_figure::Column::MunicipalitySort)
        .order_by_asc(cohort_figure::Column::MunicipalityCode)
        .order_by_asc(cohort_figure::Column::CohortId)
}

/// The rows of a selection of figures, with their stage.
async fn rows_of<C: ConnectionTrait>(
    db: &C,
    select: Select<cohort_figure::Entity>,
) -> AppResult<Vec<AttendanceRow>> {
    let found: Vec<FigureRow> = select
        .select_only()
        .column(cohort_figure::Column::CohortId)
        .column(cohort_figure::Column::MunicipalityCode)
        .column(cohort_figure::Column::DepartmentCode)
        .column(cohort_figure::Column::Enrolled)
        .column(cohort_figure::Column::Completed)
        .column(cohort_figure::Column::Attended)
        .column(cohort_figure::Column::Certified)
        .column(cohort_figure::Column::SessionsScheduled)
        .column_as(cohort::Column::Name, "cohort_name")
        .column_as(cohort::Column::Status, "status")
        .column_as(municipality::Column::Name, "municipality_name")
        .column_as(department::Column::Name, "department_name")
        .into_model()
        .all(db)
        .await?;
    let mut unfinished: Vec<i32> = found
        .iter()
        .filter(|r| r.status != CohortStatus::Closed)
        .map(|r| r.cohort_id)
        .collect();
    unfinished.sort_unstable();
    unfinished.dedup();
    let held = sessions_held(db, &unfinished).await?;
    Ok(found
        .into_iter()
        .map(|f| {
            let sessions_scheduled = i64::from(f.sessions_scheduled);
            let sessions_held = if f.status == CohortStatus::Closed {
                sessions_scheduled
            } else {
                held.get(&f.cohort_id).copied().unwrap_or(0)
            };
            let mut row = AttendanceRow {
                municipality_code: f.municipality_code,
                municipality_name: f.municipality_name,
                department_code: f.department_code,
                department_name: f.department_name,
                cohort_id: f.cohort_id,
                cohort_name: f.cohort_name,
                status: f.status,
                enrolled: i64::from(f.enrolled),
                sessions_held,
                sessions: sessions_held,
                sessions_scheduled,
                attended: i64::from(f.attended),
                attendance_pct: None,
                completed: None,
                certified: i64::from(f.certified),
            };
            row.attendance_pct = pct_of(row.attended, row.enrolled * row.denominator());
            if row.stage() == Stage::Closed {
                row.completed = Some(i64::from(f.completed));
            }
            row
        })
        .collect())
}

/// One municipality's sums: of every cohort (cohorts, enrolled, certified) and of the closed
/// ones (completed, enrolled, attended, expected).
#[derive(FromQueryResult)]
pub(crate) struct SummaryTotals {
    pub municipality_code: String,
    pub department_code: String,
    pub cohorts: i64,
    pub enrolled: i64,
    pub certified: i64,
    pub completed: i64,
    pub closed_enrolled: i64,
    pub closed_attended: i64,
    pub closed_expected: i64,
}

/// The report summed per municipality, in SQL for the closed cohorts (one grouped query over
/// the figures' own rows) plus the rows of the cohorts not closed (few), so its cost does not
/// follow the cohorts of the department. The same figures as [`by_municipality`] over
/// [`attendance`] (tested).
pub async fn summaries<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<Vec<MunicipalitySummary>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    let closed = |column: &str| {
        Expr::cust(format!(
            "SUM(CASE WHEN cohort_figures.closed THEN {column} ELSE 0 END)"
        ))
    };
    let totals: Vec<SummaryTotals> = figures_filtered(filters)
        .select_only()
        .column(cohort_figure::Column::MunicipalityCode)
        .column(cohort_figure::Column::DepartmentCode)
        .column_as(cohort_figure::Column::CohortId.count(), "cohorts")
        .column_as(cohort_figure::Column::Enrolled.sum(), "enrolled")
        .column_as(cohort_figure::Column::Certified.sum(), "certified")
        .column_as(closed("cohort_figures.completed"), "completed")
        .column_as(closed("cohort_figures.enrolled"), "closed_enrolled")
        .column_as(closed("cohort_figures.attended"), "closed_attended")
        .column_as(
            closed("cohort_figures.enrolled * cohort_figures.sessions_scheduled"),
            "closed_expected",
        )
        .group_by(cohort_figure::Column::MunicipalityCode)
        .group_by(cohort_figure::Column::DepartmentCode)
        .into_model()
        .all(db)
        .await?;
    finish_summaries(db, filters, totals).await
}

/// The summaries from the sums of the closed cohorts and every cohort per municipality
/// (`totals`: grouped from the figures' rows, or read from the maintained place sums for a
/// home's scope), with the cohorts not closed yet read row by row (few).
pub(crate) async fn finish_summaries<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    totals: Vec<SummaryTotals>,
) -> AppResult<Vec<MunicipalitySummary>> {
    // The cohorts not closed yet: attendance over the sessions each has held.
    let open = rows_of(
        db,
        figures_in_scope(filters).filter(cohort_figure::Column::Closed.eq(false)),
    )
    .await?;
    let mut running: HashMap<String, (i64, i64)> = HashMap::new();
    for row in &open {
        let entry = running.entry(row.municipality_code.clone()).or_default();
        entry.0 += row.attended;
        entry.1 += row.enrolled * row.denominator();
    }
    let names = place_names(db, totals.iter().map(|t| t.municipality_code.clone())).await?;
    let mut out: Vec<MunicipalitySummary> = totals
        .into_iter()
        .map(|t| {
            let (attended, expected) = running
                .get(&t.municipality_code)
                .copied()
                .unwrap_or_default();
            let (municipality_name, department_name) =
                names.get(&t.municipality_code).cloned().unwrap_or_default();
            MunicipalitySummary {
                attendance_pct: pct_of(t.closed_attended + attended, t.closed_expected + expected),
                completion_pct: pct_of(t.completed, t.closed_enrolled),
                municipality_code: t.municipality_code,
                municipality_name,
                department_code: t.department_code,
                department_name,
                cohorts: t.cohorts,
                enrolled: t.enrolled,
                completed: t.completed,
                certified: t.certified,
            }
        })
        .collect();
    out.sort_by_cached_key(|s| {
        (
            crate::text::fold(&s.municipality_name),
            s.municipality_code.clone(),
        )
    });
    Ok(out)
}

/// A municipality's department, to join for its name.
pub(crate) fn municipality_department() -> sea_orm::RelationDef {
    municipality::Entity::belongs_to(department::Entity)
        .from(municipality::Column::DepartmentCode)
        .to(department::Column::Code)
        .into()
}

/// Municipality code → (its name, its department's name), for these codes.
async fn place_names<C: ConnectionTrait>(
    db: &C,
    codes: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, (String, String)>> {
    let codes: Vec<String> = codes.collect();
    let mut out = HashMap::new();
    for chunk in codes.chunks(5_000) {
        let found: Vec<(String, String, String)> = municipality::Entity::find()
            .join(JoinType::InnerJoin, municipality_department())
            .select_only()
            .column(municipality::Column::Code)
            .column(municipality::Column::Name)
            .column_as(department::Column::Name, "department_name")
            .filter(municipality::Column::Code.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found.into_iter().map(|(code, m, d)| (code, (m, d))));
    }
    Ok(out)
}

/// The figures rows in the filters' scope with someone enrolled, joined to their cohort only
/// when a filter reads it: counts and sums read no more than the figures' own rows.
pub(crate) fn figures_filtered(filters: &Filters) -> Select<cohort_figure::Entity> {
    let mut c = Condition::all().add(cohort_figure::Column::Enrolled.gt(0));
    if let Some(d) = &filters.department {
        c = c.add(cohort_figure::Column::DepartmentCode.eq(d.clone()));
    }
    if let Some(codes) = &filters.within {
        c = c.add(cohort_figure::Column::DepartmentCode.is_in(codes.clone()));
    }
    if let Some(m) = &filters.municipality {
        c = c.add(cohort_figure::Column::MunicipalityCode.eq(m.clone()));
    }
    if let Some(id) = filters.cohort {
        c = c.add(cohort_figure::Column::CohortId.eq(id));
    }
    let c = c.add(filters.cohort_condition());
    let select = cohort_figure::Entity::find();
    let select = if filters.needs_cohort() {
        select.join(JoinType::InnerJoin, cohort_figure::Relation::Cohort.def())
    } else {
        select
    };
    select.filter(c)
}

/// The same rows joined to their cohort, municipality and department (for their names).
fn figures_in_scope(filters: &Filters) -> Select<cohort_figure::Entity> {
    let select = figures_filtered(filters);
    let select = if filters.needs_cohort() {
        select
    } else {
        select.join(JoinType::InnerJoin, cohort_figure::Relation::Cohort.def())
    };
    select
        .join(
            JoinType::InnerJoin,
            cohort_figure::Relation::Municipality.def(),
        )
        .join(
            JoinType::InnerJoin,
            cohort_figure::Entity::belongs_to(department::Entity)
                .from(cohort_figure::Column::DepartmentCode)
                .to(department::Column::Code)
                .into(),
        )
}

/// The whole attendance report and its differential approach, read at the same time (the
/// workbook's figures).
pub async fn attendance_with_differential<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<(Vec<AttendanceRow>, differential::Differential)> {
    tokio::try_join!(
        attendance(db, filters),
        differential::differential(db, filters)
    )
}

/// The attendance report summed per municipality: attendance over the cohorts that held
/// sessions, completion over the closed ones (`None` when there are none).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MunicipalitySummary {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub department_name: String,
    pub cohorts: i64,
    pub enrolled: i64,
    pub attendance_pct: Option<f64>,
    pub completed: i64,
    pub completion_pct: Option<f64>,
    pub certified: i64,
}

pub fn by_municipality(rows: &[AttendanceRow]) -> Vec<MunicipalitySummary> {
    let mut out: Vec<MunicipalitySummary> = Vec::new();
    // (attended, expected, enrolled in closed cohorts) per summary
    let mut totals: Vec<(i64, i64, i64)> = Vec::new();
    for row in rows {
        // Rows come sorted by municipality, so a municipality's rows are consecutive.
        let index = match out.last() {
            Some(last) if last.municipality_code == row.municipality_code => out.len() - 1,
            _ => {
                out.push(MunicipalitySummary {
                    municipality_code: row.municipality_code.clone(),
                    municipality_name: row.municipality_name.clone(),
                    department_code: row.department_code.clone(),
                    department_name: row.department_name.clone(),
                    cohorts: 0,
                    enrolled: 0,
                    attendance_pct: None,
                    completed: 0,
                    completion_pct: None,
                    certified: 0,
                });
                totals.push((0, 0, 0));
                out.len() - 1
            }
        };
        let s = &mut out[index];
        s.cohorts += 1;
        s.enrolled += row.enrolled;
        s.completed += row.completed.unwrap_or(0);
        s.certified += row.certified;
        totals[index].0 += row.attended;
        totals[index].1 += row.enrolled * row.denominator();
        if row.completed.is_some() {
            totals[index].2 += row.enrolled;
        }
    }
    for (s, (attended, expected, closed)) in out.iter_mut().zip(totals) {
        s.attendance_pct = pct_of(attended, expected);
        s.completion_pct = pct_of(s.completed, closed);
    }
    out
}
