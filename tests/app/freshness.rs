//! Issue 61, item 2: whoever writes reads her write on her next request — pages and API,
//! the kept ones included — with the figures worker running and the kept pages on as in
//! production (and a long grace, so that a content kept from before the write would be
//! served if the grace covered it). A page that may be behind a write it knows of (a cohort's
//! desk, whose figures follow through the worker) says «actualizando». SQLite (group commit)
//! and PostgreSQL.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, api_get, api_post, demo_account, json_array, json_items, page,
    sign_in_page,
};
use crate::world::{Session, World, days, put_marks, set_status};
use chrono::Duration;
use domain::entities::values::Role;
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Production's settings for what these tests read: the figures worker, kept pages, and a
/// grace far longer than the tests take.
async fn production_like() -> TestApp {
    TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("figures_delay_ms", json!(250)),
        ("dashboard_cache_seconds", json!(300)),
        ("kept_grace_ms", json!(30_000)),
    ])
    .await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = api_get(app, path, Some(token)).await;
    assert_eq!(status, Status::Ok, "{path}: {body}");
    body
}

#[rocket::async_test]
async fn a_cost_recorded_shows_in_the_plans_progress_on_the_next_read() {
    let app = production_like().await;
    let world = World::new(&app).await;
    let (plan, line) = crate::costs::approved_plan(&app, &world).await;
    let cohort = world.cohort().dates(days(0), days(30)).create().await;
    let progress = format!("/api/v1/plans/{plan}/progress");
    // Read (and kept) before the cost.
    let before = get(&app, &world.staff, &progress).await;
    assert_eq!(before["lines"][0]["budget"]["executed"], 0, "{before}");
    api_post(
        &app,
        &format!("/api/v1/cohorts/{}/costs", cohort.id),
        Some(&world.staff),
        json!({"kind": "instructores", "basis": "fijo", "amount": 3_500_000,
                    "stage": "ejecutado", "plan_line_id": line}),
    )
    .await
    .expect_status(Status::Created);
    // At once: the API and the plan's page.
    let after = get(&app, &world.staff, &progress).await;
    assert_eq!(
        after["lines"][0]["budget"]["executed"], 3_500_000,
        "{after}"
    );
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let (status, html) = page(&app, &format!("/planes/{plan}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("3.500.000"), "{html}");
    assert!(!html.contains("Actualizando"), "nothing is behind: {html}");
}

/// The completions a report reads for `cohort` (the attendance report's rows).
async fn completed(app: &TestApp, token: &str, cohort: i64) -> i64 {
    let report = get(
        app,
        token,
        &format!("/api/v1/reports/attendance?cohort={cohort}"),
    )
    .await;
    json_items(&report)
        .iter()
        // Null while the cohort runs.
        .map(|row| row["completed"].as_i64().unwrap_or(0))
        .sum()
}

/// People who completed a course in Puerto Rico, as its impact reads them (every capacity,
/// every year).
async fn completed_in_puerto_rico(app: &TestApp, token: &str) -> i64 {
    let impact = get(app, token, "/api/v1/municipalities/18592/impact").await;
    json_array(&impact["capacities"])
        .iter()
        .flat_map(|c| json_array(&c["by_year"]).iter())
        .map(|y| y["completed"].as_i64().unwrap())
        .sum()
}

#[rocket::async_test]
async fn a_cohort_closed_shows_in_the_impact_and_the_attendance_report_on_the_next_read() {
    let app = production_like().await;
    let world = World::new(&app).await;
    let past = [Duration::days(-6), Duration::days(-3)];
    let cohort = world
        .cohort()
        .name("Cierre visible")
        .sessions_from_now(&past, 60)
        .create()
        .await;
    let people = world.people("cierre").count(3).of("18592").create().await;
    let mut enrolments = Vec::new();
    for person in &people {
        enrolments.push(world.enrol(cohort.id, person.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    for session in &cohort.sessions {
        let marks: Vec<Value> = enrolments
            .iter()
            .map(|e| json!({"enrolment_id": e, "status": "presente"}))
            .collect();
        let (status, body) =
            put_marks(&app, &world.instructor, *session, Value::Array(marks)).await;
        assert_eq!(status, Status::Ok, "{body}");
    }
    // Read (and kept) before the closing.
    assert_eq!(completed(&app, &world.staff, cohort.id).await, 0);
    let before = completed_in_puerto_rico(&app, &world.staff).await;
    let (status, body) = set_status(&app, &world.staff, cohort.id, "closed").await;
    assert_eq!(status, Status::Ok, "{body}");
    // At once, nobody waiting for the worker.
    assert_eq!(completed(&app, &world.staff, cohort.id).await, 3);
    // Three people in each capacity of the course.
    let course = crate::world::catalogue_course(app.db(), "PT").await;
    let capacities = domain::entities::course_capacity::Entity::find()
        .filter(domain::entities::course_capacity::Column::CourseId.eq(course.id))
        .fetch_count(app.db())
        .await as i64;
    assert!(capacities > 0);
    assert_eq!(
        completed_in_puerto_rico(&app, &world.staff).await,
        before + 3 * capacities
    );
}

/// A cohort's desk leaves its figures to the worker: a report read before they are flushed
/// says «actualizando», and within the bound it shows them and says nothing.
#[rocket::async_test]
async fn a_report_behind_the_desks_writes_says_it_is_updating() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("figures_delay_ms", json!(1_500)),
        ("dashboard_cache_seconds", json!(300)),
        ("kept_grace_ms", json!(1_000)),
    ])
    .await;
    let world = World::new(&app).await;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    // The worker also looks for names every five seconds (`figures::worker::POLL`): a look
    // begun just before the enrolments flushes them before the page is read. Then the page
    // rightly says nothing, and the scenario is played again with new people; three times in
    // a row would be no coincidence.
    let mut behind = None;
    for attempt in 1..=3 {
        let cohort = world
            .cohort()
            .name(&format!("Escritorio {attempt}"))
            .session(Session::from_now(Duration::days(3), 60))
            .create()
            .await;
        let people = world
            .people(&format!("escritorio{attempt}"))
            .count(2)
            .of("18592")
            .create()
            .await;
        settled(&app).await;
        for person in &people {
            world.enrols_herself(cohort.id, person).await;
        }
        let (_, html) = page(&app, "/reportes").await;
        if html.contains("Actualizando") {
            behind = Some(cohort);
            break;
        }
    }
    let cohort = behind.expect("a report read right after the desk's writes says «actualizando»");
    settled(&app).await;
    let report = get(
        &app,
        &world.staff,
        &format!("/api/v1/reports/attendance?cohort={}", cohort.id),
    )
    .await;
    let enrolled: i64 = json_items(&report)
        .iter()
        .map(|row| row["enrolled"].as_i64().unwrap())
        .sum();
    assert_eq!(enrolled, 2, "{report}");
}

/// Waits until the coordinator's reports page no longer says «actualizando», within the bound
/// (the figures' delay and the kept pages' grace, with room for a loaded machine).
async fn settled(app: &TestApp) {
    let started = std::time::Instant::now();
    loop {
        let (status, html) = page(app, "/reportes").await;
        assert_eq!(status, Status::Ok);
        if !html.contains("Actualizando") {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "still «actualizando» after {:?}",
            started.elapsed()
        );
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
