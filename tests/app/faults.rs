//! Faults an ESAP deployment meets (issue 34), provoked on purpose: the mail server down for an
//! hour, an instance cut off in the middle of an import or of issuing certificates, the database
//! out of reach. Each time nothing is half-written, nothing is sent twice, requests are answered
//! 503 with `Retry-After` rather than 500, and the app carries on without a restart.
//!
//! "Cut off mid-write" is a trigger that fails one insert after others of the same transaction
//! have been written: on PostgreSQL it terminates the session's own connection (what a killed
//! instance or a restarted server does to a transaction), on SQLite it aborts the statement.

use crate::common::TestApp;
use crate::smtp::{SmtpServer, header, mime_parts, unused_port};
use crate::support::*;
use crate::world::{World, demo_cohort};
use chrono::{Duration, Utc};
use domain::entities::values::{CohortStatus, OutboxStatus, Role};
use domain::entities::{audit_log, certificate, enrolment, outbox, participant};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};

fn postgres(db: &DatabaseConnection) -> bool {
    !domain::db::is_sqlite(db)
}

/// Makes every insert into `table` for which `when` (SQL over `NEW`) holds fail, as if the
/// instance died there.
async fn cut_off_inserts(db: &DatabaseConnection, table: &str, when: &str) {
    let name = format!("fault_{table}");
    let sql = if postgres(db) {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF {when} THEN \
                 PERFORM pg_terminate_backend(pg_backend_pid()); \
                 RAISE EXCEPTION 'instancia detenida'; \
               END IF; \
               RETURN NEW; \
             END $$; \
             CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"
        )
    } else {
        format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when} \
             BEGIN SELECT RAISE(ABORT, 'instancia detenida'); END;"
        )
    };
    db.execute_unprepared(&sql).await.unwrap();
}

async fn restore_inserts(db: &DatabaseConnection, table: &str) {
    let name = format!("fault_{table}");
    let sql = if postgres(db) {
        format!("DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();")
    } else {
        format!("DROP TRIGGER {name};")
    };
    db.execute_unprepared(&sql).await.unwrap();
}

async fn outbox_rows(db: &DatabaseConnection) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .unwrap()
}

async fn deliver(app: &TestApp) -> usize {
    let config = app
        .client
        .rocket()
        .state::<domain::config::AppConfig>()
        .unwrap();
    domain::mail::deliver_due(app.db(), config).await.unwrap()
}

/// As if the backoff of every pending email had passed.
async fn time_passes(db: &DatabaseConnection) {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .exec(db)
        .await
        .unwrap();
}

async fn issue(app: &TestApp, staff: &str, cohort: i32) -> (Status, Value) {
    api(
        app,
        "POST",
        &format!("/api/v1/cohorts/{cohort}/certificates"),
        Some(staff),
        None,
    )
    .await
}

/// The certificate code a received message attaches (`certificado-<code>.pdf`), if any.
fn attached_code(raw: &str) -> Option<String> {
    mime_parts(raw).iter().find_map(|part| {
        let disposition = header(&part.headers, "Content-Disposition")?;
        // `filename="…"`, or `filename*0="…"` as lettre writes it (RFC 2231).
        let (_, value) = disposition.split_once("filename")?;
        let name = value.split_once('=')?.1.trim().trim_matches('"');
        Some(
            name.strip_prefix("certificado-")?
                .strip_suffix(".pdf")?
                .to_string(),
        )
    })
}

