//! Issue 33: technical assistance. A provider's coordinator plans an accompaniment of El
//! Paujíl's alcaldía that answers its open demand, records visits with attendees, agreements
//! and products, marks milestones, and closes it; the demand is met, the entity's contact is
//! emailed the evaluation link, and the evaluation is taken once. Another provider cannot touch
//! it; visits outside the span or after closing are refused.

use crate::common::TestApp;
use crate::hostile_input::everything;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api, api_get, api_patch, api_post, body_of, json_array,
    json_items, json_str, role_token, token,
};
use crate::world::days;
use domain::entities::values::{DemandStatus, Role};
use domain::entities::{demand, outbox};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// El Paujíl's open demand on plan follow-up (the demo's).
async fn open_demand(app: &TestApp) -> demand::Model {
    demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq("18256"))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .one(app.db())
        .await
        .unwrap()
        .expect("El Paujíl's open demand")
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[rocket::async_test]
async fn a_provider_accompanies_an_alcaldia_from_plan_to_evaluation() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let wanted = open_demand(&app).await;

    // Every problem at once.
    let refused = api_post(
        &app,
        "/api/v1/assistances",
        Some(&dnp),
        json!({"municipality_code": "99999", "capacity_ids": [], "objective": "",
                    "starts_on": "2026-13-01", "ends_on": "2026-01-01", "modality": "remota"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    for field in [
        "municipality_code",
        "capacity_ids",
        "objective",
        "starts_on",
        "modality",
    ] {
        assert!(
            fields(&refused).contains(&field.to_string()),
            "{field}: {refused}"
        );
    }

    let created = api_post(&app, "/api/v1/assistances", Some(&dnp), json!({
            "municipality_code": "18256",
            "entity_type": "alcaldia",
            "capacity_ids": [wanted.capacity_id],
            "objective": "Que la Secretaría de Planeación reporte el avance del plan indicativo cada trimestre.",
            "starts_on": days(-30).to_string(),
            "ends_on": days(150).to_string(),
            "modality": "mixta",
            "demand_ids": [wanted.id],
            "contact_email": "planeacion@elpaujil-caqueta.gov.co",
        })).await.expect_status(Status::Created);
    assert_eq!(created["status"], "planned");
    assert!(json_str(&created["provider"]["name"]).contains("DNP"));
    let id = created["id"].as_i64().unwrap();
    let planned = demand::Entity::find_by_id(wanted.id)
        .expect_one(app.db())
        .await;
    assert_eq!(
        planned.status,
        DemandStatus::Planned,
        "the demand is answered"
    );
    // Its author is told which provider answers it, once; later, that it was met.
    let author = domain::entities::user::Entity::find_by_id(wanted.created_by)
        .expect_one(app.db())
        .await
        .email;
    let told = async |state: &str| {
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(author.as_str()))
            .fetch_all(app.db())
            .await
            .into_iter()
            .filter(|m| {
                m.subject.contains(state)
                    && m.body_text
                        .contains("asistencia técnica de Departamento Nacional de Planeación")
            })
            .count()
    };
    assert_eq!(told("planeada").await, 1);

    // Milestones: one overdue, one done.
    let late = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/milestones"),
        Some(&dnp),
        json!({"title": "Diagnóstico del reporte de metas", "due_on": days(-5).to_string()}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(late["overdue"], true);
    let done = api_patch(
        &app,
        &format!("/api/v1/milestones/{}", late["id"]),
        Some(&dnp),
        json!({"done_on": days(-1).to_string()}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(done["overdue"], false);

    // Agreed with the entity (issue 49), a visit inside the span starts it; one outside is
    // refused.
    crate::support::agree_plan(&app, id, &dnp).await;
    let visit = json!({
        "date": days(-2).to_string(), "modality": "presencial", "hours": 3.5,
        "topics": "Revisión del plan indicativo y de los planes de acción",
        "attendees": [{"full_name": "Luz Dary Peña", "position": "Secretaria de Planeación",
                       "document_number": "40123456"}],
        "agreements": [{"text": "Cargar el avance del primer trimestre", "owner": "Secretaría de Planeación",
                        "due_on": days(20).to_string()}],
        "products": [{"title": "Matriz de seguimiento del plan indicativo", "kind": "herramienta"}],
    });
    let recorded = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&dnp),
        visit.clone(),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(recorded["hours"], 3.5);
    assert!(
        !recorded.to_string().contains("40123456"),
        "no document shown"
    );
    let mut outside = visit.clone();
    outside["date"] = json!(days(-60).to_string());
    let refused = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&dnp),
        outside,
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(fields(&refused), vec!["date".to_string()]);
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    assert_eq!(now["status"], "in_progress");
    assert_eq!(now["visits"], 1);

    // ESAP's coordinator reads it but changes nothing of DNP's; the Caquetá reviewer and El
    // Paujíl's liaison read it; Meta's reviewer does not see it.
    let esap = role_token(&app, Role::Coordinator).await;
    let before = everything(&app).await;
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/assistances/{id}"),
            json!({"objective": "Otro"}),
        ),
        (
            "POST",
            format!("/api/v1/assistances/{id}/status"),
            json!({"status": "cancelled", "reason": "no"}),
        ),
        (
            "POST",
            format!("/api/v1/assistances/{id}/visits"),
            visit.clone(),
        ),
        (
            "PATCH",
            format!("/api/v1/milestones/{}", late["id"]),
            json!({"done_on": null}),
        ),
    ] {
        let (status, answer) = api(&app, method, &path, Some(&esap), Some(body)).await;
        assert_eq!(status, Status::NotFound, "{method} {path}: {answer}");
    }
    assert!(everything(&app).await == before, "nothing was written");
    for role in [Role::Reviewer, Role::Liaison, Role::Coordinator] {
        let t = role_token(&app, role).await;
        let (status, _) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&t)).await;
        assert_eq!(status, Status::Ok, "{role:?}");
    }
    let meta = token(
        &app,
        crate::support::META_REVIEWER.0,
        crate::support::META_REVIEWER.1,
    )
    .await;
    api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&meta))
        .await
        .expect_status(Status::NotFound);
    let participant = role_token(&app, Role::Participant).await;
    api_get(&app, "/api/v1/assistances", Some(&participant))
        .await
        .expect_status(Status::Forbidden);

    // Closing needs whether the objective was reached and a summary.
    let refused = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(&dnp),
        json!({"status": "closed"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        fields(&refused),
        vec!["objective_reached".to_string(), "summary".to_string()]
    );
    api_post(&app, &format!("/api/v1/assistances/{id}/status"), Some(&dnp), json!({"status": "closed", "objective_reached": true,
                    "summary": "La secretaría reporta el avance trimestral con la matriz entregada."})).await.expect_status(Status::Ok);
    let met = demand::Entity::find_by_id(wanted.id)
        .expect_one(app.db())
        .await;
    assert_eq!(
        met.status,
        DemandStatus::Met,
        "met with the objective reached"
    );
    assert_eq!(told("atendida").await, 1, "the author is told it was met");
    // No more visits, no way back.
    api_post(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&dnp),
        visit,
    )
    .await
    .expect_status(Status::Conflict);
    api_post(
        &app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(&dnp),
        json!({"status": "in_progress"}),
    )
    .await
    .expect_status(Status::Conflict);

    // Counted beside training in the offer view, from the maintained figures.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (_, offer) = api_get(&app, "/api/v1/reports/offer", Some(&reviewer)).await;
    let row = json_items(&offer)
        .iter()
        .find(|r| {
            r["municipality_code"] == "18256"
                && r["capacity_id"] == wanted.capacity_id
                && r["provider"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("DNP")
        })
        .expect("DNP's row in El Paujíl");
    assert_eq!(
        (
            row["assistances"].as_i64(),
            row["assistances_closed"].as_i64(),
            row["visits"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{row}"
    );

    // The entity's contact was emailed the evaluation link, once.
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("planeacion@elpaujil-caqueta.gov.co"))
        .filter(outbox::Column::BodyText.contains("/evaluar-asistencia/"))
        .fetch_all(app.db())
        .await;
    assert_eq!(mail.len(), 1);
    let body = &mail[0].body_text;
    let token = body
        .split("/evaluar-asistencia/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the link")
        .to_string();
    api_post(
        &app,
        &format!("/api/v1/assistance-evaluations/{token}"),
        None,
        json!({"usefulness": 9}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let evaluated = api_post(
        &app,
        &format!("/api/v1/assistance-evaluations/{token}"),
        None,
        json!({"usefulness": 5, "comment": "La matriz nos ordenó el reporte."}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(evaluated["evaluation"]["usefulness"], 5);
    // The link is spent; the liaison cannot evaluate it again.
    api_post(
        &app,
        &format!("/api/v1/assistance-evaluations/{token}"),
        None,
        json!({"usefulness": 1}),
    )
    .await
    .expect_status(Status::NotFound);
    let liaison = role_token(&app, Role::Liaison).await;
    api_post(
        &app,
        &format!("/api/v1/assistances/{id}/evaluation"),
        Some(&liaison),
        json!({"usefulness": 1}),
    )
    .await
    .expect_status(Status::Conflict);
}

#[rocket::async_test]
async fn cancelling_gives_the_demands_back_and_lists_filter() {
    let app = TestApp::with_demo().await;
    let esap = role_token(&app, Role::Coordinator).await;
    let wanted = open_demand(&app).await;
    let created = api_post(&app, "/api/v1/assistances", Some(&esap), json!({"municipality_code": "18256", "capacity_ids": [wanted.capacity_id],
                    "objective": "Acompañar el seguimiento del plan.", "starts_on": days(1).to_string(),
                    "ends_on": days(200).to_string(), "modality": "presencial",
                    "demand_ids": [wanted.id]})).await.expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    // The same demand cannot be answered twice.
    api_post(
        &app,
        "/api/v1/assistances",
        Some(&esap),
        json!({"municipality_code": "18256", "capacity_ids": [wanted.capacity_id],
                    "objective": "Otra.", "starts_on": days(1).to_string(),
                    "ends_on": days(200).to_string(), "modality": "presencial",
                    "demand_ids": [wanted.id]}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    // A visit in the future is refused (it is recorded when it happened).
    api_post(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&esap),
        json!({"date": days(5).to_string(), "hours": 2, "topics": "Plan"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let (status, _) = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(&esap),
        json!({"status": "cancelled"}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "a reason is needed");
    let cancelled = api_post(
        &app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(&esap),
        json!({"status": "cancelled", "reason": "La alcaldía pidió aplazarla."}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(
        cancelled["cancellation_reason"],
        "La alcaldía pidió aplazarla."
    );
    let reopened = demand::Entity::find_by_id(wanted.id)
        .expect_one(app.db())
        .await;
    assert_eq!(reopened.status, DemandStatus::Open);

    let listed = api_get(
        &app,
        "/api/v1/assistances?municipality=18256&status=cancelled&provider=1",
        Some(&esap),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(listed["total"], 1, "{listed}");
    api_get(&app, "/api/v1/assistances?status=archivada", Some(&esap))
        .await
        .expect_status(Status::UnprocessableEntity);
}

/// The pages, as a coordinator uses them in the field: create, record a visit from the phone
/// form (one line per attendee, agreement and product), close; the entity evaluates through
/// the emailed link without an account; everyone in the territory reads the workspace.
#[rocket::async_test]
async fn the_assistance_pages_carry_the_whole_journey() {
    use crate::support::{csrf_from_client, demo_account, form_body, sign_in_client};
    use rocket::http::ContentType;
    let app = TestApp::with_demo().await;
    let browser = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_client(&browser, email, password).await;
    let csrf = csrf_from_client(&browser, "/asistencias/nueva").await;
    let capacity = open_demand(&app).await.capacity_id.to_string();
    let start = days(-20).to_string();
    let end = days(100).to_string();
    // A refused form comes back with its messages and what was typed.
    let response = browser
        .post("/asistencias")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("municipality_code", "18256"),
            ("objective", "Ordenar el archivo de gestión"),
            ("starts_on", &start),
            ("ends_on", &end),
            ("modality", "presencial"),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Elija al menos una capacidad") && html.contains("Ordenar el archivo"));
    let response = browser
        .post("/asistencias")
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("municipality_code", "18256"),
            ("entity_type", "personeria"),
            ("capacity_ids", &capacity),
            ("objective", "Ordenar el archivo de gestión"),
            ("starts_on", &start),
            ("ends_on", &end),
            ("modality", "presencial"),
            ("contact_email", "personeria@elpaujil.example"),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let location = response.headers().get_one("Location").unwrap().to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    // Agreed with the entity (issue 49), so that the first visit starts it.
    let staff = crate::support::role_token(&app, Role::Coordinator).await;
    crate::support::agree_plan(&app, id, &staff).await;

    let visit_date = days(-1).to_string();
    let response = browser
        .post(format!("/asistencias/{id}/visitas"))
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("date", &visit_date),
            ("modality", "presencial"),
            ("hours", "2,5"),
            ("topics", "Tablas de retención documental"),
            ("attendees[0].full_name", "Marta Lucía Ríos"),
            ("attendees[0].position", "Personera"),
            ("attendees[1].full_name", "Juan Pablo Gil"),
            ("attendees[1].position", "Auxiliar"),
            ("attendees[2].full_name", ""),
            ("attendees[2].position", ""),
            ("agreements[0].text", "Inventario del archivo"),
            ("agreements[0].owner", "Personería"),
            ("agreements[0].due_on", &days(30).to_string()),
            ("products[0].title", "Guía de organización de archivos"),
            ("products[0].kind", "documento"),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let html = body_of(&browser, format!("/asistencias/{id}")).await;
    for expected in [
        "Personería de El Paujíl",
        "En curso",
        "2,5 h",
        "Marta Lucía Ríos (Personera)",
        "Inventario del archivo — Personería",
        "Guía de organización de archivos (Documento)",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    // Closing says what it will do first (issue 45): the confirmation, nothing closed yet.
    let closing = [
        ("csrf_token", csrf.as_str()),
        ("status", "closed"),
        ("objective_reached", "true"),
        ("summary", "El archivo quedó inventariado."),
    ];
    let response = browser
        .post(format!("/asistencias/{id}/estado"))
        .header(ContentType::Form)
        .body(form_body(&closing))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let confirm = response.into_string().await.unwrap();
    assert!(
        confirm.contains("¿Cerrar la asistencia")
            && confirm.contains("personeria@elpaujil.example")
            && confirm.contains("name=\"confirmed\" value=\"true\""),
        "{confirm}"
    );
    assert!(!confirm.contains("Resumen de cierre para imprimir"));
    let mut confirmed = closing.to_vec();
    confirmed.push(("confirmed", "true"));
    let response = browser
        .post(format!("/asistencias/{id}/estado"))
        .header(ContentType::Form)
        .body(form_body(&confirmed))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let summary = browser
        .get(format!("/asistencias/{id}/cierre"))
        .dispatch()
        .await;
    assert_eq!(summary.status(), Status::Ok);
    assert!(
        summary
            .into_string()
            .await
            .unwrap()
            .contains("El archivo quedó inventariado.")
    );

    // The entity's contact follows the emailed link, with no account.
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("personeria@elpaujil.example"))
        .filter(outbox::Column::BodyText.contains("/evaluar-asistencia/"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the evaluation email");
    let token = mail
        .body_text
        .split("/evaluar-asistencia/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    let visitor = app.another_instance(&[]).await;
    let path = format!("/evaluar-asistencia/{token}");
    let page = visitor.get(path.clone()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let visitor_csrf = csrf_from_client(&visitor, &path).await;
    let response = visitor
        .post(path.clone())
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &visitor_csrf),
            ("usefulness", "4"),
            ("comment", "Nos sirvió mucho."),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert!(
        response
            .into_string()
            .await
            .unwrap()
            .contains("quedó registrada")
    );
    assert_eq!(
        visitor.get(path).dispatch().await.status(),
        Status::NotFound,
        "spent"
    );

    // The Caquetá reviewer and El Paujíl's liaison read it; the list shows it.
    for role in [Role::Reviewer, Role::Liaison] {
        let reader = app.another_instance(&[]).await;
        let (email, password) = demo_account(role);
        sign_in_client(&reader, email, password).await;
        let html = body_of(&reader, "/asistencias").await;
        assert!(html.contains(&format!("/asistencias/{id}")), "{role:?}");
    }
}

/// The workbooks: the list of the caller's assistances and one assistance's record.
#[rocket::async_test]
async fn assistances_download_as_workbooks() {
    use calamine::{Reader, Xlsx};
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _, bytes) =
        crate::support::download(&app, "/api/v1/assistances.xlsx", &reviewer).await;
    assert_eq!(status, Status::Ok);
    let table = crate::support::read_table(&bytes, "Asistencias", "Asistencia");
    let text = format!("{table:?}");
    assert!(
        text.contains("Puerto Rico") && text.contains("Función Pública"),
        "{text}"
    );
    let (status, _, bytes) =
        crate::support::download(&app, "/api/v1/assistances/1/record.xlsx", &reviewer).await;
    assert_eq!(status, Status::Ok);
    let book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Plan", "Hitos", "Visitas", "Compromisos", "Productos"]
    );
    // Meta's reviewer reads neither Caquetá's record nor it in the list.
    let meta = token(
        &app,
        crate::support::META_REVIEWER.0,
        crate::support::META_REVIEWER.1,
    )
    .await;
    let (status, _, _) =
        crate::support::download(&app, "/api/v1/assistances/1/record.xlsx", &meta).await;
    assert_eq!(status, Status::NotFound);
}

/// Creates an assistance of ESAP in `place` on `capacity` over `starts_on`.. +150 days, visits
/// it on its first day and closes it (or cancels it); returns its id.
pub(crate) async fn assisted(
    app: &TestApp,
    staff: &str,
    place: &str,
    capacity: i32,
    starts_on: &str,
    end: &str,
) -> i64 {
    let starts = chrono::NaiveDate::parse_from_str(starts_on, "%Y-%m-%d").unwrap();
    let created = api_post(
        app,
        "/api/v1/assistances",
        Some(staff),
        json!({
            "municipality_code": place, "entity_type": "alcaldia", "capacity_ids": [capacity],
            "objective": "Que la Secretaría de Hacienda actualice el estatuto de rentas.",
            "starts_on": starts_on,
            "ends_on": (starts + chrono::Duration::days(150)).to_string(),
            "modality": "presencial",
        }),
    )
    .await
    .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    crate::support::agree_plan(app, id, staff).await;
    api_post(
        app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(staff),
        json!({"date": starts_on, "modality": "presencial", "hours": 4,
                    "topics": "Diagnóstico de las rentas", "attendees": [],
                    "agreements": [], "products": []}),
    )
    .await
    .expect_status(Status::Created);
    let end = match end {
        "closed" => json!({"status": "closed", "objective_reached": true,
                           "summary": "El estatuto quedó actualizado."}),
        _ => json!({"status": "cancelled", "reason": "La alcaldía pidió aplazarla."}),
    };
    api_post(
        app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(staff),
        end,
    )
    .await
    .expect_status(Status::Ok);
    id
}

/// ESAP's comparison with `unit=assistance|both|training` on a hand-built case: Florencia gets
/// five closed assistances on the capacity started before the final year, Cartagena del Chairá
/// two closed, one cancelled and one started in the final year; the groups follow, each
/// municipality's change is the indicator's, and the training unit is untouched.
#[rocket::async_test]
async fn the_impact_comparison_counts_closed_assistances_by_unit() {
    use domain::entities::{indicator, indicator_observation};
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let capacity = 2; // movilización de recursos, which the IDF measures
    let idf = indicator::Entity::find()
        .filter(indicator::Column::Code.eq("idf_puntaje"))
        .expect_one(app.db())
        .await
        .id;
    let compare = async |unit: &str| {
        api_get(&app, &format!(
                "/api/v1/reports/impact?capacity={capacity}&indicator={idf}&from_year=2022&to_year=2023&department=18&threshold=5&unit={unit}"
            ), Some(&staff))
        .await
    };
    let (_, before) = compare("training").await;
    for n in 0..5 {
        assisted(
            &app,
            &staff,
            "18001",
            capacity,
            &format!("2022-0{}-10", n + 1),
            "closed",
        )
        .await;
    }
    for (starts, end) in [
        ("2021-03-01", "closed"),
        ("2022-06-01", "closed"),
        ("2022-07-01", "cancelled"),
        ("2023-02-01", "closed"),
    ] {
        assisted(&app, &staff, "18150", capacity, starts, end).await;
    }

    let (status, by_assistance) = compare("assistance").await;
    assert_eq!(status, Status::Ok, "{by_assistance}");
    assert_eq!(by_assistance["unit"], "assistance");
    let rows = json_array(&by_assistance["rows"]);
    let row = |code: &str| {
        rows.iter()
            .find(|r| r["municipality_code"] == code)
            .unwrap()
            .clone()
    };
    let (florencia, chaira) = (row("18001"), row("18150"));
    assert_eq!(florencia["assistances"], 5);
    assert_eq!(florencia["actions"], 5);
    assert_eq!(
        chaira["assistances"], 2,
        "cancelled and final-year ones do not count"
    );
    let groups = json_array(&by_assistance["groups"]);
    assert_eq!(groups[0]["label"], "5 o más asistencias técnicas cerradas");
    assert_eq!(groups[0]["rule"], "assistances >= 5");
    assert_eq!(groups[0]["municipalities"], 1);
    assert_eq!(groups[1]["municipalities"], 1);
    assert_eq!(
        groups[2]["municipalities"].as_u64().unwrap() as usize,
        rows.len() - 2
    );
    // Florencia's change is the IDF's, read from the observations.
    let value = async |year: i32| {
        indicator_observation::Entity::find()
            .filter(indicator_observation::Column::IndicatorId.eq(idf))
            .filter(indicator_observation::Column::MunicipalityCode.eq("18001"))
            .filter(indicator_observation::Column::Year.eq(year))
            .expect_one(app.db())
            .await
            .value
    };
    let change = value(2023).await - value(2022).await;
    assert!((groups[0]["median_change"].as_f64().unwrap() - change).abs() < 1e-9);

    // Both: completions and closed assistances added.
    let (_, both) = compare("both").await;
    let both_row = json_array(&both["rows"])
        .iter()
        .find(|r| r["municipality_code"] == "18001")
        .unwrap()
        .clone();
    assert_eq!(
        both_row["actions"].as_i64().unwrap(),
        both_row["completed"].as_i64().unwrap() + 5
    );
    assert_eq!(both["groups"][0]["rule"], "actions >= 5");
    // Training: as before the assistances.
    let (_, training) = compare("training").await;
    assert_eq!(training["groups"], before["groups"]);
    assert!(training["rows"][0]["assistances"].is_i64());
    // An unknown unit is refused in Spanish.
    let (status, refused) = compare("cursos").await;
    assert_eq!(status, Status::UnprocessableEntity, "{refused}");
    assert_eq!(fields(&refused), vec!["unit".to_string()]);
    // The page offers the unit and names it.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(
        &app,
        &format!("/reportes/impacto?capacidad={capacity}&indicador={idf}&desde=2022&hasta=2023&departamento=18&unidad=assistance"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<option value=\"assistance\" selected>"),
        "{html}"
    );
    assert!(html.contains("5 o más asistencias técnicas cerradas"));
}

/// Issue 49: ESAP's own study as a preset — closed assistances in any capacity, five or more —
/// on a hand-built case: Florencia gets three closed assistances on «Movilización de recursos»
/// and two on «Ejecución de recursos», Cartagena del Chairá one on each. Summed over the
/// capacities, Florencia reaches five (the first group) and Chairá two (the middle one); the
/// groups partition the rows by their summed count; an explicit parameter overrides the
/// preset's; bad values are refused in Spanish naming the field; the page offers the presets.
#[rocket::async_test]
async fn the_esap_study_preset_sums_closed_assistances_over_every_capacity() {
    use domain::entities::indicator;
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (mobilising, executing) = (2, 3);
    let idf = indicator::Entity::find()
        .filter(indicator::Column::Code.eq("idf_puntaje"))
        .expect_one(app.db())
        .await
        .id;
    let compare = async |extra: &str| {
        api_get(&app, &format!(
                "/api/v1/reports/impact?indicator={idf}&from_year=2022&to_year=2023&department=18{extra}"
            ), Some(&staff))
        .await
    };
    let assistances = |report: &Value, code: &str| {
        json_array(&report["rows"])
            .iter()
            .find(|r| r["municipality_code"] == code)
            .unwrap()["assistances"]
            .as_i64()
            .unwrap()
    };
    let (status, before) = compare("&preset=estudio_esap").await;
    assert_eq!(status, Status::Ok, "{before}");
    for (place, capacity, n) in [
        ("18001", mobilising, 3),
        ("18001", executing, 2),
        ("18150", mobilising, 1),
        ("18150", executing, 1),
    ] {
        for k in 0..n {
            assisted(
                &app,
                &staff,
                place,
                capacity,
                &format!("2022-0{}-1{capacity}", k + 1),
                "closed",
            )
            .await;
        }
    }

    let (status, study) = compare("&preset=estudio_esap").await;
    assert_eq!(status, Status::Ok, "{study}");
    assert_eq!(study["preset"], "estudio_esap");
    assert_eq!(study["unit"], "assistance");
    assert_eq!(study["threshold"], 5);
    assert_eq!(study["capacity"], Value::Null, "any capacity");
    assert_eq!(
        assistances(&study, "18001"),
        assistances(&before, "18001") + 5
    );
    assert_eq!(
        assistances(&study, "18150"),
        assistances(&before, "18150") + 2
    );
    let rows = json_array(&study["rows"]);
    let counted = |test: &dyn Fn(i64) -> bool| {
        rows.iter()
            .filter(|r| test(r["actions"].as_i64().unwrap()))
            .count() as u64
    };
    let groups = json_array(&study["groups"]);
    assert_eq!(groups[0]["label"], "5 o más asistencias técnicas cerradas");
    assert_eq!(groups[0]["municipalities"], counted(&|n: i64| n >= 5));
    assert_eq!(
        groups[1]["municipalities"],
        counted(&|n: i64| (1..=4).contains(&n))
    );
    assert_eq!(groups[2]["municipalities"], counted(&|n: i64| n == 0));
    let actions = |code: &str| {
        rows.iter()
            .find(|r| r["municipality_code"] == code)
            .unwrap()["actions"]
            .as_i64()
            .unwrap()
    };
    assert!(actions("18001") >= 5, "Florencia, summed over capacities");
    if assistances(&before, "18150") == 0 {
        assert_eq!(actions("18150"), 2, "Chairá: the middle group");
    }
    // One capacity alone does not reach five for Florencia: the sum is what the study counts.
    let (status, one) =
        compare(format!("&preset=estudio_esap&capacity={mobilising}").as_str()).await;
    assert_eq!(status, Status::Ok, "{one}");
    assert_eq!(
        one["capacity"]["id"], mobilising,
        "the explicit capacity wins"
    );
    assert_eq!(one["unit"], "assistance");
    assert_eq!(one["preset"], Value::Null, "no preset has these choices");
    assert!(assistances(&one, "18001") < assistances(&study, "18001"));
    // The unit and the threshold override the preset's too.
    let (status, overridden) = compare("&preset=estudio_esap&unit=training&threshold=3").await;
    assert_eq!(status, Status::Ok, "{overridden}");
    assert_eq!(overridden["unit"], "training");
    assert_eq!(overridden["threshold"], 3);
    assert_eq!(overridden["capacity"], Value::Null);
    // Training in the capacity: the default choices, named.
    let (_, training) =
        compare(format!("&preset=formacion_capacidad&capacity={mobilising}").as_str()).await;
    assert_eq!(training["preset"], "formacion_capacidad");
    assert_eq!(training["unit"], "training");
    // Bad values: 422 in Spanish, naming the field.
    for (query, field) in [
        ("&preset=estudio&capacity=any", "preset"),
        ("&capacity=cualquiera", "capacity"),
        ("&preset=formacion_capacidad", "capacity"),
        ("&capacity=any&threshold=0", "threshold"),
        ("&capacity=9999", "capacity"),
    ] {
        let (status, refused) = compare(query).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}: {refused}");
        assert_eq!(fields(&refused), vec![field.to_string()], "{query}");
        assert!(
            json_str(&refused["errors"][0]["message"]).starts_with(['E', 'L']),
            "{refused}"
        );
    }

    // The page: the presets explained, ESAP's in use, «any capacity» chosen, the groups named.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(
        &app,
        &format!("/reportes/impacto?ajuste=estudio_esap&indicador={idf}&desde=2022&hasta=2023&departamento=18"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    // Links as a browser reads them (handlebars writes `=` and `&` as entities).
    let html = html.replace("&#x3D;", "=").replace("&amp;", "&");
    assert!(html.contains("<option value=\"any\" selected>"), "{html}");
    assert!(html.contains("Estudio de ESAP</a> <strong>(en uso)</strong>"));
    assert!(html.contains("«5 asistencias técnicas o más»"));
    assert!(html.contains("Formación en la capacidad</a>:"));
    assert!(html.contains("cualquier capacidad (todas sumadas)"));
    assert!(html.contains("5 o más asistencias técnicas cerradas"));
    assert!(html.contains("/reportes/impacto.xlsx?ajuste=estudio_esap&"));
    // The page's link to training in the capacity keeps the indicator and the years.
    assert!(html.contains(&format!(
        "/reportes/impacto?ajuste=formacion_capacidad&indicador={idf}&desde=2022&hasta=2023"
    )));
    let (status, html) = crate::support::page(
        &app,
        &format!("/reportes/impacto?ajuste=otro&indicador={idf}"),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("El ajuste debe ser estudio_esap"));
}

/// Issue 49: «¿Dónde formar?» counts one technical assistance as `priority_assistance_weight`
/// people trained. In a municipality of Caquetá where nobody completed training in the capacity
/// recently and no assistance started, one assistance this year takes the whole 20 points of
/// «little received» away with the default weight (5: the threshold) and only half with a
/// weight of 2 (two people: still «little», 10 points). The API and the page say which weight
/// counts, and a page kept by one instance is not served by another with another weight.
#[rocket::async_test]
async fn the_assistance_weight_is_a_setting_the_score_follows() {
    use crate::instances::api_on;
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("dashboard_cache_seconds", json!(3600)),
    ])
    .await;
    let halved = app
        .another_instance(&[
            ("priority_assistance_weight", json!(2)),
            ("dashboard_cache_seconds", json!(3600)),
        ])
        .await;
    let staff = role_token(&app, Role::Coordinator).await;
    let capacity = 2;
    let path = format!("/api/v1/reports/priorities?capacity={capacity}&department=18&limit=1200");
    let ranking = async |client: &rocket::local::asynchronous::Client| {
        api_on(client, "GET", &path, Some(&staff), None)
            .await
            .expect_status(Status::Ok)
    };
    let row = |body: &Value, code: &str| {
        json_items(body)
            .iter()
            .find(|r| r["municipality_code"] == code)
            .unwrap()
            .clone()
    };
    let before = ranking(&app.client).await;
    assert_eq!(before["assistance_weight"], 5);
    let weighting = json_str(&before["weighting"]);
    assert!(
        weighting.starts_with("Una asistencia técnica cuenta como 5 personas formadas"),
        "{weighting}"
    );
    assert!(weighting.contains("valor por omisión"));
    let before_halved = ranking(&halved).await;
    assert_eq!(before_halved["assistance_weight"], 2);
    assert!(
        json_str(&before_halved["weighting"])
            .contains("fijó esta equivalencia en 2 personas formadas")
    );
    let untouched = json_items(&before)
        .iter()
        .find(|r| r["completed_recent"] == 0 && r["assistances_recent"] == 0)
        .expect("a municipality of Caquetá that received nothing recently")
        .clone();
    let code = json_str(&untouched["municipality_code"]).to_string();
    let score = |r: &Value| r["score"].as_f64().unwrap();
    assert_eq!(
        score(&row(&before_halved, &code)),
        score(&untouched),
        "nothing received: the weight changes nothing"
    );
    // The page of each instance, kept for an hour, says which weight counts.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    crate::support::sign_in_page(&app, email, password).await;
    crate::support::sign_in_client(&halved, email, password).await;
    let priorities_page = format!("/reportes/prioridades?capacidad={capacity}&departamento=18");
    let (status, html) = crate::support::page(&app, &priorities_page).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Una asistencia técnica cuenta como 5 personas formadas"));
    // Once that page is on the shared shelf, the other instance looks for it there.
    crate::dashboards::shelved_page(app.db(), "/reportes/prioridades").await;
    let response = halved.get(priorities_page.clone()).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Una asistencia técnica cuenta como 2 personas formadas"),
        "the other weight's page, not the one kept by the first instance"
    );

    let year = chrono::Datelike::year(&domain::time::today());
    assisted(
        &app,
        &staff,
        &code,
        capacity,
        &format!("{year}-01-10"),
        "closed",
    )
    .await;
    let after = row(&ranking(&app.client).await, &code);
    assert_eq!(after["assistances_recent"], 1);
    assert!(
        (score(&after) - (score(&untouched) - 20.0)).abs() < 1e-9,
        "weight 5: one assistance is the whole threshold ({} then {})",
        score(&untouched),
        score(&after)
    );
    let after_halved = row(&ranking(&halved).await, &code);
    assert!(
        (score(&after_halved) - (score(&untouched) - 10.0)).abs() < 1e-9,
        "weight 2: still little, 10 points ({} then {})",
        score(&untouched),
        score(&after_halved)
    );
    let reasons: Vec<&str> = json_array(&after_halved["reasons"])
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.ends_with(
            "nadie aprobó formación y 1 asistencia técnica empezó; equivale a 2 personas formadas, menos de 5"
        )),
        "{reasons:?}"
    );
    drop(halved);
}

/// Issue 46: a visit names a registered attendee by id only when the recorder reaches her
/// (`people::scope::reaches`). DNP's coordinator, with nobody of Meta in its cohorts, gets a
/// 422 on that attendee — the same as for an id nobody has, naming nobody — and nothing is
/// written, so no reader of the assistance ever sees her name. An admin, who reaches
/// everybody, names her on the same assistance.
#[rocket::async_test]
async fn a_visit_names_only_attendees_the_recorder_reaches() {
    use domain::entities::{assistance_visit, visit_attendee};

    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let world = crate::world::World::new(&app).await;
    let meta = world.people("asistente").of("50325").create().await;
    let capacity = open_demand(&app).await.capacity_id;
    let created = api_post(
        &app,
        "/api/v1/assistances",
        Some(&dnp),
        json!({
            "municipality_code": "18256", "entity_type": "alcaldia", "capacity_ids": [capacity],
            "objective": "Que la Secretaría de Planeación formule proyectos en la MGA.",
            "starts_on": days(-10).to_string(), "ends_on": days(100).to_string(),
            "modality": "presencial",
        }),
    )
    .await
    .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    let visits = format!("/api/v1/assistances/{id}/visits");
    let visit = |attendees: Value| {
        json!({"date": days(-1).to_string(), "modality": "presencial", "hours": 2,
               "topics": "Formulación de proyectos", "attendees": attendees})
    };
    let written = async || {
        (
            assistance_visit::Entity::find().fetch_count(app.db()).await,
            visit_attendee::Entity::find().fetch_count(app.db()).await,
        )
    };
    let before = written().await;

    let unknown = api_post(
        &app,
        &visits,
        Some(&dnp),
        visit(json!([{"participant_id": 987_654}])),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let refused = api_post(
        &app,
        &visits,
        Some(&dnp),
        visit(json!([
            {"full_name": "Luz Dary Peña", "position": "Secretaria de Planeación"},
            {"participant_id": meta[0].id},
        ])),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(fields(&refused), vec!["attendees[1].participant_id"]);
    assert_eq!(
        refused["errors"][0]["message"], unknown["errors"][0]["message"],
        "the same refusal as an id nobody has"
    );
    assert!(!refused.to_string().contains("asistente"), "{refused}");
    assert_eq!(written().await, before, "nothing written");
    let list = api_get(&app, &visits, Some(&dnp))
        .await
        .expect_status(Status::Ok);
    assert!(!list.to_string().contains("asistente"), "{list}");

    // Somebody who reaches her names her.
    let admin = role_token(&app, Role::Admin).await;
    let named = api_post(
        &app,
        &visits,
        Some(&admin),
        visit(json!([{"participant_id": meta[0].id}])),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(named["attendees"][0]["full_name"], "Persona asistente 0");
}
