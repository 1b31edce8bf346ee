//! The web side of `domain::plans`: its JSON routes and pages.

pub mod api;
pub mod pages;
