use sea_orm::entity::prelude::*;

/// One score per assessment and enrolment, in tenths (0..=50 for 0.0..=5.0).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scores")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assessment_id: i32,
    pub enrolment_id: i32,
    pub score_tenths: i32,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::assessment::Entity",
        from = "Column::AssessmentId",
        to = "super::assessment::Column::Id"
    )]
    Assessment,
    #[sea_orm(
        belongs_to = "super::enrolment::Entity",
        from = "Column::EnrolmentId",
        to = "super::enrolment::Column::Id"
    )]
    Enrolment,
}

impl ActiveModelBehavior for ActiveModel {}
