//! The web side of `domain::alliances` (issue 48): its JSON routes and pages.

pub mod api;
pub mod pages;
