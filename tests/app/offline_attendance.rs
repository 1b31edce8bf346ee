//! Attendance where the network fails (issue 66): batches of marks made offline (idempotent,
//! the device's time kept, later wins, a coordinator's correction never overwritten, a
//! closed cohort refuses), the page script's endpoint with its CSRF header, offline
//! check-ins validated at their time, the printed sheet's codes and a session's evidence.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Cohort, World, put_marks};
use chrono::{DateTime, Duration, Utc};
use domain::attendance::checkin;
use domain::attendance::offline::{enrolment_of_code, person_code};
use domain::entities::values::{Mark, Role};
use domain::entities::{attendance_batch_mark, attendance_mark, audit_log, cohort_session};
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

fn at(offset: Duration) -> String {
    aula_territorial::api::date_time(domain::time::now() + offset)
}

async fn batch(app: &TestApp, token: &str, session: i64, body: Value) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/sessions/{session}/attendance/batches"),
        Some(token),
        body,
    )
    .await
}

async fn stored_mark(
    db: &DatabaseConnection,
    session: i64,
    enrolment: i64,
) -> attendance_mark::Model {
    attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session as i32))
        .filter(attendance_mark::Column::EnrolmentId.eq(enrolment as i32))
        .one(db)
        .await
        .unwrap()
        .expect("a mark")
}

async fn audit_count(db: &DatabaseConnection) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("attendance."))
        .count(db)
        .await
        .unwrap()
}

