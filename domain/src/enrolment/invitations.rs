//! Invitations to enrol (issue 46): scope is not something a coordinator can widen.
//!
//! A coordinator (or admin) who names a person by participant id or by document enrols her
//! directly only when it already reaches her (`people::scope::reaches`, and, for a territorial
//! direction, her enrolment would fall in its departments). The eligibility override never
//! widens this. Anyone else is *invited*: a row of `enrolment_invitations` and, when the
//! person has an account, an email through the outbox saying who asks, for which course and
//! cohort, with a link to accept or decline. She enrols only by accepting, signed in as
//! herself: the normal enrolment runs then (seats, quotas, waiting list; the stored override
//! applies only if the inviter had one).
//!
//! The caller learns nothing of the person: an unknown id or document, a person without an
//! account and a person with one all answer the same (`Invited`), and each request is kept as
//! typed, so the coordinator's list and counts grow the same way whoever it named. A cohort
//! holds at most [`cap`] pending invitations, so ids 1..N cannot spam the country.

use super::{EnrolmentView, Requester};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts;
use crate::entities::enrolment_invitation as invitation;
use crate::entities::values::{CohortStatus, DocumentType, EnrolmentStatus, InvitationStatus};
use crate::entities::{cohort, course, enrolment, participant, user};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Email, Notifier};
use crate::people::scope::{PersonScope, reaches};
use crate::rows::Found;
use crate::rows::Rows;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// A person as a coordinator names her: by participant id or by document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    Id(i32),
    Document(DocumentType, String),
}

impl Named {
    /// From a request's fields: `participant_id`, or the document's type and number (422 when
    /// neither is given well). Checks the shape only: nothing is read.
    pub fn parse(
        id: Option<i32>,
        document_type: Option<&str>,
        document_number: Option<&str>,
    ) -> AppResult<Named> {
        if let Some(id) = id {
            return Ok(Named::Id(id));
        }
        let kind = document_type
            .and_then(|t| DocumentType::parse(t.trim().to_uppercase().as_str()))
            .ok_or_else(|| {
                AppError::invalid(
                    "document_type",
                    "Indique el participante (participant_id) o su tipo y número de documento.",
                )
            })?;
        let number = crate::validate::document_number(kind, document_number.unwrap_or(""))
            .map_err(|m| AppError::invalid("document_number", m))?;
        Ok(Named::Document(kind, number))
    }

    /// The request as stored: `id:17`, `CC:1117512345`.
    pub fn key(&self) -> String {
        match self {
            Named::Id(id) => format!("id:{id}"),
            Named::Document(kind, number) => format!("{}:{number}", kind.as_str()),
        }
    }

    /// The field a refusal of this request is written beside.
    pub fn field(&self) -> &'static str {
        match self {
            Named::Id(_) => "participant_id",
            Named::Document(..) => "document_number",
        }
    }

    /// The registered person it names, if any.
    pub async fn find<C: ConnectionTrait>(&self, db: &C) -> AppResult<Option<participant::Model>> {
        Ok(match self {
            Named::Id(id) => participant::Entity::find_by_id(*id).one(db).await?,
            Named::Document(kind, number) => {
                participant::Entity::find()
                    .filter(participant::Column::DocumentType.eq(*kind))
                    .filter(participant::Column::DocumentNumber.eq(number.as_str()))
                    .one(db)
                    .await?
            }
        })
    }

    /// 422 for a person who is not registered (said only to callers who reach everybody).
    fn unknown(&self) -> AppError {
        match self {
            Named::Id(_) => AppError::invalid("participant_id", "No existe ese participante."),
            Named::Document(kind, number) => AppError::invalid(
                "document_number",
                format!(
                    "No hay ninguna persona registrada con {} {number}.",
                    kind.as_str()
                ),
            ),
        }
    }
}

/// How a stored request is shown to the coordinators of the cohort: the id as typed, a
/// document by its last four digits only (a colleague of the same cohort does not read back
/// in full a document somebody else typed).
pub fn shown(named: &str) -> String {
    match named.split_once(':') {
        Some(("id", id)) => format!("Participante n.º {id}"),
        Some((kind, number)) => {
            let digits: Vec<char> = number.chars().collect();
            let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
            format!("{kind} terminado en {tail}")
        }
        None => named.to_string(),
    }
}

