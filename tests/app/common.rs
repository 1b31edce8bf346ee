//! Test harness: every test gets its own fresh database — a temporary SQLite file by default,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` names a server — and the app is built
//! by the same `aula_territorial::build` that `serve` uses.
//!
//! Migrating and loading the reference (and demo) data is the same work for almost every test,
//! and most of a test's time: it is done once per test process into a *prepared* database (one
//! without and one with demo data), which each test then gets a copy of (`CREATE DATABASE …
//! TEMPLATE` on PostgreSQL, a file copy on SQLite). The app still runs `prepare_database` on the
//! copy (it finds the work done). Tests of start-up itself (migrations, locks, restores) use
//! [`TestDatabase::create`], an empty database.

use rocket::local::asynchronous::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "aula_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// The server part of a PostgreSQL URL (`postgres://user@host:port`), without a database.
fn postgres_server(url: &str) -> String {
    let (scheme, rest) = url
        .split_once("://")
        .expect("TEST_DATABASE_URL must be a URL");
    let server = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{server}")
}

/// The PostgreSQL server named by `TEST_DATABASE_URL`, if any.
fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .map(|url| url.trim().to_string())
        .filter(|url| !url.is_empty())
}

impl TestDatabase {
    /// An empty database (nothing migrated).
    pub async fn create() -> Self {
        Self::named(unique_name(), None).await
    }

    /// A copy of the prepared database: migrated, reference data loaded, and the demo data
    /// when `demo` (see the module).
    pub async fn prepared(demo: bool) -> Self {
        Self::holding(if demo { Holds::Demo } else { Holds::Reference }).await
    }

    /// A copy of the prepared database that `holds`.
    async fn holding(holds: Holds) -> Self {
        let template = Prepared::get(holds);
        match template {
            Prepared::Postgres(_) => Copies::of(holds).take().await,
            Prepared::Sqlite(_) => Self::named(unique_name(), Some(template)).await,
        }
    }

    /// The database `name` of a PostgreSQL `server`, dropped with the value.
    fn on_postgres(server: &str, name: String) -> Self {
        TestDatabase {
            url: format!("{server}/{name}"),
            cleanup: Cleanup::Postgres {
                admin_url: format!("{server}/postgres"),
                name,
            },
        }
    }

    /// A new database `name`: empty, or on SQLite a copy of the prepared file `from` (copies
    /// of a prepared PostgreSQL database come from [`Copies`]).
    async fn named(name: String, from: Option<&Prepared>) -> Self {
        match postgres_url() {
            Some(url) => {
                let server = postgres_server(&url);
                let admin = Database::connect(&format!("{server}/postgres"))
                    .await
                    .expect("TEST_DATABASE_URL: PostgreSQL server not reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                Self::on_postgres(&server, name)
            }
            None => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                let file = dir.join("aula.db");
                if let Some(Prepared::Sqlite(template)) = from {
                    std::fs::copy(template, &file).expect("copy the prepared database");
                }
                TestDatabase {
                    url: format!("sqlite://{}", file.display()),
                    cleanup: Cleanup::SqliteDir(dir),
                }
            }
        }
    }
}

/// What a prepared database holds besides the migrations.
#[derive(Clone, Copy, PartialEq)]
enum Holds {
    /// The reference data.
    Reference,
    /// And the demo, loaded today.
    Demo,
    /// And the demo, loaded on [`demo_day`].
    DemoOnDay,
}

/// The day [`TestApp::with_demo_on_day`] loads the demo and reads it: a Monday of the second
/// half of the year, so the demo's dates fall where its assertions expect them (the Meta
/// cohort of 2026-I and Mapiripán's accompaniment in the year of the plans), whatever day the
/// tests run.
pub fn demo_day() -> chrono::DateTime<chrono::Utc> {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 16).expect("a valid date");
    domain::time::from_local(day, 9, 0)
}

/// A prepared database of this test process (see the module): a PostgreSQL database's name, or
/// a SQLite file, kept until the process ends (the next process removes what a finished one
/// left).
enum Prepared {
    Postgres(String),
    Sqlite(PathBuf),
}

static PREPARED: [OnceLock<Prepared>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];

