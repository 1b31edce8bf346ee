//! The web side of `domain::credentials`: its JSON routes and pages.

pub mod api;
pub mod pages;