/// What a coordinator's enrolment by id or document did.
#[derive(Clone, Debug)]
pub enum StaffEnrolment {
    /// The person was reached: enrolled (or waitlisted), with her name.
    Enrolled {
        view: EnrolmentView,
        full_name: String,
    },
    /// Invited, or nothing at all: the caller is told no more (no enumeration).
    Invited,
}

/// The most pending invitations a cohort holds: twice its seats, at least 10.
pub fn cap(cohort: &cohort::Model) -> u64 {
    (u64::try_from(cohort.seats).unwrap_or(0) * 2).max(10)
}

/// Whether `actor` enrols this person directly: it reaches her, and (a territorial direction)
/// her enrolment would be for a municipality of its departments.
pub async fn enrols_directly<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    person: &participant::Model,
) -> AppResult<bool> {
    Ok(
        PersonScope::of(actor).covers_municipality(&person.municipality_code)
            && reaches(db, actor, person.id).await?,
    )
}

/// A coordinator (or admin) enrols the person it names in cohort `cohort_id` — directly when
/// it reaches her, else by inviting her. Run inside a transaction.
///
/// National ESAP staff reach everybody: an unknown person is a 422 for them, as before. For
/// anyone else an unknown person is invited like any other (nothing is sent, the same answer).
pub async fn enrol_named<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    cohort_id: i32,
    named: &Named,
    override_reason: Option<String>,
) -> AppResult<StaffEnrolment> {
    cohorts::find_managed(db, actor, cohort_id).await?;
    let person = named.find(db).await?;
    let restricted = PersonScope::of(actor).is_restricted();
    if !restricted && person.is_none() {
        return Err(named.unknown());
    }
    if let Some(person) = person.as_ref()
        && enrols_directly(db, actor, person).await?
    {
        let view = super::enrol(
            db,
            notifier,
            cohort_id,
            person,
            &Requester::Staff {
                user: actor,
                override_reason,
            },
        )
        .await?;
        return Ok(StaffEnrolment::Enrolled {
            view,
            full_name: person.full_name(),
        });
    }
    invite(
        db,
        notifier,
        actor,
        cohort_id,
        named,
        person.as_ref(),
        override_reason,
    )
    .await?;
    Ok(StaffEnrolment::Invited)
}

/// The override's reason, checked as an enrolment checks it (422 when asked for without one).
fn override_of(override_reason: Option<String>) -> AppResult<Option<String>> {
    let asked = override_reason.is_some();
    let reason = crate::validate::single_line(
        "override_reason",
        override_reason.as_deref().unwrap_or(""),
        crate::validate::REASON_MAX,
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    if asked && reason.is_none() {
        return Err(AppError::invalid(
            "override_reason",
            "Escriba el motivo para inscribir por excepción.",
        ));
    }
    Ok(reason)
}

/// When an invitation stops being accepted: the end of the cohort's enrolment (of its last
/// day, for one with an override, which lets enrolment skip the window).
pub(crate) fn expiry(cohort: &cohort::Model, overriding: bool) -> DateTime<Utc> {
    let last = if overriding {
        cohort.enrolment_closes.max(cohort.end_date)
    } else {
        cohort.enrolment_closes
    };
    crate::time::from_local(last + Duration::days(1), 0, 0)
}

/// Marks the cohort's pending invitations past their date as expired.
async fn expire_past<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<()> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::Status,
            Expr::value(InvitationStatus::Expired.as_str()),
        )
        .filter(invitation::Column::CohortId.eq(cohort_id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.lte(crate::time::now()))
        .exec(db)
        .await?;
    Ok(())
}

/// How many invitations of the cohort wait for their person (before their date).
async fn pending_count<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<u64> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::CohortId.eq(cohort_id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.gt(crate::time::now()))
        .count(db)
        .await?)
}

