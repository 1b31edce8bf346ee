#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: failing loudly is its error handling
//! One cold computation (issue 69, item 1): each staff home's kept section and «¿Dónde
//! formar?»'s national ranking computed with nothing kept, one at a time on an idle app, at
//! national scale — how long each takes and where its time goes, statement by statement.
//!
//! ```sh
//! BENCH_SCALE=0.1 cargo run --release --example cold_home           # SQLite file
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_cold \
//!     BENCH_SCALE=0.1 cargo run --release --example cold_home
//! ```
//!
//! Prints, per home, the median and slowest of `COLD_RUNS` computations (after one that is not
//! counted: the connections' statement caches), and the slowest statements of the median run.

mod support;

use aula_territorial::accounts::guards::CurrentUser;
use aula_territorial::home::pages::{HomeKept, for_user};
use domain::accounts::actor::Actor;
use domain::entities::{kept_content, user};
use domain::indicators::priorities::{self, PriorityQuery};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

/// The homes computed: whose, and the account that reads it.
const HOMES: [(&str, &str); 5] = [
    (
        "coordinator, ESAP, national",
        "coordinacion@aulaterritorial.example",
    ),
    (
        "coordinator, Dirección Territorial Meta",
        "coordinacion.meta@aulaterritorial.example",
    ),
    (
        "coordinator, DNP",
        "coordinacion.dnp@aulaterritorial.example",
    ),
    (
        "reviewer, Caquetá",
        "revisor.caqueta@aulaterritorial.example",
    ),
    ("admin", "admin@aulaterritorial.example"),
];

/// «¿Dónde formar?»'s ranking is computed for this capacity (movilización de recursos).
const CAPACITY: i32 = 2;

fn main() {
    support::block_on(run());
}

async fn run() {
    let scale = support::scale(0.1);
    let runs: usize = std::env::var("COLD_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let support::Bench { db, .. } = support::national(scale).await;
    println!("scale {scale}; {runs} cold computations of each, one at a time\n");
    for (what, email) in HOMES {
        let user = signed_in(&db, email).await;
        let db2 = db.clone();
        measure(&db, what, runs, move || {
            let (db, user) = (db2.clone(), user.clone());
            async move {
                let kept = HomeKept {
                    dashboards: domain::reports::dashboard::Dashboards::new(0),
                    behind: domain::plans::progress::KeptBehind::new(0),
                    surveys: domain::surveys::reports::Cache::new(&db, 0),
                };
                for_user(&db, &kept, &user).await.map(|_| ()).unwrap();
            }
        })
        .await;
    }
    let user = signed_in(&db, HOMES[0].1).await;
    let db2 = db.clone();
    measure(
        &db,
        "«¿Dónde formar?», national ranking",
        runs,
        move || {
            let (db, user) = (db2.clone(), user.clone());
            async move {
                let cache = priorities::Cache::new(&db, priorities::DEFAULT_ASSISTANCE_WEIGHT);
                let query = PriorityQuery {
                    capacity: Some(CAPACITY),
                    department: None,
                    limit: Some(100),
                };
                priorities::rank(&db, &cache, &user, &query).await.unwrap();
            }
        },
    )
    .await;
}

async fn signed_in(db: &DatabaseConnection, email: &str) -> CurrentUser {
    let model = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email}: a demo account"));
    CurrentUser(Actor::load(db, model, None).await.unwrap())
}

/// Computes `work` once to warm the connections, then `runs` times; prints the median and the
/// slowest, and the median run's slowest statements. The shelf of kept pages is emptied before
/// each computation (outside its time).
async fn measure<F, Fut>(db: &DatabaseConnection, what: &str, runs: usize, work: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    work().await;
    let mut timed: Vec<(Duration, Vec<(Duration, String)>)> = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        kept_content::Entity::delete_many().exec(db).await.unwrap();
        let started = Instant::now();
        let ((), statements) = domain::db::profile_queries(work()).await;
        timed.push((started.elapsed(), statements));
    }
    timed.sort_by_key(|(took, _)| *took);
    let (median, statements) = &timed[timed.len() / 2];
    let slowest = timed.last().expect("a run").0;
    let in_database: Duration = statements.iter().map(|(t, _)| *t).sum();
    println!(
        "{what}: median {:.1} ms, slowest {:.1} ms; {} statements, {:.1} ms of them in the database",
        ms(*median),
        ms(slowest),
        statements.len(),
        ms(in_database)
    );
    let mut by_time = statements.clone();
    by_time.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    let shown = if std::env::var("COLD_ALL").is_ok() {
        usize::MAX
    } else {
        6
    };
    for (took, sql) in by_time.iter().take(shown) {
        let sql: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let shown: String = sql.chars().take(220).collect();
        println!("    {:>6.1} ms  {shown}", ms(*took));
    }
    println!();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
