//! Verifiable credentials: every certificate is also an Open Badges 3.0 credential signed by
//! ESAP (a proof set: `eddsa-jcs-2022` and `eddsa-rdfc-2022`, [`proof`]; key in [`keys`]),
//! revocable through a Bitstring Status List
//! ([`status`]), and verifiable here ([`verify`]) or by any standard verifier that resolves
//! `did:web`.

pub mod badge;
pub mod contexts;
pub mod keys;
pub mod proof;
pub mod rdfc;
pub mod status;

use crate::entities::values::CertificateStatus;
use crate::entities::{certificate, cohort};
use crate::error::{AppError, AppResult};
use crate::rows::Found;
use keys::Issuer;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;
use serde_json::{Map, Value};

/// Adds the issuer's proofs (both suites), dated `created`, under its current key.
pub fn sign(issuer: &Issuer, document: Map<String, Value>, created: &str) -> Map<String, Value> {
    let method = issuer.verification_method();
    proof::add_proof(
        document,
        &proof::Options {
            created,
            verification_method: &method,
        },
        |data| issuer.sign(data),
    )
}

/// `GET /certificates/{code}/credential`: the certificate's signed credential, whatever its
/// status (a revoked one says so through its status list, as any verifier will check).
pub async fn of_certificate<C: ConnectionTrait>(
    db: &C,
    issuer: &Issuer,
    cert: &certificate::Model,
) -> AppResult<Map<String, Value>> {
    let cohort = cohort::Entity::find_by_id(cert.cohort_id).found(db).await?;
    Ok(badge::signed(
        issuer,
        cert,
        crate::results::Rule::of(&cohort),
    ))
}

/// The signed credential of a programme's certificate (issue 64), served at the same URL as a
/// course certificate's.
pub fn of_programme_certificate(
    issuer: &Issuer,
    cert: &crate::entities::programme_certificate::Model,
) -> Map<String, Value> {
    let modules = crate::programmes::certificates::modules_of(cert);
    badge::programme_signed(issuer, cert, &modules)
}

/// What a verification concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Signature, issuer, dates and status hold.
    Valid,
    /// Authentic, but ESAP revoked it (or replaced it with a corrected certificate).
    Revoked,
    /// Not a credential of ESAP as issued: changed, unsigned, another issuer, malformed.
    Invalid,
}

/// One of the things checked, for people.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `formato`, `emisor`, `firma`, `vigencia` or `estado`.
    #[schema(example = "firma")]
    pub check: &'static str,
    pub ok: bool,
    #[schema(example = "La firma de la ESAP corresponde al contenido.")]
    pub message: String,
}

/// The answer of `POST /credentials/verify` (contract: `verified`, `status`, `errors`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CredentialVerification)]
pub struct Report {
    /// The credential holds: authentic, current and not revoked.
    pub verified: bool,
    pub status: Outcome,
    /// What failed, in Spanish (empty when valid).
    pub errors: Vec<String>,
    /// **Extension**: each check with its result.
    pub checks: Vec<Check>,
    /// **Extension**: the certificate's code, when the credential names one of ours.
    pub code: Option<String>,
    /// **Extension**: who it was awarded to, as the credential states it.
    pub holder: Option<String>,
    /// **Extension**: the course (or the credential's name).
    pub name: Option<String>,
}

struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, check: &'static str, message: impl Into<String>) {
        self.0.push(Check {
            check,
            ok: true,
            message: message.into(),
        });
    }
    fn fail(&mut self, check: &'static str, message: impl Into<String>) {
        self.0.push(Check {
            check,
            ok: false,
            message: message.into(),
        });
    }
    fn all_hold(&self) -> bool {
        self.0.iter().all(|c| c.ok)
    }
}

fn issuer_id(document: &Map<String, Value>) -> Option<&str> {
    match document.get("issuer") {
        Some(Value::String(id)) => Some(id),
        Some(Value::Object(profile)) => profile.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn parse_instant(value: Option<&Value>) -> Option<Option<chrono::DateTime<chrono::FixedOffset>>> {
    match value {
        None => Some(None),
        Some(v) => v
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(Some),
    }
}

/// Verifies a credential sent by anyone: its contexts, that ESAP (this server's DID) issued
/// it, its proof under one of ESAP's published keys, its dates, and its revocation bit.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    issuer: &Issuer,
    sent: &Value,
) -> AppResult<Report> {
    let mut checks = Checks(Vec::new());
    let Some(document) = sent.as_object() else {
        checks.fail(
            "formato",
            "El contenido no es una credencial: se esperaba un objeto JSON.",
        );
        return Ok(report(checks, false, None, None));
    };
    match contexts::check(sent) {
        Ok(()) => {
            let types: Vec<&str> = match document.get("type") {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(one)) => vec![one.as_str()],
                _ => Vec::new(),
            };
            if types.contains(&"VerifiableCredential") {
                checks.pass("formato", "Es una credencial verificable (W3C VC 2.0).");
            } else {
                checks.fail("formato", "Falta el tipo «VerifiableCredential».");
            }
        }
        Err(message) => checks.fail("formato", message),
    }
    match issuer_id(document) {
        Some(id) if id == issuer.did => checks.pass(
            "emisor",
            format!("Emitida por la ESAP ({id})."),
        ),
        Some(id) => checks.fail(
            "emisor",
            format!(
                "El emisor es {id}, no la ESAP ({}): este servicio solo verifica credenciales de la ESAP.",
                issuer.did
            ),
        ),
        None => checks.fail("emisor", "La credencial no dice quién la emitió («issuer»)."),
    }
    let signature_holds = match proof::verify(document, |method| issuer.resolve(method)) {
        Ok(_) => {
            checks.pass("firma", "La firma de la ESAP corresponde al contenido.");
            true
        }
        Err(error) => {
            checks.fail("firma", error.to_string());
            false
        }
    };
    let now = crate::time::now();
    match (
        parse_instant(document.get("validFrom")),
        parse_instant(document.get("validUntil")),
    ) {
        (Some(from), Some(until)) => {
            if from.is_some_and(|f| f > now) {
                checks.fail(
                    "vigencia",
                    "La credencial aún no es válida («validFrom» futuro).",
                );
            } else if until.is_some_and(|u| u < now) {
                checks.fail("vigencia", "La credencial venció («validUntil»).");
            } else {
                checks.pass("vigencia", "Las fechas de validez se cumplen.");
            }
        }
        _ => checks.fail(
            "vigencia",
            "«validFrom» o «validUntil» no es una fecha y hora.",
        ),
    }
    let mut revoked = false;
    if signature_holds && checks.all_hold() {
        revoked = status_check(db, issuer, document, &mut checks).await?;
    }
    Ok(report(checks, revoked, Some(issuer), Some(document)))
}

