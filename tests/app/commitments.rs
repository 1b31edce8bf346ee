//! Issue 49, item 2: a visit's agreements (compromisos) followed. Each is pending, done (with
//! its day and a note) or dropped (with the reason); its provider changes the state through the
//! API or the assistance's page, audited; bad input is refused with the field; the territory
//! reads and does not write; the overdue ones are flagged on the liaison's, the reviewer's and
//! the provider coordinator's homes and in the assistance's workbook; the visit form takes its
//! lists as rows; the agreements recorded before keep their state through the migration.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_REVIEWER, api_get, api_patch, csrf_from_client,
    demo_account, error_fields, form_body, json_array, json_items, role_token, sign_in_client,
    token,
};
use crate::world::days;
use domain::entities::values::Role;
use domain::entities::{assistance, assistance_visit, audit_log, user};
use migrations::{Migrator, MigratorTrait};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The demo's overdue agreement (El Paujíl's alcaldía, ESAP's assistance).
const OVERDUE: &str = "Cargar los datos del trimestre en el tablero";

/// ESAP's assistance to El Paujíl's alcaldía (the demo's, in progress).
async fn paujil(app: &TestApp) -> i32 {
    assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq("18256"))
        .filter(assistance::Column::ProviderId.eq(domain::providers::ESAP))
        .one(app.db())
        .await
        .unwrap()
        .expect("ESAP's assistance to El Paujíl")
        .id
}

/// The agreements of assistance `id` as `token` reads them.
async fn agreements(app: &TestApp, id: i32, token: &str) -> Vec<Value> {
    let body = api_get(
        app,
        &format!("/api/v1/assistances/{id}/agreements"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    body["items"].as_array().cloned().unwrap_or_default()
}

fn with_text<'a>(items: &'a [Value], text: &str) -> &'a Value {
    items
        .iter()
        .find(|a| a["text"] == text)
        .unwrap_or_else(|| panic!("«{text}» among {items:?}"))
}

async fn patch(app: &TestApp, id: i64, token: &str, body: Value) -> (Status, Value) {
    api_patch(app, &format!("/api/v1/agreements/{id}"), Some(token), body).await
}

async fn audited(app: &TestApp, id: i64) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("assistance.agreement_status_changed"))
        .filter(audit_log::Column::SubjectId.eq(id.to_string()))
        .fetch_all(app.db())
        .await
}

async fn signed_in(app: &TestApp, (email, password): (&str, &str)) -> Client {
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, email, password).await;
    browser
}

async fn html(browser: &Client, path: &str) -> String {
    let response = browser.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.unwrap()
}

