//! Executed costs from a spreadsheet (`.xlsx` or `.csv`) through the one import pipeline
//! (issue 47): one row a cost item already paid, of a cohort or an assistance the importer
//! manages. Columns: `referencia` (the provider's own key: the same file sent again changes
//! nothing, a changed row updates its item), `cohorte` or `asistencia` (the id, exactly one),
//! `tipo`, `base`, `valor` (whole pesos), `fecha` (`AAAA-MM-DD`, the day it was paid; today
//! when empty), `linea_plan` (optional) and `descripcion` (optional). Each row is checked by
//! the same rules as a cost added by hand (`items::check`); all or nothing, every problem with
//! its row, in Spanish.

use super::items::{self, CostInput, LineChoice, Target};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::cost_item;
use crate::entities::values::{CostBasis, CostKind, CostStage};
use crate::error::{AppError, AppResult, FieldError};
use crate::plans::Whole;
use crate::spreadsheets::{Import, ImportTable};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const COL_REFERENCE: &str = "referencia";
pub const COL_COHORT: &str = "cohorte";
pub const COL_ASSISTANCE: &str = "asistencia";
pub const COL_KIND: &str = "tipo";
pub const COL_BASIS: &str = "base";
pub const COL_AMOUNT: &str = "valor";
pub const COL_DATE: &str = "fecha";
pub const COL_LINE: &str = "linea_plan";
pub const COL_DESCRIPTION: &str = "descripcion";

/// The template's columns, in order.
pub const COLUMNS: [&str; 9] = [
    COL_REFERENCE,
    COL_COHORT,
    COL_ASSISTANCE,
    COL_KIND,
    COL_BASIS,
    COL_AMOUNT,
    COL_DATE,
    COL_LINE,
    COL_DESCRIPTION,
];
/// Columns a file must have.
const REQUIRED: [&str; 4] = [COL_REFERENCE, COL_KIND, COL_BASIS, COL_AMOUNT];
/// The longest reference kept.
const REFERENCE_MAX: usize = 100;
/// Changes a summary lists (the counts cover them all).
pub const LISTED_CHANGES: usize = 100;

/// One row as read from the file (or sent back by a preview).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CostRow {
    pub row: usize,
    pub reference: String,
    pub cohort: String,
    pub assistance: String,
    pub kind: String,
    pub basis: String,
    pub amount: String,
    pub date: String,
    pub line: String,
    pub description: String,
}

/// A row that changes what is recorded.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CostImportChange)]
pub struct CostChange {
    #[schema(minimum = 2)]
    pub row: usize,
    pub reference: String,
    /// «Cohorte 12» or «Asistencia 4».
    pub target: String,
    pub kind_label: &'static str,
    /// Whole pesos (per unit unless fixed).
    pub amount: i64,
    /// The amount recorded before, when the row updates an item.
    pub before: Option<i64>,
}

/// What an import of executed costs would change (dry run) or changed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CostImportSummary)]
pub struct CostImportSummary {
    pub dry_run: bool,
    /// Rows whose reference was new.
    pub created: usize,
    /// Rows that change the item of their reference.
    pub updated: usize,
    /// Rows equal to what is recorded.
    pub unchanged: usize,
    /// The first changes, in file order (at most 100).
    pub changes: Vec<CostChange>,
}

/// A checked row and what it does.
pub struct Planned {
    row: usize,
    reference: String,
    target: (Option<i32>, Option<i32>),
    provider_id: i32,
    checked: items::Checked,
    /// The item of the same reference, when there is one.
    existing: Option<cost_item::Model>,
}

impl Planned {
    fn changes(&self) -> bool {
        let c = &self.checked;
        self.existing.as_ref().is_none_or(|e| {
            e.kind != c.kind
                || e.basis != c.basis
                || e.amount != c.amount
                || e.stage != c.stage
                || e.plan_line_id != c.plan_line_id
                || e.incurred_on != c.incurred_on
                || e.description != c.description
        })
    }
}

pub struct Plan {
    planned: Vec<Planned>,
    summary: CostImportSummary,
}

/// An import of executed costs, opened: admins and coordinators (each row's cohort or
/// assistance must be one they manage).
pub struct CostImport<'a> {
    user: &'a Actor,
}

