//! The web side of `domain::territory`: its JSON routes and pages.

pub mod api;
pub mod pages;
