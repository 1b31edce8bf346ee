//! Nominations (postulaciones, issue 35): the liaison of a municipality a cohort is offered to
//! proposes the people the alcaldía wants trained — a registered participant of the
//! municipality, or someone not yet registered (document, names, email), who is invited to
//! register. The person confirms through an emailed link; the cohort's coordinator then accepts
//! (the person is enrolled under the municipality's quota, or waitlisted, with every rule of
//! enrolment applied: a nomination never bypasses eligibility) or declines with a reason that
//! the person and the liaison are told. Every step is audited and emailed through the outbox.
//!
//! Scope: a liaison nominates only for their own municipality and sees only its nominations; a
//! coordinator decides only on the cohorts they manage (404 otherwise). A registered person is
//! named (by id or document) only when the liaison reaches her (`people::scope::reaches`) and
//! she is of the municipality; anyone else is answered as somebody unknown (issue 46).
//!
//! Who confirms (issue 46): the person with an account confirms through the link emailed to
//! the address she signs in with; anyone else — a person not yet registered, a record without
//! an account, a nomination emailed to an address the liaison typed — confirms only with an
//! account whose participant record has the nomination's document: by confirming the
//! registration the link started, or by signing in and confirming at the link. Whoever holds
//! the typed mailbox alone confirms nothing.

pub mod demo;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts;
use crate::enrolment::{self, Requester};
use crate::entities::values::{CohortStatus, DocumentType, NominationStatus, Role};
use crate::entities::{
    cohort, enrolment as enrolment_entity, municipality, nomination, participant, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

/// Who the liaison proposes: a registered participant (`participant_id`) or someone not yet
/// registered (document, names and email; they are invited to register).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NominationInput {
    pub participant_id: Option<i32>,
    #[schema(value_type = Option<DocumentType>)]
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    #[schema(max_length = 80)]
    pub first_names: Option<String>,
    #[schema(max_length = 80)]
    pub last_names: Option<String>,
    #[schema(example = "planeacion@elpaujil-caqueta.gov.co")]
    pub email: Option<String>,
}

/// The coordinator's answer.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    pub accept: Option<bool>,
    /// Required to decline; told to the person and the liaison.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Nomination)]
pub struct NominationView {
    pub id: i32,
    pub cohort_id: i32,
    pub cohort_name: String,
    pub municipality_code: String,
    pub municipality_name: String,
    /// Null while the person is not registered.
    pub participant_id: Option<i32>,
    pub full_name: String,
    #[schema(value_type = DocumentType)]
    pub document_type: String,
    pub document_number: String,
    pub status: NominationStatus,
    /// The status in Spanish.
    pub status_label: &'static str,
    /// Why it was declined.
    pub decision_reason: Option<String>,
    /// The enrolment made when it was accepted.
    pub enrolment_id: Option<i32>,
    /// `enrolled` or `waitlisted` once accepted (the enrolment's current state).
    pub enrolment_status: Option<crate::entities::values::EnrolmentStatus>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub confirmed_at: Option<String>,
}

/// How many nominations a list shows at most (a cohort has far fewer).
pub const LIST_MAX: u64 = 1_000;

async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<nomination::Model>,
) -> AppResult<Vec<NominationView>> {
    let cohort_ids: Vec<i32> = rows.iter().map(|r| r.cohort_id).collect();
    let cohort_names: std::collections::HashMap<i32, String> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(cohort_ids))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let codes: Vec<String> = rows.iter().map(|r| r.municipality_code.clone()).collect();
    let names: std::collections::HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let enrolment_ids: Vec<i32> = rows.iter().filter_map(|r| r.enrolment_id).collect();
    let enrolments: std::collections::HashMap<i32, crate::entities::values::EnrolmentStatus> =
        enrolment_entity::Entity::find()
            .filter(enrolment_entity::Column::Id.is_in(enrolment_ids))
            .all_mapped(db, |e| (e.id, e.status))
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| NominationView {
            id: r.id,
            cohort_id: r.cohort_id,
            cohort_name: cohort_names.get(&r.cohort_id).cloned().unwrap_or_default(),
            municipality_name: names.get(&r.municipality_code).cloned().unwrap_or_default(),
            municipality_code: r.municipality_code,
            participant_id: r.participant_id,
            full_name: format!("{} {}", r.first_names, r.last_names),
            document_type: r.document_type,
            document_number: r.document_number,
            status: r.status,
            status_label: r.status.label(),
            decision_reason: r.decision_reason,
            enrolment_status: r.enrolment_id.and_then(|id| enrolments.get(&id).copied()),
            enrolment_id: r.enrolment_id,
            created_at: crate::time::date_time(r.created_at),
            confirmed_at: r.confirmed_at.map(crate::time::date_time),
        })
        .collect())
}

