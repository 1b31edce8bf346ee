//! Issue 46, items 2 and 3: only the owner moves an account, and a provider corrects only what
//! is its own. Each test names the attack it proves closed; each fails on the code before the
//! fix.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api, api_get, api_post, body_of, csrf_from_client,
    demo_account, json_items, json_str, sign_in_client, submit, token,
};
use crate::world::World;
use domain::entities::values::{CertificateStatus, EnrolmentStatus, Role};
use domain::entities::{
    audit_log, certificate, cohort, email_change, enrolment, name_change, outbox, participant, user,
};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

const PASSWORD: &str = "Clave-segura-2026";

/// A browser signed in as `email`.
async fn browser(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, email, password).await;
    client
}

/// Posts `fields` (with the page's CSRF token) to `path` from `client`: (status, body).
async fn post(
    client: &Client,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (Status, String) {
    let csrf = csrf_from_client(client, from).await;
    submit(client, path, &csrf, fields).await
}

/// Posts a correction of `person` from `client`: the fields given, a reason.
async fn correct(client: &Client, person: i32, fields: &[(&str, &str)]) -> (Status, String) {
    let path = format!("/coordinacion/personas/{person}/corregir");
    let mut all = fields.to_vec();
    all.push(("reason", "Dato mal digitado"));
    post(client, &path, &path, &all).await
}

/// Posts «Mi perfil» of a test person (of Puerto Rico, Caquetá) with these names and email.
async fn post_profile(client: &Client, first: &str, last: &str, email: &str) -> (Status, String) {
    post(
        client,
        "/perfil",
        "/perfil",
        &[
            ("first_names", first),
            ("last_names", last),
            ("email", email),
            ("phone", ""),
            ("department_code", "18"),
            ("municipality", "18592"),
            ("entity_type", "alcaldia"),
            ("level", "tecnico"),
        ],
    )
    .await
}

async fn person(app: &TestApp, id: i32) -> participant::Model {
    participant::Entity::find_by_id(id)
        .expect_one(app.db())
        .await
}

async fn account(app: &TestApp, id: i32) -> user::Model {
    user::Entity::find_by_id(id).expect_one(app.db()).await
}

/// The emails sent to `to`, oldest first.
async fn mail_to(app: &TestApp, to: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .order_by_asc(outbox::Column::Id)
        .fetch_all(app.db())
        .await
}

/// The path of the link in `mail` that contains `part` (`/correo/confirmar/`).
fn link(mail: &outbox::Model, part: &str) -> String {
    let word = mail
        .body_text
        .split_whitespace()
        .find(|w| w.contains(part))
        .unwrap_or_else(|| panic!("a link with {part} in {}", mail.body_text));
    word[word.find(part).unwrap()..].to_string()
}

async fn audited(app: &TestApp, action: &str, subject: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::SubjectId.eq(subject))
        .fetch_count(app.db())
        .await
}

