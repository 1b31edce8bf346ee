//! Accounts: the role matrix, sign-in pages and CSRF, throttling, tokens, password reset,
//! admin management of users, audit.

use crate::common::TestApp;
use crate::support::*;
use domain::entities::values::Role;
use domain::entities::{api_token, audit_log, outbox, user};
use rocket::http::{Header, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

const ROLES: [Role; 5] = [
    Role::Admin,
    Role::Coordinator,
    Role::Instructor,
    Role::Participant,
    Role::Reviewer,
];

/// Expected status per caller: anonymous, then each role in `ROLES` order.
struct Row {
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    expected: [u16; 6],
}

#[rocket::async_test]
async fn every_api_route_answers_each_role_as_specified() {
    let app = TestApp::with_demo().await;
    let mut tokens = Vec::new();
    for role in ROLES {
        let (email, password) = demo_account(role);
        tokens.push(token(&app, email, password).await);
    }
    let participant_id = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Participant))
        .expect_one(app.db())
        .await
        .id;
    let any = [401, 200, 200, 200, 200, 200];
    let admin_only = [401, 200, 403, 403, 403, 403];
    let admin_creates = [401, 201, 403, 403, 403, 403];
    let mut rows = vec![
        Row {
            method: "GET",
            path: "/api/v1/me".into(),
            body: None,
            expected: any,
        },
        Row {
            method: "GET",
            path: "/api/v1/me/data".into(),
            body: None,
            expected: any,
        },
        Row {
            method: "GET",
            path: "/api/v1/departments".into(),
            body: None,
            expected: any,
        },
        Row {
            method: "GET",
            path: "/api/v1/municipalities?department=18".into(),
            body: None,
            expected: any,
        },
        Row {
            method: "GET",
            path: "/api/v1/capacities".into(),
            body: None,
            expected: any,
        },
        Row {
            method: "GET",
            path: "/api/v1/users".into(),
            body: None,
            expected: admin_only,
        },
        Row {
            method: "PATCH",
            path: "/api/v1/capacities/1".into(),
            body: Some(json!({"description": "Planes de desarrollo y seguimiento."})),
            expected: admin_only,
        },
        Row {
            method: "PATCH",
            path: format!("/api/v1/users/{participant_id}"),
            body: Some(json!({"full_name": "María Fernanda Muñoz Peña"})),
            expected: admin_only,
        },
    ];
    for (n, row) in rows.iter_mut().enumerate() {
        row.path = row.path.replace("{n}", &n.to_string());
    }
    for row in &rows {
        for (caller, expected) in row.expected.iter().enumerate() {
            let token = (caller > 0).then(|| tokens[caller - 1].as_str());
            let (status, _) = api(&app, row.method, &row.path, token, row.body.clone()).await;
            assert_eq!(
                status.code, *expected,
                "{} {} as caller {caller}",
                row.method, row.path
            );
        }
    }
    // Creations need a fresh body per caller (codes and emails are unique).
    for (caller, expected) in admin_creates.iter().enumerate() {
        let token = (caller > 0).then(|| tokens[caller - 1].as_str());
        let body = json!({"code": format!("capacidad_{caller}"), "name": "Gestión del riesgo", "description": "Prevención y atención de desastres."});
        let (status, _) = api_post(&app, "/api/v1/capacities", token, body).await;
        assert_eq!(
            status.code, *expected,
            "POST /capacities as caller {caller}"
        );
        let body = json!({"email": format!("nuevo{caller}@example.org"), "password": "Clave-segura-2026",
                          "full_name": "Persona Nueva", "role": "coordinator"});
        let (status, _) = api_post(&app, "/api/v1/users", token, body).await;
        assert_eq!(status.code, *expected, "POST /users as caller {caller}");
    }
    // Revoking one's token: anonymous 401, everyone else 204 — last, as it spends the tokens.
    api_delete(&app, "/api/v1/tokens/current", None)
        .await
        .expect_status(Status::Unauthorized);
    for token in &tokens {
        api_delete(&app, "/api/v1/tokens/current", Some(token))
            .await
            .expect_status(Status::NoContent);
    }
}

