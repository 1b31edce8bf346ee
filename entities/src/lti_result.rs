use sea_orm::entity::prelude::*;

/// The latest score a tool posted for a line item and an enrolment.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub line_item_id: i32,
    pub enrolment_id: i32,
    pub score_given: Option<f64>,
    pub score_maximum: f64,
    pub activity_progress: String,
    pub grading_progress: String,
    pub comment: Option<String>,
    pub timestamp: DateTimeUtc,
    pub tool_id: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
