//! Bounded storage for the knowledge bank (issue 62, item 1).
//!
//! - **Quota per provider** ([`Storage::quota_bytes`], the `bank_quota_mib` setting, 500 MiB by
//!   default): the sizes of a provider's files not deleted, plus the new one, may not exceed
//!   it; beyond, 413 naming the quota and what is in use, nothing stored. The check runs in the
//!   writing transaction under the provider row's lock (PostgreSQL `SELECT … FOR UPDATE`;
//!   SQLite's writer already holds the file's lock), so twenty uploads at once cannot each
//!   find room that only one of them has.
//! - **Upload rate per account** ([`Storage::uploads_per_hour`], `bank_uploads_per_hour`, 20
//!   by default): files the account added in the last hour, deleted ones included; beyond,
//!   429 with `Retry-After` until the oldest leaves the hour.
//! - **Where the bytes lie** ([`Storage::files_dir`], `files_dir`): unset, in the database
//!   (`resource_files`: every instance reads them, backups keep them); set, under that folder
//!   as `bank/{random}` (every instance must share it), copied from the upload's temporary
//!   file without holding it whole in memory.
//!
//! Only the bank stores files today; evidence files, when they are kept, count against the
//! same quota through [`used`].

use crate::accounts::actor::Actor;
use crate::entities::{provider, resource};
use crate::error::{AppError, AppResult};
use crate::knowledge::files::{Content, Upload};
use crate::rows::Rows;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The default quota per provider, MiB.
pub const DEFAULT_QUOTA_MIB: u64 = crate::config::DEFAULT_BANK_QUOTA_MIB;
/// The default number of files one account adds in an hour.
pub const DEFAULT_UPLOADS_PER_HOUR: u64 = crate::config::DEFAULT_BANK_UPLOADS_PER_HOUR;

const MIB: i64 = 1024 * 1024;

/// The bank's storage rules, from the settings.
#[derive(Clone, Debug)]
pub struct Storage {
    pub quota_bytes: i64,
    pub uploads_per_hour: u64,
    pub files_dir: Option<PathBuf>,
}

impl Storage {
    pub fn of(config: &crate::config::AppConfig) -> Storage {
        Storage {
            quota_bytes: i64::try_from(config.bank_quota_mib)
                .unwrap_or(i64::MAX / MIB)
                .saturating_mul(MIB),
            uploads_per_hour: config.bank_uploads_per_hour,
            files_dir: config.files_dir.clone(),
        }
    }

    /// No quota, no rate, bytes in the database: the demo data and commands.
    pub fn unbounded() -> Storage {
        Storage {
            quota_bytes: i64::MAX,
            uploads_per_hour: u64::MAX,
            files_dir: None,
        }
    }
}

/// MiB as people read them: «500 MiB», «12,5 MiB».
pub fn mib_label(bytes: i64) -> String {
    let mib = bytes as f64 / MIB as f64;
    let digits = if bytes % MIB == 0 || mib >= 100.0 {
        0
    } else {
        1
    };
    format!("{} MiB", crate::format::decimal(mib, digits))
}

/// Bytes of `provider`'s files not deleted.
pub async fn used<C: ConnectionTrait>(db: &C, provider: i32) -> AppResult<i64> {
    let total: Option<Option<i64>> = resource::Entity::find()
        .select_only()
        .column_as(
            Expr::expr(Expr::col(resource::Column::FileSize).sum()).cast_as(Alias::new("BIGINT")),
            "total",
        )
        .filter(resource::Column::ProviderId.eq(provider))
        .filter(resource::Column::DeletedAt.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(total.flatten().unwrap_or(0))
}

/// 413 naming the quota when `incoming` more bytes would take `provider` beyond it. Locks the
/// provider's row first (see the module's note).
pub async fn check_quota<C: ConnectionTrait>(
    db: &C,
    storage: &Storage,
    provider_id: i32,
    incoming: u64,
) -> AppResult<()> {
    provider::Entity::find_by_id(provider_id)
        .lock_exclusive()
        .one(db)
        .await?;
    let in_use = used(db, provider_id).await?;
    let incoming = i64::try_from(incoming).unwrap_or(i64::MAX);
    if in_use.saturating_add(incoming) > storage.quota_bytes {
        return Err(AppError::OverQuota(format!(
            "Su oferente llegó al límite de almacenamiento del banco de conocimiento: {} por \
             oferente (usa {}; este archivo pesa {}). Elimine recursos que ya no se usen o pida \
             a la ESAP ampliar la cuota.",
            mib_label(storage.quota_bytes),
            mib_label(in_use),
            mib_label(incoming)
        )));
    }
    Ok(())
}

/// 429 when `actor` added [`Storage::uploads_per_hour`] files in the last hour, with the
/// seconds until the oldest of them leaves the hour.
pub async fn check_rate<C: ConnectionTrait>(
    db: &C,
    storage: &Storage,
    actor: &Actor,
) -> AppResult<()> {
    let most = storage.uploads_per_hour;
    if most == u64::MAX {
        return Ok(());
    }
    let now = crate::time::now();
    let since = now - chrono::Duration::hours(1);
    let recent: Vec<chrono::DateTime<chrono::Utc>> = resource::Entity::find()
        .select_only()
        .column(resource::Column::CreatedAt)
        .filter(resource::Column::CreatedBy.eq(actor.id))
        .filter(resource::Column::CreatedAt.gt(since))
        .filter(resource::Column::FileSize.is_not_null())
        .order_by_desc(resource::Column::CreatedAt)
        .limit(Ord::min(most.saturating_add(1), 10_000))
        .into_tuple()
        .all(db)
        .await?;
    if (recent.len() as u64) < most {
        return Ok(());
    }
    // The `most`-th newest must leave the hour before another fits.
    let blocking = recent
        .get(usize::try_from(most.saturating_sub(1)).unwrap_or(usize::MAX))
        .or(recent.last())
        .copied()
        .unwrap_or(now);
    let wait = Ord::max(
        (blocking + chrono::Duration::hours(1) - now).num_seconds(),
        1,
    );
    Err(AppError::Throttled(wait as u64))
}

/// A provider's use of the bank.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderUse {
    pub provider_id: i32,
    pub provider_name: String,
    pub files: i64,
    pub bytes: i64,
    /// «12,5 MiB».
    pub used_label: String,
    /// Of the quota, 0–100 (more when the quota was lowered below the use).
    pub percent: i64,
}

