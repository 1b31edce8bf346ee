//! Enrolment: eligibility, seats and the FIFO waiting list, concurrency, cancellations,
//! coordinator actions, and that each notification arrives over SMTP exactly once.

use crate::common::TestApp;
use crate::smtp::{SmtpServer, subject};
use crate::support::*;
use crate::world::{World, demo_cohort};
use domain::config::AppConfig;
use domain::entities::values::{CohortStatus, EnrolmentStatus, Role};
use domain::entities::{audit_log, enrolment, outbox, participant};
use rocket::http::Status;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

async fn enrol_as(app: &TestApp, token: &str, cohort: i64) -> (Status, Value) {
    api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{cohort}/enrolments"),
        Some(token),
        None,
    )
    .await
}

/// How many enrolments (any status, any cohort) the person `participant` has.
async fn enrolments_of(db: &DatabaseConnection, participant: i32) -> u64 {
    enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant))
        .count(db)
        .await
        .unwrap()
}

async fn statuses(db: &DatabaseConnection, cohort: i64) -> (u64, u64) {
    let count = |status| async move {
        enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .filter(enrolment::Column::Status.eq(status))
            .count(db)
            .await
            .unwrap()
    };
    (
        count(EnrolmentStatus::Enrolled).await,
        count(EnrolmentStatus::Waitlisted).await,
    )
}

