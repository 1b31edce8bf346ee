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
    api_patch(app, &format!("/api/v1/cohorts/{cohort}"), Some(staff), body).await
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
    let (_, view) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}"),
        Some(&world.staff),
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
        .expect_one(app.db())
        .await;
    assert!(
        reminder.subject.contains("1 cupo sin usar"),
        "{}",
        reminder.subject
    );

    // The release date passes: the periodic job gives the unused quota seat to the first
    // person waiting, once.
    let row = cohort::Entity::find_by_id(cohort as i32)
        .expect_one(app.db())
        .await;
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
        .fetch_all(app.db())
        .await;
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
        .expect_one(app.db())
        .await;
    assert!(released.quotas_released_at.is_some());
}

/// 60 people of three municipalities ask for 10 seats at once, 3 kept for El Paujíl and 3 for
/// Puerto Rico: the cohort is never overbooked and each quota is honoured.
#[test]
fn concurrent_enrolments_never_overbook_a_quota_or_the_cohort() {
    threaded().block_on(async {
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
    let nominated = api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/nominations"),
        Some(&liaison),
        json!({"document_type": "CC", "document_number": "1.117.555.777",
                    "first_names": "Yéssica Paola", "last_names": "Cuéllar Rojas",
                    "email": "yessica.cuellar@example.org"}),
    )
    .await
    .expect_status(Status::Created);
    let link = link_token(app.db(), "yessica.cuellar@example.org").await;
    let mail = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("yessica.cuellar@example.org"))
        .expect_one(app.db())
        .await;
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

    // The link alone confirms nothing (issue 46): its page leads to registering with the
    // document, and the form keeps the link's data.
    let confirm = format!("/api/v1/nomination-confirmations/{link}");
    assert_eq!(
        api(&app, "POST", &confirm, None, None).await.0,
        Status::Conflict
    );
    let (_, shown) = page(&app, &format!("/postulaciones/{link}")).await;
    assert!(
        shown.contains(&format!("href=\"{registration}\"")),
        "{shown}"
    );
    assert!(!shown.contains("Confirmar mi postulación"), "{shown}");
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
    api_post(
        &app,
        &format!("/api/v1/nominations/{}/decision", nominated["id"]),
        Some(&world.staff),
        json!({"accept": false, "reason": "El cargo no corresponde al curso"}),
    )
    .await
    .expect_status(Status::Ok);
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
    let first = api_post(&app, &nominations, Some(&liaison), stranger.clone())
        .await
        .expect_status(Status::Created);
    assert_eq!(first["status"], "pending");
    assert_eq!(first["document_number"], "1117555123");
    assert_eq!(first["municipality_code"], "18256");
    // Twice: 409, nothing written.
    api_post(&app, &nominations, Some(&liaison), stranger)
        .await
        .expect_status(Status::Conflict);
    assert_eq!(
        nomination::Entity::find()
            .filter(nomination::Column::CohortId.eq(cohort as i32))
            .fetch_count(app.db())
            .await,
        1
    );

    // Someone of another municipality, and a cohort not offered to El Paujíl: 422.
    let elsewhere = world.people("otro-municipio").of("18592").create().await;
    let answer = api_post(
        &app,
        &nominations,
        Some(&liaison),
        json!({"participant_id": elsewhere[0].id}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&answer), ["participant_id"]);
    let meta = world.cohort().targets(&["50325"], &[]).create().await.id;
    let answer = api_post(
        &app,
        &format!("/api/v1/cohorts/{meta}/nominations"),
        Some(&liaison),
        json!({"participant_id": elsewhere[0].id}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&answer), ["cohort_id"]);
    // Only liaisons nominate; participants and reviewers do not list.
    api_post(
        &app,
        &nominations,
        Some(&world.staff),
        json!({"participant_id": elsewhere[0].id}),
    )
    .await
    .expect_status(Status::Forbidden);
    for role in [Role::Participant, Role::Reviewer] {
        let token = role_token(&app, role).await;
        assert_eq!(
            api_get(&app, &nominations, Some(&token)).await.0,
            Status::Forbidden
        );
    }

    // A registered official of El Paujíl.
    let official = world.people("postulado").of("18256").create().await;
    let second = api_post(
        &app,
        &nominations,
        Some(&liaison),
        json!({"participant_id": official[0].id}),
    )
    .await
    .expect_status(Status::Created);

    // Not confirmed yet: the coordinator cannot accept.
    let decide = |id: &Value| format!("/api/v1/nominations/{id}/decision");
    api_post(
        &app,
        &decide(&second["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Conflict);

    // The person confirms through the emailed link, once; the liaison is told.
    let link = link_token(app.db(), "postulado0@example.org").await;
    let confirm = format!("/api/v1/nomination-confirmations/{link}");
    let confirmed = api(&app, "POST", &confirm, None, None)
        .await
        .expect_status(Status::Ok);
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
            .fetch_all(app.db())
            .await
            .iter()
            .any(|m| m.subject.contains("confirmó"))
    );

    // Scope: a liaison does not decide; another direction's coordinator does not see it.
    assert_eq!(
        api_post(
            &app,
            &decide(&second["id"]),
            Some(&liaison),
            json!({"accept": true})
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
        api_post(
            &app,
            &decide(&second["id"]),
            Some(&meta_coordinator),
            json!({"accept": true})
        )
        .await
        .0,
        Status::NotFound
    );

    // Accepted: enrolled under the rules of enrolment.
    let accepted = api_post(
        &app,
        &decide(&second["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Ok);
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

    // The stranger never registers: the link alone does not confirm (issue 46), and
    // accepting is refused, nothing written.
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
        Status::Conflict
    );
    api_post(
        &app,
        &decide(&first["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Conflict);
    // Declining needs a reason, which the person and the liaison are told.
    let answer = api_post(
        &app,
        &decide(&first["id"]),
        Some(&world.staff),
        json!({"accept": false}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&answer), ["reason"]);
    let declined = api_post(
        &app,
        &decide(&first["id"]),
        Some(&world.staff),
        json!({"accept": false, "reason": "El cargo no corresponde al curso"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(declined["status"], "declined");
    assert_eq!(
        declined["decision_reason"],
        "El cargo no corresponde al curso"
    );
    let told = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("deisy.losada@example.org"))
        .order_by_desc(outbox::Column::Id)
        .expect_one(app.db())
        .await;
    assert!(
        told.body_text.contains("El cargo no corresponde al curso"),
        "{}",
        told.body_text
    );

    // The liaison sees their municipality's nominations, with their state and reasons.
    let list = api_get(&app, &nominations, Some(&liaison))
        .await
        .expect_status(Status::Ok);
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
    let (_, board) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/seat-quotas"),
        Some(&world.staff),
    )
    .await;
    let paujil = json_items(&board)
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
    let made = api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/nominations"),
        Some(&liaison),
        json!({"participant_id": official[0].id}),
    )
    .await
    .expect_status(Status::Created);
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
    api_post(
        &app,
        &format!("/api/v1/nominations/{}/decision", made["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Conflict);
    let row = nomination::Entity::find_by_id(made["id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(row.status, NominationStatus::Confirmed);
    assert_eq!(
        enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .fetch_count(app.db())
            .await,
        0
    );
}

/// The nomination of `id`, read from the database.
async fn nomination_row(db: &DatabaseConnection, id: &Value) -> nomination::Model {
    nomination::Entity::find_by_id(id.as_i64().unwrap() as i32)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// How many emails went to `to`.
async fn mails_to(db: &DatabaseConnection, to: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .count(db)
        .await
        .unwrap()
}

/// Issue 46: a liaison names only the people it reaches (`people::scope::reaches`) of its
/// municipality. Anyone else, by id, is answered as an unknown id (no name, no email, nothing
/// written); by document, as somebody not registered: nominated with what the liaison typed,
/// invited at the typed address, never at the person's own.
#[rocket::async_test]
async fn a_liaison_names_only_the_people_it_reaches() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id;
    let nominations = format!("/api/v1/cohorts/{cohort}/nominations");
    let meta = world.people("lejana").of("50325").create().await;
    let caqueta = world.people("vecina").of("18592").create().await;
    let before = nomination::Entity::find().fetch_count(app.db()).await;

    let unknown = api_post(
        &app,
        &nominations,
        Some(&liaison),
        json!({"participant_id": 987_654}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    for person in [&meta[0], &caqueta[0]] {
        let answer = api_post(
            &app,
            &nominations,
            Some(&liaison),
            json!({"participant_id": person.id}),
        )
        .await
        .expect_status(Status::UnprocessableEntity);
        assert_eq!(error_fields(&answer), ["participant_id"]);
        assert_eq!(
            answer["errors"], unknown["errors"],
            "the same answer as an unknown id"
        );
        assert!(!answer.to_string().contains("Persona"), "{answer}");
    }
    assert_eq!(mails_to(app.db(), "lejana0@example.org").await, 0);
    assert_eq!(mails_to(app.db(), "vecina0@example.org").await, 0);

    // By the Meta person's document: as if nobody had it — her name is not shown, nothing
    // goes to her address; the invitation goes to the address typed, whose holder cannot
    // confirm it.
    let document = participant_document(app.db(), meta[0].id).await;
    let made = api_post(
        &app,
        &nominations,
        Some(&liaison),
        json!({"document_type": "CC", "document_number": document,
                    "first_names": "Nombre", "last_names": "Escrito",
                    "email": "buzon.escrito@example.org"}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(made["participant_id"], Value::Null);
    assert_eq!(made["full_name"], "Nombre Escrito");
    assert!(!made.to_string().contains("lejana"), "{made}");
    assert_eq!(mails_to(app.db(), "lejana0@example.org").await, 0);
    let link = link_token(app.db(), "buzon.escrito@example.org").await;
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
        Status::Conflict
    );
    assert_eq!(
        nomination::Entity::find().fetch_count(app.db()).await,
        before + 1
    );
}

async fn participant_document(db: &DatabaseConnection, id: i32) -> String {
    domain::entities::participant::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .document_number
}

/// Issue 46: someone nominated before registering confirms only with an account whose record
/// has the nominated document. Whoever holds the typed mailbox confirms nothing — not by the
/// link, not by registering through it with another document, not signed in with that
/// account. The person registering through the link with the nominated document confirms it
/// by activating her account; another nomination of hers, whose link she did not register
/// through, she confirms signed in.
#[rocket::async_test]
async fn an_unregistered_nominee_is_confirmed_only_by_her_own_account() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id;
    let other_cohort = world.cohort().seats(5).create().await.id;
    let typed = "buzon.del.enlace@example.org";
    let nominate = async |cohort: i64| {
        api_post(
            &app,
            &format!("/api/v1/cohorts/{cohort}/nominations"),
            Some(&liaison),
            json!({"document_type": "CC", "document_number": "1117555999",
                        "first_names": "Marleny", "last_names": "Quintero Rojas",
                        "email": typed}),
        )
        .await
        .expect_status(Status::Created)
    };
    let made = nominate(cohort).await;
    let link = link_token(app.db(), typed).await;
    let confirm = format!("/api/v1/nomination-confirmations/{link}");
    let pending = async || nomination_row(app.db(), &made["id"]).await;

    // The mailbox holder: the link alone is refused.
    api(&app, "POST", &confirm, None, None)
        .await
        .expect_status(Status::Conflict);
    assert_eq!(pending().await.status, NominationStatus::Pending);
    // Registering through the link with another document confirms nothing.
    let (status, account) = crate::people::register_and_confirm(
        &app,
        json!({"document_type": "CC", "document_number": "1117555000",
                "first_names": "Quien", "last_names": "Tiene El Buzón", "email": typed,
                "password": "Buzon-ajeno-2026", "municipality_code": "18256",
                "entity_type": "alcaldia", "level": "tecnico", "data_consent": true,
                "nomination_token": link}),
    )
    .await;
    assert_eq!(status, Status::Created, "{account}");
    let row = pending().await;
    assert_eq!(
        (row.status, row.participant_id),
        (NominationStatus::Pending, None)
    );
    // Signed in with that account: refused, saying it is someone else's.
    let holder = token(&app, typed, "Buzon-ajeno-2026").await;
    let answer = api(&app, "POST", &confirm, Some(&holder), None)
        .await
        .expect_status(Status::Conflict);
    assert!(
        json_str(&answer["detail"]).contains("1117555999"),
        "{answer}"
    );
    assert_eq!(pending().await.status, NominationStatus::Pending);
    let liaison_email = demo_account(Role::Liaison).0;
    let liaison_told = async || {
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(liaison_email))
            .fetch_all(app.db())
            .await
            .iter()
            .filter(|m| m.subject.contains("confirmó"))
            .count()
    };
    assert_eq!(liaison_told().await, 0);
    // The coordinator cannot accept it.
    api_post(
        &app,
        &format!("/api/v1/nominations/{}/decision", made["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Conflict);

    // The person herself registers through the link's form with the nominated document (and
    // her own address): activating the account confirms it.
    let second = nominate(other_cohort).await;
    let registration = format!("/registro?postulacion={link}");
    let (status, form) = page(&app, &registration).await;
    assert_eq!(status, Status::Ok);
    let hidden = hidden_inputs(&form);
    let value = |name: &str| {
        hidden
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("hidden {name}: {form}"))
    };
    assert_eq!(value("postulacion"), link);
    let (csrf, next) = (value("csrf_token"), value("siguiente"));
    let sent = post_form(
        &app,
        "/registro",
        &[
            ("csrf_token", &csrf),
            ("siguiente", &next),
            ("postulacion", &link),
            ("document_type", "CC"),
            ("document_number", "1117555999"),
            ("first_names", "Marleny"),
            ("last_names", "Quintero Rojas"),
            ("email", "marleny.quintero@example.org"),
            ("department_code", "18"),
            ("municipality", "El Paujíl"),
            ("entity_type", "alcaldia"),
            ("level", "tecnico"),
            ("password", "Marleny-Quintero-2026"),
            ("data_consent", "true"),
        ],
    )
    .await;
    assert_eq!(sent.status(), Status::Ok);
    let activate = crate::people::confirmation_token(&app, "marleny.quintero@example.org").await;
    let csrf = csrf_from(&app, &format!("/registro/confirmar/{activate}")).await;
    let activated = post_form(
        &app,
        &format!("/registro/confirmar/{activate}"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(activated.status(), Status::SeeOther);
    assert_eq!(
        activated.headers().get_one("Location"),
        Some(format!("/cohortes/{cohort}").as_str())
    );
    let her = domain::entities::participant::Entity::find()
        .filter(domain::entities::participant::Column::DocumentNumber.eq("1117555999"))
        .one(app.db())
        .await
        .unwrap()
        .expect("her record");
    let row = pending().await;
    assert_eq!(row.status, NominationStatus::Confirmed);
    assert_eq!(row.participant_id, Some(her.id));
    assert_eq!(liaison_told().await, 1);
    // The nomination whose link she did not register through waits for her to confirm it,
    // signed in (her session of the activation): the page offers it, and it confirms.
    assert_eq!(
        nomination_row(app.db(), &second["id"]).await.status,
        NominationStatus::Pending
    );
    let second_link = link_token(app.db(), typed).await;
    assert_ne!(second_link, link);
    let (_, shown) = page(&app, &format!("/postulaciones/{second_link}")).await;
    assert!(shown.contains("Confirmar mi postulación"), "{shown}");
    let mine = token(
        &app,
        "marleny.quintero@example.org",
        "Marleny-Quintero-2026",
    )
    .await;
    let confirmed = api(
        &app,
        "POST",
        &format!("/api/v1/nomination-confirmations/{second_link}"),
        Some(&mine),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(confirmed["participant_id"], her.id);

    // Accepted: she is the one enrolled.
    let accepted = api_post(
        &app,
        &format!("/api/v1/nominations/{}/decision", made["id"]),
        Some(&world.staff),
        json!({"accept": true}),
    )
    .await
    .expect_status(Status::Ok);
    let enrolled = enrolment::Entity::find_by_id(accepted["enrolment_id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(enrolled.participant_id, her.id);
}

/// Issue 46: a nomination's email is checked as the mailer checks it: an address it would
/// refuse is a 422 on `email`, and nothing is stored or queued.
#[rocket::async_test]
async fn a_nomination_refuses_an_email_the_mailer_would_refuse() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let cohort = world.cohort().seats(5).create().await.id;
    let (nominations, mails) = (
        nomination::Entity::find().fetch_count(app.db()).await,
        outbox::Entity::find().fetch_count(app.db()).await,
    );
    // Each one passed the old check (something@domain.tld without spaces) and the outbox's
    // mailer refused it when the email was due.
    for email in [
        "planeacion,despacho@elpaujil-caqueta.gov.co",
        "planeacion@elpaujil-caqueta..gov.co",
        "planeacion(alcaldia)@elpaujil-caqueta.gov.co",
    ] {
        let (status, answer) = api_post(
            &app,
            &format!("/api/v1/cohorts/{cohort}/nominations"),
            Some(&liaison),
            json!({"document_type": "CC", "document_number": "1117555321",
                        "first_names": "Jhon", "last_names": "Cuéllar", "email": email}),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{email}: {answer}");
        assert_eq!(error_fields(&answer), ["email"]);
    }
    assert_eq!(
        nomination::Entity::find().fetch_count(app.db()).await,
        nominations
    );
    assert_eq!(outbox::Entity::find().fetch_count(app.db()).await, mails);
}

/// Issue 61 item 7: a nominee who registers after being nominated (not through the link)
/// confirms with the emailed link alone when it went to the address her new account signs in
/// with; when her account signs in with another address, the link alone confirms nothing.
#[rocket::async_test]
async fn a_nominee_who_registers_later_confirms_by_the_link_sent_to_her_sign_in_address() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id;
    let nominate = async |document: &str, email: &str| {
        let made = api_post(
            &app,
            &format!("/api/v1/cohorts/{cohort}/nominations"),
            Some(&liaison),
            json!({"document_type": "CC", "document_number": document,
                        "first_names": "Nominada", "last_names": "Después Registrada",
                        "email": email}),
        )
        .await
        .expect_status(Status::Created);
        (made, link_token(app.db(), email).await)
    };
    let register = async |document: &str, email: &str| {
        let (status, account) = crate::people::register_and_confirm(
            &app,
            json!({"document_type": "CC", "document_number": document,
                    "first_names": "Nominada", "last_names": "Después Registrada",
                    "email": email, "password": "Registro-tardio-2026",
                    "municipality_code": "18256", "entity_type": "alcaldia", "level": "tecnico",
                    "data_consent": true}),
        )
        .await;
        assert_eq!(status, Status::Created, "{account}");
    };

    // Same address: nominated, then registered with it; the link alone confirms.
    let (made, link) = nominate("1117600111", "tardia.misma@example.org").await;
    register("1117600111", "tardia.misma@example.org").await;
    // The link's page offers to confirm it without signing in.
    let (_, shown) = page(&app, &format!("/postulaciones/{link}")).await;
    assert!(shown.contains("Confirmar mi postulación"), "{shown}");
    api(
        &app,
        "POST",
        &format!("/api/v1/nomination-confirmations/{link}"),
        None,
        None,
    )
    .await
    .expect_status(Status::Ok);
    let row = nomination_row(app.db(), &made["id"]).await;
    assert_eq!(row.status, NominationStatus::Confirmed);
    let her = participant_document(app.db(), row.participant_id.unwrap()).await;
    assert_eq!(her, "1117600111");

    // Another address: her account signs in with a different one; the link alone is refused
    // and nothing changes.
    let (made, link) = nominate("1117600222", "buzon.tecleado@example.org").await;
    register("1117600222", "otra.direccion@example.org").await;
    api(
        &app,
        "POST",
        &format!("/api/v1/nomination-confirmations/{link}"),
        None,
        None,
    )
    .await
    .expect_status(Status::Conflict);
    let row = nomination_row(app.db(), &made["id"]).await;
    assert_eq!(
        (row.status, row.participant_id),
        (NominationStatus::Pending, None)
    );
}
