use sea_orm::entity::prelude::*;

/// Something measured yearly per municipality (an MDM component, the IDF, the category), linked
/// to the capacities it measures through `indicator_capacities` (issue 15).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Who publishes it (e.g. «DNP – Índice de Desempeño Fiscal»).
    pub source: String,
    /// What a value means (e.g. «puntaje de 0 a 100»; [`CATEGORY_UNIT`] for the category).
    pub unit: String,
    pub higher_is_better: bool,
    /// A caveat readers should know (a change of method between years, …); may be empty.
    pub note: String,
}

/// The unit of the municipal category: values 0 (special, «E») to 6.
pub const CATEGORY_UNIT: &str = "categoría (E = 0, luego 1 a 6)";

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::indicator_observation::Entity")]
    Observations,
    #[sea_orm(has_many = "super::indicator_capacity::Entity")]
    Capacities,
}

impl Related<super::indicator_observation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Observations.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
