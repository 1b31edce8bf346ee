use super::values::{ReplicaAudience, ReplicaReview};
use sea_orm::entity::prelude::*;

/// A replica a replicator delivered (issue 48): second-generation reach, never direct
/// training.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replicas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub replicator_id: i32,
    pub date: Date,
    pub municipality_code: String,
    pub department_code: String,
    pub capacity_id: i32,
    pub audience: ReplicaAudience,
    /// Its named attendees, or the count given where people do not register.
    pub people_reached: i32,
    /// Whether `people_reached` was given as a count (no names).
    pub by_count: bool,
    pub recorded_by: Option<i32>,
    pub created_at: DateTimeUtc,
    /// Whether it counts (issue 62): within the bounds at once, beyond them once a
    /// coordinator approved it.
    pub review: ReplicaReview,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// The reviewer's reason (a rejection's, mostly).
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