fn instant(text: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[rocket::async_test]
async fn a_batch_twice_changes_nothing_later_wins_and_a_correction_is_never_overwritten() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-60), Duration::days(3)], 120)
        .create()
        .await;
    let (s, future) = (sessions[0], sessions[1]);
    let crowd = world.people("sinred").count(3).create().await;
    let mut e = Vec::new();
    for person in &crowd {
        e.push(world.enrol(cohort, person.id).await.id);
    }

    // The phone marks three people offline.
    let first = json!({"device_id": "telefono-1", "marks": [
        {"key": "k-0", "enrolment_id": e[0], "status": "presente", "marked_at": at(Duration::minutes(-30))},
        {"key": "k-1", "enrolment_id": e[1], "status": "ausente", "marked_at": at(Duration::minutes(-29))},
        {"key": "k-2", "enrolment_id": e[2], "status": "T", "marked_at": at(Duration::minutes(-28))},
    ]});
    let (status, answer) = batch(&app, &world.instructor, s, first.clone()).await;
    assert_eq!(status, Status::Ok, "{answer}");
    let results = json_array(&answer["results"]);
    assert_eq!(results.len(), 3);
    for (n, r) in results.iter().enumerate() {
        assert_eq!(r["key"], format!("k-{n}"));
        assert_eq!(r["outcome"], "applied", "{r}");
        assert!(r.get("first_outcome").is_none());
    }
    assert_eq!(results[2]["current"]["status"], "tarde");
    assert_eq!(results[0]["current"]["by_role"], "instructor");
    // The device's time stays the mark's time.
    let kept = stored_mark(app.db(), s, e[0]).await;
    let sent = instant(&first["marks"][0]["marked_at"]);
    assert_eq!(kept.recorded_at.timestamp(), sent.timestamp());
    assert_eq!(
        instant(&results[0]["current"]["marked_at"]).timestamp(),
        sent.timestamp()
    );

    // Sent again (the phone lost the answer): nothing changes; each key says so and repeats
    // its first answer.
    let audited = audit_count(app.db()).await;
    let (status, again) = batch(&app, &world.instructor, s, first.clone()).await;
    assert_eq!(status, Status::Ok, "{again}");
    for (n, r) in json_array(&again["results"]).iter().enumerate() {
        assert_eq!(r["outcome"], "unchanged", "{r}");
        assert_eq!(r["first_outcome"]["outcome"], "applied");
        assert_eq!(r["first_outcome"]["key"], format!("k-{n}"));
    }
    assert_eq!(
        audit_count(app.db()).await,
        audited,
        "nothing written twice"
    );
    assert_eq!(stored_mark(app.db(), s, e[0]).await, kept);
    assert_eq!(
        attendance_batch_mark::Entity::find()
            .filter(attendance_batch_mark::Column::SessionId.eq(s as i32))
            .fetch_count(app.db())
            .await,
        3
    );

    // A later mark wins; an earlier one is superseded.
    let (_, later) = batch(
        &app,
        &world.instructor,
        s,
        json!({"marks": [
            {"key": "k-3", "enrolment_id": e[1], "status": "presente", "marked_at": at(Duration::minutes(-20))},
            {"key": "k-4", "enrolment_id": e[1], "status": "excusado", "marked_at": at(Duration::minutes(-25))},
            {"key": "k-3", "enrolment_id": e[1], "status": "ausente", "marked_at": at(Duration::minutes(-2))},
        ]}),
    )
    .await;
    assert_eq!(later["results"][0]["outcome"], "applied", "{later}");
    assert_eq!(later["results"][1]["outcome"], "superseded", "{later}");
    // A key twice in one batch: the second is the first's repeat.
    assert_eq!(later["results"][2]["outcome"], "unchanged", "{later}");
    assert_eq!(later["results"][2]["first_outcome"], later["results"][0]);
    assert_eq!(later["results"][1]["current"]["status"], "presente");
    assert_eq!(stored_mark(app.db(), s, e[1]).await.status, Mark::Presente);

    // The coordinator corrects e[0] now; the instructor's offline mark made before it is a
    // conflict, naming who corrected and when, and overwrites nothing.
    let (status, body) = put_marks(
        &app,
        &world.staff,
        s,
        json!([{"enrolment_id": e[0], "status": "ausente"}]),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    let corrected = stored_mark(app.db(), s, e[0]).await;
    let (_, clash) = batch(
        &app,
        &world.instructor,
        s,
        json!({"marks": [
            {"key": "k-5", "enrolment_id": e[0], "status": "tarde", "marked_at": at(Duration::minutes(-5))},
            // Agreeing with the correction is no conflict.
            {"key": "k-6", "enrolment_id": e[0], "status": "ausente", "marked_at": at(Duration::minutes(-4))},
        ]}),
    )
    .await;
    let conflict = &clash["results"][0];
    assert_eq!(conflict["outcome"], "conflict", "{clash}");
    let reason = json_str(&conflict["reason"]);
    let coordinator = json_str(&conflict["current"]["by"]);
    assert!(
        reason.contains(coordinator) && reason.contains("corrigió"),
        "{reason}"
    );
    assert_eq!(conflict["current"]["status"], "ausente");
    assert_eq!(conflict["current"]["by_role"], "coordinator");
    assert_eq!(clash["results"][1]["outcome"], "superseded", "{clash}");
    assert_eq!(stored_mark(app.db(), s, e[0]).await, corrected);
    // The phone that lost that answer learns of the conflict from the repeat.
    let (_, repeat) = batch(
        &app,
        &world.instructor,
        s,
        json!({"marks": [{"key": "k-5", "enrolment_id": e[0], "status": "tarde", "marked_at": at(Duration::minutes(-5))}]}),
    )
    .await;
    assert_eq!(repeat["results"][0]["outcome"], "unchanged");
    assert_eq!(repeat["results"][0]["first_outcome"]["outcome"], "conflict");
    assert_eq!(repeat["results"][0]["first_outcome"]["reason"], reason);
    // Marked again after the correction (the instructor chose hers): it wins.
    let (_, chosen) = batch(
        &app,
        &world.instructor,
        s,
        json!({"marks": [{"key": "k-7", "enrolment_id": e[0], "status": "tarde", "marked_at": at(Duration::seconds(1))}]}),
    )
    .await;
    assert_eq!(chosen["results"][0]["outcome"], "applied", "{chosen}");
    assert_eq!(stored_mark(app.db(), s, e[0]).await.status, Mark::Tarde);

    // Marks that cannot be read are refused with their reason; the batch still answers 200.
    let (status, odd) = batch(
        &app,
        &world.instructor,
        s,
        json!({"marks": [
            {"key": "r-0", "enrolment_id": e[2], "status": "presente", "marked_at": "2026-11-28T09:14:03"},
            {"key": "r-1", "enrolment_id": 999_999, "status": "presente", "marked_at": at(Duration::minutes(-1))},
            {"key": "r-2", "enrolment_id": e[2], "status": "quizás", "marked_at": at(Duration::minutes(-1))},
            {"key": "r-3", "enrolment_id": e[2], "status": "presente", "marked_at": at(Duration::minutes(10))},
            {"enrolment_id": e[2], "status": "presente", "marked_at": at(Duration::minutes(-1))},
        ]}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{odd}");
    for r in json_array(&odd["results"]) {
        assert_eq!(r["outcome"], "refused", "{r}");
        assert!(!json_str(&r["reason"]).is_empty());
    }
    assert!(json_str(&odd["results"][0]["reason"]).contains("zona horaria"));
    assert!(json_str(&odd["results"][1]["reason"]).contains("no existe"));
    assert!(json_str(&odd["results"][3]["reason"]).contains("futuro"));
    assert_eq!(stored_mark(app.db(), s, e[2]).await.status, Mark::Tarde);
    // A session that has not started refuses too.
    let (_, early) = batch(
        &app,
        &world.instructor,
        future,
        json!({"marks": [{"key": "f-0", "enrolment_id": e[2], "status": "presente", "marked_at": at(Duration::minutes(-1))}]}),
    )
    .await;
    assert_eq!(early["results"][0]["outcome"], "refused", "{early}");

    // Who may send: not a participant (403), not another instructor (404), not a reviewer.
    let body = json!({"marks": []});
    let (status, _) = batch(&app, &crowd[0].token, s, body.clone()).await;
    assert_eq!(status, Status::Forbidden);
    let stranger = world.other_instructor().await;
    let (status, _) = batch(&app, &stranger, s, body.clone()).await;
    assert_eq!(status, Status::NotFound);
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _) = batch(&app, &reviewer, s, body.clone()).await;
    assert_eq!(status, Status::Forbidden);
    // What is not a batch: 400.
    for bad in [
        json!([1, 2]),
        json!({"marcas": []}),
        json!({"marks": [{"enrolment_id": "doce"}]}),
    ] {
        let (status, problem) = batch(&app, &world.instructor, s, bad).await;
        assert_eq!(status, Status::BadRequest, "{problem}");
    }
}

#[rocket::async_test]
async fn a_closed_cohort_refuses_every_mark_with_its_reason() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::hours(-5)], 120)
        .create()
        .await;
    let crowd = world.people("cerrada").create().await;
    let e0 = world.enrol(cohort, crowd[0].id).await.id;
    for status in ["in_progress", "closed"] {
        world.move_cohort(cohort, status).await;
    }
    let (status, answer) = batch(
        &app,
        &world.instructor,
        sessions[0],
        json!({"marks": [{"key": "c-0", "enrolment_id": e0, "status": "presente", "marked_at": at(Duration::hours(-4))}]}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{answer}");
    let result = &answer["results"][0];
    assert_eq!(result["outcome"], "refused");
    assert!(json_str(&result["reason"]).contains("cerrada"), "{result}");
    assert_eq!(
        attendance_mark::Entity::find()
            .filter(attendance_mark::Column::SessionId.eq(sessions[0] as i32))
            .fetch_count(app.db())
            .await,
        0
    );
}

#[rocket::async_test]
async fn the_page_script_sends_its_queue_with_the_cookie_and_the_csrf_header() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-30)], 120)
        .create()
        .await;
    let s = sessions[0];
    let crowd = world.people("pagina").create().await;
    let e0 = world.enrol(cohort, crowd[0].id).await.id;
    let body = json!({"device_id": "tel", "marks": [
        {"key": "p-0", "enrolment_id": e0, "status": "presente", "marked_at": at(Duration::minutes(-10))}
    ]})
    .to_string();
    let path = format!("/asistencia/lotes/{s}");

    // Not signed in: 401 as problem+json (the queue stays on the phone).
    let response = app
        .client
        .post(path.clone())
        .header(ContentType::JSON)
        .body(body.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "problem+json"))
    );

    let (email, password) = demo_account(Role::Instructor);
    sign_in_page(&app, email, password).await;
    let csrf = csrf_from(&app, &format!("/seguimiento/sesiones/{s}")).await;
    // Without the token, or with another: 403, nothing written.
    for header in [None, Some("otro")] {
        let mut request = app
            .client
            .post(path.clone())
            .header(ContentType::JSON)
            .body(body.clone());
        if let Some(value) = header {
            request = request.header(Header::new("X-CSRF-Token", value));
        }
        let response = request.dispatch().await;
        assert_eq!(response.status(), Status::Forbidden);
        let problem: Value = response.into_json().await.unwrap();
        assert!(json_str(&problem["detail"]).contains("expiró"), "{problem}");
    }
    let send = || {
        app.client
            .post(path.clone())
            .header(ContentType::JSON)
            .header(Header::new("X-CSRF-Token", csrf.clone()))
            .body(body.clone())
            .dispatch()
    };
    let response = send().await;
    assert_eq!(response.status(), Status::Ok);
    let answer: Value = response.into_json().await.unwrap();
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");
    let response = send().await;
    let again: Value = response.into_json().await.unwrap();
    assert_eq!(again["results"][0]["outcome"], "unchanged");
    assert_eq!(again["results"][0]["first_outcome"], answer["results"][0]);
    // The same answers as the API: 404 for a session that is not hers, 400 for no batch.
    let response = app
        .client
        .post("/asistencia/lotes/999999")
        .header(ContentType::JSON)
        .header(Header::new("X-CSRF-Token", csrf.clone()))
        .body(body.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NotFound);
    let response = app
        .client
        .post(path.clone())
        .header(ContentType::JSON)
        .header(Header::new("X-CSRF-Token", csrf.clone()))
        .body("{\"marks\": 1}")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "problem+json"))
    );

    // The printed sheet carries each person's code.
    let (status, sheet) = page(&app, &format!("/seguimiento/sesiones/{s}/planilla")).await;
    assert_eq!(status, Status::Ok);
    assert!(sheet.contains(&person_code(e0 as i32)), "{sheet}");
    assert_eq!(enrolment_of_code(&person_code(e0 as i32)), Some(e0 as i32));
}

