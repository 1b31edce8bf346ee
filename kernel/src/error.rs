//! The one error type: what went wrong, its HTTP status and what a person may read of it.
//! How it is shown (problem+json for the API, a Spanish page for people) is the web layer's
//! business (`web::problem`); neither ever shows SQL or a stack trace.

use sea_orm::DbErr;
use serde::Serialize;

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Row of an uploaded file (1-based, header is row 1), for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub row: Option<usize>,
    /// The input field (`[n].status` for the n-th item of an array body; for imports, the
    /// column's Spanish header, or `file`).
    #[schema(example = "document_number")]
    pub field: String,
    /// Spanish message for people.
    #[schema(example = "Escriba el número de documento.")]
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

    /// A problem of `field` in row `row` of an uploaded file (rows as the spreadsheet numbers
    /// them).
    pub fn in_row(row: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: Some(row),
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
    /// What was there no longer is, for good (410): a link voided, a file withdrawn.
    #[error("{0}")]
    Gone(String),
    #[error("El archivo supera el tamaño máximo permitido.")]
    TooLarge,
    /// A storage quota reached (issue 62): 413 with the quota named.
    #[error("{0}")]
    OverQuota(String),
    #[error("Los datos enviados tienen errores.")]
    Validation(Vec<FieldError>),
    /// Too many attempts; the client may try again after this many seconds (`Retry-After`).
    #[error("Demasiados intentos. Espere {} e intente de nuevo.", wait_text(*.0))]
    Throttled(u64),
    #[error("El tipo de contenido no es admitido: envíe el cuerpo como application/json.")]
    UnsupportedMediaType,
    /// The database is busy (a lock or the connection pool did not free up in time): the
    /// request may be repeated shortly. Answered 503 with `Retry-After`, never 500.
    #[error("El sistema está ocupado en este momento. Intente de nuevo en unos segundos.")]
    Busy,
    #[error("error de base de datos: {0}")]
    Database(DbErr),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    /// The HTTP status code of this kind of error (the API contract names them); the web
    /// layer answers with it.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Gone(_) => 410,
            AppError::TooLarge | AppError::OverQuota(_) => 413,
            AppError::Validation(_) => 422,
            AppError::Throttled(_) => 429,
            AppError::UnsupportedMediaType => 415,
            AppError::Busy => 503,
            AppError::Database(_) | AppError::Internal(_) => 500,
        }
    }

    /// Short Spanish title of the problem kind.
    pub fn title(&self) -> &'static str {
        title_for(self.status_code())
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
            // A 503 (busy database) gets its `Retry-After` from the headers fairing, whatever
            // produced it (this error or a catcher).
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

/// Seconds a client should wait before repeating a request the busy database refused.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 5;

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        if is_busy(&error) {
            tracing::warn!(%error, "database busy");
            AppError::Busy
        } else {
            AppError::Database(error)
        }
    }
}

/// Whether a database error means "busy, try again": SQLite's `SQLITE_BUSY`/`SQLITE_LOCKED`
/// (after the busy timeout), PostgreSQL's lock timeouts, serialization failures, deadlocks,
/// statement timeouts and connection exhaustion, no free connection in the pool — or the
/// database unreachable for a while (issue 34): no new connection can be opened (the server
/// restarting or refusing connections), or a connection was cut mid-request (terminated by an
/// administrator or a restart, class 08 and `57P0x`). The pool replaces broken connections, so
/// the same request succeeds once the database is back, without restarting the app.
pub fn is_busy(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    if let RuntimeErr::SqlxError(e) = runtime {
        match e.as_ref() {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::WorkerCrashed => return true,
            sqlx::Error::Database(db_error) => {
                if let Some(code) = db_error.code() {
                    if let Ok(number) = code.parse::<i64>() {
                        // SQLite: primary code in the low byte of the extended code.
                        if matches!(number & 0xff, 5 | 6) {
                            return true;
                        }
                    } else if matches!(
                        code.as_ref(),
                        "55P03"
                            | "40001"
                            | "40P01"
                            | "57014"
                            | "53300"
                            | "57P01"
                            | "57P02"
                            | "57P03"
                    ) || code.starts_with("08")
                    {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    let text = runtime.to_string();
    text.contains("database is locked") || text.contains("database table is locked")
}

pub fn title_for(status_code: u16) -> &'static str {
    match status_code {
        400 => "Solicitud mal formada",
        401 => "No autenticado",
        403 => "Acceso denegado",
        404 => "No encontrado",
        409 => "Conflicto con el estado actual",
        410 => "Ya no está disponible",
        413 => "Archivo demasiado grande",
        415 => "Tipo de contenido no admitido",
        422 => "Datos inválidos",
        429 => "Demasiadas solicitudes",
        503 => "Servicio ocupado",
        _ => "Error interno",
    }
}

pub type AppResult<T> = Result<T, AppError>;
