//! «¿Dónde formar?» (issue 15): municipalities ranked by need for a capacity, each with its
//! reasons in words. The score (0 to 100) adds:
//!
//! - PDET: 20;
//! - category 6: 15, category 5: 10;
//! - weakness on the capacity's indicators: up to 30, as `30 × (100 − p) / 100` where `p` is the
//!   municipality's weakest national percentile among the indicators linked to the capacity
//!   (each at the municipality's latest real measurement, among the country's real values of
//!   that year — a synthetic value only where there is no real one, and marked; 0 = the
//!   weakest municipality of the country; the ordinal category is left out, it counts above);
//! - little received recently: the people of the municipality who completed training in the
//!   capacity in the current or the previous year, plus `assistance_weight` people for each
//!   technical assistance on it that started in those years (planned, in progress or closed:
//!   an accompaniment under way is help received); 20 when that sum is 0, 10 when it is below
//!   5. The weight is the `priority_assistance_weight` setting (issue 49; default 5, so one
//!   accompaniment is worth the whole threshold, as before the setting: the seeds state no
//!   equivalence, so it is ESAP's to choose, and the page and the JSON say which one counts).
//!   Added per request, like the demand, so an assistance recorded a second ago counts — and
//!   the cached national ranking holds no weight;
//! - open demand (issue 16): 10 when the alcaldía has an open demand for the capacity, 15 when
//!   one is endorsed by the gobernación or of high priority. Read on every request (the rest
//!   of the ranking is cached), so a demand raised a second ago already counts.
//!
//! Percentiles are national whatever the department filter, so a department's list ranks its
//! municipalities against the country.

