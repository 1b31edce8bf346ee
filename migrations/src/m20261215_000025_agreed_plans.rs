//! Issue 49, item 1: an assistance agreed with the entity. It starts from a diagnosis and a
//! work plan the entity accepts before it is in progress.
//!
//! - `assistance_diagnoses`: one per assistance — what was found and its evidence, who recorded
//!   it and when (recording it again replaces it; the audit log keeps the one before).
//! - `assistance_work_plans`: the versions of an assistance's work plan (`version` from 1, one
//!   row each), with the products expected (a JSON list of text), who wrote it and when, and
//!   its acceptance: who accepted it for the entity (`accepted_by`, `accepted_position`), how
//!   (`accepted_via`: `liaison` signed in, `link` emailed to the entity's contact, or
//!   `before_rule` for those already under way when the rule came), the liaison's account and
//!   when. `acceptance_token_hash` is the hash of the secret of the link emailed for it.
//! - `work_plan_activities`: a version's activities in order, each with its due date.
//! - The assistances already in progress or closed when the rule came are recorded as agreed
//!   before it: a version 1 without activities, accepted `before_rule` when they started.

use crate::shapes::{
    Cascade, References, SetNull, create_indexes, drop_tables, id, index, migration_name,
    timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20261215_000025_agreed_plans");

const VIAS: &[&str] = &["liaison", "link", "before_rule"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("assistance_diagnoses")
                    .col(id())
                    .col(ColumnDef::new("assistance_id").integer().not_null())
                    .col(ColumnDef::new("findings").text().not_null())
                    .col(ColumnDef::new("evidence").text().null())
                    .col(ColumnDef::new("recorded_by").integer().null())
                    .col(timestamp("recorded_at"))
                    .refs("assistance_id", "assistances", Cascade)
                    .refs("recorded_by", "users", SetNull)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("assistance_diagnoses", &["assistance_id"])
                    .unique()
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("assistance_work_plans")
                    .col(id())
                    .col(ColumnDef::new("assistance_id").integer().not_null())
                    .col(
                        ColumnDef::new("version")
                            .integer()
                            .not_null()
                            .check(Expr::col("version").gte(1)),
                    )
                    .col(
                        ColumnDef::new("products_expected")
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(ColumnDef::new("written_by").integer().null())
                    .col(timestamp("written_at"))
                    .col(ColumnDef::new("accepted_by").string().null())
                    .col(ColumnDef::new("accepted_position").string().null())
                    .col(
                        ColumnDef::new("accepted_via")
                            .string()
                            .null()
                            .check(Expr::col("accepted_via").is_in(VIAS.iter().copied())),
                    )
                    .col(ColumnDef::new("accepted_user_id").integer().null())
                    .col(timestamp_null("accepted_at"))
                    .col(ColumnDef::new("acceptance_token_hash").string().null())
                    .check(
                        Expr::col("accepted_via")
                            .is_null()
                            .eq(Expr::col("accepted_at").is_null()),
                    )
                    .refs("assistance_id", "assistances", Cascade)
                    .refs("written_by", "users", SetNull)
                    .refs("accepted_user_id", "users", SetNull)
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            [
                index("assistance_work_plans", &["assistance_id", "version"])
                    .unique()
                    .take(),
                index("assistance_work_plans", &["acceptance_token_hash"])
                    .unique()
                    .take(),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("work_plan_activities")
                    .col(id())
                    .col(ColumnDef::new("work_plan_id").integer().not_null())
                    .col(ColumnDef::new("position").integer().not_null())
                    .col(ColumnDef::new("text").text().not_null())
                    .col(ColumnDef::new("due_on").date().not_null())
                    .refs("work_plan_id", "assistance_work_plans", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_index(index("work_plan_activities", &["work_plan_id", "position"]))
            .await?;

        // The assistances already under way were agreed before the rule.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO assistance_work_plans \
                 (assistance_id, version, products_expected, written_by, written_at, \
                  accepted_via, accepted_at) \
                 SELECT id, 1, '[]', created_by, created_at, 'before_rule', updated_at \
                 FROM assistances WHERE status IN ('in_progress', 'closed')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "work_plan_activities",
                "assistance_work_plans",
                "assistance_diagnoses",
            ],
        )
        .await
    }
}
