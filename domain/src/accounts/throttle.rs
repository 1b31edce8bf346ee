//! Throttling of guessable actions (sign-in, reset requests, registrations, certificate codes,
//! check-in codes) with progressive delays, kept in the database so it holds across every app
//! instance behind a load balancer.
//!
//! A key (e.g. one account from one address) gets some free failures; from then on every
//! failure makes the key wait, twice as long each time, up to a cap. Nothing is ever locked
//! for somebody else: sign-in counts per (account, address) pair, per address, and per account
//! across addresses — but the per-account wait never applies from an address the account
//! signed in from successfully in the last [`KNOWN_ADDRESS_DAYS`] days, so guessing from many
//! addresses slows the guesser while the owner, from where they usually work, signs in at once.
//! A key's count is forgotten after [`FORGET_AFTER_MINUTES`] without failures.
//!
//! Addresses are keyed by host for IPv4 and by /64 network for IPv6 (one subscriber gets a
//! whole /64); an IPv4-mapped IPv6 address counts as its IPv4 address.

use crate::entities::login_throttle;
use crate::error::{AppError, AppResult};
use crate::time::now;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use std::net::IpAddr;

/// How many failures a key is allowed before it must wait, and how long it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failures without any wait.
    pub free: i32,
    /// Wait after the last free failure; doubles with every further failure.
    pub first_wait_seconds: i64,
    /// The longest wait.
    pub max_wait_seconds: i64,
}

impl Limit {
    /// `failures` free tries, then a fixed wait of `minutes` after each further failure.
    pub const fn fixed(failures: i32, minutes: i64) -> Limit {
        Limit::doubling(failures, minutes * 60, minutes * 60)
    }

    /// `failures` free tries, then a wait of `first_wait_seconds` after the next failure,
    /// doubling with every further one up to `max_wait_seconds`.
    pub const fn doubling(failures: i32, first_wait_seconds: i64, max_wait_seconds: i64) -> Limit {
        Limit {
            free: failures,
            first_wait_seconds,
            max_wait_seconds,
        }
    }

    /// The wait imposed after the `failures`-th failure, if any.
    pub fn wait_after(&self, failures: i32) -> Option<Duration> {
        if failures < self.free {
            return None;
        }
        let doublings = u32::try_from(failures - self.free).unwrap_or(0).min(30);
        let seconds = self
            .first_wait_seconds
            .saturating_mul(1i64 << doublings)
            .min(self.max_wait_seconds);
        Some(Duration::seconds(seconds))
    }
}

/// Sign-in from one address to one account: five tries, then 30 s, 1 min, 2 min… up to 15 min.
pub const SIGN_IN_PER_ACCOUNT_AND_ADDRESS: Limit = Limit::doubling(5, 30, 15 * 60);
/// Sign-in from one address to any account (guessing across accounts).
pub const SIGN_IN_PER_ADDRESS: Limit = Limit::doubling(20, 60, 15 * 60);
/// Sign-in to one account from any address that is not one of its known addresses (guessing
/// one account's password from many addresses): ten tries, then 30 s, 1 min… up to 15 min.
pub const SIGN_IN_PER_ACCOUNT: Limit = Limit::doubling(10, 30, 15 * 60);
/// Registrations from one address (each one costs a password hash and sends an email): a room
/// of 60 officials behind one municipal connection registers within the hour; a flood beyond
/// waits a minute, then doubling up to an hour. What a flood could do to a victim's mailbox is
/// bounded by [`NOTICES_PER_RECIPIENT`], not by this.
pub const REGISTRATIONS_PER_ADDRESS: Limit = Limit::doubling(60, 60, 60 * 60);
/// Password-reset requests from one address (each may send an email): 10, then 1 min doubling
/// up to an hour. Each recipient also gets at most three reset emails an hour.
pub const RESETS_PER_ADDRESS: Limit = Limit::doubling(10, 60, 60 * 60);
/// Emails that anyone can cause without signing in (registration links and notices) to one
/// recipient: three, then one an hour at most. Beyond it nothing is sent and the answer to the
/// request stays the same.
pub const NOTICES_PER_RECIPIENT: Limit = Limit::fixed(3, 60);

/// How long an address where an account signed in stays known to it.
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

/// A key's count is forgotten after this long without failures.
pub const FORGET_AFTER_MINUTES: i64 = 60;

/// Sign-in attempts for one account from one address.
pub fn account_address_key(email: &str, address: Option<IpAddr>) -> String {
    format!(
        "cuenta:{}|{}",
        crate::validate::normalize_email(email),
        address_key(address)
    )
}

/// Sign-in attempts for one account from any address.
pub fn account_key(email: &str) -> String {
    format!("cuenta-todas:{}", crate::validate::normalize_email(email))
}

/// An address where the account signed in successfully (a row whose time is the last success).
fn known_key(email: &str, address: Option<IpAddr>) -> String {
    format!(
        "conocida:{}|{}",
        crate::validate::normalize_email(email),
        address_key(address)
    )
}

/// Emails caused without signing in to one recipient.
fn recipient_key(email: &str) -> String {
    format!("aviso:{}", crate::validate::normalize_email(email))
}

/// The throttling key of a client address: the host for IPv4, the /64 network for IPv6.
pub fn address_key(address: Option<IpAddr>) -> String {
    match address.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(ip)) => format!("ip:{ip}"),
        Some(IpAddr::V6(ip)) => {
            let s = ip.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "ip:desconocida".to_string(),
    }
}

