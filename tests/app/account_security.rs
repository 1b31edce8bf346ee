//! Issue 13, accounts: where people are sent after signing in (`siguiente`), throttling by the
//! real client address with progressive delays, server-side sessions, and registration that
//! does not reveal who has an account.

use crate::common::TestApp;
use crate::support::*;
use domain::entities::values::Role;
use rocket::http::{ContentType, Header, Status};
use std::net::SocketAddr;

/// `siguiente` values a hostile client may send: whitespace, control characters, look-alikes
/// of `/` and `\`, other hosts, schemes, broken percent escapes.
const HOSTILE_NEXT: &[&str] = &[
    "/\t/x",
    "/\n/x",
    "/\r\nLocation: https://evil.example",
    "/\u{3000}/x",
    "\u{ff0f}/evil.example",
    "/\u{ff0f}evil.example",
    "\u{2215}\u{2215}evil.example",
    "/\u{ff3c}evil.example",
    "/x\u{200b}y",
    "/ x",
    "/x y",
    "/\u{0}",
    "/\u{7f}",
    "/\u{a0}",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "",
    " /cohortes",
    "/%zz",
    "/%2",
    "/cohortes#\"><script>",
    "/ñandú",
];

/// Signs in through the page with `siguiente` set to `next`.
async fn sign_in_with_next<'c>(
    app: &'c TestApp,
    email: &str,
    password: &str,
    next: &str,
) -> rocket::local::asynchronous::LocalResponse<'c> {
    let csrf = csrf_from(app, "/ingresar").await;
    post_form(
        app,
        "/ingresar",
        &[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", password),
            ("siguiente", next),
        ],
    )
    .await
}

fn location(response: &rocket::local::asynchronous::LocalResponse<'_>) -> String {
    response
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string()
}

#[rocket::async_test]
async fn sign_in_sends_hostile_next_values_home_and_never_fails() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Participant);
    for next in HOSTILE_NEXT {
        let response = sign_in_with_next(&app, email, password, next).await;
        assert_eq!(response.status(), Status::SeeOther, "siguiente={next:?}");
        assert_eq!(location(&response), "/", "siguiente={next:?}");
        // The sign-in page itself shows the form with a safe value.
        let page = app
            .client
            .get(format!(
                "/ingresar?siguiente={}",
                domain::text::urlencode(next)
            ))
            .dispatch()
            .await;
        assert_eq!(page.status(), Status::Ok, "page with siguiente={next:?}");
    }
    // Paths of the site still work, with their query.
    for next in ["/cohortes/3?vista=sesiones&pagina=2", "/perfil", "/a%20b"] {
        let response = sign_in_with_next(&app, email, password, next).await;
        assert_eq!(response.status(), Status::SeeOther);
        assert_eq!(location(&response), next);
    }
}

#[test]
fn only_same_site_paths_are_local() {
    use domain::accounts::{is_local_path, safe_next};
    for next in HOSTILE_NEXT {
        assert!(!is_local_path(next), "{next:?}");
        assert_eq!(safe_next(Some(next)), "/");
    }
    assert_eq!(safe_next(None), "/");
    assert!(is_local_path("/"));
    assert!(is_local_path("/certificados/ABCD-1234?x=1&y=%C3%B1"));
}

// ---- Finding 2: the client address and progressive delays ----------------------------------

