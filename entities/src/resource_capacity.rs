use sea_orm::entity::prelude::*;

/// A capacity a resource of the knowledge bank is tagged with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_capacities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub capacity_id: i32,
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

impl Related<super::capacity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Capacity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
