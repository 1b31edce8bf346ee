use sea_orm::entity::prelude::*;

use crate::values::AllianceAgreementStatus;

/// What a table agreed, with its owner and due date, and its follow-up: open, or done on
/// `done_on` with a note. Who changed it last, and when; every change is audited too.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alliance_agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub meeting_id: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub owner: String,
    pub due_on: Date,
    pub status: AllianceAgreementStatus,
    pub done_on: Option<Date>,
    pub note: Option<String>,
    pub status_changed_by: Option<i32>,
    pub status_changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
