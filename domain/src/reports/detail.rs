//! The participant-level detail of the attendance report: one row per enrolment in scope
//! (enrolled, completed or not completed), with the same filters and reviewer scope as the
//! report and the one definition of attendance, [`crate::attendance::basis::Attendance`]
//! (marks presente|tarde over the sessions held so far; all scheduled once closed).
//!
//! A constant number of queries whatever the size of the data. A page costs in proportion to
//! the page: the enrolments are sorted and cut in SQL (`LIMIT`/`OFFSET`), and marks and
//! certificates are counted only for that page's enrolments. The full list (for the workbook)
//! counts them with grouped queries over the whole scope.

use super::{Filters, Stage, attended_marks, scoped_with_cohort, valid_certificates};
use crate::attendance::basis::Attendance;
use crate::entities::values::{CohortStatus, DocumentType, EnrolmentStatus};
use crate::entities::{
    attendance_mark, certificate, cohort, cohort_figure, department, enrolment, municipality,
    participant,
};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Select,
};
use serde::Serialize;
use std::collections::HashMap;

/// One person in one cohort, as the attendance report counts them.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceParticipantRow)]
pub struct ParticipantRow {
    pub enrolment_id: i32,
    pub participant_id: i32,
    /// The enrolment's municipality (the snapshot taken at enrolment).
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub department_name: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    /// The cohort's state (`draft`, `open`, `in_progress`, `closed`, `cancelled`).
    pub cohort_status: CohortStatus,
    pub document_type: DocumentType,
    pub document_number: String,
    pub full_name: String,
    pub status: EnrolmentStatus,
    /// The status in Spanish, as people read it.
    pub status_label: &'static str,
    /// Marks presente or tarde.
    pub sessions_attended: i64,
    /// Sessions scheduled in the cohort.
    pub sessions_scheduled: i64,
    /// Sessions held so far (all of them once the cohort is closed).
    pub sessions_held: i64,
    /// `100 × sessions_attended / sessions held` (all scheduled once closed); `null` before the
    /// cohort's first session.
    #[schema(minimum = 0, maximum = 100)]
    pub attendance_pct: Option<f64>,
    /// The same share with its basis, as every page shows it (extension).
    pub attendance: crate::attendance::basis::Attendance,
    /// Whether the person completed; `null` until the cohort closes (completion is decided
    /// at closing).
    pub completed: Option<bool>,
    /// The code of the enrolment's valid certificate, if any.
    pub certificate_code: Option<String>,
}

/// The columns of one enrolment in scope, before marks and certificates are counted.
#[derive(FromQueryResult)]
struct Line {
    enrolment_id: i32,
    participant_id: i32,
    municipality_code: String,
    municipality_name: String,
    department_code: String,
    department_name: String,
    cohort_id: i32,
    cohort_name: String,
    cohort_status: CohortStatus,
    document_type: DocumentType,
    document_number: String,
    first_names: String,
    last_names: String,
    status: EnrolmentStatus,
    /// Frozen at closing (then the marks are not counted again).
    sessions_attended: Option<i32>,
    /// Frozen at closing, beside `sessions_attended`.
    sessions_total: Option<i32>,
    min_attendance_pct: i32,
}

/// The enrolments in scope with only the columns the rows need, in the order of the report:
/// municipality (DANE code), cohort, last names, first names, enrolment.
fn lines(filters: &Filters) -> Select<enrolment::Entity> {
    scoped_with_cohort(
        enrolment::Entity::find()
            .select_only()
            .column_as(enrolment::Column::Id, "enrolment_id")
            .column(enrolment::Column::ParticipantId)
            .column(enrolment::Column::MunicipalityCode)
            .column_as(municipality::Column::Name, "municipality_name")
            .column_as(municipality::Column::DepartmentCode, "department_code")
            .column_as(department::Column::Name, "department_name")
            .column(enrolment::Column::CohortId)
            .column_as(cohort::Column::Name, "cohort_name")
            .column_as(cohort::Column::Status, "cohort_status")
            .column(participant::Column::DocumentType)
            .column(participant::Column::DocumentNumber)
            .column(participant::Column::FirstNames)
            .column(participant::Column::LastNames)
            .column(enrolment::Column::Status)
            .column(enrolment::Column::SessionsAttended)
            .column(enrolment::Column::SessionsTotal)
            .column_as(cohort::Column::MinAttendancePct, "min_attendance_pct")
            .join(JoinType::InnerJoin, enrolment::Relation::Participant.def()),
        filters,
    )
    .join(JoinType::InnerJoin, super::municipality_department())
    .order_by_asc(enrolment::Column::MunicipalityCode)
    .order_by_asc(enrolment::Column::CohortId)
    .order_by_asc(participant::Column::LastNames)
    .order_by_asc(participant::Column::FirstNames)
    .order_by_asc(enrolment::Column::Id)
}

