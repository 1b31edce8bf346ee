//! Trainers who train others (issue 48, item 3: formación de formadores).
//!
//! A cohort may train trainers (`cohorts.trains_trainers`). A person who **completed** such a
//! cohort becomes a certified **replicator** once a coordinator of the cohort's provider (or an
//! admin) endorses them ([`endorse`]): of the course's capacities, in the department of their
//! municipality, from `since` (the endorsement's day unless given) to `until` (two years later
//! unless given; moved to end or extend the certification, [`change_until`]).
//!
//! A replicator records the **replicas** they deliver ([`record_replica`]), or a coordinator
//! records one for them: the date within their certification and not ahead, a municipality of
//! their department, one of their capacities, the audience, and the attendees by name or as a
//! count. Each replica refreshes `replica_figures` (see [`crate::figures::replicas`]) in the
//! same transaction: people reached by replicas per municipality × capacity × year, shown
//! beside direct training as second-generation reach and never summed into it.
//!
//! Scope: replicators and replicas are people's data, read like the people lists
//! ([`PersonScope`]): national staff everything, a direction's coordinator its departments, a
//! provider's coordinator the replicators of its cohorts, a gobernación's reviewer its
//! department, a liaison their municipality, a participant themselves. Outside it: 404.

pub mod demo;
pub mod input;
pub mod review;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{EnrolmentStatus, Role};
use crate::entities::{
    cohort, course_capacity, enrolment, municipality, participant, replica, replica_attendee,
    replica_figure, replicator, replicator_capacity,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{Months, NaiveDate};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use input::{AttendeeInput, EndorsementInput, ReplicaInput, UntilInput};

/// How long a certification lasts unless the endorsement says otherwise.
pub const CERTIFIED_MONTHS: u32 = 24;

/// The most people a replica reaches (a count, or named attendees).
pub const MAX_ATTENDEES: i64 = crate::config::REPLICA_MAX_ATTENDEES;

/// A replicator as the API lists them (the contract's fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplicatorItem {
    pub id: i32,
    pub participant_id: i32,
    pub full_name: String,
    #[schema(example = "18")]
    pub department_code: String,
    pub capacity_ids: Vec<i32>,
    pub since: NaiveDate,
    pub until: NaiveDate,
}

/// A capacity by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CapacityName {
    pub id: i32,
    pub name: String,
}

/// A replicator as the pages show them: names, not codes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicatorView {
    pub id: i32,
    pub participant_id: i32,
    pub full_name: String,
    pub department_code: String,
    pub department_name: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    pub capacities: Vec<CapacityName>,
    pub since: NaiveDate,
    pub until: NaiveDate,
    /// Certified today (since ≤ today ≤ until).
    pub certified: bool,
}

/// A replica as the API and the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplicaView {
    pub id: i32,
    pub replicator_id: i32,
    /// The replicator's name.
    pub replicator_name: String,
    pub date: NaiveDate,
    #[schema(example = "18256")]
    pub municipality_code: String,
    pub municipality_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    #[schema(value_type = crate::entities::values::ReplicaAudience)]
    pub audience: crate::entities::values::ReplicaAudience,
    /// The audience as people read it.
    pub audience_label: String,
    /// People reached: the named attendees, or the count given.
    pub people_reached: i32,
    /// The attendees by name (empty when given as a count).
    pub attendees: Vec<String>,
    /// Whether the attendees were given as a count.
    pub by_count: bool,
    /// Whether it counts (issue 62): `counted` (within the bounds), `pending` (waits for a
    /// coordinator's review, counts nowhere), `approved`, `rejected` (never counts).
    #[schema(value_type = crate::entities::values::ReplicaReview)]
    pub review: crate::entities::values::ReplicaReview,
    /// The review as people read it.
    pub review_label: String,
    /// The reviewer's reason, if any.
    pub review_note: Option<String>,
}

/// Second-generation reach of a municipality on one capacity in one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplicaReach {
    pub capacity_id: i32,
    pub capacity_name: String,
    pub year: i32,
    pub replicas: i32,
    pub people_reached_by_replicas: i32,
}

