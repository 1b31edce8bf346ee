use super::values::{CostBasis, CostKind, CostStage};
use sea_orm::entity::prelude::*;

/// A cost item of a cohort or of an assistance (exactly one): what it is, how it is counted,
/// its amount in whole pesos, its stage and the plan line it answers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The provider of the cohort or assistance (whose coordinators write it).
    pub provider_id: i32,
    pub cohort_id: Option<i32>,
    pub assistance_id: Option<i32>,
    pub plan_line_id: Option<i32>,
    pub kind: CostKind,
    pub basis: CostBasis,
    /// Whole pesos: the whole item when fixed, else per participant or per session / visit.
    pub amount: i64,
    pub stage: CostStage,
    /// When it was planned, committed or paid (the period a balance counts it in).
    pub incurred_on: Date,
    pub description: Option<String>,
    /// The provider's own key of the row (imports: the same file twice changes nothing).
    pub reference: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
