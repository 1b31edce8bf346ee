//! A municipality's key positions from a spreadsheet (`.xlsx` or `.csv`) through the one
//! import pipeline (issue 68): one row a position, with SIGEP-like columns — «Cargo»,
//! «Nombre del titular», «Documento» (optional: links a person of the product registered in
//! the municipality), «Tipo de vinculación», «Fecha de posesión» and «Capacidad» (name or
//! code; empty for one of the usual titles, [`super::SUGGESTED`]). A row whose «Cargo» is
//! already a position of the municipality (same words, accents and case aside) changes it; a
//! row naming another holder than the one recorded, or none, is refused: a departure is
//! recorded on the page or the API, with its day. All or nothing, every problem with its row.

use super::{Valid, ValidHolder};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::{capacity, key_position, participant};
use crate::error::{AppError, AppResult, FieldError};
use crate::reports::place::Place;
use crate::rows::Rows;
use crate::spreadsheets::{Import, ImportTable, normalize_header};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const COL_TITLE: &str = "Cargo";
pub const COL_NAME: &str = "Nombre del titular";
pub const COL_DOCUMENT: &str = "Documento";
pub const COL_APPOINTMENT: &str = "Tipo de vinculación";
pub const COL_SINCE: &str = "Fecha de posesión";
pub const COL_CAPACITY: &str = "Capacidad";

/// The template's columns, in order.
pub const COLUMNS: [&str; 6] = [
    COL_TITLE,
    COL_NAME,
    COL_DOCUMENT,
    COL_APPOINTMENT,
    COL_SINCE,
    COL_CAPACITY,
];

/// One row as read from the file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct PositionRow {
    pub row: usize,
    pub title: String,
    pub name: String,
    pub document: String,
    pub appointment: String,
    pub since: String,
    pub capacity: String,
}

/// A position the import creates or changes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PositionImportChange)]
pub struct PositionChange {
    #[schema(minimum = 2)]
    pub row: usize,
    pub title: String,
    /// New (`true`) or changed.
    pub created: bool,
    /// The holder as the row names them; null for a vacant position.
    pub holder: Option<String>,
    /// Whether the holder was linked to a person of the product by their document.
    pub linked: bool,
}

/// What an import of key positions would change (dry run) or changed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PositionImportSummary)]
pub struct PositionImportSummary {
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub changes: Vec<PositionChange>,
}

pub struct Planned {
    row: usize,
    valid: Valid,
    holder_label: Option<String>,
    existing: Option<key_position::Model>,
}

impl Planned {
    fn changes(&self) -> bool {
        let Some(e) = &self.existing else {
            return true;
        };
        let (person, name, kind, since) = super::holder_columns(&self.valid.holder);
        e.title != self.valid.title
            || e.capacity_id != self.valid.capacity_id
            || e.holder_participant_id != person
            || e.holder_name != name
            || e.appointment != kind
            || e.since != since
    }
}

pub struct Plan {
    planned: Vec<Planned>,
}

/// An import of one municipality's key positions, opened for someone who may change them.
pub struct PositionImport<'a> {
    user: &'a Actor,
    place: Place,
}

impl<'a> PositionImport<'a> {
    pub async fn open<C: ConnectionTrait>(db: &C, user: &'a Actor, code: &str) -> AppResult<Self> {
        let place = super::scoped(db, user, code).await?;
        Ok(PositionImport { user, place })
    }
}

/// The template: the columns, an example row, the drop-down lists of appointment types and
/// capacities.
pub async fn template<C: ConnectionTrait>(db: &C) -> AppResult<Vec<u8>> {
    let capacities: Vec<String> = crate::capacities::active_in_order(db)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    crate::blocking::run(move || {
        let kinds: Vec<&str> = super::APPOINTMENTS.iter().map(|(v, _)| *v).collect();
        let names: Vec<&str> = capacities.iter().map(String::as_str).collect();
        let columns: Vec<(&str, Option<&[&str]>)> = COLUMNS
            .iter()
            .map(|c| {
                let list = match *c {
                    COL_APPOINTMENT => Some(kinds.as_slice()),
                    COL_CAPACITY => Some(names.as_slice()),
                    _ => None,
                };
                (*c, list)
            })
            .collect();
        crate::spreadsheets::template(
            "Cargos clave",
            &columns,
            &[
                "Tesorero(a)",
                "Ana María Perdomo Ríos",
                "",
                "libre_nombramiento",
                "2024-01-15",
                "Movilización de recursos",
            ],
        )
    })
    .await
}

