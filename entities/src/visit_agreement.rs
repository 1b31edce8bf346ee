use sea_orm::entity::prelude::*;

use crate::values::AgreementStatus;

/// A commitment (compromiso) agreed at a visit, with its owner and due date, and its state
/// (issue 49): pending; done on `done_on` with a note; dropped with its reason. Who changed the
/// state last, and when; every change is in the audit log too.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub visit_id: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub owner: String,
    pub due_on: Date,
    pub done_on: Option<Date>,
    pub status: AgreementStatus,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub status_changed_by: Option<i32>,
    pub status_changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
