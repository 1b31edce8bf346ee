//! Which plans a caller reads and writes, applied in every query (the API, the pages, the
//! lists), so an out-of-scope id answers 404.
//!
//! - Admins: every plan, drafts too; they write any.
//! - Coordinators: every approved plan (seeing each other's plans is the point), and the drafts
//!   they write: their provider's (a territorial direction's coordinator, its direction's).
//! - A gobernación's reviewer: approved plans that reach its department — its department's
//!   plans, and plans with a line in their current version that reaches it: a line listing one
//!   of its municipalities, or (in a plan whose territory covers the department: national, or
//!   its territorial direction's) a line by rule that the department meets (PDET, categories 5
//!   and 6; «¿Dónde formar?» can select any) or a line for the plan's whole territory. Of a
//!   plan that is not its department's it reads the lines that reach it.
//! - Liaisons, instructors and participants: no plans (403).

use super::LineRows;
use crate::accounts::actor::Actor;
use crate::entities::values::{PlanStatus, Role, TargetRule};
use crate::entities::{
    municipality, plan, plan_line_municipality, plan_line_version, territorial_direction_department,
};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanScope {
    /// Admins.
    All,
    /// A coordinator: its provider, and its territorial direction when it has one.
    Staff {
        provider_id: i32,
        direction_id: Option<i32>,
    },
    /// A gobernación's reviewer: its department, the territorial direction that holds it (if
    /// any) and the target rules its municipalities meet.
    Department {
        code: String,
        direction_id: Option<i32>,
        rules: Vec<TargetRule>,
    },
}

impl PlanScope {
    /// The scope of `user`; 403 for the roles that read no plans.
    pub async fn of<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Self> {
        match user.role {
            Role::Admin => Ok(PlanScope::All),
            Role::Coordinator => Ok(PlanScope::Staff {
                provider_id: user.provider_id,
                direction_id: user
                    .direction_departments()
                    .and(user.direction.as_ref())
                    .map(|d| d.id),
            }),
            Role::Reviewer => {
                let code = user.department_code.clone().unwrap_or_default();
                let direction_id = territorial_direction_department::Entity::find()
                    .filter(territorial_direction_department::Column::DepartmentCode.eq(&code))
                    .one(db)
                    .await?
                    .map(|l| l.direction_id);
                let meets = async |condition: Condition| -> AppResult<bool> {
                    Ok(municipality::Entity::find()
                        .filter(municipality::Column::DepartmentCode.eq(&code))
                        .filter(condition)
                        .count(db)
                        .await?
                        > 0)
                };
                // The «¿Dónde formar?» selection of the day may land in any department.
                let mut rules = vec![TargetRule::Priorities];
                if meets(Condition::all().add(municipality::Column::PdetSubregionId.is_not_null()))
                    .await?
                {
                    rules.push(TargetRule::Pdet);
                }
                if meets(Condition::all().add(municipality::Column::Category.is_in(["5", "6"])))
                    .await?
                {
                    rules.push(TargetRule::Categories56);
                }
                Ok(PlanScope::Department {
                    code,
                    direction_id,
                    rules,
                })
            }
            Role::Liaison | Role::Instructor | Role::Participant => Err(AppError::Forbidden),
        }
    }

    /// Whether the caller writes plan `row` (its lines, approval, amendments).
    pub fn manages(&self, row: &plan::Model) -> bool {
        match self {
            PlanScope::All => true,
            PlanScope::Staff {
                provider_id,
                direction_id,
            } => {
                row.provider_id == *provider_id
                    && direction_id.is_none_or(|d| row.territorial_direction_id == Some(d))
            }
            PlanScope::Department { .. } => false,
        }
    }

