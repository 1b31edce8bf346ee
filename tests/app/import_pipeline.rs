//! The one import pipeline as people meet it: the scores sheet through the pages (upload,
//! preview, confirm; a confirmation that no longer holds saves nothing), and a preview that
//! answers while another writer holds the cohort, where saving waits for it.

use crate::common::TestApp;
use crate::support::*;
use crate::world::World;
use chrono::Duration;
use domain::entities::values::Role;
use domain::entities::{attendance_mark, score};
use rocket::http::Status;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

/// Scores recorded for this assessment item.
/// Marks recorded for these sessions.
async fn marks(app: &TestApp, sessions: &[i64]) -> u64 {
    attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(sessions.iter().map(|s| *s as i32)))
        .fetch_count(app.db())
        .await
}

async fn scores(app: &TestApp, item: i64) -> u64 {
    score::Entity::find()
        .filter(score::Column::AssessmentId.eq(item as i32))
        .fetch_count(app.db())
        .await
}

/// Posts a preview's confirmation from the scores grid: saved, back to the grid, whose page
/// (with the message) it returns; refused, the preview page again (422, issue 45), returned.
async fn confirm(app: &TestApp, grid: &str, fields: &[(&str, &str)]) -> String {
    let response = post_form(app, &format!("{grid}/confirmar"), fields).await;
    if response.status() == Status::UnprocessableEntity {
        return response.into_string().await.unwrap();
    }
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some(grid));
    page(app, grid).await.1
}

#[rocket::async_test]
async fn the_scores_sheet_goes_through_upload_preview_and_confirm_on_the_pages() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort_id = world
        .cohort()
        .sessions_from_now(&[Duration::days(-1)], 120)
        .create()
        .await
        .id;
    let crowd = world.people("hojanotas").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let item = world.assessment(cohort_id, "Taller", 100).await;
    let (_, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/scores.xlsx"),
        &world.instructor,
    )
    .await;
    let mut table = read_table(&bytes, "Calificaciones", "Inscripción");
    let line = |t: &[Vec<String>], e: i64| t.iter().position(|r| r[0] == e.to_string()).unwrap();
    let (r0, r1) = (line(&table, e0), line(&table, e1));
    table[r0][4] = "4,5".into();
    table[r1][4] = "3".into();

    let (email, password) = demo_account(Role::Instructor);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let grid = format!("/seguimiento/cohortes/{cohort_id}/notas");
    let csrf = csrf_from(&app, &grid).await;
    let (status, preview) = post_file(
        &app,
        &format!("{grid}/subir"),
        &csrf,
        "notas.xlsx",
        &write_table(&table),
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert!(
        preview.contains("Revisar la planilla de notas"),
        "{preview}"
    );
    assert!(preview.contains("Confirmar y guardar"));
    assert!(
        preview.contains("<td>Persona hojanotas 0</td><td>Taller</td><td>—</td>"),
        "{preview}"
    );
    assert_eq!(scores(&app, item).await, 0, "the preview saves nothing");
    let fields = hidden_inputs(&preview);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    // A confirmation that came garbled saves nothing.
    let garbled: Vec<(&str, &str)> = refs
        .iter()
        .map(|(k, v)| (*k, if *k == "filas" { "[{\"row\": 2" } else { *v }))
        .collect();
    let after = confirm(&app, &grid, &garbled).await;
    assert!(
        after.contains("La confirmación llegó incompleta"),
        "{after}"
    );
    assert_eq!(scores(&app, item).await, 0);

    let after = confirm(&app, &grid, &refs).await;
    assert!(
        after.contains("Planilla de notas guardada: 2 notas nuevas o cambiadas."),
        "{after}"
    );
    assert_eq!(scores(&app, item).await, 2);
    // The same preview confirmed again changes nothing more.
    confirm(&app, &grid, &refs).await;
    assert_eq!(scores(&app, item).await, 2);

    // A bad file: the preview page lists every problem (row, column) with 422.
    table[r0][4] = "siete".into();
    let path = format!("{grid}/subir");
    upload_refused(&app, &path, &csrf, &write_table(&table), r0 + 1, "Taller").await;
}

#[rocket::async_test]
async fn a_preview_reads_while_another_writer_holds_the_cohort_and_a_save_waits_for_it() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("database_busy_seconds", json!(1)),
    ])
    .await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .sessions_from_now(&[Duration::days(-1)], 120)
        .create()
        .await;
    let (cohort_id, s) = (cohort.id, cohort.sessions);
    let person = &world.people("cerrojo").create().await[0];
    let e0 = world.enrol(cohort_id, person.id).await.id;
    let file = write_table(&[
        vec!["Sesión".into(), "Inscripción".into(), "Asistencia".into()],
        vec![s[0].to_string(), e0.to_string(), "presente".into()],
    ]);
    let path = format!("/api/v1/cohorts/{cohort_id}/attendance/import");

    // Another writer holds the cohort (SQLite: the write lock; PostgreSQL: the cohort's row).
    let holder = app.db().begin().await.unwrap();
    holder
        .execute_unprepared(&format!(
            "UPDATE cohorts SET seats = seats WHERE id = {cohort_id}"
        ))
        .await
        .unwrap();
    let instructor = &world.instructor;
    let dry_run = format!("{path}?dry_run=true");
    let (status, preview) = upload(&app, &dry_run, instructor, "a.xlsx", &file).await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(json_array(&preview["changes"]).len(), 1);
    let (status, _) = upload(&app, &path, instructor, "a.xlsx", &file).await;
    assert_eq!(
        status,
        Status::ServiceUnavailable,
        "the save waits, then 503"
    );
    holder.rollback().await.unwrap();
    assert_eq!(marks(&app, &s).await, 0, "nothing was written");

    let (status, saved) = upload(&app, &path, instructor, "a.xlsx", &file).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(marks(&app, &s).await, 1);
}
