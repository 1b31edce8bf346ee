//! Adding, reading, changing and removing a cohort's or an assistance's cost items (issue 47).
//!
//! Who: the staff who manage the cohort or assistance (an admin any; a coordinator its
//! provider's, within its direction's departments) write and read them; a reviewer reads
//! those of its department's cohorts and assistances; anyone else, or anything out of scope,
//! gets 404 as if it did not exist. Every write is audited and moves the planning version on
//! (a trigger), so the plan's «Avance» follows.
//!
//! What: a kind, a basis (fixed, per participant, per session for a cohort or per visit for an
//! assistance), an amount in whole pesos (more than zero, at most [`AMOUNT_MAX`]), a stage
//! (planned, committed, executed), the day it was incurred (today unless said) and, optionally,
//! the plan line it answers: a line of an approved (or amended) plan of the same provider for
//! the year the cohort or assistance starts in, whose capacity it develops (and, for a cohort,
//! whose course it is when the line names one). See [`answerable_lines`].

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{CostBasis, CostKind, CostStage, PlanStatus, Role};
use crate::entities::{
    assistance, assistance_capacity, capacity, cohort, cost_item, course_capacity, plan,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::plans::{AMOUNT_MAX, Whole, whole};
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The most a description holds.
const DESCRIPTION_MAX: usize = crate::validate::SHORT_TEXT_MAX;

/// What cost items belong to: a cohort or an assistance.
#[derive(Clone, Debug)]
pub enum Target {
    Cohort(cohort::Model),
    Assistance(assistance::Model),
}

impl Target {
    pub fn provider_id(&self) -> i32 {
        match self {
            Target::Cohort(c) => c.provider_id,
            Target::Assistance(a) => a.provider_id,
        }
    }

    /// The year (vigencia) it starts in: the plans its costs may answer.
    pub fn year(&self) -> i32 {
        match self {
            Target::Cohort(c) => c.start_date.year(),
            Target::Assistance(a) => a.starts_on.year(),
        }
    }

    /// «la cohorte» or «la asistencia», for messages.
    fn noun(&self) -> &'static str {
        match self {
            Target::Cohort(_) => "la cohorte",
            Target::Assistance(_) => "la asistencia",
        }
    }

    fn condition(&self) -> sea_orm::Condition {
        let c = sea_orm::Condition::all();
        match self {
            Target::Cohort(row) => c.add(cost_item::Column::CohortId.eq(row.id)),
            Target::Assistance(row) => c.add(cost_item::Column::AssistanceId.eq(row.id)),
        }
    }
}

/// The cohort whose costs `user` reads (see the module's «who»); 404 otherwise.
pub async fn cohort_read<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<Target> {
    match user.role {
        Role::Admin | Role::Coordinator | Role::Reviewer => {
            // A coordinator's `of` scope is what it manages; a reviewer's its department's.
            let scope = crate::cohorts::scope::CohortScope::of(Some(user));
            let row = crate::cohorts::find_in_scope(db, &scope, id).await?;
            Ok(Target::Cohort(row))
        }
        _ => Err(AppError::NotFound),
    }
}

/// The cohort whose costs `user` writes: staff who manage it; a reviewer 403; 404 otherwise.
pub async fn cohort_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<Target> {
    writer(user)?;
    Ok(Target::Cohort(
        crate::cohorts::find_managed(db, user, id).await?,
    ))
}

/// The assistance whose costs `user` reads; 404 otherwise.
pub async fn assistance_read<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<Target> {
    match user.role {
        Role::Admin | Role::Coordinator => assistance_managed(db, user, id).await,
        Role::Reviewer => Ok(Target::Assistance(
            crate::assistance::find_visible(db, user, id).await?,
        )),
        _ => Err(AppError::NotFound),
    }
}

/// The assistance whose costs `user` writes: staff who manage it; a reviewer 403; 404
/// otherwise.
pub async fn assistance_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<Target> {
    writer(user)?;
    Ok(Target::Assistance(
        crate::assistance::find_managed(db, user, id).await?,
    ))
}

