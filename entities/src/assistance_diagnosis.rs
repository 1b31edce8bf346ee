use sea_orm::entity::prelude::*;

/// An assistance's diagnosis (issue 49): what was found and its evidence, who recorded it and
/// when. One per assistance; recording it again replaces it (the audit log keeps the earlier).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_diagnoses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assistance_id: i32,
    #[sea_orm(column_type = "Text")]
    pub findings: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub evidence: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