/// The refusal beyond [`cap`].
fn full(cohort: &cohort::Model, field: &str) -> AppError {
    AppError::invalid(
        field,
        format!(
            "La cohorte «{}» ya tiene {} invitaciones pendientes, el máximo (el doble de sus \
             cupos, al menos 10). Espere a que las personas respondan o inscriba a quienes ya \
             están en su alcance.",
            cohort.name,
            cap(cohort)
        ),
    )
}

/// What an import will invite, checked before anything is written (it reads only): the
/// requests not already pending, within the cohort's [`cap`] (422 on `file` otherwise).
pub(crate) async fn check_room<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
    named: &[Named],
) -> AppResult<()> {
    if named.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = named.iter().map(Named::key).collect();
    let already = invitation::Entity::find()
        .filter(invitation::Column::CohortId.eq(cohort.id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .filter(invitation::Column::ExpiresAt.gt(crate::time::now()))
        .filter(invitation::Column::Named.is_in(keys.clone()))
        .count(db)
        .await?;
    let new = keys.len() as u64 - already;
    if new > 0 && pending_count(db, cohort.id).await? + new > cap(cohort) {
        return Err(full(cohort, "file"));
    }
    Ok(())
}

/// An invitation made (`enrolment_invitation.created`).
#[derive(Serialize)]
struct Invited<'a> {
    cohort_id: i32,
    participant_id: Option<i32>,
    emailed: bool,
    override_reason: Option<&'a str>,
}

/// Invites the person `named` (found or not) to `cohort_id` for `actor`. Run inside a
/// transaction. Answers the same whoever it names: nothing new when the same request is still
/// pending; 409 when the cohort takes no enrolments (its own state, not the person's); 422
/// beyond the cohort's [`cap`] or for an override without its reason.
pub async fn invite<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    cohort_id: i32,
    named: &Named,
    person: Option<&participant::Model>,
    override_reason: Option<String>,
) -> AppResult<()> {
    let override_reason = override_of(override_reason)?;
    let cohort = cohorts::lock(db, cohort_id).await?;
    super::check_open(&cohort, override_reason.is_some())?;
    expire_past(db, cohort.id).await?;
    let key = named.key();
    let same = invitation::Entity::find()
        .filter(invitation::Column::CohortId.eq(cohort.id))
        .filter(invitation::Column::Named.eq(key.as_str()))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .one(db)
        .await?;
    if same.is_some() {
        return Ok(());
    }
    if pending_count(db, cohort.id).await? >= cap(&cohort) {
        return Err(full(&cohort, named.field()));
    }
    // The email goes to the account's own address, once per person and cohort, and not to
    // someone already in the cohort.
    let recipient = match person {
        Some(person) => recipient(db, cohort.id, person).await?,
        None => None,
    };
    let token = recipient
        .as_ref()
        .map(|_| crate::accounts::secrets::random_token());
    let at = crate::time::now();
    let saved = invitation::ActiveModel {
        cohort_id: Set(cohort.id),
        named: Set(key),
        participant_id: Set(person.map(|p| p.id)),
        invited_by: Set(Some(actor.id)),
        override_reason: Set(override_reason.clone()),
        token_hash: Set(token.as_deref().map(crate::accounts::secrets::token_hash)),
        status: Set(InvitationStatus::Pending),
        enrolment_id: Set(None),
        created_at: Set(at),
        expires_at: Set(expiry(&cohort, override_reason.is_some())),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "enrolment_invitation.created",
            subject_type: "enrolment_invitation",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(Invited {
                cohort_id: cohort.id,
                participant_id: saved.participant_id,
                emailed: token.is_some(),
                override_reason: override_reason.as_deref(),
            })
            .ok(),
        },
    )
    .await?;
    if let (Some((to, full_name)), Some(token)) = (recipient, token) {
        let facts = CohortFacts::of(db, &cohort).await?;
        let (inviter, organisation) = inviter(db, Some(actor.id)).await?;
        let message = InvitationEmail {
            full_name,
            inviter,
            organisation,
            facts,
            expires_on: last_day(saved.expires_at).to_string(),
            token,
            overriding: saved.override_reason.is_some(),
        };
        mail::enqueue(
            db,
            notifier,
            Email::of(to, &message)?.once(format!("invitacion:{}", saved.id)),
        )
        .await?;
    }
    Ok(())
}

