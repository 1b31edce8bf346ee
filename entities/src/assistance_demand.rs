use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_demands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assistance_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub demand_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
