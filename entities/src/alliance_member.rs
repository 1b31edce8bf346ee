use sea_orm::entity::prelude::*;

use crate::values::AllianceMemberKind;

/// A member of an alliance, in order: a provider of the product, or another organisation by
/// name and kind (exactly one of the two).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alliance_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub alliance_id: i32,
    pub position: i32,
    pub provider_id: Option<i32>,
    pub name: Option<String>,
    pub kind: Option<AllianceMemberKind>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
