//! The product's shell: home page, health check, static assets, error pages, and the
//! fairings every request goes through (one log line, security headers).

pub mod client;
pub mod csrf;
mod fairings;
pub mod home;
pub mod import;
mod page;
pub mod problem;

pub use client::ClientAddress;
pub use fairings::{Background, RequestLog, SecurityHeaders};
pub use page::{Page, base_context};

use crate::error::{AppResult, FieldError, title_for};
use crate::templates::Templates;
use crate::territory;
use problem::problem_response;
use rocket::http::{ContentType, Status};
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{Catcher, Request, Route, State, catch, catchers, get, routes};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    routes![home_page, health, stylesheet]
}

pub fn catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}

#[get("/")]
async fn home_page(
    db: &State<DatabaseConnection>,
    dashboards: &State<crate::reports::dashboard::Dashboards>,
    page: Page<'_>,
) -> AppResult<RawHtml<String>> {
    let mut data = serde_json::to_value(territory::summary(db.inner()).await?)
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    if let Some(user) = &page.user {
        let role_home = home::for_user(db.inner(), dashboards.inner(), user).await?;
        if let (Value::Object(data), Value::Object(extra)) = (&mut data, role_home) {
            data.extend(extra);
        }
    }
    page.render("home", "Inicio", data)
}

/// An error shown as a page, for handlers that also have other outcomes (a redirect).
pub fn failure(page: &Page<'_>, error: crate::error::AppError) -> (Status, RawHtml<String>) {
    if matches!(
        error,
        crate::error::AppError::Database(_) | crate::error::AppError::Internal(_)
    ) {
        tracing::error!(%error, "page failed");
    }
    let status = crate::error::status_of(&error);
    let html = page
        .render(
            "error",
            title_for(status.code),
            json!({"status": status.code, "detail": error.public_detail(), "errors": error.field_errors()}),
        )
        .unwrap_or_else(|_| RawHtml(format!("<h1>{}</h1>", title_for(status.code))));
    (status, html)
}

/// A page answering an error (the form again with its message, or the error page) with the
/// headers the error calls for: `Retry-After` when the client is throttled.
pub struct Failure {
    pub status: Status,
    pub html: RawHtml<String>,
    pub retry_after: Option<u64>,
}

impl Failure {
    /// `html` shown for `error` (its status and `Retry-After`).
    pub fn showing(error: &crate::error::AppError, html: RawHtml<String>) -> Self {
        Failure {
            status: crate::error::status_of(error),
            html,
            retry_after: error.retry_after(),
        }
    }

    /// The error page for `error`.
    pub fn of(page: &Page<'_>, error: crate::error::AppError) -> Self {
        let retry_after = error.retry_after();
        let (status, html) = failure(page, error);
        Failure {
            status,
            html,
            retry_after,
        }
    }
}

impl From<(Status, RawHtml<String>)> for Failure {
    fn from((status, html): (Status, RawHtml<String>)) -> Self {
        Failure {
            status,
            html,
            retry_after: None,
        }
    }
}

impl<'r> rocket::response::Responder<'r, 'static> for Failure {
    fn respond_to(self, request: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut response = rocket::response::Response::build_from(self.html.respond_to(request)?)
            .status(self.status)
            .finalize();
        if let Some(seconds) = self.retry_after {
            response.set_header(rocket::http::Header::new(
                "Retry-After",
                seconds.to_string(),
            ));
        }
        Ok(response)
    }
}

/// Context for the pagination links of a list page.
pub fn pager(path: &str, query: &str, page: u64, per_page: u64, total: u64) -> Value {
    let pages = total.div_ceil(per_page).max(1);
    let link = |n: u64| format!("{path}?{query}&pagina={n}");
    json!({
        "page": page,
        "pages": pages,
        "total": total,
        "prev": (page > 1).then(|| link(page - 1)),
        "next": (page < pages).then(|| link(page + 1)),
    })
}

/// What the health check answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `error`.
    #[schema(example = "ok")]
    status: &'static str,
    /// `ok`, or a Spanish note when the database does not answer.
    #[schema(example = "ok")]
    database: &'static str,
}

