//! Assessment: a cohort's items (name and weight; the weights sum 100 before results are
//! final) and each enrolled person's score per item on the Colombian 0.0–5.0 scale with one
//! decimal, stored exactly as tenths. Scores come from the API, the grid page or an uploaded
//! `.xlsx`; every change is audited (who, when, before, after) like attendance marks.

pub mod sheet;

use crate::attendance::{NamedEnrolments, enrolment_problem};
use crate::audit::{self, Change};
use crate::entities::{assessment, cohort, enrolment, participant, score};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

pub const MAX_NAME_CHARS: usize = 120;

/// An assessment item of a cohort.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Assessment)]
pub struct AssessmentView {
    pub id: i32,
    pub cohort_id: i32,
    pub name: String,
    /// Percentage of the final grade.
    #[schema(minimum = 1, maximum = 100)]
    pub weight: i32,
    /// Order within the cohort.
    #[schema(minimum = 1)]
    pub position: i32,
    /// How many scores are recorded for it.
    pub scores_recorded: u64,
}

/// What the API and pages send to create (both fields required) or change (either) an item.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AssessmentInput {
    /// Unique within the cohort (ignoring case and accents).
    #[schema(max_length = 120, example = "Taller de diagnóstico")]
    pub name: Option<String>,
    /// Whole percentage of the final grade; a cohort's weights sum at most 100.
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100, example = 30)]
    pub weight: Option<f64>,
}

fn check_editable(cohort: &cohort::Model) -> AppResult<()> {
    if cohort.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte está {}: sus evaluaciones y notas ya no se modifican.",
            cohort.status.label().to_lowercase()
        )));
    }
    Ok(())
}

/// The cohort's items, in order, with how many scores each has (two queries).
pub async fn list<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Vec<AssessmentView>> {
    #[derive(FromQueryResult)]
    struct Count {
        assessment_id: i32,
        n: i64,
    }
    let items = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort_id))
        .order_by_asc(assessment::Column::Position)
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?;
    let counts: HashMap<i32, u64> = score::Entity::find()
        .select_only()
        .column(score::Column::AssessmentId)
        .column_as(score::Column::Id.count(), "n")
        .filter(score::Column::AssessmentId.is_in(items.iter().map(|i| i.id)))
        .group_by(score::Column::AssessmentId)
        .into_model::<Count>()
        .all_mapped(db, |c| (c.assessment_id, c.n as u64))
        .await?;
    Ok(items
        .into_iter()
        .map(|a| AssessmentView {
            scores_recorded: counts.get(&a.id).copied().unwrap_or(0),
            id: a.id,
            cohort_id: a.cohort_id,
            name: a.name,
            weight: a.weight,
            position: a.position,
        })
        .collect())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<assessment::Model> {
    assessment::Entity::find_by_id(id).found(db).await
}

