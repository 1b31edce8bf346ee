//! The scores grid as `.xlsx`: one row per enrolled person, one column per assessment item
//! (numbers between 0 and 5 checked by Excel), filled offline and uploaded back with the
//! import rules (all or nothing, row/column/message errors, a dry run for the preview). An
//! empty cell leaves the score as it is.

use super::{PlannedScore, existing_scores, parse_score};
use crate::attendance::enrolment_problem;
use crate::entities::{cohort, enrolment, participant};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::people::scope::PersonScope;
use crate::results::{self, Item};
use crate::spreadsheets::{self, Cell, Column, ExportBook, ImportTable};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub const COL_ENROLMENT: &str = "Inscripción";

fn header(item: &Item) -> String {
    item.name.clone()
}

/// The grid with the current scores.
pub async fn workbook<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    people: &PersonScope,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let items = results::items(db, cohort.id).await?;
    let roster = crate::attendance::enrolled(db, cohort.id, people).await?;
    let scores = results::scores_by_enrolment(db, cohort.id).await?;
    let mut book = ExportBook::new(
        &format!("Calificaciones · {}", cohort.name),
        &[],
        generated_by,
    );
    let mut notes = vec![
        "Escriba cada nota de 0,0 a 5,0 con un decimal como máximo. Una celda vacía no cambia la nota registrada.".to_string(),
        "No cambie la columna «Inscripción» ni los títulos de las evaluaciones. Suba el archivo en Aula Territorial para guardar.".to_string(),
    ];
    notes.push(format!(
        "Evaluaciones: {}.",
        if items.is_empty() {
            "ninguna todavía".to_string()
        } else {
            items
                .iter()
                .map(|i| format!("{} ({} %)", i.name, i.weight))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    let mut columns = vec![
        Column::code(COL_ENROLMENT, 12.0),
        Column::text("Tipo de documento", 10.0),
        Column::code("Número de documento", 16.0),
        Column::text("Nombre", 32.0),
    ];
    for item in &items {
        columns.push(Column::decimal(header(item), 14.0, 1));
    }
    let mut sheet = book.sheet_with_notes("Calificaciones", &notes, &columns)?;
    let none = HashMap::new();
    for person in &roster {
        let theirs = scores.get(&person.enrolment_id).unwrap_or(&none);
        let mut cells = vec![
            Cell::Text(person.enrolment_id.to_string()),
            Cell::Text(person.document_type.clone()),
            Cell::Text(person.document_number.clone()),
            Cell::Text(person.full_name.clone()),
        ];
        for item in &items {
            cells.push(theirs.get(&item.id).map(|t| parse::grade_value(*t)).into());
        }
        sheet.row(&cells)?;
    }
    for col in 0..items.len() {
        sheet.add_decimal_validation(4 + col, 0.0, 5.0)?;
    }
    drop(sheet);
    book.save_to_buffer()
}

/// One cell as uploaded (or re-sent by the preview's confirmation form).
#[derive(Clone, Debug, Default)]
pub struct RawScore {
    pub row: usize,
    pub enrolment: String,
    pub assessment_id: i32,
    pub value: String,
}

/// A cell that changes a score.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreChange {
    /// Row of the file (the header is row 1).
    #[schema(minimum = 2)]
    pub row: usize,
    pub enrolment_id: i32,
    pub full_name: String,
    pub assessment_id: i32,
    /// The item's name.
    pub assessment: String,
    /// The score recorded before, as text.
    pub before: Option<String>,
    /// The new score, as text.
    #[schema(example = "4.2")]
    pub score: String,
    /// The new score in tenths (42 is 4.2).
    #[schema(minimum = 0, maximum = 50)]
    pub tenths: i32,
}

/// What an upload of scores would change (dry run) or changed.
pub type ScoreUploadSummary = spreadsheets::ImportSummary<ScoreChange>;

/// An uploaded grid, parsed on a blocking thread (call it before opening the transaction
/// that writes the scores).
pub async fn parse(bytes: Vec<u8>, filename: String) -> AppResult<ImportTable> {
    spreadsheets::parse_upload(
        bytes,
        filename,
        vec![spreadsheets::normalize_header(COL_ENROLMENT)],
    )
    .await
}

/// The non-empty score cells of a parsed grid.
pub async fn read<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    table: &ImportTable,
) -> AppResult<Vec<RawScore>> {
    let items = results::items(db, cohort.id).await?;
    if items.is_empty() {
        return Err(AppError::Conflict(
            "La cohorte no tiene evaluaciones: créelas antes de subir notas.".into(),
        ));
    }
    let enrolment_header = spreadsheets::normalize_header(COL_ENROLMENT);
    let present: Vec<(&Item, String)> = items
        .iter()
        .map(|i| (i, spreadsheets::normalize_header(&header(i))))
        .filter(|(_, h)| table.has(h))
        .collect();
    if present.is_empty() {
        return Err(AppError::Validation(vec![FieldError {
            row: Some(1),
            field: "file".into(),
            message: format!(
                "El archivo no tiene ninguna columna de evaluación. Se esperan: {}.",
                items
                    .iter()
                    .map(|i| format!("«{}»", i.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }]));
    }
    let mut out = Vec::new();
    for row in &table.rows {
        for (item, h) in &present {
            let value = row.get(h);
            if value.is_empty() {
                continue;
            }
            out.push(RawScore {
                row: row.number,
                enrolment: row.get(&enrolment_header).to_string(),
                assessment_id: item.id,
                value: value.to_string(),
            });
        }
    }
    Ok(out)
}

/// Checks every cell (all problems at once) and returns the changes against what is recorded.
pub async fn plan<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    cells: &[RawScore],
) -> AppResult<(Vec<ScoreChange>, usize)> {
    super::check_editable(cohort)?;
    let items: HashMap<i32, Item> = results::items(db, cohort.id)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let ids: Vec<i32> = cells
        .iter()
        .filter_map(|c| c.enrolment.trim().parse().ok())
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
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut planned = Vec::new();
    for cell in cells {
        let Some(item) = items.get(&cell.assessment_id) else {
            errors.push(FieldError {
                row: Some(cell.row),
                field: "file".into(),
                message: "La evaluación ya no existe en la cohorte.".into(),
            });
            continue;
        };
        let mut cell_errors = Vec::new();
        let tenths = parse_score(&item.name, &cell.value, &mut cell_errors);
        errors.extend(cell_errors.into_iter().map(|e| FieldError {
            row: Some(cell.row),
            ..e
        }));
        let enrolment_id = match cell.enrolment.trim().parse::<i32>() {
            Ok(id) => match enrolment_problem(
                enrolments.get(&id).map(|(e, _)| e),
                cohort.id,
                id,
                "calificaciones",
            ) {
                Some(problem) => {
                    errors.push(FieldError {
                        row: Some(cell.row),
                        field: COL_ENROLMENT.into(),
                        message: problem,
                    });
                    None
                }
                None => Some(id),
            },
            Err(_) => {
                errors.push(FieldError {
                    row: Some(cell.row),
                    field: COL_ENROLMENT.into(),
                    message: format!(
                        "«{}» no es un número de inscripción: no cambie la columna «{COL_ENROLMENT}».",
                        cell.enrolment.trim()
                    ),
                });
                None
            }
        };
        let (Some(tenths), Some(enrolment_id)) = (tenths, enrolment_id) else {
            continue;
        };
        if !seen.insert((item.id, enrolment_id)) {
            errors.push(FieldError {
                row: Some(cell.row),
                field: COL_ENROLMENT.into(),
                message: "Esta persona aparece dos veces en el archivo.".into(),
            });
            continue;
        }
        planned.push((cell.row, item, enrolment_id, tenths));
    }
    errors.sort_by_key(|e| e.row);
    errors.dedup();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if planned.is_empty() {
        return Err(AppError::invalid(
            "file",
            "El archivo no tiene ninguna nota escrita.",
        ));
    }
    let item_ids: Vec<i32> = items.keys().copied().collect();
    let current = existing_scores(db, &item_ids, &ids).await?;
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (row, item, enrolment_id, tenths) in planned {
        let before = current
            .get(&(item.id, enrolment_id))
            .map(|s| s.score_tenths);
        if before == Some(tenths) {
            unchanged += 1;
            continue;
        }
        changes.push(ScoreChange {
            row,
            enrolment_id,
            full_name: enrolments
                .get(&enrolment_id)
                .and_then(|(_, p)| p.as_ref())
                .map(|p| p.full_name())
                .unwrap_or_default(),
            assessment_id: item.id,
            assessment: item.name.clone(),
            before: before.map(parse::grade_text),
            score: parse::grade_text(tenths),
            tenths,
        });
    }
    Ok((changes, unchanged))
}

/// Checks the cells and, unless `dry_run`, saves the changes (the caller's transaction).
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    cells: &[RawScore],
    dry_run: bool,
) -> AppResult<ScoreUploadSummary> {
    if !dry_run {
        crate::cohorts::lock(db, cohort.id).await?;
    }
    let (changes, unchanged) = plan(db, cohort, cells).await?;
    if !dry_run {
        let planned: Vec<PlannedScore> = changes
            .iter()
            .map(|c| PlannedScore {
                assessment_id: c.assessment_id,
                enrolment_id: c.enrolment_id,
                tenths: Some(c.tenths),
            })
            .collect();
        super::save_scores(db, actor, cohort, &planned).await?;
    }
    Ok(ScoreUploadSummary {
        dry_run,
        changes,
        unchanged,
    })
}
