//! Programmes (issue 64): the programme's rules, editions of one cohort per module, enrolment
//! once in the edition — every module or the edition's waiting list, all or nothing under
//! concurrency — recognition of prior learning, and progress in the reviewer's scope.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{Person, Session, World, catalogue_course, days};
use domain::entities::values::{CertificateStatus, EnrolmentStatus, Role};
use domain::entities::{audit_log, certificate, enrolment, programme_enrolment};
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};

/// The four courses of the diplomado: planeación, presupuestal, tributaria, rendición.
const MODULES: [&str; 4] = ["PT", "GPR", "GT", "RPC"];

async fn course_ids(app: &TestApp) -> Vec<i32> {
    let mut ids = Vec::new();
    for code in MODULES {
        ids.push(catalogue_course(app.db(), code).await.id);
    }
    ids
}

/// Creates and publishes the diplomado (rendición after planeación), as `staff`.
pub(crate) async fn diplomado(app: &TestApp, staff: &str, code: &str) -> Value {
    let ids = course_ids(app).await;
    let created = api_post(
        app,
        "/api/v1/programmes",
        Some(staff),
        json!({
            "code": code, "name": "Diplomado en Gestión Pública Territorial", "kind": "diplomado",
            "description": "Cuatro módulos para el equipo de la alcaldía.",
            "modules": [
                {"course_id": ids[0], "order": 1, "required": true},
                {"course_id": ids[1], "order": 2, "required": true},
                {"course_id": ids[2], "order": 3, "required": true},
                {"course_id": ids[3], "order": 4, "required": true, "after": [ids[0]]},
            ],
        }),
    )
    .await
    .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    api(
        app,
        "POST",
        &format!("/api/v1/programmes/{id}/publication"),
        Some(staff),
        None,
    )
    .await
    .expect_status(Status::Ok)
}

/// Four open cohorts, one per module, named after `tag`, with `seats` each but the tributaria one with
/// `smallest`; rendición starts after planeación ends.
pub(crate) async fn module_cohorts(
    world: &World<'_>,
    tag: &str,
    seats: i64,
    smallest: i64,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for code in MODULES {
        let mut builder = world
            .cohort()
            .course(code)
            .name(&format!("Módulo {code} · {tag}"))
            .national()
            .seats(if code == "GT" { smallest } else { seats });
        builder = match code {
            "PT" => {
                builder
                    .dates(days(-5), days(10))
                    .session(Session::on(days(1), (9, 0), (12, 0)))
            }
            "RPC" => {
                builder
                    .dates(days(11), days(40))
                    .session(Session::on(days(12), (9, 0), (12, 0)))
            }
            _ => builder.session(Session::on(days(2), (9, 0), (12, 0))),
        };
        ids.push(builder.create().await.id);
    }
    ids
}

pub(crate) async fn edition(app: &TestApp, staff: &str, programme: i64, cohorts: &[i64]) -> Value {
    api_post(
        app,
        &format!("/api/v1/programmes/{programme}/editions"),
        Some(staff),
        json!({"name": "Diplomado · Caquetá 2027-I", "cohort_ids": cohorts}),
    )
    .await
    .expect_status(Status::Created)
}

async fn count(db: &DatabaseConnection, cohort: i64, status: EnrolmentStatus) -> u64 {
    enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort as i32))
        .filter(enrolment::Column::Status.eq(status))
        .count(db)
        .await
        .unwrap()
}

async fn enrol_self(app: &TestApp, token: &str, edition: i64) -> (Status, Value) {
    api(
        app,
        "POST",
        &format!("/api/v1/programme-editions/{edition}/enrolments"),
        Some(token),
        None,
    )
    .await
}

