use sea_orm::entity::prelude::*;

/// A department of a territorial direction (a department belongs to one at most).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "territorial_direction_departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub direction_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
