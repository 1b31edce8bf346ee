//! Cost-effectiveness in ESAP's comparison (issue 68, item 1): per group of municipalities,
//! the executed cost of what they received in the comparison's window, by intervention and by
//! provider, and that cost per municipality reached, per person certified and per point of
//! change of the indicator beyond the comparison group («Ninguna …»).
//!
//! Rules (see `docs/DECISIONS.md`, «Cost per point of change»):
//! - Only cost items in stage `ejecutado` whose day incurred falls in the window (1 January of
//!   `from_year` to 31 December of `to_year`); planned and committed ones never count. With a
//!   capacity chosen, only items of cohorts whose course develops it and of assistances on it.
//! - A cohort's item is split among the municipalities of its people trained, pro rata by
//!   people trained from each (`cohort_figures.enrolled`); a cohort nobody was trained in
//!   splits evenly among the municipalities it was offered to. Splits are in whole pesos by
//!   largest remainder, so the shares add up to the item exactly. An assistance's item goes to
//!   its municipality (an assistance of a gobernación has none and counts in no group).
//!   Cohorts that train trainers count as `replicas` (what the replicas cost is training
//!   their replicators: a replica itself carries no cost item).
//! - The reader sums only what it may see, as in the plans' comparison: admins and ESAP's
//!   national coordinators every provider's items; a territorial direction's coordinator its
//!   provider's in its departments; another provider's coordinator its provider's; a reviewer
//!   every provider's in its department (the comparison's rows are already its department's).
//! - Ratios are rounded to the nearest whole peso (half away from zero).

use crate::accounts::actor::Actor;
use crate::entities::values::{CostStage, Role};
use crate::entities::{
    assistance, assistance_capacity, cohort, cohort_figure, cohort_municipality, cost_item,
    course_capacity, municipality,
};
use crate::error::AppResult;
use crate::rows::Rows;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A provider's share of a group's executed cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ImpactProviderCost)]
pub struct ProviderAmount {
    pub provider_id: i32,
    /// Whole pesos.
    pub amount: i64,
}

/// A group's executed cost and what it bought (whole pesos).
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ImpactGroupCost)]
pub struct GroupCost {
    /// Executed cost items incurred within the window (`training + assistance + replicas`).
    pub executed: i64,
    /// Of it, cohorts (not those that train trainers).
    pub training: i64,
    /// Of it, technical assistances.
    pub assistance: i64,
    /// Of it, cohorts that train trainers (the replicas' cost).
    pub replicas: i64,
    /// By provider, largest first.
    pub by_provider: Vec<ProviderAmount>,
    /// The group's municipalities (DANE codes) with no executed cost in the window: excluded
    /// from `per_municipality`.
    pub municipalities_without_cost: Vec<String>,
    /// `executed` ÷ the group's municipalities with some cost; null when none has. Every
    /// ratio is null when `executed` is 0.
    pub per_municipality: Option<i64>,
    /// `executed` ÷ people of the group certified in cohorts that started within the window;
    /// null when nobody was.
    pub per_person_certified: Option<i64>,
    /// People certified counted in `per_person_certified`.
    pub people_certified: i64,
    /// `executed` ÷ (the group's median change − the comparison group's, in the direction of
    /// improvement); null where that difference is ≤ 0, for the comparison group itself, or
    /// when the group is under 5 municipalities.
    pub per_point_of_change: Option<i64>,
    /// The difference in points the cost is divided by, when there is one.
    pub points_beyond_comparison: Option<f64>,
    /// The group has fewer than 5 municipalities.
    pub small_group: bool,
}

/// What one municipality received, in whole pesos, and its people certified.
#[derive(Clone, Debug, Default)]
pub struct MunicipalityCost {
    pub training: i64,
    pub assistance: i64,
    pub replicas: i64,
    pub by_provider: BTreeMap<i32, i64>,
    pub certified: i64,
}

impl MunicipalityCost {
    /// Training, assistance and replicas.
    pub fn executed(&self) -> i64 {
        self.training + self.assistance + self.replicas
    }
}

