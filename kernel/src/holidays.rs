//! Colombia's public holidays and business days, for any year:
//!
//! ```text
//! pub struct Holiday { date, name }
//! pub fn of_year(year: i32) -> Vec<Holiday>
//! pub fn holiday(date: NaiveDate) -> Option<&'static str>
//! pub fn is_business_day(date: NaiveDate) -> bool
//! pub fn business_days_after(start: NaiveDate, days: u32) -> NaiveDate
//! ```
//!
//! The rules are Ley 51 de 1983 ("Ley Emiliani") and Ley 35 de 1939 with the Easter-based
//! days of the Concordato:
//!
//! - fixed on their date: 1 January, Holy Thursday and Good Friday, 1 May, 20 July, 7 August,
//!   8 and 25 December;
//! - moved to the next Monday when they fall on another day: 6 January, 19 March, 29 June,
//!   15 August, 12 October, 1 November, 11 November;
//! - Easter-based and moved to a Monday: the Ascension (Easter + 43 days), Corpus Christi
//!   (Easter + 64) and the Sacred Heart (Easter + 71).
//!
//! Easter Sunday is the Gregorian computus (the anonymous algorithm of Meeus, Jones and
//! Butcher). Business days (días hábiles) are Monday to Friday except these holidays: the
//! legal terms of habeas data (Ley 1581: 10 business days for a consulta, 15 for a reclamo)
//! and other due dates count them.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

/// One public holiday: its date (already moved to Monday where the law moves it) and its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: &'static str,
}

/// Holidays kept on their own date.
const FIXED: [(u32, u32, &str); 6] = [
    (1, 1, "Año Nuevo"),
    (5, 1, "Día del Trabajo"),
    (7, 20, "Día de la Independencia"),
    (8, 7, "Batalla de Boyacá"),
    (12, 8, "Día de la Inmaculada Concepción"),
    (12, 25, "Navidad"),
];

/// Holidays moved to the following Monday (Ley 51 de 1983).
const MOVED: [(u32, u32, &str); 7] = [
    (1, 6, "Día de los Reyes Magos"),
    (3, 19, "Día de San José"),
    (6, 29, "San Pedro y San Pablo"),
    (8, 15, "La Asunción de la Virgen"),
    (10, 12, "Día de la Raza"),
    (11, 1, "Día de Todos los Santos"),
    (11, 11, "Independencia de Cartagena"),
];

/// Days counted from Easter Sunday (negative before it). The three after it are Mondays.
const FROM_EASTER: [(i64, &str); 5] = [
    (-3, "Jueves Santo"),
    (-2, "Viernes Santo"),
    (43, "Ascensión del Señor"),
    (64, "Corpus Christi"),
    (71, "Sagrado Corazón de Jesús"),
];

/// Easter Sunday of `year` in the Gregorian calendar.
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    // Only ever called with real calendar days of years chrono represents (the constants above
    // and the computus, which yields 22 March–25 April).
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The Monday on or after `day`.
fn next_monday(day: NaiveDate) -> NaiveDate {
    let ahead = (7 - day.weekday().num_days_from_monday()) % 7;
    day + Days::new(u64::from(ahead))
}

fn shifted(day: NaiveDate, by: i64) -> NaiveDate {
    if by >= 0 {
        day + Days::new(by.unsigned_abs())
    } else {
        day - Days::new(by.unsigned_abs())
    }
}

/// The year's eighteen public holidays, in date order.
pub fn of_year(year: i32) -> Vec<Holiday> {
    let easter = easter(year);
    let mut days: Vec<Holiday> = FIXED
        .iter()
        .map(|&(month, day, name)| Holiday {
            date: date(year, month, day),
            name,
        })
        .chain(MOVED.iter().map(|&(month, day, name)| Holiday {
            date: next_monday(date(year, month, day)),
            name,
        }))
        .chain(FROM_EASTER.iter().map(|&(by, name)| Holiday {
            date: shifted(easter, by),
            name,
        }))
        .collect();
    days.sort_by_key(|holiday| holiday.date);
    days
}

