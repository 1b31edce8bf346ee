use sea_orm::entity::prelude::*;

/// Someone who attended a visit: a registered participant, or an official named there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_attendees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub visit_id: i32,
    pub participant_id: Option<i32>,
    pub full_name: String,
    pub position: Option<String>,
    pub document_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