/// Someone a coordinator may endorse: completed a trains-trainers cohort of its scope and is
/// not yet a replicator of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub participant_id: i32,
    pub full_name: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    pub municipality_name: String,
    pub department_name: String,
}

/// Filters of the replicators' list.
#[derive(Clone, Debug, Default)]
pub struct ReplicatorFilter {
    pub department: Option<String>,
    pub capacity: Option<i32>,
}

/// Filters of the replicas' list.
#[derive(Clone, Debug, Default)]
pub struct ReplicaFilter {
    pub municipality: Option<String>,
    pub replicator: Option<i32>,
}

/// The default end of a certification that starts on `since`.
pub fn default_until(since: NaiveDate) -> NaiveDate {
    since
        .checked_add_months(Months::new(CERTIFIED_MONTHS))
        .unwrap_or(since)
}

/// The replicators `user` may read, as a condition on `replicators`.
fn replicator_scope(user: &Actor) -> Condition {
    // An instructor reaches people through the cohorts they teach; replicators are no
    // cohort's roster: none.
    if user.role == Role::Instructor {
        return Condition::all().add(replicator::Column::Id.eq(-1));
    }
    let people = |rule: sea_orm::sea_query::SelectStatement| {
        Condition::all().add(replicator::Column::ParticipantId.in_subquery(rule))
    };
    match PersonScope::of(user) {
        PersonScope::All => Condition::all(),
        PersonScope::Departments(codes) => {
            Condition::all().add(replicator::Column::DepartmentCode.is_in(codes))
        }
        PersonScope::Department(code) => {
            Condition::all().add(replicator::Column::DepartmentCode.eq(code))
        }
        PersonScope::Provider(provider_id) => Condition::all().add(
            replicator::Column::CohortId.in_subquery(
                Query::select()
                    .column(cohort::Column::Id)
                    .from(cohort::Entity)
                    .and_where(cohort::Column::ProviderId.eq(provider_id))
                    .to_owned(),
            ),
        ),
        PersonScope::Municipality(code) => people(
            Query::select()
                .column(participant::Column::Id)
                .from(participant::Entity)
                .and_where(participant::Column::MunicipalityCode.eq(code))
                .to_owned(),
        ),
        PersonScope::Account(user_id) => people(
            Query::select()
                .column(participant::Column::Id)
                .from(participant::Entity)
                .and_where(participant::Column::UserId.eq(user_id))
                .to_owned(),
        ),
        PersonScope::Enrolment(_) => Condition::all().add(replicator::Column::Id.eq(-1)),
    }
}

/// The replicas `user` may read: those of the replicators they read, and a reviewer's or a
/// direction's department, a liaison's municipality, also by place.
fn replica_scope(user: &Actor) -> Condition {
    let of_replicators = replica::Column::ReplicatorId.in_subquery(
        Query::select()
            .column(replicator::Column::Id)
            .from(replicator::Entity)
            .cond_where(replicator_scope(user))
            .to_owned(),
    );
    if user.role == Role::Instructor {
        return Condition::all().add(of_replicators);
    }
    match PersonScope::of(user) {
        PersonScope::All => Condition::all(),
        PersonScope::Department(code) => {
            Condition::all().add(replica::Column::DepartmentCode.eq(code))
        }
        PersonScope::Departments(codes) => {
            Condition::all().add(replica::Column::DepartmentCode.is_in(codes))
        }
        PersonScope::Municipality(code) => Condition::any()
            .add(replica::Column::MunicipalityCode.eq(code))
            .add(of_replicators),
        _ => Condition::all().add(of_replicators),
    }
}

/// One replicator `user` may read (404 otherwise).
pub async fn find_visible<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<replicator::Model> {
    replicator::Entity::find_by_id(id)
        .filter(replicator_scope(user))
        .found(db)
        .await
}

/// The capacities of each replicator.
async fn capacities_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for link in replicator_capacity::Entity::find()
        .filter(replicator_capacity::Column::ReplicatorId.is_in(ids.to_vec()))
        .order_by_asc(replicator_capacity::Column::CapacityId)
        .all(db)
        .await?
    {
        out.entry(link.replicator_id)
            .or_default()
            .push(link.capacity_id);
    }
    Ok(out)
}

