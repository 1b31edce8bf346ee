use super::values::{AssistedEntity, DemandPriority, DemandStatus, Modality};
use sea_orm::entity::prelude::*;

/// What a municipality asks ESAP to train it in (issue 16): raised by its liaison, by the
/// gobernación or by a coordinator; open → planned (a cohort answers it) → met (people of the
/// municipality completed that cohort), or declined with a reason.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demands")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// None for a gobernación's demand (issue 49).
    pub municipality_code: Option<String>,
    /// The department: of the municipality, or the gobernación's own.
    pub department_code: String,
    /// Which entity asks (issue 49): the alcaldía unless told otherwise.
    pub entity_type: AssistedEntity,
    pub capacity_id: i32,
    pub topic: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub people_estimate: i32,
    pub modality: Modality,
    pub wanted_from: Date,
    pub wanted_to: Date,
    pub priority: DemandPriority,
    pub status: DemandStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_reason: Option<String>,
    /// The cohort planned to answer it.
    pub cohort_id: Option<i32>,
    pub created_by: i32,
    /// The gobernación reviewer who endorsed it.
    pub endorsed_by: Option<i32>,
    pub endorsed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub planned_at: Option<DateTimeUtc>,
    pub met_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