/// The enrolments in scope in batches of about `size` people, in the report's order, for the
/// workbook to write as they come (its memory does not grow with the department): the batches
/// are drawn from the figures model's group sizes, and each is read with
/// [`participants_of_batch`].
pub async fn participant_batches<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    size: u64,
) -> AppResult<Vec<Batch>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    let groups = groups_in_order(db, filters).await?;
    let mut batches = Vec::new();
    let (mut first, mut last, mut people) = (None, None, 0u64);
    for (municipality_code, cohort_id, enrolled) in groups {
        let here = (municipality_code, cohort_id);
        let start = first.get_or_insert_with(|| here.clone()).clone();
        people += u64::try_from(enrolled).unwrap_or(0);
        if people >= size {
            batches.push(Batch(between(&start, &here)));
            (first, last, people) = (None, None, 0);
            continue;
        }
        last = Some(here);
    }
    if let (Some(start), Some(end)) = (first, last) {
        batches.push(Batch(between(&start, &end)));
    }
    Ok(batches)
}

/// Some municipality × cohort groups of a report, consecutive in its order.
#[derive(Clone, Debug)]
pub struct Batch(Condition);

/// The enrolments of the groups from `first` to `last` (municipality code, cohort) in the
/// report's order, both included: a condition of constant size, however many groups.
fn between(first: &(String, i32), last: &(String, i32)) -> Condition {
    let municipality = || Expr::col((enrolment::Entity, enrolment::Column::MunicipalityCode));
    let cohort = || Expr::col((enrolment::Entity, enrolment::Column::CohortId));
    Condition::all()
        .add(
            Condition::any()
                .add(municipality().gt(first.0.as_str()))
                .add(
                    Condition::all()
                        .add(municipality().eq(first.0.as_str()))
                        .add(cohort().gte(first.1)),
                ),
        )
        .add(
            Condition::any()
                .add(municipality().lt(last.0.as_str()))
                .add(
                    Condition::all()
                        .add(municipality().eq(last.0.as_str()))
                        .add(cohort().lte(last.1)),
                ),
        )
}

/// The people of one batch, complete (sessions, marks, certificate).
pub async fn participants_of_batch<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    batch: &Batch,
) -> AppResult<Vec<ParticipantRow>> {
    let lines = lines(filters)
        .filter(batch.0.clone())
        .into_model::<Line>()
        .all(db)
        .await?;
    complete(db, lines).await
}

/// The municipality × cohort groups in scope, in the report's order, with their enrolment.
async fn groups_in_order<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
) -> AppResult<Vec<(String, i32, i32)>> {
    Ok(super::figures_filtered(filters)
        .select_only()
        .column(cohort_figure::Column::MunicipalityCode)
        .column(cohort_figure::Column::CohortId)
        .column(cohort_figure::Column::Enrolled)
        .order_by_asc(cohort_figure::Column::MunicipalityCode)
        .order_by_asc(cohort_figure::Column::CohortId)
        .into_tuple()
        .all(db)
        .await?)
}

/// One page of the enrolments in scope (`page` ≥ 1) and how many there are in all. The
/// figures model gives each municipality × cohort group's size, in the page's order, so the
/// page is cut from only the groups it spans: its cost follows the page, not the department.
pub async fn participants_page<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ParticipantRow>, u64)> {
    if filters.nothing {
        return Ok((Vec::new(), 0));
    }
    // People per municipality, in the detail's order (a grouped read of a covering index).
    let per_place: Vec<(String, i64)> = super::figures_filtered(filters)
        .select_only()
        .column(cohort_figure::Column::MunicipalityCode)
        .column_as(cohort_figure::Column::Enrolled.sum(), "n")
        .group_by(cohort_figure::Column::MunicipalityCode)
        .order_by_asc(cohort_figure::Column::MunicipalityCode)
        .into_tuple()
        .all(db)
        .await?;
    let total: u64 = per_place
        .iter()
        .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
        .sum();
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    // The municipalities the page spans, then their cohorts: the page is cut from the groups
    // it spans, found without reading the department's other groups.
    let (mut before, mut places) = (0u64, Vec::new());
    for (code, n) in &per_place {
        let size = u64::try_from(*n).unwrap_or(0);
        if before + size <= offset && places.is_empty() {
            before += size;
            continue;
        }
        if before + places.iter().map(|(_, s)| s).sum::<u64>() >= offset + per_page {
            break;
        }
        places.push((code.clone(), size));
    }
    let groups: Vec<(String, i32, i32)> = super::figures_filtered(filters)
        .select_only()
        .column(cohort_figure::Column::MunicipalityCode)
        .column(cohort_figure::Column::CohortId)
        .column(cohort_figure::Column::Enrolled)
        .filter(
            cohort_figure::Column::MunicipalityCode
                .is_in(places.iter().map(|(code, _)| code.clone())),
        )
        .order_by_asc(cohort_figure::Column::MunicipalityCode)
        .order_by_asc(cohort_figure::Column::CohortId)
        .into_tuple()
        .all(db)
        .await?;
    let (mut skip, mut first, mut last) = (0u64, None, None);
    for (municipality_code, cohort_id, enrolled) in groups {
        let size = u64::try_from(enrolled).unwrap_or(0);
        if before + size <= offset {
            before += size;
            continue;
        }
        if before >= offset + per_page {
            break;
        }
        if first.is_none() {
            skip = offset - before;
            first = Some((municipality_code.clone(), cohort_id));
        }
        last = Some((municipality_code, cohort_id));
        before += size;
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Ok((Vec::new(), total));
    };
    let spanned = between(&first, &last);
    let lines = lines(filters)
        .filter(spanned)
        .offset(skip)
        .limit(per_page)
        .into_model::<Line>()
        .all(db)
        .await?;
    let rows = complete(db, lines).await?;
    Ok((rows, total))
}

