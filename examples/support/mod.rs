//! What every benchmark needs: the app on a fresh database (SQLite in a temporary folder, or
//! `BENCH_DATABASE_URL`), a token, and names made of letters.

// Each benchmark program compiles its own copy and uses only part of it.
#![allow(dead_code)]

use rocket::http::ContentType;
use rocket::local::asynchronous::Client;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Runs a benchmark on two worker threads (the machine the numbers are recorded on).
pub fn block_on<F: std::future::Future>(work: F) -> F::Output {
    rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(work)
}

/// The benchmark's app, its database and the folder to remove at the end.
pub struct Bench {
    pub client: Client,
    pub db: DatabaseConnection,
    pub dir: PathBuf,
}

/// Builds the app exactly as `serve` does, with the demo data and without background work, on
/// a fresh database in a temporary folder.
pub async fn start(label: &str) -> Bench {
    let dir = std::env::temp_dir().join(format!("aula-bench-{label}-{}", std::process::id()));
    start_at(&dir).await
}

/// The same on the SQLite file `aula.db` in `dir`, which may already hold data (or on
/// `BENCH_DATABASE_URL`).
pub async fn start_at(dir: &std::path::Path) -> Bench {
    std::fs::create_dir_all(dir).expect("benchmark folder");
    let dir = dir.to_path_buf();
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/aula.db", dir.display()));
    let figment = aula_territorial::config::figment()
        .merge(("database_url", url.clone()))
        .merge(("demo_data", true))
        .merge(("mail_poll_seconds", 0))
        .merge(("jobs_poll_seconds", 0))
        .merge(("log_level", "off"));
    let client = Client::untracked(aula_territorial::build(figment).await.expect("app"))
        .await
        .expect("client");
    let db = client
        .rocket()
        .state::<DatabaseConnection>()
        .expect("db")
        .clone();
    println!(
        "database: {}",
        if url.starts_with("sqlite") {
            "SQLite (file, WAL)"
        } else {
            "PostgreSQL"
        }
    );
    Bench { client, db, dir }
}

/// The country's scale a benchmark runs at: `BENCH_SCALE`, or `default`.
pub fn scale(default: f64) -> f64 {
    std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The app on the synthetic country at `scale` (with the demo data and its accounts): a SQLite
/// file kept in `target/bench-national-<scale>/` (`BENCH_FRESH=1` starts over), or
/// `BENCH_DATABASE_URL`, which must exist. The country is generated on the first run only.
pub async fn national(scale: f64) -> Bench {
    use domain::entities::participant;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(format!("bench-national-{scale}"));
    if std::env::var("BENCH_FRESH").is_ok() {
        std::fs::remove_dir_all(&folder).ok();
    }
    let bench = start_at(&folder).await;
    let synthetic = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.starts_with(domain::synthetic::PREFIX))
        .count(&bench.db)
        .await
        .expect("count");
    if synthetic == 0 {
        let started = std::time::Instant::now();
        let s = domain::synthetic::generate(&bench.db, scale, 2026)
            .await
            .expect("synthetic data");
        println!(
            "generate national data (scale {scale}): {:.1} s — {} participants, {} cohorts, {} sessions, {} enrolments, {} marks, {} certificates",
            started.elapsed().as_secs_f64(),
            s.participants,
            s.cohorts,
            s.sessions,
            s.enrolments,
            s.marks,
            s.certificates
        );
    }
    bench
}

/// A name made of letters only (names may not contain digits).
pub fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

pub async fn token(client: &Client, email: &str, password: &str) -> String {
    let response = client
        .post("/api/v1/tokens")
        .header(ContentType::JSON)
        .body(json!({"email": email, "password": password}).to_string())
        .dispatch()
        .await;
    let body: Value = response.into_json().await.expect("token");
    body["token"].as_str().expect("token").to_string()
}