/// Validates name and weight against the cohort's other items (`current`: the item being
/// changed, excluded from the checks).
async fn checked<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    input: &AssessmentInput,
    current: Option<&assessment::Model>,
) -> AppResult<(String, i32)> {
    let others: Vec<assessment::Model> = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort.id))
        .all(db)
        .await?
        .into_iter()
        .filter(|a| current.is_none_or(|c| c.id != a.id))
        .collect();
    let mut errors = Vec::new();
    let name = match &input.name {
        Some(text) => crate::validate::line("name", Some(text), MAX_NAME_CHARS, &mut errors),
        None => current.map(|c| c.name.clone()),
    };
    match &name {
        None if errors.iter().any(|e| e.field == "name") => {}
        None => errors.push(FieldError::new(
            "name",
            "Escriba el nombre de la evaluación.",
        )),
        Some(n) if n.chars().count() > MAX_NAME_CHARS => errors.push(FieldError::new(
            "name",
            format!("El nombre puede tener máximo {MAX_NAME_CHARS} caracteres."),
        )),
        Some(n)
            if others.iter().any(|o| {
                crate::spreadsheets::normalize_header(&o.name)
                    == crate::spreadsheets::normalize_header(n)
            }) =>
        {
            errors.push(FieldError::new(
                "name",
                format!("La cohorte ya tiene una evaluación llamada «{n}»."),
            ))
        }
        _ => {}
    }
    let weight = match input.weight {
        Some(w) if w.fract() != 0.0 || !(1.0..=100.0).contains(&w) => {
            errors.push(FieldError::new(
                "weight",
                "El peso es un porcentaje entero entre 1 y 100.",
            ));
            None
        }
        Some(w) => Some(w as i32),
        None => {
            let w = current.map(|c| c.weight);
            if w.is_none() {
                errors.push(FieldError::new(
                    "weight",
                    "Escriba el peso de la evaluación (porcentaje de la nota final).",
                ));
            }
            w
        }
    };
    if let Some(w) = weight {
        let sum: i32 = others.iter().map(|o| o.weight).sum::<i32>() + w;
        if sum > 100 {
            errors.push(FieldError::new(
                "weight",
                format!(
                    "Los pesos de la cohorte sumarían {sum} %: entre todas las evaluaciones deben sumar 100 %."
                ),
            ));
        }
    }
    match (name, weight) {
        (Some(n), Some(w)) if errors.is_empty() => Ok((n, w)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// An assessment as its audit rows store it (`assessment.created`, `…updated`, `…deleted`).
#[derive(Serialize)]
struct ItemAudit<'a> {
    cohort_id: i32,
    name: &'a str,
    weight: i32,
    position: i32,
}

fn item_json(a: &assessment::Model) -> serde_json::Value {
    serde_json::to_value(ItemAudit {
        cohort_id: a.cohort_id,
        name: &a.name,
        weight: a.weight,
        position: a.position,
    })
    .unwrap_or_default()
}

pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    input: &AssessmentInput,
) -> AppResult<AssessmentView> {
    check_editable(cohort)?;
    crate::cohorts::lock(db, cohort.id).await?;
    let (name, weight) = checked(db, cohort, input, None).await?;
    let position: Option<Option<i32>> = assessment::Entity::find()
        .select_only()
        .column_as(assessment::Column::Position.max(), "max")
        .filter(assessment::Column::CohortId.eq(cohort.id))
        .into_tuple()
        .one(db)
        .await?;
    let at = crate::time::now();
    let saved = assessment::ActiveModel {
        cohort_id: Set(cohort.id),
        name: Set(name),
        weight: Set(weight),
        position: Set(position.flatten().unwrap_or(0) + 1),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "assessment.created",
            subject_type: "assessment",
            subject_id: saved.id.to_string(),
            before: None,
            after: Some(item_json(&saved)),
        },
    )
    .await?;
    Ok(AssessmentView {
        id: saved.id,
        cohort_id: saved.cohort_id,
        name: saved.name,
        weight: saved.weight,
        position: saved.position,
        scores_recorded: 0,
    })
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    current: assessment::Model,
    input: &AssessmentInput,
) -> AppResult<AssessmentView> {
    check_editable(cohort)?;
    crate::cohorts::lock(db, cohort.id).await?;
    let (name, weight) = checked(db, cohort, input, Some(&current)).await?;
    let before = item_json(&current);
    let mut model: assessment::ActiveModel = current.into();
    model.name = Set(name);
    model.weight = Set(weight);
    model.updated_at = Set(crate::time::now());
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "assessment.updated",
            subject_type: "assessment",
            subject_id: saved.id.to_string(),
            before: Some(before),
            after: Some(item_json(&saved)),
        },
    )
    .await?;
    list(db, cohort.id)
        .await?
        .into_iter()
        .find(|a| a.id == saved.id)
        .ok_or(AppError::NotFound)
}

/// Removes an item without scores (scores are history: 409).
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    current: assessment::Model,
) -> AppResult<()> {
    check_editable(cohort)?;
    let scores = score::Entity::find()
        .filter(score::Column::AssessmentId.eq(current.id))
        .count(db)
        .await?;
    if scores > 0 {
        return Err(AppError::Conflict(format!(
            "«{}» ya tiene {}: no se puede eliminar.",
            current.name,
            crate::format::plural(scores as i64, "nota registrada", "notas registradas")
        )));
    }
    assessment::Entity::delete_by_id(current.id)
        .exec(db)
        .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "assessment.deleted",
            subject_type: "assessment",
            subject_id: current.id.to_string(),
            before: Some(item_json(&current)),
            after: None,
        },
    )
    .await?;
    Ok(())
}

/// One score as the API sends it: `"score": null` removes it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ScoreInput {
    #[schema(value_type = i32, required = true)]
    pub enrolment_id: Option<i32>,
    /// On the Colombian 0.0–5.0 scale, one decimal at most; `null` removes the score.
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<f64>, required = true, minimum = 0, maximum = 5, example = 4.2)]
    pub score: Option<Option<f64>>,
}

