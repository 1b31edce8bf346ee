use sea_orm::entity::prelude::*;

/// An activity of a work plan version (issue 49), in its order, with its due date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_plan_activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub work_plan_id: i32,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub due_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
