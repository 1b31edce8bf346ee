use sea_orm::entity::prelude::*;

/// A holder who left a key position (issue 68): who (a person of the product, or the name the
/// position carried), their appointment, the day they left and why, and whether they were
/// certified in the position's capacity when they left.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_position_departures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub position_id: i32,
    pub holder_participant_id: Option<i32>,
    pub holder_name: Option<String>,
    pub appointment: Option<String>,
    pub since: Option<Date>,
    pub left_on: Date,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub certified: bool,
    pub recorded_by: Option<i32>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
