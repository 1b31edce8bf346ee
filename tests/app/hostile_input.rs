//! What a hostile or careless client can send (issue 13, findings 5, 6, 7, 9 and 10): strict
//! query booleans, single-line fields, emails that cannot be built, bounded imports, a busy
//! database, text rules (NFC, control characters, lengths, certificate fonts), date ranges,
//! unknown enum values, content types, response headers, and the empty certificate search.
//! Ends with bounded property-based tests over the validators and the writing JSON endpoints
//! (whose field values include lists of up to 40,000 items).

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Cohort, World};
use domain::entities::values::{CohortStatus, OutboxStatus, Role};
use domain::entities::{cohort, course, outbox, participant};
use domain::validate;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};

async fn cohort_row(app: &TestApp, id: i64) -> cohort::Model {
    cohort::Entity::find_by_id(id as i32)
        .expect_one(app.db())
        .await
}

async fn participant_count(app: &TestApp) -> u64 {
    participant::Entity::find().fetch_count(app.db()).await
}

const ONE_PERSON_CSV: &str = "tipo de documento;numero de documento;nombres;apellidos;correo electronico;codigo dane del municipio;tipo de entidad;nivel\r\n\
CC;1117000999;Jose\u{301};Pen\u{303}a;jose.pena@example.org;18256;alcaldia;tecnico\r\n";

// ---- Finding 5: booleans in query strings -----------------------------------------------------

