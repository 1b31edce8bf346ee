//! The year's plan (issue 47, first slice).
//!
//! - `plans`: a provider's plan for a vigencia (year) — ESAP's national one or one per
//!   territorial direction, a gobernación's for its department. One per (provider, year,
//!   direction, department): a unique index over the four, absent ones counted as equal. States
//!   stored: `draft`, `approved` (with its act, who recorded it and when), `amended`; `closed`
//!   is read from the year (a plan of a year that has ended is closed), never written yet.
//!   `version` is the plan's current version.
//! - `plan_versions`: version 1 (the plan as drafted and approved) and one per amendment, with
//!   its reason; what each version held is never rewritten once the plan is approved.
//! - `plan_lines`: a line's identity across versions (what later slices' cost items answer).
//! - `plan_line_versions`: a line's figures in one version — capacity, optional course, a
//!   target rule, the goals — copied whole into every new version, changed or not
//!   (`since_version` says from which version its figures hold). A line left out of a version
//!   was removed by that amendment.
//! - `plan_line_municipalities` and `plan_line_budgets`: a line version's targeted municipalities
//!   and its budget per source (whole pesos, > 0).

use crate::shapes::{
    Cascade, References, Restrict, SetNull, create_indexes, drop_tables, id, index, migration_name,
    one_of, pk, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261212_000022_plans");

/// A goal: a whole number, not negative, or none.
fn goal(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .null()
        .check(Expr::col(name).gte(0))
        .take()
}

const STATUSES: &[&str] = &["draft", "approved", "amended", "closed"];
const RULES: &[&str] = &["pdet", "categories_5_6", "priorities"];
const SOURCES: &[&str] = &[
    "inversion",
    "funcionamiento",
    "cooperacion",
    "sgr",
    "propios",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("plans")
                    .col(id())
                    .col(ColumnDef::new("provider_id").integer().not_null())
                    .col(
                        ColumnDef::new("year")
                            .integer()
                            .not_null()
                            .check(Expr::col("year").between(2000, 2100)),
                    )
                    .col(ColumnDef::new("territorial_direction_id").integer().null())
                    .col(ColumnDef::new("department_code").string_len(2).null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(one_of("status", STATUSES))
                    .col(
                        ColumnDef::new("version")
                            .integer()
                            .not_null()
                            .default(1)
                            .check(Expr::col("version").gte(1)),
                    )
                    .col(ColumnDef::new("approval_act").string().null())
                    .col(ColumnDef::new("approved_by").integer().null())
                    .col(timestamp_null("approved_at"))
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .col(timestamp("updated_at"))
                    .refs("provider_id", "providers", Restrict)
                    .refs(
                        "territorial_direction_id",
                        "territorial_directions",
                        Restrict,
                    )
                    .refs_col("department_code", "departments", "code", Restrict)
                    .refs("approved_by", "users", SetNull)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;
        manager.create_index(index("plans", &["year"])).await?;
        // One plan per provider, year, direction and department: absent ones are equal here
        // (a plain unique index would let two national plans through, NULL being distinct).
        // Same SQL on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_plans_scope ON plans (provider_id, year, \
                 COALESCE(territorial_direction_id, 0), COALESCE(department_code, ''))",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_versions")
                    .col(ColumnDef::new("plan_id").integer().not_null())
                    .col(
                        ColumnDef::new("number")
                            .integer()
                            .not_null()
                            .check(Expr::col("number").gte(1)),
                    )
                    .col(ColumnDef::new("reason").text().null())
                    .col(ColumnDef::new("created_by").integer().null())
                    .col(timestamp("created_at"))
                    .primary_key(&mut pk(&["plan_id", "number"]))
                    .refs("plan_id", "plans", Cascade)
                    .refs("created_by", "users", SetNull)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_lines")
                    .col(id())
                    .col(ColumnDef::new("plan_id").integer().not_null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .col(ColumnDef::new("added_in_version").integer().not_null())
                    .col(timestamp("created_at"))
                    .refs("plan_id", "plans", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("plan_lines", &["plan_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_line_versions")
                    .col(id())
                    .col(ColumnDef::new("line_id").integer().not_null())
                    .col(ColumnDef::new("plan_id").integer().not_null())
                    .col(ColumnDef::new("version").integer().not_null())
                    .col(ColumnDef::new("since_version").integer().not_null())
                    .col(ColumnDef::new("capacity_id").integer().not_null())
                    .col(ColumnDef::new("course_id").integer().null())
                    .col(
                        ColumnDef::new("target_rule")
                            .string()
                            .null()
                            .check(Expr::col("target_rule").is_in(RULES.iter().copied())),
                    )
                    .col(goal("goal_cohorts"))
                    .col(goal("goal_people_trained"))
                    .col(goal("goal_people_certified"))
                    .col(goal("goal_assistances_closed"))
                    .col(goal("goal_municipalities_reached"))
                    .refs("line_id", "plan_lines", Cascade)
                    .refs("plan_id", "plans", Cascade)
                    .refs("capacity_id", "capacities", Restrict)
                    .refs("course_id", "courses", Restrict)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("plan_line_versions", &["line_id", "version"])
                    .unique()
                    .take(),
                index("plan_line_versions", &["plan_id", "version"]),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_line_municipalities")
                    .col(ColumnDef::new("line_version_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .primary_key(&mut pk(&["line_version_id", "municipality_code"]))
                    .refs("line_version_id", "plan_line_versions", Cascade)
                    .refs_col("municipality_code", "municipalities", "code", Restrict)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("plan_line_municipalities", &["municipality_code"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("plan_line_budgets")
                    .col(ColumnDef::new("line_version_id").integer().not_null())
                    .col(one_of("source", SOURCES))
                    .col(
                        ColumnDef::new("amount")
                            .big_integer()
                            .not_null()
                            .check(Expr::col("amount").gt(0)),
                    )
                    .primary_key(&mut pk(&["line_version_id", "source"]))
                    .refs("line_version_id", "plan_line_versions", Cascade)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "plan_line_budgets",
                "plan_line_municipalities",
                "plan_line_versions",
                "plan_lines",
                "plan_versions",
                "plans",
            ],
        )
        .await
    }
}
