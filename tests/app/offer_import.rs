//! Issue 49, item 6: cohorts (with their sessions) and assistances (with milestones and
//! visits) brought in from a provider's spreadsheet through the one import pipeline: the same
//! file twice creates nothing new, a file with three problems reports all three and writes
//! nothing, a coordinator cannot import for another provider, a corrected file updates; and
//! the monthly follow-up by milestone.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api_get, api_post, csrf_from, demo_account, download,
    json_array, json_str, page, post_file, read_table, sign_in_page, token, upload, write_table,
};
use crate::world::{World, days};
use domain::entities::values::Role;
use domain::entities::{
    assistance, assistance_milestone, assistance_visit, cohort, cohort_session, imported_record,
};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

async fn counts(app: &TestApp) -> [u64; 6] {
    let db = app.db();
    [
        cohort::Entity::find().count(db).await.unwrap(),
        cohort_session::Entity::find().count(db).await.unwrap(),
        assistance::Entity::find().count(db).await.unwrap(),
        assistance_milestone::Entity::find()
            .count(db)
            .await
            .unwrap(),
        assistance_visit::Entity::find().count(db).await.unwrap(),
        imported_record::Entity::find().count(db).await.unwrap(),
    ]
}

/// A row of a sheet: `cells` under the named columns of `header`, empty elsewhere.
fn row(header: &[&str], cells: &[(&str, String)]) -> Vec<String> {
    header
        .iter()
        .map(|h| {
            cells
                .iter()
                .find(|(c, _)| c == h)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn sheet(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut all = vec![header.iter().map(|h| h.to_string()).collect()];
    all.extend(rows.iter().cloned());
    write_table(&all)
}

fn date(n: i64) -> String {
    days(n).to_string()
}

/// The cohort's own columns, as its first row carries them.
fn cohort_cells(reference: &str, name: &str, seats: &str) -> Vec<(&'static str, String)> {
    vec![
        ("referencia", reference.to_string()),
        ("curso", "PT".to_string()),
        ("nombre", name.to_string()),
        ("modalidad", "presencial".to_string()),
        ("inicio", date(20)),
        ("fin", date(60)),
        ("inscripciones_desde", date(1)),
        ("inscripciones_hasta", date(15)),
        ("cupos", seats.to_string()),
        ("lugar", "Casa de la Cultura".to_string()),
        ("municipios", "18094; 18256".to_string()),
    ]
}

fn session_cells(reference: &str, day: i64, topic: &str) -> Vec<(&'static str, String)> {
    vec![
        ("referencia", reference.to_string()),
        ("sesion_fecha", date(day)),
        ("sesion_hora_inicio", "14:00".to_string()),
        ("sesion_hora_fin", "17:00".to_string()),
        ("sesion_tema", topic.to_string()),
    ]
}

fn with(
    mut a: Vec<(&'static str, String)>,
    b: Vec<(&'static str, String)>,
) -> Vec<(&'static str, String)> {
    for (column, value) in b {
        a.retain(|(c, _)| *c != column);
        a.push((column, value));
    }
    a
}

async fn send(app: &TestApp, path: &str, token: &str, file: &[u8]) -> (Status, Value) {
    upload(app, path, token, "planilla.xlsx", file).await
}

fn tally(summary: &Value) -> (i64, i64, i64) {
    (
        summary["created"].as_i64().unwrap(),
        summary["updated"].as_i64().unwrap(),
        summary["unchanged"].as_i64().unwrap(),
    )
}

#[rocket::async_test]
async fn cohorts_imported_twice_change_nothing_and_a_corrected_file_updates() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let header = domain::offer_import::cohorts::columns();
    let file = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    cohort_cells("IMP-C1", "Planeación importada", "30"),
                    session_cells("IMP-C1", 21, "Diagnóstico"),
                ),
            ),
            row(&header, &session_cells("IMP-C1", 28, "Plan de acción")),
            row(&header, &cohort_cells("IMP-C2", "Otra importada", "25")),
        ],
    );
    let before = counts(&app).await;

    let (status, preview) = send(
        &app,
        "/api/v1/imports/cohorts?dry_run=true",
        &world.staff,
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["dry_run"], true);
    assert_eq!(tally(&preview), (2, 0, 0), "{preview}");
    assert_eq!(preview["changes"][0]["parts_added"], 2, "{preview}");
    assert_eq!(counts(&app).await, before, "a preview writes nothing");

    let (status, saved) = send(&app, "/api/v1/imports/cohorts", &world.staff, &file).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(tally(&saved), (2, 0, 0), "{saved}");
    let after = counts(&app).await;
    assert_eq!(after[0], before[0] + 2);
    assert_eq!(after[1], before[1] + 2);
    assert_eq!(after[5], before[5] + 2);
    let imported = cohort::Entity::find()
        .filter(cohort::Column::Name.eq("Planeación importada"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the imported cohort");
    assert_eq!(imported.seats, 30);
    assert_eq!(imported.status.as_str(), "draft");

    // The same file again: nothing new.
    let (status, again) = send(&app, "/api/v1/imports/cohorts", &world.staff, &file).await;
    assert_eq!(status, Status::Ok, "{again}");
    assert_eq!(tally(&again), (0, 0, 2), "{again}");
    assert_eq!(counts(&app).await, after);

    // Corrected: more seats, a session's topic changed; the other cohort as it was.
    let corrected = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    cohort_cells("IMP-C1", "Planeación importada", "35"),
                    session_cells("IMP-C1", 21, "Diagnóstico territorial"),
                ),
            ),
            row(&header, &session_cells("IMP-C1", 28, "Plan de acción")),
            row(&header, &cohort_cells("IMP-C2", "Otra importada", "25")),
        ],
    );
    let (status, updated) = send(&app, "/api/v1/imports/cohorts", &world.staff, &corrected).await;
    assert_eq!(status, Status::Ok, "{updated}");
    assert_eq!(tally(&updated), (0, 1, 1), "{updated}");
    assert_eq!(updated["changes"][0]["parts_changed"], 1, "{updated}");
    assert_eq!(counts(&app).await, after, "a correction adds nothing");
    let changed = cohort::Entity::find_by_id(imported.id)
        .expect_one(app.db())
        .await;
    assert_eq!(changed.seats, 35);
    let topics: Vec<String> = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(imported.id))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|s| s.topic)
        .collect();
    assert!(
        topics.contains(&"Diagnóstico territorial".to_string()),
        "{topics:?}"
    );

    // The template has the columns in order.
    let (status, _, bytes) =
        download(&app, "/api/v1/imports/cohorts/template.xlsx", &world.staff).await;
    assert_eq!(status, Status::Ok);
    let table = read_table(&bytes, "Cohortes", "referencia");
    assert_eq!(
        table[0],
        header.iter().map(|h| h.to_string()).collect::<Vec<_>>()
    );
}