async fn view<C: ConnectionTrait>(db: &C, row: nomination::Model) -> AppResult<NominationView> {
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

/// The liaison's municipality (403 for anyone who is not a liaison).
fn liaison_municipality(user: &Actor) -> AppResult<&str> {
    match (user.role, user.municipality_code.as_deref()) {
        (Role::Liaison, Some(code)) => Ok(code),
        _ => Err(AppError::Forbidden),
    }
}

/// The cohort a liaison may nominate for: published (a draft is, to them, one that does not
/// exist: 404) and offered to their municipality (422 naming it).
async fn cohort_for_liaison<C: ConnectionTrait>(
    db: &C,
    code: &str,
    cohort_id: i32,
) -> AppResult<cohort::Model> {
    let cohort = cohorts::find(db, cohort_id).await?;
    if cohort.status == CohortStatus::Draft {
        return Err(AppError::NotFound);
    }
    let targets = cohorts::targets_of(db, &[cohort.id])
        .await?
        .remove(&cohort.id)
        .unwrap_or_default();
    if !targets.offers(code) {
        let name = place_name(db, code).await?;
        return Err(AppError::invalid(
            "cohort_id",
            format!(
                "Esta cohorte no se ofrece a {name}: solo puede postular a cohortes de su municipio."
            ),
        ));
    }
    Ok(cohort)
}

async fn place_name<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<String> {
    Ok(municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .map_or_else(|| code.to_string(), |m| m.name))
}

/// The person proposed, checked: who they are and where their record says they work.
struct Nominee {
    participant: Option<participant::Model>,
    document_type: DocumentType,
    document_number: String,
    first_names: String,
    last_names: String,
    /// Where the invitation goes: the sign-in address of a person with an account, else the
    /// record's email on file, else the address the liaison typed.
    email: String,
    /// Whether `email` is the sign-in address of the person's account (the link alone then
    /// confirms).
    account_address: bool,
}

/// The sign-in address of `person`'s account, if she has an active one.
async fn account_email<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
) -> AppResult<Option<String>> {
    let Some(user_id) = person.user_id else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .map(|u| u.email))
}

/// A registered person the liaison may name for their municipality: reached by the liaison
/// (`people::scope::reaches`) and of the municipality. `None` for anyone else, registered or
/// not: the caller answers both alike.
async fn reachable<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    code: &str,
    id: i32,
) -> AppResult<Option<participant::Model>> {
    if !crate::people::scope::reaches(db, user, id).await? {
        return Ok(None);
    }
    Ok(participant::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.municipality_code == code))
}

/// The nominee of a registered person: her own data, and the address she is written to.
async fn registered_nominee<C: ConnectionTrait>(
    db: &C,
    person: participant::Model,
    typed_email: Option<String>,
) -> AppResult<Option<Nominee>> {
    let account = account_email(db, &person).await?;
    let Some(email) = account.clone().or(person.email.clone()).or(typed_email) else {
        return Ok(None);
    };
    Ok(Some(Nominee {
        document_type: person.document_type,
        document_number: person.document_number.clone(),
        first_names: person.first_names.clone(),
        last_names: person.last_names.clone(),
        account_address: account.as_deref() == Some(email.as_str()),
        email,
        participant: Some(person),
    }))
}

async fn nominee<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    code: &str,
    input: &NominationInput,
) -> AppResult<Nominee> {
    let place = place_name(db, code).await?;
    let elsewhere = || {
        AppError::invalid(
            "participant_id",
            format!(
                "No hay una persona registrada en {place} con esos datos: solo puede postular a \
                 personas de su municipio."
            ),
        )
    };
    if let Some(id) = input.participant_id {
        // Someone the liaison does not reach is answered as somebody unknown: no name, no
        // email.
        let person = reachable(db, user, code, id).await?.ok_or_else(elsewhere)?;
        let name = person.full_name();
        return registered_nominee(db, person, None).await?.ok_or_else(|| {
            AppError::invalid(
                "participant_id",
                format!(
                    "{name} no tiene correo registrado: la postulación se confirma por correo."
                ),
            )
        });
    }
    let mut errors = Vec::new();
    let document_type = match input.document_type.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => DocumentType::parse(&t.to_uppercase()).or_else(|| {
            errors.push(FieldError::new(
                "document_type",
                "El tipo de documento debe ser CC, CE, PA o PPT.",
            ));
            None
        }),
        _ => {
            errors.push(FieldError::new(
                "participant_id",
                "Elija a una persona registrada o escriba el documento, los nombres y el correo de quien postula.",
            ));
            None
        }
    };
    let document_number = match (document_type, input.document_number.as_deref()) {
        (Some(t), Some(n)) if !n.trim().is_empty() => match validate::document_number(t, n) {
            Ok(n) => Some(n),
            Err(message) => {
                errors.push(FieldError::new("document_number", message));
                None
            }
        },
        (Some(_), _) => {
            errors.push(FieldError::new(
                "document_number",
                "Escriba el número de documento.",
            ));
            None
        }
        _ => None,
    };
    let mut name = |field: &str, value: &Option<String>, missing: &str| match validate::line(
        field,
        value.as_deref(),
        validate::PERSON_NAME_MAX,
        &mut errors,
    ) {
        Some(v) => Some(v),
        None => {
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, missing));
            }
            None
        }
    };
    let first_names = name("first_names", &input.first_names, "Escriba los nombres.");
    let last_names = name("last_names", &input.last_names, "Escriba los apellidos.");
    // The mailer's own check (issue 46): an address it would refuse is never stored.
    let email = validate::required(
        "email",
        validate::email("email", input.email.as_deref().unwrap_or("")),
        "Escriba el correo de la persona: por él confirma la postulación.",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let missing = || AppError::Internal("postulación incompleta tras validar".into());
    let (document_type, document_number) = (
        document_type.ok_or_else(missing)?,
        document_number.ok_or_else(missing)?,
    );
    // Someone already registered with that document whom the liaison reaches: her record
    // decides who she is, and her address is where the confirmation goes. Registered or not,
    // anyone else is nominated as typed, and only the account with this document confirms.
    let registered = participant::Entity::find()
        .filter(participant::Column::DocumentType.eq(document_type))
        .filter(participant::Column::DocumentNumber.eq(document_number.clone()))
        .one(db)
        .await?;
    if let Some(person) = registered
        && let Some(person) = reachable(db, user, code, person.id).await?
    {
        return registered_nominee(db, person, email)
            .await?
            .ok_or_else(missing);
    }
    Ok(Nominee {
        participant: None,
        document_type,
        document_number,
        first_names: first_names.ok_or_else(missing)?,
        last_names: last_names.ok_or_else(missing)?,
        email: email.ok_or_else(missing)?,
        account_address: false,
    })
}