async fn names_of<C: ConnectionTrait>(
    db: &C,
    participant_ids: &[i32],
) -> AppResult<HashMap<i32, participant::Model>> {
    if participant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(participant::Entity::find()
        .filter(participant::Column::Id.is_in(participant_ids.to_vec()))
        .all_mapped(db, |p| (p.id, p))
        .await?)
}

async fn items<C: ConnectionTrait>(
    db: &C,
    rows: Vec<replicator::Model>,
) -> AppResult<Vec<ReplicatorItem>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut capacities = capacities_of(db, &ids).await?;
    let people: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
    let names = names_of(db, &people).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReplicatorItem {
            id: r.id,
            participant_id: r.participant_id,
            full_name: names
                .get(&r.participant_id)
                .map(participant::Model::full_name)
                .unwrap_or_default(),
            department_code: r.department_code,
            capacity_ids: capacities.remove(&r.id).unwrap_or_default(),
            since: r.since,
            until: r.until,
        })
        .collect())
}

/// The replicators `user` reads, by name, filtered; a page of them and the total.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &ReplicatorFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ReplicatorItem>, u64)> {
    let mut query = replicator::Entity::find().filter(replicator_scope(user));
    if let Some(code) = &filter.department {
        query = query.filter(replicator::Column::DepartmentCode.eq(code.as_str()));
    }
    if let Some(capacity_id) = filter.capacity {
        query = query.filter(
            replicator::Column::Id.in_subquery(
                Query::select()
                    .column(replicator_capacity::Column::ReplicatorId)
                    .from(replicator_capacity::Entity)
                    .and_where(replicator_capacity::Column::CapacityId.eq(capacity_id))
                    .to_owned(),
            ),
        );
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(replicator::Column::Until)
        .order_by_asc(replicator::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((items(db, rows).await?, total))
}

/// One replicator as the API shows them (404 outside the caller's scope).
pub async fn item<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<ReplicatorItem> {
    let row = find_visible(db, user, id).await?;
    items(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// Replicators with names for the pages (the caller's scope, newest certification first).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    limit: u64,
) -> AppResult<Vec<ReplicatorView>> {
    let rows = replicator::Entity::find()
        .filter(replicator_scope(user))
        .order_by_desc(replicator::Column::Until)
        .order_by_asc(replicator::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views_of(db, rows).await
}

/// The caller's own certifications (a participant's account), newest first.
pub async fn own<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Vec<ReplicatorView>> {
    if user.role != Role::Participant {
        return Ok(Vec::new());
    }
    views(db, user, 100).await
}

async fn views_of<C: ConnectionTrait>(
    db: &C,
    rows: Vec<replicator::Model>,
) -> AppResult<Vec<ReplicatorView>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut capacities = capacities_of(db, &ids).await?;
    let capacity_names = crate::capacities::names_by_id(db).await?;
    let people: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
    let names = names_of(db, &people).await?;
    let departments = crate::territory::department_names(db).await?;
    let cohort_ids: Vec<i32> = rows.iter().map(|r| r.cohort_id).collect();
    let cohorts: HashMap<i32, String> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(cohort_ids))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let today = crate::time::today();
    Ok(rows
        .into_iter()
        .map(|r| ReplicatorView {
            id: r.id,
            participant_id: r.participant_id,
            full_name: names
                .get(&r.participant_id)
                .map(participant::Model::full_name)
                .unwrap_or_default(),
            department_name: departments
                .get(&r.department_code)
                .cloned()
                .unwrap_or_default(),
            department_code: r.department_code,
            cohort_name: cohorts.get(&r.cohort_id).cloned().unwrap_or_default(),
            cohort_id: r.cohort_id,
            capacities: capacities
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|id| CapacityName {
                    id,
                    name: capacity_names.get(&id).cloned().unwrap_or_default(),
                })
                .collect(),
            certified: r.since <= today && today <= r.until,
            since: r.since,
            until: r.until,
        })
        .collect())
}

/// The cohort a coordinator may endorse for (its provider's; an admin any), 404 otherwise.
async fn endorsing_cohort<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cohort_id: i32,
) -> AppResult<cohort::Model> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .filter(|c| user.managed_provider().is_none_or(|p| p == c.provider_id))
        .ok_or(AppError::NotFound)
}

