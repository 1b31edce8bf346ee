//! An assistance agreed with the entity (issue 49, item 1): it starts from a diagnosis (what
//! was found, with its evidence) and a work plan (activities with their due dates, and the
//! products expected) that the entity accepts — the municipality's liaison or the department's
//! reviewer signed in, or the entity's contact through an emailed link — recorded with who,
//! their position, how and when. An assistance moves to in progress only once the plan's
//! current version is accepted (409 otherwise).
//!
//! Issue 62, item 3: the acceptance is the entity's for real.
//! - The link goes only to a contact address that someone of the territory (the
//!   municipality's liaison, the department's reviewer) confirmed ([`confirm_contact`]); an
//!   address the provider alone typed receives nothing. Changing the contact (or the place)
//!   clears its confirmation and voids the links pending (410 on use).
//! - A version is never rewritten: any change to the plan is a new version, and the links of
//!   the version waiting are voided (410). The acceptance names the `version` and the
//!   `content_hash` of the text shown ([`content_hash`]); a stale one → 409.

use super::{find_managed, find_visible};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{AcceptanceVia, LinkVoidReason, Role};
use crate::entities::{
    assistance, assistance_diagnosis, assistance_work_plan, work_plan_acceptance_link,
    work_plan_activity,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
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
    /// The SHA-256 (hex) of this version's text: the acceptance names it (issue 62).
    pub content_hash: String,
}

/// The acceptance the entity gives: who, their position, and the version and the
/// `content_hash` of the text they read (all four required).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AcceptanceInput {
    #[schema(max_length = 160)]
    pub accepted_by: Option<String>,
    #[schema(max_length = 160)]
    pub position: Option<String>,
    /// The version read (issue 62); another than the current → 409.
    pub version: Option<i32>,
    /// The `content_hash` of the version read (issue 62); another → 409.
    #[schema(max_length = 64)]
    pub content_hash: Option<String>,
}

/// Who accepts a work plan for the entity.
#[derive(Clone, Copy)]
pub enum Acceptor<'a> {
    /// Whoever holds the link emailed to the entity's confirmed contact.
    Link(&'a str),
    /// The municipality's liaison or the department's reviewer, signed in, for assistance `id`.
    Territory(&'a Actor, i32),
}

/// A plan version's text as its hash reads it.
#[derive(Serialize)]
struct PlanText<'a> {
    assistance_id: i32,
    version: i32,
    activities: &'a [ActivityView],
    products_expected: &'a [String],
}

