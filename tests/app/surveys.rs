//! Satisfaction and follow-up (issue 17): invitations when a cohort closes (once, through the
//! outbox), answering once and only while open, another person's survey, reminders, the
//! 90-day follow-up and its effect on "still in the entity", suppression of small groups, no
//! identity in any body or workbook, and who may read the report.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, META_REVIEWER, api, api_get, api_post, demo_account, download, every_row,
    json_array, json_items, json_str, read_table, role_token, token,
};
use crate::world::{Person, World};
use domain::config::AppConfig;
use domain::entities::values::{Mark, Role, SurveyKind};
use domain::entities::{
    audit_log, capacity, cohort, entity_departure, outbox, survey, survey_response, survey_tally,
};
use domain::templates::Templates;
use rocket::http::Status;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// A closed cohort of Planeación Territorial offered to Caquetá and Meta, where each of
/// `people` attended all four sessions held (so completed), with certificates issued.
async fn closed_cohort(world: &World<'_>, app: &TestApp, people: &[&Person]) -> i64 {
    let held: Vec<chrono::Duration> = [12i64, 9, 6, 3]
        .iter()
        .map(|d| chrono::Duration::days(-d))
        .collect();
    let cohort = world
        .cohort()
        .targets(&[], &["18", "50"])
        .sessions_from_now(&held, 60)
        .create()
        .await;
    let mut enrolments = Vec::new();
    for p in people {
        enrolments.push(world.enrol(cohort.id, p.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    use Mark::*;
    let all = [Presente, Presente, Presente, Presente];
    let pattern: Vec<(i64, &[Mark])> = enrolments.iter().map(|e| (*e, &all[..])).collect();
    world.take_attendance(&cohort.sessions, &pattern).await;
    world.move_cohort(cohort.id, "closed").await;
    api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", cohort.id),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    cohort.id
}

/// [`closed_cohort`] of the catalogue's course `course`, offered to Caquetá.
async fn closed_cohort_of(world: &World<'_>, course: &str, people: &[&Person]) -> i64 {
    let held: Vec<chrono::Duration> = [12i64, 9, 6, 3]
        .iter()
        .map(|d| chrono::Duration::days(-d))
        .collect();
    let cohort = world
        .cohort()
        .course(course)
        .sessions_from_now(&held, 60)
        .create()
        .await;
    let mut enrolments = Vec::new();
    for p in people {
        enrolments.push(world.enrol(cohort.id, p.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    let all = [Mark::Presente; 4];
    let pattern: Vec<(i64, &[Mark])> = enrolments.iter().map(|e| (*e, &all[..])).collect();
    world.take_attendance(&cohort.sessions, &pattern).await;
    world.move_cohort(cohort.id, "closed").await;
    cohort.id
}

/// The caller's pending surveys.
async fn pending(app: &TestApp, token: &str) -> Vec<Value> {
    let body = api_get(app, "/api/v1/me/surveys", Some(token))
        .await
        .expect_status(Status::Ok);
    body.as_array().unwrap().clone()
}

fn scores(v: i64) -> Value {
    json!({"calidad": v, "pertinencia": v, "oportunidad": v, "metodologia": v,
           "instructor": v, "logistica": v})
}

async fn answer(app: &TestApp, token: &str, survey: i64, body: Value) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/surveys/{survey}/responses"),
        Some(token),
        body,
    )
    .await
}

/// The one pending survey of `kind` of `person`.
async fn survey_of(app: &TestApp, person: &Person, kind: &str) -> i64 {
    pending(app, &person.token)
        .await
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("a pending {kind} survey"))["id"]
        .as_i64()
        .unwrap()
}

fn notifier_of(app: &TestApp) -> domain::mail::Notifier<'_> {
    domain::mail::Notifier {
        templates: app.client.rocket().state::<Templates>().unwrap(),
        config: app.client.rocket().state::<AppConfig>().unwrap(),
    }
}

async fn outbox_with(app: &TestApp, prefix: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.starts_with(prefix))
        .fetch_count(app.db())
        .await
}

#[rocket::async_test]
async fn closing_invites_once_and_each_survey_is_answered_once_while_open() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let people = world.people("sat").count(3).create().await;
    let refs: Vec<&Person> = people.iter().collect();
    let before = outbox_with(&app, "survey_invitation:").await;
    let cohort = closed_cohort(&world, &app, &refs).await;

    // One invitation per person, through the outbox, and one pending survey each.
    let invitations = survey::Entity::find()
        .filter(survey::Column::CohortId.eq(cohort as i32))
        .fetch_all(app.db())
        .await;
    assert_eq!(invitations.len(), 3);
    assert!(
        invitations
            .iter()
            .all(|s| s.kind == SurveyKind::Satisfaction && !s.answered)
    );
    assert_eq!(outbox_with(&app, "survey_invitation:").await - before, 3);
    let mail = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(format!("survey_invitation:{}", invitations[0].id)))
        .expect_one(app.db())
        .await;
    assert!(
        mail.subject.contains("Encuesta de satisfacción"),
        "{}",
        mail.subject
    );
    assert!(
        mail.body_text
            .contains(&format!("/encuestas/{}", invitations[0].id))
    );
    let mine = pending(&app, &people[0].token).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["kind"], "satisfaction");
    assert_eq!(mine[0]["cohort"], "Cohorte de prueba");
    // Open for 30 days from the closing.
    let closes: chrono::DateTime<chrono::Utc> = json_str(&mine[0]["closes_at"]).parse().unwrap();
    let left = closes - domain::time::now();
    assert!(
        left > chrono::Duration::days(29) && left <= chrono::Duration::days(30),
        "{left}"
    );
    let first = mine[0]["id"].as_i64().unwrap();

    // The periodic job does not invite again (the follow-up is not due).
    let notifier = notifier_of(&app);
    let now = domain::time::now();
    assert_eq!(
        domain::surveys::run_due(app.db(), &notifier, now)
            .await
            .unwrap(),
        (0, 0)
    );
    assert_eq!(outbox_with(&app, "survey_invitation:").await - before, 3);

    // An incomplete answer: 422, naming the question, and nothing recorded.
    let (status, body) = answer(
        &app,
        &people[0].token,
        first,
        json!({"answers": {"calidad": 5, "pertinencia": 9}}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let fields = crate::support::error_fields(&body);
    assert!(
        fields.contains(&"answers.pertinencia".to_string()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"answers.logistica".to_string()),
        "{fields:?}"
    );
    assert_eq!(
        survey_response::Entity::find()
            .filter(survey_response::Column::CohortId.eq(cohort as i32))
            .fetch_count(app.db())
            .await,
        0
    );

    // Another person's survey: 404, for the API as for the page's data.
    let (status, _) = answer(&app, &people[1].token, first, json!({"answers": scores(4)})).await;
    assert_eq!(status, Status::NotFound);

    // The report kept in memory (asked for now) must not hide the answer to come.
    let (_, before_answer) = report(&app, &world.staff, &format!("cohort={cohort}")).await;
    assert_eq!(before_answer["responded"], 0);
    // Answered once: 201 with nothing of the answer or the person; twice: 409.
    let (status, body) = answer(
        &app,
        &people[0].token,
        first,
        json!({"answers": scores(4), "comment": "Muy útil."}),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(
        body,
        json!({"survey_id": first, "kind": "satisfaction", "recorded": true})
    );
    let (status, body) = answer(&app, &people[0].token, first, json!({"answers": scores(2)})).await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert!(pending(&app, &people[0].token).await.is_empty());
    let (_, after_answer) = report(&app, &world.staff, &format!("cohort={cohort}")).await;
    assert_eq!(after_answer["responded"], 1, "{after_answer}");
    // The answer is stored apart: its row names the cohort and department, nothing else.
    let stored = survey_response::Entity::find()
        .filter(survey_response::Column::CohortId.eq(cohort as i32))
        .fetch_all(app.db())
        .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].calidad, Some(4));
    assert_eq!(stored[0].department_code, "18");
    assert_eq!(stored[0].id.len(), 32);

    // After the window: 409, and nothing recorded.
    let second = survey_of(&app, &people[1], "satisfaction").await;
    survey::Entity::update_many()
        .col_expr(
            survey::Column::ClosesAt,
            Expr::value(domain::time::now() - chrono::Duration::minutes(1)),
        )
        .filter(survey::Column::Id.eq(second as i32))
        .exec(app.db())
        .await
        .unwrap();
    let (status, body) = answer(
        &app,
        &people[1].token,
        second,
        json!({"answers": scores(3)}),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert!(json_str(&body["detail"]).contains("cerró"), "{body}");
    assert!(pending(&app, &people[1].token).await.is_empty());

    // Other roles have no surveys of their own to answer.
    let instructor = role_token(&app, Role::Instructor).await;
    api_get(&app, "/api/v1/me/surveys", Some(&instructor))
        .await
        .expect_status(Status::Forbidden);
}

#[rocket::async_test]
async fn reminders_and_the_follow_up_update_who_is_still_in_the_entity() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let people = world.people("seg").count(2).create().await;
    let refs: Vec<&Person> = people.iter().collect();
    let cohort = closed_cohort(&world, &app, &refs).await;
    let notifier = notifier_of(&app);
    let now = domain::time::now();

    // One reminder per unanswered survey a week before it closes, once.
    let answered = survey_of(&app, &people[0], "satisfaction").await;
    let (status, _) = answer(
        &app,
        &people[0].token,
        answered,
        json!({"answers": scores(5)}),
    )
    .await;
    assert_eq!(status, Status::Created);
    survey::Entity::update_many()
        .col_expr(
            survey::Column::OpensAt,
            Expr::value(now - chrono::Duration::days(24)),
        )
        .col_expr(
            survey::Column::ClosesAt,
            Expr::value(now + chrono::Duration::days(6)),
        )
        .filter(survey::Column::CohortId.eq(cohort as i32))
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(
        domain::surveys::run_due(app.db(), &notifier, now)
            .await
            .unwrap(),
        (0, 1),
        "only the unanswered survey is reminded"
    );
    assert_eq!(
        domain::surveys::run_due(app.db(), &notifier, now)
            .await
            .unwrap(),
        (0, 0),
        "once"
    );
    let unanswered = survey_of(&app, &people[1], "satisfaction").await;
    let reminder = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(format!("survey_reminder:{unanswered}")))
        .one(app.db())
        .await
        .unwrap()
        .expect("the reminder is in the outbox");
    assert!(
        reminder.subject.starts_with("Recordatorio"),
        "{}",
        reminder.subject
    );

    // Ninety days after closing, the job opens the follow-up (once).
    let before = still_in_puerto_rico(&app, &world.staff).await;
    assert!(
        before >= 2,
        "both certified people of Puerto Rico count: {before}"
    );
    cohort::Entity::update_many()
        .col_expr(
            cohort::Column::ClosedAt,
            Expr::value(Some(now - chrono::Duration::days(91))),
        )
        .filter(cohort::Column::Id.eq(cohort as i32))
        .exec(app.db())
        .await
        .unwrap();
    assert_eq!(
        domain::surveys::run_due(app.db(), &notifier, now)
            .await
            .unwrap()
            .0,
        2
    );
    assert_eq!(
        domain::surveys::run_due(app.db(), &notifier, now)
            .await
            .unwrap()
            .0,
        0
    );
    let follow_up = survey_of(&app, &people[0], "follow_up").await;
    assert_eq!(
        outbox_with(&app, &format!("survey_invitation:{follow_up}")).await,
        1
    );

    // A follow-up answer needs both questions.
    let (status, body) = answer(
        &app,
        &people[0].token,
        follow_up,
        json!({"answers": {"aplicacion": "si"}}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    // «No longer in the entity»: the coverage's "still in the entity" drops by one; nothing
    // tells when the person answered (issue 30): no audit entry, and the departure carries the
    // survey's opening time, not the answer's.
    let audit_before = audit_log::Entity::find().fetch_count(app.db()).await;
    let (status, body) = answer(
        &app,
        &people[0].token,
        follow_up,
        json!({"answers": {"aplicacion": "parcialmente", "sigue_en_entidad": false},
               "comment": "Lo apliqué en el plan de acción."}),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(still_in_puerto_rico(&app, &world.staff).await, before - 1);
    assert_eq!(
        entity_departure::Entity::find()
            .filter(entity_departure::Column::ParticipantId.eq(people[0].id))
            .fetch_count(app.db())
            .await,
        1
    );
    assert_eq!(
        audit_log::Entity::find().fetch_count(app.db()).await,
        audit_before,
        "answering a survey writes nothing to the audit log"
    );
    let departure = entity_departure::Entity::find()
        .filter(entity_departure::Column::ParticipantId.eq(people[0].id))
        .expect_one(app.db())
        .await;
    let opened = domain::entities::survey::Entity::find_by_id(follow_up as i32)
        .expect_one(app.db())
        .await
        .opens_at;
    assert_eq!(departure.reported_at, opened);
    // The other person is still there: nothing changes.
    let theirs = survey_of(&app, &people[1], "follow_up").await;
    let (status, _) = answer(
        &app,
        &people[1].token,
        theirs,
        json!({"answers": {"aplicacion": "si", "sigue_en_entidad": true}}),
    )
    .await;
    assert_eq!(status, Status::Created);
    assert_eq!(still_in_puerto_rico(&app, &world.staff).await, before - 1);
    // Maintained figures equal rebuilt ones.
    let txn = domain::db::begin(app.db()).await.unwrap();
    domain::figures::rebuild(&txn).await.unwrap();
    domain::db::commit(txn).await.unwrap();
    assert_eq!(still_in_puerto_rico(&app, &world.staff).await, before - 1);
}

/// "Still in the entity" of Puerto Rico in Planeación Territorial's coverage.
async fn still_in_puerto_rico(app: &TestApp, staff: &str) -> i64 {
    let planning = capacity::Entity::find()
        .filter(capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let body = api_get(
        app,
        &format!(
            "/api/v1/reports/capacity-coverage?department=18&capacity={planning}&per_page=500"
        ),
        Some(staff),
    )
    .await
    .expect_status(Status::Ok);
    json_items(&body)
        .iter()
        .find(|r| r["municipality_code"] == "18592")
        .map_or(0, |r| r["still_in_entity"].as_i64().unwrap())
}

/// The satisfaction report as `token` sees it.
async fn report(app: &TestApp, token: &str, query: &str) -> (Status, Value) {
    api_get(
        app,
        &format!("/api/v1/reports/satisfaction?{query}"),
        Some(token),
    )
    .await
}

#[rocket::async_test]
async fn the_report_hides_small_groups_and_never_says_who_answered() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let caqueta = world.people("rcaq").count(6).create().await;
    let meta = world.people("rmeta").of("50001").count(5).create().await;
    let refs: Vec<&Person> = caqueta.iter().chain(&meta).collect();
    let cohort = closed_cohort(&world, &app, &refs).await;
    // Caquetá answers 4 (and one 5), Meta 2; two comments.
    for (n, p) in caqueta.iter().enumerate() {
        let id = survey_of(&app, p, "satisfaction").await;
        let v = if n == 0 { 5 } else { 4 };
        let comment = match n {
            0 => json!("Zeta: faltó material descargable."),
            1 => json!("Alfa: muy pertinente."),
            _ => Value::Null,
        };
        let (status, body) = answer(
            &app,
            &p.token,
            id,
            json!({"answers": scores(v), "comment": comment}),
        )
        .await;
        assert_eq!(status, Status::Created, "{body}");
    }
    for p in &meta {
        let id = survey_of(&app, p, "satisfaction").await;
        let (status, _) = answer(&app, &p.token, id, json!({"answers": scores(2)})).await;
        assert_eq!(status, Status::Created);
    }
    let query = format!("cohort={cohort}");

    // The coordinator: 11 answers, their means, per department, the instructor, the comments
    // alphabetically.
    let (status, all) = report(&app, &world.staff, &format!("{query}&by=department")).await;
    assert_eq!(status, Status::Ok, "{all}");
    assert_eq!(all["invited"], 11);
    assert_eq!(all["responded"], 11);
    assert_eq!(all["response_rate"], 1.0);
    let mean = (5.0 + 4.0 * 5.0 + 2.0 * 5.0) / 11.0;
    let calidad = json_items(&all)
        .iter()
        .find(|i| i["dimension"] == "calidad")
        .unwrap()
        .clone();
    assert!(
        (calidad["mean"].as_f64().unwrap() - mean).abs() < 0.006,
        "{calidad}"
    );
    assert_eq!(calidad["n"], 11);
    let groups = json_array(&all["groups"]);
    assert_eq!(groups.len(), 2, "{groups:?}");
    let caq = groups.iter().find(|g| g["key"] == "18").unwrap();
    assert_eq!(caq["label"], "Caquetá");
    assert!(
        (caq["overall"].as_f64().unwrap() - 25.0 / 6.0).abs() < 0.006,
        "{caq}"
    );
    let met = groups.iter().find(|g| g["key"] == "50").unwrap();
    assert_eq!(met["overall"], 2.0);
    let instructors = json_array(&all["instructors"]);
    assert_eq!(instructors[0]["name"], "Luz Marina Cárdenas");
    assert_eq!(instructors[0]["n"], 11);
    assert_eq!(
        all["comments"],
        json!(["Alfa: muy pertinente.", "Zeta: faltó material descargable."])
    );

    // The Caquetá reviewer: only Caquetá's answers, no instructors, no comments.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, theirs) = report(&app, &reviewer, &query).await;
    assert_eq!(status, Status::Ok, "{theirs}");
    assert_eq!(theirs["invited"], 6);
    assert_eq!(theirs["responded"], 6);
    assert!(
        (theirs["overall"].as_f64().unwrap() - 25.0 / 6.0).abs() < 0.006,
        "{theirs}"
    );
    assert!(theirs.get("instructors").is_none());
    assert!(theirs.get("comments").is_none());
    let (_, grouped) = report(&app, &reviewer, &format!("{query}&by=department")).await;
    every_row(
        json_array(&grouped["groups"]),
        "the reviewer's survey groups",
        |g| g["key"] == "18",
    );
    // Meta's reviewer, asking for Caquetá: nothing.
    let meta_reviewer = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (_, other) = report(&app, &meta_reviewer, &format!("{query}&department=18")).await;
    assert_eq!(other["responded"], 0);
    assert_eq!(other["items"][0]["mean"], Value::Null);

    // The Dirección Territorial Meta's coordinator: the answers of its departments only.
    let direction = token(
        &app,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
    )
    .await;
    let (status, theirs) = report(&app, &direction, &query).await;
    assert_eq!(status, Status::Ok, "{theirs}");
    assert_eq!(theirs["responded"], 5);
    assert_eq!(theirs["overall"], 2.0);

    // Fewer than five: no means. A cohort with three answers of Caquetá.
    let few = world.people("rfew").count(3).create().await;
    let small = closed_cohort(&world, &app, &few.iter().collect::<Vec<_>>()).await;
    for p in &few {
        let id = survey_of(&app, p, "satisfaction").await;
        answer(&app, &p.token, id, json!({"answers": scores(1)})).await;
    }
    let (_, body) = report(&app, &reviewer, &format!("cohort={small}")).await;
    assert_eq!(body["responded"], 3);
    assert_eq!(body["suppressed"], true);
    assert!(
        json_items(&body).iter().all(|i| i["mean"].is_null()),
        "{body}"
    );
    assert_eq!(body["overall"], Value::Null);
    let (_, body) = report(&app, &world.staff, &format!("cohort={small}")).await;
    assert!(
        body.get("comments").is_none(),
        "no comments of a suppressed group"
    );

    // Five of Caquetá and one of Meta (issue 30): Meta's one answer counts nowhere — not in
    // the whole cohort, not in Meta's row — so no subtraction of what is published (the
    // cohort minus Caquetá's row, or minus the reviewer's view) gives it away; Caquetá's five
    // show.
    let five = world.people("rcinco").count(5).create().await;
    let one = world.people("runo").of("50001").create().await;
    let mixed = closed_cohort(&world, &app, &five.iter().chain(&one).collect::<Vec<_>>()).await;
    for p in &five {
        let id = survey_of(&app, p, "satisfaction").await;
        answer(&app, &p.token, id, json!({"answers": scores(3)})).await;
    }
    for p in &one {
        let id = survey_of(&app, p, "satisfaction").await;
        answer(&app, &p.token, id, json!({"answers": scores(5)})).await;
    }
    let (_, body) = report(&app, &reviewer, &format!("cohort={mixed}")).await;
    assert_eq!(body["responded"], 5);
    assert_eq!(body["suppressed"], false, "{body}");
    assert_eq!(body["overall"], 3.0, "{body}");
    let (_, body) = report(&app, &world.staff, &format!("cohort={mixed}&by=department")).await;
    assert_eq!(body["responded"], 6, "counts of answers always show");
    assert_eq!(
        body["overall"], 3.0,
        "Meta's 5 is not in the cohort's mean: {body}"
    );
    assert_eq!(body["items"][0]["n"], 5, "{body}");
    let groups = json_array(&body["groups"]);
    let row = |key: &str| groups.iter().find(|g| g["key"] == key).unwrap().clone();
    assert_eq!(row("18")["overall"], 3.0, "{body}");
    assert_eq!(row("50")["suppressed"], true, "{body}");
    assert_eq!(row("50")["overall"], Value::Null, "{body}");
    // The Meta direction's view of the same cohort: nothing to show, not the one answer.
    let (_, body) = report(&app, &direction, &format!("cohort={mixed}")).await;
    assert_eq!(body["responded"], 1);
    assert_eq!(body["overall"], Value::Null, "{body}");

    // No identity anywhere: not in the JSON, not in the workbook.
    let names: Vec<String> = ["rcaq", "rmeta", "rfew", "rcinco", "runo"]
        .iter()
        .flat_map(|t| [format!("Persona {t}"), format!("{t}0@example.org")])
        .collect();
    for token in [&world.staff, &reviewer] {
        for q in [
            "",
            "by=cohort",
            "by=department",
            "by=course",
            "by=capacity",
            "by=quarter",
        ] {
            let (status, body) = report(&app, token, &format!("{query}&{q}")).await;
            assert_eq!(status, Status::Ok);
            let text = body.to_string();
            for name in &names {
                assert!(!text.contains(name.as_str()), "{name} in {text}");
            }
        }
    }
    let (status, kind, bytes) = download(
        &app,
        &format!("/api/v1/reports/satisfaction.xlsx?{query}&by=department"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(kind.unwrap().contains("spreadsheetml"));
    let summary = read_table(&bytes, "Resumen", "Dimensión");
    assert_eq!(summary[1][0], "Calidad");
    assert!(
        (summary[1][1].parse::<f64>().unwrap() - mean).abs() < 0.006,
        "{summary:?}"
    );
    let comments = read_table(&bytes, "Comentarios", "Encuesta");
    assert_eq!(comments.len(), 3, "{comments:?}");
    {
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
        for sheet in book.sheet_names() {
            let range = book.worksheet_range(&sheet).unwrap();
            for cell in range.cells() {
                let text = cell.2.to_string();
                for name in &names {
                    assert!(!text.contains(name.as_str()), "{name} in sheet {sheet}");
                }
            }
        }
    }

    // The tallies the report reads, kept on every answer, equal the ones rebuilt from scratch.
    let tallies = || async {
        let mut rows = survey_tally::Entity::find().fetch_all(app.db()).await;
        rows.sort_by_key(|t| (t.cohort_id, t.department_code.clone(), t.kind.as_str()));
        rows
    };
    let kept = tallies().await;
    assert!(kept.len() >= 4, "{kept:?}");
    let txn = domain::db::begin(app.db()).await.unwrap();
    domain::surveys::tallies::rebuild(&txn).await.unwrap();
    domain::db::commit(txn).await.unwrap();
    assert_eq!(survey_tally::Entity::find().fetch_all(app.db()).await, kept);

    // Who may read it: not instructors, participants or liaisons.
    for role in [Role::Instructor, Role::Participant, Role::Liaison] {
        let t = role_token(&app, role).await;
        let (status, _) = report(&app, &t, "").await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
    }
    let (status, body) = report(&app, &world.staff, "by=municipio").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, _) = report(&app, &world.staff, "quarter=2026-T9").await;
    assert_eq!(status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn participants_answer_on_a_page_and_the_demo_shows_the_reports() {
    let app = TestApp::with_demo().await;
    // The demo participant has the Caquetá cohort's follow-up pending on their home page.
    let (email, password) = demo_account(Role::Participant);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, home) = crate::support::page(&app, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(home.contains("Encuestas pendientes"), "{home}");
    assert!(home.contains("Encuesta de seguimiento"));
    let start = home.find("/encuestas/").unwrap() + "/encuestas/".len();
    let id: String = home[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let path = format!("/encuestas/{id}");
    let participant = role_token(&app, Role::Participant).await;
    let (status, body) = answer(&app, &participant, id.parse().unwrap(), json!({})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, form) = crate::support::page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(form.contains("<fieldset class=\"question\""));
    assert!(form.contains("<legend>Aplicación:"));
    assert!(form.contains("type=\"radio\" name=\"sigue_en_entidad\" value=\"no\""));
    assert!(form.contains("actualiza su registro"));
    // Unanswered: shown again with the problem (422), nothing recorded.
    let csrf = crate::support::csrf_from(&app, &path).await;
    let response =
        crate::support::post_form(&app, &path, &[("csrf_token", &csrf), ("aplicacion", "si")])
            .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("Diga si sigue en la misma entidad."),
        "{html}"
    );
    let response = crate::support::post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("aplicacion", "si"),
            ("sigue_en_entidad", "si"),
            ("comment", "Actualizamos el plan indicativo."),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, home) = crate::support::page(&app, "/").await;
    assert!(!home.contains("Encuestas pendientes"));
    let (_, again) = crate::support::page(&app, &path).await;
    assert!(again.contains("Usted ya respondió esta encuesta"));

    // The demo's report: the Meta cohort's six answers show means to the coordinator.
    let coordinator = role_token(&app, Role::Coordinator).await;
    let (status, body) = report(&app, &coordinator, "by=cohort").await;
    assert_eq!(status, Status::Ok, "{body}");
    assert!(body["responded"].as_i64().unwrap() >= 16, "{body}");
    assert!(body["overall"].as_f64().is_some(), "{body}");
    assert!(
        body["follow_up"]["responded"].as_i64().unwrap() >= 7,
        "{body}"
    );
    // The pages: the report (coordinator, then reviewer) and the cohort's line.
    let (email, password) = demo_account(Role::Coordinator);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(&app, "/reportes/satisfaccion?por=cohort").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Satisfacción de los participantes"));
    assert!(html.contains("<meter"));
    assert!(html.contains("Instructores"));
    let (_, home) = crate::support::page(&app, "/").await;
    assert!(home.contains("ver el informe de satisfacción"), "{home}");
    let closed =
        crate::world::demo_cohort(app.db(), domain::entities::values::CohortStatus::Closed).await;
    let (status, detail) =
        crate::support::page(&app, &format!("/coordinacion/cohortes/{}", closed.id)).await;
    assert_eq!(status, Status::Ok);
    assert!(detail.contains("Encuesta de satisfacción:"), "{detail}");
    let response = app
        .client
        .get("/reportes/satisfaccion.xlsx?por=quarter")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let (email, password) = demo_account(Role::Reviewer);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(&app, "/reportes/satisfaccion").await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("Instructores"));
    let (status, _) = crate::support::page(&app, "/reportes/satisfaccion?trimestre=nada").await;
    assert_eq!(status, Status::UnprocessableEntity);
}

/// Issue 30: a course's figures minus one of its cohorts' used to give the answers of a
/// suppressed cohort. Answers of a cohort × department with fewer than five count nowhere, so
/// every published figure (course, capacity, quarter, cohort) is a sum of cells of five or
/// more, and no subtraction isolates fewer than five answers.
#[rocket::async_test]
async fn no_subtraction_of_published_figures_isolates_a_small_group() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (_, capacities) = api_get(&app, "/api/v1/capacities", Some(&world.staff)).await;
    let capacity = capacities["items"][0]["id"].clone();
    let course = api_post(
        &app,
        "/api/v1/courses",
        Some(&world.staff),
        json!({"code": "DIF-1", "name": "Curso de prueba de diferencias",
                    "description": "Solo para la prueba.", "hours": 20,
                    "capacity_ids": [capacity], "default_modality": "virtual",
                    "management_stage": "Planeación"}),
    )
    .await
    .expect_status(Status::Created);
    let course_id = course["id"].as_i64().unwrap();
    let large = world.people("dgrande").count(5).create().await;
    let small = world.people("dpeque").count(2).create().await;
    let big_cohort = closed_cohort_of(&world, "DIF-1", &large.iter().collect::<Vec<_>>()).await;
    let small_cohort = closed_cohort_of(&world, "DIF-1", &small.iter().collect::<Vec<_>>()).await;
    for p in &large {
        let id = survey_of(&app, p, "satisfaction").await;
        let (status, _) = answer(&app, &p.token, id, json!({"answers": scores(5)})).await;
        assert_eq!(status, Status::Created);
    }
    for p in &small {
        let id = survey_of(&app, p, "satisfaction").await;
        let (status, _) = answer(&app, &p.token, id, json!({"answers": scores(1)})).await;
        assert_eq!(status, Status::Created);
    }
    let reviewer = role_token(&app, Role::Reviewer).await;
    for token in [&world.staff, &reviewer] {
        let (_, cohort) = report(&app, token, &format!("cohort={small_cohort}")).await;
        assert_eq!(cohort["suppressed"], true, "{cohort}");
        let (_, big) = report(&app, token, &format!("cohort={big_cohort}")).await;
        assert_eq!(big["overall"], 5.0, "{big}");
        // The course as a whole: the big cohort's figures exactly, so course − big cohort is
        // nothing; the small cohort's two answers of 1 are not in it.
        let (_, whole) = report(&app, token, &format!("course={course_id}")).await;
        assert_eq!(whole["responded"], 7, "counts always show: {whole}");
        assert_eq!(whole["overall"], 5.0, "{whole}");
        assert_eq!(whole["items"][0]["n"], 5, "{whole}");
        // Broken down by course or by quarter, the same.
        for by in ["course", "quarter"] {
            let (_, body) = report(&app, token, &format!("course={course_id}&by={by}")).await;
            for group in json_array(&body["groups"]) {
                assert_eq!(group["overall"], 5.0, "{by}: {group}");
            }
        }
    }
    // No comment of the small group in any list.
    let (_, body) = report(&app, &world.staff, &format!("cohort={small_cohort}")).await;
    assert!(body.get("comments").is_none(), "{body}");
}