/// Only staff write costs: a reviewer (who reads them) is refused with 403; the other roles
/// read none, so for them the cost does not exist.
fn writer(user: &Actor) -> AppResult<()> {
    match user.role {
        Role::Admin | Role::Coordinator => Ok(()),
        Role::Reviewer => Err(AppError::Forbidden),
        _ => Err(AppError::NotFound),
    }
}

/// A cost item and what it belongs to, if `user` reads it; 404 otherwise.
pub async fn find_read<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(cost_item::Model, Target)> {
    let item = find(db, id).await?;
    let target = match (item.cohort_id, item.assistance_id) {
        (Some(c), _) => cohort_read(db, user, c).await?,
        (None, Some(a)) => assistance_read(db, user, a).await?,
        (None, None) => return Err(AppError::NotFound),
    };
    Ok((item, target))
}

/// A cost item and what it belongs to, if `user` writes it (403 for a reviewer who reads it,
/// 404 otherwise).
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(cost_item::Model, Target)> {
    let (item, _) = find_read(db, user, id).await?;
    writer(user)?;
    let target = match (item.cohort_id, item.assistance_id) {
        (Some(c), _) => cohort_managed(db, user, c).await?,
        (None, Some(a)) => assistance_managed(db, user, a).await?,
        (None, None) => return Err(AppError::NotFound),
    };
    Ok((item, target))
}

async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<cost_item::Model> {
    cost_item::Entity::find_by_id(id).found(db).await
}

/// A cost item as the API receives it: `kind`, `basis`, `amount` and `stage` are required to
/// add one; any subset on PATCH (`plan_line_id: null` clears the line).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CostItemInput)]
pub struct CostInput {
    /// `instructores`, `sede`, `viajes`, `materiales`, `plataforma` or `otro`.
    #[schema(value_type = Option<CostKind>)]
    pub kind: Option<String>,
    /// `fijo`, `por_participante` or `por_sesion` (per session of a cohort, per visit of an
    /// assistance).
    #[schema(value_type = Option<CostBasis>)]
    pub basis: Option<String>,
    /// Whole pesos, more than zero, at most one billón (10^12): the whole item when fixed,
    /// else per participant or per session / visit.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000_000_i64, example = 2_400_000)]
    pub amount: Option<Whole>,
    /// `planeado`, `comprometido` or `ejecutado`.
    #[schema(value_type = Option<CostStage>)]
    pub stage: Option<String>,
    /// A line of an approved plan of the same provider and year that the cohort or assistance
    /// answers (same capacity; for a cohort, the line's course when it names one).
    #[serde(default, deserialize_with = "crate::parse::double_option")]
    #[schema(value_type = Option<i32>)]
    pub plan_line_id: Option<Option<i32>>,
    /// Extension: the day it was planned, committed or paid (`YYYY-MM-DD`); today if absent.
    #[schema(value_type = Option<String>, format = Date, example = "2026-06-15")]
    pub incurred_on: Option<String>,
    /// Extension: a short note (at most 200 characters); empty clears it.
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

/// A cost item as people and the API read it, with its value (amount × units).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CostItem)]
pub struct CostView {
    pub id: i32,
    pub cohort_id: Option<i32>,
    pub assistance_id: Option<i32>,
    pub provider_id: i32,
    pub kind: CostKind,
    /// Spanish name of the kind.
    pub kind_label: &'static str,
    pub basis: CostBasis,
    pub basis_label: &'static str,
    /// Whole pesos (per unit unless fixed).
    pub amount: i64,
    /// What the basis counts now: 1 when fixed, else the participants or sessions / visits.
    pub units: i64,
    /// amount × units, in whole pesos: what the plan's budget execution counts.
    pub value: i64,
    pub stage: CostStage,
    pub stage_label: &'static str,
    pub plan_line_id: Option<i32>,
    pub incurred_on: NaiveDate,
    pub description: Option<String>,
    /// The provider's own key of an imported row.
    pub reference: Option<String>,
}

/// The value of each stage, in whole pesos.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StageTotals {
    pub planeado: i64,
    pub comprometido: i64,
    pub ejecutado: i64,
    pub total: i64,
}

