use super::values::EnrolmentStatus;
use sea_orm::entity::prelude::*;

/// A person in a cohort.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cohort_id: i32,
    pub participant_id: i32,
    pub status: EnrolmentStatus,
    pub waitlist_seq: Option<i32>,
    pub municipality_code: String,
    pub entity_type: String,
    pub eligibility_override: bool,
    pub override_reason: Option<String>,
    pub created_by: Option<i32>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancellation_reason: Option<String>,
    pub sessions_total: Option<i32>,
    pub sessions_attended: Option<i32>,
    pub final_grade_milli: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
        belongs_to = "super::participant::Entity",
        from = "Column::ParticipantId",
        to = "super::participant::Column::Id"
    )]
    Participant,
}

impl Related<super::cohort::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cohort.def()
    }
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
