//! An assistance agreed with the entity (issue 49, item 1): it starts from a diagnosis (what
//! was found, with its evidence) and a work plan (activities with their due dates, and the
//! products expected) that the entity accepts — its contact through the link emailed when the
//! plan version is written, or the municipality's liaison signed in — recorded with who, their
//! position, how and when. A plan changed after it was accepted is a new version that needs a
//! new acceptance; changes before it are made to the version waiting. An assistance moves to
//! in progress only once the plan's current version is accepted (409 otherwise).

use super::{find_managed, find_visible};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{AcceptanceVia, Role};
use crate::entities::{
    assistance, assistance_diagnosis, assistance_work_plan, user, work_plan_activity,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::validate;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// At most this many activities or products expected in a plan.
const PLAN_ITEMS_MAX: usize = 100;

/// What was found, with its evidence.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DiagnosisInput {
    /// What was found. Required.
    #[schema(max_length = 4000)]
    pub findings: Option<String>,
    /// Its evidence: a link, or text naming the documents reviewed.
    #[schema(max_length = 4000)]
    pub evidence: Option<String>,
}

/// An assistance's diagnosis, with who recorded it and when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AssistanceDiagnosis)]
pub struct DiagnosisView {
    pub findings: String,
    pub evidence: Option<String>,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// An activity of the work plan.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = WorkPlanActivityInput)]
pub struct ActivityInput {
    #[schema(max_length = 500)]
    pub text: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<String>,
}

/// A work plan as written: its activities (at least one) and the products expected (at least
/// one).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct WorkPlanInput {
    #[schema(max_items = 100)]
    pub activities: Option<Vec<ActivityInput>>,
    #[schema(max_items = 100)]
    pub products_expected: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = WorkPlanActivity)]
pub struct ActivityView {
    pub text: String,
    pub due_on: NaiveDate,
}

/// Who accepted a plan version for the entity, how and when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WorkPlanAcceptance)]
pub struct AcceptanceView {
    /// Absent for the assistances agreed before the rule.
    pub accepted_by: Option<String>,
    pub position: Option<String>,
    pub via: AcceptanceVia,
    pub via_label: &'static str,
    pub accepted_at: DateTime<Utc>,
}

/// The current version of an assistance's work plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WorkPlan)]
pub struct WorkPlanView {
    pub version: i32,
    pub activities: Vec<ActivityView>,
    pub products_expected: Vec<String>,
    pub written_by: Option<String>,
    pub written_at: DateTime<Utc>,
    /// Absent while the version waits for the entity's acceptance.
    pub acceptance: Option<AcceptanceView>,
}

/// The acceptance the entity gives: who and their position.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AcceptanceInput {
    #[schema(max_length = 160)]
    pub accepted_by: Option<String>,
    #[schema(max_length = 160)]
    pub position: Option<String>,
}

