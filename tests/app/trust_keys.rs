//! Issue 46, caches and proxies under abuse: kept pages are keyed on what the page reads (an
//! unknown query parameter makes no new key), each page keeps a bounded number of variants per
//! scope in memory and on the shelf, the home's satisfaction line follows an answer at once,
//! and a trusted proxy's hop with a port (or one that names no address) never makes the proxy
//! the client.

use crate::common::TestApp;
use crate::support::{Fetch, demo_account, page, sign_in_page};
use crate::world::{Person, World};
use aula_territorial::web::{KEPT_PER_PAGE, KeptPages};
use domain::entities::kept_content;
use domain::entities::values::{CohortStatus, Mark, Role};
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

fn keeping() -> [(&'static str, serde_json::Value); 2] {
    [
        ("demo_data", json!(true)),
        ("dashboard_cache_seconds", json!(3600)),
    ]
}

/// An app that keeps pages, once the warmer's start round has finished (it fills the kept
/// store in the background: counted in the middle of a test, its keys would look like the
/// test's own).
async fn keeping_app() -> TestApp {
    let app = TestApp::with_config(&keeping()).await;
    let mut rounds = app
        .client
        .rocket()
        .state::<aula_territorial::home::warm::Warmed>()
        .expect("the warmer's rounds in managed state")
        .rounds();
    tokio::time::timeout(Duration::from_secs(60), rounds.wait_for(|done| *done >= 1))
        .await
        .expect("the start round within a minute")
        .unwrap();
    app
}

/// How many contents the app keeps in memory.
fn kept_in_memory(app: &TestApp) -> usize {
    app.client
        .rocket()
        .state::<KeptPages>()
        .expect("kept pages in managed state")
        .len()
}

/// Rows on the shelf whose key matches `like`.
async fn shelf_rows(app: &TestApp, like: &str) -> u64 {
    kept_content::Entity::find()
        .filter(kept_content::Column::Key.like(like))
        .fetch_count(app.db())
        .await
}

/// Rows on the shelf once the background writes have settled (the count unchanged for a
/// while).
async fn settled_shelf_rows(app: &TestApp, like: &str) -> u64 {
    let mut last = shelf_rows(app, like).await;
    let mut same = 0;
    while same < 8 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = shelf_rows(app, like).await;
        if now == last {
            same += 1;
        } else {
            (last, same) = (now, 0);
        }
    }
    last
}

/// `path` as a visitor without an account.
async fn visit(app: &TestApp, path: &str) -> (Status, String) {
    let response = app.client.get(path).dispatch().await;
    let status = response.status();
    (status, response.into_string().await.unwrap_or_default())
}

