//! Conventions shared by every JSON route of `/api/v1` (see the API contract): pagination,
//! list envelopes, created responses, date-time formatting.

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use rocket::FromForm;
use rocket::http::Status;
use rocket::serde::json::Json;
use serde::Serialize;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

#[derive(Debug, Default, FromForm)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    /// (page ≥ 1, 1 ≤ per_page ≤ 500), or 422 with a Spanish message.
    pub fn resolve(&self) -> AppResult<(u64, u64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE as i64);
        if page < 1 {
            return Err(AppError::invalid("page", "La página debe ser 1 o mayor."));
        }
        if !(1..=MAX_PER_PAGE as i64).contains(&per_page) {
            return Err(AppError::invalid(
                "per_page",
                format!("per_page debe estar entre 1 y {MAX_PER_PAGE}."),
            ));
        }
        Ok((page as u64, per_page as u64))
    }
}

#[derive(Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

pub type Created<T> = (Status, Json<T>);

pub fn created<T>(value: T) -> Created<T> {
    (Status::Created, Json(value))
}

/// RFC 3339 with the Colombian offset, e.g. `2026-12-22T09:00:00-05:00`.
pub fn date_time(at: DateTime<Utc>) -> String {
    crate::time::local(at).to_rfc3339()
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
