//! Attendance where the network fails (issue 66): marks queued on a phone and sent later as a
//! batch, and check-ins made without signal validated when they arrive.
//!
//! **Batches** ([`apply_batch`]). Every mark carries the device's time (`marked_at`, with its
//! offset) and an idempotency key, unique per session. Each mark is answered on its own:
//!
//! - `applied`: written through [`super::save_marks_at`] (the one way marks are written) with
//!   the device's time as the mark's time;
//! - `unchanged`: the key was received before (in an earlier batch or earlier in this one):
//!   nothing is done again and `first_outcome` repeats the first answer, so a phone that lost
//!   an answer still learns of a conflict;
//! - `superseded`: the person's mark already recorded is later than this one (a later mark
//!   wins), or a coordinator's later correction already says the same;
//! - `conflict`: a coordinator or an admin recorded the person's mark after `marked_at` and it
//!   says something else: it is never overwritten; `reason` names who and when;
//! - `refused`: the mark cannot be read (an empty key, no offset in `marked_at`, an unknown
//!   status, an enrolment that does not exist or cannot receive marks), `marked_at` is more
//!   than [`CLOCK_SKEW_SECONDS`] in the future, the session has not started, or the cohort is
//!   closed or cancelled.
//!
//! Every keyed answer is kept (`attendance_batch_marks`) with its first answer. The batch runs
//! in one transaction under the cohort's lock (`cohorts::lock`, as every save), so two batches
//! with the same key, or a batch and a coordinator's correction, are serialised.
//!
//! **Offline check-ins** ([`check_in_offline`]): the code is checked at the time the phone
//! says it was typed (`checked_in_at`), which must lie in the session's check-in window and
//! not more than [`CLOCK_SKEW_SECONDS`] in the future; wrong codes count against the same
//! throttle as online check-ins.

use super::checkin::{self, MAX_WRONG_CODES, Outcome};
use super::{MarkView, Planned, check_cohort_open, enrolment_problem, parse_mark};
use crate::accounts::actor::Actor;
use crate::entities::attendance_batch_mark::{self, BatchOutcome};
use crate::entities::values::{EnrolmentStatus, Mark, MarkSource, Role};
use crate::entities::{attendance_mark, cohort, cohort_session, enrolment, user};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The most marks a batch carries.
pub const MAX_MARKS: usize = 500;
/// The longest idempotency key and device id.
pub const MAX_KEY_CHARS: usize = 100;
/// How far in the future (by the server's clock) a device's time may be.
pub const CLOCK_SKEW_SECONDS: i64 = 30;

/// A batch as a phone sends it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBatch)]
pub struct BatchInput {
    /// The phone's own id (recorded with each mark).
    #[schema(max_length = 100, example = "3f2b9c1e-instructora")]
    pub device_id: Option<String>,
    /// At most 500 marks.
    pub marks: Vec<BatchMark>,
}

/// A mark queued on a phone.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBatchMark)]
pub struct BatchMark {
    /// The mark's idempotency key (unique per session; 1–100 characters).
    #[schema(value_type = String, required = true, example = "0b7f6d1a-5c1e-4a59-9a43-8e1c2f0e9d11")]
    pub key: Option<String>,
    #[schema(value_type = i32, required = true)]
    pub enrolment_id: Option<i64>,
    /// `presente`, `tarde`, `ausente` or `excusado` (the initials and Spanish labels are read
    /// too).
    #[schema(value_type = String, required = true, example = "presente")]
    pub status: Option<String>,
    /// When the mark was made, by the phone's clock: RFC 3339 with its offset.
    #[schema(value_type = String, format = DateTime, required = true, example = "2026-11-28T09:14:03-05:00")]
    pub marked_at: Option<String>,
}

/// What the server did with a mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AttendanceBatchOutcome)]
pub enum MarkOutcome {
    Applied,
    Unchanged,
    Superseded,
    Conflict,
    Refused,
}

