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
use crate::enrolment::{self as cohort_enrolment, Ask, Requester, notices, seats::SeatBook};
use crate::entities::values::{CertificateStatus, EnrolmentStatus, ProgrammeEnrolmentStatus};
use crate::entities::{
    certificate, cohort, enrolment, participant, programme_edition, programme_enrolment,
    programme_recognition,
};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
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
    let mut found: HashMap<i32, certificate::Model> = HashMap::new();
    for cert in certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(participant_id))
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
            found.entry(*course_id).or_insert(cert);
        }
    }
    Ok(found)
}

/// Locks the edition's row: every change to its enrolments is serialised on it.
async fn lock_edition<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<()> {
    programme_edition::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
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
/// holds a place in it), checked for every module before anything is written.
async fn refusal<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    person: &participant::Model,
    override_reason: Option<&str>,
) -> AppResult<Option<AppError>> {
    if let Err(refused) = cohort_enrolment::check_open(cohort, override_reason.is_some()) {
        return Ok(Some(refused));
    }
    if override_reason.is_none() {
        let targets = crate::cohorts::targets_of(db, &[cohort.id])
            .await?
            .remove(&cohort.id)
            .unwrap_or_default();
        if !targets.offers(&person.municipality_code) {
            let places = crate::cohorts::place_names(db, &targets).await?.join("; ");
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
    if cohort_enrolment::current_of(db, cohort.id, person.id)
        .await?
        .is_some()
    {
        return Ok(Some(AppError::Conflict(format!(
            "{} ya tiene una inscripción vigente en «{}».",
            person.full_name(),
            cohort.name
        ))));
    }
    Ok(None)
}

/// Enrols `person` in the edition: in every module's cohort that is not recognised, or on the
/// edition's waiting list when one of them has no seat for her. Run inside a transaction.
pub async fn enrol<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    edition_id: i32,
    person: &participant::Model,
    requester: &Requester<'_>,
) -> AppResult<ProgrammeEnrolmentView> {
    let edition = reachable(db, requester, edition_id).await?;
    let override_reason =
        cohort_enrolment::before_the_lock(db, &Ask { person, requester }).await??;
    if edition.programme.status != crate::entities::values::ProgrammeStatus::Published {
        return Err(AppError::Conflict(format!(
            "El programa «{}» aún no está publicado: sus ediciones no reciben inscripciones.",
            edition.programme.name
        )));
    }
    let missing = edition.missing();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|m| m.course_name.as_str()).collect();
        return Err(AppError::Conflict(format!(
            "La edición «{}» aún no recibe inscripciones: le falta la cohorte de {}.",
            edition.row.name,
            names.join(", ")
        )));
    }
    let recognised = recognisable(db, &edition, person.id).await?;
    lock_edition(db, edition.row.id).await?;
    if current(db, edition.row.id, person.id).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "{} ya tiene una inscripción vigente en la edición «{}».",
            person.full_name(),
            edition.row.name
        )));
    }
    let taken: Vec<i32> = edition
        .cohorts
        .iter()
        .filter(|(course_id, _)| !recognised.contains_key(course_id))
        .map(|(_, c)| c.id)
        .collect();
    let cohorts = lock_cohorts(db, &taken).await?;
    let mut fits = true;
    for cohort in edition.ordered_cohorts() {
        let Some(cohort) = cohorts.get(&cohort.id) else {
            continue;
        };
        if let Some(refused) = refusal(db, cohort, person, override_reason.as_deref()).await? {
            return Err(refused);
        }
        fits &= SeatBook::load(db, cohort)
            .await?
            .fits(&person.municipality_code);
    }
    let at = crate::time::now();
    let (status, waitlist_seq) = if fits {
        (ProgrammeEnrolmentStatus::Enrolled, None)
    } else {
        (
            ProgrammeEnrolmentStatus::Waitlisted,
            Some(last_ticket(db, edition.row.id).await? + 1),
        )
    };
    let saved = programme_enrolment::ActiveModel {
        edition_id: Set(edition.row.id),
        participant_id: Set(person.id),
        status: Set(status),
        waitlist_seq: Set(waitlist_seq),
        municipality_code: Set(person.municipality_code.clone()),
        eligibility_override: Set(override_reason.is_some()),
        override_reason: Set(override_reason.clone()),
        created_by: Set(Some(requester.user_id())),
        created_at: Set(at),
        updated_at: Set(at),
        cancelled_at: Set(None),
        cancellation_reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(format!(
            "{} ya tiene una inscripción vigente en la edición «{}».",
            person.full_name(),
            edition.row.name
        )),
        _ => AppError::from(e),
    })?;
    let rows: Vec<programme_recognition::ActiveModel> = recognised
        .iter()
        .map(|(course_id, cert)| programme_recognition::ActiveModel {
            programme_enrolment_id: Set(saved.id),
            course_id: Set(*course_id),
            certificate_id: Set(Some(cert.id)),
            reason: Set(None),
            recognised_by: Set(None),
            created_at: Set(at),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        programme_recognition::Entity::insert_many(rows)
            .exec(db)
            .await?;
    }
    if fits {
        place_in_modules(db, notifier, requester.user_id(), &saved, person, &cohorts).await?;
    }
    audit::record(
        db,
        Change {
            actor: Some(requester.user_id()),
            action: if override_reason.is_some() {
                "programme_enrolment.created_with_override"
            } else {
                "programme_enrolment.created"
            },
            subject_type: "programme_enrolment",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(Audited {
                edition_id: edition.row.id,
                participant_id: person.id,
                status,
                recognised: recognised.keys().copied().collect(),
                override_reason: override_reason.as_deref(),
            })
            .ok(),
        },
    )
    .await?;
    let view = view(db, &edition, &saved).await?;
    if let Some(position) = view.waitlist_position {
        super::notices::waitlisted(db, notifier, &edition, person, &saved, position).await?;
    }
    Ok(view)
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

/// Inserts `person`'s enrolment in each of `cohorts` (locked, with a seat for her), each with
/// its audit row and its notice (the module's calendar attached).
async fn place_in_modules<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    saved: &programme_enrolment::Model,
    person: &participant::Model,
    cohorts: &HashMap<i32, cohort::Model>,
) -> AppResult<()> {
    let at = crate::time::now();
    let mut ids: Vec<&i32> = cohorts.keys().collect();
    ids.sort_unstable();
    for id in ids {
        let cohort = &cohorts[id];
        let row = enrolment::ActiveModel {
            cohort_id: Set(cohort.id),
            participant_id: Set(person.id),
            status: Set(EnrolmentStatus::Enrolled),
            waitlist_seq: Set(None),
            municipality_code: Set(person.municipality_code.clone()),
            entity_type: Set(person.entity_type.clone()),
            eligibility_override: Set(saved.eligibility_override),
            override_reason: Set(saved.override_reason.clone()),
            created_by: Set(Some(actor)),
            cancelled_at: Set(None),
            cancellation_reason: Set(None),
            sessions_total: Set(None),
            sessions_attended: Set(None),
            final_grade_milli: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        let enrolment_id = cohort_enrolment::insert_rows(db, vec![row])
            .await?
            .get(&person.id)
            .copied()
            .ok_or_else(|| AppError::Internal("inscripción sin número".into()))?;
        audit::record(
            db,
            Change {
                actor: Some(actor),
                action: "enrolment.created",
                subject_type: "enrolment",
                subject_id: enrolment_id.to_string(),
                before: None,
                after: serde_json::to_value(ModuleEnrolled {
                    status: EnrolmentStatus::Enrolled,
                    cohort_id: cohort.id,
                    participant_id: person.id,
                    programme_enrolment_id: saved.id,
                })
                .ok(),
            },
        )
        .await?;
        if let Some(row) = enrolment::Entity::find_by_id(enrolment_id).one(db).await? {
            notices::send(
                db,
                notifier,
                cohort,
                person,
                &row,
                notices::Notice::Enrolled,
            )
            .await?;
        }
    }
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
    let recognitions = recognitions_of(db, row.id).await?;
    let modules = edition
        .programme
        .modules
        .iter()
        .map(|m| {
            let cohort_id = edition.cohorts.get(&m.course_id).map(|c| c.id);
            let (status, certificate_code) = match recognitions.get(&m.course_id) {
                Some((_, code)) => (PlaceStatus::Recognised, code.clone()),
                None if row.status == ProgrammeEnrolmentStatus::Waitlisted => {
                    (PlaceStatus::Waitlisted, None)
                }
                None => (PlaceStatus::Enrolled, None),
            };
            ModulePlace {
                course_id: m.course_id,
                course_name: m.course_name.clone(),
                cohort_id,
                status,
                certificate_code,
            }
        })
        .collect();
    Ok(ProgrammeEnrolmentView {
        id: row.id,
        edition_id: row.edition_id,
        participant_id: row.participant_id,
        status: row.status,
        waitlist_position: waitlist_position(db, row).await?,
        modules,
    })
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
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let person = participant::Entity::find_by_id(row.participant_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
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
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
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
            let person = participant::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let requester = Requester::Staff {
                user: actor,
                override_reason,
            };
            enrol(db, notifier, edition_id, &person, &requester).await
        }
        _ => Err(AppError::Forbidden),
    }
}
