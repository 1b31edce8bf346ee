//! Referrals and stale demands (issue 32): a gobernación's reviewer or a coordinator points an
//! open demand to a provider (its active coordinators are emailed once, through the outbox),
//! the list filters by provider, the provider's coordinators find it on their home page, and a
//! demand open 60 days with nothing planned is flagged stale (the clock moved by backdating
//! `created_at`, never by sleeping).

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_COORDINATOR, META_REVIEWER, api_get, api_patch,
    api_post, demo_account, error_fields, form_body, json_array, json_items, json_str, role_token,
    sign_in_client, token,
};
use domain::entities::values::{DemandStatus, Role};
use domain::entities::{audit_log, demand, demand_referral, outbox, provider};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};

/// The demo's coordinator of Función Pública (email, password).
const FUNCION_PUBLICA_COORDINATOR: (&str, &str) = (
    "coordinacion.funcionpublica@aulaterritorial.example",
    "Coordina-DAFP-2026",
);

/// The demo demand of `place` in `status` (the demo has one of each it needs).
async fn demo_demand(app: &TestApp, place: &str, status: DemandStatus) -> demand::Model {
    demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq(place))
        .filter(demand::Column::Status.eq(status))
        .one(app.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a demo demand of {place} {status:?}"))
}

/// A demo provider's id by the start of its name.
async fn provider_id(app: &TestApp, name: &str) -> i64 {
    let found = provider::Entity::find()
        .fetch_all(app.db())
        .await
        .into_iter()
        .find(|p| p.name.starts_with(name))
        .unwrap_or_else(|| panic!("provider {name}"));
    i64::from(found.id)
}

/// The outbox rows of the referral of `demand` to `provider`.
async fn referral_mails(app: &TestApp, demand: i32, provider: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(
            outbox::Column::DedupeKey.starts_with(format!("demand_referred:{demand}:{provider}:")),
        )
        .fetch_all(app.db())
        .await
}

async fn refer(app: &TestApp, token: &str, demand: i32, body: Value) -> (Status, Value) {
    api_post(
        app,
        &format!("/api/v1/demands/{demand}/referral"),
        Some(token),
        body,
    )
    .await
}

/// Moves a demand's `created_at` back `days` days from now: the clock moved.
async fn raised_days_ago(app: &TestApp, id: i32, days: i64) {
    let mut row = demand::Entity::find_by_id(id)
        .expect_one(app.db())
        .await
        .into_active_model();
    row.created_at = Set(domain::time::now() - chrono::Duration::days(days));
    row.update(app.db()).await.unwrap();
}

/// A browser of its own, signed in as the account.
async fn browser(app: &TestApp, (email, password): (&str, &str)) -> Client {
    let client = app.another_instance(&[]).await;
    sign_in_client(&client, email, password).await;
    client
}

