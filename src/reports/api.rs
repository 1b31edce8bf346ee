//! `/api/v1/reports/...`: staff see everything, reviewers their department (silently).

use super::coverage::{CoverageQuery, CoverageRow, Rollup};
use super::differential::Differential;
use super::{AttendanceRow, ReportQuery};
use crate::accounts::guards::ReportReader;
use crate::error::AppResult;
use crate::spreadsheets::Download;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![attendance, attendance_xlsx, coverage, coverage_xlsx]
}

#[derive(Serialize)]
pub struct Rows<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// Capacity coverage per municipality, with roll-ups by department and for the whole report.
#[derive(Serialize)]
pub struct CoverageReport {
    pub items: Vec<CoverageRow>,
    pub total: usize,
    pub by_department: Vec<Rollup>,
    pub national: Vec<Rollup>,
}

/// The attendance report with its differential approach.
#[derive(Serialize)]
pub struct AttendanceReport {
    pub items: Vec<AttendanceRow>,
    pub total: usize,
    pub differential: Differential,
}

#[get("/reports/attendance?<query..>", rank = 2)]
async fn attendance(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: ReportQuery,
) -> AppResult<Json<AttendanceReport>> {
    let filters = query.resolve(&user)?;
    let items = super::attendance(db.inner(), &filters).await?;
    let differential = super::differential::differential(db.inner(), &filters).await?;
    Ok(Json(AttendanceReport {
        total: items.len(),
        items,
        differential,
    }))
}

#[get("/reports/attendance.xlsx?<query..>", rank = 1)]
async fn attendance_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: ReportQuery,
) -> AppResult<Download> {
    let filters = query.resolve(&user)?;
    let rows = super::attendance(db.inner(), &filters).await?;
    let differential = super::differential::differential(db.inner(), &filters).await?;
    let bytes = super::workbook::attendance(&rows, &differential, &filters, &user.full_name)?;
    Ok(Download::xlsx("informe-asistencia.xlsx", bytes))
}

#[get("/reports/capacity-coverage?<query..>")]
async fn coverage(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: CoverageQuery,
) -> AppResult<Json<CoverageReport>> {
    let filters = query.resolve(&user)?;
    let items = super::coverage::coverage(db.inner(), &filters).await?;
    let (by_department, national) = super::coverage::rollups(&items);
    Ok(Json(CoverageReport {
        total: items.len(),
        items,
        by_department,
        national,
    }))
}

#[get("/reports/capacity-coverage.xlsx?<query..>")]
async fn coverage_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: CoverageQuery,
) -> AppResult<Download> {
    let filters = query.resolve(&user)?;
    let rows = super::coverage::coverage(db.inner(), &filters).await?;
    let bytes = super::workbook::coverage(&rows, &filters.describe(), &user.full_name)?;
    Ok(Download::xlsx("cobertura-capacidades.xlsx", bytes))
}
