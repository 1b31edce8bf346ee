//! Tools registered by the admin: where the tool starts a login and receives launches, its
//! keys (a JWK Set URL, or a key given once), what it may learn of people and which services
//! it was granted. The platform gives it a `client_id` and a `deployment_id`.

use super::{Platform, SCOPES, keys, list_of, url_problem};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::lti_tool;
use crate::entities::values::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::validate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// At most this many redirect URIs per tool.
pub const REDIRECT_URIS_MAX: usize = 10;

/// What the admin sends to register a tool.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = LtiToolInput)]
pub struct ToolInput {
    #[schema(example = "Campus virtual ESAP (Moodle)", max_length = 160)]
    pub name: Option<String>,
    /// The tool's OIDC login initiation URL (third-party initiated login).
    #[schema(example = "https://campusvirtual.esap.edu.co/enrol/lti/login.php")]
    pub login_url: Option<String>,
    /// Where launches go unless the link says otherwise.
    #[schema(example = "https://campusvirtual.esap.edu.co/enrol/lti/launch.php")]
    pub target_link_uri: Option<String>,
    /// Where the signed launch may be posted (exactly these).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The tool's JWK Set URL…
    #[schema(example = "https://campusvirtual.esap.edu.co/enrol/lti/jwks.php")]
    pub jwks_url: Option<String>,
    /// …or its public key (a JWK or a JWK Set), RSA for RS256.
    #[schema(value_type = Option<Object>)]
    pub public_jwk: Option<Value>,
    /// For deep linking, when the tool offers it.
    pub deep_link_url: Option<String>,
    /// Whether launches and the roster carry people's names.
    #[serde(default)]
    pub share_name: bool,
    /// Whether launches and the roster carry people's email addresses.
    #[serde(default)]
    pub share_email: bool,
    /// The services' scopes granted (default: the four of NRPS and AGS).
    pub scopes: Option<Vec<String>>,
}

