//! Cohorts with their sessions from a spreadsheet: one row per session, the cohort's columns
//! on its first row (later rows of the same `referencia` leave them empty or repeat them); a
//! cohort without sessions is one row with the session columns empty. Columns: `referencia`,
//! `curso` (the course's code), `nombre`, `modalidad` (the course's when empty), `inicio`,
//! `fin`, `inscripciones_desde`, `inscripciones_hasta` (`AAAA-MM-DD`), `cupos`, `lugar`,
//! `enlace`, `municipios` and `departamentos` (DANE codes separated by `;`), and for each
//! session `sesion_fecha`, `sesion_hora_inicio`, `sesion_hora_fin` (`HH:MM`, Bogotá time),
//! `sesion_tema` and `sesion_lugar`; optionally `edicion` (issue 64): an existing edition
//! (its number or name) of a programme of the cohort's provider, whose module of the cohort's
//! course the cohort becomes ([`super::editions`]).
//!
//! A cohort is checked by `cohorts::check` (the rules of one created or changed by hand, the
//! course being one of the importer's provider's), a session by `sessions::check`; a new
//! cohort is created as a draft through `cohort_flow::create`, a changed one changed through
//! `cohort_flow::update`. Sessions are matched by their start: a session of the file that
//! starts when a recorded one does changes it (end, topic, place), any other is added;
//! recorded sessions missing from the file are kept (removing one stays a page's action).

pub use super::editions::COL_EDITION;
use super::editions::{self, Attachment, Editions};
use super::{
    COL_REFERENCE, Group, RecordChange, RecordImportSummary, RecordRow, group, in_rows, list,
    recorded, remember, rows_of, take_turn,
};
use crate::accounts::actor::Actor;
use crate::cohorts::sessions::{self, NewSession, SessionInput};
use crate::cohorts::{self, CohortInput};
use crate::entities::values::DeliverySource;
use crate::entities::{cohort, cohort_session, course};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::spreadsheets::{Import, ImportTable};
use chrono::{NaiveDate, NaiveTime};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

pub const COL_COURSE: &str = "curso";
pub const COL_NAME: &str = "nombre";
pub const COL_MODALITY: &str = "modalidad";
pub const COL_START: &str = "inicio";
pub const COL_END: &str = "fin";
pub const COL_OPENS: &str = "inscripciones_desde";
pub const COL_CLOSES: &str = "inscripciones_hasta";
pub const COL_SEATS: &str = "cupos";
pub const COL_VENUE: &str = "lugar";
pub const COL_URL: &str = "enlace";
pub const COL_MUNICIPALITIES: &str = "municipios";
pub const COL_DEPARTMENTS: &str = "departamentos";
pub const COL_SESSION_DATE: &str = "sesion_fecha";
pub const COL_SESSION_START: &str = "sesion_hora_inicio";
pub const COL_SESSION_END: &str = "sesion_hora_fin";
pub const COL_SESSION_TOPIC: &str = "sesion_tema";
pub const COL_SESSION_PLACE: &str = "sesion_lugar";

/// The cohort's own columns (on its first row).
const OWN: [&str; 13] = [
    COL_COURSE,
    COL_NAME,
    COL_MODALITY,
    COL_START,
    COL_END,
    COL_OPENS,
    COL_CLOSES,
    COL_SEATS,
    COL_VENUE,
    COL_URL,
    COL_MUNICIPALITIES,
    COL_DEPARTMENTS,
    COL_EDITION,
];
/// A session's columns.
const SESSION: [&str; 5] = [
    COL_SESSION_DATE,
    COL_SESSION_START,
    COL_SESSION_END,
    COL_SESSION_TOPIC,
    COL_SESSION_PLACE,
];
/// Columns a file must have.
const REQUIRED: [&str; 4] = [COL_REFERENCE, COL_COURSE, COL_NAME, COL_START];

/// The template's columns, in order.
pub fn columns() -> Vec<&'static str> {
    std::iter::once(COL_REFERENCE)
        .chain(OWN)
        .chain(SESSION)
        .collect()
}

/// The template: the columns, an example row (a cohort of a demo course with its first
/// session), a drop-down list for the modality.
pub async fn template() -> AppResult<Vec<u8>> {
    crate::blocking::run(|| {
        let modalities = ["presencial", "virtual", "mixta"];
        let columns: Vec<(&str, Option<&[&str]>)> = columns()
            .into_iter()
            .map(|c| (c, (c == COL_MODALITY).then_some(&modalities[..])))
            .collect();
        crate::spreadsheets::template(
            "Cohortes",
            &columns,
            &[
                "COH-2027-001",
                "PT",
                "Planeación territorial – Caquetá 2027",
                "presencial",
                "2027-03-01",
                "2027-04-30",
                "2027-02-01",
                "2027-02-25",
                "30",
                "Casa de la Cultura, Florencia",
                "",
                "18001;18094",
                "",
                "",
                "2027-03-02",
                "14:00",
                "17:00",
                "Diagnóstico territorial",
                "",
            ],
        )
    })
    .await
}