/// The appointment type named by a cell: its value or its label, accents and case aside.
fn appointment_of(cell: &str) -> Option<&'static str> {
    let folded = crate::text::fold(cell).replace(['_', '-'], " ");
    super::APPOINTMENTS.iter().find_map(|(value, label)| {
        let value_words = value.replace('_', " ");
        (folded == value_words || folded == crate::text::fold(label)).then_some(*value)
    })
}

/// A day as a spreadsheet gives it: `AAAA-MM-DD` (Excel dates arrive so) or `dd/mm/aaaa`.
fn iso_day(cell: &str) -> String {
    let cell = cell.trim();
    let cell = cell.split(' ').next().unwrap_or(cell);
    match NaiveDate::parse_from_str(cell, "%d/%m/%Y") {
        Ok(d) => d.to_string(),
        Err(_) => cell.to_string(),
    }
}

impl Import for PositionImport<'_> {
    type Row = PositionRow;
    type Plan = Plan;
    type Summary = PositionImportSummary;

    const HEADERS: &'static [&'static str] = &[COL_TITLE, COL_CAPACITY];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("SELECT pg_advisory_xact_lock(4091068)")
                .await?;
        }
        Ok(PositionImport {
            user: self.user,
            place: self.place.clone(),
        })
    }

    async fn rows(
        &self,
        _db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<PositionRow>> {
        let col = |c: &str| normalize_header(c);
        if ![
            COL_TITLE,
            COL_NAME,
            COL_APPOINTMENT,
            COL_SINCE,
            COL_CAPACITY,
        ]
        .iter()
        .all(|c| table.has(&col(c)))
        {
            return Err(AppError::Validation(vec![FieldError::in_row(
                1,
                "file",
                "El archivo necesita las columnas «Cargo», «Nombre del titular», «Tipo de \
                 vinculación», «Fecha de posesión» y «Capacidad» («Documento» es opcional; \
                 descargue la plantilla).",
            )]));
        }
        Ok(table
            .rows
            .iter()
            .map(|r| PositionRow {
                row: r.number,
                title: r.get(&col(COL_TITLE)).to_string(),
                name: r.get(&col(COL_NAME)).to_string(),
                document: r.get(&col(COL_DOCUMENT)).to_string(),
                appointment: r.get(&col(COL_APPOINTMENT)).to_string(),
                since: r.get(&col(COL_SINCE)).to_string(),
                capacity: r.get(&col(COL_CAPACITY)).to_string(),
            })
            .collect())
    }

    async fn plan(&self, db: &impl ConnectionTrait, rows: Vec<PositionRow>) -> AppResult<Plan> {
        let known = Known::read(db, &self.place.code).await?;
        let mut errors: Vec<FieldError> = Vec::new();
        let mut planned = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in rows {
            let n = r.row;
            match check_row(r, &known, &mut seen) {
                Ok(row) => planned.push(row),
                Err(row_errors) => errors.extend(
                    row_errors
                        .into_iter()
                        .map(|e| FieldError::in_row(n, e.field, e.message)),
                ),
            }
        }
        let planned = crate::spreadsheets::all_or_nothing(
            errors,
            planned,
            "El archivo no trae ningún cargo: escriba uno por fila (descargue la plantilla).",
        )?;
        Ok(Plan { planned })
    }

    fn preview(&self, plan: Plan) -> PositionImportSummary {
        summary(&plan, true)
    }

    async fn save(
        &self,
        db: &impl ConnectionTrait,
        plan: Plan,
    ) -> AppResult<PositionImportSummary> {
        let out = summary(&plan, false);
        for p in plan.planned.into_iter().filter(Planned::changes) {
            match p.existing {
                None => {
                    super::insert(db, self.user.id, &self.place.code, &p.valid).await?;
                }
                Some(existing) => {
                    let before = super::snapshot(&existing);
                    let (person, name, kind, since) = super::holder_columns(&p.valid.holder);
                    let mut active: key_position::ActiveModel = existing.into();
                    active.title = Set(p.valid.title.clone());
                    active.capacity_id = Set(p.valid.capacity_id);
                    active.holder_participant_id = Set(person);
                    active.holder_name = Set(name);
                    active.appointment = Set(kind);
                    active.since = Set(since);
                    active.updated_at = Set(crate::time::now());
                    let updated = active.update(db).await?;
                    audit::record(
                        db,
                        Change {
                            actor: Some(self.user.id),
                            action: "key_position.imported",
                            subject_type: "key_position",
                            subject_id: updated.id.to_string(),
                            before: Some(before),
                            after: Some(super::snapshot(&updated)),
                        },
                    )
                    .await?;
                }
            }
        }
        Ok(out)
    }
}