#[rocket::async_test]
async fn a_file_of_cohorts_with_three_problems_reports_all_three_and_writes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let header = domain::offer_import::cohorts::columns();
    let file = sheet(
        &header,
        &[
            // Good.
            row(&header, &cohort_cells("BAD-1", "Buena", "30")),
            // Enrolment closing after the cohort ends (the rule of a cohort made by hand).
            row(
                &header,
                &with(
                    cohort_cells("BAD-2", "Inscripciones tardías", "30"),
                    vec![("inscripciones_hasta", date(90))],
                ),
            ),
            // A session outside the cohort's dates.
            row(&header, &session_cells("BAD-1", 120, "Fuera de fechas")),
            // An unknown course.
            row(
                &header,
                &with(
                    cohort_cells("BAD-3", "Curso inexistente", "30"),
                    vec![("curso", "NOEXISTE".to_string())],
                ),
            ),
        ],
    );
    let before = counts(&app).await;
    let (status, problem) = send(&app, "/api/v1/imports/cohorts", &world.staff, &file).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let at: Vec<(i64, String)> = json_array(&problem["errors"])
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                json_str(&e["field"]).to_string(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            (3, "inscripciones_hasta".to_string()),
            (4, "sesion_fecha".to_string()),
            (5, "curso".to_string()),
        ],
        "{problem}"
    );
    assert_eq!(counts(&app).await, before, "all or nothing");
}

