//! Trust, second pass (issue 30): JSON with a repeated key (a credential with a forged
//! `credentialSubject` first and the signed one last), lists of 40,000 ids in bodies and page
//! forms, invisible characters in names, and a liaison proposal that must not tell whether an
//! email has an account. Every refusal is a 422 in Spanish naming the field, and writes
//! nothing.

use crate::common::TestApp;
use crate::credentials::{check_page, credential, issued};
use crate::hostile_input::everything;
use crate::support::*;
use crate::world::{World, days};
use chrono::Duration;
use domain::entities::values::Role;
use domain::entities::{audit_log, course, outbox, user};
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// A JSON body sent exactly as written (the `api` helper re-serialises a `Value`, which cannot
/// hold a key twice): (status, problem or answer).
async fn post_text(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    text: &str,
) -> (Status, Value) {
    let mut request = match method {
        "POST" => app.client.post(path.to_string()),
        "PATCH" => app.client.patch(path.to_string()),
        other => panic!("method {other}"),
    };
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    let response = request
        .header(ContentType::JSON)
        .body(text)
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The message of the problem's error on `field`.
fn message_of<'a>(problem: &'a Value, field: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no error on «{field}»: {problem}"))
}

// ---- Finding 1: repeated keys ----------------------------------------------------------------

#[rocket::async_test]
async fn a_credential_with_a_forged_subject_first_and_the_genuine_last_is_refused() {
    let app = TestApp::with_demo().await;
    let (_, codes) = issued(&app).await;
    let genuine = credential(&app, &codes[0]).await;
    let text = serde_json::to_string(&genuine).unwrap();
    let mut forged_subject = genuine["credentialSubject"].clone();
    forged_subject["name"] = json!("Persona Falsa");
    forged_subject["achievement"]["name"] = json!("Doctorado Inventado");
    // What a person reads first is the forgery; serde_json alone keeps the last (genuine) one.
    let forged = format!(
        "{{\"credentialSubject\":{},{}",
        serde_json::to_string(&forged_subject).unwrap(),
        &text[1..]
    );
    let relaxed: Value = serde_json::from_str(&forged).unwrap();
    assert_eq!(
        relaxed, genuine,
        "the forgery parses as the genuine credential"
    );
    // A repeated key inside the subject: the forged name first, the signed one last.
    let holder = json_str(&genuine["credentialSubject"]["name"]);
    let nested = text.replacen(
        &format!("\"name\":\"{holder}\""),
        &format!("\"name\":\"Persona Falsa\",\"name\":\"{holder}\""),
        1,
    );
    assert_ne!(nested, text);

    // The API: 422 naming the key, in Spanish, no verdict.
    for (sent, path) in [
        (&forged, "credentialSubject"),
        (&nested, "credentialSubject.name"),
    ] {
        let (status, problem) =
            post_text(&app, "POST", "/api/v1/credentials/verify", None, sent).await;
        assert_eq!(status, Status::UnprocessableEntity, "{path}: {problem}");
        assert!(
            message_of(&problem, path).contains("aparece más de una vez"),
            "{problem}"
        );
        assert_eq!(problem["verified"], Value::Null, "no verdict: {problem}");
    }

    // The page, uploaded or pasted: refused, said in Spanish, the forgery never shown.
    for (file, pasted) in [(Some(forged.as_str()), ""), (None, nested.as_str())] {
        let (status, html) = check_page(&app, file, pasted).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("repetido"), "{html}");
        assert!(!html.contains("Credencial válida"), "{html}");
        assert!(!html.contains("Persona Falsa</dd>"));
        assert!(!html.contains("Doctorado Inventado</dd>"));
    }

    // The genuine file still verifies, and what is shown is what was verified.
    let (status, verdict) =
        api_post(&app, "/api/v1/credentials/verify", None, genuine.clone()).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(verdict["status"], "valid", "{verdict}");
    assert_eq!(verdict["holder"], genuine["credentialSubject"]["name"]);
    assert_eq!(verdict["name"], genuine["name"]);
    let (status, html) = check_page(&app, Some(&text), "").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Credencial válida"), "{html}");
    assert!(html.contains(&format!("<dd>{holder}</dd>")), "{html}");
}

