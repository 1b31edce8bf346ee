//! The reference-data API: departments, municipalities (filters, accent-insensitive search,
//! pagination), capacities (admin edits, audited).

use crate::common::TestApp;
use crate::support::*;
use domain::entities::audit_log;
use domain::entities::values::Role;
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

#[rocket::async_test]
async fn departments_and_municipalities_with_filters() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    let token = token(&app, email, password).await;
    let call = |path: &'static str| api_get(&app, path, Some(&token));

    let (_, body) = call("/api/v1/departments").await;
    assert_eq!(body["total"], 33);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 50);
    assert_eq!(body["items"][0], json!({"code": "05", "name": "Antioquia"}));

    let (_, body) = call("/api/v1/municipalities?department=18&pdet=true").await;
    assert_eq!(body["total"], 16);
    let (_, body) = call("/api/v1/municipalities?department=18&category=6").await;
    assert_eq!(body["total"], 15);
    let (_, body) = call("/api/v1/municipalities?q=paujil").await;
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["items"][0],
        json!({"code": "18256", "name": "El Paujíl", "department_code": "18", "category": "6",
               "pdet_subregion": "Cuenca del Caguán y Piedemonte Caqueteño"})
    );
    let (_, body) = call("/api/v1/municipalities?q=BEL%C3%89N").await;
    assert_eq!(body["total"], 5);
    let (_, body) = call("/api/v1/municipalities?q=medellin").await;
    assert_eq!(
        body["items"][0]["code"], "05001",
        "codes keep the leading zero"
    );
    assert_eq!(body["items"][0]["pdet_subregion"], serde_json::Value::Null);

    let (_, body) = call("/api/v1/municipalities?per_page=500").await;
    assert_eq!(body["total"], 1122);
    assert_eq!(json_items(&body).len(), 500);
    let (_, body) = call("/api/v1/municipalities?per_page=500&page=3").await;
    assert_eq!(json_items(&body).len(), 122);

    let (status, problem) = call("/api/v1/municipalities?per_page=501").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(error_fields(&problem), ["per_page"]);
    let (status, _) = call("/api/v1/municipalities?page=0").await;
    assert_eq!(status, Status::UnprocessableEntity);
    let (status, problem) = call("/api/v1/municipalities?category=7").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(json_str(&problem["errors"][0]["message"]).contains("categoría"));
}

#[rocket::async_test]
async fn admins_edit_the_capacity_taxonomy_and_it_is_audited() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Admin);
    let admin = token(&app, email, password).await;

    let (_, list) = api_get(&app, "/api/v1/capacities", Some(&admin)).await;
    assert_eq!(list["total"], 5);
    assert_eq!(list["items"][0]["code"], "planeacion_territorial");
    assert_eq!(list["items"][0]["name"], "Planeación territorial");

    let created = api_post(&app, "/api/v1/capacities", Some(&admin), json!({"code": "gestion_riesgo", "name": "Gestión del riesgo de desastres", "description": "Planes de gestión del riesgo."})).await.expect_status(Status::Created);
    assert_eq!(created["code"], "gestion_riesgo");
    let problem = api_post(
        &app,
        "/api/v1/capacities",
        Some(&admin),
        json!({"code": "gestion_riesgo", "name": "Otra"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert!(json_str(&problem["errors"][0]["message"]).contains("Ya existe"));
    api_post(
        &app,
        "/api/v1/capacities",
        Some(&admin),
        json!({"code": "Con Tildes é", "name": "X"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);

    let id = created["id"].as_i64().unwrap();
    let updated = api_patch(
        &app,
        &format!("/api/v1/capacities/{id}"),
        Some(&admin),
        json!({"name": "Gestión del riesgo", "active": false}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(updated["name"], "Gestión del riesgo");
    assert_eq!(updated["active"], false);
    api_patch(
        &app,
        "/api/v1/capacities/9999",
        Some(&admin),
        json!({"name": "X"}),
    )
    .await
    .expect_status(Status::NotFound);

    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::SubjectType.eq("capacity"))
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 2);
}

/// Found by schemathesis: a page whose database offset overflows (`page × per_page`) made the
/// paginator panic (500). Pages beyond 1,000,000 are a 422 in the API; the people's pages read
/// any `?pagina=` as a page they can show.
#[rocket::async_test]
async fn huge_page_numbers_are_refused_not_a_crash() {
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Admin);
    let token = token(&app, email, password).await;
    for path in [
        "/api/v1/departments?page=9223372036854775806",
        "/api/v1/municipalities?page=1000001",
        "/api/v1/capacities?page=9223372036854775807&per_page=500",
        "/api/v1/courses?page=36893488147419103",
        "/api/v1/cohorts?page=9223372036854775806",
        "/api/v1/users?page=9223372036854775806",
        "/api/v1/reports/attendance?page=9223372036854775806",
        "/api/v1/reports/attendance/participants?page=9223372036854775806",
        "/api/v1/reports/capacity-coverage?page=9223372036854775806",
    ] {
        let (status, problem) = api_get(&app, path, Some(&token)).await;
        assert_eq!(status, Status::UnprocessableEntity, "{path}");
        assert_eq!(error_fields(&problem), ["page"], "{path}");
    }
    let body = api_get(&app, "/api/v1/departments?page=1000000", Some(&token))
        .await
        .expect_status(Status::Ok);
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["total"], 33);

    sign_in_page(&app, email, password).await;
    for path in [
        "/cohortes?pagina=18446744073709551615",
        "/coordinacion/cohortes?pagina=18446744073709551615",
        "/admin/usuarios?pagina=18446744073709551615",
        "/admin/auditoria?pagina=18446744073709551615",
        "/admin/correos?pagina=18446744073709551615",
        "/reportes?pagina=18446744073709551615",
        "/reportes/participantes?pagina=18446744073709551615",
    ] {
        let status = app.client.get(path).dispatch().await.status();
        assert_eq!(status, Status::Ok, "{path}");
    }
}
