//! Self-assessments: submitted by the municipality's liaison, validated or rejected by the
//! department's reviewer, read by whoever may read the municipality.
//!
//! - **Scope**: a municipality outside the caller's territory (another department's reviewer,
//!   another municipality's liaison) is 404, on reading and on validating alike; inside it, a
//!   role that may not do the action is 403 (only a liaison submits, only a reviewer validates).
//! - **Evidence**: every question of the current instrument is answered once, with a level 1–4
//!   and its evidence (422 with every problem, nothing written).
//! - **Quarter**: at most one self-assessment per entity of a municipality and calendar quarter
//!   (Bogotá's date of submission), a rejected one aside (409; a partial unique index behind
//!   the check).
//! - **Level per capacity**: the mean of its questions' levels, rounded down ([`level_of`]).

use super::instrument::{self, InstrumentView};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{AssistedEntity, Role};
use crate::entities::{
    capacity, municipality, self_assessment as assessment, self_assessment_answer as answer,
    self_assessment_instrument, self_assessment_level as level,
    self_assessment_question as question, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub use super::{REJECTED, SUBMITTED, VALIDATED};

/// The most characters of an answer's evidence.
pub const EVIDENCE_MAX: usize = 2000;

pub fn status_label(status: &str) -> &'static str {
    match status {
        SUBMITTED => "Enviado, por validar",
        VALIDATED => "Validado por la gobernación",
        _ => "Devuelto por la gobernación",
    }
}

/// A capacity's level: the mean of its answers' levels, rounded down (two answers 2 and 3 are
/// level 2: no level is claimed that the answers do not reach on average).
pub fn level_of(levels: &[i32]) -> Option<i32> {
    if levels.is_empty() {
        return None;
    }
    Some(levels.iter().sum::<i32>() / levels.len() as i32)
}

/// «T4 2026».
pub fn period_label(year: i32, quarter: i32) -> String {
    format!("T{quarter} {year}")
}

/// The first day of the quarter after `(year, quarter)`.
pub fn next_quarter_start(year: i32, quarter: i32) -> Option<NaiveDate> {
    let (y, q) = if quarter >= 4 {
        (year + 1, 1)
    } else {
        (year, quarter + 1)
    };
    NaiveDate::from_ymd_opt(y, (q.clamp(1, 4) as u32 - 1) * 3 + 1, 1)
}

/// An answer checked against the instrument: (question, capacity, level, evidence).
pub(crate) type CheckedAnswer = (i32, i32, i32, String);

/// One answer as it arrives.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AnswerInput {
    #[schema(value_type = i32, required = true, example = 1)]
    pub question_id: Option<i32>,
    /// 1 to 4.
    #[schema(value_type = i32, required = true, minimum = 1, maximum = 4, example = 3)]
    pub level: Option<i32>,
    /// What shows the level (a document, an act, a link); required, up to 2.000 characters.
    #[schema(value_type = String, required = true, example = "Informe de seguimiento del plan, junio de 2026.")]
    pub evidence: Option<String>,
}

/// A self-assessment as it arrives.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewSelfAssessment {
    /// The municipal entity that rates itself: `alcaldia` (default), `concejo`, `personeria`,
    /// `consejo_territorial_planeacion`, `esquema_asociativo` or `organizacion_comunitaria`.
    #[schema(example = "alcaldia")]
    pub entity_type: Option<String>,
    /// One per question of the current instrument.
    #[schema(value_type = Vec<AnswerInput>, required = true)]
    pub answers: Option<Vec<AnswerInput>>,
}

/// The reviewer's decision.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Validation {
    #[schema(value_type = bool, required = true)]
    pub accepted: Option<bool>,
    /// Required when not accepted (the liaison reads it); up to 500 characters.
    pub note: Option<String>,
}

/// A capacity's level in a self-assessment.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CapacityLevel {
    pub capacity_id: i32,
    pub capacity_name: String,
    /// 1 to 4.
    pub level: i32,
}

