//! Cohorts and assistances brought in from a provider's spreadsheets, and the monthly
//! follow-up of its assistances by milestone (issue 49, item 6). Rules in
//! `domain::offer_import` and `domain::assistance::follow_up`.

pub mod api;
pub mod pages;