    /// The plans the caller reads, as a condition on `plans`.
    pub fn condition(&self) -> Condition {
        let approved = plan::Column::Status.ne(PlanStatus::Draft.as_str());
        match self {
            PlanScope::All => Condition::all(),
            PlanScope::Staff {
                provider_id,
                direction_id,
            } => {
                let mut managed = Condition::all().add(plan::Column::ProviderId.eq(*provider_id));
                if let Some(d) = direction_id {
                    managed = managed.add(plan::Column::TerritorialDirectionId.eq(*d));
                }
                Condition::any().add(approved).add(managed)
            }
            PlanScope::Department {
                code,
                direction_id,
                rules,
            } => {
                if code.is_empty() {
                    return Condition::all().add(plan::Column::Id.eq(-1));
                }
                // The plan's current version (a correlated subquery over the outer `plans`).
                let current = || {
                    Expr::col((
                        plan_line_version::Entity,
                        plan_line_version::Column::Version,
                    ))
                    .equals((plan::Entity, plan::Column::Version))
                };
                let line_id =
                    || Expr::col((plan_line_version::Entity, plan_line_version::Column::Id));
                let listing = plan::Column::Id.in_subquery(
                    Query::select()
                        .column((plan_line_version::Entity, plan_line_version::Column::PlanId))
                        .from(plan_line_version::Entity)
                        .and_where(current())
                        .and_where(
                            line_id().in_subquery(
                                Query::select()
                                    .column(plan_line_municipality::Column::LineVersionId)
                                    .from(plan_line_municipality::Entity)
                                    .and_where(
                                        plan_line_municipality::Column::MunicipalityCode
                                            .starts_with(code.as_str()),
                                    )
                                    .to_owned(),
                            ),
                        )
                        .to_owned(),
                );
                let mut covers = Condition::any().add(
                    Condition::all()
                        .add(plan::Column::TerritorialDirectionId.is_null())
                        .add(plan::Column::DepartmentCode.is_null()),
                );
                if let Some(d) = direction_id {
                    covers = covers.add(plan::Column::TerritorialDirectionId.eq(*d));
                }
                let by_rule = plan::Column::Id.in_subquery(
                    Query::select()
                        .column((plan_line_version::Entity, plan_line_version::Column::PlanId))
                        .from(plan_line_version::Entity)
                        .and_where(current())
                        .cond_where(
                            Condition::any()
                                .add(
                                    plan_line_version::Column::TargetRule
                                        .is_in(rules.iter().map(|r| r.as_str())),
                                )
                                .add(
                                    Condition::all()
                                        .add(plan_line_version::Column::TargetRule.is_null())
                                        .add(
                                            line_id().not_in_subquery(
                                                Query::select()
                                                    .column(
                                                        plan_line_municipality::Column::LineVersionId,
                                                    )
                                                    .from(plan_line_municipality::Entity)
                                                    .to_owned(),
                                            ),
                                        ),
                                ),
                        )
                        .to_owned(),
                );
                Condition::all().add(approved).add(
                    Condition::any()
                        .add(plan::Column::DepartmentCode.eq(code.as_str()))
                        .add(listing)
                        .add(Condition::all().add(covers).add(by_rule)),
                )
            }
        }
    }

    /// Whether a line of plan `row` is shown to the caller: every line, but for a gobernación
    /// reading a plan that is not its department's, the lines that reach its department.
    pub(crate) fn reaches_line(&self, row: &plan::Model, line: &LineRows) -> bool {
        let PlanScope::Department {
            code,
            direction_id,
            rules,
        } = self
        else {
            return true;
        };
        if code.is_empty() {
            return false;
        }
        if row.department_code.as_deref() == Some(code.as_str())
            || line
                .municipalities
                .iter()
                .any(|m| m.starts_with(code.as_str()))
        {
            return true;
        }
        let covers = (row.territorial_direction_id.is_none() && row.department_code.is_none())
            || (direction_id.is_some() && row.territorial_direction_id == *direction_id);
        covers
            && match line.figures.target_rule {
                Some(rule) => rules.contains(&rule),
                None => line.municipalities.is_empty(),
            }
    }
}
