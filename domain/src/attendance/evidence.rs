//! Paper as evidence (issue 66, item 5): a photo or scan of a session's signed sheet attached
//! to the session. Kept like the knowledge bank's files (`knowledge::files` checks the name,
//! the size and the type by extension and content; `knowledge::storage` keeps the bytes under
//! `files_dir` or in the database), accepting only images and PDF, at most
//! [`MAX_FILES_PER_SESSION`] per session.
//!
//! Who: the cohort's instructors and staff in scope (coordinators, admins) upload and read;
//! the reviewers of the cohort's department read; nobody else (participants and liaisons →
//! 403, out of scope → 404).

use super::{Access, session_access};
use crate::accounts::actor::Actor;
use crate::entities::values::Role;
use crate::entities::{cohort_session, session_evidence, session_evidence_file, user};
use crate::error::{AppError, AppResult};
use crate::knowledge::files::{self, Upload};
use crate::knowledge::storage::{self, Storage};
use crate::knowledge::{Body, Download};
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use std::collections::HashMap;

/// The most evidence files one session keeps.
pub const MAX_FILES_PER_SESSION: u64 = 20;

/// The content types evidence may have (checked by extension and content).
const ACCEPTED_TYPES: [&str; 2] = ["application/pdf", "image/"];

/// What the messages say is accepted.
pub const ACCEPTED: &str = "PDF o imagen (.png, .jpg)";

/// An evidence file of a session.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SessionEvidence)]
pub struct EvidenceView {
    pub id: i32,
    pub session_id: i32,
    pub file_name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Who uploaded it (their name), if known.
    pub uploaded_by: Option<String>,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
    /// Where to download it (`/api/v1/sessions/{id}/evidence/{evidence_id}`).
    pub url: String,
}

/// The session if the caller may read its evidence: those who manage its attendance, and the
/// reviewers of its department.
async fn readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: i32,
) -> AppResult<(cohort_session::Model, bool)> {
    let (session, _, access) = session_access(db, actor, session_id).await?;
    match access {
        Access::Manage(_) => Ok((session, true)),
        Access::Read(_) if actor.role == Role::Reviewer => Ok((session, false)),
        _ => Err(AppError::Forbidden),
    }
}

async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<session_evidence::Model>,
) -> AppResult<Vec<EvidenceView>> {
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.uploaded_by)))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| EvidenceView {
            url: format!("/api/v1/sessions/{}/evidence/{}", r.session_id, r.id),
            id: r.id,
            session_id: r.session_id,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.file_size,
            uploaded_by: r.uploaded_by.and_then(|id| names.get(&id).cloned()),
            uploaded_at: crate::time::date_time(r.uploaded_at),
        })
        .collect())
}

/// The evidence of a session, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: i32,
) -> AppResult<Vec<EvidenceView>> {
    let (session, _) = readable(db, actor, session_id).await?;
    let rows = session_evidence::Entity::find()
        .filter(session_evidence::Column::SessionId.eq(session.id))
        .order_by_asc(session_evidence::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// Attaches `upload` to the session: 403 for who only reads; 413 beyond the bank's file size;
/// 422 on `file` for a name, type or content not accepted (only PDF and images) or a session
/// that already has [`MAX_FILES_PER_SESSION`]. Audited. Run inside a transaction; the file
/// under `files_dir` is written before the row commits (a failed commit leaves an orphan
/// file, never a row without its file).
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: i32,
    upload: Upload,
    storage: &Storage,
) -> AppResult<EvidenceView> {
    let (session, manages) = readable(db, actor, session_id).await?;
    if !manages {
        return Err(AppError::Forbidden);
    }
    let checked = files::check(&upload)?;
    if !ACCEPTED_TYPES
        .iter()
        .any(|t| checked.content_type.starts_with(t))
    {
        return Err(AppError::invalid(
            "file",
            format!(
                "La evidencia de una sesión debe ser un {ACCEPTED}: foto o escaneo de la planilla firmada."
            ),
        ));
    }
    // Serialise uploads to the session's cohort (the count below holds).
    crate::cohorts::lock(db, session.cohort_id).await?;
    let count = session_evidence::Entity::find()
        .filter(session_evidence::Column::SessionId.eq(session.id))
        .count(db)
        .await?;
    if count >= MAX_FILES_PER_SESSION {
        return Err(AppError::invalid(
            "file",
            format!(
                "Esta sesión ya tiene {MAX_FILES_PER_SESSION} archivos de evidencia, el máximo."
            ),
        ));
    }
    let place = storage.files_dir.as_ref().map(|_| storage::new_place());
    let saved = session_evidence::ActiveModel {
        session_id: Set(session.id),
        file_name: Set(checked.name.clone()),
        content_type: Set(checked.content_type.to_string()),
        file_size: Set(i64::try_from(upload.size).unwrap_or(i64::MAX)),
        file_path: Set(place.clone()),
        uploaded_by: Set(Some(actor.id)),
        uploaded_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    match (&place, &storage.files_dir) {
        (Some(place), Some(files_dir)) => storage::keep(files_dir, place, &upload).await?,
        _ => {
            session_evidence_file::ActiveModel {
                evidence_id: Set(saved.id),
                content: Set(upload.into_bytes().await?),
            }
            .insert(db)
            .await?;
        }
    }
    let view = views(db, vec![saved])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("evidencia recién guardada no encontrada".into()))?;
    crate::audit::record(
        db,
        crate::audit::Change {
            actor: Some(actor.id),
            action: "session_evidence.created",
            subject_type: "session",
            subject_id: session.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// An evidence file to download (same readers as [`list`]; another session's → 404).
pub async fn download<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: i32,
    evidence_id: i32,
    storage: &Storage,
) -> AppResult<Download> {
    let (session, _) = readable(db, actor, session_id).await?;
    let row = session_evidence::Entity::find_by_id(evidence_id)
        .filter(session_evidence::Column::SessionId.eq(session.id))
        .found(db)
        .await?;
    let body = match &row.file_path {
        Some(place) => Body::File(storage::path_of(storage, place)?),
        None => Body::Bytes(
            session_evidence_file::Entity::find_by_id(row.id)
                .found(db)
                .await?
                .content,
        ),
    };
    Ok(Download {
        name: row.file_name,
        content_type: row.content_type,
        body,
    })
}
