//! Bulk enrolment from spreadsheets: the template, messy-but-valid files, all-or-nothing with
//! each kind of bad row, upload limits; plus session reminders and calendar downloads.

use crate::common::TestApp;
use crate::support::*;
use crate::world::World;
use domain::config::AppConfig;
use domain::entities::values::Role;
use domain::entities::{enrolment, outbox, participant};
use domain::templates::Templates;
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// What a municipality's office really sends: `;`, a BOM, shouting headers with and without
/// accents, dotted document numbers, a DANE code that lost its zero, labels instead of codes,
/// stray spaces and empty trailing rows.
const MESSY_CSV: &str = "\u{feff}TIPO DE DOCUMENTO;Numero de documento;NOMBRES;apellidos;Correo Electrónico;Código DANE del municipio;Tipo de entidad;Nivel;Cargo\r\n\
CC; 1.117.000.001 ;Ana Lucía;Peña Ñáñez;ana.pena@example.org;18256;Alcaldía;Técnico;Auxiliar\r\n\
cc;71234567;Édgar;Losada;;5001;alcaldia;profesional;\r\n\
CE;  445566 ;Jean-Pierre;O'Neill;jp@example.org;50325;Concejo municipal;asesor;Asesor jurídico\r\n\
;;;;;;;;\r\n\
;;;;;;;;\r\n";

#[rocket::async_test]
async fn a_messy_but_valid_file_is_previewed_then_imported_once() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(2).national().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let people_before = participant::Entity::find().fetch_count(app.db()).await;

    let (status, preview) = upload(
        &app,
        &format!("{path}?dry_run=true"),
        staff,
        "inscritos.csv",
        MESSY_CSV.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["created_participants"], 3);
    assert_eq!(preview["enrolled"], 2);
    assert_eq!(preview["waitlisted"], 1);
    assert_eq!(preview["rows"][2]["waitlist_position"], 1);
    assert_eq!(
        participant::Entity::find().fetch_count(app.db()).await,
        people_before,
        "a dry run writes nothing"
    );

    let (status, done) = upload(&app, &path, staff, "inscritos.csv", MESSY_CSV.as_bytes()).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(
        (
            done["created_participants"].as_i64(),
            done["enrolled"].as_i64(),
            done["waitlisted"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    let edgar = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq("71234567"))
        .expect_one(app.db())
        .await;
    assert_eq!(edgar.municipality_code, "05001");
    let ana = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq("1117000001"))
        .expect_one(app.db())
        .await;
    assert_eq!(
        (
            ana.first_names.as_str(),
            ana.last_names.as_str(),
            ana.entity_type.as_str(),
            ana.level.as_str()
        ),
        ("Ana Lucía", "Peña Ñáñez", "alcaldia", "tecnico")
    );

    // The same file again: everyone is already there.
    let (_, again) = upload(&app, &path, staff, "inscritos.csv", MESSY_CSV.as_bytes()).await;
    assert_eq!(
        (
            again["created_participants"].as_i64(),
            again["already_enrolled"].as_i64()
        ),
        (Some(0), Some(3))
    );
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort as i32))
        .fetch_count(app.db())
        .await;
    assert_eq!(rows, 3);
}

#[rocket::async_test]
async fn an_xlsx_with_numbers_typed_as_numbers_is_accepted() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "Tipo de documento",
        "Número de documento",
        "Nombres",
        "Apellidos",
        "Código DANE del municipio",
        "Tipo de entidad",
        "Nivel",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "CC").unwrap();
    sheet.write_number(1, 1, 1_117_000_777.0).unwrap();
    sheet.write_string(1, 2, "Wilson").unwrap();
    sheet.write_string(1, 3, "Ibáñez").unwrap();
    sheet.write_number(1, 4, 18094.0).unwrap();
    sheet.write_string(1, 5, "veeduria").unwrap();
    sheet.write_string(1, 6, "comunidad").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (status, done) = upload(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments/import"),
        staff,
        "Libro1.xlsx",
        &bytes,
    )
    .await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["enrolled"], 1);
    let wilson = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq("1117000777"))
        .one(app.db())
        .await
        .unwrap();
    assert_eq!(
        wilson.map(|p| p.municipality_code).as_deref(),
        Some("18094")
    );
}

