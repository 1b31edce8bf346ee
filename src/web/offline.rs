//! Offline-first where it matters (issue 66): the web app manifest, the service worker, the
//! product's scripts and stylesheet under content-hashed names (`/static/app.3f2a….css`,
//! cached a year: `immutable`), the page shown when a page was never kept, and the list of the
//! pages the worker keeps for the signed-in person.
//!
//! What is kept is decided here, never by the worker: for an instructor, the attendance sheets
//! of the sessions of her cohorts from today to [`SHEET_DAYS`] days ahead (drawn as an offline
//! copy: names and municipality, never documents) and her home; for a participant, her home,
//! «Mi progreso», «Mi programa», «Mis certificados», her cohorts' pages and her certificates'
//! PDFs; for anyone else nothing. Everything kept is dropped at sign-out (the worker sees the
//! sign-out and the answer carries `Clear-Site-Data`), and when another person signs in on the
//! same browser.

use crate::accounts::guards::MaybeUser;
use crate::error::AppResult;
use domain::entities::values::{CohortStatus, EnrolmentStatus, Role};
use domain::entities::{cohort, cohort_instructor, cohort_session, enrolment, participant};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use std::sync::LazyLock;

pub fn routes() -> Vec<Route> {
    routes![
        asset_route,
        manifest,
        service_worker,
        offline_page,
        kept_pages
    ]
}

/// How many days ahead (besides today) an instructor's sheets are kept on her phone.
pub const SHEET_DAYS: i64 = 3;

/// The header the worker sends when it fetches a page to keep: the page is drawn as its offline
/// copy (the attendance sheet without documents).
pub const COPY_HEADER: &str = "X-Aula-Copia";

/// One static file: its name as written in `templates/static/`, its hashed name, its type.
pub struct Asset {
    pub name: &'static str,
    pub hashed: String,
    pub content_type: ContentType,
    pub bytes: Vec<u8>,
}

/// The product's static files under their content-hashed names; the layout reads `assets.css`,
/// `assets.js` and `assets.queue` (their URLs).
#[derive(Serialize)]
pub struct Assets {
    pub css: String,
    pub js: String,
    pub queue: String,
    pub icon: String,
    #[serde(skip)]
    files: Vec<Asset>,
}

/// FNV-1a (64 bits) of `bytes` in hex, the first 12 digits: a name that changes with the
/// content (not a security hash; nothing trusts it).
fn content_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")[..12].to_string()
}

fn static_file(name: &'static str, content_type: ContentType, bytes: Vec<u8>) -> Asset {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    Asset {
        name,
        hashed: format!("{stem}.{}.{ext}", content_hash(&bytes)),
        content_type,
        bytes,
    }
}

/// Computed once, at the first page.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let files = vec![
        static_file(
            "app.css",
            ContentType::CSS,
            include_bytes!("../../templates/static/app.css").to_vec(),
        ),
        // The page's one script: the queue's code (also the worker's) and the page's own.
        static_file(
            "aula.js",
            ContentType::JavaScript,
            [
                include_bytes!("../../templates/static/cola.js").as_slice(),
                include_bytes!("../../templates/static/aula.js").as_slice(),
            ]
            .concat(),
        ),
        static_file(
            "cola.js",
            ContentType::JavaScript,
            include_bytes!("../../templates/static/cola.js").to_vec(),
        ),
        static_file(
            "icono.svg",
            ContentType::SVG,
            include_bytes!("../../templates/static/icono.svg").to_vec(),
        ),
    ];
    let url = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| format!("/static/{}", f.hashed))
            .unwrap_or_default()
    };
    Assets {
        css: url("app.css"),
        js: url("aula.js"),
        queue: url("cola.js"),
        icon: url("icono.svg"),
        files,
    }
});

/// A static file under its hashed name, cached for a year by browsers and proxies.
#[derive(rocket::Responder)]
struct Immutable {
    body: &'static [u8],
    content_type: ContentType,
    cache: Header<'static>,
}

