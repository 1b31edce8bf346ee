//! Aula Territorial: ESAP's training-management system for Colombia's territorial public
//! servants — the web app. The rules live in the `domain` crate below it; each area here holds
//! only its JSON routes (`api.rs`) and pages (`pages.rs`), and every handler file imports the
//! domain area it calls by name (`use domain::cohorts::...`): nothing is re-exported, so a path
//! says whether it is a rule (`domain::`) or a handler (`crate::`). The binary (`src/main.rs`)
//! and the tests build the app through [`build`].

pub mod accounts;
pub mod alliances;
pub mod api;
pub mod assessment;
pub mod assistance;
pub mod attendance;
pub mod capacities;
pub mod catalogue;
pub mod certificates;
pub mod cohorts;
pub mod config;
pub mod costs;
pub mod credentials;
pub mod demand;
pub mod descriptors;
pub mod enrolment;
pub mod error;
pub mod habeas;
pub mod handover;
pub mod home;
pub mod indicators;
pub mod knowledge;
pub mod mail;
pub mod nominations;
pub mod offer;
pub mod offer_import;
pub mod open_data;
pub mod openapi;
pub mod parse;
pub mod people;
pub mod plans;
pub mod positions;
pub mod programmes;
pub mod providers;
pub mod reports;
pub mod self_assessment;
pub mod site;
pub mod spreadsheets;
pub mod surveys;
pub mod territory;
pub mod trainers;
pub mod virtual_classroom;
pub mod web;

use domain::config::AppConfig;
use error::AppResult;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{Build, Rocket};

/// The whole application, as `serve` runs it and the tests drive it.
pub async fn build(figment: Figment) -> AppResult<Rocket<Build>> {
    // The client address comes from `web::ClientAddress` (the socket, or a trusted proxy's
    // header); Rocket's own `ip_header` would believe any client's `X-Real-IP`.
    let figment = figment.merge(("ip_header", false));
    let config = AppConfig::from_figment(&figment)?;
    // Migrations, reference (and demo) data and the credentials key, one instance at a time.
    let db = domain::prepare_database(&config).await?;
    // Private cookies (sessions, CSRF) must open on every instance: without a configured
    // `secret_key`, the one kept in the database (instead of Rocket's per-process random one).
    // (Rocket's defaults hold an all-zero key; a value that does not parse is Rocket's to
    // report.)
    let configured = figment
        .extract_inner::<rocket::config::SecretKey>("secret_key")
        .map_or(true, |key| !key.is_zero());
    let figment = if configured {
        figment
    } else {
        let secret = domain::instances::cookie_secret(&db).await?;
        figment.merge(("secret_key", secret))
    };
    let templates = domain::templates::Templates::load()?.for_entity(&config.entity);
    let dashboards = domain::reports::dashboard::Dashboards::new(config.dashboard_cache_seconds);
    let issuer = domain::credentials::keys::Issuer::from_database(
        &db,
        &config.public_url,
        &config.credentials_previous_keys,
    )
    .await?;
    let instance = web::Instance::new(domain::instances::new_instance_id());
    // Kept pages and rankings also live on the database's shelf: the first visits after a
    // start, and the other instances, find them there (issue 36).
    let kept_pages = web::kept_pages(
        config.dashboard_cache_seconds,
        std::time::Duration::from_millis(config.kept_grace_ms),
        std::sync::Arc::new(domain::cache::DbShelf::new(db.clone(), "page")),
    );
    let rankings =
        domain::indicators::priorities::Cache::new(&db, config.priority_assistance_weight);
    let satisfaction =
        domain::surveys::reports::Cache::new(&db, domain::surveys::reports::KEEP_SECONDS);
    let warnings = domain::cohorts::overlap::KeptWarnings::new(
        config.dashboard_cache_seconds,
        web::KEPT_PAGES,
    );
    let rocket = rocket::custom(figment)
        .manage(db)
        .manage(dashboards)
        .manage(domain::plans::progress::KeptBehind::new(
            config.dashboard_cache_seconds,
        ))
        .manage(kept_pages)
        .manage(rankings)
        .manage(warnings)
        .manage(satisfaction)
        .manage(issuer)
        .manage(templates)
        .manage(config)
        .manage(instance)
        .manage(web::RouteMetrics::default())
        .manage(home::warm::Warmed::default())
        .attach(Shield::default())
        .attach(web::SecurityHeaders)
        .attach(web::RequestLog)
        .attach(web::Admission::default())
        .attach(web::Metrics)
        .attach(web::Compression)
        .attach(web::WholeBodies)
        .attach(web::Background)
        .attach(home::warm::Warming)
        .attach(AdHoc::on_liftoff("listening", |rocket| {
            Box::pin(listening(rocket))
        }))
        .register("/", web::catchers());
    Ok(mount_areas(rocket))
}

