//! Issue 49, item 3: any entity assisted. A provider's coordinator accompanies the Gobernación
//! del Caquetá (by its department, no municipality): Caquetá's reviewer reads it, Meta's and
//! El Paujíl's liaison do not; it counts for the department (its figures, the offer report)
//! and never for Florencia, its capital, nor for any municipality. The other new entities
//! (an association by the municipality that leads it, a community organisation) are a
//! municipality's.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, META_REVIEWER, api_get, api_post, error_fields, json_items, role_token,
    token,
};
use crate::world::days;
use domain::entities::values::{DeliverySource, Role};
use domain::entities::{assistance_figure, delivery_fact};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

async fn a_capacity(app: &TestApp, staff: &str) -> i64 {
    let (_, capacities) = api_get(app, "/api/v1/capacities", Some(staff)).await;
    capacities["items"]
        .as_array()
        .or(capacities.as_array())
        .and_then(|items| items.first())
        .and_then(|c| c["id"].as_i64())
        .expect("a capacity")
}

/// The assistance figures of a place (a municipality's code, or a department's for its
/// gobernación's), summed over capacities, providers and years.
async fn assisted_at(app: &TestApp, place: &str) -> i32 {
    assistance_figure::Entity::find()
        .filter(assistance_figure::Column::MunicipalityCode.eq(place))
        .fetch_all(app.db())
        .await
        .iter()
        .map(|f| f.assistances)
        .sum()
}

fn gobernacion_row<'a>(offer: &'a Value, department: &str, capacity: i64) -> Option<&'a Value> {
    offer["gobernaciones"]
        .as_array()?
        .iter()
        .find(|r| r["department_code"] == department && r["capacity_id"] == capacity)
}