/// What an import's rows are checked against: every capacity, the municipality's key
/// positions by folded title, its registered people (not anonymised) by document, and today.
struct Known {
    capacities: Vec<capacity::Model>,
    existing: HashMap<String, key_position::Model>,
    people: HashMap<String, participant::Model>,
    today: NaiveDate,
}

impl Known {
    /// Reads them for the municipality `code`.
    async fn read(db: &impl ConnectionTrait, code: &str) -> AppResult<Known> {
        let capacities = capacity::Entity::find().all(db).await?;
        let existing: HashMap<String, key_position::Model> = key_position::Entity::find()
            .filter(key_position::Column::MunicipalityCode.eq(code))
            .all_mapped(db, |p| (crate::text::fold(&p.title), p))
            .await?;
        let people: HashMap<String, participant::Model> = participant::Entity::find()
            .filter(participant::Column::MunicipalityCode.eq(code))
            .filter(participant::Column::AnonymisedAt.is_null())
            .all_mapped(db, |p| (p.document_number.clone(), p))
            .await?;
        Ok(Known {
            capacities,
            existing,
            people,
            today: crate::time::today(),
        })
    }
}

/// One row of the file, checked: what it plans, or every problem of the row (in the order of
/// its columns; the row number is added by the caller). `seen`: the folded titles of the
/// rows before it, with their row.
fn check_row(
    r: PositionRow,
    known: &Known,
    seen: &mut HashMap<String, usize>,
) -> Result<Planned, Vec<FieldError>> {
    let n = r.row;
    let mut row_errors: Vec<FieldError> = Vec::new();
    let title = crate::validate::required(
        COL_TITLE,
        crate::validate::single_line(COL_TITLE, &r.title, crate::validate::TITLE_MAX),
        "Escriba el nombre del cargo.",
        &mut row_errors,
    );
    let folded_title = title.as_deref().map(crate::text::fold);
    if let Some(t) = &folded_title {
        if let Some(first) = seen.get(t) {
            row_errors.push(FieldError::new(
                COL_TITLE,
                format!("El cargo ya está en la fila {first} del archivo."),
            ));
        } else {
            seen.insert(t.clone(), n);
        }
    }
    let capacity_id = capacity_of(
        &r.capacity,
        folded_title.as_deref(),
        &known.capacities,
        &mut row_errors,
    );
    let valid_holder = holding_of(&r, known, &mut row_errors);
    let current = folded_title
        .as_ref()
        .and_then(|t| known.existing.get(t))
        .cloned();
    if let Some(current) = &current
        && row_errors.is_empty()
        && !same_holder(current, valid_holder.as_ref().map(|(h, _, _)| h))
    {
        row_errors.push(FieldError::new(
            COL_NAME,
            "El cargo tiene otro titular: registre primero su salida (con el día en que dejó el \
             cargo) en la página de cargos clave.",
        ));
    }
    if !row_errors.is_empty() {
        return Err(row_errors);
    }
    let holder_label = valid_holder.as_ref().map(|(h, _, _)| match h {
        ValidHolder::Person(id) => known
            .people
            .values()
            .find(|p| p.id == *id)
            .map(participant::Model::full_name)
            .unwrap_or_default(),
        ValidHolder::Name(name) => name.clone(),
    });
    Ok(Planned {
        row: n,
        valid: Valid {
            title: title.unwrap_or_default(),
            capacity_id: capacity_id.unwrap_or_default(),
            holder: valid_holder,
        },
        holder_label,
        existing: current,
    })
}

