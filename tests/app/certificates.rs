//! Certificates: only completers, idempotence, snapshots, re-issue and supersession,
//! revocation, public verification (any case, with or without dashes), the PDF's text, the
//! emailed delivery and the cohort's ZIP.

use crate::common::TestApp;
use crate::support::*;
use crate::world::demo_cohort;
use domain::entities::values::{CertificateStatus, CohortStatus, EnrolmentStatus, Role};
use domain::entities::{certificate, cohort, course, enrolment, outbox, participant};
use rocket::http::{ContentType, Status};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// The demo's closed cohort and its enrolments that completed.
async fn closed_cohort(app: &TestApp) -> (cohort::Model, Vec<enrolment::Model>) {
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(closed.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .fetch_all(app.db())
        .await;
    assert!(!completed.is_empty(), "the demo has completers");
    (closed, completed)
}

async fn issue(app: &TestApp, token: &str, cohort: i32) -> (Status, Value) {
    api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{cohort}/certificates"),
        Some(token),
        None,
    )
    .await
}

#[rocket::async_test]
async fn only_completers_get_certificates_and_issuing_twice_issues_nothing_new() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    let total = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(closed.id))
        .fetch_count(app.db())
        .await as usize;

    // A cohort still running cannot issue.
    let running = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::InProgress))
        .expect_one(app.db())
        .await;
    let (status, problem) = issue(&app, &staff, running.id).await;
    assert_eq!(status, Status::Conflict);
    assert!(json_str(&problem["detail"]).contains("Cierre la cohorte"));

    let (status, first) = issue(&app, &staff, closed.id).await;
    assert_eq!(status, Status::Ok, "{first}");
    let issued = json_array(&first["issued"]);
    assert_eq!(issued.len(), completed.len());
    assert_eq!(json_array(&first["skipped"]).len(), total - completed.len());
    for skipped in json_array(&first["skipped"]) {
        assert!(
            !json_str(&skipped["reason"]).is_empty(),
            "a reason for {skipped}"
        );
    }
    let code = json_str(&issued[0]["code"]);
    assert_eq!(code.len(), 24);
    assert_eq!(issued[0]["status"], "valid");

    let (_, second) = issue(&app, &staff, closed.id).await;
    assert!(json_array(&second["issued"]).is_empty(), "idempotent");
    let again = json_array(&second["skipped"])
        .iter()
        .filter(|s| s["reason"] == "Ya tiene un certificado vigente.")
        .count();
    assert_eq!(again, completed.len());

    // Each holder got an email with the PDF and the verification link.
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Subject.starts_with("Su certificado"))
        .fetch_all(app.db())
        .await;
    assert_eq!(mails.len(), completed.len());
    assert!(mails.iter().all(|m| {
        m.attachments_json
            .as_deref()
            .unwrap_or("")
            .contains("application/pdf")
    }));
    assert!(
        mails
            .iter()
            .any(|m| m.body_text.contains(&format!("/verificar/{code}"))
                && m.body_text.contains(&format!("/credenciales/{code}.json")))
    );

    // Participants may not issue.
    let (email, password) = demo_account(Role::Participant);
    let participant = token(&app, email, password).await;
    assert_eq!(
        issue(&app, &participant, closed.id).await.0,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn a_certificate_is_a_snapshot_reissued_after_corrections_and_revocable_once() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    let holder = participant::Entity::find_by_id(completed[0].participant_id)
        .expect_one(app.db())
        .await;
    let (_, issued) = issue(&app, &staff, closed.id).await;
    let mine = json_array(&issued["issued"])
        .iter()
        .find(|c| c["full_name"] == holder.full_name())
        .unwrap()
        .clone();
    let code = json_str(&mine["code"]).to_string();

    // Later changes to the person or the course do not change what it states.
    let mut person: participant::ActiveModel = holder.clone().into();
    person.first_names = Set("Ñuño".into());
    person.last_names = Set("Güiza Peña".into());
    person.update(app.db()).await.unwrap();
    let course_row = course::Entity::find_by_id(closed.course_id)
        .expect_one(app.db())
        .await;
    let mut renamed: course::ActiveModel = course_row.into();
    renamed.name = Set("Otro nombre del curso".into());
    renamed.hours = Set(99);
    renamed.update(app.db()).await.unwrap();
    let verified = api_get(&app, &format!("/api/v1/certificates/{code}"), None)
        .await
        .expect_status(Status::Ok);
    assert_eq!(verified["full_name"], holder.full_name());
    assert_eq!(verified["course"], mine["course"]);
    assert_eq!(verified["hours"], mine["hours"]);
    assert_eq!(verified["status"], "valid");
    assert!(json_str(&verified["document_number_masked"]).starts_with("****"));
    for field in [
        "code",
        "status",
        "full_name",
        "document_type",
        "document_number_masked",
        "course",
        "hours",
        "start_date",
        "end_date",
        "final_grade",
        "attendance_pct",
        "issued_at",
        "revoked_at",
        "revocation_reason",
    ] {
        assert!(verified.get(field).is_some(), "contract field {field}");
    }

    // Typed in lower case, without dashes, with spaces: found.
    let sloppy = format!(" {} ", code.replace('-', "").to_lowercase());
    assert_eq!(
        api_get(
            &app,
            &format!("/api/v1/certificates/{}", sloppy.trim()),
            None
        )
        .await
        .0,
        Status::Ok
    );
    assert_eq!(
        api_get(&app, "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", None)
            .await
            .0,
        Status::NotFound
    );

    // Re-issue after the correction: a new snapshot; the old one is superseded and points to it.
    let new = api(
        &app,
        "POST",
        &format!("/api/v1/certificates/{code}/reissue"),
        Some(&staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(new["full_name"], "Ñuño Güiza Peña");
    assert_ne!(new["code"], code);
    let (_, old) = api_get(&app, &format!("/api/v1/certificates/{code}"), None).await;
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], new["code"]);
    assert_eq!(
        api(
            &app,
            "POST",
            &format!("/api/v1/certificates/{code}/reissue"),
            Some(&staff),
            None
        )
        .await
        .0,
        Status::Conflict
    );
    let page = body_of(&app.client, format!("/verificar/{code}")).await;
    assert!(
        page.contains("Reemplazado por una versión corregida")
            && page.contains(json_str(&new["code"]))
    );

    // Revocation needs a reason, happens once, and is public.
    let new_code = json_str(&new["code"]).to_string();
    let revoke_path = format!("/api/v1/certificates/{new_code}/revoke");
    let revoke = |body: Value| api_post(&app, &revoke_path, Some(&staff), body);
    assert_eq!(
        revoke(json!({"reason": " "})).await.0,
        Status::UnprocessableEntity
    );
    let (status, revoked) = revoke(json!({"reason": "Suplantación comprobada"})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revocation_reason"], "Suplantación comprobada");
    assert!(json_str(&revoked["revoked_at"]).ends_with("-05:00"));
    assert_eq!(
        revoke(json!({"reason": "Otra vez"})).await.0,
        Status::Conflict
    );
    let page = body_of(&app.client, format!("/verificar/{new_code}")).await;
    assert!(page.contains("Revocado") && page.contains("Suplantación comprobada"));
    let notice = outbox::Entity::find()
        .filter(outbox::Column::Subject.starts_with("Certificado revocado"))
        .one(app.db())
        .await
        .unwrap();
    assert!(notice.is_some(), "the holder is told");
    let unknown = app
        .client
        .get("/verificar/AAAA-BBBB-CCCC-DDDD-EEEE")
        .dispatch()
        .await;
    assert_eq!(unknown.status(), Status::NotFound);
    assert!(
        unknown
            .into_string()
            .await
            .unwrap()
            .contains("No existe ningún certificado")
    );
}

#[rocket::async_test]
async fn the_pdf_states_every_spanish_character_and_only_its_holder_and_staff_get_it() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    // Give one completer an account and a name with every special letter, before issuing.
    let holder = participant::Entity::find_by_id(completed[0].participant_id)
        .expect_one(app.db())
        .await;
    let mut person: participant::ActiveModel = holder.clone().into();
    person.first_names = Set("Ñuño Ángel Éufrates".into());
    person.last_names = Set("Güiza Íñiguez Óscar Úrsula".into());
    person.update(app.db()).await.unwrap();
    let (_, issued) = issue(&app, &staff, closed.id).await;
    let code = json_array(&issued["issued"])
        .iter()
        .find(|c| c["full_name"] == "Ñuño Ángel Éufrates Güiza Íñiguez Óscar Úrsula")
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();

    let response = app
        .client
        .get(format!("/api/v1/certificates/{code}/pdf"))
        .header(bearer(&staff))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::PDF));
    let bytes = response.into_bytes().await.unwrap();
    let document = lopdf::Document::load_mem(&bytes).unwrap();
    let text = document
        .extract_text(&[1])
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Ñuño Ángel Éufrates Güiza Íñiguez Óscar Úrsula"),
        "{text}"
    );
    assert!(text.contains(&code));
    assert!(text.contains(&format!("/verificar/{code}")));
    // Issue 67: the PDF's creation date is the issue instant in Bogotá, with its offset (not
    // midnight UTC, the day before in Bogotá).
    let saved = certificate::Entity::find()
        .filter(certificate::Column::Code.eq(&code))
        .expect_one(app.db())
        .await;
    let info = document
        .trailer
        .get(b"Info")
        .and_then(|info| document.dereference(info))
        .unwrap()
        .1
        .as_dict()
        .unwrap()
        .clone();
    let created = String::from_utf8(
        info.get(b"CreationDate")
            .unwrap()
            .as_str()
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert_eq!(
        created,
        domain::time::local(saved.issued_at)
            .format("D:%Y%m%d%H%M%S-05'00")
            .to_string()
    );

    // Anonymous: 401. Another participant: 404. The public page links to it.
    assert_eq!(
        app.client
            .get(format!("/api/v1/certificates/{code}/pdf"))
            .dispatch()
            .await
            .status(),
        Status::Unauthorized
    );
    let (email, password) = demo_account(Role::Participant);
    let other = token(&app, email, password).await;
    assert_eq!(
        app.client
            .get(format!("/api/v1/certificates/{code}/pdf"))
            .header(bearer(&other))
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
    let page = body_of(&app.client, format!("/verificar/{code}")).await;
    assert!(page.contains(&format!("/certificados/{code}.pdf")));

    // The cohort's ZIP holds one PDF per valid certificate.
    sign_in_page(
        &app,
        demo_account(Role::Coordinator).0,
        demo_account(Role::Coordinator).1,
    )
    .await;
    let response = app
        .client
        .get(format!(
            "/coordinacion/cohortes/{}/certificados.zip",
            closed.id
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let archive =
        zip::ZipArchive::new(std::io::Cursor::new(response.into_bytes().await.unwrap())).unwrap();
    assert_eq!(archive.len(), completed.len());
}

#[rocket::async_test]
async fn guessing_codes_is_throttled() {
    let app = TestApp::new().await;
    for n in 0..30 {
        let code = format!("AAAA-BBBB-CCCC-DDDD-{:04}", 2000 + n)
            .replace('0', "2")
            .replace('1', "3");
        api_get(&app, &format!("/api/v1/certificates/{code}"), None)
            .await
            .expect_status(Status::NotFound);
    }
    let body = api_get(&app, "/api/v1/certificates/AAAA-BBBB-CCCC-DDDD-EEEE", None)
        .await
        .expect_status(Status::TooManyRequests);
    assert!(json_str(&body["detail"]).contains("Demasiados intentos"));
}

#[rocket::async_test]
async fn participants_list_their_certificates() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    // Give a completer an account to sign in with.
    let hash = domain::accounts::passwords::hash("Clave-segura-2026")
        .await
        .unwrap();
    let at = domain::time::now();
    let account = domain::entities::user::ActiveModel {
        email: Set("titular@example.org".into()),
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
        participant::Entity::find_by_id(completed[0].participant_id)
            .expect_one(app.db())
            .await
            .into();
    person.user_id = Set(Some(account.id));
    person.update(app.db()).await.unwrap();
    issue(&app, &staff, closed.id).await;
    let mine = token(&app, "titular@example.org", "Clave-segura-2026").await;
    let list = api_get(&app, "/api/v1/me/certificates", Some(&mine))
        .await
        .expect_status(Status::Ok);
    // Hers: the one just issued, and any the demo issued her before (issue 47's Meta cohort).
    let hers = domain::entities::certificate::Entity::find()
        .filter(
            domain::entities::certificate::Column::ParticipantId.eq(completed[0].participant_id),
        )
        .fetch_count(app.db())
        .await;
    assert!(hers >= 1);
    assert_eq!(list["total"], hers);
    let code = json_items(&list)
        .iter()
        .find(|c| c["cohort"]["id"] == closed.id || c["cohort_id"] == closed.id)
        .unwrap_or(&list["items"][0])["code"]
        .as_str()
        .unwrap();
    assert_eq!(
        app.client
            .get(format!("/api/v1/certificates/{code}/pdf"))
            .header(bearer(&mine))
            .dispatch()
            .await
            .status(),
        Status::Ok
    );
    sign_in_page(&app, "titular@example.org", "Clave-segura-2026").await;
    let home = body_of(&app.client, "/").await;
    assert!(home.contains("Mis certificados") && home.contains(code));
    // The verifiable credential beside the PDF (issue 19).
    assert!(home.contains(&format!("/credenciales/{code}.json")));
    assert!(home.contains("Descargar credencial verificable"));
    // «Mis certificados» in the menu, and its page (issue 18).
    assert!(home.contains("href=\"/mis-certificados\""));
    let (status, mine) = page(&app, "/mis-certificados").await;
    assert_eq!(status, Status::Ok);
    assert!(
        mine.contains(&format!("/certificados/{code}.pdf")),
        "{mine}"
    );
    assert!(mine.contains(&format!("/credenciales/{code}.json")));
    assert!(mine.contains(&format!("/verificar/{code}")));
}

/// The PDFs emailed with certificates, by certificate code (read from the outbox rows).
async fn emailed_pdfs(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let mut out = Vec::new();
    for mail in outbox::Entity::find()
        .filter(outbox::Column::Subject.starts_with("Su certificado"))
        .fetch_all(app.db())
        .await
    {
        let attachments: Value =
            serde_json::from_str(mail.attachments_json.as_deref().unwrap()).unwrap();
        assert_eq!(attachments.as_array().unwrap().len(), 1, "{attachments}");
        let name = json_str(&attachments[0]["filename"]);
        let code = name
            .strip_prefix("certificado-")
            .and_then(|n| n.strip_suffix(".pdf"))
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(json_str(&attachments[0]["content_base64"]))
            .unwrap();
        out.push((code.to_string(), bytes));
    }
    out
}

/// PDFs are rendered before the transaction that writes the certificates, which checks again
/// what it writes: two coordinators pressing «Expedir» at once issue each certificate once,
/// each with one email whose PDF is the certificate's own; two re-issues of the same
/// certificate at once make one new certificate, and the other gets a 409.
#[rocket::async_test]
async fn issuing_twice_at_once_writes_each_certificate_once_with_its_own_pdf() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    let ((a, first), (b, second)) = rocket::tokio::join!(
        issue(&app, &staff, closed.id),
        issue(&app, &staff, closed.id)
    );
    assert_eq!((a, b), (Status::Ok, Status::Ok), "{first} {second}");
    let issued = |body: &Value| json_array(&body["issued"]).len();
    assert_eq!(issued(&first) + issued(&second), completed.len());
    let valid = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(closed.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .fetch_all(app.db())
        .await;
    assert_eq!(valid.len(), completed.len());

    let emailed = emailed_pdfs(&app).await;
    assert_eq!(emailed.len(), completed.len());
    for cert in &valid {
        let (_, pdf) = emailed
            .iter()
            .find(|(code, _)| *code == cert.code)
            .unwrap_or_else(|| panic!("no email for {}", cert.code));
        let response = app
            .client
            .get(format!("/api/v1/certificates/{}/pdf", cert.code))
            .header(bearer(&staff))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(
            &response.into_bytes().await.unwrap(),
            pdf,
            "the emailed PDF is the certificate's ({})",
            cert.code
        );
    }

    let path = format!("/api/v1/certificates/{}/reissue", valid[0].code);
    let reissue = || api(&app, "POST", &path, Some(&staff), None);
    let ((a, one), (b, other)) = rocket::tokio::join!(reissue(), reissue());
    let mut statuses = [a.code, b.code];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{one} {other}");
    let refused = if a == Status::Conflict { &one } else { &other };
    assert!(
        json_str(&refused["detail"]).contains("solo se reexpide uno vigente"),
        "{refused}"
    );
    let of_holder = certificate::Entity::find()
        .filter(certificate::Column::EnrolmentId.eq(valid[0].enrolment_id))
        .fetch_all(app.db())
        .await;
    assert_eq!(of_holder.len(), 2, "the old one and one new one");
    assert_eq!(emailed_pdfs(&app).await.len(), completed.len() + 1);
}

/// Issue 18: a coordinator corrects a person's names, document and email with a reason. Bad
/// input and another person's document change nothing; the correction is audited, the person
/// is told at the new address and the old one, and each valid certificate is re-issued with
/// the corrected data while the old one stays verifiable as superseded. Instructors cannot.
#[rocket::async_test]
async fn a_coordinator_corrects_a_persons_data_and_their_certificates_are_reissued() {
    use domain::entities::audit_log;
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, completed) = closed_cohort(&app).await;
    let (status, _) = issue(&app, &staff, closed.id).await;
    assert_eq!(status, Status::Ok);
    let person = participant::Entity::find_by_id(completed[0].participant_id)
        .expect_one(app.db())
        .await;
    let other = participant::Entity::find_by_id(completed[1].participant_id)
        .expect_one(app.db())
        .await;
    let old = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(person.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("the completer holds a certificate");
    let old_email = person.email.clone();
    let mails_before = outbox::Entity::find().fetch_count(app.db()).await;

    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let back = format!("/coordinacion/cohortes/{}/certificados", closed.id);
    let path = format!("/coordinacion/personas/{}/corregir", person.id);
    let (status, form) = page(&app, &format!("{path}?volver={back}")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        form.contains(&old.code),
        "the form lists what will be re-issued"
    );
    assert!(form.contains(&format!("value=\"{}\"", person.document_number)));
    let (_, certificates_page) = page(&app, &back).await;
    assert!(certificates_page.contains(&format!("href=\"{path}?volver={back}\"")));
    let csrf = csrf_from(&app, &path).await;
    let municipality = person.municipality_code.clone();
    let send = |first: &'static str, kind: &'static str, document: String, reason: &'static str| {
        let csrf = csrf.clone();
        let back = back.clone();
        let path = path.clone();
        let last = person.last_names.clone();
        let municipality = municipality.clone();
        let app = &app;
        async move {
            post_form(
                app,
                &path,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("first_names", first),
                    ("last_names", last.as_str()),
                    ("document_type", kind),
                    ("document_number", document.as_str()),
                    ("email", "nuevo.correo@example.org"),
                    ("municipality_code", municipality.as_str()),
                    ("reason", reason),
                    ("back", back.as_str()),
                ],
            )
            .await
        }
    };

    // Letters in the document and no reason: both said, nothing changed.
    let response = send("Édgar Iván", "CC", "12AB".into(), "").await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("sin letras") && html.contains("Escriba el motivo"),
        "{html}"
    );
    // Another person's document: refused.
    let response = send(
        "Édgar Iván",
        other.document_type.as_str(),
        other.document_number.clone(),
        "Documento mal digitado",
    )
    .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(html.contains("Otra persona ya está registrada"), "{html}");
    let unchanged = participant::Entity::find_by_id(person.id)
        .expect_one(app.db())
        .await;
    assert_eq!(unchanged, person);
    assert_eq!(
        outbox::Entity::find().fetch_count(app.db()).await,
        mails_before
    );

    // The correction.
    let response = send(
        "Édgar Iván",
        "CC",
        "1.117.999.555".into(),
        "Documento mal digitado en el registro",
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    assert_eq!(response.headers().get_one("Location"), Some(back.as_str()));
    let (_, answer) = page(&app, &back).await;
    assert!(
        answer
            .contains("corregidos (nombres, documento, correo electrónico); le enviamos un correo"),
        "{answer}"
    );
    let corrected = participant::Entity::find_by_id(person.id)
        .expect_one(app.db())
        .await;
    assert_eq!(corrected.document_number, "1117999555");
    assert_eq!(corrected.first_names, "Édgar Iván");
    assert_eq!(corrected.email.as_deref(), Some("nuevo.correo@example.org"));
    let old_now = certificate::Entity::find_by_id(old.id)
        .expect_one(app.db())
        .await;
    assert_eq!(old_now.status, CertificateStatus::Superseded);
    let new =
        certificate::Entity::find_by_id(old_now.superseded_by_id.expect("points to the new one"))
            .expect_one(app.db())
            .await;
    assert_eq!(new.status, CertificateStatus::Valid);
    assert_eq!(new.document_number, "1117999555");
    assert_eq!(new.full_name, format!("Édgar Iván {}", person.last_names));
    assert_eq!(new.final_grade_milli, old.final_grade_milli);
    let (_, verified) = page(&app, &format!("/verificar/{}", old.code)).await;
    assert!(
        verified.contains(&new.code),
        "the old code names its replacement"
    );

    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("participant.corrected"))
        .one(app.db())
        .await
        .unwrap()
        .expect("audited");
    assert_eq!(entry.subject_id, person.id.to_string());
    let after: Value = serde_json::from_str(entry.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(after["reason"], "Documento mal digitado en el registro");
    assert_eq!(after["reissued"][0]["new"], json!(new.code));
    assert!(entry.before_json.unwrap().contains(&person.document_number));

    let told: Vec<String> = outbox::Entity::find()
        .filter(outbox::Column::Subject.eq("Corregimos sus datos en Aula Territorial"))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|m| {
            assert!(
                m.body_text
                    .contains("Documento mal digitado en el registro")
            );
            assert!(m.body_text.contains(&new.code));
            assert!(!m.body_text.contains("1117999555"), "documents are masked");
            m.recipient
        })
        .collect();
    let mut expected = vec!["nuevo.correo@example.org".to_string()];
    expected.extend(old_email.filter(|e| e != "nuevo.correo@example.org"));
    assert_eq!(told.len(), expected.len());
    for address in expected {
        assert!(told.contains(&address), "{address} is told");
    }
    let new_pdf = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(format!("certificado:{}", new.id)))
        .one(app.db())
        .await
        .unwrap()
        .expect("the new certificate is emailed");
    assert_eq!(new_pdf.recipient, "nuevo.correo@example.org");

    // A mistaken municipality: the person, the enrolments that carried it and the new
    // certificate all say the right one.
    let moved_to = if other.municipality_code == "50577" {
        "50450"
    } else {
        "50577"
    };
    let other_path = format!("/coordinacion/personas/{}/corregir", other.id);
    let csrf = csrf_from(&app, &other_path).await;
    let response = post_form(
        &app,
        &other_path,
        &[
            ("csrf_token", csrf.as_str()),
            ("first_names", other.first_names.as_str()),
            ("last_names", other.last_names.as_str()),
            ("document_type", other.document_type.as_str()),
            ("document_number", other.document_number.as_str()),
            ("email", other.email.as_deref().unwrap_or("")),
            ("municipality_code", moved_to),
            ("reason", "Municipio equivocado en el registro"),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::SeeOther);
    let enrolments = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(other.id))
        .fetch_all(app.db())
        .await;
    assert!(
        enrolments.iter().all(|e| e.municipality_code == moved_to),
        "the enrolments carried the mistaken municipality"
    );
    let reissued = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(other.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .one(app.db())
        .await
        .unwrap()
        .expect("a new certificate");
    assert_eq!(reissued.municipality_code, moved_to);

    // Nothing to correct: said, nothing written.
    let csrf = csrf_from(&app, &path).await;
    let response = post_form(
        &app,
        &path,
        &[
            ("csrf_token", csrf.as_str()),
            ("first_names", corrected.first_names.as_str()),
            ("last_names", corrected.last_names.as_str()),
            ("document_type", "CC"),
            ("document_number", corrected.document_number.as_str()),
            ("email", "nuevo.correo@example.org"),
            ("municipality_code", corrected.municipality_code.as_str()),
            ("reason", "otra vez"),
        ],
    )
    .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);

    // A territorial direction's coordinator corrects the people of its cohorts only.
    let world = crate::world::World::new(&app).await;
    let stranger = world.people("sincohorte").create().await.remove(0);
    sign_in_page(
        &app,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
    )
    .await;
    let (status, _) = page(&app, &path).await;
    assert_eq!(
        status,
        Status::Ok,
        "the closed Meta cohort is the direction's"
    );
    let (status, _) = page(
        &app,
        &format!("/coordinacion/personas/{}/corregir", stranger.id),
    )
    .await;
    assert_eq!(status, Status::NotFound, "enrolled in none of its cohorts");

    // Instructors do not correct people.
    let (email, password) = demo_account(Role::Instructor);
    sign_in_page(&app, email, password).await;
    let (status, _) = page(&app, &path).await;
    assert!(
        matches!(status, Status::Forbidden | Status::NotFound),
        "{status}"
    );
}

/// Issue 61: an ESAP certificate's PDF has a signer line, the name and the position of the
/// settings (`certificate_signer_name`, `certificate_signer_position`).
#[rocket::async_test]
async fn the_pdf_names_its_signer_and_position_from_the_settings() {
    let app = TestApp::with_config(&[
        ("demo_data", serde_json::json!(true)),
        (
            "certificate_signer_name",
            serde_json::json!("Ángela Patiño Núñez"),
        ),
        (
            "certificate_signer_position",
            serde_json::json!("Directora Nacional"),
        ),
    ])
    .await;
    let staff = role_token(&app, Role::Coordinator).await;
    let (closed, _) = closed_cohort(&app).await;
    let (_, issued) = issue(&app, &staff, closed.id).await;
    let code = json_str(&issued["issued"][0]["code"]).to_string();
    let response = app
        .client
        .get(format!("/api/v1/certificates/{code}/pdf"))
        .header(bearer(&staff))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let bytes = response.into_bytes().await.unwrap();
    let document = lopdf::Document::load_mem(&bytes).unwrap();
    let text = document
        .extract_text(&[1])
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Ángela Patiño Núñez"), "{text}");
    assert!(text.contains("Directora Nacional"), "{text}");
}