#[rocket::async_test]
async fn pages_answer_each_role_as_specified() {
    let app = TestApp::with_demo().await;
    // Anonymous visitors are sent to sign in, and come back afterwards.
    let response = app.client.get("/admin/usuarios").dispatch().await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(
        response.headers().get_one("Location"),
        Some("/ingresar?siguiente=%2Fadmin%2Fusuarios")
    );
    let pages = [
        ("/admin/usuarios", [200, 403, 403, 403, 403]),
        ("/admin/auditoria", [200, 403, 403, 403, 403]),
        ("/admin/correos", [200, 403, 403, 403, 403]),
        ("/perfil", [403, 403, 403, 200, 403]),
        ("/perfil/datos.json", [403, 403, 403, 200, 403]),
        ("/", [200, 200, 200, 200, 200]),
    ];
    for (n, role) in ROLES.iter().enumerate() {
        let (email, password) = demo_account(*role);
        assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
        for (path, expected) in &pages {
            let status = app.client.get(*path).dispatch().await.status();
            assert_eq!(status.code, expected[n], "{path} as {role}");
        }
    }
}

#[rocket::async_test]
async fn each_role_gets_its_own_home_and_a_reviewer_sees_only_their_department() {
    let app = TestApp::with_demo().await;
    let expectations = [
        (Role::Admin, "Administración"),
        (Role::Coordinator, "Su oferta (ESAP)"),
        (Role::Instructor, "Mis cohortes"),
        (Role::Participant, "Mis cursos"),
        (Role::Reviewer, "Gobernación: Caquetá"),
    ];
    for (role, heading) in expectations {
        let (email, password) = demo_account(role);
        sign_in_page(&app, email, password).await;
        let html = body_of(&app.client, "/").await;
        assert!(html.contains(heading), "{role} home shows {heading}");
        if role == Role::Reviewer {
            assert!(html.contains("Planeación Territorial · Caquetá PDET 2026-II"));
            assert!(
                html.contains("Rendición Pública de Cuentas · Caquetá y Meta 2027-I"),
                "department-wide target"
            );
            assert!(
                !html.contains("Macarena–Guaviare"),
                "a Meta-only cohort is not shown in Caquetá"
            );
        }
        if role == Role::Participant {
            assert!(html.contains("Planeación Territorial · Caquetá PDET 2026-II"));
        }
    }
    // A reviewer of Meta sees the opposite.
    let admin = token(
        &app,
        demo_account(Role::Admin).0,
        demo_account(Role::Admin).1,
    )
    .await;
    let body = json!({"email": "revisor.meta@example.org", "password": "Gobernacion-2026", "full_name": "Revisor Meta",
                      "role": "reviewer", "department_code": "50"});
    assert_eq!(
        api_post(&app, "/api/v1/users", Some(&admin), body).await.0,
        Status::Created
    );
    sign_in_page(&app, "revisor.meta@example.org", "Gobernacion-2026").await;
    let html = body_of(&app.client, "/").await;
    assert!(html.contains("Gobernación: Meta"));
    assert!(html.contains("Macarena–Guaviare"));
    assert!(!html.contains("Planeación Territorial · Caquetá PDET"));
}

