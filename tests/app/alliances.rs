//! Issue 48, item 2: a gobernación's alliance and its tables. Read by ESAP's staff (national, or
//! the direction that covers the department), the department's reviewer and the coordinators of
//! its lead and member providers — anyone else gets a 404; kept by an admin or the department's
//! gobernación (its reviewer, its coordinators as a provider); tables recorded and agreements
//! followed by the same and the lead's coordinators. Bad input is a 422 in Spanish and stores
//! nothing. The members read the department's offer view, overlaps and unanswered demand.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, GOBERNACION_COORDINATOR, META_REVIEWER, api_get, api_patch,
    api_post, api_put, csrf_from_client, error_fields, json_array, json_items, json_str,
    role_token, sign_in_client, submit, token,
};
use domain::entities::values::Role;
use domain::entities::{
    alliance, alliance_agreement, alliance_meeting, alliance_meeting_attendee, alliance_member,
};
use rocket::http::Status;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

const FUNCION_PUBLICA: (&str, &str) = (
    "coordinacion.funcionpublica@aulaterritorial.example",
    "Coordina-DAFP-2026",
);
const META_DIRECTION: (&str, &str) = (
    "coordinacion.meta@aulaterritorial.example",
    "Coordina-Meta-2026",
);

/// Every row of the alliances' five tables, to prove a refusal stored nothing.
async fn stored(app: &TestApp) -> Vec<Vec<Value>> {
    let db = app.db();
    vec![
        alliance::Entity::find().into_json().all(db).await.unwrap(),
        alliance_member::Entity::find()
            .order_by_asc(alliance_member::Column::Id)
            .into_json()
            .all(db)
            .await
            .unwrap(),
        alliance_meeting::Entity::find()
            .into_json()
            .all(db)
            .await
            .unwrap(),
        alliance_meeting_attendee::Entity::find()
            .into_json()
            .all(db)
            .await
            .unwrap(),
        alliance_agreement::Entity::find()
            .order_by_asc(alliance_agreement::Column::Id)
            .into_json()
            .all(db)
            .await
            .unwrap(),
    ]
}

/// The demo alliance of department `code`, as its reviewer lists it.
async fn demo_alliance(app: &TestApp, reviewer: &str, code: &str) -> Value {
    let list = api_get(
        app,
        &format!("/api/v1/alliances?department={code}"),
        Some(reviewer),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0].clone()
}

