use sea_orm::entity::prelude::*;

/// A self-registration waiting for its emailed link; only the link's hash is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registration_confirmations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub email: String,
    /// The imported participant record being claimed, if any.
    pub participant_id: Option<i32>,
    /// The registration as submitted (JSON), without the password.
    pub registration_json: String,
    pub password_hash: String,
    /// Where the browser goes once confirmed.
    pub next_path: String,
    /// The nomination whose emailed link started the registration (issue 46): confirming the
    /// registration confirms it when the document registered is the nominated one.
    pub nomination_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
