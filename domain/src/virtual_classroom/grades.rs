//! Assignment and Grade Services (AGS 2.0): a cohort's line items and the scores tools post.
//!
//! Every assessment of the cohort is a line item (its name as label, 5 as `scoreMaximum`); a
//! tool may also create its own line items, which the coordinator maps to an assessment. A
//! score posted by the tool is kept as the line item's result for that person; when it is
//! `FullyGraded` and the line item is an assessment's (or mapped to one), it becomes the
//! assessment's score: `scoreGiven ÷ scoreMaximum` on the 0–5 scale, in tenths, audited as
//! written by the tool. The latest `timestamp` wins: an older score never overwrites a newer
//! one. A closed or cancelled cohort refuses scores (409); a person not enrolled in the cohort
//! is refused (422). Nothing is written for a refused score.

use super::services::{self, ToolAccess};
use super::{Platform, SCOPE_LINEITEM, SCOPE_LINEITEM_READ, SCOPE_RESULT, SCOPE_SCORE};
use crate::accounts::actor::Actor;
use crate::assessment::{self, PlannedScore, ScoreWriter};
use crate::entities::values::EnrolmentStatus;
use crate::entities::{assessment as assessment_row, cohort, enrolment, lti_line_item, lti_result};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Rows;
use crate::validate;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const LINE_ITEM_MEDIA: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub const LINE_ITEMS_MEDIA: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
pub const SCORE_MEDIA: &str = "application/vnd.ims.lis.v1.score+json";
pub const RESULTS_MEDIA: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

/// The most line items a cohort holds (its assessments and the tools' own).
pub const LINE_ITEMS_MAX: usize = 200;

const ACTIVITY: [&str; 5] = [
    "Initialized",
    "Started",
    "InProgress",
    "Submitted",
    "Completed",
];
const GRADING: [&str; 5] = [
    "FullyGraded",
    "Pending",
    "PendingManual",
    "Failed",
    "NotReady",
];

/// A line item as the tool sends it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LineItemInput {
    pub label: Option<String>,
    #[serde(rename = "scoreMaximum")]
    pub score_maximum: Option<f64>,
    #[serde(rename = "resourceId")]
    pub resource_id: Option<String>,
    pub tag: Option<String>,
    #[serde(rename = "resourceLinkId")]
    pub resource_link_id: Option<String>,
}

/// A score as the tool posts it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScoreInput {
    #[serde(rename = "userId")]
    pub user_id: Option<String>,
    #[serde(rename = "scoreGiven")]
    pub score_given: Option<f64>,
    #[serde(rename = "scoreMaximum")]
    pub score_maximum: Option<f64>,
    #[serde(rename = "activityProgress")]
    pub activity_progress: Option<String>,
    #[serde(rename = "gradingProgress")]
    pub grading_progress: Option<String>,
    pub timestamp: Option<String>,
    pub comment: Option<String>,
}

/// Line item filters (AGS query parameters).
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub resource_link_id: Option<String>,
    pub resource_id: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<usize>,
}

/// A line item as the tool reads it (AGS 2.0; fields in the order of their names).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub id: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_link_id: Option<String>,
    pub score_maximum: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

fn item_json(platform: &Platform, row: &lti_line_item::Model, label: &str) -> LineItem {
    LineItem {
        id: platform.line_item_url(row.cohort_id, row.id),
        label: label.to_string(),
        resource_id: row.resource_id.clone(),
        resource_link_id: row.resource_link_id.clone(),
        score_maximum: row.score_maximum,
        tag: row.tag.clone(),
    }
}

/// A result as the tool reads it (AGS 2.0; fields in the order of their names).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub id: String,
    pub result_maximum: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_score: Option<f64>,
    pub score_of: String,
    pub user_id: String,
}

/// The line item a coordinator maps to an assessment (`lti_line_item.mapped`).
#[derive(Serialize)]
struct Mapped {
    assessment_id: Option<i32>,
    line_item_id: i32,
}