async fn html(client: &Client, path: &str) -> (Status, String) {
    let response = client.get(path.to_string()).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// The CSRF token of the forms of the page at `path`, in `client`.
async fn csrf(client: &Client, path: &str) -> String {
    crate::support::csrf_from_client(client, path).await
}

#[rocket::async_test]
async fn a_reviewer_points_an_open_demand_to_a_provider_whose_coordinators_are_emailed_once() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let open = demo_demand(&app, "18256", DemandStatus::Open).await;
    let dnp = provider_id(&app, "Departamento Nacional de Planeación").await;

    // DNP gets a second active coordinator and an inactive one: only the active are emailed.
    let mut expected = vec![DNP_COORDINATOR.0.to_string()];
    for (email, active) in [
        ("segunda.dnp@example.org", true),
        ("inactiva.dnp@example.org", false),
    ] {
        let body = api_post(
            &app,
            "/api/v1/users",
            Some(&admin),
            json!({
                "email": email,
                "password": "Coordina-Prueba-2026",
                "full_name": "Coordinación DNP de prueba",
                "role": "coordinator",
                "provider_id": dnp,
            }),
        )
        .await
        .expect_status(Status::Created);
        if active {
            expected.push(email.to_string());
        } else {
            api_patch(
                &app,
                &format!("/api/v1/users/{}", body["id"]),
                Some(&admin),
                json!({"active": false}),
            )
            .await
            .expect_status(Status::Ok);
        }
    }

    // Outside the reviewer's department: 404, as if it did not exist; a liaison: 403.
    let note = json!({"provider_id": dnp, "note": "El DNP acompaña el Kit de Planeación Territorial en El Paujíl."});
    let (status, _) = refer(&app, &meta, open.id, note.clone()).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = refer(&app, &liaison, open.id, note.clone()).await;
    assert_eq!(status, Status::Forbidden);

    // The Caquetá reviewer points El Paujíl's open demand to DNP: 201 with the referral.
    let (status, referral) = refer(&app, &caqueta, open.id, note.clone()).await;
    assert_eq!(status, Status::Created, "{referral}");
    let (_, me) = api_get(&app, "/api/v1/me", Some(&caqueta)).await;
    assert_eq!(referral["demand_id"], json!(open.id));
    assert_eq!(referral["provider"]["id"], json!(dnp));
    assert_eq!(
        referral["provider"]["name"],
        json!("Departamento Nacional de Planeación (DNP)")
    );
    assert_eq!(referral["note"], note["note"]);
    assert_eq!(referral["referred_by"], me["id"]);
    assert!(
        json_str(&referral["created_at"]).ends_with("-05:00"),
        "{referral}"
    );

    // One email per active coordinator of DNP, in the outbox, with the demand and the note.
    let mails = referral_mails(&app, open.id, dnp).await;
    let mut recipients: Vec<String> = mails.iter().map(|m| m.recipient.clone()).collect();
    recipients.sort();
    expected.sort();
    assert_eq!(recipients, expected);
    let first = &mails[0];
    assert!(first.subject.contains("El Paujíl"), "{}", first.subject);
    for text in [
        "Seguimiento al plan de desarrollo con el plan indicativo",
        "Planeación territorial",
        "Óscar Iván Betancourt",
        "Kit de Planeación Territorial en El Paujíl",
        &format!("/demandas/{}", open.id),
    ] {
        assert!(
            first.body_text.contains(text),
            "{text}: {}",
            first.body_text
        );
    }
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("demand.referred"))
        .filter(audit_log::Column::SubjectId.eq(open.id.to_string()))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 1);

    // The same provider again: 409 and no second email.
    let (status, body) = refer(&app, &caqueta, open.id, note.clone()).await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert!(
        json_str(&body["detail"]).contains("ya se remitió a ese oferente"),
        "{body}"
    );
    let admin_too = refer(&app, &admin, open.id, note.clone()).await;
    assert_eq!(admin_too.0, Status::Conflict);
    assert_eq!(
        referral_mails(&app, open.id, dnp).await.len(),
        expected.len()
    );

    // The demand carries its referrals (Función Pública's, from the demo, then DNP's).
    let (_, shown) = api_get(
        &app,
        &format!("/api/v1/demands/{}", open.id),
        Some(&caqueta),
    )
    .await;
    let providers: Vec<&str> = json_array(&shown["referrals"])
        .iter()
        .map(|r| json_str(&r["provider"]["name"]))
        .collect();
    assert_eq!(
        providers,
        [
            "Departamento Administrativo de la Función Pública",
            "Departamento Nacional de Planeación (DNP)"
        ]
    );
    assert_eq!(shown["referrals"][1]["note"], note["note"]);
    assert_eq!(shown["stale"], json!(false));

    // `?provider=` lists the demands pointed to a provider, in the caller's scope.
    let listed = api_get(
        &app,
        &format!("/api/v1/demands?provider={dnp}"),
        Some(&caqueta),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(listed["total"], json!(1), "{listed}");
    assert_eq!(listed["items"][0]["id"], json!(open.id));
    assert!(listed["items"][0]["stale"].is_boolean());
    let (_, theirs) = api_get(
        &app,
        &format!("/api/v1/demands?provider={dnp}"),
        Some(&meta),
    )
    .await;
    assert_eq!(theirs["total"], json!(0), "another department's: {theirs}");
    let (_, esap) = api_get(&app, "/api/v1/demands?provider=1", Some(&admin)).await;
    assert_eq!(esap["total"], json!(0), "{esap}");

    // A Meta reviewer cannot point a Caquetá demand anywhere (404), but their own, yes.
    let mapiripan = demo_demand(&app, "50325", DemandStatus::Open).await;
    let (status, _) = refer(&app, &caqueta, mapiripan.id, note.clone()).await;
    assert_eq!(status, Status::NotFound);
    let (status, body) = refer(&app, &meta, mapiripan.id, note).await;
    assert_eq!(status, Status::Created, "{body}");
}

