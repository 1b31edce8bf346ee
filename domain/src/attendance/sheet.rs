//! The offline attendance sheet: a session's (or the whole cohort's) roster as `.xlsx`, one row
//! per person and session with the current mark, a drop-down list in the «Asistencia» column and
//! a free «Nota»; filled without a connection and uploaded back. Uploads follow the import
//! rules: every row is checked first and any bad row refuses the whole file (422 with row,
//! column and a Spanish message); a dry run (the page's preview) lists the changes without
//! saving them. An empty «Asistencia» cell leaves that row as it is.

use super::{Planned, check_cohort_open, enrolment_problem, parse_mark};
use crate::entities::values::Mark;
use crate::entities::{
    attendance_mark, cohort, cohort_session, enrolment, municipality, participant,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::people::scope::PersonScope;
use crate::spreadsheets::{self, Cell, Column, ExportBook};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub const COL_SESSION: &str = "Sesión";
pub const COL_DATE: &str = "Fecha y hora";
pub const COL_TOPIC: &str = "Tema";
pub const COL_ENROLMENT: &str = "Inscripción";
pub const COL_DOCUMENT_TYPE: &str = "Tipo de documento";
pub const COL_DOCUMENT: &str = "Número de documento";
pub const COL_NAME: &str = "Nombre";
pub const COL_MUNICIPALITY: &str = "Municipio";
pub const COL_STATUS: &str = "Asistencia";
pub const COL_NOTE: &str = "Nota";

pub const MARK_VALUES: [&str; 4] = ["presente", "tarde", "excusado", "ausente"];

fn session_label(s: &cohort_session::Model) -> String {
    format!(
        "{} · {}",
        crate::time::local(s.starts_at).format("%Y-%m-%d %H:%M"),
        s.topic
    )
}

/// The sheet of a cohort (every session) or of one session, with a «Resumen» of results for
/// the whole cohort: only the people `people` covers.
pub async fn workbook<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    only_session: Option<&cohort_session::Model>,
    people: &PersonScope,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let sessions = match only_session {
        Some(s) => vec![s.clone()],
        None => crate::cohorts::sessions::list(db, cohort.id).await?,
    };
    let roster = super::enrolled(db, cohort.id, people).await?;
    let codes: Vec<String> = roster.iter().map(|r| r.municipality_code.clone()).collect();
    let places: HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect();
    let marks: HashMap<(i32, i32), attendance_mark::Model> = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .filter(people.enrolments_of(attendance_mark::Column::EnrolmentId, cohort.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ((m.session_id, m.enrolment_id), m))
        .collect();
    let title = match only_session {
        Some(s) => format!(
            "Planilla de asistencia · {} · {}",
            cohort.name,
            session_label(s)
        ),
        None => format!("Planilla de asistencia · {}", cohort.name),
    };
    let mut book = ExportBook::new(&title, &[], generated_by);
    let notes = vec![
        "Escriba en «Asistencia» presente, tarde, excusado o ausente (o elíjalo de la lista) y, si quiere, una nota. Una fila con «Asistencia» vacía no cambia nada.".to_string(),
        "No cambie las columnas «Sesión» ni «Inscripción»: identifican la sesión y a la persona. Suba el archivo en Aula Territorial para guardar.".to_string(),
    ];
    let columns = [
        Column::code(COL_SESSION, 9.0),
        Column::text(COL_DATE, 17.0),
        Column::text(COL_TOPIC, 30.0),
        Column::code(COL_ENROLMENT, 12.0),
        Column::text(COL_DOCUMENT_TYPE, 10.0),
        Column::code(COL_DOCUMENT, 16.0),
        Column::text(COL_NAME, 32.0),
        Column::text(COL_MUNICIPALITY, 22.0),
        Column::text(COL_STATUS, 14.0),
        Column::text(COL_NOTE, 36.0),
    ];
    {
        let mut sheet = book.sheet_with_notes("Asistencia", &notes, &columns)?;
        for session in &sessions {
            let date = crate::time::local(session.starts_at)
                .format("%Y-%m-%d %H:%M")
                .to_string();
            for person in &roster {
                let mark = marks.get(&(session.id, person.enrolment_id));
                sheet.row(&[
                    Cell::Text(session.id.to_string()),
                    Cell::Text(date.clone()),
                    Cell::Text(session.topic.clone()),
                    Cell::Text(person.enrolment_id.to_string()),
                    Cell::Text(person.document_type.clone()),
                    Cell::Text(person.document_number.clone()),
                    Cell::Text(person.full_name.clone()),
                    places.get(&person.municipality_code).into(),
                    mark.map(|m| m.status.as_str()).into(),
                    mark.and_then(|m| m.note.as_ref()).into(),
                ])?;
            }
        }
        sheet.add_list_validation(8, &MARK_VALUES)?;
    }
    if only_session.is_none() {
        let results = crate::results::compute(db, cohort, people, None).await?;
        let mut sheet = book.sheet(
            "Resumen",
            &[
                Column::text("Nombre", 32.0),
                Column::integer("Sesiones programadas", 12.0),
                Column::integer("Sesiones asistidas", 12.0),
                Column::percent("Asistencia", 12.0),
                Column::decimal("Nota final", 10.0, 2),
                Column::text("Aprueba", 10.0),
                Column::text("Motivos", 50.0),
            ],
        )?;
        for r in &results {
            sheet.row(&[
                Cell::Text(r.full_name.clone()),
                Cell::Int(r.sessions_total.into()),
                Cell::Int(r.sessions_attended.into()),
                Cell::Number(r.attendance_pct / 100.0),
                r.final_grade.into(),
                Cell::Text(if r.completed { "Sí" } else { "No" }.into()),
                Cell::Text(r.reasons.join("; ")),
            ])?;
        }
        drop(sheet);
        matrix(&mut book, &sessions, &roster, &marks, &results)?;
    }
    book.save_to_buffer()
}

/// Participants × sessions: each mark, totals, percentage and who may receive a certificate.
fn matrix(
    book: &mut ExportBook,
    sessions: &[cohort_session::Model],
    roster: &[super::RosterEntry],
    marks: &HashMap<(i32, i32), attendance_mark::Model>,
    results: &[crate::results::ResultRow],
) -> AppResult<()> {
    let by_enrolment: HashMap<i32, &crate::results::ResultRow> =
        results.iter().map(|r| (r.enrolment_id, r)).collect();
    let mut columns = vec![
        Column::text(COL_DOCUMENT_TYPE, 10.0),
        Column::code(COL_DOCUMENT, 16.0),
        Column::text(COL_NAME, 32.0),
        Column::code("Código DANE", 12.0),
    ];
    for (n, session) in sessions.iter().enumerate() {
        columns.push(Column::text(
            format!(
                "S{} {}",
                n + 1,
                crate::time::local(session.starts_at).format("%d/%m")
            ),
            11.0,
        ));
    }
    columns.extend([
        Column::integer("Asistidas", 10.0),
        Column::integer("Programadas", 11.0),
        Column::percent("Asistencia", 11.0),
        Column::text("Elegible para certificado", 14.0),
    ]);
    let mut sheet = book.sheet(MATRIX_SHEET, &columns)?;
    for person in roster {
        let mut cells = vec![
            Cell::Text(person.document_type.clone()),
            Cell::Text(person.document_number.clone()),
            Cell::Text(person.full_name.clone()),
            Cell::Text(person.municipality_code.clone()),
        ];
        for session in sessions {
            cells.push(
                marks
                    .get(&(session.id, person.enrolment_id))
                    .map(|m| m.status.as_str())
                    .into(),
            );
        }
        match by_enrolment.get(&person.enrolment_id) {
            Some(r) => cells.extend([
                Cell::Int(r.sessions_attended.into()),
                Cell::Int(r.sessions_total.into()),
                Cell::Number(r.attendance_pct / 100.0),
                Cell::Text(
                    if r.eligible_for_certificate {
                        "Sí"
                    } else {
                        "No"
                    }
                    .into(),
                ),
            ]),
            None => cells.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]),
        }
        sheet.row(&cells)?;
    }
    Ok(())
}

