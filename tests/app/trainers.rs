//! Issue 48, item 3: trainers who train others. A cohort that trains trainers; who completed
//! it is endorsed as a replicator by a coordinator of its provider (who did not complete it:
//! 422); a replicator records replicas only in their department and while certified (422
//! otherwise, nothing stored), never for someone else's certification (404); the cascade is
//! counted in the municipality's figures beside direct training, rebuilt equal from scratch,
//! and published as open data with small counts suppressed.

use crate::common::TestApp;
use crate::support::{
    ExpectStatus, Fetch, META_REVIEWER, api_get, api_patch, api_post, body_of, csrf_from_client,
    error_fields, json_array, json_items, json_str, role_token, token,
};
use crate::world::{World, catalogue_course, days};
use domain::db;
use domain::entities::values::{Mark, Role};
use domain::entities::{course_capacity, replica, replicator};
use domain::figures;
use rocket::http::{ContentType, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Cartagena del Chairá and San Vicente del Caguán (Caquetá): no demo replica there.
const CHAIRA: &str = "18150";
const CAGUAN: &str = "18753";
/// Villavicencio (Meta).
const VILLAVICENCIO: &str = "50001";

/// A closed cohort that trains trainers (Planeación Territorial, Caquetá) with three people of
/// Puerto Rico: the first two attended every session and completed it, the third missed them.
/// Returns the cohort id, the people and the course's first capacity.
async fn trainers_cohort(
    app: &TestApp,
    world: &World<'_>,
    tag: &str,
) -> (i64, Vec<crate::world::Person>, i32) {
    let ago: Vec<chrono::Duration> = [12i64, 8, 4]
        .iter()
        .map(|d| chrono::Duration::days(-d))
        .collect();
    let cohort = world
        .cohort()
        .name(&format!("Formación de formadores {tag}"))
        .trains_trainers()
        .sessions_from_now(&ago, 60)
        .create()
        .await;
    let people = world.people(tag).count(3).create().await;
    let mut enrolments = Vec::new();
    for person in &people {
        enrolments.push(world.enrol(cohort.id, person.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    use Mark::*;
    world
        .take_attendance(
            &cohort.sessions,
            &[
                (enrolments[0], &[Presente, Presente, Presente]),
                (enrolments[1], &[Presente, Presente, Presente]),
                (enrolments[2], &[Ausente, Ausente, Ausente]),
            ],
        )
        .await;
    world.move_cohort(cohort.id, "closed").await;
    let course = catalogue_course(app.db(), "PT").await;
    let capacity = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .expect_one(app.db())
        .await
        .capacity_id;
    (cohort.id, people, capacity)
}

async fn endorse(
    app: &TestApp,
    token: &str,
    cohort: i64,
    person: i32,
    since: &str,
) -> (Status, Value) {
    api_post(
        app,
        "/api/v1/replicators",
        Some(token),
        json!({"cohort_id": cohort, "participant_id": person, "since": since}),
    )
    .await
}

async fn record(app: &TestApp, token: &str, body: Value) -> (Status, Value) {
    api_post(app, "/api/v1/replicas", Some(token), body).await
}

async fn replicas_stored(app: &TestApp) -> u64 {
    replica::Entity::find().fetch_count(app.db()).await
}

/// Compares what was maintained with a rebuild (made in a transaction that is rolled back).
async fn assert_maintained_is_rebuilt(app: &TestApp, step: &str) {
    let maintained = figures::snapshot(app.db()).await.unwrap();
    let txn = db::begin(app.db()).await.unwrap();
    figures::rebuild(&txn).await.unwrap();
    let rebuilt = figures::snapshot(&txn).await.unwrap();
    txn.rollback().await.unwrap();
    assert!(
        maintained == rebuilt,
        "after {step}: maintained {:#?}\nrebuilt {:#?}",
        maintained.replicas,
        rebuilt.replicas
    );
}

/// The people reached by replicas in a municipality on a capacity, as the municipality's API
/// figures say, and its direct training there.
async fn reach(app: &TestApp, token: &str, code: &str, capacity: i32) -> (i64, i64) {
    let body = api_get(
        app,
        &format!("/api/v1/municipalities/{code}/impact"),
        Some(token),
    )
    .await
    .expect_status(Status::Ok);
    let row = json_array(&body["capacities"])
        .iter()
        .find(|c| c["capacity"]["id"] == capacity)
        .unwrap()
        .clone();
    (
        row["people_reached_by_replicas"].as_i64().unwrap(),
        row["trained"].as_i64().unwrap(),
    )
}

#[rocket::async_test]
async fn endorsement_requires_completion_and_gives_the_contracts_replicator() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (cohort, people, capacity) = trainers_cohort(&app, &world, "aval").await;

    // Who did not complete it is not endorsed: 422, nothing stored.
    let before = replicator::Entity::find().fetch_count(app.db()).await;
    let (status, body) = endorse(&app, &world.staff, cohort, people[2].id, "").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(error_fields(&body), ["participant_id"]);
    assert!(json_str(&body["errors"][0]["message"]).contains("no completó"));
    assert_eq!(
        replicator::Entity::find().fetch_count(app.db()).await,
        before
    );

    // A participant may not endorse (403); a cohort that does not train trainers: 422.
    let (status, _) = endorse(&app, &people[0].token, cohort, people[0].id, "").await;
    assert_eq!(status, Status::Forbidden);
    let plain = world.cohort().name("Cohorte corriente").create().await;
    let (status, body) = endorse(&app, &world.staff, plain.id, people[0].id, "").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(error_fields(&body).contains(&"cohort_id".to_string()));

    // Who completed it: certified from today for two years, in Caquetá, in the course's
    // capacities; the contract's fields exactly.
    let (status, body) = endorse(&app, &world.staff, cohort, people[0].id, "").await;
    assert_eq!(status, Status::Created, "{body}");
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "capacity_ids",
            "department_code",
            "full_name",
            "id",
            "participant_id",
            "since",
            "until"
        ]
    );
    assert_eq!(body["department_code"], "18");
    assert_eq!(body["full_name"], "Persona aval 0");
    assert!(json_array(&body["capacity_ids"]).contains(&json!(capacity)));
    let today = days(0);
    assert_eq!(body["since"], today.to_string());
    assert_eq!(
        body["until"],
        today
            .checked_add_months(chrono::Months::new(24))
            .unwrap()
            .to_string()
    );
    // Twice: 409.
    let (status, _) = endorse(&app, &world.staff, cohort, people[0].id, "").await;
    assert_eq!(status, Status::Conflict);

    // Listed for the staff and Caquetá's reviewer, by department and capacity; not for Meta's.
    let path = format!("/api/v1/replicators?department=18&capacity={capacity}");
    let list = api_get(&app, &path, Some(&world.staff))
        .await
        .expect_status(Status::Ok);
    assert!(json_items(&list).iter().any(|i| i["id"] == body["id"]));
    let caqueta = role_token(&app, Role::Reviewer).await;
    let (_, list) = api_get(&app, &path, Some(&caqueta)).await;
    assert!(json_items(&list).iter().any(|i| i["id"] == body["id"]));
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (_, list) = api_get(&app, &path, Some(&meta)).await;
    assert_eq!(list["total"], 0, "{list}");
    let one = format!("/api/v1/replicators/{}", body["id"]);
    api_get(&app, &one, Some(&meta))
        .await
        .expect_status(Status::NotFound);
    // Another participant does not see them; the replicator sees themselves.
    let (_, list) = api_get(&app, "/api/v1/replicators", Some(&people[1].token)).await;
    assert_eq!(list["total"], 0, "{list}");
    let (_, list) = api_get(&app, "/api/v1/replicators", Some(&people[0].token)).await;
    assert_eq!(list["total"], 1, "{list}");
}

#[rocket::async_test]
async fn a_replicator_records_replicas_only_in_their_department_and_while_certified() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (cohort, people, capacity) = trainers_cohort(&app, &world, "replica").await;
    let since = days(-3).to_string();
    let (status, first) = endorse(&app, &world.staff, cohort, people[0].id, &since).await;
    assert_eq!(status, Status::Created, "{first}");
    let (status, second) = endorse(&app, &world.staff, cohort, people[1].id, &since).await;
    assert_eq!(status, Status::Created, "{second}");
    let stored = replicas_stored(&app).await;
    let good = json!({
        "date": days(-1).to_string(), "municipality_code": CHAIRA, "capacity_id": capacity,
        "audience": "servidores", "attendee_count": 12,
    });

    // Another department: 422, nothing stored.
    let mut body = good.clone();
    body["municipality_code"] = json!(VILLAVICENCIO);
    let (status, answer) = record(&app, &people[0].token, body).await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert_eq!(error_fields(&answer), ["municipality_code"]);
    assert!(json_str(&answer["errors"][0]["message"]).contains("departamento"));
    // Every other rule at once: before the certification, a capacity not theirs, an unknown
    // audience, names and a count together.
    let (status, answer) = record(
        &app,
        &people[0].token,
        json!({"date": days(-10).to_string(), "municipality_code": CHAIRA, "capacity_id": 999_999,
               "audience": "vecinos", "attendees": ["Ana"], "attendee_count": 3}),
    )
    .await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    let fields = error_fields(&answer);
    for field in ["date", "capacity_id", "audience", "attendee_count"] {
        assert!(fields.contains(&field.to_string()), "{field}: {answer}");
    }
    // In the future; neither names nor a count; a count out of range.
    for (change, field) in [
        (json!({"date": days(1).to_string()}), "date"),
        (json!({"attendee_count": null}), "attendees"),
        (json!({"attendee_count": 0}), "attendee_count"),
        (json!({"attendee_count": 501}), "attendee_count"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = record(&app, &people[0].token, body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {answer}");
        assert!(
            error_fields(&answer).contains(&field.to_string()),
            "{answer}"
        );
    }
    // Someone else's certification: 404.
    let mut body = good.clone();
    body["replicator_id"] = second["id"].clone();
    let (status, _) = record(&app, &people[0].token, body).await;
    assert_eq!(status, Status::NotFound);
    // A participant who is no replicator: 422; a reviewer: 403.
    let (status, _) = record(&app, &people[2].token, good.clone()).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let caqueta = role_token(&app, Role::Reviewer).await;
    let (status, _) = record(&app, &caqueta, good.clone()).await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(
        replicas_stored(&app).await,
        stored,
        "nothing refused was stored"
    );

    // In their department, while certified: 201, by a count or by names.
    let (status, saved) = record(&app, &people[0].token, good.clone()).await;
    assert_eq!(status, Status::Created, "{saved}");
    assert_eq!(saved["people_reached"], 12);
    assert_eq!(saved["by_count"], true);
    let mut named = good.clone();
    named["attendee_count"] = Value::Null;
    named["attendees"] = json!(["Ana Rojas", {"full_name": "Luis Pérez", "position": "Concejal"}]);
    named["municipality_code"] = json!(CAGUAN);
    let (status, saved) = record(&app, &people[0].token, named).await;
    assert_eq!(status, Status::Created, "{saved}");
    assert_eq!(saved["people_reached"], 2);
    assert_eq!(saved["attendees"], json!(["Ana Rojas", "Luis Pérez"]));
    // A coordinator records one for the second replicator.
    let mut body = good.clone();
    body["replicator_id"] = second["id"].clone();
    let (status, saved) = record(&app, &world.staff, body).await;
    assert_eq!(status, Status::Created, "{saved}");
    assert_eq!(saved["replicator_name"], "Persona replica 1");

    // Ended (until yesterday): a replica today is refused.
    api_patch(
        &app,
        &format!("/api/v1/replicators/{}", first["id"]),
        Some(&world.staff),
        json!({"until": days(-1).to_string()}),
    )
    .await
    .expect_status(Status::Ok);
    let mut body = good.clone();
    body["date"] = json!(days(0).to_string());
    let stored = replicas_stored(&app).await;
    let (status, answer) = record(&app, &people[0].token, body).await;
    assert_eq!(status, Status::UnprocessableEntity, "{answer}");
    assert_eq!(error_fields(&answer), ["date"]);
    assert_eq!(replicas_stored(&app).await, stored);

    // Listed by municipality and replicator; a Meta reviewer sees none of them.
    let (_, list) = api_get(
        &app,
        &format!(
            "/api/v1/replicas?municipality={CHAIRA}&replicator={}",
            first["id"]
        ),
        Some(&world.staff),
    )
    .await;
    assert_eq!(list["total"], 1, "{list}");
    let meta = token(&app, META_REVIEWER.0, META_REVIEWER.1).await;
    let (_, list) = api_get(
        &app,
        &format!("/api/v1/replicas?municipality={CHAIRA}"),
        Some(&meta),
    )
    .await;
    assert_eq!(list["total"], 0, "{list}");
}

#[rocket::async_test]
async fn the_cascade_is_counted_beside_direct_training_rebuilt_equal_and_open_with_small_counts_suppressed()
 {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (cohort, people, capacity) = trainers_cohort(&app, &world, "cascada").await;
    let (status, _) = endorse(
        &app,
        &world.staff,
        cohort,
        people[0].id,
        &days(-3).to_string(),
    )
    .await;
    assert_eq!(status, Status::Created);
    let (before_reach, before_trained) = reach(&app, &world.staff, CHAIRA, capacity).await;
    assert_eq!(before_reach, 0);
    assert_maintained_is_rebuilt(&app, "the endorsement").await;

    for (count, municipality) in [(12, CHAIRA), (3, CHAIRA), (3, CAGUAN)] {
        let (status, body) = record(
            &app,
            &people[0].token,
            json!({"date": days(-1).to_string(), "municipality_code": municipality,
                   "capacity_id": capacity, "audience": "jovenes", "attendee_count": count}),
        )
        .await;
        assert_eq!(status, Status::Created, "{body}");
        assert_maintained_is_rebuilt(&app, &format!("a replica of {count}")).await;
    }
    // Second-generation reach beside direct training, never summed into it.
    let (after_reach, after_trained) = reach(&app, &world.staff, CHAIRA, capacity).await;
    assert_eq!(after_reach, 15);
    assert_eq!(after_trained, before_trained);
    let snapshot = figures::snapshot(app.db()).await.unwrap();
    assert!(
        snapshot
            .replicas
            .iter()
            .any(|r| r.municipality_code == CHAIRA && r.people_reached == 15 && r.replicas == 2)
    );

    // Open data: 15 published, 3 suppressed; no attendee's name anywhere.
    let response = app.client.get("/open-data/coverage.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let items: Vec<Value> = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    let capacity_code = domain::entities::capacity::Entity::find_by_id(capacity)
        .expect_one(app.db())
        .await
        .code;
    let year = chrono::Datelike::year(&days(-1));
    let row = |code: &str| {
        items
            .iter()
            .find(|i| {
                i["codigo_municipio"] == code
                    && i["anio"] == year
                    && i["codigo_capacidad"] == capacity_code.as_str()
            })
            .cloned()
            .unwrap()
    };
    assert_eq!(row(CHAIRA)["personas_alcanzadas_replicas"], 15);
    assert_eq!(row(CAGUAN)["personas_alcanzadas_replicas"], Value::Null);
    let response = app.client.get("/open-data/coverage.csv").dispatch().await;
    let csv = response.into_string().await.unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("personas_alcanzadas_replicas")
    );
}

#[rocket::async_test]
async fn a_replicator_records_a_replica_on_the_page_with_attendee_rows() {
    let app = TestApp::with_demo().await;
    let (email, password) = crate::support::demo_account(Role::Participant);
    let client = app.another_instance(&[]).await;
    crate::support::sign_in_client(&client, email, password).await;
    let page = client.get("/mis-replicas").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    let html = page.into_string().await.unwrap();
    assert!(html.contains("Registrar una réplica"), "{html}");
    assert!(html.contains("Vigente"));
    let csrf = csrf_from_client(&client, "/mis-replicas").await;
    // The first capacity offered (after the empty «Elija la capacidad», issue 67).
    let capacity = {
        let at = html.find("name=\"capacity_id\"").unwrap();
        let rest = &html[at..];
        let v = rest.find("<option value=\"\"").unwrap() + 1;
        let rest = &rest[v..];
        let v = rest.find("<option value=\"").unwrap() + "<option value=\"".len();
        rest[v..v + rest[v..].find('"').unwrap()].to_string()
    };
    let body = |extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("date", "2000-01-01"),
            ("municipality_code", "18256"),
            ("capacity_id", capacity.as_str()),
            ("audience", "servidores"),
            ("attendees[0].full_name", "Ana Rojas"),
            ("attendees[1].full_name", "Luis Pérez"),
        ];
        fields.extend_from_slice(extra);
        crate::support::form_body(&fields)
    };
    // One more row: the form again, as typed, with a third group; nothing saved.
    let stored = replicas_stored(&app).await;
    let more = client
        .post("/mis-replicas")
        .header(ContentType::Form)
        .body(body(&[("more", "attendees")]))
        .dispatch()
        .await;
    assert_eq!(more.status(), Status::Ok);
    let html = more.into_string().await.unwrap();
    assert!(html.contains("Asistente 3") && html.contains("value=\"Luis Pérez\""));
    // A date outside the certification: 422, the rows kept, nothing saved.
    let refused = client
        .post("/mis-replicas")
        .header(ContentType::Form)
        .body(body(&[]))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::UnprocessableEntity);
    let html = refused.into_string().await.unwrap();
    assert!(html.contains("id=\"error-replica-date\"") && html.contains("value=\"Ana Rojas\""));
    assert_eq!(replicas_stored(&app).await, stored);
    // Saved with today's date.
    let today = days(0).to_string();
    let saved = client
        .post("/mis-replicas")
        .header(ContentType::Form)
        .body(body(&[]).replace("2000-01-01", &today))
        .dispatch()
        .await;
    assert_eq!(saved.status(), Status::SeeOther);
    assert_eq!(replicas_stored(&app).await, stored + 1);
    let html = body_of(&client, "/mis-replicas").await;
    assert!(html.contains("Ana Rojas, Luis Pérez"), "{html}");
}