/// An import of cohorts, opened: an admin (any provider's courses) or a coordinator (its
/// provider's courses; a territorial direction's, in its departments).
pub struct CohortImport<'a> {
    user: &'a Actor,
    notifier: &'a Notifier<'a>,
}

impl<'a> CohortImport<'a> {
    pub async fn open(user: &'a Actor, notifier: &'a Notifier<'a>) -> AppResult<Self> {
        if user.is_staff() {
            Ok(CohortImport { user, notifier })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A checked session and what it does to the cohort's recorded ones.
struct PlannedSession {
    input: SessionInput,
    /// The recorded session it changes; `None`: a new one.
    existing: Option<i32>,
}

/// A checked cohort and what saving it does.
pub struct Planned {
    row: usize,
    reference: String,
    name: String,
    provider_id: i32,
    input: CohortInput,
    /// The cohort of the reference, when the provider already brought it in.
    existing: Option<i32>,
    /// Whether its own fields change.
    changes: bool,
    sessions: Vec<PlannedSession>,
    /// The edition's module it becomes (the `edicion` column).
    edition: Option<Attachment>,
}

impl Planned {
    fn change(&self) -> Option<RecordChange> {
        let added = self
            .sessions
            .iter()
            .filter(|s| s.existing.is_none())
            .count();
        let changed = self.sessions.len() - added;
        (self.changes || !self.sessions.is_empty() || self.edition.is_some()).then(|| {
            RecordChange {
                row: self.row,
                reference: self.reference.clone(),
                name: self.name.clone(),
                created: self.existing.is_none(),
                parts_added: added,
                parts_changed: changed,
            }
        })
    }
}

pub struct Plan {
    planned: Vec<Planned>,
    summary: RecordImportSummary,
}

impl Import for CohortImport<'_> {
    type Row = RecordRow;
    type Plan = Plan;
    type Summary = RecordImportSummary;

    const HEADERS: &'static [&'static str] = &[COL_REFERENCE, COL_COURSE, COL_NAME];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        take_turn(db, DeliverySource::Cohort).await?;
        Ok(CohortImport {
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
        for p in plan.planned {
            let id = match p.existing {
                None => {
                    let view =
                        crate::cohort_flow::create(db, self.notifier, self.user, &p.input).await?;
                    remember(
                        db,
                        p.provider_id,
                        &p.reference,
                        (DeliverySource::Cohort, view.id),
                    )
                    .await?;
                    view.id
                }
                Some(id) => {
                    if p.changes {
                        crate::cohort_flow::update(db, self.notifier, self.user, id, &p.input)
                            .await?;
                    }
                    id
                }
            };
            if let Some(attachment) = p.edition {
                editions::attach(db, self.user.id, attachment, id).await?;
            }
            if p.sessions.is_empty() {
                continue;
            }
            let cohort = cohorts::find(db, id).await?;
            for session in p.sessions {
                match session.existing {
                    None => sessions::add(db, self.user.id, &cohort, &session.input).await?,
                    Some(existing) => {
                        sessions::update(db, self.user.id, &cohort, existing, &session.input)
                            .await?
                    }
                };
            }
        }
        Ok(RecordImportSummary {
            dry_run: false,
            ..plan.summary
        })
    }
}

/// The column a cohort rule's field is read from.
fn column_of(field: &str) -> &'static str {
    match field {
        "course_id" => COL_COURSE,
        "name" => COL_NAME,
        "modality" => COL_MODALITY,
        "start_date" => COL_START,
        "end_date" => COL_END,
        "enrolment_opens" => COL_OPENS,
        "enrolment_closes" => COL_CLOSES,
        "seats" => COL_SEATS,
        "venue" => COL_VENUE,
        "meeting_url" => COL_URL,
        "municipality_codes" => COL_MUNICIPALITIES,
        "department_codes" => COL_DEPARTMENTS,
        _ => COL_REFERENCE,
    }
}

/// The column a session rule's field is read from.
fn session_column_of(field: &str) -> &'static str {
    match field {
        "starts_at" => COL_SESSION_DATE,
        "ends_at" => COL_SESSION_END,
        "topic" => COL_SESSION_TOPIC,
        "location" => COL_SESSION_PLACE,
        _ => COL_SESSION_DATE,
    }
}

/// A whole number typed in a cell: `None` when empty, `Err` when not a number.
fn number(text: &str) -> Option<Result<i64, ()>> {
    (!text.is_empty()).then(|| text.parse::<i64>().map_err(|_| ()))
}

