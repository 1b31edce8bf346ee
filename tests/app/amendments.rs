//! Issue 61 item 7: an amendment changes only what it names — each goal and each budget source
//! alone, the line's other goals and sources keeping their values (`null` removes one) — and a
//! key a line does not have is refused by its name (422, nothing written), never read as a new
//! line.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, api_post, error_fields, json_array, json_str, role_token,
};
use chrono::Datelike;
use domain::entities::values::Role;
use domain::entities::{capacity, plan_line_version};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const GOALS: [&str; 5] = [
    "cohorts",
    "people_trained",
    "people_certified",
    "assistances_closed",
    "municipalities_reached",
];

fn budget(line: &Value) -> Vec<(String, i64)> {
    json_array(&line["budget"])
        .iter()
        .map(|b| {
            (
                json_str(&b["source"]).to_string(),
                b["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn goals(line: &Value) -> Vec<Value> {
    GOALS.iter().map(|g| line["goals"][*g].clone()).collect()
}

/// An approved plan of ESAP's coordinator with one line: goals 2 / 10 / 6 / 2 / 3 and two
/// sources. (plan id, line id, token).
async fn approved_plan(app: &TestApp) -> (i64, i64, String) {
    let esap = role_token(app, Role::Coordinator).await;
    let planning = capacity::Entity::find()
        .filter(capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let year = domain::time::today().year();
    let plan = api_post(
        app,
        "/api/v1/plans",
        Some(&esap),
        json!({"year": year, "name": "Plan de prueba de modificaciones"}),
    )
    .await
    .expect_status(Status::Created);
    let id = plan["id"].as_i64().unwrap();
    let line = api_post(
        app,
        &format!("/api/v1/plans/{id}/lines"),
        Some(&esap),
        json!({"capacity_id": planning,
                    "targets": {"municipality_codes": ["18256", "18001", "50325", "50001"]},
                    "goals": {"cohorts": 2, "people_trained": 10, "people_certified": 6,
                              "assistances_closed": 2, "municipalities_reached": 3},
                    "budget": [{"source": "inversion", "amount": 50_000_000},
                               {"source": "sgr", "amount": 20_000_000}]}),
    )
    .await
    .expect_status(Status::Created);
    api_post(
        app,
        &format!("/api/v1/plans/{id}/approval"),
        Some(&esap),
        json!({"act": "Resolución 0099 de prueba"}),
    )
    .await
    .expect_status(Status::Ok);
    (id, line["id"].as_i64().unwrap(), esap)
}

async fn amend(app: &TestApp, token: &str, plan: i64, line: Value) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/plans/{plan}/amendments"),
        Some(token),
        json!({"reason": "Ajuste acordado en el comité.", "lines": [line]}),
    )
    .await
}

#[rocket::async_test]
async fn an_amendment_changes_only_the_goal_or_the_source_it_names() {
    let app = TestApp::with_demo().await;
    let (plan, line_id, esap) = approved_plan(&app).await;
    let mut expected_goals: Vec<Value> = [2, 10, 6, 2, 3].iter().map(|n| json!(n)).collect();
    let mut expected_budget = vec![
        ("inversion".to_string(), 50_000_000),
        ("sgr".to_string(), 20_000_000),
    ];
    // Each goal alone: the others and the budget keep their values.
    for (i, goal) in GOALS.iter().enumerate() {
        let value = if *goal == "people_trained" { 12 } else { 1 };
        let (status, amended) = amend(
            &app,
            &esap,
            plan,
            json!({"line_id": line_id, "goals": {*goal: value}}),
        )
        .await;
        assert_eq!(status, Status::Created, "{goal}: {amended}");
        expected_goals[i] = json!(value);
        let line = &amended["lines"][0];
        assert_eq!(goals(line), expected_goals, "{goal}: {line}");
        assert_eq!(budget(line), expected_budget, "{goal}: {line}");
    }
    // The case: people_certified alone.
    let (status, amended) = amend(
        &app,
        &esap,
        plan,
        json!({"line_id": line_id, "goals": {"people_certified": 4}}),
    )
    .await;
    assert_eq!(status, Status::Created, "{amended}");
    expected_goals[2] = json!(4);
    assert_eq!(goals(&amended["lines"][0]), expected_goals);
    // Each budget source alone: the other source and every goal keep their values.
    for (source, amount) in [("inversion", 45_000_000), ("sgr", 25_000_000)] {
        let (status, amended) = amend(
            &app,
            &esap,
            plan,
            json!({"line_id": line_id, "budget": [{"source": source, "amount": amount}]}),
        )
        .await;
        assert_eq!(status, Status::Created, "{source}: {amended}");
        for item in expected_budget.iter_mut().filter(|(s, _)| s == source) {
            item.1 = amount;
        }
        let line = &amended["lines"][0];
        assert_eq!(budget(line), expected_budget, "{source}: {line}");
        assert_eq!(goals(line), expected_goals, "{source}: {line}");
    }
    // A new source joins the others; `null` takes one out; a goal sent as `null` is removed.
    let (status, amended) = amend(
        &app,
        &esap,
        plan,
        json!({"line_id": line_id, "budget": [{"source": "propios", "amount": 5_000_000},
                                             {"source": "sgr", "amount": null}],
               "goals": {"assistances_closed": null}}),
    )
    .await;
    assert_eq!(status, Status::Created, "{amended}");
    let line = &amended["lines"][0];
    assert_eq!(
        budget(line),
        vec![
            ("inversion".to_string(), 45_000_000),
            ("propios".to_string(), 5_000_000)
        ]
    );
    expected_goals[3] = Value::Null;
    assert_eq!(goals(line), expected_goals, "{line}");
}

#[rocket::async_test]
async fn an_unknown_key_in_a_line_is_refused_by_its_name() {
    let app = TestApp::with_demo().await;
    let (plan, line_id, esap) = approved_plan(&app).await;
    let versions = || async {
        plan_line_version::Entity::find()
            .filter(plan_line_version::Column::PlanId.eq(plan as i32))
            .fetch_count(app.db())
            .await
    };
    let before = versions().await;
    for (line, field) in [
        // A misspelt line_id is not a new line (it used to be refused for its capacity_id).
        (
            json!({"lineid": line_id, "goals": {"people_certified": 4}}),
            "lines[0].lineid",
        ),
        (
            json!({"line_id": line_id, "goals": {"people_certifed": 4}}),
            "lines[0].goals.people_certifed",
        ),
        (
            json!({"line_id": line_id, "budget": [{"source": "sgr", "monto": 4}]}),
            "lines[0].budget[0].monto",
        ),
        (
            json!({"line_id": line_id, "targets": {"municipios": ["18256"]}}),
            "lines[0].targets.municipios",
        ),
    ] {
        let (status, refused) = amend(&app, &esap, plan, line).await;
        assert_eq!(status, Status::UnprocessableEntity, "{refused}");
        let fields = error_fields(&refused);
        assert!(fields.contains(&field.to_string()), "{field}: {refused}");
        assert!(
            !fields.iter().any(|f| f.ends_with("capacity_id")),
            "{refused}"
        );
        let key = field.rsplit('.').next().unwrap();
        assert!(
            refused.to_string().contains(&format!("«{key}»")),
            "{refused}"
        );
        assert_eq!(versions().await, before, "nothing written");
    }
}
