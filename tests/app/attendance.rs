//! Attendance: marks per session (only enrolled people, only started sessions, audited
//! changes), self check-in with rotating codes inside the session window, the offline sheet
//! round trip, results computed over the scheduled sessions, closing that freezes them, the
//! at-risk emails, and who may see what.

use crate::common::TestApp;
use crate::smtp::{SmtpServer, plain_text, subject};
use crate::support::*;
use crate::world::{Cohort, Enrolment, World, put_marks};
use chrono::{DateTime, Duration, Utc};
use domain::attendance::checkin;
use domain::config::AppConfig;
use domain::entities::values::{EnrolmentStatus, Mark, MarkSource, Role};
use domain::entities::{attendance_mark, audit_log, cohort_session, enrolment, outbox};
use rocket::http::Status;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

/// Marks recorded for these sessions.
async fn mark_count(db: &DatabaseConnection, sessions: &[i64]) -> u64 {
    attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(sessions.iter().map(|s| *s as i32)))
        .count(db)
        .await
        .unwrap()
}

async fn audit_entries(db: &DatabaseConnection, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
        .unwrap()
}

fn first_error(body: &Value) -> (String, String) {
    (
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[rocket::async_test]
async fn marks_are_taken_changed_and_audited_only_for_enrolled_people_of_started_sessions() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(2)
        .sessions_from_now(&[Duration::hours(-2), Duration::days(2)], 60)
        .create()
        .await;
    let (past, future) = (sessions[0], sessions[1]);
    let crowd = world.people("marca").count(4).create().await;
    let Enrolment { status: s0, id: e0 } = world.enrol(cohort_id, crowd[0].id).await;
    let Enrolment { status: s1, id: e1 } = world.enrol(cohort_id, crowd[1].id).await;
    let Enrolment { status: s2, id: e2 } = world.enrol(cohort_id, crowd[2].id).await;
    let e3 = world.enrol(cohort_id, crowd[3].id).await.id;
    assert_eq!(
        (s0.as_str(), s1.as_str(), s2.as_str()),
        ("enrolled", "enrolled", "waitlisted")
    );
    api_delete(
        &app,
        &format!("/api/v1/enrolments/{e3}"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    // Another cohort, with the first person enrolled in it too.
    let Cohort {
        id: other_cohort,
        sessions: other_sessions,
    } = world
        .cohort()
        .seats(5)
        .sessions_from_now(&[Duration::hours(-3)], 60)
        .create()
        .await;
    let other_enrolment = world.enrol(other_cohort, crowd[0].id).await.id;

    // A session that has not started: 409, whoever asks.
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        future,
        json!([{"enrolment_id": e0, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{problem}");
    assert!(
        json_str(&problem["detail"]).contains("aún no ha empezado"),
        "{problem}"
    );
    // Someone of another cohort: 422, and nothing of the request is saved.
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        past,
        json!([
        {"enrolment_id": e0, "status": "presente"},
        {"enrolment_id": other_enrolment, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "[1].enrolment_id");
    assert!(json_str(&problem["errors"][0]["message"]).contains("no pertenece a esta cohorte"));
    // Waitlisted and cancelled: 422 with the reason.
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        past,
        json!([{"enrolment_id": e2, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        first_error(&problem).1.contains("lista de espera"),
        "{problem}"
    );
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        past,
        json!([{"enrolment_id": e3, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(first_error(&problem).1.contains("cancelada"), "{problem}");
    // Bad values: every problem at once.
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        past,
        json!([
        {"enrolment_id": e0, "status": "quizás"},
        {"enrolment_id": e1, "status": "presente", "note": "x".repeat(501)},
        {"enrolment_id": e1, "status": "ausente"}]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(
        error_fields(&problem),
        ["[0].status", "[1].note", "[2].enrolment_id"]
    );
    assert!(
        first_error(&problem)
            .1
            .contains("«quizás» no es una asistencia válida")
    );
    let (status, _) = put_marks(&app, &world.instructor, past, json!([])).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(
        mark_count(app.db(), &sessions).await,
        0,
        "refused requests write nothing"
    );

    // The cohort's instructor takes attendance: one request, every mark.
    let (status, marks) = put_marks(
        &app,
        &world.instructor,
        past,
        json!([
        {"enrolment_id": e0, "status": "presente"},
        {"enrolment_id": e1, "status": "ausente", "note": "Sin aviso"}]),
    )
    .await;
    assert_eq!(status, Status::Ok, "{marks}");
    assert_eq!(marks.as_array().unwrap().len(), 2);
    assert_eq!(marks[0]["enrolment_id"], e0);
    assert_eq!(marks[0]["status"], "presente");
    assert_eq!(marks[0]["source"], "manual");
    assert_eq!(marks[0]["recorded_by"], world.instructor_id);
    assert_eq!(marks[1]["status"], "ausente");
    assert_eq!(marks[1]["note"], "Sin aviso");
    assert_eq!(mark_count(app.db(), &sessions).await, 2);
    assert_eq!(audit_entries(app.db(), "attendance.marked").await.len(), 2);

    // A coordinator changes a mark later: audited with who, before and after.
    let (status, marks) = put_marks(
        &app,
        &world.staff,
        past,
        json!([
        {"enrolment_id": e1, "status": "excusado", "note": "Cita médica"}]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(marks[0]["status"], "excusado");
    let changed = audit_entries(app.db(), "attendance.changed").await;
    assert_eq!(changed.len(), 1);
    let entry = &changed[0];
    assert_eq!(entry.actor_user_id, Some(world.staff_id));
    assert_eq!(entry.subject_type, "enrolment");
    assert_eq!(entry.subject_id, e1.to_string());
    let before: Value = serde_json::from_str(entry.before_json.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(entry.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(before["status"], "ausente");
    assert_eq!(before["note"], "Sin aviso");
    assert_eq!(before["recorded_by"], world.instructor_id);
    assert_eq!(after["status"], "excusado");
    assert_eq!(after["session_id"], past);
    // The same marks again change nothing and audit nothing.
    let (status, _) = put_marks(
        &app,
        &world.staff,
        past,
        json!([
        {"enrolment_id": e1, "status": "excusado", "note": "Cita médica"}]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(audit_entries(app.db(), "attendance.changed").await.len(), 1);
    assert_eq!(
        mark_count(app.db(), &sessions).await,
        2,
        "one mark per person and session"
    );

    // Reading: staff see every mark; a participant only their own.
    let path = format!("/api/v1/sessions/{past}/attendance");
    let all = api_get(&app, &path, Some(&world.instructor))
        .await
        .expect_status(Status::Ok);
    assert_eq!(all["total"], 2);
    assert_eq!(all["session"]["id"], past);
    assert_eq!(all["unmarked"], json!([]));
    let mine = api_get(&app, &path, Some(&crowd[1].token))
        .await
        .expect_status(Status::Ok);
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["enrolment_id"], e1);
    assert_eq!(mine["items"][0]["status"], "excusado");
    // Participants and reviewers never write: 403.
    let (status, _) = put_marks(
        &app,
        &crowd[0].token,
        past,
        json!([{"enrolment_id": e0, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _) = put_marks(
        &app,
        &reviewer,
        past,
        json!([{"enrolment_id": e0, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    // The Caquetá reviewer reads this Caquetá cohort.
    let read = api_get(&app, &path, Some(&reviewer))
        .await
        .expect_status(Status::Ok);
    assert_eq!(read["total"], 2);
    // A participant of another cohort only: 404.
    let outsider = world.people("ajeno").create().await;
    api_get(&app, &path, Some(&outsider[0].token))
        .await
        .expect_status(Status::NotFound);
    // An instructor of another cohort: 404, as if it did not exist.
    let stranger = world.other_instructor().await;
    api_get(&app, &path, Some(&stranger))
        .await
        .expect_status(Status::NotFound);
    let (status, _) = put_marks(
        &app,
        &stranger,
        past,
        json!([{"enrolment_id": e0, "status": "ausente"}]),
    )
    .await;
    assert_eq!(status, Status::NotFound);
    api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/results"),
        Some(&stranger),
    )
    .await
    .expect_status(Status::NotFound);
    let (status, _) = api_get(
        &app,
        &format!("/api/v1/sessions/{}/attendance", other_sessions[0]),
        Some(&world.instructor),
    )
    .await;
    assert_eq!(status, Status::Ok, "the demo instructor teaches both");
    assert_eq!(mark_count(app.db(), &sessions).await, 2);
}

async fn secret_of(db: &DatabaseConnection, session: i64) -> String {
    cohort_session::Entity::find_by_id(session as i32)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .check_in_secret
}

async fn check_in(app: &TestApp, token: &str, session: i64, code: &str) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/sessions/{session}/check-in"),
        Some(token),
        json!({"code": code}),
    )
    .await
}

async fn code_for(app: &TestApp, token: &str, session: i64) -> Value {
    api_get(
        app,
        &format!("/api/v1/sessions/{session}/check-in-code"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok)
}

#[rocket::async_test]
async fn check_in_needs_the_current_code_inside_the_window_and_late_is_tarde() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions: s,
    } = world
        .cohort()
        .seats(2)
        .sessions_from_now(
            &[
                Duration::minutes(-5),  // 0: in the grace period
                Duration::minutes(-40), // 1: after the grace period
                Duration::minutes(10),  // 2: starts soon: window already open
                Duration::minutes(60),  // 3: window not open yet
                Duration::days(2),      // 4: future
                Duration::hours(-5),    // 5: over (ended 3 hours ago)
            ],
            120,
        )
        .create()
        .await;
    let crowd = world.people("registro").count(3).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let waiting = world.enrol(cohort_id, crowd[2].id).await.status;
    assert_eq!(waiting, "waitlisted");
    let (p0, p1, p2) = (&crowd[0].token, &crowd[1].token, &crowd[2].token);

    // The instructor's code: six digits, valid for the current and the next minute.
    let shown = code_for(&app, &world.instructor, s[0]).await;
    let code = json_str(&shown["code"]).to_string();
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(shown["open"], true);
    let valid_until = DateTime::parse_from_rfc3339(json_str(&shown["valid_until"])).unwrap();
    let left = valid_until.with_timezone(&Utc) - domain::time::now();
    assert!(
        left > Duration::seconds(58) && left <= Duration::seconds(120),
        "{left}"
    );
    assert!(
        json_str(&shown["url"]).ends_with(&format!("/sesiones/{}/registro?codigo={code}", s[0]))
    );
    // Only the cohort's instructors and coordinators see codes.
    api_get(
        &app,
        &format!("/api/v1/sessions/{}/check-in-code", s[0]),
        Some(p0),
    )
    .await
    .expect_status(Status::Forbidden);
    let stranger = world.other_instructor().await;
    api_get(
        &app,
        &format!("/api/v1/sessions/{}/check-in-code", s[0]),
        Some(&stranger),
    )
    .await
    .expect_status(Status::NotFound);

    // Within the grace period: presente (typed with a space, as people do).
    let typed = format!("{} {}", &code[..3], &code[3..]);
    let (status, mark) = check_in(&app, p0, s[0], &typed).await;
    assert_eq!(status, Status::Ok, "{mark}");
    assert_eq!(mark["status"], "presente");
    assert_eq!(mark["source"], "check_in");
    assert_eq!(mark["enrolment_id"], e0);
    // Again: nothing changes.
    let (status, again) = check_in(&app, p0, s[0], &code).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(again["recorded_at"], mark["recorded_at"]);
    assert_eq!(audit_entries(app.db(), "attendance.marked").await.len(), 1);

    // After the grace period: tarde. Another session's code is wrong here.
    let late_code = code_for(&app, &world.staff, s[1]).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, problem) = check_in(&app, p1, s[1], &code).await;
    if code != late_code {
        assert_eq!(status, Status::UnprocessableEntity, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "code");
        assert!(json_str(&problem["errors"][0]["message"]).contains("no es correcto o ya venció"));
    }
    let (status, mark) = check_in(&app, p1, s[1], &late_code).await;
    assert_eq!(status, Status::Ok, "{mark}");
    assert_eq!(mark["status"], "tarde");
    assert_eq!(mark["enrolment_id"], e1);

    // Codes rotate: the one of three minutes ago has expired; the previous minute's still works.
    let secret = secret_of(app.db(), s[1]).await;
    let step = checkin::step_of(domain::time::now());
    let expired = checkin::code_at(&secret, step - 3);
    if expired != checkin::code_at(&secret, step) && expired != checkin::code_at(&secret, step - 1)
    {
        let (status, _) = check_in(&app, p0, s[1], &expired).await;
        assert_eq!(status, Status::UnprocessableEntity);
    }
    let previous = checkin::code_at(&secret, checkin::step_of(domain::time::now()) - 1);
    let (status, mark) = check_in(&app, p0, s[1], &previous).await;
    assert_eq!(status, Status::Ok, "{mark}");
    assert_eq!(mark["status"], "tarde");

    // The window opens 15 minutes before the start.
    let soon = code_for(&app, &world.instructor, s[2]).await;
    assert_eq!(soon["open"], true);
    let (status, mark) = check_in(&app, p0, s[2], json_str(&soon["code"])).await;
    assert_eq!(status, Status::Ok, "{mark}");
    assert_eq!(mark["status"], "presente");
    // Outside the window: 409 even with the right code.
    for session in [s[3], s[4], s[5]] {
        let shown = code_for(&app, &world.instructor, session).await;
        assert_eq!(shown["open"], false);
        let (status, problem) = check_in(&app, p0, session, json_str(&shown["code"])).await;
        assert_eq!(status, Status::Conflict, "{problem}");
        assert!(json_str(&problem["detail"]).contains("está abierto del"));
    }
    // Waitlisted: 422. Not in the cohort: 404. Not a participant: 403.
    let current = code_for(&app, &world.staff, s[0]).await;
    let (status, problem) = check_in(&app, p2, s[0], json_str(&current["code"])).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert!(first_error(&problem).1.contains("lista de espera"));
    let outsider = world.people("fuera").create().await;
    let (status, _) = check_in(&app, &outsider[0].token, s[0], &code).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = check_in(&app, &world.instructor, s[0], &code).await;
    assert_eq!(status, Status::Forbidden);

    // Guessing is throttled: after 10 wrong codes, even the right one waits (429).
    let right = code_for(&app, &world.staff, s[0]).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..10 {
        let (status, _) = check_in(&app, p1, s[0], wrong).await;
        assert_eq!(status, Status::UnprocessableEntity);
    }
    let (status, _) = check_in(&app, p1, s[0], &right).await;
    assert_eq!(status, Status::TooManyRequests);

    let marks = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(s.iter().map(|s| *s as i32)))
        .fetch_all(app.db())
        .await;
    assert_eq!(marks.len(), 4);
    assert!(marks.iter().all(|m| m.source == MarkSource::CheckIn));
}

fn days_ago(n: i64) -> Vec<Duration> {
    (1..=n).rev().map(|d| Duration::days(-d)).collect()
}

#[rocket::async_test]
async fn ten_sessions_eight_attended_is_80_percent_and_completes_without_assessments() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(10)
        .sessions_from_now(&days_ago(10), 120)
        .create()
        .await;
    let crowd = world.people("ochenta").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    use Mark::*;
    world
        .take_attendance(
            &sessions,
            &[
                (
                    e0,
                    &[
                        Presente, Presente, Tarde, Presente, Ausente, Presente, Tarde, Presente,
                        Excusado, Presente,
                    ],
                ),
                (
                    e1,
                    &[
                        Presente, Ausente, Presente, Ausente, Presente, Presente, Excusado,
                        Presente, Presente, Tarde,
                    ],
                ),
            ],
        )
        .await;

    let results = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/results"),
        Some(&world.instructor),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(results["total"], 2);
    let row = |e: i64| {
        json_items(&results)
            .iter()
            .find(|r| r["enrolment_id"] == e)
            .unwrap()
            .clone()
    };
    let passed = row(e0);
    assert_eq!(passed["participant_id"], crowd[0].id);
    assert_eq!(passed["full_name"], "Persona ochenta 0");
    assert_eq!(passed["sessions_total"], 10);
    assert_eq!(passed["sessions_attended"], 8);
    assert_eq!(passed["attendance_pct"], 80.0);
    assert_eq!(
        passed["final_grade"],
        Value::Null,
        "no assessments, no grade"
    );
    // Not judged while the cohort runs (issue 61): decided at closing.
    assert_eq!(passed["completed"], Value::Null);
    assert_eq!(passed["eligible_for_certificate"], false);
    assert_eq!(passed["reasons"], json!([]));
    assert_eq!(passed["at_risk"], false);
    let failed = row(e1);
    assert_eq!(failed["sessions_attended"], 7);
    assert_eq!(failed["attendance_pct"], 70.0);
    assert_eq!(failed["completed"], Value::Null);
    // Three absences of ten: 80 % is out of reach, and the row says so.
    assert_eq!(failed["at_risk"], true);
    assert!(
        json_str(&failed["at_risk_reason"]).contains("menos del 80 %"),
        "{failed}"
    );
    // What closing would record: attendance alone decides.
    let cohort = domain::entities::cohort::Entity::find_by_id(cohort_id as i32)
        .expect_one(app.db())
        .await;
    let closing = domain::results::at_closing(
        app.db(),
        &cohort,
        &domain::people::scope::PersonScope::All,
        None,
    )
    .await
    .unwrap();
    let judged = |e: i64| {
        closing
            .iter()
            .find(|r| i64::from(r.enrolment_id) == e)
            .unwrap()
            .clone()
    };
    assert!(judged(e0).completed && judged(e0).reasons.is_empty());
    assert!(!judged(e1).completed);
    assert_eq!(judged(e1).reasons, ["asistencia 70 % < 80 %"]);

    // The public Rust API the certificates use says the same.
    let rows = domain::results::for_cohort(
        app.db(),
        cohort_id as i32,
        &domain::people::scope::PersonScope::All,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let mine = rows.iter().find(|r| r.enrolment_id == e0 as i32).unwrap();
    assert_eq!(
        (
            mine.sessions_total,
            mine.sessions_attended,
            mine.attendance_pct
        ),
        (10, 8, Some(80.0))
    );
    assert!(
        mine.completed.is_none()
            && !mine.eligible_for_certificate
            && mine.final_grade_milli.is_none()
    );
    // A participant sees only their own row.
    let own = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/results"),
        Some(&crowd[1].token),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["enrolment_id"], e1);
}

#[rocket::async_test]
async fn people_read_the_sessions_held_and_closing_judges_the_sessions_scheduled() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let mut starts = days_ago(4);
    starts.extend((1..=6).map(Duration::days));
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(10)
        .sessions_from_now(&starts, 120)
        .create()
        .await;
    let crowd = world.people("parcial").create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    use Mark::*;
    world
        .take_attendance(
            &sessions[..4],
            &[(e0, &[Presente, Presente, Presente, Tarde])],
        )
        .await;
    let (_, results) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/results"),
        Some(&world.staff),
    )
    .await;
    let row = &results["items"][0];
    assert_eq!(row["sessions_total"], 10);
    assert_eq!(row["sessions_attended"], 4);
    // Issue 61: one basis everywhere — 4 of the 4 sessions held, as every page reads it; no
    // verdict before closing.
    assert_eq!(
        row["attendance_pct"], 100.0,
        "4 of 4 held, not 4 of 10 scheduled"
    );
    assert_eq!(row["attendance"]["pct"], 100.0);
    assert_eq!(row["completed"], Value::Null);
    assert_eq!(row["reasons"], json!([]));
    assert_eq!(row["at_risk"], false);
    // Closing now would judge over the 10 scheduled.
    let cohort = domain::entities::cohort::Entity::find_by_id(cohort_id as i32)
        .expect_one(app.db())
        .await;
    let closing = domain::results::at_closing(
        app.db(),
        &cohort,
        &domain::people::scope::PersonScope::All,
        None,
    )
    .await
    .unwrap();
    assert_eq!(closing[0].reasons, ["asistencia 40 % < 80 %"]);
    // The participant's own page of progress says they are still on track.
    let progress = api_get(&app, "/api/v1/me/progress", Some(&crowd[0].token))
        .await
        .expect_status(Status::Ok);
    let mine = json_items(&progress)
        .iter()
        .find(|p| p["cohort_id"] == cohort_id)
        .unwrap();
    assert_eq!(mine["on_track"], true);
    assert_eq!(mine["at_risk"], false);
    assert_eq!(mine["absences_left"], 2);
    assert_eq!(json_array(&mine["sessions"]).len(), 10);
    assert_eq!(mine["sessions"][0]["status"], "presente");
    assert_eq!(mine["sessions"][9]["status_label"], "Próxima");
}

#[rocket::async_test]
async fn closing_freezes_results_and_refuses_later_marks() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(10)
        .min_attendance(75)
        .sessions_from_now(&days_ago(4), 120)
        .create()
        .await;
    let crowd = world.people("cierre").count(3).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let e2 = world.enrol(cohort_id, crowd[2].id).await.id;
    api_delete(
        &app,
        &format!("/api/v1/enrolments/{e2}"),
        Some(&world.staff),
    )
    .await;
    use Mark::*;
    world
        .take_attendance(
            &sessions,
            &[
                (e0, &[Presente, Presente, Ausente, Tarde]),
                (e1, &[Presente, Ausente, Ausente, Presente]),
            ],
        )
        .await;
    for status in ["in_progress", "closed"] {
        world.move_cohort(cohort_id, status).await;
    }
    let db = app.db();
    let stored = |id: i64| async move {
        enrolment::Entity::find_by_id(id as i32)
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let first = stored(e0).await;
    assert_eq!(first.status, EnrolmentStatus::Completed);
    assert_eq!(
        (
            first.sessions_total,
            first.sessions_attended,
            first.final_grade_milli
        ),
        (Some(4), Some(3), None)
    );
    let second = stored(e1).await;
    assert_eq!(second.status, EnrolmentStatus::NotCompleted);
    assert_eq!(second.sessions_attended, Some(2));
    assert_eq!(
        stored(e2).await.status,
        EnrolmentStatus::Cancelled,
        "cancelled stays cancelled"
    );
    let frozen = audit_entries(app.db(), "enrolment.completed").await;
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].subject_id, e0.to_string());
    assert_eq!(
        audit_entries(app.db(), "enrolment.not_completed")
            .await
            .len(),
        1
    );

    // Marks of a closed cohort: 409.
    let (status, problem) = put_marks(
        &app,
        &world.instructor,
        sessions[2],
        json!([{"enrolment_id": e1, "status": "presente"}]),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{problem}");
    // Results read the frozen values, even if the schedule changed afterwards.
    let now = domain::time::now();
    cohort_session::Entity::insert(cohort_session::ActiveModel {
        cohort_id: Set(cohort_id as i32),
        starts_at: Set(now - Duration::hours(30)),
        ends_at: Set(now - Duration::hours(29)),
        topic: Set("Sesión añadida por fuera".into()),
        location: Set(None),
        check_in_secret: Set("x".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap();
    let (_, results) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/results"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(results["closed"], true);
    assert_eq!(results["total"], 2, "cancelled enrolments have no results");
    let row = |e: i64| {
        json_items(&results)
            .iter()
            .find(|r| r["enrolment_id"] == e)
            .unwrap()
            .clone()
    };
    assert_eq!(row(e0)["sessions_total"], 4);
    assert_eq!(row(e0)["attendance_pct"], 75.0);
    assert_eq!(row(e0)["completed"], true);
    assert_eq!(row(e1)["completed"], false);
    assert_eq!(row(e1)["reasons"], json!(["asistencia 50 % < 75 %"]));
}

#[rocket::async_test]
async fn the_at_risk_warning_is_sent_once_to_the_participant_and_the_coordinator() {
    let smtp = SmtpServer::start().await;
    let app =
        TestApp::with_config(&[("demo_data", json!(true)), ("smtp_url", json!(smtp.url()))]).await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .name("Seguimiento 5")
        .seats(10)
        .sessions_from_now(&days_ago(5), 120)
        .create()
        .await;
    let crowd = world.people("riesgo").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let config = app.client.rocket().state::<AppConfig>().unwrap().clone();
    let at_risk_mail = || async {
        outbox::Entity::find()
            .filter(outbox::Column::DedupeKey.like("asistencia_en_riesgo%"))
            .fetch_count(app.db())
            .await
    };
    let absent = |e: i64| json!([{"enrolment_id": e, "status": "ausente"}]);
    // One absence of five: 80 % is still reachable.
    put_marks(&app, &world.instructor, sessions[0], absent(e0)).await;
    assert_eq!(at_risk_mail().await, 0);
    // Two (one excused): at most 60 %. Warned.
    let (status, _) = put_marks(
        &app,
        &world.instructor,
        sessions[1],
        json!([{"enrolment_id": e0, "status": "excusado"}]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        at_risk_mail().await,
        2,
        "the participant and the cohort's coordinator"
    );
    // More absences, and a correction back and forth: no second warning.
    put_marks(&app, &world.instructor, sessions[2], absent(e0)).await;
    put_marks(
        &app,
        &world.instructor,
        sessions[1],
        json!([{"enrolment_id": e0, "status": "presente"}]),
    )
    .await;
    put_marks(
        &app,
        &world.instructor,
        sessions[2],
        json!([{"enrolment_id": e0, "status": "presente"}]),
    )
    .await;
    put_marks(&app, &world.instructor, sessions[2], absent(e0)).await;
    put_marks(&app, &world.instructor, sessions[1], absent(e0)).await;
    assert_eq!(at_risk_mail().await, 2);
    assert_eq!(audit_entries(app.db(), "enrolment.at_risk").await.len(), 1);
    // Someone else becoming at risk: their own warning and a new list for the coordinator.
    put_marks(&app, &world.instructor, sessions[3], absent(e1)).await;
    put_marks(&app, &world.instructor, sessions[4], absent(e1)).await;
    assert_eq!(at_risk_mail().await, 4);

    for _ in 0..2 {
        domain::mail::deliver_due(app.db(), &config).await.unwrap();
    }
    // Besides the two enrolment confirmations.
    let received: Vec<_> = smtp
        .wait_for(6, 5)
        .await
        .into_iter()
        .filter(|m| !subject(&m.raw).starts_with("Inscripción confirmada"))
        .collect();
    let mut seen: Vec<(String, String)> = received
        .iter()
        .map(|m| (m.to[0].clone(), subject(&m.raw)))
        .collect();
    seen.sort();
    let (coordinator, _) = demo_account(Role::Coordinator);
    let cohort_name = "Seguimiento 5";
    assert_eq!(
        seen,
        [
            (
                coordinator.to_string(),
                format!("1 participante en riesgo de no aprobar por asistencia: {cohort_name}")
            ),
            (
                coordinator.to_string(),
                format!("1 participante en riesgo de no aprobar por asistencia: {cohort_name}")
            ),
            (
                "riesgo0@example.org".to_string(),
                format!("Su asistencia en {cohort_name} ya no alcanza el mínimo")
            ),
            (
                "riesgo1@example.org".to_string(),
                format!("Su asistencia en {cohort_name} ya no alcanza el mínimo")
            ),
        ]
    );
    let to_participant = received
        .iter()
        .find(|m| m.to[0] == "riesgo0@example.org")
        .unwrap();
    let text = plain_text(&to_participant.raw);
    assert!(text.contains("80 %"), "{text}");
    assert!(text.contains("Asistencia máxima posible: 60 %"), "{text}");
    let lists: Vec<String> = received
        .iter()
        .filter(|m| m.to[0] == coordinator)
        .map(|m| plain_text(&m.raw))
        .collect();
    assert!(
        lists
            .iter()
            .any(|t| t.contains("Persona riesgo 0") && !t.contains("Persona riesgo 1"))
    );
    assert!(
        lists
            .iter()
            .any(|t| t.contains("Persona riesgo 1") && !t.contains("Persona riesgo 0"))
    );
    domain::mail::deliver_due(app.db(), &config).await.unwrap();
    assert_eq!(smtp.received().len(), 6);
}

// ---- The offline sheet -------------------------------------------------------------------

#[rocket::async_test]
async fn the_offline_sheet_round_trips_all_or_nothing_with_a_preview() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let Cohort {
        id: cohort_id,
        sessions: s,
    } = world
        .cohort()
        .seats(10)
        .sessions_from_now(
            &[Duration::days(-2), Duration::days(-1), Duration::days(3)],
            120,
        )
        .create()
        .await;
    let crowd = world.people("planilla").count(3).create().await;
    let mut e = Vec::new();
    for person in &crowd {
        e.push(world.enrol(cohort_id, person.id).await.id);
    }
    put_marks(
        &app,
        &world.instructor,
        s[0],
        json!([{"enrolment_id": e[0], "status": "presente"}]),
    )
    .await;

    let (status, kind, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &world.instructor,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(kind.unwrap().contains("spreadsheetml"));
    let table = read_table(&bytes, "Asistencia", "Sesión");
    assert_eq!(
        table[0],
        [
            "Sesión",
            "Fecha y hora",
            "Tema",
            "Inscripción",
            "Tipo de documento",
            "Número de documento",
            "Nombre",
            "Municipio",
            "Asistencia",
            "Nota"
        ]
    );
    assert_eq!(table.len(), 1 + 3 * 3, "every person for every session");
    let first = &table[1];
    assert_eq!(first[0], s[0].to_string());
    assert_eq!(first[7], "Puerto Rico");
    let row_of = |table: &[Vec<String>], session: i64, enrolment: i64| {
        table
            .iter()
            .position(|r| r[0] == session.to_string() && r[3] == enrolment.to_string())
            .unwrap()
    };
    assert_eq!(
        table[row_of(&table, s[0], e[0])][8],
        "presente",
        "current marks are filled in"
    );
    // The status column has a drop-down list.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(xml.contains("<dataValidation type=\"list\""), "{xml}");
    assert!(xml.contains("\"presente,tarde,excusado,ausente\""));

    // Filled offline.
    let mut filled = table.clone();
    let set = |t: &mut Vec<Vec<String>>, session: i64, enrolment: i64, status: &str, note: &str| {
        let r = row_of(t, session, enrolment);
        t[r][8] = status.to_string();
        t[r][9] = note.to_string();
    };
    set(&mut filled, s[0], e[1], "Tarde", "");
    set(&mut filled, s[0], e[2], "ausente", "No llegó");
    set(&mut filled, s[1], e[0], "EXCUSADO", "Calamidad doméstica");
    let file = write_table(&filled);
    let path = format!("/api/v1/cohorts/{cohort_id}/attendance/import");
    // The preview: what would change, nothing saved.
    let (status, preview) = upload(
        &app,
        &format!("{path}?dry_run=true"),
        &world.instructor,
        "asistencia.xlsx",
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["unchanged"], 1);
    assert_eq!(json_array(&preview["changes"]).len(), 3);
    let change = json_array(&preview["changes"])
        .iter()
        .find(|c| c["enrolment_id"] == e[2])
        .unwrap();
    assert_eq!(change["status"], "ausente");
    assert_eq!(change["before"], Value::Null);
    assert_eq!(change["note"], "No llegó");
    assert_eq!(mark_count(app.db(), &s).await, 1);
    // Saved.
    let (status, saved) = upload(&app, &path, &world.instructor, "asistencia.xlsx", &file).await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(saved["dry_run"], false);
    assert_eq!(mark_count(app.db(), &s).await, 4);
    let from_sheet = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::Source.eq(MarkSource::Sheet))
        .filter(attendance_mark::Column::SessionId.is_in(s.iter().map(|s| *s as i32)))
        .fetch_count(app.db())
        .await;
    assert_eq!(from_sheet, 3);
    assert_eq!(audit_entries(app.db(), "attendance.marked").await.len(), 4);

    // Bad rows: 422 with row, column and message; nothing saved.
    let mut bad = filled.clone();
    set(&mut bad, s[1], e[1], "quizás", "");
    set(&mut bad, s[2], e[0], "presente", "");
    let r = row_of(&bad, s[1], e[2]);
    bad[r][3] = "999999".into();
    bad[r][8] = "presente".into();
    set(&mut bad, s[0], e[0], "ausente", "");
    let (status, problem) = upload(
        &app,
        &path,
        &world.instructor,
        "asistencia.xlsx",
        &write_table(&bad),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let errors: Vec<(u64, String, String)> = json_array(&problem["errors"])
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                json_str(&e["field"]).to_string(),
                json_str(&e["message"]).to_string(),
            )
        })
        .collect();
    let excel_row = |r: usize| r as u64 + 1; // header written in row 1
    assert!(
        errors.contains(&(
            excel_row(row_of(&bad, s[1], e[1])),
            "Asistencia".into(),
            "«quizás» no es una asistencia válida: escriba presente, tarde, excusado o ausente."
                .into()
        )),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(
            |(row, field, message)| *row == excel_row(row_of(&bad, s[2], e[0]))
                && field == "Sesión"
                && message.contains("aún no ha empezado")
        ),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(row, field, message)| *row == excel_row(r)
                && field == "Inscripción"
                && message.contains("999999 no existe")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 3);
    let unchanged = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(s[0] as i32))
        .filter(attendance_mark::Column::EnrolmentId.eq(e[0] as i32))
        .expect_one(app.db())
        .await;
    assert_eq!(unchanged.status, Mark::Presente, "all or nothing");
    assert_eq!(mark_count(app.db(), &s).await, 4);

    // Read back: the saved marks are in the next download.
    let (_, _, again) = download(
        &app,
        &format!("/api/v1/sessions/{}/attendance.xlsx", s[0]),
        &world.staff,
    )
    .await;
    let session_table = read_table(&again, "Asistencia", "Sesión");
    assert_eq!(
        session_table.len(),
        1 + 3,
        "a session's sheet has only that session"
    );
    assert_eq!(
        session_table[row_of(&session_table, s[0], e[1])][8],
        "tarde"
    );
    assert_eq!(
        session_table[row_of(&session_table, s[0], e[2])][9],
        "No llegó"
    );
    // A session's sheet only takes that session's rows.
    let (status, problem) = upload(
        &app,
        &format!("/api/v1/sessions/{}/attendance/import", s[0]),
        &world.staff,
        "s.xlsx",
        &write_table(&filled),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        json_str(&problem["errors"][0]["message"]).contains("no es la sesión de esta planilla"),
        "{problem}"
    );
    // Readers cannot upload; participants cannot download.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &reviewer,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, _) = upload(&app, &path, &reviewer, "asistencia.xlsx", &file).await;
    assert_eq!(status, Status::Forbidden);
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &crowd[0].token,
    )
    .await;
    assert_eq!(status, Status::Forbidden);
}

// ---- Pages ---------------------------------------------------------------------------------

#[rocket::async_test]
async fn an_instructor_takes_attendance_in_the_browser_and_a_participant_checks_in_by_phone() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    // Started a few minutes ago, and today in Colombia even just after midnight.
    let now = domain::time::now();
    let midnight = domain::time::from_local(domain::time::today(), 0, 0);
    let started = Duration::minutes(5).min(now - midnight);
    let Cohort {
        id: cohort_id,
        sessions: s,
    } = world
        .cohort()
        .name("Seguimiento 2")
        .seats(10)
        .sessions_from_now(&[-started, Duration::days(-3)], 120)
        .create()
        .await;
    let crowd = world.people("pagina").count(2).create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    let e1 = world.enrol(cohort_id, crowd[1].id).await.id;
    let now_session = s[0];

    // The instructor's home: today's session first, with the links to take attendance.
    let (email, password) = demo_account(Role::Instructor);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let (_, home) = page(&app, "/").await;
    let today = home.find("Sesiones de hoy").unwrap();
    let mine = home.find("Mis cohortes").unwrap();
    assert!(today < mine);
    assert!(
        home.contains(&format!("href=\"/seguimiento/sesiones/{now_session}\"")),
        "{home}"
    );
    assert!(home.contains(&format!(
        "href=\"/seguimiento/sesiones/{now_session}/codigo\""
    )));
    assert!(home.contains(&format!("href=\"/seguimiento/cohortes/{cohort_id}\"")));

    // "Mark everyone present" fills the form; the instructor corrects one and saves.
    let (status, form) = page(
        &app,
        &format!("/seguimiento/sesiones/{now_session}?prellenar=presente"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(
        form.contains(&format!("name=\"estado[{e0}]\" value=\"presente\" checked")),
        "{form}"
    );
    assert!(form.contains(&format!("name=\"estado[{e1}]\" value=\"presente\" checked")));
    assert!(form.contains("<legend class=\"sr\">Asistencia de Persona pagina 0</legend>"));
    let csrf = csrf_from(&app, &format!("/seguimiento/sesiones/{now_session}")).await;
    let path = format!("/seguimiento/sesiones/{now_session}");
    let (k0, k1, n1) = (
        format!("estado[{e0}]"),
        format!("estado[{e1}]"),
        format!("nota[{e1}]"),
    );
    let response = post_form(
        &app,
        &path,
        &[("csrf_token", &csrf), (&k0, "quizás"), (&k1, "ausente")],
    )
    .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("«quizás» no es una asistencia válida"),
        "{html}"
    );
    assert!(html.contains("<tr class=\"invalid\">"));
    assert_eq!(mark_count(app.db(), &s).await, 0);
    let response = post_form(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            (&k0, "presente"),
            (&k1, "ausente"),
            (&n1, "Avisó que llega tarde"),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(mark_count(app.db(), &s).await, 2);
    let (_, saved) = page(&app, &path).await;
    assert!(
        saved.contains("Asistencia guardada: 2 marcas nuevas o cambiadas."),
        "{saved}"
    );
    assert!(saved.contains("value=\"Avisó que llega tarde\""));
    // Without a CSRF token: refused.
    let response = post_form(&app, &path, &[(&k0, "ausente")]).await;
    assert_eq!(response.status(), Status::Forbidden);

    // The code to show on the projector: six digits and a QR code drawn in SVG, refreshed.
    let (status, code_page) =
        page(&app, &format!("/seguimiento/sesiones/{now_session}/codigo")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        code_page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{code_page}"
    );
    assert!(code_page.contains("<meta http-equiv=\"refresh\" content=\"20\">"));
    // Issue 66: only the product's one script (the offline queue and worker), no inline one.
    assert_eq!(
        code_page.matches("<script").count(),
        1,
        "only the product's script"
    );
    assert!(code_page.contains("<script src=\"/static/aula."));
    let shown = code_page.split("<p class=\"code\"").nth(1).unwrap();
    let shown: String = shown[shown.find('>').unwrap() + 1..shown.find("</p>").unwrap()]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(shown.len(), 6);
    // The printable sign-in sheet and the follow-up page.
    let (status, sheet) = page(
        &app,
        &format!("/seguimiento/sesiones/{now_session}/planilla"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(sheet.contains("Persona pagina 0") && sheet.contains("Firma"));
    let (status, followup) = page(&app, &format!("/seguimiento/cohortes/{cohort_id}")).await;
    assert_eq!(status, Status::Ok);
    assert!(followup.contains("<svg class=\"chart\""), "{followup}");
    assert!(followup.contains("1 de 2 (50 %)"));
    assert!(followup.contains("se aprueba solo con la asistencia"));

    // The offline sheet through the page: upload, preview, confirm.
    let (_, _, bytes) = download(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/attendance.xlsx"),
        &world.instructor,
    )
    .await;
    let mut table = read_table(&bytes, "Asistencia", "Sesión");
    let r = table
        .iter()
        .position(|row| row[0] == s[1].to_string() && row[3] == e1.to_string())
        .unwrap();
    table[r][8] = "tarde".into();
    let csrf = csrf_from(&app, &format!("/seguimiento/cohortes/{cohort_id}")).await;
    let (status, preview) = post_file(
        &app,
        &format!("/seguimiento/cohortes/{cohort_id}/asistencia/subir"),
        &csrf,
        "planilla.xlsx",
        &write_table(&table),
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert!(preview.contains("Confirmar y guardar"));
    assert_eq!(
        mark_count(app.db(), &s).await,
        2,
        "the preview saves nothing"
    );
    let fields = hidden_inputs(&preview);
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = post_form(
        &app,
        &format!("/seguimiento/cohortes/{cohort_id}/asistencia/confirmar"),
        &refs,
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(mark_count(app.db(), &s).await, 3);
    // A bad file shows every problem with its row and saves nothing.
    table[r][8] = "quizás".into();
    upload_refused(
        &app,
        &format!("/seguimiento/cohortes/{cohort_id}/asistencia/subir"),
        &csrf,
        &write_table(&table),
        r + 1,
        "Asistencia",
    )
    .await;

    // Another instructor: 404 on every page of this cohort.
    world.other_instructor().await;
    assert_eq!(
        sign_in_page(&app, "otra.instructora@example.org", "Instruye-Otra-2026").await,
        Status::SeeOther
    );
    for path in [
        format!("/seguimiento/cohortes/{cohort_id}"),
        format!("/seguimiento/sesiones/{now_session}"),
        format!("/seguimiento/sesiones/{now_session}/codigo"),
    ] {
        assert_eq!(page(&app, &path).await.0, Status::NotFound, "{path}");
    }

    // The participant marked absent arrives, scans the QR code and checks in: presente.
    assert_eq!(
        sign_in_page(&app, "pagina1@example.org", "Clave-segura-2026").await,
        Status::SeeOther
    );
    // Their home offers the running session's check-in without the QR code (issue 18).
    let (_, home) = page(&app, "/").await;
    assert!(home.contains("Sesión en curso"), "{home}");
    assert!(
        home.contains(&format!("href=\"/sesiones/{now_session}/registro\"")),
        "{home}"
    );
    let code = code_for(&app, &world.staff, now_session).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, check_in_form) = page(
        &app,
        &format!("/sesiones/{now_session}/registro?codigo={code}"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(
        check_in_form.contains(&format!("value=\"{code}\"")),
        "{check_in_form}"
    );
    let csrf = csrf_from(&app, &format!("/sesiones/{now_session}/registro")).await;
    let response = post_form(
        &app,
        &format!("/sesiones/{now_session}/registro"),
        &[("csrf_token", &csrf), ("codigo", &code)],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let (_, after) = page(&app, &format!("/sesiones/{now_session}/registro")).await;
    assert!(
        after.contains("¡Listo! Su asistencia quedó registrada: presente."),
        "{after}"
    );
    let mark = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(now_session as i32))
        .filter(attendance_mark::Column::EnrolmentId.eq(e1 as i32))
        .expect_one(app.db())
        .await;
    assert_eq!(
        (mark.status, mark.source),
        (Mark::Presente, MarkSource::CheckIn)
    );
    assert_eq!(
        mark.note.as_deref(),
        Some("Avisó que llega tarde"),
        "the note stays"
    );
    // A wrong code says so.
    let response = post_form(
        &app,
        &format!("/sesiones/{now_session}/registro"),
        &[("csrf_token", &csrf), ("codigo", "12")],
    )
    .await;
    // The page again (issue 45): the code as typed, the problem beside it.
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let wrong = response.into_string().await.unwrap();
    assert!(
        wrong.contains("El código no es correcto o ya venció")
            && wrong.contains("id=\"error-codigo\"")
            && wrong.contains("value=\"12\""),
        "{wrong}"
    );
    // Their progress: marks per session and whether they are on track, also on the home page.
    let (status, progress) = page(&app, "/mi-progreso").await;
    assert_eq!(status, Status::Ok);
    assert!(
        progress.contains("Seguimiento 2")
            && progress.contains("Presente")
            && progress.contains("Tarde"),
        "{progress}"
    );
    assert!(progress.contains("Va bien"));
    let (_, home) = page(&app, "/").await;
    assert!(
        home.contains("¿Cómo voy?") && home.contains("Va bien"),
        "{home}"
    );
    // Participants do not see the instructors' pages.
    assert_eq!(
        page(&app, &format!("/seguimiento/cohortes/{cohort_id}"))
            .await
            .0,
        Status::Forbidden
    );
    let _ = e0;
}

#[rocket::async_test]
async fn the_demo_cohorts_pages_render_for_each_role() {
    use domain::entities::cohort;
    use domain::entities::values::CohortStatus;
    let app = TestApp::with_demo().await;
    let cohorts = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in([CohortStatus::InProgress, CohortStatus::Closed]))
        .order_by_asc(cohort::Column::Id)
        .fetch_all(app.db())
        .await;
    assert_eq!(
        cohorts.len(),
        12,
        "five of ESAP (the trainers' cohort of issue 48 among them), one of DNP, and six of the \
         programmes' demo (issue 64: the diplomado's finished edition's four modules, its \
         running Gestión Presupuestal, the earlier one behind a recognition)"
    );
    let (email, password) = demo_account(Role::Instructor);
    sign_in_page(&app, email, password).await;
    for c in &cohorts {
        let (status, html) = page(&app, &format!("/seguimiento/cohortes/{}", c.id)).await;
        assert_eq!(status, Status::Ok, "{html}");
        assert!(html.contains(&c.name));
        let closed = c.status == CohortStatus::Closed;
        assert_eq!(html.contains("los resultados quedaron congelados"), closed);
        assert_eq!(html.contains("Agregar una evaluación"), !closed);
        let (status, grid) = page(&app, &format!("/seguimiento/cohortes/{}/notas", c.id)).await;
        assert_eq!(status, Status::Ok, "{grid}");
        let first = cohort_session::Entity::find()
            .filter(cohort_session::Column::CohortId.eq(c.id))
            .order_by_asc(cohort_session::Column::StartsAt)
            .expect_one(app.db())
            .await;
        let (status, session) = page(&app, &format!("/seguimiento/sesiones/{}", first.id)).await;
        assert_eq!(status, Status::Ok, "{session}");
        assert_eq!(session.contains("Guardar la asistencia"), !closed);
    }
    // The closed cohort's frozen results agree with what the demo stored.
    let closed = cohorts
        .iter()
        .find(|c| c.status == CohortStatus::Closed)
        .unwrap();
    let rows = domain::results::for_cohort(
        app.db(),
        closed.id,
        &domain::people::scope::PersonScope::All,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 9);
    for row in &rows {
        let stored = enrolment::Entity::find_by_id(row.enrolment_id)
            .expect_one(app.db())
            .await;
        assert_eq!(row.final_grade_milli, stored.final_grade_milli);
        assert_eq!(
            row.completed,
            Some(stored.status == EnrolmentStatus::Completed)
        );
        assert_eq!(row.completed, Some(row.reasons.is_empty()), "{row:?}");
    }
    // A reviewer of Caquetá reads the Caquetá cohort, without forms.
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let caqueta = cohorts
        .iter()
        .find(|c| c.status == CohortStatus::InProgress)
        .unwrap();
    let (status, html) = page(&app, &format!("/seguimiento/cohortes/{}", caqueta.id)).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("Agregar una evaluación") && html.contains("Ver asistencia"));
    assert_eq!(
        page(&app, &format!("/seguimiento/cohortes/{}", closed.id))
            .await
            .0,
        Status::NotFound,
        "Meta is not Caquetá"
    );
    // The demo participant follows her course.
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, "/mi-progreso").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&caqueta.name), "{html}");
}

/// Issue 45, «one number for one fact»: a person who attended 3 of the 5 sessions held of 6
/// scheduled reads the same attendance, with its basis, on their progress, the roster, the
/// participants report and its workbook, and in the API.
#[rocket::async_test]
async fn attendance_is_one_number_with_its_basis_wherever_it_is_read() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let mut starts = days_ago(5);
    starts.push(Duration::days(3));
    let Cohort {
        id: cohort_id,
        sessions,
    } = world
        .cohort()
        .seats(10)
        .sessions_from_now(&starts, 120)
        .create()
        .await;
    let crowd = world.people("unacifra").create().await;
    let e0 = world.enrol(cohort_id, crowd[0].id).await.id;
    world.move_cohort(cohort_id, "in_progress").await;
    use Mark::*;
    // Three attended, one absence, the fifth session held but not marked yet.
    world
        .take_attendance(
            &sessions[..5],
            &[(e0, &[Presente, Presente, Tarde, Ausente])],
        )
        .await;
    let basis = "3 de 5 sesiones realizadas (60 %) · 3 de 6 programadas";

    // The participant's progress (page and API).
    let participant = app.another_instance(&[]).await;
    sign_in_client(&participant, "unacifra0@example.org", "Clave-segura-2026").await;
    let progress = body_of(&participant, "/mi-progreso").await;
    assert!(progress.contains(basis), "{progress}");
    // The percentage once (issue 61: not «60 % · 3 de 5 sesiones realizadas (60 %)»).
    assert!(
        progress.contains(&format!("Asistencia: {basis}."))
            && progress.matches("60 %").count() == 1,
        "{progress}"
    );
    let (_, mine) = api_get(&app, "/api/v1/me/progress", Some(&crowd[0].token)).await;
    let mine = json_items(&mine)
        .iter()
        .find(|p| p["cohort_id"] == cohort_id)
        .unwrap()
        .clone();
    assert_eq!(mine["attendance_pct"], 60.0, "{mine}");
    assert_eq!(mine["sessions_held"], 5);
    assert_eq!(mine["attendance"]["text"], basis);
    // The risk reads the same value: one absence of six scheduled still allows 80 %.
    assert_eq!(mine["at_risk"], false);
    assert_eq!(mine["absences_left"], 0);

    // The coordinator's roster (both pages and the API) and the participants report.
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    for path in [
        format!("/coordinacion/cohortes/{cohort_id}/inscripciones"),
        format!("/cohortes/{cohort_id}/inscritos"),
        format!("/reportes/participantes?cohort={cohort_id}"),
    ] {
        let (status, html) = page(&app, &path).await;
        assert_eq!(status, Status::Ok, "{path}");
        assert!(html.contains(basis), "{path}: {html}");
    }
    let (_, roster) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}/enrolments"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(roster["items"][0]["attendance"]["text"], basis, "{roster}");
    assert_eq!(roster["items"][0]["attendance"]["pct"], 60.0);
    let (_, detail) = api_get(
        &app,
        &format!("/api/v1/reports/attendance/participants?cohort={cohort_id}"),
        Some(&world.staff),
    )
    .await;
    assert_eq!(detail["items"][0]["attendance_pct"], 60.0, "{detail}");
    assert_eq!(detail["items"][0]["attendance"]["text"], basis);

    // The report's workbook: the share and its two counts.
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/reports/attendance.xlsx?cohort={cohort_id}"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let rows = read_table(&bytes, "Participantes", "Código DANE");
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let person = rows
        .iter()
        .find(|r| r[column("Nombre")] == "Persona unacifra 0")
        .expect("the person's row");
    assert_eq!(person[column("Sesiones asistidas")], "3");
    assert_eq!(person[column("Sesiones realizadas")], "5");
    assert_eq!(person[column("Sesiones programadas")], "6");
    assert_eq!(person[column("Asistencia (de las realizadas)")], "0.6");
}