fn ids(list: &Value) -> Vec<i64> {
    json_items(list)
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[rocket::async_test]
async fn a_table_is_read_by_members_and_the_departments_reviewer_and_by_nobody_else() {
    let app = TestApp::with_demo().await;
    let caqueta_reviewer = role_token(&app, Role::Reviewer).await;
    let meta_reviewer = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let caqueta = demo_alliance(&app, &caqueta_reviewer, "18").await;
    let meta = demo_alliance(&app, &meta_reviewer, "50").await;
    let id = caqueta["id"].as_i64().unwrap();
    assert_eq!(
        caqueta["lead_provider"]["name"], "Gobernación del Caquetá",
        "led by its gobernación: {caqueta}"
    );
    assert_eq!(caqueta["overdue_agreements"], 1, "{caqueta}");
    let meetings = format!("/api/v1/alliances/{id}/meetings");

    // Who reads it: the department's reviewer, ESAP's national coordinator and admin, the
    // member DNP, the gobernación's own coordinators.
    let readers = [
        ("the department's reviewer", caqueta_reviewer.clone()),
        (
            "ESAP's national coordinator",
            role_token(&app, Role::Coordinator).await,
        ),
        ("the admin", role_token(&app, Role::Admin).await),
        (
            "a member provider (DNP)",
            token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await,
        ),
        (
            "the gobernación's coordinator",
            token(&app, GOBERNACION_COORDINATOR.0, GOBERNACION_COORDINATOR.1).await,
        ),
    ];
    for (who, reader) in &readers {
        let (status, tables) = api_get(&app, &meetings, Some(reader)).await;
        assert_eq!(status, Status::Ok, "{who}: {tables}");
        assert_eq!(tables["total"], 1, "{who}: {tables}");
        let table = &tables["items"][0];
        assert!(json_array(&table["attendees"]).len() >= 3, "{who}: {table}");
        let agreements = json_array(&table["agreements"]);
        assert_eq!(
            agreements.iter().filter(|a| a["overdue"] == true).count(),
            1,
            "{who}: one agreement overdue"
        );
        assert!(
            agreements
                .iter()
                .any(|a| a["status"] == "done" && a["note"].is_string()),
            "{who}: one done with its note"
        );
        let (status, _) = api_get(&app, &format!("/api/v1/alliances/{id}"), Some(reader)).await;
        assert_eq!(status, Status::Ok, "{who}");
    }

    // Anyone else: 404 on the alliance and its tables, and the list does not hold it.
    let outsiders = [
        ("another department's reviewer", meta_reviewer.clone()),
        (
            "a provider that is not a member",
            token(&app, FUNCION_PUBLICA.0, FUNCION_PUBLICA.1).await,
        ),
        (
            "another direction's coordinator",
            token(&app, META_DIRECTION.0, META_DIRECTION.1).await,
        ),
        ("a liaison", role_token(&app, Role::Liaison).await),
        ("a participant", role_token(&app, Role::Participant).await),
        ("an instructor", role_token(&app, Role::Instructor).await),
    ];
    for (who, outsider) in &outsiders {
        for path in [format!("/api/v1/alliances/{id}"), meetings.clone()] {
            let (status, body) = api_get(&app, &path, Some(outsider)).await;
            assert_eq!(status, Status::NotFound, "{who} {path}: {body}");
        }
    }
    // The lists: each reader its own.
    let (_, list) = api_get(&app, "/api/v1/alliances", Some(&meta_reviewer)).await;
    assert_eq!(ids(&list), vec![meta["id"].as_i64().unwrap()]);
    let (_, list) = api_get(&app, "/api/v1/alliances", Some(&readers[1].1)).await;
    assert_eq!(ids(&list).len(), 2, "ESAP's national staff reads both");
    let (_, list) = api_get(&app, "/api/v1/alliances", Some(&outsiders[1].1)).await;
    assert!(ids(&list).is_empty(), "Función Pública is in none: {list}");
    let (_, list) = api_get(&app, "/api/v1/alliances", Some(&outsiders[2].1)).await;
    assert_eq!(
        ids(&list),
        vec![meta["id"].as_i64().unwrap()],
        "the Meta direction reads Meta's only"
    );
    let (status, _) = api_get(&app, "/api/v1/alliances", Some(&outsiders[3].1)).await;
    assert_eq!(status, Status::Forbidden, "a liaison lists no alliance");

    // The pages alike.
    let member = app.another_instance(&[]).await;
    sign_in_client(&member, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let response = member.get(format!("/alianzas/{id}")).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Unificar en una sola jornada"),
        "open agreements"
    );
    assert!(html.contains("Vencido"), "the overdue one marked");
    assert!(html.contains("Universidad de la Amazonia"), "members");
    assert!(html.contains("/reportes/oferta?departamento=18"));
    assert!(
        !html.contains("Registrar mesa"),
        "a member reads, it does not record"
    );
    let other = app.another_instance(&[]).await;
    sign_in_client(&other, META_REVIEWER.0, META_REVIEWER.1).await;
    let response = other.get(format!("/alianzas/{id}")).dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    let response = other.get("/alianzas").dispatch().await;
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Alianza Meta por el buen gobierno territorial"));
    assert!(
        !html.contains("Alianza por la gestión pública territorial del Caquetá"),
        "not Caquetá's"
    );
}

#[rocket::async_test]
async fn the_gobernacion_keeps_its_alliance_and_the_lead_records_its_tables() {
    let app = TestApp::with_demo().await;
    let caqueta_reviewer = role_token(&app, Role::Reviewer).await;
    let meta_reviewer = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let gobernacion = token(&app, GOBERNACION_COORDINATOR.0, GOBERNACION_COORDINATOR.1).await;
    let caqueta = demo_alliance(&app, &caqueta_reviewer, "18").await;
    let body = json!({
        "department_code": "18",
        "name": "Mesa de gestión pública del piedemonte",
        "launched_on": "2025-03-01",
        "members": [{"provider_id": 1}, {"name": "Universidad de la Amazonia", "kind": "universidad"}],
        "implementation_plan": "Articular la oferta en el piedemonte."
    });

    // Roles that keep no alliance: 403; another department's gobernación: 422, nothing stored.
    let before = stored(&app).await;
    for role in [
        Role::Participant,
        Role::Liaison,
        Role::Instructor,
        Role::Coordinator,
    ] {
        let caller = role_token(&app, role).await;
        let (status, answer) =
            api_post(&app, "/api/v1/alliances", Some(&caller), body.clone()).await;
        assert_eq!(status, Status::Forbidden, "{role:?}: {answer}");
    }
    let (status, answer) = api_post(&app, "/api/v1/alliances", Some(&dnp), body.clone()).await;
    assert_eq!(status, Status::Forbidden, "another provider: {answer}");
    let answer = api_post(
        &app,
        "/api/v1/alliances",
        Some(&meta_reviewer),
        body.clone(),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&answer), vec!["department_code".to_string()]);
    assert!(stored(&app).await == before, "nothing stored");

    // The gobernación's coordinator creates it: led by its gobernación by default.
    let (status, created) =
        api_post(&app, "/api/v1/alliances", Some(&gobernacion), body.clone()).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["lead_provider"]["name"], "Gobernación del Caquetá");
    assert!(json_str(&created["members"][0]["name"]).contains("ESAP"));
    assert_eq!(created["members"][1]["kind"], "universidad");
    assert_eq!(created["members"][1]["kind_label"], "Universidad");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/alliances/{id}");

    // Its renewal, by the department's reviewer; another department's reviewer: 404; a member
    // that only reads: 403.
    let mut renewed = body.clone();
    renewed["renewed_on"] = json!("2026-03-01");
    api_put(&app, &path, Some(&meta_reviewer), renewed.clone())
        .await
        .expect_status(Status::NotFound);
    let esap = role_token(&app, Role::Coordinator).await;
    let (status, answer) = api_put(&app, &path, Some(&esap), renewed.clone()).await;
    assert_eq!(
        status,
        Status::Forbidden,
        "ESAP reads it, does not keep it: {answer}"
    );
    let changed = api_put(&app, &path, Some(&caqueta_reviewer), renewed)
        .await
        .expect_status(Status::Ok);
    assert_eq!(changed["renewed_on"], "2026-03-01");

    // A table: recorded by the lead's coordinator; a member that only reads: 403.
    let today = domain::time::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let table = json!({
        "date": day(-3),
        "agenda": "Oferta del semestre",
        "attendees": [{"name": "Ana Pérez", "organisation": "Gobernación del Caquetá"}],
        "agreements": [{"text": "Enviar el informe", "owner": "Gobernación", "due_on": day(10)}]
    });
    let meetings = format!("{path}/meetings");
    api_post(&app, &meetings, Some(&esap), table.clone())
        .await
        .expect_status(Status::Forbidden);
    api_post(&app, &meetings, Some(&meta_reviewer), table.clone())
        .await
        .expect_status(Status::NotFound);
    let recorded = api_post(&app, &meetings, Some(&gobernacion), table)
        .await
        .expect_status(Status::Created);
    let meeting_id = recorded["id"].as_i64().unwrap();
    let agreement_id = recorded["agreements"][0]["id"].as_i64().unwrap();
    assert_eq!(recorded["agreements"][0]["status"], "open");

    // Its follow-up.
    let follow = format!("{meetings}/{meeting_id}/agreements/{agreement_id}");
    let done = json!({"status": "done", "note": "Enviado a los miembros"});
    api_patch(&app, &follow, Some(&esap), done.clone())
        .await
        .expect_status(Status::Forbidden);
    api_patch(&app, &follow, Some(&meta_reviewer), done.clone())
        .await
        .expect_status(Status::NotFound);
    // An agreement through another table's path: 404.
    let (_, demo_tables) = api_get(
        &app,
        &format!("/api/v1/alliances/{}/meetings", caqueta["id"]),
        Some(&caqueta_reviewer),
    )
    .await;
    let elsewhere = format!(
        "/api/v1/alliances/{}/meetings/{}/agreements/{agreement_id}",
        caqueta["id"], demo_tables["items"][0]["id"]
    );
    api_patch(&app, &elsewhere, Some(&caqueta_reviewer), done.clone())
        .await
        .expect_status(Status::NotFound);
    let marked = api_patch(&app, &follow, Some(&caqueta_reviewer), done)
        .await
        .expect_status(Status::Ok);
    assert_eq!(marked["status"], "done");
    assert_eq!(marked["done_on"], today.to_string());
    assert_eq!(marked["status_label"], "Cumplido");
    let (status, reopened) =
        api_patch(&app, &follow, Some(&gobernacion), json!({"status": "open"})).await;
    assert_eq!(status, Status::Ok, "{reopened}");
    assert!(reopened["done_on"].is_null());
}

