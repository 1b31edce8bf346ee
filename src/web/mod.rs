//! The product's shell: health check, static assets, error pages, and the
//! fairings every request goes through (one log line, security headers).

pub mod backlog;
pub mod client;
pub mod confirm;
pub mod csrf;
mod fairings;
pub mod form;
pub mod import;
pub mod offline;
pub mod ops;
mod page;
pub mod problem;
pub mod request;
pub mod rows;
pub mod sections;

pub use client::ClientAddress;
pub use fairings::{
    Admission, Background, Compression, RequestLog, SecurityHeaders, WholeBodies, writes,
};
pub use ops::{Instance, Metrics, RouteMetrics};
pub use page::{
    Drawer, KEPT_PAGES, KEPT_PER_PAGE, KeptJson, KeptKey, KeptPages, Page, PageKey, PageVersions,
    kept_pages,
};

use crate::error::WebError;
use domain::error::{FieldError, title_for};
use domain::templates::Templates;
use problem::problem_response;
use rocket::http::{ContentType, Status};
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{Catcher, Request, Route, State, catch, catchers, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![health, ops::ready, ops::metrics, stylesheet, launch_script]
}

pub fn catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}

/// An option of a `<select>`: its value, its Spanish label, whether it is the chosen one.
#[derive(Serialize)]
pub struct Choice<'a> {
    pub value: &'a str,
    pub label: &'a str,
    pub selected: bool,
}

impl<'a> Choice<'a> {
    /// The options of `list` (value, label), `selected` chosen.
    pub fn list(list: &[(&'a str, &'a str)], selected: &str) -> Vec<Choice<'a>> {
        list.iter()
            .map(|&(value, label)| Choice {
                value,
                label,
                selected: value == selected,
            })
            .collect()
    }
}

/// An option of a `<select>` naming a row by its id (a capacity, a provider, an indicator, a
/// direction): the one shape every such filter and form draws.
#[derive(Serialize)]
pub struct IdChoice {
    pub id: i32,
    pub name: String,
    pub selected: bool,
}

/// An option of a `<select>` (or a radio) whose value and label are computed: from rows of
/// the database or from a value set.
#[derive(Serialize)]
pub struct OwnedChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl OwnedChoice {
    /// The co-provider checkboxes of the cohort and assistance forms (issue 49): every active
    /// provider but the lead (when known), and those already chosen, ticked.
    pub async fn co_providers(
        db: &DatabaseConnection,
        lead: Option<i32>,
        chosen: &[i32],
    ) -> domain::error::AppResult<Vec<OwnedChoice>> {
        Ok(domain::providers::list(db)
            .await?
            .into_iter()
            .filter(|p| (p.active || chosen.contains(&p.id)) && Some(p.id) != lead)
            .map(|p| OwnedChoice {
                selected: chosen.contains(&p.id),
                value: p.id.to_string(),
                label: p.name,
            })
            .collect())
    }

    /// One option per `(id, name)` row, `selected` chosen.
    pub fn of_rows(rows: Vec<(i32, String)>, selected: Option<i32>) -> Vec<OwnedChoice> {
        rows.into_iter()
            .map(|(id, name)| OwnedChoice {
                selected: Some(id) == selected,
                value: id.to_string(),
                label: name,
            })
            .collect()
    }
}

/// The capacities for a select, by name.
pub async fn capacity_choices(
    db: &sea_orm::DatabaseConnection,
    selected: Option<i32>,
) -> crate::error::DomainResult<Vec<OwnedChoice>> {
    let rows = domain::capacities::names(db).await?;
    Ok(OwnedChoice::of_rows(rows, selected))
}

/// A cohort named in a page's heading and links.
#[derive(Serialize)]
pub struct CohortRef<'a> {
    pub id: i32,
    pub name: &'a str,
}

impl<'a> CohortRef<'a> {
    pub fn of(cohort: &'a domain::entities::cohort::Model) -> Self {
        CohortRef {
            id: cohort.id,
            name: &cohort.name,
        }
    }
}

/// A department in a `<select>`.
#[derive(Serialize)]
pub struct DepartmentChoice<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub selected: bool,
}

impl<'a> DepartmentChoice<'a> {
    /// Every department of `departments`, the one coded `selected` chosen.
    pub fn list(
        departments: &'a [domain::entities::department::Model],
        selected: Option<&str>,
    ) -> Vec<Self> {
        departments
            .iter()
            .map(|d| DepartmentChoice {
                code: &d.code,
                name: &d.name,
                selected: Some(d.code.as_str()) == selected,
            })
            .collect()
    }
}

/// What the error page reads besides the layout.
#[derive(Serialize)]
struct ErrorView<'a> {
    status: u16,
    detail: &'a str,
    errors: &'a [FieldError],
}

/// What every page handler returns: its answer (a page, a redirect, a file), or the [`Failure`]
/// that answers instead.
pub type PageResult<T = RawHtml<String>> = Result<T, Failure>;

