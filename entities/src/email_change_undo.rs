use sea_orm::entity::prelude::*;

/// A link that undoes a change of an account's sign-in email (issue 46), sent to the old
/// address; only its hash is stored. Valid one week, once; using one spends every other.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_change_undos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub email_change_id: i32,
    pub user_id: i32,
    /// The address before the change: what undoing restores.
    pub restore_email: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
