#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: failing loudly is its error handling
//! Certificate benchmarks (issue 7): issuing 1,000 certificates (each rendered to PDF for its
//! email) and public verification requests per second under concurrent load.
//!
//! `cargo run --release --example bench_certificates` (SQLite in a temporary folder), or with
//! `BENCH_DATABASE_URL=postgres://…/aula_bench` (an empty database).

mod support;

use domain::entities::values::{DocumentType, EnrolmentStatus, Mark, MarkSource};
use domain::entities::{attendance_mark, enrolment, participant};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde_json::{Value, json};
use std::time::Instant;

const CERTIFICATES: usize = 1_000;
const CLIENTS: usize = 32;
const REQUESTS: usize = 4_000;

fn main() {
    support::block_on(run());
}

async fn run() {
    let support::Bench { client, db, dir } = support::start("cert").await;
    let staff = support::token(
        &client,
        "coordinacion@aulaterritorial.example",
        "Coordina-Aula-2026",
    )
    .await;
    let auth = Header::new("Authorization", format!("Bearer {staff}"));

    // A cohort that ran yesterday, with one session everybody attended.
    let today = domain::time::today();
    let yesterday = today - chrono::Duration::days(1);
    let body = json!({"course_id": 1, "name": "Cohorte de certificados", "modality": "virtual", "meeting_url": "https://sala.example.org/c",
        "start_date": yesterday.to_string(), "end_date": today.to_string(), "enrolment_opens": yesterday.to_string(),
        "enrolment_closes": yesterday.to_string(), "seats": CERTIFICATES});
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
    let cohort = created["id"].as_i64().expect("id") as i32;
    let session = json!({"starts_at": format!("{yesterday}T10:00:00-05:00"), "ends_at": format!("{yesterday}T12:00:00-05:00"), "topic": "Única"});
    let session: Value = client
        .post(format!("/api/v1/cohorts/{cohort}/sessions"))
        .header(auth.clone())
        .header(ContentType::JSON)
        .body(session.to_string())
        .dispatch()
        .await
        .into_json()
        .await
        .expect("session");
    let session_id = session["id"].as_i64().expect("session id") as i32;
    for status in ["open", "in_progress"] {
        client
            .patch(format!("/api/v1/cohorts/{cohort}"))
            .header(auth.clone())
            .header(ContentType::JSON)
            .body(json!({"status": status}).to_string())
            .dispatch()
            .await;
    }
    people(&db, cohort, session_id).await;
    let (status, _) = patch_status(&client, &auth, cohort, "closed").await;
    assert_eq!(status, Status::Ok);

    let started = Instant::now();
    let response = client
        .post(format!("/api/v1/cohorts/{cohort}/certificates"))
        .header(auth.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.expect("issued");
    let issued = body["issued"].as_array().expect("issued").len();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "issue {issued} certificates (snapshot + PDF for each email): {elapsed:.2} s, {:.1} ms each",
        elapsed * 1000.0 / issued as f64
    );
    let codes: Vec<String> = body["issued"]
        .as_array()
        .expect("issued")
        .iter()
        .map(|c| c["code"].as_str().expect("code").to_string())
        .collect();

    // Public verification page, CLIENTS concurrent clients.
    let started = Instant::now();
    let per_client = REQUESTS / CLIENTS;
    let workers = (0..CLIENTS).map(|w| {
        let (client, codes) = (&client, &codes);
        async move {
            let mut latencies = Vec::with_capacity(per_client);
            for n in 0..per_client {
                let code = &codes[(w * per_client + n) % codes.len()];
                let begun = Instant::now();
                let response = client.get(format!("/verificar/{code}")).dispatch().await;
                assert_eq!(response.status(), Status::Ok);
                let _ = response.into_bytes().await;
                latencies.push(begun.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }
    });
    let mut latencies: Vec<f64> = rocket::futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let total = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!(
        "verification page, {CLIENTS} concurrent clients: {} requests in {total:.2} s = {:.0} req/s; p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        latencies.len() as f64 / total,
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
    // The floor: a static route on the same client.
    let started = Instant::now();
    for _ in 0..REQUESTS {
        let _ = client
            .get("/static/app.css")
            .dispatch()
            .await
            .into_bytes()
            .await;
    }
    println!(
        "floor, static stylesheet: {:.0} req/s (sequential)",
        REQUESTS as f64 / started.elapsed().as_secs_f64()
    );
    // Leftovers of a benchmark are harmless: a failed clean-up only leaves a temporary folder.
    std::fs::remove_dir_all(dir).ok();
}

async fn patch_status(
    client: &Client,
    auth: &Header<'static>,
    cohort: i32,
    status: &str,
) -> (Status, Value) {
    let response = client
        .patch(format!("/api/v1/cohorts/{cohort}"))
        .header(auth.clone())
        .header(ContentType::JSON)
        .body(json!({"status": status}).to_string())
        .dispatch()
        .await;
    let status = response.status();
    (status, response.into_json().await.unwrap_or(Value::Null))
}

/// CERTIFICATES people enrolled and present at the session, written directly.
async fn people(db: &DatabaseConnection, cohort: i32, session: i32) {
    let at = domain::time::now();
    for n in 0..CERTIFICATES {
        let person = participant::Entity::insert(participant::ActiveModel {
            document_type: Set(DocumentType::Cc),
            document_number: Set(format!("{}", 60_000_000 + n)),
            first_names: Set("Ñuño Ángel".into()),
            last_names: Set(format!("Güiza Peña {}", support::letters(n))),
            email: Set(Some(format!("c{n}@example.org"))),
            municipality_code: Set("18094".into()),
            entity_type: Set("alcaldia".into()),
            level: Set("tecnico".into()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(db)
        .await
        .expect("participant")
        .last_insert_id;
        let row = enrolment::Entity::insert(enrolment::ActiveModel {
            cohort_id: Set(cohort),
            participant_id: Set(person),
            status: Set(EnrolmentStatus::Enrolled),
            municipality_code: Set("18094".into()),
            entity_type: Set("alcaldia".into()),
            eligibility_override: Set(false),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(db)
        .await
        .expect("enrolment")
        .last_insert_id;
        attendance_mark::Entity::insert(attendance_mark::ActiveModel {
            session_id: Set(session),
            enrolment_id: Set(row),
            status: Set(Mark::Presente),
            source: Set(MarkSource::Manual),
            recorded_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await
        .expect("mark");
    }
}