async fn offline_check_in(
    app: &TestApp,
    token: &str,
    session: i64,
    code: &str,
    when: &str,
) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/sessions/{session}/check-ins/offline"),
        Some(token),
        json!({"code": code, "checked_in_at": when}),
    )
    .await
}

async fn secret_of(db: &DatabaseConnection, session: i64) -> String {
    cohort_session::Entity::find_by_id(session as i32)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .check_in_secret
}

#[rocket::async_test]
async fn an_offline_check_in_counts_when_its_code_was_valid_at_its_time() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-30), Duration::hours(-5)], 120)
        .create()
        .await;
    let (s, over) = (sessions[0], sessions[1]);
    let crowd = world.people("sinsenal").count(2).create().await;
    world.enrol(cohort, crowd[0].id).await;
    world.enrol(cohort, crowd[1].id).await;
    let (p0, p1) = (&crowd[0].token, &crowd[1].token);
    let secret = secret_of(app.db(), s).await;
    let code_at = |t: DateTime<Utc>| checkin::code_at(&secret, checkin::step_of(t));

    // Typed 25 minutes ago (5 minutes after the start) without signal, sent now: accepted,
    // presente by its time, kept with its time.
    let then = domain::time::now() - Duration::minutes(25);
    let when = aula_territorial::api::date_time(then);
    let (status, mark) = offline_check_in(&app, p0, s, &code_at(then), &when).await;
    assert_eq!(status, Status::Created, "{mark}");
    assert_eq!(mark["status"], "presente");
    assert_eq!(mark["source"], "check_in");
    assert_eq!(instant(&mark["recorded_at"]).timestamp(), then.timestamp());
    // Sent twice: still one mark, unchanged.
    let (status, again) = offline_check_in(&app, p0, s, &code_at(then), &when).await;
    assert_eq!(status, Status::Created, "{again}");
    assert_eq!(again["recorded_at"], mark["recorded_at"]);

    // Another session's code at that time: refused on the code.
    let other = secret_of(app.db(), over).await;
    let foreign = checkin::code_at(&other, checkin::step_of(then));
    let (status, problem) = offline_check_in(&app, p1, s, &foreign, &when).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["code"]);
    // The right code claimed for another moment (reused ten minutes later): refused.
    let later = aula_territorial::api::date_time(then + Duration::minutes(10));
    let (status, problem) = offline_check_in(&app, p1, s, &code_at(then), &later).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["code"]);
    // The over session's own code, at a time outside its window: refused on the time.
    let outside = domain::time::now() - Duration::minutes(30);
    let outside_code = checkin::code_at(&other, checkin::step_of(outside));
    let (status, problem) = offline_check_in(
        &app,
        p1,
        over,
        &outside_code,
        &aula_territorial::api::date_time(outside),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["checked_in_at"]);
    // A time in the future, or without an offset: refused.
    let ahead = domain::time::now() + Duration::minutes(2);
    let (status, problem) = offline_check_in(
        &app,
        p1,
        s,
        &code_at(ahead),
        &aula_territorial::api::date_time(ahead),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["checked_in_at"]);
    let (status, _) = offline_check_in(&app, p1, s, &code_at(then), "2026-11-28T09:00:00").await;
    assert_eq!(status, Status::UnprocessableEntity);
    // Nothing was recorded for her; the instructor may not check in.
    assert_eq!(
        attendance_mark::Entity::find()
            .filter(attendance_mark::Column::SessionId.eq(s as i32))
            .fetch_count(app.db())
            .await,
        1
    );
    let (status, _) = offline_check_in(&app, &world.instructor, s, &code_at(then), &when).await;
    assert_eq!(status, Status::Forbidden);
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