/// Where an invitation to `person` is emailed: her account's address (and her name), unless
/// she has no active account, an invitation to this cohort already waits for her or she is
/// already in it.
async fn recipient<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    person: &participant::Model,
) -> AppResult<Option<(String, String)>> {
    let Some(user_id) = person.user_id else {
        return Ok(None);
    };
    let Some(account) = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(None);
    };
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::CohortId.eq(cohort_id))
        .filter(invitation::Column::ParticipantId.eq(person.id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .count(db)
        .await?;
    let enrolled = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::ParticipantId.eq(person.id))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .count(db)
        .await?;
    Ok((waiting == 0 && enrolled == 0).then(|| (account.email, person.full_name())))
}

/// Who asks: the inviter's name and organisation (its provider, and its territorial
/// direction).
async fn inviter<C: ConnectionTrait>(db: &C, user_id: Option<i32>) -> AppResult<(String, String)> {
    let account = match user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let Some(account) = account else {
        let esap = crate::providers::get(db, crate::providers::ESAP).await?;
        return Ok(("La coordinación".to_string(), esap.name));
    };
    let provider =
        crate::providers::get(db, account.provider_id.unwrap_or(crate::providers::ESAP)).await?;
    let organisation = match account.territorial_direction_id {
        Some(id) => {
            let direction = crate::territory::directions::get(db, id).await?;
            format!("{} · {}", provider.name, direction.name)
        }
        None => provider.name,
    };
    Ok((account.full_name, organisation))
}

/// The cohort as an invitation describes it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CohortFacts {
    pub cohort_id: i32,
    pub cohort: String,
    pub course: String,
    /// The modality in Spanish.
    pub modality: &'static str,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
    pub venue: Option<String>,
    pub meeting_url: Option<String>,
}

impl CohortFacts {
    async fn of<C: ConnectionTrait>(db: &C, cohort: &cohort::Model) -> AppResult<CohortFacts> {
        let course = course::Entity::find_by_id(cohort.course_id)
            .one(db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        Ok(CohortFacts {
            cohort_id: cohort.id,
            cohort: cohort.name.clone(),
            course,
            modality: cohort.modality.label(),
            start_date: cohort.start_date,
            end_date: cohort.end_date,
            venue: cohort.venue.clone(),
            meeting_url: cohort.meeting_url.clone(),
        })
    }
}

/// «… lo invita a inscribirse»: to the person invited, at her account's address.
#[derive(Serialize)]
struct InvitationEmail {
    full_name: String,
    inviter: String,
    organisation: String,
    #[serde(flatten)]
    facts: CohortFacts,
    /// The last day to answer.
    expires_on: String,
    token: String,
    overriding: bool,
}

impl mail::Message for InvitationEmail {
    const TEMPLATE: &'static str = "enrolment_invitation";
    fn subject(&self) -> String {
        format!(
            "{} lo invita a inscribirse en «{}»",
            self.organisation, self.facts.cohort
        )
    }
}

/// The status a reader sees: a pending invitation past its date, or of a cohort that no
/// longer takes enrolments, has expired.
fn effective(row: &invitation::Model, cohort: &cohort::Model) -> InvitationStatus {
    if row.status == InvitationStatus::Pending
        && (row.expires_at <= crate::time::now() || cohort.status != CohortStatus::Open)
    {
        InvitationStatus::Expired
    } else {
        row.status
    }
}

/// An invitation as the cohort's coordinators see it: only what was typed (a document by its
/// last digits), never whom it found.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EnrolmentInvitation)]
pub struct InvitationRow {
    pub id: i32,
    /// The request as typed: «Participante n.º 17», «CC terminado en 2345».
    #[schema(example = "CC terminado en 2345")]
    pub named: String,
    pub status: InvitationStatus,
    /// The status in Spanish.
    pub status_label: &'static str,
    /// Sent with the eligibility override (it applies if the person accepts).
    pub eligibility_override: bool,
    /// Who invited.
    pub invited_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// The enrolment made when the person accepted.
    pub enrolment_id: Option<i32>,
}

/// How many of a cohort's invitations are in each state.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct InvitationCounts {
    pub pending: u64,
    pub accepted: u64,
    pub declined: u64,
    pub expired: u64,
}

