use sea_orm::entity::prelude::*;

/// A key that signs verifiable credentials (issue 34): every app instance reads it from here.
/// The current key is the one not retired; retired keys stay published in `did.json`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The secret seed as a multibase Multikey (`z3u2…`).
    pub secret_key: String,
    /// The public key as a Multikey (`z6Mk…`).
    #[sea_orm(unique)]
    pub public_key: String,
    /// `generated` in the database, or `imported` from `credentials_key_file`.
    pub origin: String,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