fn socket(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

/// `POST /api/v1/tokens` from the socket `peer`, with any extra headers.
async fn token_attempt(
    app: &TestApp,
    peer: &str,
    headers: &[(&'static str, String)],
    email: &str,
    password: &str,
) -> (Status, Option<String>) {
    let mut request = app
        .client
        .post("/api/v1/tokens")
        .remote(socket(peer))
        .header(ContentType::JSON)
        .body(serde_json::json!({"email": email, "password": password}).to_string());
    for (name, value) in headers {
        request = request.header(Header::new(*name, value.clone()));
    }
    let response = request.dispatch().await;
    let retry_after = response
        .headers()
        .get_one("Retry-After")
        .map(str::to_string);
    (response.status(), retry_after)
}

#[rocket::async_test]
async fn forwarding_headers_from_a_client_do_not_change_its_address() {
    let app = TestApp::with_demo().await;
    for n in 0..20 {
        let spoofed = format!("203.0.113.{n}");
        let (status, _) = token_attempt(
            &app,
            "198.51.100.7",
            &[("X-Real-IP", spoofed.clone()), ("X-Forwarded-For", spoofed)],
            &format!("nadie{n}@example.org"),
            "equivocada-1",
        )
        .await;
        assert_eq!(status, Status::Unauthorized, "attempt {n}");
    }
    // The same socket, whatever header it writes now, waits.
    let (email, password) = demo_account(Role::Participant);
    let (status, retry_after) = token_attempt(
        &app,
        "198.51.100.7",
        &[("X-Real-IP", "192.0.2.200".into())],
        email,
        password,
    )
    .await;
    assert_eq!(status, Status::TooManyRequests);
    let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    // Another address is not affected.
    let (status, _) = token_attempt(&app, "198.51.100.8", &[], email, password).await;
    assert_eq!(status, Status::Created);
}

#[rocket::async_test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = TestApp::with_config(&[
        ("demo_data", serde_json::json!(true)),
        ("trusted_proxies", serde_json::json!(["10.0.0.0/8"])),
    ])
    .await;
    let (email, password) = demo_account(Role::Coordinator);
    for n in 0..20 {
        let (status, _) = token_attempt(
            &app,
            "10.0.0.2",
            // What the client wrote, then what the proxy appended.
            &[("X-Forwarded-For", format!("192.0.2.{n}, 198.51.100.50"))],
            &format!("nadie{n}@example.org"),
            "equivocada-1",
        )
        .await;
        assert_eq!(status, Status::Unauthorized);
    }
    let through_proxy = |client: &str| vec![("X-Forwarded-For", client.to_string())];
    let (status, retry_after) = token_attempt(
        &app,
        "10.0.0.2",
        &through_proxy("198.51.100.50"),
        email,
        password,
    )
    .await;
    assert_eq!(status, Status::TooManyRequests);
    assert!(retry_after.is_some());
    // Another client behind the same proxy signs in.
    let (status, _) = token_attempt(
        &app,
        "10.0.0.2",
        &through_proxy("198.51.100.51"),
        email,
        password,
    )
    .await;
    assert_eq!(status, Status::Created);
}

#[rocket::async_test]
async fn a_stranger_cannot_lock_an_administrator_out() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Admin);
    for _ in 0..5 {
        let (status, _) = token_attempt(&app, "203.0.113.66", &[], email, "equivocada-1").await;
        assert_eq!(status, Status::Unauthorized);
    }
    // The guesser waits (API and page alike, both with Retry-After)...
    let (status, retry_after) = token_attempt(&app, "203.0.113.66", &[], email, password).await;
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(retry_after.as_deref(), Some("30"));
    let csrf = csrf_from(&app, "/ingresar").await;
    let page = app
        .client
        .post("/ingresar")
        .remote(socket("203.0.113.66"))
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={csrf}&email={}&password={}",
            domain::text::urlencode(email),
            domain::text::urlencode(password)
        ))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::TooManyRequests);
    let seconds: u64 = page
        .headers()
        .get_one("Retry-After")
        .expect("Retry-After on the page")
        .parse()
        .unwrap();
    assert!((1..=30).contains(&seconds));
    assert!(
        page.into_string()
            .await
            .unwrap()
            .contains("Demasiados intentos")
    );
    // ...while the administrator, from their own address, signs in at once.
    let (status, _) = token_attempt(&app, "192.0.2.10", &[], email, password).await;
    assert_eq!(status, Status::Created);
}