/// Whose executed cost items are summed: one provider's (`None`: every provider's) in some
/// departments (`None`: all of them; empty: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summed {
    pub provider: Option<i32>,
    pub departments: Option<Vec<String>>,
}

impl Summed {
    /// What a reader may see: admins and ESAP's national coordinators every provider's items;
    /// a territorial direction's coordinator its provider's in its departments; another
    /// provider's coordinator its provider's; a reviewer every provider's in its department.
    pub fn reader(user: &Actor) -> Summed {
        let (provider, departments) = match user.role {
            Role::Admin => (None, None),
            Role::Coordinator => match user.direction_departments() {
                Some(departments) => (Some(user.provider_id), Some(departments.to_vec())),
                None if user.is_other_provider() => (Some(user.provider_id), None),
                None => (None, None),
            },
            Role::Reviewer => (
                None,
                Some(vec![user.department_code.clone().unwrap_or_default()]),
            ),
            // The comparisons' guards let no one else in; whatever reaches here sums nothing.
            _ => (None, Some(Vec::new())),
        };
        Summed {
            provider,
            departments,
        }
    }

    /// What `self` sums of `provider`'s items in `departments` (`None`: anywhere): both limits
    /// at once; another provider's items than `self`'s sum nothing.
    pub fn within(&self, provider: i32, departments: Option<&[String]>) -> Summed {
        if self.provider.is_some_and(|p| p != provider) {
            return Summed {
                provider: Some(provider),
                departments: Some(Vec::new()),
            };
        }
        let departments = match (&self.departments, departments) {
            (None, None) => None,
            (Some(mine), None) => Some(mine.clone()),
            (None, Some(theirs)) => Some(theirs.to_vec()),
            (Some(mine), Some(theirs)) => Some(
                mine.iter()
                    .filter(|d| theirs.contains(d))
                    .cloned()
                    .collect(),
            ),
        };
        Summed {
            provider: Some(provider),
            departments,
        }
    }
}

/// Splits `value` among `weights` in whole pesos by largest remainder (ties by key order), so
/// the shares add up to `value` exactly. Zero total weight: nothing.
pub fn split(value: i64, weights: &[(String, i64)]) -> Vec<(String, i64)> {
    let total: i128 = weights.iter().map(|(_, w)| i128::from(*w)).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut shares: Vec<(String, i64, i128)> = weights
        .iter()
        .map(|(k, w)| {
            let exact = i128::from(value) * i128::from(*w);
            (k.clone(), (exact / total) as i64, exact % total)
        })
        .collect();
    let mut left = value - shares.iter().map(|s| s.1).sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| {
        shares[*b]
            .2
            .cmp(&shares[*a].2)
            .then(shares[*a].0.cmp(&shares[*b].0))
    });
    for i in order {
        if left <= 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares.into_iter().map(|(k, v, _)| (k, v)).collect()
}

/// `amount ÷ by`, to the nearest whole peso (half away from zero); none without an amount
/// (no cost recorded is no ratio, never «$ 0 por punto») or without a divisor.
fn per(amount: i64, by: f64) -> Option<i64> {
    (amount > 0 && by > 0.0).then(|| (amount as f64 / by).round() as i64)
}