/// The revocation check: `true` when the bit is set (a failed check is recorded).
async fn status_check<C: ConnectionTrait>(
    db: &C,
    issuer: &Issuer,
    document: &Map<String, Value>,
    checks: &mut Checks,
) -> AppResult<bool> {
    let Some(entry) = document.get("credentialStatus") else {
        checks.pass("estado", "La credencial no tiene lista de revocación.");
        return Ok(false);
    };
    let field = |name: &str| entry.get(name).and_then(Value::as_str);
    if field("type") != Some("BitstringStatusListEntry")
        || field("statusPurpose") != Some(status::PURPOSE)
    {
        checks.fail(
            "estado",
            "El estado no es una entrada de revocación «BitstringStatusListEntry».",
        );
        return Ok(false);
    }
    let list = field("statusListCredential").and_then(|url| status::list_of_url(issuer, url));
    let index = field("statusListIndex").and_then(|i| i.parse::<i32>().ok());
    let (Some(list), Some(index)) = (list, index) else {
        checks.fail("estado", "La lista de revocación no es una de la ESAP.");
        return Ok(false);
    };
    let set = match status::set_indexes(db, list).await {
        Ok(set) => set,
        Err(AppError::NotFound) => {
            checks.fail("estado", "La lista de revocación no existe.");
            return Ok(false);
        }
        Err(other) => return Err(other),
    };
    // The same set the published list encodes (`status::list_credential`).
    if !set.contains(&index) {
        checks.pass("estado", "La ESAP no ha revocado esta credencial.");
        return Ok(false);
    }
    let cert = match status::certificate_at(list, index) {
        Some(id) => certificate::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let message = match cert {
        Some(c) if c.status == CertificateStatus::Superseded => {
            let newer = match c.superseded_by_id {
                Some(id) => certificate::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .map(|n| n.code),
                None => None,
            };
            match newer {
                Some(code) => format!(
                    "La ESAP reemplazó este certificado por una versión corregida (código {code}): \
                     la credencial vigente es la del certificado nuevo."
                ),
                None => "La ESAP reemplazó este certificado por una versión corregida.".into(),
            }
        }
        Some(c) => match (c.revoked_at, c.revocation_reason) {
            (Some(at), Some(reason)) => format!(
                "La ESAP revocó este certificado el {}. Motivo: {reason}",
                crate::format::date(crate::time::local(at).date_naive())
            ),
            _ => "La ESAP revocó este certificado.".into(),
        },
        None => "La ESAP revocó esta credencial.".into(),
    };
    checks.fail("estado", message);
    Ok(true)
}

/// The report of the checks. `revoked`: every other check held and the status bit is set.
/// What the credential states (code, holder, name) is repeated only when it is authentic, and
/// read from `document`, the very map whose proof was checked: what is shown is what was
/// verified. (Callers parse with `strict_json`, so no repeated key could make a person read
/// another value in the file.)
fn report(
    checks: Checks,
    revoked: bool,
    issuer: Option<&Issuer>,
    document: Option<&Map<String, Value>>,
) -> Report {
    let status = if checks.all_hold() {
        Outcome::Valid
    } else if revoked {
        Outcome::Revoked
    } else {
        Outcome::Invalid
    };
    let authentic = status != Outcome::Invalid;
    let document = document.filter(|_| authentic);
    let code = issuer.zip(document).and_then(|(issuer, document)| {
        document
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| badge::code_of_credential_url(issuer, id))
    });
    let text = |value: &Value| value.as_str().map(str::to_string);
    Report {
        verified: status == Outcome::Valid,
        status,
        errors: checks
            .0
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.message.clone())
            .collect(),
        code,
        holder: document
            .and_then(|d| d.get("credentialSubject"))
            .and_then(|subject| subject.get("name"))
            .and_then(text),
        name: document.and_then(|d| d.get("name")).and_then(text),
        checks: checks.0,
    }
}
