//! Assistances with their milestones and visits from a spreadsheet: one row per milestone or
//! visit (a row may carry one of each), the assistance's columns on its first row (later rows
//! of the same `referencia` leave them empty or repeat them). Columns: `referencia`,
//! `municipio` (DANE code), `entidad` (`alcaldia` when empty), `capacidades` (codes separated
//! by `;`), `objetivo`, `inicio`, `fin` (`AAAA-MM-DD`), `modalidad`, `correo_contacto`; for a
//! milestone `hito`, `hito_fecha` and `hito_cumplido` (the day it was done, empty if not); for
//! a visit `visita_fecha`, `visita_horas`, `visita_modalidad` (the assistance's when empty) and
//! `visita_temas`.
//!
//! Each part is checked by the rules of the page that records it by hand (`assistance::check`,
//! `check_milestone`, `check_done_on`, `visits::check`) and saved through the same functions
//! (`create`, `update`, `add_milestone`, `mark_milestone`, `visits::record`). A milestone is
//! matched by its title (its due date cannot change, as by hand; its done date can); a visit
//! by its date (a visit recorded is history: the same date again changes nothing). Attendees,
//! agreements and products are recorded on the visit's page.

use super::{
    COL_REFERENCE, Group, RecordChange, RecordImportSummary, RecordRow, group, in_rows, list,
    recorded, remember, rows_of, take_turn,
};
use crate::accounts::actor::Actor;
use crate::assistance::visits::{self, VisitInput};
use crate::assistance::{self, AssistanceInput, MilestoneInput};
use crate::entities::values::DeliverySource;
use crate::entities::{
    assistance as assistance_entity, assistance_milestone, assistance_visit, capacity,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::rows::Rows;
use crate::spreadsheets::{Import, ImportTable};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter};
use std::collections::{HashMap, HashSet};

pub const COL_MUNICIPALITY: &str = "municipio";
pub const COL_ENTITY: &str = "entidad";
pub const COL_CAPACITIES: &str = "capacidades";
pub const COL_OBJECTIVE: &str = "objetivo";
pub const COL_START: &str = "inicio";
pub const COL_END: &str = "fin";
pub const COL_MODALITY: &str = "modalidad";
pub const COL_CONTACT: &str = "correo_contacto";
pub const COL_MILESTONE: &str = "hito";
pub const COL_MILESTONE_DUE: &str = "hito_fecha";
pub const COL_MILESTONE_DONE: &str = "hito_cumplido";
pub const COL_VISIT_DATE: &str = "visita_fecha";
pub const COL_VISIT_HOURS: &str = "visita_horas";
pub const COL_VISIT_MODALITY: &str = "visita_modalidad";
pub const COL_VISIT_TOPICS: &str = "visita_temas";

/// The assistance's own columns (on its first row).
const OWN: [&str; 8] = [
    COL_MUNICIPALITY,
    COL_ENTITY,
    COL_CAPACITIES,
    COL_OBJECTIVE,
    COL_START,
    COL_END,
    COL_MODALITY,
    COL_CONTACT,
];
const MILESTONE: [&str; 3] = [COL_MILESTONE, COL_MILESTONE_DUE, COL_MILESTONE_DONE];
const VISIT: [&str; 4] = [
    COL_VISIT_DATE,
    COL_VISIT_HOURS,
    COL_VISIT_MODALITY,
    COL_VISIT_TOPICS,
];
/// Columns a file must have.
const REQUIRED: [&str; 4] = [
    COL_REFERENCE,
    COL_MUNICIPALITY,
    COL_CAPACITIES,
    COL_OBJECTIVE,
];

/// The template's columns, in order.
pub fn columns() -> Vec<&'static str> {
    std::iter::once(COL_REFERENCE)
        .chain(OWN)
        .chain(MILESTONE)
        .chain(VISIT)
        .collect()
}

/// The template: the columns, an example row, drop-down lists for the entity and modalities.
pub async fn template() -> AppResult<Vec<u8>> {
    crate::blocking::run(|| {
        let modalities = ["presencial", "virtual", "mixta"];
        let entities: Vec<&str> = <crate::entities::values::AssistedEntity as Iterable>::iter()
            .map(|e| e.as_str())
            .collect();
        let columns: Vec<(&str, Option<&[&str]>)> = columns()
            .into_iter()
            .map(|c| {
                let allowed = match c {
                    COL_MODALITY | COL_VISIT_MODALITY => Some(&modalities[..]),
                    COL_ENTITY => Some(entities.as_slice()),
                    _ => None,
                };
                (c, allowed)
            })
            .collect();
        crate::spreadsheets::template(
            "Asistencias",
            &columns,
            &[
                "AT-2027-001",
                "18094",
                "alcaldia",
                "planeacion_territorial",
                "Acompañar la formulación del plan de acción municipal",
                "2027-02-01",
                "2027-06-30",
                "presencial",
                "planeacion@belen-caqueta.gov.co",
                "Diagnóstico concertado",
                "2027-02-28",
                "",
                "",
                "",
                "",
                "",
            ],
        )
    })
    .await
}

