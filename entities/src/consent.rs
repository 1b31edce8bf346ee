use super::values::ConsentKind;
use sea_orm::entity::prelude::*;

/// A consent under Ley 1581 de 2012: what was accepted (text version) and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub participant_id: i32,
    pub kind: ConsentKind,
    pub text_version: String,
    pub granted_at: DateTimeUtc,
    pub withdrawn_at: Option<DateTimeUtc>,
    /// Where the authorization comes from when the person did not give it here herself:
    /// `import` (declared by the importer, `declared_by`, with her `source_detail`, e.g.
    /// «formato físico de inscripción»). None: given by the person in the product.
    pub source: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub source_detail: Option<String>,
    pub declared_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
