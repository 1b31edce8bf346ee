//! Reading values people and systems send (dates, grades, times) with Spanish messages, and
//! writing grades back. One place, so pages and the API accept the same things.

use crate::error::FieldError;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// A `YYYY-MM-DD` date; records an error and returns None otherwise.
pub fn date(
    field: &str,
    text: Option<&str>,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            if required {
                errors.push(FieldError::new(field, "Escriba la fecha (AAAA-MM-DD)."));
            }
            None
        }
        Some(t) => match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    format!("«{t}» no es una fecha válida (AAAA-MM-DD)."),
                ));
                None
            }
        },
    }
}

/// An RFC 3339 date-time *with* offset (the API contract: no offset is a 422).
pub fn date_time(
    field: &str,
    text: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            errors.push(FieldError::new(
                field,
                "Escriba la fecha y hora con zona horaria, p. ej. 2026-03-10T14:00:00-05:00.",
            ));
            None
        }
        Some(t) => match DateTime::parse_from_rfc3339(t) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new(
                    field,
                    format!("«{t}» no es una fecha y hora RFC 3339 con zona horaria (p. ej. 2026-03-10T14:00:00-05:00)."),
                ));
                None
            }
        },
    }
}

/// An `HH:MM` time of day.
pub fn time_of_day(
    field: &str,
    text: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveTime> {
    let text = text.map(str::trim).unwrap_or("");
    match NaiveTime::parse_from_str(text, "%H:%M") {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "Escriba la hora como HH:MM (24 horas), p. ej. 14:00.",
            ));
            None
        }
    }
}

/// A grade on the Colombian 0.0–5.0 scale with at most one decimal → tenths.
pub fn grade_tenths(field: &str, value: f64, errors: &mut Vec<FieldError>) -> Option<i32> {
    let tenths = (value * 10.0).round();
    if !(0.0..=50.0).contains(&tenths) || (value * 10.0 - tenths).abs() > 1e-6 {
        errors.push(FieldError::new(
            field,
            "La nota debe estar entre 0.0 y 5.0, con un decimal como máximo.",
        ));
        return None;
    }
    Some(tenths as i32)
}

/// Tenths → the number shown and sent (`30` → `3.0`).
pub fn grade_value(tenths: i32) -> f64 {
    f64::from(tenths) / 10.0
}

/// Tenths → text, e.g. `3.0`.
pub fn grade_text(tenths: i32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A percentage between 0 and 100.
pub fn percent(field: &str, value: i64, errors: &mut Vec<FieldError>) -> Option<i32> {
    if (0..=100).contains(&value) {
        Some(value as i32)
    } else {
        errors.push(FieldError::new(
            field,
            "El porcentaje debe estar entre 0 y 100.",
        ));
        None
    }
}

/// Trimmed text or None when empty.
pub fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_have_one_decimal_on_the_colombian_scale() {
        let mut errors = Vec::new();
        assert_eq!(grade_tenths("g", 3.0, &mut errors), Some(30));
        assert_eq!(grade_tenths("g", 4.7, &mut errors), Some(47));
        assert_eq!(grade_tenths("g", 0.0, &mut errors), Some(0));
        assert!(errors.is_empty());
        assert_eq!(grade_tenths("g", 5.1, &mut errors), None);
        assert_eq!(grade_tenths("g", 3.25, &mut errors), None);
        assert_eq!(grade_tenths("g", -1.0, &mut errors), None);
        assert_eq!(errors.len(), 3);
        assert_eq!(grade_text(30), "3.0");
        assert_eq!(grade_text(47), "4.7");
    }

    #[test]
    fn date_times_need_an_offset() {
        let mut errors = Vec::new();
        let at = date_time("t", Some("2026-03-10T23:30:00-05:00"), &mut errors).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-11T04:30:00+00:00");
        assert!(date_time("t", Some("2026-03-10T23:30:00"), &mut errors).is_none());
        assert_eq!(errors.len(), 1);
    }
}
