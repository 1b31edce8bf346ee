//! Which cohorts a caller may see. Applied in every query (API, pages, lists) so that a
//! reviewer of one department sees nothing of another, and out-of-scope ids answer 404.

use crate::accounts::actor::Actor;
use crate::entities::values::{CohortStatus, Role};
use crate::entities::{
    cohort, cohort_department, cohort_instructor, cohort_municipality, municipality,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CohortScope {
    /// National coordinators and admins: everything.
    All,
    /// A territorial direction's coordinator: every cohort (drafts too) that targets one of
    /// its departments or their municipalities.
    Departments(Vec<String>),
    /// A gobernación: published cohorts that target its department or its municipalities.
    Department(String),
    /// A liaison: published cohorts offered to their municipality (directly, through its
    /// department, or nationally).
    Municipality(String),
    /// An instructor: the cohorts they teach.
    Instructor(i32),
    /// Participants and visitors: published cohorts (not drafts).
    Published,
}

impl CohortScope {
    pub fn of(user: Option<&Actor>) -> Self {
        if let Some(codes) = user.and_then(Actor::direction_departments) {
            return CohortScope::Departments(codes.to_vec());
        }
        match user {
            Some(u) if u.is_staff() => CohortScope::All,
            Some(u) if u.role == Role::Reviewer => {
                CohortScope::Department(u.department_code.clone().unwrap_or_default())
            }
            Some(u) if u.role == Role::Instructor => CohortScope::Instructor(u.id),
            Some(u) if u.role == Role::Liaison => {
                CohortScope::Municipality(u.municipality_code.clone().unwrap_or_default())
            }
            _ => CohortScope::Published,
        }
    }

    pub fn condition(&self) -> Condition {
        let published = cohort::Column::Status.ne(CohortStatus::Draft);
        match self {
            CohortScope::All => Condition::all(),
            // A direction without departments: nothing (never everything).
            CohortScope::Departments(codes) => codes.iter().fold(
                Condition::any().add(cohort::Column::Id.eq(-1)),
                |any, code| any.add(in_department(code)),
            ),
            CohortScope::Department(code) => {
                Condition::all().add(published).add(in_department(code))
            }
            CohortScope::Instructor(user_id) => Condition::all().add(
                cohort::Column::Id.in_subquery(
                    Query::select()
                        .column(cohort_instructor::Column::CohortId)
                        .from(cohort_instructor::Entity)
                        .and_where(cohort_instructor::Column::UserId.eq(*user_id))
                        .to_owned(),
                ),
            ),
            CohortScope::Municipality(code) => Condition::all()
                .add(published)
                .add(offered_to_municipality(code)),
            CohortScope::Published => Condition::all().add(published),
        }
    }
}

/// Cohorts whose targets lie in a department: one of its municipalities, or the department.
pub fn in_department(department_code: &str) -> Condition {
    Condition::any()
        .add(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_municipality::Column::CohortId)
                    .from(cohort_municipality::Entity)
                    .inner_join(
                        municipality::Entity,
                        Expr::col((municipality::Entity, municipality::Column::Code)).eq(
                            Expr::col((
                                cohort_municipality::Entity,
                                cohort_municipality::Column::MunicipalityCode,
                            )),
                        ),
                    )
                    .and_where(municipality::Column::DepartmentCode.eq(department_code))
                    .to_owned(),
            ),
        )
        .add(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_department::Column::CohortId)
                    .from(cohort_department::Entity)
                    .and_where(cohort_department::Column::DepartmentCode.eq(department_code))
                    .to_owned(),
            ),
        )
}

/// Cohorts offered to a municipality: directly, through its department, or nationally
/// (no targets at all).
pub fn offered_to_municipality(municipality_code: &str) -> Condition {
    let department = municipality_code.get(..2).unwrap_or_default().to_string();
    Condition::any()
        .add(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_municipality::Column::CohortId)
                    .from(cohort_municipality::Entity)
                    .and_where(cohort_municipality::Column::MunicipalityCode.eq(municipality_code))
                    .to_owned(),
            ),
        )
        .add(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_department::Column::CohortId)
                    .from(cohort_department::Entity)
                    .and_where(cohort_department::Column::DepartmentCode.eq(department))
                    .to_owned(),
            ),
        )
        .add(national())
}

/// Cohorts without any target: offered to the whole country.
pub fn national() -> Condition {
    Condition::all()
        .add(
            cohort::Column::Id.not_in_subquery(
                Query::select()
                    .column(cohort_municipality::Column::CohortId)
                    .from(cohort_municipality::Entity)
                    .to_owned(),
            ),
        )
        .add(
            cohort::Column::Id.not_in_subquery(
                Query::select()
                    .column(cohort_department::Column::CohortId)
                    .from(cohort_department::Entity)
                    .to_owned(),
            ),
        )
}
