//! The web side of `domain::indicators`: its JSON routes and pages.

pub mod api;
pub mod pages;