/// The capacity a row's cell names (by name or code); an empty cell takes the one suggested
/// for the position's title, if any. None, with the problem in `errors`, when there is none.
fn capacity_of(
    cell: &str,
    folded_title: Option<&str>,
    capacities: &[capacity::Model],
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    let raw = cell;
    let cell = crate::text::fold(raw);
    let capacity_id = if cell.is_empty() {
        folded_title.and_then(|t| {
            super::SUGGESTED
                .iter()
                .find(|(title, _)| crate::text::fold(title) == t)
                .and_then(|(_, code)| capacities.iter().find(|c| c.code == *code))
                .map(|c| c.id)
        })
    } else {
        capacities
            .iter()
            .find(|c| crate::text::fold(&c.name) == cell || c.code == cell.replace(' ', "_"))
            .map(|c| c.id)
    };
    if capacity_id.is_none() {
        let names: Vec<String> = capacities.iter().map(|c| format!("«{}»", c.name)).collect();
        errors.push(FieldError::new(
            COL_CAPACITY,
            if cell.is_empty() {
                format!(
                    "Escriba la capacidad que el cargo ejerce: {}.",
                    names.join(", ")
                )
            } else {
                format!(
                    "«{}» no es una capacidad: escriba {}.",
                    raw.trim(),
                    names.join(", ")
                )
            },
        ));
    }
    capacity_id
}

/// A row's holder with the kind of appointment and the day of possession: a registered
/// person by document, else the name written; none when the row names no holder (then no
/// appointment nor day may be written). Problems go to `errors`.
fn holding_of(
    r: &PositionRow,
    known: &Known,
    errors: &mut Vec<FieldError>,
) -> Option<(ValidHolder, String, NaiveDate)> {
    let document = r.document.trim();
    let person = (!document.is_empty())
        .then(|| known.people.get(document))
        .flatten();
    let name = crate::validate::collect(
        crate::validate::single_line(COL_NAME, &r.name, crate::validate::FULL_NAME_MAX),
        errors,
    );
    let holder: Option<ValidHolder> = match (person, name) {
        (Some(p), _) => Some(ValidHolder::Person(p.id)),
        (None, Some(name)) => Some(ValidHolder::Name(name)),
        (None, None) => {
            if !document.is_empty() {
                errors.push(FieldError::new(
                    COL_NAME,
                    "Ese documento no es de una persona registrada en el municipio: escriba el \
                     nombre del titular.",
                ));
            }
            None
        }
    };
    let Some(holder) = holder else {
        if !r.appointment.trim().is_empty() || !r.since.trim().is_empty() {
            errors.push(FieldError::new(
                COL_NAME,
                "Sin titular no hay vinculación ni fecha de posesión: escriba el titular o deje \
                 esas columnas vacías.",
            ));
        }
        return None;
    };
    let kind = match appointment_of(&r.appointment) {
        Some(kind) => Some(kind.to_string()),
        None => super::appointment(COL_APPOINTMENT, Some(r.appointment.as_str()), errors),
    };
    let since = super::past_date(
        COL_SINCE,
        Some(iso_day(&r.since).as_str()),
        known.today,
        "Escriba la fecha de posesión (AAAA-MM-DD).",
        errors,
    );
    match (kind, since) {
        (Some(kind), Some(since)) => Some((holder, kind, since)),
        _ => None,
    }
}

/// Whether a row's holder (`None`: none) is the one position `current` records: a vacant
/// position takes anyone; names compare folded.
fn same_holder(current: &key_position::Model, holder: Option<&ValidHolder>) -> bool {
    let recorded = match (current.holder_participant_id, &current.holder_name) {
        (Some(id), _) => Some(ValidHolder::Person(id)),
        (None, Some(name)) => Some(ValidHolder::Name(name.clone())),
        (None, None) => None,
    };
    match (&recorded, holder) {
        (None, _) => true,
        (Some(ValidHolder::Name(a)), Some(ValidHolder::Name(b))) => {
            crate::text::fold(a) == crate::text::fold(b)
        }
        (Some(a), Some(b)) => a == b,
        (Some(_), None) => false,
    }
}

fn summary(plan: &Plan, dry_run: bool) -> PositionImportSummary {
    let mut out = PositionImportSummary {
        dry_run,
        created: 0,
        updated: 0,
        unchanged: 0,
        changes: Vec::new(),
    };
    for p in &plan.planned {
        if !p.changes() {
            out.unchanged += 1;
            continue;
        }
        let created = p.existing.is_none();
        if created {
            out.created += 1;
        } else {
            out.updated += 1;
        }
        out.changes.push(PositionChange {
            row: p.row,
            title: p.valid.title.clone(),
            created,
            holder: p.holder_label.clone(),
            linked: matches!(p.valid.holder, Some((ValidHolder::Person(_), _, _))),
        });
    }
    out
}
