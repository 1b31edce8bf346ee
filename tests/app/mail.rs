//! The email outbox: every email is written with the change that causes it and delivered by
//! real SMTP (to a small SMTP server inside these tests) or as `.eml` files.

use crate::common::TestApp;
use crate::smtp::{SmtpServer, header, mime_parts, part, split_head, subject, unused_port};
use crate::support::Fetch;
use chrono::{Duration, Utc};
use domain::config::AppConfig;
use domain::entities::values::OutboxStatus;
use domain::entities::{outbox, setting};
use domain::mail::{self, Attachment, Email};
use domain::templates::Templates;
use rocket::local::asynchronous::Client;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};

// ---- Helpers -----------------------------------------------------------------------------

fn state(client: &Client) -> (&DatabaseConnection, &Templates, &AppConfig) {
    let rocket = client.rocket();
    (
        rocket.state::<DatabaseConnection>().expect("database"),
        rocket.state::<Templates>().expect("templates"),
        rocket.state::<AppConfig>().expect("config"),
    )
}

fn welcome(to: &str, full_name: &str) -> Email {
    Email {
        to: to.into(),
        subject: "Su cuenta en Aula Territorial está lista".into(),
        template: "welcome",
        data: json!({"full_name": full_name, "email": to}),
        attachments: Vec::new(),
        dedupe_key: None,
    }
}

/// Enqueues in its own committed transaction, as a change would.
async fn enqueue_committed(client: &Client, email: Email) -> bool {
    let (db, templates, config) = state(client);
    let txn = domain::db::begin(db).await.expect("begin");
    let queued = mail::enqueue(&txn, &mail::Notifier { templates, config }, email)
        .await
        .expect("enqueue");
    domain::db::commit(txn).await.expect("commit");
    queued
}

async fn deliver(client: &Client) -> usize {
    let (db, _, config) = state(client);
    mail::deliver_due(db, config).await.expect("deliver_due")
}

async fn rows(db: &DatabaseConnection) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .expect("outbox rows")
}

/// As if the backoff had already passed.
async fn make_due(db: &DatabaseConnection, id: i64) {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Utc::now() - Duration::seconds(1)),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("make due");
}

fn smtp_settings(url: &str) -> Vec<(&'static str, Value)> {
    vec![("smtp_url", json!(url)), ("mail_poll_seconds", json!(0))]
}

fn temp_dir(label: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("aula_{label}_{}_{nanos}", std::process::id()))
}

// ---- Tests -------------------------------------------------------------------------------

#[rocket::async_test]
async fn an_enqueued_email_reaches_the_smtp_server_with_both_parts_and_attachments() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&smtp_settings(&server.url())).await;

    let mut email = welcome("ana@example.org", "Ana Pérez");
    let calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
    email.attachments.push(Attachment {
        filename: "sesion.ics".into(),
        content_type: "text/calendar; charset=utf-8".into(),
        content: calendar.as_bytes().to_vec(),
    });
    assert!(enqueue_committed(&app.client, email).await);
    // Nothing is sent inside the change itself.
    assert!(server.received().is_empty());

    assert_eq!(deliver(&app.client).await, 1);
    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.from, "no-responder@aulaterritorial.example");
    assert_eq!(message.to, ["ana@example.org"]);
    assert_eq!(
        subject(&message.raw),
        "Su cuenta en Aula Territorial está lista"
    );
    let (headers, _) = split_head(&message.raw);
    assert!(
        header(&headers, "From")
            .unwrap()
            .contains("<no-responder@aulaterritorial.example>")
    );
    assert!(
        header(&headers, "Content-Type")
            .unwrap()
            .starts_with("multipart/mixed")
    );

    let parts = mime_parts(&message.raw);
    let text = part(&parts, "text/plain").text();
    assert!(text.contains("Hola, Ana Pérez:"), "{text}");
    assert!(text.contains("fue creada con el correo ana@example.org"));
    assert!(text.contains("http://127.0.0.1:8000/ingresar"));
    let html = part(&parts, "text/html").text();
    assert!(
        html.contains("Le damos la bienvenida a Aula Territorial"),
        "{html}"
    );
    assert!(html.contains("Aula Territorial · ESAP"));
    assert!(html.contains(r#"href="http://127.0.0.1:8000/ingresar""#));
    let ics = part(&parts, "text/calendar");
    assert_eq!(ics.body, calendar.as_bytes());
    assert!(
        header(&ics.headers, "Content-Disposition")
            .unwrap()
            .contains("sesion.ics")
    );

    let row = &rows(app.db()).await[0];
    assert_eq!(row.status, OutboxStatus::Sent);
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());
    // Sent rows are not sent again.
    assert_eq!(deliver(&app.client).await, 0);
    assert_eq!(server.received().len(), 1);
}

