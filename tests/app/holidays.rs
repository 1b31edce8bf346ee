//! Colombia's public holidays (issue 67, item 6): the API lists them for any year; a session
//! on one is created by the API with a `festivo` warning naming it, while the page asks the
//! coordinator to confirm before it writes; a weekly series leaves them out when asked (the
//! page's default).

use crate::common::TestApp;
use crate::support::*;
use crate::world::{World, date};
use domain::entities::cohort_session;
use domain::entities::values::Role;
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

#[rocket::async_test]
async fn the_api_lists_a_years_holidays_without_sign_in() {
    let app = TestApp::new().await;
    let body = api_get(&app, "/api/v1/holidays?year=2027", None)
        .await
        .expect_status(Status::Ok);
    let items = json_items(&body);
    assert_eq!(items.len(), 18, "{body}");
    assert_eq!(
        items[1],
        json!({"date": "2027-01-11", "name": "Día de los Reyes Magos"})
    );
    assert!(items.contains(&json!({"date": "2027-03-26", "name": "Viernes Santo"})));
    // This year by default.
    let body = api_get(&app, "/api/v1/holidays", None)
        .await
        .expect_status(Status::Ok);
    let year = chrono::Datelike::year(&domain::time::today()).to_string();
    assert!(json_str(&body["items"][0]["date"]).starts_with(&year));
    for bad in ["dos mil", "1899", "2201", "2026.5"] {
        let (status, problem) = api_get(
            &app,
            &format!("/api/v1/holidays?year={}", domain::text::urlencode(bad)),
            None,
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}: {problem}");
        assert_eq!(error_fields(&problem), ["year"], "{bad}");
    }
}

/// A cohort running over Holy Week 2027 (Thursday 25 and Friday 26 March are holidays; Monday
/// 22 March is San José).
async fn holy_week_cohort(world: &World<'_>) -> i64 {
    world
        .cohort()
        .national()
        .dates(date("2027-03-15"), date("2027-04-09"))
        .enrolment(crate::world::days(-1), date("2027-03-12"))
        .session(crate::world::Session::on(date("2027-03-16"), (9, 0), (12, 0)).topic("Apertura"))
        .create()
        .await
        .id
}

fn on(day: &str, topic: &str) -> Value {
    json!({
        "starts_at": format!("{day}T14:00:00-05:00"),
        "ends_at": format!("{day}T16:00:00-05:00"),
        "topic": topic,
    })
}

#[rocket::async_test]
async fn a_session_on_a_holiday_is_created_by_the_api_with_a_warning() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = holy_week_cohort(&world).await;
    let path = format!("/api/v1/cohorts/{cohort}/sessions");

    let (status, session) =
        api_post(&app, &path, Some(&world.staff), on("2027-03-25", "Taller")).await;
    assert_eq!(status, Status::Created, "{session}");
    assert_eq!(
        session["warnings"],
        json!([{
            "code": "festivo",
            "message": "El jueves 25 de marzo de 2027 es festivo (Jueves Santo).",
        }])
    );
    // An ordinary Wednesday carries none; the list shows the same warnings.
    let ordinary = api_post(
        &app,
        &path,
        Some(&world.staff),
        on("2027-03-24", "Taller previo"),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(ordinary["warnings"], json!([]));
    let (_, list) = api_get(&app, &path, Some(&world.staff)).await;
    let flagged: Vec<&str> = json_items(&list)
        .iter()
        .filter(|s| !json_array(&s["warnings"]).is_empty())
        .map(|s| json_str(&s["topic"]))
        .collect();
    assert_eq!(flagged, ["Taller"]);

    // A series over the two weeks, Monday to Friday: kept with warnings by default…
    let series = |skip: Option<bool>| {
        let mut body = json!({
            "weekdays": [1, 2, 3, 4, 5],
            "start_time": "08:00",
            "end_time": "10:00",
            "from": "2027-03-22",
            "to": "2027-03-26",
            "topic": "Jornada",
        });
        if let Some(skip) = skip {
            body["skip_holidays"] = json!(skip);
        }
        body
    };
    let generate = format!("/api/v1/cohorts/{cohort}/sessions/generate");
    let kept = api_post(&app, &generate, Some(&world.staff), series(None))
        .await
        .expect_status(Status::Created);
    let warned = json_items(&kept)
        .iter()
        .filter(|s| s["warnings"][0]["code"] == "festivo")
        .count();
    assert_eq!((json_items(&kept).len(), warned), (5, 3));
    // …and left out when asked: Tuesday and Wednesday only.
    let skipped = api_post(&app, &generate, Some(&world.staff), series(Some(true)))
        .await
        .expect_status(Status::Created);
    let dates: Vec<&str> = json_items(&skipped)
        .iter()
        .map(|s| json_str(&s["local_date"]))
        .collect();
    assert_eq!(dates, ["2027-03-23", "2027-03-24"]);
}

async fn session_count(app: &TestApp, cohort: i64) -> u64 {
    cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort as i32))
        .fetch_count(app.db())
        .await
}

#[rocket::async_test]
async fn the_page_asks_before_it_schedules_a_session_on_a_holiday() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = holy_week_cohort(&world).await;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let form_page = format!("/coordinacion/cohortes/{cohort}/sesiones");
    let before = session_count(&app, cohort).await;

    let csrf = csrf_from(&app, &form_page).await;
    let fields = |confirm: &'static str| {
        vec![
            ("date", "2027-03-22"),
            ("start_time", "09:00"),
            ("end_time", "11:00"),
            ("topic", "Planeación"),
            ("festivo", confirm),
        ]
    };
    let mut first = fields("");
    first.push(("csrf_token", &csrf));
    let response = post_form(&app, &form_page, &first).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("El lunes 22 de marzo de 2027 es festivo (Día de San José)."),
        "{html}"
    );
    assert!(
        html.contains("name=\"festivo\" value=\"confirmado\""),
        "{html}"
    );
    assert_eq!(session_count(&app, cohort).await, before, "nothing written");

    // Confirmed, it is scheduled and shown as a holiday in the calendar.
    let mut confirmed = fields("confirmado");
    confirmed.push(("csrf_token", &csrf));
    let response = post_form(&app, &form_page, &confirmed).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(session_count(&app, cohort).await, before + 1);
    let (_, html) = page(&app, &form_page).await;
    assert!(html.contains(">Festivo</strong>"), "{html}");
    // The box appears only when the page asks.
    assert!(!html.contains("name=\"festivo\""));
}
