//! Issue 62, items 2, 4 and 5: figures that need a second person (replicas beyond a threshold
//! wait for a coordinator's review before counting anywhere), suppression that survives
//! arithmetic (no published pair of counts whose difference isolates 1 to 4 people, seat
//! counts banded where they would reveal a suppressed group), and scope on every lookup (a
//! prefill names nothing of a record the caller may not read). Each test fails without its
//! rule.

use crate::common::TestApp;
use crate::support::{DNP_COORDINATOR, Fetch, body_of, sign_in_client};
use domain::entities::values::CohortStatus;
use domain::entities::{assistance, cohort, provider};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Item 5: «Agregar un recurso» with `?cohorte=` / `?asistencia=` / `?curso=` of another
/// provider's records shows nothing of them (their name, objective), as the pages of those
/// records answer 404; the same prefill of the satisfaction report names no draft cohort of
/// another provider. Its own cohort is still named.
#[rocket::async_test]
async fn a_prefill_names_nothing_of_another_providers_record() {
    let app = TestApp::with_demo().await;
    let dnp = provider::Entity::find()
        .filter(provider::Column::Name.contains("(DNP)"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo's DNP");
    let mut esap_draft = cohort::Entity::find()
        .filter(cohort::Column::ProviderId.ne(dnp.id))
        .filter(cohort::Column::Status.eq(CohortStatus::Draft))
        .one(app.db())
        .await
        .unwrap();
    if esap_draft.is_none() {
        // A draft of another provider: the cohort nobody outside it reads.
        let any = cohort::Entity::find()
            .filter(cohort::Column::ProviderId.ne(dnp.id))
            .expect_one(app.db())
            .await;
        use sea_orm::{ActiveModelTrait, Set};
        let mut draft: cohort::ActiveModel = any.into();
        draft.status = Set(CohortStatus::Draft);
        esap_draft = Some(draft.update(app.db()).await.unwrap());
    }
    let esap_draft = esap_draft.unwrap();
    let foreign_assistance = assistance::Entity::find()
        .filter(assistance::Column::ProviderId.ne(dnp.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("an assistance of another provider in the demo");
    let own = cohort::Entity::find()
        .filter(cohort::Column::ProviderId.eq(dnp.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("a DNP cohort in the demo");
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;

    // The draft's own page is a 404 for DNP.
    let response = browser
        .get(format!("/cohortes/{}", esap_draft.id))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NotFound);

    for (path, secret) in [
        (
            format!("/conocimiento/nuevo?cohorte={}", esap_draft.id),
            esap_draft.name.clone(),
        ),
        (
            format!("/conocimiento/nuevo?asistencia={}", foreign_assistance.id),
            foreign_assistance.objective.clone(),
        ),
        (
            format!("/reportes/satisfaccion?cohorte={}", esap_draft.id),
            esap_draft.name.clone(),
        ),
    ] {
        let response = browser.get(path.clone()).dispatch().await;
        assert_eq!(response.status(), Status::Ok, "{path}");
        let html = response.into_string().await.unwrap();
        let shown = html_escape(&secret);
        assert!(
            !html.contains(&shown),
            "{path} names «{secret}», which the caller gets 404 for"
        );
    }
    // Its own cohort is named.
    let response = browser
        .get(format!("/conocimiento/nuevo?cohorte={}", own.id))
        .dispatch()
        .await;
    let html = response.into_string().await.unwrap();
    assert!(html.contains(&html_escape(&own.name)), "{html}");
}

/// Text as the templates escape it.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('=', "&#x3D;")
        .replace('`', "&#x60;")
}

/// Item 4: «Cupos libres» gave away the seats taken (the seats are public): with 3 of 30
/// taken, anyone without staff scope reads the band «entre 26 y 29», never 27; the catalogue
/// too; the staff read 27. With 5 taken the count is exact for everyone.
#[rocket::async_test]
async fn free_seats_are_banded_where_they_would_reveal_a_suppressed_group() {
    let app = TestApp::with_demo().await;
    let world = crate::world::World::new(&app).await;
    let cohort = world
        .cohort()
        .name("Cohorte de cupos pequeños")
        .create()
        .await;
    let people = world.people("cupos").count(5).create().await;
    for person in &people[..3] {
        world.enrol(cohort.id, person.id).await;
    }
    let path = format!("/cohortes/{}", cohort.id);
    let anonymous = app.another_instance(&[]).await;
    let html = body_of(&anonymous, path.clone()).await;
    assert!(html.contains("entre 26 y 29 de 30"), "{html}");
    assert!(!html.contains("27 de 30"), "{html}");
    let catalogue = body_of(&anonymous, "/cohortes?q=cupos+peque%C3%B1os").await;
    assert!(
        catalogue.contains("cupos libres: entre 26 y 29")
            && !catalogue.contains("cupos libres: 27"),
        "{catalogue}"
    );
    // A participant reads the band too; the staff the count.
    let (email, password) =
        crate::support::demo_account(domain::entities::values::Role::Participant);
    let participant = app.another_instance(&[]).await;
    sign_in_client(&participant, email, password).await;
    let html = body_of(&participant, path.clone()).await;
    assert!(html.contains("entre 26 y 29 de 30"), "{html}");
    let (email, password) =
        crate::support::demo_account(domain::entities::values::Role::Coordinator);
    let staff = app.another_instance(&[]).await;
    sign_in_client(&staff, email, password).await;
    let html = body_of(&staff, path.clone()).await;
    assert!(html.contains("27 de 30"), "{html}");
    // Through the API: a participant reads every count of people floored to a multiple of 5
    // (no 3 enrolled, no 27 free), the staff the exact ones.
    let api_path = format!("/api/v1/cohorts/{}", cohort.id);
    let participant_token =
        crate::support::role_token(&app, domain::entities::values::Role::Participant).await;
    let (status, body) =
        crate::support::api(&app, "GET", &api_path, Some(&participant_token), None).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(
        (
            &body["enrolled"],
            &body["seats_available"],
            &body["counts_rounded"]
        ),
        (
            &serde_json::json!(0),
            &serde_json::json!(25),
            &serde_json::json!(true)
        ),
        "{body}"
    );
    let coordinator_token =
        crate::support::role_token(&app, domain::entities::values::Role::Coordinator).await;
    let (_, body) =
        crate::support::api(&app, "GET", &api_path, Some(&coordinator_token), None).await;
    assert_eq!(
        (
            &body["enrolled"],
            &body["seats_available"],
            &body["counts_rounded"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!(27),
            &serde_json::json!(false)
        ),
        "{body}"
    );

    // Five taken: exact for everyone.
    for person in &people[3..] {
        world.enrol(cohort.id, person.id).await;
    }
    let html = body_of(&participant, path).await;
    assert!(html.contains("25 de 30"), "{html}");
}
