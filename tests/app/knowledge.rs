//! Issue 48, item 1: the knowledge bank. A provider's coordinator adds resources (a file or a
//! link) as drafts and only its own provider publishes or withdraws them (another provider's →
//! 404); a file too large is a 413, one of the wrong type or with a name that tries to leave
//! its folder a 422, and nothing is stored; a lesson learned needs its structure; anonymous
//! callers find only public ones; a withdrawn resource leaves the search and open data;
//! downloads are counted; a visit's product becomes a resource once.
//!
//! Issue 62, items 1 and 6: a provider's storage is bounded by its quota (413 naming it,
//! nothing stored) and an account's uploads by an hourly rate (429); a resource is deleted by
//! its provider's coordinator or an admin (204; its file 410, its page «retirado»); files may
//! lie under `files_dir`; the bank's use is on the review page and in `/metrics`; downloads
//! count once per account or address per day, robots never.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api, api_delete, api_get, bearer, body_of,
    csrf_from_client, error_fields, json_array, json_items, json_str, page, role_token,
    sign_in_client, token,
};
use domain::entities::values::Role;
use domain::entities::{audit_log, resource, resource_file};
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// A browser's `User-Agent` (a download without one is a robot's).
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

const BOUNDARY: &str = "----aula-banco-prueba";

/// A multipart body with `fields` and, optionally, the file `(name, bytes)`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_resource(
    app: &TestApp,
    token: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (Status, Value) {
    let response = app
        .client
        .post("/api/v1/resources")
        .header(bearer(token))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(multipart(fields, file))
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn capacity(app: &TestApp, token: &str) -> String {
    let (_, body) = api_get(app, "/api/v1/capacities", Some(token)).await;
    body["items"][0]["id"].as_i64().unwrap().to_string()
}

/// A guide with a link, of the caller's provider: its id.
async fn link_guide(app: &TestApp, token: &str, title: &str, visibility: &str) -> i64 {
    let cap = capacity(app, token).await;
    let (status, body) = post_resource(
        app,
        token,
        &[
            ("title", title),
            ("description", "Paso a paso para el informe de gestión."),
            ("kind", "guia"),
            ("url", "https://www.funcionpublica.gov.co/guia"),
            ("capacity_ids", &cap),
            ("visibility", visibility),
            ("stage", "rendicion_cuentas"),
        ],
        None,
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["status"], "draft");
    body["id"].as_i64().unwrap()
}

async fn stored(app: &TestApp) -> (u64, u64) {
    (
        resource::Entity::find().fetch_count(app.db()).await,
        resource_file::Entity::find().fetch_count(app.db()).await,
    )
}

async fn open_json(app: &TestApp) -> String {
    body_of(&app.client, "/open-data/resources.json").await
}

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size, b' ');
    bytes
}

#[rocket::async_test]
async fn a_provider_publishes_only_its_own_resources() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let id = link_guide(&app, &esap, "Guía del informe de gestión", "cuentas").await;
    let path = format!("/api/v1/resources/{id}/publication");

    let (status, _) = api(&app, "POST", &path, Some(&dnp), None).await;
    assert_eq!(status, Status::NotFound, "another provider's resource");
    api(&app, "POST", &path, Some(&reviewer), None)
        .await
        .expect_status(Status::Forbidden);
    let (status, body) = api_get(&app, &format!("/api/v1/resources/{id}"), Some(&dnp)).await;
    assert_eq!(
        status,
        Status::NotFound,
        "a draft is its provider's: {body}"
    );
    api_get(&app, "/api/v1/resources?status=draft", Some(&reviewer))
        .await
        .expect_status(Status::Forbidden);

    let body = api(&app, "POST", &path, Some(&esap), None)
        .await
        .expect_status(Status::Ok);
    assert_eq!(body["status"], "published");
    api(&app, "POST", &path, Some(&esap), None)
        .await
        .expect_status(Status::Conflict);
    api_delete(&app, &path, Some(&dnp))
        .await
        .expect_status(Status::NotFound);

    // Published, anyone signed in reads it; DNP's own drafts never list ESAP's.
    let body = api_get(&app, &format!("/api/v1/resources/{id}"), Some(&dnp))
        .await
        .expect_status(Status::Ok);
    assert_eq!(body["provider"]["id"], 1);
    let dnp_own = link_guide(&app, &dnp, "Kit de planeación territorial", "publico").await;
    let (_, drafts) = api_get(&app, "/api/v1/resources?status=draft", Some(&dnp)).await;
    let ids: Vec<i64> = json_items(&drafts)
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&dnp_own) && !ids.contains(&id), "{ids:?}");
    let (status, _) = api(
        &app,
        "POST",
        &format!("/api/v1/resources/{dnp_own}/publication"),
        Some(&esap),
        None,
    )
    .await;
    assert_eq!(status, Status::NotFound, "ESAP does not publish DNP's");
}