use crate::accounts::actor::Actor;
use crate::entities::indicator::CATEGORY_UNIT;
use crate::entities::{
    assistance_figure, capacity, capacity_year_figure, indicator_observation, municipality,
    pdet_subregion,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Rows;
use chrono::Datelike;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1_200;

const PDET_POINTS: f64 = 20.0;
const CATEGORY_6_POINTS: f64 = 15.0;
const CATEGORY_5_POINTS: f64 = 10.0;
const WEAKNESS_POINTS: f64 = 30.0;
const NO_RECENT_POINTS: f64 = 20.0;
const FEW_RECENT_POINTS: f64 = 10.0;
/// An open demand of the municipality for the capacity (issue 16) …
const DEMAND_POINTS: f64 = 10.0;
/// … endorsed by the gobernación or of high priority.
const BACKED_DEMAND_POINTS: f64 = 5.0;
/// Fewer recent completions (assistances weighed in) than this is «little received».
const FEW_RECENT: i64 = 5;
/// How many people trained one technical assistance counts as, by default.
pub const DEFAULT_ASSISTANCE_WEIGHT: i64 = crate::config::DEFAULT_PRIORITY_ASSISTANCE_WEIGHT;
/// The setting's bounds.
pub const ASSISTANCE_WEIGHTS: std::ops::RangeInclusive<i64> =
    crate::config::PRIORITY_ASSISTANCE_WEIGHTS;

#[derive(Clone, Debug, Default)]
pub struct PriorityQuery {
    pub capacity: Option<i32>,
    pub department: Option<String>,
    pub limit: Option<i64>,
}

/// The OpenAPI example of a priority's reasons.
fn reasons_example() -> [&'static str; 2] {
    ["PDET", "categoría 6"]
}

/// A municipality where training is needed, and why.
#[derive(Clone, Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Priority)]
pub struct PriorityRow {
    pub rank: usize,
    #[schema(example = "18256")]
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub department_name: String,
    /// 0 to 100: the higher, the greater the need.
    pub score: f64,
    pub pdet: bool,
    pub pdet_subregion: Option<String>,
    pub category: Option<String>,
    /// The weakest national percentile among the capacity's indicators (0 = weakest); none
    /// when the municipality is not measured.
    pub indicator_percentile: Option<f64>,
    /// The indicator behind the percentile and its year («IDF (2023)»; «…, dato sintético»
    /// when the value is synthetic).
    pub weakest_indicator: Option<String>,
    /// The percentile is of a synthetic value (demo and benchmark databases, where the
    /// municipality has no real one for the indicator).
    #[serde(default)]
    pub weakest_synthetic: bool,
    /// People of the municipality who completed training in the capacity in the current or
    /// the previous year.
    pub completed_recent: i64,
    /// Technical assistances on the capacity (not cancelled) that started in those years.
    pub assistances_recent: i64,
    /// People the alcaldía's open demands for the capacity ask to train.
    pub open_demand_people: i64,
    #[schema(example = reasons_example)]
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Priorities {
    pub capacity: Option<super::impact::CapacityRef>,
    /// How many people trained one technical assistance counts as (the setting).
    pub assistance_weight: i64,
    /// How training is weighed against assistance, in Spanish.
    pub weighting: String,
    /// The years «recent» covers.
    pub recent_from: i32,
    pub recent_to: i32,
    /// Municipalities ranked (before the limit).
    pub total: usize,
    pub items: Vec<PriorityRow>,
}

/// Each municipality's weakest indicator.
type Weakest = HashMap<String, Weak>;

/// How long a computed ranking is reused at most (it goes at once when observations, links
/// or training figures change, through any app instance: see `instances::Versions`).
const CACHE_SECONDS: u64 = 300;

/// The national rankings (and the percentiles behind them) computed by one app; it keeps one
/// in its state. Keyed by capacity (and, for rankings, by the year «recent» ends), each for the
/// versions it was computed from (`domain::cache`: one computation per key, a stale ranking
/// served while one request recomputes it).
#[derive(Clone)]
pub struct Cache {
    /// For the indicators' version.
    weakest: crate::cache::Kept<Option<i32>, Weakest, i64>,
    /// For the indicators' and the figures' versions.
    ranked: crate::cache::Kept<(Option<i32>, i32), Vec<PriorityRow>, crate::instances::Versions>,
    /// The `priority_assistance_weight` setting: applied per request, after the kept ranking.
    assistance_weight: i64,
}

impl Cache {
    /// Kept in memory and on `db`'s shelf (issue 36: the first visits after a start find the
    /// rankings there instead of waiting for a national computation).
    pub fn new(db: &sea_orm::DatabaseConnection, assistance_weight: i64) -> Self {
        let shelf = |what| std::sync::Arc::new(crate::cache::DbShelf::new(db.clone(), what));
        Cache {
            // Named for what they hold since issue 45 (the latest real measurement), so that
            // rankings shelved before are not read back.
            weakest: crate::cache::Kept::new(CACHE_SECONDS, 64).shelved(shelf("weakest-real")),
            ranked: crate::cache::Kept::new(CACHE_SECONDS, 256).shelved(shelf("rankings-real")),
            assistance_weight,
        }
    }

    /// How many people trained one technical assistance counts as in the rankings this cache
    /// serves: pages kept from them are keyed on it.
    pub fn assistance_weight(&self) -> i64 {
        self.assistance_weight
    }
}

/// How «little received» weighs training against assistance, in Spanish, for `weight`.
pub fn weighting(weight: i64) -> String {
    let people = crate::format::plural(weight, "persona formada", "personas formadas");
    let mut out = format!(
        "Una asistencia técnica cuenta como {people}: para «poco recibido» se suman las \
         personas que aprobaron formación en la capacidad y {weight} por cada asistencia \
         técnica que empezó (planeada, en curso o cerrada) en el año actual o el anterior; 20 \
         puntos si la suma es 0 y 10 si es menor que {FEW_RECENT}."
    );
    if weight == DEFAULT_ASSISTANCE_WEIGHT {
        out.push_str(&format!(
            " {DEFAULT_ASSISTANCE_WEIGHT} es el valor por omisión: una asistencia técnica \
             acompaña a la entidad durante meses, con visitas, compromisos y un producto, y \
             vale al menos lo que {FEW_RECENT} personas formadas, así que una sola basta para \
             no contar como «poco recibido». Las fuentes no fijan esta equivalencia: es una \
             decisión de la administración de Aula Territorial, que puede cambiar cuántas \
             personas formadas vale una asistencia técnica (hoy {people})."
        ));
    } else {
        out.push_str(&format!(
            " La administración de Aula Territorial fijó esta equivalencia en {people} por \
             asistencia técnica; sin ese ajuste serían {DEFAULT_ASSISTANCE_WEIGHT}."
        ));
    }
    out
}

/// The weakest national percentile of each municipality among `capacity`'s indicators (all
/// indicators when none), each at the municipality's latest **real** measurement (issue 45):
/// the percentile places the value among the real values of the country in that same year. The
/// synthetic years of demo and benchmark databases cover a few municipalities, so ranking on
/// the latest year of all left every other one «sin medición» and compared the pilots among
/// themselves. Only where an indicator has no real value for a municipality does its latest
/// synthetic one count (placed among that year's values), and then it is marked.
async fn weakest<C: ConnectionTrait>(db: &C, capacity: Option<i32>) -> AppResult<Weakest> {
    let indicators: Vec<super::IndicatorView> = super::list(db)
        .await?
        .into_iter()
        .filter(|i| i.unit != CATEGORY_UNIT)
        .filter(|i| capacity.is_none_or(|c| i.capacity_ids.contains(&c)))
        .collect();
    // Every indicator's observations in one statement (issue 69: it was one per indicator),
    // then taken indicator by indicator as before.
    let mut observed: HashMap<i32, Vec<indicator_observation::Model>> = HashMap::new();
    for observation in indicator_observation::Entity::find()
        .filter(
            indicator_observation::Column::IndicatorId
                .is_in(indicators.iter().map(|i| i.id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?
    {
        observed
            .entry(observation.indicator_id)
            .or_default()
            .push(observation);
    }
    let mut out: Weakest = HashMap::new();
    for indicator in indicators {
        let observations = observed.remove(&indicator.id).unwrap_or_default();
        for (code, weak) in latest_real_percentiles(&observations, indicator.higher_is_better) {
            let weaker = out
                .get(&code)
                .is_none_or(|w| weak.percentile < w.percentile);
            if weaker {
                out.insert(
                    code,
                    Weak {
                        indicator: indicator.name.clone(),
                        ..weak
                    },
                );
            }
        }
    }
    Ok(out)
}

/// One municipality's weakest measurement: its national percentile, the indicator, the year
/// and whether the value is synthetic.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Weak {
    pub percentile: f64,
    pub indicator: String,
    pub year: i32,
    pub synthetic: bool,
}

/// Each municipality's percentile at its latest real observation of one indicator (at its
/// latest synthetic one, marked, when it has no real one), among the same year's values of
/// the same kind (`indicator` left empty).
pub fn latest_real_percentiles(
    observations: &[indicator_observation::Model],
    higher_is_better: bool,
) -> HashMap<String, Weak> {
    // The year each municipality is read at, and whether it is synthetic.
    let mut chosen: HashMap<&str, (i32, bool)> = HashMap::new();
    for o in observations {
        let candidate = (o.year, o.synthetic);
        let better = match chosen.get(o.municipality_code.as_str()) {
            None => true,
            // Real beats synthetic; then the later year.
            Some(&(year, synthetic)) => match (synthetic, o.synthetic) {
                (true, false) => true,
                (false, true) => false,
                _ => o.year > year,
            },
        };
        if better {
            chosen.insert(&o.municipality_code, candidate);
        }
    }
    // The distributions the chosen values are placed in: per year, the real values (and,
    // separately, every value of the year for a synthetic reading).
    let mut by_year: HashMap<(i32, bool), Vec<(String, f64)>> = HashMap::new();
    let wanted: std::collections::HashSet<(i32, bool)> = chosen.values().copied().collect();
    for o in observations {
        if wanted.contains(&(o.year, false)) && !o.synthetic {
            by_year
                .entry((o.year, false))
                .or_default()
                .push((o.municipality_code.clone(), o.value));
        }
        if wanted.contains(&(o.year, true)) {
            by_year
                .entry((o.year, true))
                .or_default()
                .push((o.municipality_code.clone(), o.value));
        }
    }
    let mut out = HashMap::new();
    for ((year, synthetic), mut values) in by_year {
        for (code, percentile) in percentiles(&mut values, higher_is_better) {
            if chosen.get(code.as_str()) == Some(&(year, synthetic)) {
                out.insert(
                    code,
                    Weak {
                        percentile,
                        indicator: String::new(),
                        year,
                        synthetic,
                    },
                );
            }
        }
    }
    out
}

/// The national percentile of each value: the share of the other municipalities that do
/// worse (0 = the weakest, 100 = the strongest; ties share the lower rank).
pub fn percentiles(values: &mut [(String, f64)], higher_is_better: bool) -> Vec<(String, f64)> {
    let sign = if higher_is_better { 1.0 } else { -1.0 };
    values.sort_by(|a, b| (sign * a.1).total_cmp(&(sign * b.1)));
    let n = values.len();
    let mut out = Vec::with_capacity(n);
    let mut worse = 0;
    for (i, (code, value)) in values.iter().enumerate() {
        if i > 0 && (sign * values[i - 1].1) < (sign * value) {
            worse = i;
        }
        let p = if n > 1 {
            100.0 * worse as f64 / (n - 1) as f64
        } else {
            50.0
        };
        out.push((code.clone(), p));
    }
    out
}

/// The ranking for the caller's territory (a reviewer: their department, silently).
pub async fn rank(
    db: &sea_orm::DatabaseConnection,
    cache: &Cache,
    user: &Actor,
    query: &PriorityQuery,
) -> AppResult<Priorities> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::Validation(vec![FieldError::new(
            "limit",
            format!(
                "El límite debe estar entre 1 y {}.",
                crate::format::thousands(MAX_LIMIT)
            ),
        )]));
    }
    let capacity = match query.capacity {
        Some(id) => capacity::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| super::impact::CapacityRef {
                id: c.id,
                code: c.code,
                name: c.name,
            })
            .map(Some)
            .ok_or_else(|| AppError::invalid("capacity", "La capacidad no existe."))?,
        None => None,
    };
    let recent_to = crate::time::today().year();
    let recent_from = recent_to - 1;
    let mut department = crate::reports::non_empty(&query.department);
    let nothing = crate::reports::limit_to_scope(user, &mut department, None);
    let weight = cache.assistance_weight;
    if nothing {
        return Ok(Priorities {
            capacity,
            assistance_weight: weight,
            weighting: weighting(weight),
            recent_from,
            recent_to,
            total: 0,
            items: Vec::new(),
        });
    }
    // The versions are read before computing, so a change made meanwhile is never hidden.
    let versions = crate::instances::Versions::read(db).await?;
    let ranked = cache
        .ranked
        .get((capacity.as_ref().map(|c| c.id), recent_to), versions, {
            let (db, cache, capacity) =
                (db.clone(), cache.clone(), capacity.as_ref().map(|c| c.id));
            move || async move { national(&db, &cache, capacity, recent_to).await }
        })
        .await?;
    let demand = crate::demand::open_by_municipality(db, capacity.as_ref().map(|c| c.id)).await?;
    let assisted = assisted_since(db, capacity.as_ref().map(|c| c.id), recent_from).await?;
    let period = format!("{recent_from}–{recent_to}");
    let mut scored: Vec<(f64, &PriorityRow, Option<&crate::demand::OpenDemand>)> = ranked
        .iter()
        .filter(|r| department.as_ref().is_none_or(|d| &r.department_code == d))
        .map(|r| {
            let open = demand.get(&r.municipality_code);
            let assistances = assisted.get(&r.municipality_code).copied().unwrap_or(0);
            let (little, _) = little_received(r.completed_recent, assistances, weight, &period);
            (r.score + little + demand_points(open), r, open)
        })
        .collect();
    scored.sort_by(|a, b| by_need((a.0, a.1), (b.0, b.1)));
    let total = scored.len();
    let items = scored
        .into_iter()
        .take(limit as usize)
        .enumerate()
        .map(|(i, (score, row, open))| {
            let assistances_recent = assisted.get(&row.municipality_code).copied().unwrap_or(0);
            let mut row = PriorityRow {
                rank: i + 1,
                score: (score * 10.0).round() / 10.0,
                assistances_recent,
                ..row.clone()
            };
            let (_, little) =
                little_received(row.completed_recent, assistances_recent, weight, &period);
            row.reasons.extend(little);
            if let Some(open) = open {
                row.open_demand_people = open.people;
                row.reasons.push(format!(
                    "demanda abierta de la alcaldía: {}{}",
                    crate::format::plural(open.people, "persona", "personas"),
                    if open.backed {
                        ", respaldada o de prioridad alta"
                    } else {
                        ""
                    }
                ));
            }
            row
        })
        .collect();
    Ok(Priorities {
        capacity,
        assistance_weight: weight,
        weighting: weighting(weight),
        recent_from,
        recent_to,
        total,
        items,
    })
}

