//! Issue 32: the alliance's view of the whole offer (`/reports/offer`, its workbook and the
//! page `/reportes/oferta`), on the demo: ESAP's and DNP's cohorts in El Paujíl side by side,
//! the Caquetá municipalities with nothing on a capacity, the pair of cohorts of two providers
//! that repeat each other, and the demand pointed to Función Pública still unanswered.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, META_REVIEWER, api_get, body_of, demo_account, every_row, json_array, json_items,
    json_str, role_token, sign_in_client, token,
};
use domain::entities::values::Role;
use rocket::http::Status;
use serde_json::Value;

fn rows<'a>(report: &'a Value, municipality: &str, capacity: &str) -> Vec<&'a Value> {
    json_items(report)
        .iter()
        .filter(|r| r["municipality_code"] == municipality && r["capacity_name"] == capacity)
        .collect()
}

#[rocket::async_test]
async fn a_gobernacion_sees_every_providers_offer_in_its_department() {
    let app = TestApp::with_demo().await;
    let reviewer = role_token(&app, Role::Reviewer).await;
    let report = api_get(&app, "/api/v1/reports/offer", Some(&reviewer))
        .await
        .expect_status(Status::Ok);

    // El Paujíl received ESAP's Planeación Territorial and DNP's KPT workshop on the same
    // capacity: one row per provider.
    let planning = rows(&report, "18256", "Planeación territorial");
    let providers: Vec<&str> = planning
        .iter()
        .map(|r| json_str(&r["provider"]["name"]))
        .collect();
    assert_eq!(planning.len(), 2, "{providers:?}");
    assert!(providers[0].contains("ESAP"), "ESAP first: {providers:?}");
    assert!(providers[1].contains("DNP"), "{providers:?}");
    // ESAP's planning cohort and its trainers' cohort (issue 48), and the diplomado's two
    // Planeación Territorial modules (issue 64: its running and its finished edition); DNP's
    // workshop.
    assert_eq!(planning[0]["cohorts"], 4, "{}", planning[0]);
    assert_eq!(planning[1]["cohorts"], 1, "{}", planning[1]);
    assert!(planning.iter().all(|r| r["seats"].as_i64() > Some(0)));
    assert!(
        planning[0]["enrolled"].as_i64().unwrap() > 0,
        "ESAP's people: {}",
        planning[0]
    );
    // Only Caquetá: the Meta pilots are another gobernación's.
    every_row(json_items(&report), "the reviewer's offer", |r| {
        r["department_code"] == "18"
    });

    // Technical assistance counts beside training: ESAP accompanies Puerto Rico's alcaldía on
    // its own revenue (one assistance, one visit so far).
    let revenue: Vec<&Value> = json_items(&report)
        .iter()
        .filter(|r| {
            r["municipality_code"] == "18592"
                && r["provider"]["id"] == 1
                && r["assistances"].as_i64() > Some(0)
        })
        .collect();
    assert_eq!(revenue.len(), 1, "{revenue:?}");
    assert_eq!(revenue[0]["assistances_closed"], 0);
    assert_eq!(revenue[0]["visits"], 1);

    // Florencia received nothing on planning: a cell without offer.
    let gaps = json_array(&report["without_offer"]);
    assert!(
        gaps.iter()
            .any(|g| g["municipality_code"] == "18001"
                && g["capacity_name"] == "Planeación territorial"),
        "{gaps:?}"
    );
    assert!(
        !gaps
            .iter()
            .any(|g| g["municipality_code"] == "18256"
                && g["capacity_name"] == "Planeación territorial"),
        "El Paujíl has planning offer"
    );

    // The two providers repeat each other in El Paujíl: the pair names both.
    let overlaps = json_array(&report["overlaps"]);
    assert!(
        overlaps.iter().any(|p| {
            let names = [
                p["first"]["provider"]["name"].as_str().unwrap_or_default(),
                p["second"]["provider"]["name"].as_str().unwrap_or_default(),
            ];
            names.iter().any(|n| n.contains("ESAP")) && names.iter().any(|n| n.contains("DNP"))
        }),
        "{overlaps:?}"
    );
    assert!(overlaps.iter().all(|p| p["across_providers"] == true));

    // The open demand on plan follow-up: unanswered, pointed to Función Pública.
    let demands = json_array(&report["unanswered_demands"]);
    let follow_up = demands
        .iter()
        .find(|d| d["municipality_code"] == "18256")
        .expect("El Paujíl's open demand");
    assert!(
        json_str(&follow_up["referred_to"][0]["name"]).contains("Función Pública"),
        "{follow_up}"
    );

    // Filtered by provider: DNP's rows only.
    let (_, dnp) = api_get(&app, "/api/v1/reports/offer?provider=2", Some(&reviewer)).await;
    every_row(json_items(&dnp), "DNP's offer", |r| {
        r["provider"]["id"] == 2
    });

    // Another department is nothing, silently; Meta's reviewer sees Meta's.
    let (status, elsewhere) =
        api_get(&app, "/api/v1/reports/offer?department=50", Some(&reviewer)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(elsewhere["total"], 0, "{elsewhere}");
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (_, theirs) = api_get(&app, "/api/v1/reports/offer", Some(&meta)).await;
    every_row(json_items(&theirs), "the Meta reviewer's offer", |r| {
        r["department_code"] == "50"
    });

    // Liaisons and participants do not read it; bad dates are a 422.
    for role in [Role::Liaison, Role::Participant] {
        let t = role_token(&app, role).await;
        let (status, _) = api_get(&app, "/api/v1/reports/offer", Some(&t)).await;
        assert_eq!(status, Status::Forbidden, "{role:?}");
    }
    api_get(
        &app,
        "/api/v1/reports/offer?from=2026-13-01",
        Some(&reviewer),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn the_offer_view_downloads_and_reads_on_its_page() {
    use calamine::{Reader, Xlsx};
    let app = TestApp::with_demo().await;
    let (email, password) = demo_account(Role::Reviewer);
    let browser = app.another_instance(&[]).await;
    sign_in_client(&browser, email, password).await;
    let response = browser.get("/reportes/oferta").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let html = response.into_string().await.unwrap();
    for expected in [
        "Taller KPT · El Paujíl 2026",
        "Departamento Nacional de Planeación (DNP)",
        "Municipios sin oferta",
        "remitida a Departamento Administrativo de la Función Pública",
        // The table is paged (100 rows a page); the demo's fits in one.
        "Página 1 de 1",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    // A page beyond the last shows the last one, never an empty table.
    let beyond = browser.get("/reportes/oferta?pagina=99").dispatch().await;
    assert_eq!(beyond.status(), Status::Ok);
    let beyond = beyond.into_string().await.unwrap();
    assert!(beyond.contains("Página 1 de 1") && beyond.contains("Taller KPT · El Paujíl 2026"));

    let response = browser.get("/reportes/oferta.xlsx").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let bytes = response.into_bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "Oferta",
            "Sin oferta",
            "Traslapes entre oferentes",
            "Demanda sin respuesta"
        ]
    );
    let offer = book.worksheet_range("Oferta").unwrap();
    let text: String = offer.cells().map(|c| format!("{}\n", c.2)).collect();
    assert!(text.contains("18256") && text.contains("Departamento Nacional de Planeación"));

    // A coordinator chooses the department; without one the page asks for it.
    let coordinator = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_client(&coordinator, email, password).await;
    let html = body_of(&coordinator, "/reportes/oferta").await;
    assert!(html.contains("Elija un departamento para ver su oferta"));
    let html = body_of(&coordinator, "/reportes/oferta?departamento=50").await;
    assert!(html.contains("Mapiripán"), "Meta's pilots");
}

/// Issue 45: a cohort offered to two municipalities shows its seats on each of its rows, so the
/// column says so and the report gives the total with each cohort once (API, page, workbook).
#[rocket::async_test]
async fn a_shared_cohorts_seats_count_once_in_the_total() {
    use crate::world::{Session, World, days};
    use calamine::{Reader, Xlsx};
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (start, end) = (days(500), days(530));
    world
        .cohort()
        .name("Cohorte compartida")
        .seats(25)
        .dates(start, end)
        .enrolment(days(400), days(450))
        .targets(&["18256", "18592"], &[])
        .session(Session::on(days(501), (9, 0), (12, 0)))
        .create()
        .await;
    let query = format!("department=18&from={start}&to={end}");
    let report = api_get(
        &app,
        &format!("/api/v1/reports/offer?{query}"),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    let items = json_items(&report);
    assert!(items.len() >= 2, "one row per municipality: {report}");
    assert!(items.iter().all(|r| r["seats"] == 25), "{report}");
    assert_eq!(report["seats_total"], 25, "the cohort's seats once");

    // The workbook names what the column holds and gives the total.
    let (status, _, bytes) = crate::support::download(
        &app,
        &format!("/api/v1/reports/offer.xlsx?{query}"),
        &world.staff,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let rows = crate::support::read_table(&bytes, "Oferta", "Código DANE");
    assert!(
        rows[0].contains(&"Cupos de sus cohortes (se repiten)".to_string()),
        "{:?}",
        rows[0]
    );
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let text: String = book
        .worksheet_range("Oferta")
        .unwrap()
        .cells()
        .map(|c| format!("{}\n", c.2))
        .collect();
    assert!(
        text.contains("Cupos ofrecidos: 25 (cada cohorte una vez)"),
        "{text}"
    );

    // So does the page.
    let browser = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_client(&browser, email, password).await;
    let html = body_of(
        &browser,
        format!("/reportes/oferta?departamento=18&desde={start}&hasta={end}"),
    )
    .await;
    assert!(
        html.contains("Cupos ofrecidos: 25 (cada cohorte una vez)"),
        "{html}"
    );
}
