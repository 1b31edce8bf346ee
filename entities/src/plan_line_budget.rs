use super::values::BudgetSource;
use sea_orm::entity::prelude::*;

/// A plan line version's budget from one source, in whole pesos.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_line_budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_version_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: BudgetSource,
    pub amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