/// «A staff correction moves a sign-in»: a coordinator typed a mailbox of its own as the
/// person's email, confirmed it from there, asked a reset and signed in as her. A correction
/// now never changes a sign-in email (any role, whoever corrects): 422, no pending change, no
/// mail to the new address; the form shows the email read-only. The contact email of somebody
/// without an account is still corrected.
#[rocket::async_test]
async fn a_correction_never_moves_a_sign_in_email() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (coordinator_email, coordinator_password) = demo_account(Role::Coordinator);
    let (admin_email, admin_password) = demo_account(Role::Admin);
    let coordinator = browser(&app, coordinator_email, coordinator_password).await;
    let admin = browser(&app, admin_email, admin_password).await;

    let target = world.people("cuenta").create().await.remove(0);
    let record = person(&app, target.id).await;
    let account_id = record.user_id.unwrap();
    let form = format!("/coordinacion/personas/{}/corregir", record.id);
    let html = body_of(&coordinator, form.clone()).await;
    assert!(html.contains("Solo ella lo cambia"), "{html}");
    assert!(
        !html.contains("name=\"email\""),
        "the email is not offered: {html}"
    );

    for client in [&coordinator, &admin] {
        let (status, html) = correct(
            client,
            record.id,
            &[
                ("first_names", "Persona"),
                ("last_names", "Corregida"),
                ("email", "buzon.del.atacante@example.org"),
                ("municipality_code", "18592"),
            ],
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{html}");
        assert!(
            html.contains("su correo de ingreso no se cambia con una corrección"),
            "{html}"
        );
    }
    assert_eq!(account(&app, account_id).await.email, "cuenta0@example.org");
    assert_eq!(person(&app, record.id).await, record, "nothing written");
    assert_eq!(email_change::Entity::find().fetch_count(app.db()).await, 0);
    assert!(
        mail_to(&app, "buzon.del.atacante@example.org")
            .await
            .is_empty(),
        "nothing sent to the new address"
    );
    // Whatever else the correction fixes, the sign-in email stays.
    let (status, html) = correct(
        &coordinator,
        record.id,
        &[("last_names", "Corregida"), ("municipality_code", "18592")],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let after = person(&app, record.id).await;
    assert_eq!(after.last_names, "Corregida");
    assert_eq!(after.email.as_deref(), Some("cuenta0@example.org"));

    // A person without an account: her contact email is corrected.
    let at = domain::time::now();
    let imported = participant::ActiveModel {
        user_id: Set(None),
        document_type: Set(domain::entities::values::DocumentType::Cc),
        document_number: Set("71234567".into()),
        first_names: Set("Importada".into()),
        last_names: Set("Sin Cuenta".into()),
        email: Set(Some("mal.digitado@example.org".into())),
        municipality_code: Set("18592".into()),
        entity_type: Set("alcaldia".into()),
        level: Set("tecnico".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let (status, html) = correct(
        &coordinator,
        imported.id,
        &[
            ("first_names", "Importada"),
            ("last_names", "Sin Cuenta"),
            ("document_type", "CC"),
            ("document_number", "71234567"),
            ("email", "bien.digitado@example.org"),
            ("municipality_code", "18592"),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    assert_eq!(
        person(&app, imported.id).await.email.as_deref(),
        Some("bien.digitado@example.org")
    );
    assert_eq!(email_change::Entity::find().fetch_count(app.db()).await, 0);
}

/// «A participant changes her own sign-in email with no confirmation at all (a stolen session
/// becomes a stolen account)». Her change waits for the new address; the old one is told at
/// once with an undo link; confirming ends every session and token; undoing — even after the
/// confirmation — restores the old address and ends every way in again, audited.
#[rocket::async_test]
async fn her_own_email_change_waits_for_the_new_address_and_the_old_one_undoes_it() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let owner = world.people("propia").create().await.remove(0);
    let record = person(&app, owner.id).await;
    let account_id = record.user_id.unwrap();
    let old = "propia0@example.org";
    let new = "nuevo.buzon@example.org";
    let session = browser(&app, old, PASSWORD).await;
    let laptop = browser(&app, old, PASSWORD).await;

    let (status, html) = post_profile(&session, "Persona", "Propia", new).await;
    assert_eq!(status, Status::SeeOther, "{html}");
    // Nothing moved yet: she signs in, reads and gets mail at the old address.
    assert_eq!(account(&app, account_id).await.email, old);
    assert_eq!(person(&app, owner.id).await.email.as_deref(), Some(old));
    api_get(&app, "/api/v1/me", Some(&owner.token))
        .await
        .expect_status(Status::Ok);
    let profile = body_of(&session, "/perfil").await;
    assert!(
        profile.contains("Cambio de correo pendiente") && profile.contains(new),
        "{profile}"
    );
    let to_new = mail_to(&app, new).await;
    assert_eq!(to_new.len(), 1, "{to_new:?}");
    assert!(to_new[0].subject.contains("Confirme su nuevo correo"));
    let to_old = mail_to(&app, old).await;
    let notice = to_old
        .iter()
        .find(|m| m.subject.contains("Se pidió cambiar el correo"))
        .expect("the old address is told at once");
    let undo = link(notice, "/correo/deshacer/");

    // Following the confirmation link moves the account and ends every way in.
    let confirm = link(&to_new[0], "/correo/confirmar/");
    let stranger = app.another_instance(&[]).await;
    let (status, _) = post(&stranger, &confirm, &confirm, &[]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(account(&app, account_id).await.email, new);
    assert_eq!(person(&app, owner.id).await.email.as_deref(), Some(new));
    let (status, _) = api_get(&app, "/api/v1/me", Some(&owner.token)).await;
    assert_eq!(status, Status::Unauthorized, "the old token ended");
    let response = laptop.get("/perfil").dispatch().await;
    assert_eq!(
        response.status(),
        Status::SeeOther,
        "the old session cookie ended"
    );
    assert_eq!(
        audited(&app, "user.email_changed", &account_id.to_string()).await,
        1
    );
    let done = mail_to(&app, old)
        .await
        .into_iter()
        .find(|m| m.subject.contains("cambió"))
        .expect("the old address is told again");
    let second_undo = link(&done, "/correo/deshacer/");

    // Whoever holds the new address signs in there now.
    let moved_token = token(&app, new, PASSWORD).await;
    let moved_session = browser(&app, new, PASSWORD).await;

    // The old address undoes it, a week long, even after the confirmation.
    let owner_browser = app.another_instance(&[]).await;
    let page = body_of(&owner_browser, undo.clone()).await;
    assert!(page.contains("p***@example.org"), "{page}");
    let (status, _) = post(&owner_browser, &undo, &undo, &[]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(account(&app, account_id).await.email, old);
    assert_eq!(person(&app, owner.id).await.email.as_deref(), Some(old));
    let (status, _) = api_get(&app, "/api/v1/me", Some(&moved_token)).await;
    assert_eq!(
        status,
        Status::Unauthorized,
        "the new address's token ended"
    );
    assert_eq!(
        moved_session.get("/perfil").dispatch().await.status(),
        Status::SeeOther,
        "the new address's session ended"
    );
    assert_eq!(
        audited(&app, "user.email_change_undone", &account_id.to_string()).await,
        1
    );
    assert!(
        mail_to(&app, old)
            .await
            .iter()
            .any(|m| m.subject.contains("Deshicimos el cambio"))
    );
    // Every undo link is spent once one is used.
    for spent in [&undo, &second_undo] {
        let csrf = csrf_from_client(&owner_browser, "/ingresar").await;
        let response = owner_browser
            .post(spent.clone())
            .header(ContentType::Form)
            .body(format!("csrf_token={csrf}"))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Conflict, "{spent}");
    }
    // She signs in with her address again.
    browser(&app, old, PASSWORD).await;

    // Undone before the confirmation: the pending change is spent and its link no longer works.
    let other = world.people("antes").create().await.remove(0);
    let other_account = person(&app, other.id).await.user_id.unwrap();
    let other_session = browser(&app, "antes0@example.org", PASSWORD).await;
    let (status, _) = post_profile(&other_session, "Persona", "Antes", "ajeno@example.org").await;
    assert_eq!(status, Status::SeeOther);
    let undo = link(
        mail_to(&app, "antes0@example.org")
            .await
            .iter()
            .find(|m| m.subject.contains("Se pidió cambiar el correo"))
            .unwrap(),
        "/correo/deshacer/",
    );
    let confirm = link(
        &mail_to(&app, "ajeno@example.org").await[0],
        "/correo/confirmar/",
    );
    let (status, _) = post(&stranger, &undo, &undo, &[]).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        other_session.get("/perfil").dispatch().await.status(),
        Status::SeeOther,
        "her sessions ended"
    );
    let csrf = csrf_from_client(&stranger, "/ingresar").await;
    let response = stranger
        .post(confirm)
        .header(ContentType::Form)
        .body(format!("csrf_token={csrf}"))
        .dispatch()
        .await;
    assert_eq!(
        response.status(),
        Status::Conflict,
        "the pending change was spent"
    );
    assert_eq!(
        account(&app, other_account).await.email,
        "antes0@example.org"
    );
}

/// The demo's closed ESAP cohort in Meta, its certificates issued: (cohort, a certificate).
async fn certified(app: &TestApp, staff: &str) -> (cohort::Model, certificate::Model) {
    let closed = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Macarena"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo's closed Meta cohort");
    api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let cert = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(closed.id))
        .order_by_asc(certificate::Column::Id)
        .one(app.db())
        .await
        .unwrap()
        .expect("a certificate");
    (closed, cert)
}

async fn enrolments_of(app: &TestApp, participant_id: i32) -> Vec<enrolment::Model> {
    enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .order_by_asc(enrolment::Column::Id)
        .fetch_all(app.db())
        .await
}

/// «A provider's correction rewrites another provider's records»: DNP's coordinator corrected
/// the last name and municipality of a person of its workshop who is also in ESAP's cohorts, and
/// her ESAP certificate was re-issued with the new name and her ESAP enrolments moved. Now her
/// name is refused (it is every provider's), and a municipality's correction moves DNP's
/// enrolment only: ESAP's certificate and enrolments stay byte for byte. ESAP's coordinators
/// are one provider like any other; an admin corrects everything.
#[rocket::async_test]
async fn a_provider_corrects_only_what_is_its_own() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (_, esap_certificate) = certified(&app, &world.staff).await;
    let holder = person(&app, esap_certificate.participant_id).await;
    // She also takes DNP's workshop.
    let workshop = cohort::Entity::find()
        .filter(cohort::Column::Name.contains("Taller KPT"))
        .one(app.db())
        .await
        .unwrap()
        .expect("DNP's workshop");
    let at = domain::time::now();
    let dnp_enrolment = enrolment::ActiveModel {
        cohort_id: Set(workshop.id),
        participant_id: Set(holder.id),
        status: Set(EnrolmentStatus::Enrolled),
        municipality_code: Set(holder.municipality_code.clone()),
        entity_type: Set(holder.entity_type.clone()),
        eligibility_override: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let esap_before: Vec<enrolment::Model> = enrolments_of(&app, holder.id)
        .await
        .into_iter()
        .filter(|e| e.id != dnp_enrolment.id)
        .collect();
    assert!(!esap_before.is_empty());
    let certificates_before = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(holder.id))
        .order_by_asc(certificate::Column::Id)
        .fetch_all(app.db())
        .await;

    let dnp = browser(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let form = format!("/coordinacion/personas/{}/corregir", holder.id);
    let html = body_of(&dnp, form.clone()).await;
    assert!(
        html.contains("también está inscrita en cohortes de ESAP"),
        "{html}"
    );
    assert!(!html.contains("name=\"last_names\""), "{html}");
    assert!(
        !html.contains(&esap_certificate.code),
        "ESAP's certificate is not DNP's to re-issue: {html}"
    );

    // Her name is every provider's: refused, nothing written.
    let (status, html) = correct(
        &dnp,
        holder.id,
        &[
            ("last_names", "Apellido Cambiado"),
            ("municipality_code", "18256"),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("Mi perfil"), "{html}");
    assert_eq!(person(&app, holder.id).await, holder);
    assert_eq!(
        enrolments_of(&app, holder.id).await[..esap_before.len()],
        esap_before[..]
    );

    // The municipality: DNP's enrolment moves, ESAP's do not, her residence stays.
    let (status, html) = correct(&dnp, holder.id, &[("municipality_code", "18256")]).await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let after: Vec<enrolment::Model> = enrolments_of(&app, holder.id).await;
    let moved = after.iter().find(|e| e.id == dnp_enrolment.id).unwrap();
    assert_eq!(moved.municipality_code, "18256");
    let esap_after: Vec<enrolment::Model> = after
        .into_iter()
        .filter(|e| e.id != dnp_enrolment.id)
        .collect();
    assert_eq!(esap_after, esap_before, "ESAP's enrolments unchanged");
    let certificates_after = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(holder.id))
        .order_by_asc(certificate::Column::Id)
        .fetch_all(app.db())
        .await;
    assert_eq!(
        certificates_after, certificates_before,
        "ESAP's certificate unchanged (code, name, status)"
    );
    assert_eq!(
        person(&app, holder.id).await,
        holder,
        "her residence is hers"
    );

    // ESAP's national coordination is one provider like any other.
    let (email, password) = demo_account(Role::Coordinator);
    let esap = browser(&app, email, password).await;
    let (status, html) = correct(
        &esap,
        holder.id,
        &[
            ("first_names", holder.first_names.as_str()),
            ("last_names", "Apellido Cambiado"),
            ("municipality_code", holder.municipality_code.as_str()),
        ],
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("cohortes de DNP"), "{html}");

    // An admin corrects everything: the name, and every certificate re-issued with it.
    let (email, password) = demo_account(Role::Admin);
    let admin = browser(&app, email, password).await;
    let (status, html) = correct(
        &admin,
        holder.id,
        &[
            ("first_names", holder.first_names.as_str()),
            ("last_names", "Apellido Cambiado"),
            ("municipality_code", holder.municipality_code.as_str()),
        ],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let old = certificate::Entity::find_by_id(esap_certificate.id)
        .expect_one(app.db())
        .await;
    assert_eq!(old.status, CertificateStatus::Superseded);
}

/// «A participant without a certificate still renames herself to anyone's name.» Once she has
/// an enrolment, her own change of name waits for the review of her cohorts' coordination: her
/// record and every certificate issued meanwhile keep the approved name; the coordinator sees it
/// (page and API; another provider's coordinator does not) and approves it (applied, her
/// certificates re-issued, audited, emailed) or rejects it with a reason. Before any enrolment
/// she changes it freely.
#[rocket::async_test]
async fn her_own_change_of_name_after_enrolling_is_reviewed() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;

    // Before any enrolment, freely.
    let free = world.people("libre").create().await.remove(0);
    let session = browser(&app, "libre0@example.org", PASSWORD).await;
    let (status, html) =
        post_profile(&session, "Persona Luisa", "Libre", "libre0@example.org").await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let renamed = person(&app, free.id).await;
    assert_eq!(
        (renamed.first_names.as_str(), renamed.last_names.as_str()),
        ("Persona Luisa", "Libre")
    );

    // A certified person of the closed ESAP cohort, with an account.
    let (_, cert) = certified(&app, &world.staff).await;
    let holder = person(&app, cert.participant_id).await;
    let account_id = match holder.user_id {
        Some(id) => id,
        None => {
            let created = domain::accounts::create_user(
                app.db(),
                domain::accounts::NewUser {
                    email: "certificada@example.org".into(),
                    password: domain::accounts::passwords::NewPassword::hash(PASSWORD)
                        .await
                        .unwrap(),
                    full_name: holder.full_name(),
                    role: Role::Participant,
                    department_code: None,
                    municipality_code: None,
                    territorial_direction_id: None,
                    provider_id: None,
                },
            )
            .await
            .unwrap();
            let mut model: participant::ActiveModel = holder.clone().into();
            model.user_id = Set(Some(created.id));
            model.email = Set(Some("certificada@example.org".into()));
            model.update(app.db()).await.unwrap();
            created.id
        }
    };
    let holder = person(&app, holder.id).await;
    let email = account(&app, account_id).await.email;
    let session = browser(&app, &email, PASSWORD).await;
    let html = body_of(&session, "/perfil").await;
    let municipality = holder.municipality_code.clone();
    let department = municipality[..2].to_string();
    let profile = |first: &'static str| {
        vec![
            ("first_names", first.to_string()),
            ("last_names", holder.last_names.clone()),
            ("email", email.clone()),
            ("phone", String::new()),
            ("department_code", department.clone()),
            ("municipality", municipality.clone()),
            ("entity_type", holder.entity_type.clone()),
            ("level", holder.level.clone()),
        ]
    };
    assert!(html.contains(&holder.first_names), "{html}");
    let fields = profile("Otra Persona");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&session, "/perfil", "/perfil", &borrowed).await;
    assert_eq!(status, Status::SeeOther, "{html}");
    assert_eq!(
        person(&app, holder.id).await.first_names,
        holder.first_names,
        "her record keeps the approved name"
    );
    let html = body_of(&session, "/perfil").await;
    assert!(
        html.contains("en revisión") && html.contains("Otra Persona"),
        "{html}"
    );
    let pending = name_change::Entity::find()
        .filter(name_change::Column::ParticipantId.eq(holder.id))
        .filter(name_change::Column::Status.eq("pending"))
        .one(app.db())
        .await
        .unwrap()
        .expect("stored for review");

    // A certificate issued meanwhile keeps the approved name.
    let body = api(
        &app,
        "POST",
        &format!("/api/v1/certificates/{}/reissue", cert.code),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let meanwhile = json_str(&body["code"]).to_string();
    let meanwhile = certificate::Entity::find()
        .filter(certificate::Column::Code.eq(meanwhile))
        .expect_one(app.db())
        .await;
    assert_eq!(meanwhile.full_name, holder.full_name());

    // Her cohort's coordination sees it; another provider's does not, and cannot decide it.
    let list = api_get(&app, "/api/v1/name-changes", Some(&world.staff))
        .await
        .expect_status(Status::Ok);
    assert!(
        json_items(&list)
            .iter()
            .any(|c| c["id"] == pending.id && c["first_names"] == "Otra Persona"),
        "{list}"
    );
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let list = api_get(&app, "/api/v1/name-changes", Some(&dnp))
        .await
        .expect_status(Status::Ok);
    assert!(json_items(&list).is_empty(), "{list}");
    let decision = format!("/api/v1/name-changes/{}/decision", pending.id);
    api_post(&app, &decision, Some(&dnp), json!({"accept": true}))
        .await
        .expect_status(Status::NotFound);
    let (status, _) = api_post(
        &app,
        &decision,
        Some(&holder_token(&app, &email).await),
        json!({"accept": true}),
    )
    .await;
    assert_eq!(status, Status::Forbidden, "she does not approve her own");

    // The coordinator's home leads to the list; the page approves, after its confirmation.
    let (coordinator_email, coordinator_password) = demo_account(Role::Coordinator);
    let coordinator = browser(&app, coordinator_email, coordinator_password).await;
    let home = body_of(&coordinator, "/").await;
    assert!(home.contains("/coordinacion/cambios-de-nombre"), "{home}");
    let list = body_of(&coordinator, "/coordinacion/cambios-de-nombre").await;
    assert!(list.contains("Otra Persona"), "{list}");
    let path = format!("/coordinacion/cambios-de-nombre/{}", pending.id);
    let confirmation = body_of(&coordinator, path.clone()).await;
    assert!(confirmation.contains(&meanwhile.code), "{confirmation}");
    let (status, html) = post(
        &coordinator,
        &path,
        &path,
        &[("decision", "aprobar"), ("confirmed", "true")],
    )
    .await;
    assert_eq!(status, Status::SeeOther, "{html}");
    let approved = person(&app, holder.id).await;
    assert_eq!(approved.first_names, "Otra Persona");
    assert_eq!(
        account(&app, account_id).await.full_name,
        approved.full_name()
    );
    let superseded = certificate::Entity::find_by_id(meanwhile.id)
        .expect_one(app.db())
        .await;
    assert_eq!(superseded.status, CertificateStatus::Superseded);
    let reissued = certificate::Entity::find_by_id(superseded.superseded_by_id.unwrap())
        .expect_one(app.db())
        .await;
    assert_eq!(reissued.full_name, approved.full_name());
    assert_eq!(
        audited(
            &app,
            "participant.name_change_approved",
            &holder.id.to_string()
        )
        .await,
        1
    );
    assert!(
        mail_to(&app, &email)
            .await
            .iter()
            .any(|m| m.subject.contains("Aprobamos su cambio de nombre"))
    );

    // Another request, rejected with its reason (required).
    let fields = profile("Nombre Ajeno");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = post(&session, "/perfil", "/perfil", &borrowed).await;
    assert_eq!(status, Status::SeeOther);
    let second = name_change::Entity::find()
        .filter(name_change::Column::ParticipantId.eq(holder.id))
        .filter(name_change::Column::Status.eq("pending"))
        .one(app.db())
        .await
        .unwrap()
        .expect("a second request");
    let decision = format!("/api/v1/name-changes/{}/decision", second.id);
    api_post(
        &app,
        &decision,
        Some(&world.staff),
        json!({"accept": false}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let body = api_post(
        &app,
        &decision,
        Some(&world.staff),
        json!({"accept": false, "reason": "No coincide con su cédula"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(body["status"], "rejected");
    assert_eq!(person(&app, holder.id).await.first_names, "Otra Persona");
    assert!(
        mail_to(&app, &email)
            .await
            .iter()
            .any(|m| m.body_text.contains("No coincide con su cédula"))
    );
    let (status, _) = api_post(&app, &decision, Some(&world.staff), json!({"accept": true})).await;
    assert_eq!(status, Status::Conflict, "decided once");
}

async fn holder_token(app: &TestApp, email: &str) -> String {
    token(app, email, PASSWORD).await
}