impl MarkOutcome {
    fn stored(self) -> Option<BatchOutcome> {
        match self {
            MarkOutcome::Applied => Some(BatchOutcome::Applied),
            MarkOutcome::Superseded => Some(BatchOutcome::Superseded),
            MarkOutcome::Conflict => Some(BatchOutcome::Conflict),
            MarkOutcome::Refused => Some(BatchOutcome::Refused),
            MarkOutcome::Unchanged => None,
        }
    }
}

/// The mark the server holds for the person and session.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBatchCurrent)]
pub struct CurrentMark {
    pub status: Mark,
    /// The mark in Spanish.
    pub status_label: String,
    /// When it was made (an offline mark's device time).
    #[schema(format = DateTime)]
    pub marked_at: String,
    /// Who recorded it (their name), if known.
    pub by: Option<String>,
    pub by_role: Option<Role>,
}

/// The answer for one mark of a batch.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBatchResult)]
pub struct MarkResult {
    /// The mark's key as sent (empty when it had none).
    pub key: String,
    pub outcome: MarkOutcome,
    /// The person's mark in this session after the batch (null: none, or the mark could not
    /// name a person).
    pub current: Option<CurrentMark>,
    /// Why, in Spanish: on `conflict` and `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On `unchanged`: the first answer given for this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub first_outcome: Option<Box<MarkResult>>,
}

/// The answer to a batch: one result per mark, in the order sent.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceBatchAnswer)]
pub struct BatchAnswer {
    pub results: Vec<MarkResult>,
}

/// Reads a request body as a batch: 400 when it is not one (not an object with a `marks`
/// array of objects, wrongly typed fields, more than [`MAX_MARKS`] marks).
pub fn read_batch(body: serde_json::Value) -> AppResult<BatchInput> {
    let not_a_batch = || {
        AppError::BadRequest(
            "El cuerpo no es un lote de asistencia: envíe {\"device_id\", \"marks\": [{\"key\", \
             \"enrolment_id\", \"status\", \"marked_at\"}]}."
                .into(),
        )
    };
    let marks = body
        .get("marks")
        .and_then(|m| m.as_array())
        .ok_or_else(not_a_batch)?;
    if marks.len() > MAX_MARKS {
        return Err(AppError::BadRequest(format!(
            "Un lote puede tener máximo {MAX_MARKS} marcas; este tiene {}. Envíelas en varios lotes.",
            marks.len()
        )));
    }
    serde_json::from_value(body).map_err(|_| not_a_batch())
}

/// The device's time of a mark: RFC 3339 with an offset, or why not.
pub fn device_time(text: Option<&str>) -> Result<DateTime<Utc>, String> {
    let text = text.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err("La marca no tiene la hora en que se hizo (marked_at).".into());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "La hora de la marca («{}») no se puede leer: debe tener fecha, hora y zona \
                 horaria (por ejemplo 2026-11-28T09:14:03-05:00).",
                text.chars().take(40).collect::<String>()
            )
        })
}

fn in_the_future(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at > now + Duration::seconds(CLOCK_SKEW_SECONDS)
}

/// A person's mark as the batch sees it while it runs.
#[derive(Clone, Debug)]
struct Held {
    status: Mark,
    at: DateTime<Utc>,
    by: Option<i32>,
}

fn is_correction_role(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Coordinator | Role::Admin))
}

