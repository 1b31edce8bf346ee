//! The web side of `domain::capacities`: its JSON routes and pages.

pub mod api;