/// An answer as stored, with its question.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerView {
    pub question_id: i32,
    pub capacity_id: i32,
    pub question: String,
    pub level: i32,
    /// The descriptor of the level chosen.
    pub descriptor: String,
    pub evidence: String,
}

/// A self-assessment.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SelfAssessmentView {
    pub id: i32,
    pub municipality_code: String,
    pub municipality_name: String,
    pub entity_type: String,
    pub entity_label: String,
    /// The version of the instrument it answered.
    pub instrument_version: i32,
    pub year: i32,
    /// 1 to 4.
    pub quarter: i32,
    /// «T4 2026».
    pub period: String,
    /// `submitted`, `validated` or `rejected`.
    pub status: String,
    pub status_label: String,
    /// Self-reported by the entity: always true, for whoever shows the levels.
    pub self_reported: bool,
    #[schema(format = Date)]
    pub submitted_on: String,
    pub submitted_by: Option<String>,
    #[schema(format = DateTime)]
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    /// The level per capacity, computed from the answers (mean rounded down).
    pub levels: Vec<CapacityLevel>,
    /// The answers (left empty in lists).
    pub answers: Vec<AnswerView>,
}

fn entity_label(entity: &str) -> String {
    AssistedEntity::parse(entity).map_or_else(|| entity.to_string(), |e| e.label().to_string())
}

/// The municipality `code` if the caller's territory covers it (404 otherwise).
async fn municipality_in_scope<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    code: &str,
) -> AppResult<municipality::Model> {
    let place = municipality::Entity::find_by_id(code.to_string())
        .found(db)
        .await?;
    if !actor.covers_municipality(&place.code, &place.department_code) {
        return Err(AppError::NotFound);
    }
    Ok(place)
}

/// The municipal entities that may rate themselves (value, label): every one of a
/// municipality (a gobernación is not).
pub fn entity_choices() -> Vec<(&'static str, &'static str)> {
    use sea_orm::Iterable;
    AssistedEntity::iter()
        .filter(|e| !e.is_departmental())
        .map(|e| (e.as_str(), e.label()))
        .collect()
}

/// Checks the answers against the instrument: every problem at once.
fn checked_answers(
    instrument: &InstrumentView,
    input: &NewSelfAssessment,
) -> Result<(String, Vec<CheckedAnswer>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let entity = input
        .entity_type
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(AssistedEntity::Alcaldia.as_str());
    if !entity_choices().iter().any(|(value, _)| *value == entity) {
        errors.push(FieldError::new(
            "entity_type",
            "La entidad debe ser una del municipio: alcaldía, concejo, personería, consejo \
             territorial de planeación, esquema asociativo u organización comunitaria.",
        ));
    }
    let questions: HashMap<i32, &instrument::QuestionView> =
        instrument.questions().map(|q| (q.id, q)).collect();
    let answers = input.answers.as_deref().unwrap_or(&[]);
    if let Err(error) = crate::validate::list_length("answers", answers.len()) {
        errors.push(error);
    }
    // (question, capacity, level, evidence)
    let mut checked = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, a) in answers.iter().enumerate() {
        let question = match a.question_id {
            None => {
                errors.push(FieldError::new(
                    format!("answers[{i}].question_id"),
                    "Indique la pregunta que responde.",
                ));
                None
            }
            Some(id) => match questions.get(&id) {
                None => {
                    errors.push(FieldError::new(
                        format!("answers[{i}].question_id"),
                        "La pregunta no es de la versión vigente del autodiagnóstico.",
                    ));
                    None
                }
                Some(q) if !seen.insert(id) => {
                    errors.push(FieldError::new(
                        format!("answers[{i}].question_id"),
                        format!("La pregunta «{}» está respondida dos veces.", q.text),
                    ));
                    None
                }
                Some(q) => Some(*q),
            },
        };
        let level = match a.level {
            Some(level) if super::LEVELS.contains(&level) => Some(level),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("answers[{i}].level"),
                    "El nivel debe ser 1, 2, 3 o 4.",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    format!("answers[{i}].level"),
                    match question {
                        Some(q) => format!("Elija el nivel de «{}».", q.text),
                        None => "Elija el nivel.".to_string(),
                    },
                ));
                None
            }
        };
        let evidence = match crate::validate::multi_line(
            &format!("answers[{i}].evidence"),
            a.evidence.as_deref().unwrap_or(""),
            EVIDENCE_MAX,
        ) {
            Ok(Some(text)) => Some(text),
            Ok(None) => {
                errors.push(FieldError::new(
                    format!("answers[{i}].evidence"),
                    match question {
                        Some(q) => format!(
                            "Escriba la evidencia de «{}»: el documento, acta o enlace que muestra el nivel.",
                            q.text
                        ),
                        None => "Escriba la evidencia: el documento, acta o enlace que muestra el nivel.".to_string(),
                    },
                ));
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if let (Some(q), Some(level), Some(evidence)) = (question, level, evidence) {
            checked.push((q.id, q.capacity_id, level, evidence));
        }
    }
    let missing: Vec<&str> = instrument
        .questions()
        .filter(|q| !answers.iter().any(|a| a.question_id == Some(q.id)))
        .map(|q| q.text.as_str())
        .collect();
    if !missing.is_empty() {
        errors.push(FieldError::new(
            "answers",
            format!("Faltan respuestas: «{}».", missing.join("», «")),
        ));
    }
    if errors.is_empty() {
        Ok((entity.to_string(), checked))
    } else {
        Err(errors)
    }
}