#[rocket::async_test]
async fn waits_double_with_every_further_failure() {
    use domain::entities::login_throttle;
    use sea_orm::{ConnectionTrait, EntityTrait};
    let app = TestApp::with_demo().await;
    let (email, _) = demo_account(Role::Instructor);
    let peer = "203.0.113.90";
    for _ in 0..5 {
        token_attempt(&app, peer, &[], email, "equivocada-1").await;
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let (status, retry_after) = token_attempt(&app, peer, &[], email, "equivocada-1").await;
        assert_eq!(status, Status::TooManyRequests);
        waits.push(retry_after.unwrap().parse::<u64>().unwrap());
        // The wait is over: the next failure counts and waits twice as long.
        app.db()
            .execute_unprepared(
                "UPDATE login_throttle SET locked_until = '2020-01-01 00:00:00+00:00'",
            )
            .await
            .unwrap();
        let (status, _) = token_attempt(&app, peer, &[], email, "equivocada-1").await;
        assert_eq!(status, Status::Unauthorized);
    }
    assert_eq!(waits, [30, 60, 120]);
    let rows = login_throttle::Entity::find().fetch_all(app.db()).await;
    assert!(
        rows.iter()
            .any(|r| r.key.starts_with("cuenta:") && r.failures == 8)
    );
}

// ---- Finding 3: sessions end on the server ------------------------------------------------

/// The session cookie the client holds now (encrypted, as the browser keeps it).
fn session_cookie(app: &TestApp) -> rocket::http::Cookie<'static> {
    app.client
        .cookies()
        .get("aula_sesion")
        .expect("a session cookie")
        .clone()
        .into_owned()
}

/// Status of `/perfil` (participants only) sent with exactly this session cookie.
async fn profile_with(app: &TestApp, cookie: &rocket::http::Cookie<'static>) -> Status {
    app.client
        .get("/perfil")
        .cookie(cookie.clone())
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Participant);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let stolen = session_cookie(&app);
    assert_eq!(profile_with(&app, &stolen).await, Status::Ok);
    let csrf = csrf_from(&app, "/perfil").await;
    let out = post_form(&app, "/salir", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status(), Status::SeeOther);
    // The browser forgot the cookie; a copy of it is worth nothing either.
    assert_eq!(
        profile_with(&app, &stolen).await,
        Status::SeeOther,
        "an ended session sends to the sign-in page"
    );
    // Signing in again works.
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    assert_eq!(profile_with(&app, &session_cookie(&app)).await, Status::Ok);
}

#[rocket::async_test]
async fn a_password_reset_ends_every_session_and_token_of_the_person() {
    use domain::entities::{outbox, session};
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let laptop = session_cookie(&app);
    sign_in_page(&app, email, password).await;
    let phone = session_cookie(&app);
    assert_ne!(laptop.value(), phone.value());
    let api_token = token(&app, email, password).await;
    // Someone else's token is not touched.
    let (admin_email, admin_password) = demo_account(Role::Admin);
    let admin_token = token(&app, admin_email, admin_password).await;
    assert_eq!(profile_with(&app, &laptop).await, Status::Ok);
    assert_eq!(profile_with(&app, &phone).await, Status::Ok);

    let csrf = csrf_from(&app, "/contrasena/olvido").await;
    post_form(
        &app,
        "/contrasena/olvido",
        &[("csrf_token", &csrf), ("email", email)],
    )
    .await;
    let mail = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .expect_one(app.db())
        .await;
    let start = mail.body_text.find("/contrasena/restablecer/").unwrap();
    let link = mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let done = post_form(
        &app,
        &link,
        &[
            ("csrf_token", &csrf),
            ("password", "Nueva-clave-2026"),
            ("password_confirmation", "Nueva-clave-2026"),
        ],
    )
    .await;
    assert_eq!(done.status(), Status::SeeOther);

    assert_eq!(profile_with(&app, &laptop).await, Status::SeeOther);
    assert_eq!(profile_with(&app, &phone).await, Status::SeeOther);
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&api_token)).await.0,
        Status::Unauthorized
    );
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&admin_token)).await.0,
        Status::Ok
    );
    assert_eq!(session::Entity::find().fetch_count(app.db()).await, 0);
    // The new password opens a new session.
    assert_eq!(
        sign_in_page(&app, email, "Nueva-clave-2026").await,
        Status::SeeOther
    );
    assert_eq!(profile_with(&app, &session_cookie(&app)).await, Status::Ok);
}

#[rocket::async_test]
async fn sessions_are_stored_hashed_and_expire() {
    use domain::entities::session;
    use sea_orm::{ConnectionTrait, EntityTrait};
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let cookie = session_cookie(&app);
    let rows = session::Entity::find().fetch_all(app.db()).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token_hash.len(), 64);
    assert!(!cookie.value().contains(&rows[0].token_hash));
    app.db()
        .execute_unprepared("UPDATE sessions SET expires_at = '2020-01-01 00:00:00+00:00'")
        .await
        .unwrap();
    assert_eq!(profile_with(&app, &cookie).await, Status::SeeOther);
}

