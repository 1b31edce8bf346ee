use sea_orm::entity::prelude::*;

/// A closed cohort's `cohort_figures` rows of one department summed (issue 69): the trends by
/// quarter read these. Kept current by `domain::figures::scope`, never edited by hand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "trend_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    pub provider_id: i32,
    pub start_date: Date,
    pub enrolled: i32,
    pub completed: i32,
    pub attended: i32,
    /// The cohort's sessions scheduled (the same on each of its rows).
    pub sessions_scheduled: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
