//! Issue 47, first slice: the year's plan. A coordinator drafts its provider's plan with lines
//! (capacity, course, targets, goals, budget by source), approves it by an act, and after that
//! changes it only through amendments, each a new version with its reason — version N still
//! reads its own figures. Refusals: an approved figure edited (409), an amendment without
//! reason (422), negative or absurd amounts (422 in Spanish, nothing written); another
//! provider's plan, another department's reviewer (404); a liaison (403). A plan whose year has
//! ended reads closed and changes no more.

use crate::common::{TestApp, on_demo_day};
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_COORDINATOR, META_REVIEWER, api_get, api_patch,
    api_post, body_of, csrf_from, demo_account, error_fields, json_array, json_items, json_str,
    page, post_form, role_token, sign_in_page, token,
};
use chrono::Datelike;
use domain::entities::values::Role;
use domain::entities::{audit_log, capacity, course, plan, plan_line, plan_line_version};
use rocket::http::Status;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const GOBCAQUETA: (&str, &str) = (
    "oferta.gobcaqueta@aulaterritorial.example",
    "Oferta-Caqueta-2026",
);

fn year() -> i32 {
    domain::time::today().year()
}

async fn capacity_id(app: &TestApp, code: &str) -> i32 {
    capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code))
        .expect_one(app.db())
        .await
        .id
}

async fn course_id(app: &TestApp, code: &str) -> i32 {
    course::Entity::find()
        .filter(course::Column::Code.eq(code))
        .expect_one(app.db())
        .await
        .id
}

async fn line_rows(app: &TestApp, plan_id: i64) -> u64 {
    plan_line_version::Entity::find()
        .filter(plan_line_version::Column::PlanId.eq(plan_id as i32))
        .fetch_count(app.db())
        .await
}

async fn audited(app: &TestApp, plan_id: i64, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::SubjectType.eq("plan"))
        .filter(audit_log::Column::SubjectId.eq(plan_id.to_string()))
        .filter(audit_log::Column::Action.eq(action))
        .fetch_count(app.db())
        .await
}

