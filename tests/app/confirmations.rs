//! Actions that say what they will do (issue 45): closing a cohort goes through a confirmation
//! listing this cohort's facts and acts only when confirmed; a cohort closed by mistake reopens
//! until a certificate is issued from it (demands and figures restored); the other
//! far-reaching actions confirm the same way.

use crate::common::TestApp;
use crate::support::*;
use crate::world::World;
use chrono::Duration;
use domain::entities::values::{CohortStatus, DemandStatus, EnrolmentStatus, Mark, Role};
use domain::entities::{
    audit_log, capacity, cohort, cohort_figure, cohort_session, demand, enrolment,
};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn cohort_row(app: &TestApp, id: i64) -> cohort::Model {
    cohort::Entity::find_by_id(id as i32)
        .expect_one(app.db())
        .await
}

async fn enrolment_status(app: &TestApp, id: i64) -> EnrolmentStatus {
    enrolment::Entity::find_by_id(id as i32)
        .expect_one(app.db())
        .await
        .status
}

async fn demand_row(app: &TestApp, id: i64) -> demand::Model {
    demand::Entity::find_by_id(id as i32)
        .expect_one(app.db())
        .await
}

async fn sign_in_coordinator(app: &TestApp) {
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(app, email, password).await, Status::SeeOther);
}

