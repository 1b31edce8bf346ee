use sea_orm::entity::prelude::*;

/// A capacity a replicator is certified in (the course's, at the endorsement).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replicator_capacities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub replicator_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
