//! Verifiable credentials over HTTP: a certificate's Open Badges 3.0 credential, the status
//! lists, verification (all public, `/api/v1`), and the issuer's DID document (at the root,
//! where `did:web` resolves it).

use crate::api::JsonBody;
use crate::error::AppResult;
use crate::openapi::responses::{NotFound, TooManyRequests};
use domain::credentials::keys::Issuer;
use domain::credentials::{Report, status};
use rocket::http::{ContentType, Header};
use rocket::response::Responder;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

pub fn routes() -> Vec<Route> {
    routes![credential, status_list, verify]
}

/// At the root: `/.well-known/did.json` (how `did:web:<host>` resolves).
pub fn root_routes() -> Vec<Route> {
    routes![did_document]
}

/// A credential as JSON-LD, optionally offered as a file to keep (`Content-Disposition:
/// attachment`, for the participant's download button).
pub struct CredentialFile {
    pub body: Map<String, Value>,
    pub download_as: Option<String>,
}

impl<'r> Responder<'r, 'static> for CredentialFile {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let text = serde_json::to_string_pretty(&self.body)
            .map_err(|_| rocket::http::Status::InternalServerError)?;
        let mut response = rocket::Response::build_from(text.respond_to(request)?);
        response.header(ContentType::new("application", "ld+json"));
        if let Some(name) = self.download_as {
            response.header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            ));
        }
        response.ok()
    }
}

/// A certificate's credential
///
/// Public (no authentication), like the verification record. The certificate as an Open
/// Badges 3.0 `OpenBadgeCredential` (W3C Verifiable Credentials 2.0, JSON-LD), issued by
/// `did:web` of the server's public host and signed with a Data Integrity proof set: two
/// `DataIntegrityProof`s by one Ed25519 key, cryptosuites `eddsa-jcs-2022` and
/// `eddsa-rdfc-2022` (RDFC-1.0; what the DCC verifier and `openbadgeslib` check). Results are
/// numbers written with a dot (`Percent` 0–100, `ScaledScore` 0–5). `credentialStatus` is a
/// `BitstringStatusListEntry` with `statusPurpose: "revocation"`: a revoked or superseded
/// certificate's credential is still served, and its bit in the list is set. The same
/// certificate always gives the same credential (dated at issue). Unknown codes are counted
/// per address (429), as for the verification record.
#[utoipa::path(
    tag = "credentials",
    operation_id = "getCertificateCredential",
    security(()),
    params(("code" = String, Path, description = "Certificate code (case, spaces and dashes ignored).", example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")),
    responses(
        (status = 200, description = "The signed credential.", content_type = "application/ld+json", body = Object),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
    )
)]
#[get("/certificates/<code>/credential")]
async fn credential(
    db: &State<DatabaseConnection>,
    issuer: &State<Issuer>,
    code: &str,
    address: crate::web::ClientAddress,
) -> AppResult<CredentialFile> {
    let (body, _) = credential_of(db, issuer, code, address.0).await?;
    Ok(CredentialFile {
        body,
        download_as: None,
    })
}

/// The signed credential of the certificate `code` (a course's or a programme's, issue 64)
/// and its canonical code, as anyone may read it (unknown codes are throttled).
pub async fn credential_of(
    db: &DatabaseConnection,
    issuer: &Issuer,
    code: &str,
    address: Option<std::net::IpAddr>,
) -> AppResult<(Map<String, Value>, String)> {
    use crate::certificates::api::Found;
    Ok(
        match crate::certificates::api::find_any(db, code, address).await? {
            Found::Course(cert) => (
                domain::credentials::of_certificate(db, issuer, &cert).await?,
                cert.code,
            ),
            // A programme's certificate: its achievement is the programme.
            Found::Programme(cert) => (
                domain::credentials::of_programme_certificate(issuer, &cert),
                cert.code,
            ),
        },
    )
}

/// A revocation status list
///
/// Public (no authentication). The signed `BitstringStatusListCredential` of list `{list}`
/// (131,072 certificates each, from 1; the same proof set as a credential): `encodedList` is the multibase (`u`, base64url)
/// GZIP-compressed bitstring, index 0 the leftmost bit; a set bit is a revoked or superseded
/// certificate. Computed at each request, so a revocation shows at once. A list past the last
/// certificate → 404.
#[utoipa::path(
    tag = "credentials",
    operation_id = "getStatusList",
    security(()),
    params(("list" = i32, Path, description = "List number, from 1.", example = 1)),
    responses(
        (status = 200, description = "The signed status list credential.", content_type = "application/ld+json", body = Object),
        (status = 404, response = NotFound),
    )
)]
#[get("/credentials/status/<list>")]
async fn status_list(
    db: &State<DatabaseConnection>,
    issuer: &State<Issuer>,
    list: i32,
) -> AppResult<CredentialFile> {
    Ok(CredentialFile {
        body: status::list_credential(db.inner(), issuer, list).await?,
        download_as: None,
    })
}

/// Verify a credential
///
/// Public (no authentication). Send a credential (the JSON itself) and get whether it holds:
/// the contexts are the embedded VC 2.0 and Open Badges 3.0 ones (nothing is fetched), the
/// issuer is ESAP (this server's `did:web`), every proof it carries (`eddsa-jcs-2022`,
/// `eddsa-rdfc-2022`, one or a proof set) holds under one of the keys in
/// `/.well-known/did.json`, the dates hold, and its revocation bit is clear. An rdfc proof is
/// checked only on a bounded document (at most 80 JSON objects, 24 in one list, no JSON-LD
/// keyword but the top-level `@context`, no `_:` blank node identifier, at most 12 look-alike
/// blank nodes), since RDF canonicalization is exponential on look-alike blank nodes.
/// `status`: `valid`, `revoked` (authentic but revoked or superseded) or `invalid` (changed,
/// unsigned, another issuer, malformed). Any JSON value is answered 200 with the verdict; a
/// body that is not JSON → 400; JSON with a key repeated in an object, at any depth → 422
/// naming the key's path (as for every body of this API): a file with a forged value first
/// and the signed one last would read as the forgery and verify as the original. `holder`,
/// `name` and `code` are read from the document that was verified.
#[utoipa::path(
    tag = "credentials",
    operation_id = "verifyCredential",
    security(()),
    request_body(content = Object, description = "The credential (JSON-LD).", content_type = "application/json"),
    responses(
        (status = 200, description = "The verdict.", body = Report),
    )
)]
#[post("/credentials/verify", data = "<body>")]
async fn verify(
    db: &State<DatabaseConnection>,
    issuer: &State<Issuer>,
    body: JsonBody<Value>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        domain::credentials::verify(db.inner(), issuer, &body.0).await?,
    ))
}

/// `did:web` resolves to `https://<host>/.well-known/did.json`: the issuer's keys (Multikey),
/// current and earlier, for anyone verifying a credential without this server's API.
#[get("/.well-known/did.json")]
fn did_document(issuer: &State<Issuer>) -> (ContentType, Json<Value>) {
    (
        ContentType::new("application", "did+json"),
        Json(issuer.did_document()),
    )
}