/// The liaison of municipality `code` submits its self-assessment on the current instrument.
pub async fn submit(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &str,
    input: &NewSelfAssessment,
) -> AppResult<SelfAssessmentView> {
    let place = municipality_in_scope(db, actor, code).await?;
    if actor.role != Role::Liaison {
        return Err(AppError::Forbidden);
    }
    let instrument = instrument::current(db).await?;
    let (entity, answers) = checked_answers(&instrument, input).map_err(AppError::Validation)?;
    let on = crate::time::today();
    submit_on(db, actor, &place, &instrument, &entity, &answers, on).await
}

/// Writes a checked self-assessment as submitted on `on` (the demo dates its own).
pub(crate) async fn submit_on(
    db: &DatabaseConnection,
    actor: &Actor,
    place: &municipality::Model,
    instrument: &InstrumentView,
    entity: &str,
    answers: &[CheckedAnswer],
    on: NaiveDate,
) -> AppResult<SelfAssessmentView> {
    let id = crate::db::write(db, async |txn| {
        write_submitted(txn, actor.id, place, instrument.id, entity, answers, on).await
    })
    .await?;
    get_row(db, id).await
}

/// A self-assessment submitted (`self_assessment.submitted`): the levels by capacity.
#[derive(Serialize)]
struct Submitted<'a> {
    municipality_code: &'a str,
    entity_type: &'a str,
    period: String,
    levels: &'a [(i32, i32)],
}

