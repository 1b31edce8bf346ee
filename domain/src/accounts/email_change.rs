//! A change of an account's email takes effect only when the new address confirms it
//! (issue 30).
//!
//! A staff correction of a participant's email (see `people::correction`) used to move the
//! account at once: a coordinator could type a mailbox of their own, ask for a password reset
//! and sign in as the person. Now the correction stores a pending change and emails a
//! single-use link (48 h) to the new address; the old address is told at once. Following the
//! link (a page with a button, so a mail scanner opening it changes nothing) moves the account
//! and the participant record to the new address in one transaction, ends every session and
//! API token of the person, spends every outstanding reset link and pending change, is
//! audited, and tells the old address again. Until then, the account signs in and receives
//! mail at the old address.

use super::{normalize_email, secrets, sessions};
use crate::audit::{self, Change};
use crate::entities::{email_change, participant, password_reset, user};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Email, Notifier};
use crate::time::now;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::Serialize;
use serde_json::json;

/// How long the confirmation link works.
pub const VALID_HOURS: i64 = 48;

const INVALID_LINK: &str = "El enlace para confirmar el correo no es válido, ya fue usado o venció. Pida a la \
     coordinación que vuelva a corregir su correo.";

/// `ana.perez@alcaldia.gov.co` → `a***@alcaldia.gov.co`: enough for the owner to recognise
/// it, not enough to hand a stranger the address.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Stores a pending change of `account`'s email to `new_email` (already checked by the
/// caller), replacing any earlier pending one, and emails the link to the new address and a
/// notice to the old one. Run inside the caller's transaction.
pub async fn request<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    account: &user::Model,
    new_email: &str,
    requested_by: i32,
) -> AppResult<()> {
    let new_email = normalize_email(new_email);
    spend_pending(db, account.id).await?;
    let token = secrets::random_token();
    let at = now();
    let row = email_change::ActiveModel {
        token_hash: Set(secrets::token_hash(&token)),
        user_id: Set(account.id),
        new_email: Set(new_email.clone()),
        requested_by: Set(Some(requested_by)),
        created_at: Set(at),
        expires_at: Set(at + Duration::hours(VALID_HOURS)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let confirm_url = format!(
        "{}/correo/confirmar/{token}",
        notifier.config.public_url.trim_end_matches('/')
    );
    let confirm = ConfirmEmail {
        full_name: &account.full_name,
        confirm_url,
        valid_hours: VALID_HOURS,
    };
    mail::enqueue(
        db,
        notifier,
        Email::of(new_email.clone(), &confirm)?.once(format!("correo-confirmar:{}", row.id)),
    )
    .await?;
    let notice = EmailChangeNotice {
        full_name: &account.full_name,
        new_email: mask_email(&new_email),
        done: false,
    };
    mail::enqueue(
        db,
        notifier,
        Email::of(account.email.clone(), &notice)?.once(format!("correo-aviso:{}", row.id)),
    )
    .await?;
    Ok(())
}

/// The pending change a link names, if it can still be used.
async fn usable<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<email_change::Model>> {
    Ok(email_change::Entity::find()
        .filter(email_change::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now()))
}

/// The new address (masked) a link would confirm, for the page; `None` when the link is spent,
/// expired or unknown.
pub async fn pending_for_link(db: &DatabaseConnection, token: &str) -> AppResult<Option<String>> {
    Ok(usable(db, token).await?.map(|r| mask_email(&r.new_email)))
}

/// Follows a confirmation link (see the module's description). 409 when the link is spent,
/// expired or unknown, or when the address got an account meanwhile.
pub async fn confirm(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    token: &str,
) -> AppResult<user::Model> {
    let txn = crate::db::begin(db).await?;
    let row = usable(&txn, token)
        .await?
        .ok_or_else(|| AppError::Conflict(INVALID_LINK.into()))?;
    let spent = email_change::Entity::update_many()
        .col_expr(email_change::Column::UsedAt, Expr::value(now()))
        .filter(email_change::Column::Id.eq(row.id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(AppError::Conflict(INVALID_LINK.into()));
    }
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(row.new_email.as_str()))
        .filter(user::Column::Id.ne(row.user_id))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(AppError::Conflict(
            "Ya existe otra cuenta con ese correo electrónico: el cambio no se aplicó. \
             Escriba a la coordinación."
                .into(),
        ));
    }
    let account = super::find(&txn, row.user_id).await?;
    let old_email = account.email.clone();
    let mut model: user::ActiveModel = account.into();
    model.email = Set(row.new_email.clone());
    model.updated_at = Set(now());
    let updated = model.update(&txn).await?;
    participant::Entity::update_many()
        .col_expr(
            participant::Column::Email,
            Expr::value(row.new_email.as_str()),
        )
        .col_expr(participant::Column::UpdatedAt, Expr::value(now()))
        .filter(participant::Column::UserId.eq(updated.id))
        .exec(&txn)
        .await?;
    end_access(&txn, updated.id).await?;
    audit::record(
        &txn,
        Change {
            actor: Some(updated.id),
            action: "user.email_changed",
            subject_type: "user",
            subject_id: updated.id.to_string(),
            before: Some(json!({"email": old_email})),
            after: Some(json!({"email": updated.email, "requested_by": row.requested_by})),
        },
    )
    .await?;
    let notice = EmailChangeNotice {
        full_name: &updated.full_name,
        new_email: mask_email(&updated.email),
        done: true,
    };
    mail::enqueue(
        &txn,
        notifier,
        Email::of(old_email, &notice)?.once(format!("correo-cambiado:{}", row.id)),
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Ends everything that lets somebody act as this account without its password: browser
/// sessions, API tokens, outstanding password-reset links and pending email changes.
pub async fn end_access<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<()> {
    sessions::end_all(db, user_id).await?;
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now()))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    spend_pending(db, user_id).await
}

/// Spends every pending email change of an account.
async fn spend_pending<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<()> {
    email_change::Entity::update_many()
        .col_expr(email_change::Column::UsedAt, Expr::value(now()))
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The link to the new address.
#[derive(Serialize)]
struct ConfirmEmail<'a> {
    full_name: &'a str,
    confirm_url: String,
    valid_hours: i64,
}

impl mail::Message for ConfirmEmail<'_> {
    const TEMPLATE: &'static str = "email_change_confirm";
    fn subject(&self) -> String {
        "Confirme su nuevo correo en Aula Territorial".into()
    }
}

/// To the old address: a change was asked for (`done: false`) or made (`done: true`).
#[derive(Serialize)]
struct EmailChangeNotice<'a> {
    full_name: &'a str,
    new_email: String,
    done: bool,
}

impl mail::Message for EmailChangeNotice<'_> {
    const TEMPLATE: &'static str = "email_change_notice";
    fn subject(&self) -> String {
        if self.done {
            "El correo de su cuenta en Aula Territorial cambió".into()
        } else {
            "Se pidió cambiar el correo de su cuenta en Aula Territorial".into()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(
            super::mask_email("ana.perez@alcaldia.gov.co"),
            "a***@alcaldia.gov.co"
        );
        assert_eq!(super::mask_email("sin-arroba"), "***");
    }
}
