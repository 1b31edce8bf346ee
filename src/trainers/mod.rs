//! The web side of `domain::trainers` (issue 48): replicators, replicas and the cascade, as
//! JSON routes and pages.

pub mod api;
pub mod pages;
