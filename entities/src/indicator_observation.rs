use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_observations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub indicator_id: i32,
    pub municipality_code: String,
    pub year: i32,
    pub value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::capacity_indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::capacity_indicator::Column::Id"
    )]
    Indicator,
}

impl ActiveModelBehavior for ActiveModel {}
