//! The scores grid as `.xlsx`: one row per enrolled person, one column per assessment item
//! (numbers between 0 and 5 checked by Excel), filled offline and uploaded back with the
//! import rules (all or nothing, row/column/message errors, a dry run for the preview). An
//! empty cell leaves the score as it is.

use super::{PlannedScore, existing_scores, parse_score};
use crate::accounts::actor::Actor;
use crate::attendance::NamedEnrolments;
use crate::attendance::managed_cohort;
use crate::entities::cohort;
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::people::scope::PersonScope;
use crate::results::{self, Item};
use crate::spreadsheets::{self, Cell, Column, ExportBook, Import, ImportTable};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
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
    let (title, generated_by) = (
        format!("Calificaciones · {}", cohort.name),
        generated_by.to_string(),
    );
    crate::blocking::run(move || build(&title, &generated_by, &items, &roster, &scores)).await
}

/// The grid from what was read (CPU work: run on a blocking thread).
fn build(
    title: &str,
    generated_by: &str,
    items: &[Item],
    roster: &[crate::attendance::RosterEntry],
    scores: &HashMap<i32, HashMap<i32, i32>>,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new(title, &[], generated_by);
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
    for item in items {
        columns.push(Column::decimal(header(item), 14.0, 1));
    }
    let mut sheet = book.sheet_with_notes("Calificaciones", &notes, &columns)?;
    let none = HashMap::new();
    for person in roster {
        let theirs = scores.get(&person.enrolment_id).unwrap_or(&none);
        let mut cells = vec![
            Cell::Text(person.enrolment_id.to_string()),
            Cell::Text(person.document_type.clone()),
            Cell::Text(person.document_number.clone()),
            Cell::Text(person.full_name.clone()),
        ];
        for item in items {
            cells.push(theirs.get(&item.id).map(|t| parse::grade_value(*t)).into());
        }
        sheet.row(&cells)?;
    }
    for col in 0..items.len() {
        sheet.add_decimal_validation(4 + col, 0.0, 5.0)?;
    }
    book.save_to_buffer()
}

/// One cell as uploaded (or sent back by the preview's confirmation).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
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

impl From<&ScoreChange> for RawScore {
    /// The cell a preview's confirmation sends back for this change.
    fn from(change: &ScoreChange) -> Self {
        RawScore {
            row: change.row,
            enrolment: change.enrolment_id.to_string(),
            assessment_id: change.assessment_id,
            value: change.score.clone(),
        }
    }
}

/// What an upload of scores would change (dry run) or changed.
pub type ScoreUploadSummary = spreadsheets::ImportSummary<ScoreChange>;

/// An upload of a cohort's scores grid, opened: `user` manages the cohort. An empty cell
/// leaves the score as it is.
pub struct ScoresImport<'a> {
    user: &'a Actor,
    cohort: cohort::Model,
}

impl<'a> ScoresImport<'a> {
    /// The grid if `user` manages the cohort: 404 out of scope, 403 read-only.
    pub async fn open<C: ConnectionTrait>(
        db: &C,
        user: &'a Actor,
        cohort_id: i32,
    ) -> AppResult<Self> {
        let cohort = managed_cohort(db, user, cohort_id).await?;
        Ok(ScoresImport { user, cohort })
    }

    pub fn cohort(&self) -> &cohort::Model {
        &self.cohort
    }
}

impl Import for ScoresImport<'_> {
    type Row = RawScore;
    type Plan = ScoreUploadSummary;
    type Summary = ScoreUploadSummary;

    const HEADERS: &'static [&'static str] = &[COL_ENROLMENT];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        let cohort = crate::cohorts::lock(db, self.cohort.id).await?;
        Ok(ScoresImport { cohort, ..*self })
    }

    /// The non-empty score cells of the grid, one per item column found.
    async fn rows(
        &self,
        db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<RawScore>> {
        let cohort = &self.cohort;
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

    async fn plan(&self, db: &impl ConnectionTrait, cells: Vec<RawScore>) -> AppResult<Self::Plan> {
        check(db, &PersonScope::of(self.user), &self.cohort, &cells).await
    }

    fn preview(&self, plan: ScoreUploadSummary) -> ScoreUploadSummary {
        plan
    }

    async fn save(&self, db: &impl ConnectionTrait, plan: Self::Plan) -> AppResult<Self::Summary> {
        let planned: Vec<PlannedScore> = plan.changes.iter().map(PlannedScore::from).collect();
        super::save_scores(db, self.user.id, &self.cohort, &planned).await?;
        Ok(plan.saved())
    }
}

impl From<&ScoreChange> for PlannedScore {
    fn from(change: &ScoreChange) -> Self {
        PlannedScore {
            assessment_id: change.assessment_id,
            enrolment_id: change.enrolment_id,
            tenths: Some(change.tenths),
        }
    }
}

/// Checks every cell (all problems at once) and returns the changes against what is recorded.
async fn check<C: ConnectionTrait>(
    db: &C,
    people: &PersonScope,
    cohort: &cohort::Model,
    cells: &[RawScore],
) -> AppResult<ScoreUploadSummary> {
    super::check_editable(cohort)?;
    let items: HashMap<i32, Item> = results::items(db, cohort.id)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let enrolments =
        NamedEnrolments::typed(db, people, cells.iter().map(|c| c.enrolment.as_str())).await?;
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
        let enrolment_id = enrolments
            .check_typed(cell.row, &cell.enrolment, cohort.id, "calificaciones")
            .map_err(|problem| errors.push(problem))
            .ok();
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
    let planned =
        spreadsheets::all_or_nothing(errors, planned, "El archivo no tiene ninguna nota escrita.")?;
    let item_ids: Vec<i32> = items.keys().copied().collect();
    let current = existing_scores(db, &item_ids, enrolments.ids()).await?;
    Ok(ScoreUploadSummary::preview(
        planned,
        |(row, item, enrolment_id, tenths)| {
            let before = current
                .get(&(item.id, enrolment_id))
                .map(|s| s.score_tenths);
            (before != Some(tenths)).then(|| ScoreChange {
                row,
                enrolment_id,
                full_name: enrolments.full_name(enrolment_id),
                assessment_id: item.id,
                assessment: item.name.clone(),
                before: before.map(crate::format::grade_tenths),
                score: crate::format::grade_tenths(tenths),
                tenths,
            })
        },
    ))
}
