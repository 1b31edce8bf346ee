use sea_orm::entity::prelude::*;

/// A milestone (hito) of an assistance's plan.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assistance_id: i32,
    pub title: String,
    pub due_on: Date,
    pub done_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
