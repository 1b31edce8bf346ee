//! Enrolling a whole office from a spreadsheet ([`EnrolmentImport`], one
//! `spreadsheets::Import`). Rows create or match participants by document and enrol them. All
//! or nothing: every row is checked first; any bad row → 422 with its row, column and a
//! Spanish message, and nothing is written. A dry run says per row what would happen.
//!
//! Issue 46: a row naming a registered person the importer does not reach
//! (`invitations::enrols_directly`) is never an enrolment: she is invited, like a person named
//! by document on the form, and the summary counts her without her name (nor whether she is
//! already in the cohort).
//!
//! Issue 67: each person the file creates carries the data-treatment authorization the
//! importer declares (`habeas::declared`): the page asks for it, the API's call is it. An
//! import opened without a declaration previews but does not save (422).

use super::Requester;
use super::invitations::{self, Named};
use crate::accounts::actor::Actor;
use crate::cohorts;
use crate::entities::values::{CohortStatus, DocumentType, EnrolmentStatus};
use crate::entities::{cohort, enrolment, participant};
use crate::error::{AppError, AppResult, FieldError};
use crate::habeas::declared::Declared;
use crate::mail::Notifier;
use crate::people::registration::{self, Profile, ProfileInput};
use crate::people::{ENTITY_TYPES, LEVELS};
use crate::spreadsheets::{self, Import, ImportTable};
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

/// The downloadable template: headers, an example row, drop-down lists; built on a blocking
/// thread.
pub async fn template() -> AppResult<Vec<u8>> {
    crate::blocking::run(build_template).await
}

fn build_template() -> AppResult<Vec<u8>> {
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
        // A person nobody is: the demo's participant's document here would hand her to
        // whoever downloads a template (the route matrix reads workbooks).
        &[
            "CC",
            "1000123456",
            "Ana Lucía",
            "Ejemplo Ruiz",
            "ana.ejemplo@example.org",
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
    /// `enrol`, `waitlist`, `already_enrolled`, or `invite` (a registered person the importer
    /// does not reach: invited, enrolled only if she accepts; the row shows neither her name
    /// nor her full document).
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
    /// Rows naming registered people the importer does not reach: invited (issue 46).
    pub invited: u64,
    pub dry_run: bool,
    pub rows: Vec<RowOutcome>,
}

impl ImportSummary {
    /// Counts and lists a row: already enrolled (`placed` None), or enrolled or waitlisted
    /// (at that place in the waiting list).
    fn record(&mut self, row: &CheckedRow, placed: Option<(EnrolmentStatus, Option<u64>)>) {
        if row.invite {
            self.invited += 1;
            self.rows.push(RowOutcome {
                row: row.number,
                document: invitations::shown(&row.named().key()),
                full_name: String::new(),
                action: "invite",
                new_participant: false,
                waitlist_position: None,
            });
            return;
        }
        let new_participant = row.existing.is_none();
        let (action, waitlist_position) = match placed {
            None => {
                self.already_enrolled += 1;
                ("already_enrolled", None)
            }
            Some((status, position)) => {
                if new_participant {
                    self.created_participants += 1;
                }
                if status == EnrolmentStatus::Waitlisted {
                    self.waitlisted += 1;
                    ("waitlist", position)
                } else {
                    self.enrolled += 1;
                    ("enrol", position)
                }
            }
        };
        self.rows.push(RowOutcome {
            row: row.number,
            document: format!(
                "{} {}",
                row.profile.document_type.as_str(),
                row.profile.document_number
            ),
            full_name: format!("{} {}", row.profile.first_names, row.profile.last_names),
            action,
            new_participant,
            waitlist_position,
        });
    }
}

/// One person of the file, as typed (values from lists already turned into their codes).
#[derive(Clone, Debug, Default)]
pub struct EnrolmentRow {
    pub row: usize,
    pub input: ProfileInput,
}

/// A checked row: the person's profile, their record if they exist, and whether they are
/// already in the cohort.
struct CheckedRow {
    number: usize,
    profile: Profile,
    existing: Option<participant::Model>,
    already: bool,
    /// A registered person the importer does not reach: invited, never enrolled.
    invite: bool,
}

impl CheckedRow {
    /// The person as the file names her.
    fn named(&self) -> Named {
        Named::Document(
            self.profile.document_type,
            self.profile.document_number.clone(),
        )
    }
}

/// Every row checked, and the cohort's seats (with its quotas) and waiting count when it was
/// checked.
pub struct EnrolmentPlan {
    rows: Vec<CheckedRow>,
    seats: super::seats::SeatBook,
    waiting: u64,
}

/// A coordinator enrolling a whole office into an open cohort from a spreadsheet, opened.
/// Rows create or match participants by document and enrol them; known people keep their
/// profile.
pub struct EnrolmentImport<'a> {
    staff: &'a Actor,
    notifier: &'a Notifier<'a>,
    cohort: cohort::Model,
    /// The authorization the importer declares for the people the file creates; without it
    /// the file only previews.
    declared: Option<&'a Declared>,
}

