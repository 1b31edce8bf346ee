#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: failing loudly is its error handling
//! National-scale benchmarks (issue 8): the synthetic national data, the attendance report of
//! the largest department (Antioquia) as JSON and as Excel beside a writing floor, peak memory,
//! and pages at the 99th percentile with 32 concurrent clients beside a static-route floor.
//!
//! ```sh
//! export ROCKET_SECRET_KEY=$(openssl rand -base64 32)
//! cargo run --release --example bench_reports                 # SQLite file, scale 1
//! BENCH_SCALE=0.1 cargo run --release --example bench_reports # a tenth of the country
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_national \
//!     cargo run --release --example bench_reports
//! ```
//!
//! The SQLite database is kept in `target/bench-national-<scale>/` so that later runs measure
//! without generating again (`BENCH_FRESH=1` starts over). A PostgreSQL database must exist;
//! it is filled on the first run.

mod support;

use calamine::{Data, Reader, Xlsx};
use domain::accounts::{self, NewUser};
use domain::entities::values::Role;
use domain::entities::{
    attendance_mark, certificate, cohort, cohort_municipality, enrolment, participant, user,
};
use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::time::Instant;

const CLIENTS: usize = 32;
const PER_CLIENT: usize = 25;
const BUDGET: std::time::Duration = std::time::Duration::from_secs(20);
const ANTIOQUIA: &str = "05";

fn main() {
    support::block_on(run());
}

async fn run() {
    let scale = support::scale(1.0);
    let support::Bench { client, db, .. } = support::national(scale).await;

    println!(
        "database holds: {} participants, {} cohorts, {} enrolments, {} marks, {} certificates",
        participant::Entity::find().count(&db).await.expect("count"),
        cohort::Entity::find().count(&db).await.expect("count"),
        enrolment::Entity::find().count(&db).await.expect("count"),
        attendance_mark::Entity::find()
            .count(&db)
            .await
            .expect("count"),
        certificate::Entity::find().count(&db).await.expect("count"),
    );

    let coordinator = support::token(
        &client,
        "coordinacion@aulaterritorial.example",
        "Coordina-Aula-2026",
    )
    .await;
    let auth = Auth::Bearer(Header::new(
        "Authorization",
        format!("Bearer {coordinator}"),
    ));

    // `BENCH_PAGES=municipality` measures only the pages whose label contains the text (for
    // profiling one page); then the reports are skipped.
    let only_pages = std::env::var("BENCH_PAGES").ok();
    if only_pages.is_none() {
        reports(&client, &auth).await;
    }
    pages(&client, &db, only_pages.as_deref()).await;
}

async fn reports(client: &Client, auth: &Auth) {
    // The attendance report of Antioquia, JSON (the whole report is computed for every page).
    let path = format!("/api/v1/reports/attendance?department={ANTIOQUIA}&per_page=500");
    let (json_ms, body) = timed_get(client, &path, auth, 7).await;
    let report: serde_json::Value = serde_json::from_slice(&body).expect("json");
    println!(
        "Antioquia attendance report, JSON: median {:.0} ms, max {:.0} ms ({} rows municipality × cohort)",
        median(&json_ms),
        max(&json_ms),
        report["total"]
    );

    // The same report as Excel, its peak memory, and the floor: the very same cells written by
    // rust_xlsxwriter from memory.
    let path = format!("/api/v1/reports/attendance.xlsx?department={ANTIOQUIA}");
    reset_peak_memory();
    let (xlsx_ms, bytes) = timed_get(client, &path, auth, 3).await;
    let peak = peak_memory_mb();
    let sheets = read_back(&bytes);
    let cells: usize = sheets
        .iter()
        .map(|(_, rows)| rows.len() * width(rows))
        .sum();
    let floor_ms: Vec<f64> = (0..3).map(|_| write_floor(&sheets)).collect();
    println!(
        "Antioquia attendance report, .xlsx: median {:.0} ms, max {:.0} ms, {} KiB, {} sheets, {} cells; floor (same cells, rust_xlsxwriter from memory) {:.0} ms → {:.2}× the floor; peak memory of the process {:.0} MB",
        median(&xlsx_ms),
        max(&xlsx_ms),
        bytes.len() / 1024,
        sheets.len(),
        cells,
        median(&floor_ms),
        median(&xlsx_ms) / median(&floor_ms),
        peak
    );
}

