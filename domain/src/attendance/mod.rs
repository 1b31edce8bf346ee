//! Attendance: one mark per person per session (presente, tarde, excusado, ausente) with an
//! optional note, taken by the cohort's instructors or a coordinator once the session has
//! started, by the participants themselves with the rotating check-in code, or from the
//! offline sheet. Every way goes through [`save_marks`]: one transaction, one batched upsert,
//! every change audited (who, when, before, after), and the at-risk warnings.
//!
//! Concurrency: a save starts by touching the cohort row (`cohorts::lock`), so saves,
//! check-ins and closing the cohort are serialised per cohort and the at-risk warning goes out
//! once.

pub mod basis;
pub mod checkin;
pub mod evidence;
pub mod offline;
pub mod progress;
pub mod risk;
pub mod sheet;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts;
use crate::cohorts::scope::CohortScope;
use crate::entities::values::{EnrolmentStatus, Mark, MarkSource, Role};
use crate::entities::{attendance_mark, cohort, cohort_session, enrolment, participant, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The longest note kept with a mark.
pub const MAX_NOTE_CHARS: usize = 500;

pub const MARKS: [Mark; 4] = [Mark::Presente, Mark::Tarde, Mark::Excusado, Mark::Ausente];

/// The session's attendance sheet page (`/seguimiento/sesiones/{id}`): where the instructor
/// marks, and what the phone keeps for marking offline (issue 66).
pub fn sheet_path(session_id: i32) -> String {
    format!("/seguimiento/sesiones/{session_id}")
}

/// A mark as people type it: the word in any case, with or without accents, or its initial
/// (`P`, `T`, `E`, `A`).
pub fn parse_mark(text: &str) -> Option<Mark> {
    match crate::text::fold(text).as_str() {
        "presente" | "p" => Some(Mark::Presente),
        "tarde" | "t" => Some(Mark::Tarde),
        "excusado" | "excusada" | "e" => Some(Mark::Excusado),
        "ausente" | "a" => Some(Mark::Ausente),
        _ => None,
    }
}

/// What the caller may do with a cohort's attendance and grades, and whose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Coordinators, admins and the cohort's instructors: read and write, the people their
    /// scope covers (everyone, but for a territorial direction's coordinator: its
    /// departments' people).
    Manage(PersonScope),
    /// Reviewers of the cohort's department: read only, the people their scope covers.
    Read(PersonScope),
    /// A participant: only their own enrolment.
    Own(i32),
}

impl Access {
    /// 403 unless the caller may write.
    pub fn require_manage(&self) -> AppResult<()> {
        match self {
            Access::Manage(_) => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }

    pub fn can_manage(&self) -> bool {
        matches!(self, Access::Manage(_))
    }

    /// Whose personal data this access shows: every list of people goes through it.
    pub fn people(&self) -> PersonScope {
        match self {
            Access::Manage(scope) => scope.clone(),
            Access::Read(scope) => scope.clone(),
            Access::Own(enrolment_id) => PersonScope::Enrolment(*enrolment_id),
        }
    }
}

/// The cohort if the caller may see its attendance, and how. Out of scope (an instructor of
/// another cohort, a reviewer of another department, a participant not enrolled) is 404.
pub async fn cohort_access<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cohort_id: i32,
) -> AppResult<(cohort::Model, Access)> {
    let scope = CohortScope::of(Some(user));
    let cohort = cohorts::find_in_scope(db, &scope, cohort_id).await?;
    let access = match user.role {
        Role::Admin | Role::Coordinator | Role::Instructor => Access::Manage(PersonScope::of(user)),
        Role::Reviewer | Role::Liaison => Access::Read(PersonScope::of(user)),
        Role::Participant => {
            let person = crate::people::profile::participant_of_user(db, user.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let row = enrolment::Entity::find()
                .filter(enrolment::Column::CohortId.eq(cohort.id))
                .filter(enrolment::Column::ParticipantId.eq(person.id))
                .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
                .found(db)
                .await?;
            Access::Own(row.id)
        }
    };
    Ok((cohort, access))
}

/// The cohort if the caller may change its attendance and grades: 404 out of scope (see
/// [`cohort_access`]), 403 for those who only read it.
pub async fn managed_cohort<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cohort_id: i32,
) -> AppResult<cohort::Model> {
    let (cohort, access) = cohort_access(db, user, cohort_id).await?;
    access.require_manage()?;
    Ok(cohort)
}

