//! Cohorts and assistances brought in from the spreadsheets providers already keep (issue 49,
//! item 6), through the one import pipeline (`spreadsheets::pipeline`): a template, a preview
//! with every problem at once, all or nothing, and idempotent on the provider's own
//! `referencia` (kept in `imported_records`): the same file sent again changes nothing, a
//! corrected file updates what it brought in.
//!
//! One sheet, one row per part: a cohort's rows are its sessions (the cohort's columns
//! repeated, or left empty after its first row), an assistance's rows its milestones and
//! visits. Each cohort or assistance is checked by the same rules as one created or changed by
//! hand (`cohorts::check`, `sessions::check`, `assistance::check`, …) and saved through the
//! same functions (`cohort_flow`, `assistance`), so it is audited and announced as they are.
//! This module sits above both areas.

pub mod assistances;
pub mod cohorts;
pub mod editions;

use crate::entities::imported_record;
use crate::entities::values::DeliverySource;
use crate::error::{AppResult, FieldError};
use crate::spreadsheets::ImportTable;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The longest reference kept.
const REFERENCE_MAX: usize = 100;
/// Changes a summary lists (the counts cover them all).
pub const LISTED_CHANGES: usize = 100;

/// What an import of cohorts or assistances would change (dry run) or changed, counted by
/// cohort or assistance (a reference): new, changed (itself or one of its sessions,
/// milestones or visits), or equal to what is recorded.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = RecordImportSummary)]
pub struct RecordImportSummary {
    pub dry_run: bool,
    /// References that were new.
    pub created: usize,
    /// References whose record (or one of its parts) changes.
    pub updated: usize,
    /// References equal to what is recorded.
    pub unchanged: usize,
    /// The first changes, in file order (at most 100).
    pub changes: Vec<RecordChange>,
}

/// One cohort or assistance that the import creates or changes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RecordImportChange)]
pub struct RecordChange {
    /// Its first row in the file.
    #[schema(minimum = 2)]
    pub row: usize,
    pub reference: String,
    /// The cohort's name, or the assistance's municipality.
    pub name: String,
    /// New (`true`) or changed.
    pub created: bool,
    /// Sessions (cohorts) or milestones and visits (assistances) added.
    pub parts_added: usize,
    /// Sessions or milestones changed.
    pub parts_changed: usize,
}

impl RecordImportSummary {
    /// Counts one reference: `None` when it changes nothing.
    fn count(&mut self, change: Option<RecordChange>) {
        match change {
            None => self.unchanged += 1,
            Some(change) => {
                if change.created {
                    self.created += 1;
                } else {
                    self.updated += 1;
                }
                if self.changes.len() < LISTED_CHANGES {
                    self.changes.push(change);
                }
            }
        }
    }
}

/// A row as read from the file (normalized header → trimmed text), or sent back.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RecordRow {
    pub row: usize,
    pub cells: BTreeMap<String, String>,
}

impl RecordRow {
    /// The text under a column, `""` when absent.
    pub fn get(&self, column: &str) -> &str {
        self.cells.get(column).map_or("", |s| s.trim())
    }

    /// Whether any of these columns has text.
    fn any(&self, columns: &[&str]) -> bool {
        columns.iter().any(|c| !self.get(c).is_empty())
    }
}

