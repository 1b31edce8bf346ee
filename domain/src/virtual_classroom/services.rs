//! The services' door: OAuth 2.0 client credentials where the tool proves itself with a JWT it
//! signed (`private_key_jwt`, RFC 7523): its `client_id` as issuer and subject, the token
//! endpoint (or the issuer) as audience, a `jti` never accepted before, not expired. The token
//! carries only the scopes the tool asked for and was granted, and reaches only the cohorts
//! linked to that tool (its contexts).

use super::{Platform, keys, list_of};
use crate::entities::{cohort, lti_access_token, lti_assertion, lti_link, lti_tool};
use crate::error::{AppError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// A service token lasts an hour.
pub const TOKEN_SECONDS: i64 = 3600;
/// Clock difference tolerated on `exp`, `iat` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;
/// An assertion may live at most this long (its `jti` is kept until then).
pub const ASSERTION_MAX_SECONDS: i64 = 3600;

/// The token endpoint's form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    pub scope: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LtiAccessToken)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_in: i64,
    /// The scopes granted, space separated.
    pub scope: String,
}

/// An OAuth 2.0 error answer (RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthError {
    #[serde(skip)]
    pub status: u16,
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope`.
    pub error: &'static str,
    pub error_description: String,
}

fn oauth<T>(
    status: u16,
    error: &'static str,
    description: impl Into<String>,
) -> AppResult<Result<T, OAuthError>> {
    Ok(Err(OAuthError {
        status,
        error,
        error_description: description.into(),
    }))
}

#[derive(Debug, Deserialize)]
struct Unverified {
    iss: Option<String>,
    sub: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Assertion {
    iss: String,
    sub: String,
    exp: i64,
    iat: Option<i64>,
    jti: Option<String>,
}

/// Tools' key sets read from their `jwks_url`, by tool, with when they were read.
type Fetched = HashMap<i32, (Instant, Vec<Jwk>)>;
static FETCHED: LazyLock<Mutex<Fetched>> = LazyLock::new(|| Mutex::new(HashMap::new()));
/// A fetched key set is used this long…
const FETCHED_TTL_SECONDS: u64 = 600;
/// …and read again sooner, when a token names a key it lacks, if it is older than this.
const REFETCH_AFTER_SECONDS: u64 = 30;

fn fetch(url: &str) -> AppResult<Vec<Jwk>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(5)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| {
        AppError::BadRequest(format!(
            "No se pudieron leer las claves de la herramienta ({url}): {e}"
        ))
    })?;
    let text = response
        .body_mut()
        .with_config()
        .limit(256 * 1024)
        .read_to_string()
        .map_err(|e| {
            AppError::BadRequest(format!(
                "Las claves de la herramienta no se pudieron leer: {e}"
            ))
        })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| AppError::BadRequest("Las claves de la herramienta no son JSON.".into()))?;
    keys::key_set(&value).ok_or_else(|| {
        AppError::BadRequest("Las claves de la herramienta no traen una clave RSA.".into())
    })
}

/// The tool's keys: its stored JWK, or its JWK Set URL's (cached; read again when `kid` is
/// not among them).
async fn tool_keys(tool: &lti_tool::Model, kid: Option<&str>) -> AppResult<Vec<Jwk>> {
    if let Some(text) = &tool.public_jwk {
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        return Ok(keys::key_set(&value).unwrap_or_default());
    }
    let Some(url) = tool.jwks_url.clone() else {
        return Ok(Vec::new());
    };
    let cached = FETCHED.lock().ok().and_then(|m| m.get(&tool.id).cloned());
    if let Some((at, set)) = &cached {
        let age = at.elapsed().as_secs();
        let knows = kid.is_none_or(|k| set.iter().any(|j| j.common.key_id.as_deref() == Some(k)));
        if age < FETCHED_TTL_SECONDS && (knows || age < REFETCH_AFTER_SECONDS) {
            return Ok(set.clone());
        }
    }
    let set = crate::blocking::run(move || fetch(&url)).await?;
    if let Ok(mut m) = FETCHED.lock() {
        m.insert(tool.id, (Instant::now(), set.clone()));
    }
    Ok(set)
}

/// The token endpoint: checks the tool's assertion and grants a token for the scopes asked
/// that it holds. Nothing is written for a refused request.
pub async fn issue_token<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    request: &TokenRequest,
) -> AppResult<Result<TokenResponse, OAuthError>> {
    if request.grant_type.as_deref() != Some("client_credentials") {
        return oauth(
            400,
            "unsupported_grant_type",
            "Solo se admite grant_type=client_credentials.",
        );
    }
    if request.client_assertion_type.as_deref() != Some(ASSERTION_TYPE) {
        return oauth(
            400,
            "invalid_request",
            format!("client_assertion_type debe ser {ASSERTION_TYPE}."),
        );
    }
    let Some(assertion) = request
        .client_assertion
        .as_deref()
        .filter(|a| a.len() <= 16 * 1024)
    else {
        return oauth(
            400,
            "invalid_request",
            "Falta client_assertion (un JWT firmado por la herramienta).",
        );
    };
    let (tool, claims) = match verified(db, platform, assertion).await? {
        Ok(verified) => verified,
        Err(refused) => return Ok(Err(refused)),
    };
    let now = crate::time::now();
    if claims
        .iat
        .is_some_and(|iat| iat > now.timestamp() + LEEWAY_SECONDS as i64)
    {
        return oauth(
            401,
            "invalid_client",
            "La aserción dice haberse emitido en el futuro (iat).",
        );
    }
    if claims.exp > now.timestamp() + ASSERTION_MAX_SECONDS {
        return oauth(
            401,
            "invalid_client",
            "La aserción vive demasiado: su exp no puede pasar de una hora.",
        );
    }
    let Some(jti) = claims.jti.filter(|j| !j.is_empty() && j.len() <= 255) else {
        return oauth(401, "invalid_client", "La aserción no trae jti.");
    };
    let Some(scopes) = granted_scopes(&tool, request) else {
        return oauth(
            400,
            "invalid_scope",
            "Ninguno de los servicios pedidos (scope) está concedido a esta herramienta.",
        );
    };
    if let Err(refused) = spend_jti(db, &tool, jti, claims.exp, now).await? {
        return Ok(Err(refused));
    }
    lti_access_token::Entity::delete_many()
        .filter(lti_access_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let token = crate::accounts::secrets::random_token();
    lti_access_token::ActiveModel {
        token_hash: Set(crate::accounts::secrets::token_hash(&token)),
        tool_id: Set(tool.id),
        scopes: Set(serde_json::to_string(&scopes).unwrap_or_default()),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(TOKEN_SECONDS)),
    }
    .insert(db)
    .await?;
    Ok(Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: TOKEN_SECONDS,
        scope: scopes.join(" "),
    }))
}

/// The tool that signed the assertion and the assertion's claims, once its signature (RS256,
/// with a key the tool publishes), audience, expiry, issuer and subject are checked.
async fn verified<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    assertion: &str,
) -> AppResult<Result<(lti_tool::Model, Assertion), OAuthError>> {
    let unverified: Option<Unverified> = assertion
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(client_id) = unverified
        .as_ref()
        .and_then(|u| u.sub.clone().or(u.iss.clone()))
    else {
        return oauth(
            401,
            "invalid_client",
            "La aserción no dice de qué herramienta es (iss, sub).",
        );
    };
    let Some(tool) = lti_tool::Entity::find()
        .filter(lti_tool::Column::ClientId.eq(client_id.as_str()))
        .one(db)
        .await?
    else {
        return oauth(401, "invalid_client", "La herramienta no está registrada.");
    };
    let header = match jsonwebtoken::decode_header(assertion) {
        Ok(h) if h.alg == Algorithm::RS256 => h,
        _ => {
            return oauth(
                401,
                "invalid_client",
                "La aserción debe estar firmada con RS256.",
            );
        }
    };
    let set = match tool_keys(&tool, header.kid.as_deref()).await {
        Ok(set) => set,
        Err(e) => return oauth(401, "invalid_client", e.public_detail()),
    };
    let Some(key) = keys::decoding_key(&set, header.kid.as_deref()) else {
        return oauth(
            401,
            "invalid_client",
            "La aserción está firmada con una clave que la herramienta no publica.",
        );
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_audience(&[platform.token_endpoint(), platform.issuer.clone()]);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = match jsonwebtoken::decode::<Assertion>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "La aserción venció.",
                ErrorKind::InvalidAudience => {
                    "La aserción no está dirigida a este punto de acceso (aud)."
                }
                ErrorKind::InvalidSignature => "La firma de la aserción no es válida.",
                ErrorKind::ImmatureSignature => "La aserción todavía no es válida (nbf).",
                _ => "La aserción no es válida.",
            };
            return oauth(401, "invalid_client", why);
        }
    };
    if claims.iss != tool.client_id || claims.sub != tool.client_id {
        return oauth(
            401,
            "invalid_client",
            "iss y sub de la aserción deben ser el client_id de la herramienta.",
        );
    }
    Ok(Ok((tool, claims)))
}

/// The scopes asked that the tool holds (reading line items comes with writing them); none
/// when it holds none of them.
fn granted_scopes(tool: &lti_tool::Model, request: &TokenRequest) -> Option<Vec<String>> {
    let granted = list_of(&tool.scopes);
    let asked: Vec<String> = request
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let scopes: Vec<String> = asked
        .iter()
        .filter(|s| {
            granted.contains(s)
                || (s.as_str() == super::SCOPE_LINEITEM_READ
                    && granted.iter().any(|g| g == super::SCOPE_LINEITEM))
        })
        .cloned()
        .collect();
    (!scopes.is_empty()).then_some(scopes)
}

/// Accepts the assertion's `jti` once (expired ones are forgotten first).
async fn spend_jti<C: ConnectionTrait>(
    db: &C,
    tool: &lti_tool::Model,
    jti: String,
    exp: i64,
    now: DateTime<Utc>,
) -> AppResult<Result<(), OAuthError>> {
    // A jti is accepted once; forget the expired ones.
    lti_assertion::Entity::delete_many()
        .filter(lti_assertion::Column::ExpiresAt.lt(now - Duration::seconds(LEEWAY_SECONDS as i64)))
        .exec(db)
        .await?;
    let seen = lti_assertion::Entity::find()
        .filter(lti_assertion::Column::ToolId.eq(tool.id))
        .filter(lti_assertion::Column::Jti.eq(jti.as_str()))
        .one(db)
        .await?
        .is_some();
    if seen {
        return oauth(
            401,
            "invalid_client",
            "Esta aserción ya se usó (jti repetido).",
        );
    }
    let expires = DateTime::<Utc>::from_timestamp(exp, 0).unwrap_or(now);
    let inserted = lti_assertion::ActiveModel {
        tool_id: Set(tool.id),
        jti: Set(jti),
        expires_at: Set(expires.max(now)),
        ..Default::default()
    }
    .insert(db)
    .await;
    if let Err(e) = inserted {
        return match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => oauth(
                401,
                "invalid_client",
                "Esta aserción ya se usó (jti repetido).",
            ),
            _ => Err(e.into()),
        };
    }
    Ok(Ok(()))
}

/// A tool's service call: the tool and the scopes its token carries.
#[derive(Clone, Debug)]
pub struct ToolAccess {
    pub tool: lti_tool::Model,
    pub scopes: Vec<String>,
}

impl ToolAccess {
    /// 403 unless the token carries one of `scopes`.
    pub fn require(&self, scopes: &[&str]) -> AppResult<()> {
        if self.scopes.iter().any(|s| scopes.contains(&s.as_str())) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The tool a service token belongs to (401 when unknown or expired).
pub async fn access<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<ToolAccess> {
    let row = lti_access_token::Entity::find_by_id(crate::accounts::secrets::token_hash(token))
        .one(db)
        .await?
        .filter(|row| row.expires_at > crate::time::now())
        .ok_or(AppError::Unauthorized)?;
    let tool = lti_tool::Entity::find_by_id(row.tool_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(ToolAccess {
        tool,
        scopes: list_of(&row.scopes),
    })
}

/// The cohort `cohort_id` if it is one of the tool's contexts (linked to it) and the token
/// carries one of `scopes`; otherwise 403 (scope) or 404 (another tool's cohort).
pub async fn context<C: ConnectionTrait>(
    db: &C,
    access: &ToolAccess,
    cohort_id: i32,
    scopes: &[&str],
) -> AppResult<cohort::Model> {
    access.require(scopes)?;
    let linked = lti_link::Entity::find()
        .filter(lti_link::Column::CohortId.eq(cohort_id))
        .filter(lti_link::Column::ToolId.eq(access.tool.id))
        .one(db)
        .await?
        .is_some();
    if !linked {
        return Err(AppError::NotFound);
    }
    crate::cohorts::find(db, cohort_id).await
}