impl<'a> EnrolmentImport<'a> {
    /// The import into a cohort that takes enrolments (404, 409 otherwise). Only staff import:
    /// the routes' guard says so.
    /// `declared`: the authorization the importer declares for the people the file creates
    /// (`None`: a preview only; saving answers 422).
    pub async fn open<C: ConnectionTrait>(
        db: &C,
        staff: &'a Actor,
        notifier: &'a Notifier<'a>,
        cohort_id: i32,
        declared: Option<&'a Declared>,
    ) -> AppResult<Self> {
        let cohort = cohorts::find_managed(db, staff, cohort_id).await?;
        check_open(&cohort)?;
        Ok(EnrolmentImport {
            staff,
            notifier,
            cohort,
            declared,
        })
    }
}

/// 409 unless the cohort takes enrolments.
fn check_open(cohort: &cohort::Model) -> AppResult<()> {
    if cohort.status != CohortStatus::Open {
        return Err(AppError::Conflict(format!(
            "La cohorte «{}» no recibe inscripciones: está {}.",
            cohort.name,
            cohort.status.label().to_lowercase()
        )));
    }
    Ok(())
}

impl Import for EnrolmentImport<'_> {
    type Row = EnrolmentRow;
    type Plan = EnrolmentPlan;
    type Summary = ImportSummary;

    /// The header row is the first row of the file.
    const HEADERS: &'static [&'static str] = &[];

    /// The cohort locked; it may have closed since it was opened.
    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        let cohort = cohorts::lock(db, self.cohort.id).await?;
        check_open(&cohort)?;
        Ok(EnrolmentImport { cohort, ..*self })
    }

    async fn rows(
        &self,
        _db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<EnrolmentRow>> {
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
        let header_of = |field: &str| {
            fields
                .iter()
                .find(|(_, f)| **f == field)
                .map(|(header, _)| header.clone())
        };
        let headers: HashMap<&str, String> = COLUMNS
            .iter()
            .filter_map(|(field, _, _, _)| Some((*field, header_of(field)?)))
            .collect();
        Ok(table
            .rows
            .iter()
            .map(|row| {
                let cell = |field: &str| -> Option<String> {
                    headers
                        .get(field)
                        .map(|header| row.get(header).to_string())
                        .filter(|v| !v.is_empty())
                };
                EnrolmentRow {
                    row: row.number,
                    input: ProfileInput {
                        document_type: cell("document_type").map(|t| t.to_uppercase()),
                        document_number: cell("document_number"),
                        first_names: cell("first_names"),
                        last_names: cell("last_names"),
                        email: cell("email"),
                        phone: cell("phone"),
                        municipality_code: cell("municipality_code"),
                        entity_type: cell("entity_type").map(|t| from_list(ENTITY_TYPES, &t)),
                        entity_name: cell("entity_name"),
                        position: cell("position"),
                        level: cell("level").map(|t| from_list(LEVELS, &t)),
                        ..Default::default()
                    },
                }
            })
            .collect())
    }

    async fn plan(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<EnrolmentRow>,
    ) -> AppResult<EnrolmentPlan> {
        let id = self.cohort.id;
        let mut checked = check_rows(db, self.staff, id, &rows).await?;
        for row in &mut checked {
            if let Some(person) = &row.existing
                && !row.invite
            {
                row.already = active_enrolment(db, id, person.id).await?;
            }
        }
        let invited: Vec<Named> = checked
            .iter()
            .filter(|r| r.invite)
            .map(CheckedRow::named)
            .collect();
        invitations::check_room(db, &self.cohort, &invited).await?;
        Ok(EnrolmentPlan {
            rows: checked,
            seats: super::seats::SeatBook::load(db, &self.cohort).await?,
            waiting: cohorts::count_enrolments(db, id, EnrolmentStatus::Waitlisted).await?,
        })
    }

    /// Seats are taken in file order; the rest wait, in file order too.
    fn preview(&self, plan: EnrolmentPlan) -> ImportSummary {
        let mut summary = ImportSummary {
            dry_run: true,
            ..Default::default()
        };
        let (mut seats, mut waiting) = (plan.seats, plan.waiting);
        for row in &plan.rows {
            // Where the person works: their record's municipality when they are known.
            let municipality = row
                .existing
                .as_ref()
                .map_or(&row.profile.municipality_code, |p| &p.municipality_code);
            let placed = if row.already || row.invite {
                None
            } else if seats.fits(municipality) {
                seats.take(municipality);
                Some((EnrolmentStatus::Enrolled, None))
            } else {
                waiting += 1;
                Some((EnrolmentStatus::Waitlisted, Some(waiting)))
            };
            summary.record(row, placed);
        }
        summary
    }

    async fn save(
        &self,
        db: &impl ConnectionTrait,
        plan: EnrolmentPlan,
    ) -> AppResult<ImportSummary> {
        let Some(declared) = self.declared else {
            return Err(AppError::invalid(
                crate::habeas::declared::DECLARATION_FIELD,
                "Para importar, declare que cada persona del archivo autorizó el tratamiento de \
                 sus datos (Ley 1581 de 2012) y de dónde consta.",
            ));
        };
        let mut summary = ImportSummary::default();
        let requester = Requester::Staff {
            user: self.staff,
            override_reason: None,
        };
        for row in &plan.rows {
            if row.invite {
                invitations::invite(
                    db,
                    self.notifier,
                    self.staff,
                    self.cohort.id,
                    &row.named(),
                    row.existing.as_ref(),
                    None,
                )
                .await?;
                summary.record(row, None);
                continue;
            }
            if row.already {
                summary.record(row, None);
                continue;
            }
            // Known people keep their profile (they may have corrected it themselves).
            let view = match &row.existing {
                Some(person) => {
                    super::enrol(db, self.notifier, self.cohort.id, person, &requester).await?
                }
                None => {
                    let person = registration::save_profile(db, None, None, &row.profile).await?;
                    declared.record(db, person.id, self.staff.id).await?;
                    super::enrol(
                        db,
                        self.notifier,
                        self.cohort.id,
                        &person,
                        &Requester::NewPerson(self.staff),
                    )
                    .await?
                }
            };
            summary.record(row, Some((view.status, view.waitlist_position)));
        }
        Ok(summary)
    }
}

/// Checks every row; returns them all or every problem found.
async fn check_rows<C: ConnectionTrait>(
    db: &C,
    staff: &Actor,
    cohort_id: i32,
    rows: &[EnrolmentRow],
) -> AppResult<Vec<CheckedRow>> {
    let targets = cohorts::targets_of(db, &[cohort_id])
        .await?
        .remove(&cohort_id)
        .unwrap_or_default();
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for row in rows {
        let at_row = |e: FieldError| FieldError {
            row: Some(row.row),
            field: label_of(&e.field).to_string(),
            message: e.message,
        };
        match registration::validate(db, &row.input).await {
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
                if !targets.offers(&profile.municipality_code) {
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
                // Nobody reaches a person by typing her document in a file (issue 46): one the
                // importer does not reach already is invited.
                let invite = match &existing {
                    Some(person) => !invitations::enrols_directly(db, staff, person).await?,
                    None => false,
                };
                checked.push(CheckedRow {
                    number: row.row,
                    profile,
                    existing,
                    already: false,
                    invite,
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
