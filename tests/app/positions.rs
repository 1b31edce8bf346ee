//! Issue 68, item 3: key positions (cargos clave). «held_by_certified» counts a holder
//! certified in the position's own capacity only; a certified holder's departure tells the
//! department's reviewer and the municipality's liaison (home and outbox) and the handover
//! lists the positions left uncovered; another department's reviewer gets 404; bad input is a
//! Spanish 422 that writes nothing; the import is all or nothing; the demo's Puerto Rico.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, META_REVIEWER, api_get, api_patch, api_post, demo_account, json_array,
    json_items, json_str, page, role_token, sign_in_page, token, upload,
};
use domain::entities::values::{CertificateStatus, Role};
use domain::entities::{
    audit_log, certificate, cohort, course_capacity, entity_departure, key_position,
    key_position_departure, outbox, participant,
};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Belén de los Andaquíes (Caquetá): the demo's people certified there.
const BELEN: &str = "18094";

/// A person of `code` with a valid certificate, the capacities it certifies, and a capacity it
/// does not.
async fn certified_person(app: &TestApp, code: &str) -> (i32, i32, i32) {
    let db = app.db();
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::MunicipalityCode.eq(code))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(db)
        .await
        .unwrap();
    let first = certificates
        .first()
        .expect("a certified person in the demo");
    let person = first.participant_id;
    let mut held = BTreeSet::new();
    for c in certificates.iter().filter(|c| c.participant_id == person) {
        let course = cohort::Entity::find_by_id(c.cohort_id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .course_id;
        for link in course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.eq(course))
            .all(db)
            .await
            .unwrap()
        {
            held.insert(link.capacity_id);
        }
    }
    let matching = *held.iter().next().unwrap();
    let other = (1..=5)
        .find(|c| !held.contains(c))
        .expect("a capacity not certified");
    (person, matching, other)
}

async fn create(app: &TestApp, token: &str, code: &str, body: Value) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/municipalities/{code}/positions"),
        Some(token),
        body,
    )
    .await
}

async fn positions_of(app: &TestApp, token: &str, code: &str) -> (Status, Value) {
    api_get(
        app,
        &format!("/api/v1/municipalities/{code}/positions"),
        Some(token),
    )
    .await
}

async fn liaison_of(app: &TestApp, admin: &str, place: &str) -> (String, String) {
    let email = format!("enlace.{place}@example.org");
    api_post(
        app,
        "/api/v1/users",
        Some(admin),
        json!({
            "email": email,
            "password": "Enlace-Prueba-2026",
            "full_name": "Enlace de prueba",
            "role": "liaison",
            "municipality_code": place,
        }),
    )
    .await
    .expect_status(Status::Created);
    (token(app, &email, "Enlace-Prueba-2026").await, email)
}

async fn rows(app: &TestApp) -> u64 {
    key_position::Entity::find().fetch_count(app.db()).await
}

#[rocket::async_test]
async fn held_by_certified_counts_a_holder_certified_in_the_positions_own_capacity() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (person, matching, other) = certified_person(&app, BELEN).await;
    let since = "2024-01-02";
    let held = |title: &str, capacity: i32| {
        json!({"title": title, "capacity_id": capacity,
               "holder": {"participant_id": person},
               "appointment": "libre_nombramiento", "since": since})
    };
    let (status, certified) = create(&app, &reviewer, BELEN, held("Tesorero(a)", matching)).await;
    assert_eq!(status, Status::Created, "{certified}");
    assert_eq!(certified["certified"], json!(true));
    assert_eq!(certified["holder"]["participant_id"], json!(person));
    assert_eq!(certified["appointment"], json!("libre_nombramiento"));
    assert_eq!(certified["since"], json!(since));
    // The same person in a position of a capacity she is not certified in: not counted.
    let (status, elsewhere) = create(
        &app,
        &reviewer,
        BELEN,
        held("Secretario(a) de Hacienda", other),
    )
    .await;
    assert_eq!(status, Status::Created, "{elsewhere}");
    assert_eq!(elsewhere["certified"], json!(false));
    // A name that is not a person of the product: not counted, even in the capacity.
    let (status, named) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Jefe(a) de Control Interno", "capacity_id": matching,
               "holder": {"full_name": "Gloria Manrique"},
               "appointment": "periodo", "since": since}),
    )
    .await;
    assert_eq!(status, Status::Created, "{named}");
    assert_eq!(named["certified"], json!(false));
    assert!(named["holder"].get("participant_id").is_none(), "{named}");
    let (status, vacant) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Secretario(a) de Planeación", "capacity_id": matching}),
    )
    .await;
    assert_eq!(status, Status::Created, "{vacant}");
    assert_eq!(vacant["holder"], Value::Null);

    let (status, list) = positions_of(&app, &reviewer, BELEN).await;
    assert_eq!(status, Status::Ok, "{list}");
    assert_eq!(list["total"], json!(4));
    assert_eq!(list["held_by_certified"], json!(1), "{list}");
    assert_eq!(json_items(&list).len(), 4);

    // The page says it: «1 de 4».
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, &format!("/municipios/{BELEN}/cargos")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("1 de 4"), "{html}");
    assert!(html.contains("Gloria Manrique"));
    let (_, municipality) = page(&app, &format!("/municipios/{BELEN}")).await;
    assert!(municipality.contains(&format!("/municipios/{BELEN}/cargos")));
}

