use super::values::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: Role,
    /// The department a reviewer may see; empty for every other role.
    pub department_code: Option<String>,
    /// A coordinator's territorial direction; none = national (issue 16).
    pub territorial_direction_id: Option<i32>,
    /// A liaison's (enlace municipal) municipality; empty for every other role.
    pub municipality_code: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    /// The coordinator's provider (none = ESAP).
    pub provider_id: Option<i32>,
    /// A liaison: the start year of the administration period (2020, 2024, 2028…) in which
    /// they were last taken to their municipality's handover page on signing in (issue 48).
    pub handover_seen_for: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
