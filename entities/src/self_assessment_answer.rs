use sea_orm::entity::prelude::*;

/// The level (1 to 4) a self-assessment chose for a question, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_assessment_answers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub self_assessment_id: i32,
    pub question_id: i32,
    pub level: i32,
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
