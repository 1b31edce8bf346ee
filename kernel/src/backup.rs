//! `aula-territorial backup --to FILE` and `restore --from FILE`: a copy of the database —
//! the credentials signing keys included, which live in it (`credentials_keys`, issue 34) —
//! taken while the app runs, and put back into a stopped one.
//!
//! * **SQLite**: `VACUUM INTO` writes a consistent copy of the live database (readers and the
//!   writer carry on); restoring copies the file back in place — after checking that no
//!   process holds the database open — and drops the old `-wal`/`-shm` files.
//! * **PostgreSQL**: `pg_dump --format=custom` and `pg_restore --clean --if-exists
//!   --single-transaction` (the client tools, of the server's major version or newer, must be
//!   on `PATH`); restoring refuses while other sessions are connected to the database.
//!
//! Both write `FILE` (created under `FILE.partial`, renamed when complete, never overwriting).
//! A restore applies the migrations, so a copy of an older version comes up to date.

use crate::config::AppConfig;
use crate::error::{AppError, AppResult};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first bytes of a SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The first bytes of a `pg_dump --format=custom` archive.
const PG_DUMP_MAGIC: &[u8] = b"PGDMP";

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub file: PathBuf,
    pub bytes: u64,
}

/// The engine a `database_url` names.
enum Engine<'a> {
    Sqlite { path: &'a str },
    Postgres { url: &'a str },
}

fn engine(url: &str) -> AppResult<Engine<'_>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Engine::Postgres { url });
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| fail(format!("database_url no reconocida: {url}")))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") {
        return Err(fail(
            "una base SQLite en memoria no tiene archivo que copiar ni restaurar",
        ));
    }
    Ok(Engine::Sqlite { path })
}

fn fail(message: impl Into<String>) -> AppError {
    AppError::Internal(message.into())
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies the database named by `config.database_url` (signing keys included) to `to`.
pub async fn backup(config: &AppConfig, to: &Path) -> AppResult<Backup> {
    if to.exists() {
        return Err(fail(format!(
            "{} ya existe: una copia nunca sobrescribe otra; elija otro nombre (p. ej. con la fecha)",
            to.display()
        )));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            fail(format!(
                "no se pudo crear la carpeta {}: {e}",
                dir.display()
            ))
        })?;
    }
    let partial = with_suffix(to, ".partial");
    remove_if_present(&partial)?;
    match engine(&config.database_url)? {
        Engine::Sqlite { path } => {
            if !Path::new(path).exists() {
                return Err(fail(format!("no existe la base de datos {path}")));
            }
            let db = crate::db::connect_with(
                &config.database_url,
                config.database_busy_seconds,
                config.database_connections,
            )
            .await?;
            let target = partial.to_str().ok_or_else(|| {
                fail(format!(
                    "{}: la ruta de la copia debe ser texto UTF-8",
                    to.display()
                ))
            })?;
            // A consistent snapshot of the live database, written as a compact new file.
            let copied = db
                .execute_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("VACUUM INTO '{}'", target.replace('\'', "''")),
                ))
                .await;
            db.close().await.ok();
            copied?;
        }
        Engine::Postgres { url } => {
            let (target, password) = libpq_target(url);
            let mut command = Command::new("pg_dump");
            command
                .arg("--format=custom")
                .arg("--file")
                .arg(&partial)
                .arg("--dbname")
                .arg(target);
            run_tool(command, "pg_dump", password.as_deref())?;
        }
    }
    std::fs::rename(&partial, to).map_err(|e| fail(format!("{}: {e}", to.display())))?;
    let bytes = std::fs::metadata(to)
        .map_err(|e| fail(format!("{}: {e}", to.display())))?
        .len();
    Ok(Backup {
        file: to.to_path_buf(),
        bytes,
    })
}

/// Puts the backup `from` back into the database named by `config.database_url`, which no
/// running instance may hold open, then applies the migrations.
pub async fn restore(config: &AppConfig, from: &Path) -> AppResult<()> {
    let head = read_head(from)?;
    match engine(&config.database_url)? {
        Engine::Sqlite { path } => {
            if !head.starts_with(SQLITE_MAGIC) {
                return Err(wrong_kind(from, &head, "SQLite"));
            }
            restore_sqlite(from, Path::new(path)).await?;
        }
        Engine::Postgres { url } => {
            if !head.starts_with(PG_DUMP_MAGIC) {
                return Err(wrong_kind(from, &head, "PostgreSQL"));
            }
            refuse_if_connected(url).await?;
            let (target, password) = libpq_target(url);
            let mut command = Command::new("pg_restore");
            command
                .args([
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                ])
                .arg("--dbname")
                .arg(target)
                .arg(from);
            run_tool(command, "pg_restore", password.as_deref())?;
        }
    }
    let db = crate::db::connect_with(
        &config.database_url,
        config.database_busy_seconds,
        config.database_connections,
    )
    .await?;
    let migrated = crate::db::migrate(&db).await;
    db.close().await.ok();
    migrated?;
    Ok(())
}

fn read_head(file: &Path) -> AppResult<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(file)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| fail(format!("no se pudo leer la copia {}: {e}", file.display())))?;
    Ok(head)
}