/// A nomination made by a liaison (`nomination.created`).
#[derive(Serialize)]
struct Nominated<'a> {
    cohort_id: i32,
    municipality_code: &'a str,
    participant_id: Option<i32>,
    status: NominationStatus,
}

/// A liaison proposes a person for a cohort offered to their municipality; the person is
/// emailed a link to confirm. Run inside a transaction.
pub async fn nominate<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    cohort_id: i32,
    input: &NominationInput,
) -> AppResult<NominationView> {
    let code = liaison_municipality(user)?.to_string();
    let cohort = cohort_for_liaison(db, &code, cohort_id).await?;
    let cohort = cohorts::lock(db, cohort.id).await?;
    if cohort.status != CohortStatus::Open {
        return Err(AppError::Conflict(format!(
            "La cohorte «{}» no recibe postulaciones: está {}.",
            cohort.name,
            cohort.status.label().to_lowercase()
        )));
    }
    let today = crate::time::today();
    if today > cohort.enrolment_closes {
        return Err(AppError::Conflict(format!(
            "Las inscripciones de «{}» cerraron el {}.",
            cohort.name,
            crate::format::date(cohort.enrolment_closes)
        )));
    }
    let person = nominee(db, user, &code, input).await?;
    if let Some(p) = &person.participant {
        let active = enrolment_entity::Entity::find()
            .filter(enrolment_entity::Column::CohortId.eq(cohort.id))
            .filter(enrolment_entity::Column::ParticipantId.eq(p.id))
            .filter(
                enrolment_entity::Column::Status
                    .ne(crate::entities::values::EnrolmentStatus::Cancelled),
            )
            .one(db)
            .await?;
        if active.is_some() {
            return Err(AppError::Conflict(format!(
                "{} ya tiene una inscripción vigente en esta cohorte.",
                p.full_name()
            )));
        }
    }
    let live = nomination::Entity::find()
        .filter(nomination::Column::CohortId.eq(cohort.id))
        .filter(nomination::Column::DocumentType.eq(person.document_type.as_str()))
        .filter(nomination::Column::DocumentNumber.eq(person.document_number.clone()))
        .filter(nomination::Column::Status.ne(NominationStatus::Declined))
        .one(db)
        .await?;
    let already = || {
        AppError::Conflict(format!(
            "{} {} ya tiene una postulación vigente en esta cohorte.",
            person.first_names, person.last_names
        ))
    };
    if live.is_some() {
        return Err(already());
    }
    let token = crate::accounts::secrets::random_token();
    let at = crate::time::now();
    let saved = nomination::ActiveModel {
        cohort_id: Set(cohort.id),
        municipality_code: Set(code.clone()),
        participant_id: Set(person.participant.as_ref().map(|p| p.id)),
        document_type: Set(person.document_type.as_str().to_string()),
        document_number: Set(person.document_number.clone()),
        first_names: Set(person.first_names.clone()),
        last_names: Set(person.last_names.clone()),
        email: Set(person.email.clone()),
        status: Set(NominationStatus::Pending),
        confirm_token_hash: Set(Some(crate::accounts::secrets::token_hash(&token))),
        confirmed_at: Set(None),
        decision_reason: Set(None),
        decided_by: Set(None),
        decided_at: Set(None),
        enrolment_id: Set(None),
        nominated_by: Set(Some(user.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => already(),
        _ => AppError::from(e),
    })?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "nomination.created",
            subject_type: "nomination",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(Nominated {
                cohort_id: cohort.id,
                municipality_code: &code,
                participant_id: saved.participant_id,
                status: saved.status,
            })
            .ok(),
        },
    )
    .await?;
    let place = place_name(db, &code).await?;
    let message = Invitation {
        full_name: format!("{} {}", saved.first_names, saved.last_names),
        municipality: &place,
        cohort: &cohort.name,
        start_date: cohort.start_date.to_string(),
        liaison: &user.full_name,
        token: &token,
        registered: person.account_address,
        document: format!("{} {}", saved.document_type, saved.document_number),
    };
    mail::enqueue(
        db,
        notifier,
        Email::of(saved.email.clone(), &message)?.once(format!("postulacion:{}", saved.id)),
    )
    .await?;
    view(db, saved).await
}

