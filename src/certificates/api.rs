//! `/api/v1`: issuing (coordinators), public verification, revocation, my certificates.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::api::List;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, TooManyRequests};
use domain::accounts::throttle;
use domain::certificates::issue::{self, IssueOutcome, Verification};
use domain::config::AppConfig;
use domain::error::AppError;
use domain::programmes::certificates as programme_certificates;
use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use std::net::IpAddr;

pub fn routes() -> Vec<Route> {
    routes![issue_for_cohort, verify, pdf, revoke, reissue, mine]
}

/// How a certificate code is read, for the description of the `{code}` parameters.
const CODE_PARAMETER: &str = "Certificate code. Case, spaces and dashes (also typographic \
    ones) are ignored; the look-alikes 0 O 1 I L U never occur in a code and make it unknown \
    (404).";

/// Issue the certificates of a cohort
///
/// Roles: staff. Issues a certificate to every enrolment that meets the completion rule and
/// has no valid certificate yet; the others are listed in `skipped` with the reason. Issuing
/// twice issues nothing new. The cohort must be `closed` (409 otherwise). Each person is
/// e-mailed the PDF. A name with characters the certificate fonts cannot print → 422.
#[utoipa::path(
    tag = "certificates",
    operation_id = "issueCertificates",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "Issued and skipped.", body = IssueOutcome),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
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

/// A certificate found by its code: a course's, or a programme's (issue 64). The two share one
/// space of codes, one verification record, page, PDF and credential URL.
pub enum Found {
    Course(domain::entities::certificate::Model),
    Programme(domain::entities::programme_certificate::Model),
}

/// A certificate looked up by anyone (verification record, page, credential), a course's or
/// a programme's: unknown codes are counted per address, and guessing is throttled.
pub async fn find_any(
    db: &DatabaseConnection,
    code: &str,
    address: Option<IpAddr>,
) -> crate::error::DomainResult<Found> {
    let key = format!("verificar:{}", throttle::address_key(address));
    throttle::check(db, &[&key]).await?;
    match issue::find_by_code(db, code).await {
        Ok(cert) => return Ok(Found::Course(cert)),
        Err(AppError::NotFound) => {}
        Err(other) => return Err(other),
    }
    match programme_certificates::find_by_code(db, code).await {
        Ok(cert) => Ok(Found::Programme(cert)),
        Err(AppError::NotFound) => {
            throttle::record_failure(db, &key, MAX_UNKNOWN_CODES).await?;
            Err(AppError::NotFound)
        }
        Err(other) => Err(other),
    }
}

/// The public verification record: a course certificate's as it always was, or a programme
/// certificate's with its programme, modules and `review_needed`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = VerificationRecord)]
pub enum Record {
    Course(Verification),
    Programme(programme_certificates::Verification),
}

pub async fn verify_code(
    db: &DatabaseConnection,
    code: &str,
    address: Option<IpAddr>,
) -> crate::error::DomainResult<Record> {
    match find_any(db, code, address).await? {
        Found::Course(cert) => Ok(Record::Course(issue::verification(db, &cert).await?)),
        Found::Programme(cert) => Ok(Record::Programme(
            programme_certificates::verification(db, &cert).await?,
        )),
    }
}

/// Verify a certificate (public)
///
/// Public (no authentication). The document number is masked. Unknown codes are counted per
/// address: guessing is throttled (429). The human page is `GET /verificar/{code}` (HTML,
/// outside the API), which the PDF's QR code points to. A programme's certificate (issue 64)
/// answers the same fields (`course`: the programme's name; no grade nor attendance) plus
/// `programme`, `modules` and `review_needed` (true once a module certificate behind it has
/// been revoked).
#[utoipa::path(
    tag = "certificates",
    operation_id = "verifyCertificate",
    security(()),
    params(("code" = String, Path, description = CODE_PARAMETER, example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")),
    responses(
        (status = 200, description = "The verification record.", body = Record),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
    )
)]
#[get("/certificates/<code>")]
async fn verify(
    db: &State<DatabaseConnection>,
    code: &str,
    address: crate::web::ClientAddress,
) -> AppResult<Json<Record>> {
    Ok(Json(verify_code(db, code, address.0).await?))
}

