//! The web side of `domain::providers`: its JSON routes and the admin page.

pub mod api;
pub mod pages;