pub(crate) async fn write_submitted<C: ConnectionTrait>(
    txn: &C,
    by: i32,
    place: &municipality::Model,
    instrument_id: i32,
    entity: &str,
    answers: &[CheckedAnswer],
    on: NaiveDate,
) -> AppResult<i32> {
    let (year, quarter) = (on.year(), super::quarter_of(on));
    let taken = assessment::Entity::find()
        .filter(assessment::Column::MunicipalityCode.eq(place.code.as_str()))
        .filter(assessment::Column::EntityType.eq(entity))
        .filter(assessment::Column::Year.eq(year))
        .filter(assessment::Column::Quarter.eq(quarter))
        .filter(assessment::Column::Status.ne(REJECTED))
        .one(txn)
        .await?;
    if let Some(taken) = taken {
        return Err(AppError::Conflict(format!(
            "{} de {} ya tiene su autodiagnóstico del trimestre ({}, enviado el {}): se hace \
             una vez por trimestre; el próximo puede enviarse desde el {}.",
            entity_label(entity),
            place.name,
            period_label(year, quarter),
            crate::format::date(taken.submitted_on),
            next_quarter_start(year, quarter)
                .map(crate::format::date)
                .unwrap_or_default(),
        )));
    }
    let row = assessment::ActiveModel {
        municipality_code: Set(place.code.clone()),
        department_code: Set(place.department_code.clone()),
        entity_type: Set(entity.to_string()),
        instrument_id: Set(instrument_id),
        year: Set(year),
        quarter: Set(quarter),
        status: Set(SUBMITTED.into()),
        submitted_by: Set(Some(by)),
        submitted_at: Set(crate::time::now()),
        submitted_on: Set(on),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    answer::Entity::insert_many(answers.iter().map(|(question_id, _, level, evidence)| {
        answer::ActiveModel {
            self_assessment_id: Set(row.id),
            question_id: Set(*question_id),
            level: Set(*level),
            evidence: Set(evidence.clone()),
            ..Default::default()
        }
    }))
    .exec_without_returning(txn)
    .await?;
    let mut by_capacity: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (_, capacity_id, level, _) in answers {
        by_capacity.entry(*capacity_id).or_default().push(*level);
    }
    let levels: Vec<(i32, i32)> = by_capacity
        .iter()
        .filter_map(|(c, levels)| level_of(levels).map(|l| (*c, l)))
        .collect();
    if !levels.is_empty() {
        level::Entity::insert_many(
            levels
                .iter()
                .map(|(capacity_id, value)| level::ActiveModel {
                    self_assessment_id: Set(row.id),
                    capacity_id: Set(*capacity_id),
                    level: Set(*value),
                }),
        )
        .exec_without_returning(txn)
        .await?;
    }
    audit::record(
        txn,
        Change {
            actor: Some(by),
            action: "self_assessment.submitted",
            subject_type: "self_assessment",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Submitted {
                municipality_code: &place.code,
                entity_type: entity,
                period: period_label(year, quarter),
                levels: &levels,
            })
            .ok(),
        },
    )
    .await?;
    Ok(row.id)
}

