//! A person enrols once in an edition (issue 64) and is placed in every module's cohort at
//! once, or on the edition's waiting list and in no cohort's — never in some modules and not
//! others. A module whose course she completed earlier (a valid certificate, of any provider,
//! within the programme's `recognition_years`) is recognised instead of taken: she is in no
//! roster of it. Cancelling leaves every module; a place freed in every module goes to the
//! first person on the edition's list.
//!
//! Concurrency: the edition's row is locked first (`SELECT … FOR UPDATE` on PostgreSQL; the
//! writer's lock on SQLite), then its cohorts in id order, the same order every enrolment
//! path of a cohort takes them, so two requests never hold them crosswise; the count each one
//! sees is the count it writes against. Everything runs inside the caller's transaction: a
//! refusal or an error leaves nothing half-done.

use super::editions::{self, Edition};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::enrolment::{self as cohort_enrolment, Ask, Requester, desk, notices, seats::SeatBook};
use crate::entities::values::{CertificateStatus, EnrolmentStatus, ProgrammeEnrolmentStatus};
use crate::entities::{
    certificate, cohort, enrolment, participant, programme_edition, programme_enrolment,
    programme_recognition,
};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use chrono::Months;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashMap;

/// Where a person stands in one module of her edition enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlaceStatus {
    Enrolled,
    Waitlisted,
    Recognised,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeModulePlace)]
pub struct ModulePlace {
    pub course_id: i32,
    pub course_name: String,
    /// The module's cohort in the edition.
    pub cohort_id: Option<i32>,
    pub status: PlaceStatus,
    /// The certificate a recognised module rests on (none when a coordinator recognised it
    /// with a reason).
    pub certificate_code: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeEnrolment)]
pub struct ProgrammeEnrolmentView {
    pub id: i32,
    pub edition_id: i32,
    pub participant_id: i32,
    pub status: ProgrammeEnrolmentStatus,
    /// 1-based place on the edition's waiting list; null unless waitlisted.
    #[schema(minimum = 1)]
    pub waitlist_position: Option<u64>,
    pub modules: Vec<ModulePlace>,
}

/// The valid certificates of `participant_id` that recognise a module of the edition's
/// programme: of the module's course, valid, issued within `recognition_years`. By course.
pub async fn recognisable<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    participant_id: i32,
) -> AppResult<HashMap<i32, certificate::Model>> {
    Ok(recognisable_many(db, edition, &[participant_id])
        .await?
        .remove(&participant_id)
        .unwrap_or_default())
}

/// [`recognisable`] for several people in one read: by person, then by course.
pub async fn recognisable_many<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    participant_ids: &[i32],
) -> AppResult<HashMap<i32, HashMap<i32, certificate::Model>>> {
    let cohort_ids: Vec<i32> = edition.cohort_ids();
    let since = crate::time::today()
        .checked_sub_months(Months::new(
            edition.programme.recognition_years.max(0) as u32 * 12,
        ))
        .unwrap_or(chrono::NaiveDate::MIN);
    let courses: HashMap<String, i32> = edition
        .programme
        .modules
        .iter()
        .map(|m| (m.course_code.clone(), m.course_id))
        .collect();
    let mut found: HashMap<i32, HashMap<i32, certificate::Model>> = HashMap::new();
    if participant_ids.is_empty() {
        return Ok(found);
    }
    for cert in certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.is_in(participant_ids.iter().copied()))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .filter(certificate::Column::CourseCode.is_in(courses.keys().cloned()))
        // A module of this very edition is taken here, not recognised from itself.
        .filter(certificate::Column::CohortId.is_not_in(cohort_ids))
        .order_by_desc(certificate::Column::IssuedAt)
        .all(db)
        .await?
    {
        if crate::time::local(cert.issued_at).date_naive() < since {
            continue;
        }
        if let Some(course_id) = courses.get(&cert.course_code) {
            found
                .entry(cert.participant_id)
                .or_default()
                .entry(*course_id)
                .or_insert(cert);
        }
    }
    Ok(found)
}

/// Locks the edition's row: every change to its enrolments is serialised on it.
async fn lock_edition<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<()> {
    programme_edition::Entity::find_by_id(id)
        .lock_exclusive()
        .found(db)
        .await?;
    Ok(())
}

/// Locks the cohorts of `ids` in id order (the order every path takes them).
async fn lock_cohorts<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, cohort::Model>> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut locked = HashMap::with_capacity(sorted.len());
    for id in sorted {
        locked.insert(id, crate::cohorts::lock(db, id).await?);
    }
    Ok(locked)
}

/// The edition `requester` may enrol in: the staff member's managed ones, a person's when its
/// programme is published (404 otherwise, as if it did not exist).
async fn reachable<C: ConnectionTrait>(
    db: &C,
    requester: &Requester<'_>,
    edition_id: i32,
) -> AppResult<Edition> {
    match requester.staff() {
        Some(actor) => editions::find_managed(db, actor, edition_id).await,
        None => {
            let edition = editions::load(db, edition_id).await?;
            if edition.programme.status != crate::entities::values::ProgrammeStatus::Published {
                return Err(AppError::NotFound);
            }
            Ok(edition)
        }
    }
}