/// What a nominee's registration starts from: the data the liaison gave (issue 45).
#[derive(Clone, Debug, Serialize)]
pub struct RegistrationPrefill {
    pub document_type: String,
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    pub email: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub cohort_id: i32,
    pub cohort_name: String,
}

/// The data of the nomination behind an emailed link, to start the nominee's registration
/// with: only while the nomination waits (pending or confirmed, not decided) — a decided
/// nomination's link no longer works. Whoever holds the link is the person it was emailed to;
/// without it nothing is shown (`None`, an empty form).
pub async fn registration_prefill<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<RegistrationPrefill>> {
    let Some(row) = nomination::Entity::find()
        .filter(
            nomination::Column::ConfirmTokenHash.eq(crate::accounts::secrets::token_hash(token)),
        )
        .filter(
            nomination::Column::Status
                .is_in([NominationStatus::Pending, NominationStatus::Confirmed]),
        )
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let place = municipality::Entity::find_by_id(row.municipality_code.clone())
        .found(db)
        .await?;
    let cohort_name = cohort::Entity::find_by_id(row.cohort_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(Some(RegistrationPrefill {
        document_type: row.document_type,
        document_number: row.document_number,
        first_names: row.first_names,
        last_names: row.last_names,
        email: row.email,
        municipality_code: row.municipality_code,
        municipality_name: place.name,
        department_code: place.department_code,
        cohort_id: row.cohort_id,
        cohort_name,
    }))
}

/// The nomination an emailed link points to, until it is decided (404 otherwise).
pub async fn by_link<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<NominationView> {
    view(db, linked(db, token).await?).await
}

async fn linked<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<nomination::Model> {
    nomination::Entity::find()
        .filter(
            nomination::Column::ConfirmTokenHash.eq(crate::accounts::secrets::token_hash(token)),
        )
        .found(db)
        .await
}

/// What the person holding a nomination's link can do with it (issue 46).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStep {
    /// Already confirmed (or no longer waiting): nothing to do.
    Done,
    /// Confirming is possible now.
    Confirm,
    /// Only the nominated person's account confirms: sign in, or register with the document.
    SignIn,
    /// Signed in with an account whose document is not the nomination's.
    OtherPerson,
}

/// Who confirms nomination `row`, if `by` (signed in, or not) may: the person whose account's
/// participant record has the nomination's document; or, through the link alone, the person
/// with the nomination's document whose account's sign-in address the link was emailed to —
/// named when nominated, or registered since (issue 61). `None` for anyone else.
async fn confirmer<C: ConnectionTrait>(
    db: &C,
    row: &nomination::Model,
    by: Option<&Actor>,
) -> AppResult<Option<participant::Model>> {
    let same_person = |p: &participant::Model| {
        p.document_type.as_str() == row.document_type
            && p.document_number == row.document_number
            && row.participant_id.is_none_or(|id| id == p.id)
    };
    if let Some(actor) = by {
        let own = participant::Entity::find()
            .filter(participant::Column::UserId.eq(actor.id))
            .one(db)
            .await?;
        if let Some(person) = own.filter(same_person) {
            return Ok(Some(person));
        }
    }
    // Through the link alone: the person named when nominated, or — nominated before she
    // registered — the person who since registered with the nomination's document.
    let person = match row.participant_id {
        Some(id) => participant::Entity::find_by_id(id).one(db).await?,
        None => match DocumentType::parse(&row.document_type) {
            Some(document_type) => {
                participant::Entity::find()
                    .filter(participant::Column::DocumentType.eq(document_type))
                    .filter(participant::Column::DocumentNumber.eq(row.document_number.clone()))
                    .one(db)
                    .await?
            }
            None => None,
        },
    };
    let Some(person) = person else {
        return Ok(None);
    };
    let account = account_email(db, &person).await?;
    Ok((account.as_deref() == Some(row.email.as_str()) && same_person(&person)).then_some(person))
}

/// The nomination behind a link and what `by` can do with it (404 for a link that is not
/// one, or once decided).
pub async fn link_state<C: ConnectionTrait>(
    db: &C,
    token: &str,
    by: Option<&Actor>,
) -> AppResult<(NominationView, LinkStep)> {
    let row = linked(db, token).await?;
    let step = if row.status != NominationStatus::Pending {
        LinkStep::Done
    } else if confirmer(db, &row, by).await?.is_some() {
        LinkStep::Confirm
    } else if by.is_none() {
        LinkStep::SignIn
    } else {
        LinkStep::OtherPerson
    };
    Ok((view(db, row).await?, step))
}

