//! Reads of a person's record by staff (issue 67): one audit row per view
//! (`participant.viewed`, the viewer as actor, what was opened in `after_json`), which the
//! person reads in «Mis datos» and `GET /me/data-access`.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::{audit_log, participant, user};
use crate::error::AppResult;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The audit action of a view of a person's record.
pub const VIEWED: &str = "participant.viewed";

/// The most recent views shown to the person.
pub const SHOWN: u64 = 200;

#[derive(Serialize, Deserialize)]
struct Viewed {
    role: String,
    what: String,
}

/// Records that `actor` opened `what` (e.g. «Corrección de datos personales») of person
/// `participant_id`: one insert.
pub async fn record_view<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    participant_id: i32,
    what: &str,
) -> AppResult<()> {
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: VIEWED,
            subject_type: "participant",
            subject_id: participant_id.to_string(),
            before: None,
            after: serde_json::to_value(Viewed {
                role: actor.role.as_str().to_string(),
                what: what.to_string(),
            })
            .ok(),
        },
    )
    .await
}

/// One view of her record, as the person sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    /// When (RFC 3339, Bogotá).
    #[schema(format = DateTime)]
    pub at: String,
    /// The viewer's role (`admin`, `coordinator`…).
    pub by_role: String,
    /// The role in Spanish («Coordinación»…), for the page.
    pub by_role_label: String,
    /// The viewer's name.
    pub by_name: String,
    /// What was opened.
    pub what: String,
}

/// The views of the record of the person whose account is `user_id`, newest first (at most
/// [`SHOWN`]).
pub async fn of_user<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<Vec<AccessView>> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::SubjectType.eq("participant"))
        .filter(audit_log::Column::SubjectId.eq(person.id.to_string()))
        .filter(audit_log::Column::Action.eq(VIEWED))
        .order_by_desc(audit_log::Column::Id)
        .limit(SHOWN)
        .all(db)
        .await?;
    let viewers: Vec<i32> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(viewers))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let viewed: Option<Viewed> = row
                .after_json
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok());
            let role = viewed.as_ref().map(|v| v.role.clone()).unwrap_or_default();
            AccessView {
                at: crate::time::date_time(row.occurred_at),
                by_role_label: crate::entities::values::Role::parse(&role)
                    .map(|r| r.label().to_string())
                    .unwrap_or_default(),
                by_role: role,
                by_name: row
                    .actor_user_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_else(|| "Cuenta eliminada".into()),
                what: viewed.map(|v| v.what).unwrap_or_default(),
            }
        })
        .collect())
}
