//! Suppression of a person's data (an accepted supresión, or the retention term): what stays
//! and what goes.
//!
//! Goes: her names (→ «Persona anonimizada»), document number (→ `ANON-{id}`, unique), email,
//! phone, entity name, position and the sensitive (differential-approach) data; her account's
//! email, name and password (she can no longer sign in: the account is disabled, its sessions,
//! tokens, resets and pending email changes deleted); the names and emails she left in
//! nominations, invitations, pending registrations and changes of name.
//!
//! Stays: the participant row itself with her municipality, entity type and level (so every
//! count — enrolments, attendance, figures, reports — stays as it was), her enrolments,
//! attendance and scores, her consents (proof of what she authorized and when she asked), the
//! data requests, and the certificates already issued: a certificate copies the holder's name
//! and document at issue (`certificates.full_name`), so it stays verifiable with the name it
//! carries.

use crate::audit::{self, Change};
use crate::entities::{
    api_token, email_change, enrolment_invitation, name_change, nomination, participant,
    password_reset, registration_confirmation, session, user,
};
use crate::error::AppResult;
use crate::rows::Found;
use crate::time::now;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

/// The first names an anonymised person carries.
pub const FIRST_NAMES: &str = "Persona";
/// Her last names.
pub const LAST_NAMES: &str = "anonimizada";

/// Why a person was anonymised, as the audit row says.
#[derive(Clone, Copy, Debug)]
pub enum Why {
    /// Data request `id` (supresión) accepted.
    Request(i32),
    /// No activity for this many years.
    Retention(u32),
}

/// A person anonymised (`participant.anonymised`): why, never what was erased.
#[derive(Serialize)]
struct Anonymised {
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_request_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    years_without_activity: Option<u32>,
}

/// Anonymises person `participant_id` in the caller's transaction (see the module). A person
/// already anonymised is left as she is (false).
pub async fn anonymise<C: ConnectionTrait>(
    txn: &C,
    actor: Option<i32>,
    participant_id: i32,
    why: Why,
) -> AppResult<bool> {
    let person = participant::Entity::find_by_id(participant_id)
        .found(txn)
        .await?;
    if person.anonymised_at.is_some() {
        return Ok(false);
    }
    let at = now();
    let mut row: participant::ActiveModel = person.clone().into();
    row.first_names = Set(FIRST_NAMES.into());
    row.last_names = Set(LAST_NAMES.into());
    row.document_number = Set(format!("ANON-{}", person.id));
    row.email = Set(None);
    row.phone = Set(None);
    row.entity_name = Set(None);
    row.position = Set(None);
    row.sex = Set(None);
    row.ethnic_group = Set(None);
    row.has_disability = Set(None);
    row.is_conflict_victim = Set(None);
    row.anonymised_at = Set(Some(at));
    row.updated_at = Set(at);
    row.update(txn).await?;

    if let Some(account) = person.user_id {
        user::Entity::update_many()
            .col_expr(
                user::Column::Email,
                Expr::value(format!("anonimizada-{account}@anonimizada.invalid")),
            )
            .col_expr(
                user::Column::FullName,
                Expr::value(format!("{FIRST_NAMES} {LAST_NAMES}")),
            )
            // Not a hash any password can match.
            .col_expr(user::Column::PasswordHash, Expr::value("!anonimizada"))
            .col_expr(user::Column::Active, Expr::value(false))
            .col_expr(user::Column::UpdatedAt, Expr::value(at))
            .filter(user::Column::Id.eq(account))
            .exec(txn)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(account))
            .exec(txn)
            .await?;
        api_token::Entity::delete_many()
            .filter(api_token::Column::UserId.eq(account))
            .exec(txn)
            .await?;
        password_reset::Entity::delete_many()
            .filter(password_reset::Column::UserId.eq(account))
            .exec(txn)
            .await?;
        email_change::Entity::delete_many()
            .filter(email_change::Column::UserId.eq(account))
            .exec(txn)
            .await?;
    }
    name_change::Entity::delete_many()
        .filter(name_change::Column::ParticipantId.eq(person.id))
        .exec(txn)
        .await?;
    registration_confirmation::Entity::delete_many()
        .filter(registration_confirmation::Column::ParticipantId.eq(person.id))
        .exec(txn)
        .await?;
    nomination::Entity::update_many()
        .col_expr(nomination::Column::FirstNames, Expr::value(FIRST_NAMES))
        .col_expr(nomination::Column::LastNames, Expr::value(LAST_NAMES))
        .col_expr(
            nomination::Column::DocumentNumber,
            Expr::value(format!("ANON-{}", person.id)),
        )
        .col_expr(nomination::Column::Email, Expr::value(""))
        .filter(nomination::Column::ParticipantId.eq(person.id))
        .exec(txn)
        .await?;
    enrolment_invitation::Entity::update_many()
        .col_expr(
            enrolment_invitation::Column::Named,
            Expr::value(format!("{FIRST_NAMES} {LAST_NAMES}")),
        )
        .filter(enrolment_invitation::Column::ParticipantId.eq(person.id))
        .exec(txn)
        .await?;
    // What was erased is not written into the log: only that it was.
    let (action, after) = match why {
        Why::Request(id) => (
            "participant.anonymised",
            serde_json::to_value(Anonymised {
                reason: "supresion",
                data_request_id: Some(id),
                years_without_activity: None,
            }),
        ),
        Why::Retention(years) => (
            "participant.anonymised",
            serde_json::to_value(Anonymised {
                reason: "retention",
                data_request_id: None,
                years_without_activity: Some(years),
            }),
        ),
    };
    audit::record(
        txn,
        Change {
            actor,
            action,
            subject_type: "participant",
            subject_id: person.id.to_string(),
            before: None,
            after: after.ok(),
        },
    )
    .await?;
    Ok(true)
}
