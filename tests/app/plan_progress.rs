//! Issue 47: the plan against reality. A hand-built case computed exactly — goals' progress
//! against a straight line through the year, the budget's execution from cost items (a
//! per-participant item following the people trained), the cost per person certified — a
//! closed period that reads the same after later writes, and the home pages flagging a line
//! behind.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, api, api_get, api_post, json_array, json_str, page, sign_in_page,
};
use crate::world::{Session, World, days};
use chrono::{Datelike, NaiveDate};
use domain::entities::cost_item;
use domain::entities::values::{CostBasis, CostKind, CostStage, Mark};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// Valparaíso (Caquetá): no demo cohort or assistance reaches it.
const VALPARAISO: &str = "18860";
/// Solita (Caquetá): neither; last year's plan's line, apart from this year's.
const SOLITA: &str = "18785";

fn goal<'a>(line: &'a Value, key: &str) -> &'a Value {
    json_array(&line["goals"])
        .iter()
        .find(|g| g["goal"] == key)
        .unwrap_or_else(|| panic!("goal {key} in {line}"))
}

/// What a straight line through `year` expects of `target` by the end of `day`.
fn expected(target: i64, year: i32, day: NaiveDate) -> i64 {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let total = (NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap() - first).num_days();
    target * ((day - first).num_days() + 1) / total
}

