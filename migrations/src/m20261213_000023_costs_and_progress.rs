//! The year's plan, second slice (issue 47): costs, what was delivered month by month, and the
//! frozen balances.
//!
//! - `cost_items`: a cohort's or an assistance's cost items (exactly one of the two) — kind,
//!   basis (fixed, per participant, per session or visit), amount in whole pesos (> 0), stage
//!   (planned, committed, executed), the day it was incurred and the plan line it answers. The
//!   provider's own `reference` (unique per provider) makes an import sent twice change nothing.
//! - `delivery_facts` (maintained figures, never edited by hand): per cohort or assistance ×
//!   capacity × municipality × month, the people trained (the cohort's start month), the
//!   people certified (each certificate's month) and the assistances closed with their
//!   objective reached (the closing month). The plan's progress reads them.
//! - `plan_balances`: a plan's figures for a period (month, quarter, semester) frozen when the
//!   period closed, as JSON, with the plan version whose goals they used.
//! - Writes to plans and cost items move the planning version on (migration 16's triggers):
//!   the kept home pages flag the lines behind, and a plan amended or a cost recorded shows on
//!   every instance's next visit.
//! - A cohort's start date, course or provider changing names the cohort in `figures_dirty`
//!   (its status already did): the month and the capacities its people count in move with them.

use crate::m20261124_000004_figures::mark;
use crate::m20261206_000016_planning_version::{bump_triggers, drop_bump_triggers};
use crate::shapes::{
    Cascade, References, Restrict, SetNull, drop_tables, execute_all, id, index, migration_name,
    one_of, pk, timestamp,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261213_000023_costs_and_progress");

fn count(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .default(0)
        .check(Expr::col(name).gte(0))
        .take()
}

const KINDS: &[&str] = &[
    "instructores",
    "sede",
    "viajes",
    "materiales",
    "plataforma",
    "otro",
];
const BASES: &[&str] = &["fijo", "por_participante", "por_sesion"];
const STAGES: &[&str] = &["planeado", "comprometido", "ejecutado"];

/// Tables whose writes move the planning version on.
const PLANNING: &[&str] = &[
    "plans",
    "plan_line_versions",
    "plan_line_municipalities",
    "plan_line_budgets",
    "cost_items",
];

/// The columns of a cohort whose change moves its figures (besides `status`, migration 4).
const MOVING: &str = "start_date, course_id, provider_id";

fn cohort_trigger(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "CREATE TRIGGER figures_cohorts_moved AFTER UPDATE OF {MOVING} ON cohorts \
             FOR EACH ROW EXECUTE FUNCTION figures_touch_cohorts()"
        ),
        _ => format!(
            "CREATE TRIGGER figures_cohorts_moved AFTER UPDATE OF {MOVING} ON cohorts \
             BEGIN {}; END",
            mark("SELECT {row}.id AS cohort_id", "NEW")
        ),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cost_items")
                    .col(id())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(ColumnDef::new("cohort_id").integer().null())
                    .col(ColumnDef::new("assistance_id").integer().null())
                    .col(ColumnDef::new("plan_line_id").integer().null())
                    .col(one_of("kind", KINDS))
                    .col(one_of("basis", BASES))
                    .col(
                        ColumnDef::new("amount")
                            .big_integer()
                            .not_null()
                            .check(Expr::col("amount").gt(0)),
                    )
                    .col(one_of("stage", STAGES))
                    .col(ColumnDef::new("incurred_on").date().not_null())
                    .col(ColumnDef::new("description").string().null())
                    .col(ColumnDef::new("reference").string().null())
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .check(
                        Expr::col("cohort_id")
                            .is_null()
                            .ne(Expr::col("assistance_id").is_null()),
                    )
                    .refs("provider_id", "providers", Restrict)
                    .refs("cohort_id", "cohorts", Cascade)
                    .refs("assistance_id", "assistances", Cascade)
                    .refs("plan_line_id", "plan_lines", SetNull)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        for columns in [
            &["cohort_id"][..],
            &["assistance_id"],
            &["plan_line_id", "stage"],
        ] {
            manager.create_index(index("cost_items", columns)).await?;
        }
        manager
            .create_index(
                index("cost_items", &["provider_id", "reference"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("delivery_facts")
                    .col(one_of("source", &["cohort", "assistance"]))
                    .col(ColumnDef::new("source_id").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(ColumnDef::new("month").integer().not_null())
                    .col(ColumnDef::new("year").integer().not_null())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(ColumnDef::new("course_id").integer().null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(count("trained"))
                    .col(count("certified"))
                    .col(count("closed_reached"))
                    .primary_key(&mut pk(&[
                        "source",
                        "source_id",
                        "capacity_id",
                        "municipality_code",
                        "month",
                    ]))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "delivery_facts",
                &["provider_id", "year", "capacity_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_balances")
                    .col(ColumnDef::new("plan_id").integer().not_null())
                    .col(ColumnDef::new("period").string_len(7).not_null())
                    .col(ColumnDef::new("version").integer().not_null())
                    .col(timestamp("frozen_at"))
                    .col(ColumnDef::new("body").text().not_null())
                    .primary_key(&mut pk(&["plan_id", "period"]))
                    .refs("plan_id", "plans", Cascade)
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared(&cohort_trigger(backend)).await?;
        execute_all(db, bump_triggers(backend, PLANNING)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        execute_all(db, drop_bump_triggers(db.get_database_backend(), PLANNING)).await?;
        db.execute_unprepared(match db.get_database_backend() {
            DbBackend::Postgres => "DROP TRIGGER IF EXISTS figures_cohorts_moved ON cohorts",
            _ => "DROP TRIGGER IF EXISTS figures_cohorts_moved",
        })
        .await?;
        drop_tables(manager, &["plan_balances", "delivery_facts", "cost_items"]).await
    }
}