#[rocket::async_test]
async fn a_mail_server_that_is_down_delays_mail_and_loses_none_across_a_restart() {
    let port = unused_port().await;
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::with_config(&smtp_settings(&url)).await;
    assert!(enqueue_committed(&app.client, welcome("ana@example.org", "Ana")).await);
    assert!(enqueue_committed(&app.client, welcome("beto@example.org", "Beto")).await);

    // Nobody listens: the attempt is recorded and backed off; the pass stops there instead
    // of trying every row against a dead server.
    let before = Utc::now();
    assert_eq!(deliver(&app.client).await, 0);
    let [ana, beto] = <[_; 2]>::try_from(rows(app.db()).await).unwrap();
    assert_eq!(ana.status, OutboxStatus::Pending);
    assert_eq!(ana.attempts, 1);
    assert!(ana.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(ana.next_attempt_at >= before + Duration::seconds(29));
    assert_eq!(beto.attempts, 0);

    // The next pass respects Ana's backoff and tries Beto.
    assert_eq!(deliver(&app.client).await, 0);
    let [ana, beto] = <[_; 2]>::try_from(rows(app.db()).await).unwrap();
    assert_eq!((ana.attempts, beto.attempts), (1, 1));
    assert!(beto.last_error.is_some());

    // The server comes back; nothing is sent before the backoff ends…
    let server = SmtpServer::start_on(port).await;
    assert_eq!(deliver(&app.client).await, 0);
    assert!(server.received().is_empty());
    // …and then Ana's email goes out.
    make_due(app.db(), ana.id).await;
    assert_eq!(deliver(&app.client).await, 1);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["ana@example.org"]);
    let ana = outbox::Entity::find_by_id(ana.id)
        .expect_one(app.db())
        .await;
    assert_eq!(ana.status, OutboxStatus::Sent);
    assert_eq!(ana.attempts, 2);

    // The app stops (its connections close) and a new instance starts on the same database,
    // with the background worker on: Beto's email, still pending, goes out without a call.
    app.db()
        .clone()
        .close()
        .await
        .expect("close the first instance");
    let restarted = app
        .another_instance(&[("smtp_url", json!(url)), ("mail_poll_seconds", json!(1))])
        .await;
    let (db, _, _) = state(&restarted);
    make_due(db, beto.id).await;
    let received = server.wait_for(2, 15).await;
    assert_eq!(received.len(), 2, "Beto's email after the restart");
    assert_eq!(received[1].to, ["beto@example.org"]);
    // The worker marks a row once the server has accepted it, and only then sends the next
    // one: once an email queued now has arrived too, Beto's row is recorded.
    assert!(enqueue_committed(&restarted, welcome("carla@example.org", "Carla")).await);
    let received = server.wait_for(3, 15).await;
    assert_eq!(received.len(), 3, "the email queued after the restart");
    assert_eq!(received[2].to, ["carla@example.org"]);
    let beto = outbox::Entity::find_by_id(beto.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(beto.status, OutboxStatus::Sent);
    assert_eq!(beto.attempts, 2);
    // Nothing was sent twice: another pass over the outbox finds nothing left to send, and
    // the server got each of the three emails once.
    assert_eq!(deliver(&restarted).await, 0);
    let recipients: Vec<Vec<String>> = server.received().into_iter().map(|m| m.to).collect();
    assert_eq!(
        recipients,
        [
            ["ana@example.org"],
            ["beto@example.org"],
            ["carla@example.org"]
        ]
    );
}

#[rocket::async_test]
async fn the_background_worker_sends_without_being_asked() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&[
        ("smtp_url", json!(server.url())),
        ("mail_poll_seconds", json!(1)),
    ])
    .await;
    assert!(enqueue_committed(&app.client, welcome("ana@example.org", "Ana")).await);

    let received = server.wait_for(1, 10).await;
    assert_eq!(received.len(), 1, "the worker delivered within 10 s");
    assert_eq!(received[0].to, ["ana@example.org"]);
    // The row is marked right after the server accepts the message: once the worker has
    // delivered the next email (it sends and marks one row after another), Ana's row is sent.
    assert!(enqueue_committed(&app.client, welcome("beto@example.org", "Beto")).await);
    let received = server.wait_for(2, 10).await;
    assert_eq!(received.len(), 2, "the worker delivered the next email too");
    assert_eq!(received[1].to, ["beto@example.org"]);
    assert_eq!(rows(app.db()).await[0].status, OutboxStatus::Sent);
}

