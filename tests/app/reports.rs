//! Reports (issue 8): the attendance report's exact figures on a hand-built case, the
//! reviewer's silent department scope in the API and the workbook (read back), text cells for
//! DANE codes and formula-looking names.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Cohort, LEADING_ZERO_DOCUMENT, World, catalogue_course};
use calamine::{Data, Reader, Xlsx};
use chrono::Duration;
use domain::entities::values::{CertificateStatus, EnrolmentStatus, Role};
use domain::entities::{certificate, course_capacity, enrolment, municipality, participant};
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

/// Every row of a sheet, as calamine reads it.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// The data rows below the header row whose first cell is `first_header`.
fn table(bytes: &[u8], sheet: &str, first_header: &str) -> Vec<Vec<Data>> {
    let rows = sheet_rows(bytes, sheet);
    let start = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| *c == first_header))
        .expect("header row");
    rows[start + 1..].to_vec()
}

fn row_of<'a>(report: &'a Value, municipality: &str) -> &'a Value {
    json_items(report)
        .iter()
        .find(|r| r["municipality_code"] == municipality)
        .unwrap_or_else(|| panic!("a row for {municipality} in {report}"))
}

#[rocket::async_test]
async fn the_attendance_report_has_exact_figures_per_municipality_and_cohort() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort_id = world.hand_built_cohort().await;

    let report = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(report["total"], 2, "{report}");
    let florencia = row_of(&report, "18001");
    assert_eq!(florencia["municipality_name"], "Florencia");
    assert_eq!(florencia["department_code"], "18");
    assert_eq!(florencia["department_name"], "Caquetá");
    assert_eq!(florencia["status"], "closed");
    assert_eq!(florencia["sessions_held"], 4);
    assert_eq!(florencia["cohort_id"], cohort_id);
    assert_eq!(florencia["enrolled"], 3);
    assert_eq!(florencia["sessions"], 4);
    // 4 + 3 + 0 of 3 × 4.
    assert_eq!(florencia["attendance_pct"], 700.0 / 12.0);
    assert_eq!(florencia["completed"], 2);
    assert_eq!(florencia["certified"], 1, "one of the two was revoked");
    let puerto = row_of(&report, "18592");
    assert_eq!(puerto["enrolled"], 2);
    assert_eq!(puerto["attendance_pct"], 87.5);
    assert_eq!(puerto["completed"], 2);
    assert_eq!(puerto["certified"], 2);
    for key in [
        "municipality_code",
        "municipality_name",
        "department_code",
        "department_name",
        "cohort_id",
        "cohort_name",
        "status",
        "enrolled",
        "sessions",
        "sessions_held",
        "attendance_pct",
        "completed",
        "certified",
    ] {
        assert!(florencia.get(key).is_some(), "{key}");
    }

    // Filters: municipality, capacity of the course (and another capacity), dates.
    let (_, only) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}&municipality=18592"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(only["total"], 1);
    // The list convention: pages, with the total of every row.
    let (_, paged) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}&page=2&per_page=1"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(paged["total"], 2);
    assert_eq!(paged["page"], 2);
    assert_eq!(paged["per_page"], 1);
    assert_eq!(paged["items"][0]["municipality_code"], "18592");
    api_get(
        &app,
        "/api/v1/reports/attendance?per_page=501",
        Some(&world.staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let course = catalogue_course(app.db(), "PT").await;
    let targeted: Vec<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|c| c.capacity_id)
        .collect();
    let (_, with) = api_get(
        &app,
        &format!(
            "/api/v1/reports/attendance?cohort={cohort_id}&capacity={}",
            targeted[0]
        ),
        Some(&world.staff),
    )
    .await;
    assert_eq!(with["total"], 2);
    let other = (1..100).find(|c| !targeted.contains(c)).unwrap();
    let (_, without) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}&capacity={other}"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(without["total"], 0);
    let future = domain::time::today() + Duration::days(365);
    let (_, later) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}&from={future}"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(later["total"], 0);
    api_get(
        &app,
        "/api/v1/reports/attendance?from=ayer",
        Some(&world.staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);

    // Who may read it.
    let participant = role_token(&app, Role::Participant).await;
    api_get(&app, "/api/v1/reports/attendance", Some(&participant))
        .await
        .expect_status(Status::Forbidden);
    api_get(&app, "/api/v1/reports/attendance", None)
        .await
        .expect_status(Status::Unauthorized);

    // The workbook: the same figures, codes as text, percentages as numbers.
    let (status, kind, bytes) = download(
        &app,
        &format!("/api/v1/reports/attendance.xlsx?cohort={cohort_id}"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(kind.unwrap().contains("spreadsheetml"));
    let summary = table(&bytes, "Municipios", "Código DANE");
    assert_eq!(summary.len(), 2);
    let puerto = summary
        .iter()
        .find(|r| r[0] == Data::String("18592".into()))
        .unwrap();
    assert_eq!(puerto[3], Data::String("Caquetá".into()));
    assert_eq!(puerto[5], Data::Float(2.0));
    assert_eq!(puerto[6], Data::Float(0.875));
    assert_eq!(puerto[9], Data::Float(2.0));
    let detail = table(&bytes, "Cohortes", "Código DANE");
    assert_eq!(detail.len(), 2);
    assert!(
        detail
            .iter()
            .all(|r| matches!(&r[0], Data::String(code) if code.len() == 5))
    );
    let header = sheet_rows(&bytes, "Municipios");
    assert!(
        header[1][0].to_string().contains("Cohorte"),
        "filters stated"
    );
    assert!(header[2][0].to_string().contains("hora de Colombia"));

    // The cohort's attendance sheet keeps a formula-looking name as text.
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let rows = table(&bytes, "Asistencia", "Sesión");
    let names: Vec<&Data> = rows.iter().map(|r| &r[6]).collect();
    assert!(
        names
            .iter()
            .any(|n| **n == Data::String("=HYPERLINK(\"x\") florencia 2".into())),
        "{names:?}"
    );
    assert!(rows.iter().all(|r| matches!(r[5], Data::String(_))));

    // The matrix: one row per person, a column per session, totals and eligibility.
    let matrix = table(&bytes, "Matriz", "Tipo de documento");
    assert_eq!(matrix.len(), 5);
    assert!(matrix.iter().all(|r| matches!(r[1], Data::String(_))));
    assert!(
        matrix
            .iter()
            .all(|r| matches!(&r[3], Data::String(c) if c.starts_with("18")))
    );
    let odd = matrix
        .iter()
        .find(|r| r[2] == Data::String("=HYPERLINK(\"x\") florencia 2".into()))
        .expect("the formula-looking name, as text");
    assert_eq!(odd[4], Data::String("ausente".into()));
    assert_eq!(odd[6], Data::String("excusado".into()));
    assert_eq!(odd[8], Data::Float(0.0));
    // Closed: every scheduled session counts as held.
    assert_eq!(odd[9], Data::Float(4.0));
    assert_eq!(odd[10], Data::Float(4.0));
    assert_eq!(odd[12], Data::String("No".into()));
    let late = matrix
        .iter()
        .find(|r| r[2] == Data::String("Persona florencia 1".into()))
        .unwrap();
    assert_eq!(late[5], Data::String("tarde".into()));
    assert_eq!(late[8], Data::Float(3.0));
    assert_eq!(late[11], Data::Float(0.75));
    assert_eq!(late[12], Data::String("Sí".into()));
}

#[rocket::async_test]
async fn a_reviewer_sees_only_their_department_in_the_api_and_the_workbook() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort_id = world.hand_built_cohort().await;
    let reviewer = role_token(&app, Role::Reviewer).await;

    let (status, staff_report) =
        api_get(&app, "/api/v1/reports/attendance", Some(&world.staff)).await;
    assert_eq!(status, Status::Ok);
    let staff_rows = json_items(&staff_report);
    assert!(
        staff_rows.iter().any(|r| r["department_code"] != "18"),
        "the demo has other departments: {staff_report}"
    );

    let report = api_get(&app, "/api/v1/reports/attendance", Some(&reviewer))
        .await
        .expect_status(Status::Ok);
    let rows = json_items(&report);
    assert!(rows.iter().any(|r| r["cohort_id"] == cohort_id));
    for row in rows {
        assert_eq!(row["department_code"], "18");
        assert!(json_str(&row["municipality_code"]).starts_with("18"));
    }
    // Asking for another department silently yields nothing.
    for query in ["department=50", "municipality=50325"] {
        let other = api_get(
            &app,
            &format!("/api/v1/reports/attendance?{query}"),
            Some(&reviewer),
        )
        .await
        .expect_status(Status::Ok);
        assert_eq!(other["total"], 0, "{query}: {other}");
    }

    // The participant detail: the same silent scope.
    let people = api_get(
        &app,
        "/api/v1/reports/attendance/participants?per_page=500",
        Some(&reviewer),
    )
    .await
    .expect_status(Status::Ok);
    let items = json_items(&people);
    assert_eq!(people["total"], items.len());
    assert!(items.iter().any(|r| r["cohort_id"] == cohort_id));
    for row in items {
        assert_eq!(row["department_code"], "18", "{row}");
        assert!(json_str(&row["municipality_code"]).starts_with("18"));
    }
    for query in ["department=50", "municipality=50325"] {
        let other = api_get(
            &app,
            &format!("/api/v1/reports/attendance/participants?{query}"),
            Some(&reviewer),
        )
        .await
        .expect_status(Status::Ok);
        assert_eq!(other["total"], 0, "{query}: {other}");
        assert_eq!(other["items"], json!([]), "{query}");
    }
    // What the coordinator sees of Meta, and the reviewer must not.
    let (_, meta) = api_get(
        &app,
        "/api/v1/reports/attendance/participants?department=50&per_page=500",
        Some(&world.staff),
    )
    .await;
    let foreign_documents: Vec<String> = json_items(&meta)
        .iter()
        .map(|r| json_str(&r["document_number"]).to_string())
        .collect();
    assert!(
        !foreign_documents.is_empty(),
        "the demo enrols people of Meta"
    );

    let (status, _, bytes) = download(&app, "/api/v1/reports/attendance.xlsx", &reviewer).await;
    assert_eq!(status, Status::Ok);
    let people_sheet = table(&bytes, "Participantes", "Código DANE");
    assert_eq!(people_sheet.len(), items.len());
    for row in &people_sheet {
        assert!(
            !foreign_documents.contains(&row[6].to_string()),
            "{row:?} is of Meta"
        );
    }
    for sheet in ["Municipios", "Cohortes", "Participantes"] {
        let rows = table(&bytes, sheet, "Código DANE");
        assert!(!rows.is_empty());
        for row in rows {
            match (&row[0], &row[2]) {
                (Data::String(code), Data::String(department)) => {
                    assert!(code.starts_with("18"), "{sheet}: {code}");
                    assert_eq!(department, "18");
                }
                other => panic!("{sheet}: codes must be text cells, got {other:?}"),
            }
        }
    }
    let (_, _, empty) = download(
        &app,
        "/api/v1/reports/attendance.xlsx?department=50",
        &reviewer,
    )
    .await;
    assert!(table(&empty, "Cohortes", "Código DANE").is_empty());
    assert!(table(&empty, "Participantes", "Código DANE").is_empty());

    // The cohort's sheet: in scope for the reviewer; another department's cohort is 404.
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &reviewer,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let foreign = staff_rows
        .iter()
        .find(|r| r["department_code"] != "18")
        .unwrap()["cohort_id"]
        .as_i64()
        .unwrap();
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/cohorts/{foreign}/attendance.xlsx"),
        &reviewer,
    )
    .await;
    assert_eq!(status, Status::NotFound);

    // The page: their department only, a chart without JavaScript, links to the workbooks.
    let (email, password) = demo_account(Role::Reviewer);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let response = app.client.get("/reportes").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("<svg"));
    // Issue 66: only the product's one script (the offline queue and worker), no inline one.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the product's script"
    );
    assert!(html.contains("<script src=\"/static/aula."));
    assert!(html.contains("Florencia"));
    assert!(html.contains("/reportes/asistencia.xlsx"));
    for other in staff_rows.iter().filter(|r| r["department_code"] != "18") {
        let code = json_str(&other["municipality_code"]);
        assert!(!html.contains(code), "{code} is not of Caquetá");
    }
    let response = app.client.get("/reportes/asistencia.xlsx").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let bytes = response.into_bytes().await.unwrap();
    for sheet in ["Cohortes", "Participantes"] {
        let rows = table(&bytes, sheet, "Código DANE");
        assert!(!rows.is_empty(), "{sheet}");
        for row in rows {
            assert!(matches!(&row[0], Data::String(code) if code.starts_with("18")));
        }
    }

    // The participants page: each municipality × cohort row of /reportes links to its people.
    let link = format!("/reportes/participantes?municipality=18001&cohort={cohort_id}");
    assert!(
        unescape(&html).contains(&format!("href=\"{link}\"")),
        "{html}"
    );
    let html = page(&app, &link).await;
    assert!(html.contains("<caption>"));
    assert_eq!(html.matches("<th scope=\"row\">").count(), 3, "{html}");
    assert!(html.contains("Persona florencia 0"));
    assert!(html.contains("florencia 2"));
    assert!(html.contains("Aprobado"));
    assert!(
        unescape(&html).contains("href=\"/reportes?municipality=18001&cohort="),
        "a way back that keeps the filters"
    );
    let html = page(&app, "/reportes/participantes").await;
    assert!(html.contains("Florencia"));
    for document in &foreign_documents {
        assert!(!html.contains(document.as_str()), "{document} is of Meta");
    }
    for other in staff_rows.iter().filter(|r| r["department_code"] != "18") {
        let code = json_str(&other["municipality_code"]);
        assert!(!html.contains(code), "{code} is not of Caquetá");
    }
    let html = page(&app, "/reportes/participantes?department=50").await;
    assert!(html.contains("No hay personas con estos filtros."));
}