#[rocket::async_test]
async fn any_bad_row_rejects_the_whole_file_with_row_column_and_message() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let header =
        "tipo_documento,numero_documento,nombres,apellidos,codigo_dane,tipo_entidad,nivel\n";
    let good = "CC,1117000101,Ana,Pérez,18256,alcaldia,tecnico\n";
    let cases = [
        (
            "CC,12AB,Luis,Gómez,18256,alcaldia,tecnico\n",
            3,
            "Número de documento",
            "sin letras",
        ),
        (
            "CC,1117000102,Luis,Gómez,99999,alcaldia,tecnico\n",
            3,
            "Código DANE del municipio",
            "No existe un municipio",
        ),
        (
            "CC,1117000101,Ana,Pérez,18256,alcaldia,tecnico\n",
            3,
            "Número de documento",
            "fila anterior",
        ),
        (
            "CC,1117000103,Luis,Gómez,18256,alcaldia,jefe\n",
            3,
            "Nivel",
            "nivel del cargo",
        ),
        (
            "NIT,1117000104,Luis,Gómez,18256,alcaldia,tecnico\n",
            3,
            "Tipo de documento",
            "CC, CE, PA o PPT",
        ),
        (
            "CC,1117000105,,Gómez,18256,alcaldia,tecnico\n",
            3,
            "Nombres",
            "Escriba sus nombres",
        ),
    ];
    let people_before = participant::Entity::find().fetch_count(app.db()).await;
    for (bad, row, column, message) in cases {
        let file = format!("{header}{good}{bad}");
        let (status, problem) = upload(&app, &path, staff, "lista.csv", file.as_bytes()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}: {problem}");
        let error = &problem["errors"][0];
        assert_eq!(error["row"], row, "{bad}: {problem}");
        assert_eq!(error["field"], column, "{bad}");
        assert!(
            json_str(&error["message"]).contains(message),
            "{bad}: {error}"
        );
        assert_eq!(
            participant::Entity::find().fetch_count(app.db()).await,
            people_before,
            "{bad}: nothing written"
        );
    }
    // A missing column is named.
    let (status, problem) = upload(
        &app,
        &path,
        staff,
        "lista.csv",
        b"nombres,apellidos\nAna,Perez\n",
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        json_array(&problem["errors"])
            .iter()
            .any(|e| e["message"] == "Falta la columna «Número de documento».")
    );
    // A cohort offered only to Caquetá refuses a row from Meta.
    let (_, caqueta) = api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort}"),
        Some(staff),
        json!({"department_codes": ["18"]}),
    )
    .await;
    assert_eq!(caqueta["department_codes"], json!(["18"]));
    let file = format!("{header}{good}CC,1117000106,Luis,Gómez,50325,alcaldia,tecnico\n");
    let (status, problem) = upload(&app, &path, staff, "lista.csv", file.as_bytes()).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(json_str(&problem["errors"][0]["message"]).contains("no se ofrece al municipio 50325"));
}

#[rocket::async_test]
async fn uploads_are_bounded_and_must_be_spreadsheets() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let (status, problem) = upload(&app, &path, staff, "foto.png", png).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        json_str(&problem["errors"][0]["message"]).contains("no es una hoja de cálculo"),
        "{problem}"
    );
    let big = vec![b'a'; 5 * 1024 * 1024 + 10];
    let (status, _) = upload(&app, &path, staff, "grande.csv", &big).await;
    assert_eq!(status, Status::PayloadTooLarge);
    let huge = vec![b'a'; 7 * 1024 * 1024];
    let (status, _) = upload(&app, &path, staff, "enorme.csv", &huge).await;
    assert_eq!(status, Status::PayloadTooLarge);
    // Only coordinators import; the template is a real workbook.
    let (email, password) = demo_account(Role::Participant);
    let participant = token(&app, email, password).await;
    assert_eq!(
        upload(&app, &path, &participant, "x.csv", MESSY_CSV.as_bytes())
            .await
            .0,
        Status::Forbidden
    );
    let response = app
        .client
        .get(format!("{path}-template.xlsx"))
        .header(bearer(staff))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let bytes = response.into_bytes().await.unwrap();
    let table = domain::spreadsheets::read_upload(&bytes, "plantilla.xlsx").unwrap();
    assert!(table.has("numero_de_documento") && table.has("codigo_dane_del_municipio"));
    assert_eq!(
        table.rows[0].get("tipo_de_documento"),
        "CC",
        "the example row"
    );
}