/// Applies a batch of offline marks (the request's body) to session `session_id` (see the
/// module's note). 404 when the caller may not see the session, 403 when they may only read
/// it, then 400 when the body is not a batch ([`read_batch`]). Run inside a transaction.
pub async fn apply_batch<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    session_id: i32,
    body: serde_json::Value,
) -> AppResult<BatchAnswer> {
    let (session, _, access) = super::session_access(db, actor, session_id).await?;
    access.require_manage()?;
    let batch = read_batch(body)?;
    // The cohort as it stands under the lock (a concurrent close is seen).
    let cohort = crate::cohorts::lock(db, session.cohort_id).await?;
    let now = crate::time::now();
    let receipt = Receipt {
        session_id: session.id,
        cohort_id: cohort.id,
        device: device_of(&batch),
        actor_id: actor.id,
        now,
        closed: check_cohort_open(&cohort).err().map(|e| e.to_string()),
        not_started: super::check_started(&session, now)
            .err()
            .map(|e| e.to_string()),
    };
    let known = known(db, actor, session.id, &access.people(), &batch).await?;
    let mut held = held_of(&known.recorded);
    // First pass: each mark's outcome against what is held, in the order sent.
    let decisions = decide(&batch.marks, &known, &mut held, &receipt);
    // Write what changed: the final mark per person, with the time it was made.
    let (planned, made_at) = planned_marks(&decisions.changed, &held, &known.recorded, session.id);
    if !planned.is_empty() {
        super::save_marks_at(
            db,
            notifier,
            actor.id,
            &cohort,
            &planned,
            MarkSource::Manual,
            &made_at,
        )
        .await?;
    }
    // What stands now (a mark identical to the one recorded keeps its earlier time).
    let standing = marks_by_enrolment(db, session.id, &known.named).await?;
    let (results, rows) = answer(decisions, &standing, &known.users)?;
    if !rows.is_empty() {
        attendance_batch_mark::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(BatchAnswer { results })
}

/// The batch's fixed circumstances: where it is applied, by whom, when, from which device,
/// and why no mark of it may be applied at all (a closed cohort, a session not yet started).
struct Receipt {
    session_id: i32,
    cohort_id: i32,
    device: Option<String>,
    actor_id: i32,
    now: DateTime<Utc>,
    closed: Option<String>,
    not_started: Option<String>,
}

/// The batch's device id, trimmed and cut to [`MAX_KEY_CHARS`]; none when blank.
fn device_of(batch: &BatchInput) -> Option<String> {
    batch
        .device_id
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.chars().take(MAX_KEY_CHARS).collect::<String>())
}

/// What a batch is judged against, read once before its first mark.
struct Known {
    /// Earlier receipts of the batch's keys in this session, by key.
    received: HashMap<String, attendance_batch_mark::Model>,
    /// The enrolments the batch names, or its keys' earlier receipts named.
    named: Vec<i32>,
    /// Of them, those the caller's scope covers.
    enrolments: HashMap<i32, enrolment::Model>,
    /// Their marks in this session as recorded before the batch, by enrolment.
    recorded: HashMap<i32, attendance_mark::Model>,
    /// Who recorded those marks, and the caller: name and role.
    users: HashMap<i32, (String, Role)>,
}

