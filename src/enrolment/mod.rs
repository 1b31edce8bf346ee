//! The web side of `domain::enrolment`: its JSON routes and pages.

pub mod api;
pub mod pages;
