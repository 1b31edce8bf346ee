use sea_orm::entity::prelude::*;

/// One provider's `cohort_figures` rows of one municipality summed (issue 69): what a scope's
/// picture reads per municipality. Kept current by `domain::figures::scope`, never edited by
/// hand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "place_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    pub department_code: String,
    /// Rows summed: the provider's cohorts with someone of the municipality.
    pub cohorts: i32,
    pub enrolled: i32,
    pub certified: i32,
    /// Over the closed cohorts: completed, enrolled, attended, and enrolled × sessions
    /// scheduled (the attendance expected).
    pub closed_completed: i32,
    pub closed_enrolled: i32,
    pub closed_attended: i32,
    pub closed_expected: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
