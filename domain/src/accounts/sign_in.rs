//! Checking credentials (pages and API alike) and the API's bearer tokens.

use super::{passwords, secrets, throttle};
use crate::entities::{api_token, registration_confirmation, user};
use crate::error::{AppError, AppResult};
use crate::time::now;
use crate::validate::normalize_email;
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::net::IpAddr;

/// How long an API token lives.
pub const TOKEN_DAYS: i64 = 30;

/// Verified when the account does not exist, so that a wrong email takes as long as a wrong
/// password (no account discovery through timing). Hashed on first use, on a blocking thread.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> AppResult<&'static str> {
    DUMMY_HASH
        .get_or_try_init(|| async { passwords::hash(&secrets::random_token()).await })
        .await
        .map(String::as_str)
}

/// Email and password → the active user. Failures make the (account, address) pair, the
/// address and — from addresses the account has not signed in from lately — the account wait
/// progressively longer (see `throttle`). The account is never locked for its owner: from an
/// address where they signed in during the last 30 days, only their own pair and address
/// count, so whoever is guessing from elsewhere slows only themselves.
///
/// The password is verified (argon2, on a blocking thread) before the write transaction that
/// counts the attempt opens; inside it, the throttle and the account are read again, so an
/// attempt that became throttled meanwhile is refused, and one whose password was changed or
/// whose account was closed meanwhile fails.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<user::Model> {
    match attempt(db, email, password, address).await? {
        Attempt::SignedIn(account) => Ok(account),
        // The API has no button to send the link again: a failed sign-in like any other.
        Attempt::Unconfirmed => Err(AppError::InvalidCredentials),
    }
}

/// What a sign-in came to, when it did not fail outright.
#[derive(Debug)]
pub enum Attempt {
    SignedIn(user::Model),
    /// No account, but the password is the one of a registration still waiting for its
    /// emailed link (see [`pending_for`]): the person proved the
    /// password, so they may be told the registration is not confirmed yet. Counted as a failed
    /// attempt all the same, so the answer cannot be used to guess a pending password faster.
    Unconfirmed,
}

/// [`authenticate`], telling apart a registration that was never confirmed (the pages offer to
/// send its link again). Exactly one password hash is verified whatever the case — the
/// account's, the pending registration's or a dummy — so no case answers faster.
pub async fn attempt(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<Attempt> {
    let pair_key = throttle::account_address_key(email, address);
    let address_key = throttle::address_key(address);
    let account_key = throttle::account_key(email);
    let known = throttle::is_known_address(db, email, address).await?;
    let mut keys = vec![pair_key.as_str(), address_key.as_str()];
    if !known {
        keys.push(account_key.as_str());
    }
    throttle::check(db, &keys).await?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?;
    let pending = match &found {
        Some(_) => None,
        None => pending_for(db, email).await?,
    };
    let (verified, unconfirmed) = match (&found, &pending) {
        (Some(account), _) => (
            passwords::verify(password, &account.password_hash).await? && account.active,
            false,
        ),
        (None, Some(registration)) => (
            false,
            passwords::verify(password, &registration.password_hash).await?,
        ),
        (None, None) => {
            passwords::verify(password, dummy_hash().await?).await?;
            (false, false)
        }
    };
    crate::db::write(db, async |txn| {
        throttle::check(txn, &keys).await?;
        let account = match found {
            Some(seen) if verified => user::Entity::find_by_id(seen.id)
                .one(txn)
                .await?
                .filter(|now| now.active && now.password_hash == seen.password_hash),
            _ => None,
        };
        let outcome = match account {
            Some(account) => {
                throttle::clear(txn, &pair_key).await?;
                throttle::remember_address(txn, &account.email, address).await?;
                let mut active: user::ActiveModel = account.into();
                active.last_login_at = Set(Some(now()));
                Ok(Attempt::SignedIn(active.update(txn).await?))
            }
            None => {
                throttle::record_failure(txn, &pair_key, throttle::SIGN_IN_PER_ACCOUNT_AND_ADDRESS)
                    .await?;
                throttle::record_failure(txn, &address_key, throttle::SIGN_IN_PER_ADDRESS).await?;
                if !known {
                    throttle::record_failure(txn, &account_key, throttle::SIGN_IN_PER_ACCOUNT)
                        .await?;
                }
                if unconfirmed {
                    Ok(Attempt::Unconfirmed)
                } else {
                    Err(AppError::InvalidCredentials)
                }
            }
        };
        // Failures are counted (committed) even though the attempt fails.
        Ok(outcome)
    })
    .await?
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
    // One statement (the token with its account): every API call makes it, a burst's
    // thousands included (issue 50).
    let Some((row, account)) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secrets::token_hash(token)))
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at <= now() {
        return Ok(None);
    }
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

/// Days an unconfirmed registration is still recognised at sign-in and its link sent again
/// (its own link expires after `people::registration::CONFIRMATION_HOURS`; a person who comes back a week later
/// is still told, and gets a fresh one).
pub const PENDING_DAYS: i64 = 30;

/// The newest registration for `email` that was never confirmed (its link unused) and is
/// younger than [`PENDING_DAYS`]: what an unconfirmed sign-in is checked against.
pub async fn pending_for<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<registration_confirmation::Model>> {
    Ok(registration_confirmation::Entity::find()
        .filter(registration_confirmation::Column::Email.eq(normalize_email(email)))
        .filter(registration_confirmation::Column::UsedAt.is_null())
        .filter(
            registration_confirmation::Column::CreatedAt.gt(now() - Duration::days(PENDING_DAYS)),
        )
        .order_by_desc(registration_confirmation::Column::CreatedAt)
        .order_by_desc(registration_confirmation::Column::Id)
        .one(db)
        .await?)
}