/// The session, its cohort and the caller's access (see [`cohort_access`]).
pub async fn session_access<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    session_id: i32,
) -> AppResult<(cohort_session::Model, cohort::Model, Access)> {
    let session = cohorts::sessions::find(db, session_id).await?;
    let (cohort, access) = cohort_access(db, user, session.cohort_id).await?;
    Ok((session, cohort, access))
}

/// One mark as the API and pages send it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = AttendanceMarkInput)]
pub struct MarkInput {
    #[schema(value_type = i32, required = true)]
    pub enrolment_id: Option<i32>,
    /// `presente`, `tarde`, `excusado` or `ausente`; the Spanish labels and the initials P,
    /// T, E, A are accepted too.
    #[schema(value_type = String, required = true, example = "presente")]
    pub status: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A recorded mark.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = AttendanceMark)]
pub struct MarkView {
    pub session_id: i32,
    pub enrolment_id: i32,
    pub participant_id: i32,
    pub full_name: String,
    pub status: Mark,
    /// The mark in Spanish.
    pub status_label: &'static str,
    pub note: Option<String>,
    pub source: MarkSource,
    /// The account that recorded it, if known.
    pub recorded_by: Option<i32>,
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// When the person first opened the virtual classroom in the session's window (issue 65).
    #[schema(format = DateTime)]
    pub connected_at: Option<String>,
}

/// A checked mark, ready to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub session_id: i32,
    pub enrolment_id: i32,
    pub status: Mark,
    pub note: Option<String>,
}

/// Refuses changes to the attendance of a closed or cancelled cohort (409).
pub fn check_cohort_open(cohort: &cohort::Model) -> AppResult<()> {
    if cohort.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte está {}: su asistencia ya no se modifica.",
            cohort.status.label().to_lowercase()
        )));
    }
    Ok(())
}

fn when(at: DateTime<Utc>) -> String {
    crate::format::date_time(at)
}

/// Refuses (409) a session that has not started.
pub fn check_started(session: &cohort_session::Model, at: DateTime<Utc>) -> AppResult<()> {
    if session.starts_at > at {
        return Err(AppError::Conflict(format!(
            "La sesión aún no ha empezado (empieza el {}): no se puede registrar su asistencia.",
            when(session.starts_at)
        )));
    }
    Ok(())
}

/// Why an enrolment cannot receive marks or scores (or None when it can). `what` names them
/// ("asistencia", "calificaciones").
pub fn enrolment_problem(
    row: Option<&enrolment::Model>,
    cohort_id: i32,
    id: i32,
    what: &str,
) -> Option<String> {
    match row {
        None => Some(format!("La inscripción {id} no existe.")),
        Some(e) if e.cohort_id != cohort_id => {
            Some(format!("La inscripción {id} no pertenece a esta cohorte."))
        }
        Some(e) if e.status == EnrolmentStatus::Waitlisted => Some(format!(
            "La inscripción {id} está en lista de espera: solo se registran {what} de personas inscritas."
        )),
        Some(e) if e.status == EnrolmentStatus::Cancelled => Some(format!(
            "La inscripción {id} está cancelada: solo se registran {what} de personas inscritas."
        )),
        Some(e) if e.status != EnrolmentStatus::Enrolled => {
            Some(format!("La inscripción {id} ya tiene resultados finales."))
        }
        Some(_) => None,
    }
}

/// The enrolments named in what was sent (an uploaded sheet, the grid page), with their
/// people: one query.
pub struct NamedEnrolments {
    ids: Vec<i32>,
    rows: HashMap<i32, (enrolment::Model, Option<participant::Model>)>,
}