/// The participants × sessions sheet of a whole cohort's workbook.
pub const MATRIX_SHEET: &str = "Matriz";

/// One row as uploaded (or re-sent by the preview's confirmation form).
#[derive(Clone, Debug, Default)]
pub struct RawRow {
    pub row: usize,
    pub session: String,
    pub enrolment: String,
    pub status: String,
    pub note: String,
}

/// A row that changes a mark, for the preview and the result.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceChange)]
pub struct SheetChange {
    pub row: usize,
    pub session_id: i32,
    pub session: String,
    pub enrolment_id: i32,
    pub full_name: String,
    pub before: Option<Mark>,
    pub before_label: Option<&'static str>,
    pub before_note: Option<String>,
    pub status: Mark,
    pub status_label: &'static str,
    pub note: Option<String>,
}

/// What an upload of marks would change (dry run) or changed.
pub type UploadSummary = spreadsheets::ImportSummary<SheetChange>;

/// The rows of an uploaded sheet, parsed on a blocking thread (call it before opening the
/// transaction that writes them).
pub async fn read(bytes: Vec<u8>, filename: String) -> AppResult<Vec<RawRow>> {
    let table = spreadsheets::parse_upload(
        bytes,
        filename,
        vec![
            spreadsheets::normalize_header(COL_SESSION),
            spreadsheets::normalize_header(COL_ENROLMENT),
            spreadsheets::normalize_header(COL_STATUS),
        ],
    )
    .await?;
    let [session, enrolment, status, note] =
        [COL_SESSION, COL_ENROLMENT, COL_STATUS, COL_NOTE].map(spreadsheets::normalize_header);
    Ok(table
        .rows
        .iter()
        .map(|row| RawRow {
            row: row.number,
            session: row.get(&session).to_string(),
            enrolment: row.get(&enrolment).to_string(),
            status: row.get(&status).to_string(),
            note: row.get(&note).to_string(),
        })
        .collect())
}

