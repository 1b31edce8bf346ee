use sea_orm::entity::prelude::*;

/// A consenting person (active consent for sensitive data) with a counted enrolment in a
/// department, with the attributes of the differential approach (issue 20): the base of the
/// reports' differential counts, kept by `domain::figures`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "differential_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub participant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    pub sex: Option<String>,
    pub ethnic_group: Option<String>,
    pub has_disability: Option<bool>,
    pub is_conflict_victim: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
