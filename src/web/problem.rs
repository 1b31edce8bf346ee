//! How an [`AppError`] reaches the client (as a [`WebError`]): RFC 9457 `application/problem+json` for the API,
//! a Spanish HTML page for people, `Retry-After` when the client should come back later.

use crate::error::{WebError, status_of};
use domain::error::{AppError, BUSY_RETRY_AFTER_SECONDS, FieldError, title_for};
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;
use std::io::Cursor;

/// RFC 9457 problem details (`application/problem+json`), in Spanish. Never a stack trace or
/// SQL.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// `urn:aula-territorial:problema:<status>`.
    #[serde(rename = "type")]
    #[schema(example = "urn:aula-territorial:problema:422")]
    pub kind: String,
    /// Short Spanish title of the kind of problem.
    #[schema(example = "Datos inválidos")]
    pub title: &'a str,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "Los datos enviados tienen errores.")]
    pub detail: String,
    /// Field errors; empty unless the status is 422.
    #[schema(value_type = Vec<FieldError>)]
    pub errors: &'a [FieldError],
}

/// The problem+json body for a status, shared by `AppError` and the API's catchers.
pub fn problem_response<'r>(status: Status, detail: String, errors: &[FieldError]) -> Response<'r> {
    let problem = Problem {
        kind: format!("urn:aula-territorial:problema:{}", status.code),
        title: title_for(status.code),
        status: status.code,
        detail,
        errors,
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    Response::build()
        .status(status)
        .header(ContentType::new("application", "problem+json"))
        .sized_body(body.len(), Cursor::new(body))
        .finalize()
}

/// A 503 says when to come back (RFC 9110 `Retry-After`), on problem+json and pages alike.
pub fn add_retry_after(response: &mut Response<'_>) {
    if response.status() == Status::ServiceUnavailable {
        response.set_header(rocket::http::Header::new(
            "Retry-After",
            BUSY_RETRY_AFTER_SECONDS.to_string(),
        ));
    }
}

pub use super::request::is_api;

/// Whether an error is answered as problem+json rather than a Spanish page: the API's, the
/// open data files' (`/open-data/…`, read by programs; described in the same OpenAPI
/// document) and the LTI services'.
pub fn answers_problem(request: &Request<'_>) -> bool {
    let path = request.uri().path();
    is_api(request)
        || path.as_str().starts_with("/open-data/")
        // The LTI platform's endpoints answer tools (issue 65); the authorization endpoint
        // answers a person's browser.
        || (path.as_str().starts_with("/lti/") && path.as_str() != "/lti/authorize")
        // The attendance page's script sends its offline queue here (issue 66) and reads
        // the answer as the API's.
        || path.as_str().starts_with("/asistencia/lotes/")
        // The check-in page's script sends a check-in made without signal here (issue 66).
        || (path.as_str().starts_with("/sesiones/")
            && path.as_str().ends_with("/registro/sin-conexion"))
}

impl<'r> Responder<'r, 'static> for WebError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let WebError(error) = self;
        if matches!(error, AppError::Database(_) | AppError::Internal(_)) {
            tracing::error!(%error, uri = %request.uri(), "request failed");
        }
        // A 503 gets its `Retry-After` from the headers fairing, whatever produced it.
        let status = status_of(&error);
        let mut response = if answers_problem(request) {
            problem_response(status, error.public_detail(), error.field_errors())
        } else {
            let html = super::error_page(
                request,
                status,
                &error.public_detail(),
                error.field_errors(),
            );
            Response::build_from(html.respond_to(request)?)
                .status(status)
                .finalize()
        };
        if let Some(seconds) = error.retry_after() {
            response.set_header(Header::new("Retry-After", seconds.to_string()));
        }
        Ok(response)
    }
}
