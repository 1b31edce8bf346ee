//! Issue 46, trust third pass: scope is not something a coordinator can widen. The takeover
//! found: the Gobernación del Caquetá's offer coordinator opened a national cohort of its own
//! provider, enrolled a Meta official by her participant id, read her document, phone and email
//! from its roster, «corrected» her email to its own mailbox and took her account. Now a
//! coordinator enrols by id or document only the people it already reaches; anyone else is
//! invited, learns nothing, and enrols only by accepting, signed in as herself.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, META_COORDINATOR, api, api_get, api_post, csrf_from_client, decoded_text,
    download, form_body, json_items, json_str, leaked_in, page_on, post_csrf, role_token,
    sign_in_client, token, upload, write_table,
};
use crate::world::{World, days, demo_cohort, set_status};
use domain::entities::values::{CohortStatus, EnrolmentStatus, InvitationStatus, Role};
use domain::entities::{
    audit_log, email_change, enrolment, enrolment_invitation, outbox, participant, user,
};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};

/// The Gobernación del Caquetá's offer coordinator (a provider other than ESAP).
const GOBERNACION: (&str, &str) = (
    "oferta.gobcaqueta@aulaterritorial.example",
    "Oferta-Caqueta-2026",
);

/// The attacker's own mailbox.
const ATTACKER_MAILBOX: &str = "buzon.propio@example.org";

/// The password of the people `World::people` builds.
const PEOPLE_PASSWORD: &str = "Clave-segura-2026";

/// A course of the Gobernación's own and an open cohort of it, built with its token: offered
/// to the whole country (no targets) or to `municipalities` only; its id.
async fn gobernacion_cohort(
    app: &TestApp,
    world: &World<'_>,
    gob: &str,
    code: &str,
    municipalities: &[&str],
    seats: i64,
) -> i64 {
    api_post(
        app,
        "/api/v1/courses",
        Some(gob),
        json!({"code": code, "name": format!("Curso {code}"), "hours": 20,
                    "capacity_ids": [1]}),
    )
    .await
    .expect_status(Status::Created);
    let mut body = world
        .cohort()
        .course(code)
        .targets(municipalities, &[])
        .seats(seats)
        .body()
        .await;
    body["name"] = json!(format!("Cohorte {code}"));
    let created = api_post(app, "/api/v1/cohorts", Some(gob), body)
        .await
        .expect_status(Status::Created);
    let id = created["id"].as_i64().unwrap();
    let starts_at = domain::time::from_local(days(1), 9, 0);
    api_post(
        app,
        &format!("/api/v1/cohorts/{id}/sessions"),
        Some(gob),
        json!({
            "starts_at": aula_territorial::api::date_time(starts_at),
            "ends_at": aula_territorial::api::date_time(starts_at + chrono::Duration::hours(3)),
            "topic": "Apertura",
        }),
    )
    .await
    .expect_status(Status::Created);
    let (status, opened) = set_status(app, gob, id, "open").await;
    assert_eq!(status, Status::Ok, "{opened}");
    id
}

/// A browser signed in as `email`.
async fn browser(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, email, password).await;
    client
}

async fn get_page(client: &Client, path: &str) -> (Status, String) {
    page_on(client, path).await
}

async fn post_page(client: &Client, path: &str, from: &str, fields: &[(&str, &str)]) -> Status {
    let csrf = csrf_from_client(client, from).await;
    post_csrf(client, path, &csrf, fields).await.status()
}

/// The emails of invitations queued for `recipient`.
async fn invitations_to(app: &TestApp, recipient: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(recipient))
        .filter(outbox::Column::DedupeKey.starts_with("invitacion:"))
        .fetch_all(app.db())
        .await
}

/// The token of an invitation email's link.
fn link_token(email: &outbox::Model) -> String {
    let start = email.body_text.find("/invitaciones/").expect("the link") + "/invitaciones/".len();
    email.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

async fn enrolments_of(app: &TestApp, cohort: i64, person: i32) -> Vec<enrolment::Model> {
    enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort as i32))
        .filter(enrolment::Column::ParticipantId.eq(person))
        .fetch_all(app.db())
        .await
}