/// The PDF: for its holder and coordinators (it shows the full document number).
pub async fn pdf_for(
    db: &DatabaseConnection,
    config: &AppConfig,
    user: &CurrentUser,
    code: &str,
) -> AppResult<(ContentType, Vec<u8>)> {
    let bytes = match issue::find_by_code(db, code).await {
        Ok(cert) => {
            if !issue::may_download(db, user, &cert).await? {
                return Err(AppError::NotFound.into());
            }
            issue::render_pdf(&cert, config).await?
        }
        Err(AppError::NotFound) => {
            let cert = programme_certificates::find_by_code(db, code).await?;
            if !programme_certificates::may_download(db, user, &cert).await? {
                return Err(AppError::NotFound.into());
            }
            programme_certificates::render_pdf(&cert, config).await?
        }
        Err(other) => return Err(other.into()),
    };
    Ok((ContentType::PDF, bytes))
}

/// The certificate as PDF
///
/// Roles: the certificate's holder and staff; anyone else signed in gets 404 (the PDF shows
/// the full document number). Requires a bearer token. PDF/A-2u, A4 landscape.
#[utoipa::path(
    tag = "certificates",
    operation_id = "downloadCertificatePdf",
    params(("code" = String, Path, description = CODE_PARAMETER)),
    responses(
        (status = 200, description = "The PDF.", content_type = "application/pdf", body = [u8]),
        (status = 404, response = NotFound),
    )
)]
#[get("/certificates/<code>/pdf")]
async fn pdf(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    code: &str,
) -> AppResult<(ContentType, Vec<u8>)> {
    pdf_for(db, config, &user, code).await
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[schema(as = RevokeRequest)]
struct RevokeBody {
    /// Required; told to the holder.
    #[schema(value_type = String, required = true, max_length = 500, example = "Se comprobó suplantación en la asistencia.")]
    reason: Option<String>,
}

/// Revoke a certificate
///
/// Roles: staff. `reason` is required (422). Only a valid certificate can be revoked: again
/// (or a superseded one) → 409. The holder is e-mailed. Audited.
#[utoipa::path(
    tag = "certificates",
    operation_id = "revokeCertificate",
    params(("code" = String, Path, description = CODE_PARAMETER)),
    request_body = RevokeBody,
    responses(
        (status = 200, description = "The revoked certificate.", body = Verification),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/certificates/<code>/revoke", data = "<body>")]
async fn revoke(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    code: &str,
    body: crate::api::OptionalJson<RevokeBody>,
) -> AppResult<Json<Verification>> {
    let reason = body.0.and_then(|b| b.reason).unwrap_or_default();
    let view = domain::db::write(db, async |txn| {
        issue::revoke(txn, &notifier, &staff, code, &reason).await
    })
    .await?;
    Ok(Json(view))
}

/// Re-issue a certificate after a correction
///
/// Roles: staff. Issues a fresh snapshot (new code) from the current data; the old
/// certificate becomes `superseded` and stays verifiable, pointing to the new one
/// (`superseded_by`). Only a valid certificate can be re-issued (409). The holder is e-mailed
/// the new PDF. Audited.
///
/// **Extension** (not in api-v1.md): a certificate is an immutable snapshot, so fixing a
/// misspelt name needs a new one without erasing the verifiable history.
#[utoipa::path(
    tag = "certificates",
    operation_id = "reissueCertificate",
    params(("code" = String, Path, description = CODE_PARAMETER)),
    responses(
        (status = 200, description = "The new certificate.", body = Verification),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
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

/// The caller's certificates
///
/// Roles: participant. Newest first, including revoked and superseded ones; returned whole.
#[utoipa::path(
    tag = "certificates",
    operation_id = "listMyCertificates",
    responses(
        (status = 200, description = "The caller's certificates.", body = List<Verification>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/certificates")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<Verification>>> {
    let items = match domain::people::profile::participant_of_user(db.inner(), me.id).await? {
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
