use sea_orm::entity::prelude::*;

/// People reached by replicas in a municipality on one capacity in one year (issue 48):
/// kept current by `domain::trainers` in the transaction that writes a replica.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "replica_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub department_code: String,
    pub replicas: i32,
    pub people_reached: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