#[rocket::async_test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Admin);
    // No token, then a forged one: refused, and no session starts.
    let response = post_form(
        &app,
        "/ingresar",
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(response.status(), Status::Forbidden);
    let page = response.into_string().await.unwrap();
    assert!(page.contains("El formulario expiró o no es válido"));
    let response = post_form(
        &app,
        "/ingresar",
        &[
            ("csrf_token", "falso"),
            ("email", email),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(
        app.client.get("/admin/usuarios").dispatch().await.status(),
        Status::SeeOther
    );

    // Signed in, a state-changing admin form still needs the token.
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let users_before = user::Entity::find().fetch_count(app.db()).await;
    let fields = [
        ("email", "otro@example.org"),
        ("full_name", "Otro"),
        ("password", "Clave-segura-2026"),
        ("role", "coordinator"),
    ];
    assert_eq!(
        post_form(&app, "/admin/usuarios", &fields).await.status(),
        Status::Forbidden
    );
    assert_eq!(
        user::Entity::find().fetch_count(app.db()).await,
        users_before
    );
    let csrf = csrf_from(&app, "/admin/usuarios").await;
    let mut with_token = fields.to_vec();
    with_token.push(("csrf_token", &csrf));
    assert_eq!(
        post_form(&app, "/admin/usuarios", &with_token)
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        user::Entity::find().fetch_count(app.db()).await,
        users_before + 1
    );

    // Signing out needs it too.
    assert_eq!(
        post_form(&app, "/salir", &[]).await.status(),
        Status::Forbidden
    );
    assert_eq!(
        app.client.get("/admin/usuarios").dispatch().await.status(),
        Status::Ok
    );
    assert_eq!(
        post_form(&app, "/salir", &[("csrf_token", &csrf)])
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        app.client.get("/admin/usuarios").dispatch().await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn wrong_passwords_are_refused_in_spanish_and_throttled_per_account() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Coordinator);
    let csrf = csrf_from(&app, "/ingresar").await;
    let response = post_form(
        &app,
        "/ingresar",
        &[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", "equivocada-1"),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("Correo o contraseña incorrectos.")
    );
    for _ in 0..4 {
        let body = api_post(
            &app,
            "/api/v1/tokens",
            None,
            json!({"email": email, "password": "equivocada-1"}),
        )
        .await
        .expect_status(Status::Unauthorized);
        assert_eq!(body["detail"], "Correo o contraseña incorrectos.");
    }
    // Five failures from this address: now even the right password waits here (a stranger
    // elsewhere cannot cause it; see `account_security`).
    let body = api_post(
        &app,
        "/api/v1/tokens",
        None,
        json!({"email": email, "password": password}),
    )
    .await
    .expect_status(Status::TooManyRequests);
    assert!(json_str(&body["detail"]).contains("Demasiados intentos"));
    let response = post_form(
        &app,
        "/ingresar",
        &[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::TooManyRequests);
    // Another account is not affected.
    let (admin_email, admin_password) = demo_account(Role::Admin);
    token(&app, admin_email, admin_password).await;
}

#[rocket::async_test]
async fn repeated_failures_from_one_address_are_throttled() {
    let app = TestApp::with_demo().await;
    // The address is the connection's (no trusted proxy is configured in tests).
    let from = |ip: &'static str| std::net::SocketAddr::new(ip.parse().unwrap(), 41000);
    for n in 0..20 {
        let response = app
            .client
            .post("/api/v1/tokens")
            .remote(from("203.0.113.7"))
            .header(rocket::http::ContentType::JSON)
            .body(json!({"email": format!("nadie{n}@example.org"), "password": "x"}).to_string())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Unauthorized);
    }
    let (email, password) = demo_account(Role::Participant);
    let body = json!({"email": email, "password": password}).to_string();
    let blocked = app
        .client
        .post("/api/v1/tokens")
        .remote(from("203.0.113.7"))
        .header(rocket::http::ContentType::JSON)
        .body(body.clone())
        .dispatch()
        .await;
    assert_eq!(blocked.status(), Status::TooManyRequests);
    assert_eq!(blocked.headers().get_one("Retry-After"), Some("60"));
    let elsewhere = app
        .client
        .post("/api/v1/tokens")
        .remote(from("198.51.100.20"))
        .header(rocket::http::ContentType::JSON)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(elsewhere.status(), Status::Created);
}

#[rocket::async_test]
async fn tokens_are_stored_hashed_expire_and_can_be_revoked() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    let response = app
        .client
        .post("/api/v1/tokens")
        .header(rocket::http::ContentType::JSON)
        .body(json!({"email": email.to_uppercase(), "password": password}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created);
    let body: serde_json::Value = response.into_json().await.unwrap();
    let token = json_str(&body["token"]).to_string();
    assert_eq!(body["user"]["role"], "reviewer");
    assert_eq!(body["user"]["department_code"], "18");
    assert!(json_str(&body["expires_at"]).ends_with("-05:00"));
    let stored = api_token::Entity::find().fetch_all(app.db()).await;
    assert!(
        stored
            .iter()
            .all(|t| t.token_hash != token && t.token_hash.len() == 64)
    );

    let me = api_get(&app, "/api/v1/me", Some(&token))
        .await
        .expect_status(Status::Ok);
    assert_eq!(me["email"], email);

    // Expired: refused.
    sea_orm::ConnectionTrait::execute_unprepared(
        app.db(),
        "UPDATE api_tokens SET expires_at = '2020-01-01 00:00:00+00:00'",
    )
    .await
    .unwrap();
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&token)).await.0,
        Status::Unauthorized
    );

    // Revoked: refused.
    let token = crate::support::token(&app, email, password).await;
    assert_eq!(
        api_delete(&app, "/api/v1/tokens/current", Some(&token))
            .await
            .0,
        Status::NoContent
    );
    let body = api_get(&app, "/api/v1/me", Some(&token))
        .await
        .expect_status(Status::Unauthorized);
    assert_eq!(body["title"], "No autenticado");
    // A malformed header is not anonymous access either.
    let response = app
        .client
        .get("/api/v1/departments")
        .header(Header::new("Authorization", "Basic abc"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    // The API never accepts the browser's session cookie.
    sign_in_page(&app, email, password).await;
    assert_eq!(
        app.client.get("/api/v1/me").dispatch().await.status(),
        Status::Unauthorized
    );
}

fn reset_link(body: &str) -> String {
    let start = body
        .find("/contrasena/restablecer/")
        .expect("reset link in the email");
    body[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

#[rocket::async_test]
async fn password_reset_links_work_once() {
    let app = TestApp::with_demo().await;
    let (email, old_password) = demo_account(Role::Participant);
    let old_token = token(&app, email, old_password).await;

    // Unknown addresses get the same answer and no email.
    let csrf = csrf_from(&app, "/contrasena/olvido").await;
    let response = post_form(
        &app,
        "/contrasena/olvido",
        &[("csrf_token", &csrf), ("email", "nadie@example.org")],
    )
    .await;
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("Si el correo corresponde a una cuenta activa")
    );
    assert_eq!(outbox::Entity::find().fetch_count(app.db()).await, 0);

    let response = post_form(
        &app,
        "/contrasena/olvido",
        &[("csrf_token", &csrf), ("email", email)],
    )
    .await;
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("Si el correo corresponde a una cuenta activa")
    );
    let mail = outbox::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .expect("reset email queued");
    assert_eq!(mail.recipient, email);
    let link = reset_link(&mail.body_text);

    let form = body_of(&app.client, link.as_str()).await;
    assert!(form.contains("Nueva contraseña"));
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("password", "Nueva-clave-2026"),
        ("password_confirmation", "Otra-clave-2026"),
    ];
    let mismatch = post_form(&app, &link, &fields).await;
    assert_eq!(mismatch.status(), Status::UnprocessableEntity);
    assert!(
        mismatch
            .into_string()
            .await
            .unwrap()
            .contains("Las contraseñas no coinciden.")
    );

    let fields = [
        ("csrf_token", csrf.as_str()),
        ("password", "Nueva-clave-2026"),
        ("password_confirmation", "Nueva-clave-2026"),
    ];
    let done = post_form(&app, &link, &fields).await;
    assert_eq!(done.status(), Status::SeeOther);
    token(&app, email, "Nueva-clave-2026").await;
    api_post(
        &app,
        "/api/v1/tokens",
        None,
        json!({"email": email, "password": old_password}),
    )
    .await
    .expect_status(Status::Unauthorized);
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&old_token)).await.0,
        Status::Unauthorized,
        "old tokens revoked"
    );

    // The same link again: refused, and the password stays.
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("password", "Tercera-clave-2026"),
        ("password_confirmation", "Tercera-clave-2026"),
    ];
    let again = post_form(&app, &link, &fields).await;
    assert_eq!(again.status(), Status::Conflict);
    assert!(
        again
            .into_string()
            .await
            .unwrap()
            .contains("ya fue usado o expiró")
    );
    token(&app, email, "Nueva-clave-2026").await;

    // An expired link is refused too.
    let response = post_form(
        &app,
        "/contrasena/olvido",
        &[("csrf_token", &csrf), ("email", email)],
    )
    .await;
    assert_eq!(response.status(), Status::Ok);
    let mail = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .expect_one(app.db())
        .await;
    let link = reset_link(&mail.body_text);
    sea_orm::ConnectionTrait::execute_unprepared(
        app.db(),
        "UPDATE password_resets SET expires_at = '2020-01-01 00:00:00+00:00'",
    )
    .await
    .unwrap();
    assert!(
        body_of(&app.client, link.as_str())
            .await
            .contains("ya fue usado o expiró")
    );
    assert_eq!(
        post_form(&app, &link, &fields).await.status(),
        Status::Conflict
    );
}

