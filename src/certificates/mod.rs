//! The web side of `domain::certificates`: its JSON routes and pages.

pub mod api;
pub mod pages;
