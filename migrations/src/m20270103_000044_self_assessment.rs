//! Issue 68, item 2: the self-assessment of capacities (autodiagnóstico).
//!
//! - `self_assessment_instruments`: the versions of the instrument; the current one is the
//!   highest `version`. An administrator's edit writes a new version (its questions copied),
//!   so every self-assessment keeps the version it answered.
//! - `self_assessment_questions`: a version's questions, each of one capacity, with the
//!   descriptors of levels 1 to 4.
//! - `self_assessments`: one municipal entity's self-assessment in a quarter, submitted by the
//!   municipality's liaison, validated or rejected by the department's reviewer. At most one
//!   not rejected per entity and quarter (partial unique index, same SQL on both engines).
//! - `self_assessment_answers`: the level chosen for each question and its evidence.
//! - `self_assessment_levels`: the level per capacity computed from the answers at submission.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, create_indexes, drop_tables_if_exist, execute_all, id,
    index, migration_name, one_of, pk, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20270103_000044_self_assessment");

const ONE_PER_QUARTER: &str = "CREATE UNIQUE INDEX uq_self_assessments_quarter \
     ON self_assessments (municipality_code, entity_type, year, quarter) \
     WHERE status <> 'rejected'";

fn instruments() -> TableCreateStatement {
    Table::create()
        .table("self_assessment_instruments")
        .col(id())
        .col(ColumnDef::new("version").integer().not_null().unique_key())
        .col(ColumnDef::new("note").text().null())
        .col(ColumnDef::new("created_by").integer().null())
        .col(timestamp("created_at"))
        .refs("created_by", "users", SetNull)
        .take()
}

fn questions() -> TableCreateStatement {
    Table::create()
        .table("self_assessment_questions")
        .col(id())
        .col(ColumnDef::new("instrument_id").integer().not_null())
        .col(ColumnDef::new("capacity_id").integer().not_null())
        .col(ColumnDef::new("sort_order").integer().not_null())
        .col(ColumnDef::new("text").text().not_null())
        .col(ColumnDef::new("level_1").text().not_null())
        .col(ColumnDef::new("level_2").text().not_null())
        .col(ColumnDef::new("level_3").text().not_null())
        .col(ColumnDef::new("level_4").text().not_null())
        .refs("instrument_id", "self_assessment_instruments", Cascade)
        .refs("capacity_id", "capacities", Restrict)
        .take()
}

fn assessments() -> TableCreateStatement {
    Table::create()
        .table("self_assessments")
        .col(id())
        .col(ColumnDef::new("municipality_code").string_len(5).not_null())
        .col(ColumnDef::new("department_code").string_len(2).not_null())
        .col(ColumnDef::new("entity_type").string_len(40).not_null())
        .col(ColumnDef::new("instrument_id").integer().not_null())
        .col(ColumnDef::new("year").integer().not_null())
        .col(ColumnDef::new("quarter").integer().not_null())
        .col(one_of("status", &["submitted", "validated", "rejected"]))
        .col(ColumnDef::new("submitted_by").integer().null())
        .col(timestamp("submitted_at"))
        .col(ColumnDef::new("submitted_on").date().not_null())
        .col(ColumnDef::new("reviewed_by").integer().null())
        .col(timestamp_null("reviewed_at"))
        .col(ColumnDef::new("review_note").text().null())
        .refs_col("municipality_code", "municipalities", "code", Cascade)
        .refs("instrument_id", "self_assessment_instruments", Restrict)
        .refs("submitted_by", "users", SetNull)
        .refs("reviewed_by", "users", SetNull)
        .take()
}

fn answers() -> TableCreateStatement {
    Table::create()
        .table("self_assessment_answers")
        .col(id())
        .col(ColumnDef::new("self_assessment_id").integer().not_null())
        .col(ColumnDef::new("question_id").integer().not_null())
        .col(ColumnDef::new("level").integer().not_null())
        .col(ColumnDef::new("evidence").text().not_null())
        .refs("self_assessment_id", "self_assessments", Cascade)
        .refs("question_id", "self_assessment_questions", Restrict)
        .take()
}

fn levels() -> TableCreateStatement {
    Table::create()
        .table("self_assessment_levels")
        .col(ColumnDef::new("self_assessment_id").integer().not_null())
        .col(ColumnDef::new("capacity_id").integer().not_null())
        .col(ColumnDef::new("level").integer().not_null())
        .primary_key(&mut pk(&["self_assessment_id", "capacity_id"]))
        .refs("self_assessment_id", "self_assessments", Cascade)
        .refs("capacity_id", "capacities", Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(instruments()).await?;
        manager.create_table(questions()).await?;
        manager.create_table(assessments()).await?;
        manager.create_table(answers()).await?;
        manager.create_table(levels()).await?;
        create_indexes(
            manager,
            vec![
                index(
                    "self_assessment_questions",
                    &["instrument_id", "sort_order"],
                ),
                index("self_assessments", &["municipality_code", "submitted_on"]),
                index("self_assessments", &["department_code", "status"]),
                index("self_assessment_answers", &["self_assessment_id"]),
            ],
        )
        .await?;
        execute_all(manager.get_connection(), [ONE_PER_QUARTER]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(
            manager,
            &[
                "self_assessment_levels",
                "self_assessment_answers",
                "self_assessments",
                "self_assessment_questions",
                "self_assessment_instruments",
            ],
        )
        .await
    }
}
