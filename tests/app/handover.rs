//! Issue 48, item 4: the handover (empalme). A hand-built municipality's assistances with
//! agreements done, dropped and open and milestones reached and pending: the handover lists
//! exactly the open agreements and the pending milestones; who reads it (404 for anyone
//! else); the PDF is a PDF; a liaison's first sign-in of an administration lands on it, once;
//! the liaison role passes to the next official with its owner's confirmation, the old account
//! ends and the municipality's history stays.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_REVIEWER, api_get, api_patch, api_post,
    csrf_from_client, demo_account, form_body, json_array, json_items, role_token, sign_in_client,
    token,
};
use crate::world::days;
use chrono::NaiveDate;
use domain::entities::values::Role;
use domain::entities::{outbox, user};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Albania (Caquetá): no assistance in the demo, so the case below is the whole of it.
const ALBANIA: &str = "18029";
const PAUJIL: &str = "18256";

async fn handover(app: &TestApp, code: &str, token: &str) -> (Status, Value) {
    api_get(
        app,
        &format!("/api/v1/municipalities/{code}/handover"),
        Some(token),
    )
    .await
}

fn texts(items: &Value, field: &str) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("a list: {items}"))
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// An assistance of ESAP to `entity` of Albania, agreed with the entity, with `milestones`
/// (title, reached) and one visit with `agreements` (text, final state) and a product.
async fn assistance(
    app: &TestApp,
    staff: &str,
    entity: &str,
    milestones: &[(&str, bool)],
    agreements: &[(&str, &str)],
    product: &str,
) -> i64 {
    let created = api_post(
        app,
        "/api/v1/assistances",
        Some(staff),
        json!({
            "municipality_code": ALBANIA, "entity_type": entity, "capacity_ids": [1],
            "objective": format!("Acompañar a {entity} de Albania en el seguimiento del plan."),
            "starts_on": days(-40).to_string(), "ends_on": days(120).to_string(),
            "modality": "presencial",
        }),
    )
    .await
    .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    for (title, reached) in milestones {
        let milestone = api_post(
            app,
            &format!("/api/v1/assistances/{id}/milestones"),
            Some(staff),
            json!({"title": title, "due_on": days(-5).to_string()}),
        )
        .await
        .expect_status(Status::Created);
        if *reached {
            api_patch(
                app,
                &format!("/api/v1/milestones/{}", milestone["id"]),
                Some(staff),
                json!({"done_on": days(-6).to_string()}),
            )
            .await
            .expect_status(Status::Ok);
        }
    }
    crate::support::agree_plan(app, id, staff).await;
    let visit = api_post(
        app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(staff),
        json!({
            "date": days(-3).to_string(), "modality": "presencial", "hours": 2,
            "topics": "Revisión del plan de acción",
            "attendees": [{"full_name": "Marleny Cuéllar", "position": "Secretaria de Planeación"}],
            "agreements": agreements.iter().map(|(text, _)| json!({
                "text": text, "owner": "Secretaría de Planeación", "due_on": days(10).to_string()
            })).collect::<Vec<_>>(),
            "products": [{"title": product, "kind": "herramienta"}],
        }),
    )
    .await
    .expect_status(Status::Created);
    for made in json_array(&visit["agreements"]) {
        let state = agreements
            .iter()
            .find(|(text, _)| made["text"] == *text)
            .map(|(_, state)| *state)
            .unwrap();
        let body = match state {
            "done" => json!({"status": "done", "note": "Hecho"}),
            "dropped" => json!({"status": "dropped", "reason": "Ya no aplica"}),
            _ => continue,
        };
        api_patch(
            app,
            &format!("/api/v1/agreements/{}", made["id"]),
            Some(staff),
            body,
        )
        .await
        .expect_status(Status::Ok);
    }
    id
}

async fn signed_in(app: &TestApp, (email, password): (&str, &str)) -> Client {
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, email, password).await;
    browser
}

/// Signs in through the page; where it sends the person.
async fn landing(app: &TestApp, email: &str, password: &str) -> String {
    let browser = app.another_instance(&[]).await;
    let csrf = csrf_from_client(&browser, "/ingresar").await;
    let response = browser
        .post("/ingresar")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("email", email),
            ("password", password),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther, "signed in as {email}");
    response
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string()
}

