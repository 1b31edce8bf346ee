//! A municipality's profile: what it is (category, PDET subregion, the indicators observed for
//! its capacities) and its training history by year and capacity — distinct people trained,
//! completed and certified. Reviewers see only the municipalities of their department.

use crate::accounts::actor::Actor;
use crate::entities::values::{CertificateStatus, EnrolmentStatus};
use crate::entities::{
    capacity, capacity_indicator, certificate, cohort, course_capacity, enrolment,
    indicator_observation, municipality, pdet_subregion,
};
use crate::error::{AppError, AppResult};
use chrono::Datelike;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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

async fn history<C: ConnectionTrait>(
    db: &C,
    code: &str,
    capacities: &HashMap<i32, String>,
) -> AppResult<Vec<HistoryRow>> {
    let mut by_course: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in course_capacity::Entity::find().all(db).await? {
        by_course
            .entry(link.course_id)
            .or_default()
            .push(link.capacity_id);
    }
    // Only the columns the history needs: a capital has thousands of enrolments.
    let enrolments: Vec<(i32, i32, EnrolmentStatus, chrono::NaiveDate, i32)> =
        enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .column(enrolment::Column::ParticipantId)
            .column(enrolment::Column::Status)
            .column(cohort::Column::StartDate)
            .column(cohort::Column::CourseId)
            .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
            .filter(enrolment::Column::MunicipalityCode.eq(code))
            .filter(enrolment::Column::Status.is_in([
                EnrolmentStatus::Enrolled,
                EnrolmentStatus::Completed,
                EnrolmentStatus::NotCompleted,
            ]))
            .into_tuple()
            .all(db)
            .await?;
    let certified: HashSet<i32> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::EnrolmentId)
        .filter(certificate::Column::MunicipalityCode.eq(code))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // (year, capacity) → (trained, completed, certified) distinct people.
    let mut history: BTreeMap<(i32, &str), [HashSet<i32>; 3]> = BTreeMap::new();
    for (id, person, status, start, course_id) in &enrolments {
        for capacity_id in by_course.get(course_id).into_iter().flatten() {
            let name = capacities
                .get(capacity_id)
                .map(String::as_str)
                .unwrap_or_default();
            let entry = history.entry((start.year(), name)).or_default();
            entry[0].insert(*person);
            if *status == EnrolmentStatus::Completed {
                entry[1].insert(*person);
            }
            if certified.contains(id) {
                entry[2].insert(*person);
            }
        }
    }
    Ok(history
        .into_iter()
        .rev()
        .map(|((year, capacity), sets)| HistoryRow {
            year,
            capacity: capacity.to_string(),
            trained: sets[0].len(),
            completed: sets[1].len(),
            certified: sets[2].len(),
        })
        .collect())
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
