//! The web side of `domain::nominations` (issue 35): its JSON routes and pages.

pub mod api;
pub mod pages;
