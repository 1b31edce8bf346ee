//! The web layer's side of the one error type: [`WebError`], the domain's
//! [`AppError`] on its way to the client. Handlers return [`AppResult`];
//! `?` turns any domain error into a `WebError`, which `web::problem` renders (problem+json for
//! the API, a Spanish page for people).

use domain::error::AppError;

/// A domain [`AppError`] answered to an HTTP client (the `Responder` is in `web::problem`).
#[derive(Debug)]
pub struct WebError(pub AppError);

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        WebError(error)
    }
}

impl From<sea_orm::DbErr> for WebError {
    fn from(error: sea_orm::DbErr) -> Self {
        WebError(AppError::from(error))
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl WebError {
    /// The HTTP status of the error.
    pub fn status(&self) -> rocket::http::Status {
        status_of(&self.0)
    }
}

/// The HTTP status of a domain error.
pub fn status_of(error: &AppError) -> rocket::http::Status {
    rocket::http::Status::new(error.status_code())
}

/// What a handler returns: its value, or the error to answer with.
pub type AppResult<T> = Result<T, WebError>;

/// Back to the domain's error, for web helpers whose results feed domain-typed code.
impl From<WebError> for AppError {
    fn from(error: WebError) -> Self {
        error.0
    }
}

/// The domain's result, for web helpers that look inside the error (a form shown again with
/// its validation messages) before answering.
pub type DomainResult<T> = domain::error::AppResult<T>;
