//! The audit log: who changed what, when, with the state before and after. Every capability
//! calls `record` inside the transaction of the change it describes.

use crate::entities::{audit_log, user};
use crate::error::AppResult;
use crate::rows::Rows;
use crate::time::now;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::Value;

/// One change to record.
pub struct Change<'a> {
    pub actor: Option<i32>,
    /// e.g. `user.created`, `user.role_changed`, `attendance.updated`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record<C: ConnectionTrait>(db: &C, change: Change<'_>) -> AppResult<()> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        actor_user_id: Set(change.actor),
        action: Set(change.action.to_string()),
        subject_type: Set(change.subject_type.to_string()),
        subject_id: Set(change.subject_id),
        before_json: Set(change.before.map(|v| v.to_string())),
        after_json: Set(change.after.map(|v| v.to_string())),
        occurred_at: Set(now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Rows per multi-row INSERT (7 values each: far below SQLite's limit of bound values).
pub const BATCH_ROWS: usize = 1000;

/// Records several changes with few statements (e.g. every mark of a saved session).
pub async fn record_many<C: ConnectionTrait>(db: &C, changes: Vec<Change<'_>>) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let at = now();
    let mut rows: Vec<audit_log::ActiveModel> = changes
        .into_iter()
        .map(|change| audit_log::ActiveModel {
            actor_user_id: Set(change.actor),
            action: Set(change.action.to_string()),
            subject_type: Set(change.subject_type.to_string()),
            subject_id: Set(change.subject_id),
            before_json: Set(change.before.map(|v| v.to_string())),
            after_json: Set(change.after.map(|v| v.to_string())),
            occurred_at: Set(at),
            ..Default::default()
        })
        .collect();
    // Bounded statements: SQLite allows 32,766 bound values per statement.
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(BATCH_ROWS));
        audit_log::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct Filter {
    pub action: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_user_id: Option<i32>,
    /// Inclusive dates in Colombia.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Serialize)]
pub struct EntryView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub occurred_local: String,
    pub actor: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// What people read (issue 61): the action, the record and the change in words.
    pub action_label: String,
    pub subject_label: String,
    pub before_text: Option<String>,
    pub after_text: Option<String>,
}

/// Newest first, one page at a time.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<EntryView>, u64)> {
    let mut query = audit_log::Entity::find().order_by_desc(audit_log::Column::Id);
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(kind) = filter.subject_type.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::SubjectType.eq(kind));
    }
    if let Some(id) = filter.subject_id.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_log::Column::SubjectId.eq(id));
    }
    if let Some(actor) = filter.actor_user_id {
        query = query.filter(audit_log::Column::ActorUserId.eq(actor));
    }
    if let Some(from) = filter.from {
        query =
            query.filter(audit_log::Column::OccurredAt.gte(crate::time::from_local(from, 0, 0)));
    }
    if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
        query = query.filter(audit_log::Column::OccurredAt.lt(crate::time::from_local(to, 0, 0)));
    }
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    let actor_ids: Vec<i32> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let actors: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(actor_ids))
        .all_mapped(db, |u| (u.id, u.email))
        .await?;
    let entries = rows
        .into_iter()
        .map(|row| EntryView {
            id: row.id,
            occurred_at: row.occurred_at,
            occurred_local: crate::time::local(row.occurred_at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: row.actor_user_id.and_then(|id| actors.get(&id).cloned()),
            action_label: crate::words::action_label(&row.action),
            subject_label: crate::words::subject_label(&row.subject_type),
            before_text: row
                .before_json
                .as_deref()
                .map(|b| crate::words::stored_change_text(&row.subject_type, b)),
            after_text: row
                .after_json
                .as_deref()
                .map(|a| crate::words::stored_change_text(&row.subject_type, a)),
            action: row.action,
            subject_type: row.subject_type,
            subject_id: row.subject_id,
            before: row.before_json,
            after: row.after_json,
        })
        .collect();
    Ok((entries, total))
}
