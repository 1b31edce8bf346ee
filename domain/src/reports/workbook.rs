//! The attendance report as Excel: a summary sheet per municipality (with a chart of
//! attendance and completion), a detail sheet per municipality × cohort and a sheet with one
//! row per participant (enrolment).

use super::coverage::CoverageRow;
use super::differential::Differential;
use super::{AttendanceRow, Filters, NOT_CLOSED, NOT_STARTED, ParticipantRow, by_municipality};
use crate::error::AppResult;
use crate::spreadsheets::{Cell, ChartKind, Column, ExportBook};
use sea_orm::ConnectionTrait;

pub const SUMMARY_SHEET: &str = "Municipios";
pub const DETAIL_SHEET: &str = "Cohortes";
pub const PARTICIPANTS_SHEET: &str = "Participantes";
pub const COL_CODE: &str = "Código DANE";
pub const DIFFERENTIAL_SHEET: &str = "Enfoque diferencial";
/// The file name of the attendance workbook.
/// The stem of the attendance workbook's file name (its place and day follow).
pub const ATTENDANCE_FILE: &str = "informe-asistencia";

/// People per batch read while the workbook is written.
const BATCH: u64 = 2_000;

/// One attendance workbook is built at a time: the others wait their turn before reading
/// anything. A department's book holds its figures and two batches of people in memory while
/// it is written; four at once peaked at 361 MB, and on two cores they finish no sooner side by
/// side than in turn (issue 36).
static TURN: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(1));

/// The attendance workbook for these filters (already resolved for the caller's scope), as the
/// API and the page download it. The figures are read first; the book is built on a blocking
/// thread while the people are read in batches and handed to it as it writes them, at most two
/// batches ahead — so memory does not grow with the department. When the request goes away
/// (the client left), this future is dropped, the batches stop, and the builder finishes at
/// once with what it has; nothing is sent. Answers the file name (scope and day) and the book.
pub async fn attendance_for<C: ConnectionTrait>(
    db: &C,
    filters: &Filters,
    generated_by: &str,
) -> AppResult<(String, Vec<u8>)> {
    let _turn = TURN.acquire().await.map_err(|_| {
        crate::error::AppError::Internal("el turno de los libros no está disponible".into())
    })?;
    let (rows, differential) = super::attendance_with_differential(db, filters).await?;
    let batches = super::participant_batches(db, filters, BATCH).await?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<ParticipantRow>>(2);
    let (described, generated_by) = (filters.describe(db).await?, generated_by.to_string());
    let name = super::named::file_name(ATTENDANCE_FILE, &described, super::named::today());
    let build = crate::blocking::run(move || {
        let people = std::iter::from_fn(move || receiver.blocking_recv()).flatten();
        attendance(&rows, people, &differential, &described, &generated_by)
    });
    let read = async move {
        for batch in &batches {
            let people = super::participants_of_batch(db, filters, batch).await?;
            if sender.send(people).await.is_err() {
                break; // the builder stopped (it failed): its error is the answer
            }
        }
        AppResult::Ok(())
    };
    let (built, read) = tokio::join!(build, read);
    read?;
    Ok((name, built?))
}

pub fn attendance(
    rows: &[AttendanceRow],
    people: impl Iterator<Item = ParticipantRow>,
    differential: &Differential,
    described: &[(String, String)],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new(
        "Informe de asistencia por municipio",
        described,
        generated_by,
    );
    write_summary_sheet(&mut book, rows)?;
    write_detail_sheet(&mut book, rows)?;
    write_participants_sheet(&mut book, people)?;
    write_differential_sheet(&mut book, differential)?;
    book.save_to_buffer()
}

/// The summary sheet: one row per municipality, with a chart of attendance and completion.
fn write_summary_sheet(book: &mut ExportBook, rows: &[AttendanceRow]) -> AppResult<()> {
    let mut sheet = book.sheet(
        SUMMARY_SHEET,
        &[
            Column::code(COL_CODE, 12.0),
            Column::text("Municipio", 28.0),
            Column::code("Código departamento", 13.0),
            Column::text("Departamento", 20.0),
            Column::integer("Cohortes", 10.0),
            Column::integer("Inscritos", 11.0),
            Column::percent("Asistencia", 12.0),
            Column::integer("Completaron", 12.0),
            Column::percent("Completación", 13.0),
            Column::integer("Certificados", 12.0),
        ],
    )?;
    for s in by_municipality(rows) {
        sheet.row(&[
            Cell::Text(s.municipality_code),
            Cell::Text(s.municipality_name),
            Cell::Text(s.department_code),
            Cell::Text(s.department_name),
            Cell::Int(s.cohorts),
            Cell::Int(s.enrolled),
            share(s.attendance_pct, NOT_STARTED),
            Cell::Int(s.completed),
            share(s.completion_pct, NOT_CLOSED),
            Cell::Int(s.certified),
        ])?;
    }
    sheet.add_chart(
        ChartKind::Column,
        "Asistencia y completación por municipio",
        1,
        &[6, 8],
    )?;
    Ok(())
}

