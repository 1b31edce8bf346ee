//! Integration tests: one binary (faster to link), one module per capability.

// Tests fail by panicking: unwrap and expect are their assertions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::let_underscore_must_use
)]
// Some tests hold a transaction open by hand (a lock held while another instance works, a
// write rolled back); the product writes only through `db::write` (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod account_security;
mod accounts;
mod agreed;
mod alliances;
mod amendments;
mod any_entity;
mod assessment;
mod assistance;
mod attendance;
mod backup;
mod certificates;
mod cli;
mod cohorts;
mod cold_path;
mod commitments;
mod common;
mod confirmations;
mod cost_effectiveness;
mod costs;
mod credentials;
mod dashboards;
mod demand;
mod demo;
mod descriptors;
mod enrolment;
mod enrolment_import;
mod executor;
mod faults;
mod figures;
mod formats;
mod forms;
mod freshness;
mod habeas_data;
mod handover;
mod holidays;
mod hostile_input;
mod import_pipeline;
mod indicators;
mod instances;
mod joint;
mod knowledge;
mod mail;
mod nominations;
mod offer;
mod offer_import;
mod offline_attendance;
mod offline_client;
mod open_data;
mod openapi;
mod people;
mod plan_progress;
mod plan_reports;
mod plans;
mod positions;
mod programme_certificates;
mod programme_pages;
mod programme_reports;
mod programmes;
mod providers;
mod reference_api;
mod reference_data;
mod referrals;
mod reports;
mod required_choices;
mod route_matrix;
mod schema;
mod scope;
mod self_assessment;
mod server;
mod session_modality;
mod site;
mod smtp;
mod support;
mod surveys;
mod synthetic;
mod trainers;
mod trust_figures;
mod trust_input;
mod trust_keys;
mod trust_owner;
mod trust_scope;
mod trust_takeover;
mod trust_throttle;
mod verdict;
mod virtual_classroom;
mod whose;
mod words;
mod world;
