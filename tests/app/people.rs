//! Participants: self-registration (API and page), consent, profile corrections, the
//! personal-data download.

use crate::common::TestApp;
use crate::support::*;
use domain::entities::values::{ConsentKind, Role};
use domain::entities::{consent, outbox, participant, user};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

fn valid_registration() -> Value {
    json!({
        "document_type": "CC",
        "document_number": "1.117.654.321",
        "first_names": "Ana Lucía",
        "last_names": "Ñáñez Muñoz",
        "email": "Ana.Nanez@Example.org",
        "password": "Caqueta-2026",
        "phone": "+57 310 555 1234",
        "municipality_code": "18256",
        "entity_type": "alcaldia",
        "position": "Secretaria de Planeación",
        "level": "directivo",
        "data_consent": true
    })
}

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    (
        user::Entity::find().fetch_count(app.db()).await,
        participant::Entity::find().fetch_count(app.db()).await,
        outbox::Entity::find().fetch_count(app.db()).await,
    )
}

/// The token of the newest registration link emailed to `to`.
pub async fn confirmation_token(app: &TestApp, to: &str) -> String {
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("an email to {to}"));
    let marker = "/registro/confirmar/";
    let start = mail
        .body_text
        .find(marker)
        .unwrap_or_else(|| panic!("a confirmation link in: {}", mail.body_text))
        + marker.len();
    mail.body_text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

/// Registers through the API and follows the emailed link: the new account.
pub async fn register_and_confirm(app: &TestApp, body: Value) -> (Status, Value) {
    let received = api_post(app, "/api/v1/registrations", None, body)
        .await
        .expect_status(Status::Created);
    let email = json_str(&received["email"]).to_string();
    let token = confirmation_token(app, &email).await;
    api_post(
        app,
        "/api/v1/registrations/confirmations",
        None,
        json!({"token": token}),
    )
    .await
}

#[rocket::async_test]
async fn a_participant_registers_through_the_api() {
    let app = TestApp::new().await;
    let (status, received) =
        api_post(&app, "/api/v1/registrations", None, valid_registration()).await;
    assert_eq!(status, Status::Created, "{received}");
    assert_eq!(received["status"], "pending_confirmation");
    assert_eq!(received["email"], "ana.nanez@example.org");
    // Nothing exists until the emailed link is followed.
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, 0);
    assert_eq!(participant::Entity::find().fetch_count(app.db()).await, 0);
    let link_token = confirmation_token(&app, "ana.nanez@example.org").await;
    let body = api_post(
        &app,
        "/api/v1/registrations/confirmations",
        None,
        json!({"token": link_token}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(body["role"], "participant");
    assert_eq!(body["email"], "ana.nanez@example.org");
    assert_eq!(body["full_name"], "Ana Lucía Ñáñez Muñoz");
    let person = &body["participant"];
    assert_eq!(person["document_number"], "1117654321", "dots removed");
    assert_eq!(person["phone"], "3105551234");
    assert_eq!(person["municipality_name"], "El Paujíl");
    assert_eq!(person["department_code"], "18");

    // The consent is a record with its date and the text version.
    let id = person["id"].as_i64().unwrap() as i32;
    let consents = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(id))
        .fetch_all(app.db())
        .await;
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].kind, ConsentKind::DataProcessing);
    assert_eq!(
        consents[0].text_version,
        domain::people::DATA_CONSENT_VERSION
    );

    // The welcome email was queued with the account.
    let mail = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .expect("welcome email");
    assert_eq!(mail.recipient, "ana.nanez@example.org");
    assert_eq!(mail.subject, "Le damos la bienvenida a Aula Territorial");
    assert!(mail.body_text.contains("Ana Lucía Ñáñez Muñoz"));

    // The link works once.
    let again = api_post(
        &app,
        "/api/v1/registrations/confirmations",
        None,
        json!({"token": link_token}),
    )
    .await
    .expect_status(Status::Conflict);
    assert!(json_str(&again["detail"]).contains("ya fue usado"));
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, 1);

    // They can sign in and see themselves.
    let token = token(&app, "ana.nanez@example.org", "Caqueta-2026").await;
    let me = api_get(&app, "/api/v1/me", Some(&token))
        .await
        .expect_status(Status::Ok);
    assert_eq!(me["participant"]["last_names"], "Ñáñez Muñoz");
}