/// The hash of a plan version's text — its assistance, number, activities (text and due date,
/// in order) and products expected — as the acceptance names it.
pub fn content_hash(
    assistance_id: i32,
    version: i32,
    activities: &[ActivityView],
    products: &[String],
) -> String {
    // Through a `Value`, whose keys are sorted: the text hashed stays what it always was.
    let text = serde_json::to_value(PlanText {
        assistance_id,
        version,
        activities,
        products_expected: products,
    })
    .map(|value| value.to_string())
    .unwrap_or_default();
    crate::accounts::secrets::token_hash(&text)
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
    match missing {
        Some(missing) => validate::required(field, checked, missing, errors),
        None => validate::collect(checked, errors),
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

/// A diagnosis as its audit rows store it (`assistance.diagnosis_recorded`).
#[derive(Serialize)]
struct Diagnosis<'a> {
    findings: &'a str,
    evidence: Option<&'a str>,
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
            before: before.and_then(|b| {
                serde_json::to_value(Diagnosis {
                    findings: &b.findings,
                    evidence: b.evidence.as_deref(),
                })
                .ok()
            }),
            after: serde_json::to_value(Diagnosis {
                findings: &saved.findings,
                evidence: saved.evidence.as_deref(),
            })
            .ok(),
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

/// Whether the assistance's contact address is one someone of the territory confirmed: the
/// address confirmed is still the contact (issue 62).
pub fn contact_confirmed(row: &assistance::Model) -> bool {
    match (&row.contact_email, &row.contact_confirmed_email) {
        (Some(contact), Some(confirmed)) => {
            row.contact_confirmed_by.is_some() && contact.eq_ignore_ascii_case(confirmed)
        }
        _ => false,
    }
}

/// Voids, for `reason`, the links still pending of the assistance's versions not accepted.
pub(crate) async fn void_links<C: ConnectionTrait>(
    db: &C,
    assistance_id: i32,
    reason: LinkVoidReason,
) -> AppResult<()> {
    let waiting: Vec<i32> = assistance_work_plan::Entity::find()
        .filter(assistance_work_plan::Column::AssistanceId.eq(assistance_id))
        .filter(assistance_work_plan::Column::AcceptedAt.is_null())
        .all_mapped(db, |p| p.id)
        .await?;
    if waiting.is_empty() {
        return Ok(());
    }
    work_plan_acceptance_link::Entity::update_many()
        .col_expr(
            work_plan_acceptance_link::Column::VoidedAt,
            sea_orm::sea_query::Expr::value(crate::time::now()),
        )
        .col_expr(
            work_plan_acceptance_link::Column::VoidReason,
            sea_orm::sea_query::Expr::value(reason),
        )
        .filter(work_plan_acceptance_link::Column::WorkPlanId.is_in(waiting))
        .filter(work_plan_acceptance_link::Column::VoidedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Emails the entity's confirmed contact a new link to accept `plan` (nothing when the contact
/// is not confirmed: an address the provider alone typed never receives one).
async fn send_link<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    row: &assistance::Model,
    plan: &assistance_work_plan::Model,
) -> AppResult<bool> {
    let Some(contact) = row.contact_email.clone().filter(|_| contact_confirmed(row)) else {
        return Ok(false);
    };
    let token = crate::accounts::secrets::random_token();
    let link = work_plan_acceptance_link::ActiveModel {
        work_plan_id: Set(plan.id),
        token_hash: Set(crate::accounts::secrets::token_hash(&token)),
        sent_to: Set(contact.clone()),
        sent_at: Set(crate::time::now()),
        voided_at: Set(None),
        void_reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = super::view(db, row.id).await?;
    let message = AcceptanceRequest {
        entity: view.entity_label,
        municipality: &view.place_name,
        provider: &view.provider.name,
        objective: &view.objective,
        version: plan.version,
        token: &token,
    };
    let email = crate::mail::Email::of(contact, &message)?
        .once(format!("work_plan_acceptance:{}", link.id));
    crate::mail::enqueue(db, notifier, email).await?;
    Ok(true)
}

/// The plan version a new one replaces (`assistance.work_plan_written`).
#[derive(Serialize)]
struct PlanWas {
    version: i32,
    accepted: bool,
}

/// A plan version written, with the hash of its text and whether its link went out.
#[derive(Serialize)]
struct PlanWritten<'a> {
    version: i32,
    activities: &'a [ActivityView],
    products_expected: &'a [String],
    content_hash: String,
    link_emailed: bool,
}

/// Writes the work plan of an assistance the caller manages, every problem at once (422);
/// closed or cancelled → 409. The first plan is version 1; any change makes the next version,
/// waiting for its own acceptance — a version waiting is never rewritten, and its links are
/// voided (issue 62); the same content again changes nothing. A new version is emailed to the
/// entity's contact, when someone of the territory confirmed it, with the link to accept it.
/// Audited.
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
    let before = current.as_ref().and_then(|c| {
        serde_json::to_value(PlanWas {
            version: c.version,
            accepted: c.accepted_at.is_some(),
        })
        .ok()
    });
    if current.as_ref().is_some_and(|c| c.accepted_at.is_none()) {
        void_links(db, id, LinkVoidReason::PlanChanged).await?;
    }
    let saved = assistance_work_plan::ActiveModel {
        assistance_id: Set(id),
        version: Set(current.map_or(1, |c| c.version + 1)),
        products_expected: Set(products_json),
        written_by: Set(Some(user.id)),
        written_at: Set(at),
        acceptance_token_hash: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    replace_activities(db, saved.id, &activities).await?;
    let emailed = send_link(db, notifier, &row, &saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.work_plan_written",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before,
            after: serde_json::to_value(PlanWritten {
                version: saved.version,
                activities: &activities,
                products_expected: &products,
                content_hash: content_hash(id, saved.version, &activities, &products),
                link_emailed: emailed,
            })
            .ok(),
        },
    )
    .await?;
    current_plan(db, id).await?.ok_or(AppError::NotFound)
}

/// A link, the plan version it points to, and its assistance (404 for a link that is not one).
async fn by_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<(
    work_plan_acceptance_link::Model,
    assistance_work_plan::Model,
    assistance::Model,
)> {
    let link = work_plan_acceptance_link::Entity::find()
        .filter(
            work_plan_acceptance_link::Column::TokenHash
                .eq(crate::accounts::secrets::token_hash(token)),
        )
        .found(db)
        .await?;
    let plan = assistance_work_plan::Entity::find_by_id(link.work_plan_id)
        .found(db)
        .await?;
    let row = assistance::Entity::find_by_id(plan.assistance_id)
        .found(db)
        .await?;
    Ok((link, plan, row))
}

const VOID_PLAN: &str = "Este enlace ya no es válido: el plan de trabajo cambió después de \
     enviarlo. Si el contacto de la entidad está confirmado, recibió el enlace de la versión \
     vigente; el enlace municipal o el revisor departamental también la pueden aceptar.";
const VOID_CONTACT: &str = "Este enlace ya no es válido: el contacto de la entidad cambió \
     después de enviarlo. Cuando el enlace municipal o el revisor departamental confirme el \
     nuevo contacto, este recibe un enlace nuevo.";
const VOID_UNCONFIRMED: &str = "Este enlace ya no es válido: se envió a un correo que nadie \
     del territorio había confirmado. Cuando el enlace municipal o el revisor departamental \
     confirme el contacto de la entidad, este recibe un enlace nuevo.";

/// Why a link of a version not accepted no longer accepts, if it does not: voided (a new
/// version, the contact changed, sent before the rule), not the current version, or the
/// contact it went to is no longer the confirmed contact.
fn void_reason(
    link: &work_plan_acceptance_link::Model,
    plan: &assistance_work_plan::Model,
    current: Option<&assistance_work_plan::Model>,
    row: &assistance::Model,
) -> Option<&'static str> {
    match link.void_reason {
        Some(LinkVoidReason::PlanChanged) => return Some(VOID_PLAN),
        Some(LinkVoidReason::ContactChanged) => return Some(VOID_CONTACT),
        Some(LinkVoidReason::UnconfirmedContact) => return Some(VOID_UNCONFIRMED),
        None => {}
    }
    if current.is_none_or(|c| c.id != plan.id) {
        return Some(VOID_PLAN);
    }
    let same_contact = row
        .contact_email
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(&link.sent_to));
    if !same_contact || !contact_confirmed(row) {
        return Some(VOID_CONTACT);
    }
    None
}