impl Prepared {
    fn get(holds: Holds) -> &'static Prepared {
        PREPARED[holds as usize].get_or_init(|| {
            // Each test has its own runtime; the preparation gets one of its own, so the
            // connections it opens never outlive the runtime that drives them.
            std::thread::spawn(move || {
                rocket::tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(async move {
                        match holds {
                            Holds::DemoOnDay => {
                                domain::time::as_of(demo_day(), Prepared::make(holds)).await
                            }
                            _ => Prepared::make(holds).await,
                        }
                    })
            })
            .join()
            .expect("prepare the test database")
        })
    }

    async fn make(holds: Holds) -> Prepared {
        let prefix = "aula_tpl_";
        remove_stale_prepared(prefix).await;
        let name = format!("{prefix}{}_{}", std::process::id(), holds as usize);
        let demo = holds != Holds::Reference;
        let database = TestDatabase::named(name.clone(), None).await;
        let config = domain::config::AppConfig::from_figment(&test_figment(
            &database.url,
            &[("demo_data", serde_json::json!(demo))],
        ))
        .expect("test configuration");
        let db = domain::prepare_database(&config)
            .await
            .expect("prepare the test database");
        let prepared = match &database.cleanup {
            Cleanup::Postgres { .. } => Prepared::Postgres(name),
            Cleanup::SqliteDir(dir) => {
                // Everything in the main file, so one file copy is the whole database.
                db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .expect("checkpoint");
                Prepared::Sqlite(dir.join("aula.db"))
            }
        };
        db.close().await.expect("close the prepared database");
        // Kept for the whole process: not removed on drop.
        std::mem::forget(database);
        prepared
    }
}

/// PostgreSQL: copies of a prepared database made ahead, in the background. Copying one
/// (`CREATE DATABASE … TEMPLATE`) takes about 0.9 s, most of it waiting for the server, and
/// was most of a short test's time on PostgreSQL; [`COPIERS`] threads keep a few copies ready
/// while the tests run, so a test takes one at once. Copies are named after the process and
/// its prepared database (`aula_tpl_<pid>_<demo>_<n>`): those left when the process ends are
/// removed by the next, with the prepared databases (`remove_stale_prepared`).
struct Copies {
    server: String,
    ready: rocket::tokio::sync::Mutex<rocket::tokio::sync::mpsc::Receiver<String>>,
}

/// Copies made ahead per prepared database (besides the one each copier holds).
const COPIES_AHEAD: usize = 2;
/// Threads making copies of each prepared database at once.
const COPIERS: usize = 2;

static COPIES: [OnceLock<Copies>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
static COPY_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Copies {
    fn of(holds: Holds) -> &'static Copies {
        COPIES[holds as usize].get_or_init(|| {
            let Prepared::Postgres(template) = Prepared::get(holds) else {
                panic!("copies are made of PostgreSQL databases only")
            };
            let server = postgres_server(&postgres_url().expect("TEST_DATABASE_URL"));
            let (sender, ready) = rocket::tokio::sync::mpsc::channel(COPIES_AHEAD);
            for _ in 0..COPIERS {
                let (sender, server, template) = (sender.clone(), server.clone(), template.clone());
                std::thread::spawn(move || {
                    rocket::tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime")
                        .block_on(Copies::make(sender, server, template))
                });
            }
            Copies {
                server,
                ready: rocket::tokio::sync::Mutex::new(ready),
            }
        })
    }

    /// Copies `template` until nobody takes them any more.
    async fn make(
        sender: rocket::tokio::sync::mpsc::Sender<String>,
        server: String,
        template: String,
    ) {
        let admin = Database::connect(&format!("{server}/postgres"))
            .await
            .expect("TEST_DATABASE_URL: PostgreSQL server not reachable");
        loop {
            let name = format!("{template}_{}", COPY_COUNTER.fetch_add(1, Ordering::SeqCst));
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await
                .expect("copy the prepared database");
            if sender.send(name).await.is_err() {
                return;
            }
        }
    }

    /// A copy of its own for one test.
    async fn take(&self) -> TestDatabase {
        let name = self
            .ready
            .lock()
            .await
            .recv()
            .await
            .expect("a copier of the prepared database stopped");
        TestDatabase::on_postgres(&self.server, name)
    }
}

