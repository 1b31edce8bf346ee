//! A person's own change of name, reviewed once she has enrolled (issue 46).
//!
//! A certificate states the name of the holder's identity document, and a participant could
//! rename herself to anybody's name before one was printed. Before her first enrolment she
//! still changes her name freely («Mi perfil»). From then on the change she asks for is stored
//! here as `pending` and her record (and every certificate issued meanwhile) keeps the approved
//! name; the profile says it is «en revisión». A coordinator of one of her cohorts (one whose
//! enrolment of hers it owns, `people::ownership`), or an admin, sees the pending changes of
//! the people of its cohorts and approves it — the name is applied, every valid certificate of
//! hers re-issued with it (`certificates::issue::Replacements`, the correction's path), audited
//! — or rejects it with a reason; either way she is emailed. The change is hers, so approving
//! it re-issues her certificates of every provider: the reviewer only checks it against her
//! document.
//!
//! Asking for another name replaces the pending request; asking for her approved name again
//! withdraws it.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::certificates::issue::Replacements;
use crate::entities::values::{CertificateStatus, Role};
use crate::entities::{certificate, cohort, enrolment, name_change, participant, user};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Email, Notifier};
use crate::people::correction::{Reissued, ReissuedCodes};
use crate::people::ownership;
use crate::rows::Found;
use crate::rows::Rows;
use crate::time::now;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
pub const WITHDRAWN: &str = "withdrawn";

/// «En revisión», «Aprobado»…
pub fn status_label(status: &str) -> &'static str {
    match status {
        PENDING => "En revisión",
        APPROVED => "Aprobado",
        REJECTED => "Rechazado",
        _ => "Retirado",
    }
}

/// What a person's own change of names did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnName {
    /// The names are the ones she has: nothing to do (a pending request she had is withdrawn).
    Unchanged,
    /// No enrolment yet: the caller applies them.
    Apply,
    /// Stored for review; her record keeps the approved name.
    Pending,
}

/// The pending request of a person, if any.
pub async fn pending_of<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Option<name_change::Model>> {
    Ok(name_change::Entity::find()
        .filter(name_change::Column::ParticipantId.eq(participant_id))
        .filter(name_change::Column::Status.eq(PENDING))
        .order_by_desc(name_change::Column::Id)
        .one(db)
        .await?)
}

async fn withdraw_pending<C: ConnectionTrait>(db: &C, participant_id: i32) -> AppResult<u64> {
    Ok(name_change::Entity::update_many()
        .col_expr(name_change::Column::Status, Expr::value(WITHDRAWN))
        .col_expr(name_change::Column::DecidedAt, Expr::value(now()))
        .filter(name_change::Column::ParticipantId.eq(participant_id))
        .filter(name_change::Column::Status.eq(PENDING))
        .exec(db)
        .await?
        .rows_affected)
}

/// `person` asks for the names `first_names` `last_names` (already validated) on «Mi perfil»,
/// inside the caller's transaction (see the module's description).
pub async fn request_own<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
    first_names: &str,
    last_names: &str,
) -> AppResult<OwnName> {
    if person.first_names == first_names && person.last_names == last_names {
        if withdraw_pending(db, person.id).await? > 0 {
            audit_request(db, person, first_names, last_names, "withdrawn").await?;
        }
        return Ok(OwnName::Unchanged);
    }
    let enrolled = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .count(db)
        .await?
        > 0;
    if !enrolled {
        withdraw_pending(db, person.id).await?;
        return Ok(OwnName::Apply);
    }
    if let Some(pending) = pending_of(db, person.id).await?
        && pending.first_names == first_names
        && pending.last_names == last_names
    {
        return Ok(OwnName::Pending);
    }
    withdraw_pending(db, person.id).await?;
    name_change::ActiveModel {
        participant_id: Set(person.id),
        first_names: Set(first_names.to_string()),
        last_names: Set(last_names.to_string()),
        previous_first_names: Set(person.first_names.clone()),
        previous_last_names: Set(person.last_names.clone()),
        status: Set(PENDING.to_string()),
        requested_at: Set(now()),
        decided_at: Set(None),
        decided_by: Set(None),
        reason: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit_request(db, person, first_names, last_names, PENDING).await?;
    Ok(OwnName::Pending)
}

/// A person's names as the audit rows of a change of name store them.
#[derive(Serialize)]
struct Names<'a> {
    first_names: &'a str,
    last_names: &'a str,
}