#[rocket::async_test]
async fn only_open_demands_are_pointed_and_only_to_an_active_provider_with_a_note() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let staff = role_token(&app, Role::Coordinator).await;
    let dnp = provider_id(&app, "Departamento Nacional de Planeación").await;
    let referrals_before = demand_referral::Entity::find().fetch_count(app.db()).await;
    let outbox_before = outbox::Entity::find().fetch_count(app.db()).await;
    let body = json!({"provider_id": dnp, "note": "Puede atenderla."});

    // Planned, met and declined demands: 409, whoever asks.
    for (place, status) in [
        ("18256", DemandStatus::Planned),
        ("18094", DemandStatus::Declined),
    ] {
        let row = demo_demand(&app, place, status).await;
        for caller in [&caqueta, &staff] {
            let (answer, problem) = refer(&app, caller, row.id, body.clone()).await;
            assert_eq!(answer, Status::Conflict, "{status:?}: {problem}");
            assert!(
                json_str(&problem["detail"]).contains("abierta"),
                "{problem}"
            );
        }
    }
    let met = demand::Entity::find()
        .filter(demand::Column::Status.eq(DemandStatus::Met))
        .expect_one(app.db())
        .await;
    assert_eq!(
        refer(&app, &staff, met.id, body.clone()).await.0,
        Status::Conflict
    );

    // An unknown provider, an inactive one, no provider, no note: 422 on the field.
    let open = demo_demand(&app, "18256", DemandStatus::Open).await;
    let (status, problem) = refer(
        &app,
        &caqueta,
        open.id,
        json!({"provider_id": 9999, "note": "Puede atenderla."}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["provider_id"]);
    api_patch(
        &app,
        &format!("/api/v1/providers/{dnp}"),
        Some(&admin),
        json!({"active": false}),
    )
    .await
    .expect_status(Status::Ok);
    let (status, problem) = refer(&app, &caqueta, open.id, body.clone()).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["provider_id"]);
    let (status, problem) = refer(&app, &caqueta, open.id, json!({"note": "   "})).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["provider_id", "note"]);
    let (status, problem) = refer(
        &app,
        &caqueta,
        open.id,
        json!({"provider_id": 1, "note": "x".repeat(501)}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["note"]);
    // An unknown demand: 404.
    assert_eq!(refer(&app, &staff, 999_999, body).await.0, Status::NotFound);

    // Nothing was written.
    assert_eq!(
        demand_referral::Entity::find().fetch_count(app.db()).await,
        referrals_before
    );
    assert_eq!(
        outbox::Entity::find().fetch_count(app.db()).await,
        outbox_before
    );
}

