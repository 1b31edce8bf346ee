use sea_orm::entity::prelude::*;

/// A participant's own change of names once she has an enrolment (issue 46), reviewed by the
/// coordination of one of her cohorts before it reaches her record and her certificates.
/// `status`: `pending`, `approved`, `rejected` (with `reason`) or `withdrawn`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "name_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub participant_id: i32,
    pub first_names: String,
    pub last_names: String,
    /// The approved name when she asked.
    pub previous_first_names: String,
    pub previous_last_names: String,
    pub status: String,
    pub requested_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