#[rocket::async_test]
async fn a_file_too_large_is_413_and_nothing_is_stored() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let cap = capacity(&app, &esap).await;
    let before = stored(&app).await;
    let fields = [
        ("title", "Grabación del taller"),
        ("description", "El taller completo."),
        ("kind", "guia"),
        ("capacity_ids", cap.as_str()),
    ];
    // Just beyond the bank's limit (the application's refusal) and beyond Rocket's limit.
    for size in [
        domain::knowledge::files::MAX_FILE_BYTES + 1,
        12 * 1024 * 1024,
    ] {
        let (status, body) =
            post_resource(&app, &esap, &fields, Some(("grande.pdf", &pdf(size)))).await;
        assert_eq!(status, Status::PayloadTooLarge, "{size}: {body}");
        assert_eq!(body["status"], 413, "a problem+json of ours: {body}");
        assert!(json_str(&body["detail"]).contains("tamaño"), "{body}");
    }
    assert_eq!(stored(&app).await, before);
    // At the limit it is kept.
    let (status, body) = post_resource(
        &app,
        &esap,
        &fields,
        Some(("justo.pdf", &pdf(domain::knowledge::files::MAX_FILE_BYTES))),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["file"]["content_type"], "application/pdf");
}

#[rocket::async_test]
async fn a_file_of_the_wrong_type_or_an_escaping_name_is_422_and_nothing_is_stored() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let cap = capacity(&app, &esap).await;
    let before = stored(&app).await;
    let fields = [
        ("title", "Plantilla"),
        ("description", "Para el plan."),
        ("kind", "plantilla"),
        ("capacity_ids", cap.as_str()),
    ];
    for (name, bytes) in [
        ("plantilla.pdf", b"MZ\x90\x00 not a pdf".as_slice()),
        ("plantilla.exe", b"MZ\x90\x00".as_slice()),
        ("pagina.html", b"<html><script>alert(1)</script>".as_slice()),
        ("plantilla.docx", b"%PDF-1.7 not a zip".as_slice()),
        ("../../etc/passwd.pdf", b"%PDF-1.7".as_slice()),
        ("..\\..\\windows\\guia.pdf", b"%PDF-1.7".as_slice()),
        ("/etc/guia.pdf", b"%PDF-1.7".as_slice()),
        (".oculto.pdf", b"%PDF-1.7".as_slice()),
    ] {
        let (status, body) = post_resource(&app, &esap, &fields, Some((name, bytes))).await;
        assert_eq!(status, Status::UnprocessableEntity, "{name}: {body}");
        assert!(
            error_fields(&body).contains(&"file".to_string()),
            "{name}: {body}"
        );
        let message = json_str(&body["errors"][0]["message"]);
        assert!(
            !message.is_empty() && !message.contains("Error"),
            "{message}"
        );
    }
    assert_eq!(stored(&app).await, before);
}

