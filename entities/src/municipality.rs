use super::values::MunicipalityKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "municipalities")]
pub struct Model {
    /// DANE/DIVIPOLA code: five digits, leading zero significant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub department_code: String,
    pub name: String,
    pub search_name: String,
    pub kind: MunicipalityKind,
    pub latitude: f64,
    pub longitude: f64,
    /// Ley 617 category for the current year: "E" or "1".."6".
    pub category: Option<String>,
    pub dnp_capacity_group: Option<String>,
    pub is_department_capital: bool,
    pub pdet_subregion_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::department::Entity",
        from = "Column::DepartmentCode",
        to = "super::department::Column::Code"
    )]
    Department,
    #[sea_orm(
        belongs_to = "super::pdet_subregion::Entity",
        from = "Column::PdetSubregionId",
        to = "super::pdet_subregion::Column::Id"
    )]
    PdetSubregion,
}

impl Related<super::department::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::pdet_subregion::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PdetSubregion.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