async fn progress(app: &TestApp, token: &str, plan: i64, period: &str) -> Value {
    api_get(
        app,
        &format!("/api/v1/plans/{plan}/progress?period={period}"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok)
}

async fn cost(
    app: &TestApp,
    cohort: i64,
    line: i64,
    basis: CostBasis,
    stage: CostStage,
    amount: i64,
    on: NaiveDate,
) {
    cost_item::ActiveModel {
        provider_id: Set(domain::providers::ESAP),
        cohort_id: Set(Some(cohort as i32)),
        assistance_id: Set(None),
        plan_line_id: Set(Some(line as i32)),
        kind: Set(CostKind::Instructores),
        basis: Set(basis),
        amount: Set(amount),
        stage: Set(stage),
        incurred_on: Set(on),
        description: Set(None),
        reference: Set(None),
        created_by: Set(None),
        created_at: Set(domain::time::now()),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
}

#[rocket::async_test]
async fn progress_and_cost_per_person_certified_are_exact_and_a_closed_period_keeps_its_figures() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let today = domain::time::today();
    let year = today.year();
    // The cohort starts on the first of this month (this year's, never after today) with a
    // session at midnight of that day (started whatever the hour); the closed period is last
    // year's December, of a plan of its own (below): both exist every day of the year.
    let start = today.with_day(1).unwrap();

    let capacity = domain::entities::capacity::Entity::find()
        .filter(domain::entities::capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let course = crate::world::catalogue_course(app.db(), "PT").await.id;
    // Last year's plan, its line in Solita: its December is closed, and read before anything
    // happened there it is frozen so. A plan is created for this year or the next only, so it
    // is drafted and approved for this year (before this year's own, one per provider and
    // year) and its row then moved to last year, as a plan approved last year reads today.
    let past = api_post(
        &app,
        "/api/v1/plans",
        Some(&world.staff),
        json!({"year": year, "name": "Plan nacional del año anterior"}),
    )
    .await
    .expect_status(Status::Created);
    let past = past["id"].as_i64().unwrap();
    let past_line = api_post(
        &app,
        &format!("/api/v1/plans/{past}/lines"),
        Some(&world.staff),
        json!({
            "capacity_id": capacity,
            "course_id": course,
            "targets": {"municipality_codes": [SOLITA]},
            "goals": {"cohorts": 1, "people_trained": 5},
            "budget": [{"source": "inversion", "amount": 5_000_000}],
        }),
    )
    .await
    .expect_status(Status::Created);
    let past_line = past_line["id"].as_i64().unwrap();
    api_post(
        &app,
        &format!("/api/v1/plans/{past}/approval"),
        Some(&world.staff),
        json!({"act": "Resolución 99 de prueba"}),
    )
    .await
    .expect_status(Status::Ok);
    let mut moved: domain::entities::plan::ActiveModel =
        domain::entities::plan::Entity::find_by_id(past as i32)
            .expect_one(app.db())
            .await
            .into();
    moved.year = Set(year - 1);
    moved.update(app.db()).await.unwrap();
    let december = NaiveDate::from_ymd_opt(year - 1, 12, 15).unwrap();
    let closed_key = format!("{}-12", year - 1);
    let frozen = progress(&app, &world.staff, past, &closed_key).await;
    assert_eq!(frozen["closed"], true);
    assert!(frozen["frozen_at"].is_string(), "{frozen}");
    assert_eq!(goal(&frozen["lines"][0], "people_trained")["achieved"], 0);

    // ESAP's national plan: one line, Planeación Territorial's course in Valparaíso.
    let plan = api_post(
        &app,
        "/api/v1/plans",
        Some(&world.staff),
        json!({"year": year, "name": "Plan nacional de prueba"}),
    )
    .await
    .expect_status(Status::Created);
    let plan = plan["id"].as_i64().unwrap();
    let line = api_post(&app, &format!("/api/v1/plans/{plan}/lines"), Some(&world.staff), json!({
            "capacity_id": capacity,
            "course_id": course,
            "targets": {"municipality_codes": [VALPARAISO]},
            "goals": {"cohorts": 2, "people_trained": 12, "people_certified": 3, "municipalities_reached": 1},
            "budget": [{"source": "inversion", "amount": 10_000_000}],
        })).await.expect_status(Status::Created);
    let line_id = line["id"].as_i64().unwrap();
    api_post(
        &app,
        &format!("/api/v1/plans/{plan}/approval"),
        Some(&world.staff),
        json!({"act": "Resolución 100 de prueba"}),
    )
    .await
    .expect_status(Status::Ok);

    // Before anything happened there: nothing achieved.
    let before = progress(&app, &world.staff, plan, "").await;
    assert_eq!(
        goal(&before["lines"][0], "people_trained")["achieved"],
        0,
        "{before}"
    );
    // Then two people of Solita trained in a cohort that started that December, and what it
    // cost then.
    let past_cohort = world
        .cohort()
        .name("Cohorte de diciembre")
        .dates(december, days(30))
        .create()
        .await;
    for person in &world.people("solita").count(2).of(SOLITA).create().await {
        world.enrol(past_cohort.id, person.id).await;
    }
    world.move_cohort(past_cohort.id, "in_progress").await;
    cost(
        &app,
        past_cohort.id,
        past_line,
        CostBasis::Fijo,
        CostStage::Ejecutado,
        2_500_000,
        december,
    )
    .await;

    // Four people of Valparaíso trained; three attend enough and are certified.
    let cohort = world
        .cohort()
        .dates(start, days(30))
        .session(Session::on(start, (0, 0), (1, 0)))
        .create()
        .await;
    let people = world
        .people("valparaiso")
        .count(4)
        .of(VALPARAISO)
        .create()
        .await;
    let mut enrolments = Vec::new();
    for person in &people {
        enrolments.push(world.enrol(cohort.id, person.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    world
        .take_attendance(
            &cohort.sessions,
            &[
                (enrolments[0], &[Mark::Presente]),
                (enrolments[1], &[Mark::Presente]),
                (enrolments[2], &[Mark::Presente]),
                (enrolments[3], &[Mark::Ausente]),
            ],
        )
        .await;
    world.move_cohort(cohort.id, "closed").await;
    let issued = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", cohort.id),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(json_array(&issued["issued"]).len(), 3, "{issued}");

    // Costs: executed 3.200.000 fixed and 100.000 per participant (four trained: 400.000),
    // committed 1.000.000, estimated 500.000; one executed item dated after today is not
    // counted yet.
    cost(
        &app,
        cohort.id,
        line_id,
        CostBasis::Fijo,
        CostStage::Ejecutado,
        3_200_000,
        today,
    )
    .await;
    cost(
        &app,
        cohort.id,
        line_id,
        CostBasis::PorParticipante,
        CostStage::Ejecutado,
        100_000,
        start,
    )
    .await;
    cost(
        &app,
        cohort.id,
        line_id,
        CostBasis::Fijo,
        CostStage::Comprometido,
        1_000_000,
        today,
    )
    .await;
    cost(
        &app,
        cohort.id,
        line_id,
        CostBasis::Fijo,
        CostStage::Planeado,
        500_000,
        today,
    )
    .await;
    cost(
        &app,
        cohort.id,
        line_id,
        CostBasis::Fijo,
        CostStage::Ejecutado,
        9_000_000,
        NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap()
            .max(today + chrono::Duration::days(1)),
    )
    .await;

    let now = progress(&app, &world.staff, plan, "").await;
    let line = &now["lines"][0];
    assert_eq!(line["line_id"], line_id);
    for (key, target, achieved) in [
        ("cohorts", 2, 1),
        ("people_trained", 12, 4),
        ("people_certified", 3, 3),
        ("municipalities_reached", 1, 1),
    ] {
        let g = goal(line, key);
        let want = expected(target, year, today);
        assert_eq!(g["target"], target, "{key}");
        assert_eq!(g["achieved"], achieved, "{key}: {line}");
        assert_eq!(g["expected_to_date"], want, "{key}");
        assert_eq!(g["gap"], achieved - want, "{key}");
        assert_eq!(g["behind"], want > 0 && achieved * 100 < want * 90, "{key}");
    }
    assert_eq!(line["budget"]["planned"], 10_000_000);
    assert_eq!(line["budget"]["executed"], 3_600_000, "{line}");
    assert_eq!(line["budget"]["committed"], 4_600_000);
    assert_eq!(line["budget"]["estimated"], 500_000);
    assert_eq!(line["cost_per_person_certified"], 1_200_000);
    assert_eq!(line["cost_per_municipality_reached"], 3_600_000);
    assert!(line["cost_per_assistance_closed"].is_null());
    assert_eq!(now["total"]["budget"]["executed"], 3_600_000);
    assert_eq!(goal(&now["total"], "people_trained")["achieved"], 4);
    // Nothing happened there the year before: the baseline is 0.
    assert_eq!(goal(line, "people_trained")["baseline"], 0, "{line}");

    // Next year's plan with the same line: this year's delivery is its baseline («línea
    // base»), nothing achieved yet.
    let next = api_post(
        &app,
        "/api/v1/plans",
        Some(&world.staff),
        json!({"year": year + 1, "name": "Plan nacional siguiente"}),
    )
    .await
    .expect_status(Status::Created);
    let next = next["id"].as_i64().unwrap();
    api_post(&app, &format!("/api/v1/plans/{next}/lines"), Some(&world.staff), json!({
            "capacity_id": capacity,
            "course_id": course,
            "targets": {"municipality_codes": [VALPARAISO]},
            "goals": {"cohorts": 2, "people_trained": 12, "people_certified": 3, "municipalities_reached": 1},
            "budget": [{"source": "inversion", "amount": 10_000_000}],
        })).await.expect_status(Status::Created);
    let ahead = progress(&app, &world.staff, next, "").await;
    for (key, baseline) in [
        ("cohorts", 1),
        ("people_trained", 4),
        ("people_certified", 3),
        ("municipalities_reached", 1),
    ] {
        let g = goal(&ahead["lines"][0], key);
        assert_eq!(g["baseline"], baseline, "{key}: {ahead}");
        assert_eq!(g["achieved"], 0, "{key}");
        assert_eq!(goal(&ahead["total"], key)["baseline"], baseline, "{key}");
    }

    // The closed month keeps what it froze, whatever was written after, while its year reads
    // what happened; this year's open quarter is computed afresh.
    let frozen = progress(&app, &world.staff, past, &closed_key).await;
    assert_eq!(
        goal(&frozen["lines"][0], "people_trained")["achieved"],
        0,
        "{frozen}"
    );
    assert_eq!(frozen["lines"][0]["budget"]["executed"], 0);
    let past_year = progress(&app, &world.staff, past, "").await;
    assert_eq!(
        goal(&past_year["lines"][0], "people_trained")["achieved"],
        2,
        "{past_year}"
    );
    assert_eq!(past_year["lines"][0]["budget"]["executed"], 2_500_000);
    let live = progress(
        &app,
        &world.staff,
        plan,
        &format!("{year}-Q{}", (today.month() - 1) / 3 + 1),
    )
    .await;
    assert_eq!(live["closed"], false);
    assert_eq!(
        goal(&live["lines"][0], "people_trained")["achieved"],
        4,
        "{live}"
    );

    // A bad period is a 422 in Spanish.
    let body = api_get(
        &app,
        &format!("/api/v1/plans/{plan}/progress?period=2026-13"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(
        json_str(&body["errors"][0]["message"]).contains("periodo"),
        "{body}"
    );

    // The plan's page reads it; the coordinator's home flags the line behind (12 people
    // expected by the year's end, 4 trained).
    assert_eq!(
        sign_in_page(
            &app,
            "coordinacion@aulaterritorial.example",
            "Coordina-Aula-2026"
        )
        .await,
        Status::SeeOther
    );
    let (status, html) = page(&app, &format!("/planes/{plan}")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Avance: Año a la fecha"), "{html}");
    assert!(
        html.contains("Costo por persona certificada: <strong>$\u{a0}1.200.000</strong>"),
        "{html}"
    );
    let behind = goal(line, "people_trained")["behind"] == true;
    let (_, home) = page(&app, "/").await;
    assert_eq!(
        home.contains("Plan nacional de prueba</a> · línea 1"),
        behind,
        "{home}"
    );
}
