//! The assistance figures (`assistance_figures`): per place × capacity × provider × year
//! the assistance started, the assistances (not cancelled), the closed ones, those closed with
//! the objective reached, and their visits. Every write to an assistance or its visits
//! refreshes its place's rows in the same transaction ([`refresh`]), so the views that
//! count what a municipality received read them and never count raw rows on a request;
//! [`rebuild`] recomputes every row with the same computation.
//!
//! The place ([`place_of`]) is the municipality's DANE code, or for a gobernación's assistance
//! (issue 49) its department's two-digit code: it counts for its department (every row
//! carries the department) and never for a municipality, its capital included.

use crate::entities::values::AssistanceStatus;
use crate::entities::{assistance, assistance_capacity, assistance_figure, assistance_visit};
use crate::error::AppResult;
use chrono::Datelike;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};

/// Where an assistance's figures are kept (below this module and the delivery facts, which
/// both read it).
pub use super::place::{at_place, is_departmental, place_of};

/// Recomputes the rows of one place from its assistances.
pub async fn refresh<C: ConnectionTrait>(db: &C, place: &str) -> AppResult<()> {
    assistance_figure::Entity::delete_many()
        .filter(assistance_figure::Column::MunicipalityCode.eq(place))
        .exec(db)
        .await?;
    let found = rows(db, Some(place), None).await?;
    super::insert_all(db, found).await?;
    super::delivery::refresh_assistances(db, place).await
}

/// Recomputes every row (in the caller's transaction); returns how many there are.
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    assistance_figure::Entity::delete_many().exec(db).await?;
    let found = rows(db, None, None).await?;
    let n = found.len();
    super::insert_all(db, found).await?;
    Ok(n)
}

/// Every row, in key order.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<assistance_figure::Model>> {
    let mut out = assistance_figure::Entity::find().all(db).await?;
    out.sort();
    Ok(out)
}

/// A row's key: place, capacity, provider, year.
type Key = (String, i32, i32, i32);

/// The rows the assistances that meet `only` would give, computed on the spot (not kept): the
/// offer view filtered by a sector (issue 49) counts the assistances that carry it.
pub async fn computed_for<C: ConnectionTrait>(
    db: &C,
    only: SimpleExpr,
) -> AppResult<Vec<assistance_figure::Model>> {
    rows(db, None, Some(only)).await
}

/// The rows of one place (or of all) computed from the assistances (those that meet `only`,
/// when given).
async fn rows<C: ConnectionTrait>(
    db: &C,
    place: Option<&str>,
    only: Option<SimpleExpr>,
) -> AppResult<Vec<assistance_figure::Model>> {
    let mut query = assistance::Entity::find()
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled));
    if let Some(place) = place {
        query = query.filter(at_place(place));
    }
    if let Some(only) = only {
        query = query.filter(only);
    }
    let found = query.all(db).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = found.iter().map(|r| r.id).collect();
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut visits: HashMap<i32, i32> = HashMap::new();
    for chunk in ids.chunks(super::CHUNK) {
        for link in assistance_capacity::Entity::find()
            .filter(assistance_capacity::Column::AssistanceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            capacities
                .entry(link.assistance_id)
                .or_default()
                .push(link.capacity_id);
        }
        for (id, n) in assistance_visit::Entity::find()
            .select_only()
            .column(assistance_visit::Column::AssistanceId)
            .column_as(assistance_visit::Column::Id.count(), "n")
            .filter(assistance_visit::Column::AssistanceId.is_in(chunk.to_vec()))
            .group_by(assistance_visit::Column::AssistanceId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
        {
            visits.insert(id, i32::try_from(n).unwrap_or(i32::MAX));
        }
    }
    let mut cells: BTreeMap<Key, ([i32; 4], String)> = BTreeMap::new();
    for row in &found {
        let closed = row.status == AssistanceStatus::Closed;
        for capacity_id in capacities.get(&row.id).into_iter().flatten() {
            let (cell, _) = cells
                .entry((
                    place_of(row).to_string(),
                    *capacity_id,
                    row.provider_id,
                    row.starts_on.year(),
                ))
                .or_insert_with(|| ([0; 4], row.department_code.clone()));
            cell[0] += 1;
            cell[1] += i32::from(closed);
            cell[2] += i32::from(closed && row.objective_reached == Some(true));
            cell[3] += visits.get(&row.id).copied().unwrap_or(0);
        }
    }
    Ok(cells
        .into_iter()
        .map(
            |(
                (municipality_code, capacity_id, provider_id, year),
                ([assistances, closed, reached, visits], department_code),
            )| assistance_figure::Model {
                department_code,
                municipality_code,
                capacity_id,
                provider_id,
                year,
                assistances,
                closed,
                reached,
                visits,
            },
        )
        .collect())
}
