//! The schema: migrations up and down on the test backend, and the invariants the database
//! itself enforces so no bug in the application can store what the rules forbid.

use crate::common::{TestApp, TestDatabase};
use domain::db;
use migrations::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

/// Tables the migrations create that no entity maps, each with why.
const WITHOUT_AN_ENTITY: &[(&str, &str)] = &[(
    "survey_versions",
    "one counter row bumped with raw SQL by `surveys::tallies` (a cache key), never read as rows",
)];

/// The table of every entity of the `entities` crate, read from its source (`table_name = …`):
/// the schema the application reads and writes, listed by nobody.
fn entity_tables() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/entities/src");
    let mut tables = Vec::new();
    for file in std::fs::read_dir(dir).expect("the entities' sources") {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap_or_default();
        for line in text.lines() {
            if let Some(rest) = line.split("table_name = \"").nth(1) {
                tables.push(rest.split('"').next().unwrap().to_string());
            }
        }
    }
    tables.sort();
    tables.dedup();
    tables
}

/// Every table in the database's catalogue (not the migrations' bookkeeping).
async fn existing_tables(db: &DatabaseConnection) -> Vec<String> {
    crate::support::catalogue_tables(db).await
}

#[rocket::async_test]
async fn migrations_go_up_down_and_up_again() {
    let database = TestDatabase::create().await;
    let conn = db::connect(&database.url).await.expect("connect");
    assert!(existing_tables(&conn).await.is_empty());

    Migrator::up(&conn, None).await.expect("up");
    let created = existing_tables(&conn).await;
    // Every entity's table and nothing else but the named exceptions.
    let mut expected = entity_tables();
    expected.extend(WITHOUT_AN_ENTITY.iter().map(|(t, _)| t.to_string()));
    expected.sort();
    assert_eq!(
        created, expected,
        "the tables up creates, against the entities"
    );
    assert!(created.len() > 90, "{} tables", created.len());

    Migrator::down(&conn, None).await.expect("down");
    assert!(
        existing_tables(&conn).await.is_empty(),
        "down removes every table: {:?}",
        existing_tables(&conn).await
    );

    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(existing_tables(&conn).await, created);
    // Running up on an up-to-date schema is a no-op.
    Migrator::up(&conn, None).await.expect("up when current");
    assert_eq!(existing_tables(&conn).await, created);
    conn.close().await.ok();
}

