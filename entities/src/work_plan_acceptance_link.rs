use sea_orm::entity::prelude::*;

use crate::values::LinkVoidReason;

/// A link emailed to the entity's confirmed contact to accept one work plan version (issue
/// 62): the hash of its secret, the address it went to and when, and — once it no longer
/// accepts — when and why it was voided.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_plan_acceptance_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub work_plan_id: i32,
    pub token_hash: String,
    pub sent_to: String,
    pub sent_at: DateTimeUtc,
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<LinkVoidReason>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