/// The holiday's name when `date` is a public holiday in Colombia.
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    of_year(date.year())
        .into_iter()
        .find(|holiday| holiday.date == date)
        .map(|holiday| holiday.name)
}

/// Monday to Friday and not a public holiday.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The day on which a term of `days` business days that starts the day after `start` ends:
/// `business_days_after(d, 15)` is the fifteenth business day after `d` (so a request made
/// on a holiday or a weekend is counted the same way). `days == 0` is `start` itself.
pub fn business_days_after(start: NaiveDate, days: u32) -> NaiveDate {
    let mut day = start;
    let mut left = days;
    while left > 0 {
        day = day + Days::new(1);
        if is_business_day(day) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn dates(year: i32) -> Vec<String> {
        of_year(year)
            .iter()
            .map(|holiday| holiday.date.to_string())
            .collect()
    }

    /// The official calendars (decreed lists published each year) for 2026–2028.
    #[test]
    fn the_holidays_of_2026_to_2028_are_the_official_ones() {
        assert_eq!(
            dates(2026),
            [
                "2026-01-01",
                "2026-01-12",
                "2026-03-23",
                "2026-04-02",
                "2026-04-03",
                "2026-05-01",
                "2026-05-18",
                "2026-06-08",
                "2026-06-15",
                "2026-06-29",
                "2026-07-20",
                "2026-08-07",
                "2026-08-17",
                "2026-10-12",
                "2026-11-02",
                "2026-11-16",
                "2026-12-08",
                "2026-12-25",
            ]
        );
        assert_eq!(
            dates(2027),
            [
                "2027-01-01",
                "2027-01-11",
                "2027-03-22",
                "2027-03-25",
                "2027-03-26",
                "2027-05-01",
                "2027-05-10",
                "2027-05-31",
                "2027-06-07",
                "2027-07-05",
                "2027-07-20",
                "2027-08-07",
                "2027-08-16",
                "2027-10-18",
                "2027-11-01",
                "2027-11-15",
                "2027-12-08",
                "2027-12-25",
            ]
        );
        assert_eq!(
            dates(2028),
            [
                "2028-01-01",
                "2028-01-10",
                "2028-03-20",
                "2028-04-13",
                "2028-04-14",
                "2028-05-01",
                "2028-05-29",
                "2028-06-19",
                "2028-06-26",
                "2028-07-03",
                "2028-07-20",
                "2028-08-07",
                "2028-08-21",
                "2028-10-16",
                "2028-11-06",
                "2028-11-13",
                "2028-12-08",
                "2028-12-25",
            ]
        );
    }

    #[test]
    fn easter_sundays_are_the_computus() {
        for (year, day) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter(year), ymd(day), "{year}");
        }
    }

    #[test]
    fn a_holiday_is_named_and_not_a_business_day() {
        assert_eq!(holiday(ymd("2026-01-12")), Some("Día de los Reyes Magos"));
        assert_eq!(holiday(ymd("2026-01-06")), None);
        assert!(!is_business_day(ymd("2026-01-12")));
        assert!(!is_business_day(ymd("2026-11-28")), "a Saturday");
        assert!(is_business_day(ymd("2026-11-27")));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Friday 6 November 2026: the 15 business days skip two weekends and Monday 16
        // November (Independencia de Cartagena).
        assert_eq!(
            business_days_after(ymd("2026-11-06"), 15),
            ymd("2026-11-30")
        );
        // A request on Saturday counts from Monday.
        assert_eq!(business_days_after(ymd("2026-11-28"), 1), ymd("2026-11-30"));
        // Around Christmas and New Year.
        assert_eq!(business_days_after(ymd("2026-12-23"), 3), ymd("2026-12-29"));
        assert_eq!(business_days_after(ymd("2026-12-31"), 1), ymd("2027-01-04"));
        assert_eq!(business_days_after(ymd("2026-12-31"), 0), ymd("2026-12-31"));
    }
}
