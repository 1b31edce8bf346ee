//! Issue 69, item 1: the sums a scope's picture reads, maintained with the figures so a home
//! computed cold reads a few rows per municipality instead of grouping every cohort's.
//!
//! - `place_figures`: per provider × municipality of the enrolment, the `cohort_figures` rows
//!   with someone enrolled summed — how many rows (cohorts), enrolled, certified, and over the closed cohorts
//!   completed, enrolled, attended and the sessions expected (enrolled × sessions scheduled);
//! - `trend_figures`: per closed cohort × department, its rows summed (enrolled, completed,
//!   attended; its sessions scheduled), with its provider and start date: the trends by quarter;
//! - `provider_people`: each person once per provider and department where she has a counted
//!   enrolment (enrolled, completed, not completed) in the provider's cohorts.
//!
//! Filled here from `cohort_figures` (an existing database keeps its figures); kept current by
//! `domain::figures::scope` afterwards.

use crate::shapes::{create_indexes, drop_tables_if_exist, execute_all, index, migration_name, pk};
use sea_orm_migration::prelude::*;

migration_name!("m20270105_000046_scope_figures");

fn count(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().default(0).take()
}

fn key(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

fn code(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}

fn place_figures() -> TableCreateStatement {
    Table::create()
        .table("place_figures")
        .col(key("provider_id"))
        .col(code("municipality_code"))
        .col(code("department_code"))
        .col(count("cohorts"))
        .col(count("enrolled"))
        .col(count("certified"))
        .col(count("closed_completed"))
        .col(count("closed_enrolled"))
        .col(count("closed_attended"))
        .col(
            ColumnDef::new("closed_expected")
                .big_integer()
                .not_null()
                .default(0)
                .take(),
        )
        .primary_key(&mut pk(&["provider_id", "municipality_code"]))
        .take()
}

fn trend_figures() -> TableCreateStatement {
    Table::create()
        .table("trend_figures")
        .col(key("cohort_id"))
        .col(code("department_code"))
        .col(key("provider_id"))
        .col(ColumnDef::new("start_date").date().not_null())
        .col(count("enrolled"))
        .col(count("completed"))
        .col(count("attended"))
        .col(count("sessions_scheduled"))
        .primary_key(&mut pk(&["cohort_id", "department_code"]))
        .take()
}

fn provider_people() -> TableCreateStatement {
    Table::create()
        .table("provider_people")
        .col(key("provider_id"))
        .col(key("participant_id"))
        .col(code("department_code"))
        .primary_key(&mut pk(&[
            "provider_id",
            "participant_id",
            "department_code",
        ]))
        .take()
}

/// The sums as they stand in `cohort_figures`, the people as they stand in `enrolments`.
const FILL: [&str; 3] = [
    "INSERT INTO place_figures (provider_id, municipality_code, department_code, cohorts, \
     enrolled, certified, closed_completed, closed_enrolled, closed_attended, closed_expected) \
     SELECT c.provider_id, f.municipality_code, f.department_code, COUNT(*), SUM(f.enrolled), \
     SUM(f.certified), SUM(CASE WHEN f.closed THEN f.completed ELSE 0 END), \
     SUM(CASE WHEN f.closed THEN f.enrolled ELSE 0 END), \
     SUM(CASE WHEN f.closed THEN f.attended ELSE 0 END), \
     SUM(CASE WHEN f.closed THEN CAST(f.enrolled AS BIGINT) * f.sessions_scheduled ELSE 0 END) \
     FROM cohort_figures f INNER JOIN cohorts c ON c.id = f.cohort_id WHERE f.enrolled > 0 \
     GROUP BY c.provider_id, f.municipality_code, f.department_code",
    "INSERT INTO trend_figures (cohort_id, department_code, provider_id, start_date, enrolled, \
     completed, attended, sessions_scheduled) \
     SELECT f.cohort_id, f.department_code, c.provider_id, c.start_date, SUM(f.enrolled), \
     SUM(f.completed), SUM(f.attended), MAX(f.sessions_scheduled) \
     FROM cohort_figures f INNER JOIN cohorts c ON c.id = f.cohort_id WHERE f.closed \
     AND f.enrolled > 0 \
     GROUP BY f.cohort_id, f.department_code, c.provider_id, c.start_date",
    "INSERT INTO provider_people (provider_id, participant_id, department_code) \
     SELECT DISTINCT c.provider_id, e.participant_id, m.department_code FROM enrolments e \
     INNER JOIN cohorts c ON c.id = e.cohort_id \
     INNER JOIN municipalities m ON m.code = e.municipality_code \
     WHERE e.status IN ('enrolled', 'completed', 'not_completed')",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(place_figures()).await?;
        manager.create_table(trend_figures()).await?;
        manager.create_table(provider_people()).await?;
        create_indexes(
            manager,
            vec![
                index("place_figures", &["department_code"]),
                index("trend_figures", &["department_code"]),
                index("trend_figures", &["provider_id"]),
                index("provider_people", &["participant_id"]),
            ],
        )
        .await?;
        execute_all(manager.get_connection(), FILL).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            &["provider_people", "trend_figures", "place_figures"],
        )
        .await
    }
}
