//! Enrolling a whole office from a spreadsheet. Rows create or match participants by document
//! and enrol them. All or nothing: every row is checked first; any bad row → 422 with its row,
//! column and a Spanish message, and nothing is written. A dry run says per row what would
//! happen.

use super::{EnrolmentView, Requester, offered_to};
use crate::accounts::actor::Actor;
use crate::cohorts;
use crate::entities::values::{CohortStatus, DocumentType, EnrolmentStatus};
use crate::entities::{enrolment, participant};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::people::registration::{self, Profile, ProfileInput};
use crate::people::{ENTITY_TYPES, LEVELS};
use crate::spreadsheets::{self, ImportRow, ImportTable};
use crate::text::fold;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// The template's columns: (canonical field, Spanish header, required, other accepted headers).
pub const COLUMNS: &[(&str, &str, bool, &[&str])] = &[
    (
        "document_type",
        "Tipo de documento",
        true,
        &["tipo_documento", "tipo_doc", "document_type"],
    ),
    (
        "document_number",
        "Número de documento",
        true,
        &["numero_documento", "documento", "cedula", "document_number"],
    ),
    ("first_names", "Nombres", true, &["nombre", "first_names"]),
    ("last_names", "Apellidos", true, &["apellido", "last_names"]),
    (
        "email",
        "Correo electrónico",
        false,
        &["correo", "email", "e-mail"],
    ),
    ("phone", "Celular", false, &["telefono", "phone"]),
    (
        "municipality_code",
        "Código DANE del municipio",
        true,
        &[
            "codigo_dane",
            "codigo_municipio",
            "municipio",
            "dane",
            "municipality_code",
        ],
    ),
    (
        "entity_type",
        "Tipo de entidad",
        true,
        &["tipo_entidad", "entidad", "entity_type"],
    ),
    (
        "entity_name",
        "Nombre de la entidad",
        false,
        &["entity_name"],
    ),
    ("position", "Cargo", false, &["position"]),
    ("level", "Nivel", true, &["nivel_jerarquico", "level"]),
];

fn label_of(field: &str) -> &'static str {
    COLUMNS.iter().find(|c| c.0 == field).map_or("", |c| c.1)
}

/// The downloadable template: headers, an example row, drop-down lists.
pub fn template() -> AppResult<Vec<u8>> {
    let documents: &[&str] = &["CC", "CE", "PA", "PPT"];
    let entities: Vec<&str> = ENTITY_TYPES.iter().map(|(v, _)| *v).collect();
    let levels: Vec<&str> = LEVELS.iter().map(|(v, _)| *v).collect();
    let columns: Vec<(&str, Option<&[&str]>)> = COLUMNS
        .iter()
        .map(|(field, header, _, _)| {
            let list = match *field {
                "document_type" => Some(documents),
                "entity_type" => Some(entities.as_slice()),
                "level" => Some(levels.as_slice()),
                _ => None,
            };
            (*header, list)
        })
        .collect();
    spreadsheets::template(
        "Inscripciones",
        &columns,
        &[
            "CC",
            "1117512345",
            "María Fernanda",
            "Muñoz Peña",
            "maria.munoz@example.org",
            "3101234567",
            "18592",
            "alcaldia",
            "Alcaldía de Puerto Rico",
            "Secretaria de Planeación",
            "directivo",
        ],
    )
}

/// Header (as normalized in the file) → canonical field.
fn column_map(headers: &[String]) -> HashMap<String, &'static str> {
    let mut map = HashMap::new();
    for header in headers {
        for (field, label, _, aliases) in COLUMNS {
            let known = spreadsheets::normalize_header(label) == *header
                || *field == header
                || aliases
                    .iter()
                    .any(|a| spreadsheets::normalize_header(a) == *header);
            if known {
                map.insert(header.clone(), *field);
            }
        }
    }
    map
}

/// A value from a list given as its code or its Spanish label ("Alcaldía" → "alcaldia").
fn from_list(list: &[(&str, &str)], text: &str) -> String {
    let folded = fold(text);
    list.iter()
        .find(|(value, label)| fold(value) == folded || fold(label) == folded)
        .map_or(text.trim().to_string(), |(value, _)| value.to_string())
}

