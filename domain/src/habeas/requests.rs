//! Habeas-data requests (Ley 1581 de 2012, arts. 14–15; issue 67): a person asks, an
//! administrator resolves within 15 business days.
//!
//! - `consulta`: accepted, she is emailed her data export (the same as «Mis datos», as a JSON
//!   attachment).
//! - `revocacion`: accepted, her consents still in force (data treatment and sensitive data)
//!   are withdrawn (`withdrawn_at`, the rows stay as proof) and her sensitive data erased; her
//!   account and the records the entity must keep (enrolments, attendance, certificates) stay,
//!   and she is no longer counted in the differential figures (see docs/DECISIONS.md).
//! - `supresion`: accepted, her record is anonymised ([`super::anonymise`]).
//!
//! One pending request of a kind per person (409). Rejecting takes a note, which she receives.
//! Every request and resolution is audited and emailed through the outbox.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::Role;
use crate::entities::{consent, data_request, participant, user};
use crate::error::{AppError, AppResult};
use crate::habeas::anonymise::{self, Why};
use crate::mail::{self, Attachment, Email, Notifier};
use crate::rows::Found;
use crate::rows::Rows;
use crate::time::{now, today};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const REJECTED: &str = "rejected";

/// The kinds of request (value, Spanish label).
pub const KINDS: &[(&str, &str)] = &[
    ("consulta", "Consulta de mis datos"),
    ("revocacion", "Revocación de la autorización"),
    ("supresion", "Supresión de mis datos"),
];

/// Business days the entity has to answer (Ley 1581 de 2012, art. 15).
pub const TERM_BUSINESS_DAYS: u32 = 15;

/// A request still pending this many business days (or fewer) before its due date is flagged
/// «vence pronto».
pub const SOON_BUSINESS_DAYS: u32 = 3;

/// The day a request made on `requested_on` (Bogotá) is due: 15 business days counted from
/// the day after, weekends and Colombian holidays skipped.
pub fn due_on(requested_on: NaiveDate) -> NaiveDate {
    crate::holidays::business_days_after(requested_on, TERM_BUSINESS_DAYS)
}

/// «vencida» once the due date has passed, «vence pronto» within [`SOON_BUSINESS_DAYS`]
/// business days of it, for a pending request on `today`.
pub fn urgency(status: &str, due: NaiveDate, today: NaiveDate) -> Option<&'static str> {
    if status != PENDING {
        return None;
    }
    if today > due {
        return Some("vencida");
    }
    (crate::holidays::business_days_after(today, SOON_BUSINESS_DAYS) >= due)
        .then_some("vence pronto")
}

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(value, _)| *value == kind)
        .map_or("Solicitud", |(_, label)| label)
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        PENDING => "En trámite",
        ACCEPTED => "Aceptada",
        _ => "Rechazada",
    }
}

/// What the person asks.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewDataRequest {
    /// `consulta`, `revocacion` or `supresion`.
    #[schema(value_type = String, required = true, example = "supresion")]
    pub kind: Option<String>,
    /// Why (optional, up to 500 characters, one line).
    pub reason: Option<String>,
}

/// The administrator's answer.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Resolution {
    /// `accepted` or `rejected`.
    #[schema(value_type = String, required = true, example = "accepted")]
    pub decision: Option<String>,
    /// Required when rejecting (she receives it); up to 500 characters.
    pub note: Option<String>,
}

/// A request as the person and the API see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DataRequestView {
    pub id: i32,
    /// `consulta`, `revocacion` or `supresion`.
    pub kind: String,
    pub kind_label: String,
    pub reason: Option<String>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub status_label: String,
    #[schema(format = Date)]
    pub requested_on: String,
    #[schema(format = Date)]
    pub due_on: String,
    /// For a pending request: «vencida» or «vence pronto»; otherwise null.
    pub urgency: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    pub resolution_note: Option<String>,
    /// The person (for the administrator; her own name for her).
    pub person_name: String,
    pub participant_id: i32,
}

fn view(row: data_request::Model, person: &participant::Model, on: NaiveDate) -> DataRequestView {
    DataRequestView {
        id: row.id,
        kind_label: kind_label(&row.kind).into(),
        status_label: status_label(&row.status).into(),
        urgency: urgency(&row.status, row.due_on, on).map(str::to_string),
        kind: row.kind,
        reason: row.reason,
        status: row.status,
        requested_on: row.requested_on.to_string(),
        due_on: row.due_on.to_string(),
        resolved_at: row.resolved_at.map(crate::time::date_time),
        resolution_note: row.resolution_note,
        person_name: person.full_name(),
        participant_id: person.id,
    }
}