/// Pages, 32 concurrent clients each, beside the floor of a static route.
async fn pages(client: &Client, db: &sea_orm::DatabaseConnection, only: Option<&str>) {
    let reviewer = antioquia_reviewer(db).await;
    let coordinator_cookie = sign_in(
        client,
        "coordinacion@aulaterritorial.example",
        "Coordina-Aula-2026",
    )
    .await;
    let reviewer_cookie = sign_in(client, &reviewer.0, &reviewer.1).await;
    let roster_cohort = cohort_municipality::Entity::find()
        .filter(cohort_municipality::Column::MunicipalityCode.eq("05001"))
        .order_by_asc(cohort_municipality::Column::CohortId)
        .one(db)
        .await
        .expect("cohort")
        .map(|c| c.cohort_id)
        .unwrap_or(1);
    let pages: Vec<(&str, String, &Auth)> = vec![
        (
            "roster of a cohort",
            format!("/cohortes/{roster_cohort}/inscritos"),
            &coordinator_cookie,
        ),
        (
            "cohort page (public)",
            format!("/cohortes/{roster_cohort}"),
            &coordinator_cookie,
        ),
        (
            "cohort workspace",
            format!("/coordinacion/cohortes/{roster_cohort}"),
            &coordinator_cookie,
        ),
        (
            "municipality page, Medellín",
            "/municipios/05001".into(),
            &coordinator_cookie,
        ),
        (
            "coordinator dashboard (national)",
            "/".into(),
            &coordinator_cookie,
        ),
        (
            "reviewer dashboard (Antioquia)",
            "/".into(),
            &reviewer_cookie,
        ),
        (
            "reports page (Antioquia reviewer)",
            "/reportes".into(),
            &reviewer_cookie,
        ),
        (
            "capacity grid (Antioquia reviewer)",
            "/reportes/capacidades".into(),
            &reviewer_cookie,
        ),
    ];
    let floor = concurrent(client, "/static/app.css", &coordinator_cookie).await;
    println!(
        "floor, static stylesheet: {CLIENTS} clients, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
        floor.per_second, floor.p50, floor.p99
    );
    for (label, path, cookie) in pages
        .iter()
        .filter(|(label, _, _)| only.is_none_or(|o| label.contains(o)))
    {
        let r = concurrent(client, path, cookie).await;
        println!(
            "{label} ({path}): {CLIENTS} clients, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms{}",
            r.per_second,
            r.p50,
            r.p99,
            if r.p99 < 100.0 {
                ""
            } else {
                "  ← over 100 ms"
            }
        );
    }
}

async fn timed_get(client: &Client, path: &str, auth: &Auth, runs: usize) -> (Vec<f64>, Vec<u8>) {
    // One warm-up run, not counted.
    let mut body = get(client, path, auth).await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        body = get(client, path, auth).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    (times, body)
}