/// Why a module's cohort refuses `person` now (closed, out of its window or territory, or she
/// holds a place in it: `holds`), checked for every module before anything is written. The
/// places the cohort is offered to are read only to name them in a refusal.
async fn refusal<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    targets: Option<&crate::cohorts::Targets>,
    person: &participant::Model,
    override_reason: Option<&str>,
    holds: bool,
) -> AppResult<Option<AppError>> {
    if let Err(refused) = cohort_enrolment::check_open(cohort, override_reason.is_some()) {
        return Ok(Some(refused));
    }
    if override_reason.is_none() {
        let fallback = crate::cohorts::Targets::default();
        let targets = targets.unwrap_or(&fallback);
        if !targets.offers(&person.municipality_code) {
            let places = crate::cohorts::place_names(db, targets).await?.join("; ");
            return Ok(Some(AppError::invalid(
                "municipality_code",
                format!(
                    "El módulo «{}» se ofrece a {places}; el municipio de {} no está incluido.",
                    cohort.name,
                    person.full_name()
                ),
            )));
        }
    }
    if holds {
        return Ok(Some(AppError::Conflict(format!(
            "{} ya tiene una inscripción vigente en «{}».",
            person.full_name(),
            cohort.name
        ))));
    }
    Ok(None)
}

/// Why the edition takes no enrolment at all now (its programme not published, a module
/// without its cohort), for each person who asks.
fn not_taking(edition: &Edition) -> Option<AppError> {
    if edition.programme.status != crate::entities::values::ProgrammeStatus::Published {
        return Some(AppError::Conflict(format!(
            "El programa «{}» aún no está publicado: sus ediciones no reciben inscripciones.",
            edition.programme.name
        )));
    }
    let missing = edition.missing();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|m| m.course_name.as_str()).collect();
        return Some(AppError::Conflict(format!(
            "La edición «{}» aún no recibe inscripciones: le falta la cohorte de {}.",
            edition.row.name,
            names.join(", ")
        )));
    }
    None
}

/// The refusal of a second enrolment in the edition (409).
fn already_in(person: &participant::Model, edition: &Edition) -> AppError {
    AppError::Conflict(format!(
        "{} ya tiene una inscripción vigente en la edición «{}».",
        person.full_name(),
        edition.row.name
    ))
}

/// The seat rule of an edition: a person gets a seat in every module she takes (`cohorts`)
/// or in none. When each of their books (`books`, by cohort) has a seat for her municipality,
/// she takes them all and `true`; otherwise nothing is taken and `false` (she waits for the
/// edition).
fn take_seats(
    books: &mut HashMap<i32, SeatBook>,
    cohorts: &[i32],
    municipality_code: &str,
) -> bool {
    let fits = cohorts.iter().all(|id| {
        books
            .get(id)
            .is_some_and(|book| book.fits(municipality_code))
    });
    if fits {
        for id in cohorts {
            if let Some(book) = books.get_mut(id) {
                book.take(municipality_code);
            }
        }
    }
    fits
}

/// Enrols `person` in the edition: in every module's cohort that is not recognised, or on the
/// edition's waiting list when one of them has no seat for her. Run inside a transaction.
/// The same rules as a batch ([`together`]) with one ask: the staff path, with its overrides.
pub async fn enrol<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    edition_id: i32,
    person: &participant::Model,
    requester: &Requester<'_>,
) -> AppResult<ProgrammeEnrolmentView> {
    together(db, notifier, edition_id, &[Ask { person, requester }])
        .await?
        .pop()
        .unwrap_or_else(|| Err(AppError::Internal("inscripción sin respuesta".into())))
}

/// An ask decided: in every module it takes, or on the edition's waiting list.
struct Decision {
    row: programme_enrolment::ActiveModel,
    status: ProgrammeEnrolmentStatus,
    position: Option<u64>,
    override_reason: Option<String>,
    /// The cohorts of the modules she takes (not recognised), in id order.
    cohorts: Vec<i32>,
    recognised: HashMap<i32, certificate::Model>,
}