#[rocket::async_test]
async fn each_registration_rule_refuses_in_spanish_and_writes_nothing() {
    let app = TestApp::new().await;
    let (status, _) = register_and_confirm(&app, valid_registration()).await;
    assert_eq!(status, Status::Created);
    let before = counts(&app).await;

    // Who already exists is not a rule a registrant is told about (see
    // `account_security::registration_answers_the_same_whoever_exists`).
    let cases: Vec<(&str, Value, &str)> = vec![
        ("data_consent", json!({"data_consent": false}), "Ley 1581"),
        ("data_consent", json!({"data_consent": null}), "autorizar"),
        (
            "municipality_code",
            json!({"document_number": "40111223", "email": "b@example.org", "municipality_code": "99999"}),
            "No existe un municipio",
        ),
        (
            "password",
            json!({"document_number": "40111224", "email": "c@example.org", "password": "corta"}),
            "al menos 10 caracteres",
        ),
        (
            "password",
            json!({"document_number": "40111225", "email": "d@example.org", "password": "solamenteletras"}),
            "combinar letras",
        ),
        (
            "document_number",
            json!({"document_number": "12AB34", "email": "e@example.org"}),
            "sin letras",
        ),
        (
            "document_type",
            json!({"document_type": "NIT", "email": "f@example.org"}),
            "CC, CE, PA o PPT",
        ),
        (
            "email",
            json!({"document_number": "40111226", "email": "no-es-un-correo"}),
            "correo electrónico válido",
        ),
        (
            "first_names",
            json!({"document_number": "40111227", "email": "g@example.org", "first_names": "  "}),
            "Escriba sus nombres",
        ),
        (
            "last_names",
            json!({"document_number": "40111228", "email": "h@example.org", "last_names": "Pérez 3"}),
            "solo pueden tener letras",
        ),
        (
            "entity_type",
            json!({"document_number": "40111229", "email": "i@example.org", "entity_type": "empresa"}),
            "tipo de entidad",
        ),
        (
            "level",
            json!({"document_number": "40111230", "email": "j@example.org", "level": "jefe"}),
            "nivel del cargo",
        ),
        (
            "phone",
            json!({"document_number": "40111231", "email": "k@example.org", "phone": "12345"}),
            "10 dígitos",
        ),
        (
            "sensitive_data_consent",
            json!({"document_number": "40111232", "email": "l@example.org", "ethnic_group": "indigena"}),
            "autorizar expresamente",
        ),
        (
            "ethnic_group",
            json!({"document_number": "40111233", "email": "m@example.org", "sensitive_data_consent": true, "ethnic_group": "marciano"}),
            "grupo étnico",
        ),
    ];
    for (field, change, message) in cases {
        let mut body = valid_registration();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, problem) = api_post(&app, "/api/v1/registrations", None, body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {problem}");
        assert_eq!(problem["status"], 422);
        let error = json_array(&problem["errors"])
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("an error on {field}: {problem}"));
        assert!(
            json_str(&error["message"]).contains(message),
            "{field}: {error}"
        );
        assert_eq!(counts(&app).await, before, "{field}: nothing written");
    }

    // Every missing field is reported at once.
    let problem = api_post(&app, "/api/v1/registrations", None, json!({}))
        .await
        .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&problem);
    for field in [
        "document_type",
        "document_number",
        "first_names",
        "last_names",
        "municipality_code",
        "entity_type",
        "level",
        "email",
        "data_consent",
        "password",
    ] {
        assert!(
            fields.iter().any(|f| f == field),
            "missing {field} reported: {fields:?}"
        );
    }
    // Malformed JSON is a 400.
    let response = app
        .client
        .post("/api/v1/registrations")
        .header(rocket::http::ContentType::JSON)
        .body("{no es json")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn spreadsheet_habits_are_accepted_and_sensitive_data_needs_its_own_consent() {
    let app = TestApp::new().await;
    let mut body = valid_registration();
    body["municipality_code"] = json!("5001"); // Medellín, leading zero lost in Excel
    body["document_number"] = json!(" 71 234 567 ");
    body["sensitive_data_consent"] = json!(true);
    body["sex"] = json!("mujer");
    body["ethnic_group"] = json!("afrocolombiano");
    body["is_conflict_victim"] = json!(true);
    let (status, created) = register_and_confirm(&app, body).await;
    assert_eq!(status, Status::Created, "{created}");
    let person = &created["participant"];
    assert_eq!(person["municipality_code"], "05001");
    assert_eq!(person["document_number"], "71234567");
    assert_eq!(person["sensitive_data_consent"], true);
    assert_eq!(person["ethnic_group"], "afrocolombiano");
    let kinds: Vec<ConsentKind> = consent::Entity::find()
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [ConsentKind::DataProcessing, ConsentKind::SensitiveData]
    );
}

