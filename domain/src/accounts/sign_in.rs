//! Checking credentials (pages and API alike) and the API's bearer tokens.

use super::{passwords, secrets, throttle};
use crate::entities::{api_token, user};
use crate::error::{AppError, AppResult};
use crate::time::now;
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::net::IpAddr;

/// How long an API token lives.
pub const TOKEN_DAYS: i64 = 30;

/// Verified when the account does not exist, so that a wrong email takes as long as a wrong
/// password (no account discovery through timing).
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| passwords::hash(&secrets::random_token()).unwrap_or_default());

/// Email and password → the active user. Failures make the (account, address) pair and the
/// address wait progressively longer; the account itself is never locked, so the owner
/// signing in from another address is not kept out by whoever is guessing.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<user::Model> {
    let pair_key = throttle::account_address_key(email, address);
    let address_key = throttle::address_key(address);
    throttle::check(db, &[&pair_key, &address_key]).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(super::normalize_email(email)))
        .one(db)
        .await?;
    let verified = match &found {
        Some(account) => passwords::verify(password, &account.password_hash) && account.active,
        None => {
            passwords::verify(password, &DUMMY_HASH);
            false
        }
    };
    match found {
        Some(account) if verified => {
            throttle::clear(db, &pair_key).await?;
            let mut active: user::ActiveModel = account.into();
            active.last_login_at = Set(Some(now()));
            Ok(active.update(db).await?)
        }
        _ => {
            throttle::record_failure(db, &pair_key, throttle::SIGN_IN_PER_ACCOUNT_AND_ADDRESS)
                .await?;
            throttle::record_failure(db, &address_key, throttle::SIGN_IN_PER_ADDRESS).await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// A new bearer token for the user; the token itself is returned once and never stored.
pub async fn issue_token<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> AppResult<(String, api_token::Model)> {
    let token = secrets::random_token();
    let at = now();
    let model = api_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(secrets::token_hash(&token)),
        created_at: Set(at),
        expires_at: Set(at + Duration::days(TOKEN_DAYS)),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, model))
}

/// The active user holding a valid (unexpired, unrevoked) token, with the token's id.
pub async fn user_for_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<(user::Model, i32)>> {
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at <= now() {
        return Ok(None);
    }
    let account = user::Entity::find_by_id(row.user_id).one(db).await?;
    Ok(account.filter(|u| u.active).map(|u| (u, row.id)))
}

pub async fn revoke_token<C: ConnectionTrait>(db: &C, token_id: i32) -> AppResult<()> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Every token of a user stops working (after a password reset or deactivation).
pub async fn revoke_all_tokens<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<()> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
