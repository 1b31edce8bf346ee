use sea_orm::entity::prelude::*;

/// An AGS line item of a cohort: an assessment's, or a tool's (mapped to an assessment by
/// the coordinator, or not yet).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_line_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cohort_id: i32,
    pub assessment_id: Option<i32>,
    pub tool_id: Option<i32>,
    pub label: String,
    pub score_maximum: f64,
    pub resource_id: Option<String>,
    pub tag: Option<String>,
    pub resource_link_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