impl<'a> CostImport<'a> {
    pub async fn open(user: &'a Actor) -> AppResult<Self> {
        if user.is_staff() {
            Ok(CostImport { user })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The column a rule's field is read from.
fn column_of(field: &str) -> &'static str {
    match field {
        "kind" => COL_KIND,
        "basis" => COL_BASIS,
        "amount" => COL_AMOUNT,
        "incurred_on" => COL_DATE,
        "plan_line_id" => COL_LINE,
        "description" => COL_DESCRIPTION,
        _ => COL_REFERENCE,
    }
}

/// The template: the columns, an example row, drop-down lists for kind and basis.
pub async fn template() -> AppResult<Vec<u8>> {
    crate::blocking::run(|| {
        let kinds: Vec<&str> = CostKind::ALL.iter().map(|k| k.as_str()).collect();
        let bases: Vec<&str> = CostBasis::ALL.iter().map(|b| b.as_str()).collect();
        let columns: Vec<(&str, Option<&[&str]>)> = COLUMNS
            .iter()
            .map(|c| {
                let list = match *c {
                    COL_KIND => Some(kinds.as_slice()),
                    COL_BASIS => Some(bases.as_slice()),
                    _ => None,
                };
                (*c, list)
            })
            .collect();
        crate::spreadsheets::template(
            "Costos ejecutados",
            &columns,
            &[
                "CTO-2026-001",
                "12",
                "",
                "instructores",
                "fijo",
                "2400000",
                "2026-06-30",
                "",
                "Honorarios del instructor",
            ],
        )
    })
    .await
}

impl Import for CostImport<'_> {
    type Row = CostRow;
    type Plan = Plan;
    type Summary = CostImportSummary;

    const HEADERS: &'static [&'static str] = &[COL_REFERENCE, COL_AMOUNT];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        // Imports of costs take turns (SQLite's writers already do): two imports of the same
        // references cannot both create them.
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("SELECT pg_advisory_xact_lock(4091047)")
                .await?;
        }
        Ok(CostImport { user: self.user })
    }

    async fn rows(
        &self,
        _db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<CostRow>> {
        let missing: Vec<String> = REQUIRED
            .iter()
            .filter(|c| !table.has(c))
            .map(|c| format!("«{c}»"))
            .collect();
        if !missing.is_empty() || !(table.has(COL_COHORT) || table.has(COL_ASSISTANCE)) {
            return Err(AppError::Validation(vec![FieldError::in_row(
                1,
                "file",
                "El archivo necesita las columnas «referencia», «cohorte» o «asistencia», \
                 «tipo», «base» y «valor» (descargue la plantilla).",
            )]));
        }
        Ok(table
            .rows
            .iter()
            .map(|r| CostRow {
                row: r.number,
                reference: r.get(COL_REFERENCE).to_string(),
                cohort: r.get(COL_COHORT).to_string(),
                assistance: r.get(COL_ASSISTANCE).to_string(),
                kind: r.get(COL_KIND).to_string(),
                basis: r.get(COL_BASIS).to_string(),
                amount: r.get(COL_AMOUNT).to_string(),
                date: r.get(COL_DATE).to_string(),
                line: r.get(COL_LINE).to_string(),
                description: r.get(COL_DESCRIPTION).to_string(),
            })
            .collect())
    }

    async fn plan(&self, db: &impl ConnectionTrait, rows: Vec<CostRow>) -> AppResult<Plan> {
        check(db, self.user, rows).await
    }

    fn preview(&self, plan: Plan) -> CostImportSummary {
        plan.summary
    }

    async fn save(&self, db: &impl ConnectionTrait, plan: Plan) -> AppResult<CostImportSummary> {
        let mut changes = Vec::new();
        let now = crate::time::now();
        for p in plan.planned.into_iter().filter(Planned::changes) {
            let c = p.checked;
            let (saved, before) = match p.existing {
                None => {
                    let saved = cost_item::ActiveModel {
                        provider_id: Set(p.provider_id),
                        cohort_id: Set(p.target.0),
                        assistance_id: Set(p.target.1),
                        plan_line_id: Set(c.plan_line_id),
                        kind: Set(c.kind),
                        basis: Set(c.basis),
                        amount: Set(c.amount),
                        stage: Set(c.stage),
                        incurred_on: Set(c.incurred_on),
                        description: Set(c.description),
                        reference: Set(Some(p.reference)),
                        created_by: Set(Some(self.user.id)),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(db)
                    .await?;
                    (saved, None)
                }
                Some(existing) => {
                    let before = serde_json::to_value(snapshot(&existing)).ok();
                    let mut model: cost_item::ActiveModel = existing.into();
                    c.set_on(&mut model);
                    (model.update(db).await?, before)
                }
            };
            changes.push((saved, before));
        }
        audit::record_many(
            db,
            changes
                .iter()
                .map(|(saved, before)| Change {
                    actor: Some(self.user.id),
                    action: "cost.imported",
                    subject_type: "cost_item",
                    subject_id: saved.id.to_string(),
                    before: before.clone(),
                    after: serde_json::to_value(snapshot(saved)).ok(),
                })
                .collect(),
        )
        .await?;
        Ok(CostImportSummary {
            dry_run: false,
            ..plan.summary
        })
    }
}

/// What the audit log keeps of an item.
#[derive(Serialize)]
struct Snapshot {
    reference: Option<String>,
    cohort_id: Option<i32>,
    assistance_id: Option<i32>,
    kind: CostKind,
    basis: CostBasis,
    amount: i64,
    stage: CostStage,
    plan_line_id: Option<i32>,
    incurred_on: NaiveDate,
    description: Option<String>,
}

fn snapshot(item: &cost_item::Model) -> Snapshot {
    Snapshot {
        reference: item.reference.clone(),
        cohort_id: item.cohort_id,
        assistance_id: item.assistance_id,
        kind: item.kind,
        basis: item.basis,
        amount: item.amount,
        stage: item.stage,
        plan_line_id: item.plan_line_id,
        incurred_on: item.incurred_on,
        description: item.description.clone(),
    }
}

/// An id typed in a cell: a whole number, or a problem.
fn id_of(text: &str) -> Option<Result<i32, ()>> {
    let text = text.trim();
    (!text.is_empty()).then(|| {
        text.parse::<i32>()
            .map_err(|_| ())
            .and_then(|n| if n > 0 { Ok(n) } else { Err(()) })
    })
}

/// A cohort or assistance the importer manages and the plan lines it may answer.
type Found = (Target, Vec<LineChoice>);

/// The cohort or assistance a row names, if `user` manages it (cached per kind and id: `None`
/// when it does not exist for `user`).
async fn target_of<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    raw: &CostRow,
    cache: &mut HashMap<(bool, i32), Option<Found>>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<Found>> {
    let (is_cohort, column, id) = match (id_of(&raw.cohort), id_of(&raw.assistance)) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::in_row(
                raw.row,
                COL_COHORT,
                "Escriba la cohorte o la asistencia, no las dos.",
            ));
            return Ok(None);
        }
        (None, None) => {
            errors.push(FieldError::in_row(
                raw.row,
                COL_COHORT,
                "Escriba el número de la cohorte o de la asistencia a la que corresponde el costo.",
            ));
            return Ok(None);
        }
        (Some(id), None) => (true, COL_COHORT, id),
        (None, Some(id)) => (false, COL_ASSISTANCE, id),
    };
    let typed = if is_cohort {
        &raw.cohort
    } else {
        &raw.assistance
    };
    let Ok(id) = id else {
        errors.push(FieldError::in_row(
            raw.row,
            column,
            format!("«{}» no es un número de {}.", typed.trim(), column),
        ));
        return Ok(None);
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry((is_cohort, id)) {
        let found = if is_cohort {
            items::cohort_managed(db, user, id).await
        } else {
            items::assistance_managed(db, user, id).await
        };
        let entry = match found {
            Ok(target) => {
                let lines = items::answerable_lines(db, &target).await?;
                Some((target, lines))
            }
            Err(AppError::NotFound | AppError::Forbidden) => None,
            Err(other) => return Err(other),
        };
        slot.insert(entry);
    }
    let found = cache.get(&(is_cohort, id)).cloned().flatten();
    if found.is_none() {
        errors.push(FieldError::in_row(
            raw.row,
            column,
            format!(
                "No existe {} {id} entre las que usted gestiona.",
                if is_cohort {
                    "la cohorte"
                } else {
                    "la asistencia"
                }
            ),
        ));
    }
    Ok(found)
}