/// Signing in before following the registration link says so (only to whoever typed the
/// registration's password) and sends a fresh link: the old one stops working, and the
/// answer is the same for any address.
#[rocket::async_test]
async fn signing_in_before_confirming_says_so_and_sends_the_link_again() {
    let app = TestApp::new().await;
    let (status, received) =
        api_post(&app, "/api/v1/registrations", None, valid_registration()).await;
    assert_eq!(status, Status::Created, "{received}");
    let email = "ana.nanez@example.org";
    let first = confirmation_token(&app, email).await;
    let mails_to = async |to: &str| {
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(to))
            .fetch_count(app.db())
            .await
    };

    // A wrong password: the usual words, nothing about the registration.
    let csrf = csrf_from(&app, "/ingresar").await;
    let wrong = post_form(
        &app,
        "/ingresar",
        &[
            ("csrf_token", &csrf),
            ("email", "Ana.Nanez@Example.org"),
            ("password", "Otra-clave-2026"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), Status::Unauthorized);
    let html = wrong.into_string().await.unwrap();
    assert!(html.contains("Correo o contraseña incorrectos"));
    assert!(!html.contains("no está confirmado"));
    assert!(!html.contains("Enviarme el enlace de nuevo"));

    // The registration's password: the page says the registration is not confirmed and
    // offers the link again.
    let unconfirmed = post_form(
        &app,
        "/ingresar",
        &[
            ("csrf_token", &csrf),
            ("email", "Ana.Nanez@Example.org"),
            ("password", "Caqueta-2026"),
        ],
    )
    .await;
    assert_eq!(unconfirmed.status(), Status::UnprocessableEntity);
    let html = unconfirmed.into_string().await.unwrap();
    assert!(
        html.contains("Su registro aún no está confirmado"),
        "{html}"
    );
    assert!(!html.contains("Correo o contraseña incorrectos"));
    assert!(html.contains("action=\"/registro/reenviar\""));
    assert!(html.contains("Enviarme el enlace de nuevo"));
    // No session: still a visitor.
    let (_, home) = page(&app, "/").await;
    assert!(!home.contains("Hola, Ana"));
    // The API has nothing to offer: a failed sign-in like any other.
    api_post(
        &app,
        "/api/v1/tokens",
        None,
        json!({"email": email, "password": "Caqueta-2026"}),
    )
    .await
    .expect_status(Status::Unauthorized);

    // «Enviarme el enlace de nuevo»: a fresh link by the same email; the old one is dead.
    let before = mails_to(email).await;
    let csrf = csrf_from(&app, "/registro/reenviar").await;
    let resent = post_form(
        &app,
        "/registro/reenviar",
        &[("csrf_token", &csrf), ("email", "Ana.Nanez@Example.org")],
    )
    .await;
    assert_eq!(resent.status(), Status::Ok);
    let answer = resent.into_string().await.unwrap();
    assert!(answer.contains("Si hay un registro sin confirmar con ese correo"));
    assert_eq!(mails_to(email).await, before + 1);
    let second = confirmation_token(&app, email).await;
    assert_ne!(first, second);
    let newest = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(email))
        .order_by_desc(outbox::Column::Id)
        .expect_one(app.db())
        .await;
    assert_eq!(newest.subject, "Confirme su registro en Aula Territorial");
    let (_, old_page) = page(&app, &format!("/registro/confirmar/{first}")).await;
    assert!(old_page.contains("ya fue usado o expiró"));
    api_post(
        &app,
        "/api/v1/registrations/confirmations",
        None,
        json!({"token": first}),
    )
    .await
    .expect_status(Status::Conflict);

    // Any other address gets the same words, and no email.
    let csrf = csrf_from(&app, "/registro/reenviar").await;
    let nobody = post_form(
        &app,
        "/registro/reenviar",
        &[("csrf_token", &csrf), ("email", "nadie@example.org")],
    )
    .await;
    assert_eq!(nobody.status(), Status::Ok);
    let other = nobody.into_string().await.unwrap();
    assert!(other.contains("Si hay un registro sin confirmar con ese correo"));
    assert_eq!(mails_to("nadie@example.org").await, 0);

    // The new link works; then the account signs in, and asking again sends nothing.
    api_post(
        &app,
        "/api/v1/registrations/confirmations",
        None,
        json!({"token": second}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(
        sign_in_page(&app, email, "Caqueta-2026").await,
        Status::SeeOther
    );
    let after = mails_to(email).await;
    let csrf = csrf_from(&app, "/registro/reenviar").await;
    let again = post_form(
        &app,
        "/registro/reenviar",
        &[("csrf_token", &csrf), ("email", email)],
    )
    .await;
    assert_eq!(again.status(), Status::Ok);
    assert_eq!(mails_to(email).await, after);
}

#[rocket::async_test]
async fn a_person_imported_without_an_account_can_claim_their_record() {
    let app = TestApp::new().await;
    let at = domain::time::now();
    let imported = participant::ActiveModel {
        document_type: Set(domain::entities::values::DocumentType::Cc),
        document_number: Set("1117654321".into()),
        first_names: Set("Ana".into()),
        last_names: Set("Ñáñez".into()),
        email: Set(Some("ana.nanez@example.org".into())),
        municipality_code: Set("18256".into()),
        entity_type: Set("alcaldia".into()),
        level: Set("profesional".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    // With another email than the one on file: the person on file is told, nothing else.
    let mut other = valid_registration();
    other["email"] = json!("impostor@example.org");
    api_post(&app, "/api/v1/registrations", None, other)
        .await
        .expect_status(Status::Created);
    let notice = outbox::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .expect("a notice to the email on file");
    assert_eq!(notice.recipient, "ana.nanez@example.org");
    assert!(notice.body_text.contains("un correo distinto"));
    assert!(!notice.body_text.contains("/registro/confirmar/"));
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, 0);

    // With the email on file: a link to it, which attaches the account to the record.
    let (status, body) = register_and_confirm(&app, valid_registration()).await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(
        body["participant"]["id"], imported.id,
        "the same person, now with an account"
    );
    assert_eq!(body["participant"]["first_names"], "Ana Lucía");
    assert_eq!(participant::Entity::find().fetch_count(app.db()).await, 1);
}

#[rocket::async_test]
async fn registering_in_the_browser_and_following_the_link_signs_the_person_in() {
    let app = TestApp::new().await;
    let page = body_of(&app.client, "/registro").await;
    assert!(page.contains("Registrarse como participante"));
    assert!(page.contains("Ley 1581 de 2012"));
    let csrf = csrf_from(&app, "/registro").await;
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("document_type", "CC"),
        ("document_number", "1117999888"),
        ("first_names", "Yurany"),
        ("last_names", "Bermúdez"),
        ("email", "yurany@example.org"),
        ("department_code", "18"),
        ("municipality", "el paujil"),
        ("entity_type", "personeria"),
        ("level", "directivo"),
        ("password", "Personera-2026"),
    ];
    // Without the consent box: the form comes back with the message and what was typed.
    let refused = post_form(&app, "/registro", &fields).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("Debe autorizar el tratamiento de sus datos personales"));
    assert!(html.contains("value=\"Bermúdez\""));
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, 0);

    // An ambiguous municipality is explained.
    fields.push(("data_consent", "true"));
    let mut ambiguous = fields.clone();
    ambiguous[7] = ("municipality", "san");
    let html = post_form(&app, "/registro", &ambiguous)
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        html.contains("coincide con varios municipios"),
        "{}",
        &html[..200]
    );

    let done = post_form(&app, "/registro", &fields).await;
    assert_eq!(done.status(), Status::Ok);
    let html = done.into_string().await.unwrap();
    assert!(html.contains("Revise su correo"), "{html}");
    assert!(html.contains("yurany@example.org"));
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, 0);

    let token = confirmation_token(&app, "yurany@example.org").await;
    let link = format!("/registro/confirmar/{token}");
    let page = body_of(&app.client, link.as_str()).await;
    assert!(page.contains("Confirmar mi registro"));
    let csrf = csrf_from(&app, &link).await;
    let confirmed = post_form(&app, &link, &[("csrf_token", &csrf)]).await;
    assert_eq!(confirmed.status(), Status::SeeOther);
    assert_eq!(confirmed.headers().get_one("Location"), Some("/"));
    let home = body_of(&app.client, "/").await;
    assert!(home.contains("Hola, Yurany Bermúdez"));
    assert!(home.contains("Le damos la bienvenida: su cuenta quedó activa"));
    // A used link shows why it no longer works.
    let used = body_of(&app.client, link.as_str()).await;
    assert!(used.contains("ya fue usado o expiró"));
    let person = participant::Entity::find().expect_one(app.db()).await;
    assert_eq!(person.municipality_code, "18256");
}