/// The coverage row's `personas_alcanzadas_replicas` of a municipality on a capacity this
/// year, as anyone downloads it (`None` when no row or suppressed).
async fn open_reach(app: &TestApp, code: &str, capacity: i32) -> Option<i64> {
    let response = app.client.get("/open-data/coverage.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    let items: Vec<Value> = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    let capacity_code = domain::entities::capacity::Entity::find_by_id(capacity)
        .expect_one(app.db())
        .await
        .code;
    let year = chrono::Datelike::year(&days(-1));
    items
        .iter()
        .find(|i| {
            i["codigo_municipio"] == code
                && i["anio"] == year
                && i["codigo_capacidad"] == capacity_code.as_str()
        })
        .and_then(|i| i["personas_alcanzadas_replicas"].as_i64())
}

/// Issue 62, item 2: a replicator posted 40 replicas of 500 people and the anonymous coverage
/// went from 9 to 20,009. Beyond the bounds (60 people per replica, 150 per replicator in 30
/// days) a replica is held for a coordinator's review and counts nowhere (the municipality's
/// figures, open data, a rebuild); approved, it counts; rejected (with a reason), never;
/// whoever recorded it does not review it; a participant reviews nothing.
#[rocket::async_test]
async fn replicas_beyond_the_bounds_wait_for_a_coordinators_review_before_counting() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let (cohort, people, capacity) = trainers_cohort(&app, &world, "revision").await;
    for person in &people[..2] {
        let (status, body) =
            endorse(&app, &world.staff, cohort, person.id, &days(-3).to_string()).await;
        assert_eq!(status, Status::Created, "{body}");
    }
    let (before_reach, _) = reach(&app, &world.staff, CHAIRA, capacity).await;
    let before_open = open_reach(&app, CHAIRA, capacity).await;
    // The demo holds one replica for review already (El Paujíl, 140 people).
    let (_, waiting) = api_get(
        &app,
        "/api/v1/replicas/pending?per_page=100",
        Some(&world.staff),
    )
    .await;
    let waiting = waiting["total"].as_i64().unwrap();
    let replica = |count: i64| {
        json!({"date": days(-1).to_string(), "municipality_code": CHAIRA,
               "capacity_id": capacity, "audience": "jovenes", "attendee_count": count})
    };

    // 40 replicas of 500 people: stored, each pending; nothing counts.
    let mut held = Vec::new();
    for _ in 0..40 {
        let (status, body) = record(&app, &people[0].token, replica(500)).await;
        assert_eq!(status, Status::Created, "{body}");
        assert_eq!(body["review"], "pending", "{body}");
        held.push(body["id"].as_i64().unwrap());
    }
    assert_eq!(
        reach(&app, &world.staff, CHAIRA, capacity).await.0,
        before_reach
    );
    assert_eq!(open_reach(&app, CHAIRA, capacity).await, before_open);
    assert_maintained_is_rebuilt(&app, "40 held replicas").await;

    // The monthly bound: 50 + 50 + 50 count; 10 more in the same 30 days waits.
    for n in 0..3 {
        let (status, body) = record(&app, &people[1].token, replica(50)).await;
        assert_eq!(status, Status::Created, "{body}");
        assert_eq!(body["review"], "counted", "replica {n}: {body}");
    }
    let (_, body) = record(&app, &people[1].token, replica(10)).await;
    assert_eq!(body["review"], "pending", "{body}");
    let over_month = body["id"].as_i64().unwrap();
    assert_eq!(
        reach(&app, &world.staff, CHAIRA, capacity).await.0,
        before_reach + 150
    );

    // The coordinator's review list holds them; a participant's is empty and reviews nothing.
    let list = api_get(
        &app,
        "/api/v1/replicas/pending?per_page=100",
        Some(&world.staff),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(list["total"], waiting + 41, "{list}");
    let (_, list) = api_get(&app, "/api/v1/replicas/pending", Some(&people[1].token)).await;
    assert_eq!(list["total"], 0, "{list}");
    let review = |id: i64| format!("/api/v1/replicas/{id}/review");
    api_post(
        &app,
        &review(held[0]),
        Some(&people[1].token),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::Forbidden);

    // Approved: it counts everywhere; maintained equals a rebuild.
    let body = api_post(
        &app,
        &review(held[0]),
        Some(&world.staff),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(body["review"], "approved");
    assert_eq!(
        reach(&app, &world.staff, CHAIRA, capacity).await.0,
        before_reach + 650
    );
    assert_eq!(
        open_reach(&app, CHAIRA, capacity).await,
        Some(before_reach + 650)
    );
    assert_maintained_is_rebuilt(&app, "an approval").await;
    // Twice: 409.
    api_post(
        &app,
        &review(held[0]),
        Some(&world.staff),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::Conflict);

    // Rejected: a reason is required (422, nothing changes); with it, it never counts.
    let body = api_post(
        &app,
        &review(held[1]),
        Some(&world.staff),
        json!({"decision": "reject"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    assert_eq!(error_fields(&body), ["note"]);
    let body = api_post(
        &app,
        &review(held[1]),
        Some(&world.staff),
        json!({"decision": "reject", "note": "No hay lista de asistencia."}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(body["review"], "rejected");
    assert_eq!(
        reach(&app, &world.staff, CHAIRA, capacity).await.0,
        before_reach + 650
    );

    // Whoever recorded it does not review it: the coordinator's own → 422; the admin approves.
    let mut own = replica(80);
    own["replicator_id"] = json!(
        replicator::Entity::find()
            .filter(replicator::Column::ParticipantId.eq(people[0].id))
            .expect_one(app.db())
            .await
            .id
    );
    let (status, body) = record(&app, &world.staff, own).await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["review"], "pending");
    let recorded = body["id"].as_i64().unwrap();
    api_post(
        &app,
        &review(recorded),
        Some(&world.staff),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::UnprocessableEntity);
    api_post(
        &app,
        &review(recorded),
        Some(&world.admin),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::Ok);
    api_post(
        &app,
        &review(over_month),
        Some(&world.staff),
        json!({"decision": "approve"}),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(
        reach(&app, &world.staff, CHAIRA, capacity).await.0,
        before_reach + 740
    );
    assert_maintained_is_rebuilt(&app, "every review").await;
    let audited = domain::entities::audit_log::Entity::find()
        .filter(
            domain::entities::audit_log::Column::Action
                .is_in(["replica.approved", "replica.rejected"]),
        )
        .fetch_count(app.db())
        .await;
    assert_eq!(audited, 4);

    // The coordinators' page lists what waits, with approve and reject.
    let (email, password) = crate::support::demo_account(Role::Coordinator);
    let client = app.another_instance(&[]).await;
    crate::support::sign_in_client(&client, email, password).await;
    let html = body_of(&client, "/replicadores").await;
    assert!(
        html.contains(&format!("Réplicas por revisar ({})", waiting + 38)),
        "{html}"
    );
    assert!(html.contains(&format!("/replicadores/replicas/{}/revision", held[2])));
}