/// Adds sessions, attended marks and the valid certificate to each line (three queries). Closed
/// cohorts' attendance is the count frozen at closing, as in the report.
async fn complete<C: ConnectionTrait>(db: &C, lines: Vec<Line>) -> AppResult<Vec<ParticipantRow>> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let mut cohort_ids: Vec<i32> = lines.iter().map(|l| l.cohort_id).collect();
    cohort_ids.sort_unstable();
    cohort_ids.dedup();
    let sessions = crate::attendance::basis::sessions_of(db, &cohort_ids).await?;
    // Marks only for the people not frozen at closing (the others' count is on the line).
    let running: Vec<i32> = lines
        .iter()
        .filter(|l| l.sessions_attended.is_none())
        .map(|l| l.enrolment_id)
        .collect();
    let attended: HashMap<i32, i64> = if running.is_empty() {
        HashMap::new()
    } else {
        attended_marks()
            .select_only()
            .column(attendance_mark::Column::EnrolmentId)
            .column_as(attendance_mark::Column::Id.count(), "n")
            .filter(attendance_mark::Column::EnrolmentId.is_in(running))
            .group_by(attendance_mark::Column::EnrolmentId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let ids: Vec<i32> = lines.iter().map(|l| l.enrolment_id).collect();
    let mut certificates: HashMap<i32, String> = valid_certificates()
        .select_only()
        .column(certificate::Column::EnrolmentId)
        .column(certificate::Column::Code)
        .filter(certificate::Column::EnrolmentId.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(lines
        .into_iter()
        .map(|l| {
            let (held, scheduled) = sessions.get(&l.cohort_id).copied().unwrap_or((0, 0));
            let small = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
            // The one value of attendance: frozen at closing, else over the sessions held.
            let attendance = match (l.sessions_attended, l.sessions_total) {
                (Some(a), Some(t)) => Attendance::frozen(a, t, l.min_attendance_pct),
                (frozen, _) => Attendance::new(
                    l.cohort_status,
                    frozen.unwrap_or_else(|| {
                        small(attended.get(&l.enrolment_id).copied().unwrap_or(0))
                    }),
                    small(held),
                    small(scheduled),
                    l.min_attendance_pct,
                ),
            };
            let sessions_held = i64::from(attendance.held());
            let sessions_scheduled = i64::from(attendance.scheduled());
            let sessions_attended = i64::from(attendance.attended());
            let stage = Stage::of(l.cohort_status, sessions_held);
            ParticipantRow {
                enrolment_id: l.enrolment_id,
                participant_id: l.participant_id,
                municipality_code: l.municipality_code,
                municipality_name: l.municipality_name,
                department_code: l.department_code,
                department_name: l.department_name,
                cohort_id: l.cohort_id,
                cohort_name: l.cohort_name,
                cohort_status: l.cohort_status,
                document_type: l.document_type,
                document_number: l.document_number,
                full_name: format!("{} {}", l.first_names, l.last_names),
                status: l.status,
                status_label: l.status.label(),
                sessions_attended,
                sessions_scheduled,
                sessions_held,
                attendance_pct: attendance.pct(),
                attendance,
                completed: (stage == Stage::Closed)
                    .then_some(l.status == EnrolmentStatus::Completed),
                certificate_code: certificates.remove(&l.enrolment_id),
            }
        })
        .collect())
}
