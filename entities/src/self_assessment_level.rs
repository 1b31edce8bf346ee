use sea_orm::entity::prelude::*;

/// A self-assessment's level for a capacity, computed from its answers when submitted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_assessment_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub self_assessment_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    pub level: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
