//! Municipal capacities (what a municipality can do for itself), the indicators that measure
//! them yearly, and their observations per municipality (MDM 2020 to start).

use crate::entities::{capacity, capacity_indicator, indicator_observation};
use crate::error::{AppError, AppResult};
use crate::territory::read_csv;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;
use std::collections::HashMap;

const CAPACITIES_CSV: &str = include_str!("../../../seed/capacities.csv");
const INDICATORS_CSV: &str = include_str!("../../../seed/capacity_indicators.csv");
const MDM_CSV: &str = include_str!("../../../seed/mdm.csv");

#[derive(Deserialize)]
struct CapacityRow {
    code: String,
    sort_order: i32,
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct IndicatorRow {
    code: String,
    capacity_code: String,
    mdm_column: String,
    name: String,
    source: String,
    scale: String,
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

/// Loads the capacity taxonomy, its MDM indicators and the MDM 2020 observations, each only
/// when its table is empty (capacities are editable afterwards and never overwritten).
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
    if capacity_indicator::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let capacity_ids = ids_by_code(db).await?;
    let indicators: Vec<IndicatorRow> = read_csv("capacity_indicators.csv", INDICATORS_CSV)?;
    let mut columns = Vec::new();
    for row in &indicators {
        let capacity_id = *capacity_ids.get(&row.capacity_code).ok_or_else(|| {
            AppError::Internal(format!("seed: capacidad desconocida {}", row.capacity_code))
        })?;
        let inserted = capacity_indicator::Entity::insert(capacity_indicator::ActiveModel {
            code: Set(row.code.clone()),
            capacity_id: Set(capacity_id),
            name: Set(row.name.clone()),
            source: Set(row.source.clone()),
            scale: Set(row.scale.clone()),
            ..Default::default()
        })
        .exec(db)
        .await?;
        columns.push((row.mdm_column.clone(), inserted.last_insert_id));
    }

    let mut reader = csv::Reader::from_reader(MDM_CSV.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::Internal(format!("seed/mdm.csv: {e}")))?
        .clone();
    let position = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| AppError::Internal(format!("seed/mdm.csv: falta la columna {name}")))
    };
    let code_at = position("dane_code")?;
    let year_at = position("year")?;
    let value_columns = columns
        .iter()
        .map(|(column, indicator_id)| Ok((position(column)?, *indicator_id)))
        .collect::<AppResult<Vec<_>>>()?;

    let mut observations = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::Internal(format!("seed/mdm.csv: {e}")))?;
        let year: i32 = record[year_at]
            .parse()
            .map_err(|e| AppError::Internal(format!("seed/mdm.csv: año: {e}")))?;
        for (at, indicator_id) in &value_columns {
            // An empty cell means "not measured": no observation rather than an invented value.
            let Ok(value) = record[*at].parse::<f64>() else {
                continue;
            };
            observations.push(indicator_observation::ActiveModel {
                indicator_id: Set(*indicator_id),
                municipality_code: Set(record[code_at].to_string()),
                year: Set(year),
                value: Set(value),
                ..Default::default()
            });
        }
    }
    for chunk in observations.chunks(500) {
        indicator_observation::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
