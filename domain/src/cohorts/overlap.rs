//! The duplication the policy complains about: another cohort that strengthens one of the
//! same capacities, in one of the same municipalities (directly or through a department),
//! in an overlapping period. A warning for the coordinator, never a block.

use super::{Targets, targets_of};
use crate::entities::values::CohortStatus;
use crate::entities::{
    capacity, cohort, cohort_department, cohort_municipality, course, course_capacity, municipality,
};
use crate::error::AppResult;
use crate::rows::Rows;
use sea_orm::sea_query::{Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Another non-cancelled cohort that strengthens a same capacity in a same place in an
/// overlapping period.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = OverlapWarning)]
pub struct Warning {
    pub cohort_id: i32,
    pub cohort_name: String,
    pub course_name: String,
    pub status: CohortStatus,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
    /// Names of the shared capacities.
    pub capacities: Vec<String>,
    /// Names of the shared places (municipalities, "departamento de …", "todo el país").
    pub places: Vec<String>,
    /// Spanish sentence for people.
    pub message: String,
}

/// Where two sets of targets meet: shared municipalities and departments, or `national`
/// when one of them is offered to the whole country.
#[derive(Debug, Default, PartialEq, Eq)]
struct Meeting {
    national: bool,
    municipalities: BTreeSet<String>,
    departments: BTreeSet<String>,
}

fn department_of(municipality_code: &str) -> &str {
    municipality_code.get(..2).unwrap_or_default()
}

impl Meeting {
    /// The shared places as people read them: «departamento de …», then municipalities.
    fn place_names(
        &self,
        municipality_names: &HashMap<String, String>,
        department_names: &HashMap<String, String>,
    ) -> Vec<String> {
        let name = |names: &HashMap<String, String>, code: &String| {
            names.get(code).cloned().unwrap_or_else(|| code.clone())
        };
        self.departments
            .iter()
            .map(|d| format!("departamento de {}", name(department_names, d)))
            .chain(
                self.municipalities
                    .iter()
                    .map(|m| name(municipality_names, m)),
            )
            .collect()
    }
}

fn meeting(a: &Targets, b: &Targets) -> Option<Meeting> {
    let national = |t: &Targets| t.municipalities.is_empty() && t.departments.is_empty();
    let mut found = Meeting::default();
    if national(a) || national(b) {
        found.national = true;
        return Some(found);
    }
    for code in &a.municipalities {
        if b.municipalities.contains(code) || b.departments.iter().any(|d| d == department_of(code))
        {
            found.municipalities.insert(code.clone());
        }
    }
    for code in &b.municipalities {
        if a.departments.iter().any(|d| d == department_of(code)) {
            found.municipalities.insert(code.clone());
        }
    }
    for code in &a.departments {
        if b.departments.contains(code) {
            found.departments.insert(code.clone());
        }
    }
    (!found.municipalities.is_empty() || !found.departments.is_empty()).then_some(found)
}

/// Cohorts whose targets may meet `mine` (a superset of what [`meeting`] accepts, cut in SQL so
/// that a cohort among thousands of the same period only loads its possible neighbours):
/// national ones, ones in the same municipalities or departments, in a municipality of one of
/// my departments, or in a department of one of my municipalities.
fn may_meet(mine: &Targets) -> Condition {
    if mine.municipalities.is_empty() && mine.departments.is_empty() {
        return Condition::all();
    }
    let mut departments: BTreeSet<String> = mine.departments.iter().cloned().collect();
    departments.extend(
        mine.municipalities
            .iter()
            .map(|m| department_of(m).to_string()),
    );
    let in_municipalities = |which: SimpleExpr| {
        cohort::Column::Id.in_subquery(
            Query::select()
                .column(cohort_municipality::Column::CohortId)
                .from(cohort_municipality::Entity)
                .and_where(which)
                .to_owned(),
        )
    };
    let listed = |table: SelectStatement| cohort::Column::Id.not_in_subquery(table);
    Condition::any()
        .add(in_municipalities(
            cohort_municipality::Column::MunicipalityCode.is_in(mine.municipalities.clone()),
        ))
        .add(in_municipalities(
            cohort_municipality::Column::MunicipalityCode.in_subquery(
                Query::select()
                    .column(municipality::Column::Code)
                    .from(municipality::Entity)
                    .and_where(municipality::Column::DepartmentCode.is_in(mine.departments.clone()))
                    .to_owned(),
            ),
        ))
        .add(
            cohort::Column::Id.in_subquery(
                Query::select()
                    .column(cohort_department::Column::CohortId)
                    .from(cohort_department::Entity)
                    .and_where(cohort_department::Column::DepartmentCode.is_in(departments))
                    .to_owned(),
            ),
        )
        .add(
            Condition::all()
                .add(listed(
                    Query::select()
                        .column(cohort_municipality::Column::CohortId)
                        .from(cohort_municipality::Entity)
                        .to_owned(),
                ))
                .add(listed(
                    Query::select()
                        .column(cohort_department::Column::CohortId)
                        .from(cohort_department::Entity)
                        .to_owned(),
                )),
        )
}

/// Overlap warnings kept per cohort for the versions of the figures, indicators and planning
/// data (issue 36): searching the period's cohorts is the costliest read of a cohort's
/// workspace (a third of its database time on PostgreSQL at national scale), and what it finds
/// changes only with cohorts, their targets and courses (the planning version) or a course's
/// capacities (the figures' one). `dashboard_cache_seconds` is the time to live.
pub type KeptWarnings = crate::cache::Kept<i32, Vec<Warning>, crate::instances::Versions>;

/// [`warnings_for`] through `kept`.
pub async fn kept_warnings(
    db: &sea_orm::DatabaseConnection,
    kept: &KeptWarnings,
    cohort: &cohort::Model,
) -> AppResult<Vec<Warning>> {
    let versions = crate::instances::Versions::read(db).await?;
    let (db, owned) = (db.clone(), cohort.clone());
    let found = kept
        .get(cohort.id, versions, move || async move {
            warnings_for(&db, &owned).await
        })
        .await?;
    Ok(found.as_ref().clone())
}

/// The overlap warnings of a cohort (cancelled cohorts neither warn nor are warned about).
pub async fn warnings_for<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
) -> AppResult<Vec<Warning>> {
    if cohort.status == CohortStatus::Cancelled {
        return Ok(Vec::new());
    }
    let my_capacities: Vec<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(cohort.course_id))
        .all_mapped(db, |c| c.capacity_id)
        .await?;
    let mine = targets_of(db, &[cohort.id])
        .await?
        .remove(&cohort.id)
        .unwrap_or_default();
    let candidates = cohort::Entity::find()
        .filter(cohort::Column::Id.ne(cohort.id))
        .filter(cohort::Column::Status.ne(CohortStatus::Cancelled))
        .filter(cohort::Column::StartDate.lte(cohort.end_date))
        .filter(cohort::Column::EndDate.gte(cohort.start_date))
        .filter(
            cohort::Column::CourseId.in_subquery(
                Query::select()
                    .column(course_capacity::Column::CourseId)
                    .from(course_capacity::Entity)
                    .and_where(course_capacity::Column::CapacityId.is_in(my_capacities.clone()))
                    .to_owned(),
            ),
        )
        .filter(may_meet(&mine))
        .order_by_asc(cohort::Column::StartDate)
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = candidates.iter().map(|c| c.id).collect();
    let targets = targets_of(db, &ids).await?;
    // A cohort delivered together with the other's provider is the same joint work, not a
    // duplicate (issue 49).
    let mut with_mine = ids.clone();
    with_mine.push(cohort.id);
    let partners = crate::joint::ids_of(db, OfferKind::Cohort, &with_mine).await?;
    let candidates: Vec<cohort::Model> = candidates
        .into_iter()
        .filter(|other| {
            !crate::joint::delivered_together(
                (
                    cohort.provider_id,
                    crate::joint::among(&partners, cohort.id),
                ),
                (other.provider_id, crate::joint::among(&partners, other.id)),
            )
        })
        .collect();

    let course_ids: Vec<i32> = candidates.iter().map(|c| c.course_id).collect();
    let course_names: HashMap<i32, String> = course::Entity::find()
        .filter(course::Column::Id.is_in(course_ids.clone()))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let links = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.is_in(course_ids))
        .filter(course_capacity::Column::CapacityId.is_in(my_capacities))
        .find_also_related(capacity::Entity)
        .all(db)
        .await?;
    let mut shared_capacities: HashMap<i32, Vec<String>> = HashMap::new();
    for (link, found) in links {
        if let Some(c) = found {
            shared_capacities
                .entry(link.course_id)
                .or_default()
                .push(c.name);
        }
    }

    let mut meetings = Vec::new();
    let mut codes = BTreeSet::new();
    for other in candidates {
        let theirs = targets.get(&other.id).cloned().unwrap_or_default();
        if let Some(found) = meeting(&mine, &theirs) {
            codes.extend(found.municipalities.iter().cloned());
            meetings.push((other, found));
        }
    }
    let municipality_names: HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let department_names = crate::territory::department_names(db).await?;

    Ok(meetings
        .into_iter()
        .map(|(other, found)| {
            let mut places = found.place_names(&municipality_names, &department_names);
            if found.national {
                places.push("todo el país".to_string());
            }
            let capacities = shared_capacities
                .get(&other.course_id)
                .cloned()
                .unwrap_or_default();
            let course_name = course_names
                .get(&other.course_id)
                .cloned()
                .unwrap_or_default();
            let message = format!(
                "La cohorte «{}» ({}) también fortalece {} en {} entre el {} y el {}.",
                other.name,
                course_name,
                capacities.join(", "),
                places.join(", "),
                crate::format::date(other.start_date),
                crate::format::date(other.end_date)
            );
            Warning {
                cohort_id: other.id,
                cohort_name: other.name,
                course_name,
                status: other.status,
                start_date: other.start_date,
                end_date: other.end_date,
                capacities,
                places,
                message,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(municipalities: &[&str], departments: &[&str]) -> Targets {
        Targets {
            municipalities: municipalities.iter().map(|s| s.to_string()).collect(),
            departments: departments.iter().map(|s| s.to_string()).collect(),
            instructors: vec![],
        }
    }

    #[test]
    fn places_meet_directly_through_a_department_or_nationally() {
        let paujil = targets(&["18256", "18592"], &[]);
        assert!(meeting(&paujil, &targets(&["18256"], &[])).is_some());
        assert!(meeting(&paujil, &targets(&["50325"], &[])).is_none());
        let via_department = meeting(&paujil, &targets(&[], &["18"])).unwrap();
        assert_eq!(via_department.municipalities.len(), 2);
        assert!(meeting(&paujil, &targets(&[], &["50"])).is_none());
        assert!(meeting(&targets(&[], &["18"]), &targets(&[], &["18", "50"])).is_some());
        assert!(meeting(&paujil, &targets(&[], &[])).unwrap().national);
    }
}

/// What an overlap pair holds: a cohort, or a technical assistance (issue 33; the kinds of
/// action joint delivery knows, below this module).
pub use crate::joint::OfferKind;

/// A cohort or a technical assistance as the overlap report names it.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = OverlapCohort)]
pub struct CohortRef {
    /// `cohort` or `assistance`; `id` is the cohort's or the assistance's.
    pub kind: OfferKind,
    pub id: i32,
    /// The cohort's name, or «Asistencia técnica a la alcaldía de …».
    pub name: String,
    /// The cohort's course, or the assistance's objective.
    pub course_name: String,
    /// The provider that offers it (issue 32: the report covers every provider's cohorts and
    /// assistances).
    pub provider: crate::providers::ProviderRef,
    /// The cohort's state (`planned`, `open`, …) or the assistance's (`planned`,
    /// `in_progress`, `closed`).
    pub status: String,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
}

/// Two cohorts, a cohort and a technical assistance, or two assistances that strengthen a same
/// capacity in a same municipality (or department, for two cohorts) in overlapping periods:
/// the duplication CONPES 4091 complains about.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = OverlapPair)]
pub struct Pair {
    pub first: CohortRef,
    pub second: CohortRef,
    /// Names of the shared capacities.
    pub capacities: Vec<String>,
    /// Names of the shared places (municipalities, «departamento de …»).
    pub places: Vec<String>,
    /// Days both run.
    pub overlap_days: i64,
    /// The two are of different providers: the duplication the alliances exist to avoid.
    pub across_providers: bool,
}

/// The report's filters: pairs with a shared place in `department`, running at some point
/// between `from` and `to`.
#[derive(Clone, Debug, Default)]
pub struct OverlapQuery {
    pub department: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// The non-cancelled cohorts in view (department, dates), sorted by start.
async fn cohorts_in_view<C: ConnectionTrait>(
    db: &C,
    query: &OverlapQuery,
) -> AppResult<Vec<cohort::Model>> {
    let mut select =
        cohort::Entity::find().filter(cohort::Column::Status.ne(CohortStatus::Cancelled));
    // A pair meets in the department only if both cohorts target it (a municipality of it, or
    // the department): the others never pair there, so they are not read at all.
    if let Some(code) = crate::reports::non_empty(&query.department) {
        select = select.filter(super::scope::in_department(&code));
    }
    if let Some(from) = query.from {
        select = select.filter(cohort::Column::EndDate.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(cohort::Column::StartDate.lte(to));
    }
    Ok(select
        .order_by_asc(cohort::Column::StartDate)
        .all(db)
        .await?)
}

/// Each course's capacities.
async fn capacities_by_course<C: ConnectionTrait>(
    db: &C,
) -> AppResult<HashMap<i32, BTreeSet<i32>>> {
    let mut capacities_of: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for link in course_capacity::Entity::find().all(db).await? {
        capacities_of
            .entry(link.course_id)
            .or_default()
            .insert(link.capacity_id);
    }
    Ok(capacities_of)
}

/// The names of the municipalities with these codes.
async fn municipality_names<C: ConnectionTrait>(
    db: &C,
    codes: BTreeSet<String>,
) -> AppResult<HashMap<String, String>> {
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all_mapped(db, |m| (m.code, m.name))
        .await?)
}

/// A pair of cohorts that meet: the first, the second, their shared capacities, where.
type CohortMeeting<'a> = (&'a cohort::Model, &'a cohort::Model, Vec<i32>, Meeting);

/// The pairs of cohorts (sorted by start) on a shared capacity and place with overlapping
/// dates, in the department asked for; national cohorts and joint work are left out.
fn cohort_meetings<'a>(
    cohorts: &'a [cohort::Model],
    targets: &HashMap<i32, Targets>,
    capacities_of: &HashMap<i32, BTreeSet<i32>>,
    partners: &HashMap<i32, Vec<i32>>,
    department: Option<&str>,
) -> Vec<CohortMeeting<'a>> {
    let empty = Targets::default();
    let together = |a: &cohort::Model, b: &cohort::Model| {
        crate::joint::delivered_together(
            (a.provider_id, crate::joint::among(partners, a.id)),
            (b.provider_id, crate::joint::among(partners, b.id)),
        )
    };
    // Sorted by start: each cohort meets only the later ones that start before it ends.
    let mut found = Vec::new();
    for (i, a) in cohorts.iter().enumerate() {
        let a_targets = targets.get(&a.id).unwrap_or(&empty);
        let national = |t: &Targets| t.municipalities.is_empty() && t.departments.is_empty();
        if national(a_targets) {
            continue;
        }
        for b in cohorts[i + 1..]
            .iter()
            .take_while(|b| b.start_date <= a.end_date)
        {
            let b_targets = targets.get(&b.id).unwrap_or(&empty);
            if national(b_targets) || together(a, b) {
                continue;
            }
            let (Some(ca), Some(cb)) = (
                capacities_of.get(&a.course_id),
                capacities_of.get(&b.course_id),
            ) else {
                continue;
            };
            let shared: Vec<i32> = ca.intersection(cb).copied().collect();
            if shared.is_empty() {
                continue;
            }
            let Some(meeting) = meeting(a_targets, b_targets) else {
                continue;
            };
            if let Some(code) = department
                && !meeting.departments.contains(code)
                && !meeting
                    .municipalities
                    .iter()
                    .any(|m| department_of(m) == code)
            {
                continue;
            }
            found.push((a, b, shared, meeting));
        }
    }
    found
}

/// Every pair of non-cancelled cohorts on a same capacity and place with overlapping dates —
/// and, beside them, every non-cancelled technical assistance with a cohort that targets its
/// municipality (or its department) or with another assistance of the same municipality, on a
/// same capacity in overlapping spans — the latest first. Cohorts offered to the whole country
/// are left out (they would pair with every cohort of their capacity; each cohort's page still
/// warns about them), and so is joint work (issue 49): two actions one of which is delivered
/// together with the other's provider.
pub async fn report<C: ConnectionTrait>(db: &C, query: &OverlapQuery) -> AppResult<Vec<Pair>> {
    let cohorts = cohorts_in_view(db, query).await?;
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let targets = targets_of(db, &ids).await?;
    let capacities_of = capacities_by_course(db).await?;
    let capacity_names: HashMap<i32, String> = capacity::Entity::find()
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let course_names: HashMap<i32, String> = course::Entity::find()
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let department = crate::reports::non_empty(&query.department);
    // Joint work (issue 49): a cohort delivered together with the other's provider.
    let partners = crate::joint::ids_of(db, OfferKind::Cohort, &ids).await?;
    let found = cohort_meetings(
        &cohorts,
        &targets,
        &capacities_of,
        &partners,
        department.as_deref(),
    );
    let codes: BTreeSet<String> = found
        .iter()
        .flat_map(|(_, _, _, m)| m.municipalities.iter().cloned())
        .collect();
    let municipality_names = municipality_names(db, codes).await?;
    let department_names = crate::territory::department_names(db).await?;
    let providers = crate::providers::names(db).await?;
    let reference = |c: &cohort::Model| CohortRef {
        kind: OfferKind::Cohort,
        id: c.id,
        name: c.name.clone(),
        course_name: course_names.get(&c.course_id).cloned().unwrap_or_default(),
        provider: providers.get(&c.provider_id).cloned().unwrap_or_else(|| {
            crate::providers::ProviderRef {
                id: c.provider_id,
                name: String::new(),
            }
        }),
        status: c.status.to_string(),
        start_date: c.start_date,
        end_date: c.end_date,
    };
    let assisted = assistance_pairs(
        db,
        query,
        department.as_deref(),
        &cohorts,
        &targets,
        &capacities_of,
        &capacity_names,
        &providers,
        &reference,
        &partners,
    )
    .await?;
    let mut pairs: Vec<Pair> = found
        .into_iter()
        .map(|(a, b, shared, meeting)| {
            let places = meeting.place_names(&municipality_names, &department_names);
            let overlap_days =
                (a.end_date.min(b.end_date) - b.start_date.max(a.start_date)).num_days() + 1;
            Pair {
                first: reference(a),
                second: reference(b),
                capacities: shared
                    .iter()
                    .filter_map(|id| capacity_names.get(id).cloned())
                    .collect(),
                places,
                overlap_days,
                across_providers: a.provider_id != b.provider_id,
            }
        })
        .chain(assisted)
        .collect();
    pairs.sort_by(|x, y| {
        y.second
            .start_date
            .cmp(&x.second.start_date)
            .then(y.first.id.cmp(&x.first.id))
    });
    Ok(pairs)
}

/// The non-cancelled assistances in view (department, dates), sorted by start.
async fn assistances_in_view<C: ConnectionTrait>(
    db: &C,
    query: &OverlapQuery,
    department: Option<&str>,
) -> AppResult<Vec<crate::entities::assistance::Model>> {
    use crate::entities::assistance;
    use crate::entities::values::AssistanceStatus;
    let mut select = assistance::Entity::find()
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled));
    if let Some(code) = department {
        select = select.filter(assistance::Column::DepartmentCode.eq(code));
    }
    if let Some(from) = query.from {
        select = select.filter(assistance::Column::EndsOn.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(assistance::Column::StartsOn.lte(to));
    }
    Ok(select
        .order_by_asc(assistance::Column::StartsOn)
        .order_by_asc(assistance::Column::Id)
        .all(db)
        .await?)
}

/// Each assistance's capacities (read a thousand assistances at a time).
async fn capacities_by_assistance<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, BTreeSet<i32>>> {
    use crate::entities::assistance_capacity;
    let mut assisted_capacities: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for chunk in ids.chunks(1_000) {
        for link in assistance_capacity::Entity::find()
            .filter(assistance_capacity::Column::AssistanceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            assisted_capacities
                .entry(link.assistance_id)
                .or_default()
                .insert(link.capacity_id);
        }
    }
    Ok(assisted_capacities)
}

/// The pairs with a technical assistance: each non-cancelled assistance in view with the
/// cohorts (already read by [`report`]) that target its municipality or department, and with
/// the other assistances of its municipality, on a shared capacity with overlapping dates.
#[allow(clippy::too_many_arguments)]
async fn assistance_pairs<C: ConnectionTrait>(
    db: &C,
    query: &OverlapQuery,
    department: Option<&str>,
    cohorts: &[cohort::Model],
    targets: &HashMap<i32, Targets>,
    capacities_of: &HashMap<i32, BTreeSet<i32>>,
    capacity_names: &HashMap<i32, String>,
    providers: &HashMap<i32, crate::providers::ProviderRef>,
    cohort_reference: &(dyn Fn(&cohort::Model) -> CohortRef + Sync),
    cohort_partners: &HashMap<i32, Vec<i32>>,
) -> AppResult<Vec<Pair>> {
    use crate::entities::assistance;
    use crate::figures::assistance::place_of;
    let assistances = assistances_in_view(db, query, department).await?;
    if assistances.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = assistances.iter().map(|a| a.id).collect();
    let assisted_capacities = capacities_by_assistance(db, &ids).await?;
    // Joint work (issue 49): an action delivered together with the other's provider.
    let partners = crate::joint::ids_of(db, OfferKind::Assistance, &ids).await?;
    let lead_and_partners =
        |a: &assistance::Model| (a.provider_id, crate::joint::among(&partners, a.id));
    let codes: BTreeSet<String> = assistances
        .iter()
        .filter_map(|a| a.municipality_code.clone())
        .collect();
    let municipality_names = municipality_names(db, codes).await?;
    let department_names = crate::territory::department_names(db).await?;
    // A municipality's name, or the department's for a gobernación's assistance.
    let place_name = |a: &assistance::Model| {
        let (names, code) = match &a.municipality_code {
            Some(code) => (&municipality_names, code),
            None => (&department_names, &a.department_code),
        };
        names.get(code).cloned().unwrap_or_else(|| code.clone())
    };
    let reference = |a: &assistance::Model| CohortRef {
        kind: OfferKind::Assistance,
        id: a.id,
        name: format!(
            "Asistencia técnica: {} de {}",
            a.entity_type.label(),
            place_name(a)
        ),
        course_name: a.objective.clone(),
        provider: providers.get(&a.provider_id).cloned().unwrap_or_else(|| {
            crate::providers::ProviderRef {
                id: a.provider_id,
                name: String::new(),
            }
        }),
        status: a.status.to_string(),
        start_date: a.starts_on,
        end_date: a.ends_on,
    };
    let shared_names = |a: &BTreeSet<i32>, b: &BTreeSet<i32>| -> Vec<String> {
        a.intersection(b)
            .filter_map(|id| capacity_names.get(id).cloned())
            .collect()
    };
    let days = |(a_start, a_end): (chrono::NaiveDate, chrono::NaiveDate),
                (b_start, b_end): (chrono::NaiveDate, chrono::NaiveDate)| {
        (a_end.min(b_end) - a_start.max(b_start)).num_days() + 1
    };
    let none = BTreeSet::new();
    let mut pairs = Vec::new();
    for (i, a) in assistances.iter().enumerate() {
        let a_capacities = assisted_capacities.get(&a.id).unwrap_or(&none);
        let a_department = a.department_code.as_str();
        // With cohorts that target the municipality (or its department).
        for c in cohorts {
            if c.start_date > a.ends_on
                || c.end_date < a.starts_on
                || crate::joint::delivered_together(
                    lead_and_partners(a),
                    (c.provider_id, crate::joint::among(cohort_partners, c.id)),
                )
            {
                continue;
            }
            let Some(t) = targets.get(&c.id) else {
                continue;
            };
            if !a
                .municipality_code
                .as_ref()
                .is_some_and(|m| t.municipalities.contains(m))
                && !t.departments.iter().any(|d| d == a_department)
            {
                continue;
            }
            let shared = shared_names(
                a_capacities,
                capacities_of.get(&c.course_id).unwrap_or(&none),
            );
            if shared.is_empty() {
                continue;
            }
            let (first, second) = (cohort_reference(c), reference(a));
            pairs.push(Pair {
                overlap_days: days(
                    (first.start_date, first.end_date),
                    (second.start_date, second.end_date),
                ),
                across_providers: c.provider_id != a.provider_id,
                first,
                second,
                capacities: shared,
                places: vec![place_name(a)],
            });
        }
        // With later assistances of the same place (sorted by start).
        for b in assistances[i + 1..]
            .iter()
            .take_while(|b| b.starts_on <= a.ends_on)
        {
            if place_of(b) != place_of(a)
                || crate::joint::delivered_together(lead_and_partners(a), lead_and_partners(b))
            {
                continue;
            }
            let shared = shared_names(
                a_capacities,
                assisted_capacities.get(&b.id).unwrap_or(&none),
            );
            if shared.is_empty() {
                continue;
            }
            pairs.push(Pair {
                first: reference(a),
                second: reference(b),
                capacities: shared,
                places: vec![place_name(a)],
                overlap_days: days((a.starts_on, a.ends_on), (b.starts_on, b.ends_on)),
                across_providers: a.provider_id != b.provider_id,
            });
        }
    }
    Ok(pairs)
}

/// [`report`] for `user`: a reviewer sees the pairs of their department (another department
/// asked for gives nothing). Dates as typed (`YYYY-MM-DD`; 422 otherwise).
pub async fn report_for<C: ConnectionTrait>(
    db: &C,
    user: &crate::accounts::actor::Actor,
    department: Option<String>,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<Vec<Pair>> {
    let mut errors = Vec::new();
    let from = crate::parse::date("from", from, false, &mut errors);
    let to = crate::parse::date("to", to, false, &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(crate::error::FieldError::new(
            "to",
            "La fecha final no puede ser anterior a la inicial.",
        ));
    }
    if !errors.is_empty() {
        return Err(crate::error::AppError::Validation(errors));
    }
    let mut department = crate::reports::non_empty(&department);
    if crate::reports::limit_to_scope(user, &mut department, None) {
        return Ok(Vec::new());
    }
    report(
        db,
        &OverlapQuery {
            department,
            from,
            to,
        },
    )
    .await
}

/// Of these ids of cohorts (`OfferKind::Cohort`) or assistances, the ones whose page `user`
/// may open: a cohort in [`super::scope::CohortScope::public`] (another provider's draft does
/// not exist for them yet), an assistance in its [`crate::assistance::AssistanceScope`].
pub async fn readable<C: ConnectionTrait>(
    db: &C,
    user: &crate::accounts::actor::Actor,
    kind: OfferKind,
    ids: BTreeSet<i32>,
) -> AppResult<BTreeSet<i32>> {
    use sea_orm::QuerySelect;
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut out = BTreeSet::new();
    for chunk in ids.chunks(1_000) {
        let found: Vec<i32> = match kind {
            OfferKind::Cohort => {
                cohort::Entity::find()
                    .select_only()
                    .column(cohort::Column::Id)
                    .filter(cohort::Column::Id.is_in(chunk.to_vec()))
                    .filter(super::scope::CohortScope::public(Some(user)).condition())
                    .into_tuple()
                    .all(db)
                    .await?
            }
            OfferKind::Assistance => {
                use crate::entities::assistance;
                assistance::Entity::find()
                    .select_only()
                    .column(assistance::Column::Id)
                    .filter(assistance::Column::Id.is_in(chunk.to_vec()))
                    .filter(crate::assistance::AssistanceScope::of(user)?.condition())
                    .into_tuple()
                    .all(db)
                    .await?
            }
        };
        out.extend(found);
    }
    Ok(out)
}

/// Of the sides of these pairs, the ones whose page `user` may open (issue 45: the report
/// names every provider's cohorts and assistances, drafts too — duplication is best caught
/// before it happens — but links only to pages the reader may open).
pub async fn opened_by<C: ConnectionTrait>(
    db: &C,
    user: &crate::accounts::actor::Actor,
    pairs: &[Pair],
) -> AppResult<(BTreeSet<i32>, BTreeSet<i32>)> {
    let ids = |kind: OfferKind| -> BTreeSet<i32> {
        pairs
            .iter()
            .flat_map(|p| [&p.first, &p.second])
            .filter(|side| side.kind == kind)
            .map(|side| side.id)
            .collect()
    };
    Ok((
        readable(db, user, OfferKind::Cohort, ids(OfferKind::Cohort)).await?,
        readable(db, user, OfferKind::Assistance, ids(OfferKind::Assistance)).await?,
    ))
}
