//! The plan's workbook, its «ficha técnica» (issue 47): what a planning office files for each
//! line — the goal and its indicator, the year's target, what was achieved, what a straight
//! line through the year expects and the gap, progress month by month (closed months as they
//! were frozen), the budget by source and its execution, and the costs per unit. Read from
//! [`super::progress`] (the maintained figures) as the caller's scope reads the plan; built on
//! a blocking thread like every other workbook.

use super::progress::{self, LineProgress, Period, Progress};
use super::{PlanScope, PlanView};
use crate::entities::plan;
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

pub const SHEET_GOALS: &str = "Ficha técnica";
pub const SHEET_MONTHS: &str = "Avance por mes";
pub const SHEET_BUDGET: &str = "Presupuesto";
pub const SHEET_EXECUTION: &str = "Ejecución";

/// What the indicator of each goal measures.
fn indicator(goal: &str) -> &'static str {
    match goal {
        "cohorts" => "Cohortes con personas formadas, acumuladas desde el 1 de enero",
        "people_trained" => "Personas formadas, acumuladas desde el 1 de enero",
        "people_certified" => "Personas certificadas, acumuladas desde el 1 de enero",
        "assistances_closed" => {
            "Asistencias técnicas cerradas con su objetivo alcanzado, acumuladas desde el 1 de enero"
        }
        "municipalities_reached" => "Municipios distintos alcanzados desde el 1 de enero",
        _ => "",
    }
}