/// Who asks: an API token or a browser session.
#[derive(Clone)]
enum Auth {
    Bearer(Header<'static>),
    Session(Cookie<'static>),
}

async fn get(client: &Client, path: &str, auth: &Auth) -> Vec<u8> {
    let request = client.get(path.to_string());
    let request = match auth {
        Auth::Bearer(header) => request.header(header.clone()),
        Auth::Session(cookie) => request.cookie(cookie.clone()),
    };
    let response = request.dispatch().await;
    assert_eq!(response.status(), Status::Ok, "{path}");
    response.into_bytes().await.unwrap_or_default()
}

struct Load {
    per_second: f64,
    p50: f64,
    p99: f64,
}

async fn concurrent(client: &Client, path: &str, header: &Auth) -> Load {
    let _ = get(client, path, header).await;
    let started = Instant::now();
    let workers = (0..CLIENTS).map(|_| async move {
        let mut latencies = Vec::with_capacity(PER_CLIENT);
        for _ in 0..PER_CLIENT {
            // Slow pages get a time budget instead of every request.
            if started.elapsed() > BUDGET {
                break;
            }
            let begun = Instant::now();
            let _ = get(client, path, header).await;
            latencies.push(begun.elapsed().as_secs_f64() * 1000.0);
        }
        latencies
    });
    let mut latencies: Vec<f64> = rocket::futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let total = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Load {
        per_second: latencies.len() as f64 / total,
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
    }
}

/// Signs in through the page (CSRF included) and returns the session cookie.
async fn sign_in(client: &Client, email: &str, password: &str) -> Auth {
    let form = client.get("/ingresar").dispatch().await;
    let csrf_cookie = form
        .cookies()
        .get(aula_territorial::web::csrf::CSRF_COOKIE)
        .expect("csrf cookie")
        .value()
        .to_string();
    let html = form.into_string().await.unwrap_or_default();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    let token = &html[start..start + html[start..].find('"').expect("end")];
    let body = format!(
        "csrf_token={}&email={}&password={}",
        urlencoding(token),
        urlencoding(email),
        urlencoding(password)
    );
    let response = client
        .post("/ingresar")
        .header(ContentType::Form)
        .cookie(Cookie::new(
            aula_territorial::web::csrf::CSRF_COOKIE,
            csrf_cookie,
        ))
        .body(body)
        .dispatch()
        .await;
    let session = response
        .cookies()
        .get(aula_territorial::accounts::guards::SESSION_COOKIE)
        .expect("signed in")
        .value()
        .to_string();
    Auth::Session(Cookie::new(
        aula_territorial::accounts::guards::SESSION_COOKIE,
        session,
    ))
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A reviewer of Antioquia (created on the first run).
async fn antioquia_reviewer(db: &sea_orm::DatabaseConnection) -> (String, String) {
    let email = "revisor.antioquia@aulaterritorial.example".to_string();
    let password = "Revisa-Antioquia-2026".to_string();
    let exists = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await
        .expect("user")
        .is_some();
    if !exists {
        accounts::create_user(
            db,
            NewUser {
                email: email.clone(),
                password: accounts::passwords::NewPassword::hash(&password)
                    .await
                    .expect("hash"),
                full_name: "Revisora de Antioquia".into(),
                role: Role::Reviewer,
                department_code: Some(ANTIOQUIA.into()),
                municipality_code: None,
                territorial_direction_id: None,
                provider_id: None,
            },
        )
        .await
        .expect("reviewer");
    }
    (email, password)
}

type Sheets = Vec<(String, Vec<Vec<Data>>)>;

fn read_back(bytes: &[u8]) -> Sheets {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("sheet");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

fn width(rows: &[Vec<Data>]) -> usize {
    rows.iter().map(Vec::len).max().unwrap_or(0)
}

/// Writes the cells with plain rust_xlsxwriter calls (no formats, no chart) and returns ms.
fn write_floor(sheets: &Sheets) -> f64 {
    let started = Instant::now();
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet_with_constant_memory().expect("sheet");
        sheet.set_name(name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Data::String(s) => {
                        sheet.write_string(r, c, s).expect("write");
                    }
                    Data::Float(f) => {
                        sheet.write_number(r, c, *f).expect("write");
                    }
                    Data::Int(i) => {
                        sheet.write_number(r, c, *i as f64).expect("write");
                    }
                    _ => {}
                }
            }
        }
    }
    let bytes = book.save_to_buffer().expect("save");
    assert!(!bytes.is_empty());
    started.elapsed().as_secs_f64() * 1000.0
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// Linux: resets the process's peak resident set size (VmHWM).
fn reset_peak_memory() {
    // Resets the peak-memory mark where the kernel allows it; elsewhere peaks accumulate.
    std::fs::write("/proc/self/clear_refs", "5").ok();
}

/// Linux: the process's peak resident set size since the last reset, in MB.
fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
