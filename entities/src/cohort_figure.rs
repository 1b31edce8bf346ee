use sea_orm::entity::prelude::*;

/// The figures of one cohort for the people of one municipality (issue 20): kept current by
/// `domain::figures` on every write, never edited by hand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "cohort_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    pub department_code: String,
    /// The municipality's name folded (the reports' order).
    pub municipality_sort: String,
    /// The cohort is closed (its figures are frozen).
    pub closed: bool,
    /// Enrolments enrolled, completed or not completed.
    pub enrolled: i32,
    pub waitlisted: i32,
    pub cancelled: i32,
    pub completed: i32,
    pub not_completed: i32,
    /// Sessions attended (presente or tarde): frozen at closing, counted from marks before.
    pub attended: i32,
    /// Valid certificates.
    pub certified: i32,
    /// Valid certificates of people whose municipality is still this one.
    pub still_in_entity: i32,
    /// Sessions scheduled in the cohort (the same on each of its rows).
    pub sessions_scheduled: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cohort::Entity",
        from = "Column::CohortId",
        to = "super::cohort::Column::Id"
    )]
    Cohort,
    #[sea_orm(
        belongs_to = "super::municipality::Entity",
        from = "Column::MunicipalityCode",
        to = "super::municipality::Column::Code"
    )]
    Municipality,
}

impl ActiveModelBehavior for ActiveModel {}