/// The takeover chain, step by step: every «enrolment» of the Meta official is an invitation
/// that says nothing of her; nothing the coordinator can read holds her data; her record cannot
/// be corrected and no token reaches the attacker; she enrols by accepting, as herself.
#[rocket::async_test]
async fn a_providers_coordinator_cannot_pull_a_stranger_into_its_scope() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let gob = token(&app, GOBERNACION.0, GOBERNACION.1).await;
    let national = gobernacion_cohort(&app, &world, &gob, "GOB-NAL", &[], 30).await;
    let florencia = gobernacion_cohort(&app, &world, &gob, "GOB-FLO", &["18001"], 30).await;

    // A Meta official with an account, her phone on file.
    let victim = world.people("funcionariameta").of("50001").create().await;
    let victim = &victim[0];
    let mut record = participant::Entity::find_by_id(victim.id)
        .expect_one(app.db())
        .await
        .into_active_model();
    record.phone = Set(Some("3209998877".into()));
    let record = record.update(app.db()).await.unwrap();
    let account_email = record.email.clone().unwrap();
    let secrets = [
        record.document_number.clone(),
        account_email.clone(),
        "3209998877".to_string(),
        record.last_names.clone(),
    ];
    // The shared leak checker (the route matrix's): decoded text, documents also dotted.
    let leaks = |text: &str| -> Vec<String> {
        leaked_in(text, &secrets)
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    // Someone without an account, and nobody at all.
    let no_account = participant::Entity::find()
        .filter(participant::Column::UserId.is_null())
        .filter(participant::Column::MunicipalityCode.starts_with("50"))
        .one(app.db())
        .await
        .unwrap()
        .expect("a demo person of Meta without an account");

    let enrol = |cohort: i64, body: Value| {
        let app = &app;
        let gob = &gob;
        async move {
            api_post(
                app,
                &format!("/api/v1/cohorts/{cohort}/enrolments"),
                Some(gob),
                body,
            )
            .await
        }
    };
    let invited = json!({"status": "invited"});
    for (what, cohort, body) in [
        ("by id", national, json!({"participant_id": victim.id})),
        (
            "by document",
            national,
            json!({"document_type": "CC", "document_number": record.document_number}),
        ),
        (
            "with the override, in a Florencia-only cohort",
            florencia,
            json!({"participant_id": victim.id, "override_eligibility": true,
                    "override_reason": "Invitada por la gobernación"}),
        ),
        (
            "the same id again",
            national,
            json!({"participant_id": victim.id}),
        ),
        (
            "someone without an account",
            national,
            json!({"participant_id": no_account.id}),
        ),
        (
            "an unknown id",
            national,
            json!({"participant_id": 987_654}),
        ),
        (
            "an unknown document",
            national,
            json!({"document_type": "CC", "document_number": "99887766"}),
        ),
    ] {
        let (status, body) = enrol(cohort, body).await;
        assert_eq!(status, Status::Accepted, "{what}: {body}");
        assert_eq!(
            body, invited,
            "{what}: the answer says nothing of the person"
        );
    }
    assert!(enrolments_of(&app, national, victim.id).await.is_empty());
    assert!(enrolments_of(&app, florencia, victim.id).await.is_empty());
    assert!(
        enrolments_of(&app, national, no_account.id)
            .await
            .is_empty()
    );

    // One email per cohort, to her account's address; nothing for the others.
    let emails = invitations_to(&app, &account_email).await;
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert!(
        emails[0].body_text.contains("Wilson Javier Trujillo")
            && emails[0].body_text.contains("Gobernación del Caquetá")
            && emails[0].body_text.contains("Cohorte GOB-NAL"),
        "who asks, for which cohort: {}",
        emails[0].body_text
    );
    let national_token = link_token(&emails[0]);
    let florencia_token = link_token(&emails[1]);
    assert_eq!(
        outbox::Entity::find()
            .filter(outbox::Column::DedupeKey.starts_with("invitacion:"))
            .fetch_count(app.db())
            .await,
        2,
        "no email for a person without an account or for nobody"
    );

    // Nothing the coordinator reads holds her data: the roster (JSON, page), the workbook,
    // its invitations (JSON, page).
    let roster = api_get(
        &app,
        &format!("/api/v1/cohorts/{national}/enrolments"),
        Some(&gob),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(roster["total"], 0, "{roster}");
    let invitations = api_get(
        &app,
        &format!("/api/v1/cohorts/{national}/invitations"),
        Some(&gob),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(
        invitations["total"], 5,
        "one per request as typed: {invitations}"
    );
    assert!(leaks(&invitations.to_string()).is_empty(), "{invitations}");
    let named: Vec<&str> = json_items(&invitations)
        .iter()
        .map(|i| json_str(&i["named"]))
        .collect();
    assert!(
        named.contains(&format!("Participante n.º {}", victim.id).as_str()),
        "{named:?}"
    );
    assert!(named.contains(&"CC terminado en 7766"), "{named:?}");
    assert!(
        json_items(&invitations)
            .iter()
            .all(|i| i["status"] == "pending"),
        "the same state whoever it named: {invitations}"
    );
    let (status, _, workbook) = download(
        &app,
        &format!("/api/v1/cohorts/{national}/attendance.xlsx"),
        &gob,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(leaks(&decoded_text(&workbook)).is_empty(), "the workbook");
    let coordinator = browser(&app, GOBERNACION.0, GOBERNACION.1).await;
    for path in [
        format!("/cohortes/{national}/inscritos"),
        format!("/coordinacion/cohortes/{national}/inscripciones"),
        format!("/coordinacion/cohortes/{florencia}/inscripciones"),
    ] {
        let (status, html) = get_page(&coordinator, &path).await;
        assert_eq!(status, Status::Ok, "{path}");
        assert!(leaks(&html).is_empty(), "{path}: {:?}", leaks(&html));
        if path.ends_with("inscripciones") {
            assert!(html.contains("Invitaciones"), "{path}");
        }
    }
    // The page's form answers the same words, whoever the document names.
    let form = format!("/coordinacion/cohortes/{national}/inscripciones");
    for document in [record.document_number.as_str(), "55443322"] {
        let status = post_page(
            &coordinator,
            &form,
            &form,
            &[("document_type", "CC"), ("document_number", document)],
        )
        .await;
        assert_eq!(status, Status::SeeOther);
        let (_, html) = get_page(&coordinator, &form).await;
        assert!(html.contains("recibió por correo una invitación"), "{html}");
        assert!(leaks(&html).is_empty());
    }

    // Her record cannot be corrected by the coordinator (404), and no token reaches its
    // mailbox: no email change, no reset link.
    let correction = format!("/coordinacion/personas/{}/corregir", victim.id);
    let (status, _) = get_page(&coordinator, &correction).await;
    assert_eq!(status, Status::NotFound);
    let csrf = csrf_from_client(&coordinator, &form).await;
    let status = coordinator
        .post(correction.clone())
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", &csrf),
            ("first_names", "Persona"),
            ("last_names", "Tomada"),
            ("document_type", "CC"),
            ("document_number", &record.document_number),
            ("email", ATTACKER_MAILBOX),
            ("municipality_code", "50001"),
            ("reason", "Correo mal digitado"),
        ]))
        .dispatch()
        .await
        .status();
    assert_eq!(status, Status::NotFound);
    let reset = post_page(
        &app.another_instance(&[]).await,
        "/contrasena/olvido",
        "/contrasena/olvido",
        &[("email", &account_email)],
    )
    .await;
    assert!(reset.code < 500);
    assert_eq!(
        outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(ATTACKER_MAILBOX))
            .fetch_count(app.db())
            .await,
        0,
        "nothing ever goes to the attacker's mailbox"
    );
    assert_eq!(email_change::Entity::find().fetch_count(app.db()).await, 0);
    // Her account still signs in and receives mail at her own address only.
    let victim_account = participant::Entity::find_by_id(victim.id)
        .expect_one(app.db())
        .await
        .user_id
        .unwrap();
    let account = user::Entity::find_by_id(victim_account)
        .expect_one(app.db())
        .await;
    assert_eq!(account.email, account_email);

    // The link is hers alone: the coordinator, another participant → 404.
    let other = world.people("otraparticipante").of("50001").create().await;
    for (who, caller) in [
        ("the coordinator", &gob),
        ("another participant", &other[0].token),
    ] {
        let (status, _) = api_get(
            &app,
            &format!("/api/v1/invitations/{national_token}"),
            Some(caller),
        )
        .await;
        assert_eq!(status, Status::NotFound, "{who}");
        let (status, _) = api(
            &app,
            "POST",
            &format!("/api/v1/invitations/{national_token}/acceptance"),
            Some(caller),
            None,
        )
        .await;
        assert_eq!(status, Status::NotFound, "{who}");
    }
    let (status, _) = get_page(&coordinator, &format!("/invitaciones/{national_token}")).await;
    assert_eq!(status, Status::NotFound);
    assert!(enrolments_of(&app, national, victim.id).await.is_empty());

    // She reads who asks, and accepts with her own session: enrolled, audited.
    let seen = api_get(
        &app,
        &format!("/api/v1/invitations/{national_token}"),
        Some(&victim.token),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(seen["invited_by"], "Wilson Javier Trujillo");
    assert_eq!(seen["cohort"], "Cohorte GOB-NAL");
    assert_eq!(seen["status"], "pending");
    let accepted = api(
        &app,
        "POST",
        &format!("/api/v1/invitations/{national_token}/acceptance"),
        Some(&victim.token),
        None,
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(accepted["status"], "enrolled");
    let rows = enrolments_of(&app, national, victim.id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, EnrolmentStatus::Enrolled);
    assert!(!rows[0].eligibility_override);
    // Both of the coordinator's requests for her (by id and by document) are answered.
    let answered = enrolment_invitation::Entity::find()
        .filter(enrolment_invitation::Column::CohortId.eq(national as i32))
        .filter(enrolment_invitation::Column::ParticipantId.eq(victim.id))
        .fetch_all(app.db())
        .await;
    assert_eq!(answered.len(), 2);
    assert!(
        answered
            .iter()
            .all(|i| i.status == InvitationStatus::Accepted && i.enrolment_id == Some(rows[0].id))
    );
    assert!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("enrolment_invitation.accepted"))
            .fetch_count(app.db())
            .await
            == 1
    );
    api(
        &app,
        "POST",
        &format!("/api/v1/invitations/{national_token}/acceptance"),
        Some(&victim.token),
        None,
    )
    .await
    .expect_status(Status::Conflict);

    // The Florencia-only cohort: the inviter's override applies when she accepts on the page.
    let her = browser(&app, &account_email, PEOPLE_PASSWORD).await;
    let link = format!("/invitaciones/{florencia_token}");
    let (status, html) = get_page(&her, &link).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Wilson Javier Trujillo") && html.contains("por excepción"),
        "{html}"
    );
    let status = post_page(&her, &format!("{link}/aceptar"), &link, &[]).await;
    assert_eq!(status, Status::SeeOther);
    let rows = enrolments_of(&app, florencia, victim.id).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].eligibility_override);
    assert_eq!(
        rows[0].override_reason.as_deref(),
        Some("Invitada por la gobernación")
    );
}

