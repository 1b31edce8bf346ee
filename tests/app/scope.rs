//! Person-level scope: in a cohort shared by two departments, each gobernación's reviewer sees
//! only the people of its own municipalities — in every list, sheet, workbook and page — and
//! the others at most as a count.

use crate::common::TestApp;
use crate::support::{
    META_REVIEWER, bearer, decoded_text, demo_account, leaked_in, sign_in_client, token,
};
use crate::world::{SharedCohort, shared_cohort};
use domain::entities::values::Role;
use rocket::http::Status;
use rocket::local::asynchronous::Client;

async fn get_text(client: &Client, path: &str, token: Option<&str>) -> (Status, String) {
    let mut request = client.get(path.to_string());
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    let response = request.dispatch().await;
    let status = response.status();
    let bytes = response.into_bytes().await.unwrap_or_default();
    // As a client reads it: a workbook's cells, a PDF's pages (the shared leak checker's).
    (status, decoded_text(&bytes))
}

/// Every surface that shows people of a cohort, API and pages.
fn surfaces(shared: &SharedCohort) -> (Vec<String>, Vec<String>) {
    let (c, s, a) = (shared.cohort_id, shared.session_id, shared.assessment_id);
    let api = vec![
        format!("/api/v1/cohorts/{c}/enrolments"),
        format!("/api/v1/cohorts/{c}/results"),
        format!("/api/v1/sessions/{s}/attendance"),
        format!("/api/v1/assessments/{a}/scores"),
        format!("/api/v1/cohorts/{c}/attendance.xlsx"),
        format!("/api/v1/sessions/{s}/attendance.xlsx"),
        format!("/api/v1/cohorts/{c}/scores.xlsx"),
    ];
    let pages = vec![
        format!("/cohortes/{c}/inscritos"),
        format!("/seguimiento/cohortes/{c}"),
        format!("/seguimiento/cohortes/{c}/notas"),
        format!("/seguimiento/sesiones/{s}"),
        format!("/seguimiento/sesiones/{s}/planilla"),
        format!("/seguimiento/sesiones/{s}/asistencia.xlsx"),
        format!("/seguimiento/cohortes/{c}/asistencia.xlsx"),
        format!("/seguimiento/cohortes/{c}/notas.xlsx"),
    ];
    (api, pages)
}

#[rocket::async_test]
async fn a_reviewer_sees_only_the_people_of_their_department_in_a_shared_cohort() {
    let app = TestApp::with_demo().await;
    let shared = shared_cohort(app.db()).await;
    let (caqueta_email, caqueta_password) = demo_account(Role::Reviewer);
    let caqueta = token(&app, caqueta_email, caqueta_password).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (coordinator_email, coordinator_password) = demo_account(Role::Coordinator);
    let coordinator = token(&app, coordinator_email, coordinator_password).await;

    let (api_paths, page_paths) = surfaces(&shared);
    for path in &api_paths {
        // The coordinator sees both departments' people: the fixture really holds both.
        let (status, text) = get_text(&app.client, path, Some(&coordinator)).await;
        assert_eq!(status, Status::Ok, "{path} for the coordinator");
        assert!(
            text.contains(&shared.meta_last_names),
            "{path}: coordinator sees Meta"
        );
        assert!(
            text.contains(&shared.caqueta_last_names),
            "{path}: coordinator sees Caquetá"
        );

        let (status, text) = get_text(&app.client, path, Some(&caqueta)).await;
        assert_eq!(status, Status::Ok, "{path} for the Caquetá reviewer");
        assert!(
            text.contains(&shared.caqueta_last_names),
            "{path}: own people"
        );
        assert!(
            !text.contains(&shared.meta_last_names)
                && leaked_in(&text, std::slice::from_ref(&shared.meta_document)).is_empty(),
            "{path} leaks a Meta participant to the Caquetá reviewer"
        );

        let (status, text) = get_text(&app.client, path, Some(&meta)).await;
        assert_eq!(status, Status::Ok, "{path} for the Meta reviewer");
        assert!(text.contains(&shared.meta_last_names), "{path}: own people");
        assert!(
            !text.contains(&shared.caqueta_last_names)
                && leaked_in(&text, std::slice::from_ref(&shared.caqueta_document)).is_empty(),
            "{path} leaks a Caquetá participant to the Meta reviewer"
        );
    }

    // Pages, each reviewer with their own browser.
    sign_in_client(&app.client, caqueta_email, caqueta_password).await;
    let meta_browser = app.another_instance(&[]).await;
    sign_in_client(&meta_browser, META_REVIEWER.0, META_REVIEWER.1).await;
    for path in &page_paths {
        let (status, text) = get_text(&app.client, path, None).await;
        assert_eq!(status, Status::Ok, "{path} for the Caquetá reviewer");
        assert!(
            text.contains(&shared.caqueta_last_names),
            "{path}: own people"
        );
        assert!(
            !text.contains(&shared.meta_last_names)
                && leaked_in(&text, std::slice::from_ref(&shared.meta_document)).is_empty()
                && !text.contains("Llegó desde"),
            "{path} leaks a Meta participant to the Caquetá reviewer"
        );
        let (status, text) = get_text(&meta_browser, path, None).await;
        assert_eq!(status, Status::Ok, "{path} for the Meta reviewer");
        assert!(text.contains(&shared.meta_last_names), "{path}: own people");
        assert!(
            !text.contains(&shared.caqueta_last_names)
                && leaked_in(&text, std::slice::from_ref(&shared.caqueta_document)).is_empty(),
            "{path} leaks a Caquetá participant to the Meta reviewer"
        );
    }
    // The others appear only as a count.
    let (_, roster) = get_text(&meta_browser, &page_paths[0], None).await;
    assert!(
        roster.contains("personas de municipios de otros departamentos"),
        "the Meta reviewer is told others exist, without their data"
    );
    drop(meta_browser);
}