#[rocket::async_test]
async fn the_mail_server_down_for_an_hour_delays_every_email_and_then_delivers_each_once() {
    let port = unused_port().await;
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("smtp_url", json!(format!("smtp://127.0.0.1:{port}"))),
    ])
    .await;
    let (_, codes) = crate::credentials::issued(&app).await;
    let queued: Vec<i64> = outbox_rows(app.db())
        .await
        .into_iter()
        .filter(|r| r.status == OutboxStatus::Pending)
        .map(|r| r.id)
        .collect();
    assert_eq!(
        outbox_rows(app.db())
            .await
            .iter()
            .filter(|r| r
                .dedupe_key
                .as_deref()
                .is_some_and(|k| k.starts_with("certificado:")))
            .count(),
        codes.len(),
        "one email per certificate"
    );

    // An hour of outage: the worker passes again and again (each backoff made due), and every
    // pass finds the server down.
    let started = Utc::now();
    for _ in 0..10 {
        time_passes(app.db()).await;
        assert_eq!(deliver(&app).await, 0);
    }
    let waiting: Vec<outbox::Model> = outbox_rows(app.db())
        .await
        .into_iter()
        .filter(|r| queued.contains(&r.id))
        .collect();
    assert!(
        waiting.iter().all(|r| r.status == OutboxStatus::Pending),
        "an outage fails no email"
    );
    assert_eq!(
        waiting.iter().map(|r| r.attempts).sum::<i32>(),
        10,
        "one attempt per pass, not one per email against a dead server"
    );
    assert!(
        waiting
            .iter()
            .all(|r| r.next_attempt_at <= started + Duration::hours(1) + Duration::minutes(1))
    );
    assert!(
        waiting
            .iter()
            .filter(|r| r.attempts > 0)
            .all(|r| r.last_error.as_deref().is_some_and(|e| !e.is_empty()))
    );

    // The server is back: everything goes out, each email once.
    let server = SmtpServer::start_on(port).await;
    time_passes(app.db()).await;
    assert_eq!(deliver(&app).await, queued.len());
    time_passes(app.db()).await;
    assert_eq!(deliver(&app).await, 0, "nothing left to send");
    let received = server.received();
    assert_eq!(received.len(), queued.len(), "every email once");
    let mut delivered: Vec<String> = received
        .iter()
        .filter_map(|m| attached_code(&m.raw))
        .collect();
    delivered.sort();
    let mut expected = codes.clone();
    expected.sort();
    assert_eq!(delivered, expected, "each certificate's email exactly once");
    assert!(
        outbox_rows(app.db())
            .await
            .iter()
            .filter(|r| queued.contains(&r.id))
            .all(|r| r.status == OutboxStatus::Sent)
    );
}

#[rocket::async_test]
async fn an_import_cut_off_midway_leaves_nothing_and_runs_whole_afterwards() {
    let app = TestApp::with_demo().await;
    let world = World::new(&app).await;
    let cohort = world.cohort().seats(10).national().create().await.id;
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let file = "tipo_documento,numero_documento,nombres,apellidos,Correo electrónico,codigo_dane,tipo_entidad,nivel\n\
        CC,1117900001,Ana,Pérez,ana.corte@example.org,18256,alcaldia,tecnico\n\
        CC,1117900002,Luis,Gómez,luis.corte@example.org,18592,alcaldia,profesional\n\
        CC,1117900003,Marta,Ríos,marta.corte@example.org,50325,concejo,asesor\n";
    let db = app.db();
    let snapshot = || async {
        (
            participant::Entity::find().count(db).await.unwrap(),
            enrolment::Entity::find()
                .filter(enrolment::Column::CohortId.eq(cohort as i32))
                .count(db)
                .await
                .unwrap(),
            outbox::Entity::find().count(db).await.unwrap(),
            audit_log::Entity::find().count(db).await.unwrap(),
        )
    };
    let before = snapshot().await;

    // The instance stops while writing the third person: the first two (and whatever went
    // with them) were already written in the import's transaction.
    cut_off_inserts(db, "participants", "NEW.document_number = '1117900003'").await;
    let (status, body) = upload(&app, &path, &world.staff, "inscritos.csv", file.as_bytes()).await;
    assert!(status.code >= 500, "{status} {body}");
    assert_eq!(snapshot().await, before, "nothing of the import remains");

    // Run again once the instance is back: the whole file, once.
    restore_inserts(db, "participants").await;
    let (status, done) = upload(&app, &path, &world.staff, "inscritos.csv", file.as_bytes()).await;
    assert_eq!(status, Status::Ok, "{done}");
    assert_eq!(done["created_participants"], 3, "{done}");
    assert_eq!(done["enrolled"], 3, "{done}");
    let after = snapshot().await;
    assert_eq!((after.0, after.1), (before.0 + 3, before.1 + 3));
    let (status, again) = upload(&app, &path, &world.staff, "inscritos.csv", file.as_bytes()).await;
    assert_eq!(status, Status::Ok, "{again}");
    assert_eq!(again["created_participants"], 0, "{again}");
    assert_eq!(snapshot().await, after, "a second run adds nothing");
}