/// Decides `asks` for one edition together, in their order, under one lock of the edition and
/// one of its cohorts (issue 69, item 3): each module's standing read once, the recognitions
/// of everyone asking read at once, the seats decided in arrival order (every module she takes
/// or, when one has no seat for her, the edition's waiting list in order), the rows written in
/// one statement per table, the audit rows and the emails each in one call. Each ask gets its
/// own answer, in the order given (a refused one writes nothing; the others go on). An `Err` of
/// the whole is a database error: nothing of it is kept. Every ask shares the first one's reach
/// (an edition's desk holds only people enrolling themselves; [`enrol`] asks once). Run inside
/// a transaction.
pub async fn together<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    edition_id: i32,
    asks: &[Ask<'_>],
) -> AppResult<Vec<AppResult<ProgrammeEnrolmentView>>> {
    let Some(first) = asks.first() else {
        return Ok(Vec::new());
    };
    let edition = match reachable(db, first.requester, edition_id).await {
        Ok(edition) => edition,
        Err(refused) if asks.len() == 1 => return Ok(vec![Err(refused)]),
        Err(AppError::NotFound) => {
            return Ok(asks.iter().map(|_| Err(AppError::NotFound)).collect());
        }
        Err(other) => return Err(other),
    };
    // What each ask brings before the edition is locked: its reach, its reason to override.
    let mut answers: Vec<AppResult<Option<String>>> = Vec::with_capacity(asks.len());
    for ask in asks {
        let answer = cohort_enrolment::before_the_lock(db, ask).await?;
        answers.push(match (answer, not_taking(&edition)) {
            (Ok(_), Some(refused)) => Err(refused),
            (answer, _) => answer,
        });
    }
    let asking: Vec<i32> = standing_asks(asks, &answers);
    if asking.is_empty() {
        return Ok(only_refusals(answers));
    }
    // Read before the locks: what recognises a module, what the modules' notices show.
    let mut recognised = recognisable_many(db, &edition, &asking).await?;
    let mut details: HashMap<i32, notices::Details> = HashMap::new();
    if asks.iter().any(|ask| ask.person.email.is_some()) {
        for id in edition.cohort_ids() {
            details.insert(id, notices::Details::of(db, id).await?);
        }
    }
    lock_edition(db, edition.row.id).await?;
    let mut holding = holders(db, edition.row.id, &asking).await?;
    // The cohorts of the modules each ask takes (those not recognised), in id order.
    let takes: Vec<Vec<i32>> = asks
        .iter()
        .map(|ask| {
            let mine = recognised.get(&ask.person.id);
            let mut ids: Vec<i32> = edition
                .cohorts
                .iter()
                .filter(|(course_id, _)| mine.is_none_or(|mine| !mine.contains_key(course_id)))
                .map(|(_, cohort)| cohort.id)
                .collect();
            ids.sort_unstable();
            ids
        })
        .collect();
    let mut taken: Vec<i32> = takes.iter().flatten().copied().collect();
    taken.sort_unstable();
    taken.dedup();
    let cohorts = lock_cohorts(db, &taken).await?;
    let targets = crate::cohorts::targets_of(db, &taken).await?;
    let in_modules = module_holders(db, &taken, &asking).await?;
    let enrolled = enrolled_in(db, &taken).await?;
    let mut books: HashMap<i32, SeatBook> = HashMap::with_capacity(cohorts.len());
    for (id, cohort) in &cohorts {
        let count = enrolled.get(id).copied().unwrap_or(0);
        books.insert(*id, SeatBook::with_enrolled(db, cohort, count).await?);
    }
    let (mut last_ticket, mut waiting) = (
        last_ticket(db, edition.row.id).await?,
        waiting_in(db, edition.row.id).await?,
    );
    let at = crate::time::now();
    let mut decided: Vec<AppResult<Decision>> = Vec::with_capacity(asks.len());
    for ((ask, answer), mine) in asks.iter().zip(answers).zip(takes) {
        let person = ask.person;
        let override_reason = match answer {
            Ok(reason) => reason,
            Err(refused) => {
                decided.push(Err(refused));
                continue;
            }
        };
        // Also the second of two presses of the same button in one batch.
        if !holding.insert(person.id) {
            decided.push(Err(already_in(person, &edition)));
            continue;
        }
        let mut refused = None;
        for cohort in edition.ordered_cohorts() {
            let Some(cohort) = cohorts.get(&cohort.id).filter(|c| mine.contains(&c.id)) else {
                continue;
            };
            let holds = in_modules.contains(&(cohort.id, person.id));
            refused = refusal(
                db,
                cohort,
                targets.get(&cohort.id),
                person,
                override_reason.as_deref(),
                holds,
            )
            .await?;
            if refused.is_some() {
                break;
            }
        }
        if let Some(refused) = refused {
            decided.push(Err(refused));
            continue;
        }
        let fits = take_seats(&mut books, &mine, &person.municipality_code);
        let (status, waitlist_seq, position) = if fits {
            (ProgrammeEnrolmentStatus::Enrolled, None, None)
        } else {
            // A new ticket is the last one handed out + 1: everyone still waiting is ahead.
            last_ticket += 1;
            waiting += 1;
            (
                ProgrammeEnrolmentStatus::Waitlisted,
                Some(last_ticket),
                Some(waiting),
            )
        };
        decided.push(Ok(Decision {
            row: programme_enrolment::ActiveModel {
                edition_id: Set(edition.row.id),
                participant_id: Set(person.id),
                status: Set(status),
                waitlist_seq: Set(waitlist_seq),
                municipality_code: Set(person.municipality_code.clone()),
                eligibility_override: Set(override_reason.is_some()),
                override_reason: Set(override_reason.clone()),
                created_by: Set(Some(ask.requester.user_id())),
                created_at: Set(at),
                updated_at: Set(at),
                cancelled_at: Set(None),
                cancellation_reason: Set(None),
                ..Default::default()
            },
            status,
            position,
            override_reason,
            cohorts: if fits { mine } else { Vec::new() },
            recognised: recognised.remove(&person.id).unwrap_or_default(),
        }));
    }
    write_decided(db, notifier, &edition, asks, decided, &cohorts, &details).await
}

