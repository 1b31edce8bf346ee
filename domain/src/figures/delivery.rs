//! The delivery facts (`delivery_facts`, issue 47): what each cohort and assistance delivered
//! per capacity × municipality × month — people trained (counted enrolments of a started
//! cohort, in its start month), people certified (valid certificates, in the month each was
//! issued) and assistances closed with their objective reached (in the closing month). The
//! plan's progress reads only these rows.
//!
//! Kept current like the rest of the figures: a cohort's rows are recomputed whenever its
//! figures are ([`super::refresh`], from `figures_dirty`), an assistance's whenever its
//! municipality's assistance figures are ([`super::assistance::refresh`]); [`rebuild`] makes
//! every row again with the same computations.

use crate::entities::values::{AssistanceStatus, DeliverySource};
use crate::entities::{
    assistance, assistance_capacity, certificate, cohort, course_capacity, delivery_fact, enrolment,
};
use crate::error::AppResult;
use crate::rows::Rows;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `yyyymm` of a day.
pub fn month_of(day: NaiveDate) -> i32 {
    day.year() * 100 + i32::try_from(day.month()).unwrap_or(1)
}

/// `yyyymm` of an instant, in Bogotá.
fn month_at(at: DateTime<Utc>) -> i32 {
    month_of(crate::time::local(at).date_naive())
}

/// Recomputes these cohorts' rows.
pub async fn refresh_cohorts<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<()> {
    delivery_fact::Entity::delete_many()
        .filter(delivery_fact::Column::Source.eq(DeliverySource::Cohort))
        .filter(delivery_fact::Column::SourceId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    let rows = cohort_rows(db, Some(ids)).await?;
    super::insert_all(db, rows).await
}

/// Recomputes the assistance rows of one place (a municipality, or a department for its
/// gobernación's: [`super::place::place_of`]).
pub async fn refresh_assistances<C: ConnectionTrait>(db: &C, place: &str) -> AppResult<()> {
    assistance_rows_again(db, Some(place)).await
}

/// Recomputes the assistance rows of every place: what a writer of many assistances at once
/// (the synthetic country) runs instead of naming each place.
pub async fn rebuild_assistances<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    assistance_rows_again(db, None).await
}

async fn assistance_rows_again<C: ConnectionTrait>(db: &C, place: Option<&str>) -> AppResult<()> {
    let mut stale = delivery_fact::Entity::delete_many()
        .filter(delivery_fact::Column::Source.eq(DeliverySource::Assistance));
    if let Some(place) = place {
        stale = stale.filter(delivery_fact::Column::MunicipalityCode.eq(place));
    }
    stale.exec(db).await?;
    let rows = assistance_rows(db, place).await?;
    super::insert_all(db, rows).await
}

/// Recomputes every row (in the caller's transaction); returns how many there are.
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    delivery_fact::Entity::delete_many().exec(db).await?;
    let mut rows = cohort_rows(db, None).await?;
    rows.extend(assistance_rows(db, None).await?);
    let n = rows.len();
    super::insert_all(db, rows).await?;
    Ok(n)
}

/// Every row, in key order.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<delivery_fact::Model>> {
    let mut out = delivery_fact::Entity::find().all(db).await?;
    out.sort();
    Ok(out)
}

/// (source id, capacity, municipality, month) → [trained, certified, closed with the objective
/// reached].
type Cells = BTreeMap<(i32, i32, String, i32), [i32; 3]>;

