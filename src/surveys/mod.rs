//! The web side of `domain::surveys`: its JSON routes and pages.

pub mod api;
pub mod pages;