async fn person_of_user<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<participant::Model> {
    participant::Entity::find()
        .filter(participant::Column::UserId.eq(user_id))
        .found(db)
        .await
}

/// Where she is written to: her profile's email, else her account's.
async fn email_of<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
) -> AppResult<Option<String>> {
    if let Some(email) = person.email.clone().filter(|e| !e.is_empty()) {
        return Ok(Some(email));
    }
    Ok(match person.user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email),
        None => None,
    })
}

/// A request made (`data_request.created`).
#[derive(Serialize)]
struct Created<'a> {
    participant_id: i32,
    kind: &'a str,
    due_on: String,
}

/// The person whose account is `user_id` asks (see the module); the request as stored.
pub async fn create(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    user_id: i32,
    input: &NewDataRequest,
) -> AppResult<DataRequestView> {
    let kind = input.kind.as_deref().map(str::trim).unwrap_or("");
    let mut errors = Vec::new();
    if !KINDS.iter().any(|(value, _)| *value == kind) {
        errors.push(crate::error::FieldError::new(
            "kind",
            "Elija qué pide: consulta, revocación de la autorización o supresión de sus datos.",
        ));
    }
    let reason = match crate::validate::single_line(
        "reason",
        input.reason.as_deref().unwrap_or(""),
        crate::validate::REASON_MAX,
    ) {
        Ok(reason) => reason,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let person = person_of_user(db, user_id).await?;
    let requested_on = today();
    let due = due_on(requested_on);
    crate::db::write(db, async |txn| {
    let pending = data_request::Entity::find()
        .filter(data_request::Column::ParticipantId.eq(person.id))
        .filter(data_request::Column::Kind.eq(kind))
        .filter(data_request::Column::Status.eq(PENDING))
        .one(txn)
        .await?;
    if let Some(pending) = pending {
        return Err(AppError::Conflict(format!(
            "Ya tiene una solicitud de {} en trámite, del {}: la respondemos a más tardar el {}.",
            kind_label(kind).to_lowercase(),
            crate::format::date(pending.requested_on),
            crate::format::date(pending.due_on),
        )));
    }
    let row = data_request::ActiveModel {
        participant_id: Set(person.id),
        kind: Set(kind.to_string()),
        reason: Set(reason.clone()),
        status: Set(PENDING.into()),
        requested_at: Set(now()),
        requested_on: Set(requested_on),
        due_on: Set(due),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        Change {
            actor: Some(user_id),
            action: "data_request.created",
            subject_type: "data_request",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(Created {
                participant_id: person.id,
                kind,
                due_on: due.to_string(),
            })
            .ok(),
        },
    )
    .await?;
    if let Some(to) = email_of(txn, &person).await? {
        let message = Received {
            full_name: person.full_name(),
            kind: kind_label(kind).into(),
            requested_on: crate::format::date(requested_on),
            due_on: crate::format::date(due),
        };
        mail::enqueue(
            txn,
            notifier,
            Email::of(to, &message)?.once(format!("solicitud-datos:{}", row.id)),
        )
        .await?;
    }
        Ok(view(row, &person, today()))
    })
    .await
}

/// Her requests, newest first.
pub async fn mine<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<Vec<DataRequestView>> {
    Ok(mine_page(db, user_id, 1, crate::paging::MAX_PER_PAGE)
        .await?
        .0)
}

/// Page `page` (of `per_page`) of her requests, newest first, and how many she has made.
pub async fn mine_page<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<DataRequestView>, u64)> {
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok((Vec::new(), 0));
    };
    let on = today();
    let pages = data_request::Entity::find()
        .filter(data_request::Column::ParticipantId.eq(person.id))
        .order_by_desc(data_request::Column::Id)
        .paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page.saturating_sub(1)).await?;
    Ok((
        rows.into_iter().map(|row| view(row, &person, on)).collect(),
        total,
    ))
}

fn admin_only(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Every request (admin only), the pending ones first by due date, then the resolved ones
/// newest first; `status` filters.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    status: Option<&str>,
) -> AppResult<Vec<DataRequestView>> {
    let mut all = Vec::new();
    for page in 1.. {
        let (rows, total) = list_page(db, actor, status, page, crate::paging::MAX_PER_PAGE).await?;
        let last = rows.is_empty() || page * crate::paging::MAX_PER_PAGE >= total;
        all.extend(rows);
        if last {
            break;
        }
    }
    Ok(all)
}