/// The rows of these cohorts, or of all.
async fn cohort_rows<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[i32]>,
) -> AppResult<Vec<delivery_fact::Model>> {
    let mut query = cohort::Entity::find();
    if let Some(ids) = ids {
        query = query.filter(cohort::Column::Id.is_in(ids.iter().copied()));
    }
    let cohorts: HashMap<i32, cohort::Model> = query.all_mapped(db, |c| (c.id, c)).await?;
    if cohorts.is_empty() {
        return Ok(Vec::new());
    }
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    let courses: BTreeSet<i32> = cohorts.values().map(|c| c.course_id).collect();
    for chunk in courses.into_iter().collect::<Vec<_>>().chunks(super::CHUNK) {
        for link in course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            capacities
                .entry(link.course_id)
                .or_default()
                .push(link.capacity_id);
        }
    }
    let only = |column: enrolment::Column| match ids {
        Some(ids) => column.is_in(ids.iter().copied()),
        None => sea_orm::sea_query::Expr::val(true),
    };
    let trained: Vec<(i32, String, i64)> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::MunicipalityCode)
        .column_as(enrolment::Column::Id.count(), "n")
        .filter(only(enrolment::Column::CohortId))
        .filter(enrolment::Column::Status.is_in(super::COUNTED))
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::MunicipalityCode)
        .into_tuple()
        .all(db)
        .await?;
    let certified: Vec<(i32, String, DateTime<Utc>)> = super::valid_certificates()
        .select_only()
        .column(certificate::Column::CohortId)
        .column(enrolment::Column::MunicipalityCode)
        .column(certificate::Column::IssuedAt)
        .filter(only(enrolment::Column::CohortId))
        .into_tuple()
        .all(db)
        .await?;

    let mut cells: Cells = BTreeMap::new();
    let mut add = |cohort_id: i32, code: String, month: i32, which: usize, n: i32| {
        let Some(row) = cohorts.get(&cohort_id) else {
            return;
        };
        for capacity_id in capacities.get(&row.course_id).into_iter().flatten() {
            cells
                .entry((cohort_id, *capacity_id, code.clone(), month))
                .or_default()[which] += n;
        }
    };
    for (id, code, n) in trained {
        let Some(row) = cohorts.get(&id) else {
            continue;
        };
        if super::STARTED.contains(&row.status) {
            add(
                id,
                code,
                month_of(row.start_date),
                0,
                i32::try_from(n).unwrap_or(i32::MAX),
            );
        }
    }
    for (id, code, issued_at) in certified {
        add(id, code, month_at(issued_at), 1, 1);
    }
    let places = super::places(db, cells.keys().map(|k| k.2.clone()).collect()).await?;
    Ok(cells
        .into_iter()
        .filter_map(|((id, capacity_id, code, month), counts)| {
            let row = cohorts.get(&id)?;
            Some(fact(
                DeliverySource::Cohort,
                id,
                capacity_id,
                super::department_of(&places, &code),
                code,
                month,
                row.provider_id,
                Some(row.course_id),
                counts,
            ))
        })
        .collect())
}

/// The assistance rows of one place, or of all: one per capacity of each assistance closed
/// with its objective reached, in its closing month, at its place (a gobernación's at its
/// department, never at a municipality).
async fn assistance_rows<C: ConnectionTrait>(
    db: &C,
    place: Option<&str>,
) -> AppResult<Vec<delivery_fact::Model>> {
    let mut query = assistance::Entity::find()
        .filter(assistance::Column::Status.eq(AssistanceStatus::Closed))
        .filter(assistance::Column::ObjectiveReached.eq(true));
    if let Some(place) = place {
        query = query.filter(super::place::at_place(place));
    }
    let found = query.all(db).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = found.iter().map(|r| r.id).collect();
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in ids.chunks(super::CHUNK) {
        for link in assistance_capacity::Entity::find()
            .filter(assistance_capacity::Column::AssistanceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            capacities
                .entry(link.assistance_id)
                .or_default()
                .push(link.capacity_id);
        }
    }
    let mut out = Vec::new();
    for row in &found {
        // A closed assistance has its closing instant; one without (loaded data) counts on
        // its planned end.
        let month = row
            .closed_at
            .map(month_at)
            .unwrap_or_else(|| month_of(row.ends_on));
        for capacity_id in capacities.get(&row.id).into_iter().flatten() {
            out.push(fact(
                DeliverySource::Assistance,
                row.id,
                *capacity_id,
                row.department_code.clone(),
                super::place::place_of(row).to_string(),
                month,
                row.provider_id,
                None,
                [0, 0, 1],
            ));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments, reason = "one row's columns")]
fn fact(
    source: DeliverySource,
    source_id: i32,
    capacity_id: i32,
    department_code: String,
    municipality_code: String,
    month: i32,
    provider_id: i32,
    course_id: Option<i32>,
    [trained, certified, closed_reached]: [i32; 3],
) -> delivery_fact::Model {
    delivery_fact::Model {
        source,
        source_id,
        capacity_id,
        municipality_code,
        month,
        year: month / 100,
        provider_id,
        course_id,
        department_code,
        trained,
        certified,
        closed_reached,
    }
}
