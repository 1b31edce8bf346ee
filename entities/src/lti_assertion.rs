use sea_orm::entity::prelude::*;

/// A client assertion's `jti`, kept until it expires so it is never accepted twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_assertions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub tool_id: i32,
    pub jti: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
