//! The binary's subcommands, run as a person would run them.

use crate::common::TestDatabase;
use domain::entities::user;
use sea_orm::{Database, EntityTrait, PaginatorTrait};
use std::process::{Command, Output};

fn run(database: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aula-territorial"))
        .args(args)
        .env("ROCKET_DATABASE_URL", &database.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run aula-territorial")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[rocket::async_test]
async fn migrate_seed_and_create_user() {
    let database = TestDatabase::create().await;

    let migrate = run(&database, &["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));

    let seed = run(&database, &["seed", "--demo"]);
    assert!(seed.status.success(), "{}", stderr(&seed));
    assert!(stdout(&seed).contains("Datos de demostración cargados."));
    let again = run(&database, &["seed", "--demo"]);
    assert!(
        stdout(&again).contains("ya estaban cargados"),
        "{}",
        stdout(&again)
    );

    let created = run(
        &database,
        &[
            "create-user",
            "--role",
            "reviewer",
            "--email",
            "Revisora.Meta@Example.org",
            "--password",
            "Gobernacion-2026",
            "--full-name",
            "Revisora del Meta",
            "--department",
            "50",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("revisora.meta@example.org"));

    let no_department = run(
        &database,
        &[
            "create-user",
            "--role",
            "reviewer",
            "--email",
            "otra@example.org",
            "--password",
            "Gobernacion-2026",
        ],
    );
    assert!(!no_department.status.success());
    assert!(
        stderr(&no_department).contains("Un revisor de gobernación debe tener un departamento.")
    );

    let weak = run(
        &database,
        &[
            "create-user",
            "--role",
            "coordinator",
            "--email",
            "debil@example.org",
            "--password",
            "corta",
        ],
    );
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("al menos 10 caracteres"));

    let unknown = run(
        &database,
        &[
            "create-user",
            "--role",
            "rector",
            "--email",
            "x@example.org",
            "--password",
            "x",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("rol desconocido"));

    let db = Database::connect(&database.url).await.unwrap();
    // The demo accounts plus the reviewer; the refused ones wrote nothing.
    assert_eq!(
        user::Entity::find().count(&db).await.unwrap(),
        domain::demo::ACCOUNTS.len() as u64 + 1
    );
    db.close().await.ok();
}

#[test]
fn openapi_prints_the_description_the_server_serves() {
    let output = Command::new(env!("CARGO_BIN_EXE_aula-territorial"))
        .arg("openapi")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run aula-territorial");
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("the description as JSON");
    use aula_territorial::openapi::{ApiDoc, OpenApi};
    assert_eq!(
        printed,
        serde_json::to_value(ApiDoc::openapi()).expect("serializable")
    );
    assert_eq!(printed["info"]["title"], "Aula Territorial API");
    assert!(printed["paths"]["/cohorts/{id}"]["patch"].is_object());
}