impl NamedEnrolments {
    /// The enrolments `ids` that `people` covers (any other is «no existe», as if it did not).
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        people: &PersonScope,
        ids: impl Iterator<Item = i32>,
    ) -> AppResult<Self> {
        let ids: Vec<i32> = ids.collect::<HashSet<i32>>().into_iter().collect();
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(ids.clone()))
            .filter(people.condition())
            .find_also_related(participant::Entity)
            .all_mapped(db, |(e, p)| (e.id, (e, p)))
            .await?;
        Ok(NamedEnrolments { ids, rows })
    }

    /// The enrolments of the numbers typed in a sheet's «Inscripción» column (text that is not
    /// a number is left for [`NamedEnrolments::check_typed`] to report).
    pub async fn typed<'t, C: ConnectionTrait>(
        db: &C,
        people: &PersonScope,
        typed: impl Iterator<Item = &'t str>,
    ) -> AppResult<Self> {
        Self::load(
            db,
            people,
            typed.filter_map(|text| text.trim().parse().ok()),
        )
        .await
    }

    /// The ids found.
    pub fn ids(&self) -> &[i32] {
        &self.ids
    }

    /// Why enrolment `id` cannot receive `what` in the cohort (see [`enrolment_problem`]).
    pub fn problem(&self, id: i32, cohort_id: i32, what: &str) -> Option<String> {
        enrolment_problem(self.rows.get(&id).map(|(e, _)| e), cohort_id, id, what)
    }

    /// The enrolment typed in spreadsheet row `row` if it may receive `what` in the cohort, or
    /// the row's error on the «Inscripción» column.
    pub fn check_typed(
        &self,
        row: usize,
        typed: &str,
        cohort_id: i32,
        what: &str,
    ) -> Result<i32, FieldError> {
        let column = sheet::COL_ENROLMENT;
        let problem = match typed.trim().parse::<i32>() {
            Ok(id) => match self.problem(id, cohort_id, what) {
                Some(problem) => problem,
                None => return Ok(id),
            },
            Err(_) => format!(
                "«{}» no es un número de inscripción: no cambie la columna «{column}».",
                typed.trim()
            ),
        };
        Err(FieldError {
            row: Some(row),
            field: column.into(),
            message: problem,
        })
    }

    /// The name of the person of an enrolment found.
    pub fn full_name(&self, id: i32) -> String {
        self.rows
            .get(&id)
            .and_then(|(_, person)| person.as_ref())
            .map(|person| person.full_name())
            .unwrap_or_default()
    }
}

