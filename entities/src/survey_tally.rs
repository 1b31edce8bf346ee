use super::values::SurveyKind;
use sea_orm::entity::prelude::*;

/// Per cohort × department × kind: surveys sent and answered, and the answers' sums (issue
/// 17). Derived from `surveys` and `survey_responses`; what the reports read.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: SurveyKind,
    pub invited: i64,
    pub responded: i64,
    pub n: i64,
    pub calidad: i64,
    pub pertinencia: i64,
    pub oportunidad: i64,
    pub metodologia: i64,
    pub instructor: i64,
    pub logistica: i64,
    pub si: i64,
    pub parcialmente: i64,
    pub no: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
