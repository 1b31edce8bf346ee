//! Seats per municipality and nominations (issue 35): quotas kept until their release, under
//! concurrency; the release moving the waiting list in order; the liaison's nominations, the
//! person's confirmation and the coordinator's decision, with their scope and refusals.

use crate::common::TestApp;
use crate::support::*;
use crate::world::{World, days};
use domain::config::AppConfig;
use domain::entities::values::{EnrolmentStatus, NominationStatus, Role};
use domain::entities::{cohort, enrolment, nomination, outbox};
use domain::templates::Templates;
use rocket::http::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
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

/// (enrolled, waitlisted) of `cohort` from `municipality` (all municipalities with `None`).
async fn counts(db: &DatabaseConnection, cohort: i64, municipality: Option<&str>) -> (u64, u64) {
    let count = |status| async move {
        let mut query = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .filter(enrolment::Column::Status.eq(status));
        if let Some(code) = municipality {
            query = query.filter(enrolment::Column::MunicipalityCode.eq(code));
        }
        query.count(db).await.unwrap()
    };
    (
        count(EnrolmentStatus::Enrolled).await,
        count(EnrolmentStatus::Waitlisted).await,
    )
}

async fn set_quotas(app: &TestApp, staff: &str, cohort: i64, body: Value) -> (Status, Value) {
    api(
        app,
        "PATCH",
        &format!("/api/v1/cohorts/{cohort}"),
        Some(staff),
        Some(body),
    )
    .await
}

fn notifier(app: &TestApp) -> domain::mail::Notifier<'_> {
    domain::mail::Notifier {
        templates: app.client.rocket().state::<Templates>().unwrap(),
        config: app.client.rocket().state::<AppConfig>().unwrap(),
    }
}

#[rocket::async_test]
async fn quotas_keep_seats_until_released_and_the_release_moves_the_waiting_list_in_order() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().seats(4).create().await.id;

    // Refused, nothing written: more quota than seats, a municipality not offered, a release
    // outside the enrolment window.
    for (body, field) in [
        (
            json!({"seat_quotas": [{"municipality_code": "18256", "seats": 5}]}),
            "seat_quotas",
        ),
        (
            json!({"seat_quotas": [{"municipality_code": "50325", "seats": 1}]}),
            "seat_quotas",
        ),
        (
            json!({"seat_quotas": [{"municipality_code": "18256", "seats": 2}],
                   "quota_release_on": days(20).to_string()}),
            "quota_release_on",
        ),
    ] {
        let (status, answer) = set_quotas(&app, &world.staff, cohort, body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{answer}");
        assert!(
            error_fields(&answer).contains(&field.to_string()),
            "{answer}"
        );
    }
    let (_, view) = api(
        &app,
        "GET",
        &format!("/api/v1/cohorts/{cohort}"),
        Some(&world.staff),
        None,
    )
    .await;
    assert_eq!(view["seat_quotas"], json!([]), "nothing written: {view}");

    // Two of the four seats kept for El Paujíl until today.
    let (status, view) = set_quotas(
        &app,
        &world.staff,
        cohort,
        json!({"seat_quotas": [{"municipality_code": "18256", "seats": 2}],
               "quota_release_on": days(0).to_string()}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{view}");
    assert_eq!(view["seat_quotas"][0]["municipality_name"], "El Paujíl");
    assert_eq!(view["seat_quotas"][0]["seats"], 2);
    assert_eq!(view["quota_release_on"], days(0).to_string());

    // Florencia fills the two open seats, then waits although seats are free.
    let florencia = world
        .people("florencia")
        .count(4)
        .of("18001")
        .create()
        .await;
    for person in &florencia {
        assert_eq!(
            enrol_as(&app, &person.token, cohort).await.0,
            Status::Created
        );
    }
    assert_eq!(counts(app.db(), cohort, None).await, (2, 2));
    // El Paujíl, arriving last, still gets its kept seat.
    let paujil = world.people("paujil").of("18256").create().await;
    let (status, body) = enrol_as(&app, &paujil[0].token, cohort).await;
    assert_eq!(status, Status::Created);
    assert_eq!(body["status"], "enrolled", "{body}");
    assert_eq!(counts(app.db(), cohort, None).await, (3, 2));

    // Within a week of the release, El Paujíl's liaison hears of its unused seat, once.
    let reminded = domain::nominations::remind_unfilled_quotas(app.db(), &notifier(&app))
        .await
        .unwrap();
    assert_eq!(reminded, 1);
    assert_eq!(
        domain::nominations::remind_unfilled_quotas(app.db(), &notifier(&app))
            .await
            .unwrap(),
        0
    );
    let reminder = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(demo_account(Role::Liaison).0))
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(
        reminder.subject.contains("1 cupo sin usar"),
        "{}",
        reminder.subject
    );

    // The release date passes: the periodic job gives the unused quota seat to the first
    // person waiting, once.
    let row = cohort::Entity::find_by_id(cohort as i32)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let mut model: cohort::ActiveModel = row.into();
    model.quota_release_on = Set(Some(days(-1)));
    model.update(app.db()).await.unwrap();
    let promoted = domain::nominations::release_due_quotas(app.db(), &notifier(&app))
        .await
        .unwrap();
    assert_eq!(promoted, 1);
    assert_eq!(
        domain::nominations::release_due_quotas(app.db(), &notifier(&app))
            .await
            .unwrap(),
        0,
        "released once"
    );
    let waiting: Vec<enrolment::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort as i32))
        .order_by_asc(enrolment::Column::Id)
        .all(app.db())
        .await
        .unwrap();
    let by_person = |id: i32| {
        waiting
            .iter()
            .find(|e| e.participant_id == id)
            .unwrap()
            .status
    };
    assert_eq!(
        by_person(florencia[2].id),
        EnrolmentStatus::Enrolled,
        "first in line"
    );
    assert_eq!(by_person(florencia[3].id), EnrolmentStatus::Waitlisted);
    let released = cohort::Entity::find_by_id(cohort as i32)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(released.quotas_released_at.is_some());
}