/// Makes sure every assessment of the cohort has its line item; returns the cohort's line
/// items (those of removed assessments left out) with the label each shows.
async fn items_of<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Vec<(lti_line_item::Model, String)>> {
    let assessments: Vec<assessment_row::Model> = assessment_row::Entity::find()
        .filter(assessment_row::Column::CohortId.eq(cohort_id))
        .order_by_asc(assessment_row::Column::Position)
        .all(db)
        .await?;
    let mut rows = lti_line_item::Entity::find()
        .filter(lti_line_item::Column::CohortId.eq(cohort_id))
        .order_by_asc(lti_line_item::Column::Id)
        .all(db)
        .await?;
    let missing: Vec<lti_line_item::ActiveModel> = assessments
        .iter()
        .filter(|a| {
            !rows
                .iter()
                .any(|r| r.assessment_id == Some(a.id) && r.tool_id.is_none())
        })
        .map(|a| lti_line_item::ActiveModel {
            cohort_id: Set(cohort_id),
            assessment_id: Set(Some(a.id)),
            tool_id: Set(None),
            label: Set(a.name.clone()),
            score_maximum: Set(5.0),
            resource_id: Set(None),
            tag: Set(None),
            resource_link_id: Set(None),
            created_at: Set(crate::time::now()),
            ..Default::default()
        })
        .collect();
    if !missing.is_empty() {
        for row in missing {
            rows.push(row.insert(db).await?);
        }
    }
    let names: HashMap<i32, &str> = assessments
        .iter()
        .map(|a| (a.id, a.name.as_str()))
        .collect();
    Ok(rows
        .into_iter()
        .filter(|r| r.tool_id.is_some() || r.assessment_id.is_some_and(|a| names.contains_key(&a)))
        .map(|r| {
            let label = match (r.tool_id, r.assessment_id.and_then(|a| names.get(&a))) {
                (None, Some(name)) => name.to_string(),
                _ => r.label.clone(),
            };
            (r, label)
        })
        .collect())
}

/// The cohort's line items for the tool, filtered as it asks.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    access: &ToolAccess,
    cohort_id: i32,
    filters: &Filters,
) -> AppResult<Vec<LineItem>> {
    let cohort = services::context(
        db,
        access,
        cohort_id,
        &[SCOPE_LINEITEM, SCOPE_LINEITEM_READ],
    )
    .await?;
    let limit = filters
        .limit
        .unwrap_or(LINE_ITEMS_MAX)
        .clamp(1, LINE_ITEMS_MAX);
    Ok(items_of(db, cohort.id)
        .await?
        .iter()
        .filter(|(r, _)| {
            filters
                .resource_link_id
                .as_ref()
                .is_none_or(|v| r.resource_link_id.as_ref() == Some(v))
                && filters
                    .resource_id
                    .as_ref()
                    .is_none_or(|v| r.resource_id.as_ref() == Some(v))
                && filters
                    .tag
                    .as_ref()
                    .is_none_or(|v| r.tag.as_ref() == Some(v))
        })
        .take(limit)
        .map(|(r, label)| item_json(platform, r, label))
        .collect())
}

fn optional_text(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    validate::line(field, value, validate::SHORT_TEXT_MAX, errors)
}

/// A line item the tool creates (unmapped until the coordinator maps it to an assessment).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    access: &ToolAccess,
    cohort_id: i32,
    input: &LineItemInput,
) -> AppResult<LineItem> {
    let cohort = services::context(db, access, cohort_id, &[SCOPE_LINEITEM]).await?;
    refuse_closed(&cohort)?;
    let mut errors = Vec::new();
    let label = validate::line(
        "label",
        input.label.as_deref(),
        validate::TITLE_MAX,
        &mut errors,
    );
    if label.is_none() && !errors.iter().any(|e| e.field == "label") {
        errors.push(FieldError::new(
            "label",
            "Indique el nombre de la actividad (label).",
        ));
    }
    let maximum = input
        .score_maximum
        .filter(|m| m.is_finite() && *m > 0.0 && *m <= 1.0e6);
    if maximum.is_none() {
        errors.push(FieldError::new(
            "scoreMaximum",
            "scoreMaximum debe ser un número mayor que 0.",
        ));
    }
    let resource_id = optional_text("resourceId", input.resource_id.as_deref(), &mut errors);
    let tag = optional_text("tag", input.tag.as_deref(), &mut errors);
    let resource_link_id = optional_text(
        "resourceLinkId",
        input.resource_link_id.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    crate::cohorts::lock(db, cohort.id).await?;
    let count = lti_line_item::Entity::find()
        .filter(lti_line_item::Column::CohortId.eq(cohort.id))
        .count(db)
        .await?;
    if count >= LINE_ITEMS_MAX as u64 {
        return Err(AppError::Conflict(format!(
            "La cohorte ya tiene {LINE_ITEMS_MAX} actividades calificables."
        )));
    }
    let row = lti_line_item::ActiveModel {
        cohort_id: Set(cohort.id),
        assessment_id: Set(None),
        tool_id: Set(Some(access.tool.id)),
        label: Set(label.unwrap_or_default()),
        score_maximum: Set(maximum.unwrap_or(1.0)),
        resource_id: Set(resource_id),
        tag: Set(tag),
        resource_link_id: Set(resource_link_id),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(item_json(platform, &row, &row.label))
}

async fn item<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    id: i32,
) -> AppResult<(lti_line_item::Model, String)> {
    items_of(db, cohort_id)
        .await?
        .into_iter()
        .find(|(r, _)| r.id == id)
        .ok_or(AppError::NotFound)
}

/// One line item of the cohort.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    access: &ToolAccess,
    cohort_id: i32,
    id: i32,
) -> AppResult<LineItem> {
    let cohort = services::context(
        db,
        access,
        cohort_id,
        &[SCOPE_LINEITEM, SCOPE_LINEITEM_READ],
    )
    .await?;
    let (row, label) = item(db, cohort.id, id).await?;
    Ok(item_json(platform, &row, &label))
}

