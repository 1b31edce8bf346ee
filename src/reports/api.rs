//! `/api/v1/reports/...`: staff see everything, reviewers their department (silently).

use super::params::{CoverageParams, ReportParams};
use crate::accounts::guards::ReportReader;
use crate::api::{List, Paging};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, ValidationFailed, Workbook};
use crate::spreadsheets::download::Download;
use domain::reports::coverage::{CoverageQuery, CoverageRow, Rollup};
use domain::reports::differential::Differential;
use domain::reports::{AttendanceRow, ParticipantRow, ReportQuery, page_of};
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        attendance,
        attendance_xlsx,
        participants,
        coverage,
        coverage_xlsx
    ]
}

/// Capacity coverage per municipality, with roll-ups by department and for the whole report
/// (over every row, not only this page).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CoverageReport {
    pub items: Vec<CoverageRow>,
    pub total: usize,
    pub page: u64,
    pub per_page: u64,
    pub by_department: Vec<Rollup>,
    pub national: Vec<Rollup>,
}

/// The attendance report with its differential approach.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttendanceReport {
    pub items: Vec<AttendanceRow>,
    pub total: usize,
    pub page: u64,
    pub per_page: u64,
    pub differential: Differential,
}

/// Attendance per municipality and cohort
///
/// Roles: staff (all) and reviewers (own department only, silently filtered: another
/// department or municipality yields an empty list). Rows per municipality (of the
/// enrolment) and cohort: enrolled (enrolled, completed, not completed), sessions (held),
/// attendance_pct (marks presente|tarde over enrolled × scheduled sessions), completed,
/// certified (valid certificates). `differential` counts consenting people only; counts below
/// 5 are `null` with `suppressed: true`.
///
/// A `municipality` (DANE code or name) or `department` that does not exist is a 422 naming
/// the field (issue 61), never a filter that silently matches nothing; so is any other filter
/// that does not pass.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportAttendance",
    params(
        ReportParams,
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses(
        (status = 200, description = "The rows.", body = AttendanceReport),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/attendance?<page>&<per_page>&<params..>", rank = 2)]
async fn attendance(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
    page: Option<i64>,
    per_page: Option<i64>,
    kept: crate::web::KeptJson<'_>,
) -> AppResult<rocket::response::content::RawJson<String>> {
    let query = ReportQuery::from(params).normalised();
    let filters = query.clone().resolve_checked(db.inner(), &user).await?;
    let paging = Paging { page, per_page };
    // Kept per scope and filters (issue 36): a department's page of 500 rows and its
    // differential counts cost more than a request may at 32 clients. The answer reads the
    // resolved filters and page (a page out of range is a 422, never kept).
    let (number, size) = paging.resolve()?;
    let key = super::params::kept_key("/api/v1/reports/attendance", &query)
        .with("page", Some(number))
        .with("per_page", Some(size));
    kept.answer(&user, key, {
        let db = db.inner().clone();
        move || async move {
            let ((items, total, page, per_page), differential) = rocket::tokio::try_join!(
                domain::reports::attendance_page(&db, &filters, &paging),
                domain::reports::differential::differential(&db, &filters)
            )?;
            Ok(AttendanceReport {
                items,
                total,
                page,
                per_page,
                differential,
            })
        }
    })
    .await
}

/// Attendance report as a workbook
///
/// Same roles and filters as `GET /reports/attendance`. Sheets «Municipios» (summary with a
/// chart of attendance and completion), «Cohortes» (municipality × cohort), «Participantes»
/// (one row per enrolment, as `GET /reports/attendance/participants`) and «Enfoque
/// diferencial»; DANE codes, document numbers and names as text.
///
/// A `municipality` (DANE code or name) or `department` that does not exist is a 422 naming
/// the field (issue 61), never a filter that silently matches nothing; so is any other filter
/// that does not pass.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportAttendanceXlsx",
    params(ReportParams),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/attendance.xlsx?<params..>", rank = 1)]
async fn attendance_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
) -> AppResult<Download> {
    let query = ReportQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let (name, bytes) =
        domain::reports::workbook::attendance_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}

/// The attendance report per participant
///
/// The participant-level detail of the attendance report: one row per enrolment in scope,
/// paged in the database. Same roles, scope and filters as `GET /reports/attendance` (a
/// reviewer asking for another department or municipality gets an empty list, 200). Rows
/// counted by the report (enrolled, completed, not completed), ordered by the enrolment's
/// municipality (DANE code), cohort, last names, first names and enrolment id.
/// `attendance_pct` is `100 × sessions_attended / sessions_held` (every scheduled session once
/// the cohort is closed; `null` before its first session), and `attendance` the same share
/// with its basis, as the participant's progress and the roster show it; `certificate_code`
/// is the valid certificate, if any.
///
/// A `municipality` (DANE code or name) or `department` that does not exist is a 422 naming
/// the field (issue 61), never a filter that silently matches nothing; so is any other filter
/// that does not pass.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportAttendanceParticipants",
    params(
        ReportParams,
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses(
        (status = 200, description = "One page of people.", body = List<ParticipantRow>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/attendance/participants?<page>&<per_page>&<params..>")]
async fn participants(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<ParticipantRow>>> {
    let query = ReportQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let (items, total) =
        domain::reports::participants_page(db.inner(), &filters, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Coverage per municipality and capacity
///
/// Roles: staff (all) and reviewers (own department only, silently filtered). Per
/// municipality and capacity: distinct participants trained, completed, certified and still
/// in the entity (certified people whose current municipality is the enrolment's), with
/// `pdet` and `category`; plus `by_department` and `national` roll-ups per capacity.
///
/// A `municipality` (DANE code or name) or `department` that does not exist is a 422 naming
/// the field (issue 61), never a filter that silently matches nothing; so is any other filter
/// that does not pass.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportCapacityCoverage",
    params(
        CoverageParams,
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses(
        (status = 200, description = "The rows.", body = CoverageReport),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/capacity-coverage?<page>&<per_page>&<params..>")]
async fn coverage(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<CoverageReport>> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let rows = domain::reports::coverage::coverage(db.inner(), &filters).await?;
    let (by_department, national) = domain::reports::coverage::rollups(&rows);
    let (items, total, page, per_page) = page_of(rows, &Paging { page, per_page })?;
    Ok(Json(CoverageReport {
        items,
        total,
        page,
        per_page,
        by_department,
        national,
    }))
}

/// Capacity coverage as a workbook
///
/// Same roles and filters as `GET /reports/capacity-coverage` (sheet «Cobertura»).
///
/// A `municipality` (DANE code or name) or `department` that does not exist is a 422 naming
/// the field (issue 61), never a filter that silently matches nothing; so is any other filter
/// that does not pass.
#[utoipa::path(
    tag = "reports",
    operation_id = "reportCapacityCoverageXlsx",
    params(CoverageParams),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/capacity-coverage.xlsx?<params..>")]
async fn coverage_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
) -> AppResult<Download> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve_checked(db.inner(), &user).await?;
    let (name, bytes) =
        domain::reports::workbook::coverage_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(&name, bytes))
}
