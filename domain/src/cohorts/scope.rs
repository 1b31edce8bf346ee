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
    /// Admins: everything.
    All,
    /// What a coordinator manages: its provider's cohorts (drafts too), within its territorial
    /// direction's departments when it has one (issue 32: a write on another provider's cohort
    /// is a 404).
    Provider {
        provider_id: i32,
        departments: Option<Vec<String>>,
    },
    /// What a coordinator reads: its provider's cohorts, the ones it co-delivers (issue 49,
    /// drafts too) and every other provider's published ones, within its direction's
    /// departments when it has one (seeing each other's offer is the point; drafts stay with
    /// their providers).
    Offer {
        provider_id: i32,
        departments: Option<Vec<String>>,
    },
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
    /// The cohorts `user` manages — and, for every role but coordinators, reads. Every write
    /// starts here (`cohorts::find_managed`), so a coordinator of one provider cannot reach
    /// another's cohort.
    pub fn of(user: Option<&Actor>) -> Self {
        match user {
            Some(u) if u.role == Role::Admin => CohortScope::All,
            Some(u) if u.role == Role::Coordinator => CohortScope::Provider {
                provider_id: u.provider_id,
                departments: u.direction_departments().map(<[String]>::to_vec),
            },
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

    /// The cohorts `user` reads in lists and detail views: for a coordinator, the whole offer
    /// in its territory (every provider's published cohorts beside its own); for everyone else
    /// the same as [`CohortScope::of`].
    pub fn reading(user: Option<&Actor>) -> Self {
        match CohortScope::of(user) {
            CohortScope::Provider {
                provider_id,
                departments,
            } => CohortScope::Offer {
                provider_id,
                departments,
            },
            other => other,
        }
    }

    /// The cohorts whose public page (and calendar) `user` may open: every published cohort,
    /// and for staff also the drafts they read (drafts are internal work: for the public they
    /// do not exist yet).
    pub fn public(user: Option<&Actor>) -> Self {
        match user {
            Some(u) if u.is_staff() => CohortScope::reading(user),
            _ => CohortScope::Published,
        }
    }

    pub fn condition(&self) -> Condition {
        let published = cohort::Column::Status.ne(CohortStatus::Draft);
        match self {
            CohortScope::All => Condition::all(),
            CohortScope::Provider {
                provider_id,
                departments,
            } => Condition::all()
                .add(cohort::Column::ProviderId.eq(*provider_id))
                .add(within(departments.as_deref())),
            CohortScope::Offer {
                provider_id,
                departments,
            } => Condition::all()
                .add(
                    Condition::any()
                        .add(cohort::Column::ProviderId.eq(*provider_id))
                        .add(crate::joint::co_delivered_by(
                            crate::joint::OfferKind::Cohort,
                            *provider_id,
                        ))
                        .add(published),
                )
                .add(within(departments.as_deref())),
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

/// Cohorts that target one of these departments (`None`: no territorial limit; an empty list —
/// a direction without departments — is nothing, never everything).
fn within(departments: Option<&[String]>) -> Condition {
    match departments {
        None => Condition::all(),
        Some(codes) => codes.iter().fold(
            Condition::any().add(cohort::Column::Id.eq(-1)),
            |any, code| any.add(in_department(code)),
        ),
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
