//! The administrators' view of the email outbox: a page of emails, how many are in a state,
//! and sending a failed one again (audited).

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::outbox;
use crate::entities::values::OutboxStatus;
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// One page (`page` ≥ 1) of the outbox, newest first, in `status` if given: (emails, total).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    status: Option<OutboxStatus>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<outbox::Model>, u64)> {
    let mut query = outbox::Entity::find().order_by_desc(outbox::Column::Id);
    if let Some(status) = status {
        query = query.filter(outbox::Column::Status.eq(status));
    }
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((rows, total))
}

/// How many emails are in `status`.
pub async fn count<C: ConnectionTrait>(db: &C, status: OutboxStatus) -> AppResult<u64> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status))
        .count(db)
        .await?)
}

/// An email's state in the audit log.
#[derive(Serialize)]
struct StatusEntry {
    status: OutboxStatus,
}

/// Puts a failed email back in the queue (`mail::retry`) and audits it; false when there is
/// no such failed email to send again.
pub async fn retry<C: ConnectionTrait>(db: &C, admin: &Actor, id: i64) -> AppResult<bool> {
    if !crate::mail::retry(db, id).await? {
        return Ok(false);
    }
    let entry = |status| serde_json::to_value(StatusEntry { status }).ok();
    audit::record(
        db,
        Change {
            actor: Some(admin.id),
            action: "outbox.retried",
            subject_type: "outbox",
            subject_id: id.to_string(),
            before: entry(OutboxStatus::Failed),
            after: entry(OutboxStatus::Pending),
        },
    )
    .await?;
    Ok(true)
}