#[rocket::async_test]
async fn a_dedupe_key_writes_and_sends_an_email_once() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&smtp_settings(&server.url())).await;
    let keyed = || {
        let mut email = welcome("ana@example.org", "Ana");
        email.dedupe_key = Some("recordatorio:sesion:7:inscripcion:3".into());
        email
    };
    assert!(enqueue_committed(&app.client, keyed()).await);
    assert!(!enqueue_committed(&app.client, keyed()).await);

    // Also inside one transaction, which stays usable after the skipped insert (PostgreSQL
    // would abort the transaction on a unique violation).
    let (db, templates, config) = state(&app.client);
    let txn = domain::db::begin(db).await.unwrap();
    assert!(
        !mail::enqueue(&txn, &mail::Notifier { templates, config }, keyed())
            .await
            .unwrap()
    );
    assert!(
        mail::enqueue(
            &txn,
            &mail::Notifier { templates, config },
            welcome("beto@example.org", "Beto")
        )
        .await
        .unwrap()
    );
    domain::db::commit(txn).await.unwrap();

    let rows = rows(app.db()).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows.iter()
            .filter(|r| r.dedupe_key.as_deref() == Some("recordatorio:sesion:7:inscripcion:3"))
            .count(),
        1
    );
    assert_eq!(deliver(&app.client).await, 2);
    let mut recipients: Vec<String> = server.received().into_iter().flat_map(|m| m.to).collect();
    recipients.sort();
    assert_eq!(recipients, ["ana@example.org", "beto@example.org"]);
    // Once sent, the key still holds.
    assert!(!enqueue_committed(&app.client, keyed()).await);
}

#[rocket::async_test]
async fn an_email_goes_with_its_change_or_not_at_all() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&smtp_settings(&server.url())).await;
    let (db, templates, config) = state(&app.client);
    let change = |key: &str| setting::ActiveModel {
        key: Set(key.into()),
        value: Set("1".into()),
        updated_at: Set(Utc::now()),
    };

    // The change fails later in the same transaction: no email either.
    let txn = db.begin().await.unwrap();
    setting::Entity::insert(change("prueba.revertida"))
        .exec(&txn)
        .await
        .unwrap();
    assert!(
        mail::enqueue(
            &txn,
            &mail::Notifier { templates, config },
            welcome("ana@example.org", "Ana")
        )
        .await
        .unwrap()
    );
    txn.rollback().await.unwrap();
    assert_eq!(outbox::Entity::find().count(db).await.unwrap(), 0);
    // (`settings` also holds the cookie secret the app keeps there.)
    let reverted = setting::Entity::find()
        .filter(setting::Column::Key.eq("prueba.revertida"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(reverted, 0);
    assert_eq!(deliver(&app.client).await, 0);

    // Committed: both.
    let txn = domain::db::begin(db).await.unwrap();
    setting::Entity::insert(change("prueba.confirmada"))
        .exec(&txn)
        .await
        .unwrap();
    assert!(
        mail::enqueue(
            &txn,
            &mail::Notifier { templates, config },
            welcome("beto@example.org", "Beto")
        )
        .await
        .unwrap()
    );
    domain::db::commit(txn).await.unwrap();
    assert_eq!(outbox::Entity::find().count(db).await.unwrap(), 1);
    assert_eq!(deliver(&app.client).await, 1);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["beto@example.org"]);
}

