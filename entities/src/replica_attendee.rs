use sea_orm::entity::prelude::*;

/// Someone named as attending a replica.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replica_attendees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub replica_id: i32,
    pub full_name: String,
    pub position: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
