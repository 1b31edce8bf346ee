//! Database schema of Aula Territorial as SeaORM migrations.
//!
//! The same migrations run on SQLite (the embedded default) and PostgreSQL, so they are
//! written with sea-query builders; the only raw SQL is portable (partial unique indexes).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial_schema;
mod m20261122_000002_report_indexes;
mod m20261123_000003_sessions;
mod m20261124_000004_figures;
mod m20261125_000005_indicators;
mod m20261126_000006_demand;
mod m20261127_000007_surveys;
mod m20261128_000008_status_lists;
mod m20261129_000009_email_changes;
mod m20261130_000010_providers;
mod m20261201_000011_assistance;
mod m20261203_000013_assistance_years;
mod m20261204_000014_instances;
mod m20261205_000015_seat_quotas;
mod m20261206_000016_planning_version;
mod m20261207_000017_kept_contents;
mod m20261208_000018_dirty_people;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial_schema::Migration),
            Box::new(m20261122_000002_report_indexes::Migration),
            Box::new(m20261123_000003_sessions::Migration),
            Box::new(m20261124_000004_figures::Migration),
            Box::new(m20261125_000005_indicators::Migration),
            Box::new(m20261126_000006_demand::Migration),
            Box::new(m20261127_000007_surveys::Migration),
            Box::new(m20261128_000008_status_lists::Migration),
            Box::new(m20261129_000009_email_changes::Migration),
            Box::new(m20261130_000010_providers::Migration),
            Box::new(m20261201_000011_assistance::Migration),
            Box::new(m20261203_000013_assistance_years::Migration),
            Box::new(m20261204_000014_instances::Migration),
            Box::new(m20261205_000015_seat_quotas::Migration),
            Box::new(m20261206_000016_planning_version::Migration),
            Box::new(m20261207_000017_kept_contents::Migration),
            Box::new(m20261208_000018_dirty_people::Migration),
        ]
    }
}
