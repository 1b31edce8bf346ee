//! Issue 47, parts 4–5: directions and providers compared on a year (exact figures on a
//! hand-built direction, the `n` behind each, the small-group flag, who reads which rows, a
//! bad year), the plan's workbook (its «ficha técnica») and the plans as open data (rows, no
//! personal data, drafts unpublished).

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, api, api_get, api_post, download, json_array, json_str, page, read_table,
    role_token, sign_in_page, token,
};
use crate::world::{Session, World, days};
use chrono::{Datelike, NaiveDate};
use domain::entities::cost_item;
use domain::entities::values::{CostBasis, CostKind, CostStage, Mark, Role};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// Neiva (Huila): no demo cohort, assistance or plan reaches Huila.
const NEIVA: &str = "41001";

/// What a straight line through `year` expects of `target` by the end of `day`.
fn expected(target: i64, year: i32, day: NaiveDate) -> i64 {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let total = (NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap() - first).num_days();
    target * ((day - first).num_days() + 1) / total
}

/// The hand-built case: the Dirección Territorial Huila (department 41) and its approved plan
/// of this year — one line of Planeación Territorial's course for the direction's territory,
/// goals of 12 cohorts, 3 people trained and 3 certified, $ 10.000.000 of inversión — and two ESAP
/// cohorts offered to Huila starting ten days ago: one whose first session was on its start
/// date (three people of Neiva, two present and certified, one absent; closed), one whose
/// first session came two days late (still open). $ 3.000.000 executed on the line.
struct Case {
    plan: i64,
    direction: i64,
}

