//! Browser sessions kept on the server: the cookie holds a random secret, the `sessions` table
//! its hash. Signing out deletes the row; a new password or a deactivation deletes every row
//! (and revokes every API token) of the person, so a stolen or forgotten cookie stops working
//! at once on every app instance.

use super::{secrets, sign_in};
use crate::entities::{session, user};
use crate::error::AppResult;
use crate::time::now;
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// A browser session lasts a working day.
pub const SESSION_HOURS: i64 = 12;

/// Records a new session for the user; returns the secret for the cookie (stored only hashed).
pub async fn start<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<String> {
    let secret = secrets::random_token();
    let at = now();
    // The person's expired sessions go as a new one starts, so the table stays small.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.lte(at))
        .exec(db)
        .await?;
    session::Entity::insert(session::ActiveModel {
        token_hash: Set(secrets::token_hash(&secret)),
        user_id: Set(user_id),
        created_at: Set(at),
        expires_at: Set(at + Duration::hours(SESSION_HOURS)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(secret)
}

/// The active user of a live session, in one query.
pub async fn user_for_session<C: ConnectionTrait>(
    db: &C,
    secret: &str,
) -> AppResult<Option<user::Model>> {
    let found = session::Entity::find_by_id(secrets::token_hash(secret))
        .filter(session::Column::ExpiresAt.gt(now()))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found
        .and_then(|(_, account)| account)
        .filter(|account| account.active))
}

/// Ends one session (signing out).
pub async fn end<C: ConnectionTrait>(db: &C, secret: &str) -> AppResult<()> {
    session::Entity::delete_by_id(secrets::token_hash(secret))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session and revokes every API token of a person: after a password reset or
/// change, or a deactivation.
pub async fn end_all<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    sign_in::revoke_all_tokens(db, user_id).await
}