/// Reads what `batch` is judged against in session `session_id` ([`Known`]), the people
/// limited to `people`: a fixed number of queries.
async fn known<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    session_id: i32,
    people: &PersonScope,
    batch: &BatchInput,
) -> AppResult<Known> {
    let keys: Vec<String> = batch
        .marks
        .iter()
        .filter_map(|m| m.key.as_deref().map(str::trim).map(str::to_string))
        .filter(|k| !k.is_empty())
        .collect();
    let received: HashMap<String, attendance_batch_mark::Model> = if keys.is_empty() {
        HashMap::new()
    } else {
        attendance_batch_mark::Entity::find()
            .filter(attendance_batch_mark::Column::SessionId.eq(session_id))
            .filter(attendance_batch_mark::Column::IdempotencyKey.is_in(keys))
            .all_mapped(db, |row| (row.idempotency_key.clone(), row))
            .await?
    };
    let named: Vec<i32> = batch
        .marks
        .iter()
        .filter_map(|m| m.enrolment_id.and_then(|id| i32::try_from(id).ok()))
        .chain(received.values().filter_map(|r| r.enrolment_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let enrolments: HashMap<i32, enrolment::Model> = if named.is_empty() {
        HashMap::new()
    } else {
        enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(named.clone()))
            .filter(people.condition())
            .all_mapped(db, |e| (e.id, e))
            .await?
    };
    let recorded = marks_by_enrolment(db, session_id, &named).await?;
    let mut users: HashMap<i32, (String, Role)> = user::Entity::find()
        .filter(
            user::Column::Id.is_in(
                recorded
                    .values()
                    .filter_map(|m| m.recorded_by)
                    .collect::<HashSet<_>>(),
            ),
        )
        .all_mapped(db, |u| (u.id, (u.full_name, u.role)))
        .await?;
    users.insert(actor.id, (actor.full_name.clone(), actor.role));
    Ok(Known {
        received,
        named,
        enrolments,
        recorded,
        users,
    })
}

/// The marks of `enrolments` in session `session_id`, by enrolment.
async fn marks_by_enrolment<C: ConnectionTrait>(
    db: &C,
    session_id: i32,
    enrolments: &[i32],
) -> AppResult<HashMap<i32, attendance_mark::Model>> {
    Ok(super::existing_marks(db, &[session_id], enrolments)
        .await?
        .into_iter()
        .map(|((_, enrolment), mark)| (enrolment, mark))
        .collect())
}

/// The recorded marks, as the batch holds them when it starts.
fn held_of(recorded: &HashMap<i32, attendance_mark::Model>) -> HashMap<i32, Held> {
    recorded
        .iter()
        .map(|(id, m)| {
            (
                *id,
                Held {
                    status: m.status,
                    at: m.recorded_at,
                    by: m.recorded_by,
                },
            )
        })
        .collect()
}

/// One mark's decision in the first pass.
struct Decided {
    key: String,
    enrolment: Option<i32>,
    outcome: MarkOutcome,
    reason: Option<String>,
    first: Option<Box<MarkResult>>,
    store: Option<attendance_batch_mark::ActiveModel>,
}

/// The first pass: each mark's decision in the order sent, where each new key was first seen
/// in the batch, and the people whose mark the batch changed.
struct Decisions {
    decided: Vec<Decided>,
    seen_here: HashMap<String, usize>,
    changed: HashSet<i32>,
}

/// Decides each of `marks` against what is held, in the order sent: no valid key, refused; a
/// key received before or earlier in the batch, unchanged; a new key by [`decide_new`].
/// `held` ends with the marks that are to stand.
fn decide(
    marks: &[BatchMark],
    known: &Known,
    held: &mut HashMap<i32, Held>,
    receipt: &Receipt,
) -> Decisions {
    let mut decided: Vec<Decided> = Vec::with_capacity(marks.len());
    let mut seen_here: HashMap<String, usize> = HashMap::new();
    let mut changed: HashSet<i32> = HashSet::new();
    for mark in marks {
        let key = mark.key.as_deref().map(str::trim).unwrap_or("").to_string();
        let enrolment_id = mark.enrolment_id.and_then(|id| i32::try_from(id).ok());
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            decided.push(Decided {
                key,
                enrolment: None,
                outcome: MarkOutcome::Refused,
                reason: Some(
                    "La marca no tiene una clave válida (key, de 1 a 100 caracteres): no se \
                     registró."
                        .into(),
                ),
                first: None,
                store: None,
            });
            continue;
        }
        if let Some(row) = known.received.get(&key) {
            let first = serde_json::from_str::<MarkResult>(&row.result).ok();
            decided.push(Decided {
                key,
                // Its current mark only if the caller's scope covers the person.
                enrolment: row
                    .enrolment_id
                    .filter(|id| known.enrolments.contains_key(id)),
                outcome: MarkOutcome::Unchanged,
                reason: None,
                first: first.map(Box::new),
                store: None,
            });
            continue;
        }
        if let Some(&earlier) = seen_here.get(&key) {
            decided.push(Decided {
                key,
                enrolment: decided[earlier].enrolment,
                outcome: MarkOutcome::Unchanged,
                reason: None,
                // Filled in once the first one's answer is complete.
                first: None,
                store: None,
            });
            continue;
        }
        seen_here.insert(key.clone(), decided.len());
        decided.push(decide_new(
            mark,
            key,
            enrolment_id,
            known,
            held,
            &mut changed,
            receipt,
        ));
    }
    Decisions {
        decided,
        seen_here,
        changed,
    }
}