impl StageTotals {
    pub fn of(items: &[CostView]) -> Self {
        let mut out = StageTotals::default();
        for item in items {
            let slot = match item.stage {
                CostStage::Planeado => &mut out.planeado,
                CostStage::Comprometido => &mut out.comprometido,
                CostStage::Ejecutado => &mut out.ejecutado,
            };
            *slot = slot.saturating_add(item.value);
            out.total = out.total.saturating_add(item.value);
        }
        out
    }
}

/// The views of these items, their values computed by [`super::values`].
pub async fn views<C: ConnectionTrait>(
    db: &C,
    items: Vec<cost_item::Model>,
) -> AppResult<Vec<CostView>> {
    let values = super::values(db, &items).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let value = values.get(&i.id).copied().unwrap_or(0);
            CostView {
                id: i.id,
                cohort_id: i.cohort_id,
                assistance_id: i.assistance_id,
                provider_id: i.provider_id,
                kind: i.kind,
                kind_label: i.kind.label(),
                basis: i.basis,
                basis_label: i.basis.label(),
                amount: i.amount,
                units: if i.amount > 0 { value / i.amount } else { 0 },
                value,
                stage: i.stage,
                stage_label: i.stage.label(),
                plan_line_id: i.plan_line_id,
                incurred_on: i.incurred_on,
                description: i.description,
                reference: i.reference,
            }
        })
        .collect())
}

/// The cost items of `target`, newest day first, with their values.
pub async fn list<C: ConnectionTrait>(db: &C, target: &Target) -> AppResult<Vec<CostView>> {
    let items = cost_item::Entity::find()
        .filter(target.condition())
        .order_by_desc(cost_item::Column::IncurredOn)
        .order_by_desc(cost_item::Column::Id)
        .all(db)
        .await?;
    views(db, items).await
}

/// A plan line a cost of a cohort or assistance may answer, named for people.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LineChoice {
    pub id: i32,
    /// «Plan 2026 Meta · línea 2: Planeación territorial».
    pub label: String,
}

