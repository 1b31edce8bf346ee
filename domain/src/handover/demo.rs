//! The demo's handover (issue 48): El Paujíl's, with one official trained for it gone.

use crate::entities::{enrolment, entity_departure};
use crate::error::AppResult;
use crate::rows::Rows;
use crate::time::now;
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// Issue 48's demo: El Paujíl's handover (`/municipios/18256/empalme`) is rich — its
/// assistances already hold an overdue open agreement, pending milestones and products; here
/// one more official trained for it reports having left the alcaldía (the follow-up survey's
/// answer), so the handover shows who is still in the entity and who left. The demo
/// participant is not the one: their own follow-up is still to answer.
pub async fn load<C: ConnectionTrait>(db: &C, the_participant: i32) -> AppResult<()> {
    let place = "18256";
    let gone: Vec<i32> = entity_departure::Entity::find()
        .filter(entity_departure::Column::MunicipalityCode.eq(place))
        .all_mapped(db, |d| d.participant_id)
        .await?;
    let leaving = enrolment::Entity::find()
        .filter(enrolment::Column::MunicipalityCode.eq(place))
        .filter(enrolment::Column::ParticipantId.ne(the_participant))
        .filter(enrolment::Column::ParticipantId.is_not_in(gone))
        .order_by_desc(enrolment::Column::Id)
        .one(db)
        .await?;
    if let Some(leaving) = leaving {
        entity_departure::Entity::insert(entity_departure::ActiveModel {
            participant_id: Set(leaving.participant_id),
            municipality_code: Set(place.into()),
            reported_at: Set(now() - Duration::days(12)),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