#[rocket::async_test]
async fn evidence_of_a_session_is_bounded_and_seen_only_by_staff_in_scope() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-90)], 60)
        .create()
        .await;
    let s = sessions[0];
    let crowd = world.people("evidencia").create().await;
    world.enrol(cohort, crowd[0].id).await;
    let path = format!("/api/v1/sessions/{s}/evidence");

    let (status, created) = upload(
        &app,
        &path,
        &world.instructor,
        "planilla firmada.png",
        &png(),
    )
    .await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["content_type"], "image/png");
    assert_eq!(created["size"], 72);
    let (status, pdf) = upload(
        &app,
        &path,
        &world.staff,
        "planilla.pdf",
        b"%PDF-1.4\n%%EOF\n",
    )
    .await;
    assert_eq!(status, Status::Created, "{pdf}");

    // Only images and PDF; the type is read from the content too; the size is bounded.
    let (status, problem) = upload(&app, &path, &world.instructor, "notas.txt", b"hola").await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let (status, problem) = upload(
        &app,
        &path,
        &world.instructor,
        "foto.png",
        b"no soy una imagen",
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let (status, problem) = upload(&app, &path, &world.instructor, "../foto.png", &png()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let mut big = png();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, _) = upload(&app, &path, &world.instructor, "grande.png", &big).await;
    assert_eq!(status, Status::PayloadTooLarge);

    // Read by the instructor, the coordinator and the department's reviewer; the file comes
    // back as it went.
    let reviewer = role_token(&app, Role::Reviewer).await;
    for token in [&world.instructor, &world.staff, &reviewer] {
        let list = api_get(&app, &path, Some(token))
            .await
            .expect_status(Status::Ok);
        assert_eq!(list["total"], 2);
    }
    let url = json_str(&created["url"]);
    let (status, kind, bytes) = download(&app, url, &reviewer).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(kind.as_deref(), Some("image/png"));
    assert_eq!(bytes, png());
    // Not by the participant, the liaison or another instructor; the reviewer only reads.
    let liaison = role_token(&app, Role::Liaison).await;
    for token in [&crowd[0].token, &liaison] {
        let (status, _) = api_get(&app, &path, Some(token)).await;
        assert!(
            matches!(status, Status::Forbidden | Status::NotFound),
            "{status}"
        );
        let (status, _, _) = download(&app, url, token).await;
        assert!(
            matches!(status, Status::Forbidden | Status::NotFound),
            "{status}"
        );
    }
    let (status, _) = api_get(&app, &path, Some(&crowd[0].token)).await;
    assert_eq!(
        status,
        Status::Forbidden,
        "the participant is enrolled: forbidden, not unknown"
    );
    let stranger = world.other_instructor().await;
    api_get(&app, &path, Some(&stranger))
        .await
        .expect_status(Status::NotFound);
    let (status, _) = upload(&app, &path, &stranger, "x.png", &png()).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = upload(&app, &path, &reviewer, "x.png", &png()).await;
    assert_eq!(status, Status::Forbidden);
    // Another session's file is not this one's.
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/sessions/{s}/evidence/999999"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::NotFound);
}

