//! Test harness: every test gets its own fresh database — a temporary SQLite file by default,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` names a server — and the app is built
//! by the same `aula_territorial::build` that `serve` uses.

use rocket::local::asynchronous::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::path::PathBuf;
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

impl TestDatabase {
    pub async fn create() -> Self {
        let name = unique_name();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let server = postgres_server(url.trim());
                let admin_url = format!("{server}/postgres");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL: PostgreSQL server not reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDatabase {
                    url: format!("{server}/{name}"),
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDatabase {
                    url: format!("sqlite://{}", dir.join("aula.db").display()),
                    cleanup: Cleanup::SqliteDir(dir),
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

    async fn start(demo_data: bool) -> Self {
        let database = TestDatabase::create().await;
        let client = launch(
            &database.url,
            &[("demo_data", serde_json::json!(demo_data))],
        )
        .await;
        TestApp {
            client,
            _database: database,
        }
    }

    /// Like [`TestApp::new`], with extra settings merged over the test defaults
    /// (e.g. `smtp_url`, `mail_dir`, `mail_poll_seconds`).
    pub async fn with_config(overrides: &[(&str, serde_json::Value)]) -> Self {
        let database = TestDatabase::create().await;
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

/// The app on `database_url` with `overrides` merged last. By default: no demo data, and no
/// background mailer (tests that send mail turn it on or call `mail::deliver_due`).
pub async fn launch(database_url: &str, overrides: &[(&str, serde_json::Value)]) -> Client {
    let mut figment = aula_territorial::config::figment()
        .merge(("database_url", database_url))
        .merge(("demo_data", false))
        .merge(("mail_poll_seconds", 0))
        .merge(("jobs_poll_seconds", 0))
        .merge(("dashboard_cache_seconds", 0))
        .merge(("mail_dir", std::env::temp_dir().join("aula-test-mail")))
        .merge((
            "credentials_key_file",
            std::env::temp_dir().join("aula-test-credentials-key"),
        ))
        .merge(("log_level", "off"));
    for (key, value) in overrides {
        figment = figment.merge((*key, value.clone()));
    }
    let rocket = aula_territorial::build(figment).await.expect("app builds");
    Client::tracked(rocket).await.expect("valid rocket")
}
