//! The sums a scope's picture reads (issue 69, item 1): `place_figures` (per provider ×
//! municipality) and `trend_figures` (per closed cohort × department), both the
//! `cohort_figures` rows summed, and `provider_people` (each person once per provider and
//! department where she has a counted enrolment in its cohorts: a provider's distinct people
//! counted from an index instead of every enrolment). A home computed cold reads these — at most a row per
//! municipality and provider, a row per closed cohort — instead of grouping every cohort's
//! rows per municipality.
//!
//! Kept current with `cohort_figures` in the same flush ([`super::refresh`]): the place sums
//! move by the difference between the touched cohorts' rows before and after (an upsert that
//! adds), the trend rows of the touched cohorts are made again, and the people named get
//! their provider rows again beside their differential rows ([`refresh_people`]). [`rebuild`] sums every row, so
//! "maintained = rebuilt" covers them ([`super::snapshot`]).

use crate::entities::{
    cohort, cohort_figure, enrolment, place_figure, provider_person, trend_figure,
};
use crate::error::AppResult;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use std::collections::{BTreeMap, HashMap};

/// A cohort's provider and start date.
type Cohorts = HashMap<i32, (i32, NaiveDate)>;

/// (provider, municipality) → its row (the sums, or their difference).
type Places = BTreeMap<(i32, String), place_figure::Model>;

async fn cohorts_of<C: ConnectionTrait>(db: &C, ids: Option<&[i32]>) -> AppResult<Cohorts> {
    let mut select = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::ProviderId)
        .column(cohort::Column::StartDate);
    if let Some(ids) = ids {
        select = select.filter(cohort::Column::Id.is_in(ids.to_vec()));
    }
    let rows: Vec<(i32, i32, NaiveDate)> = select.into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(id, p, d)| (id, (p, d))).collect())
}

/// Adds `sign` × each row with someone enrolled to its place's sums.
fn add_rows(places: &mut Places, rows: &[cohort_figure::Model], cohorts: &Cohorts, sign: i32) {
    // The rows the reports sum: with someone enrolled (`reports::figures_filtered`).
    for row in rows.iter().filter(|r| r.enrolled > 0) {
        let Some((provider, _)) = cohorts.get(&row.cohort_id) else {
            continue;
        };
        let sums = places
            .entry((*provider, row.municipality_code.clone()))
            .or_insert_with(|| place_figure::Model {
                provider_id: *provider,
                municipality_code: row.municipality_code.clone(),
                department_code: row.department_code.clone(),
                cohorts: 0,
                enrolled: 0,
                certified: 0,
                closed_completed: 0,
                closed_enrolled: 0,
                closed_attended: 0,
                closed_expected: 0,
            });
        sums.cohorts += sign;
        sums.enrolled += sign * row.enrolled;
        sums.certified += sign * row.certified;
        if row.closed {
            sums.closed_completed += sign * row.completed;
            sums.closed_enrolled += sign * row.enrolled;
            sums.closed_attended += sign * row.attended;
            sums.closed_expected +=
                i64::from(sign) * i64::from(row.enrolled) * i64::from(row.sessions_scheduled);
        }
    }
}

fn is_zero(p: &place_figure::Model) -> bool {
    p.cohorts == 0
        && p.enrolled == 0
        && p.certified == 0
        && p.closed_completed == 0
        && p.closed_enrolled == 0
        && p.closed_attended == 0
        && p.closed_expected == 0
}

/// The trend rows of these cohort rows: the closed ones with someone enrolled, summed per
/// cohort × department.
fn trend_rows(rows: &[cohort_figure::Model], cohorts: &Cohorts) -> Vec<trend_figure::Model> {
    let mut out: BTreeMap<(i32, String), trend_figure::Model> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.closed && r.enrolled > 0) {
        let Some((provider, start)) = cohorts.get(&row.cohort_id) else {
            continue;
        };
        let t = out
            .entry((row.cohort_id, row.department_code.clone()))
            .or_insert_with(|| trend_figure::Model {
                cohort_id: row.cohort_id,
                department_code: row.department_code.clone(),
                provider_id: *provider,
                start_date: *start,
                enrolled: 0,
                completed: 0,
                attended: 0,
                sessions_scheduled: 0,
            });
        t.enrolled += row.enrolled;
        t.completed += row.completed;
        t.attended += row.attended;
        t.sessions_scheduled = Ord::max(t.sessions_scheduled, row.sessions_scheduled);
    }
    out.into_values().collect()
}