impl<'a> Names<'a> {
    fn of(person: &'a participant::Model) -> Self {
        Self {
            first_names: &person.first_names,
            last_names: &person.last_names,
        }
    }
}

/// The names a person asked for, and whether they wait for review
/// (`participant.name_change_requested`).
#[derive(Serialize)]
struct Requested<'a> {
    first_names: &'a str,
    last_names: &'a str,
    status: &'a str,
}

async fn audit_request<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
    first_names: &str,
    last_names: &str,
    status: &str,
) -> AppResult<()> {
    audit::record(
        db,
        Change {
            actor: person.user_id,
            action: "participant.name_change_requested",
            subject_type: "participant",
            subject_id: person.id.to_string(),
            before: serde_json::to_value(Names::of(person)).ok(),
            after: serde_json::to_value(Requested {
                first_names,
                last_names,
                status,
            })
            .ok(),
        },
    )
    .await
}

/// A pending change of name as its reviewer sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = NameChange)]
pub struct NameChangeView {
    pub id: i32,
    pub participant_id: i32,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub status_label: &'static str,
    /// The approved name (on her record and her certificates).
    pub current_first_names: String,
    pub current_last_names: String,
    /// The name she asked for.
    pub first_names: String,
    pub last_names: String,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    pub document_number: String,
    #[schema(format = DateTime)]
    pub requested_at: String,
    /// The reviewer's cohorts she is enrolled in.
    pub cohorts: Vec<String>,
    /// Her valid certificates, which approving re-issues with the new name (codes).
    pub certificates: Vec<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl NameChangeView {
    pub fn current_name(&self) -> String {
        format!("{} {}", self.current_first_names, self.current_last_names)
    }

    pub fn requested_name(&self) -> String {
        format!("{} {}", self.first_names, self.last_names)
    }
}

async fn view<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    row: name_change::Model,
    person: &participant::Model,
) -> AppResult<NameChangeView> {
    let own: Vec<i32> = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .filter(ownership::own_enrolments(actor))
        .all_mapped(db, |e| e.cohort_id)
        .await?;
    let cohorts = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(own))
        .order_by_asc(cohort::Column::Name)
        .all_mapped(db, |c| c.name)
        .await?;
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(person.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .order_by_asc(certificate::Column::Id)
        .all_mapped(db, |c| format!("{} · {}", c.code, c.course_name))
        .await?;
    Ok(NameChangeView {
        id: row.id,
        participant_id: person.id,
        status_label: status_label(&row.status),
        status: row.status,
        current_first_names: person.first_names.clone(),
        current_last_names: person.last_names.clone(),
        first_names: row.first_names,
        last_names: row.last_names,
        document_type: person.document_type.as_str().to_string(),
        document_number: person.document_number.clone(),
        requested_at: crate::time::date_time(row.requested_at),
        cohorts,
        certificates,
        reason: row.reason,
    })
}

fn reviewer(actor: &Actor) -> AppResult<()> {
    if matches!(actor.role, Role::Coordinator | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The changes of people with an enrolment `actor` owns, as a correlated `EXISTS`: checked for
/// each pending change (a handful) instead of listing every enrolment `actor` owns first —
/// half a million for ESAP's national coordinators at national scale, which SQLite
/// materialised on every home page (about 2 s).
fn of_people_owned_by(actor: &Actor) -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(enrolment::Entity)
            .and_where(
                Expr::col((enrolment::Entity, enrolment::Column::ParticipantId))
                    .equals((name_change::Entity, name_change::Column::ParticipantId)),
            )
            .cond_where(ownership::own_enrolments(actor))
            .to_owned(),
    )
}

