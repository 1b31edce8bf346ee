//! Issue 49, item 1: an assistance agreed with the entity. It starts from a diagnosis and a
//! work plan the entity accepts — its contact through the emailed link (once), or the
//! municipality's liaison or the department's reviewer (not another territory's) — recorded
//! with who, their position, how and when; it cannot start before (409, in Spanish), and a
//! plan changed after acceptance is accepted again. The agreements of the visits are listed
//! across assistances within the reader's scope.
//!
//! Issue 62, item 3: the link goes only to a contact the territory confirmed (a provider-typed
//! address receives nothing); a plan changed while it waits is a new version and voids the
//! link (410); the acceptance names the version and the hash of its text (stale → 409); a
//! changed contact voids the links pending (410).

use crate::common::TestApp;
use crate::hostile_input::everything;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_REVIEWER, acceptance_link, api_get, api_patch,
    api_post, api_put, body_of, csrf_from, error_fields, json_array, json_items, json_str,
    post_form, role_token, sign_in_page, submit, token,
};
use crate::world::days;
use domain::entities::values::Role;
use domain::entities::{audit_log, visit_agreement};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const CONTACT: &str = "planeacion.acuerdo@elpaujil-caqueta.gov.co";

/// A planned assistance of `provider_token`'s provider to the alcaldía of `place`.
async fn planned(app: &TestApp, provider_token: &str, place: &str, contact: Option<&str>) -> i64 {
    let capacity = domain::entities::capacity::Entity::find()
        .expect_one(app.db())
        .await
        .id;
    let body = api_post(
        app,
        "/api/v1/assistances",
        Some(provider_token),
        json!({
            "municipality_code": place, "entity_type": "alcaldia", "capacity_ids": [capacity],
            "objective": "Que la alcaldía formule su plan de acción con metas medibles.",
            "starts_on": days(-10).to_string(), "ends_on": days(120).to_string(),
            "modality": "presencial", "contact_email": contact,
        }),
    )
    .await
    .expect_status(Status::Created);
    body["id"].as_i64().unwrap()
}

fn plan(activities: &[(&str, i64)]) -> Value {
    json!({
        "activities": activities
            .iter()
            .map(|(text, day)| json!({"text": text, "due_on": days(*day).to_string()}))
            .collect::<Vec<_>>(),
        "products_expected": ["Plan de acción adoptado por decreto"],
    })
}

async fn start(app: &TestApp, staff: &str, id: i64) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/assistances/{id}/status"),
        Some(staff),
        json!({"status": "in_progress"}),
    )
    .await
}

/// What the entity accepts for `plan` (a work plan's view): who, and the version and text read.
fn accepting(plan: &Value, by: &str, position: &str) -> Value {
    json!({"accepted_by": by, "position": position, "version": plan["version"],
           "content_hash": plan["content_hash"]})
}

/// El Paujíl's liaison confirms the contact of assistance `id` (issue 62).
async fn confirm(app: &TestApp, id: i64, contact: &str) -> (Status, Value) {
    let liaison = role_token(app, Role::Liaison).await;
    api_post(
        app,
        &format!("/api/v1/assistances/{id}/contact-confirmation"),
        Some(&liaison),
        json!({"contact_email": contact}),
    )
    .await
}

/// How many acceptance links went to `contact`.
async fn links_to(app: &TestApp, contact: &str) -> u64 {
    use domain::entities::outbox;
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(contact))
        .filter(outbox::Column::BodyText.contains("/aceptar-plan/"))
        .fetch_count(app.db())
        .await
}

