//! The reports' filters as Rocket reads them from the query string, handed to the domain's
//! [`ReportQuery`] and [`CoverageQuery`] (which validate them and apply the caller's scope).

use crate::parse::QueryFlag;
use domain::reports::ReportQuery;
use domain::reports::coverage::CoverageQuery;
use rocket::FromForm;

#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// DANE code of the department (reviewers are always limited to their own).
    #[param(example = "18")]
    pub department: Option<String>,
    /// DANE code of the municipality (of the enrolment).
    #[param(example = "18094")]
    pub municipality: Option<String>,
    /// Cohort id.
    pub cohort: Option<i32>,
    /// Course id.
    pub course: Option<i32>,
    /// Capacity id (cohorts whose course targets it).
    pub capacity: Option<i32>,
    /// Provider id: only that provider's cohorts (another provider's coordinator always reads
    /// its own provider's).
    pub provider: Option<i32>,
    /// Cohorts running on or after this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub from: Option<String>,
    /// Cohorts starting on or before this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
}

/// The key of a report's kept content (issue 46): `page` and the filters of `query` (already
/// normalised) as it uses them.
pub fn kept_key(page: &str, query: &ReportQuery) -> crate::web::KeptKey {
    crate::web::KeptKey::page(page)
        .with("department", query.department.as_deref())
        .with("municipality", query.municipality.as_deref())
        .with("cohort", query.cohort)
        .with("course", query.course)
        .with("capacity", query.capacity)
        .with("provider", query.provider)
        .with("from", query.from.as_deref())
        .with("to", query.to.as_deref())
}

impl From<ReportParams> for ReportQuery {
    fn from(p: ReportParams) -> Self {
        ReportQuery {
            department: p.department,
            municipality: p.municipality,
            cohort: p.cohort,
            course: p.course,
            capacity: p.capacity,
            provider: p.provider,
            from: p.from,
            to: p.to,
        }
    }
}

#[derive(Clone, Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// DANE code of the department (reviewers are always limited to their own).
    #[param(example = "18")]
    pub department: Option<String>,
    /// DANE code of the municipality (of the enrolment).
    #[param(example = "18094")]
    pub municipality: Option<String>,
    /// Capacity id.
    pub capacity: Option<i32>,
    /// `true`: only PDET municipalities; `false`: only the others.
    #[param(inline, value_type = Option<domain::parse::QueryBool>)]
    pub pdet: QueryFlag,
    /// Municipal category, `E` or 1–6 (otherwise 422).
    #[param(inline, value_type = Option<domain::territory::Category>)]
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
