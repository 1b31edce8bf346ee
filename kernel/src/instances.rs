//! Several app instances on one database behave as one (issue 34).
//!
//! * **Startup.** Migrations, reference and demo data, the credentials key and the cookie
//!   secret are prepared under one lock ([`StartupLock`]): PostgreSQL's session advisory lock
//!   on a connection held for the whole preparation, or on SQLite an exclusive lock on the
//!   file `<database>.lock`. A second instance started at the same time waits, then finds
//!   everything in place and skips it (every step is idempotent).
//! * **Caches.** What an instance keeps in memory from the figures or the indicators is
//!   stamped with the version row of `cache_versions` it was computed at ([`Versions`]); a
//!   writing transaction bumps the row before it commits, so every instance sees the change
//!   on its next read.
//! * **Periodic jobs** run where the lease of `job_leases` is held ([`hold_lease`]): one
//!   instance at a time, another takes over when the holder stops renewing it.
//! * **Secrets.** The Rocket secret that encrypts private cookies (sessions, CSRF), when none
//!   is configured, is generated once under the startup lock and kept in `settings`
//!   ([`cookie_secret`]).

use crate::entities::{cache_version, job_lease, setting};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Set,
};

/// The key of PostgreSQL's advisory lock taken while an instance prepares the database
/// (another than the figures' flush lock, 4091020).
const STARTUP_LOCK_KEY: i64 = 4_091_034;
/// How often a waiting instance tries the startup lock again.
const STARTUP_LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// The startup lock, held until [`StartupLock::release`] (or until it is dropped: the
/// PostgreSQL connection is then closed, which ends the lock too).
pub struct StartupLock {
    held: Held,
}

enum Held {
    Postgres(sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>),
    File(std::fs::File),
    /// An in-memory SQLite database belongs to one process: nothing to share.
    Nothing,
}

impl StartupLock {
    /// Waits for the startup lock of the database at `url` (reached through `db`).
    pub async fn acquire(db: &DatabaseConnection, url: &str) -> AppResult<StartupLock> {
        let held = match db.get_database_backend() {
            DbBackend::Postgres => Held::Postgres(lock_postgres(db).await?),
            _ => match crate::database_url::sqlite_file(url) {
                Some(path) => Held::File(lock_file(&format!("{path}.lock")).await?),
                None => Held::Nothing,
            },
        };
        Ok(StartupLock { held })
    }

    /// Lets the next instance prepare (and find everything done).
    pub async fn release(self) -> AppResult<()> {
        match self.held {
            Held::Postgres(mut connection) => {
                sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(STARTUP_LOCK_KEY)
                    .execute(&mut *connection)
                    .await
                    .map_err(|e| AppError::Internal(format!("bloqueo de arranque: {e}")))?;
            }
            Held::File(file) => {
                file.unlock()
                    .map_err(|e| AppError::Internal(format!("bloqueo de arranque: {e}")))?;
            }
            Held::Nothing => {}
        }
        Ok(())
    }
}

async fn lock_postgres(
    db: &DatabaseConnection,
) -> AppResult<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>> {
    let failed = |e: sea_orm::sqlx::Error| AppError::Internal(format!("bloqueo de arranque: {e}"));
    let mut connection = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(failed)?;
    // A session lock lives as long as its connection: never give this one back to the pool,
    // so an early return cannot leave the lock held by a pooled connection.
    connection.close_on_drop();
    let mut told = false;
    loop {
        let (taken,): (bool,) = sea_orm::sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(STARTUP_LOCK_KEY)
            .fetch_one(&mut *connection)
            .await
            .map_err(failed)?;
        if taken {
            return Ok(connection);
        }
        if !told {
            tracing::info!("otra instancia prepara la base de datos; se espera a que termine");
            told = true;
        }
        tokio::time::sleep(STARTUP_LOCK_POLL).await;
    }
}

async fn lock_file(path: &str) -> AppResult<std::fs::File> {
    let failed = |e: std::io::Error| AppError::Internal(format!("bloqueo de arranque {path}: {e}"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(failed)?;
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
        }
        if !told {
            tracing::info!("otra instancia prepara la base de datos; se espera a que termine");
            told = true;
        }
        tokio::time::sleep(STARTUP_LOCK_POLL).await;
    }
}

/// The kinds of derived data instances keep in memory, each with its row in `cache_versions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cached {
    /// The figures model (`figures`): bumped when a transaction changed figures.
    Figures,
    /// The indicators and their observations or links.
    Indicators,
    /// What the planning views show outside the figures (cohorts and their targets, courses,
    /// providers, technical assistance, demands): bumped by the database's own triggers
    /// (migration 000016), never by a call.
    Planning,
    /// Writes answered with their figures (issue 61): bumped by every writing transaction
    /// whose commit brought figures up to date (all but a cohort's desk, `db::commit`). A kept
    /// page computed before it moved is never served (no grace), so whoever wrote — and
    /// everyone after her — reads the write on the next request. Its row is made by its first
    /// bump.
    Writes,
}

impl Cached {
    fn name(self) -> &'static str {
        match self {
            Cached::Figures => "figures",
            Cached::Indicators => "indicators",
            Cached::Planning => "planning",
            Cached::Writes => "writes",
        }
    }
}

