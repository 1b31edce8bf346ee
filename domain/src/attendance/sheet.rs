//! The offline attendance sheet: a session's (or the whole cohort's) roster as `.xlsx`, one row
//! per person and session with the current mark, a drop-down list in the «Asistencia» column and
//! a free «Nota»; filled without a connection and uploaded back. Uploads follow the import
//! rules: every row is checked first and any bad row refuses the whole file (422 with row,
//! column and a Spanish message); a dry run (the page's preview) lists the changes without
//! saving them. An empty «Asistencia» cell leaves that row as it is.

use super::{NamedEnrolments, Planned, check_cohort_open, parse_mark};
use crate::accounts::actor::Actor;
use crate::entities::values::{Mark, MarkSource};
use crate::entities::{attendance_mark, cohort, cohort_session, municipality};
use crate::error::{AppResult, FieldError};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Rows;
use crate::spreadsheets::{self, Cell, Column, ExportBook, Import, ImportTable};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
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
    format!("{} · {}", crate::format::date_time(s.starts_at), s.topic)
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
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let marks: HashMap<(i32, i32), attendance_mark::Model> = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
        .filter(people.enrolments_of(attendance_mark::Column::EnrolmentId, cohort.id))
        .all_mapped(db, |m| ((m.session_id, m.enrolment_id), m))
        .await?;
    let title = match only_session {
        Some(s) => format!(
            "Planilla de asistencia · {} · {}",
            cohort.name,
            session_label(s)
        ),
        None => format!("Planilla de asistencia · {}", cohort.name),
    };
    // The summary and the matrix (whole cohort only) need the results; read before building.
    let results = match only_session {
        Some(_) => None,
        None => Some(crate::results::compute(db, cohort, people, None).await?),
    };
    let generated_by = generated_by.to_string();
    crate::blocking::run(move || {
        build(
            &title,
            &generated_by,
            &sessions,
            &roster,
            &places,
            &marks,
            results.as_deref(),
        )
    })
    .await
}

/// The workbook from what was read (CPU work: run on a blocking thread).
fn build(
    title: &str,
    generated_by: &str,
    sessions: &[cohort_session::Model],
    roster: &[super::RosterEntry],
    places: &HashMap<String, String>,
    marks: &HashMap<(i32, i32), attendance_mark::Model>,
    results: Option<&[crate::results::ResultRow]>,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new(title, &[], generated_by);
    let notes = vec![
        "Escriba en «Asistencia» presente, tarde, excusado o ausente (o elíjalo de la lista) y, si quiere, una nota. Una fila con «Asistencia» vacía no cambia nada.".to_string(),
        "No cambie las columnas «Sesión» ni «Inscripción»: identifican la sesión y a la persona. Suba el archivo en Aula Territorial para guardar.".to_string(),
    ];
    let columns = [
        Column::code(COL_SESSION, 9.0),
        Column::text(COL_DATE, 24.0),
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
        for session in sessions {
            let date = crate::format::date_time(session.starts_at);
            for person in roster {
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
    if let Some(results) = results {
        let mut sheet = book.sheet(
            "Resumen",
            &[
                Column::text("Nombre", 32.0),
                Column::integer("Sesiones asistidas", 12.0),
                Column::integer("Sesiones realizadas", 12.0),
                Column::integer("Sesiones programadas", 12.0),
                Column::percent("Asistencia (de las realizadas)", 14.0),
                Column::decimal("Nota final", 10.0, 2),
                Column::text("Aprueba", 10.0),
                Column::text("Motivos", 50.0),
            ],
        )?;
        for r in results {
            sheet.row(&[
                Cell::Text(r.full_name.clone()),
                Cell::Int(r.attendance.attended().into()),
                Cell::Int(r.attendance.held().into()),
                Cell::Int(r.attendance.scheduled().into()),
                share(&r.attendance),
                r.final_grade.into(),
                Cell::Text(r.verdict().answer().into()),
                Cell::Text(r.motives()),
            ])?;
        }
        matrix(&mut book, sessions, roster, marks, results)?;
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
        Column::integer("Realizadas", 10.0),
        Column::integer("Programadas", 11.0),
        Column::percent("Asistencia (de las realizadas)", 13.0),
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
                Cell::Int(r.attendance.attended().into()),
                Cell::Int(r.attendance.held().into()),
                Cell::Int(r.attendance.scheduled().into()),
                share(&r.attendance),
                Cell::Text(r.verdict().answer().into()),
            ]),
            None => cells.extend([
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]),
        }
        sheet.row(&cells)?;
    }
    Ok(())
}

/// Attendance as a fraction of one (the column's format shows «60 %»), or «Sin iniciar».
fn share(attendance: &super::basis::Attendance) -> Cell {
    attendance.pct().map_or_else(
        || Cell::Text(super::basis::NOT_STARTED.into()),
        |p| Cell::Number(p / 100.0),
    )
}

/// The participants × sessions sheet of a whole cohort's workbook.
pub const MATRIX_SHEET: &str = "Matriz";

/// One row as uploaded (or sent back by the preview's confirmation).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
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

impl From<&SheetChange> for RawRow {
    /// The row a preview's confirmation sends back for this change.
    fn from(change: &SheetChange) -> Self {
        RawRow {
            row: change.row,
            session: change.session_id.to_string(),
            enrolment: change.enrolment_id.to_string(),
            status: change.status.as_str().to_string(),
            note: change.note.clone().unwrap_or_default(),
        }
    }
}

