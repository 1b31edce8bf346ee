//! The web side of `domain::costs`: cost items of cohorts and assistances — their JSON routes,
//! the «Costos» pages and the import of executed costs.

pub mod api;
pub mod pages;
pub mod screens;
