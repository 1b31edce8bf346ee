//! Issue 49, item 4: joint delivery. A cohort or an assistance delivered by its lead provider
//! together with co-providers: set by whoever manages it (422 in Spanish for the lead itself or
//! an unknown provider, nothing written); each co-provider's coordinators read it — drafts too
//! — and see it in their offer, marked «en conjunto con», but write nothing (404 through the
//! API and the pages, as any other provider's object) and see none of its people; the overlap
//! report does not pair it with itself nor with its co-provider's action.

use crate::common::TestApp;
use crate::hostile_input::everything;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api, api_get, api_patch, api_post, body_of,
    csrf_from_client, error_fields, form_body, json_array, json_items, json_str, post_csrf,
    role_token, sign_in_client, token,
};
use crate::world::{days, demo_cohort};
use domain::entities::values::{CohortStatus, Role};
use domain::entities::{assistance, cohort, provider};
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

async fn provider_id(app: &TestApp, part: &str) -> i64 {
    provider::Entity::find()
        .filter(provider::Column::Name.contains(part))
        .expect_one(app.db())
        .await
        .id as i64
}

async fn cohort_named(app: &TestApp, name: &str) -> i64 {
    cohort::Entity::find()
        .filter(cohort::Column::Name.eq(name))
        .expect_one(app.db())
        .await
        .id as i64
}