#[rocket::async_test]
async fn a_certified_holders_departure_tells_the_reviewer_and_the_liaison_and_the_handover() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (liaison, liaison_email) = liaison_of(&app, &admin, BELEN).await;
    let (person, matching, other) = certified_person(&app, BELEN).await;
    let (_, treasurer) = create(
        &app,
        &liaison,
        BELEN,
        json!({"title": "Tesorero(a)", "capacity_id": matching,
               "holder": {"participant_id": person},
               "appointment": "provisional", "since": "2023-03-01"}),
    )
    .await;
    let (_, named) = create(
        &app,
        &liaison,
        BELEN,
        json!({"title": "Secretario(a) de Hacienda", "capacity_id": other,
               "holder": {"full_name": "Luis Perdomo"},
               "appointment": "libre_nombramiento", "since": "2024-01-02"}),
    )
    .await;
    let db = app.db();
    let emails_before = outbox::Entity::find().count(db).await.unwrap();

    // An uncertified holder leaves: nobody is told.
    let left = api_post(
        &app,
        &format!("/api/v1/positions/{}/departure", named["id"]),
        Some(&reviewer),
        json!({"on": "2026-01-15"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(left["holder"], Value::Null);
    assert_eq!(left["last_departure"]["certified"], json!(false));
    assert_eq!(
        outbox::Entity::find().count(db).await.unwrap(),
        emails_before
    );

    // The certified treasurer leaves.
    let on = (domain::time::today() - chrono::Duration::days(3)).to_string();
    let left = api_post(
        &app,
        &format!("/api/v1/positions/{}/departure", treasurer["id"]),
        Some(&liaison),
        json!({"on": on, "reason": "Renuncia"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(left["holder"], Value::Null);
    assert_eq!(left["appointment"], Value::Null);
    assert_eq!(left["last_departure"]["certified"], json!(true));
    assert_eq!(left["last_departure"]["on"], json!(on));
    let stored = key_position_departure::Entity::find()
        .filter(
            key_position_departure::Column::PositionId.eq(treasurer["id"].as_i64().unwrap() as i32),
        )
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.holder_participant_id, Some(person));
    assert!(stored.certified);
    // She left the entity: the figures and the handover read it.
    assert!(
        entity_departure::Entity::find_by_id((person, BELEN.to_string()))
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    // Emails: the Caquetá reviewer and the municipality's liaison.
    let told: BTreeSet<String> = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.starts_with("cargo-clave-salida:"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    let (reviewer_email, reviewer_password) = demo_account(Role::Reviewer);
    assert_eq!(
        told,
        BTreeSet::from([reviewer_email.to_string(), liaison_email.clone()])
    );
    let message = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(reviewer_email))
        .filter(outbox::Column::DedupeKey.starts_with("cargo-clave-salida:"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        message.subject.contains("Tesorero(a)"),
        "{}",
        message.subject
    );
    assert!(
        message
            .body_text
            .contains(&format!("/municipios/{BELEN}/cargos"))
    );
    // The Meta reviewer is not told.
    assert!(!told.contains(META_REVIEWER.0));

    // Homes: the reviewer's and the liaison's list the position.
    sign_in_page(&app, reviewer_email, reviewer_password).await;
    let (_, home) = page(&app, "/").await;
    assert!(
        home.contains("Cargos clave que quedaron sin titular certificado"),
        "{home}"
    );
    assert!(
        home.contains("Belén de los Andaquíes: Tesorero(a)"),
        "{home}"
    );
    sign_in_page(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (_, meta_home) = page(&app, "/").await;
    assert!(!meta_home.contains("Belén de los Andaquíes: Tesorero(a)"));
    sign_in_page(&app, &liaison_email, "Enlace-Prueba-2026").await;
    let (_, liaison_home) = page(&app, "/").await;
    assert!(liaison_home.contains("Belén de los Andaquíes: Tesorero(a)"));

    // The handover lists both positions as uncovered; a certified holder's is not.
    let (_, covered) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Secretario(a) de Planeación", "capacity_id": matching,
               "holder": {"participant_id": person},
               "appointment": "carrera", "since": on}),
    )
    .await;
    assert_eq!(covered["certified"], json!(true), "{covered}");
    let handover = api_get(
        &app,
        &format!("/api/v1/municipalities/{BELEN}/handover"),
        Some(&reviewer),
    )
    .await
    .expect_status(Status::Ok);
    let uncovered: BTreeSet<String> = json_array(&handover["uncovered_positions"])
        .iter()
        .map(|p| json_str(&p["title"]).to_string())
        .collect();
    assert_eq!(
        uncovered,
        BTreeSet::from([
            "Tesorero(a)".to_string(),
            "Secretario(a) de Hacienda".to_string()
        ])
    );

    // A new treasurer: the alert ends.
    let filled = api_patch(
        &app,
        &format!("/api/v1/positions/{}", treasurer["id"]),
        Some(&liaison),
        json!({"holder": {"full_name": "Nueva Tesorera"},
                    "appointment": "provisional", "since": domain::time::today().to_string()}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(filled["holder"]["full_name"], json!("Nueva Tesorera"));
    let (_, liaison_home) = page(&app, "/").await;
    assert!(!liaison_home.contains("Belén de los Andaquíes: Tesorero(a)"));
    // The handover's page and PDF name what is still uncovered.
    let (_, handover_page) = page(&app, &format!("/municipios/{BELEN}/empalme")).await;
    assert!(handover_page.contains("Cargos clave sin titular certificado (2)"));
    assert!(handover_page.contains("Luis Perdomo salió el"));
    let pdf = app
        .client
        .get(format!("/municipios/{BELEN}/empalme.pdf"))
        .dispatch()
        .await
        .into_bytes()
        .await
        .unwrap();
    let text = crate::support::pdf_text(&pdf);
    assert!(
        text.contains("Cargos clave sin titular certificado (2)"),
        "{text}"
    );
}

#[rocket::async_test]
async fn another_departments_reviewer_gets_404_on_every_position_operation() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let participant = role_token(&app, Role::Participant).await;
    let (_, position) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Tesorero(a)", "capacity_id": 2,
               "holder": {"full_name": "Ana Ríos"},
               "appointment": "contrato", "since": "2025-02-01"}),
    )
    .await;
    let id = position["id"].as_i64().unwrap();
    let before = rows(&app).await;
    let (status, _) = positions_of(&app, &meta, BELEN).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = create(
        &app,
        &meta,
        BELEN,
        json!({"title": "Tesorero(a) 2", "capacity_id": 2}),
    )
    .await;
    assert_eq!(status, Status::NotFound);
    api_patch(
        &app,
        &format!("/api/v1/positions/{id}"),
        Some(&meta),
        json!({"title": "Cambiado"}),
    )
    .await
    .expect_status(Status::NotFound);
    api_post(
        &app,
        &format!("/api/v1/positions/{id}/departure"),
        Some(&meta),
        json!({"on": "2026-01-15"}),
    )
    .await
    .expect_status(Status::NotFound);
    let (status, _) = positions_of(&app, &participant, BELEN).await;
    assert_eq!(status, Status::Forbidden);
    // Nothing changed.
    assert_eq!(rows(&app).await, before);
    let (_, list) = positions_of(&app, &reviewer, BELEN).await;
    assert_eq!(list["items"][0]["title"], json!("Tesorero(a)"));
    assert_eq!(list["items"][0]["holder"]["full_name"], json!("Ana Ríos"));
    // The page too.
    sign_in_page(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (status, _) = page(&app, &format!("/municipios/{BELEN}/cargos")).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = page(&app, &format!("/cargos/{id}")).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn bad_input_is_a_spanish_422_and_writes_nothing() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let before = rows(&app).await;
    let tomorrow = (domain::time::today() + chrono::Duration::days(1)).to_string();
    let (status, body) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "  ", "capacity_id": 2,
               "holder": {"full_name": "Ana Ríos"},
               "appointment": "indefinido", "since": tomorrow}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let fields = crate::support::error_fields(&body);
    for field in ["title", "appointment", "since"] {
        assert!(fields.contains(&field.to_string()), "{field}: {body}");
    }
    let messages = body["errors"].to_string();
    assert!(
        messages.contains("Escriba el nombre del cargo"),
        "{messages}"
    );
    assert!(
        messages.contains("no es un tipo de vinculación"),
        "{messages}"
    );
    assert!(
        messages.contains("no puede ser posterior a hoy"),
        "{messages}"
    );
    let (status, body) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Tesorero(a)", "capacity_id": 999}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(crate::support::error_fields(&body), vec!["capacity_id"]);
    assert_eq!(rows(&app).await, before);

    // A departure in the future, or before the possession: 422, the holder stays.
    let (_, position) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Tesorero(a)", "capacity_id": 2,
               "holder": {"full_name": "Ana Ríos"},
               "appointment": "contrato", "since": "2025-02-01"}),
    )
    .await;
    for on in [tomorrow.as_str(), "2025-01-31", "15/01/2026"] {
        let (status, body) = api_post(
            &app,
            &format!("/api/v1/positions/{}/departure", position["id"]),
            Some(&reviewer),
            json!({"on": on}),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{on}: {body}");
        assert_eq!(crate::support::error_fields(&body), vec!["on"]);
    }
    assert_eq!(
        key_position_departure::Entity::find()
            .fetch_count(app.db())
            .await,
        1,
        "only the demo's"
    );
    let (_, list) = positions_of(&app, &reviewer, BELEN).await;
    assert_eq!(list["items"][0]["holder"]["full_name"], json!("Ana Ríos"));
    // A change that names nothing to change: 422, no audit row, nothing moved.
    let audits = audit_log::Entity::find().fetch_count(app.db()).await;
    let body = api_patch(
        &app,
        &format!("/api/v1/positions/{}", position["id"]),
        Some(&reviewer),
        json!({}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(
        body["errors"].to_string().contains("Indique qué cambiar"),
        "{body}"
    );
    assert_eq!(
        audit_log::Entity::find().fetch_count(app.db()).await,
        audits
    );
    // A vacant position has nobody to leave: 409.
    let (_, vacant) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Secretario(a) de Hacienda", "capacity_id": 3}),
    )
    .await;
    api_post(
        &app,
        &format!("/api/v1/positions/{}/departure", vacant["id"]),
        Some(&reviewer),
        json!({"on": "2026-01-15"}),
    )
    .await
    .expect_status(Status::Conflict);
}

fn sheet(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(
        "Cargo,Nombre del titular,Documento,Tipo de vinculación,Fecha de posesión,Capacidad\n",
    );
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

#[rocket::async_test]
async fn the_import_is_all_or_nothing_previews_and_links_people_by_document() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (person, _, _) = certified_person(&app, BELEN).await;
    let document = participant::Entity::find_by_id(person)
        .expect_one(app.db())
        .await
        .document_number;
    let path = format!("/api/v1/municipalities/{BELEN}/positions/import");
    let good = [
        format!("Tesorero(a),,{document},Provisional,15/03/2023,"),
        "Secretario(a) de Hacienda,Luis Perdomo,,libre_nombramiento,2024-01-02,Ejecución de recursos".to_string(),
        "Jefe(a) de Control Interno,,,,,gobierno_abierto_transparencia".to_string(),
    ];
    let bad_row = "Asesor jurídico,Ana Ríos,,indefinido,2024-01-02,Planeación territorial";
    let before = rows(&app).await;
    let mut with_bad: Vec<&str> = good.iter().map(String::as_str).collect();
    with_bad.push(bad_row);
    let (status, body) = upload(&app, &path, &reviewer, "cargos.csv", &sheet(&with_bad)).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(body["errors"][0]["row"], json!(5), "{body}");
    assert_eq!(body["errors"][0]["field"], json!("Tipo de vinculación"));
    assert_eq!(rows(&app).await, before, "all or nothing");

    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let (status, preview) = upload(
        &app,
        &format!("{path}?dry_run=true"),
        &reviewer,
        "cargos.csv",
        &sheet(&good),
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["dry_run"], json!(true));
    assert_eq!(preview["created"], json!(3));
    assert_eq!(rows(&app).await, before, "a preview writes nothing");

    let (status, saved) = upload(&app, &path, &reviewer, "cargos.csv", &sheet(&good)).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(saved["created"], json!(3));
    assert_eq!(saved["changes"][0]["linked"], json!(true));
    let (_, list) = positions_of(&app, &reviewer, BELEN).await;
    assert_eq!(list["total"], json!(3));
    assert_eq!(list["items"][0]["holder"]["participant_id"], json!(person));
    assert_eq!(list["items"][0]["since"], json!("2023-03-15"));
    assert_eq!(list["items"][0]["appointment"], json!("provisional"));
    assert_eq!(list["items"][2]["holder"], Value::Null);
    // The same file again changes nothing; another holder over the recorded one is refused.
    let (_, again) = upload(&app, &path, &reviewer, "cargos.csv", &sheet(&good)).await;
    assert_eq!(again["unchanged"], json!(3), "{again}");
    let (status, body) = upload(
        &app,
        &path,
        &reviewer,
        "cargos.csv",
        &sheet(&["Secretario(a) de Hacienda,Otra Persona,,carrera,2025-01-02,"]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(json_str(&body["errors"][0]["message"]).contains("registre primero su salida"));
    // Another department's reviewer: 404.
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (status, _) = upload(&app, &path, &meta, "cargos.csv", &sheet(&good)).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_demo_shows_puerto_ricos_certified_treasurer_gone() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, list) = positions_of(&app, &reviewer, "18592").await;
    assert_eq!(status, Status::Ok, "{list}");
    assert_eq!(list["total"], json!(5));
    let treasurer = json_items(&list)
        .iter()
        .find(|p| p["title"] == json!("Tesorero(a)"))
        .expect("the treasury")
        .clone();
    assert_eq!(treasurer["holder"], Value::Null);
    assert_eq!(treasurer["last_departure"]["certified"], json!(true));
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (_, home) = page(&app, "/").await;
    assert!(home.contains("Puerto Rico: Tesorero(a)"), "{home}");
    let (status, html) = page(&app, "/municipios/18592/cargos").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("{} de 5", list["held_by_certified"])));
}

