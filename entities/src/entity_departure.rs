use sea_orm::entity::prelude::*;

/// A person who said, answering a follow-up survey, that they are no longer in the entity of
/// this municipality (issue 17): their training there no longer counts as "still in the
/// entity". Removed when they say they are back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entity_departures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub participant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