#[rocket::async_test]
async fn participants_correct_their_profile_and_download_their_data() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let page = body_of(&app.client, "/perfil").await;
    assert!(page.contains("CC 1117512345"), "document shown read-only");
    let csrf = csrf_from(&app, "/perfil").await;
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("document_type", "CE"), // ignored: the document is not theirs to change
        ("document_number", "999"),
        ("first_names", "María Fernanda"),
        ("last_names", "Muñoz Peña"),
        ("email", email),
        ("phone", "3201234567"),
        ("department_code", "50"),
        ("municipality", "Mapiripán"),
        ("entity_type", "alcaldia"),
        ("level", "asesor"),
        ("sensitive_data_consent", "true"),
        ("sex", "mujer"),
    ];
    let saved = post_form(&app, "/perfil", &fields).await;
    assert_eq!(saved.status(), Status::SeeOther);
    let person = participant::Entity::find()
        .filter(participant::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    assert_eq!(person.document_number, "1117512345");
    assert_eq!(person.municipality_code, "50325");
    assert_eq!(person.level, "asesor");
    assert_eq!(person.sex.as_deref(), Some("mujer"));

    // Withdrawing the sensitive-data consent erases those data.
    fields.retain(|(k, _)| *k != "sensitive_data_consent");
    assert_eq!(
        post_form(&app, "/perfil", &fields).await.status(),
        Status::SeeOther
    );
    let person = participant::Entity::find_by_id(person.id)
        .expect_one(app.db())
        .await;
    assert_eq!(person.sex, None);
    let withdrawn = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person.id))
        .filter(consent::Column::Kind.eq(ConsentKind::SensitiveData))
        .expect_one(app.db())
        .await;
    assert!(withdrawn.withdrawn_at.is_some());

    // Bad input: the form comes back with a Spanish message, nothing changes.
    let mut bad = fields.clone();
    bad[6] = ("phone", "123");
    let refused = post_form(&app, "/perfil", &bad).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    assert!(
        refused
            .into_string()
            .await
            .unwrap()
            .contains("El teléfono debe tener 10 dígitos")
    );

    // Everything about them, as a file.
    let response = app.client.get("/perfil/datos.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert!(
        response
            .headers()
            .get_one("Content-Disposition")
            .unwrap()
            .contains("attachment")
    );
    // In Spanish, with names instead of ids (issue 18).
    let data: Value = response.into_json().await.unwrap();
    let section = |title: &str| {
        json_array(&data["secciones"])
            .iter()
            .find(|s| s["titulo"] == title)
            .unwrap_or_else(|| panic!("section {title}: {data}"))
            .clone()
    };
    assert_eq!(section("Cuenta")["filas"][0], json!(["Correo", email]));
    let personal = section("Datos personales").to_string();
    assert!(
        personal.contains("Mapiripán"),
        "the municipality by name: {personal}"
    );
    let enrolments = section("Inscripciones");
    assert!(json_array(&enrolments["filas"]).len() >= 2);
    assert!(
        json_str(&enrolments["filas"][0][0]).len() > 3,
        "the cohort by name: {enrolments}"
    );
    let attendance = section("Asistencia");
    assert!(!json_array(&attendance["filas"]).is_empty());
    let session = json_str(&attendance["filas"][0][1]);
    assert!(
        session.contains(" · ") && (session.contains("a. m.") || session.contains("p. m.")),
        "{session}"
    );
    assert_eq!(
        section("Autorizaciones")["filas"].as_array().unwrap().len(),
        2
    );
    for english in [
        "\"account\"",
        "enrolment_id",
        "session_id",
        "cohort_id",
        "password",
    ] {
        assert!(
            !data.to_string().contains(english),
            "no {english} in the readable file"
        );
    }
    // And as a page.
    let (status, html) = crate::support::page(&app, "/perfil/datos").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<h2>Inscripciones</h2>") && html.contains("Mapiripán"),
        "{html}"
    );
}
