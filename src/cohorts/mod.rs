//! The web side of `domain::cohorts`: its JSON routes and pages.

pub mod api;
pub mod pages;
pub mod public;