fn dd_mm_yyyy(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// The workbook of plan `row` for `period` (the year to date when `None`) as `scope` reads
/// it: its file name and bytes.
pub async fn progress_workbook<C: ConnectionTrait>(
    db: &C,
    scope: &PlanScope,
    row: &plan::Model,
    period: Option<Period>,
    generated_by: &str,
) -> AppResult<(String, Vec<u8>)> {
    let view = super::view(db, scope, row, None).await?;
    let chosen = progress::progress(db, scope, row, period).await?;
    let today = crate::time::today();
    let mut months = Vec::new();
    for month in (1..=12).map(|m| Period::Month(row.year, m)) {
        if month.first_day() > today {
            break;
        }
        months.push(progress::progress(db, scope, row, Some(month)).await?);
    }
    let name = format!(
        "ficha-tecnica-plan-{}-{}-{}.xlsx",
        row.id,
        chosen
            .period
            .clone()
            .unwrap_or_else(|| "ano-a-la-fecha".into()),
        today.format("%Y-%m-%d")
    );
    let generated_by = generated_by.to_string();
    let bytes = crate::blocking::run(move || build(&view, &chosen, &months, &generated_by)).await?;
    Ok((name, bytes))
}

/// The line's number and capacity as a row names it.
fn line_name(view: &PlanView, line: &LineProgress) -> (Cell, String) {
    match line.line_id {
        None => (Cell::Empty, line.title.clone()),
        Some(id) => {
            let capacity = view
                .lines
                .iter()
                .find(|l| l.id == id)
                .map_or_else(|| line.title.clone(), |l| l.capacity.name.clone());
            (
                Cell::Int(i64::from(line.position.unwrap_or_default())),
                capacity,
            )
        }
    }
}

/// Builds the book (on a blocking thread).
pub fn build(
    view: &PlanView,
    chosen: &Progress,
    months: &[Progress],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let described = vec![
        ("Plan".to_string(), view.name.clone()),
        ("Oferente".to_string(), view.provider.name.clone()),
        ("Territorio".to_string(), view.territory_label.clone()),
        ("Vigencia".to_string(), view.year.to_string()),
        ("Versión".to_string(), chosen.version.to_string()),
        (
            "Periodo".to_string(),
            format!(
                "{} (del {} al {}){}",
                chosen.period_label,
                dd_mm_yyyy(chosen.from),
                dd_mm_yyyy(chosen.until),
                if chosen.closed {
                    ", cerrado: cifras congeladas"
                } else {
                    ""
                }
            ),
        ),
    ];
    let mut book = ExportBook::new(
        &format!("Ficha técnica · {}", view.name),
        &described,
        generated_by,
    );
    let all_lines: Vec<&LineProgress> = chosen
        .lines
        .iter()
        .chain(std::iter::once(&chosen.total))
        .collect();
    goals_sheet(&mut book, view, &all_lines)?;
    months_sheet(&mut book, view, months)?;
    budget_sheet(&mut book, view)?;
    execution_sheet(&mut book, view, &all_lines)?;
    book.save_to_buffer()
}

/// The goals sheet: every goal of every line (and the plan's total) in the period chosen.
fn goals_sheet(
    book: &mut ExportBook,
    view: &PlanView,
    all_lines: &[&LineProgress],
) -> AppResult<()> {
    let mut sheet = book.sheet(
        SHEET_GOALS,
        &[
            Column::integer("Línea", 8.0),
            Column::text("Capacidad", 30.0),
            Column::text("Curso", 28.0),
            Column::text("Municipios objetivo", 30.0),
            Column::text("Meta", 26.0),
            Column::text("Indicador", 44.0),
            Column::integer("Línea base (año anterior)", 12.0),
            Column::integer("Meta anual", 12.0),
            Column::integer("Logrado a la fecha", 12.0),
            Column::integer("Logrado en el periodo", 12.0),
            Column::integer("Esperado a la fecha", 12.0),
            Column::integer("Brecha", 10.0),
            Column::percent("Avance sobre la meta", 12.0),
            Column::text("Estado", 12.0),
        ],
    )?;
    for line in all_lines {
        let (number, capacity) = line_name(view, line);
        let shown = line
            .line_id
            .and_then(|id| view.lines.iter().find(|l| l.id == id));
        for goal in &line.goals {
            sheet.row(&[
                number.clone(),
                Cell::Text(capacity.clone()),
                Cell::Text(
                    shown
                        .and_then(|l| l.course.as_ref())
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                ),
                Cell::Text(
                    shown
                        .map(|l| l.targets_label.clone())
                        .unwrap_or_else(|| view.territory_label.clone()),
                ),
                Cell::Text(goal.label.clone()),
                Cell::Text(indicator(&goal.goal).to_string()),
                goal.baseline.map_or(Cell::Empty, Cell::Int),
                Cell::Int(goal.target),
                Cell::Int(goal.achieved),
                Cell::Int(goal.achieved_in_period),
                Cell::Int(goal.expected_to_date),
                Cell::Int(goal.gap),
                if goal.target > 0 {
                    Cell::Number(goal.achieved as f64 / goal.target as f64)
                } else {
                    Cell::Empty
                },
                Cell::Text(if goal.behind { "Atrasada" } else { "Al día" }.to_string()),
            ])?;
        }
    }
    Ok(())
}

/// The months sheet: every goal of every line (and the total) month by month.
fn months_sheet(book: &mut ExportBook, view: &PlanView, months: &[Progress]) -> AppResult<()> {
    let mut sheet = book.sheet(
        SHEET_MONTHS,
        &[
            Column::integer("Línea", 8.0),
            Column::text("Capacidad", 30.0),
            Column::text("Meta", 26.0),
            Column::text("Mes", 18.0),
            Column::date("Desde", 12.0),
            Column::date("Hasta", 12.0),
            Column::integer("Logrado en el mes", 12.0),
            Column::integer("Logrado acumulado", 12.0),
            Column::integer("Esperado acumulado", 12.0),
            Column::integer("Brecha", 10.0),
            Column::text("Cierre", 26.0),
        ],
    )?;
    for month in months {
        let closing = match (month.closed, month.frozen_at) {
            (true, Some(at)) => format!(
                "Congelado el {}",
                dd_mm_yyyy(crate::time::local(at).date_naive())
            ),
            (true, None) => "Cerrado".to_string(),
            (false, _) => "En curso".to_string(),
        };
        for line in month.lines.iter().chain(std::iter::once(&month.total)) {
            let (number, capacity) = line_name(view, line);
            for goal in &line.goals {
                sheet.row(&[
                    number.clone(),
                    Cell::Text(capacity.clone()),
                    Cell::Text(goal.label.clone()),
                    Cell::Text(month.period_label.clone()),
                    Cell::Date(month.from),
                    Cell::Date(month.until),
                    Cell::Int(goal.achieved_in_period),
                    Cell::Int(goal.achieved),
                    Cell::Int(goal.expected_to_date),
                    Cell::Int(goal.gap),
                    Cell::Text(closing.clone()),
                ])?;
            }
        }
    }
    Ok(())
}

/// The budget sheet: each line's sources, then the whole plan's.
fn budget_sheet(book: &mut ExportBook, view: &PlanView) -> AppResult<()> {
    let mut sheet = book.sheet(
        SHEET_BUDGET,
        &[
            Column::integer("Línea", 8.0),
            Column::text("Capacidad", 30.0),
            Column::text("Fuente", 24.0),
            Column::pesos("Presupuesto", 18.0),
        ],
    )?;
    for line in &view.lines {
        for item in &line.budget {
            sheet.row(&[
                Cell::Int(i64::from(line.position)),
                Cell::Text(line.capacity.name.clone()),
                Cell::Text(item.source_label.to_string()),
                Cell::Int(item.amount),
            ])?;
        }
    }
    for item in &view.budget.by_source {
        sheet.row(&[
            Cell::Empty,
            Cell::Text("Todo el plan".to_string()),
            Cell::Text(item.source_label.to_string()),
            Cell::Int(item.amount),
        ])?;
    }
    Ok(())
}

/// The execution sheet: each line's budget against what was committed and executed, and its costs.
fn execution_sheet(
    book: &mut ExportBook,
    view: &PlanView,
    all_lines: &[&LineProgress],
) -> AppResult<()> {
    let mut sheet = book.sheet(
        SHEET_EXECUTION,
        &[
            Column::integer("Línea", 8.0),
            Column::text("Capacidad", 30.0),
            Column::pesos("Presupuesto", 18.0),
            Column::pesos("Comprometido", 18.0),
            Column::pesos("Ejecutado", 18.0),
            Column::pesos("Estimado sin comprometer", 18.0),
            Column::percent("Ejecución", 12.0),
            Column::pesos("Costo por persona certificada", 18.0),
            Column::pesos("Costo por asistencia cerrada con su objetivo", 18.0),
            Column::pesos("Costo por municipio alcanzado", 18.0),
        ],
    )?;
    let pesos = |value: Option<i64>| value.map_or(Cell::Empty, Cell::Int);
    for line in all_lines {
        let (number, capacity) = line_name(view, line);
        let b = &line.budget;
        sheet.row(&[
            number,
            Cell::Text(capacity),
            Cell::Int(b.planned),
            Cell::Int(b.committed),
            Cell::Int(b.executed),
            Cell::Int(b.estimated),
            if b.planned > 0 {
                Cell::Number(b.executed as f64 / b.planned as f64)
            } else {
                Cell::Empty
            },
            pesos(line.cost_per_person_certified),
            pesos(line.cost_per_assistance_closed),
            pesos(line.cost_per_municipality_reached),
        ])?;
    }
    Ok(())
}
