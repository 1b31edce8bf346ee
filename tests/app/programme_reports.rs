//! Programmes' reports (issue 64): the edition's progress workbook in the reviewer's scope, and
//! the demo's diplomado as its coordinator reads it. The helpers here build a programme and
//! its editions through the API for other modules too (the figures' random operations).

use crate::common::TestApp;
use crate::programmes::{diplomado, edition, module_cohorts};
use crate::support::*;
use crate::world::World;
use domain::entities::programme_edition;
use domain::entities::values::Role;
use domain::programmes::demo::{CODE, FINISHED_EDITION, RUNNING_EDITION};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

async fn enrol_self(app: &TestApp, token: &str, edition: i64) {
    api(
        app,
        "POST",
        &format!("/api/v1/programme-editions/{edition}/enrolments"),
        Some(token),
        None,
    )
    .await
    .expect_status(Status::Created);
}

/// The data rows of the workbook's «Avance» sheet (below the header «Nombre»).
fn progress_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    read_table(bytes, "Avance", "Nombre")
        .into_iter()
        .skip(1)
        .filter(|row| row.first().is_some_and(|name| !name.is_empty()))
        .collect()
}

#[rocket::async_test]
async fn the_reviewers_progress_workbook_lists_only_her_departments_people() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let programme = diplomado(&app, &world.staff, "DGPT-R1").await["id"]
        .as_i64()
        .unwrap();
    let cohorts = module_cohorts(&world, "avance", 10, 10).await;
    let id = edition(&app, &world.staff, programme, &cohorts).await["id"]
        .as_i64()
        .unwrap();
    // Puerto Rico (Caquetá) and Mapiripán (Meta).
    let caqueta = world.people("libro-caq").of("18592").create().await;
    let meta = world.people("libro-meta").of("50325").create().await;
    for person in caqueta.iter().chain(&meta) {
        enrol_self(&app, &person.token, id).await;
    }
    let (caqueta_name, meta_name) = ("Persona libro-caq 0", "Persona libro-meta 0");
    let path = format!("/api/v1/programme-editions/{id}/progress.xlsx");

    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, kind, bytes) = download(&app, &path, &reviewer).await;
    assert_eq!(status, Status::Ok);
    assert!(
        kind.is_some_and(|k| k.contains("spreadsheetml")),
        "a workbook"
    );
    let text = workbook_text(&bytes);
    assert!(text.contains(caqueta_name), "{text}");
    assert!(
        !text.contains(meta_name),
        "a Meta person in Caquetá's workbook: {text}"
    );
    let rows = progress_rows(&bytes);
    every_row(&rows, "the reviewer's workbook", |row| {
        row.get(1).is_some_and(|code| code.starts_with("18"))
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "18592");

    // The edition's staff read both.
    let (status, _, bytes) = download(&app, &path, &world.staff).await;
    assert_eq!(status, Status::Ok);
    let text = workbook_text(&bytes);
    assert!(
        text.contains(caqueta_name) && text.contains(meta_name),
        "{text}"
    );
    let mut codes: Vec<String> = progress_rows(&bytes)
        .into_iter()
        .map(|r| r[1].clone())
        .collect();
    codes.sort();
    assert_eq!(codes, ["18592", "50325"]);

    // A participant does not read it.
    let (status, _, _) = download(&app, &path, &caqueta[0].token).await;
    assert_eq!(status, Status::Forbidden);
}

/// The person of `items` whose name starts with `first_names`.
fn person<'a>(items: &'a [Value], first_names: &str) -> &'a Value {
    items
        .iter()
        .find(|p| {
            p["full_name"]
                .as_str()
                .is_some_and(|n| n.starts_with(first_names))
        })
        .unwrap_or_else(|| panic!("{first_names} in {items:?}"))
}

#[rocket::async_test]
async fn the_demo_has_the_diplomado_running_and_finished() {
    let app = TestApp::with_demo().await;
    let coordinator = role_token(&app, Role::Coordinator).await;
    let list = api_get(&app, "/api/v1/programmes", Some(&coordinator))
        .await
        .expect_status(Status::Ok);
    let programme = json_items(&list)
        .iter()
        .find(|p| p["code"] == CODE)
        .unwrap_or_else(|| panic!("the demo's {CODE}: {list}"))
        .clone();
    assert_eq!(programme["status"], "published", "{programme}");
    assert_eq!(json_array(&programme["modules"]).len(), 4, "{programme}");
    let programme_id = programme["id"].as_i64().unwrap() as i32;

    let editions = programme_edition::Entity::find()
        .filter(programme_edition::Column::ProgrammeId.eq(programme_id))
        .fetch_all(app.db())
        .await;
    assert_eq!(editions.len(), 2);
    let id_of = |name: &str| {
        editions
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("the edition {name}"))
            .id
    };
    let progress = |id: i32| {
        let (app, coordinator) = (&app, &coordinator);
        async move {
            let body = api_get(
                app,
                &format!("/api/v1/programme-editions/{id}/progress"),
                Some(coordinator),
            )
            .await
            .expect_status(Status::Ok);
            json_items(&body).clone()
        }
    };

    // Running: six people, Diana Patricia's Gestión Presupuestal recognised from her earlier
    // certificate, Ana Lucía at risk; nobody has finished.
    let running = progress(id_of(RUNNING_EDITION)).await;
    assert_eq!(running.len(), 6, "{running:?}");
    let diana = person(&running, "Diana Patricia");
    assert_eq!(diana["modules"][1]["status"], "recognised", "{diana}");
    assert!(
        diana["modules"][1]["certificate_code"].is_string(),
        "{diana}"
    );
    assert!(running.iter().any(|p| {
        json_array(&p["modules"])
            .iter()
            .any(|m| m["status"] == "recognised")
    }));
    let ana = person(&running, "Ana Lucía");
    assert_eq!(ana["at_risk"], true, "{ana}");
    assert_eq!(ana["modules"][1]["at_risk"], true, "{ana}");
    assert!(
        running.iter().all(|p| p["status"] == "in_progress"),
        "{running:?}"
    );
    assert!(
        running.iter().filter(|p| p["at_risk"] == true).count() < running.len(),
        "not everyone at risk: {running:?}"
    );

    // Finished: five people, four completed; Orlando did not complete rendición (module 4).
    let finished = progress(id_of(FINISHED_EDITION)).await;
    assert_eq!(finished.len(), 5, "{finished:?}");
    let orlando = person(&finished, "Orlando");
    assert_eq!(orlando["status"], "not_completed", "{orlando}");
    assert_eq!(
        orlando["modules"][3]["status"], "not_completed",
        "{orlando}"
    );
    assert_eq!(orlando["completed_modules"], 3, "{orlando}");
    for other in finished
        .iter()
        .filter(|p| p["participant_id"] != orlando["participant_id"])
    {
        assert_eq!(other["status"], "completed", "{other}");
        assert_eq!(other["completed_modules"], 4, "{other}");
        assert!(
            json_array(&other["modules"])
                .iter()
                .all(|m| m["status"] == "completed"),
            "nothing recognised in the finished edition: {other}"
        );
    }
}
