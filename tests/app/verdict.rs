//! Issue 61, «one verdict for one person»: the demo participant of a running cohort reads the
//! same attendance (over the sessions held) and the same verdict («Se decide al cierre», with
//! her risk) on every page, API answer, workbook and PDF that shows her; once her cohort is
//! closed, every one of them reads the frozen, final verdict — the one the closing's preview
//! announced — and the handover never says «sin aprobar todavía» of a closed cohort.

use crate::common::TestApp;
use crate::support::*;
use domain::entities::values::{CohortStatus, EnrolmentStatus, Role};
use domain::entities::{cohort, enrolment, participant, user};
use rocket::http::Status;
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

/// The demo participant, her running cohort (Planeación Territorial, Caquetá) and her
/// enrolment in it.
struct Her {
    person: participant::Model,
    cohort: cohort::Model,
    enrolment: enrolment::Model,
}

async fn her(app: &TestApp) -> Her {
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(demo_account(Role::Participant).0))
        .expect_one(app.db())
        .await;
    let person = participant::Entity::find()
        .filter(participant::Column::UserId.eq(account.id))
        .expect_one(app.db())
        .await;
    let cohort = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::InProgress))
        .filter(cohort::Column::Name.starts_with("Planeación Territorial"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo's running cohort");
    let enrolment = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("she is enrolled in it");
    Her {
        person,
        cohort,
        enrolment,
    }
}

async fn browser(app: &TestApp, (email, password): (&str, &str)) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, email, password).await;
    client
}

async fn html(client: &Client, path: &str) -> String {
    let response = client.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.unwrap()
}

/// The table row (`<tr>…</tr>`) of a page that names `name`.
fn row_of<'h>(html: &'h str, name: &str) -> &'h str {
    let at = html
        .find(name)
        .unwrap_or_else(|| panic!("{name} on the page: {html}"));
    let start = html[..at].rfind("<tr").expect("in a row");
    let end = at + html[at..].find("</tr>").expect("the row ends");
    &html[start..end]
}

/// The row of a workbook's sheet whose column `key` is `value`, as a column → text lookup.
fn sheet_row(rows: &[Vec<String>], key: &str, value: &str) -> Vec<(String, String)> {
    let header = &rows[0];
    let at = header.iter().position(|h| h == key).expect(key);
    let row = rows
        .iter()
        .find(|r| r[at] == value)
        .unwrap_or_else(|| panic!("{value} in {rows:?}"));
    header.iter().cloned().zip(row.iter().cloned()).collect()
}

fn cell<'r>(row: &'r [(String, String)], column: &str) -> &'r str {
    &row.iter()
        .find(|(h, _)| h == column)
        .unwrap_or_else(|| panic!("column {column}"))
        .1
}