/// Decides a mark whose key is new: refused ([`refusal`]), or else judged against the mark
/// held for the person ([`judge`]); with the receipt row to store for its key.
fn decide_new(
    mark: &BatchMark,
    key: String,
    enrolment_id: Option<i32>,
    known: &Known,
    held: &mut HashMap<i32, Held>,
    changed: &mut HashSet<i32>,
    receipt: &Receipt,
) -> Decided {
    let status = mark
        .status
        .as_deref()
        .map(str::trim)
        .and_then(|t| Mark::parse(t).or_else(|| parse_mark(t)));
    let time = device_time(mark.marked_at.as_deref());
    let refusal = refusal(mark, status, &time, enrolment_id, known, receipt);
    let mut row = attendance_batch_mark::ActiveModel {
        session_id: Set(receipt.session_id),
        idempotency_key: Set(key.clone()),
        device_id: Set(receipt.device.clone()),
        enrolment_id: Set(enrolment_id),
        status: Set(mark
            .status
            .as_deref()
            .map(|s| s.trim().chars().take(40).collect())),
        marked_at: Set(time.as_ref().ok().copied()),
        outcome: Set(BatchOutcome::Refused),
        result: Set(String::new()),
        received_by: Set(Some(receipt.actor_id)),
        received_at: Set(receipt.now),
        ..Default::default()
    };
    let (outcome, reason) = match (refusal, status, time, enrolment_id) {
        (None, Some(status), Ok(at), Some(id)) => judge(
            status,
            at,
            id,
            &known.users,
            held,
            changed,
            receipt.actor_id,
        ),
        (refusal, ..) => (
            MarkOutcome::Refused,
            Some(refusal.unwrap_or_else(|| "La marca no se pudo leer.".into())),
        ),
    };
    if let Some(stored) = outcome.stored() {
        row.outcome = Set(stored);
    }
    Decided {
        key,
        enrolment: enrolment_id.filter(|id| known.enrolments.contains_key(id)),
        outcome,
        reason,
        first: None,
        store: Some(row),
    }
}

/// Why a mark with a new key is refused, the first that holds of: the cohort is closed, the
/// status or the time cannot be read, the time is in the future, the enrolment is missing or
/// may not be marked, the session has not started; none when it may be applied.
fn refusal(
    mark: &BatchMark,
    status: Option<Mark>,
    time: &Result<DateTime<Utc>, String>,
    enrolment_id: Option<i32>,
    known: &Known,
    receipt: &Receipt,
) -> Option<String> {
    if let Some(reason) = &receipt.closed {
        Some(reason.clone())
    } else if status.is_none() {
        Some(format!(
            "«{}» no es una asistencia válida: use presente, tarde, excusado o ausente.",
            mark.status
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect::<String>()
        ))
    } else if let Err(reason) = time {
        Some(reason.clone())
    } else if let Ok(at) = time
        && in_the_future(*at, receipt.now)
    {
        Some(format!(
            "La hora de la marca ({}) está en el futuro: revise la fecha y la hora del \
             teléfono y marque de nuevo.",
            crate::format::date_time(*at)
        ))
    } else if let Some(problem) = match (mark.enrolment_id, enrolment_id) {
        (None, _) => Some("La marca no dice de qué inscripción es (enrolment_id).".into()),
        (Some(raw), None) => Some(format!("La inscripción {raw} no existe.")),
        (Some(_), Some(id)) => enrolment_problem(
            known.enrolments.get(&id),
            receipt.cohort_id,
            id,
            "marcas de asistencia",
        ),
    } {
        Some(problem)
    } else {
        receipt.not_started.clone()
    }
}

