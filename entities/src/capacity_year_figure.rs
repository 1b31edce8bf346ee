use sea_orm::entity::prelude::*;

/// People trained in a capacity for a municipality in a year (by the cohort's start), summed
/// from `capacity_people` (issue 20).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, DeriveEntityModel)]
#[sea_orm(table_name = "capacity_year_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub department_code: String,
    pub trained: i32,
    pub completed: i32,
    pub certified: i32,
    pub still_in_entity: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::municipality::Entity",
        from = "Column::MunicipalityCode",
        to = "super::municipality::Column::Code"
    )]
    Municipality,
    #[sea_orm(
        belongs_to = "super::capacity::Entity",
        from = "Column::CapacityId",
        to = "super::capacity::Column::Id"
    )]
    Capacity,
}

impl ActiveModelBehavior for ActiveModel {}