/// Endorses a person who completed a trains-trainers cohort as a replicator of its course's
/// capacities in their municipality's department. A coordinator of the cohort's provider (or
/// an admin); a cohort outside it → 404; a cohort that does not train trainers, a person who
/// did not complete it, a department outside a direction's, bad dates → 422; already a
/// replicator of the cohort → 409. Audited.
pub async fn endorse<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &EndorsementInput,
) -> AppResult<ReplicatorItem> {
    let mut errors = Vec::new();
    let (Some(cohort_id), Some(participant_id)) = (input.cohort_id, input.participant_id) else {
        if input.cohort_id.is_none() {
            errors.push(FieldError::new("cohort_id", "Elija la cohorte."));
        }
        if input.participant_id.is_none() {
            errors.push(FieldError::new("participant_id", "Elija la persona."));
        }
        return Err(AppError::Validation(errors));
    };
    let cohort = endorsing_cohort(db, user, cohort_id).await?;
    let person = participant::Entity::find_by_id(participant_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "participant_id",
                "La persona no está inscrita en la cohorte.",
            )
        })?;
    if !cohort.trains_trainers {
        errors.push(FieldError::new(
            "cohort_id",
            "La cohorte no es de formación de formadores: quien la completa no se avala como \
             replicador.",
        ));
    }
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .count(db)
        .await?
        > 0;
    if !completed {
        errors.push(FieldError::new(
            "participant_id",
            format!(
                "{} no completó la cohorte: solo quien la completa se avala como replicador.",
                person.full_name()
            ),
        ));
    }
    let department_code = person.municipality_code.get(..2).unwrap_or("").to_string();
    if let Some(codes) = user.direction_departments()
        && !codes.contains(&department_code)
    {
        errors.push(FieldError::new(
            "participant_id",
            "La persona es de un departamento fuera de su dirección territorial.",
        ));
    }
    let today = crate::time::today();
    let since = crate::parse::date("since", input.since.as_deref(), false, &mut errors).or(
        if input.since.as_deref().is_none_or(|s| s.trim().is_empty()) {
            Some(today)
        } else {
            None
        },
    );
    let until = crate::parse::date("until", input.until.as_deref(), false, &mut errors);
    if let Some(since) = since {
        if since > today {
            errors.push(FieldError::new(
                "since",
                "El aval rige desde hoy o desde una fecha pasada, no desde una futura.",
            ));
        }
        if let Some(until) = until
            && until < since
        {
            errors.push(FieldError::new(
                "until",
                "La certificación no puede terminar antes de empezar.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let since = since.unwrap_or(today);
    let until = until.unwrap_or_else(|| default_until(since));
    if replicator::Entity::find()
        .filter(replicator::Column::CohortId.eq(cohort.id))
        .filter(replicator::Column::ParticipantId.eq(person.id))
        .count(db)
        .await?
        > 0
    {
        return Err(AppError::Conflict(format!(
            "{} ya es replicador por esta cohorte.",
            person.full_name()
        )));
    }
    let capacities: Vec<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(cohort.course_id))
        .all_mapped(db, |c| c.capacity_id)
        .await?;
    let saved = replicator::ActiveModel {
        participant_id: Set(person.id),
        cohort_id: Set(cohort.id),
        department_code: Set(department_code),
        since: Set(since),
        until: Set(until),
        endorsed_by: Set(Some(user.id)),
        endorsed_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !capacities.is_empty() {
        replicator_capacity::Entity::insert_many(capacities.iter().map(|id| {
            replicator_capacity::ActiveModel {
                replicator_id: Set(saved.id),
                capacity_id: Set(*id),
            }
        }))
        .exec(db)
        .await?;
    }
    let item = items(db, vec![saved])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "replicator.endorsed",
            subject_type: "replicator",
            subject_id: item.id.to_string(),
            before: None,
            after: serde_json::to_value(&item).ok(),
        },
    )
    .await?;
    Ok(item)
}

/// Moves the end of a certification: to end it (a past date) or to extend it. Staff who may
/// endorse for its cohort (404 otherwise); before `since` → 422. Audited.
pub async fn change_until<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &UntilInput,
) -> AppResult<ReplicatorItem> {
    let current = find_visible(db, user, id).await?;
    endorsing_cohort(db, user, current.cohort_id).await?;
    let mut errors = Vec::new();
    let until = crate::parse::date("until", input.until.as_deref(), true, &mut errors);
    if let Some(until) = until
        && until < current.since
    {
        errors.push(FieldError::new(
            "until",
            "La certificación no puede terminar antes de empezar.",
        ));
    }
    let Some(until) = until.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let before = items(db, vec![current.clone()]).await?.pop();
    let mut model: replicator::ActiveModel = current.into();
    model.until = Set(until);
    let saved = model.update(db).await?;
    let item = items(db, vec![saved])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "replicator.until_changed",
            subject_type: "replicator",
            subject_id: item.id.to_string(),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: serde_json::to_value(&item).ok(),
        },
    )
    .await?;
    Ok(item)
}