#[rocket::async_test]
async fn admins_manage_users_and_every_change_is_audited() {
    let app = TestApp::with_demo().await;
    let (admin_email, admin_password) = demo_account(Role::Admin);
    let admin = token(&app, admin_email, admin_password).await;

    // Validation, with Spanish messages, and nothing written.
    let before = user::Entity::find().fetch_count(app.db()).await;
    let body = api_post(
        &app,
        "/api/v1/users",
        Some(&admin),
        json!({"email": "no-es-correo", "password": "corta", "full_name": "", "role": "reviewer"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&body),
        ["email", "password", "full_name", "department_code"]
    );
    let body = api_post(&app, "/api/v1/users", Some(&admin), json!({"email": "x@example.org", "password": "Clave-segura-2026", "full_name": "X", "role": "reviewer", "department_code": "99999"})).await.expect_status(Status::UnprocessableEntity);
    assert!(json_str(&body["errors"][0]["message"]).contains("No existe el departamento"));
    api_post(&app, "/api/v1/users", Some(&admin), json!({"email": "x@example.org", "password": "Clave-segura-2026", "full_name": "X", "role": "rector"})).await.expect_status(Status::UnprocessableEntity);
    assert_eq!(user::Entity::find().fetch_count(app.db()).await, before);

    let created = api_post(&app, "/api/v1/users", Some(&admin), json!({"email": "Instructora@Example.org", "password": "Clave-segura-2026", "full_name": "Instructora Nueva", "role": "instructor"})).await.expect_status(Status::Created);
    assert_eq!(created["email"], "instructora@example.org");
    let id = created["id"].as_i64().unwrap();

    // Promote to reviewer of Meta: role and scope change, audited with before and after.
    let updated = api_patch(
        &app,
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"role": "reviewer", "department_code": "50"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(updated["role"], "reviewer");
    assert_eq!(updated["department_code"], "50");
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("user.role_changed"))
        .one(app.db())
        .await
        .unwrap()
        .expect("role change audited");
    assert_eq!(entry.subject_id, id.to_string());
    assert!(entry.before_json.unwrap().contains("\"instructor\""));
    assert!(entry.after_json.unwrap().contains("\"50\""));
    assert!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("user.created"))
            .one(app.db())
            .await
            .unwrap()
            .is_some()
    );

    // Deactivated: their token stops working and they cannot sign in.
    let their_token = token(&app, "instructora@example.org", "Clave-segura-2026").await;
    api_patch(
        &app,
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"active": false}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(
        api_get(&app, "/api/v1/me", Some(&their_token)).await.0,
        Status::Unauthorized
    );
    api_post(
        &app,
        "/api/v1/tokens",
        None,
        json!({"email": "instructora@example.org", "password": "Clave-segura-2026"}),
    )
    .await
    .expect_status(Status::Unauthorized);

    // An admin cannot lock themself out.
    let admin_id = user::Entity::find()
        .filter(user::Column::Email.eq(admin_email))
        .expect_one(app.db())
        .await
        .id;
    api_patch(
        &app,
        &format!("/api/v1/users/{admin_id}"),
        Some(&admin),
        json!({"active": false}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);

    // The audit page lists and filters the entries.
    sign_in_page(&app, admin_email, admin_password).await;
    let html = body_of(&app.client, "/admin/auditoria?accion=user.role_changed").await;
    // Read in words (issue 61): the action and the record, not their codes.
    assert!(
        html.contains("<td>Cambio de rol</td><td>Usuario "),
        "{html}"
    );
    assert!(!html.contains("Desactivación"));
    let html = body_of(&app.client, "/admin/auditoria?tipo=user").await;
    assert!(
        html.contains("<td>Desactivación</td>") && html.contains("<td>Creación</td>"),
        "{html}"
    );
    assert!(
        html.contains("rol: Coordinación") || html.contains("activo: no"),
        "{html}"
    );
}

