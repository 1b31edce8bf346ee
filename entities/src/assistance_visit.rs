use super::values::Modality;
use sea_orm::entity::prelude::*;

/// A visit or session of an assistance (in situ or remote).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assistance_id: i32,
    pub date: Date,
    pub modality: Modality,
    /// Tenths of an hour.
    pub hours_tenths: i32,
    #[sea_orm(column_type = "Text")]
    pub topics: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
