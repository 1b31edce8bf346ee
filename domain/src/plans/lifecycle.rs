//! A plan's life: approved by an act (who recorded it, when, which act), then changed only by
//! amendments — each a new version with its reason, the earlier versions kept as they were —
//! and closed when its year ends (read from the year: [`super::status_of`]).

use super::lines::{self, Figures, LineAudit, LineInput};
use super::{LineRows, PlanScope, PlanView};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::PlanStatus;
use crate::entities::{plan, plan_line, plan_version};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::validate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The act that approves a plan.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanApprovalInput)]
pub struct ApprovalInput {
    /// The resolución or acta del comité that approved it.
    #[schema(max_length = 160, example = "Resolución 0123 del 30 de enero de 2026")]
    pub act: Option<String>,
}

/// A line of an amendment: `line_id` names a line of the current version (its fields left out
/// keep their value; `removed: true` takes it out of the plan); without `line_id`, a new line.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanAmendedLine)]
pub struct AmendedLineInput {
    pub line_id: Option<i32>,
    /// Takes the line out of the new version (it stays in the earlier ones).
    pub removed: Option<bool>,
    pub capacity_id: Option<i32>,
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i32>)]
    pub course_id: Option<Option<i32>>,
    pub targets: Option<lines::TargetsInput>,
    pub goals: Option<lines::GoalsInput>,
    #[schema(max_items = 5)]
    pub budget: Option<Vec<lines::BudgetInput>>,
    /// Keys a line does not have: refused by name (422), never read as a new line.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: lines::Unknown,
}

/// The keys of an amended line.
const AMENDED_LINE_KEYS: [&str; 7] = [
    "line_id",
    "removed",
    "capacity_id",
    "course_id",
    "targets",
    "goals",
    "budget",
];

impl AmendedLineInput {
    fn line(&self) -> LineInput {
        LineInput {
            capacity_id: self.capacity_id,
            course_id: self.course_id,
            targets: self.targets.clone(),
            goals: self.goals.clone(),
            budget: self.budget.clone(),
            unknown: Default::default(),
        }
    }
}

/// An amendment: why, and the lines it changes, adds or removes.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PlanAmendmentInput)]
pub struct AmendmentInput {
    #[schema(
        max_length = 4000,
        example = "Traslado de recursos de cooperación a la línea de gestión presupuestal, acordado en el comité del 12 de junio."
    )]
    pub reason: Option<String>,
    #[schema(max_items = 200)]
    pub lines: Option<Vec<AmendedLineInput>>,
    /// Keys an amendment does not have: refused by name (422).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: lines::Unknown,
}

/// What approving plan `id` will do, for the confirmation page: its lines and budget, or why
/// it cannot be approved now.
pub struct ApprovalFacts {
    pub plan: PlanView,
    pub refused: Option<String>,
}

/// Why plan `row` cannot be approved now, if it cannot.
async fn approval_refusal<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
) -> AppResult<Option<String>> {
    if let Err(AppError::Conflict(why)) = super::ensure_open(row) {
        return Ok(Some(why));
    }
    if row.status != PlanStatus::Draft {
        return Ok(Some(
            "El plan ya está aprobado: sus cifras cambian con una modificación.".into(),
        ));
    }
    let lines = super::load_lines(db, &[(row.id, row.version)])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    if lines.is_empty() {
        return Ok(Some(
            "El plan no tiene líneas: agregue al menos una antes de aprobarlo.".into(),
        ));
    }
    Ok(None)
}

/// The facts of approving plan `id`, if `user` writes it.
pub async fn approval_facts<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<ApprovalFacts> {
    let row = super::find_managed(db, user, id).await?;
    let scope = PlanScope::of(db, user).await?;
    Ok(ApprovalFacts {
        refused: approval_refusal(db, &row).await?,
        plan: super::view(db, &scope, &row, None).await?,
    })
}

/// A plan's status before its approval (`plan.approved`).
#[derive(Serialize)]
struct Draft {
    status: &'static str,
}