#[rocket::async_test]
async fn an_open_demand_nobody_planned_is_stale_after_sixty_days() {
    let app = TestApp::with_demo().await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let open = demo_demand(&app, "18256", DemandStatus::Open).await;
    let planned = demo_demand(&app, "18256", DemandStatus::Planned).await;
    let shown = |id: i32| {
        let (app, caqueta) = (&app, &caqueta);
        async move {
            api_get(app, &format!("/api/v1/demands/{id}"), Some(caqueta))
                .await
                .1
        }
    };
    let reviewer = browser(&app, demo_account(Role::Reviewer)).await;

    // 59 days: not yet.
    raised_days_ago(&app, open.id, 59).await;
    let demand = shown(open.id).await;
    assert_eq!(
        (demand["stale"].clone(), demand["age_days"].clone()),
        (json!(false), json!(59))
    );
    let (_, home) = html(&reviewer, "/").await;
    assert!(
        home.contains("<strong>0</strong> sin respuesta hace 60 días o más"),
        "{home}"
    );
    assert!(!home.contains("badge-stale"));

    // 60 days: stale, in the API (show and list), the pages and the reviewer's home.
    raised_days_ago(&app, open.id, 60).await;
    let demand = shown(open.id).await;
    assert_eq!(demand["stale"], json!(true), "{demand}");
    let (_, listed) = api_get(&app, "/api/v1/demands?status=open", Some(&caqueta)).await;
    let item = json_items(&listed)
        .iter()
        .find(|d| d["id"] == json!(open.id))
        .cloned()
        .unwrap();
    assert_eq!(item["stale"], json!(true));
    let (_, home) = html(&reviewer, "/").await;
    assert!(
        home.contains("<strong>1</strong> sin respuesta hace 60 días o más"),
        "{home}"
    );
    assert!(home.contains("Demandas sin respuesta hace 60 días o más"));
    assert!(home.contains(&format!("href=\"/demandas/{}\"", open.id)));
    assert!(home.contains("Sin respuesta hace 60 días o más</span>"));
    for path in [format!("/demandas/{}", open.id), "/demandas".to_string()] {
        let (status, page) = html(&reviewer, &path).await;
        assert_eq!(status, Status::Ok);
        assert!(page.contains("badge-stale"), "{path}");
    }
    let (_, report) = api_get(&app, "/api/v1/reports/demand", Some(&caqueta)).await;
    assert_eq!(report["oldest_open"][0]["stale"], json!(true), "{report}");

    // Meta's reviewer does not see Caquetá's stale demand, only their own (the demo's
    // Mapiripán demand, open 75 days).
    let meta = browser(&app, META_REVIEWER).await;
    let (_, home) = html(&meta, "/").await;
    assert!(!home.contains(&format!("href=\"/demandas/{}\"", open.id)));
    assert!(
        home.contains("<strong>1</strong> sin respuesta hace 60 días o más"),
        "{home}"
    );
    assert!(home.contains("Formulación de proyectos de inversión en la MGA"));

    // A planned demand is never stale, however old.
    raised_days_ago(&app, planned.id, 200).await;
    assert_eq!(shown(planned.id).await["stale"], json!(false));
}

