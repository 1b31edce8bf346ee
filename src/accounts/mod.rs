//! The web side of `domain::accounts`: its JSON routes and pages.

pub mod api;
pub mod guards;
pub mod pages;
