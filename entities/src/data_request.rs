use sea_orm::entity::prelude::*;

/// A habeas-data request (Ley 1581 de 2012, issue 67): a person asks to consult her data
/// (`consulta`), to revoke her authorization (`revocacion`) or to have her data deleted
/// (`supresion`); an administrator answers by `due_on` (15 business days). `status`:
/// `pending`, `accepted` or `rejected` (with `resolution_note`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub participant_id: i32,
    pub kind: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub status: String,
    pub requested_at: DateTimeUtc,
    pub requested_on: Date,
    pub due_on: Date,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub resolution_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
