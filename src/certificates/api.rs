//! `/api/v1`: issuing (coordinators), public verification, revocation, my certificates.

use super::issue::{self, IssueOutcome, Verification};
use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::accounts::throttle;
use crate::api::List;
use crate::config::AppConfig;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use std::net::IpAddr;

pub fn routes() -> Vec<Route> {
    routes![issue_for_cohort, verify, pdf, revoke, reissue, mine]
}

#[post("/cohorts/<id>/certificates")]
async fn issue_for_cohort(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<IssueOutcome>> {
    let outcome = issue::issue_for_cohort(db, &notifier, &staff, id).await?;
    Ok(Json(outcome))
}

/// Unknown codes from one address are counted: guessing is throttled (429).
pub const MAX_UNKNOWN_CODES: throttle::Limit = throttle::Limit::fixed(30, 15);

pub async fn verify_code(
    db: &DatabaseConnection,
    code: &str,
    address: Option<IpAddr>,
) -> crate::error::DomainResult<Verification> {
    let key = format!("verificar:{}", throttle::address_key(address));
    throttle::check(db, &[&key]).await?;
    match issue::find_by_code(db, code).await {
        Ok(cert) => issue::verification(db, &cert).await,
        Err(AppError::NotFound) => {
            throttle::record_failure(db, &key, MAX_UNKNOWN_CODES).await?;
            Err(AppError::NotFound)
        }
        Err(other) => Err(other),
    }
}

#[get("/certificates/<code>")]
async fn verify(
    db: &State<DatabaseConnection>,
    code: &str,
    address: crate::web::ClientAddress,
) -> AppResult<Json<Verification>> {
    Ok(Json(verify_code(db, code, address.0).await?))
}

/// The PDF: for its holder and coordinators (it shows the full document number).
pub async fn pdf_for(
    db: &DatabaseConnection,
    config: &AppConfig,
    user: &CurrentUser,
    code: &str,
) -> AppResult<(ContentType, Vec<u8>)> {
    let cert = issue::find_by_code(db, code).await?;
    if !issue::may_download(db, user, &cert).await? {
        return Err(AppError::NotFound.into());
    }
    Ok((
        ContentType::PDF,
        issue::render_pdf(&cert, &config.public_url).await?,
    ))
}

#[get("/certificates/<code>/pdf")]
async fn pdf(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    code: &str,
) -> AppResult<(ContentType, Vec<u8>)> {
    pdf_for(db, config, &user, code).await
}

#[derive(Default, Deserialize)]
struct RevokeBody {
    reason: Option<String>,
}

#[post("/certificates/<code>/revoke", data = "<body>")]
async fn revoke(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    code: &str,
    body: crate::api::OptionalJson<RevokeBody>,
) -> AppResult<Json<Verification>> {
    let reason = body.0.and_then(|b| b.reason).unwrap_or_default();
    let txn = crate::db::begin(db).await?;
    let view = issue::revoke(&txn, &notifier, &staff, code, &reason).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[post("/certificates/<code>/reissue")]
async fn reissue(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    code: &str,
) -> AppResult<Json<Verification>> {
    let view = issue::reissue(db, &notifier, &staff, code).await?;
    Ok(Json(view))
}

#[get("/me/certificates")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<Verification>>> {
    let items = match crate::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => issue::of_participant(db.inner(), person.id).await?,
        None => Vec::new(),
    };
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}