/// The cohort a group's first row describes, as a coordinator would send it (`course`: the
/// course its code names); problems of the cells that are not even values.
fn input_of(row: &RecordRow, course: Option<i32>, errors: &mut Vec<FieldError>) -> CohortInput {
    let seats = match number(row.get(COL_SEATS)) {
        Some(Ok(n)) => Some(n),
        Some(Err(())) => {
            errors.push(FieldError::in_row(
                row.row,
                COL_SEATS,
                format!("«{}» no es un número de cupos.", row.get(COL_SEATS)),
            ));
            None
        }
        None => None,
    };
    let text = |column: &str| Some(row.get(column).to_string());
    CohortInput {
        course_id: course,
        name: text(COL_NAME),
        modality: Some(row.get(COL_MODALITY).to_string()).filter(|m| !m.is_empty()),
        start_date: text(COL_START),
        end_date: text(COL_END),
        enrolment_opens: text(COL_OPENS),
        enrolment_closes: text(COL_CLOSES),
        seats,
        venue: text(COL_VENUE),
        meeting_url: text(COL_URL),
        municipality_codes: Some(list(row.get(COL_MUNICIPALITIES))),
        department_codes: Some(list(row.get(COL_DEPARTMENTS))),
        ..Default::default()
    }
}

/// The course a row's code names (cached by code); a problem when there is none.
async fn course_of<C: ConnectionTrait>(
    db: &C,
    row: &RecordRow,
    courses: &mut HashMap<String, Option<course::Model>>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<course::Model>> {
    let code = row.get(COL_COURSE).to_uppercase();
    if code.is_empty() {
        errors.push(FieldError::in_row(
            row.row,
            COL_COURSE,
            "Escriba el código del curso de la cohorte.",
        ));
        return Ok(None);
    }
    if !courses.contains_key(&code) {
        let found = course::Entity::find()
            .filter(course::Column::Code.eq(code.clone()))
            .one(db)
            .await?;
        courses.insert(code.clone(), found);
    }
    let found = courses[&code].clone();
    if found.is_none() {
        errors.push(FieldError::in_row(
            row.row,
            COL_COURSE,
            format!(
                "No existe un curso con el código «{}».",
                row.get(COL_COURSE)
            ),
        ));
    }
    Ok(found)
}

/// A session row as a coordinator would send it (Bogotá has no daylight saving: `-05:00`).
fn session_of(row: &RecordRow, errors: &mut Vec<FieldError>) -> Option<SessionInput> {
    let mut problems = Vec::new();
    let date = match row.get(COL_SESSION_DATE) {
        "" => {
            problems.push(FieldError::in_row(
                row.row,
                COL_SESSION_DATE,
                "Escriba la fecha de la sesión (AAAA-MM-DD).",
            ));
            None
        }
        text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                problems.push(FieldError::in_row(
                    row.row,
                    COL_SESSION_DATE,
                    format!("«{text}» no es una fecha válida (AAAA-MM-DD)."),
                ));
                None
            }
        },
    };
    let mut time = |column: &'static str| match row.get(column) {
        "" => {
            problems.push(FieldError::in_row(
                row.row,
                column,
                "Escriba la hora (HH:MM, hora de Colombia).",
            ));
            None
        }
        text => match NaiveTime::parse_from_str(text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        {
            Ok(at) => Some(at),
            Err(_) => {
                problems.push(FieldError::in_row(
                    row.row,
                    column,
                    format!("«{text}» no es una hora válida (HH:MM)."),
                ));
                None
            }
        },
    };
    let starts = time(COL_SESSION_START);
    let ends = time(COL_SESSION_END);
    if !problems.is_empty() {
        errors.extend(problems);
        return None;
    }
    let (Some(date), Some(starts), Some(ends)) = (date, starts, ends) else {
        return None;
    };
    let at = |time: NaiveTime| format!("{date}T{}-05:00", time.format("%H:%M:%S"));
    Some(SessionInput {
        starts_at: Some(at(starts)),
        ends_at: Some(at(ends)),
        topic: Some(row.get(COL_SESSION_TOPIC).to_string()),
        location: Some(row.get(COL_SESSION_PLACE).to_string()),
        ..Default::default()
    })
}

