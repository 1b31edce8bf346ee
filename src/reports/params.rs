//! The reports' filters as Rocket reads them from the query string, handed to the domain's
//! [`ReportQuery`] and [`CoverageQuery`] (which validate them and apply the caller's scope).

use super::ReportQuery;
use super::coverage::CoverageQuery;
use crate::parse::QueryFlag;
use rocket::FromForm;

#[derive(Clone, Debug, Default, FromForm)]
pub struct ReportParams {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub cohort: Option<i32>,
    pub course: Option<i32>,
    pub capacity: Option<i32>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl From<ReportParams> for ReportQuery {
    fn from(p: ReportParams) -> Self {
        ReportQuery {
            department: p.department,
            municipality: p.municipality,
            cohort: p.cohort,
            course: p.course,
            capacity: p.capacity,
            from: p.from,
            to: p.to,
        }
    }
}

#[derive(Clone, Debug, Default, FromForm)]
pub struct CoverageParams {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity: Option<i32>,
    pub pdet: QueryFlag,
    pub category: Option<String>,
}

impl From<CoverageParams> for CoverageQuery {
    fn from(p: CoverageParams) -> Self {
        CoverageQuery {
            department: p.department,
            municipality: p.municipality,
            capacity: p.capacity,
            pdet: p.pdet.0,
            category: p.category,
        }
    }
}