/// Enrolling ids 1..60 harvests nothing: each answer is the same 202 (or, past the cohort's
/// bound on pending invitations, the same 422), nobody is enrolled, no document reaches the
/// roster, and the cohort holds at most twice its seats (at least 10) pending invitations.
#[rocket::async_test]
async fn mass_enrolment_by_id_yields_no_document_numbers() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let gob = token(&app, GOBERNACION.0, GOBERNACION.1).await;
    world.people("masiva").count(5).of("50001").create().await;
    let cohort = gobernacion_cohort(&app, &world, &gob, "GOB-MAS", &[], 10).await;
    let documents: Vec<String> = participant::Entity::find()
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|p| p.document_number)
        .collect();
    assert!(documents.len() > 20, "{} people", documents.len());

    let (mut invited, mut full) = (0, 0);
    for id in 1..=60 {
        let (status, body) = api_post(
            &app,
            &format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(&gob),
            json!({"participant_id": id}),
        )
        .await;
        let text = body.to_string();
        assert!(leaked_in(&text, &documents).is_empty(), "id {id}: {text}");
        match status {
            Status::Accepted => {
                assert_eq!(body, json!({"status": "invited"}), "id {id}");
                invited += 1;
            }
            Status::UnprocessableEntity => {
                assert!(text.contains("invitaciones pendientes"), "id {id}: {text}");
                assert_eq!(body["errors"][0]["field"], "participant_id");
                full += 1;
            }
            other => panic!("id {id}: {other} {text}"),
        }
    }
    assert_eq!((invited, full), (20, 40), "twice the 10 seats");
    // A request already pending answers the same even when the cohort is full.
    api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments"),
        Some(&gob),
        json!({"participant_id": 1}),
    )
    .await
    .expect_status(Status::Accepted);

    assert_eq!(
        enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort as i32))
            .fetch_count(app.db())
            .await,
        0
    );
    let roster = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments"),
        Some(&gob),
    )
    .await
    .expect_status(Status::Ok);
    let (_, invitations) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/invitations"),
        Some(&gob),
    )
    .await;
    let coordinator = browser(&app, GOBERNACION.0, GOBERNACION.1).await;
    let (_, roster_page) = get_page(&coordinator, &format!("/cohortes/{cohort}/inscritos")).await;
    let (_, workspace) = get_page(
        &coordinator,
        &format!("/coordinacion/cohortes/{cohort}/inscripciones"),
    )
    .await;
    for (what, text) in [
        ("roster", roster.to_string()),
        ("invitations", invitations.to_string()),
        ("roster page", roster_page),
        ("workspace", workspace),
    ] {
        let found = leaked_in(&text, &documents);
        assert!(found.is_empty(), "{what} holds documents {found:?}");
    }
    assert_eq!(invitations["total"], 20);
}