/// Removes the prepared databases of test processes that are no longer running.
async fn remove_stale_prepared(prefix: &str) {
    let alive = |name: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.split('_').next())
            .is_some_and(|pid| std::path::Path::new("/proc").join(pid).exists())
    };
    match postgres_url() {
        Some(url) => {
            let admin = Database::connect(&format!("{}/postgres", postgres_server(&url)))
                .await
                .expect("TEST_DATABASE_URL: PostgreSQL server not reachable");
            let rows = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'"),
                ))
                .await
                .unwrap_or_default();
            for row in rows {
                let Ok(name) = row.try_get::<String>("", "datname") else {
                    continue;
                };
                if !alive(&name) {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            }
            admin.close().await.ok();
        }
        None => {
            let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
                return;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with(prefix) && !alive(&name) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime: use a thread with its own.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = rocket::tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The app on its own database, driven through Rocket's local client.
pub struct TestApp {
    pub client: Client,
    /// Removed when the app is dropped (declared after the client, so dropped after it).
    _database: TestDatabase,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::start(false).await
    }

    pub async fn with_demo() -> Self {
        Self::start(true).await
    }

    /// The app with the demo loaded on [`demo_day`]. Run the test's body inside
    /// [`on_demo_day`], so the app reads the demo on that day too.
    pub async fn with_demo_on_day() -> Self {
        let database = TestDatabase::holding(Holds::DemoOnDay).await;
        let client = on_demo_day(launch(
            &database.url,
            &[("demo_data", serde_json::json!(true))],
        ))
        .await;
        TestApp {
            client,
            _database: database,
        }
    }

    async fn start(demo_data: bool) -> Self {
        Self::with_config(&[("demo_data", serde_json::json!(demo_data))]).await
    }

    /// Like [`TestApp::new`], with extra settings merged over the test defaults
    /// (e.g. `smtp_url`, `mail_dir`, `mail_poll_seconds`). On a prepared database unless a
    /// setting changes what the start-up prepares (then on an empty one).
    pub async fn with_config(overrides: &[(&str, serde_json::Value)]) -> Self {
        // Settings the start-up's preparation does not read.
        const RUNTIME_ONLY: [&str; 14] = [
            "bank_quota_mib",
            "certificate_signer_name",
            "certificate_signer_position",
            "bank_uploads_per_hour",
            "files_dir",
            "smtp_url",
            "figures_delay_ms",
            "kept_grace_ms",
            "public_url",
            "jobs_poll_seconds",
            "mail_poll_seconds",
            "mail_dir",
            "dashboard_cache_seconds",
            "priority_assistance_weight",
        ];
        let demo = overrides
            .iter()
            .find(|(key, _)| *key == "demo_data")
            .is_some_and(|(_, value)| value.as_bool() == Some(true));
        let database = if overrides
            .iter()
            .all(|(key, _)| *key == "demo_data" || RUNTIME_ONLY.contains(key))
        {
            TestDatabase::prepared(demo).await
        } else {
            TestDatabase::create().await
        };
        let client = launch(&database.url, overrides).await;
        TestApp {
            client,
            _database: database,
        }
    }

    /// The app on an existing `database` (e.g. one a restore filled), with `overrides`.
    pub async fn on(database: TestDatabase, overrides: &[(&str, serde_json::Value)]) -> Self {
        let client = launch(&database.url, overrides).await;
        TestApp {
            client,
            _database: database,
        }
    }

    /// Another instance of the app on this test's database, with its own settings: a second
    /// server behind the same load balancer, or the app after a restart. Drop it before `self`.
    pub async fn another_instance(&self, overrides: &[(&str, serde_json::Value)]) -> Client {
        launch(&self._database.url, overrides).await
    }

    /// The URL of this app's database (for the command line, or a second process).
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.client
            .rocket()
            .state::<DatabaseConnection>()
            .expect("database in managed state")
    }
}

/// Runs `work` with the product's clock on [`demo_day`] (see [`TestApp::with_demo_on_day`]).
pub async fn on_demo_day<F: std::future::Future>(work: F) -> F::Output {
    domain::time::as_of(demo_day(), work).await
}

/// The app on `database_url` with `overrides` merged last. By default: no demo data, and no
/// background mailer (tests that send mail turn it on or call `mail::deliver_due`).
pub async fn launch(database_url: &str, overrides: &[(&str, serde_json::Value)]) -> Client {
    let rocket = aula_territorial::build(test_figment(database_url, overrides))
        .await
        .expect("app builds");
    Client::tracked(rocket).await.expect("valid rocket")
}

/// The test settings (see [`launch`]).
fn test_figment(
    database_url: &str,
    overrides: &[(&str, serde_json::Value)],
) -> rocket::figment::Figment {
    let mut figment = aula_territorial::config::figment()
        .merge(("database_url", database_url))
        .merge(("demo_data", false))
        .merge(("mail_poll_seconds", 0))
        .merge(("jobs_poll_seconds", 0))
        // Figures flushed in every writing transaction, so a test reads them right after a
        // write; the tests of the figures worker (issue 50) set a delay.
        .merge(("figures_delay_ms", 0))
        .merge(("dashboard_cache_seconds", 0))
        // A test that keeps pages reads a change right after making it; the grace's own test
        // sets one.
        .merge(("kept_grace_ms", 0))
        .merge(("mail_dir", std::env::temp_dir().join("aula-test-mail")))
        .merge((
            "credentials_key_file",
            std::env::temp_dir().join("aula-test-credentials-key"),
        ))
        .merge(("log_level", "off"))
        // Two tests at a time, some with several instances, share one PostgreSQL server and
        // its 100 connections: each app opens 8 at most (24 in production).
        .merge(("database_connections", 8));
    for (key, value) in overrides {
        figment = figment.merge((*key, value.clone()));
    }
    figment
}
