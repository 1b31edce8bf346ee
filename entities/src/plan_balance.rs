use sea_orm::entity::prelude::*;

/// A plan's figures for a closed period (`2026-06`, `2026-Q2`, `2026-S1`), frozen when the
/// period closed: what a report of that period keeps saying.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_balances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub plan_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    /// The plan version whose goals the balance used.
    pub version: i32,
    pub frozen_at: DateTimeUtc,
    /// The progress as JSON (`domain::plans::progress::Progress`).
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