/// The coordinator posts a cohort's status form, as the page's button does (`extra` adds the
/// confirmation or a reason).
async fn post_status(
    app: &TestApp,
    id: i64,
    status: &str,
    extra: &[(&str, &str)],
) -> (Status, String) {
    let csrf = csrf_from(app, &format!("/coordinacion/cohortes/{id}")).await;
    let mut fields = vec![("csrf_token", csrf.as_str()), ("status", status)];
    fields.extend_from_slice(extra);
    let response = post_form(app, &format!("/coordinacion/cohortes/{id}/estado"), &fields).await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn closing_lists_the_sessions_ahead_the_missing_scores_and_who_fails_and_acts_only_when_confirmed()
 {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .min_attendance(60)
        .sessions_from_now(
            &[Duration::days(-6), Duration::days(-3), Duration::days(3)],
            60,
        )
        .create()
        .await;
    let people = world.people("cierre").count(2).create().await;
    let passes = world.enrol(cohort.id, people[0].id).await.id;
    let fails = world.enrol(cohort.id, people[1].id).await.id;
    world.move_cohort(cohort.id, "in_progress").await;
    use Mark::*;
    world
        .take_attendance(
            &cohort.sessions,
            &[
                (passes, &[Presente, Presente]),
                (fails, &[Ausente, Ausente]),
            ],
        )
        .await;
    let workshop = world.assessment(cohort.id, "Taller final", 100).await;
    world.scores(workshop, &[(passes, 4.0)]).await;
    let ahead = cohort_session::Entity::find_by_id(cohort.sessions[2] as i32)
        .expect_one(app.db())
        .await;

    sign_in_coordinator(&app).await;
    // The workspace no longer closes in one click: «Cerrar la cohorte» is a link to its
    // confirmation.
    let (_, overview) = page(&app, &format!("/coordinacion/cohortes/{}", cohort.id)).await;
    assert!(
        overview.contains(&format!(
            "href=\"/coordinacion/cohortes/{}/cerrar\"",
            cohort.id
        )),
        "{overview}"
    );
    assert!(!overview.contains("value=\"closed\""), "no one-click close");

    let (status, confirm) = page(
        &app,
        &format!("/coordinacion/cohortes/{}/cerrar", cohort.id),
    )
    .await;
    assert_eq!(status, Status::Ok, "{confirm}");
    for fact in [
        "¿Cerrar la cohorte",
        "Queda 1 sesión por realizar",
        &domain::format::date_time(ahead.starts_at),
        "«Taller final»: falta la nota de 1 persona",
        "1 persona quedará registrada como «No aprobado»",
        "Persona cierre 1",
        "1 persona queda registrada como «Aprobado»",
        "name=\"confirmed\" value=\"true\"",
        "class=\"danger\"",
    ] {
        assert!(confirm.contains(fact), "{fact}: {confirm}");
    }
    assert!(
        !confirm.contains("Persona cierre 0"),
        "who completes is not listed among who does not"
    );

    // The same facts, from the domain, in the API's extension.
    let facts = api_get(
        &app,
        &format!("/api/v1/cohorts/{}/closing", cohort.id),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(json_array(&facts["sessions_ahead"]).len(), 1);
    assert_eq!(facts["unscored"][0]["name"], "Taller final");
    assert_eq!(facts["unscored"][0]["missing"], 1);
    assert_eq!(facts["not_completing"][0]["full_name"], "Persona cierre 1");
    assert_eq!(facts["completing"], 1);
    assert_eq!(facts["refused"], json!(null));

    // Posted without the confirmation (a stale form, a hand-made request): the confirmation
    // again, and the cohort is still in progress.
    let (status, again) = post_status(&app, cohort.id, "closed", &[]).await;
    assert_eq!(status, Status::Ok);
    assert!(again.contains("Queda 1 sesión por realizar"), "{again}");
    assert_eq!(
        cohort_row(&app, cohort.id).await.status,
        CohortStatus::InProgress
    );
    assert_eq!(
        enrolment_status(&app, fails).await,
        EnrolmentStatus::Enrolled
    );

    // Confirmed: closed, results frozen as announced.
    let (status, _) = post_status(&app, cohort.id, "closed", &[("confirmed", "true")]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        cohort_row(&app, cohort.id).await.status,
        CohortStatus::Closed
    );
    assert_eq!(
        enrolment_status(&app, passes).await,
        EnrolmentStatus::Completed
    );
    assert_eq!(
        enrolment_status(&app, fails).await,
        EnrolmentStatus::NotCompleted
    );
    // A closed cohort has nothing left to close.
    let (status, _) = page(
        &app,
        &format!("/coordinacion/cohortes/{}/cerrar", cohort.id),
    )
    .await;
    assert_eq!(status, Status::Conflict);
}

#[rocket::async_test]
async fn a_closed_cohort_reopens_with_its_demands_and_figures_until_a_certificate_is_issued() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let planning = capacity::Entity::find()
        .filter(capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let mut raised = Vec::new();
    for place in ["18592", "18001"] {
        let body = api_post(
            &app,
            "/api/v1/demands",
            Some(&caqueta),
            json!({
                "municipality_code": place,
                "capacity_id": planning,
                "topic": "Plan indicativo y seguimiento a metas",
                "description": "Las secretarías no reportan el avance de sus metas.",
                "people_estimate": 12,
                "modality": "mixta",
                "wanted_from": crate::world::days(20).to_string(),
                "wanted_to": crate::world::days(120).to_string(),
                "priority": "alta",
            }),
        )
        .await
        .expect_status(Status::Created);
        raised.push(body["id"].as_i64().unwrap());
    }
    let (puerto_demand, florencia_demand) = (raised[0], raised[1]);
    let cohort = world
        .cohort()
        .min_attendance(60)
        .sessions_from_now(&[Duration::days(-6), Duration::days(-3)], 60)
        .create()
        .await;
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{}", cohort.id),
        Some(&world.staff),
        json!({"demand_ids": raised}),
    )
    .await
    .expect_status(Status::Ok);
    let puerto = world.people("reabre").create().await;
    let florencia = world.people("reabref").of("18001").create().await;
    let passes = world.enrol(cohort.id, puerto[0].id).await.id;
    let fails = world.enrol(cohort.id, florencia[0].id).await.id;
    world.move_cohort(cohort.id, "in_progress").await;
    use Mark::*;
    world
        .take_attendance(
            &cohort.sessions,
            &[
                (passes, &[Presente, Presente]),
                (fails, &[Ausente, Ausente]),
            ],
        )
        .await;
    world.move_cohort(cohort.id, "closed").await;
    // Closing met Puerto Rico's demand and gave Florencia's back.
    assert_eq!(
        demand_row(&app, puerto_demand).await.status,
        DemandStatus::Met
    );
    let given_back = demand_row(&app, florencia_demand).await;
    assert_eq!(
        (given_back.status, given_back.cohort_id),
        (DemandStatus::Open, None)
    );
    let figures = || async {
        cohort_figure::Entity::find()
            .filter(cohort_figure::Column::CohortId.eq(cohort.id as i32))
            .filter(cohort_figure::Column::MunicipalityCode.eq("18592"))
            .expect_one(app.db())
            .await
    };
    let closed = figures().await;
    assert_eq!((closed.closed, closed.completed), (true, 1));

    sign_in_coordinator(&app).await;
    let overview_path = format!("/coordinacion/cohortes/{}", cohort.id);
    let reopen_path = format!("/coordinacion/cohortes/{}/reabrir", cohort.id);
    let (_, overview) = page(&app, &overview_path).await;
    assert!(
        overview.contains(&format!("href=\"{reopen_path}\"")),
        "{overview}"
    );
    let (status, confirm) = page(&app, &reopen_path).await;
    assert_eq!(status, Status::Ok);
    assert!(confirm.contains("¿Reabrir la cohorte"), "{confirm}");
    assert!(confirm.contains("vuelven a quedar planeadas"), "{confirm}");
    // Without the confirmation nothing happens.
    let csrf = csrf_from(&app, &reopen_path).await;
    let response = post_form(&app, &reopen_path, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        cohort_row(&app, cohort.id).await.status,
        CohortStatus::Closed
    );

    // Confirmed: in progress again, people enrolled, demands planned, figures current.
    let response = post_form(
        &app,
        &reopen_path,
        &[("csrf_token", &csrf), ("confirmed", "true")],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let reopened = cohort_row(&app, cohort.id).await;
    assert_eq!(reopened.status, CohortStatus::InProgress);
    assert_eq!(reopened.closed_at, None);
    for id in [passes, fails] {
        let row = enrolment::Entity::find_by_id(id as i32)
            .expect_one(app.db())
            .await;
        assert_eq!(row.status, EnrolmentStatus::Enrolled);
        assert_eq!((row.sessions_total, row.final_grade_milli), (None, None));
    }
    for id in [puerto_demand, florencia_demand] {
        let row = demand_row(&app, id).await;
        assert_eq!(row.status, DemandStatus::Planned, "demand {id}");
        assert_eq!(row.cohort_id, Some(cohort.id as i32), "demand {id}");
        assert_eq!(row.met_at, None);
    }
    let open_again = figures().await;
    assert_eq!((open_again.closed, open_again.completed), (false, 0));
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("cohort.reopened"))
        .filter(audit_log::Column::SubjectId.eq(cohort.id.to_string()))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 1);
    // The API keeps its contract: PATCH does not reopen.
    world.move_cohort(cohort.id, "closed").await;
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{}", cohort.id),
        Some(&world.staff),
        json!({"status": "in_progress"}),
    )
    .await
    .expect_status(Status::Conflict);
    // Its extension does, as the page.
    let reopening = format!("/api/v1/cohorts/{}/reopening", cohort.id);
    let body = api(&app, "POST", &reopening, Some(&world.staff), None)
        .await
        .expect_status(Status::Ok);
    assert_eq!(body["status"], "in_progress");
    let (status, body) = api(&app, "POST", &reopening, Some(&world.staff), None).await;
    assert_eq!(
        status,
        Status::Conflict,
        "only a closed cohort reopens: {body}"
    );

    // Once a certificate is issued, reopening is refused, with the reason.
    world.move_cohort(cohort.id, "closed").await;
    api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", cohort.id),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let refused = api(&app, "POST", &reopening, Some(&world.staff), None)
        .await
        .expect_status(Status::Conflict);
    assert!(
        json_str(&refused["detail"]).contains("ya se expidió 1 certificado"),
        "{refused}"
    );
    let (_, overview) = page(&app, &overview_path).await;
    assert!(!overview.contains(&format!("href=\"{reopen_path}\"")));
    let (_, confirm) = page(&app, &reopen_path).await;
    assert!(confirm.contains("ya se expidió 1 certificado"), "{confirm}");
    assert!(!confirm.contains("Sí, reabrir"), "no button once refused");
    let response = post_form(
        &app,
        &reopen_path,
        &[("csrf_token", &csrf), ("confirmed", "true")],
    )
    .await;
    assert_ne!(response.status(), Status::Ok);
    assert_eq!(
        cohort_row(&app, cohort.id).await.status,
        CohortStatus::Closed
    );
    assert_eq!(
        demand_row(&app, puerto_demand).await.status,
        DemandStatus::Met
    );
}

