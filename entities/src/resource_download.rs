use sea_orm::entity::prelude::*;

/// A resource downloaded by one visitor (a hash of the account or the client address) on one
/// Colombian day (issue 62): a download counts once per visitor per day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_downloads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
