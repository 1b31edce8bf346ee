use super::values::DocumentType;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: Option<i32>,
    pub document_type: DocumentType,
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub municipality_code: String,
    pub entity_type: String,
    pub entity_name: Option<String>,
    pub position: Option<String>,
    pub level: String,
    pub sex: Option<String>,
    pub ethnic_group: Option<String>,
    pub has_disability: Option<bool>,
    pub is_conflict_victim: Option<bool>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When her personal data were suppressed (habeas data, issue 67); her counts stay.
    pub anonymised_at: Option<DateTimeUtc>,
}

impl Model {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_names, self.last_names)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::municipality::Entity",
        from = "Column::MunicipalityCode",
        to = "super::municipality::Column::Code"
    )]
    Municipality,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<super::municipality::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Municipality.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