fn refuse_closed(cohort: &cohort::Model) -> AppResult<()> {
    if cohort.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La cohorte «{}» está {}: ya no recibe notas.",
            cohort.name,
            cohort.status.label().to_lowercase()
        )));
    }
    Ok(())
}

/// A checked score.
struct Checked {
    given: Option<f64>,
    maximum: f64,
    activity: String,
    grading: String,
    timestamp: DateTime<Utc>,
    comment: Option<String>,
}

fn check_score(input: &ScoreInput) -> AppResult<Checked> {
    let mut errors = Vec::new();
    // RFC 3339, or ISO 8601's basic offset (`+0000`) some tools write.
    let parsed = input.timestamp.as_deref().map(|t| {
        DateTime::parse_from_rfc3339(t)
            .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
    });
    let timestamp = match parsed {
        Some(Ok(t)) => Some(t.with_timezone(&Utc)),
        _ => {
            errors.push(FieldError::new(
                "timestamp",
                "timestamp debe ser una fecha y hora ISO 8601 con zona (2026-11-28T10:00:00-05:00).",
            ));
            None
        }
    };
    let activity = input.activity_progress.clone().unwrap_or_default();
    if !ACTIVITY.contains(&activity.as_str()) {
        errors.push(FieldError::new(
            "activityProgress",
            format!("activityProgress debe ser uno de: {}.", ACTIVITY.join(", ")),
        ));
    }
    let grading = input.grading_progress.clone().unwrap_or_default();
    if !GRADING.contains(&grading.as_str()) {
        errors.push(FieldError::new(
            "gradingProgress",
            format!("gradingProgress debe ser uno de: {}.", GRADING.join(", ")),
        ));
    }
    let given = input.score_given;
    if given.is_some_and(|g| !g.is_finite() || g < 0.0) {
        errors.push(FieldError::new(
            "scoreGiven",
            "scoreGiven debe ser un número de 0 en adelante.",
        ));
    }
    let maximum = input.score_maximum;
    match (given, maximum) {
        (Some(_), None) => errors.push(FieldError::new(
            "scoreMaximum",
            "Con scoreGiven, indique scoreMaximum.",
        )),
        (_, Some(m)) if !m.is_finite() || m <= 0.0 => errors.push(FieldError::new(
            "scoreMaximum",
            "scoreMaximum debe ser un número mayor que 0.",
        )),
        _ => {}
    }
    let comment = match input.comment.as_deref() {
        Some(text) => validate::lines(
            "comment",
            Some(text),
            validate::DESCRIPTION_MAX,
            &mut errors,
        ),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Checked {
        given,
        maximum: maximum.unwrap_or(1.0),
        activity,
        grading,
        timestamp: timestamp.unwrap_or_default(),
        comment,
    })
}

/// The enrolment a score's `userId` names in the cohort (a learner taking it), or 422.
async fn enrolment_of<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    user_id: Option<&str>,
) -> AppResult<enrolment::Model> {
    let not_enrolled = || {
        AppError::invalid(
            "userId",
            format!(
                "«{}» no es una persona inscrita en esta cohorte: la nota no se registra.",
                user_id.unwrap_or_default()
            ),
        )
    };
    let Some((Some(participant_id), None)) = user_id.and_then(super::parse_user_id) else {
        return Err(not_enrolled());
    };
    enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ]))
        .one(db)
        .await?
        .ok_or_else(not_enrolled)
}

