//! The web side of `domain::demand`: its JSON routes and pages.

pub mod api;
pub mod pages;
