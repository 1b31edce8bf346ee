//! `backup` and `restore` as an operator runs them (the binary, on this test's engine): a copy
//! taken while the app serves, restored into a fresh database, serves the same pages and
//! verifies the credentials issued before; the signing key travels with it; a restore refuses
//! a database that is in use, and neither command overwrites or misreads a file.

use crate::common::{TestApp, TestDatabase};
use crate::support::*;
use domain::entities::{audit_log, certificate, cohort, enrolment, outbox, participant, user};
use rocket::http::Status;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("aula_{label}_{}_{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with this database and signing-key file, as `ROCKET_*` variables.
fn cli(database_url: &str, key_file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aula-territorial"))
        .args(args)
        .env("ROCKET_DATABASE_URL", database_url)
        .env("ROCKET_CREDENTIALS_KEY_FILE", key_file)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run aula-territorial")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn bodies(app: &TestApp, paths: &[String]) -> Vec<(Status, String)> {
    let mut out = Vec::new();
    for path in paths {
        out.push(page(app, path).await);
    }
    out
}

async fn counts(db: &DatabaseConnection) -> [u64; 7] {
    [
        user::Entity::find().count(db).await.unwrap(),
        participant::Entity::find().count(db).await.unwrap(),
        cohort::Entity::find().count(db).await.unwrap(),
        enrolment::Entity::find().count(db).await.unwrap(),
        certificate::Entity::find().count(db).await.unwrap(),
        outbox::Entity::find().count(db).await.unwrap(),
        audit_log::Entity::find().count(db).await.unwrap(),
    ]
}

#[rocket::async_test]
async fn a_restored_backup_serves_the_same_pages_and_verifies_earlier_credentials() {
    let dir = temp_dir("copia");
    let key_origin = dir.join("origen/credentials-key");
    let app = TestApp::with_config(&[
        ("demo_data", json!(true)),
        ("credentials_key_file", json!(key_origin)),
    ])
    .await;
    let (_, codes) = crate::credentials::issued(&app).await;
    let vc = crate::credentials::credential(&app, &codes[0]).await;
    let paths = vec![
        "/cohortes".to_string(),
        format!("/verificar/{}", codes[0]),
        "/.well-known/did.json".to_string(),
        "/datos-abiertos".to_string(),
    ];
    let before = bodies(&app, &paths).await;
    assert!(before.iter().all(|(status, _)| *status == Status::Ok));
    let counts_before = counts(app.db()).await;
    assert!(
        counts_before[4] >= 2,
        "certificates issued: {counts_before:?}"
    );

    // Taken while the app serves (its connections stay open).
    let file = dir.join("copias/aula-2026-11-25.copia");
    let file_arg = file.to_str().unwrap();
    let backup = cli(
        app.database_url(),
        &key_origin,
        &["backup", "--to", file_arg],
    );
    assert!(backup.status.success(), "{}", text(&backup.stderr));
    assert!(
        text(&backup.stdout).contains("Copia escrita en"),
        "{}",
        text(&backup.stdout)
    );
    assert!(
        !PathBuf::from(format!("{file_arg}.key")).exists(),
        "no key file beside the copy: the keys travel in the database"
    );
    // A second backup never overwrites the first.
    let again = cli(
        app.database_url(),
        &key_origin,
        &["backup", "--to", file_arg],
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("ya existe"),
        "{}",
        text(&again.stderr)
    );

    // A change after the copy is not in it.
    let staff = role_token(&app, domain::entities::values::Role::Coordinator).await;
    api_post(
        &app,
        &format!("/api/v1/certificates/{}/revoke", codes[1]),
        Some(&staff),
        json!({"reason": "Expedido por error"}),
    )
    .await
    .expect_status(Status::Ok);

    // Restored into a fresh database; the new app has no key file at all: the signing keys
    // come back with the database (`credentials_keys`).
    let fresh = TestDatabase::create().await;
    let key_target = dir.join("destino/credentials-key");
    let restore = cli(&fresh.url, &key_target, &["restore", "--from", file_arg]);
    assert!(restore.status.success(), "{}", text(&restore.stderr));
    let said = text(&restore.stdout);
    assert!(
        said.contains("restaurada y migraciones aplicadas"),
        "{said}"
    );
    assert!(!key_target.exists(), "no key file was written");

    let restored = TestApp::on(fresh, &[("credentials_key_file", json!(key_target))]).await;
    assert_eq!(counts(restored.db()).await, counts_before);
    let after = bodies(&restored, &paths).await;
    for ((path, b), a) in paths.iter().zip(&before).zip(&after) {
        assert_eq!(b, a, "{path} is served the same after the restore");
    }
    // The credential downloaded before the backup verifies on the restored copy, and its
    // certificate is valid there (the revocation came after the copy).
    let (status, verdict) =
        api_post(&restored, "/api/v1/credentials/verify", None, vc.clone()).await;
    assert_eq!(status, Status::Ok, "{verdict}");
    assert_eq!(verdict["verified"], true, "{verdict}");
    assert_eq!(verdict["status"], "valid", "{verdict}");
    let (_, second) = api_get(
        &restored,
        &format!("/api/v1/certificates/{}", codes[1]),
        None,
    )
    .await;
    assert_eq!(second["status"], "valid", "{second}");

    // While an instance runs on the database, a restore is refused and changes nothing.
    let busy = cli(
        restored.database_url(),
        &key_target,
        &["restore", "--from", file_arg],
    );
    assert!(!busy.status.success());
    assert!(
        text(&busy.stderr).contains("detenga todas las instancias"),
        "{}",
        text(&busy.stderr)
    );
    assert_eq!(counts(restored.db()).await, counts_before);

    // A file that is not a copy is refused, in Spanish.
    let stray = dir.join("notas.txt");
    std::fs::write(&stray, "no es una copia").unwrap();
    let fresh = TestDatabase::create().await;
    let wrong = cli(
        &fresh.url,
        &key_target,
        &["restore", "--from", stray.to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("no es una copia de Aula Territorial"),
        "{}",
        text(&wrong.stderr)
    );
    drop(restored);
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
