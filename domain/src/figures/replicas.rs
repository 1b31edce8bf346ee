//! The replica figures (`replica_figures`, issue 48): per municipality × capacity × year the
//! replicas delivered and the people they reached — second-generation reach, kept beside the
//! direct training and never summed into it. Every write of a replica refreshes its
//! municipality's rows in the same transaction ([`refresh`]); [`rebuild`] recomputes every row
//! with the same computation. Only replicas that count are summed: within the bounds or
//! approved by a coordinator (issue 62, `trainers::review`).

use crate::entities::values::ReplicaReview;
use crate::entities::{replica, replica_figure};
use crate::error::AppResult;
use chrono::Datelike;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

/// Recomputes the rows of one municipality from its replicas.
pub async fn refresh<C: ConnectionTrait>(db: &C, municipality_code: &str) -> AppResult<()> {
    replica_figure::Entity::delete_many()
        .filter(replica_figure::Column::MunicipalityCode.eq(municipality_code))
        .exec(db)
        .await?;
    let found = rows(db, Some(municipality_code)).await?;
    super::insert_all(db, found).await
}

/// Recomputes every row (in the caller's transaction); returns how many there are.
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    replica_figure::Entity::delete_many().exec(db).await?;
    let found = rows(db, None).await?;
    let n = found.len();
    super::insert_all(db, found).await?;
    Ok(n)
}

/// Every row, in key order.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<replica_figure::Model>> {
    let mut out = replica_figure::Entity::find().all(db).await?;
    out.sort();
    Ok(out)
}

/// The rows of one municipality (or of all) computed from the replicas.
async fn rows<C: ConnectionTrait>(
    db: &C,
    municipality_code: Option<&str>,
) -> AppResult<Vec<replica_figure::Model>> {
    // Only replicas that count (issue 62): within the bounds, or approved by a coordinator.
    let mut query = replica::Entity::find()
        .filter(replica::Column::Review.is_in([ReplicaReview::Counted, ReplicaReview::Approved]));
    if let Some(code) = municipality_code {
        query = query.filter(replica::Column::MunicipalityCode.eq(code));
    }
    let mut cells: BTreeMap<(String, i32, i32), (String, i32, i32)> = BTreeMap::new();
    for r in query.all(db).await? {
        let cell = cells
            .entry((r.municipality_code.clone(), r.capacity_id, r.date.year()))
            .or_insert_with(|| (r.department_code.clone(), 0, 0));
        cell.1 += 1;
        cell.2 += r.people_reached;
    }
    Ok(cells
        .into_iter()
        .map(
            |((municipality_code, capacity_id, year), (department_code, replicas, people))| {
                replica_figure::Model {
                    municipality_code,
                    capacity_id,
                    year,
                    department_code,
                    replicas,
                    people_reached: people,
                }
            },
        )
        .collect())
}
