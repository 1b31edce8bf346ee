use sea_orm::entity::prelude::*;

/// A provider that delivers the assistance jointly with its lead provider (issue 49).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_co_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assistance_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
