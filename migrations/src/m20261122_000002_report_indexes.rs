//! Covering indexes for the reports at national size (issue 8).
//!
//! The attendance report groups a department's enrolments by municipality, cohort and status
//! and sums their frozen attendance; with every column it reads in one index, SQLite and
//! PostgreSQL answer from the index alone (measured in BENCHMARKS.md). It starts with
//! `municipality_code`, so it replaces the single-column index. Certificates are looked up by
//! enrolment and status the same way.

use crate::shapes::{index, migration_name};
use sea_orm_migration::prelude::*;

migration_name!("m20261122_000002_report_indexes");

const ENROLMENTS: &[&str] = &[
    "municipality_code",
    "status",
    "cohort_id",
    "sessions_attended",
];
const CERTIFICATES: &[&str] = &["enrolment_id", "status"];

fn drop(name: &str, table: &'static str) -> IndexDropStatement {
    Index::drop().name(name).table(table).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("enrolments", ENROLMENTS))
            .await?;
        manager
            .drop_index(drop("ix_enrolments_municipality_code", "enrolments"))
            .await?;
        manager
            .create_index(index("certificates", CERTIFICATES))
            .await?;
        manager
            .drop_index(drop("ix_certificates_enrolment_id", "certificates"))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("enrolments", &["municipality_code"]))
            .await?;
        manager
            .drop_index(drop(
                "ix_enrolments_municipality_code_status_cohort_id_sessions_attended",
                "enrolments",
            ))
            .await?;
        manager
            .create_index(index("certificates", &["enrolment_id"]))
            .await?;
        manager
            .drop_index(drop("ix_certificates_enrolment_id_status", "certificates"))
            .await?;
        Ok(())
    }
}