/// One group's sessions checked against the cohort's dates and recorded sessions.
fn plan_sessions(
    group: &Group,
    checked: &cohorts::Checked,
    recorded: &[cohort_session::Model],
    errors: &mut Vec<FieldError>,
) -> Vec<PlannedSession> {
    let mut planned = Vec::new();
    let mut seen: HashMap<chrono::DateTime<chrono::Utc>, usize> = HashMap::new();
    for row in group.rows.iter().filter(|r| r.any(&SESSION)) {
        let Some(input) = session_of(row, errors) else {
            continue;
        };
        let new: NewSession = match sessions::check(checked.start_date, checked.end_date, &input) {
            Ok(new) => new,
            Err(AppError::Validation(found)) => {
                in_rows(row.row, found, session_column_of, errors);
                continue;
            }
            Err(other) => {
                errors.push(FieldError::in_row(row.row, "file", other.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.insert(new.starts_at, row.row) {
            errors.push(FieldError::in_row(
                row.row,
                COL_SESSION_START,
                format!("Otra sesión de la misma cohorte empieza a la misma hora (fila {first})."),
            ));
            continue;
        }
        match recorded.iter().find(|s| s.starts_at == new.starts_at) {
            Some(s)
                if s.ends_at == new.ends_at
                    && s.topic == new.topic
                    && s.location == new.location => {}
            Some(s) => planned.push(PlannedSession {
                input,
                existing: Some(s.id),
            }),
            None => planned.push(PlannedSession {
                input,
                existing: None,
            }),
        }
    }
    planned
}

async fn check<C: ConnectionTrait>(db: &C, user: &Actor, rows: Vec<RecordRow>) -> AppResult<Plan> {
    let mut errors = Vec::new();
    let groups = group(rows, &OWN, &mut errors);
    let mut courses = HashMap::new();
    // The references already brought in, per provider.
    let mut known: HashMap<i32, HashMap<String, crate::entities::imported_record::Model>> =
        HashMap::new();
    let mut planned = Vec::new();
    let mut editions = Editions::default();
    for g in &groups {
        let first = g.first();
        let mut problems = Vec::new();
        let course = course_of(db, first, &mut courses, &mut problems).await?;
        let input = input_of(first, course.as_ref().map(|c| c.id), &mut problems);
        // The references are the importer's provider's (an admin's: the course's provider's).
        let provider = user
            .managed_provider()
            .or(course.as_ref().map(|c| c.provider_id));
        let record = match provider {
            Some(provider) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(provider) {
                    let references = groups.iter().map(|g| g.reference.clone()).collect();
                    slot.insert(recorded(db, provider, DeliverySource::Cohort, references).await?);
                }
                known[&provider].get(&g.reference).cloned()
            }
            None => None,
        };
        let current: Option<cohort::Model> = match &record {
            None => None,
            Some(r) => match cohorts::find_managed(db, user, r.cohort_id.unwrap_or_default()).await
            {
                Ok(c) => Some(c),
                Err(AppError::NotFound) => {
                    errors.push(FieldError::in_row(
                        first.row,
                        COL_REFERENCE,
                        format!(
                            "La referencia «{}» es de una cohorte que usted no gestiona: use otra.",
                            g.reference
                        ),
                    ));
                    continue;
                }
                Err(other) => return Err(other),
            },
        };
        let checked = match cohorts::check(db, user, &input, current.as_ref()).await {
            Ok(checked) => Some(checked),
            Err(AppError::Validation(found)) => {
                in_rows(first.row, found, column_of, &mut problems);
                None
            }
            Err(other) => return Err(other),
        };
        let Some(checked) = checked.filter(|_| problems.is_empty()) else {
            errors.extend(problems);
            // The sessions still get their own checks, against nothing to compare with.
            for row in g.rows.iter().filter(|r| r.any(&SESSION)) {
                session_of(row, &mut errors);
            }
            continue;
        };
        let recorded_sessions = match &current {
            Some(c) => sessions::list(db, c.id).await?,
            None => Vec::new(),
        };
        let sessions = plan_sessions(g, &checked, &recorded_sessions, &mut errors);
        if let Some(c) = &current
            && c.status.is_final()
            && (checked.changes || !sessions.is_empty())
        {
            errors.push(FieldError::in_row(
                first.row,
                COL_REFERENCE,
                format!(
                    "La cohorte «{}» está {}: ya no se puede modificar.",
                    c.name,
                    c.status.label().to_lowercase()
                ),
            ));
            continue;
        }
        let edition = match (first.get(COL_EDITION), input.course_id) {
            ("", _) | (_, None) => None,
            (named, Some(course_id)) => {
                let row = editions::Row {
                    row: first.row,
                    named,
                    provider_id: checked.provider_id,
                    course_id,
                    cohort_name: first.get(COL_NAME),
                    start_date: checked.start_date,
                    end_date: checked.end_date,
                    existing: current.as_ref().map(|c| c.id),
                };
                editions.check(db, &row, &mut errors).await?
            }
        };
        planned.push(Planned {
            row: first.row,
            reference: g.reference.clone(),
            name: first.get(COL_NAME).to_string(),
            provider_id: checked.provider_id,
            input,
            existing: current.map(|c| c.id),
            changes: checked.changes,
            sessions,
            edition,
        });
    }
    errors.sort_by_key(|e| e.row);
    let planned = crate::spreadsheets::all_or_nothing(
        errors,
        planned,
        "El archivo no tiene ninguna cohorte.",
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