impl InvitationCounts {
    pub fn of(rows: &[InvitationRow]) -> InvitationCounts {
        let mut counts = InvitationCounts::default();
        for row in rows {
            match row.status {
                InvitationStatus::Pending => counts.pending += 1,
                InvitationStatus::Accepted => counts.accepted += 1,
                InvitationStatus::Declined => counts.declined += 1,
                InvitationStatus::Expired => counts.expired += 1,
            }
        }
        counts
    }

    pub fn total(&self) -> u64 {
        self.pending + self.accepted + self.declined + self.expired
    }
}

/// The invitations of a cohort `actor` manages (404 otherwise), newest first.
pub async fn for_cohort<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cohort_id: i32,
) -> AppResult<Vec<InvitationRow>> {
    let cohort = cohorts::find_managed(db, actor, cohort_id).await?;
    let rows = invitation::Entity::find()
        .filter(invitation::Column::CohortId.eq(cohort.id))
        .order_by_desc(invitation::Column::Id)
        .all(db)
        .await?;
    let inviters: Vec<i32> = rows.iter().filter_map(|r| r.invited_by).collect();
    let names: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(inviters))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = effective(&row, &cohort);
            InvitationRow {
                id: row.id,
                named: shown(&row.named),
                status,
                status_label: status.label(),
                eligibility_override: row.override_reason.is_some(),
                invited_by: row.invited_by.and_then(|id| names.get(&id).cloned()),
                created_at: crate::time::date_time(row.created_at),
                expires_at: crate::time::date_time(row.expires_at),
                enrolment_id: row.enrolment_id,
            }
        })
        .collect())
}

/// An invitation as the person invited sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MyEnrolmentInvitation)]
pub struct InvitationView {
    /// Who asks, and for whom they work.
    pub invited_by: String,
    pub organisation: String,
    #[serde(flatten)]
    pub facts: CohortFacts,
    pub status: InvitationStatus,
    /// The status in Spanish.
    pub status_label: &'static str,
    /// The coordination enrols her by exception (outside the cohort's territory or dates).
    pub eligibility_override: bool,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// The last day it may be answered (Colombian time).
    pub last_day: chrono::NaiveDate,
    /// The enrolment made when she accepted.
    pub enrolment_id: Option<i32>,
}

/// The invitation behind an emailed link, if it names the signed-in person; 404 for anyone
/// else, an unknown link included.
async fn find_own<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    token: &str,
) -> AppResult<invitation::Model> {
    let row = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crate::accounts::secrets::token_hash(token)))
        .found(db)
        .await?;
    let person = match row.participant_id {
        Some(id) => participant::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    match person {
        Some(person) if person.user_id == Some(actor.id) => Ok(row),
        _ => Err(AppError::NotFound),
    }
}

async fn view_of<C: ConnectionTrait>(db: &C, row: &invitation::Model) -> AppResult<InvitationView> {
    let cohort = cohorts::find(db, row.cohort_id).await?;
    let (invited_by, organisation) = inviter(db, row.invited_by).await?;
    let status = effective(row, &cohort);
    Ok(InvitationView {
        invited_by,
        organisation,
        facts: CohortFacts::of(db, &cohort).await?,
        status,
        status_label: status.label(),
        eligibility_override: row.override_reason.is_some(),
        expires_at: crate::time::date_time(row.expires_at),
        last_day: last_day(row.expires_at),
        enrolment_id: row.enrolment_id,
    })
}

/// The last day before `expires_at` (Colombian time).
fn last_day(expires_at: DateTime<Utc>) -> chrono::NaiveDate {
    crate::time::local(expires_at - Duration::seconds(1)).date_naive()
}

/// The signed-in person's invitation behind the emailed link (404 for anyone else).
pub async fn by_link<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    token: &str,
) -> AppResult<InvitationView> {
    let row = find_own(db, actor, token).await?;
    view_of(db, &row).await
}