fn co_provider_ids(view: &Value) -> Vec<i64> {
    json_array(&view["co_providers"])
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

#[rocket::async_test]
async fn a_co_providers_coordinator_reads_a_joint_cohort_and_assistance_and_writes_neither() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let dnp_id = provider_id(&app, "(DNP)").await;
    let draft = demo_cohort(app.db(), CohortStatus::Draft).await;
    let path = format!("/api/v1/cohorts/{}", draft.id);

    // Before: another provider's draft does not exist for DNP.
    api_get(&app, &path, Some(&dnp))
        .await
        .expect_status(Status::NotFound);

    // The lead itself, or a provider that does not exist: 422 in Spanish, nothing written.
    let before = everything(&app).await;
    for wrong in [json!([1]), json!([dnp_id, 99_999])] {
        let (status, refused) =
            api_patch(&app, &path, Some(&esap), json!({"co_provider_ids": wrong})).await;
        assert_eq!(status, Status::UnprocessableEntity, "{refused}");
        assert_eq!(error_fields(&refused), vec!["co_provider_ids".to_string()]);
        assert!(
            refused.to_string().contains("oferente"),
            "said in Spanish: {refused}"
        );
    }
    assert!(everything(&app).await == before, "nothing was written");

    // ESAP's coordinator makes it joint with DNP.
    let joint = api_patch(
        &app,
        &path,
        Some(&esap),
        json!({"co_provider_ids": [dnp_id]}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(co_provider_ids(&joint), vec![dnp_id]);
    assert!(json_str(&joint["co_providers"][0]["name"]).contains("DNP"));

    // DNP reads it, draft as it is, in the list and alone; not its people.
    let read = api_get(&app, &path, Some(&dnp))
        .await
        .expect_status(Status::Ok);
    assert_eq!(read["provider"]["id"], 1);
    let (_, list) = api_get(&app, "/api/v1/cohorts?per_page=500", Some(&dnp)).await;
    assert!(
        json_items(&list).iter().any(|c| c["id"] == json!(draft.id)),
        "{list}"
    );
    api_get(&app, &format!("{path}/enrolments"), Some(&dnp))
        .await
        .expect_status(Status::NotFound);

    // A joint assistance: ESAP leads, DNP co-delivers.
    let created = api_post(
        &app,
        "/api/v1/assistances",
        Some(&esap),
        json!({
            "municipality_code": "18001",
            "capacity_ids": [1],
            "objective": "Acompañar juntos la formulación del plan indicativo.",
            "starts_on": days(-10).to_string(),
            "ends_on": days(90).to_string(),
            "modality": "mixta",
            "co_provider_ids": [dnp_id],
        }),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(co_provider_ids(&created), vec![dnp_id]);
    let assisted = created["id"].as_i64().unwrap();
    let refused = api_post(
        &app,
        "/api/v1/assistances",
        Some(&esap),
        json!({
            "municipality_code": "18001",
            "capacity_ids": [1],
            "objective": "Consigo misma.",
            "starts_on": days(-10).to_string(),
            "ends_on": days(90).to_string(),
            "modality": "mixta",
            "co_provider_ids": [1],
        }),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&refused), vec!["co_provider_ids".to_string()]);
    let (status, read) =
        api_get(&app, &format!("/api/v1/assistances/{assisted}"), Some(&dnp)).await;
    assert_eq!(status, Status::Ok, "{read}");
    assert_eq!(co_provider_ids(&read), vec![dnp_id]);

    // Every write by DNP: 404, through the API and the pages, and nothing written.
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let csrf = csrf_from_client(&browser, "/").await;
    let assistances_before = assistance::Entity::find()
        .into_json()
        .fetch_all(app.db())
        .await;
    let before = everything(&app).await;
    for (method, path, body) in [
        (
            "PATCH",
            path.clone(),
            json!({"name": "Tomada por el coejecutor"}),
        ),
        ("PATCH", path.clone(), json!({"co_provider_ids": []})),
        (
            "POST",
            format!("{path}/sessions"),
            json!({"starts_at": "2030-01-02T09:00:00-05:00",
                    "ends_at": "2030-01-02T11:00:00-05:00", "topic": "Ajena"}),
        ),
        (
            "PATCH",
            format!("/api/v1/assistances/{assisted}"),
            json!({"objective": "Otro", "co_provider_ids": []}),
        ),
        (
            "POST",
            format!("/api/v1/assistances/{assisted}/status"),
            json!({"status": "cancelled", "reason": "no"}),
        ),
        (
            "POST",
            format!("/api/v1/assistances/{assisted}/milestones"),
            json!({"title": "Hito ajeno", "due_on": days(30).to_string()}),
        ),
    ] {
        let (status, answer) = api(&app, method, &path, Some(&dnp), Some(body)).await;
        assert_eq!(status, Status::NotFound, "{method} {path}: {answer}");
    }
    for (path, fields) in [
        (
            format!("/coordinacion/cohortes/{}", draft.id),
            vec![("name", "Tomada"), ("seats", "5")],
        ),
        (
            format!("/coordinacion/cohortes/{}/estado", draft.id),
            vec![("status", "cancelled"), ("reason", "tomada")],
        ),
        (
            format!("/coordinacion/cohortes/{}/sesiones", draft.id),
            vec![
                ("date", "2030-01-01"),
                ("start_time", "09:00"),
                ("end_time", "10:00"),
            ],
        ),
        (
            format!("/asistencias/{assisted}/hitos"),
            vec![("title", "Hito ajeno"), ("due_on", "2030-01-01")],
        ),
        (
            format!("/asistencias/{assisted}/estado"),
            vec![("status", "cancelled"), ("reason", "tomada")],
        ),
    ] {
        let response = post_csrf(&browser, &path, &csrf, &fields).await;
        assert_eq!(response.status(), Status::NotFound, "POST {path}");
    }
    assert!(everything(&app).await == before, "nothing was written");
    assert_eq!(
        assistance::Entity::find()
            .into_json()
            .fetch_all(app.db())
            .await,
        assistances_before,
        "no assistance changed"
    );

    // The pages: both open read-only for DNP, saying they are joint.
    for path in [
        format!("/coordinacion/cohortes/{}", draft.id),
        format!("/asistencias/{assisted}"),
    ] {
        let response = browser.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("Entrega conjunta con")
                && html.contains("su coordinación la gestiona")
                && !html.contains("name=\"co_provider_ids\""),
            "{path}: {html}"
        );
    }

    // DNP's offer shows ESAP's joint (published) cohort in ESAP's row, «en conjunto».
    let planning = cohort_named(&app, "Planeación Territorial · Caquetá PDET 2026-II").await;
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{planning}"),
        Some(&esap),
        json!({"co_provider_ids": [dnp_id]}),
    )
    .await
    .expect_status(Status::Ok);
    let offer = api_get(
        &app,
        &format!("/api/v1/reports/offer?provider={dnp_id}"),
        Some(&dnp),
    )
    .await
    .expect_status(Status::Ok);
    let rows = json_items(&offer);
    let joint_rows: Vec<&Value> = rows.iter().filter(|r| r["provider"]["id"] == 1).collect();
    assert!(
        !joint_rows.is_empty(),
        "ESAP's joint cohort in DNP's offer: {offer}"
    );
    assert!(
        joint_rows.iter().all(|r| json_array(&r["joint_with"])
            .iter()
            .any(|p| p["id"] == dnp_id)),
        "{offer}"
    );
    // The whole offer counts it once: in ESAP's rows, never in DNP's.
    let (_, whole) = api_get(&app, "/api/v1/reports/offer", Some(&esap)).await;
    let el_paujil = |report: &Value, provider: i64| -> i64 {
        json_items(report)
            .iter()
            .filter(|r| r["municipality_code"] == "18256" && r["provider"]["id"] == provider)
            .map(|r| r["cohorts"].as_i64().unwrap())
            .sum()
    };
    let (_, esap_only) = api_get(&app, "/api/v1/reports/offer?provider=1", Some(&esap)).await;
    assert_eq!(el_paujil(&whole, 1), el_paujil(&esap_only, 1), "{whole}");
    let page = browser
        .get(format!(
            "/reportes/oferta?departamento=18&oferente={dnp_id}"
        ))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::Ok);
    assert!(
        page.into_string()
            .await
            .unwrap()
            .contains("en conjunto con")
    );
}