/// `given` of `maximum` on the 0–5 scale, in tenths (extra credit stops at 5,0).
pub fn tenths_of(given: f64, maximum: f64) -> i32 {
    ((given / maximum) * 50.0).round().clamp(0.0, 50.0) as i32
}

/// Whether the score was kept (false: an older one than what the tool had already sent).
pub async fn post_score<C: ConnectionTrait>(
    db: &C,
    access: &ToolAccess,
    cohort_id: i32,
    id: i32,
    input: &ScoreInput,
) -> AppResult<bool> {
    let cohort = services::context(db, access, cohort_id, &[SCOPE_SCORE]).await?;
    refuse_closed(&cohort)?;
    let checked = check_score(input)?;
    let (row, _) = item(db, cohort.id, id).await?;
    let enrolment = enrolment_of(db, cohort.id, input.user_id.as_deref()).await?;
    // Posts for one cohort run one after the other: the newest timestamp decides.
    let cohort = crate::cohorts::lock(db, cohort.id).await?;
    refuse_closed(&cohort)?;
    let current = lti_result::Entity::find()
        .filter(lti_result::Column::LineItemId.eq(row.id))
        .filter(lti_result::Column::EnrolmentId.eq(enrolment.id))
        .one(db)
        .await?;
    if current.is_some_and(|c| c.timestamp >= checked.timestamp) {
        return Ok(false);
    }
    lti_result::Entity::insert(lti_result::ActiveModel {
        line_item_id: Set(row.id),
        enrolment_id: Set(enrolment.id),
        score_given: Set(checked.given),
        score_maximum: Set(checked.maximum),
        activity_progress: Set(checked.activity.clone()),
        grading_progress: Set(checked.grading.clone()),
        comment: Set(checked.comment.clone()),
        timestamp: Set(checked.timestamp),
        tool_id: Set(Some(access.tool.id)),
        recorded_at: Set(crate::time::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            lti_result::Column::LineItemId,
            lti_result::Column::EnrolmentId,
        ])
        .update_columns([
            lti_result::Column::ScoreGiven,
            lti_result::Column::ScoreMaximum,
            lti_result::Column::ActivityProgress,
            lti_result::Column::GradingProgress,
            lti_result::Column::Comment,
            lti_result::Column::Timestamp,
            lti_result::Column::ToolId,
            lti_result::Column::RecordedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if let (Some(assessment_id), "FullyGraded", Some(given)) =
        (row.assessment_id, checked.grading.as_str(), checked.given)
    {
        let planned = [PlannedScore {
            assessment_id,
            enrolment_id: enrolment.id,
            tenths: Some(tenths_of(given, checked.maximum)),
        }];
        assessment::save_scores_as(db, ScoreWriter::Tool(&access.tool.name), &cohort, &planned)
            .await?;
    }
    Ok(true)
}

/// The line item's results for the tool (optionally one person's).
pub async fn results<C: ConnectionTrait>(
    db: &C,
    platform: &Platform,
    access: &ToolAccess,
    cohort_id: i32,
    id: i32,
    user_id: Option<&str>,
    limit: Option<usize>,
) -> AppResult<Vec<ResultItem>> {
    let cohort = services::context(db, access, cohort_id, &[SCOPE_RESULT]).await?;
    let (row, _) = item(db, cohort.id, id).await?;
    let enrolments: HashMap<i32, i32> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort.id))
        .all_mapped(db, |e| (e.id, e.participant_id))
        .await?;
    let item_url = platform.line_item_url(cohort.id, row.id);
    let limit = limit.unwrap_or(1000).clamp(1, 1000);
    Ok(lti_result::Entity::find()
        .filter(lti_result::Column::LineItemId.eq(row.id))
        .order_by_asc(lti_result::Column::EnrolmentId)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            let user = super::user_id(Some(*enrolments.get(&r.enrolment_id)?), 0);
            if user_id.is_some_and(|u| u != user) {
                return None;
            }
            Some(ResultItem {
                comment: r.comment,
                id: format!("{item_url}/results/{}", r.enrolment_id),
                result_maximum: r.score_maximum,
                result_score: r.score_given,
                score_of: item_url.clone(),
                user_id: user,
            })
        })
        .take(limit)
        .collect())
}

