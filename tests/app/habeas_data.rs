//! Habeas data (Ley 1581 de 2012, issue 67): a person's requests and their 15-business-day
//! term, the administrator's resolution (only hers), supresión anonymising the record while the
//! certificates already issued stay verifiable with their name, every staff view of a record
//! shown to the person, and the retention term.

use crate::common::TestApp;
use crate::support::*;
use crate::world::demo_cohort;
use domain::entities::values::{CohortStatus, DocumentType, EnrolmentStatus, Role};
use domain::entities::{
    audit_log, certificate, consent, data_request, enrolment, outbox, participant, user,
};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

const PASSWORD: &str = "Clave-segura-2026";

/// A completer of the demo's closed cohort, given an account: (participant, her token).
async fn completer_with_account(app: &TestApp, email: &str) -> (participant::Model, String) {
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(closed.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .order_by_asc(enrolment::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo has completers");
    let hash = domain::accounts::passwords::hash(PASSWORD).await.unwrap();
    let at = domain::time::now();
    let account = user::ActiveModel {
        email: Set(email.into()),
        password_hash: Set(hash),
        full_name: Set("Titular".into()),
        role: Set(Role::Participant),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let mut person: participant::ActiveModel =
        participant::Entity::find_by_id(completed.participant_id)
            .expect_one(app.db())
            .await
            .into();
    person.user_id = Set(Some(account.id));
    person.email = Set(Some(email.into()));
    let person = person.update(app.db()).await.unwrap();
    let staff = role_token(app, Role::Coordinator).await;
    let (status, body) = api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&staff),
        None,
    )
    .await;
    assert!(status.code < 300, "{body}");
    (person, token(app, email, PASSWORD).await)
}

#[rocket::async_test]
async fn an_accepted_supresion_anonymises_the_record_and_her_certificates_stay_verifiable() {
    let app = TestApp::with_demo().await;
    let (person, mine) = completer_with_account(&app, "suprimir@example.org").await;
    let name = person.full_name();
    let certificate = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(person.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("her certificate was issued");
    let enrolments_before = enrolment::Entity::find().fetch_count(app.db()).await;

    let request = api_post(
        &app,
        "/api/v1/me/data-requests",
        Some(&mine),
        json!({"kind": "supresion", "reason": "Ya no quiero estar en la plataforma"}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(request["status"], "pending");
    assert_eq!(request["kind"], "supresion");
    let today = domain::time::today();
    assert_eq!(request["requested_on"], today.to_string());
    assert_eq!(
        request["due_on"],
        domain::holidays::business_days_after(today, 15).to_string()
    );
    let id = request["id"].as_i64().unwrap();

    // One pending request of a kind at a time; an unknown kind is refused.
    api_post(
        &app,
        "/api/v1/me/data-requests",
        Some(&mine),
        json!({"kind": "supresion"}),
    )
    .await
    .expect_status(Status::Conflict);
    api_post(
        &app,
        "/api/v1/me/data-requests",
        Some(&mine),
        json!({"kind": "olvido"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let (_, listed) = api_get(&app, "/api/v1/me/data-requests", Some(&mine)).await;
    assert_eq!(json_items(&listed).len(), 1);

    // Only an administrator resolves.
    let path = format!("/api/v1/data-requests/{id}/resolution");
    let accept = json!({"decision": "accepted"});
    for role in [Role::Coordinator, Role::Instructor, Role::Reviewer] {
        let other = role_token(&app, role).await;
        let (status, _) = api_post(&app, &path, Some(&other), accept.clone()).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
        let (status, _) = api_get(&app, "/api/v1/data-requests", Some(&other)).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
    }
    api_post(&app, &path, Some(&mine), accept.clone())
        .await
        .expect_status(Status::Forbidden);
    let admin = role_token(&app, Role::Admin).await;
    let (status, body) = api_post(&app, &path, Some(&admin), json!({"decision": "rejected"})).await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "a rejection needs a note: {body}"
    );
    assert_eq!(error_fields(&body), vec!["note"]);
    let (_, pending) = api_get(&app, "/api/v1/data-requests?status=pending", Some(&admin)).await;
    assert!(json_items(&pending).iter().any(|r| r["id"] == id));

    let resolved = api_post(&app, &path, Some(&admin), accept.clone())
        .await
        .expect_status(Status::Ok);
    assert_eq!(resolved["status"], "accepted");
    let (status, _) = api_post(&app, &path, Some(&admin), accept).await;
    assert_eq!(status, Status::Conflict, "resolved once");

    // Her record holds nothing that names her; her account is closed.
    let after = participant::Entity::find_by_id(person.id)
        .expect_one(app.db())
        .await;
    assert!(after.anonymised_at.is_some());
    assert_ne!(after.full_name(), name);
    assert_ne!(after.document_number, person.document_number);
    assert_eq!(after.email, None);
    assert_eq!(after.phone, None);
    assert_eq!(after.sex, None);
    let account = user::Entity::find_by_id(person.user_id.unwrap())
        .expect_one(app.db())
        .await;
    assert!(!account.active);
    assert_ne!(account.email, "suprimir@example.org");
    let (status, _) = api_get(&app, "/api/v1/me", Some(&mine)).await;
    assert_eq!(status, Status::Unauthorized, "her token no longer works");
    // Her consents stay as proof; her counts stay.
    assert!(
        consent::Entity::find()
            .filter(consent::Column::ParticipantId.eq(person.id))
            .fetch_count(app.db())
            .await
            > 0
    );
    assert_eq!(
        enrolment::Entity::find().fetch_count(app.db()).await,
        enrolments_before
    );
    // The certificate already issued keeps the name it carries, verifiable.
    let verified = api_get(
        &app,
        &format!("/api/v1/certificates/{}", certificate.code),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(verified["full_name"], name);
    assert_eq!(verified["status"], "valid");
    let (status, html) = page(&app, &format!("/verificar/{}", certificate.code)).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&name), "the verification page names her");

    // She was written to on the request and on its answer; both are audited.
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("suprimir@example.org"))
        .filter(outbox::Column::Subject.contains("solicitud sobre sus datos personales"))
        .fetch_count(app.db())
        .await;
    assert_eq!(mails, 2);
    for action in [
        "data_request.created",
        "data_request.accepted",
        "participant.anonymised",
    ] {
        assert!(
            audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq(action))
                .fetch_count(app.db())
                .await
                >= 1,
            "{action}"
        );
    }
}

#[rocket::async_test]
async fn the_admin_page_lists_pending_requests_first_flagging_late_ones() {
    let app = TestApp::with_demo().await;
    let (person, mine) = completer_with_account(&app, "consulta@example.org").await;
    let request = api_post(
        &app,
        "/api/v1/me/data-requests",
        Some(&mine),
        json!({"kind": "consulta"}),
    )
    .await
    .expect_status(Status::Created);
    // Asked weeks ago: its term has passed.
    let mut row: data_request::ActiveModel =
        data_request::Entity::find_by_id(request["id"].as_i64().unwrap() as i32)
            .expect_one(app.db())
            .await
            .into();
    let asked = crate::world::days(-60);
    row.requested_on = Set(asked);
    row.due_on = Set(domain::habeas::requests::due_on(asked));
    row.update(app.db()).await.unwrap();
    let admin = role_token(&app, Role::Admin).await;
    let (_, listed) = api_get(&app, "/api/v1/data-requests", Some(&admin)).await;
    let first = &listed["items"][0];
    assert_eq!(first["id"], request["id"]);
    assert_eq!(
        domain::habeas::requests::due_on(crate::world::date("2026-11-06")).to_string(),
        "2026-11-30",
        "16 November is a holiday"
    );
    assert_eq!(first["urgency"], "vencida");

    let (email, password) = demo_account(Role::Admin);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, "/admin/solicitudes-de-datos").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains(&person.full_name()));
    assert!(html.contains("vencida"));
    assert!(
        html.contains("/admin/solicitudes-de-datos\""),
        "linked from the navigation"
    );
}

#[rocket::async_test]
async fn a_staff_view_of_her_record_is_shown_to_her() {
    let app = TestApp::with_demo().await;
    let (person, mine) = completer_with_account(&app, "vista@example.org").await;
    let (_, before) = api_get(&app, "/api/v1/me/data-access", Some(&mine)).await;
    assert_eq!(json_items(&before).len(), 0);

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (status, _) = page(
        &app,
        &format!("/coordinacion/personas/{}/corregir", person.id),
    )
    .await;
    assert_eq!(status, Status::Ok);

    let seen = api_get(&app, "/api/v1/me/data-access", Some(&mine))
        .await
        .expect_status(Status::Ok);
    let items = json_items(&seen);
    assert_eq!(items.len(), 1, "{seen}");
    assert_eq!(items[0]["by_role"], "coordinator");
    let coordinator = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    assert_eq!(items[0]["by_name"], coordinator.full_name);
    assert!(json_str(&items[0]["at"]).ends_with("-05:00"));
    assert!(!json_str(&items[0]["what"]).is_empty());

    sign_in_page(&app, "vista@example.org", PASSWORD).await;
    let (status, html) = page(&app, "/perfil/datos").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Quién ha consultado mi registro"));
    assert!(
        html.contains(&coordinator.full_name),
        "the page names who opened it"
    );
}

#[rocket::async_test]
async fn she_asks_from_her_data_page_and_a_refused_form_keeps_what_she_typed() {
    let app = TestApp::with_demo().await;
    let (person, _) = completer_with_account(&app, "pagina@example.org").await;
    sign_in_page(&app, "pagina@example.org", PASSWORD).await;
    let csrf = csrf_from(&app, "/perfil/datos").await;
    let refused = post_form(
        &app,
        "/perfil/datos/solicitudes",
        &[
            ("csrf_token", &csrf),
            ("kind", ""),
            ("reason", "Motivo escrito"),
        ],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("Motivo escrito"));
    let hers =
        || data_request::Entity::find().filter(data_request::Column::ParticipantId.eq(person.id));
    assert_eq!(hers().fetch_count(app.db()).await, 0, "nothing written");
    let saved = post_form(
        &app,
        "/perfil/datos/solicitudes",
        &[
            ("csrf_token", &csrf),
            ("kind", "revocacion"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(saved.status(), Status::SeeOther);
    let row = hers().expect_one(app.db()).await;
    assert_eq!(row.kind, "revocacion");

    // Accepted, her consents are withdrawn (kept as proof).
    let admin = role_token(&app, Role::Admin).await;
    api_post(
        &app,
        &format!("/api/v1/data-requests/{}/resolution", row.id),
        Some(&admin),
        json!({"decision": "accepted", "note": "Revocada"}),
    )
    .await
    .expect_status(Status::Ok);
    let consents = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person.id))
        .fetch_all(app.db())
        .await;
    assert!(!consents.is_empty());
    assert!(consents.iter().all(|c| c.withdrawn_at.is_some()));
}

#[rocket::async_test]
async fn the_retention_job_anonymises_only_people_inactive_for_the_term() {
    let app = TestApp::new().await;
    let now = domain::time::now();
    let long_ago = now - chrono::Duration::days(6 * 366);
    let person = |n: u32, at| participant::ActiveModel {
        document_type: Set(DocumentType::Cc),
        document_number: Set(format!("7700{n}")),
        first_names: Set(format!("Nombre{n}")),
        last_names: Set("Apellido".into()),
        email: Set(Some(format!("retencion{n}@example.org"))),
        municipality_code: Set("18592".into()),
        entity_type: Set("alcaldia".into()),
        level: Set("tecnico".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let inactive = person(1, long_ago).insert(app.db()).await.unwrap();
    let recent = person(2, now).insert(app.db()).await.unwrap();
    // Old record, but she signed in last month.
    let account = user::ActiveModel {
        email: Set("retencion3@example.org".into()),
        password_hash: Set("x".into()),
        full_name: Set("Nombre3 Apellido".into()),
        role: Set(Role::Participant),
        active: Set(true),
        created_at: Set(long_ago),
        updated_at: Set(long_ago),
        last_login_at: Set(Some(now - chrono::Duration::days(30))),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let mut signed_in = person(3, long_ago);
    signed_in.user_id = Set(Some(account.id));
    let signed_in = signed_in.insert(app.db()).await.unwrap();

    let done = domain::habeas::retention::run(app.db(), 5, now)
        .await
        .unwrap();
    assert_eq!(done, 1);
    let db = app.db().clone();
    let reread = |id| {
        let db = db.clone();
        async move {
            participant::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let gone = reread(inactive.id).await;
    assert!(gone.anonymised_at.is_some());
    assert_eq!(gone.email, None);
    assert_ne!(gone.first_names, "Nombre1");
    for kept in [recent.id, signed_in.id] {
        let row = reread(kept).await;
        assert!(row.anonymised_at.is_none());
        assert!(row.email.is_some());
    }
    // 0 turns it off; a second pass finds nobody new.
    assert_eq!(
        domain::habeas::retention::run(app.db(), 0, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        domain::habeas::retention::run(app.db(), 5, now)
            .await
            .unwrap(),
        0
    );
}

/// A multipart body: the text `fields`, then `bytes` as the field `file` named `filename`.
fn multipart_body(
    boundary: &str,
    fields: &[(&str, &str)],
    filename: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if !bytes.is_empty() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Posts a multipart form (with `token` as bearer, or in the browser's session): (status, body).
async fn post_multipart(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
    bytes: &[u8],
) -> (Status, String) {
    use rocket::http::{ContentType, Header};
    const BOUNDARY: &str = "----aula-habeas";
    let mut request = app
        .client
        .post(path.to_string())
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(multipart_body(BOUNDARY, fields, "personas.csv", bytes));
    if let Some(token) = token {
        request = request.header(Header::new("Authorization", format!("Bearer {token}")));
    }
    let response = request.dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// The consent rows of the person whose document is `number`.
async fn consents_of_document(app: &TestApp, number: &str) -> Vec<consent::Model> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq(number))
        .one(app.db())
        .await
        .unwrap()
    else {
        return Vec::new();
    };
    consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person.id))
        .fetch_all(app.db())
        .await
}

const IMPORT_HEADER: &str =
    "tipo_documento,numero_documento,nombres,apellidos,codigo_dane,tipo_entidad,nivel\n";

/// Issue 67: importing from the page needs the declaration that each person authorized the
/// treatment of her data, and its source; without them, 422 and nothing written (the previewed
/// file stays ready). With them, each person created carries that authorization.
#[rocket::async_test]
async fn a_page_import_without_the_declaration_writes_nothing() {
    let app = TestApp::with_demo().await;
    let open = demo_cohort(app.db(), CohortStatus::Open).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let coordinator = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .expect_one(app.db())
        .await;
    let base = format!("/coordinacion/cohortes/{}", open.id);
    let csrf = csrf_from(&app, &format!("{base}/inscripciones")).await;
    let csv = format!("{IMPORT_HEADER}CC,1117000931,Luz Dary,Quintero,18256,alcaldia,tecnico\n");
    let people = participant::Entity::find().fetch_count(app.db()).await;
    let enrolments = enrolment::Entity::find().fetch_count(app.db()).await;
    let path = format!("{base}/importar");

    // The file itself, imported at once without the box: refused.
    let (status, html) = post_multipart(
        &app,
        &path,
        None,
        &[
            ("csrf_token", &csrf),
            ("mode", "import"),
            ("fuente_autorizacion", ""),
        ],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("falta declarar la autorización"), "{html}");
    assert!(html.contains("autorizó el tratamiento de"), "{html}");
    assert_eq!(
        participant::Entity::find().fetch_count(app.db()).await,
        people
    );
    assert_eq!(
        enrolment::Entity::find().fetch_count(app.db()).await,
        enrolments
    );

    // Previewed, then «Importar» with the box but no source: refused, the draft kept.
    let (status, html) = post_multipart(
        &app,
        &path,
        None,
        &[("csrf_token", &csrf), ("mode", "preview")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    let draft = crate::offer_import::draft_of(&html);
    let (status, html) = post_multipart(
        &app,
        &path,
        None,
        &[
            ("csrf_token", &csrf),
            ("draft", &draft),
            ("mode", "import"),
            ("declaracion", "true"),
            ("fuente_autorizacion", "  "),
        ],
        b"",
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("de dónde consta la autorización"), "{html}");
    assert!(html.contains(&draft), "the previewed file stays ready");
    assert_eq!(
        participant::Entity::find().fetch_count(app.db()).await,
        people
    );
    assert_eq!(
        enrolment::Entity::find().fetch_count(app.db()).await,
        enrolments
    );

    // Declared with its source: imported, her authorization recorded with where it comes from.
    let source = "Formato físico de inscripción firmado el 12/11/2026";
    let (status, html) = post_multipart(
        &app,
        &path,
        None,
        &[
            ("csrf_token", &csrf),
            ("draft", &draft),
            ("mode", "import"),
            ("declaracion", "true"),
            ("fuente_autorizacion", source),
        ],
        b"",
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Importación realizada"), "{html}");
    assert_eq!(
        enrolment::Entity::find().fetch_count(app.db()).await,
        enrolments + 1
    );
    let consents = consents_of_document(&app, "1117000931").await;
    assert_eq!(consents.len(), 1, "{consents:?}");
    assert_eq!(consents[0].source.as_deref(), Some("import"));
    assert_eq!(consents[0].source_detail.as_deref(), Some(source));
    assert_eq!(consents[0].declared_by, Some(coordinator.id));
    assert_eq!(
        consents[0].text_version,
        domain::people::DATA_CONSENT_VERSION
    );
}

/// Issue 67: the API keeps its contract (no new required field): calling the import declares
/// the authorization of each person it creates, with `authorization_source` when given and a
/// note saying none was given otherwise; people already registered keep theirs untouched.
#[rocket::async_test]
async fn an_api_import_records_the_authorization_the_integrator_declares() {
    let app = TestApp::with_demo().await;
    let world = crate::world::World::new(&app).await;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let source = "Listado de asistencia con cláusula de autorización, taller del 10/11/2026";

    let csv = format!("{IMPORT_HEADER}CC,1117000941,Marleny,Cuéllar,18256,alcaldia,tecnico\n");
    let (status, body) = post_multipart(
        &app,
        &format!("{path}?dry_run=true"),
        Some(&world.staff),
        &[("authorization_source", source)],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert!(
        consents_of_document(&app, "1117000941").await.is_empty(),
        "a dry run writes nothing"
    );
    let (status, body) = post_multipart(
        &app,
        &path,
        Some(&world.staff),
        &[("authorization_source", source)],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    let consents = consents_of_document(&app, "1117000941").await;
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].source.as_deref(), Some("import"));
    assert_eq!(consents[0].source_detail.as_deref(), Some(source));
    assert_eq!(consents[0].declared_by, Some(world.staff_id));

    // Without the field (every existing integration): declared, without a source.
    let csv = format!("{IMPORT_HEADER}CC,1117000942,Rubiela,Cuéllar,18256,alcaldia,tecnico\n");
    let (status, body) = upload(&app, &path, &world.staff, "personas.csv", csv.as_bytes()).await;
    assert_eq!(status, Status::Ok, "{body}");
    let consents = consents_of_document(&app, "1117000942").await;
    assert_eq!(consents.len(), 1);
    assert_eq!(
        consents[0].source_detail.as_deref(),
        Some("Declarada por el integrador al importar por API (sin fuente indicada)")
    );
    assert_eq!(consents[0].declared_by, Some(world.staff_id));

    // A source that is not one line: 422, nothing written.
    let csv = format!("{IMPORT_HEADER}CC,1117000943,Nelly,Cuéllar,18256,alcaldia,tecnico\n");
    let (status, body) = post_multipart(
        &app,
        &path,
        Some(&world.staff),
        &[("authorization_source", "dos\nlíneas")],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body.contains("authorization_source"), "{body}");
    assert!(
        participant::Entity::find()
            .filter(participant::Column::DocumentNumber.eq("1117000943"))
            .one(app.db())
            .await
            .unwrap()
            .is_none()
    );
}

/// Issue 67: a person an import created reads in «Mis datos» (and in her export) that her
/// authorization was declared by whoever imported her, on which day, with which source.
#[rocket::async_test]
async fn she_sees_in_her_data_where_her_authorization_comes_from() {
    let app = TestApp::with_demo().await;
    let world = crate::world::World::new(&app).await;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let source = "Formato físico de inscripción firmado el 12/11/2026";
    let csv = format!("{IMPORT_HEADER}CC,1117000951,Yolima,Perdomo,18256,alcaldia,tecnico\n");
    let (status, body) = post_multipart(
        &app,
        &format!("/api/v1/cohorts/{cohort}/enrolments/import"),
        Some(&world.staff),
        &[("authorization_source", source)],
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    let coordinator = user::Entity::find_by_id(world.staff_id)
        .expect_one(app.db())
        .await;
    // She gets an account for the record the import created.
    let person = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.eq("1117000951"))
        .expect_one(app.db())
        .await;
    let hash = domain::accounts::passwords::hash(PASSWORD).await.unwrap();
    let at = domain::time::now();
    let account = user::ActiveModel {
        email: Set("yolima@example.org".into()),
        password_hash: Set(hash),
        full_name: Set(person.full_name()),
        role: Set(Role::Participant),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let mut row: participant::ActiveModel = person.into();
    row.user_id = Set(Some(account.id));
    row.update(app.db()).await.unwrap();

    let mine = token(&app, "yolima@example.org", PASSWORD).await;
    let export = api_get(&app, "/api/v1/me/data", Some(&mine))
        .await
        .expect_status(Status::Ok);
    let consent = &export["consents"][0];
    assert_eq!(consent["source"], "import");
    assert_eq!(consent["source_detail"], source);
    assert_eq!(consent["declared_by_name"], coordinator.full_name);

    sign_in_page(&app, "yolima@example.org", PASSWORD).await;
    let (status, html) = page(&app, "/perfil/datos").await;
    assert_eq!(status, Status::Ok);
    let today = domain::format::date(domain::time::today());
    let expected = format!(
        "Declarada por {} al importarla desde una planilla el {today}. Fuente: {source}.",
        coordinator.full_name
    );
    assert!(html.contains(&expected), "{expected}\n{html}");
}

/// The request lists are paged like the API's other lists: `page`, `per_page` (≤ 500) and
/// `total`; out of range → 422. The administrator's keeps its order across pages.
#[rocket::async_test]
async fn the_request_lists_are_paged() {
    let app = TestApp::with_demo().await;
    let (_, mine) = completer_with_account(&app, "paginas@example.org").await;
    let mut ids = Vec::new();
    for kind in ["consulta", "revocacion", "supresion"] {
        let request = api_post(
            &app,
            "/api/v1/me/data-requests",
            Some(&mine),
            json!({ "kind": kind }),
        )
        .await
        .expect_status(Status::Created);
        ids.push(request["id"].clone());
    }
    let first = api_get(&app, "/api/v1/me/data-requests?per_page=2", Some(&mine))
        .await
        .expect_status(Status::Ok);
    assert_eq!(
        (&first["total"], &first["page"], &first["per_page"]),
        (&json!(3), &json!(1), &json!(2))
    );
    assert_eq!(first["items"][0]["id"], ids[2], "newest first");
    assert_eq!(json_items(&first).len(), 2);
    let (_, second) = api_get(
        &app,
        "/api/v1/me/data-requests?per_page=2&page=2",
        Some(&mine),
    )
    .await;
    assert_eq!(json_items(&second).len(), 1);
    assert_eq!(second["items"][0]["id"], ids[0]);
    for bad in ["per_page=0", "per_page=501", "page=0"] {
        let (status, _) = api_get(
            &app,
            &format!("/api/v1/me/data-requests?{bad}"),
            Some(&mine),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}");
    }

    // The administrator's: the demo's pending supresión and these three, one a page, in
    // the order of the whole list.
    let admin = role_token(&app, Role::Admin).await;
    let (_, whole) = api_get(&app, "/api/v1/data-requests", Some(&admin)).await;
    let whole: Vec<_> = json_items(&whole).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(whole.len(), 4);
    let mut paged = Vec::new();
    for n in 1..=5 {
        let page = api_get(
            &app,
            &format!("/api/v1/data-requests?status=pending&per_page=1&page={n}"),
            Some(&admin),
        )
        .await
        .expect_status(Status::Ok);
        assert_eq!(page["total"], 4);
        paged.extend(json_items(&page).iter().map(|r| r["id"].clone()));
    }
    assert_eq!(paged, whole, "page by page, the same order");
    api_get(&app, "/api/v1/data-requests?per_page=501", Some(&admin))
        .await
        .expect_status(Status::UnprocessableEntity);
}

/// The demo: a person of the pilots asked days ago for her data to be deleted; the
/// administrator's queue shows it, pending, with its due date, and its page says what
/// accepting will do.
#[rocket::async_test]
async fn the_demo_holds_a_pending_supresion_in_the_admin_queue() {
    let app = TestApp::with_demo().await;
    let pending = data_request::Entity::find()
        .filter(data_request::Column::Status.eq("pending"))
        .fetch_all(app.db())
        .await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let request = &pending[0];
    assert_eq!(request.kind, "supresion");
    assert!(request.requested_on < domain::time::today());
    let person = participant::Entity::find_by_id(request.participant_id)
        .expect_one(app.db())
        .await;
    let (email, password) = demo_account(Role::Admin);
    sign_in_page(&app, email, password).await;
    let (status, html) = page(&app, "/admin/solicitudes-de-datos").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&person.full_name()), "{html}");
    assert!(html.contains(&format!("/admin/solicitudes-de-datos/{}", request.id)));
    let (status, html) = page(&app, &format!("/admin/solicitudes-de-datos/{}", request.id)).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains(&person.full_name()));

    // The demo's imported people carry the authorization their importer declared; the demo
    // participant gave hers herself.
    let declared = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person.id))
        .expect_one(app.db())
        .await;
    assert_eq!(declared.source.as_deref(), Some("import"));
    assert!(declared.declared_by.is_some() && declared.source_detail.is_some());
}