/// A readable mark `status` made at `at` for enrolment `id`, against the mark held for the
/// person: one no newer than it is superseded — or in conflict when a coordinator or an
/// administrator set it to something else; otherwise it is applied (held from now on, and the
/// person counted as changed).
fn judge(
    status: Mark,
    at: DateTime<Utc>,
    id: i32,
    users: &HashMap<i32, (String, Role)>,
    held: &mut HashMap<i32, Held>,
    changed: &mut HashSet<i32>,
    actor_id: i32,
) -> (MarkOutcome, Option<String>) {
    match held.get(&id) {
        Some(current) if current.at >= at => {
            let role = current.by.and_then(|by| users.get(&by)).map(|u| u.1);
            if is_correction_role(role) && current.status != status {
                let name = current
                    .by
                    .and_then(|by| users.get(&by))
                    .map(|u| u.0.clone())
                    .unwrap_or_default();
                (
                    MarkOutcome::Conflict,
                    Some(format!(
                        "{name} ({}) corrigió esta marca a «{}» el {}, después de su \
                         marca sin conexión («{}», {}): no se cambió. Si la suya es la \
                         correcta, márquela de nuevo.",
                        role.map(|r| r.label().to_lowercase()).unwrap_or_default(),
                        current.status.label().to_lowercase(),
                        crate::format::date_time(current.at),
                        status.label().to_lowercase(),
                        crate::format::date_time(at),
                    )),
                )
            } else {
                (MarkOutcome::Superseded, None)
            }
        }
        _ => {
            changed.insert(id);
            held.insert(
                id,
                Held {
                    status,
                    at,
                    by: Some(actor_id),
                },
            );
            (MarkOutcome::Applied, None)
        }
    }
}

/// The marks to write and when each was made (by enrolment and session).
type PlannedMarks = (Vec<Planned>, HashMap<(i32, i32), DateTime<Utc>>);

/// What to write: the mark now held for each person the batch `changed` (by enrolment), with
/// the note recorded before, and the time each was made.
fn planned_marks(
    changed: &HashSet<i32>,
    held: &HashMap<i32, Held>,
    recorded: &HashMap<i32, attendance_mark::Model>,
    session_id: i32,
) -> PlannedMarks {
    let mut planned = Vec::new();
    let mut made_at = HashMap::new();
    for id in changed {
        let Some(now_held) = held.get(id) else {
            continue;
        };
        planned.push(Planned {
            session_id,
            enrolment_id: *id,
            status: now_held.status,
            note: recorded.get(id).and_then(|b| b.note.clone()),
        });
        made_at.insert((session_id, *id), now_held.at);
    }
    planned.sort_by_key(|p| p.enrolment_id);
    (planned, made_at)
}

/// The mark standing for enrolment `id` after the batch, with who recorded it.
fn current_mark(
    id: Option<i32>,
    standing: &HashMap<i32, attendance_mark::Model>,
    users: &HashMap<i32, (String, Role)>,
) -> Option<CurrentMark> {
    let mark = standing.get(&id?)?;
    let by = mark.recorded_by.and_then(|by| users.get(&by));
    Some(CurrentMark {
        status: mark.status,
        status_label: mark.status.label().to_string(),
        marked_at: crate::time::date_time(mark.recorded_at),
        by: by.map(|u| u.0.clone()),
        by_role: by.map(|u| u.1),
    })
}

/// Each mark's result in the order sent (a key repeated in the batch with the first answer
/// given for it), and the receipt rows of the new keys, each with its result.
fn answer(
    decisions: Decisions,
    standing: &HashMap<i32, attendance_mark::Model>,
    users: &HashMap<i32, (String, Role)>,
) -> AppResult<(Vec<MarkResult>, Vec<attendance_batch_mark::ActiveModel>)> {
    let Decisions {
        decided, seen_here, ..
    } = decisions;
    let mut results: Vec<MarkResult> = Vec::with_capacity(decided.len());
    let mut rows = Vec::new();
    for d in decided {
        let current = current_mark(d.enrolment, standing, users);
        let first = match (d.outcome, d.first) {
            (MarkOutcome::Unchanged, Some(first)) => Some(first),
            (MarkOutcome::Unchanged, None) => seen_here
                .get(&d.key)
                .and_then(|i| results.get(*i))
                .map(|r| Box::new(r.clone())),
            _ => None,
        };
        let result = MarkResult {
            key: d.key,
            outcome: d.outcome,
            current,
            reason: d.reason,
            first_outcome: first,
        };
        if let Some(mut row) = d.store {
            row.result = Set(serde_json::to_string(&result)
                .map_err(|e| AppError::Internal(format!("resultado del lote: {e}")))?);
            rows.push(row);
        }
        results.push(result);
    }
    Ok((results, rows))
}