/// The demo participant's participant id (she signs in to the pages).
async fn demo_participant(db: &DatabaseConnection) -> i32 {
    use domain::entities::user;
    let (email, _) = demo_account(Role::Participant);
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .expect("the demo participant");
    domain::people::profile::participant_of_user(db, account.id)
        .await
        .unwrap()
        .expect("her participant record")
        .id
}

#[rocket::async_test]
async fn the_check_in_page_sends_a_check_in_made_without_signal_like_the_api() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort,
        sessions,
    } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-30), Duration::hours(-5)], 120)
        .create()
        .await;
    let (s, over) = (sessions[0], sessions[1]);
    world.enrol(cohort, demo_participant(app.db()).await).await;
    let secret = secret_of(app.db(), s).await;
    let then = domain::time::now() - Duration::minutes(25);
    let when = aula_territorial::api::date_time(then);
    let path = format!("/sesiones/{s}/registro/sin-conexion");
    let body = |code: &str| json!({"code": code, "checked_in_at": when}).to_string();

    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, &format!("/sesiones/{s}/registro")).await;
    assert_eq!(status, Status::Ok);
    // The page's script finds its form and where to send a check-in made without signal.
    assert!(
        html.contains(&format!("data-sin-conexion=\"{path}\"")),
        "{html}"
    );
    let csrf = csrf_from(&app, &format!("/sesiones/{s}/registro")).await;

    // Without the header, or with another token: 403, nothing written.
    let code = checkin::code_at(&secret, checkin::step_of(then));
    for header in [None, Some("otro")] {
        let mut request = app
            .client
            .post(path.clone())
            .header(ContentType::JSON)
            .body(body(&code));
        if let Some(value) = header {
            request = request.header(Header::new("X-CSRF-Token", value));
        }
        assert_eq!(request.dispatch().await.status(), Status::Forbidden);
    }
    let send = |code: String| {
        app.client
            .post(path.clone())
            .header(ContentType::JSON)
            .header(Header::new("X-CSRF-Token", csrf.clone()))
            .body(body(&code))
            .dispatch()
    };
    // Another session's code at that time: refused on the code, as the API does.
    let other = secret_of(app.db(), over).await;
    let response = send(checkin::code_at(&other, checkin::step_of(then))).await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    assert_eq!(
        response.content_type(),
        Some(ContentType::new("application", "problem+json"))
    );
    let problem: Value = response.into_json().await.unwrap();
    assert_eq!(error_fields(&problem), ["code"]);
    assert_eq!(
        attendance_mark::Entity::find()
            .filter(attendance_mark::Column::SessionId.eq(s as i32))
            .fetch_count(app.db())
            .await,
        0
    );
    // The code of its time: accepted, presente, kept with its time.
    let response = send(code.clone()).await;
    assert_eq!(response.status(), Status::Created);
    let mark: Value = response.into_json().await.unwrap();
    assert_eq!(mark["status"], "presente", "{mark}");
    assert_eq!(mark["source"], "check_in");
    assert_eq!(instant(&mark["recorded_at"]).timestamp(), then.timestamp());
}

