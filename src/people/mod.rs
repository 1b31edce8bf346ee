//! The web side of `domain::people`: its JSON routes and pages.

pub mod api;
pub mod name_changes;
pub mod pages;