/// A recorded score.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Score)]
pub struct ScoreView {
    pub assessment_id: i32,
    pub enrolment_id: i32,
    pub participant_id: i32,
    pub full_name: String,
    #[schema(minimum = 0, maximum = 5)]
    pub score: f64,
    #[schema(example = "4.2")]
    pub score_text: String,
    pub recorded_by: Option<i32>,
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

/// A checked score change: `tenths: None` removes the score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedScore {
    pub assessment_id: i32,
    pub enrolment_id: i32,
    pub tenths: Option<i32>,
}

/// Reads a score as people write it: `4`, `3.5` or `3,5`.
pub fn parse_score(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<i32> {
    let cleaned = text.trim().replace(',', ".");
    match cleaned.parse::<f64>() {
        Ok(value) if value.is_finite() => parse::grade_tenths(field, value, errors),
        _ => {
            errors.push(FieldError::new(
                field,
                format!(
                    "«{}» no es una nota: escriba un número entre 0,0 y 5,0, con un decimal como máximo.",
                    text.trim()
                ),
            ));
            None
        }
    }
}

/// Checks the scores sent for one item (all problems at once).
pub async fn plan_scores<C: ConnectionTrait>(
    db: &C,
    people: &PersonScope,
    cohort: &cohort::Model,
    item: &assessment::Model,
    inputs: &[ScoreInput],
) -> AppResult<Vec<PlannedScore>> {
    check_editable(cohort)?;
    if inputs.is_empty() {
        return Err(AppError::invalid("scores", "Envíe al menos una nota."));
    }
    crate::validate::list_length("scores", inputs.len())
        .map_err(|e| AppError::Validation(vec![e]))?;
    let ids: Vec<i32> = inputs.iter().filter_map(|s| s.enrolment_id).collect();
    let rows: HashMap<i32, enrolment::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::Id.is_in(ids))
        .filter(people.condition())
        .all_mapped(db, |e| (e.id, e))
        .await?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut planned = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        let field = |name: &str| format!("[{n}].{name}");
        let tenths = match input.score {
            None => {
                errors.push(FieldError::new(
                    field("score"),
                    "Indique la nota (0,0 a 5,0) o null para borrarla.",
                ));
                continue;
            }
            Some(None) => None,
            Some(Some(value)) => match parse::grade_tenths(&field("score"), value, &mut errors) {
                Some(t) => Some(t),
                None => continue,
            },
        };
        let Some(id) = input.enrolment_id else {
            errors.push(FieldError::new(
                field("enrolment_id"),
                "Indique la inscripción (enrolment_id).",
            ));
            continue;
        };
        if !seen.insert(id) {
            errors.push(FieldError::new(
                field("enrolment_id"),
                format!("La inscripción {id} aparece dos veces."),
            ));
            continue;
        }
        if let Some(problem) = enrolment_problem(rows.get(&id), cohort.id, id, "calificaciones") {
            errors.push(FieldError::new(field("enrolment_id"), problem));
            continue;
        }
        planned.push(PlannedScore {
            assessment_id: item.id,
            enrolment_id: id,
            tenths,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(planned)
}

/// One cell of the grid page: (enrolment, assessment, text typed).
pub type GridCell = (i32, i32, String);

/// Checks the grid page: every cell at once. An emptied cell removes the score it had.
pub async fn plan_grid<C: ConnectionTrait>(
    db: &C,
    people: &PersonScope,
    cohort: &cohort::Model,
    cells: &[GridCell],
) -> AppResult<Vec<PlannedScore>> {
    check_editable(cohort)?;
    // One query names every enrolment of the grid: at most `LIST_MAX` of them.
    let named: HashSet<i32> = cells.iter().map(|c| c.0).collect();
    crate::validate::list_length("nota", named.len()).map_err(|e| AppError::Validation(vec![e]))?;
    let items: HashMap<i32, assessment::Model> = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort.id))
        .all_mapped(db, |a| (a.id, a))
        .await?;
    let enrolments = NamedEnrolments::load(db, people, cells.iter().map(|c| c.0)).await?;
    let item_ids: Vec<i32> = items.keys().copied().collect();
    let current = existing_scores(db, &item_ids, enrolments.ids()).await?;
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (enrolment_id, item_id, text) in cells {
        let field = format!("nota[{enrolment_id}-{item_id}]");
        let Some(item) = items.get(item_id) else {
            errors.push(FieldError::new(field, "La evaluación ya no existe."));
            continue;
        };
        if let Some(problem) = enrolments.problem(*enrolment_id, cohort.id, "calificaciones") {
            errors.push(FieldError::new(field, problem));
            continue;
        }
        let name = enrolments.full_name(*enrolment_id);
        if text.trim().is_empty() {
            if current.contains_key(&(item.id, *enrolment_id)) {
                planned.push(PlannedScore {
                    assessment_id: item.id,
                    enrolment_id: *enrolment_id,
                    tenths: None,
                });
            }
            continue;
        }
        let mut cell_errors = Vec::new();
        match parse_score(&field, text, &mut cell_errors) {
            Some(tenths) => planned.push(PlannedScore {
                assessment_id: item.id,
                enrolment_id: *enrolment_id,
                tenths: Some(tenths),
            }),
            None => errors.extend(cell_errors.into_iter().map(|e| FieldError {
                message: format!("{name}, {}: {}", item.name, e.message),
                ..e
            })),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(planned)
}

/// Scores recorded for these (assessment, enrolment) pairs.
pub async fn existing_scores<C: ConnectionTrait>(
    db: &C,
    assessment_ids: &[i32],
    enrolment_ids: &[i32],
) -> AppResult<HashMap<(i32, i32), score::Model>> {
    if assessment_ids.is_empty() || enrolment_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(score::Entity::find()
        .filter(score::Column::AssessmentId.is_in(assessment_ids.to_vec()))
        .filter(score::Column::EnrolmentId.is_in(enrolment_ids.to_vec()))
        .all_mapped(db, |s| ((s.assessment_id, s.enrolment_id), s))
        .await?)
}

/// A score as it was before a save changed or deleted it (`score.changed`, `score.deleted`).
#[derive(Serialize)]
struct ScoreWas {
    assessment_id: i32,
    score: f64,
    recorded_by: Option<i32>,
}

/// A score as a save leaves it (`score.recorded`, `score.changed`).
#[derive(Serialize)]
struct ScoreNow<'a> {
    assessment_id: i32,
    score: f64,
    /// The virtual classroom that posted it (issue 65), when no person wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_tool: Option<&'a str>,
}

/// Who writes scores: a person, or a virtual classroom's tool through AGS (issue 65).
#[derive(Clone, Copy, Debug)]
pub enum ScoreWriter<'a> {
    Person(i32),
    Tool(&'a str),
}

impl ScoreWriter<'_> {
    fn person(self) -> Option<i32> {
        match self {
            ScoreWriter::Person(id) => Some(id),
            ScoreWriter::Tool(_) => None,
        }
    }
}