/// The detail sheet: one row per municipality × cohort.
fn write_detail_sheet(book: &mut ExportBook, rows: &[AttendanceRow]) -> AppResult<()> {
    let mut sheet = book.sheet(
        DETAIL_SHEET,
        &[
            Column::code(COL_CODE, 12.0),
            Column::text("Municipio", 28.0),
            Column::code("Código departamento", 13.0),
            Column::text("Departamento", 20.0),
            Column::code("Cohorte (id)", 11.0),
            Column::text("Cohorte", 36.0),
            Column::text("Estado", 24.0),
            Column::integer("Inscritos", 11.0),
            Column::integer("Sesiones realizadas", 12.0),
            Column::integer("Sesiones programadas", 12.0),
            Column::percent("Asistencia", 12.0),
            Column::integer("Completaron", 12.0),
            Column::integer("Certificados", 12.0),
        ],
    )?;
    for r in rows {
        sheet.row(&[
            Cell::Text(r.municipality_code.clone()),
            Cell::Text(r.municipality_name.clone()),
            Cell::Text(r.department_code.clone()),
            Cell::Text(r.department_name.clone()),
            Cell::Text(r.cohort_id.to_string()),
            Cell::Text(r.cohort_name.clone()),
            Cell::Text(r.stage().label(r.sessions_held, r.sessions_scheduled)),
            Cell::Int(r.enrolled),
            Cell::Int(r.sessions_held),
            Cell::Int(r.sessions_scheduled),
            share(r.attendance_pct, NOT_STARTED),
            r.completed.map_or(Cell::Text(NOT_CLOSED.into()), Cell::Int),
            Cell::Int(r.certified),
        ])?;
    }
    Ok(())
}

/// The participants sheet: one row per enrolment.
fn write_participants_sheet(
    book: &mut ExportBook,
    people: impl Iterator<Item = ParticipantRow>,
) -> AppResult<()> {
    let mut sheet = book.sheet(
        PARTICIPANTS_SHEET,
        &[
            Column::code(COL_CODE, 12.0),
            Column::text("Municipio", 24.0),
            Column::code("Código departamento", 13.0),
            Column::text("Departamento", 20.0),
            Column::code("Cohorte (id)", 11.0),
            Column::text("Cohorte", 32.0),
            Column::text("Tipo de documento", 10.0),
            Column::code("Número de documento", 16.0),
            Column::text("Nombre", 32.0),
            Column::text("Estado", 14.0),
            Column::integer("Sesiones asistidas", 12.0),
            Column::integer("Sesiones realizadas", 12.0),
            Column::integer("Sesiones programadas", 12.0),
            Column::percent("Asistencia (de las realizadas)", 14.0),
            Column::text("Completó", 11.0),
            Column::code("Certificado vigente", 18.0),
        ],
    )?;
    for p in people {
        let p = &p;
        sheet.row(&[
            Cell::Text(p.municipality_code.clone()),
            Cell::Text(p.municipality_name.clone()),
            Cell::Text(p.department_code.clone()),
            Cell::Text(p.department_name.clone()),
            Cell::Text(p.cohort_id.to_string()),
            Cell::Text(p.cohort_name.clone()),
            Cell::Text(p.document_type.as_str().to_string()),
            Cell::Text(p.document_number.clone()),
            Cell::Text(p.full_name.clone()),
            Cell::Text(p.status_label.to_string()),
            Cell::Int(p.sessions_attended),
            Cell::Int(p.sessions_held),
            Cell::Int(p.sessions_scheduled),
            share(p.attendance.pct(), NOT_STARTED),
            Cell::Text(
                crate::results::Verdict::from_completed(p.completed)
                    .answer()
                    .into(),
            ),
            p.certificate_code.clone().map_or(Cell::Empty, Cell::Text),
        ])?;
    }
    Ok(())
}