/// The bank's use, per provider with files (largest first), for the review page and
/// `/metrics`; `only` restricts it to one provider.
pub async fn usage<C: ConnectionTrait>(
    db: &C,
    storage: &Storage,
    only: Option<i32>,
) -> AppResult<Vec<ProviderUse>> {
    let mut query = resource::Entity::find()
        .select_only()
        .column(resource::Column::ProviderId)
        .column_as(
            Expr::expr(Expr::col(resource::Column::FileSize).count()).cast_as(Alias::new("BIGINT")),
            "files",
        )
        .column_as(
            Expr::expr(Expr::col(resource::Column::FileSize).sum()).cast_as(Alias::new("BIGINT")),
            "bytes",
        )
        .filter(resource::Column::DeletedAt.is_null())
        .filter(resource::Column::FileSize.is_not_null())
        .group_by(resource::Column::ProviderId);
    if let Some(provider) = only {
        query = query.filter(resource::Column::ProviderId.eq(provider));
    }
    let rows: Vec<(i32, i64, Option<i64>)> = query.into_tuple().all(db).await?;
    let names: std::collections::HashMap<i32, String> = provider::Entity::find()
        .filter(provider::Column::Id.is_in(rows.iter().map(|r| r.0)))
        .all_mapped(db, |p| (p.id, p.name))
        .await?;
    let mut out: Vec<ProviderUse> = rows
        .into_iter()
        .map(|(provider_id, files, bytes)| {
            let bytes = bytes.unwrap_or(0);
            ProviderUse {
                provider_name: names.get(&provider_id).cloned().unwrap_or_default(),
                provider_id,
                files,
                bytes,
                used_label: mib_label(bytes),
                percent: if storage.quota_bytes > 0 {
                    Ord::max(
                        bytes.saturating_mul(100) / storage.quota_bytes,
                        i64::from(bytes > 0),
                    )
                } else {
                    100
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(a.provider_id.cmp(&b.provider_id))
    });
    Ok(out)
}

/// A new relative place for a file under `files_dir`: `bank/{32 hex digits}` (never a name
/// the client chose).
pub fn new_place() -> String {
    format!("bank/{:032x}", rand::random::<u128>())
}

fn under(files_dir: &Path, place: &str) -> AppResult<PathBuf> {
    let relative = Path::new(place);
    let plain = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(AppError::Internal(format!(
            "lugar de archivo inválido: {place}"
        )));
    }
    Ok(files_dir.join(relative))
}

/// Copies `upload` to `place` under `files_dir` (its folder created), from its temporary file
/// when it has one (streamed, never whole in memory).
pub async fn keep(files_dir: &Path, place: &str, upload: &Upload) -> AppResult<()> {
    let target = under(files_dir, place)?;
    let failed = |e: std::io::Error| {
        AppError::Internal(format!(
            "no se pudo guardar el archivo en {}: {e}",
            target.display()
        ))
    };
    if let Some(folder) = target.parent() {
        tokio::fs::create_dir_all(folder).await.map_err(failed)?;
    }
    match &upload.content {
        Content::File(path) => tokio::fs::copy(path, &target).await.map(|_| ()),
        Content::Bytes(bytes) => tokio::fs::write(&target, bytes).await,
    }
    .map_err(failed)
}

/// Where a kept file lies, to be read.
pub fn path_of(storage: &Storage, place: &str) -> AppResult<PathBuf> {
    let Some(files_dir) = &storage.files_dir else {
        return Err(AppError::Internal(format!(
            "el archivo {place} está fuera de la base de datos y files_dir no está configurado"
        )));
    };
    under(files_dir, place)
}

/// Removes a kept file after the deletion that let it go committed (a failure is logged: the
/// quota no longer counts it).
pub async fn discard(storage: &Storage, place: &str) {
    match path_of(storage, place) {
        Ok(path) => {
            if let Err(error) = tokio::fs::remove_file(&path).await {
                tracing::warn!(%error, path = %path.display(), "a deleted resource's file was not removed");
            }
        }
        Err(error) => tracing::warn!(%error, "a deleted resource's file was not removed"),
    }
}
