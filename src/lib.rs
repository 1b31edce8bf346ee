//! Aula Territorial: ESAP's training-management system for Colombia's territorial public
//! servants — the web app. The rules live in the `domain` crate below it; each area here adds
//! its JSON routes (`api.rs`) and pages (`pages.rs`) beside the domain's rules, which it
//! re-exports under the same path (`aula_territorial::cohorts::lock` is `domain::cohorts::lock`).
//! The binary (`src/main.rs`) and the tests build the app through [`build`].

pub use domain::prepare_database;
pub use domain::{
    audit, blocking, calendar, cohort_flow, db, demo, entities, figures, format, home, jobs,
    network, paging, reference_data, results, strict_json, synthetic, templates, text, time,
    validate, workspace,
};

pub mod accounts {
    pub use domain::accounts::*;
    pub mod api;
    pub mod guards;
    pub mod pages;
}
pub mod api;
pub mod assessment {
    pub use domain::assessment::*;
    pub mod api;
    pub mod pages;
}
pub mod attendance {
    pub use domain::attendance::*;
    pub mod api;
    pub mod pages;
}
pub mod capacities {
    pub use domain::capacities::*;
    pub mod api;
}
pub mod catalogue {
    pub use domain::catalogue::*;
    pub mod api;
    pub mod pages;
}
pub mod certificates {
    pub use domain::certificates::*;
    pub mod api;
    pub mod pages;
}
pub mod cohorts {
    pub use domain::cohorts::*;
    pub mod api;
    pub mod pages;
    pub mod public;
}
pub mod config {
    pub use domain::config::*;

    /// The figment `cargo run` uses: `Rocket.toml` for the active profile plus `ROCKET_*`.
    pub fn figment() -> rocket::figment::Figment {
        rocket::Config::figment()
    }
}
pub mod credentials {
    pub use domain::credentials::*;
    pub mod api;
    pub mod pages;
}
pub mod demand {
    pub use domain::demand::*;
    pub mod api;
    pub mod pages;
}
pub mod enrolment {
    pub use domain::enrolment::*;
    pub mod api;
    pub mod pages;
}
pub mod error;
pub mod indicators {
    pub use domain::indicators::*;
    pub mod api;
    pub mod pages;
}
pub mod mail;
pub mod openapi;
pub mod parse;
pub mod people {
    pub use domain::people::*;
    pub mod api;
    pub mod pages;
}
pub mod reports {
    pub use domain::reports::*;
    pub mod api;
    pub mod pages;
    pub mod params;
    pub use params::{CoverageParams, ReportParams};
}
pub mod spreadsheets {
    pub use domain::spreadsheets::*;
    mod download;
    pub use download::Download;
}
pub mod surveys {
    pub use domain::surveys::*;
    pub mod api;
    pub mod pages;
}
pub mod territory {
    pub use domain::territory::*;
    pub mod api;
    pub mod pages;
}
pub mod web;

use config::AppConfig;
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
    let db = prepare_database(&config).await?;
    let templates = templates::Templates::load()?;
    let dashboards = reports::dashboard::Dashboards::new(config.dashboard_cache_seconds);
    let issuer = credentials::keys::Issuer::load_or_create(
        &config.public_url,
        &config.credentials_key_file,
        &config.credentials_previous_keys,
    )?;
    Ok(rocket::custom(figment)
        .manage(db)
        .manage(dashboards)
        .manage(indicators::priorities::Cache::default())
        .manage(surveys::reports::Cache::default())
        .manage(issuer)
        .manage(templates)
        .manage(config)
        .attach(Shield::default())
        .attach(web::SecurityHeaders)
        .attach(web::RequestLog)
        .attach(web::Compression)
        .attach(web::Background)
        .attach(AdHoc::on_liftoff("listening", |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                tracing::info!(
                    "Aula Territorial escuchando en http://{}:{}",
                    config.address,
                    config.port
                );
                if let Some(app) = rocket.state::<AppConfig>()
                    && let Some(warning) = config::public_url_mismatch(
                        &app.public_url,
                        &config.address.to_string(),
                        config.port,
                    )
                {
                    tracing::warn!("{warning}");
                }
            })
        }))
        .mount("/", web::routes())
        .mount("/", accounts::pages::routes())
        .mount("/", people::pages::routes())
        .mount("/", catalogue::pages::routes())
        .mount("/", cohorts::pages::routes())
        .mount("/", cohorts::public::routes())
        .mount("/", enrolment::pages::routes())
        .mount("/", attendance::pages::routes())
        .mount("/", assessment::pages::routes())
        .mount("/", certificates::pages::routes())
        .mount("/", reports::pages::routes())
        .mount("/", indicators::pages::routes())
        .mount("/", demand::pages::routes())
        .mount("/", territory::pages::routes())
        .mount("/", surveys::pages::routes())
        .mount("/", credentials::pages::routes())
        .mount("/", credentials::api::root_routes())
        .mount("/api/v1", accounts::api::routes())
        .mount("/api/v1", people::api::routes())
        .mount("/api/v1", territory::api::routes())
        .mount("/api/v1", capacities::api::routes())
        .mount("/api/v1", catalogue::api::routes())
        .mount("/api/v1", cohorts::api::routes())
        .mount("/api/v1", demand::api::routes())
        .mount("/api/v1", enrolment::api::routes())
        .mount("/api/v1", attendance::api::routes())
        .mount("/api/v1", assessment::api::routes())
        .mount("/api/v1", certificates::api::routes())
        .mount("/api/v1", reports::api::routes())
        .mount("/api/v1", indicators::api::routes())
        .mount("/api/v1", surveys::api::routes())
        .mount("/api/v1", credentials::api::routes())
        .mount("/api/v1", openapi::routes())
        .register("/", web::catchers()))
}
