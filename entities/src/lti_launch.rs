use sea_orm::entity::prelude::*;

/// Who launched which link when (and in which session's window).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_launches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub link_id: i32,
    pub cohort_id: i32,
    pub user_id: i32,
    pub participant_id: Option<i32>,
    pub enrolment_id: Option<i32>,
    pub role: String,
    pub session_id: Option<i32>,
    pub launched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
