use sea_orm::entity::prelude::*;

/// A gobernación's alliance of providers and local actors for its department (issue 48): its
/// lead, launch and renewal («refrendación»), and implementation plan. Members, tables and
/// agreements hang from it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alliances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub department_code: String,
    pub name: String,
    pub lead_provider_id: Option<i32>,
    pub launched_on: Date,
    pub renewed_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub implementation_plan: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
