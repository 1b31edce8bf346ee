//! «¿Sigue en la misma entidad?»: a person who left the entity of a municipality where they
//! trained (issue 17). Their training there no longer counts as "still in the entity"; the
//! follow-up survey records it (see `surveys`), a change of municipality back withdraws it.

use crate::entities::entity_departure;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, Set};

/// «¿Sigue en la misma entidad?» answered: no → the person left the entity of the
/// municipality; yes → they are there (a departure they reported earlier is withdrawn).
///
/// Nothing here tells when the person answered: no audit entry (a named, timestamped row
/// written with the anonymous answer would point at it), and the departure carries the
/// survey's opening time, the same for everyone invited with this person.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
    municipality_code: &str,
    still: bool,
    survey_opened: DateTime<Utc>,
) -> AppResult<()> {
    let existing =
        entity_departure::Entity::find_by_id((participant_id, municipality_code.to_string()))
            .one(db)
            .await?;
    match (still, existing) {
        (false, None) => {
            entity_departure::Entity::insert(entity_departure::ActiveModel {
                participant_id: Set(participant_id),
                municipality_code: Set(municipality_code.to_string()),
                reported_at: Set(survey_opened),
            })
            .on_conflict(
                OnConflict::columns([
                    entity_departure::Column::ParticipantId,
                    entity_departure::Column::MunicipalityCode,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        (true, Some(row)) => {
            row.delete(db).await?;
        }
        _ => {}
    }
    Ok(())
}

/// A person whose municipality changed to `municipality_code` is there now: a departure from
/// it they reported earlier no longer holds.
pub async fn returned<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
    municipality_code: &str,
) -> AppResult<()> {
    entity_departure::Entity::delete_many()
        .filter(entity_departure::Column::ParticipantId.eq(participant_id))
        .filter(entity_departure::Column::MunicipalityCode.eq(municipality_code))
        .exec(db)
        .await?;
    Ok(())
}