#[rocket::async_test]
async fn issuing_cut_off_midway_issues_and_emails_each_certificate_once_when_run_again() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("smtp_url", json!(server.url())),
    ])
    .await;
    let staff = role_token(&app, Role::Coordinator).await;
    let closed = demo_cohort(app.db(), CohortStatus::Closed).await;
    // Whatever the demo queued goes out first.
    deliver(&app).await;
    let demo_mail = server.received().len();
    let outbox_before = outbox_rows(app.db()).await.len();

    // Stopped after the first certificate (its row and its email) was written.
    cut_off_inserts(
        app.db(),
        "certificates",
        &format!(
            "(SELECT count(*) FROM certificates WHERE cohort_id = {}) >= 1",
            closed.id
        ),
    )
    .await;
    let (status, body) = issue(&app, &staff, closed.id).await;
    assert!(status.code >= 500, "{status} {body}");
    assert_eq!(
        certificate::Entity::find()
            .filter(certificate::Column::CohortId.eq(closed.id))
            .fetch_count(app.db())
            .await,
        0,
        "no certificate of the interrupted run remains"
    );
    assert_eq!(outbox_rows(app.db()).await.len(), outbox_before);
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(server.received().len(), demo_mail, "nothing was emailed");

    // Run again, then again (as an impatient coordinator would): each certificate once.
    restore_inserts(app.db(), "certificates").await;
    let (status, first) = issue(&app, &staff, closed.id).await;
    assert_eq!(status, Status::Ok, "{first}");
    let issued = json_array(&first["issued"]).len();
    assert!(issued >= 2, "{first}");
    let (status, second) = issue(&app, &staff, closed.id).await;
    assert_eq!(status, Status::Ok, "{second}");
    assert_eq!(second["issued"], json!([]), "{second}");
    assert_eq!(
        certificate::Entity::find()
            .filter(certificate::Column::CohortId.eq(closed.id))
            .fetch_count(app.db())
            .await,
        issued as u64
    );
    assert_eq!(deliver(&app).await, issued);
    assert_eq!(deliver(&app).await, 0);
    let received = server.received();
    let mut delivered: Vec<String> = received[demo_mail..]
        .iter()
        .filter_map(|m| attached_code(&m.raw))
        .collect();
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), issued, "one email per certificate");
    assert_eq!(received.len() - demo_mail, issued, "and no email twice");
}

async fn retry_after(response: &LocalResponse<'_>) -> Option<String> {
    response
        .headers()
        .get_one("Retry-After")
        .map(str::to_string)
}

/// A page and an API read, and an API write (a new token), at once: their statuses and
/// `Retry-After` headers.
async fn burst(app: &TestApp, token: &str) -> Vec<(&'static str, Status, Option<String>)> {
    let (email, password) = demo_account(Role::Instructor);
    let credentials = json!({"email": email, "password": password}).to_string();
    let page = async {
        let r = app.client.get("/cohortes").dispatch().await;
        ("page", r.status(), retry_after(&r).await)
    };
    let read = async {
        let r = app
            .client
            .get("/api/v1/cohorts")
            .header(bearer(token))
            .dispatch()
            .await;
        ("read", r.status(), retry_after(&r).await)
    };
    let write = async {
        let r = app
            .client
            .post("/api/v1/tokens")
            .header(ContentType::JSON)
            .body(credentials.clone())
            .dispatch()
            .await;
        ("write", r.status(), retry_after(&r).await)
    };
    let (a, b, c) = rocket::tokio::join!(page, read, write);
    vec![a, b, c]
}

#[rocket::async_test]
async fn the_database_out_of_reach_answers_503_with_retry_after_and_the_app_recovers() {
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("database_busy_seconds", json!(1)),
    ])
    .await;
    let token = role_token(&app, Role::Coordinator).await;
    let healthy = burst(&app, &token).await;
    assert!(
        healthy.iter().all(|(_, status, _)| status.code < 300),
        "{healthy:?}"
    );

    if postgres(app.db()) {
        // The database goes away: every connection is cut and no new one is accepted (what a
        // restart or a failover looks like from the app, for this database only).
        let url = app.database_url().to_string();
        let (server, name) = url.rsplit_once('/').unwrap();
        let admin = Database::connect(format!("{server}/postgres"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
            ))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        for _ in 0..3 {
            let down = burst(&app, &token).await;
            for (what, status, retry) in &down {
                assert_eq!(*status, Status::ServiceUnavailable, "{what}: {down:?}");
                assert_eq!(retry.as_deref(), Some("5"), "{what}: {down:?}");
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "refused at once, not after a long wait"
        );
        // Back: the same app answers again, without a restart.
        admin
            .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .await
            .unwrap();
        admin.close().await.ok();
    } else {
        // SQLite: another process holds the write lock longer than the busy timeout.
        let holder = app.db().begin().await.unwrap();
        holder
            .execute_unprepared("CREATE TABLE fault_lock (id INTEGER)")
            .await
            .unwrap();
        let locked = burst(&app, &token).await;
        for (what, status, retry) in &locked {
            if *what == "write" {
                assert_eq!(*status, Status::ServiceUnavailable, "{locked:?}");
                assert_eq!(retry.as_deref(), Some("5"), "{locked:?}");
            } else {
                assert_eq!(*status, Status::Ok, "readers never wait: {locked:?}");
            }
        }
        holder.rollback().await.unwrap();
    }
    let recovered = burst(&app, &token).await;
    assert!(
        recovered.iter().all(|(_, status, _)| status.code < 300),
        "{recovered:?}"
    );
}
