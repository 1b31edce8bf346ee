use sea_orm::entity::prelude::*;

/// A cohort whose figures must be recomputed before the transaction commits, and the person
/// whose rows changed (none: every person of the cohort): written by the triggers of the
/// source tables, emptied by `domain::db::commit` (issues 20 and 36).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "figures_dirty")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cohort_id: i32,
    pub participant_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
