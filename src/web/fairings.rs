use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use std::time::Instant;

/// One tracing line per request: method, path, status, milliseconds.
pub struct RequestLog;

use super::request::Started;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let started = request.local_cache(|| Started(Instant::now()));
        tracing::info!(
            method = %request.method(),
            path = %request.uri().path(),
            status = response.status().code,
            ms = format_args!("{:.1}", started.0.elapsed().as_secs_f64() * 1000.0),
            "request"
        );
    }
}

/// How many writing requests (anything but `GET` and `HEAD`) one instance works on at once;
/// the rest wait their turn, first come first served, before any of their work starts (their
/// sign-in's lookup included). Issue 50: when 2,000 people press «Inscribirme» in the same
/// second, the wave of their requests no longer stands, in the runtime's queue and the
/// database pool's, in front of a reviewer's page for a third of a second; the database still
/// has more writers ready than it takes at once (PostgreSQL: `db::POSTGRES_WRITERS`; SQLite:
/// a group commit of up to this many).
pub const WRITERS_ADMITTED: usize = 128;

pub use super::request::writes;

/// Admits writing requests [`WRITERS_ADMITTED`] at a time (see there). The permit lives in the
/// request's local cache, so it is handed on when the request's answer has been sent.
pub struct Admission(std::sync::Arc<rocket::tokio::sync::Semaphore>);

impl Default for Admission {
    fn default() -> Self {
        Admission(std::sync::Arc::new(rocket::tokio::sync::Semaphore::new(
            WRITERS_ADMITTED,
        )))
    }
}

/// A writing request's place among the admitted ones.
struct Admitted(
    #[allow(dead_code, reason = "held, not read: dropped with the request")]
    Option<rocket::tokio::sync::OwnedSemaphorePermit>,
);

#[rocket::async_trait]
impl Fairing for Admission {
    fn info(&self) -> Info {
        Info {
            name: "writers admitted",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        if !writes(request) {
            return;
        }
        // The semaphore is never closed: a failure would only admit the request at once.
        let permit = self.0.clone().acquire_owned().await.ok();
        request.local_cache(|| Admitted(permit));
    }
}

/// Compresses text answers (pages, the stylesheet, JSON, SVG, calendars) with gzip when the
/// client accepts it: a 40 KiB page travels as a few KiB on a rural mobile connection. Files
/// that are compressed already (PDF, xlsx, ZIP, PNG) and small answers (< 1 KiB, where the
/// header costs more than it saves) go as they are.
pub struct Compression;

/// Answers smaller than this are sent as they are.
const COMPRESS_FROM: usize = 1024;

fn compressible(content_type: Option<&rocket::http::ContentType>) -> bool {
    content_type.is_some_and(|ct| {
        let (top, sub) = (ct.top().as_str(), ct.sub().as_str());
        top == "text"
            || (top == "application"
                && (sub == "json" || sub.ends_with("+json") || sub == "javascript"))
            || (top == "image" && sub == "svg+xml")
    })
}

/// Whether `Accept-Encoding` allows gzip: named with a non-zero weight, or not named and
/// allowed by `*` (an explicit `gzip;q=0` wins over the wildcard).
fn accepts_gzip(request: &Request<'_>) -> bool {
    let mut wildcard = false;
    for coding in request
        .headers()
        .get("Accept-Encoding")
        .flat_map(|value| value.split(','))
    {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
        if name.eq_ignore_ascii_case("gzip") {
            return !refused;
        }
        if name == "*" {
            wildcard = !refused;
        }
    }
    wildcard
}

#[rocket::async_trait]
impl Fairing for Compression {
    fn info(&self) -> Info {
        Info {
            name: "gzip compression",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        if request.method() == rocket::http::Method::Head
            || response.headers().contains("Content-Encoding")
            || !compressible(response.content_type().as_ref())
        {
            return;
        }
        response.adjoin_header(Header::new("Vary", "Accept-Encoding"));
        if !accepts_gzip(request) {
            return;
        }
        let Ok(body) = response.body_mut().to_bytes().await else {
            return;
        };
        if body.len() < COMPRESS_FROM {
            response.set_sized_body(body.len(), std::io::Cursor::new(body));
            return;
        }
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::new(6),
        );
        match encoder.write_all(&body).and_then(|()| encoder.finish()) {
            Ok(compressed) => {
                response.set_header(Header::new("Content-Encoding", "gzip"));
                response.set_sized_body(compressed.len(), std::io::Cursor::new(compressed));
            }
            Err(_) => response.set_sized_body(body.len(), std::io::Cursor::new(body)),
        }
    }
}

/// Hands an answer whose size is known to the connection in one piece (up to 1 MiB) instead
/// of Rocket's 4 KiB chunks: each chunk is a buffer, a copy and a hand-over between two tasks,
/// so a 1 MB department report went out as 256 of them (issue 36: the offer JSON of Antioquia
/// at 32 clients). Streams of unknown size keep the default. Attached after [`Compression`],
/// which may replace the body.
pub struct WholeBodies;

/// The largest chunk handed over at once.
const WHOLE_UP_TO: usize = 1 << 20;

#[rocket::async_trait]
impl Fairing for WholeBodies {
    fn info(&self) -> Info {
        Info {
            name: "whole bodies",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, response: &mut Response<'r>) {
        if let Some(size) = response.body().preset_size() {
            response.set_max_chunk_size(size.clamp(1, WHOLE_UP_TO));
        }
    }
}

/// The headers every answer gets, in one place: a strict Content-Security-Policy on top of
/// Rocket's Shield (no inline scripts, no third-party origins: pages work without external
/// CDNs on slow rural connections), no `Server` banner, `Cache-Control: no-store` on
/// everything but the static stylesheet (pages and API answers carry personal data, and no
/// shared cache or back button should keep them), HSTS when the public address is https, and
/// `Retry-After` on every 503 (the database was busy), whichever part of the app produced it.
pub struct SecurityHeaders;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
const HSTS: &str = "max-age=31536000; includeSubDomains";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        // A page that posts to another origin (the virtual classroom's launch, issue 65) sets
        // its own policy, as strict but for that one `form-action`.
        if response
            .headers()
            .get_one("Content-Security-Policy")
            .is_none()
        {
            response.set_header(Header::new("Content-Security-Policy", CSP));
        }
        response.set_header(Header::new("Referrer-Policy", "same-origin"));
        response.remove_header("Server");
        if !request.uri().path().starts_with("/static/") {
            response.set_header(Header::new("Cache-Control", "no-store"));
        }
        let https = request
            .rocket()
            .state::<domain::config::AppConfig>()
            .is_some_and(|config| {
                config
                    .public_url
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("https://")
            });
        if https {
            response.set_header(Header::new("Strict-Transport-Security", HSTS));
        }
        crate::web::problem::add_retry_after(response);
    }
}

