//! An edition's progress as a workbook (issue 64): the rows of [`progress::for_actor`] — a
//! reviewer's only her department's people — one person a row, with each module's state,
//! attendance (the one basis, as a sentence) and grade, the modules completed against the
//! modules the rule asks, and where she stands in the programme. No document numbers (the
//! reviewers' workbooks never carry them). Built on a blocking thread.

use super::progress::{self, PersonProgress};
use super::{ModuleView, ProgrammeView};
use crate::accounts::actor::Actor;
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook};
use sea_orm::ConnectionTrait;

/// The file name of an edition's progress workbook.
pub fn file_name(edition_id: i32) -> String {
    format!("avance-edicion-{edition_id}.xlsx")
}

/// The progress of edition `edition_id` as `actor` reads it ([`progress::for_actor`]), as a
/// workbook: its file name and bytes.
pub async fn for_actor<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<(String, Vec<u8>)> {
    let (edition, people) = progress::for_actor(db, actor, edition_id).await?;
    let filters = vec![
        ("Programa".to_string(), edition.programme.name.clone()),
        ("Edición".to_string(), edition.row.name.clone()),
    ];
    let bytes = build(edition.programme.clone(), people, filters, &actor.full_name).await?;
    Ok((file_name(edition_id), bytes))
}

/// The columns: the person, then three per module (state, attendance, grade), then the
/// programme's count and state.
fn columns(modules: &[ModuleView]) -> Vec<Column> {
    let mut columns = vec![
        Column::text("Nombre", 30.0),
        Column::code("Código DANE", 10.0),
        Column::text("Municipio", 22.0),
    ];
    for module in modules {
        let kind = if module.required { "" } else { " (electivo)" };
        columns.push(Column::text(
            format!("{}. {}{kind}: estado", module.order, module.course_name),
            14.0,
        ));
        columns.push(Column::text(
            format!("{}. {}: asistencia", module.order, module.course_name),
            34.0,
        ));
        columns.push(Column::decimal(
            format!("{}. {}: nota", module.order, module.course_name),
            8.0,
            1,
        ));
    }
    columns.extend([
        Column::integer("Módulos completados", 11.0),
        Column::integer("Módulos requeridos", 11.0),
        Column::text("Estado en el programa", 16.0),
        Column::text("En riesgo", 9.0),
    ]);
    columns
}

/// One person's row, her modules in the programme's order.
fn row(programme: &ProgrammeView, person: &PersonProgress) -> Vec<Cell> {
    let mut cells = vec![
        Cell::Text(person.full_name.clone()),
        Cell::Text(person.municipality_code.clone()),
        Cell::Text(person.municipality_name.clone()),
    ];
    for module in &programme.modules {
        match person
            .modules
            .iter()
            .find(|m| m.course_id == module.course_id)
        {
            Some(m) => {
                cells.push(Cell::Text(m.status_label.to_string()));
                cells.push(m.attendance_text.clone().map_or(Cell::Empty, Cell::Text));
                cells.push(m.grade.map_or(Cell::Empty, Cell::Number));
            }
            None => cells.extend([Cell::Empty, Cell::Empty, Cell::Empty]),
        }
    }
    cells.extend([
        Cell::Int(person.completed_modules as i64),
        Cell::Int(person.required_modules as i64),
        Cell::Text(person.status_label.to_string()),
        Cell::Text(if person.at_risk { "Sí" } else { "No" }.to_string()),
    ]);
    cells
}

/// The workbook of `people` in `programme`'s edition (sheet «Avance»).
pub async fn build(
    programme: ProgrammeView,
    people: Vec<PersonProgress>,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let generated_by = generated_by.to_string();
    crate::blocking::run(move || {
        let title = format!("Avance por módulo · {}", programme.name);
        let mut book = ExportBook::new(&title, &filters, &generated_by);
        {
            let mut sheet = book.sheet("Avance", &columns(&programme.modules))?;
            for person in &people {
                sheet.row(&row(&programme, person))?;
            }
        }
        book.save_to_buffer()
    })
    .await
}