/// The asking people whose answer still stands.
fn standing_asks(asks: &[Ask<'_>], answers: &[AppResult<Option<String>>]) -> Vec<i32> {
    asks.iter()
        .zip(answers)
        .filter(|(_, answer)| answer.is_ok())
        .map(|(ask, _)| ask.person.id)
        .collect()
}

/// The answers of asks all refused before the lock.
fn only_refusals(
    answers: Vec<AppResult<Option<String>>>,
) -> Vec<AppResult<ProgrammeEnrolmentView>> {
    answers
        .into_iter()
        .map(|answer| match answer {
            Err(refused) => Err(refused),
            Ok(_) => Err(AppError::Internal("inscripción sin decidir".into())),
        })
        .collect()
}

/// Writes what [`together`] decided: the edition enrolments in one statement, their
/// recognitions in one, the module enrolments of everyone placed in one, then every audit row
/// in one call and every email in one. Each ask's answer, in order.
async fn write_decided<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    edition: &Edition,
    asks: &[Ask<'_>],
    decided: Vec<AppResult<Decision>>,
    cohorts: &HashMap<i32, cohort::Model>,
    details: &HashMap<i32, notices::Details>,
) -> AppResult<Vec<AppResult<ProgrammeEnrolmentView>>> {
    let rows: Vec<programme_enrolment::ActiveModel> = decided
        .iter()
        .filter_map(|d| d.as_ref().ok().map(|decision| decision.row.clone()))
        .collect();
    let alone = asks
        .first()
        .filter(|_| rows.len() == 1)
        .map(|ask| ask.person);
    let ids = insert_enrolments(db, rows, || match alone {
        Some(person) => already_in(person, edition),
        None => AppError::Conflict(
            "Ya existe una inscripción vigente para esta persona en esta edición.".into(),
        ),
    })
    .await?;
    let at = crate::time::now();
    let mut recognitions = Vec::new();
    let mut placements = Vec::new();
    for (ask, decision) in asks.iter().zip(&decided) {
        let Ok(decision) = decision else { continue };
        let id = *ids
            .get(&ask.person.id)
            .ok_or_else(|| AppError::Internal("inscripción sin número".into()))?;
        recognitions.extend(decision.recognised.iter().map(|(course_id, cert)| {
            programme_recognition::ActiveModel {
                programme_enrolment_id: Set(id),
                course_id: Set(*course_id),
                certificate_id: Set(Some(cert.id)),
                reason: Set(None),
                recognised_by: Set(None),
                created_at: Set(at),
                ..Default::default()
            }
        }));
        if !decision.cohorts.is_empty() {
            placements.push(Placement {
                actor: ask.requester.user_id(),
                programme_enrolment_id: id,
                override_reason: decision.override_reason.clone(),
                person: ask.person,
                cohorts: decision
                    .cohorts
                    .iter()
                    .filter_map(|id| cohorts.get(id))
                    .collect(),
            });
        }
    }
    if !recognitions.is_empty() {
        programme_recognition::Entity::insert_many(recognitions)
            .exec_without_returning(db)
            .await?;
    }
    let (mut changes, mut emails) = place(db, notifier, &placements, details).await?;
    let mut views = Vec::with_capacity(asks.len());
    for (ask, decision) in asks.iter().zip(decided) {
        let decision = match decision {
            Ok(decision) => decision,
            Err(refused) => {
                views.push(Err(refused));
                continue;
            }
        };
        let person = ask.person;
        let id = *ids
            .get(&person.id)
            .ok_or_else(|| AppError::Internal("inscripción sin número".into()))?;
        changes.push(Change {
            actor: Some(ask.requester.user_id()),
            action: if decision.override_reason.is_some() {
                "programme_enrolment.created_with_override"
            } else {
                "programme_enrolment.created"
            },
            subject_type: "programme_enrolment",
            subject_id: id.to_string(),
            before: None,
            after: serde_json::to_value(Audited {
                edition_id: edition.row.id,
                participant_id: person.id,
                status: decision.status,
                recognised: decision.recognised.keys().copied().collect(),
                override_reason: decision.override_reason.as_deref(),
            })
            .ok(),
        });
        if let Some(position) = decision.position {
            emails.extend(super::notices::waitlisted(
                notifier, edition, person, id, position,
            )?);
        }
        let codes: HashMap<i32, Option<String>> = decision
            .recognised
            .iter()
            .map(|(course_id, cert)| (*course_id, Some(cert.code.clone())))
            .collect();
        views.push(Ok(view_of(
            edition,
            (id, person.id, decision.status),
            &codes,
            decision.position,
        )));
    }
    audit::record_many(db, changes).await?;
    crate::mail::enqueue_many(db, notifier, emails).await?;
    Ok(views)
}

/// Inserts edition enrolments in one statement; each one's id by its person (one row per
/// person: the decision refused the second). A unique index refusing one is `duplicate`.
async fn insert_enrolments<C: ConnectionTrait>(
    db: &C,
    rows: Vec<programme_enrolment::ActiveModel>,
    duplicate: impl FnOnce() -> AppError,
) -> AppResult<HashMap<i32, i32>> {
    let columns = [
        programme_enrolment::Column::ParticipantId,
        programme_enrolment::Column::Id,
    ];
    let inserted = kernel::bulk::insert_returning(db, rows, columns, duplicate).await?;
    Ok(inserted
        .into_iter()
        .map(|[person, id]| (person, id))
        .collect())
}

/// Which of `people` hold an edition enrolment in force (enrolled or waiting) in the edition.
async fn holders<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    people: &[i32],
) -> AppResult<std::collections::HashSet<i32>> {
    let held: Vec<i32> = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(edition_id))
        .filter(programme_enrolment::Column::ParticipantId.is_in(people.iter().copied()))
        .filter(programme_enrolment::Column::Status.ne(ProgrammeEnrolmentStatus::Cancelled))
        .select_only()
        .column(programme_enrolment::Column::ParticipantId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(held.into_iter().collect())
}

/// Which of `people` hold an enrolment in force in which of `cohorts`: (cohort, person).
async fn module_holders<C: ConnectionTrait>(
    db: &C,
    cohorts: &[i32],
    people: &[i32],
) -> AppResult<std::collections::HashSet<(i32, i32)>> {
    if cohorts.is_empty() || people.is_empty() {
        return Ok(Default::default());
    }
    let held: Vec<(i32, i32)> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(cohorts.iter().copied()))
        .filter(enrolment::Column::ParticipantId.is_in(people.iter().copied()))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::ParticipantId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(held.into_iter().collect())
}

/// The people enrolled in each of `cohorts`, in one read (the modules' standing).
async fn enrolled_in<C: ConnectionTrait>(db: &C, cohorts: &[i32]) -> AppResult<HashMap<i32, u64>> {
    if cohorts.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(i32, i64)> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.is_in(cohorts.iter().copied()))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled))
        .select_only()
        .column(enrolment::Column::CohortId)
        .column_as(enrolment::Column::Id.count(), "enrolled")
        .group_by(enrolment::Column::CohortId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(id, n)| (id, n.max(0) as u64))
        .collect())
}