/// Said once the app listens: the address, and a warning when `public_url` points elsewhere.
async fn listening(rocket: &Rocket<rocket::Orbit>) {
    let config = rocket.config();
    web::backlog::widen(config.port);
    tracing::info!(
        instance = rocket
            .state::<web::Instance>()
            .map_or("", |i| i.id.as_str()),
        "Aula Territorial escuchando en http://{}:{}",
        config.address,
        config.port
    );
    if let Some(app) = rocket.state::<AppConfig>()
        && let Some(warning) = domain::config::public_url_mismatch(
            &app.public_url,
            &config.address.to_string(),
            config.port,
        )
    {
        tracing::warn!("{warning}");
    }
}

/// Every area's pages and API routes, mounted (`/` and `/api/v1`).
fn mount_areas(rocket: Rocket<Build>) -> Rocket<Build> {
    rocket
        .mount("/", web::routes())
        .mount("/", web::offline::routes())
        .mount("/", home::pages::routes())
        .mount("/", accounts::pages::routes())
        .mount("/", people::pages::routes())
        .mount("/", people::name_changes::routes())
        .mount("/", habeas::pages::routes())
        .mount("/", positions::pages::routes())
        .mount("/", catalogue::pages::routes())
        .mount("/", cohorts::pages::routes())
        .mount("/", cohorts::public::routes())
        .mount("/", programmes::pages::routes())
        .mount("/", virtual_classroom::pages::routes())
        .mount("/", virtual_classroom::admin::routes())
        .mount("/", virtual_classroom::platform::routes())
        .mount("/", enrolment::pages::routes())
        .mount("/", attendance::pages::routes())
        .mount("/", assessment::pages::routes())
        .mount("/", certificates::pages::routes())
        .mount("/", reports::pages::routes())
        .mount("/", indicators::pages::routes())
        .mount("/", handover::pages::routes())
        .mount("/", self_assessment::pages::routes())
        .mount("/", demand::pages::routes())
        .mount("/", territory::pages::routes())
        .mount("/", providers::pages::routes())
        .mount("/", offer::pages::routes())
        .mount("/", assistance::pages::routes())
        .mount("/", alliances::pages::routes())
        .mount("/", trainers::pages::routes())
        .mount("/", nominations::pages::routes())
        .mount("/", plans::pages::routes())
        .mount("/", costs::pages::routes())
        .mount("/", costs::screens::routes())
        .mount("/", offer_import::pages::routes())
        .mount("/", surveys::pages::routes())
        .mount("/", credentials::pages::routes())
        .mount("/", credentials::api::root_routes())
        .mount("/", open_data::pages::routes())
        .mount("/", site::pages::routes())
        .mount("/", descriptors::pages::routes())
        .mount("/", knowledge::pages::routes())
        .mount("/", programmes::reports::page_routes())
        .mount("/", open_data::api::routes())
        .mount("/api/v1", accounts::api::routes())
        .mount("/api/v1", people::api::routes())
        .mount("/api/v1", habeas::api::routes())
        .mount("/api/v1", positions::api::routes())
        .mount("/api/v1", territory::api::routes())
        .mount("/api/v1", providers::api::routes())
        .mount("/api/v1", offer::api::routes())
        .mount("/api/v1", assistance::api::routes())
        .mount("/api/v1", alliances::api::routes())
        .mount("/api/v1", trainers::api::routes())
        .mount("/api/v1", nominations::api::routes())
        .mount("/api/v1", plans::api::routes())
        .mount("/api/v1", costs::api::routes())
        .mount("/api/v1", offer_import::api::routes())
        .mount("/api/v1", capacities::api::routes())
        .mount("/api/v1", self_assessment::api::routes())
        .mount("/api/v1", descriptors::api::routes())
        .mount("/api/v1", knowledge::api::routes())
        .mount("/api/v1", catalogue::api::routes())
        .mount("/api/v1", programmes::api::routes())
        .mount("/api/v1", virtual_classroom::api::routes())
        .mount("/api/v1", programmes::certificates::routes())
        .mount("/api/v1", programmes::reports::routes())
        .mount("/api/v1", cohorts::api::routes())
        .mount("/api/v1", demand::api::routes())
        .mount("/api/v1", enrolment::api::routes())
        .mount("/api/v1", attendance::api::routes())
        .mount("/api/v1", assessment::api::routes())
        .mount("/api/v1", certificates::api::routes())
        .mount("/api/v1", reports::api::routes())
        .mount("/api/v1", indicators::api::routes())
        .mount("/api/v1", handover::api::routes())
        .mount("/api/v1", surveys::api::routes())
        .mount("/api/v1", credentials::api::routes())
        .mount("/api/v1", openapi::routes())
}