#[rocket::async_test]
async fn session_reminders_are_queued_once_per_person_and_session_even_after_a_restart() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(10).national().create().await.id;
    upload(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments/import"),
        staff,
        "l.csv",
        MESSY_CSV.as_bytes(),
    )
    .await;
    let before = outbox::Entity::find().fetch_count(app.db()).await;
    let (templates, config) = (
        app.client.rocket().state::<Templates>().unwrap(),
        app.client.rocket().state::<AppConfig>().unwrap(),
    );
    let notifier = domain::mail::Notifier { templates, config };
    let now = domain::time::now();
    let queued = domain::enrolment::reminders::queue_due(app.db(), &notifier, now)
        .await
        .unwrap();
    assert_eq!(queued, 2, "two people with email, one session tomorrow");
    assert_eq!(
        domain::enrolment::reminders::queue_due(app.db(), &notifier, now)
            .await
            .unwrap(),
        0
    );
    let restarted = app.another_instance(&[]).await;
    let (_templates, _config) = (
        restarted.rocket().state::<Templates>().unwrap(),
        restarted.rocket().state::<AppConfig>().unwrap(),
    );
    assert_eq!(
        domain::enrolment::reminders::queue_due(app.db(), &notifier, now)
            .await
            .unwrap(),
        0
    );
    let reminders = outbox::Entity::find()
        .filter(outbox::Column::Subject.starts_with("Mañana:"))
        .fetch_all(app.db())
        .await;
    assert_eq!(reminders.len(), 2);
    assert_eq!(
        outbox::Entity::find().fetch_count(app.db()).await,
        before + 2
    );
    assert!(
        reminders[0].body_text.contains("9:00 a. m."),
        "Colombian times"
    );
}

/// Unfolds RFC 5545 lines.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
            }
        } else if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    lines
}

#[rocket::async_test]
async fn cohorts_and_sessions_download_as_icalendar() {
    // Another installation than the defaults': its sessions' UIDs carry its host (issue 67).
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("public_url", json!("https://Aula.Caqueta.example.gov.co/")),
    ])
    .await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let today = domain::time::today();
    let late = json!({"starts_at": format!("{today}T21:00:00-05:00"), "ends_at": format!("{today}T23:30:00-05:00"), "topic": "Sesión nocturna, con coma; y punto y coma"});
    let (_, session) = api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/sessions"),
        Some(staff),
        late,
    )
    .await;

    let response = app
        .client
        .get(format!("/cohortes/{cohort}/calendario.ics"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.content_type().map(|c| c.to_string()).as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let body = response.into_string().await.unwrap();
    let lines = unfold(&body);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
    let next_day = (today + chrono::Duration::days(1))
        .format("%Y%m%d")
        .to_string();
    assert!(
        lines.contains(&format!("DTEND:{next_day}T043000Z")),
        "23:30 in Bogotá is 04:30 UTC the next day"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Sesión nocturna\\, con coma\\; y punto y coma"))
    );

    let one = body_of(
        &app.client,
        format!("/sesiones/{}/calendario.ics", session["id"]),
    )
    .await;
    assert_eq!(
        unfold(&one).iter().filter(|l| *l == "BEGIN:VEVENT").count(),
        1
    );
    // Unique per installation: the session's id at this installation's host, the same in the
    // cohort's feed and the session's file (a client updates the event instead of adding it).
    let uid = format!("UID:sesion-{}@aula.caqueta.example.gov.co", session["id"]);
    assert!(unfold(&one).contains(&uid), "{one}");
    assert!(lines.contains(&uid), "{body}");
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("UID:"))
            .all(|l| l.ends_with("@aula.caqueta.example.gov.co")),
        "{body}"
    );
    // A draft's calendar is not public.
    let (_, draft) = api_get(&app, "/api/v1/cohorts?status=draft", Some(staff)).await;
    let draft_id = draft["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        app.client
            .get(format!("/cohortes/{draft_id}/calendario.ics"))
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
}

