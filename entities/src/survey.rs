use super::values::SurveyKind;
use sea_orm::entity::prelude::*;

/// An invitation to answer a survey (issue 17): one per enrolment and kind. The only link
/// between a person and a survey; it records whether it was answered, never the answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub enrolment_id: i32,
    pub cohort_id: i32,
    /// Of the enrolment's municipality (what a gobernación may count).
    pub department_code: String,
    pub kind: SurveyKind,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub answered: bool,
    pub reminded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::enrolment::Entity",
        from = "Column::EnrolmentId",
        to = "super::enrolment::Column::Id"
    )]
    Enrolment,
    #[sea_orm(
        belongs_to = "super::cohort::Entity",
        from = "Column::CohortId",
        to = "super::cohort::Column::Id"
    )]
    Cohort,
}

impl Related<super::enrolment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrolment.def()
    }
}

impl Related<super::cohort::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cohort.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