/// The symbols of a person's code on paper: Crockford's base 32 (no I, L, O, U: nothing to
/// misread on a printed or handwritten sheet).
const CODE_SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A person's short code on the printed sheet (issue 66, item 5): the enrolment's number in
/// Crockford's base 32 (at least three symbols) and a check digit, e.g. «01C-5» (enrolment 44), so a
/// signature on paper, or a photo of it, names the enrolment without a document number, and a
/// code copied wrong is caught ([`enrolment_of_code`]).
pub fn person_code(enrolment_id: i32) -> String {
    let mut n = u32::try_from(enrolment_id).unwrap_or(0);
    let mut symbols = Vec::new();
    while n > 0 || symbols.len() < 3 {
        symbols.push(CODE_SYMBOLS[(n % 32) as usize]);
        n /= 32;
    }
    symbols.reverse();
    let body = String::from_utf8(symbols).unwrap_or_default();
    format!("{body}-{}", check_digit(&body))
}

/// The check digit of a code's symbols: their values weighted by position, modulo 11 (10 is
/// written 0), so one wrong symbol or two swapped are seen.
fn check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .filter_map(|(i, b)| {
            CODE_SYMBOLS
                .iter()
                .position(|s| *s == b)
                .map(|v| v as u32 * (i as u32 + 2))
        })
        .sum();
    (sum % 11) % 10
}

/// The enrolment a person's code names, if the code is well formed and its check digit right
/// (case, spaces and the letters O, I, L read as 0, 1, 1 are forgiven).
pub fn enrolment_of_code(code: &str) -> Option<i32> {
    let cleaned: String = code
        .trim()
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let (body, check) = cleaned.split_once('-')?;
    let mut n: u32 = 0;
    for b in body.bytes() {
        let v = CODE_SYMBOLS.iter().position(|s| *s == b)? as u32;
        n = n.checked_mul(32)?.checked_add(v)?;
    }
    (check.parse::<u32>().ok()? == check_digit(body))
        .then(|| i32::try_from(n).ok())
        .flatten()
}

/// Why an offline check-in is refused on `field` (422).
fn refuse(field: &str, message: impl Into<String>) -> AppError {
    AppError::invalid(field, message)
}

