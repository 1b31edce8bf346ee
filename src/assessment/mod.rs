//! The web side of `domain::assessment`: its JSON routes and pages.

pub mod api;
pub mod pages;