#[rocket::async_test]
async fn a_lesson_without_its_structure_is_422_and_with_it_shows_its_sections() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let cap = capacity(&app, &esap).await;
    let before = stored(&app).await;
    let base = [
        ("title", "Lo que aprendimos del presupuesto participativo"),
        ("description", "Una lección de El Paujíl."),
        ("kind", "leccion_aprendida"),
        ("url", "https://example.org/leccion"),
        ("capacity_ids", cap.as_str()),
    ];
    let (status, body) = post_resource(&app, &esap, &base, None).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let fields = error_fields(&body);
    for field in [
        "context",
        "problem",
        "what_was_done",
        "what_worked",
        "evidence",
    ] {
        assert!(fields.contains(&field.to_string()), "{field}: {fields:?}");
    }
    assert_eq!(stored(&app).await, before);

    let mut full = base.to_vec();
    full.extend([
        (
            "context",
            "Alcaldía de categoría 6, primer año de gobierno.",
        ),
        ("problem", "Nadie asistía a las audiencias."),
        ("what_was_done", "Audiencias en las veredas, los sábados."),
        ("what_worked", "Ir a las veredas; anunciar por la emisora."),
        ("evidence", "De 12 a 140 asistentes."),
    ]);
    let (status, body) = post_resource(&app, &esap, &full, None).await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(
        body["lesson"]["what_worked"],
        "Ir a las veredas; anunciar por la emisora."
    );
    let id = body["id"].as_i64().unwrap();
    // The page shows the structure as sections.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&app.client, email, password).await;
    let html = body_of(&app.client, format!("/conocimiento/{id}")).await;
    for heading in [
        "Contexto",
        "Problema",
        "Qué se hizo",
        "Qué funcionó",
        "Evidencia",
    ] {
        assert!(html.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    assert!(html.contains("Borrador"));
}

#[rocket::async_test]
async fn anonymous_callers_find_only_public_resources_and_a_withdrawn_one_disappears() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let participant = role_token(&app, Role::Participant).await;
    let public = link_guide(&app, &esap, "Guía pública zanahoria", "publico").await;
    let accounts = link_guide(&app, &esap, "Guía interna zanahoria", "cuentas").await;
    for id in [public, accounts] {
        api(
            &app,
            "POST",
            &format!("/api/v1/resources/{id}/publication"),
            Some(&esap),
            None,
        )
        .await
        .expect_status(Status::Ok);
    }
    let found = async |token: Option<&str>| -> Vec<i64> {
        let body = api_get(&app, "/api/v1/resources?q=ZANAHORIA", token)
            .await
            .expect_status(Status::Ok);
        json_items(&body)
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(found(None).await, vec![public]);
    let mut signed_in = found(Some(&participant)).await;
    signed_in.sort();
    assert_eq!(signed_in, vec![public, accounts]);
    api_get(&app, &format!("/api/v1/resources/{accounts}"), None)
        .await
        .expect_status(Status::NotFound);
    api_get(&app, &format!("/api/v1/resources/{public}"), None)
        .await
        .expect_status(Status::Ok);

    // Open data and the public page carry the public one only.
    let json: Value = serde_json::from_str(&open_json(&app).await).unwrap();
    let ids: Vec<i64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id_recurso"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&public) && !ids.contains(&accounts), "{ids:?}");
    let csv = body_of(&app.client, "/open-data/resources.csv").await;
    assert!(csv.contains("Guía pública zanahoria") && !csv.contains("Guía interna"));
    let html = body_of(&app.client, "/banco-de-conocimiento?q=zanahoria").await;
    assert!(html.contains("Guía pública zanahoria") && !html.contains("Guía interna"));

    // Withdrawn: out of the search, open data and the anonymous reader's reach.
    let body = api_delete(
        &app,
        &format!("/api/v1/resources/{public}/publication"),
        Some(&esap),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(body["status"], "unpublished");
    assert!(found(None).await.is_empty());
    assert_eq!(found(Some(&participant)).await, vec![accounts]);
    let json: Value = serde_json::from_str(&open_json(&app).await).unwrap();
    assert!(
        !json
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id_recurso"].as_i64() == Some(public))
    );
    api_get(&app, &format!("/api/v1/resources/{public}"), None)
        .await
        .expect_status(Status::NotFound);
    api_delete(
        &app,
        &format!("/api/v1/resources/{public}/publication"),
        Some(&esap),
    )
    .await
    .expect_status(Status::Conflict);
}

#[rocket::async_test]
async fn downloads_are_served_safely_and_counted() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let cap = capacity(&app, &esap).await;
    let (status, body) = post_resource(
        &app,
        &esap,
        &[
            ("title", "Guía de rendición de cuentas"),
            ("description", "Paso a paso."),
            ("kind", "guia"),
            ("capacity_ids", cap.as_str()),
            ("visibility", "publico"),
        ],
        Some(("Guía rendición 2026.pdf", &pdf(2_000))),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    let id = body["id"].as_i64().unwrap();
    let file = format!("/api/v1/resources/{id}/file");
    // A draft's file is its provider's only, and its reading is not counted.
    let response = app.client.get(file.clone()).dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
    let response = app
        .client
        .get(file.clone())
        .header(bearer(&esap))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    api(
        &app,
        "POST",
        &format!("/api/v1/resources/{id}/publication"),
        Some(&esap),
        None,
    )
    .await;
    for _ in 0..3 {
        let response = app
            .client
            .get(file.clone())
            .header(Header::new("User-Agent", BROWSER))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok);
        let headers = response.headers();
        assert_eq!(headers.get_one("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(headers.get_one("Content-Type"), Some("application/pdf"));
        let disposition = headers.get_one("Content-Disposition").unwrap().to_string();
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(
            disposition.contains("filename*=UTF-8''Gu%C3%ADa%20rendici%C3%B3n%202026.pdf"),
            "{disposition}"
        );
        assert_eq!(response.into_bytes().await.unwrap(), pdf(2_000));
    }
    let (_, body) = api_get(&app, &format!("/api/v1/resources/{id}"), None).await;
    assert_eq!(body["downloads"], 1, "one visitor, one day: one download");
}

#[rocket::async_test]
async fn a_visit_product_becomes_a_resource_once_and_the_assistance_lists_it() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let cap = capacity(&app, &esap).await;
    let (_, list) = api_get(&app, "/api/v1/assistances?provider=1", Some(&esap)).await;
    let mut product = None;
    for assistance in json_items(&list) {
        let id = assistance["id"].as_i64().unwrap();
        let (_, visits) = api_get(
            &app,
            &format!("/api/v1/assistances/{id}/visits"),
            Some(&esap),
        )
        .await;
        for visit in json_items(&visits) {
            for p in json_array(&visit["products"]) {
                let taken = domain::knowledge::banked_products(app.db(), id as i32)
                    .await
                    .unwrap();
                if product.is_none() && !taken.contains(&(p["id"].as_i64().unwrap() as i32)) {
                    product = Some((id, p["id"].as_i64().unwrap()));
                }
            }
        }
    }
    let (assistance, product) = product.expect("an ESAP assistance with a product not in the bank");
    let product_id = product.to_string();
    let fields = [
        ("title", "Matriz de seguimiento del plan"),
        ("description", "La herramienta entregada en la visita."),
        ("kind", "herramienta"),
        ("capacity_ids", cap.as_str()),
        ("visit_product_id", product_id.as_str()),
    ];
    let file = Some(("matriz.csv", "meta;avance\n1;50\n".as_bytes()));
    let (status, body) = post_resource(&app, &dnp, &fields, file).await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "another provider's product: {body}"
    );
    let (status, body) = post_resource(&app, &esap, &fields, file).await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["origin"]["assistance"]["id"], assistance);
    assert_eq!(body["origin"]["visit_product"]["id"], product);
    let (status, body) = post_resource(&app, &esap, &fields, file).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(error_fields(&body).contains(&"visit_product_id".to_string()));

    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&app.client, email, password).await;
    let html = body_of(&app.client, format!("/asistencias/{assistance}")).await;
    assert!(html.contains("Productos y materiales en el banco"));
    assert!(html.contains("Matriz de seguimiento del plan"));
}

