//! The demo's territory: the programme's pilot municipalities and ESAP's Dirección Territorial
//! Meta with its coordinator (issue 16).

use crate::entities::{territorial_direction, territorial_direction_department, user};
use crate::error::{AppError, AppResult};
use crate::time::now;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// The programme's pilot municipalities (domain brief): the four of Caquetá, then the three of
/// Meta.
pub const PILOT_MUNICIPALITIES: &[&str] = &[
    "18592", "18256", "18610", "18094", "50325", "50450", "50577",
];

/// The Dirección Territorial Meta (Meta and the Amazonian and Orinoquian departments east of
/// it), its coordinator `coordinator` (the account «coordinacion.meta»).
pub async fn meta_direction<C: ConnectionTrait>(db: &C, coordinator: i32) -> AppResult<()> {
    let at = now();
    let direction = territorial_direction::ActiveModel {
        name: Set("Dirección Territorial Meta".into()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Meta and the Amazonian and Orinoquian departments east of it.
    for code in ["50", "94", "95", "97", "99"] {
        territorial_direction_department::ActiveModel {
            direction_id: Set(direction.id),
            department_code: Set(code.into()),
        }
        .insert(db)
        .await?;
    }
    let mut model: user::ActiveModel = user::Entity::find_by_id(coordinator)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el coordinador de la dirección".into()))?
        .into();
    model.territorial_direction_id = Set(Some(direction.id));
    model.update(db).await?;
    Ok(())
}
