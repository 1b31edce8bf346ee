//! Coordinators' views of demand (issue 16): the demand map (municipality × capacity: open
//! demands, people requested, seats planned, people completed) and unmet demand by age and
//! priority. Scoped like the demand itself ([`super::DemandScope`]); a department filter
//! outside the scope gives an empty report.

use super::DemandScope;
use crate::accounts::actor::Actor;
use crate::entities::values::{DemandPriority, DemandStatus};
use crate::entities::{capacity_figure, cohort, demand, municipality};
use crate::error::AppResult;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The map's filters.
#[derive(Clone, Debug, Default)]
pub struct DemandReportQuery {
    pub department: Option<String>,
    pub capacity: Option<i32>,
    /// A sector id (issue 49): only the demands about it.
    pub sector: Option<i32>,
}

/// One municipality (or gobernación, issue 49) × capacity of the map.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DemandMapRow)]
pub struct MapRow {
    pub department_code: String,
    pub department_name: String,
    /// None for a gobernación's own demands (never counted for its capital).
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    /// The municipality's name, or «Gobernación de …».
    pub municipality_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    /// Open demands (not yet planned).
    pub open: i64,
    /// People the open and planned demands ask to train.
    pub people_requested: i64,
    /// Seats planned for them: per planned demand, the people it asks for up to its cohort's
    /// seats.
    pub planned_seats: i64,
    /// People of the municipality who completed training in the capacity (all years).
    pub completed: i64,
    /// Demands met and declined, for the record.
    pub met: i64,
    pub declined: i64,
}

/// Unmet demand (open or planned) of one priority and age band.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UnmetDemand)]
pub struct UnmetRow {
    pub priority: DemandPriority,
    /// The priority in Spanish («Alta»).
    pub priority_label: &'static str,
    /// «0 a 30 días», «31 a 90 días», «91 a 180 días», «más de 180 días».
    pub age: &'static str,
    pub open: i64,
    pub planned: i64,
    pub people: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DemandReport)]
pub struct DemandReport {
    pub items: Vec<MapRow>,
    pub unmet: Vec<UnmetRow>,
    /// Open demands, oldest first (at most 20): what to answer next.
    pub oldest_open: Vec<super::DemandView>,
}

/// Age bands of unmet demand, by the most days they hold.
const AGE_BANDS: [(i64, &str); 4] = [
    (30, "0 a 30 días"),
    (90, "31 a 90 días"),
    (180, "91 a 180 días"),
    (i64::MAX, "más de 180 días"),
];

fn age_band(days: i64) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(most, _)| days <= *most)
        .map_or("más de 180 días", |(_, label)| label)
}