#[rocket::async_test]
async fn a_dry_run_spelled_otherwise_is_refused_and_imports_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let Cohort {
        id: cohort,
        sessions,
    } = world.cohort().create().await;
    let before = participant_count(&app).await;
    for spelling in ["1", "yes", "on", "si", "TRUE", ""] {
        let path = format!("/api/v1/cohorts/{cohort}/enrolments/import?dry_run={spelling}");
        let (status, body) = upload(
            &app,
            &path,
            staff,
            "personas.csv",
            ONE_PERSON_CSV.as_bytes(),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{spelling}: {body}");
        assert_eq!(error_fields(&body), ["dry_run"], "{body}");
        assert!(
            json_str(&body["errors"][0]["message"]).contains("true o false"),
            "{body}"
        );
    }
    assert_eq!(
        participant_count(&app).await,
        before,
        "nothing was imported"
    );

    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import?dry_run=true");
    let (status, body) = upload(
        &app,
        &path,
        staff,
        "personas.csv",
        ONE_PERSON_CSV.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(
        participant_count(&app).await,
        before,
        "a dry run writes nothing"
    );

    // Every other boolean query parameter follows the same rule.
    let session = sessions[0];
    for path in [
        format!("/api/v1/sessions/{session}/attendance/import?dry_run=1"),
        format!("/api/v1/cohorts/{cohort}/attendance/import?dry_run=1"),
        format!("/api/v1/cohorts/{cohort}/scores/import?dry_run=1"),
    ] {
        let (status, body) = upload(&app, &path, staff, "hoja.csv", b"a;b\r\n1;2\r\n").await;
        assert_eq!(status, Status::UnprocessableEntity, "{path}: {body}");
        assert_eq!(error_fields(&body), ["dry_run"], "{path}: {body}");
    }
    for (path, field) in [
        ("/api/v1/municipalities?pdet=1", "pdet"),
        ("/api/v1/courses?retired=yes", "retired"),
        ("/api/v1/reports/capacity-coverage?pdet=on", "pdet"),
    ] {
        let (status, body) = api_get(&app, path, Some(staff)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{path}: {body}");
        assert_eq!(error_fields(&body), [field], "{path}: {body}");
    }
    let body = api_get(
        &app,
        "/api/v1/municipalities?pdet=true&per_page=500",
        Some(staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(body["total"], 170, "the 170 PDET municipalities");
}

// ---- Finding 6: line breaks in names, emails that cannot be built ------------------------------

#[rocket::async_test]
async fn a_line_break_in_a_cohort_name_is_refused_and_changes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().create().await.id;
    let before = cohort_row(&app, cohort).await;
    let path = format!("/api/v1/cohorts/{cohort}");
    for name in [
        "Curso X\r\nBcc: todos@example.org",
        "Curso\tX",
        "Curso\u{2028}X",
    ] {
        let (status, body) =
            api_patch(&app, &path, Some(staff), json!({"name": name, "seats": 60})).await;
        assert_eq!(status, Status::UnprocessableEntity, "{name:?}: {body}");
        assert_eq!(error_fields(&body), ["name"], "{body}");
        assert!(json_str(&body["errors"][0]["message"]).contains("una sola línea"));
    }
    assert_eq!(cohort_row(&app, cohort).await, before);
}

#[rocket::async_test]
async fn an_email_that_cannot_be_built_never_fails_the_enrolment() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().national().create().await.id;
    // A name written before the rule existed (or by another system): the subject of every
    // enrolment email would carry a line break.
    cohort::Entity::update_many()
        .col_expr(
            cohort::Column::Name,
            sea_orm::sea_query::Expr::value("Curso X\r\nBcc: todos@example.org"),
        )
        .filter(cohort::Column::Id.eq(cohort as i32))
        .exec(app.db())
        .await
        .unwrap();
    let person = participant::Entity::find().expect_one(app.db()).await;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments");
    let body = api_post(
        &app,
        &path,
        Some(staff),
        json!({"participant_id": person.id}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(body["status"], "enrolled");

    let failed = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        .fetch_all(app.db())
        .await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let reason = failed[0].last_error.clone().unwrap_or_default();
    assert!(reason.contains("asunto"), "{reason}");

    // The administrator sees it on the outbox page.
    let (email, password) = demo_account(Role::Admin);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let html = body_of(&app.client, "/admin/correos?estado=failed").await;
    assert!(
        html.contains("El asunto del correo tiene saltos de línea"),
        "{html}"
    );
}

// ---- Finding 7: bounded imports, a busy database ----------------------------------------------

#[rocket::async_test]
async fn an_import_over_five_thousand_rows_is_refused_in_spanish() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().create().await.id;
    let before = participant_count(&app).await;
    let mut csv = String::from(ONE_PERSON_CSV.lines().next().unwrap());
    csv.push_str("\r\n");
    for n in 0..5_001 {
        csv.push_str(&format!(
            "CC;{};Ana;Pérez;;18256;alcaldia;tecnico\r\n",
            2_000_000_000u64 + n
        ));
    }
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let (status, body) = upload(&app, &path, staff, "muchas.csv", csv.as_bytes()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let message = json_str(&body["errors"][0]["message"]);
    assert!(message.contains("más de 5.000 filas"), "{message}");
    assert_eq!(participant_count(&app).await, before);

    // One cell of 3,000 characters: also refused, naming the row.
    let long = format!(
        "{}\r\nCC;1117000998;{};Pérez;;18256;alcaldia;tecnico\r\n",
        ONE_PERSON_CSV.lines().next().unwrap(),
        "a".repeat(3_000)
    );
    let (status, body) = upload(&app, &path, staff, "larga.csv", long.as_bytes()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(body["errors"][0]["row"], 2, "{body}");
}

#[rocket::async_test]
async fn a_locked_database_answers_503_with_retry_after_never_500() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("database_busy_seconds", json!(1)),
    ])
    .await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(50).create().await.id;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let csrf = csrf_from(&app, &format!("/coordinacion/cohortes/{cohort}")).await;
    let closed = crate::world::demo_cohort(app.db(), CohortStatus::Closed).await;

    // Another writer holds the lock longer than the app waits.
    let holder = app.db().begin().await.unwrap();
    let lock = if app.db().get_database_backend() == sea_orm::DbBackend::Sqlite {
        // A write takes SQLite's one write lock until the transaction ends.
        format!("UPDATE cohorts SET seats = seats WHERE id = {cohort}")
    } else {
        "LOCK TABLE cohorts IN ACCESS EXCLUSIVE MODE".to_string()
    };
    holder.execute_unprepared(&lock).await.unwrap();

    let path = format!("/api/v1/cohorts/{cohort}");
    let response = app
        .client
        .patch(path)
        .header(bearer(staff))
        .header(ContentType::JSON)
        .body(json!({"seats": 70}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert_eq!(response.headers().get_one("Retry-After"), Some("5"));
    let problem: Value = response.into_json().await.unwrap();
    assert_eq!(problem["title"], "Servicio ocupado");
    assert!(json_str(&problem["detail"]).contains("ocupado"));

    // The page answer too: issuing the closed cohort's certificates reads and renders them,
    // then waits for the lock.
    let response = post_form(
        &app,
        &format!("/coordinacion/cohortes/{}/certificados", closed.id),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert_eq!(response.headers().get_one("Retry-After"), Some("5"));
    let html = response.into_string().await.unwrap();
    assert!(html.contains("ocupado"), "{html}");

    holder.rollback().await.unwrap();
    assert_eq!(
        cohort_row(&app, cohort).await.seats,
        50,
        "nothing was written"
    );
}

#[rocket::async_test]
async fn busy_errors_are_recognised_on_both_backends() {
    use domain::error::{AppError, is_busy};
    let app = TestApp::with_config(&[("database_busy_seconds", json!(1))]).await;
    let holder = app.db().begin().await.unwrap();
    // SQLite: the write lock; PostgreSQL: every row's lock.
    let write = "UPDATE departments SET name = name";
    holder.execute_unprepared(write).await.unwrap();
    let error = app
        .db()
        .execute_unprepared(write)
        .await
        .expect_err("the rows are locked");
    assert!(is_busy(&error), "{error}");
    let app_error = AppError::from(error);
    assert!(matches!(app_error, AppError::Busy));
    assert_eq!(app_error.status_code(), Status::ServiceUnavailable.code);
    holder.rollback().await.unwrap();
}

// ---- Finding 9: text, dates, enums, content types ---------------------------------------------

#[rocket::async_test]
async fn text_fields_refuse_nul_bytes_controls_and_huge_values_writing_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().create().await.id;
    let before = cohort_row(&app, cohort).await;
    let huge = "x".repeat(100_000);
    let path = format!("/api/v1/cohorts/{cohort}");
    for (field, value) in [
        ("name", json!("Curso\u{0}X")),
        ("venue", json!("Salón\u{0}")),
        ("venue", json!(huge)),
        ("name", json!(huge)),
        (
            "meeting_url",
            json!(format!("https://sala.example.org/{huge}")),
        ),
        ("cancellation_reason", json!(huge)),
    ] {
        let (status, body) = api_patch(&app, &path, Some(staff), json!({field: value})).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {body}");
        assert!(
            error_fields(&body).contains(&field.to_string()),
            "{field}: {body}"
        );
    }
    assert_eq!(cohort_row(&app, cohort).await, before);

    let sessions = format!("/api/v1/cohorts/{cohort}/sessions");
    let tomorrow = (domain::time::today() + chrono::Duration::days(2)).to_string();
    for (field, value) in [
        ("location", json!(huge)),
        ("topic", json!("Tema\u{0}")),
        ("location", json!("Sala\u{7}")),
    ] {
        let mut body = json!({"starts_at": format!("{tomorrow}T09:00:00-05:00"),
                              "ends_at": format!("{tomorrow}T10:00:00-05:00"), "topic": "Tema"});
        body[field] = value;
        let (status, answer) = api_post(&app, &sessions, Some(staff), body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {answer}");
    }
    let (_, list) = api_get(&app, &sessions, Some(staff)).await;
    assert_eq!(list["total"], 1, "no session was added");

    // Reasons: revoking and cancelling.
    api_post(
        &app,
        "/api/v1/certificates/CODIGO-INEXISTENTE/revoke",
        Some(staff),
        json!({"reason": huge}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn names_are_composed_to_nfc_and_certificate_names_refuse_what_cannot_be_printed() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let (_, capacities) = api_get(&app, "/api/v1/capacities", Some(staff)).await;
    let capacity = capacities["items"][0]["id"].clone();
    let courses_before = course::Entity::find().fetch_count(app.db()).await;
    let body = api_post(&app, "/api/v1/courses", Some(staff), json!({
        "code": "EMOJI-1", "name": "Gestión 📈 pública", "description": "x", "hours": 20, "capacity_ids": [capacity]
    })).await.expect_status(Status::UnprocessableEntity);
    assert!(
        json_str(&body["errors"][0]["message"]).contains("no puede imprimir"),
        "{body}"
    );
    assert_eq!(
        course::Entity::find().fetch_count(app.db()).await,
        courses_before
    );

    let body = api_post(&app, "/api/v1/courses", Some(staff), json!({
        "code": "NFC-1", "name": "Gestio\u{301}n pu\u{301}blica", "description": "Línea 1\r\nLínea 2",
        "hours": 20, "capacity_ids": [capacity]
    })).await.expect_status(Status::Created);
    assert_eq!(body["name"], "Gestión pública");
    assert_eq!(body["description"], "Línea 1\nLínea 2");

    // People's names in an import: `Jose\u{301}` is José, not a refusal.
    let cohort = world.cohort().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let (status, body) = upload(
        &app,
        &path,
        staff,
        "personas.csv",
        ONE_PERSON_CSV.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    let person = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq("1117000999"))
        .expect_one(app.db())
        .await;
    assert_eq!(person.first_names, "José");
    assert_eq!(person.last_names, "Peña");
}

#[rocket::async_test]
async fn dates_outside_2000_to_2100_and_unknown_statuses_are_refused() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().create().await.id;
    let before = cohort_row(&app, cohort).await;
    let path = format!("/api/v1/cohorts/{cohort}");
    for date in ["0000-01-01", "0026-03-10", "9999-12-31"] {
        let (status, body) = api_patch(&app, &path, Some(staff), json!({"end_date": date})).await;
        assert_eq!(status, Status::UnprocessableEntity, "{date}: {body}");
        assert!(
            json_str(&body["errors"][0]["message"]).contains("entre 2000 y 2100"),
            "{body}"
        );
    }
    api_patch(&app, &path, Some(staff), json!({"status": "<script>"}))
        .await
        .expect_status(Status::UnprocessableEntity);
    assert_eq!(cohort_row(&app, cohort).await, before);

    // A new cohort with a status is not silently made a draft.
    let cohorts_before = cohort::Entity::find().fetch_count(app.db()).await;
    let mut body = json!({
        "course_id": before.course_id, "name": "Otra", "modality": "virtual",
        "meeting_url": "https://sala.example.org/otra", "start_date": "2030-01-10",
        "end_date": "2030-02-10", "enrolment_opens": "2030-01-01", "enrolment_closes": "2030-01-09",
        "seats": 10, "status": "<script>"
    });
    let answer = api_post(&app, "/api/v1/cohorts", Some(staff), body.clone())
        .await
        .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&answer), ["status"]);
    body["status"] = json!("open");
    assert_eq!(
        api_post(&app, "/api/v1/cohorts", Some(staff), body).await.0,
        Status::UnprocessableEntity
    );
    assert_eq!(
        cohort::Entity::find().fetch_count(app.db()).await,
        cohorts_before
    );
}

#[rocket::async_test]
async fn json_endpoints_refuse_other_content_types_with_415() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let courses_before = course::Entity::find().fetch_count(app.db()).await;
    let body = json!({"code": "CT-1", "name": "Curso", "description": "x", "hours": 10, "capacity_ids": [1]}).to_string();
    for content_type in [Some(ContentType::Plain), Some(ContentType::Form), None] {
        let mut request = app
            .client
            .post("/api/v1/courses")
            .header(bearer(staff))
            .body(body.clone());
        if let Some(content_type) = content_type.clone() {
            request = request.header(content_type);
        }
        let response = request.dispatch().await;
        assert_eq!(
            response.status(),
            Status::UnsupportedMediaType,
            "{content_type:?}"
        );
        assert_eq!(
            response.content_type(),
            Some(ContentType::new("application", "problem+json"))
        );
        let problem: Value = response.into_json().await.unwrap();
        assert_eq!(problem["title"], "Tipo de contenido no admitido");
        assert!(json_str(&problem["detail"]).contains("application/json"));
    }
    assert_eq!(
        course::Entity::find().fetch_count(app.db()).await,
        courses_before
    );

    // An upload sent as JSON is told to send a file, not JSON.
    let cohort = world.cohort().create().await.id;
    let response = app
        .client
        .post(format!("/api/v1/cohorts/{cohort}/enrolments/import"))
        .header(bearer(staff))
        .header(ContentType::JSON)
        .body("{}")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnsupportedMediaType);
    let problem: Value = response.into_json().await.unwrap();
    assert!(
        json_str(&problem["detail"]).contains("multipart/form-data"),
        "{problem}"
    );

    // An optional body (a coordinator's revocation reason) follows the same rule when present.
    let response = app
        .client
        .post("/api/v1/certificates/CODIGO-INEXISTENTE/revoke")
        .header(bearer(staff))
        .header(ContentType::Plain)
        .body("{\"reason\": \"x\"}")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnsupportedMediaType);

    // Unknown enum values in typed JSON bodies are a Spanish 422, with the field.
    let body = api_post(
        &app,
        "/api/v1/courses",
        Some(staff),
        json!({"hours": "veinte"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(body["title"], "Datos inválidos");
    assert!(json_str(&body["detail"]).contains("tipo de dato"), "{body}");
    let body = api_post(
        &app,
        "/api/v1/courses",
        Some(staff),
        json!({"name": "a\u{0}b"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&body), ["name"]);
}

// ---- Finding 10: headers ----------------------------------------------------------------------

#[rocket::async_test]
async fn answers_carry_no_banner_no_cache_and_hsts_over_https() {
    let app = TestApp::with_config(&[("public_url", json!("https://aula.esap.gov.co"))]).await;
    for path in ["/", "/ingresar", "/api/v1/departments", "/no-existe"] {
        let response = app.client.get(path).dispatch().await;
        let headers = response.headers();
        assert_eq!(headers.get_one("Server"), None, "{path}");
        assert_eq!(headers.get_one("Cache-Control"), Some("no-store"), "{path}");
        assert_eq!(
            headers.get_one("Strict-Transport-Security"),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    let response = app.client.get("/static/app.css").dispatch().await;
    assert_eq!(response.headers().get_one("Cache-Control"), None);
    assert_eq!(response.headers().get_one("Server"), None);

    let plain = TestApp::new().await;
    let response = plain.client.get("/").dispatch().await;
    assert_eq!(
        response.headers().get_one("Strict-Transport-Security"),
        None,
        "http: no HSTS"
    );
}

#[rocket::async_test]
async fn the_csrf_cookie_is_secure_in_the_release_profile() {
    let database = crate::common::TestDatabase::create().await;
    let figment = aula_territorial::config::figment()
        .select(rocket::Config::RELEASE_PROFILE)
        .merge(("database_url", database.url.clone()))
        .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
        .merge(("demo_data", false))
        .merge(("mail_poll_seconds", 0))
        .merge(("jobs_poll_seconds", 0))
        .merge(("log_level", "off"));
    let rocket = aula_territorial::build(figment).await.expect("app builds");
    let client = rocket::local::asynchronous::Client::tracked(rocket)
        .await
        .unwrap();
    let response = client.get("/ingresar").dispatch().await;
    let cookie = response
        .cookies()
        .get("aula_csrf")
        .expect("the sign-in form sets the CSRF cookie")
        .clone();
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.http_only(), Some(true));

    let app = TestApp::new().await;
    let response = app.client.get("/ingresar").dispatch().await;
    let cookie = response.cookies().get("aula_csrf").unwrap().clone();
    assert_ne!(cookie.secure(), Some(true), "plain http in development");
}

// ---- /verificar without a code ------------------------------------------------------------------

#[rocket::async_test]
async fn an_empty_certificate_search_shows_the_form_instead_of_looping() {
    let app = TestApp::new().await;
    for path in [
        "/verificar",
        "/verificar?codigo=",
        "/verificar?codigo=%20%20",
    ] {
        let response = app.client.get(path).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
        assert_eq!(response.headers().get_one("Location"), None, "{path}");
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("Escriba el código del certificado"),
            "{path}: {html}"
        );
        assert!(html.contains("name=\"codigo\""));
    }
    let response = app.client.get("/verificar?codigo=abcd").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
}

// ---- Property-based: validators and JSON endpoints --------------------------------------------

/// Strings with anything in them: controls, combining marks, separators, emoji, long runs.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..80).prop_map(|c| c.into_iter().collect()),
        prop::collection::vec(
            prop::sample::select(vec![
                'a',
                'é',
                'e',
                '\u{301}',
                '\u{303}',
                ' ',
                '\t',
                '\n',
                '\r',
                '\0',
                '\u{7f}',
                '\u{85}',
                '\u{2028}',
                '\u{202e}',
                '📈',
                'Ñ',
                '-',
                '\u{feff}',
                '\u{200b}',
                '\u{200f}',
                '\u{e0041}',
            ]),
            0..120
        )
        .prop_map(|c| c.into_iter().collect()),
        (1usize..3000).prop_map(|n| "ñ".repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn validators_accept_only_clean_bounded_nfc_text(text in hostile_string(), max in 1usize..400) {
        if let Ok(Some(value)) = validate::single_line("f", &text, max) {
            prop_assert!(!value.chars().any(char::is_control), "{value:?}");
            prop_assert!(!value.chars().any(validate::is_invisible), "{value:?}");
            prop_assert!(value.chars().count() <= max);
            prop_assert!(unicode_normalization::is_nfc(&value));
            prop_assert_eq!(value.trim(), value.as_str());
            prop_assert!(!value.is_empty());
        }
        if let Ok(Some(value)) = validate::multi_line("f", &text, max) {
            prop_assert!(!value.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{value:?}");
            prop_assert!(!value.contains('\r'));
            prop_assert!(!value.chars().any(validate::is_invisible), "{value:?}");
            prop_assert!(value.chars().count() <= max);
            prop_assert!(unicode_normalization::is_nfc(&value));
        }
        if let Ok(Some(value)) = validate::certificate_text("f", &text, max) {
            prop_assert!(domain::fonts::unprintable(&value).is_empty());
            prop_assert!(!value.chars().any(char::is_control));
        }
        // Errors name the field and say something in Spanish.
        if let Err(error) = validate::single_line("campo", &text, max) {
            prop_assert_eq!(error.field, "campo");
            prop_assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn query_booleans_are_true_false_or_a_422(text in hostile_string()) {
        let parsed = domain::parse::QueryBool::parse(&text).value("dry_run");
        match text.as_str() {
            "true" => prop_assert_eq!(parsed.unwrap(), Some(true)),
            "false" => prop_assert_eq!(parsed.unwrap(), Some(false)),
            _ => prop_assert!(parsed.is_err()),
        }
    }
}

/// Any JSON value a client might put in a field.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::Bool),
        2 => any::<i64>().prop_map(|n| json!(n)),
        2 => (-1e6f64..1e6).prop_map(|f| json!(f)),
        2 => hostile_string().prop_map(Value::String),
        2 => prop::sample::select(vec![
            "2026-03-10",
            "0026-03-10",
            "9999-12-31",
            "presencial",
            "draft",
            "<script>",
            "",
            "https://sala.example.org/x",
            "Curso X\r\nBcc: a@b.c",
        ])
        .prop_map(|s| json!(s)),
        2 => prop::collection::vec(hostile_string().prop_map(Value::String), 0..3)
            .prop_map(Value::Array),
        1 => long_ids(),
        1 => long_codes(),
    ]
}

/// How long a long list is (issue 30): one over `validate::LIST_MAX`, or beyond what one
/// SQLite query can bind (32,767 to 40,000).
fn long_list_length() -> impl Strategy<Value = usize> {
    prop_oneof![Just(5_001usize), 32_767usize..=40_000]
}

/// A long list of distinct ids.
fn long_ids() -> impl Strategy<Value = Value> {
    long_list_length().prop_map(|n| json!((1..=n as i64).collect::<Vec<_>>()))
}

/// A long list of distinct DANE-like codes.
fn long_codes() -> impl Strategy<Value = Value> {
    long_list_length().prop_map(|n| json!((0..n).map(|i| format!("{i:05}")).collect::<Vec<_>>()))
}

/// What a client might put in `field`: anything, and for a list of ids or codes mostly long
/// lists of the right kind of item, which reach the queries that look them up.
fn field_value(field: &'static str) -> BoxedStrategy<Value> {
    if field.ends_with("_ids") {
        prop_oneof![2 => hostile_value(), 3 => long_ids(), 1 => long_codes()].boxed()
    } else if field.ends_with("_codes") {
        prop_oneof![2 => hostile_value(), 3 => long_codes(), 1 => long_ids()].boxed()
    } else {
        hostile_value().boxed()
    }
}

/// A body as a failure message shows it: long lists cut short.
fn brief(body: &Value) -> String {
    let text = body.to_string();
    match text.char_indices().nth(300) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text,
    }
}

/// `cases` bodies with one to four of `fields`, from a fixed seed (reproducible).
fn bodies(fields: &'static [&'static str], cases: usize) -> Vec<Value> {
    let strategy =
        prop::sample::subsequence(fields, 1..5.min(fields.len() + 1)).prop_flat_map(|chosen| {
            chosen
                .into_iter()
                .map(|field| field_value(field).prop_map(move |value| (field, value)))
                .collect::<Vec<_>>()
        });
    let mut runner = TestRunner::deterministic();
    (0..cases)
        .map(|_| {
            let map = strategy.new_tree(&mut runner).unwrap().current();
            Value::Object(map.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
        .collect()
}

#[rocket::async_test]
async fn hostile_json_never_gets_a_5xx_and_a_4xx_writes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}");
    const COHORT_FIELDS: &[&str] = &[
        "name",
        "venue",
        "meeting_url",
        "modality",
        "start_date",
        "end_date",
        "enrolment_opens",
        "enrolment_closes",
        "seats",
        "status",
        "cancellation_reason",
        "min_attendance_pct",
        "pass_mark",
        "municipality_codes",
        "department_codes",
        "instructor_ids",
        "demand_ids",
    ];
    for body in bodies(COHORT_FIELDS, 64) {
        let before = cohort_row(&app, cohort).await;
        let (status, answer) = api_patch(&app, &path, Some(staff), body.clone()).await;
        assert!(status.code < 500, "{} → {status} {answer}", brief(&body));
        if status.code >= 400 {
            assert_eq!(
                cohort_row(&app, cohort).await,
                before,
                "{} → {status}",
                brief(&body)
            );
        }
    }

    const COURSE_FIELDS: &[&str] = &[
        "code",
        "name",
        "description",
        "hours",
        "default_modality",
        "management_stage",
        "capacity_ids",
        "min_attendance_pct",
        "pass_mark",
    ];
    for mut body in bodies(COURSE_FIELDS, 64) {
        // Mostly-valid courses, with the hostile fields over them.
        let base = json!({"code": "PROP-1", "name": "Curso", "description": "", "hours": 10, "capacity_ids": [1]});
        for (key, value) in base.as_object().unwrap() {
            body.as_object_mut()
                .unwrap()
                .entry(key.clone())
                .or_insert(value.clone());
        }
        let count = course::Entity::find().fetch_count(app.db()).await;
        let (status, answer) = api_post(&app, "/api/v1/courses", Some(staff), body.clone()).await;
        assert!(status.code < 500, "{} → {status} {answer}", brief(&body));
        let after = course::Entity::find().fetch_count(app.db()).await;
        if status.code >= 400 {
            assert_eq!(after, count, "{} → {status}", brief(&body));
        } else {
            assert_eq!(after, count + 1);
            // Make room for the next case with the same code.
            course::Entity::update_many()
                .col_expr(
                    course::Column::Code,
                    sea_orm::sea_query::Expr::value(format!("OK-{after}")),
                )
                .filter(course::Column::Code.eq("PROP-1"))
                .exec(app.db())
                .await
                .unwrap();
        }
    }
}

/// Tables left out of [`everything`], each with why its rows may change while a request that
/// was refused writes nothing (besides the migrations' bookkeeping, which no request writes).
pub(crate) const CHANGED_WITHOUT_A_WRITE: &[(&str, &str)] = &[
    (
        "login_throttle",
        "counts failed sign-ins: counting a refusal is its job",
    ),
    (
        "sessions",
        "a browser session: signing in, out or expiring, not a refused form",
    ),
    (
        "api_tokens",
        "a bearer token: the callers sign in between the snapshots",
    ),
    (
        "kept_contents",
        "the shelf of kept pages and reports: a read keeps there what it computed",
    ),
];

/// Everything a request could have written: every table of the database's catalogue but
/// [`CHANGED_WITHOUT_A_WRITE`], each as its rows in text, by table name. A table added by a
/// migration is in it without anyone listing it.
pub(crate) async fn everything(app: &TestApp) -> std::collections::BTreeMap<String, Vec<String>> {
    let db = app.db();
    let mut all = std::collections::BTreeMap::new();
    for table in crate::support::catalogue_tables(db).await {
        if CHANGED_WITHOUT_A_WRITE.iter().any(|(t, _)| *t == table) {
            continue;
        }
        let rows = crate::support::table_rows(db, &table).await;
        all.insert(table, rows);
    }
    assert!(all.len() > 90, "the catalogue's tables: {:?}", all.keys());
    all
}

#[rocket::async_test]
async fn hostile_json_on_every_writing_endpoint_never_gets_a_5xx_and_a_4xx_writes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let admin = &world.admin;
    let Cohort {
        id: cohort,
        sessions,
    } = world.cohort().national().create().await;
    let session = sessions[0];
    let (_, users) = api_get(&app, "/api/v1/users", Some(admin)).await;
    let instructor = json_items(&users)
        .iter()
        .find(|u| u["role"] == "instructor")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // The demo's plans (issue 47): ESAP's, approved (amended here), and DNP's draft (lines).
    use sea_orm::QueryFilter;
    let esap_plan = domain::entities::plan::Entity::find()
        .filter(domain::entities::plan::Column::ProviderId.eq(1))
        .expect_one(app.db())
        .await
        .id;
    let dnp_plan = domain::entities::plan::Entity::find()
        .filter(domain::entities::plan::Column::ProviderId.ne(1))
        .expect_one(app.db())
        .await
        .id;
    let year = chrono::Datelike::year(&domain::time::today());
    // (method, path, caller, fields the endpoint reads, a valid base the hostile fields cover)
    let endpoints: Vec<(&str, String, &str, &'static [&'static str], Value)> = vec![
        (
            "POST",
            format!("/api/v1/cohorts/{cohort}/enrolments"),
            staff,
            &[
                "participant_id",
                "document_type",
                "document_number",
                "override_eligibility",
                "override_reason",
            ],
            json!({"document_type": "CC", "document_number": "40111222"}),
        ),
        (
            "POST",
            format!("/api/v1/cohorts/{cohort}/sessions"),
            staff,
            &["starts_at", "ends_at", "topic", "location", "meeting_url"],
            json!({"topic": "Sesión", "starts_at": "2026-12-01T09:00:00-05:00", "ends_at": "2026-12-01T11:00:00-05:00"}),
        ),
        (
            "PATCH",
            format!("/api/v1/sessions/{session}"),
            staff,
            &["starts_at", "ends_at", "topic", "location", "meeting_url"],
            json!({}),
        ),
        (
            "POST",
            "/api/v1/cohorts".to_string(),
            staff,
            &[
                "course_id",
                "name",
                "modality",
                "start_date",
                "end_date",
                "enrolment_opens",
                "enrolment_closes",
                "seats",
                "status",
                "municipality_codes",
                "department_codes",
                "instructor_ids",
            ],
            json!({"course_id": 1, "name": "Cohorte", "modality": "virtual"}),
        ),
        (
            "POST",
            format!("/api/v1/cohorts/{cohort}/assessments"),
            staff,
            &["name", "weight", "due_date"],
            json!({"name": "Taller", "weight": 10}),
        ),
        (
            "POST",
            "/api/v1/capacities".to_string(),
            admin,
            &["code", "name", "description", "active"],
            json!({"code": "CAP-X", "name": "Capacidad"}),
        ),
        (
            "PATCH",
            "/api/v1/capacities/1".to_string(),
            admin,
            &["code", "name", "description", "active"],
            json!({}),
        ),
        (
            "POST",
            "/api/v1/users".to_string(),
            admin,
            &["email", "password", "full_name", "role", "department_code"],
            json!({"email": "nueva@example.org", "password": "Clave-segura-2026", "full_name": "Nueva Persona", "role": "coordinator"}),
        ),
        (
            "PATCH",
            format!("/api/v1/users/{instructor}"),
            admin,
            &["full_name", "role", "department_code", "active"],
            json!({}),
        ),
        (
            "POST",
            "/api/v1/territorial-directions".to_string(),
            admin,
            &["name", "department_codes"],
            json!({"name": "Dirección de prueba", "department_codes": ["18"]}),
        ),
        (
            "POST",
            "/api/v1/indicators".to_string(),
            admin,
            &["code", "name", "source", "unit", "note", "capacity_ids"],
            json!({"code": "prueba", "name": "Indicador", "source": "DNP", "unit": "puntaje"}),
        ),
        (
            "PATCH",
            format!("/api/v1/cohorts/{cohort}"),
            staff,
            &[
                "municipality_codes",
                "department_codes",
                "instructor_ids",
                "demand_ids",
            ],
            json!({}),
        ),
        (
            "POST",
            "/api/v1/plans".to_string(),
            admin,
            &[
                "provider_id",
                "territorial_direction_id",
                "department_code",
                "year",
                "name",
            ],
            json!({"year": year, "name": "Plan de prueba"}),
        ),
        (
            "POST",
            format!("/api/v1/plans/{dnp_plan}/lines"),
            admin,
            &["capacity_id", "course_id", "targets", "goals", "budget"],
            json!({"capacity_id": 1, "goals": {"cohorts": 1}}),
        ),
        (
            "POST",
            format!("/api/v1/plans/{esap_plan}/amendments"),
            admin,
            &["reason", "lines"],
            json!({"reason": "Motivo de prueba"}),
        ),
    ];
    // What the database holds before the next request: after a refusal it is what it held
    // before that one (the assertion says so), so it is read again only after a write.
    let mut before = None;
    for (method, path, caller, fields, base) in endpoints {
        for mut body in bodies(fields, 16) {
            for (key, value) in base.as_object().unwrap() {
                body.as_object_mut()
                    .unwrap()
                    .entry(key.clone())
                    .or_insert(value.clone());
            }
            let held = match before.take() {
                Some(held) => held,
                None => everything(&app).await,
            };
            let (status, answer) = api(&app, method, &path, Some(caller), Some(body.clone())).await;
            assert!(
                status.code < 500,
                "{method} {path} {} → {status} {answer}",
                brief(&body)
            );
            if status.code >= 400 {
                assert!(
                    everything(&app).await == held,
                    "{method} {path} {} → {status} wrote something",
                    brief(&body)
                );
                before = Some(held);
            }
        }
    }
}
