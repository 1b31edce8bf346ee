//! The web side of `domain::reports`: its JSON routes and pages.

pub mod api;
pub mod pages;
pub mod params;