/// The people on the edition's waiting list.
async fn waiting_in<C: ConnectionTrait>(db: &C, edition_id: i32) -> AppResult<u64> {
    Ok(programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(edition_id))
        .filter(programme_enrolment::Column::Status.eq(ProgrammeEnrolmentStatus::Waitlisted))
        .count(db)
        .await?)
}

/// The audit row of an edition enrolment.
#[derive(Serialize)]
struct Audited<'a> {
    edition_id: i32,
    participant_id: i32,
    status: ProgrammeEnrolmentStatus,
    recognised: Vec<i32>,
    override_reason: Option<&'a str>,
}

/// A person given a place in the modules she takes through her edition enrolment.
struct Placement<'a> {
    actor: i32,
    programme_enrolment_id: i32,
    override_reason: Option<String>,
    person: &'a participant::Model,
    /// Locked, each with a seat for her.
    cohorts: Vec<&'a cohort::Model>,
}

/// Inserts the module enrolments of every placement in one statement; returns the audit row
/// and the notice (the module's calendar attached, with the cohort's `details`) of each, for
/// the caller to write with its own.
async fn place<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    placements: &[Placement<'_>],
    details: &HashMap<i32, notices::Details>,
) -> AppResult<(Vec<Change<'static>>, Vec<crate::mail::Email>)> {
    let at = crate::time::now();
    let rows: Vec<enrolment::ActiveModel> = placements
        .iter()
        .flat_map(|placed| {
            placed
                .cohorts
                .iter()
                .map(move |cohort| enrolment::ActiveModel {
                    cohort_id: Set(cohort.id),
                    participant_id: Set(placed.person.id),
                    status: Set(EnrolmentStatus::Enrolled),
                    waitlist_seq: Set(None),
                    municipality_code: Set(placed.person.municipality_code.clone()),
                    entity_type: Set(placed.person.entity_type.clone()),
                    eligibility_override: Set(placed.override_reason.is_some()),
                    override_reason: Set(placed.override_reason.clone()),
                    created_by: Set(Some(placed.actor)),
                    cancelled_at: Set(None),
                    cancellation_reason: Set(None),
                    sessions_total: Set(None),
                    sessions_attended: Set(None),
                    final_grade_milli: Set(None),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                })
        })
        .collect();
    let ids = insert_module_rows(db, rows).await?;
    let mut changes = Vec::new();
    let mut emails = Vec::new();
    for placed in placements {
        for cohort in &placed.cohorts {
            let enrolment_id = *ids
                .get(&(cohort.id, placed.person.id))
                .ok_or_else(|| AppError::Internal("inscripción sin número".into()))?;
            changes.push(Change {
                actor: Some(placed.actor),
                action: "enrolment.created",
                subject_type: "enrolment",
                subject_id: enrolment_id.to_string(),
                before: None,
                after: serde_json::to_value(ModuleEnrolled {
                    status: EnrolmentStatus::Enrolled,
                    cohort_id: cohort.id,
                    participant_id: placed.person.id,
                    programme_enrolment_id: placed.programme_enrolment_id,
                })
                .ok(),
            });
            if let Some(details) = details.get(&cohort.id) {
                emails.extend(notices::email(
                    notifier,
                    cohort,
                    details,
                    placed.person,
                    enrolment_id,
                    notices::Notice::Enrolled,
                )?);
            }
        }
    }
    Ok((changes, emails))
}

/// Inserts module enrolments in one statement; each one's id by (cohort, person).
async fn insert_module_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<enrolment::ActiveModel>,
) -> AppResult<HashMap<(i32, i32), i32>> {
    let columns = [
        enrolment::Column::CohortId,
        enrolment::Column::ParticipantId,
        enrolment::Column::Id,
    ];
    let inserted = kernel::bulk::insert_returning(db, rows, columns, || {
        AppError::Conflict(
            "Ya existe una inscripción vigente para esta persona en un módulo de la edición."
                .into(),
        )
    })
    .await?;
    Ok(inserted
        .into_iter()
        .map(|[cohort, person, id]| ((cohort, person), id))
        .collect())
}

/// Inserts `person`'s enrolment in each of `cohorts` (locked, with a seat for her), each with
/// its audit row and its notice (the module's calendar attached): [`place`] for one person.
async fn place_in_modules<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    saved: &programme_enrolment::Model,
    person: &participant::Model,
    cohorts: &HashMap<i32, cohort::Model>,
) -> AppResult<()> {
    let mut ordered: Vec<&cohort::Model> = cohorts.values().collect();
    ordered.sort_unstable_by_key(|cohort| cohort.id);
    let mut details = HashMap::new();
    if person.email.is_some() {
        for cohort in &ordered {
            details.insert(cohort.id, notices::Details::of(db, cohort.id).await?);
        }
    }
    let placement = Placement {
        actor,
        programme_enrolment_id: saved.id,
        override_reason: saved.override_reason.clone(),
        person,
        cohorts: ordered,
    };
    let (changes, emails) = place(db, notifier, &[placement], &details).await?;
    audit::record_many(db, changes).await?;
    crate::mail::enqueue_many(db, notifier, emails).await?;
    Ok(())
}

/// The audit row of a module's enrolment made through its edition.
#[derive(Serialize)]
struct ModuleEnrolled {
    status: EnrolmentStatus,
    cohort_id: i32,
    participant_id: i32,
    programme_enrolment_id: i32,
}

/// The last waiting-list ticket handed out in the edition (0 when none).
async fn last_ticket<C: ConnectionTrait>(db: &C, edition_id: i32) -> AppResult<i32> {
    let last: Option<Option<i32>> = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(edition_id))
        .select_only()
        .column_as(programme_enrolment::Column::WaitlistSeq.max(), "last")
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}

