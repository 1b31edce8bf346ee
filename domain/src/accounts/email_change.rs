//! A change of an account's sign-in email takes effect only when the new address confirms it
//! (issue 30), and only the owner asks for it (issue 46).
//!
//! A staff correction used to move the account (at once, then through this confirmation sent
//! to an address the coordinator chose): a coordinator could type a mailbox of their own, ask
//! for a password reset and sign in as the person. A correction now never changes a sign-in
//! email (`people::correction`); the person changes hers on «Mi perfil», and that change is
//! stored here as pending, with a single-use link (48 h) emailed to the new address. The old
//! address is told at once, with a link that undoes the change for a week
//! ([`undo`]), so a stolen session does not become a stolen account.
//!
//! Following the confirmation link (a page with a button, so a mail scanner opening it changes
//! nothing) moves the account and the participant record to the new address in one
//! transaction, ends every session and API token of the person, spends every outstanding reset
//! link and pending change, is audited, and tells the old address again, with a fresh undo
//! link. Until then, the account signs in and receives mail at the old address. Undoing, even
//! after the confirmation, restores the old address and ends every way in again.

use super::{secrets, sessions};
use crate::audit::{self, Change};
use crate::entities::{email_change, email_change_undo, participant, password_reset, user};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Email, Notifier};
use crate::time::now;
use crate::validate::normalize_email;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::Serialize;

/// How long the confirmation link works.
pub const VALID_HOURS: i64 = 48;

/// How long the link that undoes a change works, from when it is sent.
pub const UNDO_DAYS: i64 = 7;

const INVALID_LINK: &str = "El enlace para confirmar el correo no es válido, ya fue usado o venció. Si aún \
     quiere cambiarlo, pídalo de nuevo desde «Mi perfil».";

const INVALID_UNDO: &str = "El enlace para deshacer el cambio de correo no es válido, ya fue usado o venció \
     (sirve una semana). Si alguien más tomó su cuenta, escriba a la mesa de ayuda de la ESAP.";

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

/// An account's email before a change (`user.email_change_requested`, `user.email_changed`,
/// `user.email_change_undone`).
#[derive(Serialize)]
struct EmailWas<'a> {
    email: &'a str,
}

/// The address a change was asked for.
#[derive(Serialize)]
struct Requested<'a> {
    new_email: &'a str,
    email_change_id: i32,
}

/// The address confirmed, and who asked for it.
#[derive(Serialize)]
struct Changed<'a> {
    email: &'a str,
    requested_by: Option<i32>,
}

/// The address given back by the undo link, and the change it undid.
#[derive(Serialize)]
struct Undone<'a> {
    email: &'a str,
    email_change_id: i32,
}

/// Stores a pending change of `account`'s email to `new_email` (already checked by the
/// caller), replacing any earlier pending one, and emails the link to the new address and a
/// notice to the old one with the link that undoes it. Run inside the caller's transaction.
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
    let undo_url = undo_link(db, notifier, &row, &account.email).await?;
    audit::record(
        db,
        Change {
            actor: Some(requested_by),
            action: "user.email_change_requested",
            subject_type: "user",
            subject_id: account.id.to_string(),
            before: serde_json::to_value(EmailWas {
                email: &account.email,
            })
            .ok(),
            after: serde_json::to_value(Requested {
                new_email: &new_email,
                email_change_id: row.id,
            })
            .ok(),
        },
    )
    .await?;
    let notice = EmailChangeNotice {
        full_name: &account.full_name,
        new_email: mask_email(&new_email),
        done: false,
        undo_url,
        undo_days: UNDO_DAYS,
    };
    mail::enqueue(
        db,
        notifier,
        Email::of(account.email.clone(), &notice)?.once(format!("correo-aviso:{}", row.id)),
    )
    .await?;
    Ok(())
}