#[rocket::async_test]
async fn a_providers_coordinators_find_the_demands_pointed_to_it_on_their_home_page() {
    let app = TestApp::with_demo().await;
    let open = demo_demand(&app, "18256", DemandStatus::Open).await;
    let topic = "Seguimiento al plan de desarrollo con el plan indicativo";
    let demand_link = format!("href=\"/demandas/{}\"", open.id);

    // The demo pointed El Paujíl's open demand to Función Pública: its coordinator sees it.
    let funcion_publica = browser(&app, FUNCION_PUBLICA_COORDINATOR).await;
    let (status, home) = html(&funcion_publica, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(
        home.contains("Demandas remitidas a Departamento Administrativo de la Función Pública"),
        "{home}"
    );
    assert!(home.contains(&demand_link) && home.contains(topic));
    assert!(home.contains("El Paujíl") && home.contains("Planeación territorial"));

    // DNP's coordinator, not yet.
    let dnp_browser = browser(&app, DNP_COORDINATOR).await;
    let (_, home) = html(&dnp_browser, "/").await;
    assert!(!home.contains(&demand_link), "{home}");
    assert!(home.contains("Ninguna demanda abierta remitida a su oferente"));

    // The Caquetá reviewer points it to DNP from the demand's page (CSRF form): first without
    // a note (422, the form again, nothing sent), then with one.
    let reviewer = browser(&app, demo_account(Role::Reviewer)).await;
    let page_path = format!("/demandas/{}", open.id);
    let (_, page) = html(&reviewer, &page_path).await;
    assert!(page.contains("Remitir a un oferente"));
    assert!(page.contains("Departamento Administrativo de la Función Pública"));
    let dnp = provider_id(&app, "Departamento Nacional de Planeación")
        .await
        .to_string();
    let token = csrf(&reviewer, &page_path).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let (reviewer, path) = (&reviewer, format!("{page_path}/remitir"));
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = reviewer
                .post(path)
                .header(ContentType::Form)
                .body(form_body(&fields))
                .dispatch()
                .await;
            let status = response.status();
            (status, response.into_string().await.unwrap_or_default())
        }
    };
    let (status, again) = post(vec![
        ("csrf_token", token.clone()),
        ("provider_id", dnp.clone()),
        ("note", String::new()),
    ])
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        again.contains("Escriba una nota para el oferente"),
        "{again}"
    );
    assert!(
        referral_mails(&app, open.id, dnp.parse().unwrap())
            .await
            .is_empty()
    );
    let (status, _) = post(vec![
        ("csrf_token", token.clone()),
        ("provider_id", dnp.clone()),
        (
            "note",
            "El DNP acompaña el Kit de Planeación Territorial en El Paujíl.".into(),
        ),
    ])
    .await;
    assert_eq!(status, Status::SeeOther);
    let (_, page) = html(&reviewer, &page_path).await;
    assert!(page.contains("Demanda remitida a Departamento Nacional de Planeación (DNP)"));
    assert!(page.contains("Kit de Planeación Territorial en El Paujíl"));
    assert_eq!(
        referral_mails(&app, open.id, dnp.parse().unwrap())
            .await
            .len(),
        1
    );

    // Now DNP's coordinator finds it at home, and the list filters by provider.
    let (_, home) = html(&dnp_browser, "/").await;
    assert!(
        home.contains(&demand_link) && home.contains(topic),
        "{home}"
    );
    let (_, list) = html(&reviewer, &format!("/demandas?oferente={dnp}")).await;
    assert!(
        list.contains(&demand_link) && list.contains("Departamento Nacional de Planeación (DNP)")
    );
    let (_, list) = html(&reviewer, "/demandas?oferente=1").await;
    assert!(!list.contains(&demand_link), "nothing pointed to ESAP yet");

    // Pointed to ESAP: ESAP's national coordinator is emailed and sees it at home; the Meta
    // direction's coordinator, whose departments do not include Caquetá, is not told.
    let (status, body) = refer(
        &app,
        &role_token(&app, Role::Reviewer).await,
        open.id,
        json!({"provider_id": 1, "note": "La ESAP puede programar una cohorte en el Caquetá."}),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    let told: Vec<String> = referral_mails(&app, open.id, 1)
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    assert_eq!(told, [demo_account(Role::Coordinator).0]);
    assert!(!told.iter().any(|r| r == META_COORDINATOR.0));
    let esap = browser(&app, demo_account(Role::Coordinator)).await;
    let (_, home) = html(&esap, "/").await;
    assert!(
        home.contains("Demandas remitidas a Escuela Superior de Administración Pública"),
        "{home}"
    );
    assert!(home.contains(&demand_link));
}

#[rocket::async_test]
async fn two_referrals_at_once_to_the_same_provider_make_one_and_one_email() {
    let app = TestApp::with_demo().await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let mapiripan = demo_demand(&app, "50325", DemandStatus::Open).await;
    let funcion_publica =
        provider_id(&app, "Departamento Administrativo de la Función Pública").await;
    let body = json!({"provider_id": funcion_publica, "note": "Acompaña el MIPG en el Meta."});
    let ((a, first), (b, second)) = rocket::tokio::join!(
        refer(&app, &meta, mapiripan.id, body.clone()),
        refer(&app, &meta, mapiripan.id, body.clone())
    );
    let mut statuses = vec![a, b];
    statuses.sort_by_key(|s| s.code);
    assert_eq!(
        statuses,
        [Status::Created, Status::Conflict],
        "{first} {second}"
    );
    let rows = demand_referral::Entity::find()
        .filter(demand_referral::Column::DemandId.eq(mapiripan.id))
        .fetch_count(app.db())
        .await;
    assert_eq!(rows, 1);
    let told: Vec<String> = referral_mails(&app, mapiripan.id, funcion_publica)
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    assert_eq!(told, [FUNCION_PUBLICA_COORDINATOR.0]);
}
