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
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
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
            .one(app.db())
            .await
            .unwrap()
            .unwrap()
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
    let enrolments_before = enrolment::Entity::find().count(app.db()).await.unwrap();

    let (status, request) = api(
        &app,
        "POST",
        "/api/v1/me/data-requests",
        Some(&mine),
        Some(json!({"kind": "supresion", "reason": "Ya no quiero estar en la plataforma"})),
    )
    .await;
    assert_eq!(status, Status::Created, "{request}");
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
    let (status, again) = api(
        &app,
        "POST",
        "/api/v1/me/data-requests",
        Some(&mine),
        Some(json!({"kind": "supresion"})),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{again}");
    let (status, _) = api(
        &app,
        "POST",
        "/api/v1/me/data-requests",
        Some(&mine),
        Some(json!({"kind": "olvido"})),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    let (_, listed) = api(&app, "GET", "/api/v1/me/data-requests", Some(&mine), None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Only an administrator resolves.
    let path = format!("/api/v1/data-requests/{id}/resolution");
    let accept = json!({"decision": "accepted"});
    for role in [Role::Coordinator, Role::Instructor, Role::Reviewer] {
        let other = role_token(&app, role).await;
        let (status, _) = api(&app, "POST", &path, Some(&other), Some(accept.clone())).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
        let (status, _) = api(&app, "GET", "/api/v1/data-requests", Some(&other), None).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
    }
    let (status, _) = api(&app, "POST", &path, Some(&mine), Some(accept.clone())).await;
    assert_eq!(status, Status::Forbidden);
    let admin = role_token(&app, Role::Admin).await;
    let (status, body) = api(
        &app,
        "POST",
        &path,
        Some(&admin),
        Some(json!({"decision": "rejected"})),
    )
    .await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "a rejection needs a note: {body}"
    );
    assert_eq!(error_fields(&body), vec!["note"]);
    let (_, pending) = api(
        &app,
        "GET",
        "/api/v1/data-requests?status=pending",
        Some(&admin),
        None,
    )
    .await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id)
    );

    let (status, resolved) = api(&app, "POST", &path, Some(&admin), Some(accept.clone())).await;
    assert_eq!(status, Status::Ok, "{resolved}");
    assert_eq!(resolved["status"], "accepted");
    let (status, _) = api(&app, "POST", &path, Some(&admin), Some(accept)).await;
    assert_eq!(status, Status::Conflict, "resolved once");

    // Her record holds nothing that names her; her account is closed.
    let after = participant::Entity::find_by_id(person.id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(after.anonymised_at.is_some());
    assert_ne!(after.full_name(), name);
    assert_ne!(after.document_number, person.document_number);
    assert_eq!(after.email, None);
    assert_eq!(after.phone, None);
    assert_eq!(after.sex, None);
    let account = user::Entity::find_by_id(person.user_id.unwrap())
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert!(!account.active);
    assert_ne!(account.email, "suprimir@example.org");
    let (status, _) = api(&app, "GET", "/api/v1/me", Some(&mine), None).await;
    assert_eq!(status, Status::Unauthorized, "her token no longer works");
    // Her consents stay as proof; her counts stay.
    assert!(
        consent::Entity::find()
            .filter(consent::Column::ParticipantId.eq(person.id))
            .count(app.db())
            .await
            .unwrap()
            > 0
    );
    assert_eq!(
        enrolment::Entity::find().count(app.db()).await.unwrap(),
        enrolments_before
    );
    // The certificate already issued keeps the name it carries, verifiable.
    let (status, verified) = api(
        &app,
        "GET",
        &format!("/api/v1/certificates/{}", certificate.code),
        None,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(verified["full_name"], name);
    assert_eq!(verified["status"], "valid");
    let (status, html) = page(&app, &format!("/verificar/{}", certificate.code)).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&name), "the verification page names her");

    // She was written to on the request and on its answer; both are audited.
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("suprimir@example.org"))
        .filter(outbox::Column::Subject.contains("solicitud sobre sus datos personales"))
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(mails, 2);
    for action in [
        "data_request.created",
        "data_request.accepted",
        "participant.anonymised",
    ] {
        assert!(
            audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq(action))
                .count(app.db())
                .await
                .unwrap()
                >= 1,
            "{action}"
        );
    }
}

#[rocket::async_test]
async fn the_admin_page_lists_pending_requests_first_flagging_late_ones() {
    let app = TestApp::with_demo().await;
    let (person, mine) = completer_with_account(&app, "consulta@example.org").await;
    let (status, request) = api(
        &app,
        "POST",
        "/api/v1/me/data-requests",
        Some(&mine),
        Some(json!({"kind": "consulta"})),
    )
    .await;
    assert_eq!(status, Status::Created);
    // Asked weeks ago: its term has passed.
    let mut row: data_request::ActiveModel =
        data_request::Entity::find_by_id(request["id"].as_i64().unwrap() as i32)
            .one(app.db())
            .await
            .unwrap()
            .unwrap()
            .into();
    let asked = crate::world::days(-60);
    row.requested_on = Set(asked);
    row.due_on = Set(domain::habeas::requests::due_on(asked));
    row.update(app.db()).await.unwrap();
    let admin = role_token(&app, Role::Admin).await;
    let (_, listed) = api(&app, "GET", "/api/v1/data-requests", Some(&admin), None).await;
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
    let (_, before) = api(&app, "GET", "/api/v1/me/data-access", Some(&mine), None).await;
    assert_eq!(before["items"].as_array().unwrap().len(), 0);

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (status, _) = page(
        &app,
        &format!("/coordinacion/personas/{}/corregir", person.id),
    )
    .await;
    assert_eq!(status, Status::Ok);

    let (status, seen) = api(&app, "GET", "/api/v1/me/data-access", Some(&mine), None).await;
    assert_eq!(status, Status::Ok);
    let items = seen["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{seen}");
    assert_eq!(items[0]["by_role"], "coordinator");
    let coordinator = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(items[0]["by_name"], coordinator.full_name);
    assert!(items[0]["at"].as_str().unwrap().ends_with("-05:00"));
    assert!(!items[0]["what"].as_str().unwrap().is_empty());

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
    assert_eq!(
        data_request::Entity::find().count(app.db()).await.unwrap(),
        0,
        "nothing written"
    );
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
    let row = data_request::Entity::find()
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.participant_id, person.id);
    assert_eq!(row.kind, "revocacion");

    // Accepted, her consents are withdrawn (kept as proof).
    let admin = role_token(&app, Role::Admin).await;
    let (status, _) = api(
        &app,
        "POST",
        &format!("/api/v1/data-requests/{}/resolution", row.id),
        Some(&admin),
        Some(json!({"decision": "accepted", "note": "Revocada"})),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let consents = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person.id))
        .all(app.db())
        .await
        .unwrap();
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
