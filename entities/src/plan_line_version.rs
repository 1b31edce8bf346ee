use super::values::TargetRule;
use sea_orm::entity::prelude::*;

/// A plan line's figures in one version of its plan, copied whole into each new version;
/// `since_version` is the version from which these figures hold.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_line_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub line_id: i32,
    pub plan_id: i32,
    pub version: i32,
    pub since_version: i32,
    pub capacity_id: i32,
    pub course_id: Option<i32>,
    /// A rule instead of (or, with no municipalities either, the whole plan's territory)
    /// a list of municipalities.
    pub target_rule: Option<TargetRule>,
    pub goal_cohorts: Option<i32>,
    pub goal_people_trained: Option<i32>,
    pub goal_people_certified: Option<i32>,
    pub goal_assistances_closed: Option<i32>,
    pub goal_municipalities_reached: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