// ---- Finding 8: registration does not reveal who exists, and is throttled ------------------

pub(crate) fn registration(document: &str, email: &str) -> serde_json::Value {
    serde_json::json!({
        "document_type": "CC",
        "document_number": document,
        "first_names": "Marta Inés",
        "last_names": "Quiroga",
        "email": email,
        "password": "Registro-2026",
        "municipality_code": "18256",
        "entity_type": "concejo",
        "level": "profesional",
        "data_consent": true
    })
}

/// `POST /api/v1/registrations` from the socket `peer`: status, Retry-After, JSON body.
async fn register_from(
    app: &TestApp,
    peer: &str,
    body: serde_json::Value,
) -> (Status, Option<String>, serde_json::Value) {
    let response = app
        .client
        .post("/api/v1/registrations")
        .remote(socket(peer))
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch()
        .await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get_one("Retry-After")
        .map(str::to_string);
    let body = response
        .into_json()
        .await
        .unwrap_or(serde_json::Value::Null);
    (status, retry_after, body)
}

/// The keys of a JSON object, sorted: the shape of an answer.
fn shape(body: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[rocket::async_test]
async fn registration_answers_the_same_whoever_exists() {
    use domain::entities::{outbox, participant, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = TestApp::with_demo().await;
    let (existing_email, existing_password) = demo_account(Role::Participant);
    let owner = participant::Entity::find()
        .filter(participant::Column::Email.eq(existing_email))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo participant's record");
    let users_before = user::Entity::find().fetch_count(app.db()).await;
    let last_mail = |to: &'static str| {
        let db = app.db().clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::Recipient.eq(to))
                .order_by_desc(outbox::Column::Id)
                .one(&db)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("an email to {to}"))
        }
    };

    let (new_status, _, new_body) = register_from(
        &app,
        "192.0.2.1",
        registration("52111222", "nueva@example.org"),
    )
    .await;
    let (email_status, _, email_body) =
        register_from(&app, "192.0.2.1", registration("52111223", existing_email)).await;
    let (document_status, _, document_body) = register_from(
        &app,
        "192.0.2.1",
        registration(&owner.document_number, "otra.persona@example.org"),
    )
    .await;
    for (status, body) in [
        (new_status, &new_body),
        (email_status, &email_body),
        (document_status, &document_body),
    ] {
        assert_eq!(status, Status::Created, "{body}");
        assert_eq!(shape(body), ["detail", "email", "status"]);
        assert_eq!(body["status"], "pending_confirmation");
        let text = body.to_string().to_lowercase();
        assert!(!text.contains("ya existe"), "{body}");
    }
    assert_eq!(
        json_str(&new_body["detail"]).replace("nueva@example.org", "X"),
        json_str(&email_body["detail"]).replace(existing_email, "X"),
    );
    // No account was created or changed; the existing one still signs in with its password.
    assert_eq!(
        user::Entity::find().fetch_count(app.db()).await,
        users_before
    );
    token(&app, existing_email, existing_password).await;

    // The newcomer gets a link; the owner of the email or document gets a notice instead.
    let mail = last_mail("nueva@example.org").await;
    assert!(mail.body_text.contains("/registro/confirmar/"));
    let notices = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(existing_email))
        .order_by_asc(outbox::Column::Id)
        .fetch_all(app.db())
        .await;
    assert_eq!(notices.len(), 2, "one per attempt on this person");
    for notice in &notices {
        assert_eq!(notice.subject, "Intento de registro en Aula Territorial");
        assert!(!notice.body_text.contains("/registro/confirmar/"));
        assert!(notice.body_html.contains("/contrasena/olvido"));
    }
    assert!(
        notices[0]
            .body_text
            .contains("con este correo, que ya tiene una cuenta")
    );
    assert!(
        notices[1]
            .body_text
            .contains("con su número de documento y otro correo")
    );
    assert_eq!(
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq("otra.persona@example.org"))
            .fetch_count(app.db())
            .await,
        0,
        "nothing tells the other address that the document is known"
    );
}

