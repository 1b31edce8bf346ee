use sea_orm::entity::prelude::*;

/// The last value an instance computed for a kept key, shared by the instances and kept across
/// restarts (issue 36): derived data, never edited by hand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kept_contents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The versions it was computed for, as JSON.
    pub version: String,
    pub content: String,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
