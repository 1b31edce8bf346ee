use super::values::DescriptorKind;
use sea_orm::entity::prelude::*;

/// A sector or a population group (CONPES's sectoral and population descriptors, issue 49):
/// editable reference data, `code` unique within its `kind`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "descriptors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: DescriptorKind,
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