/// A registered tool, with what to enter on the tool's side.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LtiTool)]
pub struct ToolView {
    pub id: i32,
    pub name: String,
    pub client_id: String,
    pub deployment_id: String,
    /// The platform's issuer (Platform ID in Moodle).
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub platform_jwks_url: String,
    pub login_url: String,
    pub target_link_uri: String,
    pub redirect_uris: Vec<String>,
    pub jwks_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub public_jwk: Option<Value>,
    pub deep_link_url: Option<String>,
    pub share_name: bool,
    pub share_email: bool,
    pub scopes: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

pub fn view_of(platform: &Platform, row: &lti_tool::Model) -> ToolView {
    ToolView {
        id: row.id,
        name: row.name.clone(),
        client_id: row.client_id.clone(),
        deployment_id: row.deployment_id.clone(),
        issuer: platform.issuer.clone(),
        authorization_endpoint: platform.authorization_endpoint(),
        token_endpoint: platform.token_endpoint(),
        platform_jwks_url: platform.jwks_url(),
        login_url: row.login_url.clone(),
        target_link_uri: row.target_link_uri.clone(),
        redirect_uris: list_of(&row.redirect_uris),
        jwks_url: row.jwks_url.clone(),
        public_jwk: row
            .public_jwk
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        deep_link_url: row.deep_link_url.clone(),
        share_name: row.share_name,
        share_email: row.share_email,
        scopes: list_of(&row.scopes),
        created_at: crate::time::date_time(row.created_at),
    }
}

fn require_admin(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn url(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let text = validate::line(field, value, validate::URL_MAX, errors)?;
    if let Some(problem) = url_problem(&text) {
        errors.push(FieldError::new(field, problem));
        return None;
    }
    Some(text)
}

/// Checks a registration whole (every problem at once).
fn check(input: &ToolInput) -> AppResult<lti_tool::ActiveModel> {
    let mut errors = Vec::new();
    let name = validate::line(
        "name",
        input.name.as_deref(),
        validate::TITLE_MAX,
        &mut errors,
    );
    if name.is_none() && !errors.iter().any(|e| e.field == "name") {
        errors.push(FieldError::new(
            "name",
            "Escriba el nombre del aula virtual.",
        ));
    }
    let required_url = |field: &str, value: Option<&str>, errors: &mut Vec<FieldError>| {
        let found = url(field, value, errors);
        if found.is_none() && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(
                field,
                "Escriba esta dirección (https://…).",
            ));
        }
        found
    };
    let login_url = required_url("login_url", input.login_url.as_deref(), &mut errors);
    let target_link_uri = required_url(
        "target_link_uri",
        input.target_link_uri.as_deref(),
        &mut errors,
    );
    let deep_link_url = url("deep_link_url", input.deep_link_url.as_deref(), &mut errors);
    let mut redirect_uris = Vec::new();
    if input.redirect_uris.is_empty() {
        errors.push(FieldError::new(
            "redirect_uris",
            "Indique al menos una dirección de redirección de la herramienta.",
        ));
    } else if input.redirect_uris.len() > REDIRECT_URIS_MAX {
        errors.push(FieldError::new(
            "redirect_uris",
            format!("Indique como máximo {REDIRECT_URIS_MAX} direcciones de redirección."),
        ));
    } else {
        for uri in &input.redirect_uris {
            let mut problems = Vec::new();
            match url("redirect_uris", Some(uri), &mut problems) {
                Some(uri) if !redirect_uris.contains(&uri) => redirect_uris.push(uri),
                _ => {}
            }
            // Each problem names its address (the form has one box for all of them).
            errors.extend(problems.into_iter().map(|e| FieldError {
                message: format!("«{uri}»: {}", e.message),
                ..e
            }));
        }
    }
    let jwks_url = url("jwks_url", input.jwks_url.as_deref(), &mut errors);
    let public_jwk = match &input.public_jwk {
        None => None,
        Some(value) => match keys::key_set(value) {
            Some(_) => Some(value.to_string()),
            None => {
                errors.push(FieldError::new(
                    "public_jwk",
                    "La clave pública no es una JWK RSA (o un conjunto de ellas) válida.",
                ));
                None
            }
        },
    };
    if public_jwk.as_ref().is_some_and(|t| t.len() > 64 * 1024) {
        errors.push(FieldError::new(
            "public_jwk",
            "La clave pública es demasiado grande.",
        ));
    }
    match (&input.jwks_url, &input.public_jwk) {
        (None, None) => errors.push(FieldError::new(
            "jwks_url",
            "Indique la dirección de las claves públicas de la herramienta (jwks_url) o su clave (public_jwk).",
        )),
        (Some(_), Some(_)) => errors.push(FieldError::new(
            "public_jwk",
            "Indique jwks_url o public_jwk, no ambas.",
        )),
        _ => {}
    }
    let scopes: Vec<String> = match &input.scopes {
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for (n, scope) in list.iter().enumerate() {
                if !SCOPES.contains(&scope.as_str()) {
                    errors.push(FieldError::new(
                        format!("scopes[{n}]"),
                        format!("«{scope}» no es un servicio que la plataforma ofrezca."),
                    ));
                } else if !out.contains(scope) {
                    out.push(scope.clone());
                }
            }
            out
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let at = crate::time::now();
    Ok(lti_tool::ActiveModel {
        name: Set(name.unwrap_or_default()),
        client_id: Set(crate::accounts::secrets::random_hex()),
        deployment_id: Set(crate::accounts::secrets::random_hex()[..12].to_string()),
        login_url: Set(login_url.unwrap_or_default()),
        target_link_uri: Set(target_link_uri.unwrap_or_default()),
        redirect_uris: Set(serde_json::to_string(&redirect_uris).unwrap_or_default()),
        jwks_url: Set(jwks_url),
        public_jwk: Set(public_jwk),
        deep_link_url: Set(deep_link_url),
        share_name: Set(input.share_name),
        share_email: Set(input.share_email),
        scopes: Set(serde_json::to_string(&scopes).unwrap_or_default()),
        created_by: Set(None),
        created_at: Set(at),
        ..Default::default()
    })
}

/// A tool registered (`lti_tool.registered`): what the tool is told and shares.
#[derive(Serialize)]
struct Registered<'a> {
    name: &'a str,
    client_id: &'a str,
    deployment_id: &'a str,
    login_url: &'a str,
    redirect_uris: &'a [String],
    share_name: bool,
    share_email: bool,
    scopes: &'a [String],
}

/// Registers a tool (admin). Audited.
pub async fn register<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    actor: &Actor,
    input: &ToolInput,
) -> AppResult<ToolView> {
    require_admin(actor)?;
    let mut row = check(input)?;
    row.created_by = Set(Some(actor.id));
    let row = row.insert(db).await?;
    let view = view_of(platform, &row);
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "lti_tool.registered",
            subject_type: "lti_tool",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Registered {
                name: &view.name,
                client_id: &view.client_id,
                deployment_id: &view.deployment_id,
                login_url: &view.login_url,
                redirect_uris: &view.redirect_uris,
                share_name: view.share_name,
                share_email: view.share_email,
                scopes: &view.scopes,
            })
            .ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Every tool (staff: the coordinator links cohorts to them).
pub async fn list<C: ConnectionTrait>(db: &C, platform: &Platform) -> AppResult<Vec<ToolView>> {
    Ok(lti_tool::Entity::find()
        .order_by_asc(lti_tool::Column::Name)
        .order_by_asc(lti_tool::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(|row| view_of(platform, row))
        .collect())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<lti_tool::Model> {
    lti_tool::Entity::find_by_id(id).found(db).await
}
