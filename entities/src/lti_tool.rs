use sea_orm::entity::prelude::*;

/// An LTI 1.3 tool registered by the admin (lists are JSON text).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_tools")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub client_id: String,
    pub deployment_id: String,
    pub login_url: String,
    pub target_link_uri: String,
    pub redirect_uris: String,
    pub jwks_url: Option<String>,
    pub public_jwk: Option<String>,
    pub deep_link_url: Option<String>,
    pub share_name: bool,
    pub share_email: bool,
    pub scopes: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
