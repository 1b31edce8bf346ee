//! The responses many operations share: the problem+json answer of each error status (as
//! `web::problem` renders it) and an Excel download. Operations name the ones that depend on
//! what they do (403, 404, 409, 429…); [`super::Conventions`] adds the ones every operation
//! of a kind has.

use domain::error::{BUSY_RETRY_AFTER_SECONDS, title_for};
use serde_json::json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{ToResponse, ToSchema};

/// A problem+json response, with an example of its body.
fn problem(description: &str, example: serde_json::Value) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(
                    crate::web::problem::Problem::name(),
                )))
                .example(Some(example))
                .build(),
        )
        .build()
}

/// The body `web::problem` writes for `status` with this detail and no field errors.
fn problem_body(status: u16, detail: &str) -> serde_json::Value {
    let title = title_for(status);
    json!({
        "type": format!("urn:aula-territorial:problema:{status}"),
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [],
    })
}

/// A file's bytes.
pub fn binary() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
}

fn retry_after(description: &str, minimum: u32) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(minimum)),
        )
        .description(Some(description))
        .build()
}

/// Declares one unit type per shared response, implementing [`ToResponse`], and the list of
/// them all for the description's `components.responses`.
macro_rules! shared_responses {
    ($($(#[$doc:meta])* $name:ident => $build:expr;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'s> ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (stringify!($name), RefOr::T($build))
                }
            }
        )+

        /// Every shared response, by name.
        pub fn all() -> Vec<(&'static str, RefOr<Response>)> {
            vec![$(<$name as ToResponse>::response()),+]
        }
    };
}

shared_responses! {
    /// 400.
    BadRequest => problem(
        "Malformed JSON body.",
        problem_body(400, "El cuerpo no es JSON válido (línea 1, columna 12)."),
    );
    /// 401.
    Unauthorized => problem(
        "Missing, bad, expired or revoked bearer token; or wrong credentials at sign-in.",
        problem_body(401, "Debe iniciar sesión."),
    );
    /// 403.
    Forbidden => problem(
        "Signed in, but the caller's role may not do this.",
        problem_body(403, "Su rol no permite esta acción."),
    );
    /// 404.
    NotFound => problem(
        "Unknown, or outside the caller's scope (never 403 for that).",
        problem_body(404, "No encontramos lo que busca."),
    );
    /// 409.
    Conflict => problem(
        "The current state forbids it.",
        problem_body(
            409,
            "Una cohorte en estado «Cerrada» no puede pasar a «Inscripciones abiertas».",
        ),
    );
    /// 410.
    Gone => problem(
        "It was there and no longer is, for good: a link voided (a work plan changed, or the \
         entity's contact changed, after it was sent); a resource of the knowledge bank its \
         provider deleted.",
        problem_body(
            410,
            "Este enlace ya no es válido: el plan de trabajo cambió después de enviarlo.",
        ),
    );
    /// 413.
    PayloadTooLarge => problem(
        "Upload or body too large (spreadsheets above 5 MiB; the knowledge bank's files above \
         10 MiB, or beyond the provider's storage quota, named in `detail`; JSON above the \
         `json` limit, 1 MiB).",
        problem_body(413, "El archivo supera el tamaño máximo permitido."),
    );
    /// 415.
    UnsupportedMediaType => problem(
        "The operation takes a JSON body and the request did not say `Content-Type: \
         application/json` (or `…+json`); for the file uploads, the body is not \
         `multipart/form-data`. Nothing is read or written.",
        problem_body(
            415,
            "Envíe el cuerpo como JSON, con el encabezado Content-Type: application/json.",
        ),
    );
    /// 422.
    ValidationFailed => problem(
        "Validation failed; `errors` lists every problem found (with `row` for imports). Also \
         a well-formed JSON body with wrong value types or an unknown enum value, and a query \
         parameter out of its rules.",
        json!({
            "type": "urn:aula-territorial:problema:422",
            "title": title_for(422),
            "status": 422,
            "detail": "Los datos enviados tienen errores.",
            "errors": [
                {
                    "field": "municipality_code",
                    "message": "No existe un municipio con código DANE «18999».",
                },
                {
                    "row": 3,
                    "field": "Número de documento",
                    "message": "La cédula de ciudadanía debe tener entre 3 y 10 dígitos, sin letras.",
                },
            ],
        }),
    );
    /// 429.
    TooManyRequests => {
        let mut response = problem(
            "Throttled (repeated failed sign-ins, registrations, wrong check-in codes, or \
             unknown certificate codes). `Retry-After` says how many seconds to wait.",
            problem_body(
                429,
                "Demasiados intentos. Espere 30 segundos e intente de nuevo.",
            ),
        );
        response.headers.insert(
            "Retry-After".into(),
            retry_after("Seconds to wait before trying again.", 1),
        );
        response
    };
    /// 503.
    ServiceUnavailable => {
        let mut response = problem(
            "The database stayed locked longer than the app waits (`database_busy_seconds`, \
             15 s by default: SQLite's busy timeout, PostgreSQL's `lock_timeout`), or no \
             connection was free. Nothing was written; repeat the request after `Retry-After` \
             seconds. Never a 500.",
            problem_body(
                503,
                "El sistema está ocupado en este momento. Intente de nuevo en unos segundos.",
            ),
        );
        response.headers.insert(
            "Retry-After".into(),
            retry_after("Seconds to wait before repeating the request.", BUSY_RETRY_AFTER_SECONDS),
        );
        response
    };
    /// 500: a bug; the details stay in the server log.
    InternalError => problem(
        "Internal error; the details stay in the server log.",
        problem_body(
            500,
            "Ocurrió un error interno. Ya quedó registrado; intente de nuevo más tarde.",
        ),
    );
    /// An Excel download.
    Workbook => ResponseBuilder::new()
        .description(
            "An Excel workbook, as an attachment (`Content-Disposition` with an ASCII file \
             name and the RFC 6266 `filename*` for accents; `Cache-Control: no-store`, it \
             holds personal data).",
        )
        .content(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ContentBuilder::new().schema(Some(binary())).build(),
        )
        .build();
}