#[rocket::async_test]
async fn any_json_body_with_a_repeated_key_is_refused_naming_it() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let before = everything(&app).await;
    let cases = [
        (
            r#"{"code": "DUP-1", "name": "Curso falso", "name": "Curso de prueba", "description": "", "hours": 10, "capacity_ids": [1]}"#,
            "name",
        ),
        // Unknown fields are ignored, but not when NFC makes two of them one key.
        (
            "{\"code\": \"DUP-2\", \"name\": \"Curso de prueba\", \"description\": \"\", \"hours\": 10, \"capacity_ids\": [1], \"José\": 1, \"Jose\u{301}\": 2}",
            "José",
        ),
    ];
    for (text, field) in cases {
        let (status, problem) =
            post_text(&app, "POST", "/api/v1/courses", Some(&staff), text).await;
        assert_eq!(status, Status::UnprocessableEntity, "{text}: {problem}");
        assert!(
            message_of(&problem, field).contains(&format!("«{field}» aparece más de una vez")),
            "{problem}"
        );
    }
    assert!(everything(&app).await == before, "nothing was written");
}

// ---- Finding 2: bounded lists ----------------------------------------------------------------

const LONG: usize = 40_000;

fn long_ids() -> Value {
    json!((1..=LONG as i64).collect::<Vec<_>>())
}

fn long_codes() -> Value {
    json!((0..LONG).map(|i| format!("{i:05}")).collect::<Vec<_>>())
}

/// A 422 on `field` that says the bound, in Spanish.
fn assert_list_refused(status: Status, problem: &Value, field: &str, what: &str) {
    assert_eq!(status, Status::UnprocessableEntity, "{what}: {problem}");
    let message = message_of(problem, field);
    assert!(
        message.contains("40.000") && message.contains("máximo 5.000"),
        "{what}: {message}"
    );
}

#[rocket::async_test]
async fn lists_of_forty_thousand_ids_in_bodies_are_422_and_write_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let running = world
        .cohort()
        .sessions_from_now(&[Duration::hours(-2)], 60)
        .create()
        .await;
    let (_, indicators) = api_get(&app, "/api/v1/indicators", Some(&world.admin)).await;
    let indicator = indicators["items"][0]["id"].as_i64().unwrap();
    let (_, courses) = api_get(&app, "/api/v1/courses", Some(&world.staff)).await;
    let course = courses["items"][0]["id"].as_i64().unwrap();
    let cohort_body = world.cohort().body().await;

    let with = |base: &Value, field: &str, list: Value| {
        let mut body = base.clone();
        body[field] = list;
        body
    };
    let course_body = json!({"code": "LARGO-1", "name": "Curso largo", "description": "", "hours": 10, "capacity_ids": [1]});
    let indicator_body = json!({"code": "largo", "name": "Indicador", "source": "DNP", "unit": "puntaje", "capacity_ids": [1]});
    let cases: Vec<(&str, String, &str, Value, &str)> = vec![
        (
            "POST",
            "/api/v1/courses".into(),
            &world.staff,
            with(&course_body, "capacity_ids", long_ids()),
            "capacity_ids",
        ),
        (
            "PATCH",
            format!("/api/v1/courses/{course}"),
            &world.staff,
            json!({"capacity_ids": long_ids()}),
            "capacity_ids",
        ),
        (
            "POST",
            "/api/v1/cohorts".into(),
            &world.staff,
            with(&cohort_body, "municipality_codes", long_codes()),
            "municipality_codes",
        ),
        (
            "PATCH",
            format!("/api/v1/cohorts/{}", running.id),
            &world.staff,
            json!({"instructor_ids": long_ids()}),
            "instructor_ids",
        ),
        (
            "PATCH",
            format!("/api/v1/cohorts/{}", running.id),
            &world.staff,
            json!({"demand_ids": long_ids()}),
            "demand_ids",
        ),
        (
            "POST",
            "/api/v1/territorial-directions".into(),
            &world.admin,
            json!({"name": "Dirección larga", "department_codes": long_codes()}),
            "department_codes",
        ),
        (
            "POST",
            "/api/v1/indicators".into(),
            &world.admin,
            with(&indicator_body, "capacity_ids", long_ids()),
            "capacity_ids",
        ),
        (
            "PATCH",
            format!("/api/v1/indicators/{indicator}"),
            &world.admin,
            json!({"capacity_ids": long_ids()}),
            "capacity_ids",
        ),
        // A body that is itself a list: the marks of a session that has begun.
        (
            "PUT",
            format!("/api/v1/sessions/{}/attendance", running.sessions[0]),
            &world.instructor,
            json!(
                (1..=LONG)
                    .map(|i| json!({"enrolment_id": i}))
                    .collect::<Vec<_>>()
            ),
            "body",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let before = everything(&app).await;
        let (status, problem) = api(&app, method, &path, Some(token), Some(body)).await;
        assert_list_refused(status, &problem, field, &format!("{method} {path}"));
        assert!(
            everything(&app).await == before,
            "{method} {path} wrote something"
        );
    }
    // Lists of real size still pass.
    api_patch(
        &app,
        &format!("/api/v1/courses/{course}"),
        Some(&world.staff),
        json!({"capacity_ids": [1, 2]}),
    )
    .await
    .expect_status(Status::Ok);
}