/// A plan approved by its act, at version 1.
#[derive(Serialize)]
struct Approved<'a> {
    status: &'static str,
    act: &'a str,
    version: i32,
}

/// Approves a draft plan by its act (409 when approved already, its year ended or it has no
/// lines; 422 without the act): who recorded it and when are kept with it. Its figures are
/// version 1 from now on and never rewritten. Audited.
pub async fn approve<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &ApprovalInput,
) -> AppResult<PlanView> {
    let row = super::find_managed(db, user, id).await?;
    if let Some(why) = approval_refusal(db, &row).await? {
        return Err(AppError::Conflict(why));
    }
    let act = match validate::single_line(
        "act",
        input.act.as_deref().unwrap_or_default(),
        validate::TITLE_MAX,
    ) {
        Ok(Some(act)) => act,
        Ok(None) => {
            return Err(AppError::invalid(
                "act",
                "Escriba el acto que aprueba el plan (la resolución o el acta del comité, con \
                 su número y fecha).",
            ));
        }
        Err(e) => return Err(AppError::Validation(vec![e])),
    };
    let at = crate::time::now();
    // Only a draft is approved: two approvals sent at once record one act.
    let done = plan::Entity::update_many()
        .col_expr(
            plan::Column::Status,
            Expr::value(PlanStatus::Approved.as_str()),
        )
        .col_expr(plan::Column::ApprovalAct, Expr::value(act.clone()))
        .col_expr(plan::Column::ApprovedBy, Expr::value(user.id))
        .col_expr(plan::Column::ApprovedAt, Expr::value(at))
        .col_expr(plan::Column::UpdatedAt, Expr::value(at))
        .filter(plan::Column::Id.eq(row.id))
        .filter(plan::Column::Status.eq(PlanStatus::Draft.as_str()))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict(
            "El plan ya está aprobado: sus cifras cambian con una modificación.".into(),
        ));
    }
    let row = plan::Entity::find_by_id(row.id).found(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "plan.approved",
            subject_type: "plan",
            subject_id: row.id.to_string(),
            before: serde_json::to_value(Draft { status: "draft" }).ok(),
            after: serde_json::to_value(Approved {
                status: "approved",
                act: &act,
                version: 1,
            })
            .ok(),
        },
    )
    .await?;
    let scope = PlanScope::of(db, user).await?;
    super::view(db, &scope, &row, None).await
}

/// A plan's version and lines around an amendment, with its reason after it (`plan.amended`).
#[derive(Serialize)]
struct Amendment<'a> {
    version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    lines: Vec<LineAudit<'a>>,
}

/// Amends an approved plan: a new version with `reason`, holding every line of the current
/// version with the amendment's changes, its new lines and without the lines it removes. The
/// earlier versions stay as they were (`?version=N`). 409 for a draft (its lines are edited
/// directly) or a plan whose year ended; 422 without a reason, without lines, for a line that
/// is not in the plan, or for an amendment that changes nothing. Audited.
pub async fn amend<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &AmendmentInput,
) -> AppResult<PlanView> {
    let row = super::find_managed(db, user, id).await?;
    super::ensure_open(&row)?;
    if row.status == PlanStatus::Draft {
        return Err(AppError::Conflict(
            "El plan aún es un borrador: cambie sus líneas directamente. Las modificaciones son \
             para un plan aprobado."
                .into(),
        ));
    }
    let mut errors = Vec::new();
    lines::refuse_unknown("", &input.unknown, &["reason", "lines"], &mut errors);
    let reason = amendment_reason(input, &mut errors);
    let amended = input.lines.as_deref().unwrap_or_default();
    check_amended_count(amended, &mut errors);
    let current: Vec<LineRows> = super::load_lines(db, &[(row.id, row.version)])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let (changes, added) = amended_lines(db, &row, amended, &current, &mut errors).await?;
    if errors.is_empty() {
        check_totals(current.len(), &changes, &added, &mut errors);
    }
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let (number, at) = write_version(db, user, &row, &reason).await?;
    let (audit_before, audit_after) =
        write_lines(db, &row, &current, &changes, &added, number, at).await?;
    let row = plan::Entity::find_by_id(row.id).found(db).await?;
    audit_amendment(db, user, &row, number, &reason, audit_before, audit_after).await?;
    let scope = PlanScope::of(db, user).await?;
    super::view(db, &scope, &row, None).await
}