/// The nominated person confirms through the emailed link (once: 409 the second time; 404 for
/// a link that is not one): by the link alone when it was emailed to the address her account
/// signs in with, otherwise only signed in (`by`) with the account whose participant record
/// has the nomination's document (409 otherwise, saying so). The link keeps working until the
/// decision — it shows the nomination and starts the nominee's registration
/// ([`registration_prefill`]). The liaison who nominated them is told. Run inside a
/// transaction.
pub async fn confirm<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    token: &str,
    by: Option<&Actor>,
) -> AppResult<NominationView> {
    let row = linked(db, token).await?;
    if row.status != NominationStatus::Pending {
        return Err(AppError::Conflict(
            "Esta postulación ya fue confirmada.".into(),
        ));
    }
    let document = format!("{} {}", row.document_type, row.document_number);
    let Some(person) = confirmer(db, &row, by).await? else {
        return Err(AppError::Conflict(match by {
            None => format!(
                "Esta postulación la confirma solo la persona postulada, con su cuenta de Aula \
                 Territorial: ingrese con ella, o regístrese con el documento {document}, y \
                 vuelva a este enlace."
            ),
            Some(_) => format!(
                "Esta postulación es para quien tiene el documento {document}: usted ingresó \
                 con otra cuenta, y solo la persona postulada la confirma."
            ),
        }));
    };
    let saved = mark_confirmed(db, notifier, row, &person, by.map(|a| a.id)).await?;
    view(db, saved).await
}

/// Confirms nomination `nomination_id` for the person who just confirmed her registration
/// through its link (`people::registration::confirm`): only while it waits for her, and only
/// when her record has the nomination's document — someone registering with another document
/// through the link confirms nothing. Returns whether it was confirmed.
pub async fn confirm_on_registration<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    nomination_id: i32,
    person: &participant::Model,
    user_id: i32,
) -> AppResult<bool> {
    let Some(row) = nomination::Entity::find_by_id(nomination_id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let same_person = person.document_type.as_str() == row.document_type
        && person.document_number == row.document_number
        && row.participant_id.is_none_or(|id| id == person.id);
    if row.status != NominationStatus::Pending || !same_person {
        return Ok(false);
    }
    mark_confirmed(db, notifier, row, person, Some(user_id)).await?;
    Ok(true)
}

/// The nomination waiting behind an emailed link (pending, not decided), for a registration
/// started from it to remember.
pub async fn pending_by_link<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<i32>> {
    Ok(nomination::Entity::find()
        .filter(
            nomination::Column::ConfirmTokenHash.eq(crate::accounts::secrets::token_hash(token)),
        )
        .filter(nomination::Column::Status.eq(NominationStatus::Pending))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// A nomination's status and person around its confirmation (`nomination.confirmed`).
#[derive(Serialize)]
struct Confirmation {
    status: NominationStatus,
    participant_id: Option<i32>,
}

impl Confirmation {
    fn of(row: &nomination::Model) -> Self {
        Confirmation {
            status: row.status,
            participant_id: row.participant_id,
        }
    }
}

async fn mark_confirmed<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    row: nomination::Model,
    person: &participant::Model,
    actor: Option<i32>,
) -> AppResult<nomination::Model> {
    let at = crate::time::now();
    let mut model: nomination::ActiveModel = row.clone().into();
    model.status = Set(NominationStatus::Confirmed);
    model.participant_id = Set(Some(person.id));
    model.confirmed_at = Set(Some(at));
    model.updated_at = Set(at);
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor,
            action: "nomination.confirmed",
            subject_type: "nomination",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(Confirmation::of(&row)).ok(),
            after: serde_json::to_value(Confirmation::of(&saved)).ok(),
        },
    )
    .await?;
    tell_liaison(db, notifier, &saved, "confirmó su postulación", None).await?;
    Ok(saved)
}

/// A nomination `user` may still decide: of a cohort they manage and a municipality they
/// reach (404 otherwise), neither accepted nor declined yet (409).
async fn undecided<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<nomination::Model> {
    let row = nomination::Entity::find_by_id(id).found(db).await?;
    // Only the coordinators who manage the cohort (and reach the municipality) decide.
    cohorts::find_managed(db, user, row.cohort_id).await?;
    if !crate::people::scope::PersonScope::of(user).covers_municipality(&row.municipality_code) {
        return Err(AppError::NotFound);
    }
    if matches!(
        row.status,
        NominationStatus::Accepted | NominationStatus::Declined
    ) {
        return Err(AppError::Conflict(format!(
            "La postulación ya fue {}.",
            row.status.label().to_lowercase()
        )));
    }
    Ok(row)
}

/// What declining nomination `id` would act on (issue 45: the confirmation says it first),
/// under the same rules as [`decide`]; with whether the nominee and the liaison are emailed.
pub async fn declinable<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(NominationView, DeclineNotices)> {
    let row = undecided(db, user, id).await?;
    let liaison = match row.nominated_by {
        Some(id) => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|u| u.active)
            .map(|u| u.full_name),
        None => None,
    };
    let notices = DeclineNotices {
        nominee_email: row.email.clone(),
        liaison,
    };
    Ok((view(db, row).await?, notices))
}

/// Who is told of a declined nomination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclineNotices {
    pub nominee_email: String,
    /// The liaison who nominated the person (when still active).
    pub liaison: Option<String>,
}

/// The coordinator of the cohort accepts (the person is enrolled under the municipality's quota
/// or waitlisted, with every rule of enrolment) or declines with a reason. Only confirmed
/// nominations are decided (409). Run inside a transaction.
/// The cohort of nomination `id`, for a coordinator who manages it (404 otherwise): where a
/// refused decision is shown again.
pub async fn cohort_of<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<i32> {
    let row = nomination::Entity::find_by_id(id).found(db).await?;
    cohorts::find_managed(db, user, row.cohort_id).await?;
    Ok(row.cohort_id)
}

