//! Cost-effectiveness in ESAP's comparison (issue 68, item 1): a small world of Caquetá
//! municipalities measured by an indicator of their own, closed technical assistances and their
//! cost items, with the cost per point of change computed by hand.

use crate::assistance::assisted;
use crate::common::TestApp;
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, api_get, api_post, download, json_array, json_str,
    read_table, role_token, token,
};
use domain::entities::values::Role;
use domain::entities::{indicator, indicator_capacity, indicator_observation};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

/// Movilización de recursos.
const CAPACITY: i32 = 2;

/// The comparison group: no assistance; changes 1 to 5 (median 3).
const NONE: [(&str, f64); 5] = [
    ("18029", 51.0),
    ("18150", 52.0),
    ("18205", 53.0),
    ("18247", 54.0),
    ("18410", 55.0),
];
/// Two closed assistances each; changes 6, 7, 7.4, 8, 9 (median 7.4).
const TWO: [(&str, f64); 5] = [
    ("18460", 56.0),
    ("18479", 57.0),
    ("18753", 57.4),
    ("18756", 58.0),
    ("18785", 59.0),
];
/// One closed assistance, alone in its group; change 10.
const ONE: (&str, f64) = ("18860", 60.0);

/// An indicator measured only in the world's municipalities: 50 in 2022, the given value in
/// 2023.
async fn world_indicator(app: &TestApp) -> i32 {
    indicator_over(app, (2022, 2023)).await
}

