//! The LTI 1.3 platform's endpoints, where tools expect them (no `/api/v1` prefix): the JWK
//! Set, the OIDC authorization endpoint that answers a launch, the OAuth 2.0 token endpoint
//! and the NRPS and AGS services. Services answer their IMS media types; refusals are 4xx
//! with a JSON body (problem+json, or OAuth's error object at the token endpoint).

use super::platform_of;
use crate::api::JsonBody;
use crate::mail::Mailer;
use crate::web::{Page, PageResult};
use domain::config::AppConfig;
use domain::virtual_classroom::grades::{self, Filters, LineItemInput, ScoreInput};
use domain::virtual_classroom::launch::{self, AuthRequest, LaunchForm, Refusal};
use domain::virtual_classroom::services::{self, OAuthError, TokenRequest};
use domain::virtual_classroom::{keys, memberships};
use rocket::form::{Form, FromForm};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::content::RawHtml;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::Value;

pub fn routes() -> Vec<Route> {
    routes![
        jwks,
        authorize_get,
        authorize_post,
        token,
        memberships_page,
        line_items,
        create_line_item,
        line_item,
        post_score,
        results
    ]
}

/// The platform's public keys (current first; retired ones stay).
#[get("/lti/jwks")]
async fn jwks(db: &State<DatabaseConnection>) -> crate::error::AppResult<Json<keys::KeySet>> {
    Ok(Json(keys::jwks(db.inner()).await?))
}

/// The OIDC authentication request's fields, from the query or the form.
#[derive(FromForm, Default)]
struct AuthFields {
    scope: Option<String>,
    response_type: Option<String>,
    response_mode: Option<String>,
    prompt: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    login_hint: Option<String>,
    lti_message_hint: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
}

impl AuthFields {
    fn request(self) -> AuthRequest {
        AuthRequest {
            scope: self.scope,
            response_type: self.response_type,
            response_mode: self.response_mode,
            prompt: self.prompt,
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            login_hint: self.login_hint,
            lti_message_hint: self.lti_message_hint,
            state: self.state,
            nonce: self.nonce,
        }
    }
}

/// The page that posts the signed launch to the tool, allowed (by its own CSP) to submit a
/// form to the tool's origin only.
struct LaunchPage {
    html: RawHtml<String>,
    form_action: String,
}

impl<'r> Responder<'r, 'static> for LaunchPage {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let csp = format!(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            self.form_action
        );
        Response::build_from(self.html.respond_to(request)?)
            .header(Header::new("Content-Security-Policy", csp))
            .ok()
    }
}

/// `scheme://host[:port]` of an absolute URL (what a CSP source names).
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => "'none'".to_string(),
    }
}

#[derive(Serialize)]
struct LaunchView<'a> {
    form: &'a LaunchForm,
}

#[derive(Serialize)]
struct RefusalView<'a> {
    status: u16,
    detail: &'a str,
    errors: [u8; 0],
}

/// A refused launch: the error page with why, in Spanish, and its status.
pub(super) fn refused(page: &Page<'_>, refusal: &Refusal) -> crate::web::Failure {
    let status = Status::from_code(refusal.status).unwrap_or(Status::Forbidden);
    let view = RefusalView {
        status: refusal.status,
        detail: &refusal.message,
        errors: [],
    };
    match page.render("error", "No se puede abrir el aula virtual", view) {
        Ok(html) => crate::web::Failure::from((status, html)),
        Err(failure) => failure,
    }
}

async fn answer(
    db: &DatabaseConnection,
    config: &AppConfig,
    mailer: &Mailer<'_>,
    page: &Page<'_>,
    request: AuthRequest,
) -> PageResult<LaunchPage> {
    let platform = platform_of(config);
    let actor = page.user.as_ref().map(|u| &u.0);
    let outcome = domain::db::write(db, async |txn| {
        launch::authorize(txn, mailer, &platform, actor, &request).await
    })
    .await?;
    match outcome {
        Ok(form) => {
            let html = page.render("lti_launch", "Aula virtual", LaunchView { form: &form })?;
            Ok(LaunchPage {
                html,
                form_action: origin(&form.action),
            })
        }
        Err(refusal) => Err(refused(page, &refusal)),
    }
}

/// OIDC authorization endpoint (GET): the tool's authentication request after the login the
/// cohort's page started; answers the page that posts the signed `id_token` to the tool.
#[get("/lti/authorize?<fields..>")]
async fn authorize_get(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    mailer: Mailer<'_>,
    page: Page<'_>,
    fields: AuthFields,
) -> PageResult<LaunchPage> {
    answer(db.inner(), config, &mailer, &page, fields.request()).await
}

/// OIDC authorization endpoint (POST form), as some tools send it.
#[post("/lti/authorize", data = "<fields>")]
async fn authorize_post(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    mailer: Mailer<'_>,
    page: Page<'_>,
    fields: Form<AuthFields>,
) -> PageResult<LaunchPage> {
    answer(
        db.inner(),
        config,
        &mailer,
        &page,
        fields.into_inner().request(),
    )
    .await
}

#[derive(FromForm, Default)]
struct TokenFields {
    grant_type: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    scope: Option<String>,
}

/// A JSON answer with its status and media type (and a `Link` header for the next page).
struct ServiceJson {
    status: Status,
    media: &'static str,
    body: Value,
    next: Option<String>,
}

impl ServiceJson {
    fn ok(media: &'static str, body: impl Serialize) -> ServiceJson {
        ServiceJson {
            status: Status::Ok,
            media,
            body: serde_json::to_value(body).unwrap_or_default(),
            next: None,
        }
    }
}

