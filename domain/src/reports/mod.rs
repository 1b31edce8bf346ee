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
pub mod place;
pub mod workbook;

pub use detail::{ParticipantRow, participants, participants_page};

use crate::accounts::actor::Actor;
use crate::entities::values::{CertificateStatus, EnrolmentStatus, Mark};
use crate::entities::{
    attendance_mark, certificate, cohort, cohort_session, course_capacity, enrolment, municipality,
};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, RelationTrait, Select,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The filters of a report as they arrive in the query string (the web layer reads them as
/// `reports::ReportParams`).
#[derive(Clone, Debug, Default)]
pub struct ReportQuery {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub cohort: Option<i32>,
    pub course: Option<i32>,
    pub capacity: Option<i32>,
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
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A reviewer asked for another department: the report is empty.
    pub nothing: bool,
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
            from,
            to,
            nothing: false,
        };
        filters.nothing = limit_to_scope(
            user,
            &mut filters.department,
            filters.municipality.as_deref(),
        );
        Ok(filters)
    }
}

impl Filters {
    /// (what, value) pairs for the workbook's header block.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |what: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push((what.to_string(), v));
            }
        };
        push("Departamento", self.department.clone());
        push("Municipio", self.municipality.clone());
        push("Cohorte", self.cohort.map(|c| c.to_string()));
        push("Curso", self.course.map(|c| c.to_string()));
        push("Capacidad", self.capacity.map(|c| c.to_string()));
        push("Desde", self.from.map(|d| d.to_string()));
        push("Hasta", self.to.map(|d| d.to_string()));
        out
    }

    /// Whether a filter reads the cohort's columns (otherwise reports skip joining cohorts:
    /// one lookup less per enrolment).
    fn needs_cohort(&self) -> bool {
        self.course.is_some() || self.capacity.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// The conditions on enrolments (joined to their municipality, and to their cohort when
    /// [`Filters::needs_cohort`]).
    fn condition(&self) -> Condition {
        let mut c = Condition::all().add(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]));
        if let Some(d) = &self.department {
            c = c.add(municipality::Column::DepartmentCode.eq(d.clone()));
        }
        if let Some(m) = &self.municipality {
            c = c.add(enrolment::Column::MunicipalityCode.eq(m.clone()));
        }
        if let Some(id) = self.cohort {
            c = c.add(enrolment::Column::CohortId.eq(id));
        }
        if let Some(id) = self.course {
            c = c.add(cohort::Column::CourseId.eq(id));
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

/// One row of the attendance report: a municipality (of the enrolment) and a cohort.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceReportRow)]
pub struct AttendanceRow {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    /// Enrolments enrolled, completed or not completed.
    pub enrolled: i64,
    /// Sessions held (started) in the cohort.
    pub sessions: i64,
    /// Sessions scheduled in the cohort (the denominator of the percentage).
    pub sessions_scheduled: i64,
    /// Marks presente or tarde of these enrolments.
    pub attended: i64,
    /// `100 × attended / (enrolled × scheduled)`.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: f64,
    pub completed: i64,
    /// Valid certificates.
    pub certified: i64,
}

/// `100 × part / whole` (0 when there is no whole).
pub fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part * 100) as f64 / whole as f64
    }
}

#[derive(FromQueryResult)]
struct GroupCount {
    municipality_code: String,
    cohort_id: i32,
    n: i64,
}

#[derive(FromQueryResult)]
struct StatusCount {
    municipality_code: String,
    cohort_id: i32,
    status: EnrolmentStatus,
    n: i64,
    /// Σ sessions attended frozen at closing (NULL when none of the group is frozen).
    frozen_attended: Option<i64>,
}

#[derive(FromQueryResult)]
struct SessionCount {
    cohort_id: i32,
    n: i64,
}

/// Marks that count as attended (presente, tarde), joined to their enrolment.
fn attended_marks() -> Select<attendance_mark::Entity> {
    attendance_mark::Entity::find()
        .join(
            JoinType::InnerJoin,
            attendance_mark::Relation::Enrolment.def(),
        )
        .filter(attendance_mark::Column::Status.is_in([Mark::Presente, Mark::Tarde]))
}