fn message(body: &Value, field: &str) -> String {
    body["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn budget_of(line: &Value, source: &str) -> Option<i64> {
    json_array(&line["budget"])
        .iter()
        .find(|b| b["source"] == source)
        .and_then(|b| b["amount"].as_i64())
}

/// A draft of `token`'s provider for this year, created through the API.
async fn draft(app: &TestApp, token: &str, body: Value) -> i64 {
    let created = api_post(app, "/api/v1/plans", Some(token), body)
        .await
        .expect_status(Status::Created);
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    created["id"].as_i64().unwrap()
}

async fn add_line(app: &TestApp, token: &str, plan: i64, body: Value) -> Value {
    api_post(
        app,
        &format!("/api/v1/plans/{plan}/lines"),
        Some(token),
        body,
    )
    .await
    .expect_status(Status::Created)
}

async fn approve(app: &TestApp, token: &str, plan: i64, act: &str) -> Value {
    api_post(
        app,
        &format!("/api/v1/plans/{plan}/approval"),
        Some(token),
        json!({ "act": act }),
    )
    .await
    .expect_status(Status::Ok)
}

#[rocket::async_test]
async fn a_plan_is_drafted_approved_and_amended_and_every_version_keeps_its_figures() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let planning = capacity_id(&app, "planeacion_territorial").await;
    let budget = capacity_id(&app, "ejecucion_recursos").await;
    let pt = course_id(&app, "PT").await;

    let id = draft(
        &app,
        &esap,
        json!({"year": year(), "name": "Plan nacional de formación y asistencia técnica"}),
    )
    .await;
    // One plan per provider, year and territory.
    let twice = api_post(
        &app,
        "/api/v1/plans",
        Some(&esap),
        json!({"year": year(), "name": "Otro plan nacional"}),
    )
    .await
    .expect_status(Status::Conflict);
    assert!(
        json_str(&twice["detail"]).contains("Ya existe el plan"),
        "{twice}"
    );

    let first = add_line(
        &app,
        &esap,
        id,
        json!({"capacity_id": planning, "course_id": pt, "targets": {"rule": "categories_5_6"},
               "goals": {"cohorts": 4, "people_trained": 120, "people_certified": 100},
               "budget": [{"source": "inversion", "amount": 150_000_000},
                          {"source": "sgr", "amount": 40_000_000}]}),
    )
    .await;
    assert_eq!(first["budget_total"], 190_000_000);
    assert_eq!(first["targets"]["rule"], "categories_5_6");
    assert_eq!(first["course"]["id"], pt);
    let second = add_line(
        &app,
        &esap,
        id,
        json!({"capacity_id": budget, "targets": {"municipality_codes": ["18256", "50325"]},
               "goals": {"assistances_closed": 2},
               "budget": [{"source": "cooperacion", "amount": 15_000_000}]}),
    )
    .await;
    assert_eq!(
        second["targets"]["municipality_codes"],
        json!(["18256", "50325"])
    );
    let (first_id, second_id) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    // A draft's line changes in place.
    let changed = api_patch(
        &app,
        &format!("/api/v1/plans/{id}/lines/{second_id}"),
        Some(&esap),
        json!({"goals": {"assistances_closed": 3}}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(changed["goals"]["assistances_closed"], 3);
    assert_eq!(changed["budget_total"], 15_000_000, "the budget kept");

    // Approval needs its act.
    let refused = api_post(
        &app,
        &format!("/api/v1/plans/{id}/approval"),
        Some(&esap),
        json!({"act": "  "}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(message(&refused, "act").contains("acto"), "{refused}");
    let approved = approve(
        &app,
        &esap,
        id,
        "Resolución 0456 del 3 de febrero, Escuela Superior de Administración Pública",
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["version"], 1);
    assert!(json_str(&approved["approval"]["act"]).starts_with("Resolución 0456"));
    assert_eq!(
        approved["approval"]["approved_by"]["full_name"],
        demo_account_name(Role::Coordinator)
    );
    assert_eq!(approved["budget"]["total"], 205_000_000);
    api_post(
        &app,
        &format!("/api/v1/plans/{id}/approval"),
        Some(&esap),
        json!({"act": "Otra resolución"}),
    )
    .await
    .expect_status(Status::Conflict);

    // An approved figure is not edited: 409, nothing written.
    let rows = line_rows(&app, id).await;
    let conflict = api_patch(
        &app,
        &format!("/api/v1/plans/{id}/lines/{first_id}"),
        Some(&esap),
        json!({"budget": [{"source": "inversion", "amount": 1}]}),
    )
    .await
    .expect_status(Status::Conflict);
    assert!(
        json_str(&conflict["detail"]).contains("modificación"),
        "{conflict}"
    );
    api_post(
        &app,
        &format!("/api/v1/plans/{id}/lines"),
        Some(&esap),
        json!({"capacity_id": planning, "goals": {"cohorts": 1}}),
    )
    .await
    .expect_status(Status::Conflict);
    assert_eq!(line_rows(&app, id).await, rows, "nothing written");

    // An amendment needs its reason: 422, nothing written.
    let change = json!([
        {"line_id": first_id, "budget": [{"source": "inversion", "amount": 120_000_000},
                                         {"source": "sgr", "amount": 40_000_000}]},
        {"line_id": second_id, "removed": true},
        {"capacity_id": budget, "targets": {"rule": "pdet"}, "goals": {"municipalities_reached": 20},
         "budget": [{"source": "propios", "amount": 30_000_000}]},
    ]);
    let refused = api_post(
        &app,
        &format!("/api/v1/plans/{id}/amendments"),
        Some(&esap),
        json!({"reason": "", "lines": change}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(message(&refused, "reason").contains("motivo"), "{refused}");
    assert_eq!(line_rows(&app, id).await, rows, "nothing written");
    // Nor one that changes nothing.
    let refused = api_post(&app, &format!("/api/v1/plans/{id}/amendments"), Some(&esap), json!({"reason": "Nada", "lines": [{"line_id": first_id, "goals": {"cohorts": 4, "people_trained": 120, "people_certified": 100}}]})).await.expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&refused), vec!["lines".to_string()]);

    let reason = "El comité del 10 de junio trasladó $ 30.000.000 de inversión a recursos propios \
                  para acompañar los municipios PDET.";
    let amended = api_post(
        &app,
        &format!("/api/v1/plans/{id}/amendments"),
        Some(&esap),
        json!({"reason": reason, "lines": change}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(amended["status"], "amended");
    assert_eq!(amended["version"], 2);
    assert_eq!(amended["current_version"], 2);
    assert_eq!(amended["versions"][1]["reason"], reason);
    assert_eq!(json_array(&amended["lines"]).len(), 2);
    assert_eq!(
        budget_of(&amended["lines"][0], "inversion"),
        Some(120_000_000)
    );
    assert_eq!(amended["lines"][0]["since_version"], 2);
    assert_eq!(amended["lines"][1]["added_in_version"], 2);
    assert_eq!(amended["budget"]["total"], 190_000_000);
    assert!(
        json_str(&amended["approval"]["act"]).starts_with("Resolución 0456"),
        "the approval stays"
    );

    // Version 1 still reads the approved figures.
    let (status, original) =
        api_get(&app, &format!("/api/v1/plans/{id}?version=1"), Some(&esap)).await;
    assert_eq!(status, Status::Ok, "{original}");
    assert_eq!(original["version"], 1);
    assert_eq!(original["current_version"], 2);
    assert_eq!(json_array(&original["lines"]).len(), 2);
    assert_eq!(
        budget_of(&original["lines"][0], "inversion"),
        Some(150_000_000)
    );
    assert_eq!(original["lines"][1]["goals"]["assistances_closed"], 3);
    assert_eq!(original["budget"]["total"], 205_000_000);
    let (status, _) = api_get(&app, &format!("/api/v1/plans/{id}?version=3"), Some(&esap)).await;
    assert_eq!(status, Status::NotFound, "a version it does not have");

    // The list shows it with its current figures.
    let list = api_get(
        &app,
        &format!("/api/v1/plans?year={}&provider=1", year()),
        Some(&esap),
    )
    .await
    .expect_status(Status::Ok);
    let listed = json_items(&list)
        .iter()
        .find(|p| p["id"] == id)
        .expect("listed");
    assert_eq!(listed["budget_total"], 190_000_000);
    assert_eq!(listed["lines"], 2);

    // Every change is audited.
    for (action, times) in [
        ("plan.created", 1),
        ("plan.line_added", 2),
        ("plan.line_changed", 1),
        ("plan.approved", 1),
        ("plan.amended", 1),
    ] {
        assert_eq!(audited(&app, id, action).await, times, "{action}");
    }

    // The page: the current figures, the act, the reason; version 1 as it was.
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let page = app.client.get(format!("/planes/{id}")).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    for expected in [
        "$\u{a0}120.000.000",
        "Resolución 0456",
        "El comité del 10 de junio",
        "Modificar el plan",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let html = body_of(&app.client, format!("/planes/{id}?version=1")).await;
    assert!(html.contains("$\u{a0}150.000.000"), "version 1 as approved");
    assert!(html.contains("Está viendo la versión 1 de 2"));
}

fn demo_account_name(role: Role) -> &'static str {
    domain::demo::ACCOUNTS
        .iter()
        .find(|a| a.0 == role)
        .map(|a| a.3)
        .unwrap()
}

#[rocket::async_test]
async fn absurd_figures_are_refused_in_spanish_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let planning = capacity_id(&app, "planeacion_territorial").await;
    let kit = course_id(&app, "DNP-KPT").await;
    let id = draft(
        &app,
        &esap,
        json!({"year": year(), "name": "Plan nacional"}),
    )
    .await;
    let cases = [
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "budget": [{"source": "inversion", "amount": -5}]}),
            "budget[0].amount",
            "mayor que cero",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "budget": [{"source": "inversion", "amount": 0}]}),
            "budget[0].amount",
            "mayor que cero",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "budget": [{"source": "inversion", "amount": 5_000_000_000_000_i64}]}),
            "budget[0].amount",
            "máximo admitido ($\u{a0}1.000.000.000.000)",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "budget": [{"source": "inversion", "amount": 1}, {"source": "inversion", "amount": 2}]}),
            "budget[1].source",
            "dos veces",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "budget": [{"source": "donaciones", "amount": 1}]}),
            "budget[0].source",
            "La fuente debe ser",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": -1}}),
            "goals.cohorts",
            "no puede ser negativa",
        ),
        (
            json!({"capacity_id": planning, "goals": {"people_trained": 50_000_000}}),
            "goals.people_trained",
            "máximo admitido (1.000.000)",
        ),
        (
            json!({"capacity_id": planning, "goals": {"people_trained": 10, "people_certified": 20}}),
            "goals.people_certified",
            "no pueden ser más que las formadas",
        ),
        (
            json!({"capacity_id": planning}),
            "goals",
            "al menos una meta",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1}, "targets": {"rule": "todos"}}),
            "targets.rule",
            "pdet, categories_5_6 o priorities",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "targets": {"rule": "pdet", "municipality_codes": ["18256"]}}),
            "targets",
            "no ambos",
        ),
        (
            json!({"capacity_id": planning, "goals": {"cohorts": 1},
                   "targets": {"municipality_codes": ["99999"]}}),
            "targets.municipality_codes",
            "«99999»",
        ),
        (
            json!({"capacity_id": planning, "course_id": kit, "goals": {"cohorts": 1}}),
            "course_id",
            "no es de la oferta",
        ),
        (
            json!({"goals": {"cohorts": 1}}),
            "capacity_id",
            "Elija la capacidad",
        ),
    ];
    for (body, field, words) in cases {
        let (status, refused) = api_post(
            &app,
            &format!("/api/v1/plans/{id}/lines"),
            Some(&esap),
            body.clone(),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {refused}");
        assert!(
            error_fields(&refused).contains(&field.to_string()),
            "{body}: {refused}"
        );
        assert!(
            message(&refused, field).contains(words),
            "{body}: {refused}"
        );
        assert!(
            !message(&refused, field).is_empty(),
            "a message for people: {refused}"
        );
    }
    // Pesos with cents are not whole pesos: the JSON guard refuses the shape.
    let refused = api_post(
        &app,
        &format!("/api/v1/plans/{id}/lines"),
        Some(&esap),
        json!({"capacity_id": planning, "goals": {"cohorts": 1},
                    "budget": [{"source": "inversion", "amount": 12_000_000.5}]}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(json_str(&refused["detail"]).contains("tipo de dato"));
    assert_eq!(line_rows(&app, id).await, 0, "nothing written");
    assert_eq!(
        plan_line::Entity::find()
            .filter(plan_line::Column::PlanId.eq(id as i32))
            .fetch_count(app.db())
            .await,
        0
    );
    // A plan for a year long gone, without a name: every problem at once.
    let refused = api_post(
        &app,
        "/api/v1/plans",
        Some(&esap),
        json!({"year": 2019, "name": ""}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&refused),
        vec!["year".to_string(), "name".to_string()]
    );
}

#[rocket::async_test]
async fn plans_are_read_and_written_within_their_scope() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let meta = token(&app, META_COORDINATOR.0, META_COORDINATOR.1).await;
    let gobernacion = token(&app, GOBCAQUETA.0, GOBCAQUETA.1).await;
    let reviewer_caqueta = role_token(&app, Role::Reviewer).await;
    let reviewer_meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let instructor = role_token(&app, Role::Instructor).await;
    let participant = role_token(&app, Role::Participant).await;
    let planning = capacity_id(&app, "planeacion_territorial").await;
    let get = async |token: &str, path: String| api_get(&app, &path, Some(token)).await;

    // The demo: ESAP's plan for the Dirección Territorial Meta, approved and amended.
    let demo = plan::Entity::find()
        .filter(plan::Column::ProviderId.eq(1))
        .expect_one(app.db())
        .await;
    let demo_path = format!("/api/v1/plans/{}", demo.id);

    // Liaisons, instructors and participants read no plans.
    for token in [&liaison, &instructor, &participant] {
        assert_eq!(
            get(token, "/api/v1/plans".into()).await.0,
            Status::Forbidden
        );
        assert_eq!(get(token, demo_path.clone()).await.0, Status::Forbidden);
    }
    let (status, _) = api_post(
        &app,
        "/api/v1/plans",
        Some(&reviewer_caqueta),
        json!({"year": year(), "name": "Plan"}),
    )
    .await;
    assert_eq!(status, Status::Forbidden, "a reviewer writes no plans");

    // An ESAP national draft: DNP's coordinator and the Meta direction's do not see it.
    let national = draft(
        &app,
        &esap,
        json!({"year": year(), "name": "Plan nacional ESAP"}),
    )
    .await;
    let national_path = format!("/api/v1/plans/{national}");
    for token in [&dnp, &meta, &reviewer_caqueta] {
        assert_eq!(get(token, national_path.clone()).await.0, Status::NotFound);
    }
    let (status, _) = api_post(
        &app,
        &format!("{national_path}/lines"),
        Some(&dnp),
        json!({"capacity_id": planning, "goals": {"cohorts": 1}}),
    )
    .await;
    assert_eq!(status, Status::NotFound, "another provider's plan");
    let (status, _) = api_post(
        &app,
        &format!("{national_path}/lines"),
        Some(&meta),
        json!({"capacity_id": planning, "goals": {"cohorts": 1}}),
    )
    .await;
    assert_eq!(
        status,
        Status::NotFound,
        "a direction's coordinator: its plan only"
    );
    // The Meta direction's coordinator already has its plan for the year.
    api_post(
        &app,
        "/api/v1/plans",
        Some(&meta),
        json!({"year": year(), "name": "Otro plan del Meta"}),
    )
    .await
    .expect_status(Status::Conflict);
    // Another provider's approved plan is read, never amended.
    assert_eq!(get(&dnp, demo_path.clone()).await.0, Status::Ok);
    api_post(&app, &format!("{demo_path}/amendments"), Some(&dnp), json!({"reason": "Por qué no", "lines": [{"capacity_id": planning, "goals": {"cohorts": 1}}]})).await.expect_status(Status::NotFound);

    // The direction's plan reaches Meta, not Caquetá.
    let (status, read) = get(&reviewer_meta, demo_path.clone()).await;
    assert_eq!(status, Status::Ok, "{read}");
    assert_eq!(read["lines_partial"], false);
    assert_eq!(
        get(&reviewer_caqueta, demo_path.clone()).await.0,
        Status::NotFound
    );

    // The Gobernación del Caquetá's plan is its department's.
    let gob = draft(
        &app,
        &gobernacion,
        json!({"year": year(), "name": "Plan departamental de asistencia técnica"}),
    )
    .await;
    let refused = api_post(
        &app,
        &format!("/api/v1/plans/{gob}/lines"),
        Some(&gobernacion),
        json!({"capacity_id": planning, "goals": {"cohorts": 1},
                    "targets": {"municipality_codes": ["50325"]}}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(message(&refused, "targets.municipality_codes").contains("fuera del territorio"));
    add_line(
        &app,
        &gobernacion,
        gob,
        json!({"capacity_id": planning, "goals": {"cohorts": 1},
               "targets": {"municipality_codes": ["18256"]},
               "budget": [{"source": "propios", "amount": 8_000_000}]}),
    )
    .await;
    let gob_path = format!("/api/v1/plans/{gob}");
    assert_eq!(
        get(&reviewer_caqueta, gob_path.clone()).await.0,
        Status::NotFound,
        "a draft is its provider's"
    );
    let approved = approve(
        &app,
        &gobernacion,
        gob,
        "Decreto 0321 de la Gobernación del Caquetá",
    )
    .await;
    assert_eq!(approved["department_code"], "18");
    assert_eq!(get(&reviewer_caqueta, gob_path.clone()).await.0, Status::Ok);
    assert_eq!(
        get(&reviewer_meta, gob_path.clone()).await.0,
        Status::NotFound,
        "another department's reviewer"
    );

    // A national plan: each gobernación reads the lines that reach it.
    let lines = [
        json!({"capacity_id": planning, "goals": {"cohorts": 1},
               "targets": {"municipality_codes": ["18256", "18592"]},
               "budget": [{"source": "inversion", "amount": 10_000_000}]}),
        json!({"capacity_id": planning, "goals": {"cohorts": 2},
               "targets": {"municipality_codes": ["50325"]},
               "budget": [{"source": "inversion", "amount": 30_000_000}]}),
    ];
    for line in lines {
        add_line(&app, &esap, national, line).await;
    }
    approve(&app, &esap, national, "Resolución 0789 de la ESAP").await;
    let (status, caqueta) = get(&reviewer_caqueta, national_path.clone()).await;
    assert_eq!(status, Status::Ok, "{caqueta}");
    assert_eq!(caqueta["lines_partial"], true);
    assert_eq!(json_array(&caqueta["lines"]).len(), 1);
    assert_eq!(caqueta["budget"]["total"], 10_000_000);
    let (_, whole) = get(&dnp, national_path.clone()).await;
    assert_eq!(
        json_array(&whole["lines"]).len(),
        2,
        "a coordinator reads it whole"
    );
    assert_eq!(whole["budget"]["total"], 40_000_000);
    // Lists hold what each reads.
    let (_, listed) = get(&reviewer_caqueta, format!("/api/v1/plans?year={}", year())).await;
    let ids: Vec<i64> = json_items(&listed)
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&gob) && ids.contains(&national), "{listed}");
    assert!(!ids.contains(&(demo.id as i64)), "{listed}");

    // Pages: the menu shows plans to staff and gobernaciones; a liaison gets 403.
    let (email, password) = demo_account(Role::Liaison);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    assert_eq!(
        app.client.get("/planes").dispatch().await.status(),
        Status::Forbidden
    );
    let home = body_of(&app.client, "/").await;
    assert!(
        !home.contains("href=\"/planes\""),
        "not in the liaison's menu"
    );
    let (email, password) = demo_account(Role::Reviewer);
    let browser = app.another_instance(&[]).await;
    crate::support::sign_in_client(&browser, email, password).await;
    let list = browser.get("/planes").dispatch().await;
    assert_eq!(list.status(), Status::Ok);
    let html = list.into_string().await.unwrap();
    assert!(html.contains("href=\"/planes\""), "in the reviewer's menu");
    assert!(html.contains("Plan departamental de asistencia técnica"));
    assert!(!html.contains("Dirección Territorial Meta"), "{html}");
    assert_eq!(
        browser
            .get(format!("/planes/{}", demo.id))
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
}

#[rocket::async_test]
async fn the_demo_plan_reads_its_june_amendment_and_its_approved_version() {
    // The demo loaded and read on a fixed day after June, so the amendment's date is known.
    let app = TestApp::with_demo_on_day().await;
    on_demo_day(june_amendment_and_approved_version(&app)).await;
}

async fn june_amendment_and_approved_version(app: &TestApp) {
    let meta = token(app, META_COORDINATOR.0, META_COORDINATOR.1).await;
    let (_, list) = api_get(app, "/api/v1/plans", Some(&meta)).await;
    let items = json_items(&list);
    let esap = items
        .iter()
        .find(|p| p["territorial_direction"]["name"] == "Dirección Territorial Meta")
        .expect("the direction's plan");
    assert_eq!(esap["status"], "amended");
    assert_eq!(esap["version"], 2);
    let id = esap["id"].as_i64().unwrap();
    let (_, current) = api_get(app, &format!("/api/v1/plans/{id}"), Some(&meta)).await;
    assert!(json_str(&current["versions"][1]["reason"]).contains("Cooperación internacional"));
    // Amended on 16 June of the demo's year.
    let june = chrono::NaiveDate::from_ymd_opt(2026, 6, 16).unwrap();
    assert!(
        json_str(&current["versions"][1]["created_at"]).starts_with(&june.to_string()),
        "{current}"
    );
    assert_eq!(
        budget_of(&current["lines"][0], "cooperacion"),
        Some(20_000_000)
    );
    let (_, approved) = api_get(app, &format!("/api/v1/plans/{id}?version=1"), Some(&meta)).await;
    assert_eq!(budget_of(&approved["lines"][0], "cooperacion"), None);
    // DNP's plan is a draft: its coordinator reads it, ESAP's does not.
    let dnp = token(app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (_, theirs) = api_get(app, "/api/v1/plans", Some(&dnp)).await;
    let draft = json_items(&theirs)
        .iter()
        .find(|p| p["status"] == "draft")
        .expect("DNP's draft");
    api_get(app, &format!("/api/v1/plans/{}", draft["id"]), Some(&meta))
        .await
        .expect_status(Status::NotFound);
}

#[rocket::async_test]
async fn approving_and_amending_through_the_pages() {
    let app = TestApp::with_demo().await;
    let dnp_draft = plan::Entity::find()
        .filter(plan::Column::ProviderId.ne(1))
        .expect_one(app.db())
        .await;
    let (email, password) = DNP_COORDINATOR;
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    // The confirmation says what approving does; posting without confirming does nothing.
    let path = format!("/planes/{}/aprobar", dnp_draft.id);
    let html = body_of(&app.client, path.clone()).await;
    assert!(html.contains("versión 1"), "{html}");
    assert!(html.contains("$\u{a0}25.000.000"), "{html}");
    assert!(html.contains("name=\"act\""), "{html}");
    let csrf = csrf_from(&app, &path).await;
    let action = format!("/planes/{}/aprobacion", dnp_draft.id);
    let unconfirmed = post_form(&app, &action, &[("csrf_token", &csrf), ("act", "Acta 7")]).await;
    assert_eq!(unconfirmed.status(), Status::Ok, "the confirmation again");
    let done = post_form(
        &app,
        &action,
        &[
            ("csrf_token", &csrf),
            ("act", "Acta 7 del comité directivo del DNP"),
            ("confirmed", "true"),
        ],
    )
    .await;
    assert_eq!(done.status(), Status::SeeOther);
    let row = plan::Entity::find_by_id(dnp_draft.id)
        .expect_one(app.db())
        .await;
    assert_eq!(
        row.approval_act.as_deref(),
        Some("Acta 7 del comité directivo del DNP")
    );

    // Amend: change the line's goal, add one; the reason goes into the history.
    let line = plan_line::Entity::find()
        .filter(plan_line::Column::PlanId.eq(row.id))
        .expect_one(app.db())
        .await;
    let path = format!("/planes/{}/modificar", row.id);
    let html = body_of(&app.client, path.clone()).await;
    assert!(
        html.contains("value=\"25.000.000\""),
        "the line as it stands: {html}"
    );
    let csrf = csrf_from(&app, &path).await;
    let planning = capacity_id(&app, "planeacion_territorial")
        .await
        .to_string();
    let line_id = line.id.to_string();
    let course = course_id(&app, "DNP-KPT").await.to_string();
    let done = post_form(
        &app,
        &format!("/planes/{}/modificaciones", row.id),
        &[
            ("csrf_token", &csrf),
            (
                "reason",
                "Segundo semestre: dos municipios más del Caquetá.",
            ),
            ("lines[0].line_id", &line_id),
            ("lines[0].capacity_id", &planning),
            ("lines[0].course_id", &course),
            (
                "lines[0].municipality_codes",
                "18094, 18256, 18592, 18610, 18150, 18247",
            ),
            ("lines[0].goal_cohorts", "3"),
            ("lines[0].goal_people_trained", "90"),
            ("lines[0].goal_people_certified", "60"),
            ("lines[0].goal_assistances_closed", "1"),
            ("lines[0].goal_municipalities_reached", "6"),
            ("lines[0].budget_funcionamiento", "$ 32.000.000"),
            ("lines[1].line_id", ""),
            ("lines[1].capacity_id", ""),
        ],
    )
    .await;
    assert_eq!(
        done.status(),
        Status::SeeOther,
        "{:?}",
        done.into_string().await
    );
    let view = api_get(
        &app,
        &format!("/api/v1/plans/{}", row.id),
        Some(&token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(view["version"], 2);
    assert_eq!(view["lines"][0]["goals"]["cohorts"], 3);
    assert_eq!(
        budget_of(&view["lines"][0], "funcionamiento"),
        Some(32_000_000)
    );
    assert_eq!(
        json_array(&view["lines"]).len(),
        1,
        "the empty new line is not a line"
    );
}

#[rocket::async_test]
async fn a_plan_whose_year_ended_reads_closed_and_changes_no_more() {
    let app = TestApp::with_demo().await;
    let meta = token(&app, META_COORDINATOR.0, META_COORDINATOR.1).await;
    let demo = plan::Entity::find()
        .filter(plan::Column::ProviderId.eq(1))
        .expect_one(app.db())
        .await;
    app.db()
        .execute_unprepared(&format!(
            "UPDATE plans SET year = year - 1 WHERE id = {}",
            demo.id
        ))
        .await
        .unwrap();
    let view = api_get(&app, &format!("/api/v1/plans/{}", demo.id), Some(&meta))
        .await
        .expect_status(Status::Ok);
    assert_eq!(view["status"], "closed");
    assert_eq!(view["status_label"], "Cerrado");
    let planning = capacity_id(&app, "planeacion_territorial").await;
    let refused = api_post(
        &app,
        &format!("/api/v1/plans/{}/amendments", demo.id),
        Some(&meta),
        json!({"reason": "Tarde", "lines": [{"capacity_id": planning, "goals": {"cohorts": 1}}]}),
    )
    .await
    .expect_status(Status::Conflict);
    assert!(json_str(&refused["detail"]).contains("terminó"));
}

/// Issue 50: the homes keep their «lines behind» apart (per plan scope, at most a minute while
/// only the figures move), but a plan's change shows at once — with the kept pages on, as in
/// production. The coordinator's home counts the lines its plans' progress says are behind;
/// an amendment that puts a line behind (or back on track) changes the count on the next visit.
#[rocket::async_test]
async fn the_homes_lines_behind_follow_an_amendment_at_once() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("dashboard_cache_seconds", json!(300)),
    ])
    .await;
    let esap = role_token(&app, Role::Coordinator).await;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);

    // What the progress says: the lines behind of the coordinator's plans of this year.
    let behind = async || {
        let list = api_get(
            &app,
            &format!("/api/v1/plans?year={}&per_page=100", year()),
            Some(&esap),
        )
        .await
        .expect_status(Status::Ok);
        let mut lines = Vec::new();
        for item in json_items(&list) {
            if item["status"] == "draft" {
                continue;
            }
            let id = item["id"].as_i64().unwrap();
            let (status, progress) =
                api_get(&app, &format!("/api/v1/plans/{id}/progress"), Some(&esap)).await;
            assert_eq!(status, Status::Ok, "{progress}");
            for line in json_array(&progress["lines"]) {
                lines.push((
                    id,
                    line["line_id"].as_i64().unwrap(),
                    line["behind"] == true,
                ));
            }
        }
        lines
    };
    // What the home says.
    let shown = async || {
        let (status, html) = page(&app, "/").await;
        assert_eq!(status, Status::Ok);
        match html.find("id=\"planes-atrasados\">") {
            None => 0,
            Some(at) => {
                let text = &html[at + "id=\"planes-atrasados\">".len()..];
                let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().unwrap()
            }
        }
    };
    let before = behind().await;
    assert!(
        !before.is_empty(),
        "the demo's coordinator has approved plans with lines"
    );
    let count = |lines: &[(i64, i64, bool)]| lines.iter().filter(|l| l.2).count();
    assert_eq!(shown().await, count(&before));

    // One line changes side: a goal out of reach puts an on-track line behind; a goal already
    // met takes a behind line off the list.
    let (plan, line, was_behind) = before[0];
    let goals = if was_behind {
        // Every goal named (an amendment changes only the goals it names; null removes one).
        json!({"cohorts": 1, "people_trained": 1, "people_certified": 0,
               "assistances_closed": null, "municipalities_reached": null})
    } else {
        json!({"people_trained": 100_000})
    };
    api_post(&app, &format!("/api/v1/plans/{plan}/amendments"), Some(&esap), json!({"reason": "Ajuste de metas del comité", "lines": [{"line_id": line, "goals": goals}]})).await.expect_status(Status::Created);
    let after = behind().await;
    assert_ne!(
        count(&after),
        count(&before),
        "the amendment moved the line: {after:?}"
    );
    assert_eq!(
        shown().await,
        count(&after),
        "the home follows the plan at once"
    );
}
