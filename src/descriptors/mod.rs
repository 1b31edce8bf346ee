//! The web side of `domain::descriptors`: its JSON routes and the admin page.

pub mod api;
pub mod pages;
