//! Sign-in throttling per account and per address, kept in the database so it holds across
//! every app instance behind a load balancer.

use crate::entities::login_throttle;
use crate::error::{AppError, AppResult};
use crate::time::now;
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};

/// Failures allowed in one window before the key is locked.
pub const MAX_FAILURES_PER_ACCOUNT: i32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i32 = 20;
/// Length of the counting window and of the lock.
pub const WINDOW_MINUTES: i64 = 15;

pub fn account_key(email: &str) -> String {
    format!("cuenta:{}", crate::accounts::normalize_email(email))
}

pub fn address_key(address: Option<std::net::IpAddr>) -> String {
    match address {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:desconocida".to_string(),
    }
}

/// Refuses (429) while any of the keys is locked.
pub async fn check<C: ConnectionTrait>(db: &C, keys: &[&str]) -> AppResult<()> {
    let at = now();
    for key in keys {
        if let Some(row) = login_throttle::Entity::find_by_id(key.to_string())
            .one(db)
            .await?
            && row.locked_until.is_some_and(|until| until > at)
        {
            return Err(AppError::Throttled);
        }
    }
    Ok(())
}

/// Counts one failure against a key, locking it when the limit is reached.
pub async fn record_failure<C: ConnectionTrait>(db: &C, key: &str, limit: i32) -> AppResult<()> {
    let at = now();
    let window = Duration::minutes(WINDOW_MINUTES);
    match login_throttle::Entity::find_by_id(key.to_string())
        .one(db)
        .await?
    {
        None => {
            login_throttle::Entity::insert(login_throttle::ActiveModel {
                key: Set(key.to_string()),
                failures: Set(1),
                window_started_at: Set(at),
                locked_until: Set((limit <= 1).then_some(at + window)),
            })
            .exec_without_returning(db)
            .await?;
        }
        Some(row) => {
            let fresh_window = row.window_started_at + window < at;
            let failures = if fresh_window { 1 } else { row.failures + 1 };
            let mut active = row.into_active_model();
            if fresh_window {
                active.window_started_at = Set(at);
            }
            active.failures = Set(failures);
            active.locked_until = Set((failures >= limit).then_some(at + window));
            active.update(db).await?;
        }
    }
    Ok(())
}

/// A successful sign-in forgets the account's failures (the address keeps its count).
pub async fn clear<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<()> {
    login_throttle::Entity::delete_by_id(key.to_string())
        .exec(db)
        .await?;
    Ok(())
}
