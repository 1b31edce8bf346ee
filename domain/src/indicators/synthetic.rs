//! Synthetic indicator years for demo and benchmark databases (issue 15): later years built
//! from each municipality's latest real value, a random walk and a modest effect of training,
//! so the comparison and the before/after have something to show. Every such row is marked
//! `synthetic` and its source says it is not real; pages and files say so beside the value.
//! Real observations are never replaced (a later import of real data replaces these).

use crate::entities::indicator::CATEGORY_UNIT;
use crate::entities::{capacity_year_figure, indicator_observation};
use crate::error::AppResult;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};

pub const SOURCE: &str = "Sintético: generador de datos de prueba (no es un dato real)";
/// Points added per person who completed training in a linked capacity before the year, up to
/// [`MAX_EFFECT`].
const EFFECT_PER_COMPLETION: f64 = 0.15;
const MAX_EFFECT: f64 = 4.0;
/// The year-to-year spread of the random walk.
const SPREAD: f64 = 3.0;

/// Adds the years `years` to every indicator (but the category) for the municipalities in
/// `only` (all when `None`) that have a real observation before them; returns the rows added.
pub async fn add_years<C: ConnectionTrait>(
    db: &C,
    years: std::ops::RangeInclusive<i32>,
    only: Option<&[String]>,
    seed: u64,
) -> AppResult<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let first = *years.start();
    let indicators: Vec<super::IndicatorView> = super::list(db)
        .await?
        .into_iter()
        .filter(|i| i.unit != CATEGORY_UNIT)
        // Issue 68: a self-assessed level is the entity's word, never made up.
        .filter(|i| !crate::self_assessment::indicator::is_self_assessed(&i.code))
        .collect();
    let wanted: Option<HashSet<&str>> =
        only.map(|codes| codes.iter().map(String::as_str).collect());
    // Completions per (municipality, capacity, year).
    let mut completions: HashMap<(String, i32), Vec<(i32, i64)>> = HashMap::new();
    for f in capacity_year_figure::Entity::find().all(db).await? {
        completions
            .entry((f.municipality_code, f.capacity_id))
            .or_default()
            .push((f.year, f.completed.into()));
    }
    let mut added = 0;
    for indicator in indicators {
        let mut latest: HashMap<String, (i32, f64)> = HashMap::new();
        let mut taken: HashSet<(String, i32)> = HashSet::new();
        for o in indicator_observation::Entity::find()
            .filter(indicator_observation::Column::IndicatorId.eq(indicator.id))
            .all(db)
            .await?
        {
            if wanted
                .as_ref()
                .is_some_and(|w| !w.contains(o.municipality_code.as_str()))
            {
                continue;
            }
            taken.insert((o.municipality_code.clone(), o.year));
            if o.year < first
                && latest
                    .get(&o.municipality_code)
                    .is_none_or(|(y, _)| *y < o.year)
            {
                latest.insert(o.municipality_code, (o.year, o.value));
            }
        }
        let bounded = indicator.unit.contains("0 a 100");
        let mut codes: Vec<_> = latest.into_iter().collect();
        codes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rows = Vec::new();
        for (code, (_, mut value)) in codes {
            for year in years.clone() {
                let trained: i64 = indicator
                    .capacity_ids
                    .iter()
                    .filter_map(|c| completions.get(&(code.clone(), *c)))
                    .flatten()
                    .filter(|(y, _)| *y < year)
                    .map(|(_, n)| *n)
                    .sum();
                let effect = (EFFECT_PER_COMPLETION * trained as f64).min(MAX_EFFECT);
                let direction = if indicator.higher_is_better {
                    1.0
                } else {
                    -1.0
                };
                let noise: f64 = rng.random_range(-SPREAD..=SPREAD);
                value += noise + direction * effect / 2.0;
                if bounded {
                    value = value.clamp(0.0, 100.0);
                }
                if taken.contains(&(code.clone(), year)) {
                    continue;
                }
                rows.push(super::NewObservation {
                    indicator_id: indicator.id,
                    municipality_code: code.clone(),
                    year,
                    value: (value * 10_000.0).round() / 10_000.0,
                    source: SOURCE.to_string(),
                    synthetic: true,
                });
            }
        }
        added += rows.len();
        super::insert_observations(db, rows).await?;
    }
    Ok(added)
}
