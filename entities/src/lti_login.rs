use sea_orm::entity::prelude::*;

/// A launch begun: the message hint's SHA-256, who launches which link in which role; used
/// once, its nonce unique per tool.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_logins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub hint_hash: String,
    pub tool_id: i32,
    pub link_id: i32,
    pub user_id: i32,
    pub role: String,
    pub nonce: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