/// A line item as the coordinator sees it (which assessment it feeds).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LtiLineItem)]
pub struct LineItemView {
    pub id: i32,
    pub label: String,
    pub score_maximum: f64,
    /// The assessment its fully graded scores become.
    pub assessment_id: Option<i32>,
    /// Created by a tool (rather than one of the cohort's assessments).
    pub tool_id: Option<i32>,
    /// Results the tools posted to it.
    pub results: u64,
}

/// The cohort's line items (the coordinator's view).
pub async fn of_cohort<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cohort_id: i32,
) -> AppResult<Vec<LineItemView>> {
    let cohort = crate::cohorts::find_managed(db, actor, cohort_id).await?;
    let items = items_of(db, cohort.id).await?;
    let mut counts: HashMap<i32, u64> = HashMap::new();
    for r in lti_result::Entity::find()
        .filter(lti_result::Column::LineItemId.is_in(items.iter().map(|(r, _)| r.id)))
        .all(db)
        .await?
    {
        *counts.entry(r.line_item_id).or_default() += 1;
    }
    Ok(items
        .into_iter()
        .map(|(r, label)| LineItemView {
            id: r.id,
            label,
            score_maximum: r.score_maximum,
            assessment_id: r.assessment_id,
            tool_id: r.tool_id,
            results: counts.get(&r.id).copied().unwrap_or(0),
        })
        .collect())
}

/// What the coordinator sends to map a tool's line item.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MappingInput {
    /// The cohort's assessment its scores become; `null` unmaps it.
    pub assessment_id: Option<i32>,
}

/// Maps a tool's line item to an assessment of the cohort (the coordinator); its latest fully
/// graded results become the assessment's scores at once. Audited.
pub async fn map<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cohort_id: i32,
    id: i32,
    input: &MappingInput,
) -> AppResult<LineItemView> {
    let cohort = crate::cohorts::find_managed(db, actor, cohort_id).await?;
    refuse_closed(&cohort)?;
    let (row, label) = item(db, cohort.id, id).await?;
    let Some(tool_id) = row.tool_id else {
        return Err(AppError::invalid(
            "assessment_id",
            "Esta actividad es una evaluación de la cohorte: no se asigna a otra.",
        ));
    };
    if let Some(a) = input.assessment_id {
        let found = assessment_row::Entity::find_by_id(a)
            .filter(assessment_row::Column::CohortId.eq(cohort.id))
            .one(db)
            .await?;
        if found.is_none() {
            return Err(AppError::invalid(
                "assessment_id",
                format!("La cohorte no tiene la evaluación {a}."),
            ));
        }
    }
    let cohort = crate::cohorts::lock(db, cohort.id).await?;
    let mut active: lti_line_item::ActiveModel = row.clone().into();
    active.assessment_id = Set(input.assessment_id);
    let row = active.update(db).await?;
    crate::audit::record(
        db,
        crate::audit::Change {
            actor: Some(actor.id),
            action: "lti_line_item.mapped",
            subject_type: "cohort",
            subject_id: cohort.id.to_string(),
            before: None,
            after: serde_json::to_value(Mapped {
                assessment_id: row.assessment_id,
                line_item_id: row.id,
            })
            .ok(),
        },
    )
    .await?;
    let results = lti_result::Entity::find()
        .filter(lti_result::Column::LineItemId.eq(row.id))
        .all(db)
        .await?;
    if let Some(assessment_id) = row.assessment_id {
        let planned: Vec<PlannedScore> = results
            .iter()
            .filter(|r| r.grading_progress == "FullyGraded")
            .filter_map(|r| {
                Some(PlannedScore {
                    assessment_id,
                    enrolment_id: r.enrolment_id,
                    tenths: Some(tenths_of(r.score_given?, r.score_maximum)),
                })
            })
            .collect();
        if !planned.is_empty() {
            let tool = super::tools::find(db, tool_id).await?;
            assessment::save_scores_as(db, ScoreWriter::Tool(&tool.name), &cohort, &planned)
                .await?;
        }
    }
    Ok(LineItemView {
        id: row.id,
        label,
        score_maximum: row.score_maximum,
        assessment_id: row.assessment_id,
        tool_id: row.tool_id,
        results: results.len() as u64,
    })
}
