//! A municipality's profile: what it is (category, PDET subregion, the indicators observed for
//! its capacities) and its training history by year and capacity — distinct people trained,
//! completed and certified. Reviewers see only the municipalities of their department.

use crate::accounts::actor::Actor;
use crate::entities::{
    capacity, capacity_indicator, capacity_year_figure, indicator_observation, municipality,
    pdet_subregion,
};
use crate::error::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, Serialize)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub department_code: String,
    pub category: Option<String>,
    /// The PDET subregion's name, when the municipality is PDET.
    pub pdet: Option<String>,
}

/// People of the municipality trained in a capacity in a year (by the cohort's start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub year: i32,
    pub capacity: String,
    pub trained: usize,
    pub completed: usize,
    pub certified: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Observation {
    pub indicator: String,
    pub capacity: Option<String>,
    pub year: i32,
    /// One decimal, as the page shows it.
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub municipality: Place,
    /// Newest year first.
    pub history: Vec<HistoryRow>,
    pub observations: Vec<Observation>,
}

pub async fn profile<C: ConnectionTrait>(db: &C, user: &Actor, code: &str) -> AppResult<Profile> {
    let (place, region) = municipality::Entity::find_by_id(code.to_string())
        .find_also_related(pdet_subregion::Entity)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    // A reviewer sees only the municipalities of their department.
    if user
        .department_scope()
        .is_some_and(|d| d != place.department_code)
    {
        return Err(AppError::NotFound);
    }
    let capacities: HashMap<i32, String> = capacity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let history = history(db, &place.code, &capacities).await?;
    let observations = observations(db, &place.code, &capacities).await?;
    Ok(Profile {
        municipality: Place {
            code: place.code,
            name: place.name,
            department_code: place.department_code,
            category: place.category,
            pdet: region.map(|r| r.name),
        },
        history,
        observations,
    })
}

/// The history from the figures model (`capacity_year_figures`): one small query.
async fn history<C: ConnectionTrait>(
    db: &C,
    code: &str,
    capacities: &HashMap<i32, String>,
) -> AppResult<Vec<HistoryRow>> {
    let rows = capacity_year_figure::Entity::find()
        .filter(capacity_year_figure::Column::MunicipalityCode.eq(code))
        .all(db)
        .await?;
    let mut history: BTreeMap<(i32, &str), HistoryRow> = BTreeMap::new();
    for r in &rows {
        let name = capacities
            .get(&r.capacity_id)
            .map(String::as_str)
            .unwrap_or_default();
        history.insert(
            (r.year, name),
            HistoryRow {
                year: r.year,
                capacity: name.to_string(),
                trained: r.trained as usize,
                completed: r.completed as usize,
                certified: r.certified as usize,
            },
        );
    }
    Ok(history.into_values().rev().collect())
}

async fn observations<C: ConnectionTrait>(
    db: &C,
    code: &str,
    capacities: &HashMap<i32, String>,
) -> AppResult<Vec<Observation>> {
    let indicators: HashMap<i32, (String, i32)> = capacity_indicator::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, (i.name, i.capacity_id)))
        .collect();
    Ok(indicator_observation::Entity::find()
        .filter(indicator_observation::Column::MunicipalityCode.eq(code))
        .order_by_asc(indicator_observation::Column::IndicatorId)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| {
            indicators
                .get(&o.indicator_id)
                .map(|(name, capacity_id)| Observation {
                    indicator: name.clone(),
                    capacity: capacities.get(capacity_id).cloned(),
                    year: o.year,
                    value: format!("{:.1}", o.value),
                })
        })
        .collect())
}