#[rocket::async_test]
async fn a_coordinator_cannot_import_for_another_provider() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let header = domain::offer_import::cohorts::columns();
    // ESAP brings a cohort in.
    let esap = sheet(
        &header,
        &[row(&header, &cohort_cells("SHARED-1", "De ESAP", "30"))],
    );
    let (status, saved) = send(&app, "/api/v1/imports/cohorts", &world.staff, &esap).await;
    assert_eq!(status, Status::Ok, "{saved}");
    let before = counts(&app).await;
    // DNP's coordinator with ESAP's course: the course does not exist for it.
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (status, problem) = send(&app, "/api/v1/imports/cohorts", &dnp, &esap).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "curso", "{problem}");
    assert_eq!(counts(&app).await, before);
    // A liaison imports nothing.
    let (email, password) = demo_account(Role::Liaison);
    let liaison = token(&app, email, password).await;
    let (status, _) = send(&app, "/api/v1/imports/cohorts", &liaison, &esap).await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = send(&app, "/api/v1/imports/assistances", &liaison, &esap).await;
    assert_eq!(status, Status::Forbidden);
    // DNP's assistances are DNP's: ESAP's reference is not found among them, so the row is
    // DNP's own new assistance, never ESAP's.
    let header = domain::offer_import::assistances::columns();
    let file = sheet(&header, &[row(&header, &assistance_cells("SHARED-A", "2"))]);
    let (status, saved) = send(&app, "/api/v1/imports/assistances", &world.staff, &file).await;
    assert_eq!(status, Status::Ok, "{saved}");
    let (status, theirs) = send(&app, "/api/v1/imports/assistances", &dnp, &file).await;
    assert_eq!(status, Status::Ok, "{theirs}");
    assert_eq!(tally(&theirs), (1, 0, 0), "{theirs}");
    let providers: Vec<i32> = imported_record::Entity::find()
        .filter(imported_record::Column::Reference.eq("SHARED-A"))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|r| r.provider_id)
        .collect();
    assert_eq!(providers.len(), 2, "each provider its own: {providers:?}");
    assert_ne!(providers[0], providers[1]);
}

fn assistance_cells(reference: &str, hours: &str) -> Vec<(&'static str, String)> {
    vec![
        ("referencia", reference.to_string()),
        ("municipio", "18094".to_string()),
        ("entidad", "alcaldia".to_string()),
        ("capacidades", "planeacion_territorial".to_string()),
        (
            "objetivo",
            "Acompañar el plan de acción municipal".to_string(),
        ),
        ("inicio", date(-30)),
        ("fin", date(60)),
        ("modalidad", "presencial".to_string()),
        ("visita_fecha", date(-10)),
        ("visita_horas", hours.to_string()),
        (
            "visita_temas",
            "Diagnóstico con el equipo de planeación".to_string(),
        ),
    ]
}