/// A person's current (not cancelled) enrolment in an edition.
pub async fn current<C: ConnectionTrait>(
    db: &C,
    edition_id: i32,
    participant_id: i32,
) -> AppResult<Option<programme_enrolment::Model>> {
    Ok(programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(edition_id))
        .filter(programme_enrolment::Column::ParticipantId.eq(participant_id))
        .filter(programme_enrolment::Column::Status.ne(ProgrammeEnrolmentStatus::Cancelled))
        .one(db)
        .await?)
}

/// 1-based place on the edition's waiting list.
async fn waitlist_position<C: ConnectionTrait>(
    db: &C,
    row: &programme_enrolment::Model,
) -> AppResult<Option<u64>> {
    let (ProgrammeEnrolmentStatus::Waitlisted, Some(seq)) = (row.status, row.waitlist_seq) else {
        return Ok(None);
    };
    let ahead = programme_enrolment::Entity::find()
        .filter(programme_enrolment::Column::EditionId.eq(row.edition_id))
        .filter(programme_enrolment::Column::Status.eq(ProgrammeEnrolmentStatus::Waitlisted))
        .filter(programme_enrolment::Column::WaitlistSeq.lt(seq))
        .count(db)
        .await?;
    Ok(Some(ahead + 1))
}

/// The recognitions of an edition enrolment, by course.
pub async fn recognitions_of<C: ConnectionTrait>(
    db: &C,
    programme_enrolment_id: i32,
) -> AppResult<HashMap<i32, (programme_recognition::Model, Option<String>)>> {
    Ok(recognitions_of_many(db, &[programme_enrolment_id])
        .await?
        .remove(&programme_enrolment_id)
        .unwrap_or_default())
}

/// The recognitions of several edition enrolments in one statement: by enrolment, then by
/// course, each with the code of the certificate it rests on.
pub async fn recognitions_of_many<C: ConnectionTrait>(
    db: &C,
    programme_enrolment_ids: &[i32],
) -> AppResult<HashMap<i32, HashMap<i32, (programme_recognition::Model, Option<String>)>>> {
    let rows = programme_recognition::Entity::find()
        .filter(
            programme_recognition::Column::ProgrammeEnrolmentId
                .is_in(programme_enrolment_ids.iter().copied()),
        )
        .find_also_related(certificate::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<i32, HashMap<i32, _>> = HashMap::new();
    for (r, cert) in rows {
        out.entry(r.programme_enrolment_id)
            .or_default()
            .insert(r.course_id, (r, cert.map(|c| c.code)));
    }
    Ok(out)
}

/// How an edition enrolment reads: its place in each module.
pub async fn view<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    row: &programme_enrolment::Model,
) -> AppResult<ProgrammeEnrolmentView> {
    let recognitions: HashMap<i32, Option<String>> = recognitions_of(db, row.id)
        .await?
        .into_iter()
        .map(|(course_id, (_, code))| (course_id, code))
        .collect();
    Ok(view_of(
        edition,
        (row.id, row.participant_id, row.status),
        &recognitions,
        waitlist_position(db, row).await?,
    ))
}

/// [`view`] of the enrolment `(id, participant_id, status)` known already: the recognised
/// modules (by course, each with its certificate's code) and its place on the waiting list.
fn view_of(
    edition: &Edition,
    (id, participant_id, status): (i32, i32, ProgrammeEnrolmentStatus),
    recognitions: &HashMap<i32, Option<String>>,
    waitlist_position: Option<u64>,
) -> ProgrammeEnrolmentView {
    let modules = edition
        .programme
        .modules
        .iter()
        .map(|m| {
            let cohort_id = edition.cohorts.get(&m.course_id).map(|c| c.id);
            let (place, certificate_code) = match recognitions.get(&m.course_id) {
                Some(code) => (PlaceStatus::Recognised, code.clone()),
                None if status == ProgrammeEnrolmentStatus::Waitlisted => {
                    (PlaceStatus::Waitlisted, None)
                }
                None => (PlaceStatus::Enrolled, None),
            };
            ModulePlace {
                course_id: m.course_id,
                course_name: m.course_name.clone(),
                cohort_id,
                status: place,
                certificate_code,
            }
        })
        .collect();
    ProgrammeEnrolmentView {
        id,
        edition_id: edition.row.id,
        participant_id,
        status,
        waitlist_position,
        modules,
    }
}

/// The edition enrolment `actor` may act on: her own, or one of a person a staff member who
/// manages the edition reaches (404 otherwise).
async fn find_for<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    edition_id: i32,
    id: i32,
) -> AppResult<(Edition, programme_enrolment::Model, participant::Model)> {
    let row = programme_enrolment::Entity::find_by_id(id)
        .filter(programme_enrolment::Column::EditionId.eq(edition_id))
        .found(db)
        .await?;
    let person = participant::Entity::find_by_id(row.participant_id)
        .found(db)
        .await?;
    let edition = if actor.is_staff() {
        if !PersonScope::of(actor).covers_municipality(&row.municipality_code) {
            return Err(AppError::NotFound);
        }
        editions::find_managed(db, actor, edition_id).await?
    } else if person.user_id == Some(actor.id) {
        editions::load(db, edition_id).await?
    } else {
        return Err(AppError::NotFound);
    };
    Ok((edition, row, person))
}