/// The pending changes `actor` reviews: of people with an enrolment it owns (every one for an
/// admin), oldest first. 403 for roles that review none.
pub async fn reviewable(db: &DatabaseConnection, actor: &Actor) -> AppResult<Vec<NameChangeView>> {
    reviewer(actor)?;
    let rows = name_change::Entity::find()
        .filter(name_change::Column::Status.eq(PENDING))
        .filter(of_people_owned_by(actor))
        .order_by_asc(name_change::Column::RequestedAt)
        .order_by_asc(name_change::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let person = participant::Entity::find_by_id(row.participant_id)
            .found(db)
            .await?;
        views.push(view(db, actor, row, &person).await?);
    }
    Ok(views)
}

/// How many changes wait for `actor` (none for roles that review none).
pub async fn reviewable_count<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<u64> {
    if reviewer(actor).is_err() {
        return Ok(0);
    }
    Ok(name_change::Entity::find()
        .filter(name_change::Column::Status.eq(PENDING))
        .filter(of_people_owned_by(actor))
        .count(db)
        .await?)
}

/// The change `id` and its person if `actor` reviews it: 403 for roles that review none, 404
/// for a change of somebody without an enrolment `actor` owns, 409 when it is no longer
/// pending.
pub async fn find_reviewable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<(NameChangeView, name_change::Model, participant::Model)> {
    reviewer(actor)?;
    let row = name_change::Entity::find_by_id(id).found(db).await?;
    let owned = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(row.participant_id))
        .filter(ownership::own_enrolments(actor))
        .count(db)
        .await?;
    if owned == 0 {
        return Err(AppError::NotFound);
    }
    let person = participant::Entity::find_by_id(row.participant_id)
        .found(db)
        .await?;
    if row.status != PENDING {
        return Err(AppError::Conflict(format!(
            "Este cambio de nombre ya no está en revisión ({}).",
            status_label(&row.status).to_lowercase()
        )));
    }
    Ok((view(db, actor, row.clone(), &person).await?, row, person))
}

/// The reviewer's decision.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = NameChangeDecision)]
pub struct DecisionInput {
    /// `true` approves (the name is applied and her certificates re-issued), `false` rejects.
    pub accept: Option<bool>,
    /// Required to reject; she receives it.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A change of name decided, with the certificates re-issued under the new name
/// (`participant.name_change_approved`, `….name_change_rejected`).
#[derive(Serialize)]
struct Decided<'a> {
    name_change_id: i32,
    first_names: &'a str,
    last_names: &'a str,
    approved: bool,
    reason: Option<&'a str>,
    reissued: Vec<ReissuedCodes<'a>>,
}