fn demand_points(open: Option<&crate::demand::OpenDemand>) -> f64 {
    match open {
        Some(o) if o.backed => DEMAND_POINTS + BACKED_DEMAND_POINTS,
        Some(_) => DEMAND_POINTS,
        None => 0.0,
    }
}

/// The ranking's order: the greatest need first, then the weakest percentile, then the code.
fn by_need(a: (f64, &PriorityRow), b: (f64, &PriorityRow)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0)
        .then_with(|| {
            a.1.indicator_percentile
                .unwrap_or(101.0)
                .total_cmp(&b.1.indicator_percentile.unwrap_or(101.0))
        })
        .then_with(|| a.1.municipality_code.cmp(&b.1.municipality_code))
}

/// Computes the national rankings ahead of their readers (issue 69: after a start and after a
/// figures flush, in the background): every capacity's and all capacities' together, for the
/// current versions, each unless kept fresh already. `1 + capacities` rankings, one after the
/// other; says how many it computed.
pub async fn warm(db: &sea_orm::DatabaseConnection, cache: &Cache) -> AppResult<usize> {
    let recent_to = crate::time::today().year();
    let versions = crate::instances::Versions::read(db).await?;
    let capacities: Vec<i32> = capacity::Entity::find()
        .select_only()
        .column(capacity::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut computed = 0;
    for capacity in std::iter::once(None).chain(capacities.into_iter().map(Some)) {
        if cache
            .ranked
            .warm((capacity, recent_to), versions, || {
                national(db, cache, capacity, recent_to)
            })
            .await?
        {
            computed += 1;
        }
    }
    Ok(computed)
}

/// Every municipality of the country scored for `capacity` (all capacities when none), by
/// need (the greatest first), with completions counted from `recent_to - 1`.
async fn national(
    db: &sea_orm::DatabaseConnection,
    cache: &Cache,
    capacity: Option<i32>,
    recent_to: i32,
) -> AppResult<Vec<PriorityRow>> {
    let recent_from = recent_to - 1;
    let places = municipality::Entity::find().all(db).await?;
    let departments = crate::territory::department_names(db).await?;
    let regions: HashMap<i32, String> = pdet_subregion::Entity::find()
        .all_mapped(db, |r| (r.id, r.name))
        .await?;
    let indicators = crate::instances::Versions::read(db).await?.indicators;
    let weakest = cache
        .weakest
        .get(capacity, indicators, {
            let db = db.clone();
            move || async move { weakest(&db, capacity).await }
        })
        .await?;
    use capacity_year_figure::Column as Trained;
    let recent = summed_since::<_, capacity_year_figure::Entity>(
        db,
        [Trained::Year, Trained::CapacityId],
        (capacity, recent_from),
        |f| (f.municipality_code, i64::from(f.completed)),
    )
    .await?;
    let mut rows: Vec<PriorityRow> = places
        .into_iter()
        .map(|m| {
            let mut score = 0.0;
            let mut reasons = Vec::new();
            let pdet_subregion = m.pdet_subregion_id.and_then(|id| regions.get(&id).cloned());
            if m.pdet_subregion_id.is_some() {
                score += PDET_POINTS;
                reasons.push("PDET".to_string());
            }
            match m.category.as_deref() {
                Some("6") => {
                    score += CATEGORY_6_POINTS;
                    reasons.push("categoría 6".to_string());
                }
                Some("5") => {
                    score += CATEGORY_5_POINTS;
                    reasons.push("categoría 5".to_string());
                }
                _ => {}
            }
            let weak = weakest.get(&m.code);
            match weak {
                Some(w) => {
                    score += WEAKNESS_POINTS * (100.0 - w.percentile) / 100.0;
                    if w.percentile < 50.0 {
                        reasons.push(format!(
                            "percentil {} en {}",
                            crate::format::decimal(w.percentile, 0),
                            measured(w)
                        ));
                    }
                }
                None => reasons.push("sin medición en los indicadores de la capacidad".to_string()),
            }
            // «Little received» is added per request (assistances are read fresh).
            let completed_recent = recent.get(&m.code).copied().unwrap_or(0);
            PriorityRow {
                rank: 0,
                department_name: departments
                    .get(&m.department_code)
                    .cloned()
                    .unwrap_or_default(),
                municipality_code: m.code,
                municipality_name: m.name,
                department_code: m.department_code,
                score: (score * 10.0).round() / 10.0,
                pdet: m.pdet_subregion_id.is_some(),
                pdet_subregion,
                category: m.category,
                indicator_percentile: weak.map(|w| (w.percentile * 10.0).round() / 10.0),
                weakest_indicator: weak.map(measured),
                weakest_synthetic: weak.is_some_and(|w| w.synthetic),
                completed_recent,
                assistances_recent: 0,
                open_demand_people: 0,
                reasons,
            }
        })
        .collect();
    rows.sort_by(|a, b| by_need((a.score, a), (b.score, b)));
    Ok(rows)
}

/// «IDF (2023)», or «IDF (2025, dato sintético)».
fn measured(w: &Weak) -> String {
    if w.synthetic {
        format!("{} ({}, dato sintético)", w.indicator, w.year)
    } else {
        format!("{} ({})", w.indicator, w.year)
    }
}

/// Technical assistances (not cancelled) per municipality on `capacity` (all when none) that
/// started in `from` or later: read on every request from the assistance figures.
async fn assisted_since<C: ConnectionTrait>(
    db: &C,
    capacity: Option<i32>,
    from: i32,
) -> AppResult<HashMap<String, i64>> {
    use assistance_figure::Column as Assisted;
    summed_since::<_, assistance_figure::Entity>(
        db,
        [Assisted::Year, Assisted::CapacityId],
        (capacity, from),
        |f| (f.municipality_code, i64::from(f.assistances)),
    )
    .await
}

/// A count of a figures table (`count`: a row's municipality and count) summed per
/// municipality over the years from `from` on, on `capacity` (all when none). `columns`: the
/// table's year and capacity columns.
async fn summed_since<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    [year, capacity_id]: [E::Column; 2],
    (capacity, from): (Option<i32>, i32),
    count: impl Fn(E::Model) -> (String, i64),
) -> AppResult<HashMap<String, i64>> {
    let mut condition = Condition::all().add(year.gte(from));
    if let Some(c) = capacity {
        condition = condition.add(capacity_id.eq(c));
    }
    let mut out: HashMap<String, i64> = HashMap::new();
    for (municipality_code, n) in E::find()
        .filter(condition)
        .all(db)
        .await?
        .into_iter()
        .map(count)
    {
        *out.entry(municipality_code).or_default() += n;
    }
    Ok(out)
}