/// An import of assistances, opened: an admin (ESAP's, as by hand) or a coordinator (its
/// provider's; a territorial direction's, in its departments).
pub struct AssistanceImport<'a> {
    user: &'a Actor,
    notifier: &'a Notifier<'a>,
}

impl<'a> AssistanceImport<'a> {
    pub async fn open(user: &'a Actor, notifier: &'a Notifier<'a>) -> AppResult<Self> {
        if user.is_staff() {
            Ok(AssistanceImport { user, notifier })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A milestone to add, or one recorded whose done date changes.
struct PlannedMilestone {
    input: MilestoneInput,
    done_on: Option<NaiveDate>,
    /// The recorded milestone; `None`: a new one.
    existing: Option<i32>,
}

/// A checked assistance and what saving it does.
pub struct Planned {
    row: usize,
    reference: String,
    name: String,
    provider_id: i32,
    input: AssistanceInput,
    existing: Option<i32>,
    changes: bool,
    milestones: Vec<PlannedMilestone>,
    visits: Vec<VisitInput>,
}

impl Planned {
    fn change(&self) -> Option<RecordChange> {
        let added = self
            .milestones
            .iter()
            .filter(|m| m.existing.is_none())
            .count()
            + self.visits.len();
        let changed = self.milestones.len() + self.visits.len() - added;
        (self.changes || added + changed > 0).then(|| RecordChange {
            row: self.row,
            reference: self.reference.clone(),
            name: self.name.clone(),
            created: self.existing.is_none(),
            parts_added: added,
            parts_changed: changed,
        })
    }
}

pub struct Plan {
    planned: Vec<Planned>,
    summary: RecordImportSummary,
}

impl Import for AssistanceImport<'_> {
    type Row = RecordRow;
    type Plan = Plan;
    type Summary = RecordImportSummary;

    const HEADERS: &'static [&'static str] = &[COL_REFERENCE, COL_MUNICIPALITY, COL_OBJECTIVE];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        take_turn(db, DeliverySource::Assistance).await?;
        Ok(AssistanceImport {
            user: self.user,
            notifier: self.notifier,
        })
    }

    async fn rows(
        &self,
        _db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<RecordRow>> {
        rows_of(table, &REQUIRED)
    }

    async fn plan(&self, db: &impl ConnectionTrait, rows: Vec<RecordRow>) -> AppResult<Plan> {
        check(db, self.user, rows).await
    }

    fn preview(&self, plan: Plan) -> RecordImportSummary {
        plan.summary
    }

    async fn save(&self, db: &impl ConnectionTrait, plan: Plan) -> AppResult<RecordImportSummary> {
        let user = self.user;
        for p in plan.planned {
            let id = match p.existing {
                None => {
                    let view = assistance::create(db, self.notifier, user, &p.input).await?;
                    remember(
                        db,
                        p.provider_id,
                        &p.reference,
                        (DeliverySource::Assistance, view.id),
                    )
                    .await?;
                    view.id
                }
                Some(id) => {
                    if p.changes {
                        assistance::update(db, self.notifier, user, id, &p.input).await?;
                    }
                    id
                }
            };
            for m in p.milestones {
                let milestone = match m.existing {
                    Some(existing) => existing,
                    None => assistance::add_milestone(db, user, id, &m.input).await?.id,
                };
                if m.existing.is_some() || m.done_on.is_some() {
                    let done = m.done_on.map(|d| d.to_string());
                    assistance::mark_milestone(db, user, milestone, Some(done.as_deref())).await?;
                }
            }
            for visit in p.visits {
                visits::record(db, user, id, &visit).await?;
            }
        }
        Ok(RecordImportSummary {
            dry_run: false,
            ..plan.summary
        })
    }
}

/// The column an assistance rule's field is read from.
fn column_of(field: &str) -> &'static str {
    match field {
        "municipality_code" => COL_MUNICIPALITY,
        "entity_type" => COL_ENTITY,
        "capacity_ids" => COL_CAPACITIES,
        "objective" => COL_OBJECTIVE,
        "starts_on" => COL_START,
        "ends_on" => COL_END,
        "modality" => COL_MODALITY,
        "contact_email" => COL_CONTACT,
        _ => COL_REFERENCE,
    }
}