#[rocket::async_test]
async fn assistances_imported_twice_change_nothing_and_a_corrected_file_updates() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let header = domain::offer_import::assistances::columns();
    let milestone = |title: &str, due: i64, done: &str| {
        vec![
            ("referencia", "IMP-A1".to_string()),
            ("hito", title.to_string()),
            ("hito_fecha", date(due)),
            ("hito_cumplido", done.to_string()),
        ]
    };
    let first = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    assistance_cells("IMP-A1", "2,5"),
                    milestone("Diagnóstico concertado", -5, ""),
                ),
            ),
            row(&header, &milestone("Plan de acción aprobado", 30, "")),
        ],
    );
    let before = counts(&app).await;
    let (status, saved) = send(&app, "/api/v1/imports/assistances", &world.staff, &first).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(tally(&saved), (1, 0, 0), "{saved}");
    assert_eq!(saved["changes"][0]["parts_added"], 3, "{saved}");
    let after = counts(&app).await;
    assert_eq!(
        (after[2], after[3], after[4]),
        (before[2] + 1, before[3] + 2, before[4] + 1)
    );
    let (status, again) = send(&app, "/api/v1/imports/assistances", &world.staff, &first).await;
    assert_eq!(status, Status::Ok, "{again}");
    assert_eq!(tally(&again), (0, 0, 1), "{again}");
    assert_eq!(counts(&app).await, after);

    // Corrected: the diagnosis was done three days ago.
    let done = date(-3);
    let corrected = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    assistance_cells("IMP-A1", "2,5"),
                    milestone("Diagnóstico concertado", -5, &done),
                ),
            ),
            row(&header, &milestone("Plan de acción aprobado", 30, "")),
        ],
    );
    let (status, updated) = send(
        &app,
        "/api/v1/imports/assistances",
        &world.staff,
        &corrected,
    )
    .await;
    assert_eq!(status, Status::Ok, "{updated}");
    assert_eq!(tally(&updated), (0, 1, 0), "{updated}");
    assert_eq!(counts(&app).await, after);
    let marked = assistance_milestone::Entity::find()
        .filter(assistance_milestone::Column::Title.eq("Diagnóstico concertado"))
        .fetch_all(app.db())
        .await;
    assert!(
        marked.iter().any(|m| m.done_on == Some(days(-3))),
        "{marked:?}"
    );

    // A visit with no hours, a milestone in the future marked done and an unknown capacity:
    // three problems, nothing written.
    let bad = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    assistance_cells("IMP-A2", ""),
                    vec![("capacidades", "no_existe".to_string())],
                ),
            ),
            row(
                &header,
                &with(
                    assistance_cells("IMP-A3", "0"),
                    vec![
                        ("hito", "Cierre".to_string()),
                        ("hito_fecha", date(10)),
                        ("hito_cumplido", date(5)),
                    ],
                ),
            ),
        ],
    );
    let (status, problem) = send(&app, "/api/v1/imports/assistances", &world.staff, &bad).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let fields: Vec<&str> = json_array(&problem["errors"])
        .iter()
        .map(|e| json_str(&e["field"]))
        .collect();
    assert_eq!(
        fields,
        ["capacidades", "hito_cumplido", "visita_horas"],
        "{problem}"
    );
    assert_eq!(counts(&app).await, after, "all or nothing");

    // The month's follow-up by milestone: one row per milestone, with the reference.
    let month = days(0).format("%Y-%m").to_string();
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/assistances/follow-up.xlsx?month={month}"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let table = read_table(&bytes, "Seguimiento", "Referencia");
    let ours: Vec<&Vec<String>> = table.iter().filter(|r| r[0] == "IMP-A1").collect();
    assert_eq!(ours.len(), 2, "{table:?}");
    assert!(
        ours.iter()
            .any(|r| r.contains(&"Plan de acción aprobado".to_string())),
        "{ours:?}"
    );
    let (status, _, _) = download(
        &app,
        "/api/v1/assistances/follow-up.xlsx?month=junio",
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_coordinator_imports_cohorts_from_the_page_preview_then_save() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (status, list) = page(&app, "/coordinacion/cohortes").await;
    assert_eq!(status, Status::Ok);
    assert!(list.contains("/coordinacion/cohortes/importar"));
    let (status, assistances) = page(&app, "/asistencias").await;
    assert_eq!(status, Status::Ok);
    assert!(assistances.contains("/asistencias/importar"));
    assert!(assistances.contains("/asistencias/seguimiento.xlsx"));
    let csrf = csrf_from(&app, "/coordinacion/cohortes/importar").await;
    let header = domain::offer_import::cohorts::columns();
    let file = sheet(
        &header,
        &[row(
            &header,
            &cohort_cells("PAGE-1", "Desde la página", "30"),
        )],
    );
    let before = counts(&app).await;
    let (status, html) = post_file(
        &app,
        "/coordinacion/cohortes/importar?accion=revisar",
        &csrf,
        "cohortes.xlsx",
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("no se guardó nada"), "{html}");
    assert_eq!(counts(&app).await, before);
    let (status, html) = post_file(
        &app,
        "/coordinacion/cohortes/importar?accion=importar",
        &csrf,
        "cohortes.xlsx",
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Importado"), "{html}");
    assert_eq!(counts(&app).await[0], before[0] + 1);
    // A refused file: 422, every problem with its row, nothing saved.
    let bad = sheet(
        &header,
        &[row(
            &header,
            &with(
                cohort_cells("PAGE-2", "Sin cupos", "cero"),
                vec![("curso", "NOEXISTE".to_string())],
            ),
        )],
    );
    let csrf = csrf_from(&app, "/asistencias/importar").await;
    let (status, html) = post_file(
        &app,
        "/coordinacion/cohortes/importar?accion=importar",
        &csrf,
        "cohortes.xlsx",
        &bad,
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(
        html.contains("No se importó nada")
            && html.contains("Fila 2, curso:")
            && html.contains("Fila 2, cupos:"),
        "{html}"
    );
    assert_eq!(counts(&app).await[0], before[0] + 1);
}

/// The `draft` hidden field of an import page's preview: the kept file's token.
pub(crate) fn draft_of(html: &str) -> String {
    crate::support::hidden_inputs(html)
        .into_iter()
        .find(|(name, _)| name == "draft")
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("the preview keeps the file under a token: {html}"))
}

/// «Importar» under a preview, as the page's form sends it from `client`: multipart with the
/// CSRF token, `fields` and no file.
pub(crate) async fn post_draft(
    client: &rocket::local::asynchronous::Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (Status, String) {
    use rocket::http::ContentType;
    let boundary = "----aula-borrador";
    let mut body = String::new();
    for (name, value) in [("csrf_token", csrf)].iter().chain(fields) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let response = client
        .post(path.to_string())
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", boundary)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// Issue 61, item 3: the file previewed is kept, so «Importar» sends only its token — once,
/// for the account that previewed it, within its lifetime; anything else is a Spanish 422
/// and nothing written.
#[rocket::async_test]
async fn a_previewed_file_imports_from_its_draft_once_and_only_for_whoever_previewed_it() {
    use domain::entities::import_draft;
    use sea_orm::sea_query::Expr;
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let path = "/coordinacion/cohortes/importar";
    let csrf = csrf_from(&app, path).await;
    let header = domain::offer_import::cohorts::columns();
    let file = sheet(
        &header,
        &[row(&header, &cohort_cells("DRAFT-1", "Una sola vez", "30"))],
    );
    let before = counts(&app).await;
    let (status, html) = post_file(
        &app,
        &format!("{path}?accion=revisar"),
        &csrf,
        "cohortes.xlsx",
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("sin elegirlo otra vez"), "{html}");
    let draft = draft_of(&html);
    assert_eq!(counts(&app).await, before, "a preview writes no record");
    let confirm = format!("{path}?accion=importar");

    // Another account's token: refused as unknown, nothing written, the draft still usable.
    let other = app.another_instance(&[]).await;
    crate::support::sign_in_client(&other, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let other_csrf = crate::support::csrf_from_client(&other, path).await;
    let (status, html) = post_draft(&other, &confirm, &other_csrf, &[("draft", &draft)]).await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(
        html.contains("No encontramos la revisión de este archivo"),
        "{html}"
    );
    assert_eq!(
        counts(&app).await,
        before,
        "another account's token writes nothing"
    );

    // The token alone imports the file previewed.
    let (status, html) = post_draft(&app.client, &confirm, &csrf, &[("draft", &draft)]).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Importado"), "{html}");
    let after = counts(&app).await;
    assert_eq!(after[0], before[0] + 1, "the previewed cohort is created");
    assert!(
        cohort::Entity::find()
            .filter(cohort::Column::Name.eq("Una sola vez"))
            .one(app.db())
            .await
            .unwrap()
            .is_some()
    );

    // Used once.
    let (status, html) = post_draft(&app.client, &confirm, &csrf, &[("draft", &draft)]).await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("ya se importó desde esta revisión"), "{html}");
    assert_eq!(counts(&app).await, after, "a used token writes nothing");

    // Past its lifetime: refused; the next draft written deletes it.
    let late = sheet(
        &header,
        &[row(
            &header,
            &cohort_cells("DRAFT-2", "Demasiado tarde", "30"),
        )],
    );
    let (status, html) = post_file(
        &app,
        &format!("{path}?accion=revisar"),
        &csrf,
        "cohortes.xlsx",
        &late,
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    let stale = draft_of(&html);
    import_draft::Entity::update_many()
        .col_expr(
            import_draft::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(121)),
        )
        .filter(import_draft::Column::Token.eq(stale.as_str()))
        .exec(app.db())
        .await
        .unwrap();
    let (status, html) = post_draft(&app.client, &confirm, &csrf, &[("draft", &stale)]).await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(
        html.contains("La revisión de este archivo venció"),
        "{html}"
    );
    assert_eq!(counts(&app).await, after, "an expired token writes nothing");
    let (status, _) = post_file(
        &app,
        &format!("{path}?accion=revisar"),
        &csrf,
        "cohortes.xlsx",
        &late,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let kept = import_draft::Entity::find()
        .filter(import_draft::Column::Token.eq(stale.as_str()))
        .fetch_count(app.db())
        .await;
    assert_eq!(
        kept, 0,
        "expired drafts are deleted when a new one is written"
    );

    // A cohorts draft does not import assistances.
    let (status, html) = post_draft(
        &app.client,
        "/asistencias/importar?accion=importar",
        &csrf,
        &[(
            "draft",
            &draft_of(&html_of_preview(&app, path, &csrf, &late).await),
        )],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    drop(other);
}

async fn html_of_preview(app: &TestApp, path: &str, csrf: &str, file: &[u8]) -> String {
    let (status, html) = post_file(
        app,
        &format!("{path}?accion=revisar"),
        csrf,
        "cohortes.xlsx",
        file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    html
}

/// Issue 64: the cohort import's `edicion` column completes an edition waiting for a module's
/// cohort; an unknown edition, or a course that is no module of it, refuses the whole file.
#[rocket::async_test]
async fn the_edition_column_completes_an_edition_and_a_wrong_one_writes_nothing() {
    use serde_json::json;
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let planning = crate::world::catalogue_course(app.db(), "PT").await.id;
    let taxes = crate::world::catalogue_course(app.db(), "GT").await.id;
    let programme = api_post(
        &app,
        "/api/v1/programmes",
        Some(&world.staff),
        json!({"code": "RUTA-IMP", "name": "Ruta importada", "kind": "ruta",
                    "modules": [{"course_id": planning, "order": 1, "required": true},
                                {"course_id": taxes, "order": 2, "required": true}]}),
    )
    .await
    .expect_status(Status::Created);
    let taxes_cohort = world
        .cohort()
        .course("GT")
        .name("Tributaria de la ruta")
        .create()
        .await;
    let edition = api_post(
        &app,
        &format!("/api/v1/programmes/{}/editions", programme["id"]),
        Some(&world.staff),
        json!({"name": "Ruta importada 2027", "cohort_ids": [taxes_cohort.id]}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(
        edition["status"], "draft",
        "a module still without its cohort"
    );
    let header = domain::offer_import::cohorts::columns();
    assert!(header.contains(&"edicion"), "{header:?}");

    // An unknown edition, and a course that is no module: all or nothing.
    let wrong = sheet(
        &header,
        &[
            row(
                &header,
                &with(
                    cohort_cells("ED-1", "Planeación de la ruta", "30"),
                    vec![("edicion", "Ruta que no existe".to_string())],
                ),
            ),
            row(
                &header,
                &with(
                    with(
                        cohort_cells("ED-2", "Rendición fuera de la ruta", "30"),
                        vec![("curso", "RPC".to_string())],
                    ),
                    vec![("edicion", "Ruta importada 2027".to_string())],
                ),
            ),
        ],
    );
    let before = counts(&app).await;
    let (status, problem) = send(&app, "/api/v1/imports/cohorts", &world.staff, &wrong).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let fields: Vec<(i64, String)> = json_array(&problem["errors"])
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                json_str(&e["field"]).to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [(2, "edicion".to_string()), (3, "edicion".to_string())],
        "{problem}"
    );
    assert_eq!(counts(&app).await, before, "all or nothing");

    // The planning cohort named with the edition completes it.
    let right = sheet(
        &header,
        &[row(
            &header,
            &with(
                cohort_cells("ED-3", "Planeación de la ruta", "30"),
                vec![("edicion", "Ruta importada 2027".to_string())],
            ),
        )],
    );
    let (status, saved) = send(&app, "/api/v1/imports/cohorts", &world.staff, &right).await;
    assert_eq!(status, Status::Ok, "{saved}");
    let (_, read) = api_get(
        &app,
        &format!("/api/v1/programme-editions/{}", edition["id"]),
        Some(&world.staff),
    )
    .await;
    let cohorts = json_array(&read["cohorts"]);
    assert_eq!(cohorts.len(), 2, "{read}");
    assert!(
        cohorts
            .iter()
            .any(|c| c["cohort_name"] == "Planeación de la ruta"),
        "{read}"
    );
}