/// A page's HTML as the signed-in browser gets it (200 asserted).
async fn page(app: &TestApp, path: &str) -> String {
    let response = app.client.get(path.to_string()).dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_string().await.unwrap()
}

/// What a browser reads in an attribute that handlebars escaped (`=` and `&`).
fn unescape(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

#[rocket::async_test]
async fn the_participant_detail_has_exact_figures_per_person() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort_id = world.hand_built_cohort().await;
    let path = format!("/api/v1/reports/attendance/participants?cohort={cohort_id}");

    let body = api_get(&app, &path, Some(&world.staff))
        .await
        .expect_status(Status::Ok);
    assert_eq!(body["total"], 5);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 50);
    let items = json_items(&body);
    let names: Vec<&str> = items.iter().map(|r| json_str(&r["full_name"])).collect();
    // By municipality, then last names.
    assert_eq!(
        names,
        [
            "Persona florencia 0",
            "Persona florencia 1",
            "=HYPERLINK(\"x\") florencia 2",
            "Persona puerto 0",
            "Persona puerto 1",
        ]
    );
    // (attended, %, status, label, certified): attended / 4 scheduled sessions.
    let expected = [
        (4, 100.0, "completed", "Aprobado", true),
        (3, 75.0, "completed", "Aprobado", false), // revoked
        (0, 0.0, "not_completed", "No aprobado", false),
        (3, 75.0, "completed", "Aprobado", true),
        (4, 100.0, "completed", "Aprobado", true),
    ];
    for (row, (attended, pct, status, label, certified)) in items.iter().zip(expected) {
        assert_eq!(row["cohort_id"], cohort_id, "{row}");
        assert_eq!(row["department_code"], "18");
        assert_eq!(row["sessions_attended"], attended, "{row}");
        assert_eq!(row["sessions_scheduled"], 4);
        assert_eq!(row["attendance_pct"], pct, "{row}");
        assert_eq!(row["status"], status);
        assert_eq!(row["status_label"], label);
        assert_eq!(row["completed"], status == "completed");
        let enrolment_id = row["enrolment_id"].as_i64().unwrap() as i32;
        let valid = certificate::Entity::find()
            .filter(certificate::Column::EnrolmentId.eq(enrolment_id))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
            .one(app.db())
            .await
            .unwrap();
        assert_eq!(valid.is_some(), certified, "{row}");
        assert_eq!(
            row["certificate_code"],
            valid.map_or(Value::Null, |c| Value::from(c.code))
        );
        let person =
            participant::Entity::find_by_id(row["participant_id"].as_i64().unwrap() as i32)
                .expect_one(app.db())
                .await;
        assert_eq!(row["document_type"], "CC");
        assert_eq!(row["document_number"], person.document_number);
    }
    assert_eq!(items[0]["municipality_code"], "18001");
    assert_eq!(items[0]["municipality_name"], "Florencia");
    assert_eq!(items[3]["municipality_code"], "18592");
    assert_eq!(items[3]["document_number"], LEADING_ZERO_DOCUMENT);
    // The people add up to the report's rows.
    let (_, report) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}"),
        Some(&world.staff),
    )
    .await;
    for code in ["18001", "18592"] {
        let of = |key: &str| -> i64 {
            items
                .iter()
                .filter(|r| r["municipality_code"] == code)
                .map(|r| r[key].as_i64().unwrap_or(i64::from(r[key] == true)))
                .sum()
        };
        let row = row_of(&report, code);
        assert_eq!(row["attended"], of("sessions_attended"), "{code}");
        assert_eq!(row["completed"], of("completed"), "{code}");
    }

    // Pages: the total of every row, the second and a page past the end.
    let (_, second) = api_get(
        &app,
        &format!("{path}&per_page=2&page=2"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(second["total"], 5);
    assert_eq!(second["page"], 2);
    assert_eq!(second["per_page"], 2);
    assert_eq!(json_items(&second).len(), 2);
    assert_eq!(second["items"][0]["full_name"], names[2]);
    assert_eq!(second["items"][1]["full_name"], names[3]);
    let (_, last) = api_get(
        &app,
        &format!("{path}&per_page=2&page=3"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(json_items(&last).len(), 1);
    assert_eq!(last["items"][0]["full_name"], names[4]);
    let (_, past) = api_get(
        &app,
        &format!("{path}&per_page=2&page=9"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(past["total"], 5);
    assert_eq!(past["items"], json!([]));
    for bad in ["per_page=501", "page=0"] {
        let (status, _) = api_get(&app, &format!("{path}&{bad}"), Some(&world.staff)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}");
    }
    // The report's filters.
    let (_, only) = api_get(
        &app,
        &format!("{path}&municipality=18592"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(only["total"], 2);
    api_get(&app, &format!("{path}&from=ayer"), Some(&world.staff))
        .await
        .expect_status(Status::UnprocessableEntity);

    // Who may read it.
    let participant = role_token(&app, Role::Participant).await;
    api_get(&app, &path, Some(&participant))
        .await
        .expect_status(Status::Forbidden);
    api_get(&app, &path, None)
        .await
        .expect_status(Status::Unauthorized);

    // The workbook's «Participantes» sheet, after «Cohortes»: one row per person, text where
    // text belongs.
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/reports/attendance.xlsx?cohort={cohort_id}"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Municipios",
            "Cohortes",
            "Participantes",
            "Enfoque diferencial"
        ]
    );
    let rows = table(&bytes, "Participantes", "Código DANE");
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert!(
            matches!(&row[0], Data::String(code) if code.len() == 5),
            "{row:?}"
        );
        assert_eq!(row[2], Data::String("18".into()));
        assert_eq!(
            row[3],
            Data::String("Caquetá".into()),
            "the name beside the code"
        );
        assert!(
            matches!(row[7], Data::String(_)),
            "document as text: {row:?}"
        );
        assert!(matches!(row[8], Data::String(_)), "name as text: {row:?}");
    }
    let odd = rows
        .iter()
        .find(|r| r[8] == Data::String("=HYPERLINK(\"x\") florencia 2".into()))
        .expect("the formula-looking name, as text");
    assert_eq!(odd[9], Data::String("No aprobado".into()));
    assert_eq!(odd[10], Data::Float(0.0));
    assert_eq!(odd[13], Data::Float(0.0));
    assert_eq!(odd[14], Data::String("No".into()));
    assert!(
        rows.iter()
            .any(|r| r[7] == Data::String(LEADING_ZERO_DOCUMENT.into())),
        "leading zeros kept"
    );
    let late = rows
        .iter()
        .find(|r| r[8] == Data::String("Persona florencia 1".into()))
        .unwrap();
    assert_eq!(late[6], Data::String("CC".into()));
    assert_eq!(late[10], Data::Float(3.0));
    // Sessions held and scheduled: the basis of the share.
    assert_eq!(late[11], Data::Float(4.0));
    assert_eq!(late[12], Data::Float(4.0));
    assert_eq!(late[13], Data::Float(0.75));
    assert_eq!(late[14], Data::String("Sí".into()));
    assert_eq!(
        late[15],
        Data::Empty,
        "the revoked certificate is not shown"
    );
    let first = rows
        .iter()
        .find(|r| r[8] == Data::String("Persona florencia 0".into()))
        .unwrap();
    assert_eq!(
        first[15],
        Data::String(json_str(&items[0]["certificate_code"]).into())
    );
}

#[rocket::async_test]
async fn the_participant_detail_and_the_report_tables_are_paged_by_fifty() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort { id: cohort_id, .. } = world
        .cohort()
        .seats(100)
        .sessions_from_now(&[Duration::days(-1)], 60)
        .create()
        .await;
    // 51 people, each enrolled for a different municipality: 51 municipality × cohort rows.
    let people = world.people("masa").count(51).of("18001").create().await;
    let places: Vec<String> = municipality::Entity::find()
        .select_only()
        .column(municipality::Column::Code)
        .order_by_asc(municipality::Column::Code)
        .limit(51)
        .into_tuple()
        .fetch_all(app.db())
        .await;
    let now = domain::time::now();
    // Like every write, in a transaction ended by `db::commit` (which keeps the figures).
    let txn = domain::db::begin(app.db()).await.unwrap();
    for (person, code) in people.iter().zip(&places) {
        enrolment::ActiveModel {
            cohort_id: Set(cohort_id as i32),
            participant_id: Set(person.id),
            status: Set(EnrolmentStatus::Enrolled),
            municipality_code: Set(code.clone()),
            entity_type: Set("alcaldia".into()),
            eligibility_override: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
    }
    domain::db::commit(txn).await.unwrap();

    let (_, body) = api_get(
        &app,
        &format!("/api/v1/reports/attendance/participants?cohort={cohort_id}&page=2"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(body["total"], 51);
    assert_eq!(json_items(&body).len(), 1);
    assert_eq!(body["items"][0]["municipality_code"], places[50].as_str());

    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let rows = |html: &str, marker: &str| html.matches(marker).count();
    // /reportes: the summary lists every municipality; the municipality × cohort table pages.
    // The report's last row (the report sorts by municipality name).
    let (_, report) = api_get(
        &app,
        &format!("/api/v1/reports/attendance?cohort={cohort_id}&per_page=50&page=2"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(report["total"], 51);
    let last_link = format!(
        "/reportes/participantes?municipality={}&cohort={cohort_id}",
        json_str(&report["items"][0]["municipality_code"])
    );
    let html = page(&app, &format!("/reportes?cohort={cohort_id}")).await;
    assert_eq!(rows(&html, "Ver participantes<span"), 50);
    assert!(html.contains("Página 1 de 2 · 51 en total"), "{html}");
    assert!(unescape(&html).contains(&format!("/reportes?cohort={cohort_id}&pagina=2")));
    assert!(!unescape(&html).contains(&last_link));
    let html = page(&app, &format!("/reportes?cohort={cohort_id}&pagina=2")).await;
    assert_eq!(rows(&html, "Ver participantes<span"), 1);
    assert!(html.contains("Página 2 de 2 · 51 en total"));
    assert!(unescape(&html).contains(&last_link));
    // The participants page.
    let path = format!("/reportes/participantes?cohort={cohort_id}");
    let html = page(&app, &path).await;
    assert_eq!(rows(&html, "<th scope=\"row\">"), 50);
    assert!(html.contains("Página 1 de 2 · 51 en total"));
    assert!(unescape(&html).contains(&format!("{path}&pagina=2")));
    let html = page(&app, &format!("{path}&pagina=2")).await;
    assert_eq!(rows(&html, "<th scope=\"row\">"), 1);
    assert!(html.contains(&format!("({})", places[50])));
}

/// (trained, completed, certified, still in the entity) per municipality for one capacity.
async fn coverage_of(
    app: &TestApp,
    token: &str,
    query: &str,
) -> std::collections::HashMap<String, [i64; 4]> {
    let body = api_get(
        app,
        &format!("/api/v1/reports/capacity-coverage?{query}"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    json_items(&body)
        .iter()
        .map(|r| {
            // The reviewer's department (Caquetá), named beside its code.
            assert_eq!(r["department_code"], "18", "{r}");
            assert_eq!(r["department_name"], "Caquetá", "{r}");
            (
                json_str(&r["municipality_code"]).to_string(),
                [
                    r["participants_trained"].as_i64().unwrap(),
                    r["completed"].as_i64().unwrap(),
                    r["certified"].as_i64().unwrap(),
                    r["still_in_entity"].as_i64().unwrap(),
                ],
            )
        })
        .collect()
}

#[rocket::async_test]
async fn capacity_coverage_counts_people_per_municipality_and_capacity() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let course = catalogue_course(app.db(), "PT").await;
    let capacity = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .expect_one(app.db())
        .await
        .capacity_id;
    let query = format!("capacity={capacity}");
    let before = coverage_of(&app, &reviewer, &query).await;
    let cohort_id = world.hand_built_cohort().await;
    // The first person of Florencia (certified) moved to Puerto Rico: the history stays with
    // Florencia, but they are no longer in its entities.
    let moved = participant::Entity::find()
        .filter(participant::Column::LastNames.eq("florencia 0"))
        .expect_one(app.db())
        .await;
    let mut moved: participant::ActiveModel = moved.into();
    moved.municipality_code = Set("18592".into());
    // Like every write, in a transaction ended by `db::commit` (which keeps the figures).
    let txn = domain::db::begin(app.db()).await.unwrap();
    moved.update(&txn).await.unwrap();
    domain::db::commit(txn).await.unwrap();

    let after = coverage_of(&app, &reviewer, &query).await;
    let delta = |code: &str| {
        let b = before.get(code).copied().unwrap_or_default();
        let a = after.get(code).copied().unwrap_or_default();
        [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
    };
    assert_eq!(delta("18001"), [3, 2, 1, 0], "cohort {cohort_id}");
    assert_eq!(delta("18592"), [2, 2, 2, 2]);
    every_row(
        &after.keys().collect::<Vec<_>>(),
        "the reviewer's coverage",
        |code| code.starts_with("18"),
    );

    // Roll-ups: the department's totals are the sums of its municipalities.
    let (_, body) = api_get(
        &app,
        &format!("/api/v1/reports/capacity-coverage?{query}"),
        Some(&reviewer),
    )
    .await;
    let departments = json_array(&body["by_department"]);
    assert_eq!(departments.len(), 1, "{body}");
    assert_eq!(departments[0]["department_code"], "18");
    let sum: i64 = after.values().map(|c| c[0]).sum();
    assert_eq!(departments[0]["participants_trained"], sum);
    assert_eq!(departments[0]["municipalities"], after.len());
    assert_eq!(body["national"][0]["participants_trained"], sum);
    assert_eq!(body["national"][0]["department_code"], Value::Null);

    // Flags and filters.
    let (_, body) = api_get(
        &app,
        "/api/v1/reports/capacity-coverage?pdet=true",
        Some(&world.staff),
    )
    .await;
    let items = json_items(&body);
    every_row(items, "PDET coverage", |r| r["pdet"] == true);
    let (_, body) = api_get(
        &app,
        "/api/v1/reports/capacity-coverage?category=6",
        Some(&world.staff),
    )
    .await;
    every_row(json_items(&body), "coverage of category 6", |r| {
        r["category"] == "6"
    });
    api_get(
        &app,
        "/api/v1/reports/capacity-coverage?category=9",
        Some(&world.staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let (_, body) = api_get(
        &app,
        "/api/v1/reports/capacity-coverage?department=50",
        Some(&reviewer),
    )
    .await;
    assert_eq!(body["total"], 0);

    // The workbook, as the reviewer: their department only, codes as text.
    let (status, _, bytes) =
        download(&app, "/api/v1/reports/capacity-coverage.xlsx", &reviewer).await;
    assert_eq!(status, Status::Ok);
    let rows = table(&bytes, "Cobertura", "Código DANE");
    assert!(!rows.is_empty());
    for row in rows {
        assert!(
            matches!(&row[0], Data::String(code) if code.starts_with("18")),
            "{row:?}"
        );
    }
}

#[rocket::async_test]
async fn the_differential_approach_counts_only_consenting_people_and_hides_small_cells() {
    use domain::entities::consent;
    use domain::entities::values::ConsentKind;
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort_id = world.hand_built_cohort().await;
    let people: Vec<participant::Model> = participant::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(participant::Column::LastNames.starts_with("florencia"))
                .add(participant::Column::LastNames.starts_with("puerto")),
        )
        .fetch_all(app.db())
        .await;
    assert_eq!(people.len(), 5);
    let now = domain::time::now();
    for (n, person) in people.iter().enumerate() {
        let mut row: participant::ActiveModel = person.clone().into();
        row.sex = Set(Some("mujer".into()));
        row.has_disability = Set(Some(n < 2));
        row.update(app.db()).await.unwrap();
        consent::ActiveModel {
            participant_id: Set(person.id),
            kind: Set(ConsentKind::SensitiveData),
            text_version: Set("datos-sensibles-v1-2026-11".into()),
            granted_at: Set(now),
            // The last one withdrew their consent.
            withdrawn_at: Set((n == 4).then_some(now)),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .unwrap();
    }
    let path = format!("/api/v1/reports/attendance?cohort={cohort_id}");
    let sex_count = |body: &Value, value: &str| {
        json_array(&body["differential"]["sex"])
            .iter()
            .find(|c| c["value"] == value)
            .unwrap()
            .clone()
    };
    let body = api_get(&app, &path, Some(&world.staff)).await.1;
    let differential = &body["differential"];
    assert_eq!(
        differential["consenting"],
        json!({"count": null, "suppressed": true}),
        "4 consenting people are fewer than 5: {differential}"
    );
    assert_eq!(sex_count(&body, "mujer")["count"], Value::Null);
    assert_eq!(sex_count(&body, "mujer")["suppressed"], true);

    // A fifth consent: now 5 women are shown; 2 with disability and 0 victims still are not.
    consent::ActiveModel {
        participant_id: Set(people[4].id),
        kind: Set(ConsentKind::SensitiveData),
        text_version: Set("datos-sensibles-v1-2026-11".into()),
        granted_at: Set(now),
        withdrawn_at: Set(None),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let body = api_get(&app, &path, Some(&world.staff)).await.1;
    let differential = &body["differential"];
    assert_eq!(
        differential["consenting"],
        json!({"count": 5, "suppressed": false})
    );
    assert_eq!(sex_count(&body, "mujer")["count"], 5);
    assert_eq!(sex_count(&body, "hombre")["suppressed"], true);
    assert_eq!(
        differential["disability"],
        json!({"count": null, "suppressed": true})
    );
    assert_eq!(differential["victims"]["suppressed"], true);

    // The workbook shows "<5" and never a small number.
    let (_, _, bytes) = download(
        &app,
        &format!("/api/v1/reports/attendance.xlsx?cohort={cohort_id}"),
        &world.staff,
    )
    .await;
    let rows = table(&bytes, "Enfoque diferencial", "Dimensión");
    let disability = rows
        .iter()
        .find(|r| r[0] == Data::String("Discapacidad".into()))
        .unwrap();
    assert_eq!(disability[2], Data::String("<5".into()));
    for row in &rows {
        if let Data::Float(n) = row[2] {
            assert!(n >= 5.0, "{row:?}");
        }
    }
}

/// Honest states (issue 20): a cohort that has not started has no attendance and no completion
/// (null in JSON, «Sin iniciar» on pages and in the workbook) and stays out of the averages; a
/// running cohort's percentage is over the sessions held so far and says so; completion is
/// decided only at closing; a closed cohort shows the enrolment it closed with.
#[rocket::async_test]
async fn report_rows_say_how_far_each_cohort_is() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    // El Doncello (18247): no demo data there, so its figures are only these cohorts'.
    let waiting = world
        .cohort()
        .name("Aún sin empezar")
        .sessions_from_now(&[Duration::days(3), Duration::days(10)], 60)
        .create()
        .await;
    let running = world
        .cohort()
        .name("En marcha")
        .sessions_from_now(
            &[
                Duration::days(-4),
                Duration::days(-2),
                Duration::days(2),
                Duration::days(4),
            ],
            60,
        )
        .create()
        .await;
    let people = world.people("estados").count(2).of("18247").create().await;
    let mut ids = Vec::new();
    for cohort in [&waiting, &running] {
        for person in &people {
            let enrolment = world.enrol(cohort.id, person.id).await;
            if cohort.id == running.id {
                ids.push(enrolment.id);
            }
        }
    }
    world.move_cohort(running.id, "in_progress").await;
    use domain::entities::values::Mark::*;
    world
        .take_attendance(
            &running.sessions,
            &[
                (ids[0], &[Presente, Presente]),
                (ids[1], &[Presente, Ausente]),
            ],
        )
        .await;

    let report = |query: String| {
        let app = &app;
        let token = world.staff.clone();
        async move {
            api_get(
                app,
                &format!("/api/v1/reports/attendance?{query}"),
                Some(&token),
            )
            .await
            .expect_status(Status::Ok)
        }
    };
    // Not started: null, not 0.
    let body = report(format!("cohort={}", waiting.id)).await;
    let row = row_of(&body, "18247");
    assert_eq!(row["status"], "open");
    assert_eq!(row["enrolled"], 2);
    assert_eq!(row["sessions_held"], 0);
    assert_eq!(row["sessions_scheduled"], 2);
    assert!(row["attendance_pct"].is_null(), "{row}");
    assert!(row["completed"].is_null(), "{row}");
    assert_eq!(row["municipality_name"], "El Doncello");
    assert_eq!(row["department_name"], "Caquetá");
    // Running: 3 attended of 2 people × 2 sessions held (not × 4 scheduled); no completion yet.
    let body = report(format!("cohort={}", running.id)).await;
    let row = row_of(&body, "18247");
    assert_eq!(row["status"], "in_progress");
    assert_eq!(row["sessions_held"], 2);
    assert_eq!(row["sessions_scheduled"], 4);
    assert_eq!(row["attendance_pct"], 75.0);
    assert!(row["completed"].is_null(), "{row}");
    // The person-level detail says the same.
    let (_, detail) = api_get(
        &app,
        &format!(
            "/api/v1/reports/attendance/participants?cohort={}",
            waiting.id
        ),
        Some(&world.staff),
    )
    .await;
    for person in json_items(&detail) {
        assert!(person["attendance_pct"].is_null(), "{person}");
        assert!(person["completed"].is_null(), "{person}");
        assert_eq!(person["cohort_status"], "open");
    }
    let (_, detail) = api_get(
        &app,
        &format!(
            "/api/v1/reports/attendance/participants?cohort={}",
            running.id
        ),
        Some(&world.staff),
    )
    .await;
    let pcts: Vec<f64> = json_items(&detail)
        .iter()
        .map(|p| {
            assert!(p["completed"].is_null(), "{p}");
            p["attendance_pct"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(pcts.len(), 2);
    assert!(pcts.contains(&100.0) && pcts.contains(&50.0), "{pcts:?}");

    // The municipality's average leaves the cohort not started out: 75 %, not 37,5 %.
    let (status, kind, bytes) = download(
        &app,
        "/api/v1/reports/attendance.xlsx?municipality=18247",
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(kind.unwrap().contains("spreadsheetml"));
    let summary = table(&bytes, "Municipios", "Código DANE");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0][1], Data::String("El Doncello".into()));
    assert_eq!(summary[0][3], Data::String("Caquetá".into()));
    assert_eq!(summary[0][5], Data::Float(4.0), "enrolled in both cohorts");
    assert_eq!(summary[0][6], Data::Float(0.75));
    assert_eq!(summary[0][8], Data::String("Se decide al cierre".into()));
    let cohorts = table(&bytes, "Cohortes", "Código DANE");
    let line = |name: &str| {
        cohorts
            .iter()
            .find(|r| r[5] == Data::String(name.into()))
            .unwrap_or_else(|| panic!("{name} in {cohorts:?}"))
            .clone()
    };
    let not_started = line("Aún sin empezar");
    assert_eq!(not_started[6], Data::String("Sin iniciar".into()));
    assert_eq!(not_started[10], Data::String("Sin iniciar".into()));
    assert_eq!(not_started[11], Data::String("Se decide al cierre".into()));
    let in_course = line("En marcha");
    assert_eq!(
        in_course[6],
        Data::String("En curso (2 de 4 sesiones)".into())
    );
    assert_eq!(in_course[8], Data::Float(2.0), "sessions held");
    assert_eq!(in_course[10], Data::Float(0.75));

    // The page says it in words.
    sign_in_client(
        &app.client,
        demo_account(Role::Coordinator).0,
        demo_account(Role::Coordinator).1,
    )
    .await;
    let (status, html) = crate::support::page(&app, "/reportes?municipality=18247").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Sin iniciar"), "{html}");
    assert!(html.contains("En curso (2 de 4 sesiones)"), "{html}");
    assert!(html.contains("75 %"), "{html}");
    assert!(
        !html.contains("37,5 %"),
        "the cohort not started drags nothing down"
    );
    let (_, html) = crate::support::page(
        &app,
        &format!("/reportes/participantes?cohort={}", waiting.id),
    )
    .await;
    assert!(
        html.contains("Sin iniciar") && html.contains("Se decide al cierre"),
        "{html}"
    );

    // Closed: the enrolment it closed with (completed and not completed both count).
    let closed = world.hand_built_cohort().await;
    let body = report(format!("cohort={closed}")).await;
    let florencia = row_of(&body, "18001");
    assert_eq!(florencia["status"], "closed");
    assert_eq!(florencia["enrolled"], 3);
    assert_eq!(florencia["completed"], 2);
    assert_eq!(florencia["sessions_held"], 4);
}

/// Issue 18: the report's filters name places: a reviewer picks among their department's
/// municipalities by name, ESAP among departments by name; a chosen one stays selected.
#[rocket::async_test]
async fn report_filters_offer_places_by_name() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(&app, "/reportes?municipality=18256").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<select id=\"f-mun\" name=\"municipality\">"),
        "{html}"
    );
    assert!(html.contains("<option value=\"18256\" selected>El Paujíl</option>"));
    assert!(
        !html.contains("name=\"department\""),
        "a reviewer has one department"
    );
    assert!(
        !html.contains("value=\"50325\""),
        "nor another department's places"
    );

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (_, html) = crate::support::page(&app, "/reportes").await;
    assert!(
        html.contains("<option value=\"18\">Caquetá</option>"),
        "{html}"
    );
    assert!(
        html.contains("<input id=\"f-mun\""),
        "no department chosen: a code"
    );
    let (_, html) = crate::support::page(&app, "/reportes?department=50").await;
    assert!(html.contains("<option value=\"50\" selected>Meta</option>"));
    assert!(html.contains(">Mapiripán</option>"));
}

/// Issue 45's words: a report's filters are read by their names, on the page and in the
/// workbook's header block, and the workbook's file name carries its place and day.
#[rocket::async_test]
async fn report_filters_name_places_and_cohorts_and_workbooks_are_named_by_scope_and_day() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort: Cohort = world.cohort().name("Cohorte con nombre").create().await;
    let query = format!("department=18&municipality=18592&cohort={}", cohort.id);
    let response = app
        .client
        .get(format!("/api/v1/reports/attendance.xlsx?{query}"))
        .header(bearer(&world.staff))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let disposition = response
        .headers()
        .get_one("Content-Disposition")
        .unwrap_or_default()
        .to_string();
    let today = domain::time::local(domain::time::now()).date_naive();
    assert!(
        disposition.contains(&format!("informe-asistencia-puerto-rico-{today}.xlsx")),
        "{disposition}"
    );
    let bytes = response.into_bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let header: String = book
        .worksheet_range(&name)
        .unwrap()
        .cells()
        .map(|c| format!("{}\n", c.2))
        .collect();
    assert!(header.contains("Caquetá"), "{header}");
    assert!(header.contains("Puerto Rico (Caquetá)"), "{header}");
    assert!(header.contains("Cohorte con nombre"), "{header}");

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let html = page(&app, &format!("/reportes/participantes?{query}")).await;
    assert!(
        html.contains(
            "Departamento: Caquetá · Municipio: Puerto Rico (Caquetá) · Cohorte: Cohorte con nombre"
        ),
        "{html}"
    );
}

/// Every report page the app mounts is reachable from «Informes» (issue 45): a new report
/// without its link at the top of `/reportes` fails here. For a coordinator and a reviewer.
#[rocket::async_test]
async fn every_report_is_listed_atop_informes() {
    let app = TestApp::with_demo().await;
    let reports: Vec<String> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.method == rocket::http::Method::Get)
        .map(|r| r.uri.path().to_string())
        .filter(|path| path.starts_with("/reportes/") && !path.contains('.') && !path.contains('<'))
        .collect();
    assert!(reports.len() >= 8, "{reports:?}");
    for role in [Role::Coordinator, Role::Reviewer] {
        let browser = app.another_instance(&[]).await;
        let (email, password) = demo_account(role);
        sign_in_client(&browser, email, password).await;
        let html = body_of(&browser, "/reportes").await;
        let list = &html[html
            .find("class=\"report-list\"")
            .expect("the list of reports")..];
        let list = &list[..list.find("</nav>").unwrap()];
        let missing: Vec<&String> = reports
            .iter()
            .filter(|path| !list.contains(&format!("href=\"{path}\"")))
            .collect();
        assert!(
            missing.is_empty(),
            "{role:?}: not under «Informes»: {missing:?}"
        );
        // Each of them opens for whoever reads «Informes».
        for path in &reports {
            let status = browser.get(path.clone()).dispatch().await.status();
            assert_eq!(status, Status::Ok, "{role:?} {path}");
        }
    }
}

/// Issue 61: an unknown place on a report's filters is a 422 problem+json naming the field,
/// in Spanish, never a filter that silently matches nothing — the attendance report, its
/// participants and workbook, and the coverage report and its workbook alike.
#[rocket::async_test]
async fn an_unknown_place_on_a_report_filter_is_a_422_naming_it() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    world.hand_built_cohort().await;
    let response = app
        .client
        .get("/api/v1/reports/attendance?municipality=99999")
        .header(bearer(&world.staff))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert_eq!(
        response.content_type(),
        Some(rocket::http::ContentType::new(
            "application",
            "problem+json"
        ))
    );
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(error_fields(&body), vec!["municipality"], "{body}");
    let message = json_str(&body["errors"][0]["message"]);
    assert!(message.contains("99999"), "{message}");

    for path in [
        "/api/v1/reports/attendance/participants?municipality=99999",
        "/api/v1/reports/attendance.xlsx?municipality=Atl%C3%A1ntida",
        "/api/v1/reports/capacity-coverage?municipality=99999",
        "/api/v1/reports/capacity-coverage.xlsx?municipality=99999",
        "/api/v1/reports/capacity-coverage?department=98",
    ] {
        let (status, body) = api_get(&app, path, Some(&world.staff)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{path}: {body}");
        let field = if path.contains("department") {
            "department"
        } else {
            "municipality"
        };
        assert_eq!(error_fields(&body), vec![field], "{path}: {body}");
    }
    // With another problem, both at once.
    let body = api_get(
        &app,
        "/api/v1/reports/capacity-coverage?municipality=99999&category=9",
        Some(&world.staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, vec!["category", "municipality"], "{body}");

    // A place that exists still filters (by code or by name).
    for path in [
        "/api/v1/reports/capacity-coverage?municipality=18001",
        "/api/v1/reports/capacity-coverage?municipality=Florencia%20%28Caquet%C3%A1%29",
        "/api/v1/reports/attendance?municipality=18001",
    ] {
        let (status, body) = api_get(&app, path, Some(&world.staff)).await;
        assert_eq!(status, Status::Ok, "{path}: {body}");
        every_row(json_items(&body), path, |r| {
            r["municipality_code"] == "18001"
        });
    }
}