#[rocket::async_test]
async fn the_page_form_keeps_what_was_typed_and_the_review_publishes_after_confirming() {
    let app = TestApp::with_demo().await;
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&app.client, email, password).await;
    let csrf = csrf_from_client(&app.client, "/conocimiento/nuevo").await;
    let before = stored(&app).await;
    let body = multipart(
        &[
            ("csrf_token", &csrf),
            ("title", "Buena práctica de Belén"),
            ("description", "Cómo recaudaron el predial."),
            ("kind", "buena_practica"),
            ("context", "Municipio PDET de categoría 6."),
        ],
        Some(("../fuera.pdf", b"%PDF-1.7")),
    );
    let response = app
        .client
        .post("/conocimiento/nuevo")
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Revise estos datos"));
    assert!(html.contains("value=\"Buena práctica de Belén\""));
    assert!(html.contains("Municipio PDET de categoría 6.</textarea>"));
    assert!(html.contains("elíjalo de nuevo"));
    assert!(html.contains("id=\"error-file\"") || html.contains("error-file"));
    assert_eq!(stored(&app).await, before);

    let esap = role_token(&app, Role::Coordinator).await;
    let id = link_guide(&app, &esap, "Guía para revisar", "cuentas").await;
    let review = body_of(&app.client, "/conocimiento/revision").await;
    assert!(review.contains("Guía para revisar"));
    let csrf = csrf_from_client(&app.client, "/conocimiento/revision").await;
    let post = async |confirmed: bool| {
        let mut body = format!("csrf_token={csrf}");
        if confirmed {
            body.push_str("&confirmed=true");
        }
        app.client
            .post(format!("/conocimiento/{id}/publicar"))
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await
    };
    let response = post(false).await;
    assert_eq!(response.status(), Status::Ok);
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("Sí, publicar")
    );
    let (_, body) = api_get(&app, &format!("/api/v1/resources/{id}"), Some(&esap)).await;
    assert_eq!(body["status"], "draft", "nothing happens before confirming");
    let response = post(true).await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, body) = api_get(&app, &format!("/api/v1/resources/{id}"), Some(&esap)).await;
    assert_eq!(body["status"], "published");
}

