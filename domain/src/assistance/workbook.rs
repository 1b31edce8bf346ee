//! Technical assistance as workbooks (issue 33): the list of a scope's assistances
//! («Asistencias»), and one assistance's whole record («Plan», «Hitos», «Visitas»,
//! «Compromisos», «Productos»). Built on a blocking thread.

use super::AssistanceView;
use super::visits::VisitView;
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook};

pub const LIST_FILE: &str = "asistencias-tecnicas.xlsx";

/// The file name of one assistance's record.
pub fn record_file(id: i32) -> String {
    format!("asistencia-tecnica-{id}.xlsx")
}

fn capacities(a: &AssistanceView) -> String {
    a.capacities
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The assistances of a list, one row each.
pub async fn list(
    rows: Vec<AssistanceView>,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let generated_by = generated_by.to_string();
    crate::blocking::run(move || {
        let mut book = ExportBook::new("Asistencias técnicas", &filters, &generated_by);
        {
            let mut sheet = book.sheet(
                "Asistencias",
                &[
                    Column::integer("Asistencia", 9.0),
                    Column::code("Código DANE", 10.0),
                    Column::text("Municipio", 22.0),
                    Column::text("Departamento", 18.0),
                    Column::text("Entidad", 22.0),
                    Column::text("Oferente", 28.0),
                    Column::text("Capacidades", 30.0),
                    Column::text("Objetivo", 40.0),
                    Column::date("Inicio", 12.0),
                    Column::date("Fin", 12.0),
                    Column::text("Modalidad", 11.0),
                    Column::text("Estado", 11.0),
                    Column::integer("Visitas", 8.0),
                    Column::integer("Hitos cumplidos", 9.0),
                    Column::integer("Hitos", 8.0),
                    Column::integer("Hitos vencidos", 9.0),
                    Column::text("Objetivo alcanzado", 10.0),
                    Column::integer("Utilidad (1 a 5)", 9.0),
                ],
            )?;
            for a in &rows {
                sheet.row(&[
                    Cell::Int(i64::from(a.id)),
                    Cell::Text(a.municipality_code.clone().unwrap_or_default()),
                    Cell::Text(a.municipality_name.clone().unwrap_or_default()),
                    Cell::Text(a.department_name.clone()),
                    Cell::Text(a.entity_label.to_string()),
                    Cell::Text(a.provider.name.clone()),
                    Cell::Text(capacities(a)),
                    Cell::Text(a.objective.clone()),
                    Cell::Date(a.starts_on),
                    Cell::Date(a.ends_on),
                    Cell::Text(a.modality.label().to_string()),
                    Cell::Text(a.status_label.to_string()),
                    Cell::Int(a.visits as i64),
                    Cell::Int(a.milestones.iter().filter(|m| m.done_on.is_some()).count() as i64),
                    Cell::Int(a.milestones.len() as i64),
                    Cell::Int(a.milestones.iter().filter(|m| m.overdue).count() as i64),
                    match a.objective_reached {
                        Some(true) => Cell::Text("Sí".into()),
                        Some(false) => Cell::Text("No".into()),
                        None => Cell::Empty,
                    },
                    a.evaluation
                        .as_ref()
                        .map_or(Cell::Empty, |e| Cell::Int(i64::from(e.usefulness))),
                ])?;
            }
        }
        book.save_to_buffer()
    })
    .await
}

/// One assistance's whole record.
pub async fn record(
    assistance: AssistanceView,
    visits: Vec<VisitView>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let generated_by = generated_by.to_string();
    crate::blocking::run(move || {
        let filters = vec![(
            "Asistencia".to_string(),
            format!(
                "{} de {} · {}",
                assistance.entity_label, assistance.place_name, assistance.provider.name
            ),
        )];
        let mut book = ExportBook::new("Asistencia técnica", &filters, &generated_by);
        plan_sheet(&mut book, &assistance)?;
        milestones_sheet(&mut book, &assistance)?;
        visits_sheet(&mut book, &visits)?;
        agreements_sheet(&mut book, &visits)?;
        products_sheet(&mut book, &visits)?;
        book.save_to_buffer()
    })
    .await
}

/// The plan sheet: what the assistance is, one fact a row.
fn plan_sheet(book: &mut ExportBook, assistance: &AssistanceView) -> AppResult<()> {
    let mut sheet = book.sheet(
        "Plan",
        &[Column::text("Dato", 24.0), Column::text("Valor", 80.0)],
    )?;
    let facts = [
        match &assistance.municipality_code {
            Some(code) => ("Municipio", format!("{} ({code})", assistance.place_name)),
            None => (
                "Departamento",
                format!(
                    "{} ({})",
                    assistance.department_name, assistance.department_code
                ),
            ),
        },
        ("Entidad", assistance.entity_label.to_string()),
        ("Oferente", assistance.provider.name.clone()),
        ("Capacidades", capacities(assistance)),
        ("Objetivo", assistance.objective.clone()),
        ("Inicio", crate::format::date(assistance.starts_on)),
        ("Fin", crate::format::date(assistance.ends_on)),
        ("Modalidad", assistance.modality.label().to_string()),
        ("Estado", assistance.status_label.to_string()),
        (
            "Equipo",
            assistance
                .staff
                .iter()
                .map(|s| s.full_name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Resumen de cierre",
            assistance.closing_summary.clone().unwrap_or_default(),
        ),
        (
            "Evaluación de la entidad",
            assistance
                .evaluation
                .as_ref()
                .map(|e| {
                    format!(
                        "{} de 5. {}",
                        e.usefulness,
                        e.comment.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        ),
    ];
    for (what, value) in facts {
        sheet.row(&[Cell::Text(what.to_string()), Cell::Text(value)])?;
    }
    Ok(())
}

/// The milestones sheet.
fn milestones_sheet(book: &mut ExportBook, assistance: &AssistanceView) -> AppResult<()> {
    let mut sheet = book.sheet(
        "Hitos",
        &[
            Column::text("Hito", 40.0),
            Column::date("Vence", 12.0),
            Column::date("Cumplido", 12.0),
            Column::text("Vencido", 9.0),
        ],
    )?;
    for m in &assistance.milestones {
        sheet.row(&[
            Cell::Text(m.title.clone()),
            Cell::Date(m.due_on),
            m.done_on.map_or(Cell::Empty, Cell::Date),
            Cell::Text(if m.overdue { "Sí" } else { "No" }.into()),
        ])?;
    }
    Ok(())
}

/// The visits sheet: one row a visit, its attendees in one cell.
fn visits_sheet(book: &mut ExportBook, visits: &[VisitView]) -> AppResult<()> {
    let mut sheet = book.sheet(
        "Visitas",
        &[
            Column::date("Fecha", 12.0),
            Column::text("Modalidad", 11.0),
            Column::decimal("Horas", 8.0, 1),
            Column::text("Temas", 50.0),
            Column::text("Asistentes", 50.0),
        ],
    )?;
    for v in visits {
        sheet.row(&[
            Cell::Date(v.date),
            Cell::Text(v.modality.label().to_string()),
            Cell::Number(v.hours),
            Cell::Text(v.topics.clone()),
            Cell::Text(
                v.attendees
                    .iter()
                    .map(|a| match &a.position {
                        Some(p) => format!("{} ({p})", a.full_name),
                        None => a.full_name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ])?;
    }
    Ok(())
}

/// The agreements sheet: every agreement of every visit with its state.
fn agreements_sheet(book: &mut ExportBook, visits: &[VisitView]) -> AppResult<()> {
    let mut sheet = book.sheet(
        "Compromisos",
        &[
            Column::date("Visita", 12.0),
            Column::text("Compromiso", 50.0),
            Column::text("Responsable", 26.0),
            Column::date("Vence", 12.0),
            Column::text("Estado", 12.0),
            Column::date("Cumplido", 12.0),
            Column::text("Nota o motivo", 40.0),
            Column::text("Vencido", 9.0),
        ],
    )?;
    for v in visits {
        for a in &v.agreements {
            sheet.row(&[
                Cell::Date(v.date),
                Cell::Text(a.text.clone()),
                Cell::Text(a.owner.clone()),
                Cell::Date(a.due_on),
                Cell::Text(a.status_label.to_string()),
                a.done_on.map_or(Cell::Empty, Cell::Date),
                Cell::Text(a.note.clone().or(a.reason.clone()).unwrap_or_default()),
                Cell::Text(if a.overdue { "Sí" } else { "No" }.into()),
            ])?;
        }
    }
    Ok(())
}

/// The products sheet: every product handed over at a visit.
fn products_sheet(book: &mut ExportBook, visits: &[VisitView]) -> AppResult<()> {
    let mut sheet = book.sheet(
        "Productos",
        &[
            Column::date("Visita", 12.0),
            Column::text("Producto", 50.0),
            Column::text("Tipo", 14.0),
        ],
    )?;
    for v in visits {
        for p in &v.products {
            sheet.row(&[
                Cell::Date(v.date),
                Cell::Text(p.title.clone()),
                Cell::Text(p.kind_label.to_string()),
            ])?;
        }
    }
    Ok(())
}
