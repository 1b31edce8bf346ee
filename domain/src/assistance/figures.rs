//! The assistance figures (`assistance_figures`): per municipality × capacity × provider, the
//! assistances (not cancelled), the closed ones, those closed with the objective reached, and
//! their visits. Every write to an assistance or its visits refreshes its municipality's rows in
//! the same transaction, so the views that count what a municipality received read them and
//! never count raw rows on a request.

use crate::entities::values::AssistanceStatus;
use crate::entities::{
    assistance, assistance_capacity, assistance_figure, assistance_visit, municipality,
};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, HashMap};

/// Recomputes the rows of one municipality from its assistances.
pub async fn refresh<C: ConnectionTrait>(db: &C, municipality_code: &str) -> AppResult<()> {
    assistance_figure::Entity::delete_many()
        .filter(assistance_figure::Column::MunicipalityCode.eq(municipality_code))
        .exec(db)
        .await?;
    let Some(place) = municipality::Entity::find_by_id(municipality_code.to_string())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let rows = assistance::Entity::find()
        .filter(assistance::Column::MunicipalityCode.eq(municipality_code))
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in assistance_capacity::Entity::find()
        .filter(assistance_capacity::Column::AssistanceId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        capacities
            .entry(link.assistance_id)
            .or_default()
            .push(link.capacity_id);
    }
    let visits: HashMap<i32, i64> = assistance_visit::Entity::find()
        .select_only()
        .column(assistance_visit::Column::AssistanceId)
        .column_as(assistance_visit::Column::Id.count(), "n")
        .filter(assistance_visit::Column::AssistanceId.is_in(ids))
        .group_by(assistance_visit::Column::AssistanceId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut cells: BTreeMap<(i32, i32), [i32; 4]> = BTreeMap::new();
    for row in &rows {
        let closed = row.status == AssistanceStatus::Closed;
        for capacity_id in capacities.get(&row.id).into_iter().flatten() {
            let cell = cells.entry((*capacity_id, row.provider_id)).or_default();
            cell[0] += 1;
            cell[1] += i32::from(closed);
            cell[2] += i32::from(closed && row.objective_reached == Some(true));
            cell[3] += visits.get(&row.id).copied().unwrap_or(0) as i32;
        }
    }
    let models: Vec<assistance_figure::ActiveModel> = cells
        .into_iter()
        .map(
            |((capacity_id, provider_id), [assistances, closed, reached, visits])| {
                assistance_figure::ActiveModel {
                    municipality_code: sea_orm::Set(municipality_code.to_string()),
                    capacity_id: sea_orm::Set(capacity_id),
                    provider_id: sea_orm::Set(provider_id),
                    department_code: sea_orm::Set(place.department_code.clone()),
                    assistances: sea_orm::Set(assistances),
                    closed: sea_orm::Set(closed),
                    reached: sea_orm::Set(reached),
                    visits: sea_orm::Set(visits),
                }
            },
        )
        .collect();
    assistance_figure::Entity::insert_many(models)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
