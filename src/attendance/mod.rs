//! The web side of `domain::attendance`: its JSON routes and pages.

pub mod api;
pub mod pages;