#[rocket::async_test]
async fn cancelling_a_cohort_says_who_is_emailed_and_acts_only_when_confirmed() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().seats(1).create().await;
    let people = world.people("cancela").count(2).create().await;
    for person in &people {
        world.enrol(cohort.id, person.id).await;
    }
    sign_in_coordinator(&app).await;
    let (_, overview) = page(&app, &format!("/coordinacion/cohortes/{}", cohort.id)).await;
    assert!(
        overview.contains(&format!(
            "class=\"button danger\" href=\"/coordinacion/cohortes/{}/cancelar\"",
            cohort.id
        )),
        "«Cancelar la cohorte» looks destructive: {overview}"
    );
    assert!(
        overview.contains("<button type=\"submit\">Iniciar la cohorte</button>"),
        "a step forward does not: {overview}"
    );
    let (_, confirm) = page(
        &app,
        &format!("/coordinacion/cohortes/{}/cancelar", cohort.id),
    )
    .await;
    assert!(
        confirm.contains("Se cancelan las inscripciones de 2 personas (1 inscritas y 1 en lista"),
        "{confirm}"
    );
    let (status, again) = post_status(
        &app,
        cohort.id,
        "cancelled",
        &[("reason", "Sin instructor")],
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(again.contains("¿Cancelar la cohorte"), "{again}");
    assert_eq!(cohort_row(&app, cohort.id).await.status, CohortStatus::Open);
    let (status, _) = post_status(
        &app,
        cohort.id,
        "cancelled",
        &[("reason", "Sin instructor"), ("confirmed", "true")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        cohort_row(&app, cohort.id).await.status,
        CohortStatus::Cancelled
    );
}

/// Posts `fields` (with the page's CSRF token) to `path`: the status and the HTML.
async fn post_with_csrf(
    app: &TestApp,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (Status, String) {
    let csrf = csrf_from(app, from).await;
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let response = post_form(app, path, &all).await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn cancelling_an_enrolment_confirms_first_and_the_cohort_shows_once_on_the_home() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .name("Cohorte de la confirmación")
        .seats(1)
        .create()
        .await;
    let people = world.people("cupo").count(2).create().await;
    let mine = world.enrol(cohort.id, people[0].id).await.id;
    let waiting = world.enrol(cohort.id, people[1].id).await.id;
    assert_eq!(
        sign_in_page(&app, "cupo0@example.org", "Clave-segura-2026").await,
        Status::SeeOther
    );

    let path = format!("/inscripciones/{mine}/cancelar");
    let (_, home) = page(&app, "/").await;
    assert!(
        home.contains(&format!("class=\"button danger\" href=\"{path}\"")),
        "«Cancelar» leads to the confirmation and looks destructive: {home}"
    );
    let (status, confirm) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    for fact in [
        "¿Cancelar su inscripción en «Cohorte de la confirmación»?",
        "Libera un cupo, que pasa a la persona que está en la lista de espera",
        "hay que inscribirse de nuevo",
    ] {
        assert!(confirm.contains(fact), "{fact}: {confirm}");
    }
    // Without the confirmation: the confirmation again, nothing cancelled.
    let (status, again) = post_with_csrf(&app, &path, &path, &[]).await;
    assert_eq!(status, Status::Ok);
    assert!(again.contains("¿Cancelar su inscripción"));
    assert_eq!(
        enrolment_status(&app, mine).await,
        EnrolmentStatus::Enrolled
    );
    let (status, _) = post_with_csrf(&app, &path, &path, &[("confirmed", "true")]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        enrolment_status(&app, mine).await,
        EnrolmentStatus::Cancelled
    );
    assert_eq!(
        enrolment_status(&app, waiting).await,
        EnrolmentStatus::Enrolled
    );

    // Enrolling again (now on the waiting list): the home shows the cohort once, as it is now.
    let public = format!("/cohortes/{}", cohort.id);
    let (status, _) = post_with_csrf(&app, &public, &format!("{public}/inscribirme"), &[]).await;
    assert_eq!(status, Status::SeeOther);
    let (_, home) = page(&app, "/").await;
    assert_eq!(
        home.matches(&format!("href=\"{public}\"")).count(),
        1,
        "one line per cohort: {home}"
    );
    assert!(home.contains("En lista de espera"), "{home}");

    // Someone else's enrolment is not theirs to cancel, nor to look at.
    let other = format!("/inscripciones/{waiting}/cancelar");
    assert_eq!(page(&app, &other).await.0, Status::NotFound);
    let (status, _) = post_with_csrf(&app, "/", &other, &[("confirmed", "true")]).await;
    assert_eq!(
        status,
        Status::NotFound,
        "not theirs: not found, nothing done"
    );
    assert_eq!(
        enrolment_status(&app, waiting).await,
        EnrolmentStatus::Enrolled
    );

    // The coordinator confirms from the roster, with the person's name and a reason field.
    post_with_csrf(&app, "/", "/salir", &[]).await;
    sign_in_coordinator(&app).await;
    let (_, roster) = page(
        &app,
        &format!("/coordinacion/cohortes/{}/inscripciones", cohort.id),
    )
    .await;
    assert!(roster.contains(&format!("href=\"{other}\"")), "{roster}");
    let (_, confirm) = page(&app, &other).await;
    assert!(
        confirm.contains(
            "¿Cancelar la inscripción de Persona cupo 1 en «Cohorte de la confirmación»?"
        ) && confirm.contains("name=\"reason\""),
        "{confirm}"
    );
}

#[rocket::async_test]
async fn revoking_says_the_reason_is_public_and_reissuing_says_what_replaces_it() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world
        .cohort()
        .sessions_from_now(&[Duration::days(-3)], 60)
        .create()
        .await;
    let person = world.people("certifica").create().await;
    let enrolled = world.enrol(cohort.id, person[0].id).await.id;
    world.move_cohort(cohort.id, "in_progress").await;
    world
        .take_attendance(&cohort.sessions, &[(enrolled, &[Mark::Presente])])
        .await;
    world.move_cohort(cohort.id, "closed").await;
    let issued = api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", cohort.id),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let code = json_str(&issued["issued"][0]["code"]).to_string();
    let status_of = |code: String| {
        let app = &app;
        async move {
            domain::entities::certificate::Entity::find()
                .filter(domain::entities::certificate::Column::Code.eq(code))
                .expect_one(app.db())
                .await
                .status
        }
    };
    sign_in_coordinator(&app).await;
    let list = format!("/coordinacion/cohortes/{}/certificados", cohort.id);
    let (_, certificates) = page(&app, &list).await;
    let revoke = format!("/coordinacion/certificados/{code}/revocar");
    let reissue = format!("/coordinacion/certificados/{code}/reexpedir");
    assert!(certificates.contains(&format!("class=\"button danger\" href=\"{revoke}\"")));
    assert!(certificates.contains(&format!("href=\"{reissue}\"")));

    let (status, confirm) = page(&app, &revoke).await;
    assert_eq!(status, Status::Ok);
    for fact in [
        "¿Revocar el certificado de Persona certifica 0?",
        "El motivo queda público",
        &format!("/verificar/{code}"),
        "certifica0@example.org",
        "name=\"reason\"",
    ] {
        assert!(confirm.contains(fact), "{fact}: {confirm}");
    }
    // The reason typed without the confirmation comes back in the confirmation; nothing revoked.
    let (status, again) =
        post_with_csrf(&app, &list, &revoke, &[("reason", "Documento equivocado")]).await;
    assert_eq!(status, Status::Ok);
    assert!(again.contains("value=\"Documento equivocado\""), "{again}");
    assert_eq!(
        status_of(code.clone()).await,
        domain::entities::values::CertificateStatus::Valid
    );

    // Re-issuing: what replaces what, and only when confirmed.
    let (status, confirm) = page(&app, &reissue).await;
    assert_eq!(status, Status::Ok);
    assert!(confirm.contains("queda como «Reemplazado»"), "{confirm}");
    let (status, _) = post_with_csrf(&app, &list, &reissue, &[]).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        status_of(code.clone()).await,
        domain::entities::values::CertificateStatus::Valid
    );
    let (status, _) = post_with_csrf(&app, &list, &reissue, &[("confirmed", "true")]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        status_of(code.clone()).await,
        domain::entities::values::CertificateStatus::Superseded
    );
    // The new one is revoked when confirmed.
    let new_code = domain::entities::certificate::Entity::find()
        .filter(domain::entities::certificate::Column::CohortId.eq(cohort.id as i32))
        .filter(domain::entities::certificate::Column::Code.ne(code.clone()))
        .expect_one(app.db())
        .await
        .code;
    let revoke = format!("/coordinacion/certificados/{new_code}/revocar");
    let (status, _) = post_with_csrf(
        &app,
        &list,
        &revoke,
        &[("reason", "Documento equivocado"), ("confirmed", "true")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        status_of(new_code).await,
        domain::entities::values::CertificateStatus::Revoked
    );
}

#[rocket::async_test]
async fn declining_a_nomination_and_cancelling_an_assistance_confirm_with_their_facts() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let liaison = role_token(&app, Role::Liaison).await; // El Paujíl's
    let cohort = world.cohort().seats(5).create().await.id;
    let nominated = api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/nominations"),
        Some(&liaison),
        json!({"document_type": "CC", "document_number": "1117555124",
                    "first_names": "Deisy", "last_names": "Losada",
                    "email": "deisy.losada@example.org"}),
    )
    .await
    .expect_status(Status::Created);
    let nomination = nominated["id"].as_i64().unwrap();
    let nomination_status = || async {
        domain::entities::nomination::Entity::find_by_id(nomination as i32)
            .expect_one(app.db())
            .await
            .status
    };
    sign_in_coordinator(&app).await;
    let roster = format!("/coordinacion/cohortes/{cohort}/inscripciones");
    let decline = format!("/coordinacion/postulaciones/{nomination}/rechazar");
    let (_, page_html) = page(&app, &roster).await;
    assert!(
        page_html.contains(&format!("class=\"button danger\" href=\"{decline}\"")),
        "{page_html}"
    );
    let (status, confirm) = page(&app, &decline).await;
    assert_eq!(status, Status::Ok);
    for fact in [
        "¿Rechazar la postulación de Deisy Losada",
        "deisy.losada@example.org",
        "el enlace que hizo la postulación",
        "name=\"reason\"",
    ] {
        assert!(confirm.contains(fact), "{fact}: {confirm}");
    }
    let decide = format!("/coordinacion/postulaciones/{nomination}");
    let fields = [
        ("decision", "rechazar"),
        ("cohort_id", &cohort.to_string()[..]),
        ("reason", "No cumple el perfil"),
    ];
    let (status, again) = post_with_csrf(&app, &roster, &decide, &fields).await;
    assert_eq!(status, Status::Ok);
    assert!(again.contains("value=\"No cumple el perfil\""), "{again}");
    assert_eq!(
        nomination_status().await,
        domain::entities::values::NominationStatus::Pending
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "true"));
    let (status, _) = post_with_csrf(&app, &roster, &decide, &confirmed).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        nomination_status().await,
        domain::entities::values::NominationStatus::Declined
    );

    // An assistance answering El Paujíl's open demand: cancelling says the demand opens again.
    let wanted = demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq("18256"))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .one(app.db())
        .await
        .unwrap()
        .expect("El Paujíl's open demand");
    let created = api_post(
        &app,
        "/api/v1/assistances",
        Some(&world.staff),
        json!({"municipality_code": "18256", "capacity_ids": [wanted.capacity_id],
                    "objective": "Acompañar el seguimiento del plan.",
                    "starts_on": crate::world::days(1).to_string(),
                    "ends_on": crate::world::days(200).to_string(), "modality": "presencial",
                    "demand_ids": [wanted.id]}),
    )
    .await
    .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    let workspace = format!("/asistencias/{id}");
    let state = format!("/asistencias/{id}/estado");
    let assistance_status = || async {
        domain::entities::assistance::Entity::find_by_id(id as i32)
            .expect_one(app.db())
            .await
            .status
    };
    let cancel = [("status", "cancelled"), ("reason", "La alcaldía la aplazó")];
    let (status, confirm) = post_with_csrf(&app, &workspace, &state, &cancel).await;
    assert_eq!(status, Status::Ok);
    for fact in [
        "¿Cancelar la asistencia",
        "La demanda que atiende vuelve a quedar abierta.",
        "value=\"La alcaldía la aplazó\"",
        "class=\"danger\"",
    ] {
        assert!(confirm.contains(fact), "{fact}: {confirm}");
    }
    assert_eq!(
        assistance_status().await,
        domain::entities::values::AssistanceStatus::Planned
    );
    // Refused by the rules (no reason): no confirmation to offer, nothing changes.
    let (status, refused) =
        post_with_csrf(&app, &workspace, &state, &[("status", "cancelled")]).await;
    // The workspace again (issue 45), the reason's problem beside its field.
    assert_eq!(status, Status::UnprocessableEntity, "{refused}");
    assert!(
        refused.contains("id=\"error-cancelacion-reason\""),
        "{refused}"
    );
    let mut confirmed = cancel.to_vec();
    confirmed.push(("confirmed", "true"));
    let (status, _) = post_with_csrf(&app, &workspace, &state, &confirmed).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        assistance_status().await,
        domain::entities::values::AssistanceStatus::Cancelled
    );
    assert_eq!(
        demand_row(&app, i64::from(wanted.id)).await.status,
        DemandStatus::Open
    );
}
