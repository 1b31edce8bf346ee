//! Password reset by an emailed, single-use, expiring link.

use super::{passwords, secrets, throttle};
use crate::audit::{self, Change};
use crate::entities::{password_reset, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::mail::{self, Email};
use crate::time::now;
use crate::validate::normalize_email;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub const VALID_MINUTES: i64 = 60;
/// Reset emails one address may receive: three, then one an hour at most (no mail bombing).
const MAX_REQUESTS: throttle::Limit = throttle::Limit::fixed(3, 60);

/// Emails a reset link when the address belongs to an active account. Says nothing either way
/// (the page shows the same message), so nobody can find out who has an account. Requests are
/// throttled per client address (429 with the wait, whatever the email) and each recipient
/// gets at most three links an hour (beyond it nothing is sent, the answer stays the same).
pub async fn request(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    email: &str,
    address: Option<std::net::IpAddr>,
) -> AppResult<()> {
    let address_key = format!("restablecer-ip:{}", throttle::address_key(address));
    throttle::check(db, &[&address_key]).await?;
    let email = normalize_email(email);
    let key = format!("restablecer:{email}");
    crate::db::write(db, async |txn| {
        throttle::record_failure(txn, &address_key, throttle::RESETS_PER_ADDRESS).await?;
        if throttle::check(txn, &[&key]).await.is_err() {
            return Ok(());
        }
        throttle::record_failure(txn, &key, MAX_REQUESTS).await?;
        let account = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .filter(user::Column::Active.eq(true))
            .one(txn)
            .await?;
        if let Some(account) = account {
            let token = secrets::random_token();
            let at = now();
            password_reset::ActiveModel {
                user_id: Set(account.id),
                token_hash: Set(secrets::token_hash(&token)),
                created_at: Set(at),
                expires_at: Set(at + Duration::minutes(VALID_MINUTES)),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            let reset_url = format!(
                "{}/contrasena/restablecer/{token}",
                notifier.config.public_url.trim_end_matches('/')
            );
            let message = PasswordReset {
                full_name: &account.full_name,
                reset_url,
                valid_minutes: VALID_MINUTES,
            };
            mail::enqueue(txn, notifier, Email::of(account.email.clone(), &message)?).await?;
        }
        Ok(())
    })
    .await
}

const INVALID_LINK: &str = "El enlace para restablecer la contraseña no es válido, ya fue usado o expiró. Solicite uno nuevo.";

/// Whether a reset link can still be used (for showing the form).
pub async fn is_usable(db: &DatabaseConnection, token: &str) -> AppResult<bool> {
    let row = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(db)
        .await?;
    Ok(row.is_some_and(|r| r.used_at.is_none() && r.expires_at > now()))
}

/// Sets the new password and spends the link, in one transaction: a link works once, even
/// when two requests race for it, and the new password spends every other link of the account
/// (`accounts::set_password`), so an older link cannot be used after a newer one was. Every session and API token of the person ends. The
/// password is hashed before the transaction opens, and only for a link that can still be
/// used (read first, and again inside the transaction).
pub async fn reset(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    confirmation: &str,
) -> AppResult<user::Model> {
    let mut errors = Vec::new();
    if let Err(message) = passwords::check_strength(password) {
        errors.push(FieldError::new("password", message));
    }
    if password != confirmation {
        errors.push(FieldError::new(
            "password_confirmation",
            "Las contraseñas no coinciden.",
        ));
    }
    if !is_usable(db, token).await? {
        return Err(AppError::Conflict(INVALID_LINK.into()));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let password = passwords::NewPassword::hash(password).await?;
    crate::db::write(db, async |txn| {
        let row = password_reset::Entity::find()
            .filter(password_reset::Column::TokenHash.eq(secrets::token_hash(token)))
            .one(txn)
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > now())
            .ok_or_else(|| AppError::Conflict(INVALID_LINK.into()))?;
        let spent = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(now()))
            .filter(password_reset::Column::Id.eq(row.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(AppError::Conflict(INVALID_LINK.into()));
        }
        let account = super::find(txn, row.user_id).await?;
        let updated = super::set_password(txn, account, &password).await?;
        audit::record(
            txn,
            Change {
                actor: Some(updated.id),
                action: "user.password_reset",
                subject_type: "user",
                subject_id: updated.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// The link to choose a new password.
#[derive(serde::Serialize)]
struct PasswordReset<'a> {
    full_name: &'a str,
    reset_url: String,
    valid_minutes: i64,
}

impl mail::Message for PasswordReset<'_> {
    const TEMPLATE: &'static str = "password_reset";
    fn subject(&self) -> String {
        "Restablezca su contraseña de Aula Territorial".into()
    }
}
