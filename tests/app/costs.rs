//! Issue 47, costs: cost items of cohorts and assistances added, listed with their value,
//! changed and deleted through the API and the pages; refused in Spanish with nothing written
//! (an amount of zero or below, an unknown kind, a line of another provider); scoped (another
//! provider's coordinator gets 404, a reviewer reads and cannot write); imported all or
//! nothing; and an executed cost moving the plan's «Avance».

use crate::common::{TestApp, on_demo_day};
use crate::support::{
    DNP_COORDINATOR, ExpectStatus, Fetch, META_REVIEWER, api_delete, api_get, api_patch, api_post,
    csrf_from, demo_account, download, error_fields, json_array, json_items, json_str, page,
    post_form, role_token, sign_in_page, token, upload, write_table,
};
use crate::world::{World, days};
use domain::entities::values::Role;
use domain::entities::{assistance, audit_log, cohort, cost_item, provider};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Valparaíso (Caquetá): no demo cohort or assistance reaches it.
const VALPARAISO: &str = "18860";

/// The demo's cost items: issue 47's seven and issue 68's earlier accompaniments.
const DEMO_COSTS: u64 = 7 + domain::costs::demo::EARLIER_ACCOMPANIMENTS.len() as u64;

async fn cost_count(app: &TestApp) -> u64 {
    cost_item::Entity::find().fetch_count(app.db()).await
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .fetch_count(app.db())
        .await
}

async fn add(app: &TestApp, token: &str, path: &str, body: Value) -> (Status, Value) {
    api_post(app, path, Some(token), body).await
}

/// ESAP's national plan of this year, approved, with one line (Planeación Territorial's
/// course PT in Valparaíso); the plan's and the line's ids.
pub(crate) async fn approved_plan(app: &TestApp, world: &World<'_>) -> (i64, i64) {
    use chrono::Datelike;
    let year = domain::time::today().year();
    let (status, plan) = add(
        app,
        &world.staff,
        "/api/v1/plans",
        json!({"year": year, "name": "Plan nacional de costos"}),
    )
    .await;
    assert_eq!(status, Status::Created, "{plan}");
    let plan = plan["id"].as_i64().unwrap();
    let capacity = domain::entities::capacity::Entity::find()
        .filter(domain::entities::capacity::Column::Code.eq("planeacion_territorial"))
        .expect_one(app.db())
        .await
        .id;
    let course = crate::world::catalogue_course(app.db(), "PT").await.id;
    let (status, line) = add(
        app,
        &world.staff,
        &format!("/api/v1/plans/{plan}/lines"),
        json!({
            "capacity_id": capacity,
            "course_id": course,
            "targets": {"municipality_codes": [VALPARAISO]},
            "goals": {"cohorts": 1, "people_trained": 10, "people_certified": 5},
            "budget": [{"source": "inversion", "amount": 10_000_000}],
        }),
    )
    .await;
    assert_eq!(status, Status::Created, "{line}");
    let (status, approved) = add(
        app,
        &world.staff,
        &format!("/api/v1/plans/{plan}/approval"),
        json!({"act": "Resolución de costos"}),
    )
    .await;
    assert_eq!(status, Status::Ok, "{approved}");
    (plan, line["id"].as_i64().unwrap())
}

