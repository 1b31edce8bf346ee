use super::values::PlanStatus;
use sea_orm::entity::prelude::*;

/// A provider's plan for a year (issue 47): ESAP's national one or a territorial direction's,
/// a gobernación's for its department. `version` is its current version; the approval's act,
/// who recorded it and when stay as they were after amendments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider_id: i32,
    pub year: i32,
    pub territorial_direction_id: Option<i32>,
    pub department_code: Option<String>,
    pub name: String,
    /// `draft`, `approved` or `amended` (a plan of a year that ended reads as closed).
    pub status: PlanStatus,
    pub version: i32,
    pub approval_act: Option<String>,
    pub approved_by: Option<i32>,
    pub approved_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
