use sea_orm::entity::prelude::*;

/// A municipality a plan line version targets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_line_municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_version_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
