use super::values::{Application, SurveyKind};
use sea_orm::entity::prelude::*;

/// One answer to a survey, apart from identity (issue 17): the cohort, the department of the
/// enrolment's municipality and the kind, under a random key; no person, enrolment or time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_responses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub cohort_id: i32,
    pub department_code: String,
    pub kind: SurveyKind,
    pub calidad: Option<i16>,
    pub pertinencia: Option<i16>,
    pub oportunidad: Option<i16>,
    pub metodologia: Option<i16>,
    pub instructor: Option<i16>,
    pub logistica: Option<i16>,
    pub aplicacion: Option<Application>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