/// A multipart form post, as a browser may send any form: (status, page).
async fn post_multipart(app: &TestApp, path: &str, fields: &[(&str, String)]) -> (Status, String) {
    let boundary = "----aula-lista-larga";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let response = app
        .client
        .post(path.to_string())
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", boundary)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn page_forms_with_forty_thousand_items_are_422_and_write_nothing() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let course_id = course::Entity::find()
        .filter(course::Column::Code.eq("PT"))
        .expect_one(app.db())
        .await
        .id;

    // A course with 40,000 capacities ticked.
    let csrf = csrf_from(&app, "/coordinacion/cursos").await;
    let mut fields = vec![
        ("csrf_token", csrf),
        ("code", "LARGO-2".to_string()),
        ("name", "Curso largo".to_string()),
        ("hours", "20".to_string()),
        ("default_modality", "virtual".to_string()),
    ];
    fields.extend((1..=LONG).map(|i| ("capacity_ids", i.to_string())));
    let before = everything(&app).await;
    let (status, html) = post_multipart(&app, "/coordinacion/cursos", &fields).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("máximo 5.000"), "{html}");
    assert!(everything(&app).await == before);

    // A cohort with 40,000 instructors ticked, or 40,000 municipalities typed.
    let csrf = csrf_from(&app, "/coordinacion/cohortes/nueva").await;
    let cohort = |csrf: &str| {
        vec![
            ("csrf_token", csrf.to_string()),
            ("course_id", course_id.to_string()),
            ("name", "Cohorte larga".to_string()),
            ("modality", "virtual".to_string()),
            ("meeting_url", "https://sala.example.org/larga".to_string()),
            ("start_date", days(10).to_string()),
            ("end_date", days(40).to_string()),
            ("enrolment_opens", days(0).to_string()),
            ("enrolment_closes", days(9).to_string()),
            ("seats", "30".to_string()),
        ]
    };
    let mut instructors = cohort(&csrf);
    instructors.extend((1..=LONG).map(|i| ("instructor_ids", i.to_string())));
    let mut municipalities = cohort(&csrf);
    municipalities.push((
        "municipalities",
        (0..LONG)
            .map(|i| format!("{:05}", 90_000 + i % 9_999))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    for fields in [instructors, municipalities] {
        let (status, html) = post_multipart(&app, "/coordinacion/cohortes", &fields).await;
        assert_eq!(status, Status::UnprocessableEntity);
        assert!(html.contains("máximo 5.000"), "{html}");
        assert!(everything(&app).await == before);
    }

    // The confirmation of an attendance import carries its rows back from the browser: no
    // more of them than an import takes.
    let world = World::new(&app).await;
    let running = world
        .cohort()
        .sessions_from_now(&[Duration::hours(-2)], 60)
        .create()
        .await;
    let rows: Vec<Value> = (1..=LONG)
        .map(|i| {
            json!({"row": i + 1, "session": running.sessions[0].to_string(),
                   "enrolment": i.to_string(), "status": "presente", "note": ""})
        })
        .collect();
    let before = everything(&app).await;
    let path = format!("/seguimiento/cohortes/{}", running.id);
    let csrf = csrf_from(&app, &path).await;
    let (status, html) = post_multipart(
        &app,
        &format!("{path}/asistencia/confirmar"),
        &[("csrf_token", csrf), ("filas", json!(rows).to_string())],
    )
    .await;
    // The preview page again with the reason (issue 45).
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("máximo 5.000"), "{html}");
    assert!(everything(&app).await == before);
}

// ---- Finding 3: invisible characters ---------------------------------------------------------