/// Whether the account signed in successfully from this address (or /64) recently.
pub async fn is_known_address<C: ConnectionTrait>(
    db: &C,
    email: &str,
    address: Option<IpAddr>,
) -> AppResult<bool> {
    let since = now() - Duration::days(KNOWN_ADDRESS_DAYS);
    Ok(
        login_throttle::Entity::find_by_id(known_key(email, address))
            .one(db)
            .await?
            .is_some_and(|row| row.window_started_at > since),
    )
}

/// Remembers a successful sign-in from this address (see [`is_known_address`]).
pub async fn remember_address<C: ConnectionTrait>(
    db: &C,
    email: &str,
    address: Option<IpAddr>,
) -> AppResult<()> {
    let key = known_key(email, address);
    login_throttle::Entity::delete_by_id(key.clone())
        .exec(db)
        .await?;
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key),
        failures: Set(0),
        window_started_at: Set(now()),
        locked_until: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Whether one more email caused without signing in may go to `email` now; counts it when it
/// may (see [`NOTICES_PER_RECIPIENT`]).
pub async fn allow_notice<C: ConnectionTrait>(db: &C, email: &str) -> AppResult<bool> {
    let key = recipient_key(email);
    if check(db, &[&key]).await.is_err() {
        return Ok(false);
    }
    record_failure(db, &key, NOTICES_PER_RECIPIENT).await?;
    Ok(true)
}

/// Refuses (429, with the seconds to wait) while any of the keys must wait.
pub async fn check<C: ConnectionTrait>(db: &C, keys: &[&str]) -> AppResult<()> {
    let at = now();
    let mut wait = None;
    for key in keys {
        if let Some(row) = login_throttle::Entity::find_by_id(key.to_string())
            .one(db)
            .await?
            && let Some(until) = row.locked_until.filter(|until| *until > at)
        {
            wait = wait.max(Some(until));
        }
    }
    match wait {
        Some(until) => Err(AppError::Throttled(seconds_until(at, until))),
        None => Ok(()),
    }
}

/// Whole seconds from `at` to `until`, at least one.
fn seconds_until(at: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let millis = (until - at).num_milliseconds().max(0);
    u64::try_from((millis + 999) / 1000).unwrap_or(1).max(1)
}

/// Counts one failure against a key and makes it wait as its limit says.
pub async fn record_failure<C: ConnectionTrait>(db: &C, key: &str, limit: Limit) -> AppResult<()> {
    let at = now();
    match login_throttle::Entity::find_by_id(key.to_string())
        .one(db)
        .await?
    {
        None => {
            login_throttle::Entity::insert(login_throttle::ActiveModel {
                key: Set(key.to_string()),
                failures: Set(1),
                window_started_at: Set(at),
                locked_until: Set(limit.wait_after(1).map(|wait| at + wait)),
            })
            .exec_without_returning(db)
            .await?;
        }
        Some(row) => {
            // `window_started_at` holds the last failure: the count is forgotten after a
            // quiet period (measured from the end of any wait).
            let quiet_since = row.locked_until.map_or(row.window_started_at, |until| {
                until.max(row.window_started_at)
            });
            let forgotten = quiet_since + Duration::minutes(FORGET_AFTER_MINUTES) < at;
            let failures = if forgotten { 1 } else { row.failures + 1 };
            let mut active = row.into_active_model();
            active.window_started_at = Set(at);
            active.failures = Set(failures);
            active.locked_until = Set(limit.wait_after(failures).map(|wait| at + wait));
            active.update(db).await?;
        }
    }
    Ok(())
}

/// Forgets the sign-in failures of an account from every address (after a password reset).
pub async fn clear_account<C: ConnectionTrait>(db: &C, email: &str) -> AppResult<()> {
    clear(db, &account_key(email)).await?;
    let prefix = format!("cuenta:{}|", crate::validate::normalize_email(email));
    // LIKE may match more (`_` in an address); the exact prefix is checked here.
    let keys: Vec<String> = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.starts_with(prefix.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.key)
        .filter(|key| key.starts_with(&prefix))
        .collect();
    if !keys.is_empty() {
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Key.is_in(keys))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Forgets a key's failures (a successful sign-in forgets its account-and-address pair).
pub async fn clear<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<()> {
    login_throttle::Entity::delete_by_id(key.to_string())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_from_the_first_paid_failure_up_to_the_cap() {
        let limit = SIGN_IN_PER_ACCOUNT_AND_ADDRESS;
        assert_eq!(limit.wait_after(4), None);
        assert_eq!(limit.wait_after(5), Some(Duration::seconds(30)));
        assert_eq!(limit.wait_after(6), Some(Duration::seconds(60)));
        assert_eq!(limit.wait_after(8), Some(Duration::seconds(240)));
        assert_eq!(limit.wait_after(20), Some(Duration::seconds(900)));
        assert_eq!(limit.wait_after(i32::MAX), Some(Duration::seconds(900)));
    }

    #[test]
    fn ipv6_addresses_are_keyed_by_their_64_network_and_mapped_ipv4_by_the_ipv4() {
        let a: IpAddr = "2001:db8:aa:bb:1::1".parse().unwrap();
        let b: IpAddr = "2001:db8:aa:bb:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:aa:bc::1".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(address_key(Some(a)), address_key(Some(c)));
        let mapped: IpAddr = "::ffff:190.25.1.7".parse().unwrap();
        let plain: IpAddr = "190.25.1.7".parse().unwrap();
        assert_eq!(address_key(Some(mapped)), address_key(Some(plain)));
        assert_eq!(address_key(Some(plain)), "ip:190.25.1.7");
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        let at = now();
        assert_eq!(seconds_until(at, at + Duration::milliseconds(1)), 1);
        assert_eq!(seconds_until(at, at + Duration::milliseconds(30_001)), 31);
        assert_eq!(seconds_until(at, at), 1);
    }
}
