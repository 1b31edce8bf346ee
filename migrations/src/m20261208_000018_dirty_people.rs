//! Issue 36: the figures flush recomputes the people a write touched, not the whole cohort's.
//!
//! `figures_dirty` gains `participant_id`. The triggers of the sources that change one
//! person's capacity and differential rows (an enrolment, a certificate, a consent, a
//! departure from the entity, a person's own municipality or attributes) name that person
//! beside the cohort; the other sources (sessions, attendance marks, a course's capacities, a
//! cohort's status) keep naming the cohort alone (`participant_id` null), which means every
//! person of the cohort. Before, one enrolment made the flush recompute the capacity rows of
//! every person of its cohort (three grouped reads over all of them, more than half of an
//! enrolment's time on the enrolment day).
//!
//! An update of an enrolment names the person before and after (an account merge moves
//! enrolments from one person to another: both change).

use crate::m20261124_000004_figures::{
    drop_source_triggers, mark as cohort_mark, postgres_function_marking, source_triggers,
};
use crate::shapes::migration_name;
use crate::shapes::{drop_column, execute_all, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration_name!("m20261208_000018_dirty_people");

/// (table, the SQL naming the touched cohorts and people from a trigger's `{row}`) of the
/// sources that touch people one by one, on every insert, update and delete.
const PEOPLE_SOURCES: &[(&str, &str)] = &[
    (
        "enrolments",
        "SELECT {row}.cohort_id AS cohort_id, {row}.participant_id AS participant_id",
    ),
    (
        "certificates",
        "SELECT {row}.cohort_id AS cohort_id, {row}.participant_id AS participant_id",
    ),
    (
        "consents",
        "SELECT cohort_id AS cohort_id, participant_id AS participant_id FROM enrolments \
         WHERE participant_id = {row}.participant_id",
    ),
    (
        "entity_departures",
        "SELECT cohort_id AS cohort_id, participant_id AS participant_id FROM enrolments \
         WHERE participant_id = {row}.participant_id",
    ),
];

/// The same sources as migration 4 and 7 named them (cohorts only), for `down`.
const COHORT_SOURCES: &[(&str, &str)] = &[
    ("enrolments", "SELECT {row}.cohort_id AS cohort_id"),
    ("certificates", "SELECT {row}.cohort_id AS cohort_id"),
    (
        "consents",
        "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.participant_id",
    ),
    (
        "entity_departures",
        "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.participant_id",
    ),
];

/// A person's own row: only when their municipality or an attribute of the differential
/// approach changes (as in migration 4).
const PARTICIPANT_COLUMNS: &str =
    "municipality_code, sex, ethnic_group, has_disability, is_conflict_victim";
const PARTICIPANT_PEOPLE: &str = "SELECT cohort_id AS cohort_id, participant_id AS participant_id \
     FROM enrolments WHERE participant_id = {row}.id";
const PARTICIPANT_COHORTS: &str =
    "SELECT cohort_id AS cohort_id FROM enrolments WHERE participant_id = {row}.id";

/// The statement a trigger runs: names each touched (cohort, person) once, and nothing when
/// the whole cohort is named already.
fn mark(select: &str, row: &str) -> String {
    format!(
        "INSERT INTO figures_dirty (cohort_id, participant_id) \
         SELECT touched.cohort_id, touched.participant_id FROM ({}) AS touched \
         WHERE NOT EXISTS (SELECT 1 FROM figures_dirty WHERE figures_dirty.cohort_id = touched.cohort_id \
         AND figures_dirty.participant_id IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM figures_dirty WHERE figures_dirty.cohort_id = touched.cohort_id \
         AND figures_dirty.participant_id = touched.participant_id)",
        select.replace("{row}", row)
    )
}

fn up_statements(backend: DbBackend) -> Vec<String> {
    let tables: Vec<&str> = PEOPLE_SOURCES.iter().map(|(table, _)| *table).collect();
    let mut out = drop_source_triggers(backend, &tables);
    if backend == DbBackend::Postgres {
        out.push("DROP TRIGGER IF EXISTS figures_participants ON participants".into());
        out.push("DROP FUNCTION IF EXISTS figures_touch_participants()".into());
        for (table, select) in PEOPLE_SOURCES {
            out.push(postgres_function(table, select));
            out.push(format!(
                "CREATE TRIGGER figures_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION figures_touch_{table}()"
            ));
        }
        out.push(postgres_function("participants", PARTICIPANT_PEOPLE));
        out.push(format!(
            "CREATE TRIGGER figures_participants AFTER UPDATE OF {PARTICIPANT_COLUMNS} \
             ON participants FOR EACH ROW EXECUTE FUNCTION figures_touch_participants()"
        ));
    } else {
        out.push("DROP TRIGGER IF EXISTS figures_participants_update".into());
        for (table, select) in PEOPLE_SOURCES {
            out.push(format!(
                "CREATE TRIGGER figures_{table}_insert AFTER INSERT ON {table} BEGIN {}; END",
                mark(select, "NEW")
            ));
            out.push(format!(
                "CREATE TRIGGER figures_{table}_update AFTER UPDATE ON {table} BEGIN {}; {}; END",
                mark(select, "OLD"),
                mark(select, "NEW")
            ));
            out.push(format!(
                "CREATE TRIGGER figures_{table}_delete AFTER DELETE ON {table} BEGIN {}; END",
                mark(select, "OLD")
            ));
        }
        out.push(format!(
            "CREATE TRIGGER figures_participants_update AFTER UPDATE OF {PARTICIPANT_COLUMNS} \
             ON participants BEGIN {}; END",
            mark(PARTICIPANT_PEOPLE, "NEW")
        ));
    }
    out
}

fn postgres_function(name: &str, select: &str) -> String {
    postgres_function_marking(name, select, mark)
}

/// The triggers `up` made, dropped (before the column they write goes).
fn down_drops(backend: DbBackend) -> Vec<String> {
    let tables: Vec<&str> = COHORT_SOURCES.iter().map(|(table, _)| *table).collect();
    let mut out = drop_source_triggers(backend, &tables);
    if backend == DbBackend::Postgres {
        out.push("DROP TRIGGER IF EXISTS figures_participants ON participants".into());
        out.push("DROP FUNCTION IF EXISTS figures_touch_participants()".into());
    } else {
        out.push("DROP TRIGGER IF EXISTS figures_participants_update".into());
    }
    out
}

/// The triggers of migrations 4 and 7, as they were (cohorts only).
fn down_creates(backend: DbBackend) -> Vec<String> {
    let mut out = source_triggers(backend, COHORT_SOURCES);
    if backend == DbBackend::Postgres {
        out.push(postgres_function_marking(
            "participants",
            PARTICIPANT_COHORTS,
            cohort_mark,
        ));
        out.push(format!(
            "CREATE TRIGGER figures_participants AFTER UPDATE OF {PARTICIPANT_COLUMNS} \
             ON participants FOR EACH ROW EXECUTE FUNCTION figures_touch_participants()"
        ));
    } else {
        out.push(format!(
            "CREATE TRIGGER figures_participants_update AFTER UPDATE OF {PARTICIPANT_COLUMNS} \
             ON participants BEGIN {}; END",
            cohort_mark(PARTICIPANT_COHORTS, "NEW")
        ));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("figures_dirty")
                    // The touched person; null: every person of the cohort.
                    .add_column(ColumnDef::new("participant_id").integer().null())
                    .take(),
            )
            .await?;
        // Both look-ups of a trigger's check (the cohort named alone; the cohort with this
        // person) are one seek each, however many people a bulk write names.
        manager
            .drop_index(
                Index::drop()
                    .name("ix_figures_dirty_cohort_id")
                    .table("figures_dirty")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_figures_dirty_cohort_person")
                    .table("figures_dirty")
                    .col("cohort_id")
                    .col("participant_id")
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        execute_all(db, up_statements(db.get_database_backend())).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        execute_all(db, down_drops(db.get_database_backend())).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_figures_dirty_cohort_person")
                    .table("figures_dirty")
                    .to_owned(),
            )
            .await?;
        drop_column(manager, "figures_dirty", "participant_id").await?;
        manager
            .create_index(index("figures_dirty", &["cohort_id"]))
            .await?;
        execute_all(db, down_creates(db.get_database_backend())).await?;
        Ok(())
    }
}
