use sea_orm::entity::prelude::*;

/// The platform's RSA signing key (RS256): the newest one not retired signs; every row stays
/// published in `/lti/jwks`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lti_platform_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kid: String,
    pub private_key: String,
    pub public_jwk: String,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