#[get("/static/<name>", rank = 5)]
fn asset_route(name: &str) -> Option<Immutable> {
    ASSETS
        .files
        .iter()
        .find(|f| f.hashed == name)
        .map(|f| Immutable {
            body: &f.bytes,
            content_type: f.content_type.clone(),
            cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
        })
}

/// The web app manifest (fields in the order of their names, as always served).
#[derive(Serialize)]
struct Manifest {
    background_color: &'static str,
    description: &'static str,
    display: &'static str,
    icons: [Icon; 1],
    lang: &'static str,
    name: &'static str,
    scope: &'static str,
    short_name: &'static str,
    start_url: &'static str,
    theme_color: &'static str,
}

/// The manifest's icon.
#[derive(Serialize)]
struct Icon {
    purpose: &'static str,
    sizes: &'static str,
    src: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The web app manifest: installable, opening on the home page.
#[get("/manifest.webmanifest")]
fn manifest() -> (ContentType, String) {
    let body = Manifest {
        background_color: "#f7f8f5",
        description: "Formación para la gestión pública territorial: cohortes, asistencia, progreso y certificados.",
        display: "standalone",
        icons: [Icon {
            purpose: "any",
            sizes: "any",
            src: &ASSETS.icon,
            kind: "image/svg+xml",
        }],
        lang: "es-CO",
        name: "Aula Territorial · ESAP",
        scope: "/",
        short_name: "Aula Territorial",
        start_url: "/",
        theme_color: "#0b5d3b",
    };
    (
        ContentType::new("application", "manifest+json"),
        serde_json::to_string(&body).unwrap_or_default(),
    )
}

/// The service worker's source with this build's file names and version written in.
static WORKER: LazyLock<String> = LazyLock::new(|| {
    let shell: Vec<String> = vec![
        ASSETS.css.clone(),
        ASSETS.js.clone(),
        ASSETS.queue.clone(),
        ASSETS.icon.clone(),
        "/sin-conexion".to_string(),
    ];
    let version = content_hash(shell.join(" ").as_bytes());
    include_str!("../../templates/static/sw.js")
        .replace(
            "\"__SHELL__\"",
            &serde_json::to_string(&shell).unwrap_or_default(),
        )
        .replace("__VERSION__", &version)
        .replace("__QUEUE__", &ASSETS.queue)
        .replace("__COPY_HEADER__", COPY_HEADER)
});

/// The worker itself (scope `/`; the fairing's `no-store` lets a new version in at once).
#[derive(rocket::Responder)]
struct WorkerScript {
    body: &'static str,
    content_type: ContentType,
    allowed: Header<'static>,
}

#[get("/sw.js")]
fn service_worker() -> WorkerScript {
    WorkerScript {
        body: WORKER.as_str(),
        content_type: ContentType::JavaScript,
        allowed: Header::new("Service-Worker-Allowed", "/"),
    }
}

/// What the worker shows for a page it never kept while there is no connection: static (no
/// person's data), kept with the stylesheet.
static OFFLINE_PAGE: LazyLock<String> = LazyLock::new(|| {
    include_str!("../../templates/static/sin-conexion.html").replace("__CSS__", &ASSETS.css)
});

/// The offline page with the GOV.CO top bar and the institutional footer every page has
/// (issue 67), the entity as the settings name it.
#[get("/sin-conexion")]
fn offline_page(
    templates: &State<domain::templates::Templates>,
) -> AppResult<(ContentType, String)> {
    /// What the bar and the footer read: the entity.
    #[derive(Serialize)]
    struct Site<'a> {
        site: &'a serde_json::Value,
    }
    let site = Site {
        site: templates.site(),
    };
    let bar = templates.render("govco_bar", &site)?;
    let footer = templates.render("site_footer", &site)?;
    let page = OFFLINE_PAGE
        .replacen("__GOVCO__", bar.trim_end(), 1)
        .replacen("__FOOTER__", footer.trim_end(), 1);
    Ok((ContentType::HTML, page))
}

