//! Whose it is (issue 45, item 5): a coordinator's home separates its provider's figures from
//! the territory's; another provider's assistance opens read-only saying whose it is; a demand
//! referred to a provider can be answered by that provider's cohort or assistance; overlap
//! links lead to pages the reader may open.

use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_COORDINATOR, api_post, body_of, demo_account,
    role_token, sign_in_client, token,
};
use crate::world::World;
use domain::entities::values::{CohortStatus, DemandStatus, Role};
use domain::entities::{
    assistance, assistance_demand, cohort, demand, enrolment, participant, provider,
};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::BTreeSet;

/// The text of the section of `html` that opens with the heading `id` (up to the next
/// section), tags removed and spaces folded.
fn section(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}: {html}"));
    let rest = &html[start..];
    let rest = &rest[rest.find('>').map_or(0, |at| at + 1)..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The id of the demo provider whose name contains `name`.
async fn world_provider(app: &TestApp, name: &str) -> i32 {
    provider::Entity::find()
        .fetch_all(app.db())
        .await
        .into_iter()
        .find(|p| p.name.contains(name))
        .unwrap_or_else(|| panic!("provider {name}"))
        .id
}

/// DNP's course on the capacity `capacity`, created by its coordinator.
async fn dnp_course(app: &TestApp, dnp: &str, capacity: i32) {
    api_post(
        app,
        "/api/v1/courses",
        Some(dnp),
        json!({"code": "DNP-MGA", "name": "Formulación de proyectos en la MGA",
                    "hours": 20, "capacity_ids": [capacity]}),
    )
    .await
    .expect_status(Status::Created);
}

#[rocket::async_test]
async fn a_dnp_coordinators_home_separates_its_offer_from_the_territorys() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    dnp_course(&app, &dnp, 1).await;
    // DNP's one cohort, open, with three people of Florencia.
    let mut world = World::new(&app).await;
    world.staff = dnp.clone();
    let cohort = world
        .cohort()
        .course("DNP-MGA")
        .name("MGA · Florencia DNP")
        .seats(10)
        .create()
        .await;
    // They enrol themselves: DNP reaches nobody before (issue 46).
    for person in world.people("dnphome").count(3).of("18001").create().await {
        world.enrols_herself(cohort.id, &person).await;
    }
    // What DNP holds, read from the rows: its cohorts by state and the people enrolled in them.
    let dnp_id = world_provider(&app, "DNP").await;
    let dnp_cohorts = cohort::Entity::find()
        .filter(cohort::Column::ProviderId.eq(dnp_id))
        .fetch_all(app.db())
        .await;
    let count_in = |status: CohortStatus| dnp_cohorts.iter().filter(|c| c.status == status).count();
    let people: BTreeSet<i32> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(dnp_cohorts.iter().map(|c| c.id)))
        .filter(enrolment::Column::Status.is_in(domain::figures::COUNTED))
        .fetch_all(app.db())
        .await
        .into_iter()
        .map(|e| e.participant_id)
        .collect();
    assert!(people.len() >= 3);
    let national = domain::reports::dashboard::compute(app.db(), None)
        .await
        .unwrap();
    let registered = participant::Entity::find().fetch_count(app.db()).await;
    assert!(
        national.totals().enrolled > 3,
        "the demo has ESAP's people too"
    );

    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let html = body_of(&browser, "/").await;
    assert!(!html.contains("Panorama nacional"), "{html}");
    let own = section(&html, "su-oferta");
    assert!(own.starts_with("Su oferta (DNP)"), "{own}");
    // Its cohorts by state (the one added is its only open one) and the people in them.
    for (status, one, many) in [
        (
            CohortStatus::Draft,
            "cohorte en borrador",
            "cohortes en borrador",
        ),
        (
            CohortStatus::Open,
            "cohorte con inscripciones abiertas",
            "cohortes con inscripciones abiertas",
        ),
        (
            CohortStatus::InProgress,
            "cohorte en curso",
            "cohortes en curso",
        ),
        (CohortStatus::Closed, "cohorte cerrada", "cohortes cerradas"),
    ] {
        let n = count_in(status);
        let shown = format!("{n} {}", if n == 1 { one } else { many });
        assert!(own.contains(&shown), "{shown}: {own}");
    }
    assert_eq!(count_in(CohortStatus::Open), 1);
    let shown = format!("{} personas inscritas en sus cohortes", people.len());
    assert!(own.contains(&shown), "{shown}: {own}");
    // Fewer than the nation's, which today's «Panorama nacional» showed beside DNP's counts.
    assert!((people.len() as u64) < registered);
    assert!(
        own.contains("30 % de los cupos de sus cohortes abiertas ocupados"),
        "{own}"
    );
    assert!(own.contains("MGA · Florencia DNP"), "{own}");
    // The territory: every provider's figures, named so.
    let territory = section(&html, "territorio");
    assert!(
        territory.starts_with("El territorio (todos los oferentes) Todo el país"),
        "{territory}"
    );
    assert!(
        territory.contains(&format!(
            "{} participantes registrados",
            domain::format::thousands(registered as i64)
        )),
        "{territory}"
    );
    assert!(
        territory.contains(&format!(
            "{} inscripciones",
            domain::format::thousands(national.totals().enrolled)
        )),
        "{territory}"
    );
    // The provider's cohort counts are not the territory's.
    assert!(!territory.contains("Borrador"), "{territory}");
}

