//! A municipality as its pages name it (department, category, PDET subregion). Reviewers see
//! only the municipalities of their department; its training and indicators are
//! `indicators::impact::municipality`.

use crate::accounts::actor::Actor;
use crate::entities::{municipality, pdet_subregion};
use crate::error::{AppError, AppResult};
use crate::rows::Found;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub department_code: String,
    pub department_name: String,
    pub category: Option<String>,
    /// The PDET subregion's name, when the municipality is PDET.
    pub pdet: Option<String>,
}

/// A municipality in the caller's territory (404 otherwise: a reviewer sees only the
/// municipalities of their department, a liaison only their own).
pub async fn find<C: ConnectionTrait>(db: &C, user: &Actor, code: &str) -> AppResult<Place> {
    let (place, region) = municipality::Entity::find_by_id(code.to_string())
        .find_also_related(pdet_subregion::Entity)
        .found(db)
        .await?;
    if !user.covers_municipality(&place.code, &place.department_code) {
        return Err(AppError::NotFound);
    }
    Ok(Place {
        department_name: crate::territory::department_name(db, &place.department_code).await?,
        code: place.code,
        name: place.name,
        department_code: place.department_code,
        category: place.category,
        pdet: region.map(|r| r.name),
    })
}