#[rocket::async_test]
async fn an_agreement_goes_done_dropped_and_pending_again_each_change_audited() {
    let app = TestApp::with_demo().await;
    let id = paujil(&app).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let items = agreements(&app, id, &esap).await;
    // The demo has one in each state.
    let mut states: Vec<&str> = items.iter().filter_map(|a| a["status"].as_str()).collect();
    states.sort_unstable();
    assert_eq!(states, ["done", "dropped", "pending"], "{items:?}");
    let overdue = with_text(&items, OVERDUE);
    assert_eq!(overdue["status"], "pending");
    assert_eq!(overdue["overdue"], true);
    let agreement = overdue["id"].as_i64().unwrap();

    let (email, _) = demo_account(Role::Coordinator);
    let me = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    let yesterday = days(-1).to_string();
    let (status, done) = patch(
        &app,
        agreement,
        &esap,
        json!({"status": "done", "done_on": yesterday, "note": "Datos cargados"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["done_on"], yesterday);
    assert_eq!(done["note"], "Datos cargados");
    assert_eq!(done["overdue"], false);
    let log = audited(&app, agreement).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor_user_id, Some(me.id), "who");
    let before = log[0].before_json.clone().unwrap_or_default();
    let after = log[0].after_json.clone().unwrap_or_default();
    assert!(
        before.contains("\"pending\"") && after.contains("\"done\""),
        "{before} {after}"
    );
    assert!(after.contains("Datos cargados"), "{after}");

    let (status, dropped) = patch(
        &app,
        agreement,
        &esap,
        json!({"status": "dropped", "reason": "La alcaldía cambió de tablero"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{dropped}");
    assert_eq!(dropped["status"], "dropped");
    assert_eq!(dropped["reason"], "La alcaldía cambió de tablero");
    assert!(dropped["done_on"].is_null() && dropped["note"].is_null());

    let (status, pending) = patch(&app, agreement, &esap, json!({"status": "pending"})).await;
    assert_eq!(status, Status::Ok, "{pending}");
    assert_eq!(pending["status"], "pending");
    assert!(pending["reason"].is_null());
    assert_eq!(pending["overdue"], true, "past its due date again");
    assert_eq!(audited(&app, agreement).await.len(), 3, "every change");

    // Today when the day is left out.
    let (status, today) = patch(&app, agreement, &esap, json!({"status": "done"})).await;
    assert_eq!(status, Status::Ok, "{today}");
    assert_eq!(today["done_on"], days(0).to_string());
    // The visits show the same state.
    let (_, visits) = api_get(
        &app,
        &format!("/api/v1/assistances/{id}/visits"),
        Some(&esap),
    )
    .await;
    let shown: Vec<&Value> = json_items(&visits)
        .iter()
        .flat_map(|v| json_array(&v["agreements"]))
        .collect();
    let same = shown
        .iter()
        .find(|a| a["id"].as_i64() == Some(agreement))
        .expect("in its visit");
    assert_eq!(same["status"], "done");
}

#[rocket::async_test]
async fn a_refused_change_names_its_field_and_changes_nothing() {
    let app = TestApp::with_demo().await;
    let id = paujil(&app).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let agreement = with_text(&agreements(&app, id, &esap).await, OVERDUE)["id"]
        .as_i64()
        .unwrap();
    for (body, field) in [
        (json!({"status": "finished"}), "status"),
        (json!({}), "status"),
        (json!({"status": "dropped"}), "reason"),
        (json!({"status": "dropped", "reason": "   "}), "reason"),
        (
            json!({"status": "done", "done_on": "2026-02-30"}),
            "done_on",
        ),
        (json!({"status": "done", "done_on": "mañana"}), "done_on"),
        (
            json!({"status": "done", "done_on": days(3).to_string()}),
            "done_on",
        ),
        (
            json!({"status": "done", "done_on": days(-400).to_string()}),
            "done_on",
        ),
    ] {
        let (status, refused) = patch(&app, agreement, &esap, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {refused}");
        assert!(
            error_fields(&refused).contains(&field.to_string()),
            "{body}: {refused}"
        );
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "a message in Spanish: {refused}");
    }
    let still = with_text(&agreements(&app, id, &esap).await, OVERDUE).clone();
    assert_eq!(still["status"], "pending");
    assert!(audited(&app, agreement).await.is_empty(), "nothing written");
}

#[rocket::async_test]
async fn only_its_provider_changes_an_agreement_and_its_territory_reads_it() {
    let app = TestApp::with_demo().await;
    let id = paujil(&app).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let agreement = with_text(&agreements(&app, id, &esap).await, OVERDUE)["id"]
        .as_i64()
        .unwrap();
    let done = json!({"status": "done"});
    // Another provider: as if it did not exist.
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (status, _) = patch(&app, agreement, &dnp, done.clone()).await;
    assert_eq!(status, Status::NotFound);
    // The department's reviewer and the municipality's liaison read, never write.
    for role in [Role::Reviewer, Role::Liaison] {
        let reader = role_token(&app, role).await;
        let items = agreements(&app, id, &reader).await;
        assert_eq!(with_text(&items, OVERDUE)["overdue"], true, "{role:?}");
        let (status, _) = patch(&app, agreement, &reader, done.clone()).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
    }
    // Another department's reviewer reads nothing of it.
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    api_get(
        &app,
        &format!("/api/v1/assistances/{id}/agreements"),
        Some(&meta),
    )
    .await
    .expect_status(Status::NotFound);
    let (status, _) = patch(&app, 999_999, &esap, done.clone()).await;
    assert_eq!(status, Status::NotFound);
    assert!(audited(&app, agreement).await.is_empty());
    // Through the pages too: the liaison has no form and cannot send one.
    let liaison = signed_in(&app, demo_account(Role::Liaison)).await;
    let page = html(&liaison, &format!("/asistencias/{id}")).await;
    assert!(page.contains(OVERDUE) && !page.contains("/compromisos/"));
}

#[rocket::async_test]
async fn overdue_agreements_show_on_the_homes_and_the_workbook_until_done() {
    let app = TestApp::with_demo().await;
    let id = paujil(&app).await;
    let liaison = signed_in(&app, demo_account(Role::Liaison)).await;
    let reviewer = signed_in(&app, demo_account(Role::Reviewer)).await;
    let coordinator = signed_in(&app, demo_account(Role::Coordinator)).await;
    for (who, browser) in [
        ("liaison", &liaison),
        ("reviewer", &reviewer),
        ("coordinator", &coordinator),
    ] {
        let home = html(browser, "/").await;
        assert!(
            home.contains("1 compromiso vencido") && home.contains(OVERDUE),
            "{who}: {home}"
        );
    }
    // Another department's reviewer is not told of it.
    let meta = signed_in(&app, META_REVIEWER).await;
    assert!(!html(&meta, "/").await.contains(OVERDUE));

    // The workbook flags it.
    let esap = role_token(&app, Role::Coordinator).await;
    let (status, _, bytes) = crate::support::download(
        &app,
        &format!("/api/v1/assistances/{id}/record.xlsx"),
        &esap,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let table = crate::support::read_table(&bytes, "Compromisos", "Visita");
    let header = &table[0];
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let row = table
        .iter()
        .find(|r| r.iter().any(|c| c == OVERDUE))
        .expect("its row");
    assert_eq!(row[column("Estado")], "Pendiente");
    assert_eq!(row[column("Vencido")], "Sí");
    assert!(
        table
            .iter()
            .any(|r| r[column("Estado")] == "Descartado" && !r[column("Nota o motivo")].is_empty()),
        "{table:?}"
    );

    // Marked done from the assistance's page.
    let agreement = with_text(&agreements(&app, id, &esap).await, OVERDUE)["id"]
        .as_i64()
        .unwrap();
    let path = format!("/asistencias/{id}");
    let page = html(&coordinator, &path).await;
    assert!(page.contains(&format!("action=\"/compromisos/{agreement}\"")));
    let csrf = csrf_from_client(&coordinator, &path).await;
    let response = coordinator
        .post(format!("/compromisos/{agreement}"))
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("status", "done"),
            ("done_on", &days(0).to_string()),
            ("note", "Tablero al día"),
            ("reason", ""),
        ]))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let page = html(&coordinator, &path).await;
    assert!(page.contains("Tablero al día"), "{page}");
    // Every home shows it at once, the kept ones too.
    for (who, browser) in [
        ("liaison", &liaison),
        ("reviewer", &reviewer),
        ("coordinator", &coordinator),
    ] {
        let home = html(browser, "/").await;
        assert!(
            !home.contains("compromisos-vencidos") && !home.contains(OVERDUE),
            "{who}"
        );
    }
}

#[rocket::async_test]
async fn the_visit_form_takes_rows_adds_one_and_keeps_them_when_refused() {
    let app = TestApp::with_demo().await;
    let id = paujil(&app).await;
    let coordinator = signed_in(&app, demo_account(Role::Coordinator)).await;
    let path = format!("/asistencias/{id}");
    let page = html(&coordinator, &path).await;
    assert!(
        page.contains("name=\"agreements[1].text\"")
            && !page.contains("name=\"agreements[2].text\"")
    );
    // Issue 66: only the product's one script (the offline queue and worker), no inline one.
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the product's script"
    );
    assert!(page.contains("<script src=\"/static/aula."));
    let csrf = csrf_from_client(&coordinator, &path).await;
    let visits = async || {
        assistance_visit::Entity::find()
            .filter(assistance_visit::Column::AssistanceId.eq(id))
            .fetch_count(app.db())
            .await
    };
    let before = visits().await;
    let date = days(-1).to_string();
    let due = days(20).to_string();
    let typed = |more: Option<&'static str>, owner: &'static str| {
        let mut fields = vec![
            ("csrf_token", csrf.clone()),
            ("date", date.clone()),
            ("modality", "virtual".to_string()),
            ("hours", "2,5".to_string()),
            ("topics", "Revisión del tablero".to_string()),
            ("attendees[0].full_name", "Luz Dary Peña".to_string()),
            (
                "attendees[0].position",
                "Secretaria de Planeación".to_string(),
            ),
            ("attendees[0].participant_id", String::new()),
            ("agreements[0].text", "Publicar el informe".to_string()),
            ("agreements[0].owner", "Planeación".to_string()),
            ("agreements[0].due_on", due.clone()),
            ("agreements[1].text", String::new()),
            ("agreements[1].owner", String::new()),
            ("agreements[1].due_on", String::new()),
            ("agreements[2].text", "Citar al consejo".to_string()),
            ("agreements[2].owner", owner.to_string()),
            ("agreements[2].due_on", due.clone()),
            ("products[0].title", String::new()),
            ("products[0].kind", "documento".to_string()),
        ];
        if let Some(list) = more {
            fields.push(("more", list.to_string()));
        }
        fields
    };
    let send = async |fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = coordinator
            .post(format!("/asistencias/{id}/visitas"))
            .header(ContentType::Form)
            .body(form_body(&fields))
            .dispatch()
            .await;
        let status = response.status();
        (status, response.into_string().await.unwrap_or_default())
    };

    // «Agregar otra fila»: the form again as typed, one more row, nothing saved.
    let (status, again) = send(typed(Some("agreements"), "")).await;
    assert_eq!(status, Status::Ok);
    for kept in [
        "name=\"agreements[3].text\"",
        "value=\"Publicar el informe\"",
        "value=\"Citar al consejo\"",
        "value=\"Luz Dary Peña\"",
        "value=\"2,5\"",
        ">Revisión del tablero</textarea>",
    ] {
        assert!(again.contains(kept), "{kept}");
    }
    assert!(!again.contains("name=\"agreements[4].text\""));
    assert_eq!(visits().await, before, "nothing saved");

    // Refused: the third row has no owner; the problem beside that row, every value kept.
    let (status, refused) = send(typed(None, "")).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("id=\"error-visita-agreements-2\"")
            && refused.contains("Indique quién es responsable del compromiso."),
        "{refused}"
    );
    assert!(!refused.contains("id=\"error-visita-agreements-0\""));
    for kept in [
        "value=\"Publicar el informe\"",
        "value=\"Citar al consejo\"",
        "value=\"Luz Dary Peña\"",
        "<option value=\"virtual\" selected>",
    ] {
        assert!(refused.contains(kept), "{kept}");
    }
    assert_eq!(visits().await, before, "nothing saved");

    // Sent whole: the blank row is left out, the others are pending agreements.
    let (status, _) = send(typed(None, "Despacho del alcalde")).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(visits().await, before + 1);
    let esap = role_token(&app, Role::Coordinator).await;
    let items = agreements(&app, id, &esap).await;
    for text in ["Publicar el informe", "Citar al consejo"] {
        let row = with_text(&items, text);
        assert_eq!(row["status"], "pending");
        assert_eq!(row["visit_date"], date.as_str());
    }
    assert_eq!(
        with_text(&items, "Citar al consejo")["owner"],
        "Despacho del alcalde"
    );
}