#[rocket::async_test]
async fn a_programme_is_checked_whole_and_reads_its_hours_and_capacities_from_its_modules() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let ids = course_ids(&app).await;
    let before = count_programmes(app.db()).await;
    for (body, field) in [
        (
            json!({"code": "DOBLE", "name": "Doble", "kind": "diplomado",
                   "modules": [{"course_id": ids[0], "order": 1, "required": true},
                               {"course_id": ids[0], "order": 2, "required": true}]}),
            "modules[1].course_id",
        ),
        (
            json!({"code": "NADA", "name": "Curso que no existe", "kind": "ruta",
                   "modules": [{"course_id": 999_999, "order": 1, "required": true}]}),
            "modules[0].course_id",
        ),
        (
            json!({"code": "ELECT", "name": "Electivos", "kind": "programa",
                   "modules": [{"course_id": ids[0], "order": 1, "required": true},
                               {"course_id": ids[1], "order": 2, "required": false}],
                   "electives_required": 2}),
            "electives_required",
        ),
        (
            json!({"code": "CIRCULO", "name": "Círculo", "kind": "diplomado",
                   "modules": [{"course_id": ids[0], "order": 1, "required": true, "after": [ids[1]]},
                               {"course_id": ids[1], "order": 2, "required": true, "after": [ids[0]]}]}),
            "modules",
        ),
    ] {
        let (status, refused) =
            api_post(&app, "/api/v1/programmes", Some(&world.staff), body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{refused}");
        assert!(
            error_fields(&refused).contains(&field.to_string()),
            "{refused}"
        );
    }
    assert_eq!(count_programmes(app.db()).await, before, "nothing written");

    // Two required modules (40 + 32 h) and one of two electives (32 or 24 h): 72 + 24.
    let created = api_post(
        &app,
        "/api/v1/programmes",
        Some(&world.staff),
        json!({"code": "RUTA-1", "name": "Ruta del primer año", "kind": "ruta",
                    "modules": [{"course_id": ids[0], "order": 1, "required": true},
                                {"course_id": ids[1], "order": 2, "required": true},
                                {"course_id": ids[2], "order": 3, "required": false},
                                {"course_id": ids[3], "order": 4, "required": false}],
                    "electives_required": 1}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(created["status"], "draft");
    assert_eq!(created["hours"], 40 + 32 + 24, "{created}");
    let capacities = json_array(&created["capacity_ids"]);
    assert!(
        capacities.len() >= 4,
        "the union of the modules' capacities: {created}"
    );
    // A draft is its provider's only.
    let participant = role_token(&app, Role::Participant).await;
    api_get(
        &app,
        &format!("/api/v1/programmes/{}", created["id"]),
        Some(&participant),
    )
    .await
    .expect_status(Status::NotFound);
}

async fn count_programmes(db: &DatabaseConnection) -> u64 {
    domain::entities::programme::Entity::find()
        .count(db)
        .await
        .unwrap()
}

#[rocket::async_test]
async fn an_edition_takes_one_cohort_per_module_in_the_order_of_its_prerequisites() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let programme = diplomado(&app, &world.staff, "DGPT-T1").await;
    let id = programme["id"].as_i64().unwrap();
    let cohorts = module_cohorts(&world, "edición de prueba", 10, 10).await;
    // Rendición before planeación ends: refused, naming it.
    let early = world
        .cohort()
        .course("RPC")
        .name("Rendición temprana")
        .national()
        .dates(days(-5), days(20))
        .create()
        .await
        .id;
    let refused = api_post(
        &app,
        &format!("/api/v1/programmes/{id}/editions"),
        Some(&world.staff),
        json!({"name": "Temprana", "cohort_ids": [cohorts[0], cohorts[1], cohorts[2], early]}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(refused.to_string().contains("prerrequisito"), "{refused}");
    // Built from the cohorts there are, an edition waits in preparation for the others and
    // takes no enrolment until every module has its cohort.
    let partial = api_post(
        &app,
        &format!("/api/v1/programmes/{id}/editions"),
        Some(&world.staff),
        json!({"name": "Incompleta", "cohort_ids": [early]}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(partial["status"], "draft", "{partial}");
    let early_bird = world.people("temprana").create().await;
    let (status, refused) =
        enrol_self(&app, &early_bird[0].token, partial["id"].as_i64().unwrap()).await;
    assert_eq!(status, Status::Conflict, "{refused}");
    assert!(
        refused.to_string().contains("Planeación Territorial"),
        "{refused}"
    );
    let built = edition(&app, &world.staff, id, &cohorts).await;
    assert_eq!(built["seats"], 10);
    assert_eq!(json_array(&built["cohorts"]).len(), 4);
    // A cohort of an edition refuses direct enrolment, naming the edition.
    let person = world.people("directo").create().await;
    let refused = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/enrolments", cohorts[1]),
        Some(&person[0].token),
        None,
    )
    .await
    .expect_status(Status::Conflict);
    assert!(refused.to_string().contains("Caquetá 2027-I"), "{refused}");
    assert_eq!(
        count(app.db(), cohorts[1], EnrolmentStatus::Enrolled).await,
        0
    );
    // And a second edition cannot take the same cohorts.
    api_post(
        &app,
        &format!("/api/v1/programmes/{id}/editions"),
        Some(&world.staff),
        json!({"name": "Otra", "cohort_ids": cohorts}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_person_is_in_every_module_or_on_the_editions_list_and_leaves_them_all_at_once() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let programme = diplomado(&app, &world.staff, "DGPT-T2").await;
    let cohorts = module_cohorts(&world, "edición de prueba", 10, 1).await;
    let built = edition(
        &app,
        &world.staff,
        programme["id"].as_i64().unwrap(),
        &cohorts,
    )
    .await;
    let id = built["id"].as_i64().unwrap();
    let people = world.people("edicion").count(3).create().await;

    let (status, first) = enrol_self(&app, &people[0].token, id).await;
    assert_eq!(status, Status::Created, "{first}");
    assert_eq!(first["status"], "enrolled");
    for cohort in &cohorts {
        assert_eq!(count(app.db(), *cohort, EnrolmentStatus::Enrolled).await, 1);
    }
    // Tributaria has one seat: the next two wait for the edition, in no cohort.
    let (_, second) = enrol_self(&app, &people[1].token, id).await;
    let (_, third) = enrol_self(&app, &people[2].token, id).await;
    assert_eq!(second["status"], "waitlisted", "{second}");
    assert_eq!(second["waitlist_position"], 1);
    assert_eq!(third["waitlist_position"], 2);
    for cohort in &cohorts {
        assert_eq!(count(app.db(), *cohort, EnrolmentStatus::Enrolled).await, 1);
        assert_eq!(
            count(app.db(), *cohort, EnrolmentStatus::Waitlisted).await,
            0
        );
    }
    // A repeat is refused.
    let (status, _) = enrol_self(&app, &people[0].token, id).await;
    assert_eq!(status, Status::Conflict);
    // Her module enrolment cannot be cancelled alone.
    let module = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohorts[0] as i32))
        .filter(enrolment::Column::ParticipantId.eq(people[0].id))
        .expect_one(app.db())
        .await;
    api_delete(
        &app,
        &format!("/api/v1/enrolments/{}", module.id),
        Some(&people[0].token),
    )
    .await
    .expect_status(Status::Conflict);
    // Leaving the edition leaves every module; the first waiting takes every place.
    let cancelled = api(
        &app,
        "DELETE",
        &format!("/api/v1/programme-editions/{id}/enrolments/{}", first["id"]),
        Some(&people[0].token),
        Some(json!({"reason": "Cambio de cargo"})),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(cancelled["status"], "cancelled");
    for cohort in &cohorts {
        assert_eq!(count(app.db(), *cohort, EnrolmentStatus::Enrolled).await, 1);
        assert_eq!(
            count(app.db(), *cohort, EnrolmentStatus::Cancelled).await,
            1
        );
    }
    let promoted = programme_enrolment::Entity::find_by_id(second["id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(
        promoted.status,
        domain::entities::values::ProgrammeEnrolmentStatus::Enrolled
    );
    let (_, mine) = api_get(&app, "/api/v1/me/programmes", Some(&people[2].token)).await;
    assert_eq!(mine["items"][0]["waitlist_position"], 1, "{mine}");
}

/// A diplomado (`code`) with an edition over module cohorts of `seats` seats (the smallest
/// `smallest`), and a crowd (`tag`, `count` people) enrolling themselves in it at the same
/// moment: the cohorts, the edition, the crowd and each one's answer, every one a 201.
async fn crowd_at_an_edition(
    app: &TestApp,
    world: &World<'_>,
    (code, seats, smallest): (&str, i64, i64),
    (tag, count): (&str, usize),
) -> (Vec<i64>, i64, Vec<Person>, Vec<(Status, Value)>) {
    let programme = diplomado(app, &world.staff, code).await;
    let cohorts = module_cohorts(world, tag, seats, smallest).await;
    let built = edition(
        app,
        &world.staff,
        programme["id"].as_i64().unwrap(),
        &cohorts,
    )
    .await;
    let id = built["id"].as_i64().unwrap();
    let crowd = world.people(tag).count(count).create().await;
    let answers = rocket::futures::future::join_all(
        crowd
            .iter()
            .map(|person| enrol_self(app, &person.token, id)),
    )
    .await;
    let refused: Vec<_> = answers.iter().filter(|a| a.0 != Status::Created).collect();
    assert!(refused.is_empty(), "{refused:?}");
    (cohorts, id, crowd, answers)
}

/// Every one of `cohorts` holds exactly `enrolled` (sorted), all enrolled.
async fn every_module_holds(app: &TestApp, cohorts: &[i64], enrolled: &[i32]) {
    for cohort in cohorts {
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(*cohort as i32))
            .fetch_all(app.db())
            .await;
        assert!(rows.iter().all(|r| r.status == EnrolmentStatus::Enrolled));
        let mut in_cohort: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
        in_cohort.sort_unstable();
        assert_eq!(
            in_cohort, enrolled,
            "every module holds exactly the enrolled people"
        );
    }
}

/// Many people at once for an edition whose smallest module has three seats: three are in
/// every module, the others on the edition's list and in no cohort's — on either engine.
#[test]
fn concurrent_enrolments_in_an_edition_are_all_or_nothing() {
    threaded().block_on(async {
        let app = TestApp::with_demo().await;
        let world = World::new(&app).await;
        let (cohorts, _, crowd, answers) =
            crowd_at_an_edition(&app, &world, ("DGPT-T3", 20, 3), ("carrera-ed", 16)).await;
        let mut enrolled: Vec<i32> = answers
            .iter()
            .zip(&crowd)
            .filter(|((_, body), _)| body["status"] == "enrolled")
            .map(|(_, person)| person.id)
            .collect();
        enrolled.sort_unstable();
        assert_eq!(enrolled.len(), 3, "the smallest module's seats");
        every_module_holds(&app, &cohorts, &enrolled).await;
        let mut positions: Vec<i64> = answers
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=13).collect::<Vec<_>>(), "one place each");
    });
}

/// Issue 69, item 3: people enrolling themselves in an edition at the same moment are decided
/// together at the edition's desk — and each still gets her own answer. Thirty people for
/// modules of ten seats: the same ten in all four cohorts, twenty on the edition's list with
/// places 1..20 in the order they were decided, each answer matching the roster, no module
/// overbooked. Fails when the seat rule gives a seat beyond a module's limit or places some
/// modules and not others.
#[test]
fn people_at_the_same_moment_at_an_editions_desk_each_get_their_own_answer() {
    threaded().block_on(async {
        let app = TestApp::with_demo().await;
        let world = World::new(&app).await;
        let (cohorts, id, crowd, answers) =
            crowd_at_an_edition(&app, &world, ("DGPT-T9", 10, 10), ("mesa-ed", 30)).await;
        let mut enrolled: Vec<i32> = Vec::new();
        for ((_, body), person) in answers.iter().zip(&crowd) {
            assert_eq!(
                body["participant_id"].as_i64(),
                Some(person.id as i64),
                "{body}"
            );
            if body["status"] == "enrolled" {
                enrolled.push(person.id);
                assert!(body["waitlist_position"].is_null(), "{body}");
            } else {
                assert_eq!(body["status"], "waitlisted", "{body}");
            }
        }
        enrolled.sort_unstable();
        assert_eq!(enrolled.len(), 10, "the modules' seats");
        every_module_holds(&app, &cohorts, &enrolled).await;
        // The edition's roster, in the order it was decided: the ten first, then the list.
        let roster = programme_enrolment::Entity::find()
            .filter(programme_enrolment::Column::EditionId.eq(id as i32))
            .fetch_all(app.db())
            .await;
        assert_eq!(roster.len(), 30);
        let mut in_order = roster.clone();
        in_order.sort_by_key(|row| row.id);
        let waiting: Vec<&programme_enrolment::Model> = in_order
            .iter()
            .filter(|row| {
                row.status == domain::entities::values::ProgrammeEnrolmentStatus::Waitlisted
            })
            .collect();
        assert_eq!(waiting.len(), 20);
        assert!(
            in_order[..10]
                .iter()
                .all(|row| row.status
                    == domain::entities::values::ProgrammeEnrolmentStatus::Enrolled),
            "seats go in arrival order"
        );
        let tickets: Vec<i32> = waiting.iter().filter_map(|row| row.waitlist_seq).collect();
        assert!(tickets.windows(2).all(|w| w[0] < w[1]), "{tickets:?}");
        // Each answer is its own row: its id, its status, its place (1..20 in ticket order).
        for (_, body) in &answers {
            let row = roster
                .iter()
                .find(|row| Some(row.id as i64) == body["id"].as_i64())
                .unwrap_or_else(|| panic!("no row for {body}"));
            assert_eq!(
                Some(row.participant_id as i64),
                body["participant_id"].as_i64()
            );
            if let Some(position) = body["waitlist_position"].as_i64() {
                let place = waiting.iter().position(|w| w.id == row.id).unwrap() as i64 + 1;
                assert_eq!(position, place, "{body}");
            }
        }
        let mut positions: Vec<i64> = answers
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=20).collect::<Vec<_>>(), "one place each");
    });
}

#[rocket::async_test]
async fn a_valid_certificate_recognises_its_module_and_a_revoked_or_old_one_does_not() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let programme = diplomado(&app, &world.staff, "DGPT-T4").await;
    let cohorts = module_cohorts(&world, "edición de prueba", 10, 10).await;
    let built = edition(
        &app,
        &world.staff,
        programme["id"].as_i64().unwrap(),
        &cohorts,
    )
    .await;
    let id = built["id"].as_i64().unwrap();
    // Three people with a planeación certificate: valid, revoked, and six years old.
    let people = world.people("previo").count(3).create().await;
    let template = certificate::Entity::find()
        .filter(certificate::Column::CourseCode.eq("PT"))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo's planeación certificates");
    let now = domain::time::now();
    for (i, person) in people.iter().enumerate() {
        let mut row = template.clone().into_active_model();
        row.id = sea_orm::ActiveValue::NotSet;
        row.code = Set(format!("PREV-{i}00-TEST-{}", person.id));
        row.participant_id = Set(person.id);
        row.status = Set(if i == 1 {
            CertificateStatus::Revoked
        } else {
            CertificateStatus::Valid
        });
        row.issued_at = Set(if i == 2 {
            now - chrono::Duration::days(6 * 366)
        } else {
            now - chrono::Duration::days(200)
        });
        row.enrolment_id = Set(template.enrolment_id);
        row.insert(app.db()).await.unwrap();
    }
    let mut answers = Vec::new();
    for person in &people {
        let (status, body) = enrol_self(&app, &person.token, id).await;
        assert_eq!(status, Status::Created, "{body}");
        answers.push(body);
    }
    let planeacion = |body: &Value| body["modules"][0].clone();
    assert_eq!(
        planeacion(&answers[0])["status"],
        "recognised",
        "{}",
        answers[0]
    );
    assert_eq!(
        planeacion(&answers[0])["certificate_code"],
        format!("PREV-000-TEST-{}", people[0].id)
    );
    assert_eq!(
        planeacion(&answers[1])["status"],
        "enrolled",
        "a revoked certificate"
    );
    assert_eq!(
        planeacion(&answers[2])["status"],
        "enrolled",
        "older than five years"
    );
    // The recognised person is in no roster of planeación.
    let in_planeacion = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohorts[0] as i32))
        .filter(enrolment::Column::ParticipantId.eq(people[0].id))
        .fetch_count(app.db())
        .await;
    assert_eq!(in_planeacion, 0);

    // By hand: a reason is required; then audited, and she leaves the module's cohort.
    api_post(&app, &format!("/api/v1/programme-editions/{id}/recognitions"), Some(&world.staff), json!({"participant_id": people[1].id, "course_id": planeacion(&answers[1])["course_id"], "reason": " "})).await.expect_status(Status::UnprocessableEntity);
    api_post(&app, &format!("/api/v1/programme-editions/{id}/recognitions"), Some(&world.staff), json!({"participant_id": people[1].id, "course_id": planeacion(&answers[1])["course_id"], "reason": "Certificado de la gobernación visto en físico"})).await.expect_status(Status::Created);
    assert_eq!(
        count(app.db(), cohorts[0], EnrolmentStatus::Enrolled).await,
        1
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("programme_recognition.created"))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 1);
    let (_, progress) = api_get(
        &app,
        &format!("/api/v1/programme-editions/{id}/progress"),
        Some(&world.staff),
    )
    .await;
    let second = json_items(&progress)
        .iter()
        .find(|p| p["participant_id"] == people[1].id)
        .unwrap();
    assert_eq!(second["modules"][0]["status"], "recognised", "{second}");
    assert_eq!(second["completed_modules"], 1);
    assert_eq!(second["required_modules"], 4);
}