#[rocket::async_test]
async fn bad_members_dates_and_agreements_are_refused_in_spanish_and_nothing_is_stored() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let before = stored(&app).await;
    let refused = api_post(
        &app,
        "/api/v1/alliances",
        Some(&reviewer),
        json!({
            "department_code": "18",
            "name": "Alianza",
            "launched_on": "2026-02-01",
            "renewed_on": "2026-01-15",
            "members": [
                {"provider_id": 1},
                {"provider_id": 1},
                {"provider_id": 99999},
                {"name": "Universidad", "kind": "colegio"},
                {"name": " ", "kind": "universidad"},
                {"provider_id": 2, "name": "DNP otra vez", "kind": "otra"}
            ],
            "implementation_plan": "Plan"
        }),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&refused);
    for field in [
        "renewed_on",
        "members[1].provider_id",
        "members[2].provider_id",
        "members[3].kind",
        "members[4].name",
        "members[5].provider_id",
    ] {
        assert!(fields.contains(&field.to_string()), "{field}: {refused}");
    }
    let text = refused.to_string();
    assert!(
        text.contains("La refrendación debe ser posterior al lanzamiento"),
        "{text}"
    );
    assert!(text.contains("ya está en la lista de miembros"), "{text}");
    let refused = api_post(
        &app,
        "/api/v1/alliances",
        Some(&reviewer),
        json!({"department_code": "18", "name": "Alianza", "launched_on": "2026-02-01",
                    "members": [], "implementation_plan": ""}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&refused),
        vec!["members".to_string(), "implementation_plan".to_string()]
    );
    assert!(refused.to_string().contains("al menos un miembro"));

    // A table: a future date, no attendee, an empty agreement, one due before the table.
    let caqueta = demo_alliance(&app, &reviewer, "18").await;
    let meetings = format!("/api/v1/alliances/{}/meetings", caqueta["id"]);
    let today = domain::time::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let refused = api_post(
        &app,
        &meetings,
        Some(&reviewer),
        json!({"date": day(2), "agenda": " ", "attendees": [], "agreements": []}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&refused),
        vec![
            "date".to_string(),
            "agenda".to_string(),
            "attendees".to_string()
        ]
    );
    assert!(refused.to_string().contains("no puede ser futura"));
    let refused = api_post(
        &app,
        &meetings,
        Some(&reviewer),
        json!({
            "date": day(-5),
            "agenda": "Oferta",
            "attendees": [{"name": "Ana Pérez", "organisation": ""}],
            "agreements": [
                {"text": "", "owner": "", "due_on": ""},
                {"text": "Informe", "owner": "Gobernación", "due_on": day(-6)}
            ]
        }),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&refused);
    for field in [
        "attendees[0].organisation",
        "agreements[0].text",
        "agreements[0].owner",
        "agreements[0].due_on",
        "agreements[1].due_on",
    ] {
        assert!(fields.contains(&field.to_string()), "{field}: {refused}");
    }
    assert!(
        refused
            .to_string()
            .contains("La fecha límite no puede ser anterior a la mesa"),
        "{refused}"
    );

    // A follow-up: an unknown state, a future day.
    let (_, tables) = api_get(&app, &meetings, Some(&reviewer)).await;
    let table = &tables["items"][0];
    let open = json_array(&table["agreements"])
        .iter()
        .find(|a| a["status"] == "open")
        .unwrap();
    let follow = format!("{meetings}/{}/agreements/{}", table["id"], open["id"]);
    for (patch, field) in [
        (json!({"status": "cerrado"}), "status"),
        (json!({"status": "done", "done_on": day(3)}), "done_on"),
        (json!({"status": "done", "done_on": day(-400)}), "done_on"),
    ] {
        let refused = api_patch(&app, &follow, Some(&reviewer), patch)
            .await
            .expect_status(Status::UnprocessableEntity);
        assert_eq!(error_fields(&refused), vec![field.to_string()]);
    }
    assert!(stored(&app).await == before, "nothing stored");
}