#[rocket::async_test]
async fn the_handover_lists_exactly_the_open_agreements_and_pending_milestones() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let (status, before) = handover(&app, ALBANIA, &admin).await;
    assert_eq!(status, Status::Ok, "{before}");
    assert_eq!(before["assistances"], json!([]), "{before}");

    let esap = role_token(&app, Role::Coordinator).await;
    let alcaldia = assistance(
        &app,
        &esap,
        "alcaldia",
        &[
            ("Diagnóstico entregado", true),
            ("Tablero de seguimiento en uso", false),
        ],
        &[
            ("Publicar el informe del trimestre", "pending"),
            ("Nombrar a la persona responsable", "done"),
            ("Comprar el software", "dropped"),
        ],
        "Matriz de seguimiento del plan de acción",
    )
    .await;
    let concejo = assistance(
        &app,
        &esap,
        "concejo",
        &[("Control político del plan presentado", false)],
        &[
            ("Citar a la Secretaría de Hacienda", "pending"),
            ("Revisar el reglamento interno", "done"),
        ],
        "Guía de control político",
    )
    .await;

    let (status, body) = handover(&app, ALBANIA, &admin).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(
        texts(&body["open_agreements"], "text"),
        set(&[
            "Publicar el informe del trimestre",
            "Citar a la Secretaría de Hacienda"
        ]),
        "{body}"
    );
    assert_eq!(
        texts(&body["pending_milestones"], "title"),
        set(&[
            "Tablero de seguimiento en uso",
            "Control político del plan presentado"
        ]),
        "{body}"
    );
    assert_eq!(
        texts(&body["resources"], "title"),
        set(&[
            "Matriz de seguimiento del plan de acción",
            "Guía de control político"
        ])
    );
    let ids: BTreeSet<i64> = json_array(&body["assistances"])
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([alcaldia, concejo]));
    for field in [
        "trained",
        "still_in_entity",
        "left",
        "assistances",
        "open_agreements",
        "pending_milestones",
        "resources",
        "open_demands",
        "indicators",
        "replicas",
    ] {
        assert!(!body[field].is_null(), "{field} in {body}");
    }

    // The page shows the same, and nothing closed.
    let browser = signed_in(&app, demo_account(Role::Admin)).await;
    let response = browser
        .get(format!("/municipios/{ALBANIA}/empalme"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    for shown in [
        "Publicar el informe del trimestre",
        "Citar a la Secretaría de Hacienda",
        "Tablero de seguimiento en uso",
        "Control político del plan presentado",
        "Guía de control político",
        "Compromisos abiertos (2)",
        "Hitos pendientes (2)",
        "Descargar PDF para imprimir",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    for hidden in [
        "Nombrar a la persona responsable",
        "Comprar el software",
        "Revisar el reglamento interno",
        "Diagnóstico entregado",
    ] {
        assert!(!html.contains(hidden), "{hidden} is not open");
    }
}

#[rocket::async_test]
async fn the_handover_is_read_only_by_its_territory() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let admin = role_token(&app, Role::Admin).await;
    let esap = role_token(&app, Role::Coordinator).await;
    for (who, t) in [
        ("liaison", &liaison),
        ("reviewer", &reviewer),
        ("admin", &admin),
        ("esap", &esap),
    ] {
        let (status, body) = handover(&app, PAUJIL, t).await;
        assert_eq!(status, Status::Ok, "{who}: {body}");
    }
    // The liaison's own municipality's handover names its people and its demands.
    let (_, own) = handover(&app, PAUJIL, &liaison).await;
    assert!(!json_array(&own["open_demands"]).is_empty(), "{own}");
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let participant = role_token(&app, Role::Participant).await;
    for (who, t, code) in [
        ("another municipality's liaison", &liaison, ALBANIA),
        ("another department's reviewer", &meta, PAUJIL),
        ("another provider's coordinator", &dnp, PAUJIL),
        ("a participant", &participant, PAUJIL),
        ("an unknown code", &admin, "99999"),
    ] {
        let (status, body) = handover(&app, code, t).await;
        assert_eq!(status, Status::NotFound, "{who}: {body}");
        assert!(body["trained"].is_null(), "{who}: nothing of it");
    }
    let browser = signed_in(&app, demo_account(Role::Liaison)).await;
    for path in [
        format!("/municipios/{ALBANIA}/empalme"),
        format!("/municipios/{ALBANIA}/empalme.pdf"),
    ] {
        let response = browser.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::NotFound, "{path}");
    }
}

