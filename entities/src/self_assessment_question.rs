use sea_orm::entity::prelude::*;

/// A question of a version of the self-assessment instrument, on one capacity, with the
/// descriptors of its levels 1 to 4.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_assessment_questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub instrument_id: i32,
    pub capacity_id: i32,
    pub sort_order: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "Text")]
    pub level_1: String,
    #[sea_orm(column_type = "Text")]
    pub level_2: String,
    #[sea_orm(column_type = "Text")]
    pub level_3: String,
    #[sea_orm(column_type = "Text")]
    pub level_4: String,
}

impl Model {
    /// The descriptors of levels 1 to 4, in order.
    pub fn descriptors(&self) -> [&str; 4] {
        [&self.level_1, &self.level_2, &self.level_3, &self.level_4]
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