#[rocket::async_test]
async fn registrations_are_throttled_per_address() {
    let app = TestApp::new().await;
    // Sixty a room of officials needs (issue 30: it was ten), then the flood waits.
    for n in 0..60 {
        let (status, _, body) = register_from(
            &app,
            "203.0.113.40",
            registration(&format!("601110{n:02}"), &format!("p{n}@example.org")),
        )
        .await;
        assert_eq!(status, Status::Created, "{n}: {body}");
    }
    let (status, retry_after, body) = register_from(
        &app,
        "203.0.113.40",
        registration("60112099", "p99@example.org"),
    )
    .await;
    assert_eq!(status, Status::TooManyRequests, "{body}");
    assert_eq!(body["status"], 429);
    assert!(json_str(&body["detail"]).contains("Demasiados intentos"));
    assert_eq!(retry_after.as_deref(), Some("60"));
    // The page answers the same way.
    let csrf = csrf_from(&app, "/registro").await;
    let page = app
        .client
        .post("/registro")
        .remote(socket("203.0.113.40"))
        .header(ContentType::Form)
        .body(format!(
            "csrf_token={csrf}&document_type=CC&document_number=60112098&first_names=Ana&last_names=Ruiz&email=q%40example.org&department_code=18&municipality=el+paujil&entity_type=concejo&level=profesional&password=Registro-2026&data_consent=true"
        ))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::TooManyRequests);
    assert!(page.headers().get_one("Retry-After").is_some());
    // Another address registers.
    let (status, _, _) = register_from(
        &app,
        "203.0.113.41",
        registration("60112097", "p97@example.org"),
    )
    .await;
    assert_eq!(status, Status::Created);
}

// ---- Finding 4 on registration: hostile `siguiente` never fails and never writes first ----

#[rocket::async_test]
async fn registration_with_hostile_next_values_goes_home_after_confirming() {
    use domain::entities::{outbox, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::new().await;
    for (n, next) in HOSTILE_NEXT.iter().enumerate() {
        let csrf = csrf_from(&app, "/registro").await;
        let document = format!("7022200{n:02}");
        let email = format!("persona{n}@example.org");
        let page = app
            .client
            .get(format!(
                "/registro?siguiente={}",
                domain::text::urlencode(next)
            ))
            .dispatch()
            .await;
        assert_eq!(page.status(), Status::Ok, "form with siguiente={next:?}");
        let response = app
            .client
            .post("/registro")
            .remote(socket(&format!("192.0.2.{}", n + 1)))
            .header(ContentType::Form)
            .body(
                [
                    ("csrf_token", csrf.as_str()),
                    ("document_type", "CC"),
                    ("document_number", &document),
                    ("first_names", "Luz"),
                    ("last_names", "Cabrera"),
                    ("email", &email),
                    ("department_code", "18"),
                    ("municipality", "el paujil"),
                    ("entity_type", "concejo"),
                    ("level", "profesional"),
                    ("password", "Registro-2026"),
                    ("data_consent", "true"),
                    ("siguiente", next),
                ]
                .iter()
                .map(|(k, v)| format!("{k}={}", domain::text::urlencode(v)))
                .collect::<Vec<_>>()
                .join("&"),
            )
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "siguiente={next:?}");
        let mail = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(email.as_str()))
            .one(app.db())
            .await
            .unwrap()
            .expect("confirmation email");
        let start = mail.body_text.find("/registro/confirmar/").unwrap();
        let link = mail.body_text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let csrf = csrf_from(&app, &link).await;
        let confirmed = post_form(&app, &link, &[("csrf_token", &csrf)]).await;
        assert_eq!(confirmed.status(), Status::SeeOther, "siguiente={next:?}");
        assert_eq!(location(&confirmed), "/", "siguiente={next:?}");
        let csrf = csrf_from(&app, "/").await;
        post_form(&app, "/salir", &[("csrf_token", &csrf)]).await;
    }
    assert_eq!(
        user::Entity::find().fetch_count(app.db()).await,
        HOSTILE_NEXT.len() as u64
    );
}
