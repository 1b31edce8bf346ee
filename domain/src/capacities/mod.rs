//! Municipal capacities (what a municipality can do for itself). The indicators that measure
//! them are `indicators`.

use crate::entities::capacity;
use crate::error::AppResult;
use crate::territory::read_csv;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;
use std::collections::HashMap;

const CAPACITIES_CSV: &str = include_str!("../../../seed/capacities.csv");

#[derive(Deserialize)]
struct CapacityRow {
    code: String,
    sort_order: i32,
    name: String,
    description: String,
}

/// Capacity code → id.
pub async fn ids_by_code<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<String, i32>> {
    Ok(capacity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect())
}

/// Loads the capacity taxonomy when the table is empty (capacities are editable afterwards and
/// never overwritten).
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let now = crate::time::now();
    if capacity::Entity::find().count(db).await? == 0 {
        let rows: Vec<CapacityRow> = read_csv("capacities.csv", CAPACITIES_CSV)?;
        capacity::Entity::insert_many(rows.into_iter().map(|row| capacity::ActiveModel {
            code: Set(row.code),
            name: Set(row.name),
            description: Set(row.description),
            sort_order: Set(row.sort_order),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