/// 409 unless the invitation still waits for an answer.
fn check_pending(row: &invitation::Model, cohort: &cohort::Model) -> AppResult<()> {
    match effective(row, cohort) {
        InvitationStatus::Pending => Ok(()),
        InvitationStatus::Accepted => Err(AppError::Conflict(
            "Ya aceptó esta invitación: su inscripción está en «Mis cursos».".into(),
        )),
        InvitationStatus::Declined => Err(AppError::Conflict(
            "Ya rechazó esta invitación. Si cambió de opinión, pida a la coordinación que la \
             invite de nuevo."
                .into(),
        )),
        InvitationStatus::Expired => Err(AppError::Conflict(format!(
            "Esta invitación venció: la cohorte «{}» ya no recibe inscripciones por ella.",
            cohort.name
        ))),
    }
}

/// Closes every pending invitation of the person to the cohort (a request by id and another
/// by document name the same person) with `status`.
async fn settle<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    participant_id: i32,
    status: InvitationStatus,
    enrolment_id: Option<i32>,
) -> AppResult<()> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(status.as_str()))
        .col_expr(invitation::Column::EnrolmentId, Expr::value(enrolment_id))
        .col_expr(
            invitation::Column::DecidedAt,
            Expr::value(crate::time::now()),
        )
        .filter(invitation::Column::CohortId.eq(cohort_id))
        .filter(invitation::Column::ParticipantId.eq(participant_id))
        .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// An invitation's status around its answer (`enrolment_invitation.declined`, `….accepted`).
#[derive(Serialize)]
struct StatusAudit {
    status: InvitationStatus,
}

/// An invitation accepted: the enrolment it made, who invited and why it was an exception.
#[derive(Serialize)]
struct Accepted<'a> {
    status: InvitationStatus,
    enrolment_id: i32,
    invited_by: Option<i32>,
    override_reason: Option<&'a str>,
}

/// The person accepts: she is enrolled (or waitlisted) by the normal enrolment, with the
/// inviter's override if it had one; audited. Run inside a transaction. Not hers → 404; no
/// longer pending → 409; not eligible → 422 as for any enrolment.
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    token: &str,
) -> AppResult<EnrolmentView> {
    let row = find_own(db, actor, token).await?;
    let cohort = cohorts::lock(db, row.cohort_id).await?;
    let row = invitation::Entity::find_by_id(row.id).found(db).await?;
    check_pending(&row, &cohort)?;
    let person = participant::Entity::find_by_id(row.participant_id.ok_or(AppError::NotFound)?)
        .found(db)
        .await?;
    let view = super::enrol(
        db,
        notifier,
        cohort.id,
        &person,
        &Requester::Invitation {
            person: actor,
            override_reason: row.override_reason.clone(),
        },
    )
    .await?;
    settle(
        db,
        cohort.id,
        person.id,
        InvitationStatus::Accepted,
        Some(view.id),
    )
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "enrolment_invitation.accepted",
            subject_type: "enrolment_invitation",
            subject_id: row.id.to_string(),
            before: serde_json::to_value(StatusAudit {
                status: InvitationStatus::Pending,
            })
            .ok(),
            after: serde_json::to_value(Accepted {
                status: InvitationStatus::Accepted,
                enrolment_id: view.id,
                invited_by: row.invited_by,
                override_reason: row.override_reason.as_deref(),
            })
            .ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The person declines; audited. Run inside a transaction. Not hers → 404; no longer pending
/// → 409.
pub async fn decline<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    token: &str,
) -> AppResult<InvitationView> {
    let row = find_own(db, actor, token).await?;
    let cohort = cohorts::lock(db, row.cohort_id).await?;
    check_pending(&row, &cohort)?;
    let participant_id = row.participant_id.ok_or(AppError::NotFound)?;
    settle(
        db,
        cohort.id,
        participant_id,
        InvitationStatus::Declined,
        None,
    )
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "enrolment_invitation.declined",
            subject_type: "enrolment_invitation",
            subject_id: row.id.to_string(),
            before: serde_json::to_value(StatusAudit {
                status: InvitationStatus::Pending,
            })
            .ok(),
            after: serde_json::to_value(StatusAudit {
                status: InvitationStatus::Declined,
            })
            .ok(),
        },
    )
    .await?;
    let row = invitation::Entity::find_by_id(row.id).found(db).await?;
    view_of(db, &row).await
}