/// Checks the marks sent for one session (all problems at once, 422) and the session's state
/// (409). An enrolment outside `people` (the caller's [`Access::people`]) is «no existe».
pub async fn plan_session_marks<C: ConnectionTrait>(
    db: &C,
    people: &PersonScope,
    cohort: &cohort::Model,
    session: &cohort_session::Model,
    inputs: &[MarkInput],
) -> AppResult<Vec<Planned>> {
    check_cohort_open(cohort)?;
    check_started(session, crate::time::now())?;
    if inputs.is_empty() {
        return Err(AppError::invalid(
            "marks",
            "Envíe al menos una marca de asistencia.",
        ));
    }
    crate::validate::list_length("marks", inputs.len())
        .map_err(|e| AppError::Validation(vec![e]))?;
    let ids: Vec<i32> = inputs.iter().filter_map(|m| m.enrolment_id).collect();
    let rows: HashMap<i32, enrolment::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::Id.is_in(ids))
        .filter(people.condition())
        .all_mapped(db, |e| (e.id, e))
        .await?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut planned = Vec::with_capacity(inputs.len());
    for (n, input) in inputs.iter().enumerate() {
        let field = |name: &str| format!("[{n}].{name}");
        let status = match input.status.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new(
                    field("status"),
                    "Indique la asistencia: presente, tarde, excusado o ausente.",
                ));
                None
            }
            Some(text) => {
                let parsed = Mark::parse(text).or_else(|| parse_mark(text));
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        field("status"),
                        format!("«{text}» no es una asistencia válida: use presente, tarde, excusado o ausente."),
                    ));
                }
                parsed
            }
        };
        let note = crate::validate::lines(
            &field("note"),
            input.note.as_deref(),
            MAX_NOTE_CHARS,
            &mut errors,
        );
        let Some(id) = input.enrolment_id else {
            errors.push(FieldError::new(
                field("enrolment_id"),
                "Indique la inscripción (enrolment_id).",
            ));
            continue;
        };
        if !seen.insert(id) {
            errors.push(FieldError::new(
                field("enrolment_id"),
                format!("La inscripción {id} aparece dos veces."),
            ));
            continue;
        }
        if let Some(problem) =
            enrolment_problem(rows.get(&id), cohort.id, id, "marcas de asistencia")
        {
            errors.push(FieldError::new(field("enrolment_id"), problem));
            continue;
        }
        if let Some(status) = status {
            planned.push(Planned {
                session_id: session.id,
                enrolment_id: id,
                status,
                note,
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(planned)
}

/// Per session of a cohort: (marks taken, marks that count as attended), over the
/// enrolments `people` may see.
pub async fn marks_per_session<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    session_ids: &[i32],
    people: &PersonScope,
) -> AppResult<HashMap<i32, (i32, i32)>> {
    use sea_orm::QuerySelect;
    #[derive(sea_orm::FromQueryResult)]
    struct Count {
        session_id: i32,
        status: Mark,
        n: i64,
    }
    let counts = attendance_mark::Entity::find()
        .select_only()
        .column(attendance_mark::Column::SessionId)
        .column(attendance_mark::Column::Status)
        .column_as(attendance_mark::Column::Id.count(), "n")
        .filter(attendance_mark::Column::SessionId.is_in(session_ids.iter().copied()))
        .filter(people.enrolments_of(attendance_mark::Column::EnrolmentId, cohort_id))
        .group_by(attendance_mark::Column::SessionId)
        .group_by(attendance_mark::Column::Status)
        .into_model::<Count>()
        .all(db)
        .await?;
    let mut per_session: HashMap<i32, (i32, i32)> = HashMap::new();
    for c in counts {
        let entry = per_session.entry(c.session_id).or_default();
        entry.0 += c.n as i32;
        if c.status.counts_as_attended() {
            entry.1 += c.n as i32;
        }
    }
    Ok(per_session)
}

/// Marks currently recorded for these (session, enrolment) pairs: one query.
pub async fn existing_marks<C: ConnectionTrait>(
    db: &C,
    session_ids: &[i32],
    enrolment_ids: &[i32],
) -> AppResult<HashMap<(i32, i32), attendance_mark::Model>> {
    if session_ids.is_empty() || enrolment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(session_ids.to_vec()))
        .filter(attendance_mark::Column::EnrolmentId.is_in(enrolment_ids.to_vec()))
        .all_mapped(db, |m| ((m.session_id, m.enrolment_id), m))
        .await?)
}

/// What a save changed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Saved {
    /// Marks created or changed.
    pub changed: usize,
    /// Marks sent identical to what was recorded (nothing written).
    pub unchanged: usize,
}

/// A mark as it was before a save changed it (`attendance.changed`).
#[derive(Serialize)]
struct MarkWas<'a> {
    session_id: i32,
    status: Mark,
    note: Option<&'a str>,
    source: MarkSource,
    recorded_by: Option<i32>,
}

/// A mark as a save leaves it (`attendance.marked`, `attendance.changed`).
#[derive(Serialize)]
struct MarkNow<'a> {
    session_id: i32,
    status: Mark,
    note: Option<&'a str>,
    source: MarkSource,
}

/// Writes checked marks of one cohort: one batched upsert on (session, enrolment) for those
/// that differ from what is recorded, one audit entry per change (who, when, before, after),
/// then the at-risk warnings. Run inside a transaction. The marks' time is now (see
/// [`save_marks_at`]).
pub async fn save_marks<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
    planned: &[Planned],
    source: MarkSource,
) -> AppResult<Saved> {
    save_marks_at(
        db,
        notifier,
        actor,
        cohort,
        planned,
        source,
        &HashMap::new(),
    )
    .await
}