#[rocket::async_test]
async fn each_eligibility_rule_is_enforced_with_its_reason() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let caqueta_only = world
        .cohort()
        .seats(10)
        .targets(&["18592", "18256"], &[])
        .create()
        .await
        .id;
    let (email, password) = demo_account(Role::Participant); // María Fernanda, Puerto Rico (18592)
    let maria = token(&app, email, password).await;

    let (status, created) = enrol_as(&app, &maria, caqueta_only).await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["status"], "enrolled");
    assert_eq!(created["waitlist_position"], Value::Null);
    // Twice: 409.
    let (status, problem) = enrol_as(&app, &maria, caqueta_only).await;
    assert_eq!(status, Status::Conflict);
    assert!(json_str(&problem["detail"]).contains("ya tiene una inscripción vigente"));

    // From elsewhere: 422 with the reason; a coordinator may override with a reason (audited).
    let meta = world.people("meta").of("50325").create().await;
    let (status, problem) = enrol_as(&app, &meta[0].token, caqueta_only).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let reason = json_str(&problem["errors"][0]["message"]);
    assert!(
        reason.contains("Puerto Rico (Caquetá)") && reason.contains("Mapiripán no está incluido"),
        "{reason}"
    );
    let path = format!("/api/v1/cohorts/{caqueta_only}/enrolments");
    let (status, _) = api_post(&app, &path, Some(staff), json!({"participant_id": meta[0].id, "override_eligibility": true, "override_reason": "  "})).await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "an override needs a reason"
    );
    api_post(&app, &path, Some(staff), json!({"participant_id": meta[0].id, "override_eligibility": true, "override_reason": "Traslado a Caquetá en curso"})).await.expect_status(Status::Created);
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("enrolment.created_with_override"))
        .expect_one(app.db())
        .await;
    assert!(
        entry
            .after_json
            .unwrap()
            .contains("Traslado a Caquetá en curso")
    );

    // By document, as coordinators usually do; dots as typed.
    let other = world.people("paujil").of("18256").create().await;
    let document = participant::Entity::find_by_id(other[0].id)
        .expect_one(app.db())
        .await
        .document_number;
    let dotted = format!("{}.{}", &document[..3], &document[3..]);
    api_post(
        &app,
        &path,
        Some(staff),
        json!({"document_type": "cc", "document_number": dotted}),
    )
    .await
    .expect_status(Status::Created);
    let problem = api_post(
        &app,
        &path,
        Some(staff),
        json!({"document_type": "CC", "document_number": "99999999"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(
        json_str(&problem["errors"][0]["message"]).contains("No hay ninguna persona registrada")
    );

    // A cohort that is not open: 409. A cohort whose window has not opened: 409.
    let in_progress = demo_cohort(app.db(), CohortStatus::InProgress).await;
    let (status, problem) = enrol_as(&app, &maria, in_progress.id as i64).await;
    assert_eq!(status, Status::Conflict);
    assert!(json_str(&problem["detail"]).contains("no recibe inscripciones"));
    let later = world
        .cohort()
        .seats(10)
        .targets(&["18592"], &[])
        .create()
        .await
        .id;
    let opens = (domain::time::today() + chrono::Duration::days(2)).to_string();
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{later}"),
        Some(staff),
        json!({"enrolment_opens": opens}),
    )
    .await
    .expect_status(Status::Ok);
    let (status, problem) = enrol_as(&app, &maria, later).await;
    assert_eq!(status, Status::Conflict);
    assert!(
        json_str(&problem["detail"]).contains(&format!(
            "van del {}",
            domain::format::date(opens.parse().unwrap())
        )),
        "{problem}"
    );
    // A draft does not exist for participants; reviewers cannot enrol.
    let draft = demo_cohort(app.db(), CohortStatus::Draft).await;
    assert_eq!(
        enrol_as(&app, &maria, draft.id as i64).await.0,
        Status::NotFound
    );
    let reviewer = role_token(&app, Role::Reviewer).await;
    assert_eq!(
        enrol_as(&app, &reviewer, caqueta_only).await.0,
        Status::Forbidden,
        "a reviewer only reads"
    );
}

#[rocket::async_test]
async fn seats_are_a_hard_limit_and_the_waiting_list_moves_first_in_first_out() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let staff = &world.staff;
    let cohort = world.cohort().seats(2).create().await.id;
    let crowd = world.people("fifo").count(5).of("18610").create().await;
    let mut ids = Vec::new();
    for (n, person) in crowd.iter().enumerate() {
        let (status, body) = enrol_as(&app, &person.token, cohort).await;
        assert_eq!(status, Status::Created);
        let expected = if n < 2 { json!(null) } else { json!(n - 1) };
        assert_eq!(body["waitlist_position"], expected, "person {n}");
        ids.push(body["id"].as_i64().unwrap());
    }
    assert_eq!(statuses(app.db(), cohort).await, (2, 3));

    // The first enrolled cancels: the first waiting gets the seat, the rest move up.
    let cancelled = api_delete(
        &app,
        &format!("/api/v1/enrolments/{}", ids[0]),
        Some(&crowd[0].token),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(cancelled["status"], "cancelled");
    let (_, mine) = api_get(&app, "/api/v1/me/enrolments", Some(&crowd[2].token)).await;
    assert_eq!(
        mine["items"][0]["status"], "enrolled",
        "first in line promoted"
    );
    let (_, mine) = api_get(&app, "/api/v1/me/enrolments", Some(&crowd[3].token)).await;
    assert_eq!(mine["items"][0]["waitlist_position"], 1);
    let (_, mine) = api_get(&app, "/api/v1/me/enrolments", Some(&crowd[4].token)).await;
    assert_eq!(mine["items"][0]["waitlist_position"], 2);
    // Cancelling again: 409. Someone else's enrolment: 404.
    assert_eq!(
        api_delete(
            &app,
            &format!("/api/v1/enrolments/{}", ids[0]),
            Some(&crowd[0].token)
        )
        .await
        .0,
        Status::Conflict
    );
    assert_eq!(
        api_delete(
            &app,
            &format!("/api/v1/enrolments/{}", ids[1]),
            Some(&crowd[0].token)
        )
        .await
        .0,
        Status::NotFound
    );

    // More seats: the whole waiting list moves in, in order.
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort}"),
        Some(staff),
        json!({"seats": 4}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(statuses(app.db(), cohort).await, (4, 0));
    // Fewer seats than people enrolled: refused.
    let problem = api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort}"),
        Some(staff),
        json!({"seats": 3}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(json_str(&problem["errors"][0]["message"]).contains("Ya hay 4 personas inscritas"));

    // A coordinator cancels with a reason and may admit a waiting person with an extra seat.
    let late = world.people("tarde").of("18610").create().await;
    let (_, waiting) = enrol_as(&app, &late[0].token, cohort).await;
    assert_eq!(waiting["waitlist_position"], 1);
    let admitted = api(
        &app,
        "POST",
        &format!("/api/v1/enrolments/{}/admit", waiting["id"]),
        Some(staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(admitted["status"], "enrolled");
    let (_, view) = api_get(&app, &format!("/api/v1/cohorts/{cohort}"), Some(staff)).await;
    assert_eq!(view["seats"], 5);
    api(
        &app,
        "DELETE",
        &format!("/api/v1/enrolments/{}", ids[1]),
        Some(staff),
        Some(json!({"reason": "Cambió de entidad"})),
    )
    .await
    .expect_status(Status::Ok);
    let row = enrolment::Entity::find_by_id(ids[1] as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(
        row.cancellation_reason.as_deref(),
        Some("Cambió de entidad")
    );

    // The roster: coordinators and reviewers in scope; not participants.
    let roster = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments"),
        Some(staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(roster["total"], 6);
    let reviewer = role_token(&app, Role::Reviewer).await;
    assert_eq!(
        api_get(
            &app,
            &format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(&reviewer)
        )
        .await
        .0,
        Status::Ok
    );
    assert_eq!(
        api_get(
            &app,
            &format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(&crowd[1].token)
        )
        .await
        .0,
        Status::Forbidden
    );
}

/// Many simultaneous requests for few seats: never overbooked, never two equal positions.
#[test]
fn concurrent_requests_never_overbook_nor_share_a_waitlist_position() {
    threaded().block_on(async {
        let app = TestApp::with_demo().await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(7).national().create().await.id;
        let crowd = world.people("carrera").count(40).of("18094").create().await;
        let requests = crowd
            .iter()
            .map(|person| enrol_as(&app, &person.token, cohort));
        let responses = rocket::futures::future::join_all(requests).await;
        assert!(
            responses
                .iter()
                .all(|(status, _)| *status == Status::Created),
            "{:?}",
            responses
                .iter()
                .filter(|r| r.0 != Status::Created)
                .collect::<Vec<_>>()
        );
        assert_eq!(statuses(app.db(), cohort).await, (7, 33));
        let mut positions: Vec<i64> = responses
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(
            positions,
            (1..=33).collect::<Vec<_>>(),
            "positions handed out once each"
        );
        let mut tickets: Vec<i32> = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .fetch_all(app.db())
            .await
            .into_iter()
            .filter_map(|e| e.waitlist_seq)
            .collect();
        tickets.sort_unstable();
        tickets.dedup();
        assert_eq!(tickets.len(), 33);

        // The same person pressing twice at once: one enrolment.
        let twice = world.people("doble").of("18094").create().await;
        let (a, b) = rocket::tokio::join!(
            enrol_as(&app, &twice[0].token, cohort),
            enrol_as(&app, &twice[0].token, cohort)
        );
        let mut codes = [a.0.code, b.0.code];
        codes.sort_unstable();
        assert_eq!(codes, [201, 409]);
    });
}

#[rocket::async_test]
async fn each_notification_arrives_over_smtp_exactly_once() {
    let smtp = SmtpServer::start().await;
    let app =
        TestApp::with_config(&[("demo_data", json!(true)), ("smtp_url", json!(smtp.url()))]).await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .name("Tributaria para el piloto")
        .online("https://sala.example.org/tributaria")
        .seats(1)
        .targets(&["18094"], &[])
        .create()
        .await
        .id;
    let crowd = world.people("aviso").count(2).of("18094").create().await;
    let (_, first) = enrol_as(&app, &crowd[0].token, cohort).await;
    enrol_as(&app, &crowd[1].token, cohort).await;
    api_delete(
        &app,
        &format!("/api/v1/enrolments/{}", first["id"]),
        Some(&crowd[0].token),
    )
    .await;

    let config = app.client.rocket().state::<AppConfig>().unwrap().clone();
    for _ in 0..3 {
        domain::mail::deliver_due(app.db(), &config).await.unwrap();
    }
    let received = smtp.wait_for(4, 5).await;
    let mut subjects: Vec<(String, String)> = received
        .iter()
        .map(|m| (m.to[0].clone(), subject(&m.raw)))
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            (
                "aviso0@example.org".to_string(),
                "Inscripción cancelada: Tributaria para el piloto".to_string()
            ),
            (
                "aviso0@example.org".to_string(),
                "Inscripción confirmada: Tributaria para el piloto".to_string()
            ),
            (
                "aviso1@example.org".to_string(),
                "Lista de espera (puesto 1): Tributaria para el piloto".to_string()
            ),
            (
                "aviso1@example.org".to_string(),
                "¡Tiene cupo! Tributaria para el piloto".to_string()
            ),
        ]
    );
    let confirmation = received
        .iter()
        .find(|m| subject(&m.raw).starts_with("Inscripción confirmada"))
        .unwrap();
    assert!(
        confirmation.raw.contains("text/calendar"),
        "a calendar file goes with the confirmation"
    );
    assert!(confirmation.raw.contains("calendario.ics"));
    // Delivering again sends nothing new.
    domain::mail::deliver_due(app.db(), &config).await.unwrap();
    assert_eq!(smtp.received().len(), 4);
    assert_eq!(outbox::Entity::find().fetch_count(app.db()).await, 4);
}

#[rocket::async_test]
async fn rosters_are_for_coordinators_instructors_and_reviewers_in_scope() {
    let app = TestApp::with_demo().await;
    let planning = demo_cohort(app.db(), CohortStatus::InProgress).await;
    let budget = demo_cohort(app.db(), CohortStatus::Closed).await;
    for role in [Role::Coordinator, Role::Instructor, Role::Reviewer] {
        let (email, password) = demo_account(role);
        sign_in_page(&app, email, password).await;
        let response = app
            .client
            .get(format!("/cohortes/{}/inscritos", planning.id))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "{role}");
        let html = response.into_string().await.unwrap();
        assert!(
            html.contains("María Fernanda Muñoz Peña") && html.contains("Secretaria de Planeación"),
            "{role}: position shown"
        );
        assert!(
            html.contains("participante@aulaterritorial.example"),
            "{role}: contact shown"
        );
    }
    // Filters: by text and by status.
    let html = body_of(
        &app.client,
        format!("/cohortes/{}/inscritos?q=munoz", planning.id),
    )
    .await;
    assert!(html.contains("María Fernanda Muñoz Peña") && !html.contains("Quintero"));
    // The Caquetá reviewer does not see Meta's cohort; participants see no rosters.
    assert_eq!(
        app.client
            .get(format!("/cohortes/{}/inscritos", budget.id))
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
    let (email, password) = demo_account(Role::Participant);
    sign_in_page(&app, email, password).await;
    assert_eq!(
        app.client
            .get(format!("/cohortes/{}/inscritos", planning.id))
            .dispatch()
            .await
            .status(),
        Status::Forbidden
    );
}

/// Found by schemathesis: the roster said `2026-11-23 01:42`; the contract's date-times are
/// RFC 3339 with the Colombian offset.
#[rocket::async_test]
async fn roster_dates_are_rfc3339_with_the_colombian_offset() {
    let app = TestApp::with_demo().await;
    let planning = demo_cohort(app.db(), CohortStatus::InProgress).await;
    let token = role_token(&app, Role::Coordinator).await;
    let body = api_get(
        &app,
        &format!("/api/v1/cohorts/{}/enrolments", planning.id),
        Some(&token),
    )
    .await
    .expect_status(Status::Ok);
    let items = json_items(&body);
    assert!(!items.is_empty());
    for row in items {
        let text = json_str(&row["enrolled_at"]);
        let at = chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"));
        assert_eq!(at.offset().local_minus_utc(), -5 * 3600, "{text}");
    }
}

/// SQLite (issue 36): a burst of writers waits for this process's write turn, in order, rather
/// than in SQLite's busy handler, which sleeps while the lock sits free — with a one-second
/// lock wait, 120 people enrolling at once all get their answer, none a 503. (PostgreSQL has no
/// turn: its row locks hand over at once, and a one-second `lock_timeout` is meant to fail.)
#[test]
fn a_burst_of_enrolments_on_sqlite_waits_its_turn_instead_of_failing() {
    threaded().block_on(async {
        let app = TestApp::with_config(&[
            ("demo_data", json!(true)),
            ("database_busy_seconds", json!(1)),
        ])
        .await;
        if !domain::db::is_sqlite(app.db()) {
            return;
        }
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(50).national().create().await.id;
        let crowd = world.people("rafaga").count(120).of("18094").create().await;
        let requests = crowd
            .iter()
            .map(|person| enrol_as(&app, &person.token, cohort));
        let responses = rocket::futures::future::join_all(requests).await;
        let failed: Vec<_> = responses
            .iter()
            .filter(|(status, _)| *status != Status::Created)
            .collect();
        assert!(
            failed.is_empty(),
            "{} without a seat or a place: {failed:?}",
            failed.len()
        );
        assert_eq!(statuses(app.db(), cohort).await, (50, 70));
    });
}

/// Issue 50: people enrolling themselves into one cohort at the same moment are decided
/// together at the cohort's desk (`enrolment::desk`) — and each still gets her own answer: a
/// seat or her own place in the waiting list, her own refusal (a municipality the cohort is
/// not offered to, a second press of the same button), her own email and audit row. Fails
/// when the desk decides one person per transaction (the statements would not shrink) or when
/// a refusal in a batch takes the others' answers with it.
#[test]
fn people_at_the_same_moment_are_decided_together_each_with_her_own_answer() {
    threaded().block_on(async {
        let app =
            TestApp::with_config(&[("demo_data", json!(true)), ("figures_delay_ms", json!(250))])
                .await;
        let world = World::new(&app).await;
        // Offered to Caquetá only: Florencia's people fit, Pasto's do not.
        let cohort = world
            .cohort()
            .seats(5)
            .targets(&[], &["18"])
            .create()
            .await
            .id;
        let alone = world.people("sola").of("18001").create().await;
        let ((status, body), alone_cost) =
            domain::db::count_statements(enrol_as(&app, &alone[0].token, cohort)).await;
        assert_eq!(status, Status::Created, "{body}");
        let crowd = world.people("tanda").count(30).of("18001").create().await;
        let outsiders = world.people("fuera").count(3).of("52001").create().await;
        let twice = world.people("dos-veces").of("18001").create().await;
        let tokens: Vec<&str> = crowd
            .iter()
            .chain(&outsiders)
            .chain(&twice)
            .chain(&twice)
            .map(|person| person.token.as_str())
            .collect();
        let (responses, burst_cost) =
            domain::db::count_statements(rocket::futures::future::join_all(
                tokens.iter().map(|token| enrol_as(&app, token, cohort)),
            ))
            .await;
        let codes: Vec<u16> = responses.iter().map(|(status, _)| status.code).collect();
        assert!(codes[..30].iter().all(|code| *code == 201), "{responses:?}");
        assert!(
            codes[30..33].iter().all(|code| *code == 422),
            "{responses:?}"
        );
        assert!(
            responses[30].1.to_string().contains("no está incluido"),
            "{:?}",
            responses[30]
        );
        let mut pressed_twice = [codes[33], codes[34]];
        pressed_twice.sort_unstable();
        assert_eq!(pressed_twice, [201, 409], "{responses:?}");
        // 1 + 30 + 1 people: 5 seats, 27 waiting, each place handed out once.
        assert_eq!(statuses(app.db(), cohort).await, (5, 27));
        let mut positions: Vec<i64> = responses
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=27).collect::<Vec<_>>());
        // Each enrolment its own audit row and its own email, keyed to it.
        let ids: Vec<i64> = responses
            .iter()
            .filter_map(|(_, body)| body["id"].as_i64())
            .collect();
        assert_eq!(ids.len(), 31);
        for id in &ids {
            let audited = audit_log::Entity::find()
                .filter(audit_log::Column::SubjectType.eq("enrolment"))
                .filter(audit_log::Column::SubjectId.eq(id.to_string()))
                .fetch_count(app.db())
                .await;
            assert_eq!(audited, 1, "enrolment {id}");
            let emails = outbox::Entity::find()
                .filter(outbox::Column::DedupeKey.starts_with(format!("inscripcion:{id}:")))
                .fetch_count(app.db())
                .await;
            assert_eq!(emails, 1, "enrolment {id}");
        }
        // Decided together: far fewer statements than one transaction each.
        eprintln!("one alone: {alone_cost} statements; 35 at once: {burst_cost}");
        assert!(
            burst_cost * 2 < alone_cost * 35,
            "one alone {alone_cost}, 35 at once {burst_cost}"
        );
    });
}

/// The desk reads the people of a batch in its own transaction: an account whose person's row
/// is gone (a participant account without its record) is refused 403 there, alone, and nothing
/// of her is written — while the person asking beside her is enrolled.
#[test]
fn an_account_without_its_person_is_refused_at_the_desk_and_nothing_of_her_is_written() {
    threaded().block_on(async {
        let app = TestApp::with_config(&[("demo_data", json!(true))]).await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(5).create().await.id;
        let people = world
            .people("sin-ficha")
            .count(2)
            .of("18001")
            .create()
            .await;
        participant::Entity::delete_by_id(people[0].id)
            .exec(app.db())
            .await
            .unwrap();
        let (without, beside) = rocket::futures::future::join(
            enrol_as(&app, &people[0].token, cohort),
            enrol_as(&app, &people[1].token, cohort),
        )
        .await;
        assert_eq!(without.0, Status::Forbidden, "{}", without.1);
        assert_eq!(beside.0, Status::Created, "{}", beside.1);
        assert_eq!(statuses(app.db(), cohort).await, (1, 0));
        assert_eq!(enrolments_of(app.db(), people[0].id).await, 0);
    });
}

/// A batch the database refuses as a whole (here: one person's row fails a trigger, as a fault
/// would) is decided again person by person: the others get their own places, in order, and
/// only she gets the error. The cohort is held by another writer while they ask, so they wait
/// at the desk and are decided together when it lets go.
#[test]
fn a_batch_refused_whole_is_decided_again_person_by_person() {
    threaded().block_on(async {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let app = TestApp::with_config(&[("demo_data", json!(true))]).await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(5).create().await.id;
        let people = world.people("lote").count(9).of("18001").create().await;
        let faulty = people[8].id;
        let trigger = if domain::db::is_sqlite(app.db()) {
            format!(
                "CREATE TRIGGER fault_enrolments BEFORE INSERT ON enrolments \
                 WHEN NEW.participant_id = {faulty} \
                 BEGIN SELECT RAISE(ABORT, 'falla provocada'); END;"
            )
        } else {
            format!(
                "CREATE FUNCTION fault_enrolments() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                   IF NEW.participant_id = {faulty} THEN RAISE EXCEPTION 'falla provocada'; \
                   END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER fault_enrolments BEFORE INSERT ON enrolments \
                 FOR EACH ROW EXECUTE FUNCTION fault_enrolments();"
            )
        };
        app.db().execute_unprepared(&trigger).await.unwrap();
        // Another writer holds the cohort while the nine ask.
        let holder = app.db().begin().await.unwrap();
        holder
            .execute_unprepared(&format!(
                "UPDATE cohorts SET seats = seats WHERE id = {cohort}"
            ))
            .await
            .unwrap();
        let (responses, ()) = rocket::futures::future::join(
            rocket::futures::future::join_all(
                people
                    .iter()
                    .map(|person| enrol_as(&app, &person.token, cohort)),
            ),
            async {
                rocket::tokio::time::sleep(std::time::Duration::from_millis(400)).await;
                holder.rollback().await.unwrap();
            },
        )
        .await;
        let codes: Vec<u16> = responses.iter().map(|(status, _)| status.code).collect();
        assert!(codes[..8].iter().all(|code| *code == 201), "{responses:?}");
        assert!(codes[8] >= 500, "{responses:?}");
        assert_eq!(statuses(app.db(), cohort).await, (5, 3));
        let mut positions: Vec<i64> = responses
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, vec![1, 2, 3]);
        assert_eq!(enrolments_of(app.db(), faulty).await, 0);
    });
}
/// Issue 50: what one enrolment costs the database, counted (`db::count_statements`: the
/// statements sent through the writing transaction; the triggers' own are not counted). With
/// a figures worker the enrolment's transaction leaves the figures to it; without one (the
/// command line, most tests) it flushes them before committing.
#[rocket::async_test]
async fn an_enrolment_is_a_handful_of_statements() {
    let mut counted = Vec::new();
    for delay in [0, 250] {
        let app = TestApp::with_config(&[
            ("demo_data", json!(true)),
            ("figures_delay_ms", json!(delay)),
        ])
        .await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(1).national().create().await.id;
        let people = world.people("cuenta").count(3).of("18094").create().await;
        let mut costs = Vec::new();
        for person in &people {
            let ((status, body), statements) =
                domain::db::count_statements(enrol_as(&app, &person.token, cohort)).await;
            assert_eq!(status, Status::Created, "{body}");
            costs.push(statements);
        }
        eprintln!("figures_delay_ms = {delay}: statements per enrolment {costs:?}");
        counted.push(costs);
    }
    // Enrolled, then waitlisted twice; through the worker at most this many each.
    assert!(
        counted[1].iter().all(|n| *n <= ENROLMENT_STATEMENTS),
        "{counted:?}"
    );
    assert!(
        counted[0][0] > counted[1][0],
        "the flush left the write path"
    );
}

/// The statements of one enrolment through the figures worker (BENCHMARKS, DECISIONS): 10,
/// and one more since issue 64 (whether the cohort is a module of an edition, which enrols
/// only through the edition: one indexed lookup).
const ENROLMENT_STATEMENTS: u64 = 11;