/// Approves or rejects the change `id` (see the module's description); the decided change.
pub async fn decide(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    id: i32,
    input: &DecisionInput,
) -> AppResult<NameChangeView> {
    let (_, row, person) = find_reviewable(db, actor, id).await?;
    let accept = input.accept.ok_or_else(|| {
        AppError::invalid(
            "accept",
            "Diga si aprueba (true) o rechaza (false) el cambio de nombre.",
        )
    })?;
    let reason = crate::validate::single_line(
        "reason",
        input.reason.as_deref().unwrap_or(""),
        crate::validate::REASON_MAX,
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    if !accept && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "Escriba el motivo del rechazo (por ejemplo, «el nombre no coincide con el de su \
             documento de identidad»): la persona lo recibe.",
        ));
    }
    let mut after = person.clone();
    if accept {
        after.first_names = row.first_names.clone();
        after.last_names = row.last_names.clone();
    }
    // The new certificates are drafted (and their PDFs rendered) before the transaction.
    let replacements = if accept {
        Replacements::of_person(db, notifier, actor.id, &after, None, None).await?
    } else {
        Replacements::none()
    };
    replacements.write_then(db, notifier, async |txn, replacements| {
        let decided = name_change::Entity::update_many()
            .col_expr(
                name_change::Column::Status,
                Expr::value(if accept { APPROVED } else { REJECTED }),
            )
            .col_expr(name_change::Column::DecidedAt, Expr::value(now()))
            .col_expr(name_change::Column::DecidedBy, Expr::value(actor.id))
            .col_expr(name_change::Column::Reason, Expr::value(reason.clone()))
            .filter(name_change::Column::Id.eq(row.id))
            .filter(name_change::Column::Status.eq(PENDING))
            .exec(txn)
            .await?;
        if decided.rows_affected != 1 {
            return Err(AppError::Conflict(
                "Este cambio de nombre ya no está en revisión: otra persona lo decidió o ella pidió \
                 otro."
                    .into(),
            ));
        }
        let mut reissued = Vec::new();
        if accept {
            let now_person = participant::Entity::find_by_id(person.id)
                .found(txn)
.await?;
            if now_person != person {
                return Err(AppError::Conflict(
                    "Los datos de la persona cambiaron mientras se revisaba: vuelva a abrir el cambio."
                        .into(),
                ));
            }
            let mut model: participant::ActiveModel = person.clone().into();
            model.first_names = Set(after.first_names.clone());
            model.last_names = Set(after.last_names.clone());
            model.updated_at = Set(now());
            model.update(txn).await?;
            if let Some(account) = person.user_id {
                user::Entity::update_many()
                    .col_expr(user::Column::FullName, Expr::value(after.full_name()))
                    .col_expr(user::Column::UpdatedAt, Expr::value(now()))
                    .filter(user::Column::Id.eq(account))
                    .exec(txn)
                    .await?;
            }
            reissued = Reissued::write(replacements, txn, notifier, actor).await?;
        }
        audit::record(
            txn,
            Change {
                actor: Some(actor.id),
                action: if accept {
                    "participant.name_change_approved"
                } else {
                    "participant.name_change_rejected"
                },
                subject_type: "participant",
                subject_id: person.id.to_string(),
                before: serde_json::to_value(Names::of(&person)).ok(),
                after: serde_json::to_value(Decided {
                    name_change_id: row.id,
                    first_names: &row.first_names,
                    last_names: &row.last_names,
                    approved: accept,
                    reason: reason.as_deref(),
                    reissued: reissued.iter().map(ReissuedCodes::of).collect(),
                })
                .ok(),
            },
        )
        .await?;
        if let Some(to) = &person.email {
            let message = NameChangeDecided {
                full_name: after.full_name(),
                requested: format!("{} {}", row.first_names, row.last_names),
                kept: person.full_name(),
                approved: accept,
                reason: reason.clone(),
                reissued,
            };
            mail::enqueue(
                txn,
                notifier,
                Email::of(to.clone(), &message)?.once(format!("cambio-nombre:{}", row.id)),
            )
            .await?;
        }
        let decided = name_change::Entity::find_by_id(row.id)
            .found(txn)
.await?;
        let now_person = participant::Entity::find_by_id(person.id)
            .found(txn)
.await?;
        let view = view(txn, actor, decided, &now_person).await?;
        Ok(view)
    })
    .await
}

/// «Revisamos su cambio de nombre».
#[derive(Serialize)]
struct NameChangeDecided {
    full_name: String,
    requested: String,
    kept: String,
    approved: bool,
    reason: Option<String>,
    reissued: Vec<Reissued>,
}

impl mail::Message for NameChangeDecided {
    const TEMPLATE: &'static str = "name_change_decided";
    fn subject(&self) -> String {
        if self.approved {
            "Aprobamos su cambio de nombre en Aula Territorial".into()
        } else {
            "Su cambio de nombre en Aula Territorial no fue aprobado".into()
        }
    }
}
