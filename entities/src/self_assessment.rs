use sea_orm::entity::prelude::*;

/// A municipal entity's self-assessment of its capacities in a quarter (issue 68): submitted
/// by the municipality's liaison, `status` `submitted`, then `validated` or `rejected` by the
/// department's reviewer (`review_note`). At most one not rejected per entity and quarter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_assessments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub municipality_code: String,
    pub department_code: String,
    /// The municipal entity that rates itself (`alcaldia`, `concejo`, … as in demands).
    pub entity_type: String,
    pub instrument_id: i32,
    pub year: i32,
    /// 1 to 4.
    pub quarter: i32,
    pub status: String,
    pub submitted_by: Option<i32>,
    pub submitted_at: DateTimeUtc,
    pub submitted_on: Date,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