const STALE: &str = "El plan de trabajo cambió mientras lo revisaba";

/// A plan version accepted: the text's hash shown, who accepted and how
/// (`assistance.work_plan_accepted`).
#[derive(Serialize)]
struct PlanAccepted<'a> {
    version: i32,
    content_hash: &'a str,
    accepted_by: &'a str,
    position: &'a str,
    via: AcceptanceVia,
}

/// Records the entity's acceptance of the current plan version: through the emailed link (a
/// link voided — the plan or the contact changed after it was sent — → 410) or by the
/// municipality's liaison or the department's reviewer signed in (another role → 403; outside
/// their territory → 404). Who accepts, their position, the version and the `content_hash` of
/// the text read are required (422); another version or text than the current one → 409; a
/// version already accepted, an assistance without a plan, closed or cancelled → 409. Audited.
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    who: Acceptor<'_>,
    input: &AcceptanceInput,
) -> AppResult<WorkPlanView> {
    let (plan, row, via, actor) = match who {
        Acceptor::Link(token) => {
            let (link, plan, row) = by_token(db, token).await?;
            open(&row, "acepta el plan de trabajo")?;
            already_accepted(&plan)?;
            let current = latest(db, row.id).await?;
            if let Some(why) = void_reason(&link, &plan, current.as_ref(), &row) {
                return Err(AppError::Gone(why.into()));
            }
            (plan, row, AcceptanceVia::Link, None)
        }
        Acceptor::Territory(user, id) => {
            let via = match user.role {
                Role::Liaison => AcceptanceVia::Liaison,
                Role::Reviewer => AcceptanceVia::Reviewer,
                _ => return Err(AppError::Forbidden),
            };
            let row = find_visible(db, user, id).await?;
            let plan = latest(db, id).await?.ok_or_else(|| {
                AppError::Conflict(
                    "La asistencia aún no tiene plan de trabajo para aceptar.".into(),
                )
            })?;
            open(&row, "acepta el plan de trabajo")?;
            already_accepted(&plan)?;
            (plan, row, via, Some(user.id))
        }
    };
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
    if input.version.is_none() {
        errors.push(FieldError::new(
            "version",
            "Falta la versión del plan que acepta: vuelva a cargar la página del plan.",
        ));
    }
    let hash = input.content_hash.as_deref().map(str::trim).unwrap_or("");
    if hash.is_empty() {
        errors.push(FieldError::new(
            "content_hash",
            "Falta la huella del texto del plan que acepta: vuelva a cargar la página del plan.",
        ));
    }
    let (Some(accepted_by), Some(position), Some(version), true) =
        (accepted_by, position, input.version, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let activities = activities_of(db, vec![plan.id])
        .await?
        .remove(&plan.id)
        .unwrap_or_default();
    let shown = content_hash(row.id, plan.version, &activities, &products_of(&plan));
    if version != plan.version {
        return Err(AppError::Conflict(format!(
            "{STALE}: usted leyó la versión {version} y la vigente es la {}. Revise la versión \
             vigente y acéptela si está de acuerdo.",
            plan.version
        )));
    }
    if !crate::accounts::secrets::constant_time_eq(hash, &shown) {
        return Err(AppError::Conflict(format!(
            "{STALE}: el texto que leyó no es el de la versión {} vigente. Revise la versión \
             vigente y acéptela si está de acuerdo.",
            plan.version
        )));
    }
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
            after: serde_json::to_value(PlanAccepted {
                version,
                content_hash: &shown,
                accepted_by: &accepted_by,
                position: &position,
                via,
            })
            .ok(),
        },
    )
    .await?;
    current_plan(db, row.id).await?.ok_or(AppError::NotFound)
}

