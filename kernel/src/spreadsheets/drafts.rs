//! The file an import page previewed, kept on the server (issue 61, item 3): «Revisar» keeps
//! it under a random token the preview page carries, and «Importar» sends only the token, so
//! the person chooses the file once.
//!
//! ```text
//! keep(db, user_id, kind, name, bytes) -> token     ; expired drafts deleted first
//! take::<Row>(db, user_id, kind, token) -> Source   ; claims it: used once
//! release(db, token)                                ; the import refused it: usable again
//! ```
//!
//! A draft is bounded like an upload ([`MAX_UPLOAD_BYTES`]), lives [`LIFETIME`], answers only
//! the account that previewed it and the import it was previewed for (`kind`: `cohorts`,
//! `assistances`, `costs`, `indicators`, `enrolment:<cohort id>`), and imports once: it is
//! claimed before the save (two «Importar» at once: one imports, the other is told it was
//! used) and released when the save refuses it (nothing was written; the person may fix what
//! the problems say elsewhere and press «Importar» again). Someone else's token reads as an
//! unknown one (nothing says it exists).

use super::MAX_UPLOAD_BYTES;
use super::pipeline::Source;
use crate::entities::import_draft;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// How long a previewed file waits for «Importar».
pub const LIFETIME: Duration = Duration::hours(2);

/// The form field the problems name (the file input: the way out is choosing it again).
const FIELD: &str = "file";

const UNKNOWN: &str = "No encontramos la revisión de este archivo: elija el archivo y pulse \
                       «Revisar sin guardar» otra vez.";
const EXPIRED: &str = "La revisión de este archivo venció (se guarda 2 horas): elija el archivo \
                       y pulse «Revisar sin guardar» otra vez.";
const USED: &str = "Este archivo ya se importó desde esta revisión: para importarlo de nuevo, \
                    elíjalo y pulse «Revisar sin guardar» otra vez.";

fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn expired(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    created_at + LIFETIME <= now
}

/// Keeps a previewed file for `user_id` and the import `kind`; its token. Drafts past their
/// lifetime (used or not) are deleted in the same write.
pub async fn keep(
    db: &DatabaseConnection,
    user_id: i32,
    kind: &str,
    name: &str,
    bytes: Vec<u8>,
) -> AppResult<String> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge);
    }
    let now = crate::time::now();
    let token = new_token();
    let kept = token.clone();
    crate::db::write(db, async |txn| {
        import_draft::Entity::delete_many()
            .filter(import_draft::Column::CreatedAt.lte(now - LIFETIME))
            .exec(txn)
            .await?;
        import_draft::ActiveModel {
            token: Set(kept),
            user_id: Set(user_id),
            kind: Set(kind.to_string()),
            filename: Set(name.chars().take(255).collect()),
            bytes: Set(bytes),
            created_at: Set(now),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(())
    })
    .await?;
    Ok(token)
}

/// The draft `token` of `user_id` for the import `kind`, claimed (it imports once): the file
/// to import. Unknown, another account's or another import's, past its lifetime, or already
/// used: a 422 on the file saying to choose it again; nothing claimed.
pub async fn take<Row>(
    db: &DatabaseConnection,
    user_id: i32,
    kind: &str,
    token: &str,
) -> AppResult<Source<Row>> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::invalid(FIELD, UNKNOWN));
    }
    let now = crate::time::now();
    let draft = crate::db::write(db, async |txn| {
        let draft = import_draft::Entity::find()
            .filter(import_draft::Column::Token.eq(token))
            .one(txn)
            .await?
            .filter(|d| d.user_id == user_id && d.kind == kind)
            .ok_or_else(|| AppError::invalid(FIELD, UNKNOWN))?;
        if draft.used_at.is_some() {
            return Err(AppError::invalid(FIELD, USED));
        }
        if expired(draft.created_at, now) {
            return Err(AppError::invalid(FIELD, EXPIRED));
        }
        let claimed = import_draft::Entity::update_many()
            .col_expr(import_draft::Column::UsedAt, Expr::value(now))
            .filter(import_draft::Column::Id.eq(draft.id))
            .filter(import_draft::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(AppError::invalid(FIELD, USED));
        }
        Ok(draft)
    })
    .await?;
    Ok(Source::File {
        bytes: draft.bytes,
        name: draft.filename,
    })
}

/// A claimed draft whose import was refused (nothing written): usable again until it expires.
pub async fn release(db: &DatabaseConnection, token: &str) -> AppResult<()> {
    crate::db::write(db, async |txn| {
        import_draft::Entity::update_many()
            .col_expr(
                import_draft::Column::UsedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(import_draft::Column::Token.eq(token.trim()))
            .exec(txn)
            .await?;
        Ok(())
    })
    .await
}
