//! Seats per municipality (issue 35): a cohort offered to several municipalities reserves
//! seats for each (their sum at most the cohort's seats; the rest open to all) until its
//! `quota_release_on`, after which unused quota seats join the open pool. How a seat is given
//! under these rules is [`crate::enrolment::seats`].

use super::Targets;
use crate::entities::values::EnrolmentStatus;
use crate::entities::{cohort, cohort_seat_quota, enrolment, municipality};
use crate::error::{AppResult, FieldError};
use crate::rows::Rows;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Seats kept for one municipality.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct SeatQuotaInput {
    /// DANE code of a municipality the cohort is offered to.
    #[schema(example = "18256")]
    pub municipality_code: String,
    #[schema(minimum = 1, maximum = 10000, example = 5)]
    pub seats: i64,
}

/// A municipality's quota and how it is being used.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeatQuota {
    pub municipality_code: String,
    pub municipality_name: String,
    pub seats: i32,
    /// People of the municipality enrolled in the cohort (in or beyond the quota).
    pub enrolled: u64,
    /// People of the municipality on the waiting list.
    pub waitlisted: u64,
}

/// Checked quotas of a cohort about to be written: `(municipality code, seats)` by code.
pub type Quotas = BTreeMap<String, i32>;

/// How many days before enrolment closes the quotas are released when no date is given.
const DEFAULT_RELEASE_DAYS: i64 = 7;