/// Cancels an edition enrolment: the person leaves every module's cohort (her attendance
/// there stays on record) or the edition's waiting list; a place freed in every module goes
/// to the first person waiting. Run inside a transaction.
pub async fn cancel<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
    id: i32,
    reason: Option<&str>,
) -> AppResult<ProgrammeEnrolmentView> {
    let (edition, row, person) = find_for(db, actor, edition_id, id).await?;
    lock_edition(db, edition.row.id).await?;
    let row = programme_enrolment::Entity::find_by_id(row.id)
        .found(db)
        .await?;
    if row.status == ProgrammeEnrolmentStatus::Cancelled {
        return Err(AppError::Conflict(
            "La inscripción ya está cancelada.".into(),
        ));
    }
    if edition.status() == editions::EditionStatus::Closed {
        return Err(AppError::Conflict(
            "La edición ya terminó: su inscripción no se puede cancelar.".into(),
        ));
    }
    let reason =
        crate::validate::single_line("reason", reason.unwrap_or(""), crate::validate::REASON_MAX)
            .map_err(|e| AppError::Validation(vec![e]))?;
    let cohorts = lock_cohorts(db, &edition.cohort_ids()).await?;
    let mut freed = false;
    for cohort in cohorts.values() {
        let Some(module) = cohort_enrolment::current_of(db, cohort.id, person.id).await? else {
            continue;
        };
        if !matches!(
            module.status,
            EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted
        ) || cohort.status.is_final()
        {
            // A module finished stays on record as it ended.
            continue;
        }
        freed |= module.status == EnrolmentStatus::Enrolled;
        cohort_enrolment::cancel_row(
            db,
            notifier,
            actor,
            cohort,
            &person,
            module,
            reason.as_deref(),
        )
        .await?;
    }
    let was = row.status;
    let at = crate::time::now();
    let mut model: programme_enrolment::ActiveModel = row.into();
    model.status = Set(ProgrammeEnrolmentStatus::Cancelled);
    model.waitlist_seq = Set(None);
    model.cancelled_at = Set(Some(at));
    model.cancellation_reason = Set(reason.clone());
    model.updated_at = Set(at);
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "programme_enrolment.cancelled",
            subject_type: "programme_enrolment",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(crate::enrolment::status::StatusAudit::of(
                if was == ProgrammeEnrolmentStatus::Enrolled {
                    EnrolmentStatus::Enrolled
                } else {
                    EnrolmentStatus::Waitlisted
                },
            ))
            .ok(),
            after: serde_json::to_value(crate::enrolment::status::Cancelled::because(
                reason.as_deref().unwrap_or(""),
            ))
            .ok(),
        },
    )
    .await?;
    if freed {
        admit_waiting(db, notifier, actor.id, &edition).await?;
    }
    view(db, &edition, &saved).await
}

/// Gives the first people on the edition's waiting list a place in every module, while each
/// of them fits in all (first come, first served: the first who does not fit stops the line).
/// Run inside the transaction that freed the places, with the edition and its cohorts locked.
pub async fn admit_waiting<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    edition: &Edition,
) -> AppResult<Vec<i32>> {
    let mut admitted = Vec::new();
    loop {
        let Some(next) = programme_enrolment::Entity::find()
            .filter(programme_enrolment::Column::EditionId.eq(edition.row.id))
            .filter(programme_enrolment::Column::Status.eq(ProgrammeEnrolmentStatus::Waitlisted))
            .order_by_asc(programme_enrolment::Column::WaitlistSeq)
            .one(db)
            .await?
        else {
            break;
        };
        let Some(person) = participant::Entity::find_by_id(next.participant_id)
            .one(db)
            .await?
        else {
            break;
        };
        let recognised = recognitions_of(db, next.id).await?;
        let mut cohorts = HashMap::new();
        let mut fits = true;
        for (course_id, cohort) in &edition.cohorts {
            if recognised.contains_key(course_id) {
                continue;
            }
            let cohort = crate::cohorts::lock(db, cohort.id).await?;
            fits &= !cohort.status.is_final()
                && SeatBook::load(db, &cohort)
                    .await?
                    .fits(&next.municipality_code);
            cohorts.insert(cohort.id, cohort);
        }
        if !fits {
            break;
        }
        let at = crate::time::now();
        let mut model: programme_enrolment::ActiveModel = next.clone().into();
        model.status = Set(ProgrammeEnrolmentStatus::Enrolled);
        model.waitlist_seq = Set(None);
        model.updated_at = Set(at);
        let saved = model.update(db).await?;
        place_in_modules(db, notifier, actor, &saved, &person, &cohorts).await?;
        audit::record(
            db,
            Change {
                actor: Some(actor),
                action: "programme_enrolment.promoted",
                subject_type: "programme_enrolment",
                subject_id: saved.id.to_string(),
                before: serde_json::to_value(crate::enrolment::status::StatusAudit::of(
                    EnrolmentStatus::Waitlisted,
                ))
                .ok(),
                after: serde_json::to_value(crate::enrolment::status::StatusAudit::of(
                    EnrolmentStatus::Enrolled,
                ))
                .ok(),
            },
        )
        .await?;
        admitted.push(saved.id);
    }
    Ok(admitted)
}

/// What a coordinator sends to recognise a module by hand.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct RecognitionInput {
    pub participant_id: i32,
    pub course_id: i32,
    /// Why (e.g. the other provider's certificate seen on paper): required, audited.
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeRecognition)]
pub struct RecognitionView {
    pub id: i32,
    pub programme_enrolment_id: i32,
    pub participant_id: i32,
    pub course_id: i32,
    pub reason: Option<String>,
    pub certificate_code: Option<String>,
}