#[rocket::async_test]
async fn names_with_zero_width_or_direction_marks_are_refused_and_write_nothing() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let admin = role_token(&app, Role::Admin).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let before = everything(&app).await;
    for (mark, code) in [('\u{200B}', "U+200B"), ('\u{200F}', "U+200F")] {
        let name = format!("Gestión{mark} pública");
        // The API.
        let problem = api_post(&app, "/api/v1/courses", Some(&staff), json!({"code": "INV-1", "name": name, "description": "", "hours": 10, "capacity_ids": [1]})).await.expect_status(Status::UnprocessableEntity);
        let message = message_of(&problem, "name");
        assert!(
            message.contains("invisibles") && message.contains(&format!("«{code}»")),
            "{message}"
        );
        // Another text people read, checked by its own rules until now.
        let problem = api_post(
            &app,
            "/api/v1/indicators",
            Some(&admin),
            json!({"code": "invisible", "name": name, "source": "DNP", "unit": "puntaje"}),
        )
        .await
        .expect_status(Status::UnprocessableEntity);
        assert!(message_of(&problem, "name").contains(code), "{problem}");
    }
    // The page.
    let csrf = csrf_from(&app, "/coordinacion/cursos").await;
    for (mark, code) in [('\u{200B}', "U+200B"), ('\u{200F}', "U+200F")] {
        let name = format!("Gestión pública{mark}");
        let response = post_form(
            &app,
            "/coordinacion/cursos",
            &[
                ("csrf_token", &csrf),
                ("code", "INV-2"),
                ("name", &name),
                ("hours", "20"),
                ("default_modality", "virtual"),
                ("capacity_ids", "1"),
            ],
        )
        .await;
        assert_eq!(response.status(), Status::UnprocessableEntity);
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("invisibles") && html.contains(&format!("«{code}»")),
            "{html}"
        );
    }
    assert!(everything(&app).await == before, "nothing was written");
}

// ---- Finding 4: liaison proposals ------------------------------------------------------------

#[rocket::async_test]
async fn a_liaison_proposal_answers_the_same_whether_the_email_has_an_account() {
    let app = TestApp::with_demo().await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let (taken, _) = demo_account(Role::Coordinator);
    let propose = |email: &str| json!({"email": email, "full_name": "Yesica Paola Trujillo", "municipality_code": "18592"});
    let owner_before = user::Entity::find()
        .filter(user::Column::Email.eq(taken))
        .expect_one(app.db())
        .await;
    let accounts_before = user::Entity::find().fetch_all(app.db()).await.len();

    let (taken_status, taken_body) = api_post(
        &app,
        "/api/v1/liaison-proposals",
        Some(&caqueta),
        propose(taken),
    )
    .await;
    let fresh = "enlace.nuevo@example.org";
    let (fresh_status, fresh_body) = api_post(
        &app,
        "/api/v1/liaison-proposals",
        Some(&caqueta),
        propose(fresh),
    )
    .await;
    assert_eq!(fresh_status, Status::Created, "{fresh_body}");
    assert_eq!(taken_status, fresh_status, "{taken_body}");
    // The same body, but for the address itself.
    let same = |body: &Value, email: &str| {
        serde_json::from_str::<Value>(&body.to_string().replace(email, "<correo>")).unwrap()
    };
    assert_eq!(same(&taken_body, taken), same(&fresh_body, fresh));
    assert_eq!(taken_body["status"], "pending_review");

    // Only the new address got an (inactive) account; the existing one is untouched.
    let accounts = user::Entity::find().fetch_all(app.db()).await;
    assert_eq!(accounts.len(), accounts_before + 1);
    assert!(
        accounts
            .iter()
            .any(|u| u.email == fresh && u.role == Role::Liaison && !u.active)
    );
    assert!(accounts.contains(&owner_before));
    // What differs goes to the administrators, by email, and to the audit log.
    let told = outbox::Entity::find()
        .filter(
            outbox::Column::DedupeKey
                .starts_with(format!("liaison_proposed_existing:{}:", owner_before.id)),
        )
        .fetch_all(app.db())
        .await;
    let (admin, _) = demo_account(Role::Admin);
    let notice = told
        .iter()
        .find(|m| m.recipient == admin)
        .unwrap_or_else(|| panic!("the admin is told: {told:?}"));
    assert!(notice.subject.contains("ya tiene una cuenta"), "{notice:?}");
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("user.liaison_proposed_existing"))
        .filter(audit_log::Column::SubjectId.eq(owner_before.id.to_string()))
        .fetch_all(app.db())
        .await;
    assert_eq!(audited.len(), 1);

    // The page on /demandas says the same words either way.
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let mut messages = Vec::new();
    for address in [taken, "enlace.pagina@example.org"] {
        let csrf = csrf_from(&app, "/demandas").await;
        let response = post_form(
            &app,
            "/enlaces/proponer",
            &[
                ("csrf_token", &csrf),
                ("full_name", "Yesica Paola Trujillo"),
                ("email", address),
                ("municipality_code", "18592"),
            ],
        )
        .await;
        assert_eq!(response.status(), Status::SeeOther);
        assert_eq!(response.headers().get_one("Location"), Some("/demandas"));
        let (_, html) = page(&app, "/demandas").await;
        let start = html.find("class=\"flash flash-").expect("a flash message");
        let flash = &html[start..start + html[start..].find("</p>").unwrap()];
        messages.push(flash.replace(address, "<correo>"));
    }
    assert_eq!(messages[0], messages[1]);
    assert!(messages[0].contains("flash-success"), "{}", messages[0]);
}