/// A nomination's status before the decision (`nomination.accepted`, `nomination.declined`).
#[derive(Serialize)]
struct Undecided {
    status: NominationStatus,
}

/// A nomination decided: why, when declined, and the enrolment it made, when accepted.
#[derive(Serialize)]
struct Decided<'a> {
    status: NominationStatus,
    reason: Option<&'a str>,
    enrolment_id: Option<i32>,
}

pub async fn decide<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &DecisionInput,
) -> AppResult<NominationView> {
    let row = undecided(db, user, id).await?;
    let Some(accept) = input.accept else {
        return Err(AppError::invalid(
            "accept",
            "Indique si acepta (true) o rechaza (false) la postulación.",
        ));
    };
    let reason = validate::single_line(
        "reason",
        input.reason.as_deref().unwrap_or(""),
        validate::REASON_MAX,
    )
    .map_err(|e| AppError::Validation(vec![e]))?;
    if !accept && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "Escriba por qué rechaza la postulación: se le dice a la persona y al enlace.",
        ));
    }
    match row.status {
        NominationStatus::Pending if accept => {
            return Err(AppError::Conflict(format!(
                "{} {} aún no ha confirmado su postulación.",
                row.first_names, row.last_names
            )));
        }
        _ => {}
    }
    let at = crate::time::now();
    let mut model: nomination::ActiveModel = row.clone().into();
    model.decided_by = Set(Some(user.id));
    model.decided_at = Set(Some(at));
    model.updated_at = Set(at);
    if accept {
        // A confirmed nomination names the person who confirmed it (issue 46: someone
        // nominated before registering confirms with her account, which names her).
        let person = match row.participant_id {
            Some(pid) => participant::Entity::find_by_id(pid).one(db).await?,
            None => None,
        };
        let Some(person) = person else {
            return Err(AppError::Conflict(format!(
                "{} {} aún no se ha registrado en Aula Territorial: se le invitó a hacerlo por \
                 correo; acepte la postulación cuando lo haga.",
                row.first_names, row.last_names
            )));
        };
        if person.municipality_code != row.municipality_code {
            return Err(AppError::invalid(
                "accept",
                format!(
                    "{} está registrada en otro municipio: la postulación era para {}.",
                    person.full_name(),
                    place_name(db, &row.municipality_code).await?
                ),
            ));
        }
        // Every rule of enrolment (open, window, territory, seats and quotas), no override.
        let enrolled = enrolment::enrol(
            db,
            notifier,
            row.cohort_id,
            &person,
            &Requester::Nomination(user),
        )
        .await?;
        model.participant_id = Set(Some(person.id));
        model.status = Set(NominationStatus::Accepted);
        model.enrolment_id = Set(Some(enrolled.id));
        model.confirm_token_hash = Set(None);
    } else {
        model.status = Set(NominationStatus::Declined);
        model.decision_reason = Set(reason.clone());
        model.confirm_token_hash = Set(None);
    }
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: if accept {
                "nomination.accepted"
            } else {
                "nomination.declined"
            },
            subject_type: "nomination",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(Undecided { status: row.status }).ok(),
            after: serde_json::to_value(Decided {
                status: saved.status,
                reason: reason.as_deref(),
                enrolment_id: saved.enrolment_id,
            })
            .ok(),
        },
    )
    .await?;
    if accept {
        tell_liaison(db, notifier, &saved, "fue aceptada", None).await?;
    } else {
        let cohort = cohorts::find(db, saved.cohort_id).await?;
        let message = Declined {
            full_name: format!("{} {}", saved.first_names, saved.last_names),
            cohort: &cohort.name,
            reason: reason.as_deref().unwrap_or(""),
        };
        mail::enqueue(
            db,
            notifier,
            Email::of(saved.email.clone(), &message)?
                .once(format!("postulacion-rechazada:{}", saved.id)),
        )
        .await?;
        tell_liaison(db, notifier, &saved, "fue rechazada", reason.as_deref()).await?;
    }
    view(db, saved).await
}

/// A cohort's nominations: all of them for its coordinators; a liaison's municipality's for
/// the liaison (a cohort not offered to it: 422; a draft: 404). Newest first.
pub async fn for_cohort<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cohort_id: i32,
) -> AppResult<Vec<NominationView>> {
    let mut query = nomination::Entity::find().filter(nomination::Column::CohortId.eq(cohort_id));
    match user.role {
        Role::Liaison => {
            let code = liaison_municipality(user)?;
            cohort_for_liaison(db, code, cohort_id).await?;
            query = query.filter(nomination::Column::MunicipalityCode.eq(code));
        }
        Role::Admin | Role::Coordinator => {
            cohorts::find_managed(db, user, cohort_id).await?;
        }
        _ => return Err(AppError::Forbidden),
    }
    // A direction's coordinator: only the people of its departments.
    let scope = crate::people::scope::PersonScope::of(user);
    let rows: Vec<nomination::Model> = query
        .order_by_desc(nomination::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?
        .into_iter()
        .filter(|r| scope.covers_municipality(&r.municipality_code))
        .collect();
    views(db, rows).await
}

/// A liaison's latest nominations, every cohort (their home).
pub async fn of_liaison<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    limit: u64,
) -> AppResult<Vec<NominationView>> {
    let code = liaison_municipality(user)?;
    let rows = nomination::Entity::find()
        .filter(nomination::Column::MunicipalityCode.eq(code))
        .order_by_desc(nomination::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    views(db, rows).await
}

/// Per municipality with a quota or a nomination: its quota, the people nominated (live),
/// confirmed, enrolled and waitlisted — the coordinator's view of a cohort's seats.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuotaRow {
    pub municipality_code: String,
    pub municipality_name: String,
    /// Seats kept for it; null without a quota.
    pub quota: Option<i32>,
    pub nominated: u64,
    pub confirmed: u64,
    pub enrolled: u64,
    pub waitlisted: u64,
}