fn already_accepted(plan: &assistance_work_plan::Model) -> AppResult<()> {
    if plan.accepted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "La versión {} del plan de trabajo ya fue aceptada.",
            plan.version
        )));
    }
    Ok(())
}

/// The entity's contact address, confirmed by someone of the territory (issue 62).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ContactConfirmationInput {
    /// The address confirmed: the assistance's current `contact_email` (another → 409).
    #[schema(format = Email, max_length = 254)]
    pub contact_email: Option<String>,
}

/// The entity's contact confirmed, and whether the plan's link went to it
/// (`assistance.contact_confirmed`).
#[derive(Serialize)]
struct ContactConfirmed<'a> {
    contact_email: &'a str,
    link_emailed: bool,
}

/// The municipality's liaison or the department's reviewer confirms the entity's contact
/// address of an assistance of their territory (another role → 403; outside the territory →
/// 404): the address is required (422) and must be the assistance's current contact (409
/// otherwise, and when it has none or is closed or cancelled). Confirming it again changes
/// nothing. If a plan version waits for acceptance, its link is emailed to the contact now.
/// Audited.
pub async fn confirm_contact<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &ContactConfirmationInput,
) -> AppResult<super::AssistanceView> {
    if !matches!(user.role, Role::Liaison | Role::Reviewer) {
        return Err(AppError::Forbidden);
    }
    let row = find_visible(db, user, id).await?;
    open(&row, "confirma el contacto")?;
    let typed = input.contact_email.as_deref().map(str::trim).unwrap_or("");
    if typed.is_empty() {
        return Err(AppError::invalid(
            "contact_email",
            "Escriba el correo del contacto de la entidad que confirma.",
        ));
    }
    let Some(contact) = row.contact_email.clone() else {
        return Err(AppError::Conflict(
            "La asistencia no tiene correo de contacto de la entidad: el oferente lo registra, \
             o usted acepta el plan de trabajo con su cuenta."
                .into(),
        ));
    };
    if !typed.eq_ignore_ascii_case(&contact) {
        return Err(AppError::Conflict(format!(
            "El contacto de la asistencia cambió: ahora es {contact}. Revíselo y confírmelo de \
             nuevo si es de la entidad."
        )));
    }
    if contact_confirmed(&row) {
        return super::view(db, id).await;
    }
    let mut model: assistance::ActiveModel = row.into();
    model.contact_confirmed_by = Set(Some(user.id));
    model.contact_confirmed_at = Set(Some(crate::time::now()));
    model.contact_confirmed_email = Set(Some(contact.clone()));
    let row = model.update(db).await?;
    let mut emailed = false;
    if let Some(plan) = latest(db, id).await?.filter(|p| p.accepted_at.is_none()) {
        // Links sent before to another address no longer accept (issue 62).
        void_links(db, id, LinkVoidReason::ContactChanged).await?;
        emailed = send_link(db, notifier, &row, &plan).await?;
    }
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "assistance.contact_confirmed",
            subject_type: "assistance",
            subject_id: id.to_string(),
            before: None,
            after: serde_json::to_value(ContactConfirmed {
                contact_email: &contact,
                link_emailed: emailed,
            })
            .ok(),
        },
    )
    .await?;
    super::view(db, id).await
}