/// The demo's ESAP Planeación Territorial in the Caquetá pilots and DNP's KPT workshop in El
/// Paujíl overlap; once the first is delivered together with DNP, they are one joint action:
/// no pair between them, no pair of a cohort with itself, and no warning on its page.
#[rocket::async_test]
async fn a_joint_cohort_is_not_an_overlap_with_itself_nor_with_its_co_providers_cohort() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp_id = provider_id(&app, "(DNP)").await;
    let planning = cohort_named(&app, "Planeación Territorial · Caquetá PDET 2026-II").await;
    let workshop = cohort_named(&app, "Taller KPT · El Paujíl 2026").await;
    let pairs_between = |report: &Value, a: i64, b: i64| -> usize {
        json_items(report)
            .iter()
            .filter(|p| p["first"]["kind"] == "cohort" && p["second"]["kind"] == "cohort")
            .filter(|p| {
                let ids = (
                    p["first"]["id"].as_i64().unwrap(),
                    p["second"]["id"].as_i64().unwrap(),
                );
                ids == (a, b) || ids == (b, a)
            })
            .count()
    };
    let warned = |view: &Value, id: i64| -> bool {
        json_array(&view["warnings"])
            .iter()
            .any(|w| w["cohort_id"] == id)
    };
    let report = api_get(&app, "/api/v1/reports/overlaps", Some(&esap))
        .await
        .expect_status(Status::Ok);
    assert_eq!(pairs_between(&report, planning, workshop), 1, "{report}");
    let (_, view) = api_get(&app, &format!("/api/v1/cohorts/{planning}"), Some(&esap)).await;
    assert!(warned(&view, workshop), "{view}");

    let joint = api_patch(
        &app,
        &format!("/api/v1/cohorts/{planning}"),
        Some(&esap),
        json!({"co_provider_ids": [dnp_id]}),
    )
    .await
    .expect_status(Status::Ok);
    assert!(!warned(&joint, workshop), "{joint}");
    let (_, report) = api_get(&app, "/api/v1/reports/overlaps", Some(&esap)).await;
    assert_eq!(pairs_between(&report, planning, workshop), 0, "{report}");
    assert_eq!(pairs_between(&report, planning, planning), 0, "{report}");
    assert!(
        json_items(&report)
            .iter()
            .all(|p| p["first"] != p["second"]),
        "{report}"
    );
    // The workshop's own page no longer warns of it either.
    let (_, view) = api_get(&app, &format!("/api/v1/cohorts/{workshop}"), Some(&esap)).await;
    assert!(!warned(&view, planning), "{view}");

    // Undone, the pair is back.
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{planning}"),
        Some(&esap),
        json!({"co_provider_ids": []}),
    )
    .await
    .expect_status(Status::Ok);
    let (_, report) = api_get(&app, "/api/v1/reports/overlaps", Some(&esap)).await;
    assert_eq!(pairs_between(&report, planning, workshop), 1, "{report}");
}

/// The cohort form offers the co-providers as checkboxes (never the lead), keeps what was
/// ticked when the form is refused, and the workspace says the cohort is joint.
#[rocket::async_test]
async fn the_cohort_form_chooses_co_providers_and_keeps_them_on_refusal() {
    let app = TestApp::with_demo().await;
    let dnp_id = provider_id(&app, "(DNP)").await;
    let browser = app.another_instance(&[]).await;
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&browser, email, password).await;
    let form = body_of(&browser, "/coordinacion/cohortes/nueva").await;
    assert!(
        form.contains(&format!("name=\"co_provider_ids\" value=\"{dnp_id}\""))
            && !form.contains("name=\"co_provider_ids\" value=\"1\""),
        "{form}"
    );
    let csrf = csrf_from_client(&browser, "/coordinacion/cohortes/nueva").await;
    let dnp = dnp_id.to_string();
    // No name: refused, the tick kept.
    let response = browser
        .post("/coordinacion/cohortes")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", csrf.as_str()),
            ("co_provider_ids", dnp.as_str()),
            ("seats", "10"),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let again = response.into_string().await.unwrap();
    assert!(
        again.contains(&format!(
            "name=\"co_provider_ids\" value=\"{dnp_id}\" checked"
        )),
        "{again}"
    );
}