/// The demand map, unmet demand by age and priority, and the oldest open demands.
pub async fn report<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    query: &DemandReportQuery,
) -> AppResult<DemandReport> {
    let scope = DemandScope::of(user)?;
    let department = crate::reports::non_empty(&query.department);
    let mut rows = demands_asked_for(db, &scope, query).await?;
    let places: HashMap<String, municipality::Model> = municipality::Entity::find()
        .filter(
            municipality::Column::Code.is_in(
                rows.iter()
                    .filter_map(|d| d.municipality_code.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .all_mapped(db, |m| (m.code.clone(), m))
        .await?;
    if let Some(code) = &department {
        rows.retain(|d| &d.department_code == code);
    }
    let seats: HashMap<i32, i64> = cohort::Entity::find()
        .filter(
            cohort::Column::Id.is_in(rows.iter().filter_map(|d| d.cohort_id).collect::<Vec<_>>()),
        )
        .all_mapped(db, |c| (c.id, i64::from(c.seats)))
        .await?;
    let capacities: HashMap<i32, String> =
        crate::capacities::names(db).await?.into_iter().collect();
    let departments = crate::territory::department_names(db).await?;
    let completed: HashMap<(String, i32), i64> = capacity_figure::Entity::find()
        .filter(
            capacity_figure::Column::MunicipalityCode
                .is_in(places.keys().cloned().collect::<Vec<_>>()),
        )
        .all_mapped(db, |f| {
            ((f.municipality_code, f.capacity_id), i64::from(f.completed))
        })
        .await?;

    let mut map: BTreeMap<(String, String, i32), MapRow> = BTreeMap::new();
    let mut unmet: BTreeMap<(u8, usize), UnmetRow> = BTreeMap::new();
    let today = crate::time::today();
    for d in &rows {
        let department_name = departments
            .get(&d.department_code)
            .cloned()
            .unwrap_or_default();
        // A gobernación's demand is its department's row, never its capital's (issue 49).
        let place_name = match &d.municipality_code {
            Some(code) => match places.get(code) {
                Some(place) => place.name.clone(),
                None => continue,
            },
            None => super::governorate_name(&department_name),
        };
        let row = map
            .entry((
                d.department_code.clone(),
                crate::text::fold(&place_name),
                d.capacity_id,
            ))
            .or_insert_with(|| MapRow {
                department_name,
                department_code: d.department_code.clone(),
                municipality_code: d.municipality_code.clone(),
                municipality_name: place_name,
                capacity_id: d.capacity_id,
                capacity_name: capacities.get(&d.capacity_id).cloned().unwrap_or_default(),
                open: 0,
                people_requested: 0,
                planned_seats: 0,
                completed: d
                    .municipality_code
                    .as_ref()
                    .and_then(|code| completed.get(&(code.clone(), d.capacity_id)))
                    .copied()
                    .unwrap_or(0),
                met: 0,
                declined: 0,
            });
        let people = i64::from(d.people_estimate);
        match d.status {
            DemandStatus::Open => {
                row.open += 1;
                row.people_requested += people;
            }
            DemandStatus::Planned => {
                row.people_requested += people;
                let cohort_seats = d.cohort_id.and_then(|c| seats.get(&c)).copied();
                row.planned_seats += cohort_seats.map_or(people, |s| people.min(s));
            }
            DemandStatus::Met => row.met += 1,
            DemandStatus::Declined => row.declined += 1,
        }
        count_unmet(&mut unmet, d, today);
    }
    let mut oldest: Vec<demand::Model> = rows
        .into_iter()
        .filter(|d| d.status == DemandStatus::Open)
        .collect();
    oldest.sort_by_key(|d| (d.created_at, d.id));
    oldest.truncate(20);
    Ok(DemandReport {
        items: map.into_values().collect(),
        unmet: unmet.into_values().collect(),
        oldest_open: super::views(db, oldest).await?,
    })
}

/// The demands in the caller's scope, of the capacity and sector asked for.
async fn demands_asked_for<C: ConnectionTrait>(
    db: &C,
    scope: &DemandScope,
    query: &DemandReportQuery,
) -> AppResult<Vec<demand::Model>> {
    let mut select = demand::Entity::find().filter(scope.condition());
    if let Some(id) = query.capacity {
        select = select.filter(demand::Column::CapacityId.eq(id));
    }
    if let Some(sector) = query.sector {
        select = select.filter(crate::descriptors::tagged(
            demand::Column::Id,
            crate::entities::values::DescriptorSubject::Demand,
            sector,
        ));
    }
    Ok(select.all(db).await?)
}

/// Counts an open or planned demand in its priority and age band.
fn count_unmet(
    unmet: &mut BTreeMap<(u8, usize), UnmetRow>,
    d: &demand::Model,
    today: chrono::NaiveDate,
) {
    if matches!(d.status, DemandStatus::Open | DemandStatus::Planned) {
        let days = (today - crate::time::local(d.created_at).date_naive()).num_days();
        let band = AGE_BANDS
            .iter()
            .position(|(_, label)| *label == age_band(days))
            .unwrap_or(AGE_BANDS.len() - 1);
        let entry = unmet
            .entry((d.priority.rank(), band))
            .or_insert_with(|| UnmetRow {
                priority: d.priority,
                priority_label: d.priority.label(),
                age: AGE_BANDS[band].1,
                open: 0,
                planned: 0,
                people: 0,
            });
        if d.status == DemandStatus::Open {
            entry.open += 1;
        } else {
            entry.planned += 1;
        }
        entry.people += i64::from(d.people_estimate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmet_demand_is_banded_by_age() {
        assert_eq!(age_band(0), "0 a 30 días");
        assert_eq!(age_band(30), "0 a 30 días");
        assert_eq!(age_band(31), "31 a 90 días");
        assert_eq!(age_band(180), "91 a 180 días");
        assert_eq!(age_band(181), "más de 180 días");
    }
}