/// One row's outcome, for the dry run's preview.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ImportRowOutcome)]
pub struct RowOutcome {
    /// Row of the file (the header is row 1).
    #[schema(minimum = 2)]
    pub row: usize,
    /// Document type and number.
    pub document: String,
    pub full_name: String,
    /// `enrol`, `waitlist`, `already_enrolled`.
    #[schema(example = "enrol")]
    pub action: &'static str,
    /// The person was not registered yet (created from the row).
    pub new_participant: bool,
    pub waitlist_position: Option<u64>,
}

/// What an enrolment import did (or, in a dry run, would do).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = EnrolmentImportSummary)]
pub struct ImportSummary {
    pub created_participants: u64,
    pub enrolled: u64,
    pub waitlisted: u64,
    pub already_enrolled: u64,
    pub dry_run: bool,
    pub rows: Vec<RowOutcome>,
}

struct CheckedRow {
    number: usize,
    profile: Profile,
    existing: Option<participant::Model>,
}

/// Checks every row; returns them all or every problem found.
async fn check_rows<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    rows: &[ImportRow],
    fields: &HashMap<String, &'static str>,
) -> AppResult<Vec<CheckedRow>> {
    let targets = cohorts::targets_of(db, &[cohort_id])
        .await?
        .remove(&cohort_id)
        .unwrap_or_default();
    let cell = |row: &ImportRow, field: &str| -> Option<String> {
        fields
            .iter()
            .find(|(_, f)| **f == field)
            .map(|(header, _)| row.get(header).to_string())
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for row in rows {
        let input = ProfileInput {
            document_type: cell(row, "document_type").map(|t| t.to_uppercase()),
            document_number: cell(row, "document_number"),
            first_names: cell(row, "first_names"),
            last_names: cell(row, "last_names"),
            email: cell(row, "email"),
            phone: cell(row, "phone"),
            municipality_code: cell(row, "municipality_code"),
            entity_type: cell(row, "entity_type").map(|t| from_list(ENTITY_TYPES, &t)),
            entity_name: cell(row, "entity_name"),
            position: cell(row, "position"),
            level: cell(row, "level").map(|t| from_list(LEVELS, &t)),
            ..Default::default()
        };
        let at_row = |e: FieldError| FieldError {
            row: Some(row.number),
            field: label_of(&e.field).to_string(),
            message: e.message,
        };
        match registration::validate(db, &input).await {
            Err(AppError::Validation(found)) => errors.extend(found.into_iter().map(at_row)),
            Err(other) => return Err(other),
            Ok(profile) => {
                let key = (
                    profile.document_type.as_str().to_string(),
                    profile.document_number.clone(),
                );
                if !seen.insert(key) {
                    errors.push(at_row(FieldError::new(
                        "document_number",
                        "Esta persona ya aparece en una fila anterior del archivo.",
                    )));
                    continue;
                }
                if !offered_to(&targets, &profile.municipality_code) {
                    errors.push(at_row(FieldError::new(
                        "municipality_code",
                        format!(
                            "La cohorte no se ofrece al municipio {}.",
                            profile.municipality_code
                        ),
                    )));
                    continue;
                }
                let existing =
                    find_person(db, profile.document_type, &profile.document_number).await?;
                checked.push(CheckedRow {
                    number: row.number,
                    profile,
                    existing,
                });
            }
        }
    }
    if errors.len() > MAX_REPORTED_ERRORS {
        let more = errors.len() - MAX_REPORTED_ERRORS;
        errors.truncate(MAX_REPORTED_ERRORS);
        errors.push(FieldError::new(
            "file",
            format!("… y {more} errores más. Corrija los anteriores y vuelva a subir el archivo."),
        ));
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A file with thousands of bad rows is usually one systematic mistake: list the first ones.
const MAX_REPORTED_ERRORS: usize = 200;

async fn find_person<C: ConnectionTrait>(
    db: &C,
    kind: DocumentType,
    number: &str,
) -> AppResult<Option<participant::Model>> {
    Ok(participant::Entity::find()
        .filter(participant::Column::DocumentType.eq(kind))
        .filter(participant::Column::DocumentNumber.eq(number))
        .one(db)
        .await?)
}

async fn active_enrolment<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    participant_id: i32,
) -> AppResult<bool> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .one(db)
        .await?
        .is_some())
}

/// Parses an upload on a blocking thread, bounded (see `spreadsheets::MAX_IMPORT_ROWS`). Call
/// it before opening the transaction [`run`] writes in, so the database stays free meanwhile.
pub async fn parse(bytes: Vec<u8>, filename: String) -> AppResult<ImportTable> {
    spreadsheets::parse_upload(bytes, filename, Vec::new()).await
}