#[rocket::async_test]
async fn the_attendance_page_takes_evidence_and_lists_it_for_download() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort { sessions, .. } = world
        .cohort()
        .sessions_from_now(&[Duration::minutes(-90)], 60)
        .create()
        .await;
    let s = sessions[0];
    let here = format!("/seguimiento/sesiones/{s}");
    let target = format!("{here}/evidencia");

    let (email, password) = demo_account(Role::Instructor);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, &here).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains(&format!("action=\"{target}\"")) && html.contains("Aún no hay fotos"),
        "{html}"
    );
    let csrf = csrf_from(&app, &here).await;

    // A file that is not a PDF or an image: the page again (422), the problem beside the
    // field, nothing kept.
    let (status, refused) = post_file(&app, &target, &csrf, "notas.txt", b"hola").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        refused.contains("evidencia-archivo") && refused.contains("PDF"),
        "{refused}"
    );
    // Without the token: refused, nothing kept.
    let (status, _) = post_file(&app, &target, "otro", "planilla.png", &png()).await;
    assert_eq!(status, Status::Forbidden);

    // The photo of the signed sheet: back to the page with the message, listed with its link.
    let (status, _) = post_file(&app, &target, &csrf, "planilla firmada.png", &png()).await;
    assert_eq!(status, Status::SeeOther);
    let (_, html) = page(&app, &here).await;
    assert!(
        html.contains("Evidencia guardada") && html.contains("planilla firmada.png"),
        "{html}"
    );
    let start = html.find(&format!("{target}/")).expect("the file's link");
    let link: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let response = app.client.get(link.clone()).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::PNG));
    assert_eq!(response.into_bytes().await.unwrap(), png());
    // Another session's file is not this one's.
    let response = app.client.get(format!("{target}/999999")).dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
}
