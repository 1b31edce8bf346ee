use sea_orm::entity::prelude::*;

/// A key position (cargo clave, issue 68) of a municipality's alcaldía: a post that holds a
/// capacity (its `capacity_id`), and who holds it now — a person of the product
/// (`holder_participant_id`) or only a name (`holder_name`) — with the appointment type
/// (`carrera`, `libre_nombramiento`, `provisional`, `contrato`, `periodo`) and the day of
/// possession. Holder, appointment and `since` are all empty while the position is vacant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_positions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub municipality_code: String,
    pub title: String,
    pub capacity_id: i32,
    pub holder_participant_id: Option<i32>,
    pub holder_name: Option<String>,
    pub appointment: Option<String>,
    pub since: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