#[rocket::async_test]
async fn dashboards_show_the_department_and_the_national_picture_with_charts() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let html = body_of(&app.client, "/").await;
    assert!(html.contains("</strong> con personas en formación"));
    assert!(
        html.contains("<svg role=\"img\""),
        "an inline chart, no JavaScript"
    );
    // Caquetá's pilots, not Meta's.
    assert!(html.contains("Puerto Rico") && html.contains("El Paujíl"));
    assert!(!html.contains("Mapiripán"), "nothing of another department");
    // Issue 66: only the product's one script (the offline queue and worker), no inline one.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the product's script"
    );
    assert!(html.contains("<script src=\"/static/aula."));

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let html = body_of(&app.client, "/").await;
    assert!(html.contains("de 170 municipios PDET con personas en formación"));
    assert!(
        html.contains("<strong>7</strong> de 170"),
        "the seven pilot municipalities are PDET and reached"
    );
    assert!(
        html.contains("Los municipios con más personas en formación")
            && html.contains("<svg role=\"img\"")
    );
    assert!(html.contains("Mapiripán") && html.contains("Puerto Rico"));
}

#[rocket::async_test]
async fn the_capacity_grid_shows_a_department_and_its_gaps() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let response = app.client.get("/reportes/capacidades").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    // Every municipality of Caquetá, the ones with no training included, and none of Meta.
    assert!(
        html.contains("Solano") && html.contains("Florencia"),
        "gaps are shown"
    );
    assert!(html.contains("Puerto Rico") && html.contains("Belén de los Andaquíes"));
    assert!(!html.contains("Mapiripán") && !html.contains("Puerto Lleras"));
    // The demo's planning cohort trained people of Puerto Rico in planning.
    let cell = html
        .split("Puerto Rico, Planeación territorial: ")
        .nth(1)
        .map(|rest| rest.chars().take(30).collect::<String>())
        .unwrap_or_default();
    assert!(
        cell.starts_with("0 certificadas de 3 formadas"),
        "exact cell: {cell}"
    );
    assert!(html.contains("Florencia, Planeación territorial: 0 certificadas de 0 formadas"));
    // Participants have no reports.
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    assert_eq!(
        app.client
            .get("/reportes/capacidades")
            .dispatch()
            .await
            .status(),
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn a_municipality_page_shows_its_training_history_and_indicators_in_scope() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let html = body_of(&app.client, "/municipios/18592").await;
    assert!(html.contains("<h1>Puerto Rico</h1>"));
    assert!(html.contains("Cuenca del Caguán y Piedemonte Caqueteño"));
    // Three people of Puerto Rico in the demo's planning cohort (running: none completed); the
    // demo participant among them also completed the trainers' cohort (issue 48).
    assert!(
        html.contains("3 personas formadas</strong> · <strong>1</strong> aprobaron"),
        "training by capacity: {}",
        html.split("personas formadas")
            .nth(1)
            .unwrap_or(&html)
            .chars()
            .take(300)
            .collect::<String>()
    );
    assert!(
        html.contains("MDM – Movilización de recursos"),
        "the indicators of each capacity"
    );
    // Another department's municipality: 404 for this reviewer.
    assert_eq!(
        app.client
            .get("/municipios/50325")
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    assert_eq!(
        app.client
            .get("/municipios/50325")
            .dispatch()
            .await
            .status(),
        Status::Ok
    );
    assert_eq!(
        app.client
            .get("/municipios/99999")
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
}