async fn pdf_text(client: &Client, path: &str) -> String {
    let response = client.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    let bytes = response.into_bytes().await.unwrap();
    let document = lopdf::Document::load_mem(&bytes).unwrap();
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document
        .extract_text(&pages)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Her row of the results API, read with `token`.
async fn result_row(app: &TestApp, token: &str, cohort: i32, enrolment: i32) -> Value {
    let results = api_get(
        app,
        &format!("/api/v1/cohorts/{cohort}/results"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    json_items(&results)
        .iter()
        .find(|r| r["enrolment_id"] == enrolment)
        .cloned()
        .unwrap_or_else(|| panic!("her row in {results}"))
}

/// Her progress in the cohort (`/api/v1/me/progress`).
async fn progress(app: &TestApp, token: &str, cohort: i32) -> Value {
    let mine = api_get(app, "/api/v1/me/progress", Some(token))
        .await
        .expect_status(Status::Ok);
    json_items(&mine)
        .iter()
        .find(|p| p["cohort_id"] == cohort)
        .cloned()
        .unwrap()
}

/// Her handover entry (the API) for the capacities of the cohort's year.
async fn handover_entry(app: &TestApp, token: &str, code: &str, person: i32) -> Value {
    let handover = api_get(
        app,
        &format!("/api/v1/municipalities/{code}/handover"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    json_array(&handover["trained"])
        .iter()
        .find(|p| p["participant_id"] == person)
        .cloned()
        .unwrap_or_else(|| panic!("she is in the handover: {handover}"))
}

#[rocket::async_test]
async fn the_demo_participant_reads_one_verdict_wherever_she_appears_while_her_cohort_runs() {
    let app = TestApp::with_demo().await;
    let Her {
        person,
        cohort,
        enrolment,
    } = her(&app).await;
    let name = person.full_name();
    let coordinator = role_token(&app, Role::Coordinator).await;
    let reviewer = role_token(&app, Role::Reviewer).await; // Caquetá's
    let (email, password) = demo_account(Role::Participant);
    let own = token(&app, email, password).await;

    // The reference: her own progress. A running cohort, some sessions still ahead.
    let mine = progress(&app, &own, cohort.id).await;
    let pct = mine["attendance_pct"].as_f64().expect("sessions held");
    let basis = json_str(&mine["attendance"]["text"]).to_string();
    let held = mine["sessions_held"].as_i64().unwrap();
    let scheduled = mine["sessions_total"].as_i64().unwrap();
    let attended = mine["sessions_attended"].as_i64().unwrap();
    assert!(0 < held && held < scheduled, "{mine}");
    assert_eq!(pct, (attended * 100) as f64 / held as f64);
    assert_ne!(
        pct,
        (attended * 100) as f64 / scheduled as f64,
        "the demo tells the two bases apart"
    );
    assert!(basis.contains("sesiones realizadas") && basis.contains("programadas"));
    assert_eq!(mine["result"]["completed"], Value::Null, "{mine}");
    let at_risk = mine["at_risk"].as_bool().unwrap();
    let reason = mine["at_risk_reason"].as_str().map(str::to_string);
    assert_eq!(at_risk, reason.is_some(), "{mine}");
    // Her partial grade (2,4 in the one assessment scored) is below 3,0: at risk, saying why.
    assert!(at_risk, "{mine}");
    assert!(
        reason.as_deref().unwrap().contains("nota parcial (2,4)"),
        "{mine}"
    );
    let summary = json_str(&mine["summary"]);
    assert_eq!(
        summary,
        format!("En riesgo: {}.", reason.as_deref().unwrap())
    );

    // The results API, for the coordinator and for her: the same attendance and risk, no
    // verdict — and nobody in the cohort judged before closing.
    for token in [&coordinator, &own] {
        let row = result_row(&app, token, cohort.id, enrolment.id).await;
        assert_eq!(row["attendance_pct"].as_f64(), Some(pct), "{row}");
        assert_eq!(row["attendance"]["pct"].as_f64(), Some(pct), "{row}");
        assert_eq!(row["attendance"]["text"], basis.as_str());
        assert_eq!(row["sessions_held"], held);
        assert_eq!(row["sessions_total"], scheduled);
        assert_eq!(row["completed"], Value::Null, "{row}");
        assert_eq!(row["eligible_for_certificate"], false);
        assert_eq!(row["reasons"], serde_json::json!([]), "{row}");
        assert_eq!(row["at_risk"], at_risk);
        assert_eq!(row["at_risk_reason"].as_str(), reason.as_deref());
    }
    let (_, all) = api_get(
        &app,
        &format!("/api/v1/cohorts/{}/results", cohort.id),
        Some(&coordinator),
    )
    .await;
    for row in json_items(&all) {
        assert_eq!(
            row["completed"],
            Value::Null,
            "nobody judged mid-course: {row}"
        );
        assert_eq!(row["reasons"], serde_json::json!([]), "{row}");
    }

    // The reports' participant detail (API, reviewer of Caquetá).
    let (_, detail) = api_get(
        &app,
        &format!(
            "/api/v1/reports/attendance/participants?cohort={}",
            cohort.id
        ),
        Some(&reviewer),
    )
    .await;
    let line = json_items(&detail)
        .iter()
        .find(|r| r["enrolment_id"] == enrolment.id)
        .unwrap_or_else(|| panic!("{detail}"));
    assert_eq!(line["attendance_pct"].as_f64(), Some(pct));
    assert_eq!(line["attendance"]["text"], basis.as_str());
    assert_eq!(line["completed"], Value::Null);

    // Pages: her progress, the coordinator's «Asistencia y notas», the reviewer's report.
    let participant = browser(&app, demo_account(Role::Participant)).await;
    let page = html(&participant, "/mi-progreso").await;
    assert!(page.contains(&basis), "{page}");
    assert!(page.contains(summary), "{page}");
    let staff = browser(&app, demo_account(Role::Coordinator)).await;
    let page = html(&staff, &format!("/seguimiento/cohortes/{}", cohort.id)).await;
    let row = row_of(&page, &name);
    assert!(row.contains(&basis), "{row}");
    assert!(row.contains("Se decide al cierre"), "{row}");
    // No verdict and none of the closing rule's reasons («asistencia 50 % < 80 %»).
    assert!(!row.contains(">No<") && !row.contains("&lt;"), "{row}");
    assert!(row.contains("(en riesgo)"), "{row}");
    assert!(
        row.contains(&format!("En riesgo: {}", reason.as_deref().unwrap())),
        "{row}"
    );
    let review = browser(&app, demo_account(Role::Reviewer)).await;
    let page = html(
        &review,
        &format!("/reportes/participantes?cohort={}", cohort.id),
    )
    .await;
    let row = row_of(&page, &name);
    assert!(row.contains(&basis), "{row}");
    assert!(row.contains("Se decide al cierre"), "{row}");

    // Workbooks: the cohort's sheet (summary and matrix) and the report's.
    let share = format!("{}", pct / 100.0);
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{}/attendance.xlsx", cohort.id),
        &coordinator,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let summary_rows = read_table(&bytes, "Resumen", "Nombre");
    let line = sheet_row(&summary_rows, "Nombre", &name);
    assert_eq!(cell(&line, "Asistencia (de las realizadas)"), share);
    assert_eq!(cell(&line, "Sesiones realizadas"), held.to_string());
    assert_eq!(cell(&line, "Aprueba"), "Se decide al cierre");
    assert_eq!(
        cell(&line, "Motivos"),
        format!("En riesgo: {}", reason.as_deref().unwrap())
    );
    let matrix = read_table(
        &bytes,
        domain::attendance::sheet::MATRIX_SHEET,
        "Tipo de documento",
    );
    let line = sheet_row(&matrix, "Nombre", &name);
    assert_eq!(cell(&line, "Asistencia (de las realizadas)"), share);
    assert_eq!(
        cell(&line, "Elegible para certificado"),
        "Se decide al cierre"
    );
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/reports/attendance.xlsx?cohort={}", cohort.id),
        &reviewer,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let people = read_table(&bytes, "Participantes", "Código DANE");
    let line = sheet_row(&people, "Nombre", &name);
    assert_eq!(cell(&line, "Asistencia (de las realizadas)"), share);
    assert_eq!(cell(&line, "Completó"), "Se decide al cierre");

    // The handover of her municipality (API, page and PDF): each of her capacities reads its
    // verdict (a capacity and year counts as completed when any of her cohorts in it did);
    // one still running in it reads «se decide al cierre», never «sin aprobar todavía».
    let code = enrolment.municipality_code.clone();
    let handover = api_get(
        &app,
        &format!("/api/v1/municipalities/{code}/handover"),
        Some(&coordinator),
    )
    .await
    .expect_status(Status::Ok);
    let page = html(&staff, &format!("/municipios/{code}/empalme")).await;
    let text = pdf_text(&staff, &format!("/municipios/{code}/empalme.pdf")).await;
    let mut pending = 0;
    for person in json_array(&handover["trained"]) {
        let who = json_str(&person["full_name"]);
        let row = row_of(&page, who);
        for c in json_array(&person["capacities"]) {
            let state = match (&c["certified"], &c["completed"]) {
                (Value::Bool(true), _) => "con certificado",
                (_, Value::Bool(true)) => "aprobó",
                (_, Value::Bool(false)) => "no aprobó",
                _ => {
                    pending += 1;
                    "se decide al cierre"
                }
            };
            assert_eq!(c["state"], state, "{c}");
            let said = format!("{} ({}): {state}", json_str(&c["capacity_name"]), c["year"]);
            assert!(row.contains(&said), "«{said}» in {row}");
            assert!(text.contains(&said), "«{said}» in {text}");
        }
    }
    assert!(pending > 0, "someone's course still runs: {handover}");
    assert!(
        json_array(&handover["trained"])
            .iter()
            .any(|p| p["participant_id"] == person.id),
        "she is in it"
    );
    assert!(!page.contains("sin aprobar todavía"), "{page}");
    assert!(!text.contains("sin aprobar todavía"), "{text}");
}

#[rocket::async_test]
async fn once_closed_her_verdict_is_final_everywhere_and_is_what_the_preview_announced() {
    let app = TestApp::with_demo().await;
    let Her {
        person,
        cohort,
        enrolment,
    } = her(&app).await;
    let name = person.full_name();
    let coordinator = role_token(&app, Role::Coordinator).await;
    let (email, password) = demo_account(Role::Participant);
    let own = token(&app, email, password).await;

    // The closing's preview: the rule over the sessions scheduled.
    let preview = api_get(
        &app,
        &format!("/api/v1/cohorts/{}/closing", cohort.id),
        Some(&coordinator),
    )
    .await
    .expect_status(Status::Ok);
    let announced = json_array(&preview["not_completing"])
        .iter()
        .find(|p| p["enrolment_id"] == enrolment.id)
        .cloned()
        .unwrap_or_else(|| panic!("she would not complete: {preview}"));
    let announced_reasons = announced["reasons"].clone();
    assert!(
        json_str(&announced_reasons[0]).starts_with("asistencia "),
        "{announced}"
    );

    api_patch(
        &app,
        &format!("/api/v1/cohorts/{}", cohort.id),
        Some(&coordinator),
        serde_json::json!({"status": "closed"}),
    )
    .await
    .expect_status(Status::Ok);
    let stored = enrolment::Entity::find_by_id(enrolment.id)
        .expect_one(app.db())
        .await;
    assert_eq!(stored.status, EnrolmentStatus::NotCompleted);
    let (attended, total) = (
        stored.sessions_attended.unwrap(),
        stored.sessions_total.unwrap(),
    );
    let pct = f64::from(attended * 100) / f64::from(total);

    // The API: final, over the sessions scheduled, with the reasons the preview gave.
    for token in [&coordinator, &own] {
        let row = result_row(&app, token, cohort.id, enrolment.id).await;
        assert_eq!(row["completed"], false, "{row}");
        assert_eq!(row["eligible_for_certificate"], false);
        assert_eq!(row["attendance_pct"].as_f64(), Some(pct), "{row}");
        assert_eq!(row["attendance"]["pct"].as_f64(), Some(pct));
        assert_eq!(row["reasons"], announced_reasons, "{row}");
        assert_eq!(row["at_risk"], false);
        assert_eq!(row["at_risk_reason"], Value::Null);
    }
    let mine = progress(&app, &own, cohort.id).await;
    assert_eq!(mine["attendance_pct"].as_f64(), Some(pct));
    assert_eq!(mine["at_risk"], false);
    assert_eq!(mine["result"]["completed"], false);
    let said = format!(
        "No aprobó: {}.",
        announced_reasons
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert_eq!(mine["summary"], said.as_str());
    let basis = json_str(&mine["attendance"]["text"]).to_string();

    // Pages and workbooks: «No», never «Se decide al cierre».
    let staff = browser(&app, demo_account(Role::Coordinator)).await;
    let page = html(&staff, &format!("/seguimiento/cohortes/{}", cohort.id)).await;
    let row = row_of(&page, &name);
    assert!(row.contains(&basis) && row.contains(">No<"), "{row}");
    assert!(
        !row.contains("Se decide al cierre") && !row.contains("en riesgo"),
        "{row}"
    );
    let participant = browser(&app, demo_account(Role::Participant)).await;
    let page = html(&participant, "/mi-progreso").await;
    assert!(page.contains(&said.replace('<', "&lt;")), "{page}");
    let review = browser(&app, demo_account(Role::Reviewer)).await;
    let page = html(
        &review,
        &format!("/reportes/participantes?cohort={}", cohort.id),
    )
    .await;
    let row = row_of(&page, &name);
    assert!(
        row.contains(&basis) && !row.contains("Se decide al cierre"),
        "{row}"
    );
    let (_, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{}/attendance.xlsx", cohort.id),
        &coordinator,
    )
    .await;
    let summary_rows = read_table(&bytes, "Resumen", "Nombre");
    let line = sheet_row(&summary_rows, "Nombre", &name);
    assert_eq!(cell(&line, "Aprueba"), "No");
    assert_eq!(
        cell(&line, "Asistencia (de las realizadas)"),
        format!("{}", pct / 100.0)
    );
    let matrix = read_table(
        &bytes,
        domain::attendance::sheet::MATRIX_SHEET,
        "Tipo de documento",
    );
    assert_eq!(
        cell(
            &sheet_row(&matrix, "Nombre", &name),
            "Elegible para certificado"
        ),
        "No"
    );

    // The handover (API, page, PDF): every closed course reads as final — «no aprobó» for
    // people recorded as not completing (her, and the demo's cohort closed years ago).
    let code = enrolment.municipality_code.clone();
    let entry = handover_entry(&app, &coordinator, &code, person.id).await;
    let not_completed: Vec<&Value> = json_array(&entry["capacities"])
        .iter()
        .filter(|c| c["completed"] == false && c["certified"] == false)
        .collect();
    assert!(!not_completed.is_empty(), "{entry}");
    let page = html(&staff, &format!("/municipios/{code}/empalme")).await;
    let row = row_of(&page, &name);
    let text = pdf_text(&staff, &format!("/municipios/{code}/empalme.pdf")).await;
    for c in &not_completed {
        assert_eq!(c["state"], "no aprobó", "{c}");
        let said = format!(
            "{} ({}): no aprobó",
            json_str(&c["capacity_name"]),
            c["year"]
        );
        assert!(row.contains(&said), "«{said}» in {row}");
        assert!(text.contains(&said), "«{said}» in {text}");
    }
    assert!(!text.contains("sin aprobar todavía"), "{text}");
    assert!(!page.contains("sin aprobar todavía"));
}
