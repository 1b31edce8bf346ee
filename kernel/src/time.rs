//! Times are stored in UTC and shown in America/Bogota, which is UTC−5 all year (no daylight
//! saving since 1993), so a fixed offset is exact and needs no time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

#[allow(clippy::expect_used, reason = "a constant offset well inside ±24 h")]
pub fn bogota() -> FixedOffset {
    FixedOffset::west_opt(5 * 3600).expect("UTC-5 is a valid offset")
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
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
}