#[rocket::async_test]
async fn a_reviewer_reads_only_her_departments_people_in_an_editions_progress() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let programme = diplomado(&app, &world.staff, "DGPT-T5").await;
    let cohorts = module_cohorts(&world, "edición de prueba", 10, 10).await;
    let built = edition(
        &app,
        &world.staff,
        programme["id"].as_i64().unwrap(),
        &cohorts,
    )
    .await;
    let id = built["id"].as_i64().unwrap();
    // Puerto Rico (Caquetá) and Mapiripán (Meta).
    let caqueta = world.people("ed-caq").create().await;
    let meta = world.people("ed-meta").of("50325").create().await;
    for person in caqueta.iter().chain(&meta) {
        let (status, body) = enrol_self(&app, &person.token, id).await;
        assert_eq!(status, Status::Created, "{body}");
    }
    let reviewer = role_token(&app, Role::Reviewer).await;
    let progress = api_get(
        &app,
        &format!("/api/v1/programme-editions/{id}/progress"),
        Some(&reviewer),
    )
    .await
    .expect_status(Status::Ok);
    let (_, me) = api_get(&app, "/api/v1/me", Some(&reviewer)).await;
    let department = me["department_code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let items = json_items(&progress);
    assert!(!items.is_empty() || department.is_empty());
    every_row(items, "progress", |p| {
        p["municipality_code"]
            .as_str()
            .is_some_and(|code| code.starts_with(&department))
    });
    assert!(items.len() < 2, "not both departments: {progress}");
    let all = api_get(
        &app,
        &format!("/api/v1/programme-editions/{id}/progress"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(all["total"], 2);
    // A participant does not read it.
    api_get(
        &app,
        &format!("/api/v1/programme-editions/{id}/progress"),
        Some(&caqueta[0].token),
    )
    .await
    .expect_status(Status::Forbidden);
}
