use sea_orm::entity::prelude::*;

/// What a municipality received as technical assistance on one capacity from one provider
/// in one year (issue 33): kept current by `domain::assistance::figures` on every write.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: i32,
    /// The year the assistance started (a cohort's year is the year it started, too).
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub department_code: String,
    /// Not cancelled.
    pub assistances: i32,
    pub closed: i32,
    /// Closed with the objective reached.
    pub reached: i32,
    pub visits: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