/// The amendment's reason, or its error in `errors`: it is required.
fn amendment_reason(input: &AmendmentInput, errors: &mut Vec<FieldError>) -> Option<String> {
    validate::required(
        "reason",
        validate::multi_line(
            "reason",
            input.reason.as_deref().unwrap_or_default(),
            validate::DESCRIPTION_MAX,
        ),
        "Escriba el motivo de la modificación: queda en la historia del plan.",
        errors,
    )
}

/// An amendment names at least one line and at most [`super::LINES_MAX`].
fn check_amended_count(amended: &[AmendedLineInput], errors: &mut Vec<FieldError>) {
    if amended.is_empty() {
        errors.push(FieldError::new(
            "lines",
            "Indique las líneas que la modificación cambia, agrega o quita.",
        ));
    } else if amended.len() > super::LINES_MAX {
        errors.push(FieldError::new(
            "lines",
            format!(
                "Una modificación cambia máximo {} líneas.",
                super::LINES_MAX
            ),
        ));
    }
}

/// What each current line becomes (`None`: removed), and the new lines; the amended lines'
/// errors in `errors`. Not read when there are too many lines.
async fn amended_lines<C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    amended: &[AmendedLineInput],
    current: &[LineRows],
    errors: &mut Vec<FieldError>,
) -> AppResult<(Vec<(i32, Option<Figures>)>, Vec<Figures>)> {
    let mut changes: Vec<(i32, Option<Figures>)> = Vec::new();
    let mut added: Vec<Figures> = Vec::new();
    let mut named = HashSet::new();
    if amended.len() > super::LINES_MAX {
        return Ok((changes, added));
    }
    for (i, item) in amended.iter().enumerate() {
        let prefix = format!("lines[{i}].");
        // An unknown key (a misspelt `line_id`) is refused by name, not read as a new line.
        if !item.unknown.is_empty() {
            lines::refuse_unknown(&prefix, &item.unknown, &AMENDED_LINE_KEYS, errors);
            continue;
        }
        let removed = item.removed == Some(true);
        match item.line_id {
            Some(line_id) => {
                let Some(line) = current.iter().find(|l| l.line.id == line_id) else {
                    errors.push(FieldError::new(
                        format!("{prefix}line_id"),
                        format!("La línea {line_id} no está en la versión vigente del plan."),
                    ));
                    continue;
                };
                if !named.insert(line_id) {
                    errors.push(FieldError::new(
                        format!("{prefix}line_id"),
                        format!("La línea {line_id} aparece dos veces en la modificación."),
                    ));
                    continue;
                }
                if removed {
                    changes.push((line_id, None));
                    continue;
                }
                let before = Figures::of(line);
                if let Some(after) =
                    lines::check(db, row, &item.line(), Some(&before), &prefix, errors).await?
                    && after != before
                {
                    changes.push((line_id, Some(after)));
                }
            }
            None if removed => errors.push(FieldError::new(
                format!("{prefix}removed"),
                "Para quitar una línea, indique cuál (line_id).",
            )),
            None => {
                if let Some(new) =
                    lines::check(db, row, &item.line(), None, &prefix, errors).await?
                {
                    added.push(new);
                }
            }
        }
    }
    Ok((changes, added))
}

/// The amendment changes something and leaves the plan between one and
/// [`super::LINES_MAX`] lines.
fn check_totals(
    current: usize,
    changes: &[(i32, Option<Figures>)],
    added: &[Figures],
    errors: &mut Vec<FieldError>,
) {
    let removed = changes.iter().filter(|(_, f)| f.is_none()).count();
    if changes.is_empty() && added.is_empty() {
        errors.push(FieldError::new(
            "lines",
            "La modificación no cambia ninguna cifra del plan.",
        ));
    } else if current - removed + added.len() == 0 {
        errors.push(FieldError::new(
            "lines",
            "Un plan aprobado conserva al menos una línea.",
        ));
    } else if current - removed + added.len() > super::LINES_MAX {
        errors.push(FieldError::new(
            "lines",
            format!("Un plan tiene máximo {} líneas.", super::LINES_MAX),
        ));
    }
}

