use super::values::InvitationStatus;
use sea_orm::entity::prelude::*;

/// A coordinator's request to enrol someone it does not reach (issue 46): the person enrols
/// only by accepting it. One row per request as typed, whether or not the person exists.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolment_invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cohort_id: i32,
    /// What the coordinator typed: `id:17` or `CC:1117512345`.
    pub named: String,
    /// The person named, when there is one (never shown to the coordinator).
    pub participant_id: Option<i32>,
    pub invited_by: Option<i32>,
    /// The eligibility override the inviter gave, with its reason.
    pub override_reason: Option<String>,
    /// SHA-256 of the emailed link's token; none when nothing was emailed.
    #[sea_orm(unique)]
    pub token_hash: Option<String>,
    pub status: InvitationStatus,
    pub enrolment_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
