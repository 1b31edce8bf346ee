//! The product's shell: home page, health check, static assets, error pages, and the
//! fairings every request goes through (one log line, security headers).

mod fairings;

pub use fairings::{RequestLog, SecurityHeaders};

use crate::error::{AppResult, FieldError, problem_response, title_for};
use crate::templates::Templates;
use crate::territory;
use rocket::http::{ContentType, Status};
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{Catcher, Request, Route, State, catch, catchers, get, routes};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub fn routes() -> Vec<Route> {
    routes![home, health, stylesheet]
}

pub fn catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}

#[get("/")]
async fn home(
    db: &State<DatabaseConnection>,
    templates: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let summary = territory::summary(db.inner()).await?;
    Ok(RawHtml(templates.render("home", &summary)?))
}

/// For load balancers: 200 when the database answers, 503 otherwise.
#[get("/health")]
async fn health(db: &State<DatabaseConnection>) -> (Status, Json<Value>) {
    match db.ping().await {
        Ok(()) => (Status::Ok, Json(json!({"status": "ok", "database": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                Status::ServiceUnavailable,
                Json(json!({"status": "error", "database": "no responde"})),
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
    let data = json!({"title": title_for(status), "status": status.code, "detail": detail, "errors": errors});
    let rendered = request
        .rocket()
        .state::<Templates>()
        .and_then(|templates| templates.render("error", &data).ok());
    RawHtml(rendered.unwrap_or_else(|| format!("<h1>{}</h1>", title_for(status))))
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
            403 => "Su rol no permite esta acción.",
            413 => "El contenido enviado supera el tamaño máximo permitido.",
            422 => "Los datos enviados no tienen el formato esperado.",
            400 => "La solicitud está mal formada.",
            _ => "Ocurrió un error interno. Intente de nuevo más tarde.",
        };
        if crate::error::is_api(request) {
            return Ok(problem_response(status, detail.to_string(), &[]));
        }
        let html = error_page(request, status, detail, &[]);
        rocket::response::Response::build_from(html.respond_to(request)?)
            .status(status)
            .ok()
    }
}