/// 60 people of three municipalities ask for 10 seats at once, 3 kept for El Paujíl and 3 for
/// Puerto Rico: the cohort is never overbooked and each quota is honoured.
#[test]
fn concurrent_enrolments_never_overbook_a_quota_or_the_cohort() {
    let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = TestApp::with_demo().await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(10).create().await.id;
        let (status, answer) = set_quotas(
            &app,
            &world.staff,
            cohort,
            json!({"seat_quotas": [{"municipality_code": "18256", "seats": 3},
                                   {"municipality_code": "18592", "seats": 3}],
                   "quota_release_on": days(3).to_string()}),
        )
        .await;
        assert_eq!(status, Status::Ok, "{answer}");
        let mut crowd = world
            .people("cupo-paujil")
            .count(20)
            .of("18256")
            .create()
            .await;
        crowd.extend(
            world
                .people("cupo-rico")
                .count(20)
                .of("18592")
                .create()
                .await,
        );
        crowd.extend(
            world
                .people("cupo-florencia")
                .count(20)
                .of("18001")
                .create()
                .await,
        );
        // Interleaved, so every municipality's requests race each other.
        let order: Vec<&crate::world::Person> = (0..20)
            .flat_map(|i| [&crowd[40 + i], &crowd[i], &crowd[20 + i]])
            .collect();
        let responses = rocket::futures::future::join_all(
            order
                .iter()
                .map(|person| enrol_as(&app, &person.token, cohort)),
        )
        .await;
        assert!(responses.iter().all(|(s, _)| *s == Status::Created));
        assert_eq!(counts(app.db(), cohort, None).await, (10, 50));
        let (paujil, _) = counts(app.db(), cohort, Some("18256")).await;
        let (rico, _) = counts(app.db(), cohort, Some("18592")).await;
        let (florencia, _) = counts(app.db(), cohort, Some("18001")).await;
        assert!(paujil >= 3 && rico >= 3, "quotas kept: {paujil} and {rico}");
        assert!(
            florencia <= 4,
            "only open seats went to Florencia: {florencia}"
        );
    });
}

