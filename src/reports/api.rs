//! `/api/v1/reports/...`: staff see everything, reviewers their department (silently).

use super::coverage::{CoverageQuery, CoverageRow, Rollup};
use super::differential::Differential;
use super::params::{CoverageParams, ReportParams};
use super::{AttendanceRow, ParticipantRow, ReportQuery, page_of};
use crate::accounts::guards::ReportReader;
use crate::api::{List, Paging};
use crate::error::AppResult;
use crate::spreadsheets::Download;
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
#[derive(Serialize)]
pub struct CoverageReport {
    pub items: Vec<CoverageRow>,
    pub total: usize,
    pub page: u64,
    pub per_page: u64,
    pub by_department: Vec<Rollup>,
    pub national: Vec<Rollup>,
}

/// The attendance report with its differential approach.
#[derive(Serialize)]
pub struct AttendanceReport {
    pub items: Vec<AttendanceRow>,
    pub total: usize,
    pub page: u64,
    pub per_page: u64,
    pub differential: Differential,
}

#[get("/reports/attendance?<page>&<per_page>&<params..>", rank = 2)]
async fn attendance(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<AttendanceReport>> {
    let query = ReportQuery::from(params);
    let filters = query.resolve(&user)?;
    let (rows, differential) = super::attendance_with_differential(db.inner(), &filters).await?;
    let (items, total, page, per_page) = page_of(rows, &Paging { page, per_page })?;
    Ok(Json(AttendanceReport {
        items,
        total,
        page,
        per_page,
        differential,
    }))
}

#[get("/reports/attendance.xlsx?<params..>", rank = 1)]
async fn attendance_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
) -> AppResult<Download> {
    let query = ReportQuery::from(params);
    let filters = query.resolve(&user)?;
    let bytes = super::workbook::attendance_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(super::workbook::ATTENDANCE_FILE, bytes))
}

/// The participant-level detail of the attendance report: one row per enrolment in scope,
/// paged in the database.
#[get("/reports/attendance/participants?<page>&<per_page>&<params..>")]
async fn participants(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: ReportParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<ParticipantRow>>> {
    let query = ReportQuery::from(params);
    let filters = query.resolve(&user)?;
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let (items, total) = super::participants_page(db.inner(), &filters, page, per_page).await?;
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

#[get("/reports/capacity-coverage?<page>&<per_page>&<params..>")]
async fn coverage(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<CoverageReport>> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve(&user)?;
    let rows = super::coverage::coverage(db.inner(), &filters).await?;
    let (by_department, national) = super::coverage::rollups(&rows);
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

#[get("/reports/capacity-coverage.xlsx?<params..>")]
async fn coverage_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    params: CoverageParams,
) -> AppResult<Download> {
    let query = CoverageQuery::from(params);
    let filters = query.resolve(&user)?;
    let bytes = super::workbook::coverage_for(db.inner(), &filters, &user.full_name).await?;
    Ok(Download::xlsx(super::workbook::COVERAGE_FILE, bytes))
}