/// The rows of an uploaded table, or a 422 naming the columns a file needs.
fn rows_of(table: ImportTable, required: &[&str]) -> AppResult<Vec<RecordRow>> {
    if required.iter().any(|c| !table.has(c)) {
        return Err(crate::error::AppError::Validation(vec![
            FieldError::in_row(
                1,
                "file",
                format!(
                    "El archivo necesita las columnas {} (descargue la plantilla).",
                    required
                        .iter()
                        .map(|c| format!("«{c}»"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ]));
    }
    Ok(table
        .rows
        .into_iter()
        .map(|r| RecordRow {
            row: r.number,
            cells: r.cells.into_iter().collect(),
        })
        .collect())
}

/// The rows of one reference, in file order.
struct Group {
    reference: String,
    rows: Vec<RecordRow>,
}

impl Group {
    fn first(&self) -> &RecordRow {
        &self.rows[0]
    }
}

/// Rows grouped by reference, in the order references first appear. A row without a
/// reference, or with one too long, is a problem. The record's own columns (`own`) come from
/// a reference's first row; a later row leaves them empty or repeats them.
fn group(rows: Vec<RecordRow>, own: &[&str], errors: &mut Vec<FieldError>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let reference = row.get(COL_REFERENCE).to_string();
        if reference.is_empty() {
            errors.push(FieldError::in_row(
                row.row,
                COL_REFERENCE,
                "Falta la referencia: su propia clave del registro (repítala en cada fila del \
                 mismo registro).",
            ));
            continue;
        }
        if reference.chars().count() > REFERENCE_MAX {
            errors.push(FieldError::in_row(
                row.row,
                COL_REFERENCE,
                format!("La referencia tiene más de {REFERENCE_MAX} caracteres."),
            ));
            continue;
        }
        match index.get(&reference) {
            None => {
                index.insert(reference.clone(), groups.len());
                groups.push(Group {
                    reference,
                    rows: vec![row],
                });
            }
            Some(&at) => {
                let first = groups[at].first();
                for column in own {
                    let (was, now) = (first.get(column), row.get(column));
                    if !now.is_empty() && now != was {
                        errors.push(FieldError::in_row(
                            row.row,
                            *column,
                            format!(
                                "La referencia «{reference}» ya tiene «{was}» en esta columna \
                                 (fila {}): repita el mismo valor o deje la celda vacía.",
                                first.row
                            ),
                        ));
                    }
                }
                groups[at].rows.push(row);
            }
        }
    }
    groups
}

/// A cell's list of codes or ids: separated by `;`, `,` or spaces.
fn list(text: &str) -> Vec<String> {
    text.split([';', ',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Problems of a record's rules (by field) moved to the row and column they were read from,
/// leaving out those of a cell that already has a problem of its own (an unknown course code,
/// then «choose the course»: the rule would only repeat it).
fn in_rows(
    row: usize,
    found: Vec<FieldError>,
    column_of: impl Fn(&str) -> &'static str,
    errors: &mut Vec<FieldError>,
) {
    let known: Vec<String> = errors
        .iter()
        .filter(|e| e.row == Some(row))
        .map(|e| e.field.clone())
        .collect();
    errors.extend(
        found
            .into_iter()
            .map(|e| FieldError::in_row(row, column_of(&e.field), e.message))
            .filter(|e| !known.contains(&e.field)),
    );
}

pub const COL_REFERENCE: &str = "referencia";

/// The records a provider brought in under these references, by reference.
async fn recorded<C: ConnectionTrait>(
    db: &C,
    provider_id: i32,
    kind: DeliverySource,
    references: Vec<String>,
) -> AppResult<HashMap<String, imported_record::Model>> {
    let mut found = HashMap::new();
    for chunk in references.chunks(crate::bulk::INSERT_CHUNK) {
        for record in imported_record::Entity::find()
            .filter(imported_record::Column::ProviderId.eq(provider_id))
            .filter(imported_record::Column::Kind.eq(kind))
            .filter(imported_record::Column::Reference.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(record.reference.clone(), record);
        }
    }
    Ok(found)
}

/// Keeps the reference of a record the import created.
async fn remember<C: ConnectionTrait>(
    db: &C,
    provider_id: i32,
    reference: &str,
    record: (DeliverySource, i32),
) -> AppResult<()> {
    let (kind, id) = record;
    imported_record::ActiveModel {
        provider_id: Set(provider_id),
        kind: Set(kind),
        reference: Set(reference.to_string()),
        cohort_id: Set((kind == DeliverySource::Cohort).then_some(id)),
        assistance_id: Set((kind == DeliverySource::Assistance).then_some(id)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Imports of one kind take turns (SQLite's writers already do): two imports of the same
/// references cannot both create them.
async fn take_turn<C: ConnectionTrait>(db: &C, kind: DeliverySource) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let key = match kind {
            DeliverySource::Cohort => 4_091_049,
            DeliverySource::Assistance => 4_091_050,
        };
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
            .await?;
    }
    Ok(())
}
