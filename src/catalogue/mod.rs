//! The web side of `domain::catalogue`: its JSON routes and pages.

pub mod api;
pub mod pages;
