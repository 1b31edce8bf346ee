//! The demo's habeas data (issue 67): a person of the Caquetá pilots asked four days ago, in
//! writing, for her data to be deleted; the request waits in the administrator's queue
//! (`/admin/solicitudes-de-datos`).

use super::requests::{PENDING, due_on};
use crate::entities::data_request;
use crate::error::AppResult;
use crate::people::demo::People;
use crate::time::{from_local, today};
use chrono::Duration;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

/// Ramiro Peña Cuéllar (El Paujíl): the person whose supresión is pending.
pub const REQUESTER: usize = 5;

/// The pending supresión, asked four days ago.
pub async fn load<C: ConnectionTrait>(db: &C, people: &People) -> AppResult<()> {
    let asked = today() - Duration::days(4);
    data_request::Entity::insert(data_request::ActiveModel {
        participant_id: Set(people.at(REQUESTER).id),
        kind: Set("supresion".into()),
        reason: Set(Some(
            "Ya no hago parte de la junta de acción comunal y no quiero que mis datos sigan en \
             la plataforma."
                .into(),
        )),
        status: Set(PENDING.into()),
        requested_at: Set(from_local(asked, 9, 30)),
        requested_on: Set(asked),
        due_on: Set(due_on(asked)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
