//! The one error type. API requests get RFC 9457 `application/problem+json`; people get a
//! Spanish HTML page. Neither ever shows SQL or a stack trace.

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use sea_orm::DbErr;
use serde::Serialize;
use std::io::Cursor;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Row of an uploaded file (1-based, header is row 1), for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Debe iniciar sesión.")]
    Unauthorized,
    #[error("Correo o contraseña incorrectos.")]
    InvalidCredentials,
    #[error("Su rol no permite esta acción.")]
    Forbidden,
    #[error("No encontramos lo que busca.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("El archivo supera el tamaño máximo permitido.")]
    TooLarge,
    #[error("Los datos enviados tienen errores.")]
    Validation(Vec<FieldError>),
    /// Too many attempts; the client may try again after this many seconds (`Retry-After`).
    #[error("Demasiados intentos. Espere {} e intente de nuevo.", wait_text(*.0))]
    Throttled(u64),
    #[error("error de base de datos: {0}")]
    Database(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized | AppError::InvalidCredentials => Status::Unauthorized,
            AppError::Forbidden => Status::Forbidden,
            AppError::NotFound => Status::NotFound,
            AppError::Conflict(_) => Status::Conflict,
            AppError::TooLarge => Status::PayloadTooLarge,
            AppError::Validation(_) => Status::UnprocessableEntity,
            AppError::Throttled(_) => Status::TooManyRequests,
            AppError::Database(_) | AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// Short Spanish title of the problem kind.
    pub fn title(&self) -> &'static str {
        title_for(self.status())
    }

    /// What a person may read: internal details stay in the log.
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Database(_) | AppError::Internal(_) => {
                "Ocurrió un error interno. Ya quedó registrado; intente de nuevo más tarde.".into()
            }
            other => other.to_string(),
        }
    }

    /// Seconds a throttled client must wait, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Throttled(seconds) => Some(*seconds),
            _ => None,
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Validation(errors) => errors,
            _ => &[],
        }
    }
}

/// A wait as people read it: "40 segundos", "1 minuto", "15 minutos".
fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "1 segundo".to_string(),
        2..=59 => format!("{seconds} segundos"),
        60..=119 => "1 minuto".to_string(),
        _ => format!("{} minutos", seconds.div_ceil(60)),
    }
}

pub fn title_for(status: Status) -> &'static str {
    match status.code {
        400 => "Solicitud mal formada",
        401 => "No autenticado",
        403 => "Acceso denegado",
        404 => "No encontrado",
        409 => "Conflicto con el estado actual",
        413 => "Archivo demasiado grande",
        422 => "Datos inválidos",
        429 => "Demasiadas solicitudes",
        _ => "Error interno",
    }
}

#[derive(Serialize)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'a str,
    pub status: u16,
    pub detail: String,
    pub errors: &'a [FieldError],
}

/// The problem+json body for a status, shared by `AppError` and the API's catchers.
pub fn problem_response<'r>(status: Status, detail: String, errors: &[FieldError]) -> Response<'r> {
    let problem = Problem {
        kind: format!("urn:aula-territorial:problema:{}", status.code),
        title: title_for(status),
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

pub fn is_api(request: &Request<'_>) -> bool {
    request.uri().path().as_str().starts_with("/api/")
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        if matches!(self, AppError::Database(_) | AppError::Internal(_)) {
            tracing::error!(error = %self, uri = %request.uri(), "request failed");
        }
        let status = self.status();
        let mut response = if is_api(request) {
            problem_response(status, self.public_detail(), self.field_errors())
        } else {
            let html =
                crate::web::error_page(request, status, &self.public_detail(), self.field_errors());
            Response::build_from(html.respond_to(request)?)
                .status(status)
                .finalize()
        };
        if let Some(seconds) = self.retry_after() {
            response.set_header(Header::new("Retry-After", seconds.to_string()));
        }
        Ok(response)
    }
}

pub type AppResult<T> = Result<T, AppError>;
