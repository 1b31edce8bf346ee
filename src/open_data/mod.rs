//! The web side of `domain::open_data`: the data sets' files (`api.rs`, at the site root under
//! `/open-data/`, described in the OpenAPI document) and the page that lists them with their
//! dictionary (`pages.rs`, `/datos-abiertos`). Public: no authentication, no personal data.

pub mod api;
pub mod pages;