/// A new link that undoes the change `row`, restoring `restore_email`, valid [`UNDO_DAYS`]
/// days: its URL (only its hash is stored).
async fn undo_link<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    row: &email_change::Model,
    restore_email: &str,
) -> AppResult<String> {
    let token = secrets::random_token();
    let at = now();
    email_change_undo::ActiveModel {
        token_hash: Set(secrets::token_hash(&token)),
        email_change_id: Set(row.id),
        user_id: Set(row.user_id),
        restore_email: Set(restore_email.to_string()),
        created_at: Set(at),
        expires_at: Set(at + Duration::days(UNDO_DAYS)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(format!(
        "{}/correo/deshacer/{token}",
        notifier.config.public_url.trim_end_matches('/')
    ))
}

/// The change a user has asked for and not yet confirmed: its new address, for «Mi perfil».
pub async fn pending_of<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<Option<String>> {
    Ok(email_change::Entity::find()
        .filter(email_change::Column::UserId.eq(user_id))
        .filter(email_change::Column::UsedAt.is_null())
        .filter(email_change::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .map(|r| r.new_email))
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
    crate::db::write(db, async |txn| {
        let row = usable(txn, token)
            .await?
            .ok_or_else(|| AppError::Conflict(INVALID_LINK.into()))?;
        let spent = email_change::Entity::update_many()
            .col_expr(email_change::Column::UsedAt, Expr::value(now()))
            .filter(email_change::Column::Id.eq(row.id))
            .filter(email_change::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(AppError::Conflict(INVALID_LINK.into()));
        }
        let taken = user::Entity::find()
            .filter(user::Column::Email.eq(row.new_email.as_str()))
            .filter(user::Column::Id.ne(row.user_id))
            .count(txn)
            .await?;
        if taken > 0 {
            return Err(AppError::Conflict(
                "Ya existe otra cuenta con ese correo electrónico: el cambio no se aplicó. \
                 Escriba a la coordinación."
                    .into(),
            ));
        }
        let account = super::find(txn, row.user_id).await?;
        let old_email = account.email.clone();
        let mut model: user::ActiveModel = account.into();
        model.email = Set(row.new_email.clone());
        model.updated_at = Set(now());
        let updated = model.update(txn).await?;
        participant::Entity::update_many()
            .col_expr(
                participant::Column::Email,
                Expr::value(row.new_email.as_str()),
            )
            .col_expr(participant::Column::UpdatedAt, Expr::value(now()))
            .filter(participant::Column::UserId.eq(updated.id))
            .exec(txn)
            .await?;
        end_access(txn, updated.id).await?;
        let undo_url = undo_link(txn, notifier, &row, &old_email).await?;
        audit::record(
            txn,
            Change {
                actor: Some(updated.id),
                action: "user.email_changed",
                subject_type: "user",
                subject_id: updated.id.to_string(),
                before: serde_json::to_value(EmailWas { email: &old_email }).ok(),
                after: serde_json::to_value(Changed {
                    email: &updated.email,
                    requested_by: row.requested_by,
                })
                .ok(),
            },
        )
        .await?;
        let notice = EmailChangeNotice {
            full_name: &updated.full_name,
            new_email: mask_email(&updated.email),
            done: true,
            undo_url,
            undo_days: UNDO_DAYS,
        };
        mail::enqueue(
            txn,
            notifier,
            Email::of(old_email, &notice)?.once(format!("correo-cambiado:{}", row.id)),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// The undo link a token names, if it can still be used.
async fn usable_undo<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<email_change_undo::Model>> {
    Ok(email_change_undo::Entity::find()
        .filter(email_change_undo::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now()))
}

/// The address (masked) an undo link would restore, for its page; `None` when the link is
/// spent, expired or unknown.
pub async fn undo_for_link(db: &DatabaseConnection, token: &str) -> AppResult<Option<String>> {
    Ok(usable_undo(db, token)
        .await?
        .map(|r| mask_email(&r.restore_email)))
}

/// Follows a link that undoes a change of email, sent to the old address: the account and the
/// participant record get that address back (when the change was confirmed), every session,
/// API token, reset link and pending change of the account ends, every other undo link of the
/// account is spent, and it is audited (`user.email_change_undone`). The restored address is
/// told. 409 when the link is spent, expired or unknown, or when another account took the old
/// address meanwhile.
pub async fn undo(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    token: &str,
) -> AppResult<user::Model> {
    crate::db::write(db, async |txn| {
        let row = usable_undo(txn, token)
            .await?
            .ok_or_else(|| AppError::Conflict(INVALID_UNDO.into()))?;
        let spent = email_change_undo::Entity::update_many()
            .col_expr(email_change_undo::Column::UsedAt, Expr::value(now()))
            .filter(email_change_undo::Column::UserId.eq(row.user_id))
            .filter(email_change_undo::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if spent.rows_affected == 0 {
            return Err(AppError::Conflict(INVALID_UNDO.into()));
        }
        let account = super::find(txn, row.user_id).await?;
        let before = account.email.clone();
        let restored = if account.email != row.restore_email {
            let taken = user::Entity::find()
                .filter(user::Column::Email.eq(row.restore_email.as_str()))
                .filter(user::Column::Id.ne(account.id))
                .count(txn)
                .await?;
            if taken > 0 {
                return Err(AppError::Conflict(
                    "Otra cuenta usa ya su correo anterior: no pudimos devolverle la cuenta con este \
                     enlace. Escriba a la mesa de ayuda de la ESAP."
                        .into(),
                ));
            }
            let mut model: user::ActiveModel = account.into();
            model.email = Set(row.restore_email.clone());
            model.updated_at = Set(now());
            let updated = model.update(txn).await?;
            participant::Entity::update_many()
                .col_expr(
                    participant::Column::Email,
                    Expr::value(row.restore_email.as_str()),
                )
                .col_expr(participant::Column::UpdatedAt, Expr::value(now()))
                .filter(participant::Column::UserId.eq(updated.id))
                .exec(txn)
                .await?;
            updated
        } else {
            account
        };
        end_access(txn, restored.id).await?;
        audit::record(
            txn,
            Change {
                // Whoever holds the old address: the account's owner.
                actor: Some(restored.id),
                action: "user.email_change_undone",
                subject_type: "user",
                subject_id: restored.id.to_string(),
                before: serde_json::to_value(EmailWas { email: &before }).ok(),
                after: serde_json::to_value(Undone {
                    email: &restored.email,
                    email_change_id: row.email_change_id,
                })
                .ok(),
            },
        )
        .await?;
        let notice = EmailChangeUndone {
            full_name: &restored.full_name,
            email: &restored.email,
            reset_url: format!(
                "{}/contrasena/olvido",
                notifier.config.public_url.trim_end_matches('/')
            ),
        };
        mail::enqueue(
            txn,
            notifier,
            Email::of(restored.email.clone(), &notice)?.once(format!("correo-deshecho:{}", row.id)),
        )
        .await?;
        Ok(restored)
    })
    .await
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

/// To the old address: a change was asked for (`done: false`) or made (`done: true`), and the
/// link that undoes it.
#[derive(Serialize)]
struct EmailChangeNotice<'a> {
    full_name: &'a str,
    new_email: String,
    done: bool,
    undo_url: String,
    undo_days: i64,
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

/// To the restored address: the change was undone and every session ended.
#[derive(Serialize)]
struct EmailChangeUndone<'a> {
    full_name: &'a str,
    email: &'a str,
    reset_url: String,
}

impl mail::Message for EmailChangeUndone<'_> {
    const TEMPLATE: &'static str = "email_change_undone";
    fn subject(&self) -> String {
        "Deshicimos el cambio de correo de su cuenta en Aula Territorial".into()
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