#[rocket::async_test]
async fn costs_are_added_listed_with_their_value_changed_and_deleted() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    // Two sessions: a per-session item counts them.
    let cohort = world
        .cohort()
        .dates(days(0), days(30))
        .sessions_from_now(&[chrono::Duration::days(2), chrono::Duration::days(9)], 120)
        .create()
        .await;
    let path = format!("/api/v1/cohorts/{}/costs", cohort.id);
    let before = audited(&app, "cost.created").await;

    let (status, venue) = add(
        &app,
        &world.staff,
        &path,
        json!({"kind": "sede", "basis": "fijo", "amount": 2_400_000, "stage": "planeado"}),
    )
    .await;
    assert_eq!(status, Status::Created, "{venue}");
    assert_eq!(venue["value"], 2_400_000);
    assert_eq!(venue["kind_label"], "Sede");
    assert_eq!(venue["stage"], "planeado");
    assert_eq!(venue["incurred_on"], domain::time::today().to_string());
    let (status, teaching) = add(
        &app,
        &world.staff,
        &path,
        json!({"kind": "instructores", "basis": "por_sesion", "amount": 900_000,
               "stage": "comprometido", "incurred_on": "2026-03-01",
               "description": "Honorarios por sesión"}),
    )
    .await;
    assert_eq!(status, Status::Created, "{teaching}");
    assert_eq!(teaching["units"], 2, "{teaching}");
    assert_eq!(teaching["value"], 1_800_000, "{teaching}");
    assert_eq!(audited(&app, "cost.created").await, before + 2);

    let list = api_get(&app, &path, Some(&world.staff))
        .await
        .expect_status(Status::Ok);
    assert_eq!(list["total"], 2);
    let values: Vec<i64> = json_items(&list)
        .iter()
        .map(|i| i["value"].as_i64().unwrap())
        .collect();
    assert!(
        values.contains(&2_400_000) && values.contains(&1_800_000),
        "{list}"
    );

    // The venue was paid, for a little less.
    let venue_id = venue["id"].as_i64().unwrap();
    let paid = api_patch(
        &app,
        &format!("/api/v1/costs/{venue_id}"),
        Some(&world.staff),
        json!({"stage": "ejecutado", "amount": 2_350_000}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(paid["stage"], "ejecutado");
    assert_eq!(paid["value"], 2_350_000);
    assert_eq!(paid["kind"], "sede", "the fields not sent stay");
    assert_eq!(audited(&app, "cost.updated").await, 1);

    api_delete(
        &app,
        &format!("/api/v1/costs/{}", teaching["id"]),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::NoContent);
    let (_, list) = api_get(&app, &path, Some(&world.staff)).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(audited(&app, "cost.deleted").await, 1);

    // An assistance: per visit.
    let el_paujil = assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq("18256"))
        .filter(assistance::Column::ProviderId.eq(domain::providers::ESAP))
        .expect_one(app.db())
        .await;
    let (status, trips) = add(
        &app,
        &world.staff,
        &format!("/api/v1/assistances/{}/costs", el_paujil.id),
        json!({"kind": "viajes", "basis": "por_sesion", "amount": 700_000, "stage": "ejecutado"}),
    )
    .await;
    assert_eq!(status, Status::Created, "{trips}");
    assert_eq!(trips["assistance_id"], el_paujil.id);
    assert_eq!(
        trips["units"], 3,
        "El Paujíl's alcaldía had three visits: {trips}"
    );
    assert_eq!(trips["value"], 2_100_000);
}

