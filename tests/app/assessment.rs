//! Assessment: items whose weights sum 100, scores 0.0–5.0 stored exactly, the final grade as
//! the weighted average (30/30/40 with 3.0, 2.5, 4.0 → 3.25), the reasons in Spanish, closing
//! refused while weights are not final, the scores grid through `.xlsx`, and audit.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Cohort, Enrolment, World, add_assessment, put_marks, put_scores};
use chrono::Duration;
use domain::entities::values::Role;
use domain::entities::{audit_log, score};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

async fn results(app: &TestApp, staff: &str, cohort: i64) -> Vec<Value> {
    let body = api_get(
        app,
        &format!("/api/v1/cohorts/{cohort}/results"),
        Some(staff),
    )
    .await
    .expect_status(Status::Ok);
    json_items(&body).clone()
}

/// What closing the cohort now would record for `enrolment` (the rule over the sessions
/// scheduled; the results read no verdict while the cohort runs).
async fn at_closing(app: &TestApp, cohort: i64, enrolment: i64) -> domain::results::Closing {
    let cohort = domain::entities::cohort::Entity::find_by_id(cohort as i32)
        .expect_one(app.db())
        .await;
    domain::results::at_closing(
        app.db(),
        &cohort,
        &domain::people::scope::PersonScope::All,
        None,
    )
    .await
    .unwrap()
    .into_iter()
    .find(|r| i64::from(r.enrolment_id) == enrolment)
    .unwrap()
}

fn row(rows: &[Value], enrolment: i64) -> Value {
    rows.iter()
        .find(|r| r["enrolment_id"] == enrolment)
        .cloned()
        .unwrap()
}

