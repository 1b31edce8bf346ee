//! Issue 49, item 5: CONPES's sectoral and population descriptors. The lists are seeded from
//! the national budget's sectors and the policy's population groups, read by anyone signed
//! in and written by admins only (audited; one in use is retired, not deleted); courses,
//! assistances and demands carry them (unknown, inactive or other-list ids are a 422 in
//! Spanish with nothing written); the offer view, the demand lists and map and open data
//! filter by sector.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, api_delete, api_get, api_patch, api_post, body_of, csrf_from_client,
    demo_account, error_fields, form_body, json_array, json_items, json_str, role_token,
    sign_in_client,
};
use domain::entities::values::{DescriptorKind, Role};
use domain::entities::{audit_log, descriptor};
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// The id of the descriptor of `kind` with `code`.
async fn id_of(app: &TestApp, kind: DescriptorKind, code: &str) -> i64 {
    descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(kind))
        .filter(descriptor::Column::Code.eq(code))
        .one(app.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("the descriptor {code}"))
        .id
        .into()
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| json_str(&d["code"]).to_string())
        .collect()
}

#[rocket::async_test]
async fn the_lists_are_seeded_read_by_anyone_signed_in_and_written_by_admins() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let coordinator = role_token(&app, Role::Coordinator).await;
    let admin = role_token(&app, Role::Admin).await;

    let sectors = api_get(&app, "/api/v1/sectors?per_page=100", Some(&liaison))
        .await
        .expect_status(Status::Ok);
    assert_eq!(sectors["total"], 25);
    assert_eq!(sectors["items"][0]["code"], "agricultura");
    assert_eq!(
        sectors["items"][0]["name"],
        "Agricultura y desarrollo rural"
    );
    assert!(codes(&sectors["items"]).contains(&"vivienda_agua".to_string()));
    let (_, groups) = api_get(
        &app,
        "/api/v1/population-groups?per_page=100",
        Some(&liaison),
    )
    .await;
    assert_eq!(groups["total"], 14);
    for code in [
        "victimas",
        "mujeres",
        "indigenas",
        "narp",
        "rrom",
        "discapacidad",
        "campesinos",
    ] {
        assert!(
            codes(&groups["items"]).contains(&code.to_string()),
            "{code}"
        );
    }
    api_get(&app, "/api/v1/sectors", None)
        .await
        .expect_status(Status::Unauthorized);

    // Writes: admins only.
    let risk = json!({"code": "gestion_riesgo", "name": "Gestión del riesgo de desastres"});
    api_post(&app, "/api/v1/sectors", Some(&coordinator), risk.clone())
        .await
        .expect_status(Status::Forbidden);
    let created = api_post(&app, "/api/v1/sectors", Some(&admin), risk.clone())
        .await
        .expect_status(Status::Created);
    assert_eq!(created["code"], "gestion_riesgo");
    let new_id = created["id"].as_i64().unwrap();
    let problem = api_post(&app, "/api/v1/sectors", Some(&admin), risk)
        .await
        .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["code"]);
    assert!(json_str(&problem["errors"][0]["message"]).contains("Ya existe un sector"));
    // The same code in the other list is another descriptor.
    api_post(
        &app,
        "/api/v1/population-groups",
        Some(&admin),
        json!({"code": "gestion_riesgo", "name": "Población en zonas de riesgo"}),
    )
    .await
    .expect_status(Status::Created);
    api_patch(
        &app,
        &format!("/api/v1/sectors/{new_id}"),
        Some(&admin),
        json!({"code": "riesgo"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    api_patch(
        &app,
        &format!("/api/v1/sectors/{new_id}"),
        Some(&coordinator),
        json!({"name": "Riesgo"}),
    )
    .await
    .expect_status(Status::Forbidden);
    // A sector's id is not a population group's.
    api_patch(
        &app,
        &format!("/api/v1/population-groups/{new_id}"),
        Some(&admin),
        json!({"name": "Riesgo"}),
    )
    .await
    .expect_status(Status::NotFound);
    let renamed = api_patch(
        &app,
        &format!("/api/v1/sectors/{new_id}"),
        Some(&admin),
        json!({"name": "Gestión del riesgo", "active": false}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(renamed["active"], false);

    // Deleting: one nothing carries goes; one in use is retired instead (409).
    let water = id_of(&app, DescriptorKind::Sector, "vivienda_agua").await;
    let (status, problem) =
        api_delete(&app, &format!("/api/v1/sectors/{water}"), Some(&admin)).await;
    assert_eq!(status, Status::Conflict, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("desactívelo"),
        "{problem}"
    );
    api_delete(
        &app,
        &format!("/api/v1/sectors/{new_id}"),
        Some(&coordinator),
    )
    .await
    .expect_status(Status::Forbidden);
    api_delete(&app, &format!("/api/v1/sectors/{new_id}"), Some(&admin))
        .await
        .expect_status(Status::NoContent);
    let (_, sectors) = api_get(&app, "/api/v1/sectors?per_page=100", Some(&liaison)).await;
    assert_eq!(sectors["total"], 25);

    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::SubjectType.eq("descriptor"))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 4, "two created, one changed, one deleted");
}

#[rocket::async_test]
async fn courses_assistances_and_demands_carry_them_and_refuse_unknown_ids() {
    let app = TestApp::with_demo().await;
    let liaison = role_token(&app, Role::Liaison).await;
    let admin = role_token(&app, Role::Admin).await;
    let coordinator = role_token(&app, Role::Coordinator).await;
    let water = id_of(&app, DescriptorKind::Sector, "vivienda_agua").await;
    let farming = id_of(&app, DescriptorKind::Sector, "agricultura").await;
    let rural = id_of(&app, DescriptorKind::PopulationGroup, "campesinos").await;
    let (_, capacities) = api_get(&app, "/api/v1/capacities", Some(&admin)).await;
    let capacity = capacities["items"][0]["id"].clone();
    let demand = |sectors: Value, groups: Value| {
        json!({
            "municipality_code": "18256", "capacity_id": capacity, "topic": "Acueducto veredal",
            "description": "La vereda no tiene agua potable.", "people_estimate": 6,
            "modality": "presencial", "wanted_from": "2030-01-10", "wanted_to": "2030-03-10",
            "sector_ids": sectors, "population_group_ids": groups,
        })
    };
    let total = async || api_get(&app, "/api/v1/demands", Some(&admin)).await.1["total"].clone();
    let before = total().await;

    // Unknown ids, a population group sent as a sector: each list refused in Spanish, nothing
    // written.
    let problem = api_post(
        &app,
        "/api/v1/demands",
        Some(&liaison),
        demand(json!([water, 999_999]), json!([water])),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["population_group_ids", "sector_ids"]);
    assert!(
        problem
            .to_string()
            .contains("Alguno de los sectores elegidos no existe o está inactivo.")
    );
    assert_eq!(total().await, before);

    let raised = api_post(
        &app,
        "/api/v1/demands",
        Some(&liaison),
        demand(json!([water]), json!([rural])),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(raised["sectors"][0]["code"], "vivienda_agua");
    assert_eq!(
        raised["population_groups"][0]["name"],
        "Población rural y campesina"
    );
    let id = raised["id"].as_i64().unwrap();
    // A PATCH without the lists keeps them; with one, replaces that one.
    let changed = api_patch(
        &app,
        &format!("/api/v1/demands/{id}"),
        Some(&liaison),
        json!({"sector_ids": [water, farming]}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(codes(&changed["sectors"]), ["agricultura", "vivienda_agua"]);
    assert_eq!(codes(&changed["population_groups"]), ["campesinos"]);

    // An inactive sector cannot be chosen any more; what carries it keeps it.
    api_patch(
        &app,
        &format!("/api/v1/sectors/{farming}"),
        Some(&admin),
        json!({"active": false}),
    )
    .await
    .expect_status(Status::Ok);
    let (status, kept) = api_patch(
        &app,
        &format!("/api/v1/demands/{id}"),
        Some(&liaison),
        json!({"sector_ids": [farming], "topic": "Acueducto y riego"}),
    )
    .await;
    assert_eq!(
        status,
        Status::Ok,
        "keeping an inactive one it carries: {kept}"
    );
    let problem = api_post(
        &app,
        "/api/v1/demands",
        Some(&liaison),
        demand(json!([farming]), json!([])),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["sector_ids"]);

    // Courses and assistances the same way.
    let (_, courses) = api_get(&app, "/api/v1/courses", Some(&admin)).await;
    let course = courses["items"][0]["id"].as_i64().unwrap();
    let problem = api_patch(
        &app,
        &format!("/api/v1/courses/{course}"),
        Some(&admin),
        json!({"population_group_ids": [0]}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["population_group_ids"]);
    let tagged = api_patch(
        &app,
        &format!("/api/v1/courses/{course}"),
        Some(&admin),
        json!({"sector_ids": [water], "population_group_ids": [rural]}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(codes(&tagged["sectors"]), ["vivienda_agua"]);
    assert_eq!(codes(&tagged["population_groups"]), ["campesinos"]);

    let assistance = |sectors: Value| {
        json!({
            "municipality_code": "18256", "capacity_ids": [capacity],
            "objective": "Que la empresa de servicios públicos formule el plan de saneamiento.",
            "starts_on": "2030-01-10", "ends_on": "2030-06-10", "modality": "presencial",
            "sector_ids": sectors,
        })
    };
    let problem = api_post(
        &app,
        "/api/v1/assistances",
        Some(&coordinator),
        assistance(json!([rural])),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["sector_ids"]);
    let created = api_post(
        &app,
        "/api/v1/assistances",
        Some(&coordinator),
        assistance(json!([water])),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(codes(&created["sectors"]), ["vivienda_agua"]);
    let (_, shown) = api_get(
        &app,
        &format!("/api/v1/assistances/{}", created["id"]),
        Some(&liaison),
    )
    .await;
    assert_eq!(codes(&shown["sectors"]), ["vivienda_agua"]);
}

#[rocket::async_test]
async fn the_offer_the_demand_lists_and_open_data_filter_by_sector() {
    let app = TestApp::with_demo().await;
    let admin = role_token(&app, Role::Admin).await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let water = id_of(&app, DescriptorKind::Sector, "vivienda_agua").await;
    let taxes = id_of(&app, DescriptorKind::Sector, "hacienda").await;
    let farming = id_of(&app, DescriptorKind::Sector, "agricultura").await;

    // The demand list and map: the demo's water demand in La Macarena, and only demands about
    // water.
    let list = api_get(
        &app,
        &format!("/api/v1/demands?sector={water}"),
        Some(&admin),
    )
    .await
    .expect_status(Status::Ok);
    let items = json_items(&list);
    assert!(
        items.iter().any(|d| d["municipality_code"] == "50350"),
        "{list}"
    );
    assert!(
        items
            .iter()
            .all(|d| codes(&d["sectors"]).contains(&"vivienda_agua".to_string())),
        "{list}"
    );
    let (_, all) = api_get(&app, "/api/v1/demands", Some(&admin)).await;
    assert!(all["total"].as_i64() > list["total"].as_i64());
    let (_, map) = api_get(
        &app,
        &format!("/api/v1/reports/demand?sector={farming}"),
        Some(&admin),
    )
    .await;
    let rows = json_items(&map);
    assert_eq!(rows.len(), 1, "{map}");
    assert_eq!(rows[0]["municipality_code"], "50325");

    // The offer: the revenue course and accompaniment are the tax sector's; nothing of the
    // offer is agriculture's, but the Meta farming demand waits unanswered.
    let (_, whole) = api_get(&app, "/api/v1/reports/offer", Some(&reviewer)).await;
    let revenue = api_get(
        &app,
        &format!("/api/v1/reports/offer?sector={taxes}"),
        Some(&reviewer),
    )
    .await
    .expect_status(Status::Ok);
    let rows = json_items(&revenue);
    assert!(
        !rows.is_empty() && rows.len() < json_items(&whole).len(),
        "{revenue}"
    );
    assert!(
        rows.iter().any(|r| r["assistances"].as_i64() > Some(0)),
        "the revenue accompaniment: {revenue}"
    );
    assert!(
        rows.iter().any(|r| r["cohorts"].as_i64() > Some(0)),
        "the revenue cohorts: {revenue}"
    );
    let (_, nothing) = api_get(
        &app,
        &format!("/api/v1/reports/offer?sector={farming}&department=50"),
        Some(&admin),
    )
    .await;
    assert_eq!(nothing["total"], 0, "{nothing}");
    let waiting = json_array(&nothing["unanswered_demands"]);
    assert_eq!(waiting.len(), 1, "{nothing}");
    assert_eq!(waiting[0]["municipality_code"], "50325");

    // Open data: the columns, and the offer of one sector by its code.
    let response = app.client.get("/open-data/offer.json").dispatch().await;
    let offer: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    let rows = offer.as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["codigos_sector"].is_array() && r["grupos_poblacionales"].is_array())
    );
    let response = app
        .client
        .get("/open-data/offer.json?sector=hacienda")
        .dispatch()
        .await;
    let taxes_only: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    let taxes_rows = taxes_only.as_array().unwrap();
    assert!(!taxes_rows.is_empty() && taxes_rows.len() < rows.len());
    assert!(
        taxes_rows
            .iter()
            .all(|r| { json_array(&r["codigos_sector"]).contains(&json!("hacienda")) })
    );
    let response = app
        .client
        .get("/open-data/offer.json?sector=no_existe")
        .dispatch()
        .await;
    assert_eq!(response.into_string().await.unwrap(), "[]");
    let response = app
        .client
        .get("/open-data/offer.csv?sector=hacienda")
        .dispatch()
        .await;
    let csv = response.into_string().await.unwrap();
    let header = csv.lines().next().unwrap();
    // The descriptors' columns, in this order (the kind of offer and the assistance's id
    // follow them).
    assert!(
        header
            .replace('"', "")
            .contains(",codigos_sector,sectores,codigos_grupo_poblacional,grupos_poblacionales,"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), taxes_rows.len() + 1);
    let response = app.client.get("/datos-abiertos").dispatch().await;
    let page = response.into_string().await.unwrap();
    assert!(
        page.contains("<code>codigos_sector</code>") && page.contains("value=\"vivienda_agua\"")
    );
}

#[rocket::async_test]
async fn the_pages_pick_show_and_filter_them() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Liaison);
    let client = &app.client;
    sign_in_client(client, email, password).await;
    let water = id_of(&app, DescriptorKind::Sector, "vivienda_agua").await;
    let rural = id_of(&app, DescriptorKind::PopulationGroup, "campesinos").await;

    // The demand form lists both as checkboxes; refused, it keeps them ticked.
    let form = body_of(client, "/demandas/nueva").await;
    assert!(
        form.contains(&format!("name=\"sector_ids\" value=\"{water}\"")),
        "the sector checkboxes"
    );
    assert!(form.contains(&format!("name=\"population_group_ids\" value=\"{rural}\"")));
    let csrf = csrf_from_client(client, "/demandas/nueva").await;
    let (water_text, rural_text) = (water.to_string(), rural.to_string());
    let body = form_body(&[
        ("csrf_token", &csrf),
        ("municipality_code", "18256"),
        ("topic", ""),
        ("sector_ids", &water_text),
        ("population_group_ids", &rural_text),
    ]);
    let response = client
        .post("/demandas")
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let again = response.into_string().await.unwrap();
    assert!(
        again.contains(&format!("name=\"sector_ids\" value=\"{water}\" checked")),
        "kept as typed"
    );
    assert!(again.contains(&format!(
        "name=\"population_group_ids\" value=\"{rural}\" checked"
    )));

    // The lists filter by sector; a demand's page names its descriptors.
    let list = body_of(client, format!("/demandas?sector={water}")).await;
    assert!(list.contains("id=\"f-sector\""));
    let map = client
        .get(format!("/reportes/demanda?sector={water}"))
        .dispatch()
        .await;
    assert_eq!(map.status(), Status::Ok);
    assert!(
        map.into_string()
            .await
            .unwrap()
            .contains(&format!("<option value=\"{water}\" selected"))
    );

    // The admin page, admins only.
    let response = client.get("/admin/descriptores").dispatch().await;
    assert_eq!(response.status(), Status::Forbidden);
}