/// People a coordinator (or admin) may endorse: completed a trains-trainers cohort of its
/// provider (a direction's: of its departments) and not yet a replicator of it.
pub async fn candidates<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<Vec<Candidate>> {
    if !user.is_staff() {
        return Ok(Vec::new());
    }
    let mut cohorts = cohort::Entity::find().filter(cohort::Column::TrainsTrainers.eq(true));
    if let Some(provider) = user.managed_provider() {
        cohorts = cohorts.filter(cohort::Column::ProviderId.eq(provider));
    }
    let cohorts: HashMap<i32, String> = cohorts.all_mapped(db, |c| (c.id, c.name)).await?;
    if cohorts.is_empty() {
        return Ok(Vec::new());
    }
    let done: Vec<(i32, i32)> = replicator::Entity::find()
        .filter(replicator::Column::CohortId.is_in(cohorts.keys().copied()))
        .select_only()
        .column(replicator::Column::CohortId)
        .column(replicator::Column::ParticipantId)
        .into_tuple()
        .all(db)
        .await?;
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(cohorts.keys().copied()))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .order_by_asc(enrolment::Column::CohortId)
        .order_by_asc(enrolment::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let people: Vec<i32> = completed.iter().map(|e| e.participant_id).collect();
    let names = names_of(db, &people).await?;
    let places: HashMap<String, (String, String)> = municipality::Entity::find()
        .filter(
            municipality::Column::Code.is_in(
                names
                    .values()
                    .map(|p| p.municipality_code.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .all_mapped(db, |m| (m.code, (m.name, m.department_code)))
        .await?;
    let departments = crate::territory::department_names(db).await?;
    let directions = user.direction_departments();
    Ok(completed
        .into_iter()
        .filter(|e| !done.contains(&(e.cohort_id, e.participant_id)))
        .filter_map(|e| {
            let person = names.get(&e.participant_id)?;
            let (municipality_name, department_code) = places
                .get(&person.municipality_code)
                .cloned()
                .unwrap_or_default();
            if directions.is_some_and(|codes| !codes.contains(&department_code)) {
                return None;
            }
            Some(Candidate {
                participant_id: person.id,
                full_name: person.full_name(),
                cohort_id: e.cohort_id,
                cohort_name: cohorts.get(&e.cohort_id).cloned().unwrap_or_default(),
                municipality_name,
                department_name: departments
                    .get(&department_code)
                    .cloned()
                    .unwrap_or_default(),
            })
        })
        .collect())
}

/// The replicator a replica is recorded for: a participant's own (the one named, or their
/// only one, or the one certified in the capacity), a coordinator's in scope (named). 404 for
/// someone else's; 403 for the roles that record none.
async fn replicator_for<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &ReplicaInput,
) -> AppResult<replicator::Model> {
    match user.role {
        Role::Participant => {
            let own = replicator::Entity::find()
                .filter(replicator_scope(user))
                .order_by_desc(replicator::Column::Until)
                .all(db)
                .await?;
            if let Some(id) = input.replicator_id {
                return own
                    .into_iter()
                    .find(|r| r.id == id)
                    .ok_or(AppError::NotFound);
            }
            if own.is_empty() {
                return Err(AppError::invalid(
                    "replicator_id",
                    "Usted no es replicador: las réplicas las registra quien completó una \
                     formación de formadores y fue avalado.",
                ));
            }
            if own.len() == 1 {
                return own.into_iter().next().ok_or(AppError::NotFound);
            }
            // Several certifications: the one in the capacity, certified on the date.
            let date = input
                .date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
            let capacities =
                capacities_of(db, &own.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
            let fits = |r: &replicator::Model| {
                input
                    .capacity_id
                    .is_some_and(|c| capacities.get(&r.id).is_some_and(|list| list.contains(&c)))
            };
            let certified =
                |r: &replicator::Model| date.is_none_or(|d| r.since <= d && d <= r.until);
            let pick = own
                .iter()
                .position(|r| fits(r) && certified(r))
                .or_else(|| own.iter().position(fits))
                .unwrap_or(0);
            own.into_iter().nth(pick).ok_or(AppError::NotFound)
        }
        Role::Admin | Role::Coordinator => {
            let Some(id) = input.replicator_id else {
                return Err(AppError::invalid(
                    "replicator_id",
                    "Elija el replicador que dictó la réplica.",
                ));
            };
            let found = find_visible(db, user, id).await?;
            // Only a coordinator of its cohort's provider records for it (an admin, any).
            endorsing_cohort(db, user, found.cohort_id).await?;
            Ok(found)
        }
        _ => Err(AppError::Forbidden),
    }
}

/// Records a replica (see the module's comment), refreshes the municipality's replica figures
/// in the same transaction, audited. Every problem at once (422), nothing written. Beyond
/// `bounds` it is stored pending a coordinator's review and counts nowhere yet
/// ([`review`]).
pub async fn record_replica<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &ReplicaInput,
    bounds: review::Bounds,
) -> AppResult<ReplicaView> {
    let found = replicator_for(db, user, input).await?;
    let capacities = capacities_of(db, &[found.id])
        .await?
        .remove(&found.id)
        .unwrap_or_default();
    let checked = input::check(db, input, &found, &capacities).await?;
    let held = review::initial(db, &found, checked.people_reached, bounds).await?;
    let saved = replica::ActiveModel {
        replicator_id: Set(found.id),
        date: Set(checked.date),
        municipality_code: Set(checked.municipality_code.clone()),
        department_code: Set(found.department_code.clone()),
        capacity_id: Set(checked.capacity_id),
        audience: Set(checked.audience),
        people_reached: Set(checked.people_reached),
        by_count: Set(checked.attendees.is_empty()),
        recorded_by: Set(Some(user.id)),
        created_at: Set(crate::time::now()),
        review: Set(held),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !checked.attendees.is_empty() {
        replica_attendee::Entity::insert_many(checked.attendees.iter().map(|(name, position)| {
            replica_attendee::ActiveModel {
                replica_id: Set(saved.id),
                full_name: Set(name.clone()),
                position: Set(position.clone()),
                ..Default::default()
            }
        }))
        .exec(db)
        .await?;
    }
    crate::figures::replicas::refresh(db, &saved.municipality_code).await?;
    // The kept views that show the figures (the coverage grid, the municipality) follow.
    crate::instances::bump(db, crate::instances::Cached::Figures).await?;
    let view = replica_views(db, vec![saved])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "replica.recorded",
            subject_type: "replica",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

async fn replica_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<replica::Model>,
) -> AppResult<Vec<ReplicaView>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut attendees: HashMap<i32, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        for a in replica_attendee::Entity::find()
            .filter(replica_attendee::Column::ReplicaId.is_in(ids))
            .order_by_asc(replica_attendee::Column::Id)
            .all(db)
            .await?
        {
            attendees.entry(a.replica_id).or_default().push(a.full_name);
        }
    }
    let replicator_ids: Vec<i32> = rows.iter().map(|r| r.replicator_id).collect();
    let replicators: HashMap<i32, i32> = replicator::Entity::find()
        .filter(replicator::Column::Id.is_in(replicator_ids))
        .all_mapped(db, |r| (r.id, r.participant_id))
        .await?;
    let names = names_of(db, &replicators.values().copied().collect::<Vec<_>>()).await?;
    let places: HashMap<String, String> = municipality::Entity::find()
        .filter(
            municipality::Column::Code.is_in(
                rows.iter()
                    .map(|r| r.municipality_code.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let capacity_names = crate::capacities::names_by_id(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReplicaView {
            id: r.id,
            replicator_id: r.replicator_id,
            replicator_name: replicators
                .get(&r.replicator_id)
                .and_then(|p| names.get(p))
                .map(participant::Model::full_name)
                .unwrap_or_default(),
            date: r.date,
            municipality_name: places
                .get(&r.municipality_code)
                .cloned()
                .unwrap_or_default(),
            municipality_code: r.municipality_code,
            capacity_name: capacity_names
                .get(&r.capacity_id)
                .cloned()
                .unwrap_or_default(),
            capacity_id: r.capacity_id,
            audience: r.audience,
            audience_label: r.audience.label().to_string(),
            people_reached: r.people_reached,
            attendees: attendees.remove(&r.id).unwrap_or_default(),
            by_count: r.by_count,
            review: r.review,
            review_label: r.review.label().to_string(),
            review_note: r.review_note,
        })
        .collect())
}

/// The replicas `user` reads, filtered, newest first; a page of them and the total.
pub async fn replicas<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &ReplicaFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ReplicaView>, u64)> {
    let mut query = replica::Entity::find().filter(replica_scope(user));
    if let Some(code) = &filter.municipality {
        query = query.filter(replica::Column::MunicipalityCode.eq(code.as_str()));
    }
    if let Some(id) = filter.replicator {
        query = query.filter(replica::Column::ReplicatorId.eq(id));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(replica::Column::Date)
        .order_by_desc(replica::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok((replica_views(db, rows).await?, total))
}

/// A municipality's second-generation reach (people reached by replicas) per capacity and
/// year, from the maintained figures; the handover page and the municipality's views read it.
/// The caller checks that it may read the municipality.
pub async fn municipality_reach<C: ConnectionTrait>(
    db: &C,
    municipality_code: &str,
) -> AppResult<Vec<ReplicaReach>> {
    let names = crate::capacities::names_by_id(db).await?;
    let mut rows: Vec<ReplicaReach> = replica_figure::Entity::find()
        .filter(replica_figure::Column::MunicipalityCode.eq(municipality_code))
        .all(db)
        .await?
        .into_iter()
        .map(|f| ReplicaReach {
            capacity_name: names.get(&f.capacity_id).cloned().unwrap_or_default(),
            capacity_id: f.capacity_id,
            year: f.year,
            replicas: f.replicas,
            people_reached_by_replicas: f.people_reached,
        })
        .collect();
    rows.sort_by_key(|r| (r.capacity_id, r.year));
    Ok(rows)
}

/// People reached by replicas per (municipality, capacity) over every year, for the coverage
/// views; `department` limits it to one department.
pub async fn reach_by_place<C: ConnectionTrait>(
    db: &C,
    department: Option<&str>,
) -> AppResult<BTreeMap<(String, i32), i64>> {
    let mut query = replica_figure::Entity::find();
    if let Some(code) = department {
        query = query.filter(replica_figure::Column::DepartmentCode.eq(code));
    }
    let mut out: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for f in query.all(db).await? {
        *out.entry((f.municipality_code, f.capacity_id)).or_default() +=
            i64::from(f.people_reached);
    }
    Ok(out)
}

/// The municipalities of a department, by name (the replica form's choices).
pub async fn municipalities_of<C: ConnectionTrait>(
    db: &C,
    department_code: &str,
) -> AppResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(department_code))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    out.sort_by_cached_key(|(_, name)| crate::text::fold(name));
    Ok(out)
}

/// The names of the capacities of a cohort's course (what an endorsement certifies).
pub async fn course_capacities<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Vec<String>> {
    let Some(found) = cohort::Entity::find_by_id(cohort_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let names = crate::capacities::names_by_id(db).await?;
    Ok(course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(found.course_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| names.get(&c.capacity_id).cloned())
        .collect())
}