/// DNP's technical assistance in El Paujíl, created by its coordinator; its id.
async fn dnp_assistance(app: &TestApp, dnp: &str) -> i64 {
    let created = api_post(
        app,
        "/api/v1/assistances",
        Some(dnp),
        json!({
            "municipality_code": "18256",
            "entity_type": "alcaldia",
            "capacity_ids": [1],
            "objective": "Que la Secretaría de Planeación formule sus proyectos en la MGA.",
            "starts_on": crate::world::days(-10).to_string(),
            "ends_on": crate::world::days(120).to_string(),
            "modality": "mixta",
        }),
    )
    .await
    .expect_status(Status::Created);
    created["id"].as_i64().unwrap()
}

#[rocket::async_test]
async fn another_providers_assistance_opens_read_only_saying_whose_it_is() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let id = dnp_assistance(&app, &dnp).await;
    let path = format!("/asistencias/{id}");

    // ESAP's national coordinator reads it: whose it is, and none of its forms.
    let esap = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_client(&esap, email, password).await;
    let response = esap.get(path.clone()).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains(
            "Esta asistencia técnica es del <strong>Departamento Nacional de Planeación (DNP)</strong>"
        ),
        "{html}"
    );
    assert!(
        !html.contains(&format!("action=\"/asistencias/{id}/")),
        "{html}"
    );
    assert!(!html.contains("action=\"/hitos/"), "{html}");

    // DNP's coordinator manages it: its forms, no note.
    let own = app.another_instance(&[]).await;
    sign_in_client(&own, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let html = body_of(&own, path.clone()).await;
    assert!(
        html.contains(&format!("action=\"/asistencias/{id}/hitos\"")),
        "{html}"
    );
    assert!(!html.contains("Esta asistencia técnica es de"), "{html}");

    // A direction's coordinator whose departments do not hold El Paujíl: not found (scope kept).
    let meta = app.another_instance(&[]).await;
    sign_in_client(&meta, META_COORDINATOR.0, META_COORDINATOR.1).await;
    assert_eq!(meta.get(path).dispatch().await.status(), Status::NotFound);
}

