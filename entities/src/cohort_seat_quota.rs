use sea_orm::entity::prelude::*;

/// Seats a cohort reserves for one municipality until its `quota_release_on`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cohort_seat_quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    pub seats: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