/// Checks every row (all problems at once) and returns the changes against what is recorded.
pub async fn plan<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    only_session: Option<i32>,
    rows: &[RawRow],
) -> AppResult<(Vec<SheetChange>, usize)> {
    check_cohort_open(cohort)?;
    let sessions: HashMap<i32, cohort_session::Model> =
        crate::cohorts::sessions::list(db, cohort.id)
            .await?
            .into_iter()
            .filter(|s| only_session.is_none_or(|id| s.id == id))
            .map(|s| (s.id, s))
            .collect();
    let ids: Vec<i32> = rows
        .iter()
        .filter_map(|r| r.enrolment.trim().parse().ok())
        .collect::<HashSet<i32>>()
        .into_iter()
        .collect();
    let enrolments: HashMap<i32, (enrolment::Model, Option<participant::Model>)> =
        enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(ids.clone()))
            .find_also_related(participant::Entity)
            .all(db)
            .await?
            .into_iter()
            .map(|(e, p)| (e.id, (e, p)))
            .collect();
    let now = crate::time::now();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut planned: Vec<(usize, Planned)> = Vec::new();
    let error = |row: usize, field: &str, message: String| FieldError {
        row: Some(row),
        field: field.to_string(),
        message,
    };
    for raw in rows {
        if raw.status.trim().is_empty() {
            continue;
        }
        let status = parse_mark(&raw.status);
        if status.is_none() {
            errors.push(error(
                raw.row,
                COL_STATUS,
                format!(
                    "«{}» no es una asistencia válida: escriba presente, tarde, excusado o ausente.",
                    raw.status.trim()
                ),
            ));
        }
        let note = crate::validate::multi_line(COL_NOTE, &raw.note, super::MAX_NOTE_CHARS);
        if let Err(problem) = &note {
            errors.push(error(raw.row, COL_NOTE, problem.message.clone()));
        }
        let note = note.ok().flatten();
        let session = match raw
            .session
            .trim()
            .parse::<i32>()
            .ok()
            .and_then(|id| sessions.get(&id))
        {
            Some(s) if s.starts_at > now => {
                errors.push(error(
                    raw.row,
                    COL_SESSION,
                    format!(
                        "La sesión {} aún no ha empezado: no se puede registrar su asistencia.",
                        session_label(s)
                    ),
                ));
                None
            }
            Some(s) => Some(s),
            None => {
                errors.push(error(
                    raw.row,
                    COL_SESSION,
                    if only_session.is_some() {
                        format!(
                            "«{}» no es la sesión de esta planilla: no cambie la columna «{COL_SESSION}».",
                            raw.session.trim()
                        )
                    } else {
                        format!(
                            "«{}» no es una sesión de esta cohorte: no cambie la columna «{COL_SESSION}».",
                            raw.session.trim()
                        )
                    },
                ));
                None
            }
        };
        let enrolment_id = match raw.enrolment.trim().parse::<i32>() {
            Ok(id) => match enrolment_problem(
                enrolments.get(&id).map(|(e, _)| e),
                cohort.id,
                id,
                "marcas de asistencia",
            ) {
                Some(problem) => {
                    errors.push(error(raw.row, COL_ENROLMENT, problem));
                    None
                }
                None => Some(id),
            },
            Err(_) => {
                errors.push(error(
                    raw.row,
                    COL_ENROLMENT,
                    format!(
                        "«{}» no es un número de inscripción: no cambie la columna «{COL_ENROLMENT}».",
                        raw.enrolment.trim()
                    ),
                ));
                None
            }
        };
        let (Some(session), Some(enrolment_id), Some(status)) = (session, enrolment_id, status)
        else {
            continue;
        };
        if !seen.insert((session.id, enrolment_id)) {
            errors.push(error(
                raw.row,
                COL_ENROLMENT,
                "Esta persona aparece dos veces para la misma sesión.".to_string(),
            ));
            continue;
        }
        planned.push((
            raw.row,
            Planned {
                session_id: session.id,
                enrolment_id,
                status,
                note,
            },
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if planned.is_empty() {
        return Err(AppError::invalid(
            "file",
            "El archivo no tiene ninguna fila con la asistencia escrita.",
        ));
    }
    let session_ids: Vec<i32> = sessions.keys().copied().collect();
    let current = super::existing_marks(db, &session_ids, &ids).await?;
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (row, p) in planned {
        let before = current.get(&(p.session_id, p.enrolment_id));
        if before.is_some_and(|b| b.status == p.status && b.note == p.note) {
            unchanged += 1;
            continue;
        }
        let full_name = enrolments
            .get(&p.enrolment_id)
            .and_then(|(_, person)| person.as_ref())
            .map(|person| person.full_name())
            .unwrap_or_default();
        changes.push(SheetChange {
            row,
            session_id: p.session_id,
            session: sessions
                .get(&p.session_id)
                .map(session_label)
                .unwrap_or_default(),
            enrolment_id: p.enrolment_id,
            full_name,
            before: before.map(|b| b.status),
            before_label: before.map(|b| b.status.label()),
            before_note: before.and_then(|b| b.note.clone()),
            status: p.status,
            status_label: p.status.label(),
            note: p.note,
        });
    }
    Ok((changes, unchanged))
}

/// Checks an upload and, unless `dry_run`, saves its changes (one transaction: the caller's).
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
    only_session: Option<i32>,
    rows: &[RawRow],
    dry_run: bool,
) -> AppResult<UploadSummary> {
    if !dry_run {
        crate::cohorts::lock(db, cohort.id).await?;
    }
    let (changes, unchanged) = plan(db, cohort, only_session, rows).await?;
    if !dry_run {
        let planned: Vec<Planned> = changes
            .iter()
            .map(|c| Planned {
                session_id: c.session_id,
                enrolment_id: c.enrolment_id,
                status: c.status,
                note: c.note.clone(),
            })
            .collect();
        super::save_marks(
            db,
            notifier,
            actor,
            cohort,
            &planned,
            crate::entities::values::MarkSource::Sheet,
        )
        .await?;
    }
    Ok(UploadSummary {
        dry_run,
        changes,
        unchanged,
    })
}
