use super::values::{Mark, MarkSource};
use sea_orm::entity::prelude::*;

/// One mark per person per session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance_marks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub enrolment_id: i32,
    pub status: Mark,
    pub note: Option<String>,
    pub source: MarkSource,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cohort_session::Entity",
        from = "Column::SessionId",
        to = "super::cohort_session::Column::Id"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::enrolment::Entity",
        from = "Column::EnrolmentId",
        to = "super::enrolment::Column::Id"
    )]
    Enrolment,
}

impl ActiveModelBehavior for ActiveModel {}
