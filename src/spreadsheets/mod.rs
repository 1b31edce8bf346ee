//! The web side of `domain::spreadsheets`: its JSON routes and pages.

pub mod download;