/// [`save_marks`] (the one way marks are written), where some marks were made earlier than
/// now: `made_at` holds, per (session, enrolment), the time the mark was made (an offline
/// mark's device time, an offline check-in's time, issue 66), kept as its `recorded_at`; the
/// others are recorded now.
pub async fn save_marks_at<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
    planned: &[Planned],
    source: MarkSource,
    made_at: &HashMap<(i32, i32), DateTime<Utc>>,
) -> AppResult<Saved> {
    crate::cohorts::lock(db, cohort.id).await?;
    let session_ids: Vec<i32> = planned
        .iter()
        .map(|p| p.session_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let enrolment_ids: Vec<i32> = planned
        .iter()
        .map(|p| p.enrolment_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let current = existing_marks(db, &session_ids, &enrolment_ids).await?;
    let at = crate::time::now();
    let mut rows = Vec::new();
    let mut changes = Vec::new();
    let mut touched = HashSet::new();
    for p in planned {
        let before = current.get(&(p.session_id, p.enrolment_id));
        if before.is_some_and(|b| b.status == p.status && b.note == p.note) {
            continue;
        }
        touched.insert(p.enrolment_id);
        rows.push(attendance_mark::ActiveModel {
            session_id: Set(p.session_id),
            enrolment_id: Set(p.enrolment_id),
            status: Set(p.status),
            note: Set(p.note.clone()),
            source: Set(source),
            recorded_by: Set(Some(actor)),
            recorded_at: Set(made_at
                .get(&(p.session_id, p.enrolment_id))
                .copied()
                .unwrap_or(at)),
            ..Default::default()
        });
        changes.push(Change {
            actor: Some(actor),
            action: if before.is_some() {
                "attendance.changed"
            } else {
                "attendance.marked"
            },
            subject_type: "enrolment",
            subject_id: p.enrolment_id.to_string(),
            before: before.and_then(|b| {
                serde_json::to_value(MarkWas {
                    session_id: b.session_id,
                    status: b.status,
                    note: b.note.as_deref(),
                    source: b.source,
                    recorded_by: b.recorded_by,
                })
                .ok()
            }),
            after: serde_json::to_value(MarkNow {
                session_id: p.session_id,
                status: p.status,
                note: p.note.as_deref(),
                source,
            })
            .ok(),
        });
    }
    let saved = Saved {
        changed: rows.len(),
        unchanged: planned.len() - rows.len(),
    };
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(audit::BATCH_ROWS));
        attendance_mark::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .on_conflict(
                OnConflict::columns([
                    attendance_mark::Column::SessionId,
                    attendance_mark::Column::EnrolmentId,
                ])
                .update_columns([
                    attendance_mark::Column::Status,
                    attendance_mark::Column::Note,
                    attendance_mark::Column::Source,
                    attendance_mark::Column::RecordedBy,
                    attendance_mark::Column::RecordedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    audit::record_many(db, changes).await?;
    let touched: Vec<i32> = touched.into_iter().collect();
    risk::warn_newly_at_risk(db, notifier, actor, cohort, &touched).await?;
    Ok(saved)
}

/// Views of the marks of a session that `people` covers, optionally only of some
/// enrolments, by name.
pub async fn session_marks<C: ConnectionTrait>(
    db: &C,
    session: &cohort_session::Model,
    people: &PersonScope,
    only: Option<&[i32]>,
) -> AppResult<Vec<MarkView>> {
    let mut query = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session.id))
        .filter(people.enrolments_of(attendance_mark::Column::EnrolmentId, session.cohort_id));
    if let Some(ids) = only {
        query = query.filter(attendance_mark::Column::EnrolmentId.is_in(ids.to_vec()));
    }
    let marks = query.all(db).await?;
    views(db, marks).await
}

/// Marks → views with the participant's name (two queries).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    marks: Vec<attendance_mark::Model>,
) -> AppResult<Vec<MarkView>> {
    let ids: Vec<i32> = marks.iter().map(|m| m.enrolment_id).collect();
    // The virtual classroom's launches in the sessions' windows (the area records them; the
    // table is read here so attendance does not call it).
    let mut connected: HashMap<(i32, i32), chrono::DateTime<chrono::Utc>> = HashMap::new();
    for launch in crate::entities::lti_launch::Entity::find()
        .filter(
            crate::entities::lti_launch::Column::SessionId
                .is_in(marks.iter().map(|m| m.session_id).collect::<HashSet<_>>()),
        )
        .filter(crate::entities::lti_launch::Column::EnrolmentId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        if let (Some(session), Some(enrolment)) = (launch.session_id, launch.enrolment_id) {
            let first = connected
                .entry((session, enrolment))
                .or_insert(launch.launched_at);
            *first = (*first).min(launch.launched_at);
        }
    }
    let people: HashMap<i32, participant::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::Id.is_in(ids))
        .find_also_related(participant::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, p)| p.map(|p| (e.id, p)))
        .collect();
    let mut out: Vec<MarkView> = marks
        .into_iter()
        .map(|m| {
            let person = people.get(&m.enrolment_id);
            MarkView {
                session_id: m.session_id,
                enrolment_id: m.enrolment_id,
                participant_id: person.map_or(0, |p| p.id),
                full_name: person.map(|p| p.full_name()).unwrap_or_default(),
                status: m.status,
                status_label: m.status.label(),
                note: m.note,
                source: m.source,
                recorded_by: m.recorded_by,
                recorded_at: crate::time::date_time(m.recorded_at),
                connected_at: connected
                    .get(&(m.session_id, m.enrolment_id))
                    .map(|at| crate::time::date_time(*at)),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        crate::text::by_name(&a.full_name, &b.full_name).then(a.enrolment_id.cmp(&b.enrolment_id))
    });
    Ok(out)
}