/// Issue 46: a migration that fails half-way leaves nothing of itself behind, and the next start
/// applies it whole. Migration 17 creates `kept_contents` and then its index; an object already
/// holding the index's name makes the second statement fail after the first succeeded.
#[rocket::async_test]
async fn a_migration_failing_half_way_is_completed_by_the_next_start() {
    let database = TestDatabase::create().await;
    let conn = db::connect(&database.url).await.expect("connect");
    Migrator::up(&conn, Some(15))
        .await
        .expect("every migration before kept_contents (there is no number 12)");
    exec(&conn, "CREATE TABLE blocker (computed_at TEXT)")
        .await
        .expect("blocker table");
    exec(
        &conn,
        "CREATE INDEX kept_contents_computed_at ON blocker (computed_at)",
    )
    .await
    .expect("an index holding the name migration 17 needs");

    assert!(
        db::migrate(&conn).await.is_err(),
        "the second statement of migration 17 fails"
    );
    let manager = SchemaManager::new(&conn);
    assert!(
        !manager.has_table("kept_contents").await.expect("inspect"),
        "the first statement of the failed migration was undone"
    );
    assert_eq!(
        db::pending_migrations(&conn).await.expect("pending"),
        Migrator::migrations().len() - 15,
        "the failed migration is not recorded as applied (nor any after it)"
    );

    exec(&conn, "DROP TABLE blocker").await.expect("unblock");
    conn.close().await.ok();
    // The next start (the app as `serve` builds it) completes the schema and serves.
    let app = TestApp::on(database, &[]).await;
    assert!(
        SchemaManager::new(app.db())
            .has_table("kept_contents")
            .await
            .expect("inspect")
    );
    assert_eq!(db::pending_migrations(app.db()).await.expect("pending"), 0);
    let response = app.client.get("/health").dispatch().await;
    assert_eq!(response.status(), rocket::http::Status::Ok);
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

const PARTICIPANT: &str = "INSERT INTO participants (document_type, document_number, first_names, \
    last_names, municipality_code, entity_type, level, created_at, updated_at) VALUES \
    ('CC', '1117000111', 'Ana', 'Peña', '18592', 'alcaldia', 'tecnico', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";

const COHORT: &str = "INSERT INTO cohorts (course_id, name, modality, status, start_date, end_date, \
    enrolment_opens, enrolment_closes, seats, min_attendance_pct, pass_mark_tenths, created_at, updated_at) \
    VALUES ((SELECT id FROM courses WHERE code = 'PT'), 'Cohorte de prueba', 'mixta', 'open', \
    '2026-02-01', '2026-03-01', '2026-01-01', '2026-01-30', 10, 80, 30, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";

fn enrolment(status: &str) -> String {
    format!(
        "INSERT INTO enrolments (cohort_id, participant_id, status, municipality_code, entity_type, \
         created_at, updated_at) VALUES ((SELECT MAX(id) FROM cohorts), (SELECT MAX(id) FROM participants), \
         '{status}', '18592', 'alcaldia', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
}

#[rocket::async_test]
async fn the_database_refuses_what_the_rules_forbid() {
    let app = TestApp::new().await;
    let db = app.db();
    exec(db, PARTICIPANT).await.expect("first participant");
    assert!(
        exec(db, PARTICIPANT).await.is_err(),
        "same document type and number twice"
    );

    exec(db, COHORT).await.expect("cohort");
    assert!(
        exec(db, &COHORT.replace("'mixta'", "'a distancia'"))
            .await
            .is_err(),
        "unknown modality"
    );
    assert!(
        exec(db, &COHORT.replace(", 10, 80", ", 0, 80"))
            .await
            .is_err(),
        "zero seats"
    );
    assert!(
        exec(db, &COHORT.replace("'2026-03-01'", "'2026-01-15'"))
            .await
            .is_err(),
        "end before start"
    );

    exec(db, &enrolment("enrolled"))
        .await
        .expect("first enrolment");
    assert!(
        exec(db, &enrolment("waitlisted")).await.is_err(),
        "a second active enrolment in the same cohort"
    );
    exec(db, "UPDATE enrolments SET status = 'cancelled'")
        .await
        .expect("cancel");
    exec(db, &enrolment("enrolled"))
        .await
        .expect("enrol again after cancelling");
    assert!(
        exec(db, &enrolment("inscrito")).await.is_err(),
        "unknown enrolment status"
    );

    assert!(
        exec(
            db,
            "INSERT INTO enrolments (cohort_id, participant_id, status, municipality_code, entity_type, \
             created_at, updated_at) VALUES (999999, (SELECT MAX(id) FROM participants), 'enrolled', \
             '18592', 'alcaldia', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        .await
        .is_err(),
        "foreign keys are enforced"
    );

    exec(
        db,
        "INSERT INTO cohort_sessions (cohort_id, starts_at, ends_at, topic, check_in_secret, created_at, \
         updated_at) VALUES ((SELECT MAX(id) FROM cohorts), '2026-02-03 19:00:00+00:00', \
         '2026-02-03 22:00:00+00:00', 'Sesión 1', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    .await
    .expect("session");
    let mark = "INSERT INTO attendance_marks (session_id, enrolment_id, status, source, recorded_at) \
        VALUES ((SELECT MAX(id) FROM cohort_sessions), (SELECT MAX(id) FROM enrolments), 'presente', \
        'manual', CURRENT_TIMESTAMP)";
    exec(db, mark).await.expect("mark");
    assert!(
        exec(db, mark).await.is_err(),
        "two marks for one session and enrolment"
    );
    assert!(
        exec(db, &mark.replace("'presente'", "'vino'"))
            .await
            .is_err(),
        "unknown attendance status"
    );

    exec(
        db,
        "INSERT INTO assessments (cohort_id, name, weight, position, created_at, updated_at) VALUES \
         ((SELECT MAX(id) FROM cohorts), 'Final', 100, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    .await
    .expect("assessment");
    let score = |tenths: i32| {
        format!(
            "INSERT INTO scores (assessment_id, enrolment_id, score_tenths, recorded_at) VALUES \
             ((SELECT MAX(id) FROM assessments), (SELECT MAX(id) FROM enrolments), {tenths}, CURRENT_TIMESTAMP)"
        )
    };
    assert!(exec(db, &score(51)).await.is_err(), "a score above 5.0");
    exec(db, &score(45)).await.expect("score");
    assert!(
        exec(db, &score(30)).await.is_err(),
        "two scores for one assessment and enrolment"
    );
}

/// Issue 47: one plan per provider, year and territory even when the territory is absent (two
/// national plans of ESAP for the same year), and a plan line's budget in pesos above zero.
#[rocket::async_test]
async fn the_database_keeps_one_plan_per_territory_and_amounts_above_zero() {
    let app = TestApp::new().await;
    let db = app.db();
    let plan = |year: i32, department: &str| {
        format!(
            "INSERT INTO plans (provider_id, year, territorial_direction_id, department_code, name, \
             status, version, created_at, updated_at) VALUES (1, {year}, NULL, {department}, 'Plan', \
             'draft', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    exec(db, &plan(2026, "NULL"))
        .await
        .expect("ESAP's national plan");
    assert!(
        exec(db, &plan(2026, "NULL")).await.is_err(),
        "a second national plan of ESAP for 2026"
    );
    exec(db, &plan(2027, "NULL")).await.expect("another year");
    exec(db, &plan(2026, "'18'")).await.expect("a department's");
    assert!(
        exec(db, &plan(2026, "'18'")).await.is_err(),
        "the same department twice"
    );
    assert!(
        exec(db, &plan(2026, "'18'").replace("'draft'", "'vigente'"))
            .await
            .is_err(),
        "unknown plan status"
    );
    exec(
        db,
        "INSERT INTO plan_lines (plan_id, position, added_in_version, created_at) VALUES \
         ((SELECT MIN(id) FROM plans), 1, 1, CURRENT_TIMESTAMP)",
    )
    .await
    .expect("line");
    exec(
        db,
        "INSERT INTO plan_line_versions (line_id, plan_id, version, since_version, capacity_id) \
         VALUES ((SELECT MAX(id) FROM plan_lines), (SELECT MIN(id) FROM plans), 1, 1, \
         (SELECT MIN(id) FROM capacities))",
    )
    .await
    .expect("line version");
    let budget = |source: &str, amount: i64| {
        format!(
            "INSERT INTO plan_line_budgets (line_version_id, source, amount) VALUES \
             ((SELECT MAX(id) FROM plan_line_versions), '{source}', {amount})"
        )
    };
    assert!(
        exec(db, &budget("inversion", 0)).await.is_err(),
        "zero pesos"
    );
    assert!(
        exec(db, &budget("inversion", -5)).await.is_err(),
        "negative pesos"
    );
    assert!(
        exec(db, &budget("donaciones", 5)).await.is_err(),
        "unknown source"
    );
    exec(db, &budget("inversion", 12_000_000_000))
        .await
        .expect("twelve thousand million pesos fit");
    assert!(
        exec(db, &budget("inversion", 5)).await.is_err(),
        "the same source twice in one line version"
    );
    assert!(
        exec(
            db,
            "UPDATE plan_line_versions SET goal_cohorts = -1 WHERE id = (SELECT MAX(id) FROM \
             plan_line_versions)"
        )
        .await
        .is_err(),
        "a negative goal"
    );
}