#[rocket::async_test]
async fn the_handover_lists_what_the_municipality_received() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let cap = capacity(&app, &esap).await;
    let (_, list) = api_get(
        &app,
        "/api/v1/assistances?municipality=18256&provider=1",
        Some(&esap),
    )
    .await;
    let assistance = list["items"][0]["id"].as_i64().unwrap().to_string();
    let (status, body) = post_resource(
        &app,
        &esap,
        &[
            ("title", "Cartilla entregada a El Paujíl"),
            ("description", "Para el nuevo equipo."),
            ("kind", "guia"),
            ("url", "https://example.org/cartilla"),
            ("capacity_ids", cap.as_str()),
            ("assistance_id", assistance.as_str()),
        ],
        None,
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    let id = body["id"].as_i64().unwrap() as i32;
    let handed = domain::knowledge::handed_to_municipality(app.db(), "18256")
        .await
        .unwrap();
    assert!(
        !handed.iter().any(|r| r.id == id),
        "a draft is not handed over"
    );
    api(
        &app,
        "POST",
        &format!("/api/v1/resources/{id}/publication"),
        Some(&esap),
        None,
    )
    .await;
    let handed = domain::knowledge::handed_to_municipality(app.db(), "18256")
        .await
        .unwrap();
    let mine = handed.iter().find(|r| r.id == id).expect("handed over");
    assert_eq!(mine.url.as_deref(), Some("https://example.org/cartilla"));
    let elsewhere = domain::knowledge::handed_to_municipality(app.db(), "50325")
        .await
        .unwrap();
    assert!(!elsewhere.iter().any(|r| r.id == id));
    // The handover lists it, and a visit's product that is in the bank once, as its resource.
    let (_, handover) = api_get(&app, "/api/v1/municipalities/18256/handover", Some(&esap)).await;
    let resources = handover["resources"].as_array().expect("resources");
    assert!(
        resources
            .iter()
            .any(|r| r["source"] == "knowledge_bank" && r["id"] == id),
        "{handover}"
    );
    let guide: Vec<_> = resources
        .iter()
        .filter(|r| r["title"] == "Guía para la formulación del plan indicativo")
        .collect();
    assert_eq!(guide.len(), 1, "{resources:?}");
    assert_eq!(guide[0]["source"], "knowledge_bank");
}

// ---------------------------------------------------------------------------------------------
// Issue 62: bounded storage, deletion, downloads that mean something

/// A file guide of the caller's provider (`size` bytes of PDF): its status and body.
async fn file_guide(
    app: &TestApp,
    token: &str,
    title: &str,
    visibility: &str,
    size: usize,
) -> (Status, Value) {
    let cap = capacity(app, token).await;
    post_resource(
        app,
        token,
        &[
            ("title", title),
            ("description", "La guía completa, en PDF."),
            ("kind", "guia"),
            ("capacity_ids", &cap),
            ("visibility", visibility),
        ],
        Some(("guia.pdf", &pdf(size))),
    )
    .await
}

/// A published public file guide of ESAP's coordinator: its id.
async fn published_public_guide(app: &TestApp, esap: &str, title: &str) -> i64 {
    let (status, body) = file_guide(app, esap, title, "publico", 3_000).await;
    assert_eq!(status, Status::Created, "{body}");
    let id = body["id"].as_i64().unwrap();
    api(
        app,
        "POST",
        &format!("/api/v1/resources/{id}/publication"),
        Some(esap),
        None,
    )
    .await
    .expect_status(Status::Ok);
    id
}

