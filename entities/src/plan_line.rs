use sea_orm::entity::prelude::*;

/// A plan line's identity across the plan's versions (its figures are in
/// `plan_line_versions`): what cost items and progress will answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    /// Its place in the plan (1, 2, …).
    pub position: i32,
    pub added_in_version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