/// 300 distinct unknown query strings (and other spellings of the same page) add nothing to
/// the memory or the shelf: they are the page without them.
#[rocket::async_test]
async fn unknown_query_parameters_make_no_new_kept_content() {
    let app = keeping_app().await;
    let open = crate::world::demo_cohort(app.db(), CohortStatus::Open).await;
    let path = format!("/cohortes/{}", open.id);
    let (status, first) = visit(&app, &path).await;
    assert_eq!(status, Status::Ok);
    assert!(first.contains(&open.name));
    // The first visit reaches the shelf in the background.
    let this_page = format!("page|[\"|{path}\",%");
    for _ in 0..200 {
        if shelf_rows(&app, &this_page).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(shelf_rows(&app, &this_page).await, 1, "the page is shelved");
    let rows = settled_shelf_rows(&app, "%").await;
    let in_memory = kept_in_memory(&app);

    for n in 0..300 {
        let uri = match n % 3 {
            0 => format!("{path}?v={n:08x}"),
            1 => format!("/cohortes/0{}?x={n}&v=&y=%20", open.id),
            _ => format!("{path}?utm_source=correo{n}&pagina={n}"),
        };
        let (status, html) = visit(&app, &uri).await;
        assert_eq!(status, Status::Ok, "{uri}");
        assert!(html.contains(&open.name), "{uri}");
    }
    assert_eq!(
        settled_shelf_rows(&app, "%").await,
        rows,
        "no row added to kept_contents"
    );
    assert_eq!(kept_in_memory(&app), in_memory, "no new key in memory");

    // A signed-in report: unknown parameters, spaces and the order of the filters do not
    // make new keys either.
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (status, _) = page(&app, "/reportes/traslapes?departamento=18").await;
    assert_eq!(status, Status::Ok);
    let rows = settled_shelf_rows(&app, "%").await;
    let in_memory = kept_in_memory(&app);
    for uri in [
        "/reportes/traslapes?departamento=%2018%20",
        "/reportes/traslapes?v=1&departamento=18",
        "/reportes/traslapes?departamento=18&desde=&hasta=",
        "/reportes/traslapes?hasta=&departamento=18&otro=2",
    ] {
        let (status, _) = page(&app, uri).await;
        assert_eq!(status, Status::Ok, "{uri}");
    }
    assert_eq!(settled_shelf_rows(&app, "%").await, rows);
    assert_eq!(kept_in_memory(&app), in_memory);
}

/// 300 distinct valid values of a page's parameter: every answer right, but the page keeps
/// at most `KEPT_PER_PAGE` of them for the scope, in memory and on the shelf; a shelf already
/// over the bound (left by other instances) is brought back to it.
#[rocket::async_test]
async fn a_page_keeps_a_bounded_number_of_variants_per_scope() {
    let app = keeping_app().await;
    let (email, password) = demo_account(Role::Reviewer);
    sign_in_page(&app, email, password).await;
    let this_page = "page|[\"%|/reportes/participantes\",%";
    let in_memory = kept_in_memory(&app);
    for n in 1..=300 {
        let uri = format!("/reportes/participantes?pagina={n}");
        let (status, html) = page(&app, &uri).await;
        assert_eq!(status, Status::Ok, "{uri}");
        assert!(html.contains("Participantes del informe"), "{uri}");
    }
    let kept = kept_in_memory(&app) - in_memory;
    assert_eq!(kept, KEPT_PER_PAGE, "the bound in memory");
    let shelved = settled_shelf_rows(&app, this_page).await;
    assert!(
        (1..=KEPT_PER_PAGE as u64).contains(&shelved),
        "the bound on the shelf: {shelved}"
    );
    // Another page of the same scope still has its own room.
    let (status, _) = page(&app, "/reportes/capacidades").await;
    assert_eq!(status, Status::Ok);
    assert_eq!(kept_in_memory(&app) - in_memory, KEPT_PER_PAGE + 1);

    // Another instance shelved more of this page than the bound (an older version of the
    // app): the next variant shelved brings the page's rows back to the bound, the oldest
    // going first.
    let sample = kept_content::Entity::find()
        .filter(kept_content::Column::Key.like(this_page))
        .one(app.db())
        .await
        .unwrap()
        .expect("a shelved variant");
    let group = sample.key[..sample.key.find("\",\"").unwrap() + 3].to_string();
    let long_ago = domain::time::now() - chrono::Duration::hours(1);
    for n in 0..40 {
        kept_content::Entity::insert(kept_content::ActiveModel {
            key: Set(format!("{group}pagina={}\"]", 1_000 + n)),
            version: Set(sample.version.clone()),
            content: Set(sample.content.clone()),
            computed_at: Set(long_ago),
        })
        .exec(app.db())
        .await
        .unwrap();
    }
    assert!(shelf_rows(&app, this_page).await > KEPT_PER_PAGE as u64);
    let again = app
        .another_instance(&[
            ("demo_data", json!(true)),
            ("dashboard_cache_seconds", json!(3600)),
        ])
        .await;
    crate::support::sign_in_client(&again, email, password).await;
    let status = again
        .get("/reportes/participantes?pagina=2000")
        .dispatch()
        .await
        .status();
    assert_eq!(status, Status::Ok);
    let mut rows = 0;
    for _ in 0..200 {
        rows = shelf_rows(&app, this_page).await;
        if rows <= KEPT_PER_PAGE as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(rows, KEPT_PER_PAGE as u64, "back to the bound");
    let newest = kept_content::Entity::find()
        .filter(kept_content::Column::Key.like(format!("{group}pagina=2000\"]")))
        .fetch_count(app.db())
        .await;
    assert_eq!(newest, 1, "the variant just drawn is kept");
    drop(again);
}

/// The number of answers the satisfaction line of a home page shows.
fn answers_on(home: &str) -> u64 {
    let at = home
        .find("Encuesta de satisfacción: <strong>")
        .unwrap_or_else(|| panic!("the satisfaction line on {home}"))
        + "Encuesta de satisfacción: <strong>".len();
    home[at..home[at..].find('<').unwrap() + at]
        .replace('.', "")
        .parse()
        .unwrap()
}

/// A closed cohort where `people` attended every session: each has a satisfaction survey.
async fn closed_with(world: &World<'_>, people: &[Person]) {
    let held: Vec<chrono::Duration> = [9i64, 6, 3]
        .iter()
        .map(|d| chrono::Duration::days(-d))
        .collect();
    let cohort = world.cohort().sessions_from_now(&held, 60).create().await;
    let mut enrolments = Vec::new();
    for p in people {
        enrolments.push(world.enrol(cohort.id, p.id).await.id);
    }
    world.move_cohort(cohort.id, "in_progress").await;
    let all = [Mark::Presente; 3];
    let pattern: Vec<(i64, &[Mark])> = enrolments.iter().map(|e| (*e, &all[..])).collect();
    world.take_attendance(&cohort.sessions, &pattern).await;
    world.move_cohort(cohort.id, "closed").await;
}

/// With the home's dashboard kept, a satisfaction answer shows on the coordinator's home at
/// once (the line reads the survey tallies' version, as the report does).
#[rocket::async_test]
async fn a_satisfaction_answer_shows_on_the_coordinators_home_at_once() {
    let app = keeping_app().await;
    let world = World::new(&app).await;
    let people = world.people("satisf").count(1).create().await;
    closed_with(&world, &people).await;
    let (email, password) = demo_account(Role::Coordinator);
    sign_in_page(&app, email, password).await;
    let (status, home) = page(&app, "/").await;
    assert_eq!(status, Status::Ok);
    let before = answers_on(&home);
    let versions = domain::instances::Versions::read(app.db()).await.unwrap();

    let (status, pending) = crate::support::api(
        &app,
        "GET",
        "/api/v1/me/surveys",
        Some(&people[0].token),
        None,
    )
    .await;
    assert_eq!(status, Status::Ok, "{pending}");
    let survey = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "satisfaction")
        .expect("a satisfaction survey")["id"]
        .as_i64()
        .unwrap();
    let scores = json!({"calidad": 5, "pertinencia": 5, "oportunidad": 5, "metodologia": 5,
                        "instructor": 5, "logistica": 5});
    let (status, body) = crate::support::api(
        &app,
        "POST",
        &format!("/api/v1/surveys/{survey}/responses"),
        Some(&people[0].token),
        Some(json!({"answers": scores})),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(
        domain::instances::Versions::read(app.db()).await.unwrap(),
        versions,
        "an answer moves no figure: only the tallies' version tells"
    );
    let (_, home) = page(&app, "/").await;
    assert_eq!(answers_on(&home), before + 1, "the answer shows at once");
}

const PROXY: &str = "10.0.0.2:40000";

/// `GET /metrics` through the trusted proxy with `headers`.
async fn metrics_through(app: &TestApp, headers: &[(&'static str, &str)]) -> Status {
    let mut request = app
        .client
        .get("/metrics")
        .remote(PROXY.parse::<SocketAddr>().unwrap());
    for (name, value) in headers {
        request = request.header(Header::new(*name, value.to_string()));
    }
    request.dispatch().await.status()
}

/// The proxy's hops with a port are their client's address; a hop that names no address is
/// an unknown client: neither is ever the proxy, so `/metrics` (open to the proxy's network
/// here) stays closed to them.
#[rocket::async_test]
async fn a_client_behind_the_proxy_is_never_the_proxy_for_metrics() {
    let app = TestApp::with_config(&[
        ("trusted_proxies", json!(["10.0.0.0/8"])),
        ("metrics_allowed", json!(["10.0.0.0/8"])),
    ])
    .await;
    // The proxy's own request (no header), and a client of the allowed network with a port.
    assert_eq!(metrics_through(&app, &[]).await, Status::Ok);
    assert_eq!(
        metrics_through(&app, &[("X-Forwarded-For", "10.1.2.3:51234")]).await,
        Status::Ok
    );
    for headers in [
        [("X-Forwarded-For", "203.0.113.7:51234")],
        [("X-Forwarded-For", "[2001:db8::1]:443")],
        [("X-Forwarded-For", "203.0.113.7:51234, 10.0.0.3:8080")],
        [("X-Real-IP", "[2001:db8::1]:443")],
        [("Forwarded", "for=\"[2001:db8::1]:443\"")],
        [("Forwarded", "for=\"203.0.113.7:51234\";proto=https")],
        [("X-Forwarded-For", "unknown")],
        [("X-Forwarded-For", "_hidden")],
        [("X-Forwarded-For", "basura")],
        [("Forwarded", "for=unknown")],
        [("X-Real-IP", "no-es-una-dirección")],
    ] {
        assert_eq!(
            metrics_through(&app, &headers).await,
            Status::NotFound,
            "{headers:?}"
        );
    }
}

/// `POST /api/v1/tokens` through the trusted proxy, for the client the proxy names in `header`.
async fn sign_in_through(
    app: &TestApp,
    header: (&'static str, &str),
    email: &str,
    password: &str,
) -> Status {
    app.client
        .post("/api/v1/tokens")
        .remote(PROXY.parse::<SocketAddr>().unwrap())
        .header(Header::new(header.0, header.1.to_string()))
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await
        .status()
}

/// One client's failed sign-ins behind the proxy (its hops written with a port) do not slow
/// another client behind the same proxy; an unknown client is throttled on its own.
#[rocket::async_test]
async fn failed_sign_ins_behind_a_proxy_count_per_client() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("trusted_proxies", json!(["10.0.0.0/8"])),
    ])
    .await;
    let (email, password) = demo_account(Role::Coordinator);
    for (guesser, other) in [
        (
            ("X-Forwarded-For", "[2001:db8:1::7]:443"),
            ("X-Forwarded-For", "203.0.113.8:51234"),
        ),
        (
            ("X-Forwarded-For", "203.0.113.9:40001"),
            ("Forwarded", "for=\"[2001:db8:2::8]:4711\""),
        ),
        // A hop that names no address: its guesses slow the unknown clients, not the others.
        (
            ("X-Forwarded-For", "unknown"),
            ("X-Real-IP", "198.51.100.20:80"),
        ),
    ] {
        let mut last = Status::Ok;
        for n in 0..25 {
            last = sign_in_through(
                &app,
                guesser,
                &format!("nadie{n}@example.org"),
                "equivocada-1",
            )
            .await;
        }
        assert_eq!(last, Status::TooManyRequests, "{guesser:?} waits");
        assert_eq!(
            sign_in_through(&app, guesser, email, password).await,
            Status::TooManyRequests,
            "{guesser:?}"
        );
        assert_eq!(
            sign_in_through(&app, other, email, password).await,
            Status::Created,
            "{other:?} is another client"
        );
    }
    // The proxy's own address was never the one that failed.
    let response = app
        .client
        .post("/api/v1/tokens")
        .remote(PROXY.parse::<SocketAddr>().unwrap())
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created);
}