/// Moves the plan to its new version and records the version with its reason; returns the
/// version's number and when. The plan moves only from the version this amendment was
/// checked against: two amendments sent at once write one version each, in turn, or the
/// second is refused.
async fn write_version<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    row: &plan::Model,
    reason: &str,
) -> AppResult<(i32, chrono::DateTime<chrono::Utc>)> {
    let number = row.version + 1;
    let at = crate::time::now();
    let moved = plan::Entity::update_many()
        .col_expr(
            plan::Column::Status,
            Expr::value(PlanStatus::Amended.as_str()),
        )
        .col_expr(plan::Column::Version, Expr::value(number))
        .col_expr(plan::Column::UpdatedAt, Expr::value(at))
        .filter(plan::Column::Id.eq(row.id))
        .filter(plan::Column::Version.eq(row.version))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::Conflict(
            "Otra modificación del plan se guardó mientras tanto: ábralo de nuevo y revise sus \
             cifras antes de modificarlo."
                .into(),
        ));
    }
    plan_version::Entity::insert(plan_version::ActiveModel {
        plan_id: Set(row.id),
        number: Set(number),
        reason: Set(Some(reason.to_owned())),
        created_by: Set(Some(user.id)),
        created_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok((number, at))
}

/// The new version's lines: every current line, changed or as it was (a removed one left
/// out), then the new ones. Returns the lines before and after, for the audit.
async fn write_lines<'a, C: ConnectionTrait>(
    db: &C,
    row: &plan::Model,
    current: &[LineRows],
    changes: &'a [(i32, Option<Figures>)],
    added: &'a [Figures],
    number: i32,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<(Vec<LineAudit<'a>>, Vec<LineAudit<'a>>)> {
    let mut audit_before = Vec::new();
    let mut audit_after = Vec::new();
    for line in current {
        let before = Figures::of(line);
        match changes.iter().find(|(id, _)| *id == line.line.id) {
            None => {
                lines::insert_version(db, &line.line, number, line.figures.since_version, &before)
                    .await?;
            }
            Some((_, None)) => {
                audit_before.push(LineAudit::owned(line.line.id, before));
                audit_after.push(LineAudit::Removed {
                    line_id: line.line.id,
                    removed: true,
                });
            }
            Some((_, Some(after))) => {
                lines::insert_version(db, &line.line, number, number, after).await?;
                audit_before.push(LineAudit::owned(line.line.id, before));
                audit_after.push(LineAudit::figures(line.line.id, after));
            }
        }
    }
    let mut position = lines::next_position(db, row.id).await?;
    for figures in added {
        let line = plan_line::ActiveModel {
            plan_id: Set(row.id),
            position: Set(position),
            added_in_version: Set(number),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        position += 1;
        lines::insert_version(db, &line, number, number, figures).await?;
        audit_after.push(LineAudit::figures(line.id, figures));
    }
    Ok((audit_before, audit_after))
}

/// Audits the amendment (`plan.amended`): the version and lines before, and after with its
/// reason.
async fn audit_amendment<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    row: &plan::Model,
    number: i32,
    reason: &str,
    audit_before: Vec<LineAudit<'_>>,
    audit_after: Vec<LineAudit<'_>>,
) -> AppResult<()> {
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "plan.amended",
            subject_type: "plan",
            subject_id: row.id.to_string(),
            before: serde_json::to_value(Amendment {
                version: number - 1,
                reason: None,
                lines: audit_before,
            })
            .ok(),
            after: serde_json::to_value(Amendment {
                version: number,
                reason: Some(reason),
                lines: audit_after,
            })
            .ok(),
        },
    )
    .await?;
    Ok(())
}