/// The column a milestone rule's field is read from.
fn milestone_column_of(field: &str) -> &'static str {
    match field {
        "title" => COL_MILESTONE,
        "done_on" => COL_MILESTONE_DONE,
        _ => COL_MILESTONE_DUE,
    }
}

/// The column a visit rule's field is read from.
fn visit_column_of(field: &str) -> &'static str {
    match field {
        "hours" => COL_VISIT_HOURS,
        "modality" => COL_VISIT_MODALITY,
        "topics" => COL_VISIT_TOPICS,
        _ => COL_VISIT_DATE,
    }
}

/// The assistance a group's first row describes, as a coordinator would send it;
/// `capacities`: active capacities by code.
fn input_of(
    row: &RecordRow,
    capacities: &HashMap<String, i32>,
    errors: &mut Vec<FieldError>,
) -> AssistanceInput {
    let mut capacity_ids = Vec::new();
    for code in list(row.get(COL_CAPACITIES)) {
        match capacities.get(&code.to_lowercase()) {
            Some(id) => capacity_ids.push(*id),
            None => errors.push(FieldError::in_row(
                row.row,
                COL_CAPACITIES,
                format!("No existe una capacidad activa con el código «{code}»."),
            )),
        }
    }
    let text = |column: &str| Some(row.get(column).to_string());
    AssistanceInput {
        municipality_code: Some(row.get(COL_MUNICIPALITY).to_string()).filter(|c| !c.is_empty()),
        entity_type: text(COL_ENTITY),
        capacity_ids: Some(capacity_ids),
        objective: text(COL_OBJECTIVE),
        starts_on: text(COL_START),
        ends_on: text(COL_END),
        modality: text(COL_MODALITY),
        contact_email: text(COL_CONTACT),
        ..Default::default()
    }
}

/// A visit row as a coordinator would send it (hours with `,` or `.` for decimals).
fn visit_of(row: &RecordRow, errors: &mut Vec<FieldError>) -> Option<VisitInput> {
    let hours = match row.get(COL_VISIT_HOURS).replace(',', ".").parse::<f64>() {
        Ok(hours) => Some(hours),
        Err(_) => {
            errors.push(FieldError::in_row(
                row.row,
                COL_VISIT_HOURS,
                "Indique las horas de la visita, de 0,1 a 24.",
            ));
            return None;
        }
    };
    Some(VisitInput {
        date: Some(row.get(COL_VISIT_DATE).to_string()),
        modality: Some(row.get(COL_VISIT_MODALITY).to_string()),
        hours,
        topics: Some(row.get(COL_VISIT_TOPICS).to_string()),
        ..Default::default()
    })
}