/// A coordinator who manages the edition recognises a module of a person enrolled (or
/// waiting) in it, with a reason. She leaves that module's cohort (a seat freed goes to the
/// edition's waiting list). Audited.
pub async fn recognise<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
    input: &RecognitionInput,
) -> AppResult<RecognitionView> {
    let edition = editions::find_managed(db, actor, edition_id).await?;
    let reason = crate::validate::single_line("reason", &input.reason, crate::validate::REASON_MAX)
        .map_err(|e| AppError::Validation(vec![e]))?
        .ok_or_else(|| {
            AppError::invalid("reason", "Escriba el motivo del reconocimiento del módulo.")
        })?;
    let Some(module) = edition.programme.module(input.course_id) else {
        return Err(AppError::invalid(
            "course_id",
            format!(
                "El curso {} no es módulo de «{}».",
                input.course_id, edition.programme.name
            ),
        ));
    };
    let person = participant::Entity::find_by_id(input.participant_id)
        .one(db)
        .await?
        .filter(|p| PersonScope::of(actor).covers_municipality(&p.municipality_code))
        .ok_or(AppError::NotFound)?;
    lock_edition(db, edition.row.id).await?;
    let Some(row) = current(db, edition.row.id, person.id).await? else {
        return Err(AppError::Conflict(format!(
            "{} no está inscrita en la edición «{}».",
            person.full_name(),
            edition.row.name
        )));
    };
    if recognitions_of(db, row.id)
        .await?
        .contains_key(&module.course_id)
    {
        return Err(AppError::Conflict(format!(
            "El módulo «{}» ya está reconocido para {}.",
            module.course_name,
            person.full_name()
        )));
    }
    let saved = programme_recognition::ActiveModel {
        programme_enrolment_id: Set(row.id),
        course_id: Set(module.course_id),
        certificate_id: Set(None),
        reason: Set(Some(reason.clone())),
        recognised_by: Set(Some(actor.id)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut freed = false;
    if let Some(cohort) = edition.cohorts.get(&module.course_id) {
        let cohorts = lock_cohorts(db, &edition.cohort_ids()).await?;
        if let Some(cohort) = cohorts.get(&cohort.id)
            && let Some(module_row) = cohort_enrolment::current_of(db, cohort.id, person.id).await?
            && module_row.status == EnrolmentStatus::Enrolled
            && !cohort.status.is_final()
        {
            cohort_enrolment::cancel_row(
                db,
                notifier,
                actor,
                cohort,
                &person,
                module_row,
                Some("Módulo reconocido: no necesita cursarlo"),
            )
            .await?;
            freed = true;
        }
    }
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "programme_recognition.created",
            subject_type: "programme_enrolment",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Recognised {
                course_id: module.course_id,
                participant_id: person.id,
                reason: &reason,
            })
            .ok(),
        },
    )
    .await?;
    if freed {
        admit_waiting(db, notifier, actor.id, &edition).await?;
    }
    Ok(RecognitionView {
        id: saved.id,
        programme_enrolment_id: row.id,
        participant_id: person.id,
        course_id: module.course_id,
        reason: saved.reason,
        certificate_code: None,
    })
}

/// The audit row of a module recognised by hand.
#[derive(Serialize)]
struct Recognised<'a> {
    course_id: i32,
    participant_id: i32,
    reason: &'a str,
}

/// Enrols in the edition as `actor` asks: a participant herself (an account without her
/// person → 403), a coordinator or admin the person `participant_id` it reaches (404
/// otherwise; an override needs its reason), nobody else (403). What the API and the pages
/// both call.
pub async fn enrol_as<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
    participant_id: Option<i32>,
    override_reason: Option<String>,
) -> AppResult<ProgrammeEnrolmentView> {
    use crate::entities::values::Role;
    match actor.role {
        Role::Participant => {
            let person = crate::people::profile::participant_of_user(db, actor.id)
                .await?
                .ok_or(AppError::Forbidden)?;
            enrol(
                db,
                notifier,
                edition_id,
                &person,
                &Requester::Participant(actor),
            )
            .await
        }
        Role::Admin | Role::Coordinator => {
            // The edition first (404 beyond the coordinator's), then the person.
            editions::find_managed(db, actor, edition_id).await?;
            let id = participant_id.ok_or_else(|| {
                AppError::invalid(
                    "participant_id",
                    "Indique a quién inscribe (participant_id).",
                )
            })?;
            let person = participant::Entity::find_by_id(id).found(db).await?;
            let requester = Requester::Staff {
                user: actor,
                override_reason,
            };
            enrol(db, notifier, edition_id, &person, &requester).await
        }
        _ => Err(AppError::Forbidden),
    }
}

/// The editions' desks (issue 69, item 3): people enrolling themselves in an edition at the
/// same moment are decided together ([`together`]), each with her own answer — the mechanism
/// of the cohorts' desks (`enrolment::desk`), keyed by edition.
pub struct Editions;

static EDITIONS: desk::Desks<Editions> = desk::Desks::new();

impl desk::Errand for Editions {
    type Answer = ProgrammeEnrolmentView;
    const KEY: &'static str = "edición";
    fn desks() -> &'static desk::Desks<Self> {
        &EDITIONS
    }
    /// [`together`].
    async fn together<'a>(
        txn: &'a crate::db::Txn,
        notifier: &'a Notifier<'a>,
        edition_id: i32,
        asks: &'a [Ask<'a>],
    ) -> AppResult<Vec<AppResult<ProgrammeEnrolmentView>>> {
        together(txn, notifier, edition_id, asks).await
    }
}

/// The person signed in as `actor` enrols herself in the edition `edition_id`: every rule of
/// [`enrol`] for a participant, decided at the edition's desk together with whoever asks for
/// it at the same moment (an account without its person is refused, 403). Returns once her
/// enrolment is committed (or refused).
pub async fn enrol_self(
    db: &sea_orm::DatabaseConnection,
    notifier: &Notifier<'_>,
    edition_id: i32,
    actor: &Actor,
) -> AppResult<ProgrammeEnrolmentView> {
    desk::ask::<Editions>(db, notifier, edition_id, actor).await
}