/// The token of the nomination link last emailed to `to`.
async fn link_token(db: &DatabaseConnection, to: &str) -> String {
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("an email to the person nominated");
    let start = mail.body_text.find("/postulaciones/").expect("the link") + "/postulaciones/".len();
    mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A nominee not yet registered follows the email's «regístrese» link: the form starts with
/// the nomination's name, document, email and municipality. Without the link (or once the
/// nomination is decided) the form is empty: nobody else sees the data.
#[rocket::async_test]
async fn a_nominees_registration_starts_from_the_nomination() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id;
    let (status, nominated) = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{cohort}/nominations"),
        Some(&liaison),
        Some(
            json!({"document_type": "CC", "document_number": "1.117.555.777",
                    "first_names": "Yéssica Paola", "last_names": "Cuéllar Rojas",
                    "email": "yessica.cuellar@example.org"}),
        ),
    )
    .await;
    assert_eq!(status, Status::Created, "{nominated}");
    let link = link_token(app.db(), "yessica.cuellar@example.org").await;
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("yessica.cuellar@example.org"))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    let registration = format!("/registro?postulacion={link}");
    assert!(mail.body_text.contains(&registration), "{}", mail.body_text);
    assert!(mail.body_html.contains(&registration));

    let filled = |html: &str| {
        [
            "value=\"Yéssica Paola\"",
            "value=\"Cuéllar Rojas\"",
            "value=\"1117555777\"",
            "value=\"yessica.cuellar@example.org\"",
            "value=\"El Paujíl\"",
            "<option value=\"18\" selected>",
        ]
        .iter()
        .filter(|value| html.contains(*value))
        .count()
    };
    let (status, html) = page(&app, &registration).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(filled(&html), 6, "the form starts from the nomination");
    assert!(html.contains("Traemos los datos de su postulación"));

    // Confirming the nomination first does not lose the link's data; its page links to it.
    let confirm = format!("/api/v1/nomination-confirmations/{link}");
    assert_eq!(api(&app, "POST", &confirm, None, None).await.0, Status::Ok);
    let (_, done) = page(&app, &format!("/postulaciones/{link}")).await;
    assert!(done.contains(&format!("href=\"{registration}\"")), "{done}");
    let (_, html) = page(&app, &registration).await;
    assert_eq!(filled(&html), 6);

    // Another token, or none: an empty form.
    for other in ["/registro?postulacion=no-es-un-enlace", "/registro"] {
        let (status, html) = page(&app, other).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(filled(&html), 0, "{other}");
        assert!(!html.contains("yessica"));
    }

    // Decided: the link no longer opens anything.
    let (status, declined) = api(
        &app,
        "POST",
        &format!("/api/v1/nominations/{}/decision", nominated["id"]),
        Some(&world.staff),
        Some(json!({"accept": false, "reason": "El cargo no corresponde al curso"})),
    )
    .await;
    assert_eq!(status, Status::Ok, "{declined}");
    let (_, html) = page(&app, &registration).await;
    assert_eq!(filled(&html), 0);
}