/// Who accepts a work plan for the entity.
#[derive(Clone, Copy)]
pub enum Acceptor<'a> {
    /// Whoever holds the link emailed to the entity's contact.
    Link(&'a str),
    /// The municipality's liaison, signed in, for assistance `id`.
    Liaison(&'a Actor, i32),
}

fn text_of(
    field: &str,
    value: Option<&str>,
    max: usize,
    multi: bool,
    missing: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.unwrap_or("");
    let checked = if multi {
        validate::multi_line(field, value, max)
    } else {
        validate::single_line(field, value, max)
    };
    match checked {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            if let Some(missing) = missing {
                errors.push(FieldError::new(field, missing));
            }
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn open(row: &assistance::Model, what: &str) -> AppResult<()> {
    if row.status.is_final() {
        return Err(AppError::Conflict(format!(
            "La asistencia está {}: ya no se {what}.",
            row.status.label().to_lowercase()
        )));
    }
    Ok(())
}

async fn names<C: ConnectionTrait>(
    db: &C,
    ids: impl Iterator<Item = i32>,
) -> AppResult<HashMap<i32, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect())
}

/// Records (or replaces) the diagnosis of an assistance the caller manages: its findings are
/// required; closed or cancelled → 409. Audited with the one it replaces.
pub async fn record_diagnosis<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    input: &DiagnosisInput,
) -> AppResult<DiagnosisView> {
    let row = find_managed(db, user, id).await?;
    open(&row, "registra el diagnóstico")?;
    let mut errors = Vec::new();
    let findings = text_of(
        "findings",
        input.findings.as_deref(),
        validate::DESCRIPTION_MAX,
        true,
        Some("Escriba lo que encontró el diagnóstico."),
        &mut errors,
    );
    let evidence = text_of(
        "evidence",
        input.evidence.as_deref(),
        validate::DESCRIPTION_MAX,
        true,
        None,
        &mut errors,
    );
    let Some(findings) = findings.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let before = assistance_diagnosis::Entity::find()
        .filter(assistance_diagnosis::Column::AssistanceId.eq(id))
        .one(db)
        .await?;
    let at = crate::time::now();
    let saved = match before.clone() {
        Some(old) => {
            let mut model: assistance_diagnosis::ActiveModel = old.into();
            model.findings = Set(findings);
            model.evidence = Set(evidence);
            model.recorded_by = Set(Some(user.id));
            model.recorded_at = Set(at);
            model.update(db).await?
        }
        None => {
            assistance_diagnosis::ActiveModel {
                assistance_id: Set(id),
                findings: Set(findings),
                evidence: Set(evidence),
                recorded_by: Set(Some(user.id)),
                recorded_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.diagnosis_recorded",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: before.map(|b| json!({"findings": b.findings, "evidence": b.evidence})),
            after: Some(json!({"findings": saved.findings, "evidence": saved.evidence})),
        },
    )
    .await?;
    Ok(DiagnosisView {
        findings: saved.findings,
        evidence: saved.evidence,
        recorded_by: Some(user.full_name.clone()),
        recorded_at: saved.recorded_at,
    })
}

/// The plan's checked content: activities in order, products expected.
type Content = (Vec<ActivityView>, Vec<String>);

/// Every problem of a plan at once: at least one activity, each with its text and a due date
/// within the assistance's span; at least one product expected.
fn checked_plan(row: &assistance::Model, input: &WorkPlanInput) -> AppResult<Content> {
    let mut errors = Vec::new();
    let activities_sent = input.activities.as_deref().unwrap_or_default();
    let products_sent = input.products_expected.as_deref().unwrap_or_default();
    if activities_sent.is_empty() {
        errors.push(FieldError::new(
            "activities",
            "Escriba al menos una actividad del plan de trabajo, con su fecha.",
        ));
    }
    if activities_sent.len() > PLAN_ITEMS_MAX || products_sent.len() > PLAN_ITEMS_MAX {
        errors.push(FieldError::new(
            "activities",
            format!("Un plan de trabajo tiene a lo sumo {PLAN_ITEMS_MAX} actividades y {PLAN_ITEMS_MAX} productos."),
        ));
    }
    let mut activities = Vec::new();
    for (n, a) in activities_sent.iter().take(PLAN_ITEMS_MAX).enumerate() {
        let field = format!("activities[{n}]");
        let text = text_of(
            &field,
            a.text.as_deref(),
            validate::REASON_MAX,
            false,
            Some("Escriba la actividad."),
            &mut errors,
        );
        let due = crate::parse::date(&field, a.due_on.as_deref(), true, &mut errors);
        if let Some(d) = due
            && (d < row.starts_on || d > row.ends_on)
        {
            errors.push(FieldError::new(
                &field,
                format!(
                    "La actividad vence fuera del periodo de la asistencia (del {} al {}).",
                    crate::format::date(row.starts_on),
                    crate::format::date(row.ends_on)
                ),
            ));
        }
        if let (Some(text), Some(due_on)) = (text, due) {
            activities.push(ActivityView { text, due_on });
        }
    }
    let mut products = Vec::new();
    for (n, p) in products_sent.iter().take(PLAN_ITEMS_MAX).enumerate() {
        if let Some(p) = text_of(
            &format!("products_expected[{n}]"),
            Some(p),
            validate::TITLE_MAX,
            false,
            Some("Escriba el producto esperado."),
            &mut errors,
        ) {
            products.push(p);
        }
    }
    if products_sent.is_empty() {
        errors.push(FieldError::new(
            "products_expected",
            "Escriba al menos un producto esperado: lo que la entidad tendrá al terminar.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((activities, products))
}

/// The latest version of an assistance's plan, if it has one.
async fn latest<C: ConnectionTrait>(
    db: &C,
    assistance_id: i32,
) -> AppResult<Option<assistance_work_plan::Model>> {
    Ok(assistance_work_plan::Entity::find()
        .filter(assistance_work_plan::Column::AssistanceId.eq(assistance_id))
        .order_by_desc(assistance_work_plan::Column::Version)
        .one(db)
        .await?)
}

async fn activities_of<C: ConnectionTrait>(
    db: &C,
    plan_ids: Vec<i32>,
) -> AppResult<HashMap<i32, Vec<ActivityView>>> {
    let mut out: HashMap<i32, Vec<ActivityView>> = HashMap::new();
    for a in work_plan_activity::Entity::find()
        .filter(work_plan_activity::Column::WorkPlanId.is_in(plan_ids))
        .order_by_asc(work_plan_activity::Column::Position)
        .all(db)
        .await?
    {
        out.entry(a.work_plan_id).or_default().push(ActivityView {
            text: a.text,
            due_on: a.due_on,
        });
    }
    Ok(out)
}

fn products_of(row: &assistance_work_plan::Model) -> Vec<String> {
    serde_json::from_str(&row.products_expected).unwrap_or_default()
}

async fn replace_activities<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    activities: &[ActivityView],
) -> AppResult<()> {
    work_plan_activity::Entity::delete_many()
        .filter(work_plan_activity::Column::WorkPlanId.eq(plan_id))
        .exec(db)
        .await?;
    for (position, a) in activities.iter().enumerate() {
        work_plan_activity::ActiveModel {
            work_plan_id: Set(plan_id),
            position: Set(position as i32),
            text: Set(a.text.clone()),
            due_on: Set(a.due_on),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// «Acepte el plan de trabajo»: the link to accept a plan version, to the entity's contact.
#[derive(Serialize)]
struct AcceptanceRequest<'a> {
    entity: &'static str,
    municipality: &'a str,
    provider: &'a str,
    objective: &'a str,
    version: i32,
    token: &'a str,
}

impl crate::mail::Message for AcceptanceRequest<'_> {
    const TEMPLATE: &'static str = "work_plan_acceptance";
    fn subject(&self) -> String {
        format!("Revise y acepte el plan de trabajo de {}", self.provider)
    }
}

/// Writes the work plan of an assistance the caller manages, every problem at once (422);
/// closed or cancelled → 409. The first plan is version 1; a change to a version not yet
/// accepted is made to it; a change to an accepted version makes the next version, waiting for
/// its own acceptance; the same content again changes nothing. A new version is emailed to the
/// entity's contact (if it has one) with the link to accept it. Audited.
pub async fn write_plan<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &WorkPlanInput,
) -> AppResult<WorkPlanView> {
    let row = find_managed(db, user, id).await?;
    open(&row, "cambia el plan de trabajo")?;
    let (activities, products) = checked_plan(&row, input)?;
    let current = latest(db, id).await?;
    if let Some(current) = &current {
        let same_activities = activities_of(db, vec![current.id])
            .await?
            .remove(&current.id)
            .unwrap_or_default()
            == activities;
        if same_activities && products_of(current) == products {
            return current_plan(db, id).await?.ok_or(AppError::NotFound);
        }
    }
    let at = crate::time::now();
    let products_json = serde_json::to_string(&products)
        .map_err(|e| AppError::Internal(format!("productos del plan: {e}")))?;
    let before_version = current.as_ref().map(|c| c.version);
    let (saved, token) = match current {
        Some(waiting) if waiting.accepted_at.is_none() => {
            let mut model: assistance_work_plan::ActiveModel = waiting.into();
            model.products_expected = Set(products_json);
            model.written_by = Set(Some(user.id));
            model.written_at = Set(at);
            (model.update(db).await?, None)
        }
        accepted => {
            let token = row
                .contact_email
                .as_ref()
                .map(|_| crate::accounts::secrets::random_token());
            let saved = assistance_work_plan::ActiveModel {
                assistance_id: Set(id),
                version: Set(accepted.map_or(1, |a| a.version + 1)),
                products_expected: Set(products_json),
                written_by: Set(Some(user.id)),
                written_at: Set(at),
                acceptance_token_hash: Set(token
                    .as_deref()
                    .map(crate::accounts::secrets::token_hash)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            (saved, token)
        }
    };
    replace_activities(db, saved.id, &activities).await?;
    if let (Some(token), Some(contact)) = (&token, &row.contact_email) {
        let view = super::view(db, id).await?;
        let message = AcceptanceRequest {
            entity: view.entity_label,
            municipality: &view.place_name,
            provider: &view.provider.name,
            objective: &view.objective,
            version: saved.version,
            token,
        };
        let email = crate::mail::Email::of(contact.clone(), &message)?
            .once(format!("work_plan_acceptance:{}", saved.id));
        crate::mail::enqueue(db, notifier, email).await?;
    }
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.work_plan_written",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: before_version.map(|v| json!({"version": v})),
            after: Some(json!({
                "version": saved.version,
                "activities": activities,
                "products_expected": products,
            })),
        },
    )
    .await?;
    current_plan(db, id).await?.ok_or(AppError::NotFound)
}

/// The plan version a link points to, and its assistance (404 for a link that is not one).
async fn by_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<(assistance_work_plan::Model, assistance::Model)> {
    let plan = assistance_work_plan::Entity::find()
        .filter(
            assistance_work_plan::Column::AcceptanceTokenHash
                .eq(crate::accounts::secrets::token_hash(token)),
        )
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = assistance::Entity::find_by_id(plan.assistance_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((plan, row))
}

/// Records the entity's acceptance of the current plan version: through the emailed link (a
/// link of an earlier version → 409) or by the municipality's liaison (another role → 403;
/// another municipality's assistance → 404). Who accepts and their position are required
/// (422); a version already accepted, an assistance without a plan, closed or cancelled → 409.
/// Audited.
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    who: Acceptor<'_>,
    input: &AcceptanceInput,
) -> AppResult<WorkPlanView> {
    let (plan, row) = match who {
        Acceptor::Link(token) => {
            let (plan, row) = by_token(db, token).await?;
            let current = latest(db, row.id).await?.ok_or(AppError::NotFound)?;
            if current.id != plan.id {
                return Err(AppError::Conflict(
                    "Este enlace es de una versión anterior del plan de trabajo: la entidad \
                     recibió el enlace de la versión vigente."
                        .into(),
                ));
            }
            (plan, row)
        }
        Acceptor::Liaison(user, id) => {
            if user.role != Role::Liaison {
                return Err(AppError::Forbidden);
            }
            let row = find_visible(db, user, id).await?;
            let plan = latest(db, id).await?.ok_or_else(|| {
                AppError::Conflict(
                    "La asistencia aún no tiene plan de trabajo para aceptar.".into(),
                )
            })?;
            (plan, row)
        }
    };
    open(&row, "acepta el plan de trabajo")?;
    if plan.accepted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "La versión {} del plan de trabajo ya fue aceptada.",
            plan.version
        )));
    }
    let mut errors = Vec::new();
    let accepted_by = text_of(
        "accepted_by",
        input.accepted_by.as_deref(),
        validate::FULL_NAME_MAX,
        false,
        Some("Escriba el nombre de quien acepta el plan por la entidad."),
        &mut errors,
    );
    let position = text_of(
        "position",
        input.position.as_deref(),
        validate::TITLE_MAX,
        false,
        Some("Escriba el cargo de quien acepta el plan."),
        &mut errors,
    );
    let (Some(accepted_by), Some(position), true) = (accepted_by, position, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let (via, actor) = match who {
        Acceptor::Link(_) => (AcceptanceVia::Link, None),
        Acceptor::Liaison(user, _) => (AcceptanceVia::Liaison, Some(user.id)),
    };
    let version = plan.version;
    let mut model: assistance_work_plan::ActiveModel = plan.into();
    model.accepted_by = Set(Some(accepted_by.clone()));
    model.accepted_position = Set(Some(position.clone()));
    model.accepted_via = Set(Some(via));
    model.accepted_user_id = Set(actor);
    model.accepted_at = Set(Some(crate::time::now()));
    model.update(db).await?;
    audit::record(
        db,
        Change {
            actor,
            action: "assistance.work_plan_accepted",
            subject_type: "assistance",
            subject_id: row.id.to_string(),
            before: None,
            after: Some(json!({
                "version": version,
                "accepted_by": accepted_by,
                "position": position,
                "via": via,
            })),
        },
    )
    .await?;
    current_plan(db, row.id).await?.ok_or(AppError::NotFound)
}

