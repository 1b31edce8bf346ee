use super::values::Modality;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub description: String,
    /// Intensidad horaria.
    pub hours: i32,
    pub default_modality: Modality,
    /// Stage of the cycle of public management the course serves.
    pub management_stage: Option<String>,
    pub min_attendance_pct: i32,
    pub pass_mark_tenths: i32,
    pub retired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The provider that offers it (ESAP = 1).
    pub provider_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::capacity::Entity> for Entity {
    fn to() -> RelationDef {
        super::course_capacity::Relation::Capacity.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::course_capacity::Relation::Course.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