/// The pages the worker keeps for whoever asks: `owner` (the user id; null when nobody is
/// signed in, and then `pages` is empty).
#[derive(Serialize)]
struct KeptList {
    owner: Option<i32>,
    pages: Vec<String>,
}

#[get("/sin-conexion/paginas")]
async fn kept_pages(db: &State<DatabaseConnection>, user: MaybeUser) -> AppResult<Json<KeptList>> {
    let Some(user) = user.0 else {
        return Ok(Json(KeptList {
            owner: None,
            pages: Vec::new(),
        }));
    };
    let pages = match user.role {
        Role::Instructor => instructor_pages(db.inner(), user.id).await?,
        Role::Participant => participant_pages(db.inner(), user.id).await?,
        _ => Vec::new(),
    };
    Ok(Json(KeptList {
        owner: Some(user.id),
        pages,
    }))
}

/// Her home and the sheets of her cohorts' sessions from today to [`SHEET_DAYS`] days ahead
/// (cohorts still open to marks).
async fn instructor_pages(db: &DatabaseConnection, user_id: i32) -> AppResult<Vec<String>> {
    let today = domain::time::today();
    let sessions = cohort_session::Entity::find()
        .filter(
            cohort_session::Column::CohortId.in_subquery(
                Query::select()
                    .column(cohort_instructor::Column::CohortId)
                    .from(cohort_instructor::Entity)
                    .and_where(cohort_instructor::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        )
        .filter(cohort_session::Column::StartsAt.gte(domain::time::from_local(today, 0, 0)))
        .filter(
            cohort_session::Column::StartsAt.lt(domain::time::from_local(
                today + chrono::Duration::days(SHEET_DAYS + 1),
                0,
                0,
            )),
        )
        .find_also_related(cohort::Entity)
        .all(db)
        .await?;
    let mut pages = vec!["/".to_string()];
    pages.extend(
        sessions
            .into_iter()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| !c.status.is_final()))
            .map(|(s, _)| domain::attendance::sheet_path(s.id)),
    );
    Ok(pages)
}

/// Her own pages, her cohorts' pages and her certificates' PDFs.
async fn participant_pages(db: &DatabaseConnection, user_id: i32) -> AppResult<Vec<String>> {
    let mut pages: Vec<String> = ["/", "/mi-progreso", "/mi-programa", "/mis-certificados"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(pages);
    };
    let mut cohorts: Vec<i32> = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Waitlisted,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]))
        .find_also_related(cohort::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, c)| {
            c.as_ref()
                .is_some_and(|c| c.status != CohortStatus::Cancelled)
        })
        .map(|(e, _)| e.cohort_id)
        .collect();
    cohorts.sort_unstable();
    cohorts.dedup();
    pages.extend(cohorts.into_iter().map(|id| format!("/cohortes/{id}")));
    pages.extend(
        domain::certificates::issue::of_participant(db, person.id)
            .await?
            .into_iter()
            .map(|c| format!("/certificados/{}.pdf", c.code)),
    );
    Ok(pages)
}

/// Whether this request is the worker fetching a page to keep (see [`COPY_HEADER`]).
pub struct OfflineCopy(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OfflineCopy {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        request::Outcome::Success(OfflineCopy(
            request.headers().get_one(COPY_HEADER) == Some("1"),
        ))
    }
}

/// An answer that also tells the browser to drop what this site kept (caches and storage:
/// the worker's copies and the queue of marks), as the sign-out does.
pub struct ClearSiteData<R>(pub R);

impl<'r, 'o: 'r, R: rocket::response::Responder<'r, 'o>> rocket::response::Responder<'r, 'o>
    for ClearSiteData<R>
{
    fn respond_to(self, request: &'r Request<'_>) -> rocket::response::Result<'o> {
        let mut response = self.0.respond_to(request)?;
        if response.status() != Status::Forbidden {
            response.set_header(Header::new("Clear-Site-Data", "\"cache\", \"storage\""));
        }
        Ok(response)
    }
}