/// A participant's check-in made without signal: `code` as typed or scanned and the time the
/// phone says it was (`checked_in_at`, RFC 3339 with offset). Accepted when the code was the
/// session's at that time and the time lies in the session's window and not more than
/// [`CLOCK_SKEW_SECONDS`] in the future; the mark is presente or tarde by that time, kept with
/// that time. A mark that already counts as attended, or any later mark (a later mark wins),
/// is left as it is. Closed cohort → 409. Run inside a transaction; commit it also on
/// `Outcome::WrongCode` (it counts against the throttle).
#[allow(
    clippy::too_many_arguments,
    reason = "the check-in's parts, as check_in takes them"
)]
pub async fn check_in_offline<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user_id: i32,
    enrolment_id: i32,
    cohort: &cohort::Model,
    session: &cohort_session::Model,
    code: &str,
    checked_in_at: Option<&str>,
) -> AppResult<Outcome> {
    let key = checkin::throttle_key(session.id, user_id);
    crate::accounts::throttle::check(db, &[&key]).await?;
    check_cohort_open(cohort)?;
    let cohort = crate::cohorts::lock(db, cohort.id).await?;
    check_cohort_open(&cohort)?;
    let at = device_time(checked_in_at).map_err(|e| refuse("checked_in_at", e))?;
    let now = crate::time::now();
    if in_the_future(at, now) {
        return Err(refuse(
            "checked_in_at",
            "La hora del registro está en el futuro: revise la fecha y la hora del teléfono.",
        ));
    }
    if !checkin::in_window(session, at) {
        let (opens, closes) = checkin::window(session);
        return Err(refuse(
            "checked_in_at",
            format!(
                "El registro de esta sesión estaba abierto del {} al {} (hora de Colombia); el \
                 suyo es del {}: no se puede aceptar.",
                crate::format::date_time(opens),
                crate::format::date_time(closes),
                crate::format::date_time(at)
            ),
        ));
    }
    let row = enrolment::Entity::find_by_id(enrolment_id)
        .found(db)
        .await?;
    if row.status != EnrolmentStatus::Enrolled {
        return Err(refuse(
            "enrolment",
            match row.status {
                EnrolmentStatus::Waitlisted => {
                    "Usted está en la lista de espera de esta cohorte: la asistencia se registra solo a personas inscritas."
                }
                _ => "Su inscripción en esta cohorte no está vigente.",
            },
        ));
    }
    if code.trim().is_empty() || !checkin::verify(&session.check_in_secret, code, at) {
        crate::accounts::throttle::record_failure(db, &key, MAX_WRONG_CODES).await?;
        return Ok(Outcome::WrongCode);
    }
    let existing = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session.id))
        .filter(attendance_mark::Column::EnrolmentId.eq(row.id))
        .one(db)
        .await?;
    let stands = existing
        .as_ref()
        .is_some_and(|m| m.status.counts_as_attended() || m.recorded_at > at);
    if !stands {
        let planned = Planned {
            session_id: session.id,
            enrolment_id: row.id,
            status: checkin::mark_at(session, at),
            note: existing.as_ref().and_then(|m| m.note.clone()),
        };
        super::save_marks_at(
            db,
            notifier,
            user_id,
            &cohort,
            &[planned],
            MarkSource::CheckIn,
            &HashMap::from([((session.id, row.id), at)]),
        )
        .await?;
    }
    let mark: MarkView = super::session_marks(db, session, &PersonScope::Enrolment(row.id), None)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("marca recién guardada no encontrada".into()))?;
    Ok(Outcome::Marked(mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_time_needs_its_offset() {
        assert!(device_time(Some("2026-11-28T09:14:03-05:00")).is_ok());
        assert!(device_time(Some("2026-11-28T14:14:03Z")).is_ok());
        assert!(device_time(Some("2026-11-28T09:14:03")).is_err());
        assert!(device_time(Some("")).is_err());
        assert!(device_time(None).is_err());
    }

    #[test]
    fn a_person_code_names_the_enrolment_and_catches_a_slip() {
        for id in [1, 12, 31, 32, 1_000, 123_456] {
            let code = person_code(id);
            assert_eq!(enrolment_of_code(&code), Some(id), "{code}");
            assert_eq!(enrolment_of_code(&code.to_lowercase()), Some(id), "{code}");
        }
        assert_eq!(person_code(1).len(), 5);
        assert_eq!(person_code(44), "01C-5");
        // One symbol changed, or two swapped, is caught.
        let code = person_code(1_000);
        let (body, check) = code.split_once('-').unwrap();
        let swapped: String = body.chars().rev().collect();
        assert_ne!(
            enrolment_of_code(&format!("{swapped}-{check}")),
            Some(1_000)
        );
        assert_eq!(enrolment_of_code("ZZZ"), None);
        assert_eq!(enrolment_of_code("0U1-0"), None);
    }

    #[test]
    fn a_batch_is_an_object_with_marks() {
        assert!(read_batch(serde_json::json!({"marks": []})).is_ok());
        assert!(read_batch(serde_json::json!([])).is_err());
        assert!(read_batch(serde_json::json!({"marks": 3})).is_err());
        assert!(read_batch(serde_json::json!({"marks": [{"enrolment_id": "x"}]})).is_err());
        let many: Vec<serde_json::Value> = (0..=MAX_MARKS).map(|_| serde_json::json!({})).collect();
        assert!(read_batch(serde_json::json!({ "marks": many })).is_err());
    }
}