async fn hand_built(app: &TestApp, world: &World<'_>) -> Case {
    let year = domain::time::today().year();
    let direction = api_post(
        app,
        "/api/v1/territorial-directions",
        Some(&world.admin),
        json!({"name": "Dirección Territorial Huila", "department_codes": ["41"]}),
    )
    .await
    .expect_status(Status::Created);
    let direction = direction["id"].as_i64().unwrap();
    let plan = api_post(app, "/api/v1/plans", Some(&world.admin), json!({"year": year, "name": "Plan Huila de prueba", "territorial_direction_id": direction})).await.expect_status(Status::Created);
    let plan = plan["id"].as_i64().unwrap();
    let capacity = domain::entities::capacity::Entity::find()
        .filter(domain::entities::capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let course = crate::world::catalogue_course(app.db(), "PT").await.id;
    let line = api_post(
        app,
        &format!("/api/v1/plans/{plan}/lines"),
        Some(&world.admin),
        json!({
            "capacity_id": capacity,
            "course_id": course,
            "targets": {},
            "goals": {"cohorts": 12, "people_trained": 3, "people_certified": 3},
            "budget": [{"source": "inversion", "amount": 10_000_000}],
        }),
    )
    .await
    .expect_status(Status::Created);
    let line = line["id"].as_i64().unwrap();
    api_post(
        app,
        &format!("/api/v1/plans/{plan}/approval"),
        Some(&world.admin),
        json!({"act": "Resolución 41 de prueba"}),
    )
    .await
    .expect_status(Status::Ok);

    let start = days(-10);
    let on_time = world
        .cohort()
        .name("Planeación Huila a tiempo")
        .targets(&[], &["41"])
        .dates(start, days(20))
        .session(Session::on(start, (9, 0), (12, 0)))
        .create()
        .await;
    let late = world
        .cohort()
        .name("Planeación Huila tarde")
        .targets(&[], &["41"])
        .dates(start, days(20))
        .session(Session::on(days(-8), (9, 0), (12, 0)))
        .create()
        .await;
    assert_ne!(on_time.id, late.id);
    let people = world.people("huila").count(3).of(NEIVA).create().await;
    let mut enrolments = Vec::new();
    for person in &people {
        enrolments.push(world.enrol(on_time.id, person.id).await.id);
    }
    world.move_cohort(on_time.id, "in_progress").await;
    world
        .take_attendance(
            &on_time.sessions,
            &[
                (enrolments[0], &[Mark::Presente]),
                (enrolments[1], &[Mark::Presente]),
                (enrolments[2], &[Mark::Ausente]),
            ],
        )
        .await;
    world.move_cohort(on_time.id, "closed").await;
    let issued = api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{}/certificates", on_time.id),
        Some(&world.staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(json_array(&issued["issued"]).len(), 2, "{issued}");
    cost_item::ActiveModel {
        provider_id: Set(domain::providers::ESAP),
        cohort_id: Set(Some(on_time.id as i32)),
        assistance_id: Set(None),
        plan_line_id: Set(Some(line as i32)),
        kind: Set(CostKind::Instructores),
        basis: Set(CostBasis::Fijo),
        amount: Set(3_000_000),
        stage: Set(CostStage::Ejecutado),
        incurred_on: Set(domain::time::today()),
        description: Set(None),
        reference: Set(None),
        created_by: Set(None),
        created_at: Set(domain::time::now()),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .unwrap();
    Case { plan, direction }
}

async fn comparison(app: &TestApp, who: &str, query: &str) -> (Status, Value) {
    api_get(
        app,
        &format!("/api/v1/reports/plans/comparison{query}"),
        Some(who),
    )
    .await
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| json_str(&r["name"]).to_string())
        .collect()
}

#[rocket::async_test]
async fn directions_and_providers_compare_exactly_with_their_n_and_each_reads_its_rows() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let case = hand_built(&app, &world).await;
    let today = domain::time::today();
    let year = today.year();

    let (status, report) = comparison(&app, &world.admin, "").await;
    assert_eq!(status, Status::Ok, "{report}");
    assert_eq!(report["year"], year);
    assert_eq!(report["min_group"], 5);
    let huila = json_array(&report["directions"])
        .iter()
        .find(|r| r["id"] == case.direction)
        .unwrap_or_else(|| panic!("Huila in {report}"))
        .clone();
    assert_eq!(huila["kind"], "direction");
    assert_eq!(huila["name"], "Dirección Territorial Huila");
    assert_eq!(huila["plans"], 1);
    // Goals: 12 cohorts (achieved 1: the late one has nobody), 3 trained (achieved 3), 3
    // certified (achieved 2); a goal counts once something is expected of it by today.
    let (mut met, mut n) = (0, 0);
    for (target, achieved) in [(12, 1), (3, 3), (3, 2)] {
        let want = expected(target, year, today);
        if want > 0 {
            n += 1;
            if achieved >= want {
                met += 1;
            }
        }
    }
    assert_eq!(huila["goals_met"]["count"], met, "{huila}");
    assert_eq!(huila["goals_met"]["n"], n, "{huila}");
    assert_eq!(huila["goals_met"]["small_group"], true);
    // One cohort of two started on its planned date.
    assert_eq!(huila["timeliness"]["count"], 1, "{huila}");
    assert_eq!(huila["timeliness"]["n"], 2, "{huila}");
    assert_eq!(huila["timeliness"]["percent"], 50.0);
    assert_eq!(huila["timeliness"]["small_group"], true);
    // Two of the three who finished the closed cohort completed it.
    assert_eq!(huila["completion"]["count"], 2, "{huila}");
    assert_eq!(huila["completion"]["n"], 3);
    assert_eq!(huila["completion"]["percent"], 66.7);
    assert_eq!(huila["completion"]["small_group"], true);
    // $ 3.000.000 executed over two people certified.
    assert_eq!(
        huila["cost_per_person_certified"],
        json!({"value": 1_500_000, "executed": 3_000_000, "n": 2, "small_group": true})
    );
    // Nobody answered a survey and there are no assistances: no figure, n = 0.
    assert_eq!(
        huila["satisfaction"],
        json!({"mean": null, "n": 0, "small_group": true})
    );
    assert_eq!(huila["milestones_on_time"]["n"], 0);
    assert!(huila["milestones_on_time"]["percent"].is_null());
    assert_eq!(huila["small_group"], true);
    // ESAP's row counts the Huila plan beside the demo's Meta plan; rows come by name.
    let esap = json_array(&report["providers"])
        .iter()
        .find(|r| r["id"] == domain::providers::ESAP)
        .unwrap_or_else(|| panic!("ESAP in {report}"))
        .clone();
    assert_eq!(esap["plans"], 2, "{esap}");
    assert!(esap["completion"]["n"].as_i64().unwrap() >= 3, "{esap}");
    let directions = names(&report["directions"]);
    assert_eq!(
        directions,
        ["Dirección Territorial Huila", "Dirección Territorial Meta"]
    );
    // DNP's plan is still a draft: not compared.
    assert!(
        !names(&report["providers"])
            .iter()
            .any(|n| n.contains("DNP")),
        "{report}"
    );

    // Scope: the Meta direction's coordinator reads its direction's row only; another
    // provider's coordinator its provider's (DNP has no approved plan: nothing); a
    // gobernación's reviewer its gobernación's (Caquetá has none); a participant nothing.
    let meta = token(
        &app,
        "coordinacion.meta@aulaterritorial.example",
        "Coordina-Meta-2026",
    )
    .await;
    let (status, seen) = comparison(&app, &meta, "").await;
    assert_eq!(status, Status::Ok, "{seen}");
    assert_eq!(names(&seen["directions"]), ["Dirección Territorial Meta"]);
    assert_eq!(seen["providers"], json!([]));
    let dnp = token(
        &app,
        "coordinacion.dnp@aulaterritorial.example",
        "Coordina-DNP-2026",
    )
    .await;
    let (status, seen) = comparison(&app, &dnp, "").await;
    assert_eq!(status, Status::Ok, "{seen}");
    assert_eq!(seen["directions"], json!([]));
    assert_eq!(seen["providers"], json!([]));
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, seen) = comparison(&app, &reviewer, "").await;
    assert_eq!(status, Status::Ok, "{seen}");
    assert_eq!(seen["directions"], json!([]));
    assert_eq!(seen["providers"], json!([]));
    let participant = role_token(&app, Role::Participant).await;
    let (status, _) = comparison(&app, &participant, "").await;
    assert_eq!(status, Status::Forbidden);
    // ESAP's national coordinator reads every row, as an admin.
    let (status, seen) = comparison(&app, &world.staff, &format!("?year={year}")).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(seen, report);
    // Another year has no approved plans.
    let (status, seen) = comparison(&app, &world.admin, "?year=2031").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(seen["directions"], json!([]));

    // A year that is not one: 422 in Spanish, with the field.
    for bad in ["abc", "1999", "20266", "2026-01"] {
        let (status, body) = comparison(&app, &world.admin, &format!("?year={bad}")).await;
        assert_eq!(status, Status::UnprocessableEntity, "{bad}: {body}");
        assert_eq!(body["errors"][0]["field"], "year", "{body}");
        assert!(
            json_str(&body["errors"][0]["message"]).contains("vigencia"),
            "{body}"
        );
    }

    // The page: listed among the reports, a table per kind with the small-group flag, a bad
    // year refused beside the filter.
    assert_eq!(
        sign_in_page(&app, "admin@aulaterritorial.example", "Admin-Aula-2026").await,
        Status::SeeOther
    );
    let (status, html) = page(&app, "/reportes").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("href=\"/reportes/planes\""), "{html}");
    let (status, html) = page(&app, "/reportes/planes").await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Dirección Territorial Huila"), "{html}");
    assert!(html.contains("66,7 %"), "{html}");
    assert!(html.contains("2 de 3 personas"), "{html}");
    assert!(html.contains("$\u{a0}1.500.000"), "{html}");
    assert!(html.contains("Grupo pequeño"), "{html}");
    assert!(html.contains("class=\"table-scroll\""), "{html}");
    let (status, html) = page(&app, "/reportes/planes?vigencia=dosmil").await;
    assert_eq!(status, Status::UnprocessableEntity, "{html}");
    assert!(html.contains("no es una vigencia"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
}

#[rocket::async_test]
async fn the_plans_workbook_holds_its_progress_and_the_open_data_its_lines_without_people() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let case = hand_built(&app, &world).await;

    // The workbook: an xlsx, its «ficha técnica» with the line's figures, its budget in pesos.
    let (status, kind, bytes) = download(
        &app,
        &format!("/api/v1/plans/{}/progress.xlsx", case.plan),
        &world.admin,
    )
    .await;
    assert_eq!(status, Status::Ok, "{}", String::from_utf8_lossy(&bytes));
    assert!(kind.unwrap_or_default().contains("spreadsheetml"));
    assert!(bytes.starts_with(b"PK"));
    let sheet = read_table(&bytes, "Ficha técnica", "Línea");
    let certified = sheet
        .iter()
        .find(|r| r[0] == "1" && r[4] == "Personas certificadas")
        .unwrap_or_else(|| panic!("{sheet:?}"));
    assert_eq!(certified[1], "Planeación territorial", "{certified:?}");
    // Baseline (nothing the year before), goal, achieved.
    assert_eq!(certified[6], "0", "{certified:?}");
    assert_eq!(certified[7], "3");
    assert_eq!(certified[8], "2");
    let trained = sheet
        .iter()
        .find(|r| r[0] == "1" && r[4] == "Personas formadas")
        .unwrap();
    assert_eq!(trained[8], "3");
    let execution = read_table(&bytes, "Ejecución", "Línea");
    let line = execution.iter().find(|r| r[0] == "1").unwrap();
    assert_eq!(line[2], "10000000", "{line:?}");
    assert_eq!(line[4], "3000000");
    assert_eq!(line[7], "1500000");
    let months = read_table(&bytes, "Avance por mes", "Línea");
    assert!(months.len() > 1, "{months:?}");
    // A bad period: 422; another's plan out of scope: 404.
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/plans/{}/progress.xlsx?period=2026-13", case.plan),
        &world.admin,
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    let reviewer = role_token(&app, Role::Reviewer).await;
    let (status, _, _) = download(
        &app,
        &format!("/api/v1/plans/{}/progress.xlsx", case.plan),
        &reviewer,
    )
    .await;
    assert_eq!(status, Status::NotFound);
    // The plan page links it.
    assert_eq!(
        sign_in_page(&app, "admin@aulaterritorial.example", "Admin-Aula-2026").await,
        Status::SeeOther
    );
    let (status, html) = page(&app, &format!("/planes/{}", case.plan)).await;
    assert_eq!(status, Status::Ok);
    let link = format!("/planes/{}/ficha.xlsx", case.plan);
    assert!(html.contains(&link), "{html}");
    let response = app.client.get(link).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert!(response.into_bytes().await.unwrap().starts_with(b"PK"));

    // Open data: public, one row per line of approved plans, people counts of 1 to 4
    // suppressed, no names.
    let response = app.client.get("/open-data/plans.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let text = response.into_string().await.unwrap();
    let rows: Value = serde_json::from_str(&text).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id_plan"] == case.plan)
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(row["direccion_territorial"], "Dirección Territorial Huila");
    assert_eq!(row["estado"], "aprobado");
    assert_eq!(row["acto_aprobacion"], "Resolución 41 de prueba");
    assert_eq!(row["numero_linea"], 1);
    assert_eq!(row["codigo_capacidad"], "planeacion_territorial");
    assert_eq!(row["meta_personas_certificadas"], 3);
    assert_eq!(row["meta_cohortes"], 12);
    assert_eq!(row["logrado_cohortes"], 1);
    assert!(row["meta_asistencias_cerradas"].is_null());
    assert_eq!(row["presupuesto_inversion"], 10_000_000);
    assert_eq!(row["presupuesto_sgr"], 0);
    assert!(row["logrado_personas_certificadas"].is_null(), "2: {row}");
    assert!(row["logrado_personas_formadas"].is_null(), "3: {row}");
    assert_eq!(row["costo_ejecutado"], 3_000_000);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| !json_str(&r["oferente"]).contains("DNP")),
        "DNP's draft is not published"
    );
    for personal in [
        "Adriana Salazar Ortiz",
        "Julián Andrés Rincón",
        "Persona huila",
        "@",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let response = app.client.get("/open-data/plans.csv").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let csv = response.into_string().await.unwrap();
    let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert_eq!(header, domain::open_data::PLANS.header().join(","));
    assert!(csv.contains("\"Dirección Territorial Huila\""), "{csv}");
    let (status, html) = page(&app, "/datos-abiertos").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("/open-data/plans.csv"), "{html}");
    assert!(html.contains("logrado_personas_certificadas"), "{html}");
}