#[rocket::async_test]
async fn the_handover_prints_as_a_pdf() {
    let app = TestApp::with_demo().await;
    let browser = signed_in(&app, demo_account(Role::Liaison)).await;
    let page = browser
        .get(format!("/municipios/{PAUJIL}/empalme"))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    let link = format!("/municipios/{PAUJIL}/empalme.pdf");
    assert!(html.contains(&format!("href=\"{link}\"")), "the PDF link");
    let response = browser.get(link).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::PDF));
    let bytes = response.into_bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    // Its text: the title, the municipality's name with its accent, the sections, the demo's
    // open (overdue) agreement, and every page numbered.
    let document = lopdf::Document::load_mem(&bytes).unwrap();
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document
        .extract_text(&pages)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for shown in [
        "Informe de empalme de El Paujíl",
        "Personas formadas y certificadas",
        "Compromisos abiertos",
        "Hitos pendientes",
        "Cargar los datos del trimestre en el tablero",
        "Indicadores antes y después",
        &format!("Página 1 de {}", pages.len()),
    ] {
        assert!(text.contains(shown), "«{shown}» in {text}");
    }
}

#[rocket::async_test]
async fn a_liaisons_first_sign_in_of_an_administration_opens_the_handover_once() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let (email, password) = ("enlace.albania@alcaldia.example", "Enlace-Albania-2026");
    api_post(
        &app,
        "/api/v1/users",
        Some(&admin),
        json!({"email": email, "password": password, "full_name": "Yurany Trujillo",
                    "role": "liaison", "municipality_code": ALBANIA}),
    )
    .await
    .expect_status(Status::Created);
    let page = format!("/municipios/{ALBANIA}/empalme");
    assert_eq!(landing(&app, email, password).await, page, "first sign-in");
    assert_eq!(landing(&app, email, password).await, "/", "only once");
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    let period = domain::handover::administration_start(domain::time::today());
    assert_eq!(account.handover_seen_for, Some(period));

    // Seen in the previous administration: the next sign-in opens it again.
    let mut model: user::ActiveModel = account.clone().into();
    model.handover_seen_for = Set(Some(period - 4));
    model.update(app.db()).await.unwrap();
    assert_eq!(landing(&app, email, password).await, page);
    assert_eq!(landing(&app, email, password).await, "/");

    // With the clock set to the next administration's first day, and its last day before.
    let account = user::Entity::find_by_id(account.id)
        .expect_one(app.db())
        .await;
    let next = NaiveDate::from_ymd_opt(period + 4, 1, 1).unwrap();
    let eve = next.pred_opt().unwrap();
    assert_eq!(
        domain::handover::landing(app.db(), &account, eve)
            .await
            .unwrap(),
        None,
        "still the same administration on 31 December"
    );
    assert_eq!(
        domain::handover::landing(app.db(), &account, next)
            .await
            .unwrap(),
        Some(page.clone()),
        "1 January of the next one"
    );
    let account = user::Entity::find_by_id(account.id)
        .expect_one(app.db())
        .await;
    assert_eq!(
        domain::handover::landing(app.db(), &account, next)
            .await
            .unwrap(),
        None,
        "once"
    );
    // Where the person asked to go is kept; other roles never land there.
    let (admin_email, admin_password) = demo_account(Role::Admin);
    assert_eq!(landing(&app, admin_email, admin_password).await, "/");
}

