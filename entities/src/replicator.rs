use sea_orm::entity::prelude::*;

/// A certified replicator (issue 48): a person who completed a cohort that trains trainers,
/// endorsed by a coordinator of its provider, who may deliver replicas of the course's
/// capacities in `department_code` from `since` to `until` (both inclusive).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub participant_id: i32,
    pub cohort_id: i32,
    /// The department of the person's municipality at the endorsement.
    pub department_code: String,
    pub since: Date,
    pub until: Date,
    pub endorsed_by: Option<i32>,
    pub endorsed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
