use sea_orm::entity::prelude::*;

/// A file an import page previewed, kept so «Importar» needs no second choice (issue 61): the
/// account that previewed it, which import it is for, its name and bytes; used once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_drafts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub token: String,
    pub user_id: i32,
    pub kind: String,
    pub filename: String,
    pub bytes: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
