use sea_orm::entity::prelude::*;

/// A person trained in a capacity for a municipality (the enrolment's): the distinct people
/// behind the coverage figures (issue 20), kept by `domain::figures`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "capacity_people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub participant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    /// The year the cohort started.
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub department_code: String,
    pub completed: bool,
    pub certified: bool,
    pub still_in_entity: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