/// A person who can receive marks in a cohort (enrolled), for attendance forms and sheets.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RosterEntry {
    pub enrolment_id: i32,
    pub participant_id: i32,
    pub full_name: String,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    pub document_number: String,
    pub municipality_code: String,
}

/// Enrolled people of a cohort that `people` covers, by name (one query).
pub async fn enrolled<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &PersonScope,
) -> AppResult<Vec<RosterEntry>> {
    let mut rows: Vec<RosterEntry> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(people.condition())
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]))
        .find_also_related(participant::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, p)| p.map(|p| (e, p)))
        .map(|(e, p)| RosterEntry {
            enrolment_id: e.id,
            participant_id: p.id,
            full_name: p.full_name(),
            document_type: p.document_type.as_str().to_string(),
            document_number: p.document_number.clone(),
            municipality_code: e.municipality_code,
        })
        .collect();
    rows.sort_by(|a, b| {
        crate::text::by_name(&a.full_name, &b.full_name).then(a.enrolment_id.cmp(&b.enrolment_id))
    });
    Ok(rows)
}

/// Names of users (for "recorded by").
pub async fn user_names<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i32>,
) -> AppResult<HashMap<i32, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?)
}

/// A session's marks per enrolment (for the attendance page).
pub async fn marks_by_enrolment<C: ConnectionTrait>(
    db: &C,
    session_id: i32,
) -> AppResult<HashMap<i32, attendance_mark::Model>> {
    Ok(attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.eq(session_id))
        .order_by_asc(attendance_mark::Column::Id)
        .all_mapped(db, |m| (m.enrolment_id, m))
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_read_as_people_type_them() {
        assert_eq!(parse_mark("Presente"), Some(Mark::Presente));
        assert_eq!(parse_mark(" AUSENTE "), Some(Mark::Ausente));
        assert_eq!(parse_mark("t"), Some(Mark::Tarde));
        assert_eq!(parse_mark("Excusada"), Some(Mark::Excusado));
        assert_eq!(parse_mark("quizás"), None);
    }
}