pub async fn quota_board<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cohort_id: i32,
) -> AppResult<Vec<QuotaRow>> {
    let cohort = cohorts::find_managed(db, user, cohort_id).await?;
    let quotas = cohorts::quotas::of(db, &[cohort.id])
        .await?
        .remove(&cohort.id)
        .unwrap_or_default();
    let usage = cohorts::quotas::usage(db, &[cohort.id]).await?;
    let rows: Vec<(String, NominationStatus)> = nomination::Entity::find()
        .select_only()
        .column(nomination::Column::MunicipalityCode)
        .column(nomination::Column::Status)
        .filter(nomination::Column::CohortId.eq(cohort.id))
        .into_tuple()
        .all(db)
        .await?;
    let mut board: std::collections::BTreeMap<String, QuotaRow> = std::collections::BTreeMap::new();
    let row_of = |code: &str| -> QuotaRow {
        QuotaRow {
            municipality_code: code.to_string(),
            municipality_name: String::new(),
            quota: quotas.get(code).copied(),
            nominated: 0,
            confirmed: 0,
            enrolled: 0,
            waitlisted: 0,
        }
    };
    for code in quotas.keys() {
        board.insert(code.clone(), row_of(code));
    }
    for (code, status) in rows {
        let row = board.entry(code.clone()).or_insert_with(|| row_of(&code));
        if status.is_live() {
            row.nominated += 1;
        }
        if matches!(
            status,
            NominationStatus::Confirmed | NominationStatus::Accepted
        ) {
            row.confirmed += 1;
        }
    }
    let scope = crate::people::scope::PersonScope::of(user);
    board.retain(|code, _| scope.covers_municipality(code));
    let names: std::collections::HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(board.keys().cloned()))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let mut out: Vec<QuotaRow> = board
        .into_values()
        .map(|mut row| {
            let (enrolled, waitlisted) = usage
                .get(&(cohort.id, row.municipality_code.clone()))
                .copied()
                .unwrap_or_default();
            row.enrolled = enrolled;
            row.waitlisted = waitlisted;
            row.municipality_name = names
                .get(&row.municipality_code)
                .cloned()
                .unwrap_or_default();
            row
        })
        .collect();
    out.sort_by(|a, b| crate::text::by_name(&a.municipality_name, &b.municipality_name));
    Ok(out)
}

/// Emails the liaison who made the nomination about its news (once per nomination and step).
async fn tell_liaison<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    row: &nomination::Model,
    news: &'static str,
    reason: Option<&str>,
) -> AppResult<()> {
    let Some(liaison) = (match row.nominated_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    }) else {
        return Ok(());
    };
    if !liaison.active {
        return Ok(());
    }
    let cohort = cohorts::find(db, row.cohort_id).await?;
    let message = LiaisonNews {
        liaison: &liaison.full_name,
        full_name: format!("{} {}", row.first_names, row.last_names),
        cohort: &cohort.name,
        news,
        reason,
        cohort_id: cohort.id,
    };
    mail::enqueue(
        db,
        notifier,
        Email::of(liaison.email.clone(), &message)?
            .once(format!("postulacion-enlace:{}:{}", row.id, row.status)),
    )
    .await?;
    Ok(())
}