impl<'r> Responder<'r, 'static> for ServiceJson {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        let text = self.body.to_string();
        let mut response = Response::build();
        response
            .status(self.status)
            .header(ContentType::parse_flexible(self.media).unwrap_or(ContentType::JSON))
            .sized_body(text.len(), std::io::Cursor::new(text));
        if let Some(next) = self.next {
            response.header(Header::new("Link", format!("<{next}>; rel=\"next\"")));
        }
        response.ok()
    }
}

/// OAuth 2.0 token endpoint (client credentials with the tool's signed assertion).
#[post("/lti/token", data = "<fields>")]
async fn token(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    fields: Form<TokenFields>,
) -> crate::error::AppResult<ServiceJson> {
    let fields = fields.into_inner();
    let request = TokenRequest {
        grant_type: fields.grant_type,
        client_assertion_type: fields.client_assertion_type,
        client_assertion: fields.client_assertion,
        scope: fields.scope,
    };
    let platform = platform_of(config);
    let outcome = domain::db::write(db, async |txn| {
        services::issue_token(txn, &platform, &request).await
    })
    .await?;
    Ok(match outcome {
        Ok(granted) => ServiceJson::ok(
            "application/json",
            serde_json::to_value(granted).unwrap_or_default(),
        ),
        Err(error) => ServiceJson {
            status: Status::from_code(error.status).unwrap_or(Status::BadRequest),
            media: "application/json",
            body: serde_json::to_value::<&OAuthError>(&error).unwrap_or_default(),
            next: None,
        },
    })
}

/// The service token a tool sends (`Authorization: Bearer …`); 401 without one.
pub struct ToolToken(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ToolToken {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = request
            .headers()
            .get_one("Authorization")
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200);
        match token {
            Some(t) => Outcome::Success(ToolToken(t.to_string())),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// NRPS: the cohort's members.
#[get("/lti/contexts/<cohort_id>/memberships?<role>&<limit>&<offset>")]
async fn memberships_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    token: ToolToken,
    cohort_id: i32,
    role: Option<&str>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let page = memberships::page(
        db.inner(),
        &platform_of(config),
        &access,
        cohort_id,
        role,
        limit,
        offset,
    )
    .await?;
    Ok(ServiceJson {
        status: Status::Ok,
        media: memberships::MEDIA_TYPE,
        body: serde_json::to_value(page.container).unwrap_or_default(),
        next: page.next,
    })
}

/// AGS: the cohort's line items.
#[get("/lti/contexts/<cohort_id>/lineitems?<resource_link_id>&<resource_id>&<tag>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn line_items(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    token: ToolToken,
    cohort_id: i32,
    resource_link_id: Option<String>,
    resource_id: Option<String>,
    tag: Option<String>,
    limit: Option<usize>,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let platform = platform_of(config);
    let filters = Filters {
        resource_link_id,
        resource_id,
        tag,
        limit,
    };
    let items = domain::db::write(db, async |txn| {
        grades::list(txn, &platform, &access, cohort_id, &filters).await
    })
    .await?;
    Ok(ServiceJson::ok(grades::LINE_ITEMS_MEDIA, items))
}

/// AGS: a line item the tool creates.
#[post("/lti/contexts/<cohort_id>/lineitems", data = "<body>")]
async fn create_line_item(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    token: ToolToken,
    cohort_id: i32,
    body: JsonBody<LineItemInput>,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let platform = platform_of(config);
    let item = domain::db::write(db, async |txn| {
        grades::create(txn, &platform, &access, cohort_id, &body).await
    })
    .await?;
    Ok(ServiceJson {
        status: Status::Created,
        ..ServiceJson::ok(grades::LINE_ITEM_MEDIA, item)
    })
}

/// AGS: one line item.
#[get("/lti/contexts/<cohort_id>/lineitems/<id>")]
async fn line_item(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    token: ToolToken,
    cohort_id: i32,
    id: i32,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let platform = platform_of(config);
    let item = domain::db::write(db, async |txn| {
        grades::get(txn, &platform, &access, cohort_id, id).await
    })
    .await?;
    Ok(ServiceJson::ok(grades::LINE_ITEM_MEDIA, item))
}

/// AGS: a score the tool posts (kept unless older than the one it already sent).
#[post("/lti/contexts/<cohort_id>/lineitems/<id>/scores", data = "<body>")]
async fn post_score(
    db: &State<DatabaseConnection>,
    token: ToolToken,
    cohort_id: i32,
    id: i32,
    body: JsonBody<ScoreInput>,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let kept = domain::db::write(db, async |txn| {
        grades::post_score(txn, &access, cohort_id, id, &body).await
    })
    .await?;
    /// Whether the score was kept (not older than the one the tool sent before).
    #[derive(Serialize)]
    struct Kept {
        kept: bool,
    }
    Ok(ServiceJson::ok("application/json", Kept { kept }))
}

/// AGS: the line item's results.
#[get("/lti/contexts/<cohort_id>/lineitems/<id>/results?<user_id>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn results(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    token: ToolToken,
    cohort_id: i32,
    id: i32,
    user_id: Option<&str>,
    limit: Option<usize>,
) -> crate::error::AppResult<ServiceJson> {
    let access = services::access(db.inner(), &token.0).await?;
    let platform = platform_of(config);
    let items = domain::db::write(db, async |txn| {
        grades::results(txn, &platform, &access, cohort_id, id, user_id, limit).await
    })
    .await?;
    Ok(ServiceJson::ok(grades::RESULTS_MEDIA, items))
}
