//! The satisfaction report as a workbook: «Resumen», the breakdown, «Seguimiento», and for
//! coordinators «Instructores» and a cohort's «Comentarios». Only what the report holds — no
//! person, enrolment or time of any answer.

use super::reports::SatisfactionReport;
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook};

pub const FILE: &str = "satisfaccion.xlsx";

fn opt(value: Option<f64>) -> Cell {
    value.map_or(Cell::Empty, Cell::Number)
}

/// The workbook (built on a blocking thread).
pub async fn satisfaction(
    report: &SatisfactionReport,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let (report, generated_by) = (report.clone(), generated_by.to_string());
    crate::blocking::run(move || build(&report, &filters, &generated_by)).await
}

fn build(
    report: &SatisfactionReport,
    filters: &[(String, String)],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new("Satisfacción de los participantes", filters, generated_by);
    {
        let mut sheet = book.sheet(
            "Resumen",
            &[
                Column::text("Dimensión", 28.0),
                Column::decimal("Promedio (1 a 5)", 14.0, 2),
                Column::integer("Respuestas", 12.0),
            ],
        )?;
        for item in &report.items {
            sheet.row(&[
                Cell::Text(item.label.clone()),
                opt(item.mean),
                Cell::Int(item.n),
            ])?;
        }
        sheet.row(&[
            Cell::Text("Encuestas enviadas".into()),
            Cell::Empty,
            Cell::Int(report.invited),
        ])?;
        sheet.row(&[
            Cell::Text("Encuestas respondidas".into()),
            Cell::Empty,
            Cell::Int(report.responded),
        ])?;
    }
    {
        let mut columns = vec![
            Column::text(report.by.label(), 34.0),
            Column::integer("Enviadas", 10.0),
            Column::integer("Respondidas", 11.0),
            Column::percent("Tasa de respuesta", 11.0),
        ];
        for (_, label, _) in super::DIMENSIONS {
            columns.push(Column::decimal(label, 11.0, 2));
        }
        columns.push(Column::decimal("General", 10.0, 2));
        columns.push(Column::integer("Seguimiento: respuestas", 12.0));
        columns.push(Column::percent("Aplicó lo aprendido", 12.0));
        let mut sheet = book.sheet(
            &format!("Por {}", report.by.label().to_lowercase()),
            &columns,
        )?;
        for g in &report.groups {
            let mut cells = vec![
                Cell::Text(g.label.clone()),
                Cell::Int(g.invited),
                Cell::Int(g.responded),
                opt(g.response_rate),
            ];
            cells.extend(g.means.iter().map(|m| opt(*m)));
            cells.push(opt(g.overall));
            cells.push(Cell::Int(g.follow_up_responded));
            cells.push(opt(g.applied_share));
            sheet.row(&cells)?;
        }
    }
    {
        let mut sheet = book.sheet(
            "Seguimiento",
            &[
                Column::text("¿Ha aplicado lo aprendido?", 28.0),
                Column::integer("Respuestas", 12.0),
                Column::percent("Porcentaje", 12.0),
            ],
        )?;
        for a in &report.follow_up.applied {
            sheet.row(&[
                Cell::Text(a.label.clone()),
                a.count.map_or(Cell::Empty, Cell::Int),
                opt(a.share),
            ])?;
        }
    }
    if let Some(instructors) = &report.instructors {
        let mut sheet = book.sheet(
            "Instructores",
            &[
                Column::text("Instructor", 30.0),
                Column::integer("Cohortes", 10.0),
                Column::integer("Respuestas", 12.0),
                Column::decimal("Instructor (1 a 5)", 14.0, 2),
                Column::decimal("General (1 a 5)", 14.0, 2),
            ],
        )?;
        for r in instructors {
            sheet.row(&[
                Cell::Text(r.name.clone()),
                Cell::Int(r.cohorts),
                Cell::Int(r.n),
                opt(r.instructor_mean),
                opt(r.overall),
            ])?;
        }
    }
    let comments: Vec<(&str, &String)> = report
        .comments
        .iter()
        .flatten()
        .map(|c| ("Satisfacción", c))
        .chain(
            report
                .follow_up_comments
                .iter()
                .flatten()
                .map(|c| ("Seguimiento", c)),
        )
        .collect();
    if !comments.is_empty() {
        let mut sheet = book.sheet(
            "Comentarios",
            &[
                Column::text("Encuesta", 14.0),
                Column::text("Comentario", 90.0),
            ],
        )?;
        for (kind, text) in comments {
            sheet.row(&[Cell::Text(kind.into()), Cell::Text(text.clone())])?;
        }
    }
    book.save_to_buffer()
}