/// The reference: given, not too long, not repeated in the file.
fn check_reference(
    row: usize,
    reference: &str,
    seen: &mut HashMap<String, usize>,
    problems: &mut Vec<FieldError>,
) {
    if reference.is_empty() {
        problems.push(FieldError::in_row(
            row,
            COL_REFERENCE,
            "Falta la referencia: su propia clave del costo (por ejemplo, el número de la \
             orden de pago).",
        ));
    } else if reference.chars().count() > REFERENCE_MAX {
        problems.push(FieldError::in_row(
            row,
            COL_REFERENCE,
            format!("La referencia tiene más de {REFERENCE_MAX} caracteres."),
        ));
    } else if let Some(first) = seen.insert(reference.to_string(), row) {
        problems.push(FieldError::in_row(
            row,
            COL_REFERENCE,
            format!("La referencia «{reference}» ya está en la fila {first}."),
        ));
    }
}

/// The plan line typed, if any: `Some(Some(n))` for a number, `None` when blank or not one.
fn plan_line(raw: &CostRow, problems: &mut Vec<FieldError>) -> Option<Option<i32>> {
    match raw.line.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(n) => Some(Some(n)),
            Err(_) => {
                problems.push(FieldError::in_row(
                    raw.row,
                    COL_LINE,
                    format!("«{text}» no es el número de una línea del plan."),
                ));
                None
            }
        },
    }
}