/// Writes checked scores: one batched upsert for new and changed scores, one delete for
/// removed ones, one audit entry per change. Returns how many changed. Run inside a
/// transaction.
pub async fn save_scores<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    cohort: &cohort::Model,
    planned: &[PlannedScore],
) -> AppResult<usize> {
    save_scores_as(db, ScoreWriter::Person(actor), cohort, planned).await
}

/// [`save_scores`] by any writer: a tool's scores are recorded by no account and audited with
/// the tool's name.
pub async fn save_scores_as<C: ConnectionTrait>(
    db: &C,
    writer: ScoreWriter<'_>,
    cohort: &cohort::Model,
    planned: &[PlannedScore],
) -> AppResult<usize> {
    let actor = writer.person();
    let by_tool = match writer {
        ScoreWriter::Tool(name) => Some(name),
        ScoreWriter::Person(_) => None,
    };
    check_editable(cohort)?;
    crate::cohorts::lock(db, cohort.id).await?;
    let assessment_ids: Vec<i32> = planned
        .iter()
        .map(|p| p.assessment_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let enrolment_ids: Vec<i32> = planned
        .iter()
        .map(|p| p.enrolment_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let current = existing_scores(db, &assessment_ids, &enrolment_ids).await?;
    let at = crate::time::now();
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    let mut changes = Vec::new();
    for p in planned {
        let before = current.get(&(p.assessment_id, p.enrolment_id));
        if before.map(|b| b.score_tenths) == p.tenths {
            continue;
        }
        match p.tenths {
            Some(tenths) => upserts.push(score::ActiveModel {
                assessment_id: Set(p.assessment_id),
                enrolment_id: Set(p.enrolment_id),
                score_tenths: Set(tenths),
                recorded_by: Set(actor),
                recorded_at: Set(at),
                ..Default::default()
            }),
            None => removals.push(before.map_or(0, |b| b.id)),
        }
        changes.push(Change {
            actor,
            action: match (before, p.tenths) {
                (None, _) => "score.recorded",
                (Some(_), Some(_)) => "score.changed",
                (Some(_), None) => "score.deleted",
            },
            subject_type: "enrolment",
            subject_id: p.enrolment_id.to_string(),
            before: before.and_then(|b| {
                serde_json::to_value(ScoreWas {
                    assessment_id: b.assessment_id,
                    score: parse::grade_value(b.score_tenths),
                    recorded_by: b.recorded_by,
                })
                .ok()
            }),
            after: p.tenths.and_then(|t| {
                serde_json::to_value(ScoreNow {
                    assessment_id: p.assessment_id,
                    score: parse::grade_value(t),
                    by_tool,
                })
                .ok()
            }),
        });
    }
    let changed = changes.len();
    while !upserts.is_empty() {
        let rest = upserts.split_off(upserts.len().min(audit::BATCH_ROWS));
        score::Entity::insert_many(std::mem::replace(&mut upserts, rest))
            .on_conflict(
                OnConflict::columns([score::Column::AssessmentId, score::Column::EnrolmentId])
                    .update_columns([
                        score::Column::ScoreTenths,
                        score::Column::RecordedBy,
                        score::Column::RecordedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    for chunk in removals.chunks(audit::BATCH_ROWS) {
        score::Entity::delete_many()
            .filter(score::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    audit::record_many(db, changes).await?;
    // Keep the item's updated_at meaningful for people reading the grid.
    if changed > 0 {
        assessment::Entity::update_many()
            .col_expr(assessment::Column::UpdatedAt, Expr::value(at))
            .filter(assessment::Column::Id.is_in(assessment_ids))
            .exec(db)
            .await?;
    }
    Ok(changed)
}

/// The scores of one item that `people` covers (optionally only some enrolments), by name.
pub async fn scores_of<C: ConnectionTrait>(
    db: &C,
    item: &assessment::Model,
    people: &PersonScope,
    only: Option<&[i32]>,
) -> AppResult<Vec<ScoreView>> {
    let mut query = score::Entity::find()
        .filter(score::Column::AssessmentId.eq(item.id))
        .filter(people.enrolments_of(score::Column::EnrolmentId, item.cohort_id));
    if let Some(ids) = only {
        query = query.filter(score::Column::EnrolmentId.is_in(ids.to_vec()));
    }
    let scores = query.all(db).await?;
    let people: HashMap<i32, participant::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::Id.is_in(scores.iter().map(|s| s.enrolment_id)))
        .find_also_related(participant::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, p)| p.map(|p| (e.id, p)))
        .collect();
    let mut out: Vec<ScoreView> = scores
        .into_iter()
        .map(|s| {
            let person = people.get(&s.enrolment_id);
            ScoreView {
                assessment_id: s.assessment_id,
                enrolment_id: s.enrolment_id,
                participant_id: person.map_or(0, |p| p.id),
                full_name: person.map(|p| p.full_name()).unwrap_or_default(),
                score: parse::grade_value(s.score_tenths),
                score_text: crate::format::grade_tenths(s.score_tenths),
                recorded_by: s.recorded_by,
                recorded_at: crate::time::date_time(s.recorded_at),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        crate::text::by_name(&a.full_name, &b.full_name).then(a.enrolment_id.cmp(&b.enrolment_id))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_read_with_a_decimal_point_or_comma() {
        let mut errors = Vec::new();
        assert_eq!(parse_score("s", "3,5", &mut errors), Some(35));
        assert_eq!(parse_score("s", " 4 ", &mut errors), Some(40));
        assert_eq!(parse_score("s", "5.0", &mut errors), Some(50));
        assert!(errors.is_empty());
        assert_eq!(parse_score("s", "3,55", &mut errors), None);
        assert_eq!(parse_score("s", "seis", &mut errors), None);
        assert_eq!(parse_score("s", "5.5", &mut errors), None);
        assert_eq!(errors.len(), 3);
    }
}