/// Checks `input` (or keeps `current`) against the cohort's targets, seats and enrolment
/// window, collecting every problem; returns the quotas and their release date.
#[allow(clippy::too_many_arguments)]
pub(super) async fn check<C: ConnectionTrait>(
    db: &C,
    input: Option<&[SeatQuotaInput]>,
    release_input: Option<&str>,
    current: Option<(&Quotas, Option<NaiveDate>)>,
    targets: &Targets,
    seats: Option<i32>,
    window: (Option<NaiveDate>, Option<NaiveDate>),
    errors: &mut Vec<FieldError>,
) -> AppResult<(Quotas, Option<NaiveDate>)> {
    let mut quotas = Quotas::new();
    match input {
        None => quotas = current.map(|(q, _)| q.clone()).unwrap_or_default(),
        Some(list) => {
            for item in list {
                let code =
                    crate::territory::normalize_municipality_code(item.municipality_code.trim());
                if !(1..=10_000).contains(&item.seats) {
                    errors.push(FieldError::new(
                        "seat_quotas",
                        format!("Los cupos de {code} deben ser un número entre 1 y 10000."),
                    ));
                    continue;
                }
                if quotas.insert(code.clone(), item.seats as i32).is_some() {
                    errors.push(FieldError::new(
                        "seat_quotas",
                        format!("El municipio {code} aparece dos veces en los cupos."),
                    ));
                }
            }
            let found: HashMap<String, String> = municipality::Entity::find()
                .filter(municipality::Column::Code.is_in(quotas.keys().cloned()))
                .all_mapped(db, |m| (m.code, m.name))
                .await?;
            for code in quotas.keys() {
                match found.get(code) {
                    None => errors.push(FieldError::new(
                        "seat_quotas",
                        format!("No existe un municipio con código DANE «{code}»."),
                    )),
                    Some(name) if !targets.offers(code) => errors.push(FieldError::new(
                        "seat_quotas",
                        format!(
                            "Los cupos son para municipios a los que se ofrece la cohorte: \
                             {name} ({code}) no está incluido."
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    if let Some(seats) = seats {
        let total: i64 = quotas.values().map(|s| i64::from(*s)).sum();
        if total > i64::from(seats) {
            errors.push(FieldError::new(
                "seat_quotas",
                format!(
                    "Los cupos por municipio suman {total} y la cohorte tiene {seats}: \
                     no pueden ser más."
                ),
            ));
        }
    }
    let (opens, closes) = window;
    let release = match release_input.map(str::trim) {
        Some("") => None,
        Some(text) => crate::parse::date("quota_release_on", Some(text), false, errors),
        None => current.and_then(|(_, d)| d),
    };
    let release = match (quotas.is_empty(), release) {
        (true, _) => None,
        (false, Some(date)) => {
            if let (Some(opens), Some(closes)) = (opens, closes)
                && (date < opens || date > closes)
            {
                errors.push(FieldError::new(
                    "quota_release_on",
                    format!(
                        "Los cupos se liberan mientras las inscripciones están abiertas: entre \
                         el {} y el {}.",
                        crate::format::date(opens),
                        crate::format::date(closes)
                    ),
                ));
            }
            Some(date)
        }
        // A week before enrolment closes (or when it opens, for a shorter window).
        (false, None) => match (opens, closes) {
            (Some(opens), Some(closes)) => {
                Some((closes - chrono::Duration::days(DEFAULT_RELEASE_DAYS)).max(opens))
            }
            _ => None,
        },
    };
    Ok((quotas, release))
}

/// The quotas of some cohorts, by cohort.
pub async fn of<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Quotas>> {
    let mut map: HashMap<i32, Quotas> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    for row in cohort_seat_quota::Entity::find()
        .filter(cohort_seat_quota::Column::CohortId.is_in(ids.to_vec()))
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .insert(row.municipality_code, row.seats);
    }
    Ok(map)
}

/// Replaces a cohort's quotas.
pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    quotas: &Quotas,
) -> AppResult<()> {
    cohort_seat_quota::Entity::delete_many()
        .filter(cohort_seat_quota::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    if !quotas.is_empty() {
        cohort_seat_quota::Entity::insert_many(quotas.iter().map(|(code, seats)| {
            cohort_seat_quota::ActiveModel {
                cohort_id: Set(cohort_id),
                municipality_code: Set(code.clone()),
                seats: Set(*seats),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Enrolled and waitlisted people per cohort and municipality of enrolment.
pub async fn usage<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<(i32, String), (u64, u64)>> {
    let mut map: HashMap<(i32, String), (u64, u64)> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let rows: Vec<(i32, String, EnrolmentStatus, i64)> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::MunicipalityCode)
        .column(enrolment::Column::Status)
        .column_as(enrolment::Column::Id.count(), "n")
        .filter(enrolment::Column::CohortId.is_in(ids.to_vec()))
        .filter(
            enrolment::Column::Status
                .is_in([EnrolmentStatus::Enrolled, EnrolmentStatus::Waitlisted]),
        )
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::MunicipalityCode)
        .group_by(enrolment::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (cohort_id, code, status, n) in rows {
        let entry = map.entry((cohort_id, code)).or_default();
        match status {
            EnrolmentStatus::Enrolled => entry.0 = n as u64,
            _ => entry.1 = n as u64,
        }
    }
    Ok(map)
}

/// The quotas of some cohorts as shown, each with its use, by cohort (municipalities by name).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    cohorts: &[&cohort::Model],
) -> AppResult<HashMap<i32, Vec<SeatQuota>>> {
    let ids: Vec<i32> = cohorts.iter().map(|c| c.id).collect();
    let quotas = of(db, &ids).await?;
    if quotas.is_empty() {
        return Ok(HashMap::new());
    }
    let with: Vec<i32> = quotas.keys().copied().collect();
    let usage = usage(db, &with).await?;
    let codes: Vec<String> = quotas.values().flat_map(|q| q.keys().cloned()).collect();
    let names: HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .order_by_asc(municipality::Column::Code)
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    Ok(quotas
        .into_iter()
        .map(|(cohort_id, quotas)| {
            let mut rows: Vec<SeatQuota> = quotas
                .into_iter()
                .map(|(code, seats)| {
                    let (enrolled, waitlisted) = usage
                        .get(&(cohort_id, code.clone()))
                        .copied()
                        .unwrap_or_default();
                    SeatQuota {
                        municipality_name: names.get(&code).cloned().unwrap_or_default(),
                        municipality_code: code,
                        seats,
                        enrolled,
                        waitlisted,
                    }
                })
                .collect();
            rows.sort_by(|a, b| crate::text::by_name(&a.municipality_name, &b.municipality_name));
            (cohort_id, rows)
        })
        .collect())
}
