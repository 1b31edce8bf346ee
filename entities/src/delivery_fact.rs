use super::values::DeliverySource;
use sea_orm::entity::prelude::*;

/// What one cohort or assistance delivered on one capacity in one municipality in one month
/// (issue 47): maintained figures, kept current by `domain::figures::delivery` on every write
/// and rebuilt with the rest. The plan's progress reads them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: DeliverySource,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    /// `yyyymm` (Bogotá's calendar).
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    pub year: i32,
    pub provider_id: i32,
    pub course_id: Option<i32>,
    pub department_code: String,
    /// People trained (counted enrolments of a started cohort), in the cohort's start month.
    pub trained: i32,
    /// Valid certificates issued that month.
    pub certified: i32,
    /// The assistance closed that month with its objective reached (0 or 1).
    pub closed_reached: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
