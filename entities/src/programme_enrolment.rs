use super::values::ProgrammeEnrolmentStatus;
use sea_orm::entity::prelude::*;

/// A person in an edition: enrolled in every module's cohort (but the recognised ones) or on
/// the edition's waiting list (`waitlist_seq`), never in some modules and not others.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "programme_enrolments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub edition_id: i32,
    pub participant_id: i32,
    pub status: ProgrammeEnrolmentStatus,
    pub waitlist_seq: Option<i32>,
    pub municipality_code: String,
    pub eligibility_override: bool,
    pub override_reason: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancellation_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