#[rocket::async_test]
async fn a_member_provider_reads_the_departments_offer_view_overlaps_and_unanswered_demand() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let caqueta = demo_alliance(&app, &reviewer, "18").await;
    assert!(
        json_array(&caqueta["members"])
            .iter()
            .any(|m| json_str(&m["name"]).contains("(DNP)")),
        "DNP is a member"
    );
    let offer = api_get(&app, "/api/v1/reports/offer?department=18", Some(&dnp))
        .await
        .expect_status(Status::Ok);
    let items = json_items(&offer);
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|r| json_str(&r["municipality_code"]).starts_with("18")),
        "Caquetá's offer"
    );
    assert!(
        items.iter().any(|r| r["provider"]["id"] == 1),
        "every provider's offer, not only DNP's"
    );
    let (status, overlaps) =
        api_get(&app, "/api/v1/reports/overlaps?department=18", Some(&dnp)).await;
    assert_eq!(status, Status::Ok, "{overlaps}");
    assert!(overlaps["total"].as_u64().unwrap() > 0, "{overlaps}");
    api_get(&app, "/api/v1/reports/demand?department=18", Some(&dnp))
        .await
        .expect_status(Status::Ok);
    // The alliance page's links open for the member.
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    for path in [
        "/reportes/oferta?departamento=18",
        "/reportes/traslapes?departamento=18",
        "/reportes/demanda?departamento=18",
    ] {
        let response = browser.get(path).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
    }
}

