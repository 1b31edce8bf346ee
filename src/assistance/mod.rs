//! The web side of `domain::assistance`: its JSON routes and pages.

pub mod api;
pub mod pages;