/// The points and the reason for little help received recently: `completed` people trained
/// and `assistances` started in `period`, each assistance counted as `weight` people trained.
fn little_received(
    completed: i64,
    assistances: i64,
    weight: i64,
    period: &str,
) -> (f64, Option<String>) {
    let equivalent = completed + weight * assistances;
    if equivalent >= FEW_RECENT {
        (0.0, None)
    } else if equivalent == 0 {
        (
            NO_RECENT_POINTS,
            Some(format!(
                "nadie aprobó formación ni recibió asistencia técnica en {period}"
            )),
        )
    } else if assistances == 0 {
        (
            FEW_RECENT_POINTS,
            Some(format!(
                "solo {} formación y ninguna asistencia técnica en {period}",
                crate::format::plural(completed, "persona aprobó", "personas aprobaron")
            )),
        )
    } else {
        let trained = if completed == 0 {
            "nadie aprobó formación".to_string()
        } else {
            format!(
                "{} formación",
                crate::format::plural(completed, "persona aprobó", "personas aprobaron")
            )
        };
        (
            FEW_RECENT_POINTS,
            Some(format!(
                "poco recibido en {period}: {trained} y {}; equivale a {}, menos de {FEW_RECENT}",
                crate::format::plural(
                    assistances,
                    "asistencia técnica empezó",
                    "asistencias técnicas empezaron"
                ),
                crate::format::plural(equivalent, "persona formada", "personas formadas")
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assistance_counts_as_help_received() {
        let five = DEFAULT_ASSISTANCE_WEIGHT;
        assert_eq!(little_received(0, 0, five, "2025–2026").0, NO_RECENT_POINTS);
        assert_eq!(
            little_received(3, 0, five, "2025–2026").0,
            FEW_RECENT_POINTS
        );
        assert_eq!(little_received(5, 0, five, "2025–2026"), (0.0, None));
        assert_eq!(little_received(0, 1, five, "2025–2026"), (0.0, None));
        assert_eq!(
            little_received(0, 0, five, "2025–2026").1.as_deref(),
            Some("nadie aprobó formación ni recibió asistencia técnica en 2025–2026")
        );
    }

    /// Issue 49: the weight of an assistance in people trained is a setting, and the sum
    /// decides.
    #[test]
    fn the_assistance_weight_decides_how_much_an_assistance_is_worth() {
        // Weighing 2: one assistance is two people trained, still «little».
        let (points, reason) = little_received(0, 1, 2, "2025–2026");
        assert_eq!(points, FEW_RECENT_POINTS);
        assert_eq!(
            reason.as_deref(),
            Some(
                "poco recibido en 2025–2026: nadie aprobó formación y 1 asistencia técnica \
                 empezó; equivale a 2 personas formadas, menos de 5"
            )
        );
        // Two people and one assistance weighing 3 make five: enough.
        assert_eq!(little_received(2, 1, 3, "2025–2026"), (0.0, None));
        assert_eq!(little_received(1, 1, 3, "2025–2026").0, FEW_RECENT_POINTS);
        assert_eq!(little_received(0, 2, 2, "2025–2026").0, FEW_RECENT_POINTS);
        assert_eq!(little_received(0, 3, 2, "2025–2026"), (0.0, None));
        // The page's explanation names the weight and says whether it is the default.
        assert!(weighting(5).starts_with("Una asistencia técnica cuenta como 5 personas formadas"));
        assert!(weighting(5).contains("valor por omisión"));
        assert!(weighting(1).starts_with("Una asistencia técnica cuenta como 1 persona formada"));
        assert!(weighting(1).contains("fijó esta equivalencia en 1 persona formada"));
        // The setting is said in words, never by its key (issue 61).
        assert!(!weighting(5).contains("priority_assistance_weight"));
        assert!(!weighting(1).contains("priority_assistance_weight"));
    }

    fn observation(
        code: &str,
        year: i32,
        value: f64,
        synthetic: bool,
    ) -> indicator_observation::Model {
        indicator_observation::Model {
            id: 0,
            indicator_id: 1,
            municipality_code: code.into(),
            year,
            value,
            source: String::new(),
            synthetic,
        }
    }

    /// Synthetic later years of a few municipalities (the demo's pilots) neither hide the
    /// real measurement of the rest nor rank the pilots among themselves.
    #[test]
    fn the_latest_real_measurement_counts_and_synthetic_values_are_marked() {
        let observations = vec![
            observation("a", 2022, 90.0, false),
            observation("a", 2023, 40.0, false),
            observation("b", 2023, 60.0, false),
            observation("c", 2023, 80.0, false),
            // The pilot: strong in its synthetic years, weakest in its real one.
            observation("a", 2024, 99.0, true),
            observation("a", 2025, 99.0, true),
            // Only synthetic: read there, marked.
            observation("d", 2025, 10.0, true),
        ];
        let weak = latest_real_percentiles(&observations, true);
        assert_eq!(weak["a"].year, 2023);
        assert!(!weak["a"].synthetic);
        assert_eq!(
            weak["a"].percentile, 0.0,
            "the weakest of 2023's real values"
        );
        assert_eq!(weak["b"].percentile, 50.0);
        assert_eq!(weak["c"].percentile, 100.0);
        assert_eq!(weak["d"].year, 2025);
        assert!(weak["d"].synthetic);
        assert_eq!(weak.len(), 4);
        let shown = measured(&Weak {
            indicator: "IDF".into(),
            ..weak["d"].clone()
        });
        assert_eq!(shown, "IDF (2025, dato sintético)");
    }

    #[test]
    fn percentiles_count_the_municipalities_that_do_worse() {
        let mut values = vec![
            ("a".to_string(), 50.0),
            ("b".to_string(), 10.0),
            ("c".to_string(), 90.0),
            ("d".to_string(), 50.0),
            ("e".to_string(), 70.0),
        ];
        let p: HashMap<String, f64> = percentiles(&mut values, true).into_iter().collect();
        assert_eq!(p["b"], 0.0);
        assert_eq!(p["a"], 25.0);
        assert_eq!(p["d"], 25.0);
        assert_eq!(p["e"], 75.0);
        assert_eq!(p["c"], 100.0);
        let lower: HashMap<String, f64> = percentiles(&mut values, false).into_iter().collect();
        assert_eq!(lower["c"], 0.0);
        assert_eq!(lower["b"], 100.0);
    }
}