/// Moves the sums of the touched cohorts `ids` from their rows `before` to their rows `after`.
pub(super) async fn refresh<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    before: &[cohort_figure::Model],
    after: &[cohort_figure::Model],
) -> AppResult<()> {
    let cohorts = cohorts_of(db, Some(ids)).await?;
    let mut deltas = Places::new();
    add_rows(&mut deltas, before, &cohorts, -1);
    add_rows(&mut deltas, after, &cohorts, 1);
    let moved: Vec<place_figure::Model> = deltas.into_values().filter(|d| !is_zero(d)).collect();
    let emptied = moved.iter().any(|d| d.cohorts < 0);
    add(db, moved).await?;
    if emptied {
        place_figure::Entity::delete_many()
            .filter(place_figure::Column::Cohorts.lte(0))
            .exec(db)
            .await?;
    }
    trend_figure::Entity::delete_many()
        .filter(trend_figure::Column::CohortId.is_in(ids.to_vec()))
        .exec(db)
        .await?;
    super::insert_all(db, trend_rows(after, &cohorts)).await
}

/// Adds each difference to its place's row (inserted when it has none).
async fn add<C: ConnectionTrait>(db: &C, moved: Vec<place_figure::Model>) -> AppResult<()> {
    use place_figure::Column as P;
    for chunk in moved.chunks(super::CHUNK) {
        let mut conflict = OnConflict::columns([P::ProviderId, P::MunicipalityCode]);
        for column in [
            P::Cohorts,
            P::Enrolled,
            P::Certified,
            P::ClosedCompleted,
            P::ClosedEnrolled,
            P::ClosedAttended,
            P::ClosedExpected,
        ] {
            conflict.value(
                column,
                Expr::col((place_figure::Entity, column))
                    .add(Expr::col((Alias::new("excluded"), column))),
            );
        }
        place_figure::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(sea_orm::IntoActiveModel::into_active_model),
        )
        .on_conflict(conflict)
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Every place and trend row again from these rows (every cohort's).
pub(super) async fn rebuild<C: ConnectionTrait>(
    db: &C,
    rows: &[cohort_figure::Model],
) -> AppResult<()> {
    place_figure::Entity::delete_many().exec(db).await?;
    trend_figure::Entity::delete_many().exec(db).await?;
    let cohorts = cohorts_of(db, None).await?;
    let mut places = Places::new();
    add_rows(&mut places, rows, &cohorts, 1);
    super::insert_all(db, places.into_values()).await?;
    super::insert_all(db, trend_rows(rows, &cohorts)).await
}

/// The `provider_people` rows of these people, or of everyone (`None`): each person once per
/// provider and department where she has a counted enrolment in the provider's cohorts.
async fn people_rows<C: ConnectionTrait>(
    db: &C,
    people: Option<&[i32]>,
) -> AppResult<Vec<provider_person::Model>> {
    let mut select = super::counted_with_department()
        .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
        .column(cohort::Column::ProviderId);
    if let Some(ids) = people {
        select = select.filter(enrolment::Column::ParticipantId.is_in(ids.to_vec()));
    }
    Ok(select.into_model().all(db).await?)
}

/// Replaces these people's `provider_people` rows (when they changed).
pub(super) async fn refresh_people<C: ConnectionTrait>(db: &C, people: &[i32]) -> AppResult<()> {
    let mut old = provider_person::Entity::find()
        .filter(provider_person::Column::ParticipantId.is_in(people.to_vec()))
        .all(db)
        .await?;
    let mut new = people_rows(db, Some(people)).await?;
    old.sort();
    new.sort();
    if old != new {
        provider_person::Entity::delete_many()
            .filter(provider_person::Column::ParticipantId.is_in(people.to_vec()))
            .exec(db)
            .await?;
        super::insert_all(db, new).await?;
    }
    Ok(())
}

/// Every `provider_people` row again.
pub(super) async fn rebuild_people<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    provider_person::Entity::delete_many().exec(db).await?;
    super::insert_all(db, people_rows(db, None).await?).await
}

/// Every row, in order (the snapshot).
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<super::ScopeSnapshot> {
    let mut places = place_figure::Entity::find().all(db).await?;
    places.sort();
    let mut trends = trend_figure::Entity::find().all(db).await?;
    trends.sort();
    let mut people = provider_person::Entity::find().all(db).await?;
    people.sort();
    Ok((places, trends, people))
}
