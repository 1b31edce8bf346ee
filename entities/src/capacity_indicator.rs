use sea_orm::entity::prelude::*;

/// A yearly measure of a capacity (e.g. an MDM management component), for impact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capacity_indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub capacity_id: i32,
    pub name: String,
    pub source: String,
    pub scale: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::capacity::Entity",
        from = "Column::CapacityId",
        to = "super::capacity::Column::Id"
    )]
    Capacity,
}

impl ActiveModelBehavior for ActiveModel {}