#[rocket::async_test]
async fn without_smtp_emails_are_written_as_eml_files() {
    let dir = temp_dir("correo");
    let mail_dir = dir.join("mail");
    let app = TestApp::with_config(&[
        ("smtp_url", json!("")),
        ("mail_dir", json!(mail_dir.to_string_lossy())),
        ("mail_poll_seconds", json!(0)),
        ("public_url", json!("https://aula.example.gov.co")),
    ])
    .await;
    let reset_url = "https://aula.example.gov.co/clave/nueva?token=abc123";
    let email = Email {
        to: "ana@example.org".into(),
        subject: "Restablecer su contraseña de Aula Territorial".into(),
        template: "password_reset",
        data: json!({"full_name": "Ana Pérez", "reset_url": reset_url, "valid_minutes": 30}),
        attachments: Vec::new(),
        dedupe_key: None,
    };
    assert!(enqueue_committed(&app.client, email).await);
    assert_eq!(deliver(&app.client).await, 1);

    let files: Vec<_> = std::fs::read_dir(&mail_dir)
        .expect("mail_dir was created")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        subject(&raw),
        "Restablecer su contraseña de Aula Territorial"
    );
    let parts = mime_parts(&raw);
    let text = part(&parts, "text/plain").text();
    assert!(text.contains(reset_url), "{text}");
    assert!(text.contains("sirve una sola vez y vence en 30 minutos"));
    assert!(text.contains("Si usted no pidió restablecer su contraseña, ignore este mensaje"));
    // handlebars escapes `=` in links as `&#x3D;`, which browsers read as `=`.
    let html = part(&parts, "text/html").text().replace("&#x3D;", "=");
    assert!(html.contains(r#"href="https://aula.example.gov.co/clave/nueva?token=abc123""#));
    assert!(html.contains(r#"<a href="https://aula.example.gov.co""#));
    assert_eq!(rows(app.db()).await[0].status, OutboxStatus::Sent);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}

#[rocket::async_test]
async fn a_permanent_rejection_fails_the_email_and_a_temporary_one_retries() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&smtp_settings(&server.url())).await;
    for to in [
        "rechazo-permanente@example.org",
        "rechazo-temporal@example.org",
        "ana@example.org",
    ] {
        assert!(enqueue_committed(&app.client, welcome(to, "Persona")).await);
    }
    let before = Utc::now();
    assert_eq!(deliver(&app.client).await, 1);
    let [permanent, temporary, ana] = <[_; 3]>::try_from(rows(app.db()).await).unwrap();

    assert_eq!(permanent.status, OutboxStatus::Failed);
    assert_eq!(permanent.attempts, 1);
    assert!(permanent.last_error.as_deref().unwrap().contains("550"));
    assert_eq!(temporary.status, OutboxStatus::Pending);
    assert_eq!(temporary.attempts, 1);
    assert!(temporary.last_error.as_deref().unwrap().contains("451"));
    assert!(temporary.next_attempt_at >= before + Duration::seconds(29));
    assert_eq!(ana.status, OutboxStatus::Sent);
    assert_eq!(server.received().len(), 1);

    // Failed emails wait for a person; an administrator may queue one again.
    make_due(app.db(), permanent.id).await;
    assert_eq!(deliver(&app.client).await, 0);
    assert!(mail::retry(app.db(), permanent.id).await.unwrap());
    assert!(!mail::retry(app.db(), ana.id).await.unwrap());
    let again = outbox::Entity::find_by_id(permanent.id)
        .expect_one(app.db())
        .await;
    assert_eq!(again.status, OutboxStatus::Pending);
    assert_eq!(deliver(&app.client).await, 0);
    let again = outbox::Entity::find_by_id(permanent.id)
        .expect_one(app.db())
        .await;
    assert_eq!((again.status, again.attempts), (OutboxStatus::Failed, 2));
}

#[rocket::async_test]
async fn two_instances_on_one_database_never_send_the_same_email() {
    let server = SmtpServer::start().await;
    let app = TestApp::with_config(&smtp_settings(&server.url())).await;
    let other = app.another_instance(&smtp_settings(&server.url())).await;
    for n in 0..8 {
        let to = format!("persona{n}@example.org");
        assert!(enqueue_committed(&app.client, welcome(&to, "Persona")).await);
    }
    let (first, second) = tokio::join!(deliver(&app.client), deliver(&other));
    assert_eq!(first + second, 8, "{first} + {second}");
    let mut recipients: Vec<String> = server.received().into_iter().flat_map(|m| m.to).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 8);
    assert_eq!(server.received().len(), 8);
    assert!(
        rows(app.db())
            .await
            .iter()
            .all(|r| r.status == OutboxStatus::Sent && r.attempts == 1)
    );
}
