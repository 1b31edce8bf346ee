use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What the server did with a mark a phone sent in a batch (issue 66). `unchanged` is never
/// stored: it is the answer to a key already received.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    #[sea_orm(string_value = "applied")]
    Applied,
    #[sea_orm(string_value = "superseded")]
    Superseded,
    #[sea_orm(string_value = "conflict")]
    Conflict,
    #[sea_orm(string_value = "refused")]
    Refused,
}

/// A mark received in an offline batch, by its idempotency key (unique per session), with the
/// first answer given for it (`result`, JSON).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance_batch_marks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub idempotency_key: String,
    pub device_id: Option<String>,
    pub enrolment_id: Option<i32>,
    pub status: Option<String>,
    pub marked_at: Option<DateTimeUtc>,
    pub outcome: BatchOutcome,
    pub result: String,
    pub received_by: Option<i32>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cohort_session::Entity",
        from = "Column::SessionId",
        to = "super::cohort_session::Column::Id"
    )]
    Session,
}

impl ActiveModelBehavior for ActiveModel {}