/// An indicator measured only in the world's municipalities: 50 in the first of `years`, the
/// given value in the second.
async fn indicator_over(app: &TestApp, years: (i32, i32)) -> i32 {
    let saved = indicator::ActiveModel {
        code: Set("prueba_costo_efectividad".into()),
        name: Set("Indicador de prueba del costo por punto".into()),
        source: Set("Prueba".into()),
        unit: Set("puntaje de 0 a 100".into()),
        higher_is_better: Set(true),
        note: Set(String::new()),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    indicator_capacity::ActiveModel {
        indicator_id: Set(saved.id),
        capacity_id: Set(CAPACITY),
    }
    .insert(app.db())
    .await
    .unwrap();
    let all = NONE.iter().chain(TWO.iter()).chain(std::iter::once(&ONE));
    for (code, to) in all {
        for (year, value) in [(years.0, 50.0), (years.1, *to)] {
            indicator_observation::ActiveModel {
                indicator_id: Set(saved.id),
                municipality_code: Set(code.to_string()),
                year: Set(year),
                value: Set(value),
                source: Set("Prueba".into()),
                synthetic: Set(false),
                ..Default::default()
            }
            .insert(app.db())
            .await
            .unwrap();
        }
    }
    saved.id
}

async fn cost(app: &TestApp, staff: &str, assistance: i64, amount: i64, stage: &str, on: &str) {
    api_post(
        app,
        &format!("/api/v1/assistances/{assistance}/costs"),
        Some(staff),
        json!({"kind": "instructores", "basis": "fijo", "amount": amount,
                    "stage": stage, "incurred_on": on}),
    )
    .await
    .expect_status(Status::Created);
}

/// The cost per point of change, reproduced by hand: the group of two assistances has median
/// change 7.4, the comparison group 3, so 4.4 points beyond it; its executed costs in the
/// window are 1,000,000 + 2,000,000 + 3,000,000 + 4,500,000 = 10,500,000 pesos, so
/// 10,500,000 ÷ 4.4 = 2,386,363.63… → 2,386,364 pesos per point; per municipality with cost,
/// 10,500,000 ÷ 4 = 2,625,000 (Solita has none: named, excluded). Planned, committed and
/// out-of-window items count nowhere; the lone one-assistance group is marked small and gets
/// no cost per point.
#[rocket::async_test]
async fn the_cost_per_point_of_change_is_the_executed_cost_over_the_change_beyond_the_comparison() {
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let indicator = world_indicator(&app).await;
    let mut first = Vec::new();
    for (code, _) in TWO {
        first.push(assisted(&app, &staff, code, CAPACITY, "2022-02-01", "closed").await);
        assisted(&app, &staff, code, CAPACITY, "2022-04-01", "closed").await;
    }
    let lone = assisted(&app, &staff, ONE.0, CAPACITY, "2022-03-01", "closed").await;
    for (assistance, amount) in first
        .iter()
        .zip([1_000_000, 2_000_000, 3_000_000, 4_500_000])
    {
        cost(&app, &staff, *assistance, amount, "ejecutado", "2022-06-15").await;
    }
    // Solita (the fifth): only what never counts — planned, committed, executed after the
    // window.
    cost(&app, &staff, first[4], 7_000_000, "planeado", "2022-06-15").await;
    cost(
        &app,
        &staff,
        first[4],
        8_000_000,
        "comprometido",
        "2023-03-01",
    )
    .await;
    cost(&app, &staff, first[4], 9_000_000, "ejecutado", "2024-01-10").await;
    cost(
        &app,
        &staff,
        first[0],
        5_000_000,
        "comprometido",
        "2022-06-15",
    )
    .await;
    cost(&app, &staff, lone, 2_000_000, "ejecutado", "2023-12-31").await;

    let query = format!(
        "capacity={CAPACITY}&indicator={indicator}&from_year=2022&to_year=2023&department=18&threshold=2&unit=assistance"
    );
    let report = api_get(
        &app,
        &format!("/api/v1/reports/impact?{query}"),
        Some(&staff),
    )
    .await
    .expect_status(Status::Ok);
    let groups = json_array(&report["groups"]);
    let counts: Vec<u64> = groups
        .iter()
        .map(|g| g["municipalities"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![5, 1, 5], "{report}");
    let two = &groups[0]["cost"];
    assert_eq!(two["executed"], 10_500_000, "{two}");
    assert_eq!(two["assistance"], 10_500_000);
    assert_eq!(two["training"], 0);
    assert_eq!(two["replicas"], 0);
    assert_eq!(
        two["by_provider"],
        json!([{"provider_id": 1, "amount": 10_500_000}])
    );
    assert_eq!(two["municipalities_without_cost"], json!(["18785"]));
    assert_eq!(two["per_municipality"], 2_625_000);
    assert_eq!(two["per_point_of_change"], 2_386_364, "{two}");
    assert_eq!(two["per_person_certified"], Value::Null);
    assert_eq!(two["small_group"], false);

    let lone = &groups[1]["cost"];
    assert_eq!(
        lone["executed"], 2_000_000,
        "the last day of the window counts"
    );
    assert_eq!(lone["small_group"], true);
    assert_eq!(
        lone["per_point_of_change"],
        Value::Null,
        "under 5 municipalities: no cost per point, however far above"
    );
    assert_eq!(lone["per_municipality"], 2_000_000);

    let none = &groups[2]["cost"];
    assert_eq!(none["executed"], 0);
    assert_eq!(none["per_point_of_change"], Value::Null);
    assert_eq!(none["per_municipality"], Value::Null);
    assert_eq!(
        none["municipalities_without_cost"],
        json!(["18029", "18150", "18205", "18247", "18410"])
    );
    assert!(json_str(&report["cost_method"]).contains("ejecutados"));

    // The workbook carries the same figures.
    let (status, _, bytes) = download(
        &app,
        &format!("/api/v1/reports/impact.xlsx?{query}"),
        &staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let sheet = read_table(&bytes, "Grupos", "Grupo");
    let header = &sheet[0];
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(sheet[1][at("Costo ejecutado (pesos)")], "10500000");
    assert_eq!(sheet[1][at("Costo por punto de cambio (pesos)")], "2386364");
    assert_eq!(
        sheet[1][at("Costo por municipio con costo (pesos)")],
        "2625000"
    );
    assert_eq!(
        sheet[1][at("Municipios sin costo registrado (excluidos)")],
        "18785"
    );
    assert_eq!(sheet[2][at("Costo por punto de cambio (pesos)")], "");

    // The page: the figures in pesos, the municipality without cost named, the method told.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    assert_eq!(
        crate::support::sign_in_page(&app, email, password).await,
        Status::SeeOther
    );
    let (status, html) = crate::support::page(
        &app,
        &format!(
            "/reportes/impacto?capacidad={CAPACITY}&indicador={indicator}&desde=2022&hasta=2023&departamento=18&umbral=2&unidad=assistance"
        ),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("$\u{a0}2.386.364"), "cost per point in pesos");
    assert!(html.contains("$\u{a0}10.500.000"));
    assert!(html.contains("$\u{a0}2.625.000"));
    assert!(html.contains("Solita (18785)"), "named, excluded");
    assert!(html.contains("Costo por punto de cambio"));
    assert!(html.contains("en proporción a"), "the method on the page");

    // Another provider's coordinator sums none of ESAP's costs.
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (status, theirs) =
        api_get(&app, &format!("/api/v1/reports/impact?{query}"), Some(&dnp)).await;
    assert_eq!(status, Status::Ok, "{theirs}");
    assert_eq!(theirs["groups"][0]["cost"]["executed"], 0);
    assert_eq!(
        theirs["groups"][0]["cost"]["per_point_of_change"],
        Value::Null,
        "no cost recorded is no ratio"
    );
}

/// The plans' comparison reads the same rule per direction and provider (issue 68, item 1),
/// reproduced by hand on a vigencia no demo date reaches (2021; the indicator's change from
/// 2020): the Dirección Territorial Caquetá's approved plan of 2021, ESAP's closed assistances
/// that started in 2021 in the five «two» municipalities (changes 6, 7, 7.4, 8, 9: median
/// 7.4) and in Florencia (not measured). The comparison group is the other municipalities of
/// Caquetá measured in both years, none reached: changes 1, 2, 3, 4, 5 and 10, median 3.5;
/// so 3.9 points beyond. Executed in 2021 on the measured ones: 1,000,000 + 2,000,000 +
/// 3,000,000 + 4,500,000 = 10,500,000 pesos, so 10,500,000 ÷ 3.9 = 2,692,307.69… → 2,692,308
/// pesos per point; with Florencia's 1,000,000, 11,500,000 executed on 6 municipalities
/// reached. Planned, committed and other years' items count nowhere.
#[rocket::async_test]
async fn the_plan_comparison_reads_a_cost_per_point_of_change_per_direction_and_provider() {
    use domain::entities::plan;
    use domain::entities::values::PlanStatus;
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let admin = role_token(&app, Role::Admin).await;
    let indicator = indicator_over(&app, (2020, 2021)).await;
    let direction = api_post(
        &app,
        "/api/v1/territorial-directions",
        Some(&admin),
        json!({"name": "Dirección Territorial Caquetá", "department_codes": ["18"]}),
    )
    .await
    .expect_status(Status::Created);
    // A plan of a year gone by (the API writes only this year's and the next).
    let at = domain::time::now();
    plan::ActiveModel {
        provider_id: Set(domain::providers::ESAP),
        year: Set(2021),
        territorial_direction_id: Set(Some(direction["id"].as_i64().unwrap() as i32)),
        department_code: Set(None),
        name: Set("Plan 2021 · Dirección Territorial Caquetá".into()),
        status: Set(PlanStatus::Approved),
        version: Set(1),
        approval_act: Set(Some("Acta de prueba".into())),
        approved_by: Set(None),
        approved_at: Set(Some(at)),
        created_by: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    let mut reached = Vec::new();
    for (code, _) in TWO {
        reached.push(assisted(&app, &staff, code, CAPACITY, "2021-02-01", "closed").await);
    }
    let florencia = assisted(&app, &staff, "18001", CAPACITY, "2021-03-01", "closed").await;
    for (assistance, amount) in reached
        .iter()
        .zip([1_000_000, 2_000_000, 3_000_000, 4_500_000])
    {
        cost(&app, &staff, *assistance, amount, "ejecutado", "2021-06-15").await;
    }
    cost(
        &app,
        &staff,
        florencia,
        1_000_000,
        "ejecutado",
        "2021-12-31",
    )
    .await;
    // Never counted: planned, committed, executed before or after the vigencia.
    cost(
        &app,
        &staff,
        reached[4],
        7_000_000,
        "planeado",
        "2021-06-15",
    )
    .await;
    cost(
        &app,
        &staff,
        reached[4],
        8_000_000,
        "comprometido",
        "2021-06-15",
    )
    .await;
    cost(
        &app,
        &staff,
        reached[4],
        9_000_000,
        "ejecutado",
        "2022-01-01",
    )
    .await;
    cost(
        &app,
        &staff,
        reached[0],
        6_000_000,
        "ejecutado",
        "2020-12-31",
    )
    .await;

    let report = api_get(
        &app,
        &format!("/api/v1/reports/plans/comparison?year=2021&indicator={indicator}"),
        Some(&staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(report["indicator"]["id"], indicator);
    assert_eq!(report["indicator"]["from_year"], 2020);
    assert_eq!(report["indicator"]["to_year"], 2021);
    let row = json_array(&report["directions"])
        .iter()
        .find(|r| r["name"] == "Dirección Territorial Caquetá")
        .unwrap_or_else(|| panic!("the direction's row: {report}"));
    let point = &row["point_of_change"];
    assert_eq!(point["executed"], 11_500_000, "{point}");
    assert_eq!(point["reached"], 6, "{point}");
    assert_eq!(point["measured"], 5);
    assert_eq!(point["compared"], 6, "the others of Caquetá measured");
    let near = |v: &Value, expected: f64| (v.as_f64().unwrap() - expected).abs() < 1e-9;
    assert!(near(&point["median_change"], 7.4), "{point}");
    assert!(near(&point["comparison_median_change"], 3.5), "{point}");
    assert_eq!(point["cost"]["executed"], 10_500_000);
    assert_eq!(point["cost"]["assistance"], 10_500_000);
    assert!(
        near(&point["cost"]["points_beyond_comparison"], 3.9),
        "{point}"
    );
    assert_eq!(point["cost"]["per_point_of_change"], 2_692_308, "{point}");
    assert_eq!(point["cost"]["per_municipality"], 2_625_000);
    assert_eq!(
        point["cost"]["municipalities_without_cost"],
        json!(["18785"])
    );
    assert_eq!(point["cost"]["small_group"], false);
    // ESAP's row: all its delivery of 2021, which is the same here.
    let esap = json_array(&report["providers"])
        .iter()
        .find(|r| r["id"] == domain::providers::ESAP)
        .unwrap_or_else(|| panic!("ESAP's row: {report}"));
    assert_eq!(esap["point_of_change"], *point);

    // An indicator that does not exist: 422.
    api_get(
        &app,
        "/api/v1/reports/plans/comparison?year=2021&indicator=999999",
        Some(&staff),
    )
    .await
    .expect_status(Status::UnprocessableEntity);

    // The page: both columns in pesos, what the figure rests on, the method.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    assert_eq!(
        crate::support::sign_in_page(&app, email, password).await,
        Status::SeeOther
    );
    let (status, html) = crate::support::page(
        &app,
        &format!("/reportes/planes?vigencia=2021&indicador={indicator}"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("$\u{a0}2.692.308"), "cost per point in pesos");
    assert!(html.contains("$\u{a0}11.500.000"), "executed");
    assert!(html.contains("en 6 municipios alcanzados"));
    assert!(
        html.contains("$\u{a0}10.500.000 ÷ 3,90 puntos"),
        "what it rests on"
    );
    assert!(html.contains("Costo por punto de cambio"));
    assert!(html.contains("no alcanzados de los mismos departamentos"));
}

/// The demo (issue 68, item 4): ESAP's 2022 accompaniments put five Caquetá and five Meta
/// municipalities in «De 1 a 4 asistencias técnicas cerradas» of ESAP's study on the real IDF
/// from 2022 to 2023, each group with its cost per point of change — its executed cost over
/// its median change beyond «Ninguna …»'s — on any day (the vigencias are fixed); and the
/// plans' comparison of this year carries the executed cost and the cost per point of change
/// of every row.
#[rocket::async_test]
async fn the_demo_shows_a_cost_per_point_of_change_in_caqueta_and_meta() {
    use domain::costs::demo::{EARLIER_ACCOMPANIMENTS, EARLIER_YEAR};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::with_demo().await;
    let staff = role_token(&app, Role::Coordinator).await;
    let idf = indicator::Entity::find()
        .filter(indicator::Column::Code.eq("idf_puntaje"))
        .expect_one(app.db())
        .await
        .id;
    for department in ["18", "50"] {
        let query = format!(
            "preset=estudio_esap&indicator={idf}&from_year={EARLIER_YEAR}&to_year={}&department={department}",
            EARLIER_YEAR + 1
        );
        let report = api_get(
            &app,
            &format!("/api/v1/reports/impact?{query}"),
            Some(&staff),
        )
        .await
        .expect_status(Status::Ok);
        let group = &report["groups"][1];
        let expected: i64 = EARLIER_ACCOMPANIMENTS
            .iter()
            .filter(|(code, _)| code.starts_with(department))
            .map(|(_, amount)| amount)
            .sum();
        assert_eq!(group["municipalities"], 5, "{department}: {group}");
        assert_eq!(group["cost"]["executed"], expected, "{department}: {group}");
        let beyond = group["median_change"].as_f64().unwrap()
            - report["groups"][2]["median_change"].as_f64().unwrap();
        assert!(beyond > 0.0, "{department}: {report}");
        assert_eq!(
            group["cost"]["per_point_of_change"],
            (expected as f64 / ((beyond * 1e9).round() / 1e9)).round() as i64,
            "{department}: {group}"
        );
        // The workbook carries it too.
        let (status, _, bytes) = download(
            &app,
            &format!("/api/v1/reports/impact.xlsx?{query}"),
            &staff,
        )
        .await;
        assert_eq!(status, Status::Ok);
        let sheet = read_table(&bytes, "Grupos", "Grupo");
        let at = sheet[0]
            .iter()
            .position(|h| h == "Costo por punto de cambio (pesos)")
            .unwrap();
        assert_eq!(
            sheet[2][at],
            group["cost"]["per_point_of_change"].to_string()
        );
    }
    let admin = role_token(&app, Role::Admin).await;
    let plans = api_get(&app, "/api/v1/reports/plans/comparison", Some(&admin))
        .await
        .expect_status(Status::Ok);
    assert_eq!(plans["indicator"]["code"], "idf_puntaje");
    let rows: Vec<&Value> = json_array(&plans["directions"])
        .iter()
        .chain(json_array(&plans["providers"]))
        .collect();
    assert!(rows.len() >= 2, "{plans}");
    for row in rows {
        assert!(row["point_of_change"]["executed"].is_i64(), "{row}");
        assert!(row["point_of_change"]["cost"].is_object(), "{row}");
    }
}
