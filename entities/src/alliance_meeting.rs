use sea_orm::entity::prelude::*;

use crate::values::Modality;

/// A table (mesa de diálogo y coordinación) of an alliance: date, modality and place, agenda.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alliance_meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub alliance_id: i32,
    pub date: Date,
    pub modality: Modality,
    pub place: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub agenda: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