#[rocket::async_test]
async fn liaisons_nominate_people_who_confirm_and_coordinators_accept_or_decline_with_a_reason() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id; // offered to Caquetá
    let nominations = format!("/api/v1/cohorts/{cohort}/nominations");

    // Someone not yet registered.
    let stranger = json!({"document_type": "CC", "document_number": "1.117.555.123",
                          "first_names": "Deisy", "last_names": "Losada",
                          "email": "deisy.losada@example.org"});
    let (status, first) = api(
        &app,
        "POST",
        &nominations,
        Some(&liaison),
        Some(stranger.clone()),
    )
    .await;
    assert_eq!(status, Status::Created, "{first}");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["document_number"], "1117555123");
    assert_eq!(first["municipality_code"], "18256");
    // Twice: 409, nothing written.
    let (status, answer) = api(&app, "POST", &nominations, Some(&liaison), Some(stranger)).await;
    assert_eq!(status, Status::Conflict, "{answer}");
    assert_eq!(
        nomination::Entity::find()
            .filter(nomination::Column::CohortId.eq(cohort as i32))
            .count(app.db())
            .await
            .unwrap(),
        1
    );

    // Someone of another municipality, and a cohort not offered to El Paujíl: 422.
    let elsewhere = world.people("otro-municipio").of("18592").create().await;
    let (status, answer) = api(
        &app,
        "POST",
        &nominations,
        Some(&liaison),
        Some(json!({"participant_id": elsewhere[0].id})),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert_eq!(error_fields(&answer), ["participant_id"]);
    let meta = world.cohort().targets(&["50325"], &[]).create().await.id;
    let (status, answer) = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{meta}/nominations"),
        Some(&liaison),
        Some(json!({"participant_id": elsewhere[0].id})),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert_eq!(error_fields(&answer), ["cohort_id"]);
    // Only liaisons nominate; participants and reviewers do not list.
    let (status, _) = api(
        &app,
        "POST",
        &nominations,
        Some(&world.staff),
        Some(json!({"participant_id": elsewhere[0].id})),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    for role in [Role::Participant, Role::Reviewer] {
        let token = role_token(&app, role).await;
        assert_eq!(
            api(&app, "GET", &nominations, Some(&token), None).await.0,
            Status::Forbidden
        );
    }

    // A registered official of El Paujíl.
    let official = world.people("postulado").of("18256").create().await;
    let (status, second) = api(
        &app,
        "POST",
        &nominations,
        Some(&liaison),
        Some(json!({"participant_id": official[0].id})),
    )
    .await;
    assert_eq!(status, Status::Created, "{second}");

    // Not confirmed yet: the coordinator cannot accept.
    let decide = |id: &Value| format!("/api/v1/nominations/{id}/decision");
    let (status, answer) = api(
        &app,
        "POST",
        &decide(&second["id"]),
        Some(&world.staff),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{answer}");

    // The person confirms through the emailed link, once; the liaison is told.
    let link = link_token(app.db(), "postulado0@example.org").await;
    let confirm = format!("/api/v1/nomination-confirmations/{link}");
    let (status, confirmed) = api(&app, "POST", &confirm, None, None).await;
    assert_eq!(status, Status::Ok, "{confirmed}");
    assert_eq!(confirmed["status"], "confirmed");
    // Once: the link still opens the nomination (and the registration it starts), but a
    // second confirmation is refused.
    assert_eq!(
        api(&app, "POST", &confirm, None, None).await.0,
        Status::Conflict
    );
    let liaison_email = demo_account(Role::Liaison).0;
    assert!(
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(liaison_email))
            .all(app.db())
            .await
            .unwrap()
            .iter()
            .any(|m| m.subject.contains("confirmó"))
    );

    // Scope: a liaison does not decide; another direction's coordinator does not see it.
    assert_eq!(
        api(
            &app,
            "POST",
            &decide(&second["id"]),
            Some(&liaison),
            Some(json!({"accept": true}))
        )
        .await
        .0,
        Status::Forbidden
    );
    let meta_coordinator = token(
        &app,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
    )
    .await;
    assert_eq!(
        api(
            &app,
            "POST",
            &decide(&second["id"]),
            Some(&meta_coordinator),
            Some(json!({"accept": true}))
        )
        .await
        .0,
        Status::NotFound
    );

    // Accepted: enrolled under the rules of enrolment.
    let (status, accepted) = api(
        &app,
        "POST",
        &decide(&second["id"]),
        Some(&world.staff),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(status, Status::Ok, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["enrolment_status"], "enrolled");
    let enrolled = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort as i32))
        .filter(enrolment::Column::ParticipantId.eq(official[0].id))
        .one(app.db())
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(enrolled.status, EnrolmentStatus::Enrolled);

    // The stranger confirms but never registers: accepting is refused, nothing written.
    let link = link_token(app.db(), "deisy.losada@example.org").await;
    assert_eq!(
        api(
            &app,
            "POST",
            &format!("/api/v1/nomination-confirmations/{link}"),
            None,
            None
        )
        .await
        .0,
        Status::Ok
    );
    let (status, answer) = api(
        &app,
        "POST",
        &decide(&first["id"]),
        Some(&world.staff),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{answer}");
    // Declining needs a reason, which the person and the liaison are told.
    let (status, answer) = api(
        &app,
        "POST",
        &decide(&first["id"]),
        Some(&world.staff),
        Some(json!({"accept": false})),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert_eq!(error_fields(&answer), ["reason"]);
    let (status, declined) = api(
        &app,
        "POST",
        &decide(&first["id"]),
        Some(&world.staff),
        Some(json!({"accept": false, "reason": "El cargo no corresponde al curso"})),
    )
    .await;
    assert_eq!(status, Status::Ok, "{declined}");
    assert_eq!(declined["status"], "declined");
    assert_eq!(
        declined["decision_reason"],
        "El cargo no corresponde al curso"
    );
    let told = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("deisy.losada@example.org"))
        .order_by_desc(outbox::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(
        told.body_text.contains("El cargo no corresponde al curso"),
        "{}",
        told.body_text
    );

    // The liaison sees their municipality's nominations, with their state and reasons.
    let (status, list) = api(&app, "GET", &nominations, Some(&liaison), None).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(list["total"], 2);
    let (_, home) = {
        let (email, password) = demo_account(Role::Liaison);
        sign_in_page(&app, email, password).await;
        page(&app, "/").await
    };
    assert!(
        home.contains("El cargo no corresponde al curso"),
        "the liaison's home shows why"
    );
    // The coordinator's board: El Paujíl with two nominated, one enrolled.
    let (_, board) = api(
        &app,
        "GET",
        &format!("/api/v1/cohorts/{cohort}/seat-quotas"),
        Some(&world.staff),
        None,
    )
    .await;
    let paujil = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["municipality_code"] == "18256")
        .unwrap();
    assert_eq!(
        (
            paujil["nominated"].as_i64(),
            paujil["confirmed"].as_i64(),
            paujil["enrolled"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{board}"
    );
}

/// An accepted nomination enrols with every rule of enrolment: after enrolment closes it is
/// refused (409) and the nomination stays confirmed.
#[rocket::async_test]
async fn a_nomination_cannot_bypass_eligibility() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let cohort = world.cohort().seats(5).create().await.id;
    let official = world.people("elegible").of("18256").create().await;
    let (status, made) = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{cohort}/nominations"),
        Some(&liaison),
        Some(json!({"participant_id": official[0].id})),
    )
    .await;
    assert_eq!(status, Status::Created, "{made}");
    let link = link_token(app.db(), "elegible0@example.org").await;
    assert_eq!(
        api(
            &app,
            "POST",
            &format!("/api/v1/nomination-confirmations/{link}"),
            None,
            None
        )
        .await
        .0,
        Status::Ok
    );
    // Enrolment closes before the coordinator decides.
    let (status, answer) = set_quotas(
        &app,
        &world.staff,
        cohort,
        json!({"enrolment_closes": days(-1).to_string()}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{answer}");
    let (status, answer) = api(
        &app,
        "POST",
        &format!("/api/v1/nominations/{}/decision", made["id"]),
        Some(&world.staff),
        Some(json!({"accept": true})),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{answer}");
    let row = nomination::Entity::find_by_id(made["id"].as_i64().unwrap() as i32)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, NominationStatus::Confirmed);
    assert_eq!(
        enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .count(app.db())
            .await
            .unwrap(),
        0
    );
}
