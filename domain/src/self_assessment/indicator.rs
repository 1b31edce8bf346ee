//! The self-assessed level as an indicator (issue 68): one indicator per capacity, code
//! `autodiagnostico_<capacity>`, named and sourced «autorreportado», linked to its capacity, so
//! the municipality page shows it among the capacity's indicators (beside MDM and IDF) and the
//! impact comparison can choose it. Its observation for a municipality and year is the level of
//! the alcaldía's latest validated self-assessment of that year (by date of submission, then
//! id). Kept on each validation ([`refresh`]) and rebuilt from the self-assessments alone
//! ([`rebuild`]): the two give the same rows.

use super::VALIDATED;
use crate::entities::values::AssistedEntity;
use crate::entities::{
    capacity, indicator, indicator_capacity, indicator_observation as observation,
    self_assessment as assessment, self_assessment_level as level,
};
use crate::error::AppResult;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// The code prefix of the self-assessed indicators.
pub const PREFIX: &str = "autodiagnostico_";

/// The word every self-assessed figure carries.
pub const SELF_REPORTED: &str = "autorreportado";

/// The unit of the self-assessed indicators.
pub const UNIT: &str = "nivel de 1 a 4 (autorreportado)";

/// The `source` of a self-assessed observation.
const SOURCE: &str = "Autodiagnóstico validado por la gobernación (autorreportado)";

/// Whether indicator `code` is a self-assessed one.
pub fn is_self_assessed(code: &str) -> bool {
    code.starts_with(PREFIX)
}

/// Capacity id → its self-assessed indicator's id, creating those missing (with their link).
pub async fn ensure<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<i32, i32>> {
    let existing: HashMap<String, i32> = indicator::Entity::find()
        .filter(indicator::Column::Code.starts_with(PREFIX))
        .all_mapped(db, |i| (i.code, i.id))
        .await?;
    let mut ids = HashMap::new();
    for c in capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?
    {
        let code = format!("{PREFIX}{}", c.code);
        let id =
            match existing.get(&code) {
                Some(id) => *id,
                None => {
                    let created = indicator::ActiveModel {
                    code: Set(code),
                    name: Set(format!("Autodiagnóstico: {} ({SELF_REPORTED})", c.name)),
                    source: Set(
                        "La entidad, validado por la gobernación (autodiagnóstico; autorreportado)"
                            .into(),
                    ),
                    unit: Set(UNIT.into()),
                    higher_is_better: Set(true),
                    note: Set("Autorreportado por la entidad y validado por la gobernación: no \
                         es una medición independiente como la MDM o el IDF."
                        .into()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                    indicator_capacity::Entity::insert(indicator_capacity::ActiveModel {
                        indicator_id: Set(created.id),
                        capacity_id: Set(c.id),
                    })
                    .exec_without_returning(db)
                    .await?;
                    created.id
                }
            };
        ids.insert(c.id, id);
    }
    Ok(ids)
}

/// The observations due for the validated alcaldía self-assessments of `rows`:
/// (indicator, municipality, year) → value, the latest of each year winning.
async fn wanted<C: ConnectionTrait>(
    db: &C,
    indicators: &HashMap<i32, i32>,
    rows: Vec<assessment::Model>,
) -> AppResult<HashMap<(i32, String, i32), f64>> {
    // The latest of each municipality and year.
    let mut latest: HashMap<(String, i32), assessment::Model> = HashMap::new();
    for row in rows {
        let key = (row.municipality_code.clone(), row.year);
        let newer = latest
            .get(&key)
            .is_none_or(|l| (row.submitted_on, row.id) > (l.submitted_on, l.id));
        if newer {
            latest.insert(key, row);
        }
    }
    let by_id: HashMap<i32, &assessment::Model> = latest.values().map(|r| (r.id, r)).collect();
    let mut values = HashMap::new();
    for chunk in by_id.keys().copied().collect::<Vec<_>>().chunks(1000) {
        for l in level::Entity::find()
            .filter(level::Column::SelfAssessmentId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let (Some(row), Some(indicator)) = (
                by_id.get(&l.self_assessment_id),
                indicators.get(&l.capacity_id),
            ) else {
                continue;
            };
            values.insert(
                (*indicator, row.municipality_code.clone(), row.year),
                f64::from(l.level),
            );
        }
    }
    Ok(values)
}

fn validated_alcaldia() -> sea_orm::Select<assessment::Entity> {
    assessment::Entity::find()
        .filter(assessment::Column::Status.eq(VALIDATED))
        .filter(assessment::Column::EntityType.eq(AssistedEntity::Alcaldia.as_str()))
}

async fn write_values<C: ConnectionTrait>(
    db: &C,
    values: HashMap<(i32, String, i32), f64>,
) -> AppResult<()> {
    let rows: Vec<observation::ActiveModel> = values
        .into_iter()
        .map(
            |((indicator_id, code, year), value)| observation::ActiveModel {
                indicator_id: Set(indicator_id),
                municipality_code: Set(code),
                year: Set(year),
                value: Set(value),
                source: Set(SOURCE.into()),
                synthetic: Set(false),
                ..Default::default()
            },
        )
        .collect();
    for chunk in rows.chunks(500) {
        observation::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    crate::indicators::changed(db).await
}

/// Brings the self-assessed observations of municipality `code` in `year` up to date (in the
/// transaction of the validation).
pub async fn refresh<C: ConnectionTrait>(db: &C, code: &str, year: i32) -> AppResult<()> {
    let indicators = ensure(db).await?;
    observation::Entity::delete_many()
        .filter(observation::Column::IndicatorId.is_in(indicators.values().copied()))
        .filter(observation::Column::MunicipalityCode.eq(code))
        .filter(observation::Column::Year.eq(year))
        .exec(db)
        .await?;
    let rows = validated_alcaldia()
        .filter(assessment::Column::MunicipalityCode.eq(code))
        .filter(assessment::Column::Year.eq(year))
        .all(db)
        .await?;
    let values = wanted(db, &indicators, rows).await?;
    write_values(db, values).await
}

/// Writes every self-assessed observation again from the self-assessments alone.
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let indicators = ensure(db).await?;
    observation::Entity::delete_many()
        .filter(observation::Column::IndicatorId.is_in(indicators.values().copied()))
        .exec(db)
        .await?;
    let rows = validated_alcaldia().all(db).await?;
    let values = wanted(db, &indicators, rows).await?;
    write_values(db, values).await
}
