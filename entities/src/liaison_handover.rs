use sea_orm::entity::prelude::*;

/// The passing of a municipality's liaison role to a new official (issue 48): named by an
/// administrator, effective when the new official confirms through the emailed link (only its
/// hash is stored); the previous liaison accounts are then deactivated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "liaison_handovers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub municipality_code: String,
    pub new_user_id: i32,
    pub named_by: Option<i32>,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
