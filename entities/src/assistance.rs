use super::values::{AssistanceStatus, AssistedEntity, Modality};
use sea_orm::entity::prelude::*;

/// A provider's technical assistance (issue 33): the accompaniment of one entity of a
/// municipality on some capacities, with a plan, visits and a closing evaluation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub provider_id: i32,
    /// None for a gobernación's (department-level) assistance.
    pub municipality_code: Option<String>,
    /// Its department (of its municipality, or the gobernación's).
    pub department_code: String,
    pub entity_type: AssistedEntity,
    #[sea_orm(column_type = "Text")]
    pub objective: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub modality: Modality,
    pub status: AssistanceStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancellation_reason: Option<String>,
    pub objective_reached: Option<bool>,
    #[sea_orm(column_type = "Text", nullable)]
    pub closing_summary: Option<String>,
    pub contact_email: Option<String>,
    /// Issue 62: who of the territory (the municipality's liaison, the department's reviewer)
    /// confirmed the contact, when, and which address; confirmed only while
    /// `contact_confirmed_email` is `contact_email`.
    pub contact_confirmed_by: Option<i32>,
    pub contact_confirmed_at: Option<DateTimeUtc>,
    pub contact_confirmed_email: Option<String>,
    pub evaluation_token_hash: Option<String>,
    pub evaluation_usefulness: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub evaluation_comment: Option<String>,
    pub evaluated_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