/// The differential-approach sheet: counts of consenting people by sex, ethnic group,
/// disability and victim status (small counts hidden).
fn write_differential_sheet(book: &mut ExportBook, differential: &Differential) -> AppResult<()> {
    let mut sheet = book.sheet_with_notes(
        DIFFERENTIAL_SHEET,
        &[format!(
            "Solo personas con consentimiento vigente para datos sensibles; los conteos menores que {} se muestran como «<{}».",
            super::differential::SMALL_CELL,
            super::differential::SMALL_CELL
        )],
        &[
            Column::text("Dimensión", 22.0),
            Column::text("Valor", 26.0),
            Column::integer("Personas", 12.0),
        ],
    )?;
    let mut put = |what: &str, value: &str, count: &super::differential::SafeCount| {
        let cell = match count.count {
            Some(n) => Cell::Int(n),
            None => Cell::Text(count.text()),
        };
        sheet.row(&[what.into(), value.into(), cell])
    };
    put("Total con consentimiento", "", &differential.consenting)?;
    for c in &differential.sex {
        put("Sexo", &c.label, &c.count)?;
    }
    for c in &differential.ethnic_group {
        put("Grupo étnico", &c.label, &c.count)?;
    }
    put("Discapacidad", "Sí", &differential.disability)?;
    put("Víctimas del conflicto", "Sí", &differential.victims)?;
    Ok(())
}

pub const COVERAGE_SHEET: &str = "Cobertura";
/// The file name of the coverage workbook.
/// A percentage as a fraction of one (the column's format shows «80,0 %»), or `missing` as text.
fn share(pct: Option<f64>, missing: &str) -> Cell {
    pct.map_or_else(|| Cell::Text(missing.into()), |p| Cell::Number(p / 100.0))
}

/// The stem of the coverage workbook's file name (its place and day follow).
pub const COVERAGE_FILE: &str = "cobertura-capacidades";

/// The coverage workbook for these filters (already resolved for the caller's scope), as the
/// API and the page download it: read, then built on a blocking thread. Answers the file name
/// (scope and day) and the book.
pub async fn coverage_for<C: ConnectionTrait>(
    db: &C,
    filters: &super::coverage::CoverageFilters,
    generated_by: &str,
) -> AppResult<(String, Vec<u8>)> {
    let rows = super::coverage::coverage(db, filters).await?;
    let (described, generated_by) = (filters.describe(db).await?, generated_by.to_string());
    let name = super::named::file_name(COVERAGE_FILE, &described, super::named::today());
    let book = crate::blocking::run(move || coverage(&rows, &described, &generated_by)).await?;
    Ok((name, book))
}

/// Capacity coverage: one row per municipality and capacity.
pub fn coverage(
    rows: &[CoverageRow],
    filters: &[(String, String)],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new(
        "Cobertura de capacidades municipales",
        filters,
        generated_by,
    );
    {
        let mut sheet = book.sheet(
            COVERAGE_SHEET,
            &[
                Column::code(COL_CODE, 12.0),
                Column::text("Municipio", 28.0),
                Column::code("Código departamento", 13.0),
                Column::text("Departamento", 20.0),
                Column::text("PDET", 7.0),
                Column::text("Categoría", 10.0),
                Column::text("Capacidad", 34.0),
                Column::integer("Personas formadas", 12.0),
                Column::integer("Completaron", 12.0),
                Column::integer("Certificadas", 12.0),
                Column::integer("Certificadas que siguen en la entidad", 16.0),
                Column::integer("Asistencias técnicas", 12.0),
                Column::integer("Asistencias técnicas cerradas", 12.0),
            ],
        )?;
        for r in rows {
            sheet.row(&[
                Cell::Text(r.municipality_code.clone()),
                Cell::Text(r.municipality_name.clone()),
                Cell::Text(r.department_code.clone()),
                Cell::Text(r.department_name.clone()),
                Cell::Text(if r.pdet { "Sí" } else { "No" }.into()),
                r.category.clone().into(),
                Cell::Text(r.capacity_name.clone()),
                Cell::Int(r.participants_trained),
                Cell::Int(r.completed),
                Cell::Int(r.certified),
                Cell::Int(r.still_in_entity),
                Cell::Int(r.assistances),
                Cell::Int(r.assistances_closed),
            ])?;
        }
    }
    book.save_to_buffer()
}