#[rocket::async_test]
async fn a_demand_referred_to_dnp_is_answered_by_dnps_assistance_from_its_page() {
    let app = TestApp::with_demo().await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let wanted = demand::Entity::find()
        .filter(demand::Column::MunicipalityCode.eq("18256"))
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .one(app.db())
        .await
        .unwrap()
        .expect("El Paujíl's open demand");
    let dnp_id = world_provider(&app, "DNP").await;
    api_post(
        &app,
        &format!("/api/v1/demands/{}/referral", wanted.id),
        Some(&caqueta),
        json!({"provider_id": dnp_id, "note": "El DNP acompaña la formulación en la MGA."}),
    )
    .await
    .expect_status(Status::Created);

    // The demand's page tells DNP's coordinator how its offer answers it.
    let dnp = app.another_instance(&[]).await;
    sign_in_client(&dnp, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let html = body_of(&dnp, format!("/demandas/{}", wanted.id)).await;
    let answer = section(&html, "atender");
    assert!(
        answer.contains("Esta demanda se remitió a Departamento Nacional de Planeación (DNP)"),
        "{answer}"
    );
    let new_path = format!("/asistencias/nueva?demanda={}", wanted.id);
    assert!(html.contains(&format!("href=\"{new_path}\"")), "{html}");
    assert!(html.contains("href=\"/coordinacion/cohortes/nueva?municipios=18256\""));

    // The new assistance opens with the demand's municipality, capacity and the demand ticked.
    let form = body_of(&dnp, new_path.clone()).await;
    let ticked = format!("name=\"demand_ids\" value=\"{}\" checked", wanted.id);
    assert!(form.contains("name=\"municipality_code\" inputmode=\"numeric\" maxlength=\"5\" pattern=\"[0-9]{5}\" value=\"18256\""), "{form}");
    assert!(form.contains(&ticked), "{form}");
    assert!(
        form.contains(&format!(
            "name=\"capacity_ids\" value=\"{}\" checked",
            wanted.capacity_id
        )),
        "{form}"
    );

    let csrf = crate::support::csrf_from_client(&dnp, &new_path).await;
    let capacity = wanted.capacity_id.to_string();
    let demand_id = wanted.id.to_string();
    let starts = crate::world::days(-5).to_string();
    let ends = crate::world::days(90).to_string();
    let post = |objective: &'static str| {
        crate::support::form_body(&[
            ("csrf_token", &csrf),
            ("municipality_code", "18256"),
            ("entity_type", "alcaldia"),
            ("capacity_ids", &capacity),
            ("demand_ids", &demand_id),
            ("objective", objective),
            ("starts_on", &starts),
            ("ends_on", &ends),
            ("modality", "mixta"),
            ("contact_email", ""),
        ])
    };
    // Refused: the page again, 422, the demand still ticked and the problem beside its field.
    let response = dnp
        .post("/asistencias")
        .header(rocket::http::ContentType::Form)
        .body(post(""))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let again = response.into_string().await.unwrap();
    assert!(again.contains(&ticked), "{again}");
    assert!(again.contains("id=\"error-objective\""), "{again}");
    assert_eq!(
        demand::Entity::find_by_id(wanted.id)
            .expect_one(app.db())
            .await
            .status,
        DemandStatus::Open
    );
    // Saved: DNP's assistance answers the demand referred to DNP.
    let response = dnp
        .post("/asistencias")
        .header(rocket::http::ContentType::Form)
        .body(post(
            "Que la Secretaría de Planeación formule sus proyectos en la MGA.",
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let planned = demand::Entity::find_by_id(wanted.id)
        .expect_one(app.db())
        .await;
    assert_eq!(planned.status, DemandStatus::Planned);
    let linked = assistance_demand::Entity::find()
        .filter(assistance_demand::Column::DemandId.eq(wanted.id))
        .fetch_all(app.db())
        .await;
    assert_eq!(linked.len(), 1);
    let answering = assistance::Entity::find_by_id(linked[0].assistance_id)
        .expect_one(app.db())
        .await;
    assert_eq!(answering.provider_id, dnp_id);
}

/// Every link of `html` to a cohort's or an assistance's page.
fn offer_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/cohortes/") || href.starts_with("/asistencias/"))
        .map(str::to_string)
        .collect()
}

#[rocket::async_test]
async fn overlap_links_lead_to_pages_the_reader_may_open() {
    let app = TestApp::with_demo().await;
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    // ESAP's course «PT» and DNP's on the same capacity, in Caquetá at the same dates: ESAP's
    // cohort is open, DNP's a draft (its own work, not published).
    let pt = crate::world::catalogue_course(app.db(), "PT").await;
    let capacity = domain::entities::course_capacity::Entity::find()
        .filter(domain::entities::course_capacity::Column::CourseId.eq(pt.id))
        .expect_one(app.db())
        .await
        .capacity_id;
    dnp_course(&app, &dnp, capacity).await;
    let mut world = World::new(&app).await;
    let esap_cohort = world.cohort().name("PT · Caquetá ESAP").create().await;
    world.staff = dnp.clone();
    let draft = world
        .cohort()
        .course("DNP-MGA")
        .name("MGA · Caquetá borrador DNP")
        .draft()
        .create()
        .await;

    let mut checked = 0;
    for (name, account) in [
        ("ESAP", demo_account(Role::Coordinator)),
        ("DNP", DNP_COORDINATOR),
        ("Meta", META_COORDINATOR),
        ("Caquetá", demo_account(Role::Reviewer)),
    ] {
        let browser = app.another_instance(&[]).await;
        sign_in_client(&browser, account.0, account.1).await;
        let report = body_of(&browser, "/reportes/traslapes").await;
        // DNP's draft is named to everyone (duplication is best caught before it happens), and
        // linked for DNP only: nobody else may open it.
        if name != "Meta" {
            assert!(
                report.contains("MGA · Caquetá borrador DNP"),
                "{name}: {report}"
            );
        }
        assert_eq!(
            report.contains(&format!("href=\"/cohortes/{}\"", draft.id)),
            name == "DNP",
            "{name}: {report}"
        );
        for link in offer_links(&report) {
            let status = browser.get(link.clone()).dispatch().await.status();
            assert_eq!(status, Status::Ok, "{name}: {link}");
            checked += 1;
        }
    }
    assert!(checked > 0);

    // ESAP's workspace warns of DNP's draft by name, without a link to a page ESAP's
    // coordinator cannot open.
    let esap = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_client(&esap, email, password).await;
    let workspace = body_of(&esap, format!("/coordinacion/cohortes/{}", esap_cohort.id)).await;
    assert!(
        workspace.contains(
            "MGA · Caquetá borrador DNP <small>(borrador de otro oferente, aún no publicado)</small>"
        ),
        "{workspace}"
    );
    assert!(
        !workspace.contains(&format!("href=\"/cohortes/{}\"", draft.id)),
        "{workspace}"
    );
    for link in offer_links(&workspace) {
        assert_eq!(
            esap.get(link.clone()).dispatch().await.status(),
            Status::Ok,
            "{link}"
        );
    }
}