/// Valid certificates (not revoked, not superseded), joined to their enrolment.
fn valid_certificates() -> Select<certificate::Entity> {
    certificate::Entity::find()
        .join(
            JoinType::InnerJoin,
            certificate::Entity::belongs_to(enrolment::Entity)
                .from(certificate::Column::EnrolmentId)
                .to(enrolment::Column::Id)
                .into(),
        )
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
}

/// Sessions per cohort of these cohorts: all scheduled ones, or only those already started
/// (`held_only`). One grouped query.
async fn sessions_per_cohort<C: ConnectionTrait>(
    db: &C,
    cohort_ids: &[i32],
    held_only: bool,
) -> AppResult<HashMap<i32, i64>> {
    let mut q = cohort_session::Entity::find()
        .select_only()
        .column(cohort_session::Column::CohortId)
        .column_as(cohort_session::Column::Id.count(), "n")
        .filter(cohort_session::Column::CohortId.is_in(cohort_ids.to_vec()))
        .group_by(cohort_session::Column::CohortId);
    if held_only {
        q = q.filter(cohort_session::Column::StartsAt.lte(crate::time::now()));
    }
    Ok(q.into_model::<SessionCount>()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.cohort_id, s.n))
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

/// The attendance report: rows by municipality (code) and cohort. Seven queries whatever the
/// size of the data. Closed cohorts are history: their attendance is read from the counts
/// frozen on each enrolment at closing (marks can no longer change), so only the marks of
/// cohorts still running are counted — the report's cost follows the enrolments in scope, not
/// the millions of marks behind them.
pub async fn attendance<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<Vec<AttendanceRow>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    // 1. Enrolments by municipality, cohort and status.
    let statuses: Vec<StatusCount> = scoped(
        enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::MunicipalityCode)
            .column(enrolment::Column::CohortId)
            .column(enrolment::Column::Status)
            .column_as(enrolment::Column::Id.count(), "n")
            .column_as(enrolment::Column::SessionsAttended.sum(), "frozen_attended"),
        filters,
    )
    .group_by(enrolment::Column::MunicipalityCode)
    .group_by(enrolment::Column::CohortId)
    .group_by(enrolment::Column::Status)
    .into_model::<StatusCount>()
    .all(db)
    .await?;
    // (enrolled, completed, attended per frozen counts)
    let mut groups: BTreeMap<(String, i32), (i64, i64, i64)> = BTreeMap::new();
    for s in statuses {
        let entry = groups
            .entry((s.municipality_code, s.cohort_id))
            .or_default();
        entry.0 += s.n;
        if s.status == EnrolmentStatus::Completed {
            entry.1 += s.n;
        }
        entry.2 += s.frozen_attended.unwrap_or(0);
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    // 2. Marks attended by municipality and cohort, for enrolments not frozen yet.
    let attended: HashMap<(String, i32), i64> = scoped(
        attended_marks()
            .select_only()
            .column(enrolment::Column::MunicipalityCode)
            .column(enrolment::Column::CohortId)
            .column_as(attendance_mark::Column::Id.count(), "n")
            .filter(enrolment::Column::SessionsAttended.is_null()),
        filters,
    )
    .group_by(enrolment::Column::MunicipalityCode)
    .group_by(enrolment::Column::CohortId)
    .into_model::<GroupCount>()
    .all(db)
    .await?
    .into_iter()
    .map(|g| ((g.municipality_code, g.cohort_id), g.n))
    .collect();
    // 3. Valid certificates by municipality and cohort.
    let certified: HashMap<(String, i32), i64> = scoped(
        valid_certificates()
            .select_only()
            .column(enrolment::Column::MunicipalityCode)
            .column(enrolment::Column::CohortId)
            .column_as(certificate::Column::Id.count(), "n"),
        filters,
    )
    .group_by(enrolment::Column::MunicipalityCode)
    .group_by(enrolment::Column::CohortId)
    .into_model::<GroupCount>()
    .all(db)
    .await?
    .into_iter()
    .map(|g| ((g.municipality_code, g.cohort_id), g.n))
    .collect();
    // 4–5. Sessions scheduled and held per cohort.
    let cohort_ids: Vec<i32> = {
        let mut ids: Vec<i32> = groups.keys().map(|(_, c)| *c).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let scheduled = sessions_per_cohort(db, &cohort_ids, false).await?;
    let held = sessions_per_cohort(db, &cohort_ids, true).await?;
    // 6–7. Names.
    let codes: Vec<String> = {
        let mut codes: Vec<String> = groups.keys().map(|(m, _)| m.clone()).collect();
        codes.dedup();
        codes
    };
    let places: HashMap<String, municipality::Model> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let cohorts: HashMap<i32, String> = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::Name)
        .filter(cohort::Column::Id.is_in(cohort_ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut rows: Vec<AttendanceRow> = groups
        .into_iter()
        .map(|((code, cohort_id), (enrolled, completed, frozen))| {
            let key = (code.clone(), cohort_id);
            let scheduled = scheduled.get(&cohort_id).copied().unwrap_or(0);
            let attended = frozen + attended.get(&key).copied().unwrap_or(0);
            let place = places.get(&code);
            AttendanceRow {
                municipality_name: place.map(|m| m.name.clone()).unwrap_or_default(),
                department_code: place
                    .map(|m| m.department_code.clone())
                    .unwrap_or_else(|| code.get(..2).unwrap_or_default().to_string()),
                municipality_code: code,
                cohort_id,
                cohort_name: cohorts.get(&cohort_id).cloned().unwrap_or_default(),
                enrolled,
                sessions: held.get(&cohort_id).copied().unwrap_or(0),
                sessions_scheduled: scheduled,
                attended,
                attendance_pct: pct(attended, enrolled * scheduled),
                completed,
                certified: certified.get(&key).copied().unwrap_or(0),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        crate::text::fold(&a.municipality_name)
            .cmp(&crate::text::fold(&b.municipality_name))
            .then(a.municipality_code.cmp(&b.municipality_code))
            .then(a.cohort_id.cmp(&b.cohort_id))
    });
    Ok(rows)
}

/// The attendance report and its differential approach, computed at the same time (two
/// connections: at department size each is a few hundred milliseconds of database work).
pub async fn attendance_with_differential<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<(Vec<AttendanceRow>, differential::Differential)> {
    tokio::try_join!(
        attendance(db, filters),
        differential::differential(db, filters)
    )
}

/// The attendance report summed per municipality.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MunicipalitySummary {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub cohorts: i64,
    pub enrolled: i64,
    pub attendance_pct: f64,
    pub completed: i64,
    pub completion_pct: f64,
    pub certified: i64,
}

pub fn by_municipality(rows: &[AttendanceRow]) -> Vec<MunicipalitySummary> {
    let mut out: Vec<MunicipalitySummary> = Vec::new();
    // (attended, expected) per summary
    let mut totals: Vec<(i64, i64)> = Vec::new();
    for row in rows {
        // Rows come sorted by municipality, so a municipality's rows are consecutive.
        let index = match out.last() {
            Some(last) if last.municipality_code == row.municipality_code => out.len() - 1,
            _ => {
                out.push(MunicipalitySummary {
                    municipality_code: row.municipality_code.clone(),
                    municipality_name: row.municipality_name.clone(),
                    department_code: row.department_code.clone(),
                    cohorts: 0,
                    enrolled: 0,
                    attendance_pct: 0.0,
                    completed: 0,
                    completion_pct: 0.0,
                    certified: 0,
                });
                totals.push((0, 0));
                out.len() - 1
            }
        };
        let s = &mut out[index];
        s.cohorts += 1;
        s.enrolled += row.enrolled;
        s.completed += row.completed;
        s.certified += row.certified;
        totals[index].0 += row.attended;
        totals[index].1 += row.enrolled * row.sessions_scheduled;
    }
    for (s, (attended, expected)) in out.iter_mut().zip(totals) {
        s.attendance_pct = pct(attended, expected);
        s.completion_pct = pct(s.completed, s.enrolled);
    }
    out
}
