//! Several app instances on one database behave as one (issue 34): started together they
//! prepare the database once; a session, a form and a credential of one are valid on the
//! other; a change made through one shows on the other's pages at once; the periodic jobs
//! run where their lease is held, and every email goes out once. Also the operations
//! endpoints: `/ready` and `/metrics`.

use crate::common::{TestApp, TestDatabase, launch};
use crate::smtp::SmtpServer;
use crate::support::*;
use crate::world::World;
use domain::entities::values::{OutboxStatus, Role};
use domain::entities::{credentials_key, outbox, setting, user};
use domain::mail::{self, Email};
use rocket::http::{ContentType, Cookie, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// A settings file path that does not exist: the key is the database's, not an import.
fn no_key_file() -> Value {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    json!(
        std::env::temp_dir()
            .join(format!("aula-no-key-{}-{nanos}", std::process::id()))
            .join("credentials-key")
    )
}

fn db_of(client: &Client) -> &DatabaseConnection {
    client.rocket().state::<DatabaseConnection>().unwrap()
}

/// Calls the JSON API of one instance (`api` calls the test app's).
pub(crate) async fn api_on(
    client: &Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (Status, Value) {
    let mut request = match method {
        "GET" => client.get(path.to_string()),
        "POST" => client.post(path.to_string()),
        "PATCH" => client.patch(path.to_string()),
        other => panic!("method {other}"),
    };
    if let Some(token) = token {
        request = request.header(bearer(token));
    }
    if let Some(body) = body {
        request = request.header(ContentType::JSON).body(body.to_string());
    }
    let response = request.dispatch().await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn did_document(client: &Client) -> Value {
    let response = client.get("/.well-known/did.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

const LOCAL: &str = "127.0.0.1:40000";

/// `/metrics` as Prometheus scrapes it from this machine.
async fn metrics(client: &Client) -> String {
    let response = client
        .get("/metrics")
        .remote(LOCAL.parse::<SocketAddr>().unwrap())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    response.into_string().await.unwrap()
}

#[rocket::async_test]
async fn instances_started_together_prepare_the_database_once() {
    let database = TestDatabase::create().await;
    let settings = [
        ("demo_data", json!(true)),
        ("credentials_key_file", no_key_file()),
    ];
    // Both start at the same moment on a database nobody has migrated yet.
    let (a, b) = tokio::join!(
        launch(&database.url, &settings),
        launch(&database.url, &settings)
    );
    let db = db_of(&a);
    let admins = user::Entity::find()
        .filter(user::Column::Email.eq("admin@aulaterritorial.example"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(admins, 1, "the demo data is loaded once");
    assert_eq!(
        domain::entities::municipality::Entity::find()
            .count(db)
            .await
            .unwrap(),
        1122
    );
    assert_eq!(domain::db::pending_migrations(db).await.unwrap(), 0);
    assert_eq!(
        credentials_key::Entity::find().count(db).await.unwrap(),
        1,
        "one signing key"
    );
    assert_eq!(
        setting::Entity::find()
            .filter(setting::Column::Key.eq("cookie_secret_key"))
            .count(db)
            .await
            .unwrap(),
        1,
        "one cookie secret"
    );
    // Both publish the same key, and both are ready.
    let published = did_document(&a).await;
    assert_eq!(published, did_document(&b).await);
    let stored = credentials_key::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.origin, "generated");
    assert_eq!(
        published["verificationMethod"][0]["publicKeyMultibase"],
        stored.public_key
    );
    for client in [&a, &b] {
        let response = client.get("/ready").dispatch().await;
        assert_eq!(response.status(), Status::Ok);
        let body: Value = response.into_json().await.unwrap();
        assert_eq!(
            body,
            json!({"status": "ok", "database": "ok", "migrations": "ok"})
        );
    }
    // A third, started later, finds everything done and signs with the same key.
    let c = launch(&database.url, &settings).await;
    assert_eq!(did_document(&c).await, published);
    assert_eq!(credentials_key::Entity::find().count(db).await.unwrap(), 1);
    drop((a, b, c));
}

#[rocket::async_test]
async fn a_key_file_is_imported_once_and_the_database_key_wins_afterwards() {
    use domain::credentials::keys;
    let dir = std::path::PathBuf::from(no_key_file().as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials-key");
    // The key of the Data Integrity specification's test vectors.
    std::fs::write(&file, "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq\n").unwrap();
    let app = TestApp::with_config(&[("credentials_key_file", json!(file))]).await;
    let stored = credentials_key::Entity::find().expect_one(app.db()).await;
    assert_eq!(
        (stored.origin.as_str(), stored.public_key.as_str()),
        (
            "imported",
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        )
    );
    // Another instance with no file, or with something else in its file, signs with the same.
    std::fs::write(&file, "no es una clave").unwrap();
    let other = app
        .another_instance(&[("credentials_key_file", json!(file))])
        .await;
    let without_file = app
        .another_instance(&[("credentials_key_file", no_key_file())])
        .await;
    assert_eq!(
        did_document(&without_file).await,
        did_document(&other).await
    );
    let published = did_document(&other).await;
    assert_eq!(
        published["verificationMethod"][0]["publicKeyMultibase"],
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
    assert_eq!(published, did_document(&app.client).await);

    // Rotation: the retired key stays published after the current one, a new one signs.
    credentials_key::Entity::update_many()
        .col_expr(
            credentials_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(Some(domain::time::now())),
        )
        .exec(app.db())
        .await
        .unwrap();
    let rotated = app
        .another_instance(&[("credentials_key_file", json!(file))])
        .await;
    let document = did_document(&rotated).await;
    let methods = json_array(&document["verificationMethod"]);
    assert_eq!(methods.len(), 2, "{document}");
    assert_ne!(
        methods[0]["publicKeyMultibase"],
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
    assert_eq!(
        methods[1]["publicKeyMultibase"],
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );
    let current = credentials_key::Entity::find()
        .filter(credentials_key::Column::RetiredAt.is_null())
        .expect_one(app.db())
        .await;
    assert_eq!(
        current.origin, "generated",
        "the file is never imported again"
    );
    assert!(keys::parse_public_multikey(&current.public_key).is_some());
    drop((other, without_file, rotated));
    std::fs::remove_dir_all(dir).ok();
}

/// The raw (encrypted) value of a cookie a response set.
fn set_cookie(response: &rocket::local::asynchronous::LocalResponse<'_>, name: &str) -> String {
    response
        .cookies()
        .get(name)
        .unwrap_or_else(|| panic!("the answer sets {name}"))
        .value()
        .to_string()
}

#[rocket::async_test]
async fn a_form_and_a_session_of_one_instance_are_valid_on_the_other() {
    let app = TestApp::with_demo().await;
    let other = app.another_instance(&[]).await;
    let (email, password) = demo_account(Role::Coordinator);

    // The sign-in form comes from one instance, and is sent to the other.
    let form = app.client.get("/ingresar").dispatch().await;
    let csrf_cookie = set_cookie(&form, "aula_csrf");
    let html = form.into_string().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let signed_in = other
        .post("/ingresar")
        .cookie(Cookie::new("aula_csrf", csrf_cookie.clone()))
        .header(ContentType::Form)
        .body(form_body(&[
            ("csrf_token", csrf),
            ("email", email),
            ("password", password),
        ]))
        .dispatch()
        .await;
    assert_eq!(signed_in.status(), Status::SeeOther, "CSRF valid on both");
    let session = set_cookie(&signed_in, "aula_sesion");

    // The session opened there is valid here.
    let home = app
        .client
        .get("/coordinacion/cohortes")
        .cookie(Cookie::new("aula_sesion", session.clone()))
        .dispatch()
        .await;
    assert_eq!(home.status(), Status::Ok);
    assert!(home.into_string().await.unwrap().contains("Salir"));

    // Signing out on one instance ends the session on both.
    let signed_out = app
        .client
        .post("/salir")
        .cookie(Cookie::new("aula_sesion", session.clone()))
        .cookie(Cookie::new("aula_csrf", csrf_cookie))
        .header(ContentType::Form)
        .body(form_body(&[("csrf_token", csrf)]))
        .dispatch()
        .await;
    assert_eq!(signed_out.status(), Status::SeeOther);
    let after = other
        .get("/coordinacion/cohortes")
        .cookie(Cookie::new("aula_sesion", session))
        .dispatch()
        .await;
    assert_ne!(after.status(), Status::Ok);
}

/// The priorities of Caquetá (every capacity), as one instance answers them.
async fn priorities(client: &Client, staff: &str) -> Vec<(String, Value, Value)> {
    let body = api_on(
        client,
        "GET",
        "/api/v1/reports/priorities?department=18&limit=100",
        Some(staff),
        None,
    )
    .await
    .expect_status(Status::Ok);
    let mut rows: Vec<(String, Value, Value)> = json_items(&body)
        .iter()
        .map(|i| {
            (
                json_str(&i["municipality_code"]).to_string(),
                i["completed_recent"].clone(),
                i["indicator_percentile"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[rocket::async_test]
async fn a_change_through_one_instance_shows_at_once_on_the_other() {
    let app = TestApp::with_demo().await;
    // The other instance keeps its rankings for a long time unless told they changed.
    let other = app.another_instance(&[]).await;
    let world = World::new(&app).await;
    let before = priorities(&other, &world.staff).await;
    assert_eq!(before, priorities(&other, &world.staff).await, "kept");

    // Training figures: people of Florencia complete a course through this instance.
    world.hand_built_cohort().await;
    let trained = priorities(&other, &world.staff).await;
    assert_eq!(trained, priorities(&app.client, &world.staff).await);
    let completed = |rows: &[(String, Value, Value)]| {
        rows.iter()
            .find(|r| r.0 == "18001")
            .map(|r| r.1.as_i64().unwrap())
            .unwrap()
    };
    assert!(
        completed(&trained) > completed(&before),
        "{} then {}",
        completed(&before),
        completed(&trained)
    );

    // Indicators: the admin turns every indicator's direction around through this instance.
    let list = api_get(&app, "/api/v1/indicators?per_page=100", Some(&world.admin))
        .await
        .expect_status(Status::Ok);
    for indicator in json_items(&list) {
        if indicator["unit"] == domain::entities::indicator::CATEGORY_UNIT {
            continue;
        }
        api_patch(
            &app,
            &format!("/api/v1/indicators/{}", indicator["id"]),
            Some(&world.admin),
            json!({"higher_is_better": !indicator["higher_is_better"].as_bool().unwrap()}),
        )
        .await
        .expect_status(Status::Ok);
    }
    let turned = priorities(&other, &world.staff).await;
    assert_ne!(turned, trained, "the other instance recomputed");
    assert_eq!(turned, priorities(&app.client, &world.staff).await);
    drop(other);
}

#[rocket::async_test]
async fn a_credential_issued_through_one_instance_verifies_on_the_other() {
    let app = TestApp::with_demo().await;
    let other = app.another_instance(&[]).await;
    let (_, codes) = crate::credentials::issued(&app).await;
    let credential = crate::credentials::credential(&app, &codes[0]).await;
    let verdict = api_on(
        &other,
        "POST",
        "/api/v1/credentials/verify",
        None,
        Some(credential.clone()),
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(verdict["status"], "valid", "{verdict}");
    // Both sign the same certificate into the same bytes.
    let again = api_on(
        &other,
        "GET",
        &format!("/api/v1/certificates/{}/credential", codes[0]),
        None,
        None,
    )
    .await
    .expect_status(Status::Ok);
    assert_eq!(again, credential);
    drop(other);
}

#[rocket::async_test]
async fn the_periodic_jobs_run_on_the_instance_holding_their_lease() {
    use domain::instances::{hold_lease, lease_holder, release_lease};
    let app = TestApp::with_config(&[("jobs_poll_seconds", json!(1))]).await;
    let other = app
        .another_instance(&[("jobs_poll_seconds", json!(1))])
        .await;
    let db = app.db();
    let ids: Vec<String> = [&app.client, &other]
        .iter()
        .map(|c| {
            c.rocket()
                .state::<aula_territorial::web::Instance>()
                .unwrap()
                .id
                .clone()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    let mut holder = None;
    for _ in 0..50 {
        holder = lease_holder(db, domain::jobs::LEASE).await.unwrap();
        if holder.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let holder = holder.expect("an instance took the lease");
    assert!(ids.contains(&holder), "{holder}");
    // It keeps it: after a few passes the same instance holds it, and only it says so.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        lease_holder(db, domain::jobs::LEASE).await.unwrap(),
        Some(holder.clone())
    );
    let held: Vec<bool> = [metrics(&app.client).await, metrics(&other).await]
        .iter()
        .map(|text| text.contains("aula_job_lease_held{job=\"periodic\"} 1"))
        .collect();
    assert_eq!(
        held,
        ids.iter().map(|id| *id == holder).collect::<Vec<_>>(),
        "exactly the holder reports it"
    );

    // The lease itself: taken by one asker, renewed by it, refused to another until it ends
    // or is given up.
    let now = domain::time::now();
    let minute = chrono::Duration::seconds(60);
    assert!(hold_lease(db, "prueba", "a", minute, now).await.unwrap());
    assert!(!hold_lease(db, "prueba", "b", minute, now).await.unwrap());
    assert!(hold_lease(db, "prueba", "a", minute, now).await.unwrap());
    let later = now + chrono::Duration::seconds(61);
    assert!(hold_lease(db, "prueba", "b", minute, later).await.unwrap());
    assert!(!hold_lease(db, "prueba", "a", minute, later).await.unwrap());
    release_lease(db, "prueba", "b").await.unwrap();
    assert!(
        hold_lease(db, "prueba", "a", minute, domain::time::now())
            .await
            .unwrap()
    );
    // Asked together, one gets it.
    let (x, y) = tokio::join!(
        hold_lease(db, "juntos", "x", minute, now),
        hold_lease(db_of(&other), "juntos", "y", minute, now)
    );
    assert!(x.unwrap() ^ y.unwrap());
    drop(other);
}

#[rocket::async_test]
async fn every_email_goes_out_once_with_both_instances_sending() {
    let server = SmtpServer::start().await;
    let settings = [
        ("smtp_url", json!(server.url())),
        ("mail_poll_seconds", json!(1)),
    ];
    let app = TestApp::with_config(&settings).await;
    let other = app.another_instance(&settings).await;
    let templates = domain::templates::Templates::load().unwrap();
    let config = app
        .client
        .rocket()
        .state::<domain::config::AppConfig>()
        .unwrap()
        .clone();
    const COUNT: usize = 16;
    for n in 0..COUNT {
        // Half the changes go through each instance.
        let db = if n % 2 == 0 { app.db() } else { db_of(&other) };
        let txn = domain::db::begin(db).await.unwrap();
        let to = format!("persona{n}@example.org");
        let queued = mail::enqueue(
            &txn,
            &mail::Notifier {
                templates: &templates,
                config: &config,
            },
            Email {
                to: to.clone(),
                subject: "Su cuenta en Aula Territorial está lista".into(),
                template: "welcome",
                data: json!({"full_name": "Persona", "email": to}),
                attachments: Vec::new(),
                dedupe_key: None,
            },
        )
        .await
        .unwrap();
        assert!(queued);
        domain::db::commit(txn).await.unwrap();
    }
    let arrived = server.wait_for(COUNT, 30).await;
    assert_eq!(arrived.len(), COUNT);
    // Two more passes of both workers: nothing goes out again.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut recipients: Vec<String> = server.received().into_iter().flat_map(|m| m.to).collect();
    assert_eq!(recipients.len(), COUNT);
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), COUNT, "nobody got an email twice");
    let rows = outbox::Entity::find().fetch_all(app.db()).await;
    assert!(
        rows.iter()
            .all(|r| r.status == OutboxStatus::Sent && r.attempts == 1),
        "sent once each"
    );
    let text = metrics(&other).await;
    assert!(
        text.contains("aula_outbox_emails{status=\"pending\"} 0"),
        "{text}"
    );
    drop(other);
}

#[rocket::async_test]
async fn ready_tells_a_balancer_when_the_instance_cannot_serve() {
    use migrations::{Migrator, MigratorTrait};
    let app = TestApp::new().await;
    let response = app.client.get("/ready").dispatch().await;
    assert_eq!(response.status(), Status::Ok);

    // A schema behind this version (a migration not applied): not ready. The last one is
    // marked unapplied (its row taken out of `seaql_migrations`) rather than rolled back: DDL
    // rolled back and applied again on SQLite is at the mercy of the pool's other connections
    // under a loaded test run; what `/ready` reads is the table.
    use sea_orm::ConnectionTrait;
    let last = Migrator::migrations()
        .last()
        .map(|m| m.name().to_string())
        .unwrap();
    let applied_at: i64 = app
        .db()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            app.db().get_database_backend(),
            format!(
                "SELECT applied_at FROM seaql_migrations WHERE version = {}",
                placeholder(app.db())
            ),
            [last.clone().into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    app.db()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.db().get_database_backend(),
            format!(
                "DELETE FROM seaql_migrations WHERE version = {}",
                placeholder(app.db())
            ),
            [last.clone().into()],
        ))
        .await
        .unwrap();
    let response = app.client.get("/ready").dispatch().await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert!(response.headers().get_one("Retry-After").is_some());
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["migrations"], "faltan 1 migraciones por aplicar");
    app.db()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.db().get_database_backend(),
            format!(
                "INSERT INTO seaql_migrations (version, applied_at) VALUES ({}, {})",
                placeholder(app.db()),
                placeholder_n(app.db(), 2)
            ),
            [last.into(), applied_at.into()],
        ))
        .await
        .unwrap();
    assert_eq!(
        app.client.get("/ready").dispatch().await.status(),
        Status::Ok
    );

    // The database gone: not ready (and not healthy).
    app.db().clone().close().await.unwrap();
    let response = app.client.get("/ready").dispatch().await;
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert!(response.headers().get_one("Retry-After").is_some());
    let body: Value = response.into_json().await.unwrap();
    assert_eq!(body["database"], "no responde");
}

#[rocket::async_test]
async fn metrics_answer_only_to_the_allowed_networks_in_prometheus_format() {
    let app = TestApp::with_demo().await;
    for path in ["/", "/cohortes", "/no-existe"] {
        app.client.get(path).dispatch().await;
    }
    let staff = role_token(&app, Role::Coordinator).await;
    let closed =
        crate::world::demo_cohort(app.db(), domain::entities::values::CohortStatus::Closed).await;
    api_get(
        &app,
        &format!("/api/v1/cohorts/{}", closed.id),
        Some(&staff),
    )
    .await
    .expect_status(Status::Ok);

    let text = metrics(&app.client).await;
    for line in [
        "aula_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 1",
        "aula_http_requests_total{method=\"GET\",route=\"/cohortes?<query..>\",status=\"200\"} 1",
        "aula_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "aula_http_requests_total{method=\"GET\",route=\"/api/v1/cohorts/<id>\",status=\"200\"} 1",
        "aula_http_request_duration_seconds_count{method=\"GET\",route=\"/\"} 1",
        "aula_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"+Inf\"} 1",
        "# TYPE aula_http_request_duration_seconds histogram",
        "aula_outbox_emails{status=\"pending\"} ",
        "aula_outbox_emails{status=\"failed\"} ",
        "# TYPE aula_figures_flush_seconds histogram",
        "aula_figures_flush_seconds_count ",
        "aula_db_pool_connections{state=\"in_use\"} ",
        "aula_db_pool_max_connections ",
        "aula_job_lease_held{job=\"periodic\"} 0",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    // Every sample line is `name{labels} number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }

    // Elsewhere: as if there were no such page; a header naming this machine changes nothing
    // when no proxy is trusted.
    for (peer, forwarded) in [
        ("10.0.0.9:4000", None),
        ("10.0.0.9:4000", Some("127.0.0.1")),
    ] {
        let mut request = app
            .client
            .get("/metrics")
            .remote(peer.parse::<SocketAddr>().unwrap());
        if let Some(client) = forwarded {
            request = request.header(rocket::http::Header::new("X-Forwarded-For", client));
        }
        let response = request.dispatch().await;
        assert_eq!(response.status(), Status::NotFound, "{peer} {forwarded:?}");
    }
    let behind_proxy = app
        .another_instance(&[
            ("trusted_proxies", json!(["127.0.0.1"])),
            ("metrics_allowed", json!(["10.1.0.0/16"])),
        ])
        .await;
    let forwarded = |ip: &'static str| {
        behind_proxy
            .get("/metrics")
            .remote("127.0.0.1:4000".parse::<SocketAddr>().unwrap())
            .header(rocket::http::Header::new("X-Forwarded-For", ip))
    };
    assert_eq!(forwarded("10.1.2.3").dispatch().await.status(), Status::Ok);
    assert_eq!(
        forwarded("10.2.0.1").dispatch().await.status(),
        Status::NotFound
    );
    drop(behind_proxy);
}

/// The first bind placeholder of the test database's engine.
fn placeholder(db: &sea_orm::DatabaseConnection) -> &'static str {
    placeholder_n(db, 1)
}

/// The `n`-th bind placeholder (1 or 2) of the test database's engine.
fn placeholder_n(db: &sea_orm::DatabaseConnection, n: usize) -> &'static str {
    match (db.get_database_backend(), n) {
        (sea_orm::DbBackend::Postgres, 1) => "$1",
        (sea_orm::DbBackend::Postgres, _) => "$2",
        _ => "?",
    }
}

/// Issue 50: two instances on one database, each with its figures worker, take an
/// enrolment-day burst into one cohort together: never overbooked, the waiting list handed out
/// once each and in the order of the enrolments, and the figures (flushed by either worker)
/// exactly a rebuild's.
#[test]
fn two_instances_enrol_one_cohort_together_without_overbooking() {
    threaded().block_on(async {
        let settings = [("demo_data", json!(true)), ("figures_delay_ms", json!(250))];
        let app = TestApp::with_config(&settings).await;
        let other = app.another_instance(&settings[1..]).await;
        let world = World::new(&app).await;
        let cohort = world.cohort().seats(9).national().create().await.id;
        let crowd = world.people("dos").count(40).of("18094").create().await;
        let requests = crowd.iter().enumerate().map(|(i, person)| {
            let client = if i % 2 == 0 { &app.client } else { &other };
            async move {
                api_on(
                    client,
                    "POST",
                    &format!("/api/v1/cohorts/{cohort}/enrolments"),
                    Some(&person.token),
                    None,
                )
                .await
            }
        });
        let answered = rocket::futures::future::join_all(requests).await;
        assert!(
            answered.iter().all(|(s, _)| *s == Status::Created),
            "{answered:?}"
        );
        let mut positions: Vec<i64> = answered
            .iter()
            .filter_map(|(_, body)| body["waitlist_position"].as_i64())
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=31).collect::<Vec<_>>());
        let mut rows = domain::entities::enrolment::Entity::find()
            .filter(domain::entities::enrolment::Column::CohortId.eq(cohort as i32))
            .fetch_all(app.db())
            .await;
        rows.sort_by_key(|row| row.id);
        let enrolled = rows
            .iter()
            .filter(|row| row.status == domain::entities::values::EnrolmentStatus::Enrolled)
            .count();
        assert_eq!(enrolled, 9, "never overbooked");
        let tickets: Vec<i32> = rows.iter().filter_map(|row| row.waitlist_seq).collect();
        assert_eq!(
            tickets,
            (1..=31).collect::<Vec<_>>(),
            "the waiting list in the order of the enrolments"
        );
        // Either worker flushes; the figures end exactly the rebuilt ones.
        let started = std::time::Instant::now();
        while domain::entities::figures_dirty::Entity::find()
            .fetch_count(app.db())
            .await
            > 0
        {
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let maintained = domain::figures::snapshot(app.db()).await.unwrap();
        let txn = domain::db::begin(app.db()).await.unwrap();
        domain::figures::rebuild(&txn).await.unwrap();
        let rebuilt = domain::figures::snapshot(&txn).await.unwrap();
        txn.rollback().await.unwrap();
        assert!(maintained == rebuilt, "maintained = rebuilt");
        drop(other);
    });
}
