use super::values::{CohortStatus, Modality};
use sea_orm::entity::prelude::*;

/// One scheduled run of a course.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cohorts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub course_id: i32,
    pub name: String,
    pub modality: Modality,
    pub status: CohortStatus,
    pub start_date: Date,
    pub end_date: Date,
    pub enrolment_opens: Date,
    pub enrolment_closes: Date,
    pub seats: i32,
    pub venue: Option<String>,
    pub meeting_url: Option<String>,
    pub min_attendance_pct: i32,
    pub pass_mark_tenths: i32,
    pub cancellation_reason: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// The provider that offers it (ESAP = 1).
    pub provider_id: i32,
    /// Until this date (inclusive) quota seats are kept for their municipality; after it they
    /// join the open pool (issue 35).
    pub quota_release_on: Option<Date>,
    /// When the waiting list was moved at the release (once, whichever instance does it).
    pub quotas_released_at: Option<DateTimeUtc>,
    /// When liaisons with unfilled quota were reminded, a week before the release.
    pub quota_reminded_at: Option<DateTimeUtc>,
    /// The cohort trains trainers (issue 48): those who complete it may be endorsed as
    /// replicators of its course's capacities.
    pub trains_trainers: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::course::Entity",
        from = "Column::CourseId",
        to = "super::course::Column::Id"
    )]
    Course,
}

impl Related<super::course::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Course.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
