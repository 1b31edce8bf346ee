use sea_orm::entity::prelude::*;

/// A demand pointed to a provider that can answer it (issue 32), once per provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demand_referrals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub demand_id: i32,
    pub provider_id: i32,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub referred_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