/// What an upload of marks would change (dry run) or changed.
pub type UploadSummary = spreadsheets::ImportSummary<SheetChange>;

/// Which sheet is uploaded: a cohort's (every session) or one session's (its rows only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetOf {
    Cohort(i32),
    Session(i32),
}

/// An upload of the offline sheet, opened: `user` manages the cohort's attendance. An empty
/// «Asistencia» cell leaves its row as it is; marks saved from it have source `sheet`.
pub struct SheetImport<'a> {
    user: &'a Actor,
    notifier: &'a Notifier<'a>,
    /// A session's sheet takes only that session's rows.
    only_session: Option<i32>,
    cohort: cohort::Model,
}

impl<'a> SheetImport<'a> {
    /// The sheet if `user` manages the cohort's attendance: 404 out of scope, 403 read-only.
    pub async fn open<C: ConnectionTrait>(
        db: &C,
        user: &'a Actor,
        notifier: &'a Notifier<'a>,
        sheet: SheetOf,
    ) -> AppResult<Self> {
        let (cohort_id, only_session) = match sheet {
            SheetOf::Cohort(id) => (id, None),
            SheetOf::Session(id) => {
                let session = crate::cohorts::sessions::find(db, id).await?;
                (session.cohort_id, Some(id))
            }
        };
        let cohort = super::managed_cohort(db, user, cohort_id).await?;
        Ok(SheetImport {
            user,
            notifier,
            only_session,
            cohort,
        })
    }

    pub fn cohort(&self) -> &cohort::Model {
        &self.cohort
    }
}

impl Import for SheetImport<'_> {
    type Row = RawRow;
    type Plan = UploadSummary;
    type Summary = UploadSummary;

    const HEADERS: &'static [&'static str] = &[COL_SESSION, COL_ENROLMENT, COL_STATUS];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        let cohort = crate::cohorts::lock(db, self.cohort.id).await?;
        Ok(SheetImport { cohort, ..*self })
    }

    async fn rows(&self, _db: &impl ConnectionTrait, table: ImportTable) -> AppResult<Vec<RawRow>> {
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

    async fn plan(&self, db: &impl ConnectionTrait, rows: Vec<RawRow>) -> AppResult<UploadSummary> {
        check(
            db,
            &PersonScope::of(self.user),
            &self.cohort,
            self.only_session,
            &rows,
        )
        .await
    }

    fn preview(&self, plan: UploadSummary) -> UploadSummary {
        plan
    }

    async fn save(
        &self,
        db: &impl ConnectionTrait,
        plan: UploadSummary,
    ) -> AppResult<UploadSummary> {
        let planned: Vec<Planned> = plan.changes.iter().map(Planned::from).collect();
        let (actor, source) = (self.user.id, MarkSource::Sheet);
        super::save_marks(db, self.notifier, actor, &self.cohort, &planned, source).await?;
        Ok(plan.saved())
    }
}

impl From<&SheetChange> for Planned {
    fn from(change: &SheetChange) -> Self {
        Planned {
            session_id: change.session_id,
            enrolment_id: change.enrolment_id,
            status: change.status,
            note: change.note.clone(),
        }
    }
}

/// Checks every row (all problems at once) and returns the changes against what is recorded.
async fn check<C: ConnectionTrait>(
    db: &C,
    people: &PersonScope,
    cohort: &cohort::Model,
    only_session: Option<i32>,
    rows: &[RawRow],
) -> AppResult<UploadSummary> {
    check_cohort_open(cohort)?;
    let sessions: HashMap<i32, cohort_session::Model> =
        crate::cohorts::sessions::list(db, cohort.id)
            .await?
            .into_iter()
            .filter(|s| only_session.is_none_or(|id| s.id == id))
            .map(|s| (s.id, s))
            .collect();
    let enrolments =
        NamedEnrolments::typed(db, people, rows.iter().map(|r| r.enrolment.as_str())).await?;
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
        let enrolment_id = enrolments
            .check_typed(raw.row, &raw.enrolment, cohort.id, "marcas de asistencia")
            .map_err(|problem| errors.push(problem))
            .ok();
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
    let planned = spreadsheets::all_or_nothing(
        errors,
        planned,
        "El archivo no tiene ninguna fila con la asistencia escrita.",
    )?;
    let session_ids: Vec<i32> = sessions.keys().copied().collect();
    let current = super::existing_marks(db, &session_ids, enrolments.ids()).await?;
    Ok(UploadSummary::preview(planned, |(row, p)| {
        let before = current.get(&(p.session_id, p.enrolment_id));
        if before.is_some_and(|b| b.status == p.status && b.note == p.note) {
            return None;
        }
        Some(SheetChange {
            row,
            session_id: p.session_id,
            session: sessions
                .get(&p.session_id)
                .map(session_label)
                .unwrap_or_default(),
            enrolment_id: p.enrolment_id,
            full_name: enrolments.full_name(p.enrolment_id),
            before: before.map(|b| b.status),
            before_label: before.map(|b| b.status.label()),
            before_note: before.and_then(|b| b.note.clone()),
            status: p.status,
            status_label: p.status.label(),
            note: p.note,
        })
    }))
}
