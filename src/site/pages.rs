//! `/accesibilidad`, `/transparencia` and `/politica-de-datos`: what the entity states about
//! this system, with its contact data from the settings (`domain::config::Entity`).

use crate::web::{Page, PageResult};
use domain::config::{AppConfig, Entity};
use rocket::{Route, State, get, routes};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![accessibility, transparency, data_policy]
}

/// The day the accessibility statement was written or last reviewed (Anexo 1 asks for its
/// date): change it when the statement's checks or limitations change.
pub const ACCESSIBILITY_STATEMENT_DATE: &str = "2026-11-28";

/// The relay centre for deaf people (Centro de Relevo, MinTIC and Fenascol).
pub const RELAY_CENTRE_URL: &str = "https://www.centroderelevo.gov.co";

#[derive(Serialize)]
struct SiteView<'a> {
    entity: &'a Entity,
    statement_date: &'static str,
    relay_centre_url: &'static str,
    /// The version of the data-processing notice the consents cite (one constant:
    /// `domain::people::DATA_CONSENT_VERSION`).
    data_policy_version: &'static str,
    /// The version of the notice for the optional sensitive data.
    sensitive_policy_version: &'static str,
}

impl<'a> SiteView<'a> {
    fn of(config: &'a AppConfig) -> Self {
        SiteView {
            entity: &config.entity,
            statement_date: ACCESSIBILITY_STATEMENT_DATE,
            relay_centre_url: RELAY_CENTRE_URL,
            data_policy_version: domain::people::DATA_CONSENT_VERSION,
            sensitive_policy_version: domain::people::SENSITIVE_CONSENT_VERSION,
        }
    }
}

/// The accessibility statement (Resolución 1519 de 2020, Anexo 1).
#[get("/accesibilidad")]
fn accessibility(config: &State<AppConfig>, page: Page<'_>) -> PageResult {
    page.render(
        "site_accessibility",
        "Declaración de accesibilidad",
        SiteView::of(config.inner()),
    )
}

/// «Transparencia y acceso a la información pública» (Ley 1712 de 2014): what applies to this
/// system, and where the entity's own section is.
#[get("/transparencia")]
fn transparency(config: &State<AppConfig>, page: Page<'_>) -> PageResult {
    page.render(
        "site_transparency",
        "Transparencia y acceso a la información pública",
        SiteView::of(config.inner()),
    )
}

/// The data-treatment policy (Ley 1581 de 2012, Decreto 1377 de 2013), of the version the
/// registration notice and the consent records cite.
#[get("/politica-de-datos")]
fn data_policy(config: &State<AppConfig>, page: Page<'_>) -> PageResult {
    page.render(
        "site_data_policy",
        "Política de tratamiento de datos personales",
        SiteView::of(config.inner()),
    )
}