#[rocket::async_test]
async fn a_quota_exceeded_is_413_naming_it_and_nothing_is_stored() {
    let app =
        TestApp::with_config(&[("demo_data", json!(true)), ("bank_quota_mib", json!(1))]).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    // The demo's files are a few KB: 600 KB fits in ESAP's MiB once.
    let (status, body) = file_guide(&app, &esap, "Grabación 1", "cuentas", 600 * 1024).await;
    assert_eq!(status, Status::Created, "{body}");
    let first = body["id"].as_i64().unwrap();
    let before = stored(&app).await;
    let (status, body) = file_guide(&app, &esap, "Grabación 2", "cuentas", 600 * 1024).await;
    assert_eq!(status, Status::PayloadTooLarge, "{body}");
    assert_eq!(body["status"], 413, "{body}");
    let detail = json_str(&body["detail"]);
    assert!(
        detail.contains("límite de almacenamiento") && detail.contains("1 MiB"),
        "the quota named: {detail}"
    );
    assert_eq!(stored(&app).await, before, "nothing stored");
    // A link takes no storage; another provider has its own quota.
    link_guide(&app, &esap, "Una guía enlazada", "cuentas").await;
    let (status, body) = file_guide(&app, &dnp, "Kit del DNP", "cuentas", 600 * 1024).await;
    assert_eq!(status, Status::Created, "{body}");
    // Deleting the first frees its room.
    api_delete(&app, &format!("/api/v1/resources/{first}"), Some(&esap))
        .await
        .expect_status(Status::NoContent);
    let (status, body) = file_guide(&app, &esap, "Grabación 2", "cuentas", 600 * 1024).await;
    assert_eq!(status, Status::Created, "{body}");
}

#[rocket::async_test]
async fn uploads_beyond_the_hourly_rate_are_429() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("bank_uploads_per_hour", json!(3)),
    ])
    .await;
    // DNP's coordinator added no file with the demo data (ESAP's did, within the hour).
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let admin = role_token(&app, Role::Admin).await;
    for n in 0..3 {
        let (status, body) = file_guide(&app, &dnp, &format!("Guía {n}"), "cuentas", 2_000).await;
        assert_eq!(status, Status::Created, "{body}");
    }
    let before = stored(&app).await;
    let cap = capacity(&app, &dnp).await;
    let response = app
        .client
        .post("/api/v1/resources")
        .header(bearer(&dnp))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(multipart(
            &[
                ("title", "Guía 4"),
                ("description", "Una más."),
                ("kind", "guia"),
                ("capacity_ids", &cap),
            ],
            Some(("guia.pdf", &pdf(2_000))),
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::TooManyRequests);
    let wait: u64 = response
        .headers()
        .get_one("Retry-After")
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 3_000 && wait <= 3_600, "{wait}");
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert!(json_str(&body["detail"]).contains("Espere"), "{body}");
    assert_eq!(stored(&app).await, before, "nothing stored");
    // Links are not uploads; another account has its own rate.
    link_guide(&app, &dnp, "Una guía enlazada", "cuentas").await;
    let (status, body) = file_guide(&app, &admin, "Guía de la ESAP", "cuentas", 2_000).await;
    assert_eq!(status, Status::Created, "{body}");
}