/// A week before the quotas are released, the liaisons of municipalities whose quota is not
/// filled are reminded (once per cohort; several instances or runs send nothing twice).
/// Returns how many emails were queued.
pub async fn remind_unfilled_quotas(
    db: &sea_orm::DatabaseConnection,
    notifier: &Notifier<'_>,
) -> AppResult<usize> {
    let today = crate::time::today();
    let due = cohort::Entity::find()
        .filter(cohort::Column::Status.eq(CohortStatus::Open))
        .filter(cohort::Column::QuotaRemindedAt.is_null())
        .filter(cohort::Column::QuotaReleaseOn.gte(today))
        .filter(cohort::Column::QuotaReleaseOn.lte(today + chrono::Duration::days(7)))
        .all(db)
        .await?;
    let mut queued = 0;
    for candidate in due {
        queued += crate::db::write(db, async |txn| {
            let cohort = cohorts::lock(txn, candidate.id).await?;
            if cohort.quota_reminded_at.is_some() {
                return Ok(0);
            }
            let mut queued = 0;
            let quotas = cohorts::quotas::of(txn, &[cohort.id])
                .await?
                .remove(&cohort.id)
                .unwrap_or_default();
            let usage = cohorts::quotas::usage(txn, &[cohort.id]).await?;
            for (code, seats) in &quotas {
                let (enrolled, _) = usage
                    .get(&(cohort.id, code.clone()))
                    .copied()
                    .unwrap_or_default();
                let left = (*seats as u64).saturating_sub(enrolled);
                if left == 0 {
                    continue;
                }
                let liaisons = user::Entity::find()
                    .filter(user::Column::Role.eq(Role::Liaison))
                    .filter(user::Column::MunicipalityCode.eq(code.clone()))
                    .filter(user::Column::Active.eq(true))
                    .all(txn)
                    .await?;
                let place = place_name(txn, code).await?;
                for liaison in liaisons {
                    let message = QuotaReminder {
                        liaison: &liaison.full_name,
                        municipality: &place,
                        cohort: &cohort.name,
                        left,
                        seats: *seats,
                        release_on: cohort.quota_release_on.map(|d| d.to_string()),
                        cohort_id: cohort.id,
                    };
                    let fresh = mail::enqueue(
                        txn,
                        notifier,
                        Email::of(liaison.email.clone(), &message)?
                            .once(format!("cupos:{}:{}:{}", cohort.id, code, liaison.id)),
                    )
                    .await?;
                    queued += usize::from(fresh);
                }
            }
            let mut model: cohort::ActiveModel = cohort.into();
            model.quota_reminded_at = Set(Some(crate::time::now()));
            model.update(txn).await?;
            Ok(queued)
        })
        .await?;
    }
    Ok(queued)
}

/// After a cohort's release date, unused quota seats join the open pool: the waiting list
/// moves, first come first served (once per cohort, whichever instance runs it first).
/// Returns how many people were promoted.
pub async fn release_due_quotas(
    db: &sea_orm::DatabaseConnection,
    notifier: &Notifier<'_>,
) -> AppResult<usize> {
    let today = crate::time::today();
    let due = cohort::Entity::find()
        .filter(cohort::Column::Status.is_in([CohortStatus::Open, CohortStatus::InProgress]))
        .filter(cohort::Column::QuotasReleasedAt.is_null())
        .filter(cohort::Column::QuotaReleaseOn.lt(today))
        .all(db)
        .await?;
    let mut promoted = 0;
    for candidate in due {
        promoted += crate::db::write(db, async |txn| {
            let cohort = cohorts::lock(txn, candidate.id).await?;
            if cohort.quotas_released_at.is_some() {
                return Ok(0);
            }
            let promoted = enrolment::fill_seats(txn, notifier, None, &cohort)
                .await?
                .len();
            let mut model: cohort::ActiveModel = cohort.into();
            model.quotas_released_at = Set(Some(crate::time::now()));
            model.update(txn).await?;
            Ok(promoted)
        })
        .await?;
    }
    Ok(promoted)
}

/// «Confirme su postulación»: to the person nominated.
#[derive(Serialize)]
struct Invitation<'a> {
    full_name: String,
    municipality: &'a str,
    cohort: &'a str,
    start_date: String,
    liaison: &'a str,
    token: &'a str,
    /// Emailed to the address the person's account signs in with: the link alone confirms.
    /// Otherwise she confirms with her account (registering through the link, or signing in).
    registered: bool,
    document: String,
}

impl mail::Message for Invitation<'_> {
    const TEMPLATE: &'static str = "nomination_invitation";
    fn subject(&self) -> String {
        format!(
            "La alcaldía de {} lo postuló a «{}»",
            self.municipality, self.cohort
        )
    }
}

/// «Su postulación fue rechazada», with the reason: to the person.
#[derive(Serialize)]
struct Declined<'a> {
    full_name: String,
    cohort: &'a str,
    reason: &'a str,
}

impl mail::Message for Declined<'_> {
    const TEMPLATE: &'static str = "nomination_declined";
    fn subject(&self) -> String {
        format!("Su postulación a «{}» no fue aceptada", self.cohort)
    }
}

/// A nomination's news for the liaison who made it.
#[derive(Serialize)]
struct LiaisonNews<'a> {
    liaison: &'a str,
    full_name: String,
    cohort: &'a str,
    news: &'static str,
    reason: Option<&'a str>,
    cohort_id: i32,
}

impl mail::Message for LiaisonNews<'_> {
    const TEMPLATE: &'static str = "nomination_news";
    fn subject(&self) -> String {
        format!("Postulación de {} {}", self.full_name, self.news)
    }
}

/// A week before the release: the municipality still has quota seats.
#[derive(Serialize)]
struct QuotaReminder<'a> {
    liaison: &'a str,
    municipality: &'a str,
    cohort: &'a str,
    left: u64,
    seats: i32,
    release_on: Option<String>,
    cohort_id: i32,
}

impl mail::Message for QuotaReminder<'_> {
    const TEMPLATE: &'static str = "quota_reminder";
    fn subject(&self) -> String {
        format!(
            "{} tiene {} sin usar en «{}»",
            self.municipality,
            crate::format::plural(
                i64::try_from(self.left).unwrap_or(i64::MAX),
                "cupo",
                "cupos"
            ),
            self.cohort
        )
    }
}