#[rocket::async_test]
async fn the_table_form_takes_rows_and_keeps_what_was_typed() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let id = demo_alliance(&app, &reviewer, "18").await["id"].clone();
    let browser = app.another_instance(&[]).await;
    let (email, password) = crate::support::demo_account(Role::Reviewer);
    sign_in_client(&browser, email, password).await;
    let page = format!("/alianzas/{id}");
    let today = domain::time::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let send = async |fields: &[(&str, &str)]| {
        let csrf = csrf_from_client(&browser, &page).await;
        submit(&browser, &format!("/alianzas/{id}/mesas"), &csrf, fields).await
    };
    let yesterday = day(-1);
    let early = day(-2);
    let later = day(20);
    // One more attendee row: 200, as typed, nothing stored.
    let before = stored(&app).await;
    let (status, html) = send(&[
        ("date", &yesterday),
        ("agenda", "Agenda de la mesa"),
        ("attendees[0].name", "Ana Pérez"),
        ("attendees[0].organisation", "Gobernación"),
        ("more", "attendees"),
    ])
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Asistente 2"), "one more row");
    assert!(html.contains("value=\"Ana Pérez\""));
    assert!(stored(&app).await == before);
    // A refused agreement row (due before the table): beside its group, values kept.
    let (status, html) = send(&[
        ("date", &yesterday),
        ("agenda", "Agenda de la mesa"),
        ("attendees[0].name", "Ana Pérez"),
        ("attendees[0].organisation", "Gobernación"),
        ("agreements[0].text", ""),
        ("agreements[0].owner", ""),
        ("agreements[0].due_on", ""),
        ("agreements[1].text", "Enviar el acta"),
        ("agreements[1].owner", "Secretaría de Planeación"),
        ("agreements[1].due_on", &early),
    ])
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("id=\"error-mesa-agreements-1\""),
        "beside its row"
    );
    assert!(html.contains("value=\"Enviar el acta\""));
    assert!(stored(&app).await == before, "nothing stored");
    // Saved: the blank rows left out.
    let (status, _) = send(&[
        ("date", &yesterday),
        ("agenda", "Agenda de la mesa"),
        ("attendees[0].name", "Ana Pérez"),
        ("attendees[0].organisation", "Gobernación"),
        ("agreements[0].text", ""),
        ("agreements[0].owner", ""),
        ("agreements[0].due_on", ""),
        ("agreements[1].text", "Enviar el acta"),
        ("agreements[1].owner", "Secretaría de Planeación"),
        ("agreements[1].due_on", &later),
    ])
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, tables) = api_get(
        &app,
        &format!("/api/v1/alliances/{id}/meetings"),
        Some(&reviewer),
    )
    .await;
    let newest = &tables["items"][0];
    assert_eq!(newest["date"], yesterday);
    assert_eq!(json_array(&newest["attendees"]).len(), 1);
    assert_eq!(json_array(&newest["agreements"]).len(), 1);
    assert_eq!(newest["agreements"][0]["text"], "Enviar el acta");
}