/// [`run`] where it belongs: a dry run only reads, so it takes no write lock at all (other
/// people's writes go on meanwhile); a real import runs in one write transaction, all or
/// nothing.
pub async fn run_in(
    db: &sea_orm::DatabaseConnection,
    notifier: &Notifier<'_>,
    staff: &Actor,
    cohort_id: i32,
    table: ImportTable,
    dry_run: bool,
) -> AppResult<ImportSummary> {
    if dry_run {
        return run(db, notifier, staff, cohort_id, table, true).await;
    }
    let txn = crate::db::begin(db).await?;
    let summary = run(&txn, notifier, staff, cohort_id, table, false).await?;
    txn.commit().await?;
    Ok(summary)
}

/// Checks and (unless `dry_run`) applies a parsed upload. The caller passes a transaction;
/// on any error nothing it wrote survives.
pub async fn run<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    staff: &Actor,
    cohort_id: i32,
    table: ImportTable,
    dry_run: bool,
) -> AppResult<ImportSummary> {
    let cohort = if dry_run {
        cohorts::find(db, cohort_id).await?
    } else {
        cohorts::lock(db, cohort_id).await?
    };
    if cohort.status != CohortStatus::Open {
        return Err(AppError::Conflict(format!(
            "La cohorte «{}» no recibe inscripciones: está {}.",
            cohort.name,
            cohort.status.label().to_lowercase()
        )));
    }
    let fields = column_map(&table.headers);
    let missing: Vec<FieldError> = COLUMNS
        .iter()
        .filter(|(field, _, required, _)| *required && !fields.values().any(|f| f == field))
        .map(|(_, label, _, _)| FieldError {
            row: Some(1),
            field: label.to_string(),
            message: format!("Falta la columna «{label}»."),
        })
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Validation(missing));
    }
    if table.rows.is_empty() {
        return Err(AppError::invalid(
            "file",
            "El archivo no tiene filas con personas.",
        ));
    }
    let rows = check_rows(db, cohort.id, &table.rows, &fields).await?;

    let mut summary = ImportSummary {
        dry_run,
        ..Default::default()
    };
    let mut enrolled_now =
        cohorts::count_enrolments(db, cohort.id, EnrolmentStatus::Enrolled).await?;
    let mut waiting_now =
        cohorts::count_enrolments(db, cohort.id, EnrolmentStatus::Waitlisted).await?;
    for row in rows {
        let already = match &row.existing {
            Some(person) => active_enrolment(db, cohort.id, person.id).await?,
            None => false,
        };
        let full_name = format!("{} {}", row.profile.first_names, row.profile.last_names);
        let document = format!(
            "{} {}",
            row.profile.document_type.as_str(),
            row.profile.document_number
        );
        let new_participant = row.existing.is_none();
        if already {
            summary.already_enrolled += 1;
            summary.rows.push(RowOutcome {
                row: row.number,
                document,
                full_name,
                action: "already_enrolled",
                new_participant,
                waitlist_position: None,
            });
            continue;
        }
        if new_participant {
            summary.created_participants += 1;
        }
        let outcome: EnrolmentView = if dry_run {
            let waitlisted = enrolled_now >= cohort.seats as u64;
            EnrolmentView {
                id: 0,
                cohort_id: cohort.id,
                participant_id: 0,
                status: if waitlisted {
                    EnrolmentStatus::Waitlisted
                } else {
                    EnrolmentStatus::Enrolled
                },
                waitlist_position: waitlisted.then_some(waiting_now + 1),
            }
        } else {
            // Known people keep their profile (they may have corrected it themselves).
            let person = match row.existing {
                Some(person) => person,
                None => registration::save_profile(db, None, None, &row.profile).await?,
            };
            super::enrol(
                db,
                notifier,
                cohort.id,
                person.id,
                &Requester::Staff {
                    user: staff,
                    override_reason: None,
                },
            )
            .await?
        };
        let waitlisted = outcome.status == EnrolmentStatus::Waitlisted;
        if waitlisted {
            summary.waitlisted += 1;
            waiting_now += 1;
        } else {
            summary.enrolled += 1;
            enrolled_now += 1;
        }
        summary.rows.push(RowOutcome {
            row: row.number,
            document,
            full_name,
            action: if waitlisted { "waitlist" } else { "enrol" },
            new_participant,
            waitlist_position: outcome.waitlist_position,
        });
    }
    Ok(summary)
}
