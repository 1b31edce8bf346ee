use sea_orm::entity::prelude::*;

/// A person with a counted enrolment in a provider's cohorts in a municipality of a department
/// (issue 69): a provider's distinct people of a territory are counted from these rows. Kept
/// current by `domain::figures::scope`, never edited by hand.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "provider_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub participant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
