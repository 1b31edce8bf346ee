//! Reading values people and systems send (dates, grades, times) with Spanish messages, and
//! writing grades back. One place, so pages and the API accept the same things.

use crate::error::FieldError;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};

/// The years a date may fall in: anything else is a typing mistake (`0026`, `9999`).
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

fn year_in_range(year: i32) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&year)
}

fn out_of_range(field: &str, text: &str) -> FieldError {
    FieldError::new(
        field,
        format!(
            "«{text}» está fuera del rango admitido: el año debe estar entre {MIN_YEAR} y {MAX_YEAR}."
        ),
    )
}

/// A `YYYY-MM-DD` date between the years 2000 and 2100; records an error and returns None
/// otherwise.
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
            Ok(d) if year_in_range(d.year()) => Some(d),
            Ok(_) => {
                errors.push(out_of_range(field, t));
                None
            }
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

/// An RFC 3339 date-time *with* offset (the API contract: no offset is a 422), in the years
/// 2000 to 2100.
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
            Ok(at) if year_in_range(at.year()) => Some(at.with_timezone(&Utc)),
            Ok(_) => {
                errors.push(out_of_range(field, t));
                None
            }
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
            "La nota debe estar entre 0,0 y 5,0, con un decimal como máximo.",
        ));
        return None;
    }
    Some(tenths as i32)
}

/// Tenths → the number shown and sent (`30` → `3.0`).
pub fn grade_value(tenths: i32) -> f64 {
    f64::from(tenths) / 10.0
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

/// A boolean query parameter (`?dry_run=true`; the web layer reads it as `parse::QueryFlag`). The contract accepts `true` or `false` only:
/// Rocket's own `bool` also takes `on`, `yes`, `1`… and, inside an `Option`, turns any other
/// spelling into "absent" — so `dry_run=1` would import for real. This type never fails to
/// parse; [`QueryBool::value`] gives the value or a 422 in Spanish naming the parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum QueryBool {
    #[default]
    Absent,
    Value(bool),
    Invalid(String),
}

impl utoipa::PartialSchema for QueryBool {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["true", "false"]))
            .description(Some(
                "Exactly `true` or `false`; any other spelling (`1`, `yes`, `on`, `TRUE`, \
                 empty) is a 422 naming the parameter, never read as `false`.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for QueryBool {}

impl QueryBool {
    /// `None` when absent; a 422 for anything but `true` or `false`.
    pub fn value(&self, field: &str) -> crate::error::AppResult<Option<bool>> {
        match self {
            QueryBool::Absent => Ok(None),
            QueryBool::Value(value) => Ok(Some(*value)),
            QueryBool::Invalid(text) => Err(crate::error::AppError::invalid(
                field,
                format!("«{text}» no es un valor válido para {field}: escriba true o false."),
            )),
        }
    }

    /// The value, `default` when absent; a 422 for anything but `true` or `false`.
    pub fn or(&self, field: &str, default: bool) -> crate::error::AppResult<bool> {
        Ok(self.value(field)?.unwrap_or(default))
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "true" => QueryBool::Value(true),
            "false" => QueryBool::Value(false),
            other => QueryBool::Invalid(other.chars().take(40).collect()),
        }
    }
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null`
/// (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// Longest text a list's search box takes (characters): a search is a few words, and each
/// one is looked for in every row the other filters leave.
pub const SEARCH_MAX: usize = 100;

/// A search box's text (`q`): trimmed, `None` when empty; longer than [`SEARCH_MAX`] is a
/// problem of the field, and the list is drawn without it.
pub fn search(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = text(value)?;
    if text.chars().count() > SEARCH_MAX {
        errors.push(FieldError::new(
            field,
            format!("Escriba como máximo {SEARCH_MAX} caracteres para buscar."),
        ));
        return None;
    }
    Some(text)
}

/// Whether `haystack` holds every word of `needle`, whatever the case and the accents
/// («planeacion» finds «Planeación Territorial»). `needle` is folded once by the caller
/// ([`crate::text::fold`]).
pub fn holds_words(haystack: &str, folded_needle: &str) -> bool {
    let folded = crate::text::fold(haystack);
    folded_needle
        .split_whitespace()
        .all(|word| folded.contains(word))
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
    }

    #[test]
    fn dates_fall_between_2000_and_2100() {
        let mut errors = Vec::new();
        assert!(date("d", Some("2026-03-10"), true, &mut errors).is_some());
        for bad in [
            "0000-01-01",
            "0026-03-10",
            "9999-12-31",
            "1999-12-31",
            "2101-01-01",
            "26-03-10",
        ] {
            assert!(date("d", Some(bad), true, &mut errors).is_none(), "{bad}");
        }
        assert_eq!(errors.len(), 6);
        assert!(date_time("t", Some("0026-03-10T10:00:00-05:00"), &mut errors).is_none());
        assert!(date_time("t", Some("2026-03-10T10:00:00-05:00"), &mut errors).is_some());
    }

    #[test]
    fn query_booleans_are_true_or_false_only() {
        assert_eq!(QueryBool::parse("true").value("x").unwrap(), Some(true));
        assert_eq!(QueryBool::parse("false").value("x").unwrap(), Some(false));
        assert!(QueryBool::Absent.or("x", true).unwrap());
        for bad in ["1", "0", "yes", "on", "", "TRUE", "verdadero"] {
            assert!(QueryBool::parse(bad).value("dry_run").is_err(), "{bad}");
        }
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
