//! Satisfaction and follow-up (issue 17).
//!
//! - `surveys`: one invitation per enrolment and kind (`satisfaction` when the cohort closes,
//!   `follow_up` 90 days later), its window, whether it was answered and whether it was
//!   reminded. This is the only link between a person and a survey, and it holds no answer.
//! - `survey_responses`: the answers, apart from identity: the cohort, the department of the
//!   enrolment's municipality (what a gobernación may see) and the kind, under a random key —
//!   no enrolment, person, user or time, so neither a row nor its order leads back to anyone.
//! - `survey_tallies`: per cohort × department × kind, invitations, answers and the answers'
//!   sums — what the reports read (recomputed from the two tables above for a cohort whenever
//!   one of its surveys opens or is answered; a national report never scans the answers).
//! - `survey_versions`: one row, bumped in every transaction that changes the tallies, so a
//!   report kept in memory knows whether it still holds (on every instance).
//! - `entity_departures`: a person who answered in a follow-up that they are no longer in the
//!   entity of a municipality (deleted when they say they are back). A source of the figures'
//!   "still in the entity", so its writes mark the person's cohorts dirty like the others.

use crate::m20261124_000004_figures::{drop_source_triggers, source_triggers};
use crate::shapes::{
    Cascade, References, drop_tables_if_exist, execute_all, id, migration_name, one_of, pk,
    timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

migration_name!("m20261127_000007_surveys");

const DEPARTURES: &[(&str, &str)] = &[(
    "entity_departures",
    "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.participant_id",
)];

/// A 1–5 answer; empty in a follow-up's row.
fn score(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .small_integer()
        .null()
        .check(Expr::col(name).between(1, 5))
        .take()
}

const KINDS: &[&str] = &["satisfaction", "follow_up"];

/// The sums of `survey_tallies`.
const TALLY_COUNTS: &[&str] = &[
    "invited",
    "responded",
    "n",
    "calidad",
    "pertinencia",
    "oportunidad",
    "metodologia",
    "instructor",
    "logistica",
    "si",
    "parcialmente",
    "no",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("surveys")
                    .col(id())
                    .col(ColumnDef::new("enrolment_id").integer().not_null())
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(one_of("kind", KINDS))
                    .col(timestamp("opens_at"))
                    .col(timestamp("closes_at"))
                    .col(
                        ColumnDef::new("answered")
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp_null("reminded_at"))
                    .refs("enrolment_id", "enrolments", Cascade)
                    .refs("cohort_id", "cohorts", Cascade)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("survey_responses")
                    .col(ColumnDef::new("id").string_len(32).not_null().primary_key())
                    .col(ColumnDef::new("cohort_id").integer().not_null())
                    .col(ColumnDef::new("department_code").string_len(2).not_null())
                    .col(one_of("kind", KINDS))
                    .col(score("calidad"))
                    .col(score("pertinencia"))
                    .col(score("oportunidad"))
                    .col(score("metodologia"))
                    .col(score("instructor"))
                    .col(score("logistica"))
                    .col(
                        ColumnDef::new("aplicacion")
                            .string()
                            .null()
                            .check(Expr::col("aplicacion").is_in(["si", "parcialmente", "no"])),
                    )
                    .col(ColumnDef::new("comment").text().null())
                    .refs("cohort_id", "cohorts", Cascade)
                    .take(),
            )
            .await?;
        let mut tallies = Table::create()
            .table("survey_tallies")
            .col(ColumnDef::new("cohort_id").integer().not_null())
            .col(ColumnDef::new("department_code").string_len(2).not_null())
            .col(one_of("kind", KINDS))
            .primary_key(&mut pk(&["cohort_id", "department_code", "kind"]))
            .refs("cohort_id", "cohorts", Cascade)
            .take();
        for name in TALLY_COUNTS {
            tallies.col(ColumnDef::new(*name).big_integer().not_null().default(0));
        }
        manager.create_table(tallies).await?;
        manager
            .create_table(
                Table::create()
                    .table("entity_departures")
                    .col(ColumnDef::new("participant_id").integer().not_null())
                    .col(ColumnDef::new("municipality_code").string_len(5).not_null())
                    .col(timestamp("reported_at"))
                    .primary_key(&mut pk(&["participant_id", "municipality_code"]))
                    .refs("participant_id", "participants", Cascade)
                    .take(),
            )
            .await?;
        for (name, table, columns, unique) in [
            (
                "ux_surveys_enrolment_kind",
                "surveys",
                &["enrolment_id", "kind"][..],
                true,
            ),
            (
                "ix_surveys_cohort_kind",
                "surveys",
                &["cohort_id", "kind"][..],
                false,
            ),
            (
                "ix_surveys_department_kind",
                "surveys",
                &["department_code", "kind", "cohort_id"][..],
                false,
            ),
            (
                "ix_surveys_pending",
                "surveys",
                &["answered", "closes_at"][..],
                false,
            ),
            (
                "ix_survey_responses_department",
                "survey_responses",
                &["department_code", "kind", "cohort_id"][..],
                false,
            ),
            (
                "ix_survey_tallies_department",
                "survey_tallies",
                &["department_code", "kind", "cohort_id"][..],
                false,
            ),
            (
                "ix_survey_responses_cohort",
                "survey_responses",
                &["cohort_id", "kind"][..],
                false,
            ),
        ] {
            let mut index = Index::create().name(name).table(table).take();
            if unique {
                index.unique();
            }
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("survey_versions")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(
                        ColumnDef::new("version")
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO survey_versions (id, version) VALUES (1, 0)")
            .await?;
        execute_all(db, source_triggers(db.get_database_backend(), DEPARTURES)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        execute_all(
            db,
            drop_source_triggers(db.get_database_backend(), &["entity_departures"]),
        )
        .await?;
        drop_tables_if_exist(
            manager,
            &[
                "survey_versions",
                "entity_departures",
                "survey_tallies",
                "survey_responses",
                "surveys",
            ],
        )
        .await
    }
}