#[rocket::async_test]
async fn a_deleted_resource_is_gone_and_its_page_says_retirado() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let admin = role_token(&app, Role::Admin).await;
    let id = published_public_guide(&app, &esap, "Guía que se retira").await;
    let path = format!("/api/v1/resources/{id}");
    let file = format!("/api/v1/resources/{id}/file");

    let (status, _) = api_delete(&app, &path, Some(&dnp)).await;
    assert_eq!(status, Status::NotFound, "another provider's coordinator");
    api_delete(&app, &path, Some(&reviewer))
        .await
        .expect_status(Status::Forbidden);
    api_delete(&app, &path, None)
        .await
        .expect_status(Status::Unauthorized);
    let (status, html) = page(&app, &format!("/banco-de-conocimiento/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("retirado del banco"), "{html}");

    api_delete(&app, &path, Some(&esap))
        .await
        .expect_status(Status::NoContent);
    let response = app
        .client
        .get(file.clone())
        .header(Header::new("User-Agent", BROWSER))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Gone);
    let body = api_get(&app, &path, None).await.expect_status(Status::Gone);
    assert!(json_str(&body["detail"]).contains("retirado"), "{body}");
    let (status, html) = page(&app, &format!("/banco-de-conocimiento/{id}")).await;
    assert_eq!(status, Status::Gone);
    assert!(html.contains("Guía que se retira"), "{html}");
    assert!(html.contains("retirado del banco"), "{html}");
    assert!(!html.contains("/archivo"), "no download offered: {html}");
    // Its bytes are gone; it leaves the search and open data; the deletion is audited.
    assert_eq!(
        resource_file::Entity::find_by_id(id as i32)
            .one(app.db())
            .await
            .unwrap(),
        None
    );
    let (_, list) = api_get(&app, "/api/v1/resources", None).await;
    assert!(!json_items(&list).iter().any(|r| r["id"] == id), "{list}");
    assert!(!open_json(&app).await.contains("Guía que se retira"));
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("resource.deleted"))
        .filter(audit_log::Column::SubjectId.eq(id.to_string()))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 1);
    // Nothing more is done with it.
    api_delete(&app, &path, Some(&esap))
        .await
        .expect_status(Status::Gone);
    api(
        &app,
        "POST",
        &format!("{path}/publication"),
        Some(&esap),
        None,
    )
    .await
    .expect_status(Status::Gone);

    // An admin deletes any provider's; a draft deleted shows nobody else a page.
    let (_, body) = file_guide(&app, &dnp, "Borrador del DNP", "publico", 2_000).await;
    let draft = body["id"].as_i64().unwrap();
    api_delete(&app, &format!("/api/v1/resources/{draft}"), Some(&admin))
        .await
        .expect_status(Status::NoContent);
    let (status, _) = page(&app, &format!("/banco-de-conocimiento/{draft}")).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_page_deletes_after_confirming() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let id = published_public_guide(&app, &esap, "Guía para eliminar").await;
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&app.client, email, password).await;
    let html = body_of(&app.client, format!("/conocimiento/{id}")).await;
    assert!(
        html.contains(&format!("action=\"/conocimiento/{id}/eliminar\"")),
        "{html}"
    );
    let csrf = csrf_from_client(&app.client, &format!("/conocimiento/{id}")).await;
    let post = async |confirmed: bool| {
        let mut body = format!("csrf_token={csrf}");
        if confirmed {
            body.push_str("&confirmed=true");
        }
        app.client
            .post(format!("/conocimiento/{id}/eliminar"))
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await
    };
    let response = post(false).await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Sí, eliminar") && html.contains("guia.pdf"),
        "{html}"
    );
    let (status, _) = api_get(&app, &format!("/api/v1/resources/{id}"), None).await;
    assert_eq!(status, Status::Ok, "nothing happens before confirming");
    let response = post(true).await;
    assert_eq!(response.status(), Status::SeeOther);
    api_get(&app, &format!("/api/v1/resources/{id}"), None)
        .await
        .expect_status(Status::Gone);
}

/// The confirmations ask the domain's rules (`knowledge::may_publish`, `may_withdraw`,
/// `may_delete`), the ones the API applies: one rule, one message (issue 63). A deleted
/// resource's confirmations say the domain's 410 and offer no button.
#[rocket::async_test]
async fn the_confirmations_refuse_with_the_domains_words() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let id = published_public_guide(&app, &esap, "Guía que se confirma").await;
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    sign_in_client(&app.client, email, password).await;
    let csrf = csrf_from_client(&app.client, &format!("/conocimiento/{id}")).await;
    let ask = async |action: &str| {
        let response = app
            .client
            .post(format!("/conocimiento/{id}/{action}"))
            .header(ContentType::Form)
            .body(format!("csrf_token={csrf}"))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "{action}");
        response.into_string().await.unwrap()
    };
    let html = ask("publicar").await;
    assert!(html.contains("El recurso ya está publicado."), "{html}");
    assert!(!html.contains("Sí, publicar"), "{html}");
    assert!(ask("retirar").await.contains("Sí, retirar"));

    let path = format!("/api/v1/resources/{id}");
    api_delete(&app, &path, Some(&esap))
        .await
        .expect_status(Status::NoContent);
    let body = api(
        &app,
        "POST",
        &format!("{path}/publication"),
        Some(&esap),
        None,
    )
    .await
    .expect_status(Status::Gone);
    let words = json_str(&body["detail"]).to_string();
    assert!(
        words.contains("retirado del banco de conocimiento"),
        "{words}"
    );
    for (action, button) in [
        ("publicar", "Sí, publicar"),
        ("retirar", "Sí, retirar"),
        ("eliminar", "Sí, eliminar"),
    ] {
        let html = ask(action).await;
        assert!(
            html.contains(&words) && !html.contains(button),
            "{action}: {html}"
        );
    }
}