/// Per municipality of `codes`: the executed cost in the window of the items `summed` (see
/// [`Summed::reader`]), and the people certified in cohorts (of the same provider) started
/// within it. A fixed number of queries (chunked).
pub async fn by_municipality<C: ConnectionTrait>(
    db: &C,
    summed: &Summed,
    capacity: Option<i32>,
    from_year: i32,
    to_year: i32,
    codes: &HashSet<String>,
) -> AppResult<HashMap<String, MunicipalityCost>> {
    let mut out: HashMap<String, MunicipalityCost> = HashMap::new();
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(from_year, 1, 1),
        NaiveDate::from_ymd_opt(to_year, 12, 31),
    ) else {
        return Ok(out);
    };
    let (provider, departments) = (summed.provider, summed.departments.as_ref());
    // The municipalities whose costs the reader sums: the comparison's, within its departments.
    let department_of = departments_of(db).await?;
    let counted = |code: &str| {
        codes.contains(code)
            && departments.is_none_or(|list| {
                department_of
                    .get(code)
                    .is_some_and(|d| list.iter().any(|x| x == d))
            })
    };
    let items = executed_items(db, provider, first, last).await?;
    let cohort_ids: Vec<i32> = {
        let set: HashSet<i32> = items.iter().filter_map(|i| i.cohort_id).collect();
        set.into_iter().collect()
    };
    let assistance_ids: Vec<i32> = {
        let set: HashSet<i32> = items.iter().filter_map(|i| i.assistance_id).collect();
        set.into_iter().collect()
    };
    let values = crate::costs::values(db, &items).await?;
    let cohorts = Cohorts::read(db, &cohort_ids).await?;
    let assistances = Assistances::read(db, &assistance_ids, capacity).await?;
    let courses = courses_developing(db, capacity).await?;
    let develops = |cohort_id: i32| match &courses {
        None => true,
        Some(set) => cohorts
            .course_of
            .get(&cohort_id)
            .is_some_and(|c| set.contains(c)),
    };
    for item in &items {
        let value = values.get(&item.id).copied().unwrap_or(0);
        let Some((shares, kind)) =
            item_shares(item, value, &cohorts, &assistances, capacity, develops)
        else {
            continue;
        };
        for (code, amount) in shares {
            if amount == 0 || !counted(&code) {
                continue;
            }
            let entry = out.entry(code).or_default();
            match kind {
                Kind::Training => entry.training += amount,
                Kind::Assistance => entry.assistance += amount,
                Kind::Replicas => entry.replicas += amount,
            }
            *entry.by_provider.entry(item.provider_id).or_default() += amount;
        }
    }
    // People certified in cohorts that started within the window (the reader's, the
    // capacity's).
    for (code, certified) in
        certified_in_window(db, provider, courses.as_ref(), first, last).await?
    {
        if certified > 0 && counted(&code) {
            out.entry(code).or_default().certified += i64::from(certified);
        }
    }
    Ok(out)
}