fn wrong_kind(from: &Path, head: &[u8], expected: &str) -> AppError {
    let found = if head.starts_with(SQLITE_MAGIC) {
        "una copia de SQLite"
    } else if head.starts_with(PG_DUMP_MAGIC) {
        "una copia de PostgreSQL (pg_dump)"
    } else {
        "un archivo que no es una copia de Aula Territorial"
    };
    fail(format!(
        "{} es {found}, y database_url apunta a {expected}: restaure cada copia en el mismo motor del que salió",
        from.display()
    ))
}

/// SQLite: refuses while another process holds the database open, then swaps the file in.
async fn restore_sqlite(from: &Path, target: &Path) -> AppResult<()> {
    if target.exists() {
        refuse_if_open(target).await?;
    } else if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            fail(format!(
                "no se pudo crear la carpeta {}: {e}",
                dir.display()
            ))
        })?;
    }
    let incoming = with_suffix(target, ".restoring");
    std::fs::copy(from, &incoming)
        .and_then(|_| std::fs::File::open(&incoming)?.sync_all())
        .map_err(|e| fail(format!("no se pudo copiar a {}: {e}", incoming.display())))?;
    // The old database's write-ahead log must not be replayed over the restored file.
    for suffix in ["-wal", "-shm"] {
        remove_if_present(&with_suffix(target, suffix))?;
    }
    std::fs::rename(&incoming, target)
        .map_err(|e| fail(format!("no se pudo reemplazar {}: {e}", target.display())))
}

/// Every app connection keeps a shared lock on a SQLite database in WAL mode for as long as it
/// is open; an exclusive lock is granted only when no other process has the file open.
async fn refuse_if_open(target: &Path) -> AppResult<()> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
    use sea_orm::sqlx::{ConnectOptions, Connection, Executor};
    let options = SqliteConnectOptions::new()
        .filename(target)
        .create_if_missing(false)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(std::time::Duration::from_millis(500));
    let in_use = || {
        fail(format!(
            "la base de datos {} está en uso: detenga todas las instancias de la aplicación antes de restaurar",
            target.display()
        ))
    };
    let mut conn = options.connect().await.map_err(|_| in_use())?;
    let locked = conn.execute("BEGIN EXCLUSIVE; COMMIT;").await;
    conn.close().await.ok();
    locked.map(|_| ()).map_err(|_| in_use())
}

/// PostgreSQL: refuses while any other session is connected to the target database.
async fn refuse_if_connected(url: &str) -> AppResult<()> {
    let db = sea_orm::Database::connect(url).await.map_err(|e| {
        fail(format!(
            "no se pudo conectar a la base de datos de destino (créela antes con createdb si no existe): {e}"
        ))
    })?;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await;
    db.close().await.ok();
    let others: i64 = match row? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if others > 0 {
        return Err(fail(format!(
            "la base de datos de destino tiene {}: detenga todas las instancias de la aplicación antes de restaurar",
            crate::format::plural(others, "conexión abierta", "conexiones abiertas")
        )));
    }
    Ok(())
}

/// Runs `pg_dump` or `pg_restore`, the password (if the URL has one) in `PGPASSWORD` rather than
/// on the command line other users can read.
fn run_tool(mut command: Command, tool: &str, password: Option<&str>) -> AppResult<()> {
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            fail(format!(
                "no se encontró {tool}: instale el cliente de PostgreSQL (p. ej. `apt install postgresql-client`), de la versión mayor del servidor o una más reciente, y verifique que esté en el PATH"
            ))
        } else {
            fail(format!("no se pudo ejecutar {tool}: {e}"))
        }
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(fail(format!(
        "{tool} falló ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// The URL libpq reads (`postgres://user@host:port/db?params`), without its password, and the
/// password decoded.
fn libpq_target(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_string(), None);
    };
    let password = percent_encoding::percent_decode_str(password)
        .decode_utf8_lossy()
        .into_owned();
    (format!("{scheme}://{user}@{host}{tail}"), Some(password))
}

fn remove_if_present(path: &Path) -> AppResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(format!("{}: no se pudo borrar: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            libpq_target("postgres://aula:s%40cr%3At@db:5432/aula?sslmode=require"),
            (
                "postgres://aula@db:5432/aula?sslmode=require".to_string(),
                Some("s@cr:t".to_string())
            )
        );
        assert_eq!(
            libpq_target("postgres://postgres@127.0.0.1/aula"),
            ("postgres://postgres@127.0.0.1/aula".to_string(), None)
        );
        assert_eq!(
            libpq_target("postgresql://127.0.0.1/aula"),
            ("postgresql://127.0.0.1/aula".to_string(), None)
        );
    }

    #[test]
    fn a_missing_client_tool_is_told_in_spanish() {
        let error = run_tool(Command::new("pg_dump-no-instalado"), "pg_dump", None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("no se encontró pg_dump"), "{message}");
        assert!(message.contains("postgresql-client"), "{message}");
    }

    #[test]
    fn a_failing_tool_reports_its_own_words() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'conexión rechazada' >&2; exit 3"]);
        let message = run_tool(command, "pg_restore", Some("secreta"))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("pg_restore falló"), "{message}");
        assert!(message.contains("conexión rechazada"), "{message}");
    }
}
