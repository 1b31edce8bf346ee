use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cohort_municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cohort_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cohort::Entity",
        from = "Column::CohortId",
        to = "super::cohort::Column::Id"
    )]
    Cohort,
    #[sea_orm(
        belongs_to = "super::municipality::Entity",
        from = "Column::MunicipalityCode",
        to = "super::municipality::Column::Code"
    )]
    Municipality,
}

impl ActiveModelBehavior for ActiveModel {}
