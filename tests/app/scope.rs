//! Person-level scope: in a cohort shared by two departments, each gobernación's reviewer sees
//! only the people of its own municipalities — in every list, sheet, workbook and page — and
//! the others at most as a count.

use crate::common::TestApp;
use crate::support::{bearer, demo_account, token};
use aula_territorial::entities::values::{EnrolmentStatus, Mark, MarkSource, Role};
use aula_territorial::entities::{
    assessment, attendance_mark, cohort, cohort_department, cohort_session, enrolment, participant,
    score,
};
use chrono::Utc;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The demo's running cohort (Caquetá), also offered to Meta, with one Meta participant
/// enrolled, marked present in a past session and scored.
pub(crate) struct SharedCohort {
    pub cohort_id: i32,
    pub session_id: i32,
    pub assessment_id: i32,
    pub meta_enrolment_id: i32,
    /// What must never reach the Caquetá reviewer.
    pub meta_document: String,
    pub meta_last_names: String,
    /// What must never reach the Meta reviewer.
    pub caqueta_document: String,
    pub caqueta_last_names: String,
}

/// The demo's gobernación del Meta reviewer (email, password).
pub(crate) const META_REVIEWER: (&str, &str) =
    ("revisor.meta@aulaterritorial.example", "Revisa-Meta-2026");

pub(crate) async fn shared_cohort(db: &DatabaseConnection) -> SharedCohort {
    let running = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Caquetá PDET"))
        .one(db)
        .await
        .unwrap()
        .expect("the demo's running cohort");
    cohort_department::Entity::insert(cohort_department::ActiveModel {
        cohort_id: Set(running.id),
        department_code: Set("50".into()),
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    let meta_person = participant::Entity::find()
        .filter(participant::Column::MunicipalityCode.starts_with("50"))
        .order_by_asc(participant::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("a Meta participant");
    let now = Utc::now();
    let row = enrolment::ActiveModel {
        cohort_id: Set(running.id),
        participant_id: Set(meta_person.id),
        status: Set(EnrolmentStatus::Enrolled),
        municipality_code: Set(meta_person.municipality_code.clone()),
        entity_type: Set(meta_person.entity_type.clone()),
        eligibility_override: Set(true),
        override_reason: Set(Some("Invitada por la coordinación".into())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let session = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(running.id))
        .filter(cohort_session::Column::StartsAt.lt(now))
        .order_by_asc(cohort_session::Column::StartsAt)
        .one(db)
        .await
        .unwrap()
        .expect("a past session");
    attendance_mark::ActiveModel {
        session_id: Set(session.id),
        enrolment_id: Set(row.id),
        status: Set(Mark::Presente),
        note: Set(Some("Llegó desde Mapiripán".into())),
        source: Set(MarkSource::Manual),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let item = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(running.id))
        .order_by_asc(assessment::Column::Id)
        .one(db)
        .await
        .unwrap()
        .expect("an assessment");
    score::ActiveModel {
        assessment_id: Set(item.id),
        enrolment_id: Set(row.id),
        score_tenths: Set(47),
        recorded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let caqueta_person = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(running.id))
        .filter(enrolment::Column::MunicipalityCode.starts_with("18"))
        .find_also_related(participant::Entity)
        .one(db)
        .await
        .unwrap()
        .and_then(|(_, p)| p)
        .expect("a Caquetá participant");
    SharedCohort {
        cohort_id: running.id,
        session_id: session.id,
        assessment_id: item.id,
        meta_enrolment_id: row.id,
        meta_document: meta_person.document_number,
        meta_last_names: meta_person.last_names,
        caqueta_document: caqueta_person.document_number,
        caqueta_last_names: caqueta_person.last_names,
    }
}

/// Every cell of every sheet of a workbook, as text.
fn workbook_text(bytes: &[u8]) -> String {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

async fn get_text(client: &Client, path: &str, token: Option<&str>) -> (Status, String) {
    let mut request = client.get(path.to_string());
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    let response = request.dispatch().await;
    let status = response.status();
    let xlsx = response
        .content_type()
        .is_some_and(|c| c.to_string().contains("spreadsheet"));
    let bytes = response.into_bytes().await.unwrap_or_default();
    let text = if xlsx && status == Status::Ok {
        workbook_text(&bytes)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (status, text)
}

pub(crate) async fn sign_in_client(client: &Client, email: &str, password: &str) {
    let csrf = crate::support::csrf_from_client(client, "/ingresar").await;
    let body = format!(
        "csrf_token={}&email={}&password={}",
        aula_territorial::text::urlencode(&csrf),
        aula_territorial::text::urlencode(email),
        aula_territorial::text::urlencode(password)
    );
    let response = client
        .post("/ingresar")
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther, "signed in as {email}");
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
            !text.contains(&shared.meta_last_names) && !text.contains(&shared.meta_document),
            "{path} leaks a Meta participant to the Caquetá reviewer"
        );

        let (status, text) = get_text(&app.client, path, Some(&meta)).await;
        assert_eq!(status, Status::Ok, "{path} for the Meta reviewer");
        assert!(text.contains(&shared.meta_last_names), "{path}: own people");
        assert!(
            !text.contains(&shared.caqueta_last_names) && !text.contains(&shared.caqueta_document),
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
                && !text.contains(&shared.meta_document)
                && !text.contains("Llegó desde"),
            "{path} leaks a Meta participant to the Caquetá reviewer"
        );
        let (status, text) = get_text(&meta_browser, path, None).await;
        assert_eq!(status, Status::Ok, "{path} for the Meta reviewer");
        assert!(text.contains(&shared.meta_last_names), "{path}: own people");
        assert!(
            !text.contains(&shared.caqueta_last_names) && !text.contains(&shared.caqueta_document),
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