/// The Dirección Territorial Meta's coordinator manages the open cohort of Caquetá and Meta:
/// a Meta person is enrolled directly; a Caquetá person, by id, by document or in a file, is
/// invited (the file's preview counts her, without her name). ESAP's national coordinator
/// enrols anybody directly, as before.
#[rocket::async_test]
async fn a_direction_invites_people_outside_its_departments_and_esap_enrols_directly() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let direction = token(&app, META_COORDINATOR.0, META_COORDINATOR.1).await;
    let open = demo_cohort(app.db(), CohortStatus::Open).await;
    let path = format!("/api/v1/cohorts/{}/enrolments", open.id);
    let caqueta = world.people("caquetena").of("18592").create().await;
    let meta = world.people("metense").of("50325").create().await;
    let caqueta_record = participant::Entity::find_by_id(caqueta[0].id)
        .expect_one(app.db())
        .await;

    let body = api_post(
        &app,
        &path,
        Some(&direction),
        json!({"participant_id": caqueta[0].id}),
    )
    .await
    .expect_status(Status::Accepted);
    assert_eq!(body, json!({"status": "invited"}));
    assert!(
        enrolments_of(&app, open.id as i64, caqueta[0].id)
            .await
            .is_empty()
    );
    assert_eq!(
        invitations_to(&app, caqueta_record.email.as_deref().unwrap())
            .await
            .len(),
        1
    );
    let (status, body) = api_post(
        &app,
        &path,
        Some(&direction),
        json!({"participant_id": meta[0].id}),
    )
    .await;
    assert_eq!(status, Status::Created, "a Meta person: {body}");

    // A file naming the Caquetá person (by her document) and a new Meta official.
    let header: Vec<String> = [
        "Tipo de documento",
        "Número de documento",
        "Nombres",
        "Apellidos",
        "Código DANE del municipio",
        "Tipo de entidad",
        "Nivel",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let row = |document: &str, first: &str, last: &str, place: &str| -> Vec<String> {
        ["CC", document, first, last, place, "alcaldia", "tecnico"]
            .iter()
            .map(|c| c.to_string())
            .collect()
    };
    let file = write_table(&[
        header,
        row(
            &caqueta_record.document_number,
            "Cualquier",
            "Nombre",
            "50325",
        ),
        row("77665544", "Nueva", "Funcionaria", "50325"),
    ]);
    let import = format!("{path}/import");
    let (status, preview) = upload(
        &app,
        &format!("{import}?dry_run=true"),
        &direction,
        "inscritos.xlsx",
        &file,
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(preview["invited"], 1, "{preview}");
    assert_eq!(preview["enrolled"], 1, "{preview}");
    let text = preview.to_string();
    assert!(
        !text.contains(&caqueta_record.document_number)
            && !text.contains(&caqueta_record.last_names),
        "{text}"
    );
    let (status, done) = upload(&app, &import, &direction, "inscritos.xlsx", &file).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["invited"], 1);
    assert!(
        enrolments_of(&app, open.id as i64, caqueta[0].id)
            .await
            .is_empty(),
        "the file enrols nobody it does not reach"
    );

    // ESAP's national coordinator: directly, as before; an unknown person is a 422.
    let esap = role_token(&app, Role::Coordinator).await;
    api_post(
        &app,
        &path,
        Some(&esap),
        json!({"participant_id": caqueta[0].id}),
    )
    .await
    .expect_status(Status::Created);
    let (status, body) =
        api_post(&app, &path, Some(&esap), json!({"participant_id": 987_654})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    // Her invitation is now moot: accepting says she is already enrolled.
    let email = &invitations_to(&app, caqueta_record.email.as_deref().unwrap()).await[0];
    api(
        &app,
        "POST",
        &format!("/api/v1/invitations/{}/acceptance", link_token(email)),
        Some(&caqueta[0].token),
        None,
    )
    .await
    .expect_status(Status::Conflict);
}

/// Declining: the person says no on the confirmation page; she is not enrolled, and the
/// coordinator sees the invitation declined, nothing more.
#[rocket::async_test]
async fn an_invitation_can_be_declined() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let gob = token(&app, GOBERNACION.0, GOBERNACION.1).await;
    let cohort = gobernacion_cohort(&app, &world, &gob, "GOB-DEC", &[], 10).await;
    let person = world.people("declina").of("50001").create().await;
    api_post(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments"),
        Some(&gob),
        json!({"participant_id": person[0].id}),
    )
    .await
    .expect_status(Status::Accepted);
    let email = &invitations_to(&app, "declina0@example.org").await[0];
    let link = format!("/invitaciones/{}", link_token(email));
    let her = browser(&app, "declina0@example.org", PEOPLE_PASSWORD).await;
    let (status, confirmation) = get_page(&her, &format!("{link}/rechazar")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        confirmation.contains("¿Rechazar la invitación"),
        "{confirmation}"
    );
    // Without the confirmation nothing happens.
    let status = post_page(&her, &format!("{link}/rechazar"), &link, &[]).await;
    assert_eq!(status, Status::Ok);
    let status = post_page(
        &her,
        &format!("{link}/rechazar"),
        &link,
        &[("confirmed", "true")],
    )
    .await;
    assert_eq!(status, Status::SeeOther);
    assert!(enrolments_of(&app, cohort, person[0].id).await.is_empty());
    let (_, invitations) = api_get(
        &app,
        &format!("/api/v1/cohorts/{cohort}/invitations"),
        Some(&gob),
    )
    .await;
    assert_eq!(
        invitations["items"][0]["status"], "declined",
        "{invitations}"
    );
    // A declined invitation is not accepted afterwards: its page again, saying so.
    let status = post_page(&her, &format!("{link}/aceptar"), &link, &[]).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(enrolments_of(&app, cohort, person[0].id).await.is_empty());
}