/// Why a page handler answers something else than what was asked: a domain error, rendered by
/// `WebError`'s responder as the Spanish error page with the signed-in person's menu, or a page
/// already drawn for the error (the form again with its messages, 422), with the headers the
/// error calls for (`Retry-After` when the client is throttled). `?` turns any domain or web
/// error into one.
pub enum Failure {
    Error(WebError),
    Shown {
        status: Status,
        html: RawHtml<String>,
        retry_after: Option<u64>,
    },
}

impl Failure {
    /// `html` shown for `error` (its status and `Retry-After`).
    pub fn showing(error: &domain::error::AppError, html: RawHtml<String>) -> Self {
        Failure::Shown {
            status: crate::error::status_of(error),
            html,
            retry_after: error.retry_after(),
        }
    }

    /// A page answered with `status`: itself on 200, a `Failure` carrying it otherwise (an
    /// upload's preview with its refused rows, 422).
    pub fn unless_ok(status: Status, html: RawHtml<String>) -> PageResult {
        if status == Status::Ok {
            Ok(html)
        } else {
            Err(Failure::from((status, html)))
        }
    }

    /// The form drawn again for invalid input: 422 with the page, or the error that kept it
    /// from being drawn.
    pub fn form_again<E: Into<Failure>>(rendered: Result<RawHtml<String>, E>) -> Self {
        match rendered {
            Ok(html) => Failure::Shown {
                status: Status::UnprocessableEntity,
                html,
                retry_after: None,
            },
            Err(failure) => failure.into(),
        }
    }
}

impl From<domain::error::AppError> for Failure {
    fn from(error: domain::error::AppError) -> Self {
        Failure::Error(WebError(error))
    }
}

impl From<WebError> for Failure {
    fn from(error: WebError) -> Self {
        Failure::Error(error)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(error: sea_orm::DbErr) -> Self {
        Failure::from(domain::error::AppError::from(error))
    }
}

impl From<(Status, RawHtml<String>)> for Failure {
    fn from((status, html): (Status, RawHtml<String>)) -> Self {
        Failure::Shown {
            status,
            html,
            retry_after: None,
        }
    }
}

impl<'r> rocket::response::Responder<'r, 'static> for Failure {
    fn respond_to(self, request: &'r Request<'_>) -> rocket::response::Result<'static> {
        let (status, html, retry_after) = match self {
            Failure::Error(error) => return error.respond_to(request),
            Failure::Shown {
                status,
                html,
                retry_after,
            } => (status, html, retry_after),
        };
        let mut response = rocket::response::Response::build_from(html.respond_to(request)?)
            .status(status)
            .finalize();
        if let Some(seconds) = retry_after {
            response.set_header(rocket::http::Header::new(
                "Retry-After",
                seconds.to_string(),
            ));
        }
        Ok(response)
    }
}

/// The pagination links of a list page (the `pager` partial reads them as `pager`).
#[derive(Serialize)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `page` of `total` items, `per_page` a page, linking to `path?query`.
    pub fn new(path: &str, query: &str, page: u64, per_page: u64, total: u64) -> Self {
        let pages = total.div_ceil(per_page).max(1);
        let link = |n: u64| format!("{path}?{query}&pagina={n}");
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// What the health check answers.
#[derive(Serialize, utoipa::ToSchema)]
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
async fn health(db: &State<DatabaseConnection>) -> (Status, Json<Health>) {
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

/// The one script of the product: it submits the virtual classroom's launch form (issue 65),
/// which also has its own button for browsers without scripts.
#[get("/static/lti-launch.js")]
fn launch_script() -> (ContentType, &'static str) {
    (
        ContentType::JavaScript,
        include_str!("../../templates/static/lti-launch.js"),
    )
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
    let title = title_for(status.code);
    let view = ErrorView {
        status: status.code,
        detail,
        errors,
    };
    // The menu of whoever is signed in (never «Ingresar / Registrarse» to them).
    let user = crate::accounts::guards::known_user(request);
    let token = if user.is_some() {
        csrf::token(request)
    } else {
        String::new()
    };
    let rendered = request.rocket().state::<Templates>().and_then(|templates| {
        page::render(
            templates,
            "error",
            page::Layout::new(user.as_ref(), &token, title, None),
            view,
        )
        .ok()
    });
    RawHtml(rendered.unwrap_or_else(|| format!("<h1>{}</h1>", title_for(status.code))))
}

#[catch(default)]
async fn default_catcher(status: Status, request: &Request<'_>) -> Caught {
    // A page that no route answered ran no guard: look up who is signed in for the menu.
    if !problem::answers_problem(request) {
        crate::accounts::guards::establish(request).await;
    }
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
        if problem::answers_problem(request) {
            return Ok(problem_response(status, detail.to_string(), errors));
        }
        // People who are not signed in go to the sign-in page and come back afterwards.
        if status == Status::Unauthorized {
            let next = domain::text::urlencode(&request.uri().to_string());
            return rocket::response::Redirect::to(format!("/ingresar?siguiente={next}"))
                .respond_to(request);
        }
        let html = error_page(request, status, detail, errors);
        rocket::response::Response::build_from(html.respond_to(request)?)
            .status(status)
            .ok()
    }
}
