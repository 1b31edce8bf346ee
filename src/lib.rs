//! Aula Territorial: ESAP's training-management system for Colombia's territorial public
//! servants. The binary (`src/main.rs`) and the tests build the app through [`build`].

pub mod accounts;
pub mod api;
pub mod assessment;
pub mod attendance;
pub mod audit;
pub mod calendar;
pub mod capacities;
pub mod catalogue;
pub mod certificates;
pub mod cohorts;
pub mod config;
pub mod db;
pub mod demo;
pub mod enrolment;
/// The entities live in their own crate, below everything else (it cannot import the app).
pub use entities;
pub mod error;
pub mod format;
pub mod jobs;
pub mod mail;
pub mod openapi;
pub mod parse;
pub mod people;
pub mod reference_data;
pub mod reports;
pub mod results;
pub mod spreadsheets;
pub mod synthetic;
pub mod templates;
pub mod territory;
pub mod text;
pub mod time;
pub mod validate;
pub mod web;

use config::AppConfig;
use error::AppResult;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{Build, Rocket};
use sea_orm::DatabaseConnection;

/// Connects, migrates, loads reference data (and demo data when configured).
pub async fn prepare_database(config: &AppConfig) -> AppResult<DatabaseConnection> {
    let db = db::connect_with(&config.database_url, config.database_busy_seconds).await?;
    db::migrate(&db).await?;
    reference_data::ensure_loaded(&db).await?;
    if config.demo_data {
        demo::ensure_loaded(&db).await?;
    }
    Ok(db)
}

/// The whole application, as `serve` runs it and the tests drive it.
pub async fn build(figment: Figment) -> AppResult<Rocket<Build>> {
    // The client address comes from `web::ClientAddress` (the socket, or a trusted proxy's
    // header); Rocket's own `ip_header` would believe any client's `X-Real-IP`.
    let figment = figment.merge(("ip_header", false));
    let config = AppConfig::from_figment(&figment)?;
    let db = prepare_database(&config).await?;
    let templates = templates::Templates::load()?;
    let dashboards = reports::dashboard::Dashboards::new(config.dashboard_cache_seconds);
    Ok(rocket::custom(figment)
        .manage(db)
        .manage(dashboards)
        .manage(templates)
        .manage(config)
        .attach(Shield::default())
        .attach(web::SecurityHeaders)
        .attach(web::RequestLog)
        .attach(mail::MailWorker)
        .attach(jobs::Jobs)
        .attach(AdHoc::on_liftoff("listening", |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                tracing::info!(
                    "Aula Territorial escuchando en http://{}:{}",
                    config.address,
                    config.port
                );
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
        .mount("/api/v1", accounts::api::routes())
        .mount("/api/v1", people::api::routes())
        .mount("/api/v1", territory::api::routes())
        .mount("/api/v1", capacities::api::routes())
        .mount("/api/v1", catalogue::api::routes())
        .mount("/api/v1", cohorts::api::routes())
        .mount("/api/v1", enrolment::api::routes())
        .mount("/api/v1", attendance::api::routes())
        .mount("/api/v1", assessment::api::routes())
        .mount("/api/v1", certificates::api::routes())
        .mount("/api/v1", reports::api::routes())
        .mount("/api/v1", openapi::routes())
        .register("/", web::catchers()))
}