/// Each planned cost's recorded one with its reference; a reference already recorded for
/// another cohort or assistance is a mistake in the file.
async fn attach_recorded<C: ConnectionTrait>(
    db: &C,
    planned: &mut [Planned],
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    let mut recorded: HashMap<(i32, String), cost_item::Model> = HashMap::new();
    let references: Vec<String> = planned.iter().map(|p| p.reference.clone()).collect();
    for chunk in references.chunks(crate::bulk::INSERT_CHUNK) {
        for item in cost_item::Entity::find()
            .filter(cost_item::Column::Reference.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(reference) = item.reference.clone() {
                recorded.insert((item.provider_id, reference), item);
            }
        }
    }
    for p in planned.iter_mut() {
        let existing = recorded.get(&(p.provider_id, p.reference.clone())).cloned();
        if let Some(e) = &existing
            && (e.cohort_id, e.assistance_id) != p.target
        {
            errors.push(FieldError::in_row(
                p.row,
                COL_REFERENCE,
                format!(
                    "La referencia «{}» ya es de un costo de {}: use otra.",
                    p.reference,
                    match (e.cohort_id, e.assistance_id) {
                        (Some(c), _) => format!("la cohorte {c}"),
                        (None, Some(a)) => format!("la asistencia {a}"),
                        (None, None) => "otra actividad".to_string(),
                    }
                ),
            ));
        }
        p.existing = existing;
    }
    Ok(())
}

/// What the import would do: created, updated, unchanged, and the first changes listed.
fn summary_of(planned: &[Planned]) -> CostImportSummary {
    let mut summary = CostImportSummary {
        dry_run: true,
        created: 0,
        updated: 0,
        unchanged: 0,
        changes: Vec::new(),
    };
    for p in planned {
        if !p.changes() {
            summary.unchanged += 1;
            continue;
        }
        if p.existing.is_some() {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        if summary.changes.len() < LISTED_CHANGES {
            summary.changes.push(CostChange {
                row: p.row,
                reference: p.reference.clone(),
                target: match p.target {
                    (Some(c), _) => format!("Cohorte {c}"),
                    (None, Some(a)) => format!("Asistencia {a}"),
                    (None, None) => String::new(),
                },
                kind_label: p.checked.kind.label(),
                amount: p.checked.amount,
                before: p.existing.as_ref().map(|e| e.amount),
            });
        }
    }
    summary
}

async fn check<C: ConnectionTrait>(db: &C, user: &Actor, rows: Vec<CostRow>) -> AppResult<Plan> {
    let today = crate::time::today();
    let mut errors = Vec::new();
    let mut cache = HashMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut planned = Vec::new();
    for raw in rows {
        let mut problems = Vec::new();
        let reference = raw.reference.trim().to_string();
        check_reference(raw.row, &reference, &mut seen, &mut problems);
        let target = target_of(db, user, &raw, &mut cache, &mut problems).await?;
        let line = plan_line(&raw, &mut problems);
        let input = CostInput {
            kind: Some(raw.kind.clone()),
            basis: Some(raw.basis.clone()),
            amount: Whole::typed(&raw.amount),
            stage: Some(CostStage::Ejecutado.as_str().to_string()),
            plan_line_id: line,
            incurred_on: Some(raw.date.clone()),
            description: Some(raw.description.clone()),
        };
        let Some((target, lines)) = target else {
            errors.extend(problems);
            continue;
        };
        let checked = match items::check(db, &target, &input, None, today, Some(&lines)).await {
            Ok(checked) => Some(checked),
            Err(AppError::Validation(found)) => {
                problems.extend(
                    found
                        .into_iter()
                        .map(|e| FieldError::in_row(raw.row, column_of(&e.field), e.message)),
                );
                None
            }
            Err(other) => return Err(other),
        };
        if !problems.is_empty() {
            errors.extend(problems);
            continue;
        }
        let Some(checked) = checked else { continue };
        let ids = match &target {
            Target::Cohort(c) => (Some(c.id), None),
            Target::Assistance(a) => (None, Some(a.id)),
        };
        planned.push(Planned {
            row: raw.row,
            reference,
            target: ids,
            provider_id: target.provider_id(),
            checked,
            existing: None,
        });
    }
    attach_recorded(db, &mut planned, &mut errors).await?;
    errors.sort_by_key(|e| e.row);
    let planned =
        crate::spreadsheets::all_or_nothing(errors, planned, "El archivo no tiene ningún costo.")?;
    let summary = summary_of(&planned);
    Ok(Plan { planned, summary })
}