/// 409 unless the current version of the assistance's work plan is accepted: the rule before
/// it is in progress.
pub async fn ensure_agreed<C: ConnectionTrait>(db: &C, assistance_id: i32) -> AppResult<()> {
    match latest(db, assistance_id).await? {
        Some(plan) if plan.accepted_at.is_some() => Ok(()),
        Some(plan) => Err(AppError::Conflict(format!(
            "La asistencia no puede iniciar: la entidad aún no acepta la versión {} del plan \
             de trabajo.",
            plan.version
        ))),
        None => Err(AppError::Conflict(
            "La asistencia no puede iniciar sin un plan de trabajo aceptado por la entidad: \
             registre el diagnóstico y el plan, y pida su aceptación."
                .into(),
        )),
    }
}

/// Whether the current version of the assistance's plan is accepted.
pub async fn agreed<C: ConnectionTrait>(db: &C, assistance_id: i32) -> AppResult<bool> {
    Ok(latest(db, assistance_id)
        .await?
        .is_some_and(|p| p.accepted_at.is_some()))
}

/// The diagnoses and current plans of these assistances.
pub async fn of_assistances<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<(HashMap<i32, DiagnosisView>, HashMap<i32, WorkPlanView>)> {
    let diagnoses = assistance_diagnosis::Entity::find()
        .filter(assistance_diagnosis::Column::AssistanceId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut plans: HashMap<i32, assistance_work_plan::Model> = HashMap::new();
    for p in assistance_work_plan::Entity::find()
        .filter(assistance_work_plan::Column::AssistanceId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        match plans.get(&p.assistance_id) {
            Some(kept) if kept.version >= p.version => {}
            _ => {
                plans.insert(p.assistance_id, p);
            }
        }
    }
    let people = names(
        db,
        diagnoses
            .iter()
            .filter_map(|d| d.recorded_by)
            .chain(plans.values().filter_map(|p| p.written_by)),
    )
    .await?;
    let mut activities = activities_of(db, plans.values().map(|p| p.id).collect()).await?;
    let diagnoses = diagnoses
        .into_iter()
        .map(|d| {
            (
                d.assistance_id,
                DiagnosisView {
                    recorded_by: d.recorded_by.and_then(|u| people.get(&u).cloned()),
                    findings: d.findings,
                    evidence: d.evidence,
                    recorded_at: d.recorded_at,
                },
            )
        })
        .collect();
    let plans = plans
        .into_values()
        .map(|p| {
            let view = WorkPlanView {
                version: p.version,
                activities: activities.remove(&p.id).unwrap_or_default(),
                products_expected: products_of(&p),
                written_by: p.written_by.and_then(|u| people.get(&u).cloned()),
                written_at: p.written_at,
                acceptance: match (p.accepted_via, p.accepted_at) {
                    (Some(via), Some(at)) => Some(AcceptanceView {
                        accepted_by: p.accepted_by,
                        position: p.accepted_position,
                        via,
                        via_label: via.label(),
                        accepted_at: at,
                    }),
                    _ => None,
                },
            };
            (p.assistance_id, view)
        })
        .collect();
    Ok((diagnoses, plans))
}

/// The current plan of an assistance, if it has one.
pub async fn current_plan<C: ConnectionTrait>(
    db: &C,
    assistance_id: i32,
) -> AppResult<Option<WorkPlanView>> {
    Ok(of_assistances(db, &[assistance_id])
        .await?
        .1
        .remove(&assistance_id))
}

/// What the entity's contact sees from the link: the assistance (with its diagnosis and
/// plan), and whether the link's version is the current one still waiting.
pub async fn by_acceptance_link<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<(super::AssistanceView, bool)> {
    let (plan, row) = by_token(db, token).await?;
    let current = latest(db, row.id).await?.ok_or(AppError::NotFound)?;
    let waiting = current.id == plan.id && plan.accepted_at.is_none() && !row.status.is_final();
    Ok((super::view(db, row.id).await?, waiting))
}
