use sea_orm::entity::prelude::*;

/// Who changed what, when, with the state before and after (JSON).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub actor_user_id: Option<i32>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