/// Page `page` (of `per_page`) of [`list`]'s order, and how many requests match: ordered by
/// the database (pending first by due date, then resolved newest first).
pub async fn list_page<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    status: Option<&str>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<DataRequestView>, u64)> {
    admin_only(actor)?;
    let mut query = data_request::Entity::find();
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(status @ (PENDING | ACCEPTED | REJECTED)) => {
            query = query.filter(data_request::Column::Status.eq(status));
        }
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "El estado debe ser pending, accepted o rejected.",
            ));
        }
        None => {}
    }
    use sea_orm::sea_query::ExprTrait;
    let pending = || data_request::Column::Status.eq(PENDING);
    // Pending first (0), by due date, oldest asked first; then resolved, newest first.
    let rank = Expr::case(pending(), Expr::val(0)).finally(Expr::val(1));
    // (Resolved ones: null, all alike.)
    let due = Expr::case(pending(), Expr::col(data_request::Column::DueOn));
    let id = Expr::case(pending(), Expr::col(data_request::Column::Id))
        .finally(Expr::col(data_request::Column::Id).mul(-1));
    let pages = query
        .order_by(Expr::expr(rank), Order::Asc)
        .order_by(Expr::expr(due), Order::Asc)
        .order_by(Expr::expr(id), Order::Asc)
        .paginate(db, per_page);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page.saturating_sub(1)).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.participant_id).collect();
    let people: std::collections::HashMap<i32, participant::Model> = participant::Entity::find()
        .filter(participant::Column::Id.is_in(ids))
        .all_mapped(db, |p| (p.id, p))
        .await?;
    let on = today();
    Ok((
        rows.into_iter()
            .filter_map(|row| {
                let person = people.get(&row.participant_id)?;
                Some(view(row, person, on))
            })
            .collect(),
        total,
    ))
}

/// One request, for the administrator.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<DataRequestView> {
    admin_only(actor)?;
    let row = data_request::Entity::find_by_id(id).found(db).await?;
    let person = participant::Entity::find_by_id(row.participant_id)
        .found(db)
        .await?;
    Ok(view(row, &person, today()))
}

/// A request's status before its resolution.
#[derive(Serialize)]
struct Pending {
    status: &'static str,
}

/// A request resolved (`data_request.accepted`, `data_request.rejected`).
#[derive(Serialize)]
struct Decided<'a> {
    participant_id: i32,
    kind: &'a str,
    status: &'static str,
    note: Option<&'a str>,
}

