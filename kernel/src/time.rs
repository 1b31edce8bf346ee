//! Times are stored in UTC and shown in America/Bogota, which is UTC−5 all year (no daylight
//! saving since 1993), so a fixed offset is exact and needs no time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};

#[allow(clippy::expect_used, reason = "a constant offset well inside ±24 h")]
pub fn bogota() -> FixedOffset {
    FixedOffset::west_opt(5 * 3600).expect("UTC-5 is a valid offset")
}

tokio::task_local! {
    /// How far the product's clock is set from the real one, inside [`as_of`].
    static SHIFT: TimeDelta;
}

/// The instant the product reads as now: the real clock, or the clock [`as_of`] sets. Every
/// date and time the product reads comes from here.
pub fn now() -> DateTime<Utc> {
    Utc::now() + shift().unwrap_or_default()
}

/// Runs `work` with the product's clock set to read `at` when it starts (and running on from
/// there): a test builds the demo, or reads a page, on a fixed day. The setting follows `work`
/// (and the jobs it hands to [`crate::blocking::run`]), not the tasks it spawns.
pub async fn as_of<F: std::future::Future>(at: DateTime<Utc>, work: F) -> F::Output {
    SHIFT.scope(at - Utc::now(), work).await
}

/// The shift [`as_of`] set for the running task, if any.
pub fn shift() -> Option<TimeDelta> {
    SHIFT.try_with(|shift| *shift).ok()
}

/// Runs `job` with the clock shifted by `shift` (a blocking job of a task inside [`as_of`]).
pub fn shifted<T>(shift: Option<TimeDelta>, job: impl FnOnce() -> T) -> T {
    match shift {
        Some(shift) => SHIFT.sync_scope(shift, job),
        None => job(),
    }
}

/// Today's date in Colombia.
pub fn today() -> NaiveDate {
    now().with_timezone(&bogota()).date_naive()
}

/// A UTC instant as people in Colombia read it.
pub fn local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&bogota())
}

/// A Bogotá wall-clock time as a UTC instant. `hour` and `minute` come from a `NaiveTime` or
/// a literal: always a valid time of day.
#[allow(
    clippy::expect_used,
    reason = "a fixed offset has exactly one instant per local time"
)]
pub fn from_local(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    date.and_hms_opt(hour, minute, 0)
        .and_then(|naive| naive.and_local_timezone(bogota()).single())
        .map(|at| at.with_timezone(&Utc))
        .expect("Bogotá has no ambiguous or missing local times")
}

/// `2026-11-20T15:04:05Z`: RFC 3339 in UTC to the second, the form credentials use.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// RFC 3339 with the Colombian offset, e.g. `2026-12-22T09:00:00-05:00`.
pub fn date_time(at: DateTime<Utc>) -> String {
    local(at).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_evening_session_keeps_its_local_date() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let at = from_local(date, 23, 30);
        assert_eq!(
            at.date_naive(),
            NaiveDate::from_ymd_opt(2026, 3, 11).unwrap()
        );
        assert_eq!(local(at).date_naive(), date);
        assert_eq!(local(at).format("%H:%M").to_string(), "23:30");
    }

    #[tokio::test]
    async fn the_clock_reads_the_day_it_is_set_to_and_runs_on() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let (inside, blocking) = as_of(from_local(day, 9, 0), async {
            let shift = shift();
            (today(), shifted(shift, today))
        })
        .await;
        assert_eq!((inside, blocking), (day, day));
        assert!(shift().is_none());
        assert_eq!(today(), Utc::now().with_timezone(&bogota()).date_naive());
    }
}