#[rocket::async_test]
async fn a_gobernacions_assistance_is_its_departments_and_not_its_capitals() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let capacity = a_capacity(&app, &staff).await;
    let plan = |place: Value| {
        let mut body = json!({
            "capacity_ids": [capacity],
            "objective": "Que la Secretaría de Planeación departamental acompañe el seguimiento de los planes de desarrollo municipales.",
            "starts_on": days(-20).to_string(),
            "ends_on": days(120).to_string(),
            "modality": "mixta",
        });
        for (key, value) in place.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };

    // A gobernación is named by its department, never by a municipality; the others by
    // their municipality. Every problem at once, nothing written.
    for (place, field) in [
        (json!({"entity_type": "gobernacion"}), "department_code"),
        (
            json!({"entity_type": "gobernacion", "department_code": "18", "municipality_code": "18001"}),
            "municipality_code",
        ),
        (
            json!({"entity_type": "gobernacion", "department_code": "00"}),
            "department_code",
        ),
        (
            json!({"entity_type": "esquema_asociativo", "department_code": "18"}),
            "municipality_code",
        ),
        (
            json!({"entity_type": "cabildo", "municipality_code": "18001"}),
            "entity_type",
        ),
    ] {
        let (status, refused) = api_post(
            &app,
            "/api/v1/assistances",
            Some(&staff),
            plan(place.clone()),
        )
        .await;
        assert_eq!(status, Status::UnprocessableEntity, "{place}: {refused}");
        assert!(
            error_fields(&refused).contains(&field.to_string()),
            "{place}: {refused}"
        );
    }

    let capital_before = assisted_at(&app, "18001").await;
    let (_, offer_before) =
        api_get(&app, "/api/v1/reports/offer?department=18", Some(&staff)).await;
    let department_before = gobernacion_row(&offer_before, "18", capacity)
        .map_or(0, |r| r["assistances"].as_i64().unwrap());
    assert!(
        department_before >= 1,
        "the demo's Gobernación del Caquetá assistance: {offer_before}"
    );

    let created = api_post(
        &app,
        "/api/v1/assistances",
        Some(&staff),
        plan(json!({"entity_type": "gobernacion", "department_code": "18"})),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(created["entity_type"], "gobernacion");
    assert_eq!(created["entity_label"], "Gobernación");
    assert!(created["municipality_code"].is_null(), "{created}");
    assert_eq!(created["department_code"], "18");
    assert_eq!(created["place_name"], "Caquetá");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/assistances/{id}");

    // Read by its department's reviewer; not by another department's, nor by a
    // municipality's liaison (it is not the municipality's).
    let caqueta = role_token(&app, Role::Reviewer).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    api_get(&app, &path, Some(&caqueta))
        .await
        .expect_status(Status::Ok);
    for (who, token) in [
        ("Meta's reviewer", &meta),
        ("El Paujíl's liaison", &liaison),
    ] {
        let (status, _) = api_get(&app, &path, Some(token)).await;
        assert_eq!(status, Status::NotFound, "{who}");
        let (_, list) = api_get(&app, "/api/v1/assistances?per_page=100", Some(token)).await;
        assert!(
            !json_items(&list).iter().any(|a| a["id"] == id),
            "{who} lists it: {list}"
        );
    }
    let (_, listed) = api_get(&app, "/api/v1/assistances?per_page=100", Some(&caqueta)).await;
    assert!(
        json_items(&listed).iter().any(|a| a["id"] == id),
        "Caquetá's reviewer lists it: {listed}"
    );

    // Counted for the department, not for its capital.
    assert_eq!(assisted_at(&app, "18001").await, capital_before);
    assert!(assisted_at(&app, "18").await >= 1);
    let (_, offer) = api_get(&app, "/api/v1/reports/offer?department=18", Some(&staff)).await;
    let row = gobernacion_row(&offer, "18", capacity).expect("the gobernación's row");
    assert_eq!(row["assistances"].as_i64().unwrap(), department_before + 1);
    assert_eq!(row["department_name"], "Caquetá");
    assert_eq!(
        offer["items"], offer_before["items"],
        "no municipality's row changed"
    );

    // Closed with its objective reached: the delivery the plans read is the department's
    // (its work plan agreed by the entity first, so the visit starts it).
    crate::support::agree_plan(&app, id, &staff).await;
    api_post(
        &app,
        &format!("{path}/visits"),
        Some(&staff),
        json!({"date": days(-10).to_string(), "modality": "presencial", "hours": 3,
                    "topics": "Tablero común de seguimiento", "attendees": [],
                    "agreements": [], "products": []}),
    )
    .await
    .expect_status(Status::Created);
    api_post(
        &app,
        &format!("{path}/status"),
        Some(&staff),
        json!({"status": "closed", "objective_reached": true,
                    "summary": "La gobernación adoptó el tablero común."}),
    )
    .await
    .expect_status(Status::Ok);
    let facts = delivery_fact::Entity::find()
        .filter(delivery_fact::Column::Source.eq(DeliverySource::Assistance))
        .filter(delivery_fact::Column::SourceId.eq(id as i32))
        .fetch_all(app.db())
        .await;
    assert!(!facts.is_empty());
    assert!(
        facts
            .iter()
            .all(|f| f.municipality_code == "18" && f.department_code == "18"),
        "{facts:#?}"
    );

    // The other new entities are a municipality's: an association by the one that leads it.
    let other = api_post(
        &app,
        "/api/v1/assistances",
        Some(&staff),
        plan(json!({"entity_type": "esquema_asociativo", "municipality_code": "18256"})),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(other["entity_label"], "Esquema asociativo territorial");
    assert_eq!(other["municipality_code"], "18256");
    assert_eq!(other["department_code"], "18");
    let (status, _) = api_get(
        &app,
        &format!("/api/v1/assistances/{}", other["id"]),
        Some(&liaison),
    )
    .await;
    assert_eq!(
        status,
        Status::Ok,
        "the leading municipality's liaison reads it"
    );
}

/// The page's form offers every entity, and a gobernación by its department.
#[rocket::async_test]
async fn the_form_offers_every_entity_and_a_gobernacion_by_its_department() {
    let app = TestApp::with_demo().await;
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    crate::support::sign_in_page(&app, email, password).await;
    let (status, html) = crate::support::page(&app, "/asistencias/nueva").await;
    assert_eq!(status, Status::Ok);
    for label in [
        "Gobernación",
        "Esquema asociativo territorial",
        "Organización comunitaria",
        "Consejo territorial de planeación",
    ] {
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains(r#"name="department_code""#));
    assert!(html.contains(">Caquetá</option>"));
}

/// The demand map's row of a place (a municipality's code, or None for the gobernación) and
/// capacity.
fn map_row<'a>(report: &'a Value, place: Option<&str>, capacity: i64) -> Option<&'a Value> {
    report["items"].as_array()?.iter().find(|r| {
        r["capacity_id"] == capacity
            && r["department_code"] == "18"
            && place.map_or(r["municipality_code"].is_null(), |p| {
                r["municipality_code"] == p
            })
    })
}

#[rocket::async_test]
async fn a_gobernacions_demand_is_raised_and_read_by_its_department_only() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let capacity = a_capacity(&app, &staff).await;
    let caqueta = role_token(&app, Role::Reviewer).await;
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let liaison = role_token(&app, Role::Liaison).await;
    let demand = |place: Value| {
        let mut body = json!({
            "capacity_id": capacity,
            "topic": "Seguimiento departamental a los planes de desarrollo",
            "description": "La gobernación pide formar a su equipo de planeación.",
            "people_estimate": 9,
            "modality": "virtual",
            "wanted_from": days(30).to_string(),
            "wanted_to": days(90).to_string(),
        });
        for (key, value) in place.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let map = |who: &str| {
        let who = who.to_string();
        let app = &app;
        async move {
            api_get(app, "/api/v1/reports/demand?department=18", Some(&who))
                .await
                .1
        }
    };
    let before = map(&staff).await;
    let capital_before = map_row(&before, Some("18001"), capacity).cloned();
    let department_before =
        map_row(&before, None, capacity).map_or(0, |r| r["open"].as_i64().unwrap());

    // Not another department's gobernación (422), not a liaison's (422), nothing written.
    for (who, token, place, field) in [
        (
            "Caquetá's reviewer for Meta",
            &caqueta,
            json!({"entity_type": "gobernacion", "department_code": "50"}),
            "department_code",
        ),
        (
            "El Paujíl's liaison",
            &liaison,
            json!({"entity_type": "gobernacion", "department_code": "18"}),
            "entity_type",
        ),
        (
            "a gobernación by a municipality",
            &caqueta,
            json!({"entity_type": "gobernacion", "municipality_code": "18001"}),
            "department_code",
        ),
    ] {
        let (status, refused) = api_post(&app, "/api/v1/demands", Some(token), demand(place)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{who}: {refused}");
        assert!(
            error_fields(&refused).contains(&field.to_string()),
            "{who}: {refused}"
        );
    }
    assert_eq!(map(&staff).await, before, "nothing written");

    // Caquetá's reviewer raises her gobernación's own demand.
    let created = api_post(
        &app,
        "/api/v1/demands",
        Some(&caqueta),
        demand(json!({"entity_type": "gobernacion", "department_code": "18"})),
    )
    .await
    .expect_status(Status::Created);
    assert_eq!(created["entity_type"], "gobernacion");
    assert_eq!(created["entity_label"], "Gobernación");
    assert!(created["municipality_code"].is_null(), "{created}");
    assert_eq!(created["department_code"], "18");
    assert_eq!(created["place_name"], "Gobernación de Caquetá");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/demands/{id}");

    // Read by its department's reviewer and staff; not by Meta's reviewer nor by El
    // Paujíl's liaison.
    for token in [&caqueta, &staff] {
        api_get(&app, &path, Some(token))
            .await
            .expect_status(Status::Ok);
    }
    for (who, token) in [
        ("Meta's reviewer", &meta),
        ("El Paujíl's liaison", &liaison),
    ] {
        let (status, _) = api_get(&app, &path, Some(token)).await;
        assert_eq!(status, Status::NotFound, "{who}");
        let (_, list) = api_get(&app, "/api/v1/demands?per_page=100", Some(token)).await;
        assert!(
            !json_items(&list).iter().any(|d| d["id"] == id),
            "{who} lists it: {list}"
        );
    }

    // The demand map counts it for the department, never for Florencia, its capital.
    let after = map(&staff).await;
    let row = map_row(&after, None, capacity).expect("the gobernación's row");
    assert_eq!(row["open"].as_i64().unwrap(), department_before + 1);
    assert_eq!(row["municipality_name"], "Gobernación de Caquetá");
    assert_eq!(
        map_row(&after, Some("18001"), capacity).cloned(),
        capital_before
    );
    assert_eq!(map(&caqueta).await["items"], after["items"]);
}