#[rocket::async_test]
async fn the_agreements_recorded_before_keep_their_state_through_the_migration() {
    let app = TestApp::with_demo().await;
    let db = app.db();
    // The schema before issue 49: agreements with a day they were done, or none.
    // Down through migration 24, whatever came after it.
    let applied = Migrator::get_applied_migrations(db).await.unwrap();
    let since = applied
        .iter()
        .rev()
        .position(|m| m.name() == "m20261214_000024_agreement_states")
        .expect("migration 24 applied")
        + 1;
    Migrator::down(db, Some(since as u32))
        .await
        .expect("down through 24");
    let count = async |sql: &str| {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let done = count("SELECT COUNT(*) FROM visit_agreements WHERE done_on IS NOT NULL").await;
    let open = count("SELECT COUNT(*) FROM visit_agreements WHERE done_on IS NULL").await;
    assert!(done > 0 && open > 0, "{done} {open}");
    Migrator::up(db, None).await.expect("up again");
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM visit_agreements WHERE status = 'done' AND done_on IS NOT NULL"
        )
        .await,
        done
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM visit_agreements WHERE status = 'pending' AND done_on IS NULL")
            .await,
        open
    );
    // And they are followed as any other.
    let id = paujil(&app).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let agreement = with_text(&agreements(&app, id, &esap).await, OVERDUE)["id"]
        .as_i64()
        .unwrap();
    let (status, body) = patch(&app, agreement, &esap, json!({"status": "done"})).await;
    assert_eq!(status, Status::Ok, "{body}");
}