#[rocket::async_test]
async fn bad_costs_are_refused_in_spanish_and_nothing_is_written() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().dates(days(0), days(30)).create().await;
    let path = format!("/api/v1/cohorts/{}/costs", cohort.id);
    let count = cost_count(&app).await;
    let good = json!({"kind": "sede", "basis": "fijo", "amount": 1_000_000, "stage": "planeado"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, field, words) in [
        (with("amount", json!(0)), "amount", "mayor que cero"),
        (with("amount", json!(-500_000)), "amount", "mayor que cero"),
        (
            with("amount", json!(5_000_000_000_000_i64)),
            "amount",
            "supera el máximo",
        ),
        (with("kind", json!("refrigerios")), "kind", "no se reconoce"),
        (with("basis", json!("por_hora")), "basis", "no se reconoce"),
        (with("stage", json!("pagado")), "stage", "no se reconoce"),
        (
            with("incurred_on", json!("30/06/2026")),
            "incurred_on",
            "no es una fecha",
        ),
        (
            with("plan_line_id", json!(999_999)),
            "plan_line_id",
            "no es de un plan aprobado",
        ),
    ] {
        let (status, problem) = add(&app, &world.staff, &path, body.clone()).await;
        assert_eq!(status, Status::UnprocessableEntity, "{body} → {problem}");
        assert_eq!(error_fields(&problem), vec![field.to_string()], "{problem}");
        let message = json_str(&problem["errors"][0]["message"]);
        assert!(message.contains(words), "{message}");
    }
    // Every problem at once.
    let (status, problem) = add(&app, &world.staff, &path, json!({"amount": 0})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let mut fields = error_fields(&problem);
    fields.sort();
    assert_eq!(fields, ["amount", "basis", "kind", "stage"], "{problem}");

    // A line of another provider's plan: DNP's cohort cannot answer ESAP's plan.
    let (_, line) = approved_plan(&app, &world).await;
    let dnp = provider::Entity::find()
        .filter(provider::Column::Name.contains("(DNP)"))
        .expect_one(app.db())
        .await;
    let dnp_cohort = cohort::Entity::find()
        .filter(cohort::Column::ProviderId.eq(dnp.id))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo's DNP workshop");
    let dnp_token = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let (status, problem) = add(
        &app,
        &dnp_token,
        &format!("/api/v1/cohorts/{}/costs", dnp_cohort.id),
        with("plan_line_id", json!(line)),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(error_fields(&problem), ["plan_line_id"]);
    // The same line is one ESAP's cohort of this year answers.
    let (status, answered) =
        add(&app, &world.staff, &path, with("plan_line_id", json!(line))).await;
    assert_eq!(status, Status::Created, "{answered}");
    assert_eq!(
        cost_count(&app).await,
        count + 1,
        "only the good one written"
    );

    // A change refused the same way keeps the item as it was.
    api_patch(
        &app,
        &format!("/api/v1/costs/{}", answered["id"]),
        Some(&world.staff),
        json!({"amount": 0, "stage": "ejecutado"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    let kept = cost_item::Entity::find_by_id(answered["id"].as_i64().unwrap() as i32)
        .expect_one(app.db())
        .await;
    assert_eq!(kept.amount, 1_000_000);
    assert_eq!(kept.stage.as_str(), "planeado");
}

#[rocket::async_test]
async fn costs_are_read_and_written_only_within_scope() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    // ESAP's cohort offered to Caquetá.
    let cohort = world.cohort().create().await;
    let path = format!("/api/v1/cohorts/{}/costs", cohort.id);
    let body = json!({"kind": "materiales", "basis": "por_participante", "amount": 50_000, "stage": "planeado"});
    let (status, item) = add(&app, &world.staff, &path, body.clone()).await;
    assert_eq!(status, Status::Created, "{item}");
    let item_path = format!("/api/v1/costs/{}", item["id"]);
    let count = cost_count(&app).await;

    // Another provider's coordinator: as if it did not exist.
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    assert_eq!(
        add(&app, &dnp, &path, body.clone()).await.0,
        Status::NotFound
    );
    assert_eq!(api_get(&app, &path, Some(&dnp)).await.0, Status::NotFound);
    let patched = api_patch(&app, &item_path, Some(&dnp), json!({"stage": "ejecutado"})).await;
    assert_eq!(patched.0, Status::NotFound);
    assert_eq!(
        api_delete(&app, &item_path, Some(&dnp)).await.0,
        Status::NotFound
    );

    // Caquetá's reviewer reads them and writes none.
    let reviewer = role_token(&app, Role::Reviewer).await;
    let list = api_get(&app, &path, Some(&reviewer))
        .await
        .expect_status(Status::Ok);
    assert_eq!(list["total"], 1);
    assert_eq!(
        add(&app, &reviewer, &path, body.clone()).await.0,
        Status::Forbidden
    );
    let patched = api_patch(
        &app,
        &item_path,
        Some(&reviewer),
        json!({"stage": "ejecutado"}),
    )
    .await;
    assert_eq!(patched.0, Status::Forbidden);
    assert_eq!(
        api_delete(&app, &item_path, Some(&reviewer)).await.0,
        Status::Forbidden
    );
    // Meta's reviewer does not reach a Caquetá cohort; an instructor and a participant read
    // no costs.
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    assert_eq!(api_get(&app, &path, Some(&meta)).await.0, Status::NotFound);
    for role in [Role::Instructor, Role::Participant] {
        let other = role_token(&app, role).await;
        assert_eq!(
            api_get(&app, &path, Some(&other)).await.0,
            Status::NotFound,
            "{role:?}"
        );
    }
    // An assistance of Caquetá: its reviewer reads, Meta's does not.
    let el_paujil = assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq("18256"))
        .filter(assistance::Column::ProviderId.eq(domain::providers::ESAP))
        .expect_one(app.db())
        .await;
    let assistance_path = format!("/api/v1/assistances/{}/costs", el_paujil.id);
    assert_eq!(
        api_get(&app, &assistance_path, Some(&reviewer)).await.0,
        Status::Ok
    );
    assert_eq!(
        api_get(&app, &assistance_path, Some(&meta)).await.0,
        Status::NotFound
    );
    assert_eq!(
        add(&app, &dnp, &assistance_path, body).await.0,
        Status::NotFound
    );
    assert_eq!(
        cost_count(&app).await,
        count,
        "nothing written out of scope"
    );
}

#[rocket::async_test]
async fn executed_costs_import_all_or_nothing_and_a_second_time_changes_nothing() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().dates(days(0), days(30)).create().await;
    let (_, line) = approved_plan(&app, &world).await;
    let count = cost_count(&app).await;
    let header: Vec<String> = domain::costs::import::COLUMNS
        .iter()
        .map(|c| c.to_string())
        .collect();
    let row = |cells: [&str; 9]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let cohort_id = cohort.id.to_string();
    let line_id = line.to_string();
    let good = row([
        "OP-1",
        &cohort_id,
        "",
        "instructores",
        "fijo",
        "3.200.000",
        "2026-06-30",
        &line_id,
        "Honorarios",
    ]);
    let bad_rows = [
        row([
            "OP-2",
            &cohort_id,
            "",
            "instructores",
            "fijo",
            "0",
            "",
            "",
            "",
        ]),
        row(["OP-3", "999999", "", "sede", "fijo", "100000", "", "", ""]),
        row([
            "OP-4", &cohort_id, "", "comida", "fijo", "100000", "", "", "",
        ]),
        row(["OP-1", &cohort_id, "", "sede", "fijo", "100000", "", "", ""]),
    ];
    let mut rows = vec![header.clone(), good.clone()];
    rows.extend(bad_rows.iter().cloned());
    let (status, problem) = upload(
        &app,
        "/api/v1/imports/costs",
        &world.staff,
        "costos.xlsx",
        &write_table(&rows),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    let errors = json_array(&problem["errors"]);
    let at: Vec<(i64, &str)> = errors
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), json_str(&e["field"])))
        .collect();
    assert_eq!(
        at,
        [(3, "valor"), (4, "cohorte"), (5, "tipo"), (6, "referencia")],
        "{problem}"
    );
    assert!(json_str(&errors[0]["message"]).contains("mayor que cero"));
    assert!(json_str(&errors[1]["message"]).contains("No existe la cohorte 999999"));
    assert!(json_str(&errors[3]["message"]).contains("ya está en la fila 2"));
    assert_eq!(cost_count(&app).await, count, "all or nothing");

    // The file fixed: a dry run writes nothing, the import writes both, a second time nothing.
    let assistance = assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq("18256"))
        .filter(assistance::Column::ProviderId.eq(domain::providers::ESAP))
        .expect_one(app.db())
        .await;
    let assistance_id = assistance.id.to_string();
    let fixed = write_table(&[
        header.clone(),
        good.clone(),
        row([
            "OP-2",
            "",
            &assistance_id,
            "viajes",
            "por_sesion",
            "$ 450.000",
            "2026-07-15",
            "",
            "",
        ]),
    ]);
    let (status, preview) = upload(
        &app,
        "/api/v1/imports/costs?dry_run=true",
        &world.staff,
        "costos.xlsx",
        &fixed,
    )
    .await;
    assert_eq!(status, Status::Ok, "{preview}");
    assert_eq!(
        (preview["dry_run"].as_bool(), preview["created"].as_i64()),
        (Some(true), Some(2))
    );
    assert_eq!(cost_count(&app).await, count);
    let (status, saved) = upload(
        &app,
        "/api/v1/imports/costs",
        &world.staff,
        "costos.xlsx",
        &fixed,
    )
    .await;
    assert_eq!(status, Status::Ok, "{saved}");
    assert_eq!(saved["created"], 2, "{saved}");
    assert_eq!(cost_count(&app).await, count + 2);
    let (_, list) = api_get(
        &app,
        &format!("/api/v1/cohorts/{}/costs", cohort.id),
        Some(&world.staff),
    )
    .await;
    let imported = &list["items"][0];
    assert_eq!(imported["reference"], "OP-1");
    assert_eq!(imported["stage"], "ejecutado");
    assert_eq!(imported["amount"], 3_200_000);
    assert_eq!(imported["plan_line_id"], line);
    let (status, again) = upload(
        &app,
        "/api/v1/imports/costs",
        &world.staff,
        "costos.xlsx",
        &fixed,
    )
    .await;
    assert_eq!(status, Status::Ok, "{again}");
    assert_eq!(
        (again["created"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(cost_count(&app).await, count + 2);

    // Another provider's coordinator cannot import into ESAP's cohort.
    let dnp = token(&app, DNP_COORDINATOR.0, DNP_COORDINATOR.1).await;
    let other = write_table(&[
        header,
        row([
            "DNP-1", &cohort_id, "", "sede", "fijo", "100000", "", "", "",
        ]),
    ]);
    let (status, problem) =
        upload(&app, "/api/v1/imports/costs", &dnp, "costos.xlsx", &other).await;
    assert_eq!(status, Status::UnprocessableEntity, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "cohorte");

    // The template: the columns in order.
    let (status, _, bytes) =
        download(&app, "/api/v1/imports/costs/template.xlsx", &world.staff).await;
    assert_eq!(status, Status::Ok);
    let table = crate::support::read_table(&bytes, "Costos ejecutados", "referencia");
    assert_eq!(table[0], domain::costs::import::COLUMNS.map(str::to_string));
}

#[rocket::async_test]
async fn an_executed_cost_moves_the_plans_budget_execution() {
    // With the kept pages on, as in production: the progress is kept per scope, and a cost
    // written or deleted must show on the next reading (it moves the planning version).
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("dashboard_cache_seconds", json!(300)),
    ])
    .await;
    let world = World::new(&app).await;
    let (plan, line) = approved_plan(&app, &world).await;
    let cohort = world.cohort().dates(days(0), days(30)).create().await;
    let progress = async || {
        let body = api_get(
            &app,
            &format!("/api/v1/plans/{plan}/progress"),
            Some(&world.staff),
        )
        .await
        .expect_status(Status::Ok);
        body["lines"][0]["budget"].clone()
    };
    let before = progress().await;
    assert_eq!(before["executed"], 0, "{before}");
    let path = format!("/api/v1/cohorts/{}/costs", cohort.id);
    let (status, item) = add(
        &app,
        &world.staff,
        &path,
        json!({"kind": "instructores", "basis": "fijo", "amount": 3_500_000,
               "stage": "ejecutado", "plan_line_id": line}),
    )
    .await;
    assert_eq!(status, Status::Created, "{item}");
    let (status, _) = add(
        &app,
        &world.staff,
        &path,
        json!({"kind": "sede", "basis": "fijo", "amount": 800_000,
               "stage": "comprometido", "plan_line_id": line}),
    )
    .await;
    assert_eq!(status, Status::Created);
    let after = progress().await;
    assert_eq!(after["executed"], 3_500_000, "{after}");
    assert_eq!(after["committed"], 4_300_000, "{after}");
    assert_eq!(after["planned"], 10_000_000, "{after}");

    // Deleting it takes it out again.
    api_delete(
        &app,
        &format!("/api/v1/costs/{}", item["id"]),
        Some(&world.staff),
    )
    .await
    .expect_status(Status::NoContent);
    assert_eq!(progress().await["executed"], 0);
}