#[rocket::async_test]
async fn naming_another_holder_records_the_previous_ones_departure() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (person, matching, _) = certified_person(&app, BELEN).await;
    let (_, position) = create(
        &app,
        &reviewer,
        BELEN,
        json!({"title": "Tesorero(a)", "capacity_id": matching,
               "holder": {"participant_id": person},
               "appointment": "provisional", "since": "2023-03-01"}),
    )
    .await;
    let id = position["id"].as_i64().unwrap();
    let db = app.db();
    // Changing only the appointment keeps the holder: no departure.
    let kept = api_patch(
        &app,
        &format!("/api/v1/positions/{id}"),
        Some(&reviewer),
        json!({"appointment": "carrera"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(kept["holder"]["participant_id"], json!(person));
    assert_eq!(kept["since"], json!("2023-03-01"));
    assert_eq!(kept["last_departure"], Value::Null);
    // A successor named before the holder took office: refused, nothing written.
    let body = api_patch(
        &app,
        &format!("/api/v1/positions/{id}"),
        Some(&reviewer),
        json!({"holder": {"full_name": "Nuevo Tesorero"},
                    "appointment": "provisional", "since": "2023-01-01"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(crate::support::error_fields(&body), vec!["since"]);
    // The successor: the certified holder's departure on the new possession day, and the
    // reviewer told.
    let replaced = api_patch(
        &app,
        &format!("/api/v1/positions/{id}"),
        Some(&reviewer),
        json!({"holder": {"full_name": "Nuevo Tesorero"},
                    "appointment": "provisional", "since": "2026-02-01"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(replaced["holder"]["full_name"], json!("Nuevo Tesorero"));
    assert_eq!(replaced["certified"], json!(false));
    assert_eq!(replaced["last_departure"]["on"], json!("2026-02-01"));
    assert_eq!(replaced["last_departure"]["certified"], json!(true));
    assert_eq!(
        replaced["last_departure"]["reason"],
        json!("Reemplazo en el cargo")
    );
    let (reviewer_email, _) = demo_account(Role::Reviewer);
    assert_eq!(
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(reviewer_email))
            .filter(outbox::Column::DedupeKey.starts_with("cargo-clave-salida:"))
            .count(db)
            .await
            .unwrap(),
        1
    );
    // Held again: no alert for it.
    let vacated = domain::positions::vacated_certified(db, Some("18"), None)
        .await
        .unwrap();
    assert!(vacated.iter().all(|v| v.position_id != id as i32));
}

#[rocket::async_test]
async fn the_import_links_only_people_registered_in_the_municipality() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    // María Fernanda is registered in Puerto Rico, not in Belén.
    let elsewhere = participant::Entity::find()
        .filter(participant::Column::MunicipalityCode.eq("18592"))
        .expect_one(app.db())
        .await;
    let path = format!("/api/v1/municipalities/{BELEN}/positions/import");
    let row = format!(
        "Tesorero(a),,{},provisional,2024-01-02,",
        elsewhere.document_number
    );
    let (status, body) = upload(&app, &path, &reviewer, "cargos.csv", &sheet(&[&row])).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(body["errors"][0]["field"], json!("Nombre del titular"));
    assert!(!body.to_string().contains(&elsewhere.first_names));
    // With the name, the row is a name only: no link to her.
    let row = format!(
        "Tesorero(a),Ana Ríos,{},provisional,2024-01-02,",
        elsewhere.document_number
    );
    let (status, saved) = upload(&app, &path, &reviewer, "cargos.csv", &sheet(&[&row])).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(saved["changes"][0]["linked"], json!(false));
    let (_, list) = positions_of(&app, &reviewer, BELEN).await;
    assert_eq!(list["items"][0]["holder"], json!({"full_name": "Ana Ríos"}));
}

#[rocket::async_test]
async fn the_pages_keep_a_holder_saved_unchanged_and_record_a_departure() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    // Puerto Rico's planning secretary (a person of the product) and its head of internal
    // control (a name only), from the demo.
    let positions = key_position::Entity::find()
        .filter(key_position::Column::MunicipalityCode.eq("18592"))
        .fetch_all(app.db())
        .await;
    let planning = positions
        .iter()
        .find(|p| p.holder_participant_id.is_some())
        .unwrap();
    let control = positions
        .iter()
        .find(|p| p.title == "Jefe(a) de Control Interno")
        .unwrap();
    for position in [planning, control] {
        let path = format!("/cargos/{}", position.id);
        let (status, html) = page(&app, &path).await;
        assert_eq!(status, Status::Ok);
        let csrf = crate::support::csrf_from(&app, &path).await;
        // The form as the page fills it, the title changed: saved, the holder kept.
        let person = position
            .holder_participant_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        let name = position.holder_name.clone().unwrap_or_default();
        let since = position.since.unwrap().to_string();
        assert!(html.contains(&format!("value=\"{since}\"")), "{html}");
        let response = crate::support::post_form(
            &app,
            &path,
            &[
                ("csrf_token", &csrf),
                ("title", &format!("{} (E)", position.title)),
                ("capacity_id", &position.capacity_id.to_string()),
                ("holder_participant_id", &person),
                ("holder_name", &name),
                ("appointment", position.appointment.as_deref().unwrap()),
                ("since", &since),
            ],
        )
        .await;
        assert_eq!(response.status(), Status::SeeOther);
        let saved = key_position::Entity::find_by_id(position.id)
            .expect_one(app.db())
            .await;
        assert_eq!(saved.title, format!("{} (E)", position.title));
        assert_eq!(saved.holder_participant_id, position.holder_participant_id);
        assert_eq!(saved.holder_name, position.holder_name);
        assert_eq!(saved.since, position.since);
    }
    assert_eq!(
        key_position_departure::Entity::find()
            .fetch_count(app.db())
            .await,
        1,
        "saving a holder unchanged records no departure"
    );
    // The departure from the page: the position is vacant.
    let path = format!("/cargos/{}/salida", control.id);
    let csrf = crate::support::csrf_from(&app, &format!("/cargos/{}", control.id)).await;
    let response = crate::support::post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("on", &domain::time::today().to_string()),
            ("reason", "Fin del periodo"),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, html) = page(&app, "/municipios/18592/cargos").await;
    assert!(html.contains("Salida registrada"), "{html}");
    assert!(
        html.contains("Gloria Inés Manrique Sierra salió el"),
        "{html}"
    );
}