/// One group's milestones and visits, checked against the assistance's span and what it has
/// recorded.
async fn plan_parts<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    group: &Group,
    checked: &assistance::CheckedInput,
    current: Option<&assistance_entity::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<(Vec<PlannedMilestone>, Vec<VisitInput>)> {
    let (milestones, visited): (Vec<assistance_milestone::Model>, HashSet<NaiveDate>) =
        match current {
            None => Default::default(),
            Some(c) => (
                assistance_milestone::Entity::find()
                    .filter(assistance_milestone::Column::AssistanceId.eq(c.id))
                    .all(db)
                    .await?,
                assistance_visit::Entity::find()
                    .filter(assistance_visit::Column::AssistanceId.eq(c.id))
                    .all_mapped(db, |v| v.date)
                    .await?,
            ),
        };
    let mut planned_milestones = Vec::new();
    let mut planned_visits = Vec::new();
    let mut titles: HashMap<String, usize> = HashMap::new();
    let mut dates: HashMap<NaiveDate, usize> = HashMap::new();
    for row in &group.rows {
        if row.any(&MILESTONE) {
            let input = MilestoneInput {
                title: Some(row.get(COL_MILESTONE).to_string()),
                due_on: Some(row.get(COL_MILESTONE_DUE).to_string()),
            };
            let fields = assistance::check_milestone(&input);
            let done = assistance::check_done_on(Some(row.get(COL_MILESTONE_DONE)));
            match (fields, done) {
                (Ok((title, due_on)), Ok(done_on)) => {
                    if let Some(first) = titles.insert(title.clone(), row.row) {
                        errors.push(FieldError::in_row(
                            row.row,
                            COL_MILESTONE,
                            format!("El hito «{title}» ya está en la fila {first}."),
                        ));
                    } else {
                        match milestones.iter().find(|m| m.title == title) {
                            Some(m) if m.due_on != due_on => errors.push(FieldError::in_row(
                                row.row,
                                COL_MILESTONE_DUE,
                                format!(
                                    "El hito «{title}» está registrado para el {}: su fecha no \
                                     cambia (agregue otro hito si el plan cambió).",
                                    crate::format::date(m.due_on)
                                ),
                            )),
                            Some(m) if m.done_on == done_on => {}
                            Some(m) => planned_milestones.push(PlannedMilestone {
                                input,
                                done_on,
                                existing: Some(m.id),
                            }),
                            None => planned_milestones.push(PlannedMilestone {
                                input,
                                done_on,
                                existing: None,
                            }),
                        }
                    }
                }
                (fields, done) => {
                    for result in [fields.err(), done.err()].into_iter().flatten() {
                        match result {
                            AppError::Validation(found) => {
                                in_rows(row.row, found, milestone_column_of, errors)
                            }
                            other => return Err(other),
                        }
                    }
                }
            }
        }
        if row.any(&VISIT) {
            let Some(input) = visit_of(row, errors) else {
                continue;
            };
            match visits::check(db, user, &checked.span, &input).await {
                Ok(visit) => {
                    if let Some(first) = dates.insert(visit.date, row.row) {
                        errors.push(FieldError::in_row(
                            row.row,
                            COL_VISIT_DATE,
                            format!("Otra visita de la misma asistencia tiene esta fecha (fila {first})."),
                        ));
                    } else if !visited.contains(&visit.date) {
                        planned_visits.push(input);
                    }
                }
                Err(AppError::Validation(found)) => {
                    in_rows(row.row, found, visit_column_of, errors)
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok((planned_milestones, planned_visits))
}

async fn check<C: ConnectionTrait>(db: &C, user: &Actor, rows: Vec<RecordRow>) -> AppResult<Plan> {
    let mut errors = Vec::new();
    let groups = group(rows, &OWN, &mut errors);
    let capacities: HashMap<String, i32> = capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .all_mapped(db, |c| (c.code.to_lowercase(), c.id))
        .await?;
    // The references are the importer's provider's (an admin's: ESAP's, as by hand).
    let provider = user.managed_provider().unwrap_or(crate::providers::ESAP);
    let known = recorded(
        db,
        provider,
        DeliverySource::Assistance,
        groups.iter().map(|g| g.reference.clone()).collect(),
    )
    .await?;
    let mut planned = Vec::new();
    for g in &groups {
        let first = g.first();
        let mut problems = Vec::new();
        let input = input_of(first, &capacities, &mut problems);
        let current = match known.get(&g.reference) {
            None => None,
            Some(r) => {
                match assistance::find_managed(db, user, r.assistance_id.unwrap_or_default()).await
                {
                    Ok(a) => Some(a),
                    Err(AppError::NotFound | AppError::Forbidden) => {
                        errors.push(FieldError::in_row(
                            first.row,
                            COL_REFERENCE,
                            format!(
                                "La referencia «{}» es de una asistencia que usted no gestiona: \
                                 use otra.",
                                g.reference
                            ),
                        ));
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        let checked = match assistance::check(db, user, &input, current.as_ref()).await {
            Ok(checked) => Some(checked),
            Err(AppError::Validation(found)) => {
                in_rows(first.row, found, column_of, &mut problems);
                None
            }
            Err(other) => return Err(other),
        };
        let Some(checked) = checked.filter(|_| problems.is_empty()) else {
            errors.extend(problems);
            continue;
        };
        let (milestones, visits) =
            plan_parts(db, user, g, &checked, current.as_ref(), &mut errors).await?;
        if let Some(c) = &current
            && c.status.is_final()
            && (checked.changes || !milestones.is_empty() || !visits.is_empty())
        {
            errors.push(FieldError::in_row(
                first.row,
                COL_REFERENCE,
                format!(
                    "La asistencia «{}» está {}: ya no se puede modificar.",
                    g.reference,
                    c.status.label().to_lowercase()
                ),
            ));
            continue;
        }
        planned.push(Planned {
            row: first.row,
            reference: g.reference.clone(),
            name: checked.municipality_name.clone().unwrap_or_default(),
            provider_id: checked.provider_id,
            input,
            existing: current.map(|c| c.id),
            changes: checked.changes,
            milestones,
            visits,
        });
    }
    errors.sort_by_key(|e| e.row);
    let planned = crate::spreadsheets::all_or_nothing(
        errors,
        planned,
        "El archivo no tiene ninguna asistencia.",
    )?;
    let mut summary = RecordImportSummary {
        dry_run: true,
        ..Default::default()
    };
    for p in &planned {
        summary.count(p.change());
    }
    Ok(Plan { planned, summary })
}