/// Starts the domain's background loops on liftoff (which Rocket 0.5 also runs for local test
/// clients) and stops them on shutdown: the outbox worker (`mail::deliver_until`), the figures
/// worker (`figures::worker::run_until`, issue 50) and the periodic jobs (`jobs::run_until`, where this instance holds their lease). When a shutdown
/// begins it marks the instance as draining (`/ready` answers 503 while requests in flight
/// finish within Rocket's `shutdown.grace`).
pub struct Background;

#[rocket::async_trait]
impl Fairing for Background {
    fn info(&self) -> Info {
        Info {
            name: "background work (outbox, figures, periodic jobs)",
            kind: Kind::Liftoff | Kind::Shutdown,
        }
    }

    async fn on_liftoff(&self, rocket: &rocket::Rocket<rocket::Orbit>) {
        let (Some(db), Some(config)) = (
            rocket.state::<sea_orm::DatabaseConnection>(),
            rocket.state::<domain::config::AppConfig>(),
        ) else {
            tracing::error!("trabajo de fondo: falta la base de datos o la configuración");
            return;
        };
        rocket::tokio::spawn(domain::mail::deliver_until(
            db.clone(),
            config.clone(),
            rocket.shutdown(),
        ));
        rocket::tokio::spawn(domain::figures::worker::run_until(
            db.clone(),
            std::time::Duration::from_millis(config.figures_delay_ms),
            rocket.shutdown(),
        ));
        let instance = rocket
            .state::<super::ops::Instance>()
            .map_or_else(domain::instances::new_instance_id, |i| i.id.clone());
        // The jobs outlive this borrow of Rocket: they keep their own (cheap) registry.
        match domain::templates::Templates::load() {
            Ok(templates) => {
                rocket::tokio::spawn(domain::jobs::run_until(
                    db.clone(),
                    config.clone(),
                    templates,
                    instance,
                    rocket.shutdown(),
                ));
            }
            Err(error) => tracing::error!(%error, "jobs: templates"),
        }
    }

    async fn on_shutdown(&self, rocket: &rocket::Rocket<rocket::Orbit>) {
        if let Some(instance) = rocket.state::<super::ops::Instance>() {
            instance.drain();
            tracing::info!(
                instance = %instance.id,
                "deteniendo: se terminan las solicitudes en curso"
            );
        }
    }
}