/// The department's reviewer validates (`accepted`) or returns (with a note) a submitted
/// self-assessment; a validated one of an alcaldía becomes its year's self-assessed level.
pub async fn validate(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    input: &Validation,
) -> AppResult<SelfAssessmentView> {
    let row = assessment::Entity::find_by_id(id).found(db).await?;
    if !actor.covers_municipality(&row.municipality_code, &row.department_code) {
        return Err(AppError::NotFound);
    }
    if actor.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    if input.accepted.is_none() {
        errors.push(FieldError::new(
            "accepted",
            "Indique si valida el autodiagnóstico o lo devuelve.",
        ));
    }
    let note = match crate::validate::single_line(
        "note",
        input.note.as_deref().unwrap_or(""),
        crate::validate::REASON_MAX,
    ) {
        Ok(note) => note,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if input.accepted == Some(false) && note.is_none() {
        errors.push(FieldError::new(
            "note",
            "Escriba por qué lo devuelve: el enlace municipal lo leerá para corregirlo.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let accepted = input.accepted == Some(true);
    crate::db::write(db, async |txn| {
        review_in(txn, actor.id, id, accepted, note.clone()).await
    })
    .await?;
    get_row(db, id).await
}

/// A self-assessment's status before its review.
#[derive(Serialize)]
struct StatusWas<'a> {
    status: &'a str,
}

/// A self-assessment reviewed (`self_assessment.validated`, `self_assessment.rejected`): its
/// status and the reviewer's note (null when none).
#[derive(Serialize)]
struct Reviewed<'a> {
    status: &'a str,
    note: Option<&'a str>,
}

pub(crate) async fn review_in<C: ConnectionTrait>(
    txn: &C,
    by: i32,
    id: i32,
    accepted: bool,
    note: Option<String>,
) -> AppResult<()> {
    let row = assessment::Entity::find_by_id(id).found(txn).await?;
    if row.status != SUBMITTED {
        return Err(AppError::Conflict(format!(
            "Este autodiagnóstico ya fue revisado: {}.",
            status_label(&row.status).to_lowercase()
        )));
    }
    let status = if accepted { VALIDATED } else { REJECTED };
    let mut active: assessment::ActiveModel = row.clone().into();
    active.status = Set(status.into());
    active.reviewed_by = Set(Some(by));
    active.reviewed_at = Set(Some(crate::time::now()));
    active.review_note = Set(note.clone());
    active.update(txn).await?;
    if accepted {
        super::indicator::refresh(txn, &row.municipality_code, row.year).await?;
    }
    audit::record(
        txn,
        Change {
            actor: Some(by),
            action: if accepted {
                "self_assessment.validated"
            } else {
                "self_assessment.rejected"
            },
            subject_type: "self_assessment",
            subject_id: id.to_string(),
            before: serde_json::to_value(StatusWas {
                status: &row.status,
            })
            .ok(),
            after: serde_json::to_value(Reviewed {
                status,
                note: note.as_deref(),
            })
            .ok(),
        },
    )
    .await
}

/// The self-assessments of municipality `code`, newest first, for whoever may read it (404
/// outside the caller's territory).
pub async fn of_municipality<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    code: &str,
) -> AppResult<Vec<SelfAssessmentView>> {
    let place = municipality_in_scope(db, actor, code).await?;
    let rows = assessment::Entity::find()
        .filter(assessment::Column::MunicipalityCode.eq(place.code.as_str()))
        .order_by_desc(assessment::Column::SubmittedOn)
        .order_by_desc(assessment::Column::Id)
        .all(db)
        .await?;
    views(db, rows, false).await
}

/// The self-assessments waiting for validation (submitted), oldest first: a reviewer's
/// department's, every one for staff, none for anyone else.
pub async fn pending_for<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> AppResult<Vec<SelfAssessmentView>> {
    let mut query = assessment::Entity::find().filter(assessment::Column::Status.eq(SUBMITTED));
    match actor.role {
        Role::Reviewer => {
            let Some(department) = actor.department_scope() else {
                return Ok(Vec::new());
            };
            query = query.filter(assessment::Column::DepartmentCode.eq(department));
        }
        Role::Admin | Role::Coordinator => {}
        _ => return Ok(Vec::new()),
    }
    let rows = query
        .order_by_asc(assessment::Column::SubmittedOn)
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?;
    views(db, rows, false).await
}

/// One self-assessment with its answers, for whoever may read its municipality (404 otherwise).
pub async fn get<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<SelfAssessmentView> {
    let row = assessment::Entity::find_by_id(id).found(db).await?;
    if !actor.covers_municipality(&row.municipality_code, &row.department_code) {
        return Err(AppError::NotFound);
    }
    let mut found = views(db, vec![row], true).await?;
    found.pop().ok_or(AppError::NotFound)
}

async fn get_row<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<SelfAssessmentView> {
    let row = assessment::Entity::find_by_id(id).found(db).await?;
    let mut found = views(db, vec![row], false).await?;
    found.pop().ok_or(AppError::NotFound)
}

/// The latest self-assessment of entity `entity` of municipality `code` (the latest validated,
/// else the latest waiting), for an assistance's diagnosis (the caller checked the scope).
pub async fn latest_of<C: ConnectionTrait>(
    db: &C,
    code: &str,
    entity: &str,
) -> AppResult<Option<SelfAssessmentView>> {
    let rows = assessment::Entity::find()
        .filter(assessment::Column::MunicipalityCode.eq(code))
        .filter(assessment::Column::EntityType.eq(entity))
        .filter(assessment::Column::Status.ne(REJECTED))
        .order_by_desc(assessment::Column::SubmittedOn)
        .order_by_desc(assessment::Column::Id)
        .all(db)
        .await?;
    let chosen = rows
        .iter()
        .find(|r| r.status == VALIDATED)
        .or(rows.first())
        .cloned();
    match chosen {
        None => Ok(None),
        Some(row) => Ok(views(db, vec![row], false).await?.pop()),
    }
}

async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<assessment::Model>,
    with_answers: bool,
) -> AppResult<Vec<SelfAssessmentView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let mut levels: HashMap<i32, Vec<level::Model>> = HashMap::new();
    for l in level::Entity::find()
        .filter(level::Column::SelfAssessmentId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        levels.entry(l.self_assessment_id).or_default().push(l);
    }
    let mut user_ids: Vec<i32> = rows
        .iter()
        .flat_map(|r| [r.submitted_by, r.reviewed_by])
        .flatten()
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?;
    let versions: HashMap<i32, i32> = self_assessment_instrument::Entity::find()
        .all_mapped(db, |v| (v.id, v.version))
        .await?;
    let places: HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(rows.iter().map(|r| r.municipality_code.clone())))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let mut answers: HashMap<i32, Vec<AnswerView>> = HashMap::new();
    if with_answers {
        let stored = answer::Entity::find()
            .filter(answer::Column::SelfAssessmentId.is_in(ids.clone()))
            .order_by_asc(answer::Column::Id)
            .all(db)
            .await?;
        let questions: HashMap<i32, question::Model> = question::Entity::find()
            .filter(question::Column::Id.is_in(stored.iter().map(|a| a.question_id)))
            .all_mapped(db, |q| (q.id, q))
            .await?;
        let mut stored: Vec<(answer::Model, &question::Model)> = stored
            .into_iter()
            .filter_map(|a| questions.get(&a.question_id).map(|q| (a, q)))
            .collect();
        stored.sort_by_key(|(a, q)| (q.sort_order, a.id));
        for (a, q) in stored {
            answers
                .entry(a.self_assessment_id)
                .or_default()
                .push(AnswerView {
                    question_id: q.id,
                    capacity_id: q.capacity_id,
                    question: q.text.clone(),
                    level: a.level,
                    descriptor: q
                        .descriptors()
                        .get((a.level - 1).clamp(0, 3) as usize)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    evidence: a.evidence,
                });
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut capacity_levels: Vec<CapacityLevel> = levels
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|l| CapacityLevel {
                    capacity_id: l.capacity_id,
                    capacity_name: capacities
                        .get(&l.capacity_id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                    level: l.level,
                })
                .collect();
            capacity_levels.sort_by_key(|l| {
                capacities
                    .get(&l.capacity_id)
                    .map_or(i32::MAX, |c| c.sort_order)
            });
            SelfAssessmentView {
                id: r.id,
                municipality_name: places
                    .get(&r.municipality_code)
                    .cloned()
                    .unwrap_or_default(),
                entity_label: entity_label(&r.entity_type),
                instrument_version: versions.get(&r.instrument_id).copied().unwrap_or_default(),
                period: period_label(r.year, r.quarter),
                status_label: status_label(&r.status).into(),
                self_reported: true,
                submitted_on: r.submitted_on.to_string(),
                submitted_by: r.submitted_by.and_then(|u| names.get(&u).cloned()),
                reviewed_at: r.reviewed_at.map(crate::time::date_time),
                reviewed_by: r.reviewed_by.and_then(|u| names.get(&u).cloned()),
                review_note: r.review_note,
                levels: capacity_levels,
                answers: answers.remove(&r.id).unwrap_or_default(),
                municipality_code: r.municipality_code,
                entity_type: r.entity_type,
                year: r.year,
                quarter: r.quarter,
                status: r.status,
            }
        })
        .collect())
}