/// Clears the confirmation of an assistance's contact and voids its pending links: the
/// contact (or the place) changed (issue 62).
pub(crate) fn unconfirmed(model: &mut assistance::ActiveModel) {
    model.contact_confirmed_by = Set(None);
    model.contact_confirmed_at = Set(None);
    model.contact_confirmed_email = Set(None);
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
    let people = crate::accounts::names(
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
            let activities = activities.remove(&p.id).unwrap_or_default();
            let products_expected = products_of(&p);
            let view = WorkPlanView {
                content_hash: content_hash(
                    p.assistance_id,
                    p.version,
                    &activities,
                    &products_expected,
                ),
                version: p.version,
                activities,
                products_expected,
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

/// What the entity's contact sees from a link (issue 62).
pub struct LinkPage {
    /// The assistance, with its diagnosis and current plan.
    pub assistance: super::AssistanceView,
    /// The link's version is the current one, still waiting, and the link is live.
    pub waiting: bool,
    /// Why the link no longer accepts (410), when it does not.
    pub void: Option<&'static str>,
}

/// What the entity's contact sees from the link: the assistance (with its diagnosis and
/// plan), whether the link's version is the current one still waiting, and why the link was
/// voided if it was.
pub async fn by_acceptance_link<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<LinkPage> {
    let (link, plan, row) = by_token(db, token).await?;
    let current = latest(db, row.id).await?;
    // A link whose version was since replaced, or whose address is no longer the confirmed
    // contact, shows nothing of the assistance: only why it no longer serves.
    let void = void_reason(&link, &plan, current.as_ref(), &row);
    let waiting = plan.accepted_at.is_none() && !row.status.is_final() && void.is_none();
    Ok(LinkPage {
        assistance: super::view(db, row.id).await?,
        waiting,
        void,
    })
}
