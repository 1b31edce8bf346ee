//! The running server: home page, health check, errors and security headers.

use crate::common::TestApp;
use crate::support::{Fetch, json_str};
use rocket::http::{ContentType, Status};
use sea_orm::DatabaseConnection;

#[rocket::async_test]
async fn home_page_is_in_spanish_and_shows_the_territory() {
    let app = TestApp::new().await;
    let response = app.client.get("/").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let csp = response
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap_or_default()
        .to_string();
    let body = response.into_string().await.unwrap();
    assert!(body.contains("<html lang=\"es-CO\">"));
    assert!(body.contains("Aula Territorial"));
    assert!(body.contains("<strong>1.122</strong> municipios"));
    assert!(body.contains("<strong>170</strong> municipios PDET en 16 subregiones"));
    // Every count of the one statement in its place.
    assert!(body.contains("<strong>33</strong> departamentos"));
    assert!(body.contains("<strong>5</strong> capacidades municipales"));
    let courses = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        domain::entities::course::Entity::find()
            .filter(domain::entities::course::Column::RetiredAt.is_null())
            .fetch_count(app.db())
            .await
    };
    assert!(
        body.contains(&format!("<strong>{courses}</strong> líneas temáticas")),
        "{courses} courses"
    );
    assert!(body.contains("Gobierno abierto y transparencia"));
    assert!(csp.contains("default-src 'self'"));
}

#[rocket::async_test]
async fn health_reports_the_database() {
    let app = TestApp::new().await;
    let response = app.client.get("/health").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");

    // With the database gone, a load balancer must see 503.
    let db: DatabaseConnection = app.db().clone();
    db.close().await.expect("close pool");
    let response = app.client.get("/health").dispatch().await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
}

#[rocket::async_test]
async fn unknown_api_paths_answer_problem_json_in_spanish() {
    let app = TestApp::new().await;
    let response = app.client.get("/api/v1/no-existe").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "problem+json"))
    );
    let body: serde_json::Value = response.into_json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "No encontrado");
    assert!(json_str(&body["detail"]).contains("No encontramos"));
}

#[rocket::async_test]
async fn unknown_pages_answer_a_spanish_page() {
    let app = TestApp::new().await;
    let response = app.client.get("/no-existe").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let body = response.into_string().await.unwrap();
    assert!(body.contains("No encontrado"));
    assert!(body.contains("Volver al inicio"));
}

/// Issue 18: pages and JSON travel gzip-compressed when the client accepts it; small answers
/// and files that are compressed already go as they are.
#[rocket::async_test]
async fn text_answers_are_compressed_for_clients_that_accept_gzip() {
    use std::io::Read;
    let app = crate::common::TestApp::with_demo().await;
    let plain = app.client.get("/").dispatch().await;
    assert_eq!(plain.headers().get_one("Content-Encoding"), None);
    assert_eq!(plain.headers().get_one("Vary"), Some("Accept-Encoding"));
    let plain = plain.into_string().await.unwrap();

    let response = app
        .client
        .get("/")
        .header(rocket::http::Header::new(
            "Accept-Encoding",
            "br, gzip;q=0.8",
        ))
        .dispatch()
        .await;
    assert_eq!(response.headers().get_one("Content-Encoding"), Some("gzip"));
    let compressed = response.into_bytes().await.unwrap();
    assert!(
        compressed.len() * 2 < plain.len(),
        "{} of {}",
        compressed.len(),
        plain.len()
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, plain);

    // Refused by the client (q=0, even beside a wildcard), or too small to gain: as they are.
    for refusal in ["gzip;q=0", "gzip;q=0, *", "*;q=0"] {
        let refused = app
            .client
            .get("/")
            .header(rocket::http::Header::new("Accept-Encoding", refusal))
            .dispatch()
            .await;
        assert_eq!(
            refused.headers().get_one("Content-Encoding"),
            None,
            "{refusal}"
        );
    }
    let small = app
        .client
        .get("/health")
        .header(rocket::http::Header::new("Accept-Encoding", "gzip"))
        .dispatch()
        .await;
    assert_eq!(small.headers().get_one("Content-Encoding"), None);
}

/// Issue 18: an error page shows a signed-in person their own menu, not «Ingresar /
/// Registrarse».
#[rocket::async_test]
async fn error_pages_keep_the_menu_of_whoever_is_signed_in() {
    use domain::entities::values::Role;
    let app = crate::common::TestApp::with_demo().await;
    let (_, anonymous) = crate::support::page(&app, "/no-existe").await;
    assert!(anonymous.contains("Registrarse"));
    let (email, password) = crate::support::demo_account(Role::Participant);
    crate::support::sign_in_page(&app, email, password).await;
    // A signed-in home is for work: no marketing blocks.
    let (_, home) = crate::support::page(&app, "/").await;
    assert!(
        !home.contains("Capacidades que fortalecemos")
            && !home.contains("El territorio en Aula Territorial")
    );
    for path in ["/no-existe", "/coordinacion/cohortes"] {
        let response = app.client.get(path).dispatch().await;
        assert!(response.status().code >= 400, "{path}");
        let html = response.into_string().await.unwrap();
        assert!(
            !html.contains("Registrarse") && !html.contains(">Ingresar<"),
            "{path}: {html}"
        );
        assert!(
            html.contains("Salir") && html.contains("Mis certificados"),
            "{path}"
        );
    }
}