/// The administrator resolves request `id` (see the module); the request as resolved.
pub async fn resolve(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    id: i32,
    input: &Resolution,
) -> AppResult<DataRequestView> {
    admin_only(actor)?;
    let decision = input.decision.as_deref().map(str::trim).unwrap_or("");
    let accept = match decision {
        ACCEPTED => true,
        REJECTED => false,
        _ => {
            return Err(AppError::invalid(
                "decision",
                "Diga si acepta (accepted) o rechaza (rejected) la solicitud.",
            ));
        }
    };
    let note = crate::validate::single_line(
        "note",
        input.note.as_deref().unwrap_or(""),
        crate::validate::REASON_MAX,
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    if !accept && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "Escriba por qué rechaza la solicitud (por ejemplo, «debemos conservar sus datos por \
             una obligación legal»): la persona lo recibe.",
        ));
    }
    let row = data_request::Entity::find_by_id(id).found(db).await?;
    let person = participant::Entity::find_by_id(row.participant_id)
        .found(db)
        .await?;
    // The export is read before her data may change (a consulta changes nothing).
    let export = match (accept, row.kind.as_str(), person.user_id) {
        (true, "consulta", Some(account)) => Some(
            serde_json::to_vec_pretty(
                &crate::people::profile::personal_data_export(db, account).await?,
            )
            .map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        _ => None,
    };
    // She is written to at the address she has before a supresión erases it.
    let to = email_of(db, &person).await?;
    crate::db::write(db, async |txn| {
        let at = now();
        let done = data_request::Entity::update_many()
            .col_expr(
                data_request::Column::Status,
                Expr::value(if accept { ACCEPTED } else { REJECTED }),
            )
            .col_expr(data_request::Column::ResolvedAt, Expr::value(at))
            .col_expr(data_request::Column::ResolvedBy, Expr::value(actor.id))
            .col_expr(
                data_request::Column::ResolutionNote,
                Expr::value(note.clone()),
            )
            .filter(data_request::Column::Id.eq(row.id))
            .filter(data_request::Column::Status.eq(PENDING))
            .exec(txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(AppError::Conflict("Esta solicitud ya fue resuelta.".into()));
        }
        if accept {
            match row.kind.as_str() {
                "supresion" => {
                    anonymise::anonymise(txn, Some(actor.id), person.id, Why::Request(row.id))
                        .await?;
                }
                "revocacion" => revoke(txn, person.id, at).await?,
                _ => {}
            }
        }
        audit::record(
            txn,
            Change {
                actor: Some(actor.id),
                action: if accept {
                    "data_request.accepted"
                } else {
                    "data_request.rejected"
                },
                subject_type: "data_request",
                subject_id: row.id.to_string(),
                before: serde_json::to_value(Pending { status: PENDING }).ok(),
                after: serde_json::to_value(Decided {
                    participant_id: person.id,
                    kind: &row.kind,
                    status: if accept { ACCEPTED } else { REJECTED },
                    note: note.as_deref(),
                })
                .ok(),
            },
        )
        .await?;
        if let Some(to) = to {
            let message = Resolved {
                full_name: person.full_name(),
                kind: row.kind.clone(),
                kind_label: kind_label(&row.kind).into(),
                requested_on: crate::format::date(row.requested_on),
                accepted: accept,
                supresion: row.kind == "supresion",
                revocacion: row.kind == "revocacion",
                consulta: row.kind == "consulta",
                note: note.clone(),
            };
            let mut email =
                Email::of(to, &message)?.once(format!("solicitud-datos-resuelta:{}", row.id));
            if let Some(content) = export {
                email = email.attach(Attachment {
                    filename: "mis-datos-aula-territorial.json".into(),
                    content_type: "application/json".into(),
                    content,
                });
            }
            mail::enqueue(txn, notifier, email).await?;
        }
        let resolved = data_request::Entity::find_by_id(row.id).found(txn).await?;
        let now_person = participant::Entity::find_by_id(person.id)
            .found(txn)
            .await?;
        Ok(view(resolved, &now_person, today()))
    })
    .await
}

/// An accepted revocation: her consents in force withdrawn, her sensitive data erased.
async fn revoke<C: ConnectionTrait>(
    txn: &C,
    participant_id: i32,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(at))
        .filter(consent::Column::ParticipantId.eq(participant_id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(txn)
        .await?;
    participant::Entity::update_many()
        .col_expr(
            participant::Column::Sex,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            participant::Column::EthnicGroup,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            participant::Column::HasDisability,
            Expr::value(Option::<bool>::None),
        )
        .col_expr(
            participant::Column::IsConflictVictim,
            Expr::value(Option::<bool>::None),
        )
        .col_expr(participant::Column::UpdatedAt, Expr::value(at))
        .filter(participant::Column::Id.eq(participant_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// «Recibimos su solicitud».
#[derive(Serialize)]
struct Received {
    full_name: String,
    kind: String,
    requested_on: String,
    due_on: String,
}

impl mail::Message for Received {
    const TEMPLATE: &'static str = "data_request_received";
    fn subject(&self) -> String {
        "Recibimos su solicitud sobre sus datos personales".into()
    }
}

/// «Respondimos su solicitud».
#[derive(Serialize)]
struct Resolved {
    full_name: String,
    kind: String,
    kind_label: String,
    requested_on: String,
    accepted: bool,
    supresion: bool,
    revocacion: bool,
    consulta: bool,
    note: Option<String>,
}

impl mail::Message for Resolved {
    const TEMPLATE: &'static str = "data_request_resolved";
    fn subject(&self) -> String {
        "Respondimos su solicitud sobre sus datos personales".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_term_skips_weekends_and_holidays() {
        // 16 November (Independencia de Cartagena, moved) is a holiday.
        assert_eq!(due_on(day("2026-11-06")), day("2026-11-30"));
    }

    #[test]
    fn urgency_flags_late_and_close_requests() {
        let due = day("2026-11-30");
        assert_eq!(urgency(PENDING, due, day("2026-12-01")), Some("vencida"));
        assert_eq!(
            urgency(PENDING, due, day("2026-11-25")),
            Some("vence pronto")
        );
        assert_eq!(urgency(PENDING, due, day("2026-11-20")), None);
        assert_eq!(urgency(ACCEPTED, due, day("2026-12-01")), None);
    }
}
