//! Aula Territorial's domain: the rules of the product as plain functions over the database
//! connection, taking plain values (an [`accounts::actor::Actor`], a [`mail::Notifier`]),
//! never a request. It sits below the web app (`aula-territorial`), which it cannot import,
//! and above the ground floor (`kernel`), which cannot import it: the crate graph is
//! `entities` ← `kernel` ← `domain` ← the web app.

/// The ground floor (the `kernel` crate), under every area: re-exported so an area writes
/// `crate::db`, `crate::validate`… and the web app `domain::db`. [`db`] adds to the kernel's
/// the connection that registers the figures model's hooks.
pub use kernel::{
    audit, backup, blocking, bulk, cache, calendar, config, entities, error, fonts, format,
    holidays, instances, mail, metrics, network, paging, parse, rows, spreadsheets, strict_json,
    templates, text, time, validate, words,
};

pub mod accounts;
pub mod alliances;
pub mod assessment;
pub mod assistance;
pub mod attendance;
pub mod capacities;
pub mod catalogue;
pub mod certificates;
pub mod cohort_flow;
pub mod cohorts;
pub mod costs;
pub mod credentials;
pub mod db;
pub mod demand;
pub mod demo;
pub mod descriptors;
pub mod enrolment;
pub mod figures;
pub mod habeas;
pub mod handover;
pub mod home;
pub mod indicators;
pub mod jobs;
pub mod joint;
pub mod knowledge;
pub mod nominations;
pub mod offer;
pub mod offer_import;
pub mod open_data;
pub mod people;
pub mod plans;
pub mod positions;
pub mod programmes;
pub mod providers;
pub mod reference_data;
pub mod reports;
pub mod results;
pub mod self_assessment;
pub mod surveys;
pub mod synthetic;
pub mod territory;
pub mod trainers;
pub mod virtual_classroom;
pub mod workspace;

use config::AppConfig;
use error::AppResult;
use sea_orm::DatabaseConnection;

/// Connects, then — under the startup lock, so instances started together take turns and the
/// later ones find everything done — migrates, loads reference data (and demo data when
/// configured) and makes sure the credentials signing key and the cookie secret are in the
/// database. Nothing is written after the lock is released.
pub async fn prepare_database(config: &AppConfig) -> AppResult<DatabaseConnection> {
    let db = db::connect_with(
        &config.database_url,
        config.database_busy_seconds,
        config.database_connections,
    )
    .await?;
    under_startup_lock(&db, &config.database_url, async || {
        db::migrate(&db).await?;
        reference_data::ensure_loaded(&db).await?;
        if config.demo_data {
            demo::ensure_loaded(&db).await?;
        }
        credentials::keys::ensure_stored(&db, &config.credentials_key_file).await?;
        instances::ensure_cookie_secret(&db).await?;
        db::optimize(&db).await
    })
    .await?;
    Ok(db)
}

/// Runs `work` holding the startup lock of the database at `url` (see
/// [`instances::StartupLock`]): what `serve`, `migrate` and `seed` do to the schema and the
/// reference data, one instance or command at a time.
pub async fn under_startup_lock<T>(
    db: &DatabaseConnection,
    url: &str,
    work: impl AsyncFnOnce() -> AppResult<T>,
) -> AppResult<T> {
    let lock = instances::StartupLock::acquire(db, url).await?;
    let done = work().await;
    let released = lock.release().await;
    let value = done?;
    released?;
    Ok(value)
}