#[rocket::async_test]
async fn an_assistance_starts_once_its_entity_accepts_the_plan_through_the_link() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", Some(CONTACT)).await;

    // Nothing agreed: it cannot start, and says why in Spanish.
    let (status, refused) = start(&app, &dnp, id).await;
    assert_eq!(status, Status::Conflict, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("plan de trabajo aceptado por la entidad"),
        "{refused}"
    );

    // The diagnosis: its findings required; recorded with who and when.
    let diagnosis = format!("/api/v1/assistances/{id}/diagnosis");
    let refused = api_post(&app, &diagnosis, Some(&dnp), json!({"findings": " "}))
        .await
        .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&refused), vec!["findings".to_string()]);
    let recorded = api_post(
        &app,
        &diagnosis,
        Some(&dnp),
        json!({"findings": "Las metas del plan de desarrollo no tienen línea de base.",
                    "evidence": "https://elpaujil-caqueta.gov.co/plan-de-desarrollo.pdf"}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(recorded["recorded_by"], "Camilo Esteban Pardo");

    // The plan: every problem at once, nothing written.
    let work_plan = format!("/api/v1/assistances/{id}/work-plan");
    let before = everything(&app).await;
    let refused = api_put(
        &app,
        &work_plan,
        Some(&dnp),
        json!({"activities": [{"text": "Taller", "due_on": days(400).to_string()},
                                   {"text": "", "due_on": "mañana"}],
                    "products_expected": []}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&refused);
    for field in ["activities[0]", "activities[1]", "products_expected"] {
        assert!(fields.contains(&field.to_string()), "{field}: {refused}");
    }
    assert!(everything(&app).await == before, "nothing was written");
    let first = api_put(
        &app,
        &work_plan,
        Some(&dnp),
        plan(&[("Revisión de las metas con planeación", 5)]),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(first["version"], 1);
    assert!(first["acceptance"].is_null());
    // Still not accepted: still refused.
    assert_eq!(start(&app, &dnp, id).await.0, Status::Conflict);
    // Issue 62: the contact the provider typed gets the link once the liaison confirms it.
    assert_eq!(links_to(&app, CONTACT).await, 0, "not confirmed yet");
    let (status, confirmed) = confirm(&app, id, CONTACT).await;
    assert_eq!(status, Status::Created, "{confirmed}");

    // The entity's contact sees the diagnosis and the plan from the emailed link, and accepts.
    let link = acceptance_link(&app, CONTACT)
        .await
        .expect("the link emailed");
    let path = format!("/aceptar-plan/{link}");
    let page = app.client.get(path.clone()).dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("no tienen línea de base"), "the diagnosis");
    assert!(
        html.contains("Revisión de las metas con planeación"),
        "the plan"
    );
    assert!(html.contains("Aceptar el plan de trabajo"), "the form");
    let csrf = csrf_from(&app, &path).await;
    let version = first["version"].to_string();
    let hash = json_str(&first["content_hash"]).to_string();
    assert!(
        html.contains(&format!("name=\"content_hash\" value=\"{hash}\"")),
        "the form carries the hash of the text shown"
    );
    // Refused without the position: the form again, as typed.
    let refused = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("accepted_by", "Ana Lucía Torres"),
            ("position", ""),
            ("version", &version),
            ("content_hash", &hash),
        ],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("value=\"Ana Lucía Torres\""), "kept as typed");
    assert!(html.contains("Escriba el cargo"), "{html}");
    let accepted = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("accepted_by", "Ana Lucía Torres"),
            ("position", "Alcaldesa"),
            ("version", &version),
            ("content_hash", &hash),
        ],
    )
    .await;
    assert_eq!(accepted.status(), Status::Ok);
    assert!(
        accepted
            .into_string()
            .await
            .unwrap()
            .contains("quedó registrada")
    );
    // Once: the link does not accept again, and what was recorded stays.
    api_post(
        &app,
        &format!("/api/v1/work-plan-acceptances/{link}"),
        None,
        json!({"accepted_by": "Otra Persona", "position": "Secretaria"}),
    )
    .await
    .expect_status(Status::Conflict);
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    let acceptance = &now["work_plan"]["acceptance"];
    assert_eq!(acceptance["accepted_by"], "Ana Lucía Torres", "{now}");
    assert_eq!(acceptance["position"], "Alcaldesa");
    assert_eq!(acceptance["via"], "link");
    assert!(acceptance["accepted_at"].is_string());
    assert_eq!(
        now["diagnosis"]["evidence"],
        "https://elpaujil-caqueta.gov.co/plan-de-desarrollo.pdf"
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("assistance.work_plan_accepted"))
        .filter(audit_log::Column::SubjectId.eq(id.to_string()))
        .fetch_all(app.db())
        .await;
    assert_eq!(audited.len(), 1, "audited once");
    assert!(
        audited[0]
            .after_json
            .as_deref()
            .unwrap_or_default()
            .contains("Alcaldesa")
    );

    // Now it starts.
    let (status, started) = start(&app, &dnp, id).await;
    assert_eq!(status, Status::Ok, "{started}");
    assert_eq!(started["status"], "in_progress");

    // A change after acceptance is version 2, emailed with a new link; the old one is spent.
    let second = api_put(
        &app,
        &work_plan,
        Some(&dnp),
        plan(&[
            ("Revisión de las metas con planeación", 5),
            ("Taller con el concejo", 30),
        ]),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(second["version"], 2);
    assert!(second["acceptance"].is_null(), "needs a new acceptance");
    let new_link = acceptance_link(&app, CONTACT).await.unwrap();
    assert_ne!(new_link, link);
    let (status, _) = api_post(
        &app,
        &format!("/api/v1/work-plan-acceptances/{link}"),
        None,
        json!({"accepted_by": "Ana Lucía Torres", "position": "Alcaldesa"}),
    )
    .await;
    assert_eq!(status, Status::Conflict, "the earlier version's link");
    // The same plan again changes nothing.
    let (_, same) = api_put(
        &app,
        &work_plan,
        Some(&dnp),
        plan(&[
            ("Revisión de las metas con planeación", 5),
            ("Taller con el concejo", 30),
        ]),
    )
    .await;
    assert_eq!(same["version"], 2);
    let accepted = api_post(
        &app,
        &format!("/api/v1/work-plan-acceptances/{new_link}"),
        None,
        accepting(&same, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(accepted["version"], 2);
}

#[rocket::async_test]
async fn a_changed_plan_is_accepted_again_by_its_territory_only() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let id = planned(&app, &dnp, "18256", None).await;
    let acceptance = format!("/api/v1/assistances/{id}/work-plan/acceptance");
    let who = json!({"accepted_by": "Jhon Fredy Calderón", "position": "Alcalde",
                     "version": 1, "content_hash": "0"});

    // No plan yet: nothing to accept.
    api_post(&app, &acceptance, Some(&liaison), who.clone())
        .await
        .expect_status(Status::Conflict);
    let work_plan = format!("/api/v1/assistances/{id}/work-plan");
    let first = api_put(&app, &work_plan, Some(&dnp), plan(&[("Taller", 10)]))
        .await
        .expect_status(Status::Ok);

    let who = accepting(&first, "Jhon Fredy Calderón", "Alcalde");
    // Neither the provider nor another department's reviewer accepts for the entity; nor El
    // Paujíl's liaison for another municipality's assistance.
    let before = everything(&app).await;
    for (t, expected) in [(&meta, Status::NotFound), (&dnp, Status::Forbidden)] {
        let (status, body) = api_post(&app, &acceptance, Some(t), who.clone()).await;
        assert_eq!(status, expected, "{body}");
    }
    assert!(everything(&app).await == before, "nothing was written");
    let elsewhere = planned(&app, &dnp, "18592", None).await;
    api_put(
        &app,
        &format!("/api/v1/assistances/{elsewhere}/work-plan"),
        Some(&dnp),
        plan(&[("Taller", 10)]),
    )
    .await;
    let before_elsewhere = everything(&app).await;
    let (status, _) = api_post(
        &app,
        &format!("/api/v1/assistances/{elsewhere}/work-plan/acceptance"),
        Some(&liaison),
        who.clone(),
    )
    .await;
    assert_eq!(status, Status::NotFound, "another municipality's");
    assert!(
        everything(&app).await == before_elsewhere,
        "nothing was written"
    );

    // El Paujíl's liaison accepts; changed, it is accepted again before it can start.
    let accepted = api_post(&app, &acceptance, Some(&liaison), who.clone())
        .await
        .expect_status(Status::Created);
    assert_eq!(accepted["acceptance"]["via"], "liaison");
    let second = api_put(
        &app,
        &work_plan,
        Some(&dnp),
        plan(&[("Taller", 10), ("Segundo taller", 20)]),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(second["version"], 2);
    // Issue 62: the acceptance of the version read before the change is stale (409).
    let stale = api_post(&app, &acceptance, Some(&liaison), who.clone())
        .await
        .expect_status(Status::Conflict);
    assert!(
        stale["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("cambió mientras lo revisaba"),
        "{stale}"
    );
    let who = accepting(&second, "Jhon Fredy Calderón", "Alcalde");
    let (status, refused) = start(&app, &dnp, id).await;
    assert_eq!(status, Status::Conflict, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("versión 2"),
        "{refused}"
    );
    // The page's «Iniciar» says the same and keeps the page.
    assert_eq!(
        sign_in_page(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await,
        Status::SeeOther
    );
    let path = format!("/asistencias/{id}");
    let csrf = csrf_from(&app, &path).await;
    let refused = post_form(
        &app,
        &format!("{path}/estado"),
        &[("csrf_token", &csrf), ("status", "in_progress")],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(
        html.contains("aún no acepta la versión 2 del plan de trabajo"),
        "{html}"
    );
    assert!(
        html.contains("Espera la aceptación de la entidad"),
        "the plan shown"
    );
    // Caquetá's reviewer accepts for the entity too (issue 62), recorded as theirs.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let by_reviewer = api_post(&app, &acceptance, Some(&reviewer), who.clone())
        .await
        .expect_status(Status::Created);
    assert_eq!(by_reviewer["acceptance"]["via"], "reviewer");
    let (status, again) = api_post(&app, &acceptance, Some(&liaison), who).await;
    assert_eq!(status, Status::Conflict, "accepted once: {again}");
    let (status, started) = start(&app, &dnp, id).await;
    assert_eq!(status, Status::Ok, "{started}");
}

#[rocket::async_test]
async fn a_visit_before_the_plan_is_accepted_leaves_the_assistance_planned() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", None).await;
    api_post(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&dnp),
        json!({"date": days(-2).to_string(), "modality": "presencial", "hours": 2,
                    "topics": "Diagnóstico con el equipo de planeación"}),
    )
    .await
    .expect_status(Status::Created);
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    assert_eq!(
        now["status"], "planned",
        "the diagnosis visit does not start it"
    );
}

async fn agreements(app: &TestApp, who: &str, query: &str) -> Value {
    let (status, body) = api_get(app, &format!("/api/v1/agreements{query}"), Some(who)).await;
    assert_eq!(status, Status::Ok, "{query}: {body}");
    body
}

#[rocket::async_test]
async fn the_agreements_are_listed_within_the_reader_s_scope() {
    let app = TestApp::with_demo().await;
    let all = visit_agreement::Entity::find().fetch_count(app.db()).await;
    assert!(all > 3, "the demo's agreements");

    // ESAP's national coordinator: every one, paged.
    let esap = role_token(&app, Role::Coordinator).await;
    let every = agreements(&app, &esap, "?per_page=500").await;
    assert_eq!(every["total"].as_u64(), Some(all));
    let one = agreements(&app, &esap, "?per_page=1&page=2").await;
    assert_eq!(json_items(&one).len(), 1);
    assert_eq!(one["total"].as_u64(), Some(all));

    // The liaison: its municipality's; the reviewers: their department's.
    let liaison = role_token(&app, Role::Liaison).await;
    let own = agreements(&app, &liaison, "").await;
    assert!(!json_items(&own).is_empty());
    assert!(
        json_items(&own)
            .iter()
            .all(|a| a["municipality_code"] == "18256"),
        "{own}"
    );
    let caqueta = role_token(&app, Role::Reviewer).await;
    let department = agreements(&app, &caqueta, "").await;
    assert!(
        json_items(&department)
            .iter()
            .all(|a| a["department_code"] == "18")
    );
    assert!(department["total"].as_u64() < Some(all), "not Meta's");
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let theirs = agreements(&app, &meta, "").await;
    assert!(!json_items(&theirs).is_empty(), "Mapiripán's");
    assert!(
        json_items(&theirs)
            .iter()
            .all(|a| json_str(&a["municipality_code"]).starts_with("50"))
    );

    // Another provider's coordinator: its provider's only.
    let public_function = token(
        &app,
        "coordinacion.funcionpublica@aulaterritorial.example",
        "Coordina-DAFP-2026",
    )
    .await;
    let its = agreements(&app, &public_function, "").await;
    assert!(!json_items(&its).is_empty());
    assert!(
        json_items(&its)
            .iter()
            .all(|a| json_str(&a["provider_name"]).contains("Función Pública")),
        "{its}"
    );
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    assert_eq!(agreements(&app, &dnp, "").await["total"], 0, "DNP has none");

    // The filters.
    let overdue = agreements(&app, &esap, "?overdue=true").await;
    assert!(!json_items(&overdue).is_empty(), "El Paujíl's overdue one");
    assert!(
        json_items(&overdue)
            .iter()
            .all(|a| a["overdue"] == true && a["status"] == "pending")
    );
    let done = agreements(&app, &esap, "?status=done").await;
    assert!(!json_items(&done).is_empty());
    assert!(json_items(&done).iter().all(|a| a["status"] == "done"));
    let place = agreements(&app, &esap, "?municipality=18592").await;
    assert!(!json_items(&place).is_empty());
    assert!(
        json_items(&place)
            .iter()
            .all(|a| a["municipality_code"] == "18592")
    );
    api_get(&app, "/api/v1/agreements?status=hecho", Some(&esap))
        .await
        .expect_status(Status::UnprocessableEntity);
    let participant = role_token(&app, Role::Participant).await;
    api_get(&app, "/api/v1/agreements", Some(&participant))
        .await
        .expect_status(Status::Forbidden);
}

#[rocket::async_test]
async fn the_assistances_under_way_before_the_rule_are_recorded_as_agreed_before_it() {
    use domain::entities::values::{AcceptanceVia, AssistanceStatus};
    use domain::entities::{assistance, assistance_work_plan};
    use migrations::{Migrator, MigratorTrait};
    let app = TestApp::with_demo().await;
    let db = app.db();
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let waiting = planned(&app, &dnp, "18256", None).await;
    // The schema before the rule (migration 25 and every one after it undone), and back.
    let since = Migrator::migrations()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261215_000025_agreed_plans")
        .count() as u32
        + 1;
    Migrator::down(db, Some(since)).await.expect("down to 24");
    Migrator::up(db, None).await.expect("up again");
    let plans = assistance_work_plan::Entity::find().all(db).await.unwrap();
    for row in assistance::Entity::find().all(db).await.unwrap() {
        let of: Vec<_> = plans.iter().filter(|p| p.assistance_id == row.id).collect();
        match row.status {
            AssistanceStatus::InProgress | AssistanceStatus::Closed => {
                assert_eq!(of.len(), 1, "{}", row.id);
                assert_eq!(of[0].accepted_via, Some(AcceptanceVia::BeforeRule));
                assert!(of[0].accepted_at.is_some() && of[0].accepted_by.is_none());
            }
            _ => assert!(of.is_empty(), "{}: {:?}", row.id, row.status),
        }
    }
    // The planned one follows the rule; the others read «agreed before the rule».
    assert_eq!(start(&app, &dnp, waiting).await.0, Status::Conflict);
    let (_, first) = api_get(&app, "/api/v1/assistances/1", Some(&dnp)).await;
    assert_eq!(
        first["work_plan"]["acceptance"]["via"], "before_rule",
        "{first}"
    );
}

#[rocket::async_test]
async fn the_page_records_the_diagnosis_and_the_plan_as_rows_and_the_liaison_accepts_it() {
    use crate::support::{csrf_from_client, demo_account, form_body, sign_in_client};
    use rocket::http::ContentType;
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", None).await;
    let path = format!("/asistencias/{id}");
    let coordinator = app.another_instance(&[]).await;
    sign_in_client(&coordinator, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let csrf = csrf_from_client(&coordinator, &path).await;
    let post = async |to: &str, fields: &[(&str, &str)]| {
        submit(&coordinator, &format!("{path}/{to}"), &csrf, fields).await
    };
    let (status, _) = post(
        "diagnostico",
        &[
            (
                "findings",
                "El archivo de gestión no tiene tablas de retención.",
            ),
            ("evidence", ""),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther);

    // «Agregar otra fila»: the form again as typed, one more activity row, nothing saved.
    let due = days(20).to_string();
    let typed = [
        ("activities[0].text", "Inventario del archivo"),
        ("activities[0].due_on", due.as_str()),
        ("activities[1].text", ""),
        ("activities[1].due_on", ""),
        ("activities[2].text", "Tablas de retención"),
        ("activities[2].due_on", due.as_str()),
        ("products[0].title", "Tablas de retención aprobadas"),
    ];
    let mut more = typed.to_vec();
    more.push(("more", "activities"));
    let (_, html) = post("plan-de-trabajo", &more).await;
    assert!(
        html.contains("value=\"Inventario del archivo\"") && html.contains("id=\"p-act-3-text\""),
        "{html}"
    );
    assert!(!html.contains("id=\"p-act-4-text\""));
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    assert!(now["work_plan"].is_null(), "nothing saved");
    // Refused: the problem beside its row (the third row group, the second sent).
    let mut wrong = typed.to_vec();
    wrong[5] = ("activities[2].due_on", "luego");
    let (status, html) = post("plan-de-trabajo", &wrong).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("id=\"error-plan-activities-2\"") && html.contains("value=\"luego\""),
        "{html}"
    );
    let (status, _) = post("plan-de-trabajo", &typed).await;
    assert_eq!(status, Status::SeeOther);
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    assert_eq!(
        now["diagnosis"]["findings"],
        "El archivo de gestión no tiene tablas de retención."
    );
    assert!(now["diagnosis"]["evidence"].is_null());
    let plan = &now["work_plan"];
    assert_eq!(plan["version"], 1);
    assert_eq!(
        json_array(&plan["activities"]).len(),
        2,
        "the blank row left out"
    );
    assert_eq!(
        plan["products_expected"],
        json!(["Tablas de retención aprobadas"])
    );

    // El Paujíl's liaison sees the plan waiting and accepts it on the page.
    let liaison = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Liaison);
    sign_in_client(&liaison, email, password).await;
    let html = body_of(&liaison, path.clone()).await;
    assert!(
        html.contains("Espera la aceptación de la entidad")
            && html.contains("Aceptar el plan de trabajo")
    );
    let csrf = csrf_from_client(&liaison, &path).await;
    let response = liaison
        .post(format!("{path}/plan-de-trabajo/aceptacion"))
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("accepted_by", "Jhon Fredy Calderón"),
            ("position", "Alcalde"),
            ("version", "1"),
            ("content_hash", json_str(&plan["content_hash"])),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let html = body_of(&liaison, path.clone()).await;
    assert!(
        html.contains("por Jhon Fredy Calderón (Alcalde) por el enlace municipal"),
        "{html}"
    );
    assert!(
        !html.contains("Aceptar el plan de trabajo</button>"),
        "accepted once"
    );
    assert_eq!(start(&app, &dnp, id).await.0, Status::Ok);
}

/// Issue 62: DNP typed its own mailbox as the entity's contact. No link goes to it, DNP cannot
/// confirm it itself, and the page says why and who confirms it.
#[rocket::async_test]
async fn a_contact_only_the_provider_typed_receives_no_link() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let own = "coordinacion.dnp@aulaterritorial.example";
    let id = planned(&app, &dnp, "18256", Some(own)).await;
    api_put(
        &app,
        &format!("/api/v1/assistances/{id}/work-plan"),
        Some(&dnp),
        plan(&[("Taller", 10)]),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(
        links_to(&app, own).await,
        0,
        "no link to an unconfirmed contact"
    );
    // The provider cannot confirm its own contact; nor can another department's reviewer.
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let before = everything(&app).await;
    for (who, expected) in [(&dnp, Status::Forbidden), (&meta, Status::NotFound)] {
        let (status, body) = api_post(
            &app,
            &format!("/api/v1/assistances/{id}/contact-confirmation"),
            Some(who),
            json!({"contact_email": own}),
        )
        .await;
        assert_eq!(status, expected, "{body}");
    }
    assert!(everything(&app).await == before, "nothing was written");
    let (_, now) = api_get(&app, &format!("/api/v1/assistances/{id}"), Some(&dnp)).await;
    assert_eq!(now["contact_confirmed"], false, "{now}");
    assert!(now["contact_confirmed_by"].is_null());
    assert_eq!(start(&app, &dnp, id).await.0, Status::Conflict);
    // The page says why no link went out and who confirms the contact.
    assert_eq!(
        sign_in_page(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await,
        Status::SeeOther
    );
    let html = body_of(&app.client, format!("/asistencias/{id}")).await;
    assert!(
        html.contains(&format!("No se envió el enlace de aceptación a {own}"))
            && html.contains("el enlace municipal de El Paujíl o el revisor departamental"),
        "{html}"
    );
    assert!(
        !html.contains("Confirmar el contacto de la entidad"),
        "not DNP's to confirm"
    );
}

/// Issue 62: the liaison confirms the contact (the address they saw: another → 409), the
/// version waiting is emailed to it then, and the link accepts exactly that version and text.
#[rocket::async_test]
async fn a_contact_the_liaison_confirmed_accepts_through_the_link() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", Some(CONTACT)).await;
    let (_, first) = api_put(
        &app,
        &format!("/api/v1/assistances/{id}/work-plan"),
        Some(&dnp),
        plan(&[("Taller", 10)]),
    )
    .await;
    // Refused: no address, or another address than the contact.
    let (status, refused) = confirm(&app, id, "").await;
    assert_eq!(status, Status::UnprocessableEntity, "{refused}");
    assert_eq!(error_fields(&refused), vec!["contact_email".to_string()]);
    let (status, refused) = confirm(&app, id, "otro@elpaujil-caqueta.gov.co").await;
    assert_eq!(status, Status::Conflict, "{refused}");
    assert_eq!(links_to(&app, CONTACT).await, 0);
    let (status, confirmed) = confirm(&app, id, CONTACT).await;
    assert_eq!(status, Status::Created, "{confirmed}");
    assert_eq!(confirmed["contact_confirmed"], true);
    assert_eq!(
        confirmed["contact_confirmed_by"]["full_name"],
        "Yurany Andrea Cuéllar"
    );
    assert_eq!(
        links_to(&app, CONTACT).await,
        1,
        "the link of the version waiting"
    );
    // Confirming again sends nothing more.
    assert_eq!(confirm(&app, id, CONTACT).await.0, Status::Created);
    assert_eq!(links_to(&app, CONTACT).await, 1);
    let link = acceptance_link(&app, CONTACT).await.unwrap();
    let accept = format!("/api/v1/work-plan-acceptances/{link}");
    // A stale hash of the text: 409, nothing accepted.
    let mut stale = accepting(&first, "Ana Lucía Torres", "Alcaldesa");
    stale["content_hash"] = json!("0".repeat(64));
    api_post(&app, &accept, None, stale)
        .await
        .expect_status(Status::Conflict);
    let mut stale = accepting(&first, "Ana Lucía Torres", "Alcaldesa");
    stale["version"] = json!(2);
    assert_eq!(
        api_post(&app, &accept, None, stale).await.0,
        Status::Conflict
    );
    // Without them: 422, both named.
    let refused = api_post(
        &app,
        &accept,
        None,
        json!({"accepted_by": "Ana Lucía Torres", "position": "Alcaldesa"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let fields = error_fields(&refused);
    assert!(
        fields.contains(&"version".to_string()) && fields.contains(&"content_hash".to_string())
    );
    let accepted = api_post(
        &app,
        &accept,
        None,
        accepting(&first, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(accepted["acceptance"]["via"], "link");
    assert_eq!(start(&app, &dnp, id).await.0, Status::Ok);
}

/// Issue 62: a plan changed while its version waits is a new version (the one waiting is
/// kept as it was) and the link sent for it is void (410, in Spanish, on the page too).
#[rocket::async_test]
async fn a_plan_changed_while_waiting_is_a_new_version_and_voids_its_link() {
    use domain::entities::{assistance_work_plan, work_plan_activity};
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", Some(CONTACT)).await;
    assert_eq!(confirm(&app, id, CONTACT).await.0, Status::Created);
    let work_plan = format!("/api/v1/assistances/{id}/work-plan");
    let (_, first) = api_put(&app, &work_plan, Some(&dnp), plan(&[("Taller A", 10)])).await;
    assert_eq!(first["version"], 1);
    let old_link = acceptance_link(&app, CONTACT)
        .await
        .expect("the link of version 1");
    let second = api_put(&app, &work_plan, Some(&dnp), plan(&[("Taller B", 10)]))
        .await
        .expect_status(Status::Ok);
    assert_eq!(
        second["version"], 2,
        "a new version, not version 1 rewritten"
    );
    assert_ne!(second["content_hash"], first["content_hash"]);
    // Version 1 stays as the entity read it.
    let v1 = assistance_work_plan::Entity::find()
        .filter(assistance_work_plan::Column::AssistanceId.eq(id as i32))
        .filter(assistance_work_plan::Column::Version.eq(1))
        .expect_one(app.db())
        .await;
    let texts: Vec<String> = work_plan_activity::Entity::find()
        .filter(work_plan_activity::Column::WorkPlanId.eq(v1.id))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|a| a.text)
        .collect();
    assert_eq!(texts, vec!["Taller A".to_string()]);
    // The old link: 410 in Spanish, by the API and on its page; nothing accepted.
    let gone = api_post(
        &app,
        &format!("/api/v1/work-plan-acceptances/{old_link}"),
        None,
        accepting(&first, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Gone);
    assert!(
        gone["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("el plan de trabajo cambió después de enviarlo"),
        "{gone}"
    );
    let page = app
        .client
        .get(format!("/aceptar-plan/{old_link}"))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::Gone);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("Este enlace ya no es válido"), "{html}");
    assert!(!html.contains("Aceptar el plan de trabajo</button>"));
    // Even the new version's text through the old link: 410.
    assert_eq!(
        api_post(
            &app,
            &format!("/api/v1/work-plan-acceptances/{old_link}"),
            None,
            accepting(&second, "Ana Lucía Torres", "Alcaldesa")
        )
        .await
        .0,
        Status::Gone
    );
    // The new link accepts version 2, not version 1's text.
    let new_link = acceptance_link(&app, CONTACT).await.unwrap();
    assert_ne!(new_link, old_link);
    let accept = format!("/api/v1/work-plan-acceptances/{new_link}");
    let mut read_before = accepting(&first, "Ana Lucía Torres", "Alcaldesa");
    read_before["version"] = json!(2);
    assert_eq!(
        api_post(&app, &accept, None, read_before).await.0,
        Status::Conflict
    );
    let accepted = api_post(
        &app,
        &accept,
        None,
        accepting(&second, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(accepted["version"], 2);
}

/// Issue 62: changing the contact after the link was sent voids it (410), clears the
/// confirmation, and sends nothing to the new address until the territory confirms it.
#[rocket::async_test]
async fn a_contact_changed_after_the_link_voids_it() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", Some(CONTACT)).await;
    assert_eq!(confirm(&app, id, CONTACT).await.0, Status::Created);
    let (_, first) = api_put(
        &app,
        &format!("/api/v1/assistances/{id}/work-plan"),
        Some(&dnp),
        plan(&[("Taller", 10)]),
    )
    .await;
    let link = acceptance_link(&app, CONTACT).await.expect("the link");
    let other = "despacho@elpaujil-caqueta.gov.co";
    let changed = api_patch(
        &app,
        &format!("/api/v1/assistances/{id}"),
        Some(&dnp),
        json!({"contact_email": other}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(changed["contact_confirmed"], false);
    let accept = format!("/api/v1/work-plan-acceptances/{link}");
    let gone = api_post(
        &app,
        &accept,
        None,
        accepting(&first, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Gone);
    assert!(
        gone["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("el contacto de la entidad cambió"),
        "{gone}"
    );
    assert_eq!(
        links_to(&app, other).await,
        0,
        "the new address is not confirmed"
    );
    // Back to the first address: still void, and still unconfirmed.
    let (_, back) = api_patch(
        &app,
        &format!("/api/v1/assistances/{id}"),
        Some(&dnp),
        json!({"contact_email": CONTACT}),
    )
    .await;
    assert_eq!(back["contact_confirmed"], false);
    assert_eq!(
        api_post(
            &app,
            &accept,
            None,
            accepting(&first, "Ana Lucía Torres", "Alcaldesa")
        )
        .await
        .0,
        Status::Gone
    );
    // Confirmed again: a new link, which accepts.
    assert_eq!(confirm(&app, id, CONTACT).await.0, Status::Created);
    let new_link = acceptance_link(&app, CONTACT).await.unwrap();
    assert_ne!(new_link, link);
    api_post(
        &app,
        &format!("/api/v1/work-plan-acceptances/{new_link}"),
        None,
        accepting(&first, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Created);
}

/// Issue 62: a link emailed before the rule went to an address only the provider typed; the
/// migration keeps it, voided, so it answers 410 with why (never accepts).
#[rocket::async_test]
async fn a_link_sent_before_the_rule_is_void() {
    use migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let app = TestApp::with_demo().await;
    let db = app.db();
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = planned(&app, &dnp, "18256", Some(CONTACT)).await;
    let (_, first) = api_put(
        &app,
        &format!("/api/v1/assistances/{id}/work-plan"),
        Some(&dnp),
        plan(&[("Taller", 10)]),
    )
    .await;
    // The schema before migration 38, a link stored the old way, and up again.
    let since = Migrator::migrations()
        .iter()
        .rev()
        .take_while(|m| m.name() != "m20261228_000038_confirmed_contacts")
        .count() as u32
        + 1;
    Migrator::down(db, Some(since)).await.expect("down to 37");
    let hash = domain::accounts::secrets::token_hash("enlace-de-antes");
    db.execute_unprepared(&format!(
        "UPDATE assistance_work_plans SET acceptance_token_hash = '{hash}' \
         WHERE assistance_id = {id}"
    ))
    .await
    .unwrap();
    Migrator::up(db, None).await.expect("up again");
    let gone = api_post(
        &app,
        "/api/v1/work-plan-acceptances/enlace-de-antes",
        None,
        accepting(&first, "Ana Lucía Torres", "Alcaldesa"),
    )
    .await
    .expect_status(Status::Gone);
    assert!(
        gone["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("nadie del territorio había confirmado"),
        "{gone}"
    );
}

/// Issue 62: the closing's evaluation link, like the acceptance link, goes only to a contact
/// the territory confirmed. DNP's own mailbox typed as the contact gets none when DNP closes
/// the assistance (the liaison evaluates signed in); once the liaison confirms a contact, the
/// next closing emails it.
#[rocket::async_test]
async fn the_evaluation_link_goes_only_to_a_confirmed_contact() {
    use domain::entities::outbox;
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let own = "coordinacion.dnp@aulaterritorial.example";
    let evaluation_links = |to: &'static str| {
        let app = &app;
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::Recipient.eq(to))
                .filter(outbox::Column::BodyText.contains("/evaluar-asistencia/"))
                .fetch_count(app.db())
                .await
        }
    };
    for (contact, confirmed) in [(own, false), (CONTACT, true)] {
        let id = planned(&app, &dnp, "18256", Some(contact)).await;
        if confirmed {
            let (status, body) = confirm(&app, id, contact).await;
            assert_eq!(status, Status::Created, "{body}");
        }
        let plan_view = api_put(
            &app,
            &format!("/api/v1/assistances/{id}/work-plan"),
            Some(&dnp),
            plan(&[("Taller", 10)]),
        )
        .await
        .expect_status(Status::Ok);
        api_post(
            &app,
            &format!("/api/v1/assistances/{id}/work-plan/acceptance"),
            Some(&liaison),
            accepting(&plan_view, "Jhon Fredy Calderón", "Alcalde"),
        )
        .await
        .expect_status(Status::Created);
        assert_eq!(start(&app, &dnp, id).await.0, Status::Ok);
        api_post(
            &app,
            &format!("/api/v1/assistances/{id}/status"),
            Some(&dnp),
            json!({"status": "closed", "objective_reached": true,
                        "summary": "La alcaldía adoptó su plan de acción."}),
        )
        .await
        .expect_status(Status::Ok);
        assert_eq!(
            evaluation_links(contact).await,
            u64::from(confirmed),
            "evaluation link to {contact} (confirmed: {confirmed})"
        );
    }
}
