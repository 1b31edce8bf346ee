use super::values::NominationStatus;
use sea_orm::entity::prelude::*;

/// A liaison's proposal of a person for a cohort, under their municipality's quota.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nominations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cohort_id: i32,
    pub municipality_code: String,
    /// The registered person; none until someone not yet registered registers.
    pub participant_id: Option<i32>,
    pub document_type: String,
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    pub email: String,
    pub status: NominationStatus,
    /// SHA-256 of the link's token the person confirms with; cleared once used.
    pub confirm_token_hash: Option<String>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub enrolment_id: Option<i32>,
    pub nominated_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
