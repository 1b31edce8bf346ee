use sea_orm::entity::prelude::*;

use crate::values::AcceptanceVia;

/// One version of an assistance's work plan (issue 49): its products expected (a JSON list of
/// text; its activities are `work_plan_activities`), who wrote it and when, and its acceptance
/// for the entity — who, their position, how, the liaison's or reviewer's account and when. A
/// version is never rewritten: any change is a new version (issue 62). `acceptance_token_hash`
/// is empty since issue 62: the links are `work_plan_acceptance_links`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistance_work_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assistance_id: i32,
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub products_expected: String,
    pub written_by: Option<i32>,
    pub written_at: DateTimeUtc,
    pub accepted_by: Option<String>,
    pub accepted_position: Option<String>,
    pub accepted_via: Option<AcceptanceVia>,
    pub accepted_user_id: Option<i32>,
    pub accepted_at: Option<DateTimeUtc>,
    pub acceptance_token_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
