use super::values::ProviderKind;
use sea_orm::entity::prelude::*;

/// An organisation that offers training or technical assistance (issue 32): ESAP (id 1, from
/// the migration), DNP, Función Pública, a gobernación, a university… Every course and cohort
/// belongs to one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub kind: ProviderKind,
    #[sea_orm(unique)]
    pub nit: Option<String>,
    /// A gobernación's or a university's department.
    pub department_code: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