#[rocket::async_test]
async fn weights_scores_and_the_final_grade_are_exact() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(3)
        .sessions_from_now(&[Duration::days(-1)], 120)
        .create()
        .await;
    let crowd = world.people("nota").count(4).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let e2 = world.enrol(cohort_id, crowd[2].id).await.id;
    let Enrolment {
        status: waiting,
        id: e3,
    } = world.enrol(cohort_id, crowd[3].id).await;
    assert_eq!(waiting, "waitlisted");
    let all_present = json!([{"enrolment_id": e0, "status": "presente"}, {"enrolment_id": e1, "status": "presente"}, {"enrolment_id": e2, "status": "tarde"}]);
    assert_eq!(
        put_marks(&app, &world.instructor, sessions[0], all_present)
            .await
            .0,
        Status::Ok
    );

    // Items: the instructor defines them; weights stay within 100.
    let (status, taller) = add_assessment(
        &app,
        &world.instructor,
        cohort_id,
        "Taller de diagnóstico",
        json!(30),
    )
    .await;
    assert_eq!(status, Status::Created, "{taller}");
    assert_eq!(taller["weight"], 30);
    assert_eq!(taller["position"], 1);
    let (_, informe) = add_assessment(&app, &world.staff, cohort_id, "Informe", json!(30)).await;
    let (status, problem) =
        add_assessment(&app, &world.staff, cohort_id, "Examen", json!(50)).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        json_str(&problem["errors"][0]["message"]).contains("sumarían 110 %"),
        "{problem}"
    );
    for (name, weight, field) in [
        ("  ", json!(10), "name"),
        ("taller de DIAGNÓSTICO", json!(10), "name"),
        ("Quiz", json!(0), "weight"),
        ("Quiz", json!(12.5), "weight"),
        ("Quiz", json!(null), "weight"),
    ] {
        let (status, problem) = add_assessment(&app, &world.staff, cohort_id, name, weight).await;
        assert_eq!(status, Status::UnprocessableEntity, "{name}");
        assert_eq!(error_fields(&problem), [field], "{problem}");
    }
    // Results are not final while weights sum 60: closing is refused (409).
    for status in ["in_progress", "closed"] {
        let (code, body) = api_patch(
            &app,
            &format!("/api/v1/cohorts/{cohort_id}"),
            Some(&world.staff),
            json!({"status": status}),
        )
        .await;
        if status == "closed" {
            assert_eq!(code, Status::Conflict, "{body}");
            assert_eq!(
                body["detail"],
                "Los pesos de las evaluaciones suman 60 %: deben sumar 100 % antes de cerrar la cohorte."
            );
        } else {
            assert_eq!(code, Status::Ok);
        }
    }
    let (status, examen) =
        add_assessment(&app, &world.staff, cohort_id, "Examen final", json!(40)).await;
    assert_eq!(status, Status::Created);
    let listed = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/assessments"),
        Some(&world.instructor),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(listed["total"], 3);
    assert_eq!(listed["weights_total"], 100);
    let (taller, informe, examen) = (
        taller["id"].as_i64().unwrap(),
        informe["id"].as_i64().unwrap(),
        examen["id"].as_i64().unwrap(),
    );

    // Scores: 0.0–5.0 with one decimal, only for enrolled people of the cohort.
    for (value, why) in [
        (json!(5.1), "above 5"),
        (json!(3.25), "two decimals"),
        (json!(-1), "negative"),
    ] {
        let (status, problem) = put_scores(
            &app,
            &world.instructor,
            taller,
            json!([{"enrolment_id": e0, "score": value}]),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{why}");
        assert_eq!(error_fields(&problem), ["[0].score"]);
    }
    let (status, problem) = put_scores(
        &app,
        &world.instructor,
        taller,
        json!([{"enrolment_id": e3, "score": 3.0}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(json_str(&problem["errors"][0]["message"]).contains("lista de espera"));
    let (status, _) = put_scores(
        &app,
        &world.instructor,
        taller,
        json!([{"enrolment_id": e0}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "a score must be given");
    let scores_so_far = || async {
        score::Entity::find()
            .filter(score::Column::AssessmentId.is_in([
                taller as i32,
                informe as i32,
                examen as i32,
            ]))
            .fetch_count(app.db())
            .await
    };
    assert_eq!(scores_so_far().await, 0);

    // 30/30/40 with 3.0, 2.5, 4.0 → 3.25.
    let (status, saved) = put_scores(&app, &world.instructor, taller, json!([{"enrolment_id": e0, "score": 3.0}, {"enrolment_id": e1, "score": 2.0}, {"enrolment_id": e2, "score": 4.5}])).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(saved[0]["score"], 3.0);
    assert_eq!(saved[0]["enrolment_id"], e0);
    put_scores(&app, &world.instructor, informe, json!([{"enrolment_id": e0, "score": 2.5}, {"enrolment_id": e1, "score": 3.0}, {"enrolment_id": e2, "score": 4.0}])).await;
    let (status, _) = put_scores(
        &app,
        &world.instructor,
        examen,
        json!([{"enrolment_id": e0, "score": 4.0}]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, _) = put_scores(
        &app,
        &world.instructor,
        examen,
        json!([{"enrolment_id": e2, "score": "4.0"}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "a score is a number");
    let rows = results(&app, &world.staff, cohort_id).await;
    let first = row(&rows, e0);
    assert_eq!(first["final_grade"], 3.25);
    assert_eq!(first["final_grade_milli"], 3250);
    // Nobody is judged while the cohort runs; closing now would record the rule's verdict.
    assert_eq!(first["completed"], Value::Null);
    assert_eq!(first["eligible_for_certificate"], false);
    assert_eq!(first["reasons"], json!([]));
    let closing = at_closing(&app, cohort_id, e0).await;
    assert!(
        closing.completed && closing.reasons.is_empty(),
        "{closing:?}"
    );
    // Missing a score: no grade, the reason names the item.
    let second = row(&rows, e1);
    assert_eq!(second["final_grade"], Value::Null);
    assert_eq!(second["completed"], Value::Null);
    let closing = at_closing(&app, cohort_id, e1).await;
    assert!(!closing.completed);
    assert_eq!(closing.reasons, ["falta la calificación de «Examen final»"]);
    assert_eq!(
        at_closing(&app, cohort_id, e2).await.reasons,
        ["falta la calificación de «Examen final»"]
    );
    // Below the pass mark: 2.0×30 + 3.0×30 + 2.8×40 = 2.62.
    put_scores(
        &app,
        &world.instructor,
        examen,
        json!([{"enrolment_id": e1, "score": 2.8}, {"enrolment_id": e2, "score": 4.0}]),
    )
    .await;
    let rows = results(&app, &world.staff, cohort_id).await;
    assert_eq!(row(&rows, e1)["final_grade"], 2.62);
    assert_eq!(
        at_closing(&app, cohort_id, e1).await.reasons,
        ["nota 2,62 < 3,0"]
    );
    // 4.5×30 + 4.0×30 + 4.0×40 = 4.15
    assert_eq!(row(&rows, e2)["final_grade_milli"], 4150);

    // Changes are audited with before and after; null removes a score.
    put_scores(
        &app,
        &world.staff,
        taller,
        json!([{"enrolment_id": e1, "score": 3.5}]),
    )
    .await;
    let (status, removed) = put_scores(
        &app,
        &world.staff,
        informe,
        json!([{"enrolment_id": e2, "score": null}]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(removed, json!([]));
    let db = app.db();
    let entries = |action: &'static str| async move {
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(action))
            .order_by_asc(audit_log::Column::Id)
            .all(db)
            .await
            .unwrap()
    };
    assert_eq!(entries("score.recorded").await.len(), 9);
    let changed = entries("score.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].subject_id, e1.to_string());
    assert_eq!(changed[0].actor_user_id, Some(world.staff_id));
    let before: Value = serde_json::from_str(changed[0].before_json.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(changed[0].after_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before["score"].clone(), after["score"].clone()),
        (json!(2.0), json!(3.5))
    );
    assert_eq!(before["recorded_by"], world.instructor_id);
    assert_eq!(entries("score.deleted").await.len(), 1);
    assert_eq!(scores_so_far().await, 8);
    assert_eq!(
        at_closing(&app, cohort_id, e2).await.reasons,
        ["falta la calificación de «Informe»"]
    );

    // An item with scores cannot be deleted; one without can.
    api_delete(
        &app,
        &format!("/api/v1/assessments/{taller}"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Conflict);
    // Scope: another instructor does not see the cohort; participants and reviewers do not write.
    let stranger = world.other_instructor().await;
    let (status, _) = put_scores(
        &app,
        &stranger,
        taller,
        json!([{"enrolment_id": e0, "score": 5.0}]),
    )
    .await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = add_assessment(&app, &stranger, cohort_id, "Otra", json!(1)).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = put_scores(
        &app,
        &crowd[0].token,
        taller,
        json!([{"enrolment_id": e0, "score": 5.0}]),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _) = put_scores(
        &app,
        &reviewer,
        taller,
        json!([{"enrolment_id": e0, "score": 5.0}]),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    // A participant reads only their own scores.
    let own = api_get(
        &app,
        &format!("/api/v1/assessments/{taller}/scores"),
        Some(&crowd[0].token),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["score"], 3.0);

    // Weights at 100 now: closing freezes the grades.
    put_scores(
        &app,
        &world.staff,
        informe,
        json!([{"enrolment_id": e2, "score": 4.0}]),
    )
    .await;
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}"),
        Some(&world.staff),
        json!({"status": "closed"}),
    )
    .await
    .expect_status(Status::Ok);
    let rows = domain::results::for_cohort(
        app.db(),
        cohort_id as i32,
        &domain::people::scope::PersonScope::All,
    )
    .await
    .unwrap();
    let frozen = |e: i64| {
        rows.iter()
            .find(|r| r.enrolment_id == e as i32)
            .unwrap()
            .clone()
    };
    assert_eq!(frozen(e0).final_grade_milli, Some(3250));
    assert_eq!(frozen(e0).final_grade, Some(3.25));
    assert!(frozen(e0).eligible_for_certificate);
    // 3.5×30 + 3.0×30 + 2.8×40 = 3.07
    assert_eq!(frozen(e1).final_grade_milli, Some(3070));
    assert_eq!(frozen(e1).completed, Some(true));
    assert_eq!(frozen(e2).final_grade_milli, Some(4150));
    let (status, _) = put_scores(
        &app,
        &world.staff,
        taller,
        json!([{"enrolment_id": e0, "score": 5.0}]),
    )
    .await;
    assert_eq!(status, Status::Conflict, "closed cohorts keep their scores");
}

#[rocket::async_test]
async fn the_scores_grid_round_trips_through_xlsx() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort { id: cohort_id, .. } = world
        .cohort()
        .seats(5)
        .sessions_from_now(&[Duration::days(-1)], 120)
        .create()
        .await;
    let crowd = world.people("grilla").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let taller = world.assessment(cohort_id, "Taller", 40).await;
    world.assessment(cohort_id, "Examen", 60).await;
    world.scores(taller, &[(e0, 3.5)]).await;

    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/scores.xlsx"),
        &world.instructor,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let table = read_table(&bytes, "Calificaciones", "Inscripción");
    assert_eq!(
        table[0],
        [
            "Inscripción",
            "Tipo de documento",
            "Número de documento",
            "Nombre",
            "Taller",
            "Examen"
        ]
    );
    assert_eq!(table.len(), 3);
    let line = |t: &[Vec<String>], e: i64| t.iter().position(|r| r[0] == e.to_string()).unwrap();
    assert_eq!(table[line(&table, e0)][4], "3.5");
    assert_eq!(table[line(&table, e1)][4], "");

    let mut filled = table.clone();
    let (r0, r1) = (line(&filled, e0), line(&filled, e1));
    filled[r0][5] = "4,2".into();
    filled[r1][4] = "2.5".into();
    filled[r1][5] = "5".into();
    let path = format!("/api/v1/cohorts/{cohort_id}/scores/import");
    let (status, preview) = upload(
        &app,
        &format!("{path}?dry_run=true"),
        &world.instructor,
        "notas.xlsx",
        &write_table(&filled),
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(json_array(&preview["changes"]).len(), 3);
    assert_eq!(preview["unchanged"], 1);
    let (status, saved) = upload(
        &app,
        &path,
        &world.instructor,
        "notas.xlsx",
        &write_table(&filled),
    )
    .await;
    assert_eq!(status, Status::Ok, "{saved}");
    let rows = results(&app, &world.staff, cohort_id).await;
    // 3.5×40 + 4.2×60 = 3.92; 2.5×40 + 5.0×60 = 4.0
    assert_eq!(row(&rows, e0)["final_grade"], 3.92);
    assert_eq!(row(&rows, e1)["final_grade"], 4.0);

    // Bad cells: every one reported with row and column; nothing saved.
    let mut bad = filled.clone();
    bad[r0][4] = "6".into();
    bad[r1][5] = "cuatro".into();
    bad[r1][4] = "1.0".into();
    let (status, problem) = upload(
        &app,
        &path,
        &world.instructor,
        "notas.xlsx",
        &write_table(&bad),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let errors: Vec<(u64, String)> = json_array(&problem["errors"])
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                json_str(&e["field"]).to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (r0 as u64 + 1, "Taller".to_string()),
            (r1 as u64 + 1, "Examen".to_string())
        ]
    );
    assert!(json_str(&problem["errors"][1]["message"]).contains("«cuatro» no es una nota"));
    let rows = results(&app, &world.staff, cohort_id).await;
    assert_eq!(row(&rows, e1)["final_grade"], 4.0, "all or nothing");
}

#[rocket::async_test]
async fn an_instructor_enters_scores_in_the_grid_page() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort { id: cohort_id, .. } = world
        .cohort()
        .seats(5)
        .sessions_from_now(&[Duration::days(-1)], 120)
        .create()
        .await;
    let crowd = world.people("grid").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let (email, password) = demo_account(Role::Instructor);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    // Items from the follow-up page.
    let followup = format!("/seguimiento/cohortes/{cohort_id}");
    let csrf = csrf_from(&app, &followup).await;
    let add = format!("/seguimiento/cohortes/{cohort_id}/evaluaciones");
    let response = post_form(
        &app,
        &add,
        &[("csrf_token", &csrf), ("name", "Taller"), ("weight", "40")],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let response = post_form(
        &app,
        &add,
        &[("csrf_token", &csrf), ("name", "Examen"), ("weight", "70")],
    )
    .await;
    // Refused on the follow-up itself (issue 45), with what was typed.
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("sumarían 110 %") && html.contains("value=\"Examen\""),
        "{html}"
    );
    post_form(
        &app,
        &add,
        &[("csrf_token", &csrf), ("name", "Examen"), ("weight", "60")],
    )
    .await;
    let (_, items) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/assessments"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(items["weights_total"], 100);
    let (taller, examen) = (
        items["items"][0]["id"].as_i64().unwrap(),
        items["items"][1]["id"].as_i64().unwrap(),
    );

    let grid = format!("/seguimiento/cohortes/{cohort_id}/notas");
    let html = body_of(&app.client, grid.clone()).await;
    assert!(
        html.contains(&format!("name=\"nota[{e0}-{taller}]\"")),
        "{html}"
    );
    let csrf = csrf_from(&app, &grid).await;
    let cell = |e: i64, i: i64| format!("nota[{e}-{i}]");
    let (c00, c01, c10, c11) = (
        cell(e0, taller),
        cell(e0, examen),
        cell(e1, taller),
        cell(e1, examen),
    );
    let response = post_form(
        &app,
        &grid,
        &[
            ("csrf_token", &csrf),
            (&c00, "3,5"),
            (&c01, "7"),
            (&c10, "2.0"),
            (&c11, ""),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Persona grid 0, Examen: La nota debe estar entre 0,0 y 5,0"),
        "{html}"
    );
    assert!(
        html.contains("value=\"7\" inputmode=\"decimal\" aria-invalid=\"true\""),
        "what was typed stays: {html}"
    );
    let response = post_form(
        &app,
        &grid,
        &[
            ("csrf_token", &csrf),
            (&c00, "3,5"),
            (&c01, "4.2"),
            (&c10, "2.0"),
            (&c11, ""),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let rows = domain::results::for_cohort(
        app.db(),
        cohort_id as i32,
        &domain::people::scope::PersonScope::All,
    )
    .await
    .unwrap();
    let first = rows.iter().find(|r| r.enrolment_id == e0 as i32).unwrap();
    assert_eq!(first.final_grade_milli, Some(3920));
    // What closing now would record for the second person (no verdict before it).
    assert!(
        rows.iter()
            .find(|r| r.enrolment_id == e1 as i32)
            .unwrap()
            .completed
            .is_none()
    );
    assert_eq!(
        at_closing(&app, cohort_id, e1).await.reasons,
        ["asistencia 0 % < 80 %", "falta la calificación de «Examen»"]
    );
    // Emptying a cell removes the score (audited).
    post_form(
        &app,
        &grid,
        &[
            ("csrf_token", &csrf),
            (&c00, "3,5"),
            (&c01, ""),
            (&c10, "2.0"),
            (&c11, ""),
        ],
    )
    .await;
    let deleted = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("score.deleted"))
        .fetch_count(app.db())
        .await;
    assert_eq!(deleted, 1);
}