/// The plan lines `target`'s costs may answer: the lines, in their plan's current version, of
/// the approved (or amended) plans of its provider for the year it starts in, whose capacity
/// it develops and — for a cohort, when the line names a course — whose course it is.
pub async fn answerable_lines<C: ConnectionTrait>(
    db: &C,
    target: &Target,
) -> AppResult<Vec<LineChoice>> {
    let plans = plan::Entity::find()
        .filter(plan::Column::ProviderId.eq(target.provider_id()))
        .filter(plan::Column::Year.eq(target.year()))
        .filter(plan::Column::Status.is_in([PlanStatus::Approved, PlanStatus::Amended]))
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await?;
    if plans.is_empty() {
        return Ok(Vec::new());
    }
    let capacities: HashSet<i32> = match target {
        Target::Cohort(c) => {
            course_capacity::Entity::find()
                .filter(course_capacity::Column::CourseId.eq(c.course_id))
                .all_mapped(db, |r| r.capacity_id)
                .await?
        }
        Target::Assistance(a) => {
            assistance_capacity::Entity::find()
                .filter(assistance_capacity::Column::AssistanceId.eq(a.id))
                .all_mapped(db, |r| r.capacity_id)
                .await?
        }
    };
    let course = match target {
        Target::Cohort(c) => Some(c.course_id),
        Target::Assistance(_) => None,
    };
    let wanted: Vec<(i32, i32)> = plans.iter().map(|p| (p.id, p.version)).collect();
    let mut lines = crate::plans::load_lines(db, &wanted).await?;
    let names: HashMap<i32, String> = capacity::Entity::find()
        .filter(capacity::Column::Id.is_in(capacities.iter().copied()))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let mut out = Vec::new();
    for p in &plans {
        for line in lines.remove(&p.id).unwrap_or_default() {
            let f = &line.figures;
            let course_fits = match (course, f.course_id) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => true,
            };
            if capacities.contains(&f.capacity_id) && course_fits {
                out.push(LineChoice {
                    id: line.line.id,
                    label: format!(
                        "{} · línea {}: {}",
                        p.name,
                        line.line.position,
                        names.get(&f.capacity_id).cloned().unwrap_or_default()
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// The checked fields of an input over an item's current values (none when adding).
pub(super) struct Checked {
    pub kind: CostKind,
    pub basis: CostBasis,
    pub amount: i64,
    pub stage: CostStage,
    pub plan_line_id: Option<i32>,
    pub incurred_on: NaiveDate,
    pub description: Option<String>,
}

impl Checked {
    /// Writes the checked values on a cost's row (a correction or a re-import).
    pub(super) fn set_on(self, model: &mut cost_item::ActiveModel) {
        model.kind = Set(self.kind);
        model.basis = Set(self.basis);
        model.amount = Set(self.amount);
        model.stage = Set(self.stage);
        model.plan_line_id = Set(self.plan_line_id);
        model.incurred_on = Set(self.incurred_on);
        model.description = Set(self.description);
    }
}

/// Reads one of `options` from `text` (required when `current` is none); pushes a Spanish
/// message naming the accepted values otherwise.
fn choice<T: Copy>(
    field: &str,
    text: Option<&str>,
    current: Option<T>,
    parse: fn(&str) -> Option<T>,
    missing: &str,
    accepted: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match text.map(str::trim) {
        None if current.is_some() => current,
        None | Some("") => {
            errors.push(FieldError::new(field, missing));
            None
        }
        Some(t) => {
            let parsed = parse(t);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    field,
                    format!("«{t}» no se reconoce: {accepted}."),
                ));
            }
            parsed
        }
    }
}

/// Checks `input` over `current` (when changing): every problem at once, 422. `lines`: the
/// lines `target` may answer when already known (an import checks many rows of one target).
pub(super) async fn check<C: ConnectionTrait>(
    db: &C,
    target: &Target,
    input: &CostInput,
    current: Option<&cost_item::Model>,
    today: NaiveDate,
    lines: Option<&[LineChoice]>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let kind = choice(
        "kind",
        input.kind.as_deref(),
        current.map(|c| c.kind),
        CostKind::parse,
        "Indique el tipo de costo.",
        "el tipo es instructores, sede, viajes, materiales, plataforma u otro",
        &mut errors,
    );
    let basis = choice(
        "basis",
        input.basis.as_deref(),
        current.map(|c| c.basis),
        CostBasis::parse,
        "Indique cómo se cuenta el costo (valor fijo, por participante o por sesión).",
        "la base es fijo, por_participante o por_sesion",
        &mut errors,
    );
    let stage = choice(
        "stage",
        input.stage.as_deref(),
        current.map(|c| c.stage),
        CostStage::parse,
        "Indique la etapa del costo (planeado, comprometido o ejecutado).",
        "la etapa es planeado, comprometido o ejecutado",
        &mut errors,
    );
    let amount = match (&input.amount, current) {
        (None, Some(c)) => Some(c.amount),
        (None, None) => {
            errors.push(FieldError::new("amount", "Escriba el valor en pesos."));
            None
        }
        (Some(value), _) => whole(
            "amount",
            "El valor",
            Some(value),
            (1, AMOUNT_MAX),
            &mut errors,
        ),
    };
    let incurred_on = match input.incurred_on.as_deref().map(str::trim) {
        None | Some("") => Some(current.map_or(today, |c| c.incurred_on)),
        Some(text) => crate::parse::date("incurred_on", Some(text), true, &mut errors),
    };
    let description = match &input.description {
        None => current.and_then(|c| c.description.clone()),
        Some(text) => {
            crate::validate::line("description", Some(text), DESCRIPTION_MAX, &mut errors)
        }
    };
    let plan_line_id = match input.plan_line_id {
        None => current.and_then(|c| c.plan_line_id),
        Some(None) => None,
        Some(Some(line)) => {
            let found = match lines {
                Some(lines) => lines.iter().any(|l| l.id == line),
                None => answerable_lines(db, target)
                    .await?
                    .iter()
                    .any(|l| l.id == line),
            };
            if !found {
                errors.push(FieldError::new(
                    "plan_line_id",
                    format!(
                        "La línea {line} no es de un plan aprobado de la misma entidad para {} \
                         que {} pueda atender (la misma capacidad y, si la línea nombra un curso, \
                         ese curso).",
                        target.year(),
                        target.noun()
                    ),
                ));
            }
            Some(line)
        }
    };
    match (kind, basis, amount, stage, incurred_on) {
        (Some(kind), Some(basis), Some(amount), Some(stage), Some(incurred_on))
            if errors.is_empty() =>
        {
            Ok(Checked {
                kind,
                basis,
                amount,
                stage,
                plan_line_id,
                incurred_on,
                description,
            })
        }
        _ => Err(AppError::Validation(errors)),
    }
}

fn audit_change(
    actor: i32,
    action: &'static str,
    id: i32,
    before: Option<&CostView>,
    after: Option<&CostView>,
) -> Change<'static> {
    Change {
        actor: Some(actor),
        action,
        subject_type: "cost_item",
        subject_id: id.to_string(),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: after.and_then(|a| serde_json::to_value(a).ok()),
    }
}

async fn view_of<C: ConnectionTrait>(db: &C, item: cost_item::Model) -> AppResult<CostView> {
    views(db, vec![item])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("costo sin vista".into()))
}

/// Adds a cost item to `target` (which the caller manages). Bad input: 422, every field's
/// problem at once, nothing written. Audited.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    target: &Target,
    input: &CostInput,
) -> AppResult<CostView> {
    let checked = check(db, target, input, None, crate::time::today(), None).await?;
    let (cohort_id, assistance_id) = match target {
        Target::Cohort(c) => (Some(c.id), None),
        Target::Assistance(a) => (None, Some(a.id)),
    };
    let saved = cost_item::ActiveModel {
        provider_id: Set(target.provider_id()),
        cohort_id: Set(cohort_id),
        assistance_id: Set(assistance_id),
        plan_line_id: Set(checked.plan_line_id),
        kind: Set(checked.kind),
        basis: Set(checked.basis),
        amount: Set(checked.amount),
        stage: Set(checked.stage),
        incurred_on: Set(checked.incurred_on),
        description: Set(checked.description),
        reference: Set(None),
        created_by: Set(Some(actor)),
        created_at: Set(crate::time::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = view_of(db, saved).await?;
    audit::record(
        db,
        audit_change(actor, "cost.created", view.id, None, Some(&view)),
    )
    .await?;
    Ok(view)
}

/// Changes a cost item (its stage, amount, kind, basis, day, line or note): the fields sent,
/// checked as when adding. Audited.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    target: &Target,
    item: cost_item::Model,
    input: &CostInput,
) -> AppResult<CostView> {
    let checked = check(db, target, input, Some(&item), crate::time::today(), None).await?;
    let before = view_of(db, item.clone()).await?;
    let mut model: cost_item::ActiveModel = item.into();
    checked.set_on(&mut model);
    let view = view_of(db, model.update(db).await?).await?;
    audit::record(
        db,
        audit_change(actor, "cost.updated", view.id, Some(&before), Some(&view)),
    )
    .await?;
    Ok(view)
}

/// Removes a cost item. Audited (the item as it was).
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    item: cost_item::Model,
) -> AppResult<()> {
    let id = item.id;
    let before = view_of(db, item).await?;
    cost_item::Entity::delete_by_id(id).exec(db).await?;
    audit::record(
        db,
        audit_change(actor, "cost.deleted", id, Some(&before), None),
    )
    .await?;
    Ok(())
}