#[rocket::async_test]
async fn the_cohorts_costs_page_adds_keeps_what_was_typed_and_deletes_after_confirming() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().create().await;
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let section = format!("/coordinacion/cohortes/{}/costos", cohort.id);
    let (status, html) = page(&app, &section).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Aún no hay costos registrados."), "{html}");
    assert!(
        html.contains(">Costos"),
        "the workspace's menu names the section"
    );

    let csrf = csrf_from(&app, &section).await;
    let refused = post_form(
        &app,
        &section,
        &[
            ("csrf_token", &csrf),
            ("kind", "sede"),
            ("basis", "fijo"),
            ("amount", "-20.000"),
            ("stage", "planeado"),
            ("description", "Salón comunal escrito"),
        ],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("Revise estos datos"), "{html}");
    assert!(html.contains("id=\"error-costo-amount\""), "{html}");
    assert!(html.contains("value=\"-20.000\""));
    assert!(html.contains("value=\"Salón comunal escrito\""));
    assert!(html.contains("value=\"sede\" selected"));
    assert_eq!(
        cost_count(&app).await,
        DEMO_COSTS,
        "the demo's, nothing more"
    );

    let saved = post_form(
        &app,
        &section,
        &[
            ("csrf_token", &csrf),
            ("kind", "sede"),
            ("basis", "fijo"),
            ("amount", "$ 2.400.000"),
            ("stage", "comprometido"),
            ("description", "Salón comunal"),
        ],
    )
    .await;
    assert_eq!(saved.status(), Status::SeeOther);
    let (_, html) = page(&app, &section).await;
    assert!(html.contains("2.400.000"), "{html}");
    assert!(html.contains("Salón comunal"));
    let id = cost_item::Entity::find()
        .filter(cost_item::Column::CohortId.eq(cohort.id as i32))
        .expect_one(app.db())
        .await
        .id;

    // Its stage changes on its card; deleting goes through the confirmation.
    let moved = post_form(
        &app,
        &format!("/costos/{id}/etapa"),
        &[("csrf_token", &csrf), ("stage", "ejecutado")],
    )
    .await;
    assert_eq!(moved.status(), Status::SeeOther);
    let (status, confirm) = page(&app, &format!("/costos/{id}/eliminar")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        confirm.contains("¿Eliminar el costo de sede por"),
        "{confirm}"
    );
    assert_eq!(cost_count(&app).await, DEMO_COSTS + 1);
    let deleted = post_form(
        &app,
        &format!("/costos/{id}/eliminar"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(deleted.status(), Status::SeeOther);
    assert_eq!(cost_count(&app).await, DEMO_COSTS);
}

#[rocket::async_test]
async fn the_demo_meta_plan_reads_its_budget_execution_from_the_demo_costs() {
    // The demo loaded and read on a fixed day of the second half of 2026: the Meta cohort
    // (2026-I) and Mapiripán's accompaniment fall in the year of the demo's plans.
    let app = TestApp::with_demo_on_day().await;
    on_demo_day(meta_plan_budget_execution(&app)).await;
}

async fn meta_plan_budget_execution(app: &TestApp) {
    use chrono::Datelike;
    assert_eq!(cost_count(app).await, DEMO_COSTS, "the demo's cost items");
    let meta_plan = domain::entities::plan::Entity::find()
        .filter(domain::entities::plan::Column::Name.contains("Dirección Territorial Meta"))
        .expect_one(app.db())
        .await;
    let meta_cohort = cohort::Entity::find()
        .filter(cohort::Column::Name.eq("Planeación Territorial · Meta PDET 2026-I"))
        .expect_one(app.db())
        .await;
    let answering = cost_item::Entity::find()
        .filter(cost_item::Column::PlanLineId.is_not_null())
        .fetch_count(app.db())
        .await;
    assert_eq!(
        meta_cohort.start_date.year(),
        meta_plan.year,
        "{meta_cohort:?}"
    );
    assert_eq!(answering, 6, "the Meta cohort's and Mapiripán's items");
    let admin = role_token(app, Role::Admin).await;
    let progress = api_get(
        app,
        &format!("/api/v1/plans/{}/progress", meta_plan.id),
        Some(&admin),
    )
    .await
    .expect_status(Status::Ok);
    let planning = json_array(&progress["lines"])
        .iter()
        .find(|l| l["position"] == 2)
        .unwrap();
    let executed = planning["budget"]["executed"].as_i64().unwrap();
    // Five sessions × 1.800.000, the venue 4.500.000, one visit × 1.350.000 and the adviser
    // 6.000.000, plus 120.000 per person trained in the Meta cohort.
    let fixed_part = 9_000_000 + 4_500_000 + 1_350_000 + 6_000_000;
    assert!(executed > fixed_part, "{planning}");
    assert_eq!((executed - fixed_part) % 120_000, 0, "{planning}");
    assert_eq!(
        planning["budget"]["committed"].as_i64().unwrap(),
        executed + 2_000_000,
        "the platform is committed"
    );
    assert!(
        planning["cost_per_person_certified"].as_i64().unwrap() > 0,
        "{planning}"
    );
}

#[rocket::async_test]
async fn the_assistance_page_shows_its_costs_to_staff_and_reviewers_not_liaisons_and_the_import_page_imports()
 {
    let app = TestApp::with_demo().await;
    let el_paujil = assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq("18256"))
        .filter(assistance::Column::ProviderId.eq(domain::providers::ESAP))
        .expect_one(app.db())
        .await;
    let path = format!("/asistencias/{}", el_paujil.id);

    // The liaison of El Paujíl reads the assistance, not its costs.
    let (email, password) = demo_account(Role::Liaison);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("id=\"costos\""), "{html}");
    app.client.post("/salir").dispatch().await;

    // Caquetá's reviewer reads them, with no form.
    let (email, password) = demo_account(Role::Reviewer);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("id=\"costos\""), "{html}");
    assert!(html.contains("Aún no hay costos registrados."));
    assert!(!html.contains("Agregar un costo"));
    app.client.post("/salir").dispatch().await;

    // Its coordinator adds one (per visit: three visits), refused first with what was typed.
    let (email, password) = demo_account(Role::Coordinator);
    assert_eq!(sign_in_page(&app, email, password).await, Status::SeeOther);
    let csrf = csrf_from(&app, &path).await;
    let action = format!("{path}/costos");
    let refused = post_form(
        &app,
        &action,
        &[
            ("csrf_token", &csrf),
            ("kind", "viajes"),
            ("basis", "por_sesion"),
            ("amount", "cero"),
            ("stage", "ejecutado"),
        ],
    )
    .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("id=\"error-costo-amount\""), "{html}");
    assert!(html.contains("value=\"cero\""));
    assert!(html.contains("value=\"por_sesion\" selected"));
    let saved = post_form(
        &app,
        &action,
        &[
            ("csrf_token", &csrf),
            ("kind", "viajes"),
            ("basis", "por_sesion"),
            ("amount", "500.000"),
            ("stage", "ejecutado"),
        ],
    )
    .await;
    assert_eq!(saved.status(), Status::SeeOther);
    let (_, html) = page(&app, &path).await;
    assert!(html.contains("id=\"costos\""));
    assert!(html.contains("por visita"), "{html}");
    assert!(html.contains("1.500.000"), "500.000 × 3 visits: {html}");

    // The import page: a file refused row by row, then imported.
    let (status, html) = page(&app, "/costos/importar").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("/costos/importar/plantilla.xlsx"));
    let header: Vec<String> = domain::costs::import::COLUMNS
        .iter()
        .map(|c| c.to_string())
        .collect();
    let id = el_paujil.id.to_string();
    let row = |amount: &str| {
        ["PAG-9", "", id.as_str(), "sede", "fijo", amount, "", "", ""]
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    let count = cost_count(&app).await;
    let (status, html) = crate::support::post_file(
        &app,
        "/costos/importar?accion=importar",
        &csrf,
        "costos.xlsx",
        &write_table(&[header.clone(), row("-1")]),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("No se importó nada"), "{html}");
    assert!(html.contains("Fila 2, valor"), "{html}");
    assert_eq!(cost_count(&app).await, count);
    // Previewed, then imported with the kept file's token alone (issue 61).
    let (status, html) = crate::support::post_file(
        &app,
        "/costos/importar?accion=revisar",
        &csrf,
        "costos.xlsx",
        &write_table(&[header, row("800000")]),
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert_eq!(cost_count(&app).await, count);
    let draft = crate::offer_import::draft_of(&html);
    let (status, html) = crate::offer_import::post_draft(
        &app.client,
        "/costos/importar?accion=importar",
        &csrf,
        &[("draft", &draft)],
    )
    .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Importado: 1 costo nuevo"), "{html}");
    assert_eq!(cost_count(&app).await, count + 1);
}