/// The link to take the role emailed to `to`.
async fn take_role_link(app: &TestApp, to: &str) -> String {
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .filter(outbox::Column::BodyText.contains("/enlace/asumir/"))
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .expect("the link emailed");
    let token = mail
        .body_text
        .split("/enlace/asumir/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    format!("/enlace/asumir/{token}")
}

async fn demand_ids(app: &TestApp, token: &str) -> Vec<i64> {
    let body = api_get(app, "/api/v1/demands?per_page=500", Some(token))
        .await
        .expect_status(Status::Ok);
    let mut ids: Vec<i64> = json_items(&body)
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[rocket::async_test]
async fn the_liaison_role_passes_to_the_next_official_with_the_history() {
    let app = TestApp::with_demo().await;
    let (old_email, old_password) = demo_account(Role::Liaison);
    let old_token = token(&app, old_email, old_password).await;
    let history = demand_ids(&app, &old_token).await;
    assert!(!history.is_empty(), "the demo's demands of El Paujíl");

    let admin = signed_in(&app, demo_account(Role::Admin)).await;
    let from = format!("/municipios/{PAUJIL}/empalme");
    let to = format!("{from}/enlace");
    let send = async |name: &str, email: &str| {
        let csrf = csrf_from_client(&admin, &from).await;
        admin
            .post(to.clone())
            .header(ContentType::Form)
            .body(form_body(&[
                ("csrf_token", &csrf),
                ("full_name", name),
                ("email", email),
            ]))
            .dispatch()
            .await
    };
    // An address that already has an account does not move without its owner.
    let (taken, _) = demo_account(Role::Participant);
    let refused = send("Alguien Más", taken).await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(
        html.contains("id=\"error-enlace-email\""),
        "beside the field"
    );
    assert!(html.contains("Alguien Más"), "as typed");

    let new_email = "planeacion@elpaujil-caqueta.gov.co";
    let named = send("Jhon Fredy Castaño", new_email).await;
    assert_eq!(named.status(), Status::SeeOther);
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(new_email))
        .one(app.db())
        .await
        .unwrap()
        .expect("the new liaison's account");
    assert!(!account.active, "waits for its owner");
    assert_eq!(account.role, Role::Liaison);
    assert_eq!(account.municipality_code.as_deref(), Some(PAUJIL));
    // Until then the current liaison keeps the role.
    assert_eq!(demand_ids(&app, &old_token).await, history);

    let link = take_role_link(&app, new_email).await;
    let visitor = app.another_instance(&[]).await;
    let page = visitor.get(link.clone()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("El Paujíl"), "{html}");
    let old_name = user::Entity::find()
        .filter(user::Column::Email.eq(old_email))
        .expect_one(app.db())
        .await
        .full_name;
    assert!(html.contains(&old_name), "whose account ends, named");

    let confirm = async |password: &str, again: &str| {
        // The browser's token (any page's form carries it; a spent link's page has no form).
        let csrf = csrf_from_client(&visitor, "/ingresar").await;
        visitor
            .post(link.clone())
            .header(ContentType::Form)
            .body(form_body(&[
                ("csrf_token", &csrf),
                ("password", password),
                ("password_confirmation", again),
            ]))
            .dispatch()
            .await
    };
    let weak = confirm("corta", "corta").await;
    assert_eq!(weak.status(), Status::UnprocessableEntity);
    assert!(
        weak.into_string()
            .await
            .unwrap()
            .contains("id=\"error-password\"")
    );
    let still = user::Entity::find_by_id(account.id)
        .expect_one(app.db())
        .await;
    assert!(!still.active, "nothing changed");

    let password = "Enlace-Nuevo-Paujil-2028";
    let taken_over = confirm(password, password).await;
    assert_eq!(taken_over.status(), Status::SeeOther);
    let old = user::Entity::find()
        .filter(user::Column::Email.eq(old_email))
        .expect_one(app.db())
        .await;
    assert!(!old.active, "the previous liaison's account ends");
    let (status, _) = api_get(&app, "/api/v1/me", Some(&old_token)).await;
    assert_eq!(status, Status::Unauthorized, "and its token with it");

    // The new liaison sees the municipality's whole history, and lands on the handover.
    assert_eq!(
        landing(&app, new_email, password).await,
        format!("/municipios/{PAUJIL}/empalme")
    );
    let new_token = token(&app, new_email, password).await;
    assert_eq!(demand_ids(&app, &new_token).await, history);
    let (status, body) = handover(&app, PAUJIL, &new_token).await;
    assert_eq!(status, Status::Ok, "{body}");

    // The link works once.
    let again = confirm("Otra-Clave-Segura-2028", "Otra-Clave-Segura-2028").await;
    assert_eq!(again.status(), Status::Conflict);
}