/// Every municipality's department, by DANE code.
pub(crate) async fn departments_of<C: ConnectionTrait>(
    db: &C,
) -> AppResult<HashMap<String, String>> {
    Ok(municipality::Entity::find()
        .select_only()
        .column(municipality::Column::Code)
        .column(municipality::Column::DepartmentCode)
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The executed cost items incurred from `first` to `last` (one provider's, or every one's).
async fn executed_items<C: ConnectionTrait>(
    db: &C,
    provider: Option<i32>,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<Vec<cost_item::Model>> {
    let mut condition = Condition::all()
        .add(cost_item::Column::Stage.eq(CostStage::Ejecutado))
        .add(cost_item::Column::IncurredOn.gte(first))
        .add(cost_item::Column::IncurredOn.lte(last));
    if let Some(p) = provider {
        condition = condition.add(cost_item::Column::ProviderId.eq(p));
    }
    Ok(cost_item::Entity::find().filter(condition).all(db).await?)
}

/// What the items' cohorts bring to the split: whether they train trainers, their course, and
/// the weights of their municipalities (people trained from each; or, for a cohort nobody was
/// trained in, 1 for each municipality it was offered to).
#[derive(Default)]
struct Cohorts {
    trains_trainers: HashMap<i32, bool>,
    course_of: HashMap<i32, i32>,
    weights: HashMap<i32, Vec<(String, i64)>>,
    offered: HashMap<i32, Vec<(String, i64)>>,
}

impl Cohorts {
    /// Reads them for cohorts `ids` (chunked).
    async fn read<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<Cohorts> {
        let mut out = Cohorts::default();
        for chunk in ids.chunks(1_000) {
            for c in cohort::Entity::find()
                .filter(cohort::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                out.trains_trainers.insert(c.id, c.trains_trainers);
                out.course_of.insert(c.id, c.course_id);
            }
            for f in cohort_figure::Entity::find()
                .filter(cohort_figure::Column::CohortId.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                if f.enrolled > 0 {
                    out.weights
                        .entry(f.cohort_id)
                        .or_default()
                        .push((f.municipality_code, i64::from(f.enrolled)));
                }
            }
            for m in cohort_municipality::Entity::find()
                .filter(cohort_municipality::Column::CohortId.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                out.offered
                    .entry(m.cohort_id)
                    .or_default()
                    .push((m.municipality_code, 1));
            }
        }
        Ok(out)
    }
}

/// What the items' assistances bring: their municipality (none for a gobernación's), and —
/// with a capacity chosen — which of them are on it.
#[derive(Default)]
struct Assistances {
    place: HashMap<i32, Option<String>>,
    on_capacity: HashSet<i32>,
}

impl Assistances {
    /// Reads them for assistances `ids` (chunked).
    async fn read<C: ConnectionTrait>(
        db: &C,
        ids: &[i32],
        capacity: Option<i32>,
    ) -> AppResult<Assistances> {
        let mut out = Assistances::default();
        for chunk in ids.chunks(1_000) {
            for a in assistance::Entity::find()
                .filter(assistance::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                out.place.insert(a.id, a.municipality_code);
            }
            if let Some(capacity) = capacity {
                for a in assistance_capacity::Entity::find()
                    .filter(assistance_capacity::Column::AssistanceId.is_in(chunk.to_vec()))
                    .filter(assistance_capacity::Column::CapacityId.eq(capacity))
                    .all(db)
                    .await?
                {
                    out.on_capacity.insert(a.assistance_id);
                }
            }
        }
        Ok(out)
    }
}

/// The courses that develop `capacity`; none (every course) without one.
async fn courses_developing<C: ConnectionTrait>(
    db: &C,
    capacity: Option<i32>,
) -> AppResult<Option<HashSet<i32>>> {
    Ok(match capacity {
        None => None,
        Some(capacity) => Some(
            course_capacity::Entity::find()
                .filter(course_capacity::Column::CapacityId.eq(capacity))
                .all_mapped(db, |c| c.course_id)
                .await?,
        ),
    })
}

/// What an item's cost counts as in a group's cost.
#[derive(Clone, Copy)]
enum Kind {
    Training,
    Assistance,
    Replicas,
}

/// An item's `value` split among municipalities, and what it counts as: a cohort's split by
/// its weights ([`split`]; replicas when it trains trainers), an assistance's all to its
/// municipality. None when it does not count: a cohort whose course does not develop the
/// capacity, an assistance not on it or without a municipality, an item of neither.
fn item_shares(
    item: &cost_item::Model,
    value: i64,
    cohorts: &Cohorts,
    assistances: &Assistances,
    capacity: Option<i32>,
    develops: impl Fn(i32) -> bool,
) -> Option<(Vec<(String, i64)>, Kind)> {
    match (item.cohort_id, item.assistance_id) {
        (Some(c), _) => {
            if !develops(c) {
                return None;
            }
            let w = cohorts
                .weights
                .get(&c)
                .or_else(|| cohorts.offered.get(&c))
                .cloned()
                .unwrap_or_default();
            let kind = if cohorts.trains_trainers.get(&c).copied().unwrap_or(false) {
                Kind::Replicas
            } else {
                Kind::Training
            };
            Some((split(value, &w), kind))
        }
        (None, Some(a)) => {
            if capacity.is_some() && !assistances.on_capacity.contains(&a) {
                return None;
            }
            let code = assistances.place.get(&a).cloned().flatten()?;
            Some((vec![(code, value)], Kind::Assistance))
        }
        (None, None) => None,
    }
}

/// People certified, by municipality (one row per cohort and municipality), in cohorts that
/// started from `first` to `last` — of `provider` when given, of `courses` when given.
async fn certified_in_window<C: ConnectionTrait>(
    db: &C,
    provider: Option<i32>,
    courses: Option<&HashSet<i32>>,
    first: NaiveDate,
    last: NaiveDate,
) -> AppResult<Vec<(String, i32)>> {
    let mut started = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::CourseId)
        .filter(cohort::Column::StartDate.gte(first))
        .filter(cohort::Column::StartDate.lte(last));
    if let Some(p) = provider {
        started = started.filter(cohort::Column::ProviderId.eq(p));
    }
    let started: Vec<i32> = started
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, course)| courses.is_none_or(|set| set.contains(course)))
        .map(|(id, _)| id)
        .collect();
    let mut out = Vec::new();
    for chunk in started.chunks(1_000) {
        let rows: Vec<(String, i32)> = cohort_figure::Entity::find()
            .select_only()
            .column(cohort_figure::Column::MunicipalityCode)
            .column(cohort_figure::Column::Certified)
            .filter(cohort_figure::Column::CohortId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The points by which a group's median change beats the comparison group's, in the
/// direction of improvement; none unless it does (medians carry float noise, 49.6 − 49.4:
/// compared on 1e-9).
pub fn points_beyond(mine: Option<f64>, base: Option<f64>, higher_is_better: bool) -> Option<f64> {
    let (mine, base) = (mine?, base?);
    let beyond = if higher_is_better {
        mine - base
    } else {
        base - mine
    };
    let beyond = (beyond * 1e9).round() / 1e9;
    (beyond > 0.0).then_some(beyond)
}

/// One group's cost over its municipalities `codes`: what they received (`costs`), per
/// municipality with cost (those without named and excluded), per person certified and — for
/// a group of at least [`super::SMALL_GROUP`] municipalities that beats its comparison
/// group by `beyond` points ([`points_beyond`]) — per point of change. The one rule of both
/// comparisons (ESAP's and the plans').
pub fn group_cost<'a>(
    codes: impl IntoIterator<Item = &'a str>,
    costs: &HashMap<String, MunicipalityCost>,
    beyond: Option<f64>,
) -> GroupCost {
    let mut cost = GroupCost::default();
    let mut providers: BTreeMap<i32, i64> = BTreeMap::new();
    let mut with_cost = 0usize;
    let mut members = 0usize;
    for code in codes {
        members += 1;
        match costs.get(code) {
            Some(c) if c.executed() > 0 => {
                with_cost += 1;
                cost.training += c.training;
                cost.assistance += c.assistance;
                cost.replicas += c.replicas;
                for (p, amount) in &c.by_provider {
                    *providers.entry(*p).or_default() += amount;
                }
            }
            _ => cost.municipalities_without_cost.push(code.to_string()),
        }
        cost.people_certified += costs.get(code).map_or(0, |c| c.certified);
    }
    cost.small_group = members < super::SMALL_GROUP;
    cost.municipalities_without_cost.sort();
    cost.executed = cost.training + cost.assistance + cost.replicas;
    let mut by_provider: Vec<ProviderAmount> = providers
        .into_iter()
        .map(|(provider_id, amount)| ProviderAmount {
            provider_id,
            amount,
        })
        .collect();
    by_provider.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then(a.provider_id.cmp(&b.provider_id))
    });
    cost.by_provider = by_provider;
    cost.per_municipality = per(cost.executed, with_cost as f64);
    cost.per_person_certified = per(cost.executed, cost.people_certified as f64);
    if let Some(beyond) = beyond.filter(|_| !cost.small_group) {
        cost.points_beyond_comparison = Some(beyond);
        cost.per_point_of_change = per(cost.executed, beyond);
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_adds_up_to_the_item_and_follows_the_weights() {
        let shares = split(1_000, &[("a".into(), 1), ("b".into(), 1), ("c".into(), 1)]);
        assert_eq!(
            shares,
            vec![("a".into(), 334), ("b".into(), 333), ("c".into(), 333)]
        );
        let shares = split(900, &[("a".into(), 2), ("b".into(), 1)]);
        assert_eq!(shares, vec![("a".into(), 600), ("b".into(), 300)]);
        assert!(split(900, &[("a".into(), 0)]).is_empty());
    }
}