/// Issue 18: the cohort page's «plantilla» link works for a coordinator signed in with the
/// browser (it used to point at the API, which answers bearer tokens only: a 401 JSON).
#[rocket::async_test]
async fn the_cohort_pages_template_link_downloads_the_workbook() {
    let app = TestApp::with_demo().await;
    let cohort =
        crate::world::demo_cohort(app.db(), domain::entities::values::CohortStatus::Open).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (_, html) = page(
        &app,
        &format!("/coordinacion/cohortes/{}/inscripciones", cohort.id),
    )
    .await;
    let link = format!(
        "/coordinacion/cohortes/{}/plantilla-inscripciones.xlsx",
        cohort.id
    );
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let response = app.client.get(link).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert!(
        response
            .content_type()
            .is_some_and(|c| c.to_string().contains("spreadsheetml"))
    );
    let bytes = response.into_bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");

    // Another role gets no workbook.
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let response = app
        .client
        .get(format!(
            "/coordinacion/cohortes/{}/plantilla-inscripciones.xlsx",
            cohort.id
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
}

/// Issue 18: the coordinator's cohort workspace is split into sections, each a page of its
/// own behind the same menu; an upload's outcome comes first on the enrolments page, and
/// issuing certificates comes back to the certificates page.
#[rocket::async_test]
async fn the_cohort_workspace_is_split_into_sections_with_outcomes_first() {
    use domain::entities::values::CohortStatus;
    let app = TestApp::with_demo().await;
    let open = crate::world::demo_cohort(app.db(), CohortStatus::Open).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let base = format!("/coordinacion/cohortes/{}", open.id);
    // Each section: its path, its menu label and what only it shows.
    let sections = [
        ("", "Resumen", "id=\"estado\""),
        ("/inscripciones", "Inscripciones", "id=\"importar\""),
        ("/sesiones", "Sesiones", "id=\"sesion\""),
        (
            "/certificados",
            "Certificados",
            "id=\"certificados-titulo\"",
        ),
        ("/editar", "Editar", "id=\"editar\""),
    ];
    for (tail, label, _) in sections {
        let (status, html) = page(&app, &format!("{base}{tail}")).await;
        assert_eq!(status, Status::Ok, "{tail}");
        for (other, _, other_marker) in sections {
            assert!(html.contains(&format!("href=\"{base}{other}\"")), "{tail}");
            assert_eq!(
                html.contains(other_marker),
                other == tail,
                "{tail}: {other_marker}"
            );
        }
        assert!(
            html.contains(&format!("aria-current=\"page\">{label}")),
            "{tail}: the menu marks where one is"
        );
    }

    let (status, _) = page(&app, &format!("{base}/otra-seccion")).await;
    assert_eq!(status, Status::NotFound, "no such section");

    let csrf = csrf_from(&app, &format!("{base}/inscripciones")).await;
    let csv = "tipo_documento,numero_documento,nombres,apellidos,codigo_dane,tipo_entidad,nivel\n\
               CC,1117000901,Yurany,Quintero,18256,alcaldia,tecnico\n";
    let (status, html) = post_file(
        &app,
        &format!("{base}/importar"),
        &csrf,
        "personas.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    let outcome = html
        .find("id=\"resultado-importacion\"")
        .expect("the preview");
    let roster = html.find("id=\"inscritos\"").expect("the roster");
    assert!(outcome < roster, "the outcome comes before the roster");
    assert!(html.contains("Vista previa (no se guardó nada)") && html.contains("Yurany"));

    let closed = crate::world::demo_cohort(app.db(), CohortStatus::Closed).await;
    let certificates = format!("/coordinacion/cohortes/{}/certificados", closed.id);
    let csrf = csrf_from(&app, &certificates).await;
    let response = post_form(&app, &certificates, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(
        response.headers().get_one("Location"),
        Some(certificates.as_str())
    );
    let (_, html) = page(&app, &certificates).await;
    assert!(
        html.contains("Certificados expedidos:"),
        "the outcome is shown: {html}"
    );
    assert!(html.contains("/verificar/"), "and the certificates listed");
}

/// Issue 61, item 3: the enrolment file previewed on the cohort's page imports with
/// «Importar» under the preview, which sends only the kept file's token; the token is the
/// cohort's (another cohort's page refuses it).
#[rocket::async_test]
async fn the_enrolment_file_previewed_imports_from_its_draft() {
    use crate::offer_import::{draft_of, post_draft};
    use domain::entities::values::CohortStatus;
    let app = TestApp::with_demo().await;
    let open = crate::world::demo_cohort(app.db(), CohortStatus::Open).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let base = format!("/coordinacion/cohortes/{}", open.id);
    let csrf = csrf_from(&app, &format!("{base}/inscripciones")).await;
    let csv = "tipo_documento,numero_documento,nombres,apellidos,codigo_dane,tipo_entidad,nivel\n\
               CC,1117000902,Yesenia,Quintero,18256,alcaldia,tecnico\n";
    let enrolled = async || {
        enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(open.id))
            .fetch_count(app.db())
            .await
    };
    let before = enrolled().await;
    let (status, html) = post_file(
        &app,
        &format!("{base}/importar"),
        &csrf,
        "personas.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("sin elegirlo otra vez"), "{html}");
    let draft = draft_of(&html);
    assert_eq!(enrolled().await, before, "a preview enrols nobody");
    // Importing declares the people's authorization (issue 67, habeas_data tests it).
    let declared = [
        ("draft", draft.as_str()),
        ("mode", "import"),
        ("declaracion", "true"),
        ("fuente_autorizacion", "Formato físico de inscripción"),
    ];
    let (status, html) =
        post_draft(&app.client, &format!("{base}/importar"), &csrf, &declared).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Importación realizada"), "{html}");
    assert_eq!(enrolled().await, before + 1);
    let (status, html) =
        post_draft(&app.client, &format!("{base}/importar"), &csrf, &declared).await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("ya se importó desde esta revisión"), "{html}");
    assert_eq!(enrolled().await, before + 1);
}