/// Moves `what`'s version on, on `db` (pass the transaction that made the change: a reader
/// that sees the new version also sees the change).
pub async fn bump<C: ConnectionTrait>(db: &C, what: Cached) -> AppResult<()> {
    if what == Cached::Writes {
        // No migration made its row: the first bump inserts it (one statement either way).
        cache_version::Entity::insert(cache_version::ActiveModel {
            name: Set(what.name().to_string()),
            version: Set(1),
        })
        .on_conflict(
            OnConflict::column(cache_version::Column::Name)
                .value(
                    cache_version::Column::Version,
                    Expr::col((cache_version::Entity, cache_version::Column::Version)).add(1),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        return Ok(());
    }
    cache_version::Entity::update_many()
        .col_expr(
            cache_version::Column::Version,
            Expr::col(cache_version::Column::Version).add(1),
        )
        .filter(cache_version::Column::Name.eq(what.name()))
        .exec(db)
        .await?;
    Ok(())
}

/// The versions of everything cached, read in one primary-key query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Versions {
    pub figures: i64,
    pub indicators: i64,
    pub planning: i64,
    /// [`Cached::Writes`] (absent from what was shelved before it: 0).
    #[serde(default)]
    pub writes: i64,
}

impl Versions {
    pub async fn read<C: ConnectionTrait>(db: &C) -> AppResult<Versions> {
        let mut versions = Versions::default();
        for row in cache_version::Entity::find()
            .filter(cache_version::Column::Name.is_in([
                Cached::Figures.name(),
                Cached::Indicators.name(),
                Cached::Planning.name(),
                Cached::Writes.name(),
            ]))
            .all(db)
            .await?
        {
            match row.name.as_str() {
                "figures" => versions.figures = row.version,
                "indicators" => versions.indicators = row.version,
                "planning" => versions.planning = row.version,
                "writes" => versions.writes = row.version,
                _ => {}
            }
        }
        Ok(versions)
    }
}

/// A name for this instance in `job_leases` and the logs: the host, the process and a random
/// part (two apps in one process — the tests — are two instances).
pub fn new_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "aula".to_string());
    let suffix: u32 = rand::rng().random();
    format!("{host}-{}-{suffix:08x}", std::process::id())
}

/// Takes or renews the lease of `job` for `holder` until `now + ttl`: true when `holder` holds
/// it now (it was free, expired, or already its own). One conditional statement, so two
/// instances asking together never both get it.
pub async fn hold_lease(
    db: &DatabaseConnection,
    job: &str,
    holder: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let until = now + ttl;
    // The first asker creates the row (and holds it); later ones find it.
    let inserted = job_lease::Entity::insert(job_lease::ActiveModel {
        job: Set(job.to_string()),
        holder: Set(holder.to_string()),
        expires_at: Set(until),
    })
    .on_conflict(
        OnConflict::column(job_lease::Column::Job)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(rows) if rows > 0 => return Ok(true),
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
        Err(e) => return Err(e.into()),
    }
    let taken = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(holder))
        .col_expr(job_lease::Column::ExpiresAt, Expr::value(until))
        .filter(job_lease::Column::Job.eq(job))
        .filter(
            sea_orm::Condition::any()
                .add(job_lease::Column::Holder.eq(holder))
                .add(job_lease::Column::ExpiresAt.lte(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Gives the lease of `job` up, if `holder` holds it (on shutdown: another instance takes
/// over at its next pass instead of waiting for the lease to end).
pub async fn release_lease(db: &DatabaseConnection, job: &str, holder: &str) -> AppResult<()> {
    job_lease::Entity::update_many()
        .col_expr(
            job_lease::Column::ExpiresAt,
            Expr::value(crate::time::now()),
        )
        .filter(job_lease::Column::Job.eq(job))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Who holds `job`'s lease now, if anybody.
pub async fn lease_holder(db: &DatabaseConnection, job: &str) -> AppResult<Option<String>> {
    Ok(job_lease::Entity::find_by_id(job.to_string())
        .filter(job_lease::Column::ExpiresAt.gt(crate::time::now()))
        .one(db)
        .await?
        .map(|lease| lease.holder))
}

/// The `settings` key of the cookie secret kept in the database.
const COOKIE_SECRET: &str = "cookie_secret_key";

/// Makes sure `settings` holds the cookie secret (512 random bits in base64), generated by the
/// first instance; run under the startup lock, so instances started together write nothing
/// afterwards (on SQLite a late write would wait behind another instance's preparation).
pub async fn ensure_cookie_secret(db: &DatabaseConnection) -> AppResult<()> {
    use base64::Engine;
    let bytes: [u8; 32] = rand::rng().random();
    let more: [u8; 32] = rand::rng().random();
    let drawn = base64::engine::general_purpose::STANDARD.encode([bytes, more].concat());
    let inserted = setting::Entity::insert(setting::ActiveModel {
        key: Set(COOKIE_SECRET.to_string()),
        value: Set(drawn),
        updated_at: Set(crate::time::now()),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The secret that encrypts private cookies when none is configured (`secret_key`): the one
/// [`ensure_cookie_secret`] keeps in the database, the same for every instance, so a session
/// or a form started on one instance is valid on all.
pub async fn cookie_secret(db: &DatabaseConnection) -> AppResult<String> {
    setting::Entity::find_by_id(COOKIE_SECRET.to_string())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| AppError::Internal("falta el secreto de las cookies en settings".into()))
}