/// Health check for load balancers
///
/// Public. 200 when the database answers, 503 otherwise. Mounted at `/health`, outside
/// `/api/v1`.
///
/// **Extension** (not in api-v1.md): operational endpoint for load balancers and monitoring.
#[utoipa::path(
    tag = "operations",
    operation_id = "health",
    security(()),
    servers((url = "/", description = "Served at the site root, not under /api/v1.")),
    responses(
        (status = 200, description = "Healthy.", body = Health),
        (status = 503, description = "The database does not answer.", body = Health,
            example = json!({"status": "error", "database": "no responde"})),
    )
)]
#[get("/health")]
pub(crate) async fn health(db: &State<DatabaseConnection>) -> (Status, Json<Health>) {
    match db.ping().await {
        Ok(()) => (
            Status::Ok,
            Json(Health {
                status: "ok",
                database: "ok",
            }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                Status::ServiceUnavailable,
                Json(Health {
                    status: "error",
                    database: "no responde",
                }),
            )
        }
    }
}

#[get("/static/app.css")]
fn stylesheet() -> (ContentType, &'static str) {
    (
        ContentType::CSS,
        include_str!("../../templates/static/app.css"),
    )
}

/// The Spanish error page; falls back to plain HTML if rendering itself fails.
pub fn error_page(
    request: &Request<'_>,
    status: Status,
    detail: &str,
    errors: &[FieldError],
) -> RawHtml<String> {
    let mut data = base_context(None, "", title_for(status.code));
    data["status"] = json!(status.code);
    data["detail"] = json!(detail);
    data["errors"] = json!(errors);
    let rendered = request
        .rocket()
        .state::<Templates>()
        .and_then(|templates| templates.render("error", &data).ok());
    RawHtml(rendered.unwrap_or_else(|| format!("<h1>{}</h1>", title_for(status.code))))
}

#[catch(default)]
fn default_catcher(status: Status, _: &Request<'_>) -> Caught {
    Caught(status)
}

/// An error Rocket caught before a handler ran (no route, bad body, too large...).
pub struct Caught(Status);

impl<'r> rocket::response::Responder<'r, 'static> for Caught {
    fn respond_to(self, request: &'r Request<'_>) -> rocket::response::Result<'static> {
        let status = self.0;
        let detail = match status.code {
            404 => "No encontramos lo que busca.",
            401 => "Debe iniciar sesión.",
            403 if request.local_cache(|| csrf::CsrfRejected(false)).0 => {
                "El formulario expiró o no es válido. Vuelva a cargar la página e intente de nuevo."
            }
            403 => "Su rol no permite esta acción.",
            413 => "El contenido enviado supera el tamaño máximo permitido.",
            // The JSON routes say so through their data guard (below); what reaches this line
            // is an upload that was not sent as a form with a file.
            415 => {
                "El tipo de contenido no es admitido: envíe el archivo como multipart/form-data, en el campo «file»."
            }
            422 => "Los datos enviados no tienen el formato esperado.",
            400 => "La solicitud está mal formada.",
            503 => "El sistema está ocupado en este momento. Intente de nuevo en unos segundos.",
            _ => "Ocurrió un error interno. Intente de nuevo más tarde.",
        };
        // A JSON body the data guard refused says why, in Spanish, with its fields.
        let rejection = request.local_cache(crate::api::BodyRejection::default);
        let (detail, errors) = match &rejection.0 {
            Some((detail, errors)) => (detail.as_str(), errors.as_slice()),
            None => (detail, &[][..]),
        };
        if problem::is_api(request) {
            return Ok(problem_response(status, detail.to_string(), errors));
        }
        // People who are not signed in go to the sign-in page and come back afterwards.
        if status == Status::Unauthorized {
            let next = crate::text::urlencode(&request.uri().to_string());
            return rocket::response::Redirect::to(format!("/ingresar?siguiente={next}"))
                .respond_to(request);
        }
        let html = error_page(request, status, detail, errors);
        rocket::response::Response::build_from(html.respond_to(request)?)
            .status(status)
            .ok()
    }
}
