//! Issue 32: every provider's offer in one place. Admins keep the providers; a provider's
//! coordinator manages only its own offer (another provider's object is a 404, through the API
//! and the pages, and nothing changes), reads everyone's published offer, and never sees the
//! people of another provider's cohorts. ESAP's rules hold as they were.

use crate::common::TestApp;
use crate::hostile_input::everything;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api, api_get, api_patch, api_post, body_of,
    csrf_from_client, demo_account, json_items, json_str, post_csrf, role_token, sign_in_client,
    token,
};
use crate::world::{World, catalogue_course, demo_cohort, shared_cohort};
use domain::entities::values::{CohortStatus, Role};
use domain::entities::{certificate, cohort, cohort_session, enrolment};
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The `field`s of a problem+json answer's errors.
fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[rocket::async_test]
async fn admins_keep_the_providers_and_assign_their_coordinators() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let coordinator = role_token(&app, Role::Coordinator).await;

    // Everyone signed in reads them, ESAP first.
    let list = api_get(&app, "/api/v1/providers", Some(&coordinator))
        .await
        .expect_status(Status::Ok);
    let items = json_items(&list);
    assert_eq!(items[0]["id"], 1);
    assert!(json_str(&items[0]["name"]).contains("ESAP"));
    // ESAP, the demo's three, and the Gobernación del Meta (issue 48: it leads the Meta
    // alliance).
    assert_eq!(items.len(), 5, "ESAP and the demo's four: {list}");

    // Only admins write.
    let body = json!({"name": "Universidad de la Amazonia", "kind": "universidad",
                      "nit": "891190346-1", "department_code": "18"});
    api_post(&app, "/api/v1/providers", Some(&coordinator), body.clone())
        .await
        .expect_status(Status::Forbidden);
    let created = api_post(&app, "/api/v1/providers", Some(&admin), body)
        .await
        .expect_status(Status::Created);
    assert_eq!(created["kind"], "universidad");
    assert_eq!(created["nit"], "891190346-1");

    // Every problem at once, in Spanish, and nothing written.
    let before = everything(&app).await;
    let refused = api_post(
        &app,
        "/api/v1/providers",
        Some(&admin),
        json!({"name": "Universidad de la Amazonia", "kind": "gobernacion",
                    "nit": "891190346-2"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let refused_fields = fields(&refused);
    for field in ["name", "nit", "department_code"] {
        assert!(
            refused_fields.contains(&field.to_string()),
            "{field}: {refused}"
        );
    }
    assert!(
        refused.to_string().contains("dígito de verificación"),
        "{refused}"
    );
    // ESAP owns the offer recorded before providers: it cannot be deactivated.
    api_patch(
        &app,
        "/api/v1/providers/1",
        Some(&admin),
        json!({"active": false}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(everything(&app).await == before, "nothing was written");

    // A coordinator belongs to a provider; other roles do not, and another provider's
    // coordinator has no territorial direction (those are ESAP's).
    let provider_id = created["id"].as_i64().unwrap();
    let user = api_post(
        &app,
        "/api/v1/users",
        Some(&admin),
        json!({"email": "coord.uniamazonia@example.org", "password": "Clave-segura-2026",
                    "full_name": "Ana Lucía Perdomo", "role": "coordinator",
                    "provider_id": provider_id}),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(user["provider_id"], provider_id);
    let refused = api_post(
        &app,
        "/api/v1/users",
        Some(&admin),
        json!({"email": "otro@example.org", "password": "Clave-segura-2026",
                    "full_name": "Pedro Pérez", "role": "instructor",
                    "provider_id": provider_id}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(fields(&refused), vec!["provider_id".to_string()]);
    let refused = api_post(
        &app,
        "/api/v1/users",
        Some(&admin),
        json!({"email": "otro@example.org", "password": "Clave-segura-2026",
                    "full_name": "Pedro Pérez", "role": "coordinator",
                    "provider_id": provider_id, "territorial_direction_id": 1}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(
        fields(&refused),
        vec!["territorial_direction_id".to_string()]
    );
}

/// DNP's coordinator reads ESAP's published offer, but every write on ESAP's cohorts,
/// sessions, enrolments, courses and certificates is a 404 that changes nothing — through the
/// API and through the pages — and ESAP's drafts and people stay out of sight.
#[rocket::async_test]
async fn another_providers_coordinator_reads_esaps_offer_and_changes_none_of_it() {
    let app = TestApp::with_demo().await;
    let shared = shared_cohort(app.db()).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&esap),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let code = certificate::Entity::find().expect_one(app.db()).await.code;
    let draft = demo_cohort(app.db(), CohortStatus::Draft).await;
    let esap_course = catalogue_course(app.db(), "PT").await;
    let enrolment_id = shared.meta_enrolment_id;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;

    // The whole offer: ESAP's published cohorts, named as ESAP's; not its drafts.
    let list = api_get(&app, "/api/v1/cohorts?per_page=500", Some(&dnp))
        .await
        .expect_status(Status::Ok);
    let ids: Vec<i64> = json_items(&list)
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&(shared.cohort_id as i64)), "{list}");
    assert!(!ids.contains(&(draft.id as i64)), "an ESAP draft: {list}");
    let one = api_get(
        &app,
        &format!("/api/v1/cohorts/{}", shared.cohort_id),
        Some(&dnp),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(one["provider"]["id"], 1);
    api_get(&app, &format!("/api/v1/cohorts/{}", draft.id), Some(&dnp))
        .await
        .expect_status(Status::NotFound);

    // ESAP's people: not in the roster, not in the participants report.
    api_get(
        &app,
        &format!("/api/v1/cohorts/{}/enrolments", shared.cohort_id),
        Some(&dnp),
    )
    .await
    .expect_status(Status::NotFound);
    let people = api_get(
        &app,
        "/api/v1/reports/attendance/participants?per_page=500",
        Some(&dnp),
    )
    .await
    .expect_status(Status::Ok);
    let text = people.to_string();
    assert!(!text.contains(&shared.meta_document), "{text}");
    assert!(!text.contains(&shared.caqueta_document), "{text}");

    // Every write on ESAP's objects: 404, and nothing written.
    let session = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(shared.cohort_id))
        .expect_one(app.db())
        .await;
    let participant = enrolment::Entity::find_by_id(enrolment_id)
        .expect_one(app.db())
        .await
        .participant_id;
    // Signing in records the time: done before the snapshot.
    let world = World::new(&app).await;
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let before = everything(&app).await;
    let writes: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            format!("/api/v1/cohorts/{}", shared.cohort_id),
            json!({"name": "Tomada por otro oferente", "seats": 99}),
        ),
        (
            "PATCH",
            format!("/api/v1/cohorts/{}", draft.id),
            json!({"status": "cancelled", "cancellation_reason": "no"}),
        ),
        (
            "POST",
            format!("/api/v1/cohorts/{}/enrolments", shared.cohort_id),
            json!({"participant_id": participant}),
        ),
        (
            "DELETE",
            format!("/api/v1/enrolments/{enrolment_id}"),
            Value::Null,
        ),
        (
            "PUT",
            format!("/api/v1/sessions/{}/attendance", session.id),
            json!([{"enrolment_id": enrolment_id, "status": "ausente"}]),
        ),
        (
            "PATCH",
            format!("/api/v1/sessions/{}", session.id),
            json!({"topic": "Otro tema"}),
        ),
        (
            "PATCH",
            format!("/api/v1/courses/{}", esap_course.id),
            json!({"name": "Curso tomado"}),
        ),
        (
            "POST",
            format!("/api/v1/cohorts/{}/certificates", closed.id),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/v1/certificates/{code}/revoke"),
            json!({"reason": "Revocado por otro oferente"}),
        ),
    ];
    for (method, path, body) in &writes {
        let body = (!body.is_null()).then(|| body.clone());
        let (status, answer) = api(&app, method, path, Some(&dnp), body).await;
        assert_eq!(status, Status::NotFound, "{method} {path}: {answer}");
    }
    // A cohort of ESAP's course is, to DNP, a course that does not exist.
    let mut body = world.cohort().course("PT").body().await;
    body["name"] = json!("Cohorte con curso ajeno");
    let refused = api_post(&app, "/api/v1/cohorts", Some(&dnp), body)
        .await
        .expect_status(Status::UnprocessableEntity);
    assert!(fields(&refused).contains(&"course_id".to_string()));

    // The pages: the workspace opens read-only, saying whose it is (issue 45), and its forms
    // are not there.
    let csrf = csrf_from_client(&browser, "/").await;
    let response = browser
        .get(format!("/coordinacion/cohortes/{}", shared.cohort_id))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let read_only = response.into_string().await.unwrap();
    assert!(
        read_only
            .contains("Esta cohorte es de la <strong>Escuela Superior de Administración Pública")
            && !read_only.contains("/estado\"")
            && !read_only.contains(&format!(
                "action=\"/coordinacion/cohortes/{}",
                shared.cohort_id
            )),
        "{read_only}"
    );
    let response = browser
        .get(format!("/coordinacion/cursos/{}", esap_course.id))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let course_page = response.into_string().await.unwrap();
    assert!(
        course_page.contains("Este curso es de la Escuela Superior de Administración Pública")
            && !course_page.contains(&format!(
                "action=\"/coordinacion/cursos/{}\"",
                esap_course.id
            )),
        "{course_page}"
    );
    for (path, fields) in [
        (
            format!("/coordinacion/cohortes/{}/estado", shared.cohort_id),
            vec![("status", "cancelled"), ("cancellation_reason", "tomada")],
        ),
        (
            format!("/coordinacion/cursos/{}", esap_course.id),
            vec![("name", "Curso tomado"), ("code", "PT"), ("hours", "40")],
        ),
        (
            format!("/coordinacion/certificados/{code}/revocar"),
            vec![("reason", "Revocado por otro oferente")],
        ),
    ] {
        let response = post_csrf(&browser, &path, &csrf, &fields).await;
        assert_eq!(response.status(), Status::NotFound, "POST {path}");
    }
    assert!(everything(&app).await == before, "nothing was written");
}

/// DNP's coordinator runs its own offer: its course and cohort are DNP's, named so wherever
/// the offer is read, and ESAP's coordinator cannot change them (the rule holds both ways).
#[rocket::async_test]
async fn a_providers_coordinator_runs_its_own_offer_and_esap_cannot_change_it() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let esap = role_token(&app, Role::Coordinator).await;
    let course = api_post(
        &app,
        "/api/v1/courses",
        Some(&dnp),
        json!({"code": "DNP-MGA", "name": "Formulación de proyectos en la MGA",
                    "hours": 20, "capacity_ids": [1]}),
    )
    .await
    .expect_status(Status::Created);
    assert!(
        json_str(&course["provider"]["name"]).contains("DNP"),
        "{course}"
    );
    // Naming another provider is refused, not silently replaced.
    api_post(
        &app,
        "/api/v1/courses",
        Some(&dnp),
        json!({"code": "DNP-OTRO", "name": "Otro", "hours": 20, "capacity_ids": [1],
                    "provider_id": 1}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);

    let world = World::new(&app).await;
    let mut body = world.cohort().course("DNP-MGA").body().await;
    body["name"] = json!("MGA · Florencia 2027");
    let created = api_post(&app, "/api/v1/cohorts", Some(&dnp), body)
        .await
        .expect_status(Status::Created);
    let cohort_id = created["id"].as_i64().unwrap();
    assert_eq!(created["provider"]["id"], course["provider"]["id"]);
    let row = cohort::Entity::find_by_id(cohort_id as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(
        Some(row.provider_id as i64),
        course["provider"]["id"].as_i64()
    );

    // ESAP's national coordinator: the same 404 on DNP's offer.
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}"),
        Some(&esap),
        json!({"name": "Tomada por la ESAP"}),
    )
    .await
    .expect_status(Status::NotFound);
    api_patch(
        &app,
        &format!("/api/v1/courses/{}", course["id"]),
        Some(&esap),
        json!({"name": "Tomado"}),
    )
    .await
    .expect_status(Status::NotFound);
    // The admin manages every provider's offer.
    let admin = role_token(&app, Role::Admin).await;
    api_patch(
        &app,
        &format!("/api/v1/cohorts/{cohort_id}"),
        Some(&admin),
        json!({"name": "MGA · Florencia 2027 (ajustada)"}),
    )
    .await
    .expect_status(Status::Ok);

    // ?provider= filters lists; the ESAP coordinator lists DNP's cohort once published only.
    let listed = api_get(
        &app,
        &format!("/api/v1/cohorts?provider={}", course["provider"]["id"]),
        Some(&admin),
    )
    .await
    .expect_status(Status::Ok);
    assert!(
        json_items(&listed)
            .iter()
            .all(|c| c["provider"]["id"] == course["provider"]["id"]),
        "{listed}"
    );
    let (status, _) = api_get(&app, &format!("/api/v1/cohorts/{cohort_id}"), Some(&esap)).await;
    assert_eq!(status, Status::NotFound, "a DNP draft is DNP's");
    let listed = api_get(
        &app,
        &format!("/api/v1/courses?provider={}", course["provider"]["id"]),
        Some(&esap),
    )
    .await
    .expect_status(Status::Ok);
    let codes: Vec<&str> = json_items(&listed)
        .iter()
        .map(|c| json_str(&c["code"]))
        .collect();
    assert!(
        codes.contains(&"DNP-MGA") && codes.contains(&"DNP-KPT"),
        "{codes:?}"
    );
    assert!(!codes.contains(&"PT"), "{codes:?}");

    // The public catalogue shows every provider's open cohorts with the provider's name.
    let (email, password) = demo_account(Role::Participant);
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, email, password).await;
    let html = body_of(&browser, "/cohortes").await;
    assert!(
        html.contains("Ofrece: Escuela Superior de Administración Pública (ESAP)"),
        "{html}"
    );
}

/// A certificate of another provider's cohort, and its credential, name that provider; ESAP's
/// stay as they were. The cohort closed in the demo is handed to DNP (its course and the
/// cohort itself) before the admin issues its certificates.
#[rocket::async_test]
async fn a_certificate_names_the_provider_whose_cohort_it_was() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::with_demo().await;
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    let dnp = domain::providers::get(app.db(), 2).await.unwrap();
    let mut row: cohort::ActiveModel = closed.clone().into();
    row.provider_id = Set(dnp.id);
    row.update(app.db()).await.unwrap();
    let admin = role_token(&app, Role::Admin).await;
    api(
        &app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", closed.id),
        Some(&admin),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let cert = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(closed.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("a certificate");
    assert_eq!(cert.issuer, dnp.name);
    let vc = crate::credentials::credential(&app, &cert.code).await;
    assert_eq!(vc["issuer"]["name"], dnp.name.as_str());
    let description = json_str(&vc["description"]);
    assert!(description.contains(&dnp.name), "{description}");
    assert!(!description.contains("ESAP"), "{description}");
    // The public verification page says who issued it.
    let html = body_of(&app.client, format!("/verificar/{}", cert.code)).await;
    assert!(html.contains(&dnp.name), "{html}");
}

/// Reports filter by provider; another provider's coordinator always reads its own provider's
/// results (asking for another provider's gives an empty report, not ESAP's people).
#[rocket::async_test]
async fn reports_filter_by_provider_and_another_provider_reads_its_own() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let cohort_names = |report: &Value| -> Vec<String> {
        json_items(report)
            .iter()
            .map(|r| json_str(&r["cohort_name"]).to_string())
            .collect()
    };
    let all = api_get(&app, "/api/v1/reports/attendance", Some(&admin))
        .await
        .expect_status(Status::Ok);
    let (_, dnp_only) = api_get(&app, "/api/v1/reports/attendance?provider=2", Some(&admin)).await;
    let names = cohort_names(&dnp_only);
    assert!(
        !names.is_empty() && names.iter().all(|n| n.starts_with("Taller KPT")),
        "{names:?}"
    );
    assert!(cohort_names(&all).len() > names.len());

    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (_, own) = api_get(&app, "/api/v1/reports/attendance", Some(&dnp)).await;
    assert_eq!(
        cohort_names(&own),
        names,
        "its own provider's, without asking"
    );
    let esap = api_get(&app, "/api/v1/reports/attendance?provider=1", Some(&dnp))
        .await
        .expect_status(Status::Ok);
    assert!(cohort_names(&esap).is_empty(), "{esap}");
}

/// Issue 45: a coordinator's role is labelled with whose it is, in the page header and in the
/// API's `role_label` («Coordinación · DNP», not «Coordinador ESAP»).
#[rocket::async_test]
async fn the_role_label_names_the_coordinators_provider_and_direction() {
    let app = TestApp::with_demo().await;
    let cases = [
        (DNP_COORDINATOR, "Coordinación · DNP"),
        (
            crate::support::META_COORDINATOR,
            "Coordinación · ESAP Dirección Territorial Meta",
        ),
        (demo_account(Role::Coordinator), "Coordinación · ESAP"),
    ];
    for ((email, password), label) in cases {
        // The API: the token's account and `GET /me`.
        let response = app
            .client
            .post("/api/v1/tokens")
            .header(ContentType::JSON)
            .body(json!({"email": email, "password": password}).to_string())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Created);
        let body: Value = response.into_json().await.unwrap();
        assert_eq!(body["user"]["role_label"], label, "{email}");
        let bearer = json_str(&body["token"]).to_string();
        let (_, me) = api_get(&app, "/api/v1/me", Some(&bearer)).await;
        assert_eq!(me["role_label"], label, "{email}");
        // The page header.
        let browser = app.another_instance(&[]).await;
        sign_in_client(&browser, email, password).await;
        let html = body_of(&browser, "/").await;
        assert!(
            html.contains(&format!(" · {label}</span>")),
            "{email}: {html}"
        );
    }
    // An admin's list names each coordinator's provider too.
    let admin = role_token(&app, Role::Admin).await;
    let (_, users) = api_get(
        &app,
        "/api/v1/users?role=coordinator&per_page=50",
        Some(&admin),
    )
    .await;
    let dnp = json_items(&users)
        .iter()
        .find(|u| u["email"] == DNP_COORDINATOR.0)
        .unwrap();
    assert_eq!(dnp["role_label"], "Coordinación · DNP");
}