#[rocket::async_test]
async fn files_under_files_dir_are_kept_served_and_removed() {
    let dir = std::env::temp_dir().join(format!(
        "aula-files-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("files_dir", json!(dir.to_string_lossy())),
    ])
    .await;
    let esap = role_token(&app, Role::Coordinator).await;
    let before = stored(&app).await;
    let id = published_public_guide(&app, &esap, "Guía en disco").await;
    let after = stored(&app).await;
    assert_eq!(after.1, before.1, "no bytes in the database");
    let kept: Vec<_> = std::fs::read_dir(dir.join("bank"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), pdf(3_000));
    let response = app
        .client
        .get(format!("/api/v1/resources/{id}/file"))
        .header(Header::new("User-Agent", BROWSER))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_bytes().await.unwrap(), pdf(3_000));
    api_delete(&app, &format!("/api/v1/resources/{id}"), Some(&esap))
        .await
        .expect_status(Status::NoContent);
    assert!(!kept[0].exists(), "the file is removed");
    std::fs::remove_dir_all(&dir).ok();
}

#[rocket::async_test]
async fn the_banks_use_is_on_the_review_page_and_in_metrics() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    file_guide(&app, &esap, "Guía grande", "cuentas", 2 * 1024 * 1024).await;
    let metrics = app
        .client
        .get("/metrics")
        .remote("127.0.0.1:40000".parse::<SocketAddr>().unwrap())
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let total: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("aula_bank_bytes_total "))
        .unwrap()
        .parse()
        .unwrap();
    let esap_bytes: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("aula_bank_bytes{provider_id=\"1\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        esap_bytes >= 2 * 1024 * 1024 && total >= esap_bytes,
        "{metrics}"
    );
    assert!(
        metrics.contains("aula_bank_quota_bytes 524288000"),
        "{metrics}"
    );
    let (email, password) = crate::support::demo_account(Role::Admin);
    sign_in_client(&app.client, email, password).await;
    let html = body_of(&app.client, "/conocimiento/revision").await;
    assert!(
        html.contains("Almacenamiento") && html.contains("500 MiB"),
        "{html}"
    );
    assert!(
        html.contains("el banco usa"),
        "the total, for the admin: {html}"
    );
}

/// `GET` the file of `id` from `peer` with `user_agent`, and optionally a token.
async fn download_from(
    app: &TestApp,
    id: i64,
    peer: &str,
    user_agent: &str,
    token: Option<&str>,
) -> Status {
    let mut request = app
        .client
        .get(format!("/api/v1/resources/{id}/file"))
        .remote(format!("{peer}:40000").parse::<SocketAddr>().unwrap())
        .header(Header::new("User-Agent", user_agent.to_string()));
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    request.dispatch().await.status()
}

async fn downloads_of(app: &TestApp, id: i64) -> i64 {
    let (_, body) = api_get(app, &format!("/api/v1/resources/{id}"), None).await;
    body["downloads"].as_i64().unwrap()
}

#[rocket::async_test]
async fn sixty_downloads_from_one_address_count_once() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let id = published_public_guide(&app, &esap, "Guía muy descargada").await;
    for _ in 0..60 {
        assert_eq!(
            download_from(&app, id, "190.24.1.7", BROWSER, None).await,
            Status::Ok
        );
    }
    assert_eq!(downloads_of(&app, id).await, 1);
    // Another address is another visitor; an account is one wherever it downloads from.
    download_from(&app, id, "181.50.3.9", BROWSER, None).await;
    assert_eq!(downloads_of(&app, id).await, 2);
    download_from(&app, id, "190.24.1.7", BROWSER, Some(&reviewer)).await;
    download_from(&app, id, "200.1.1.1", BROWSER, Some(&reviewer)).await;
    assert_eq!(downloads_of(&app, id).await, 3);
}

#[rocket::async_test]
async fn a_robots_download_is_not_counted() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let id = published_public_guide(&app, &esap, "Guía rastreada").await;
    for (peer, agent) in [
        (
            "66.249.66.1",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        ("157.55.39.1", "Mozilla/5.0 (compatible; bingbot/2.0)"),
        (
            "5.255.253.1",
            "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
        ),
        ("20.1.2.3", ""),
    ] {
        assert_eq!(download_from(&app, id, peer, agent, None).await, Status::Ok);
    }
    assert_eq!(downloads_of(&app, id).await, 0);
    download_from(&app, id, "190.24.1.7", BROWSER, None).await;
    assert_eq!(downloads_of(&app, id).await, 1, "a person counts");
}
