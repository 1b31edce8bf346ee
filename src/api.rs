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

/// A JSON body that may be absent (an empty body is `None`). A malformed one is still refused:
/// 400 for broken JSON, 422 for JSON of the wrong shape — unlike `Option<Json<T>>`, which would
/// silently ignore it.
pub struct OptionalJson<T>(pub Option<T>);

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> rocket::data::FromData<'r> for OptionalJson<T> {
    type Error = String;

    async fn from_data(
        request: &'r rocket::Request<'_>,
        data: rocket::Data<'r>,
    ) -> rocket::data::Outcome<'r, Self> {
        use rocket::data::ToByteUnit;
        use rocket::outcome::Outcome;
        let limit = request.limits().get("json").unwrap_or(1.mebibytes());
        let text = match data.open(limit).into_string().await {
            Ok(text) if text.is_complete() => text.into_inner(),
            Ok(_) => {
                return Outcome::Error((Status::PayloadTooLarge, "cuerpo demasiado grande".into()));
            }
            Err(e) => return Outcome::Error((Status::BadRequest, e.to_string())),
        };
        if text.trim().is_empty() {
            return Outcome::Success(OptionalJson(None));
        }
        match serde_json::from_str(&text) {
            Ok(value) => Outcome::Success(OptionalJson(Some(value))),
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                Outcome::Error((Status::UnprocessableEntity, e.to_string()))
            }
            Err(e) => Outcome::Error((Status::BadRequest, e.to_string())),
        }
    }
}
