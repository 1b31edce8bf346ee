#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: failing loudly is its error handling
//! Enrolment benchmarks (issue 5): importing 10,000 rows (dry run and real) and 200
//! concurrent enrolment requests for the last seats, against a fresh database.
//!
//! `cargo run --release --example bench_enrolment` (SQLite in a temporary folder), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench` (an empty database).
//! Prints one line per measurement; results and the machine are recorded in BENCHMARKS.md.

mod support;

use domain::accounts::{passwords, sign_in};
use domain::entities::values::{DocumentType, Role};
use domain::entities::{participant, user};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::{Value, json};
use std::time::Instant;

const ROWS: usize = 10_000;
const CONCURRENT: usize = 200;
const BOUNDARY: &str = "----bench";

fn main() {
    support::block_on(run());
}

async fn run() {
    let support::Bench { client, db, dir } = support::start("enrolment").await;

    let staff = support::token(
        &client,
        "coordinacion@aulaterritorial.example",
        "Coordina-Aula-2026",
    )
    .await;

    // 1. Import 10,000 rows into a national cohort with 6,000 seats.
    let cohort = new_cohort(&client, &staff, 6_000).await;
    let mut csv = String::from(
        "tipo_documento;numero_documento;nombres;apellidos;correo;codigo_dane;tipo_entidad;nivel\n",
    );
    for n in 0..ROWS {
        csv.push_str(&format!(
            "CC;{};Persona {};Núñez;p{n}@example.org;{};alcaldia;tecnico\n",
            80_000_000 + n,
            support::letters(n),
            ["18256", "5001", "50325", "11001"][n % 4]
        ));
    }
    let path = format!("/api/v1/cohorts/{cohort}/enrolments/import");
    let started = Instant::now();
    let (status, body) = upload(
        &client,
        &format!("{path}?dry_run=true"),
        &staff,
        csv.as_bytes(),
    )
    .await;
    assert_eq!(
        status,
        Status::Ok,
        "{}",
        &body.to_string()[..body.to_string().len().min(500)]
    );
    println!(
        "import {ROWS} rows, dry run: {:.2} s ({} would enrol, {} wait)",
        started.elapsed().as_secs_f64(),
        body["enrolled"],
        body["waitlisted"]
    );
    let started = Instant::now();
    let (status, body) = upload(&client, &path, &staff, csv.as_bytes()).await;
    assert_eq!(
        status,
        Status::Ok,
        "{}",
        &body.to_string()[..body.to_string().len().min(500)]
    );
    println!(
        "import {ROWS} rows, real:    {:.2} s ({} enrolled, {} waitlisted, {} new people)",
        started.elapsed().as_secs_f64(),
        body["enrolled"],
        body["waitlisted"],
        body["created_participants"]
    );

    // 2. 200 participants ask at once for 20 seats.
    let cohort = new_cohort(&client, &staff, 20).await;
    let hash = passwords::hash("Clave-segura-2026").await.expect("hash");
    let mut tokens = Vec::with_capacity(CONCURRENT);
    for n in 0..CONCURRENT {
        tokens.push(participant_token(&db, &hash, n).await);
    }
    let started = Instant::now();
    let requests = tokens.iter().map(|t| {
        let client = &client;
        async move {
            let begun = Instant::now();
            let response = client
                .post(format!("/api/v1/cohorts/{cohort}/enrolments"))
                .header(Header::new("Authorization", format!("Bearer {t}")))
                .dispatch()
                .await;
            (response.status(), begun.elapsed())
        }
    });
    let results = rocket::futures::future::join_all(requests).await;
    let total = started.elapsed();
    let mut latencies: Vec<f64> = results
        .iter()
        .map(|(_, d)| d.as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let created = results
        .iter()
        .filter(|(s, _)| *s == Status::Created)
        .count();
    let (_, view) = api(&client, "GET", &format!("/api/v1/cohorts/{cohort}"), &staff).await;
    println!(
        "{CONCURRENT} concurrent enrolments: {:.2} s total, {:.0} req/s, latency p50 {:.0} ms, p99 {:.0} ms; {created} created, {} enrolled, {} waitlisted (seats 20)",
        total.as_secs_f64(),
        CONCURRENT as f64 / total.as_secs_f64(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        view["enrolled"],
        view["waitlisted"]
    );
    // Leftovers of a benchmark are harmless: a failed clean-up only leaves a temporary folder.
    std::fs::remove_dir_all(dir).ok();
}

async fn api(client: &Client, method: &str, path: &str, token: &str) -> (Status, Value) {
    let request = match method {
        "GET" => client.get(path.to_string()),
        _ => client.post(path.to_string()),
    };
    let response = request
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

async fn new_cohort(client: &Client, staff: &str, seats: i64) -> i64 {
    let today = domain::time::today();
    let body = json!({
        "course_id": 1, "name": format!("Cohorte de carga {seats}"), "modality": "virtual", "meeting_url": "https://sala.example.org/x",
        "start_date": today.to_string(), "end_date": (today + chrono::Duration::days(30)).to_string(),
        "enrolment_opens": today.to_string(), "enrolment_closes": (today + chrono::Duration::days(5)).to_string(), "seats": seats,
    });
    let auth = Header::new("Authorization", format!("Bearer {staff}"));
    let created: Value = client
        .post("/api/v1/cohorts")
        .header(auth.clone())
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch()
        .await
        .into_json()
        .await
        .expect("cohort");
    let id = created["id"].as_i64().expect("cohort id");
    let day = (today + chrono::Duration::days(2)).to_string();
    let session = json!({"starts_at": format!("{day}T14:00:00-05:00"), "ends_at": format!("{day}T17:00:00-05:00"), "topic": "Sesión 1"});
    client
        .post(format!("/api/v1/cohorts/{id}/sessions"))
        .header(auth.clone())
        .header(ContentType::JSON)
        .body(session.to_string())
        .dispatch()
        .await;
    client
        .patch(format!("/api/v1/cohorts/{id}"))
        .header(auth)
        .header(ContentType::JSON)
        .body(json!({"status": "open"}).to_string())
        .dispatch()
        .await;
    id
}

async fn upload(client: &Client, path: &str, token: &str, bytes: &[u8]) -> (Status, Value) {
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"carga.csv\"\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = client
        .post(path.to_string())
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY)))
        .body(body)
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

async fn participant_token(db: &DatabaseConnection, hash: &str, n: usize) -> String {
    let at = domain::time::now();
    let account = user::ActiveModel {
        email: Set(format!("carga{n}@example.org")),
        password_hash: Set(hash.to_string()),
        full_name: Set(format!("Carga {n}")),
        role: Set(Role::Participant),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user");
    participant::ActiveModel {
        user_id: Set(Some(account.id)),
        document_type: Set(DocumentType::Cc),
        document_number: Set(format!("{}", 90_000_000 + n)),
        first_names: Set("Carga".into()),
        last_names: Set(format!("{n}")),
        email: Set(Some(format!("carga{n}@example.org"))),
        municipality_code: Set("18094".into()),
        entity_type: Set("alcaldia".into()),
        level: Set("tecnico".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("participant");
    sign_in::issue_token(db, account.id).await.expect("token").0
}
