//! The liaison role passes from one official to the next (issue 48, item 4) without losing
//! the municipality's history: demands, nominations, acceptances and assistances belong to the
//! municipality, not to the account, so the next liaison reads all of it.
//!
//! An administrator names the next liaison ([`name_successor`]): a new account, inactive, and
//! an emailed, single-use link valid [`VALID_DAYS`] days. Nothing else changes until its owner
//! confirms ([`confirm`]): they choose their password, their account becomes active, and every
//! other active liaison account of the municipality is deactivated (its sessions and API
//! tokens end), in one transaction. An account moves only with its owner's confirmation, so an
//! address that already has an account is refused (the successor needs their own institutional
//! address), except an inactive liaison account of the same municipality (one a gobernación
//! proposed), which receives the link.

use crate::accounts::actor::Actor;
use crate::accounts::{self, NewUser, UserChanges, passwords, secrets};
use crate::audit::{self, Change};
use crate::entities::values::Role;
use crate::entities::{liaison_handover, municipality, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::rows::Found;
use crate::time::now;
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// Days the link of a named liaison stays valid.
pub const VALID_DAYS: i64 = 14;

const INVALID_LINK: &str = "El enlace para asumir el rol de enlace municipal no es válido, ya fue usado o venció. Pida a un administrador que lo envíe de nuevo.";

/// A liaison named and waiting for (or done with) their confirmation.
#[derive(Clone, Debug, Serialize)]
pub struct Named {
    pub id: i32,
    pub full_name: String,
    pub email: String,
    pub named_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub confirmed_on: Option<NaiveDate>,
    /// Not confirmed and past its expiry.
    pub expired: bool,
}

/// The municipality's liaison accounts as the handover page lists them to an administrator:
/// the active ones (the current liaisons).
#[derive(Clone, Debug, Serialize)]
pub struct Current {
    pub full_name: String,
    pub email: String,
}

/// What an administrator sees about the municipality's liaison: who holds it now and the
/// successors named, newest first.
#[derive(Clone, Debug, Serialize)]
pub struct LiaisonState {
    pub current: Vec<Current>,
    pub named: Vec<Named>,
}

/// The active liaisons of `code` and its named successors (for administrators).
pub async fn state<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<LiaisonState> {
    let current = active_liaisons(db, code, None)
        .await?
        .into_iter()
        .map(|u| Current {
            full_name: u.full_name,
            email: u.email,
        })
        .collect();
    let rows = liaison_handover::Entity::find()
        .filter(liaison_handover::Column::MunicipalityCode.eq(code))
        .order_by_desc(liaison_handover::Column::CreatedAt)
        .order_by_desc(liaison_handover::Column::Id)
        .all(db)
        .await?;
    let mut named = Vec::with_capacity(rows.len());
    let at = now();
    for row in rows {
        let account = accounts::find(db, row.new_user_id).await?;
        named.push(Named {
            id: row.id,
            full_name: account.full_name,
            email: account.email,
            named_on: crate::time::local(row.created_at).date_naive(),
            expires_on: crate::time::local(row.expires_at).date_naive(),
            confirmed_on: row.confirmed_at.map(|t| crate::time::local(t).date_naive()),
            expired: row.confirmed_at.is_none() && row.expires_at <= at,
        });
    }
    Ok(LiaisonState { current, named })
}

async fn active_liaisons<C: ConnectionTrait>(
    db: &C,
    code: &str,
    except: Option<i32>,
) -> AppResult<Vec<user::Model>> {
    let mut select = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Liaison))
        .filter(user::Column::MunicipalityCode.eq(code))
        .filter(user::Column::Active.eq(true));
    if let Some(id) = except {
        select = select.filter(user::Column::Id.ne(id));
    }
    Ok(select.order_by_asc(user::Column::Id).all(db).await?)
}

/// A successor liaison named for a municipality (`liaison.named`).
#[derive(Serialize)]
struct NamedAudit<'a> {
    municipality_code: &'a str,
    handover_id: i32,
}

/// An administrator names the next liaison of municipality `code`: checked first (422 with
/// every problem; nothing written), then, in one transaction, the inactive account, the
/// handover row, its audit entry and the email with the link. Only administrators (403).
/// `password` is a random one hashed before the transaction (nobody knows it; the successor
/// chooses theirs on confirming): pass `NewPassword::hash(&secrets::random_hex())`.
pub async fn name_successor(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    admin: &Actor,
    code: &str,
    email: &str,
    full_name: &str,
    password: passwords::NewPassword,
) -> AppResult<Named> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let place = municipality::Entity::find_by_id(code.to_string())
        .found(db)
        .await?;
    let mut errors = Vec::new();
    let email = accounts::normalize_email(email);
    if !accounts::is_valid_email(&email) {
        errors.push(FieldError::new(
            "email",
            "Escriba un correo electrónico válido.",
        ));
    }
    let name = accounts::full_name_of(full_name, &mut errors);
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let reusable = match existing {
        Some(account)
            if account.role == Role::Liaison
                && !account.active
                && account.municipality_code.as_deref() == Some(place.code.as_str()) =>
        {
            Some(account)
        }
        Some(account)
            if account.role == Role::Liaison
                && account.active
                && account.municipality_code.as_deref() == Some(place.code.as_str()) =>
        {
            errors.push(FieldError::new(
                "email",
                "Esa persona ya es enlace activo de este municipio.",
            ));
            None
        }
        Some(account) => {
            errors.push(FieldError::new(
                "email",
                format!(
                    "Ese correo ya tiene una cuenta en Aula Territorial (rol {}). Una cuenta no \
                     cambia de rol sin su dueño: escriba el correo institucional del nuevo enlace.",
                    account.role.label().to_lowercase()
                ),
            ));
            None
        }
        None => None,
    };
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let department_name = crate::territory::department_name(db, &place.department_code).await?;
    crate::db::write(db, async |txn| {
        let account = match reusable {
            Some(account) => account,
            None => {
                let created = accounts::create_user(
                    txn,
                    NewUser {
                        email: email.clone(),
                        password,
                        full_name: name,
                        role: Role::Liaison,
                        department_code: None,
                        municipality_code: Some(place.code.clone()),
                        territorial_direction_id: None,
                        provider_id: None,
                    },
                )
                .await?;
                let mut model: user::ActiveModel = created.into();
                model.active = Set(false);
                model.update(txn).await?
            }
        };
        let token = secrets::random_token();
        let at = now();
        let row = liaison_handover::ActiveModel {
            municipality_code: Set(place.code.clone()),
            new_user_id: Set(account.id),
            named_by: Set(Some(admin.id)),
            token_hash: Set(secrets::token_hash(&token)),
            created_at: Set(at),
            expires_at: Set(at + Duration::days(VALID_DAYS)),
            confirmed_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let confirm_url = format!(
            "{}/enlace/asumir/{token}",
            notifier.config.public_url.trim_end_matches('/')
        );
        let message = LiaisonHandover {
            full_name: &account.full_name,
            municipality_name: &place.name,
            department_name: &department_name,
            confirm_url,
            valid_days: VALID_DAYS,
        };
        mail::enqueue(txn, notifier, Email::of(account.email.clone(), &message)?).await?;
        audit::record(
            txn,
            Change {
                actor: Some(admin.id),
                action: "liaison.named",
                subject_type: "user",
                subject_id: account.id.to_string(),
                before: None,
                after: serde_json::to_value(NamedAudit {
                    municipality_code: &place.code,
                    handover_id: row.id,
                })
                .ok(),
            },
        )
        .await?;
        Ok(Named {
            id: row.id,
            full_name: account.full_name,
            email: account.email,
            named_on: crate::time::local(row.created_at).date_naive(),
            expires_on: crate::time::local(row.expires_at).date_naive(),
            confirmed_on: None,
            expired: false,
        })
    })
    .await
}

/// What the confirmation page shows before the successor commits: who they are, the
/// municipality, and whose accounts will be deactivated.
#[derive(Clone, Debug, Serialize)]
pub struct Pending {
    pub full_name: String,
    pub email: String,
    pub municipality_name: String,
    pub department_name: String,
    /// The liaisons whose accounts end when this one is confirmed.
    pub outgoing: Vec<String>,
}

async fn usable_row<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> AppResult<Option<liaison_handover::Model>> {
    Ok(liaison_handover::Entity::find()
        .filter(liaison_handover::Column::TokenHash.eq(secrets::token_hash(token)))
        .one(db)
        .await?
        .filter(|r| r.confirmed_at.is_none() && r.expires_at > now()))
}

/// The pending passing of link `token`, if it can still be used.
pub async fn pending<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<Pending>> {
    let Some(row) = usable_row(db, token).await? else {
        return Ok(None);
    };
    let account = accounts::find(db, row.new_user_id).await?;
    let place = municipality::Entity::find_by_id(row.municipality_code.clone())
        .found(db)
        .await?;
    Ok(Some(Pending {
        full_name: account.full_name,
        email: account.email,
        department_name: crate::territory::department_name(db, &place.department_code).await?,
        municipality_name: place.name,
        outgoing: active_liaisons(db, &row.municipality_code, Some(row.new_user_id))
            .await?
            .into_iter()
            .map(|u| u.full_name)
            .collect(),
    }))
}

/// A successor who confirmed, and the liaisons that left with it (`liaison.confirmed`).
#[derive(Serialize)]
struct Confirmed<'a> {
    municipality_code: &'a str,
    handover_id: i32,
    deactivated: Vec<i32>,
}

/// The successor confirms through link `token`: chooses a password (422: weak, or not
/// repeated the same; nothing changes), and in one transaction the link is spent, the account
/// gets the password and becomes active, and every other active liaison account of the
/// municipality is deactivated (audited as the administrators' deactivations are; their
/// sessions end). A link used, expired or unknown is a 409.
pub async fn confirm(
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
    if usable_row(db, token).await?.is_none() {
        return Err(AppError::Conflict(INVALID_LINK.into()));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let password = passwords::NewPassword::hash(password).await?;
    crate::db::write(db, async |txn| {
        let row = usable_row(txn, token)
            .await?
            .ok_or_else(|| AppError::Conflict(INVALID_LINK.into()))?;
        let spent = liaison_handover::Entity::update_many()
            .col_expr(liaison_handover::Column::ConfirmedAt, Expr::value(now()))
            .filter(liaison_handover::Column::Id.eq(row.id))
            .filter(liaison_handover::Column::ConfirmedAt.is_null())
            .exec(txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(AppError::Conflict(INVALID_LINK.into()));
        }
        let account = accounts::find(txn, row.new_user_id).await?;
        let account = accounts::set_password(txn, account, &password).await?;
        let mut model: user::ActiveModel = account.into();
        model.active = Set(true);
        model.updated_at = Set(now());
        let account = model.update(txn).await?;
        let outgoing = active_liaisons(txn, &row.municipality_code, Some(account.id)).await?;
        for old in &outgoing {
            accounts::update_user(
                txn,
                account.id,
                old.id,
                UserChanges {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .await?;
        }
        audit::record(
            txn,
            Change {
                actor: Some(account.id),
                action: "liaison.confirmed",
                subject_type: "user",
                subject_id: account.id.to_string(),
                before: None,
                after: serde_json::to_value(Confirmed {
                    municipality_code: &row.municipality_code,
                    handover_id: row.id,
                    deactivated: outgoing.iter().map(|u| u.id).collect(),
                })
                .ok(),
            },
        )
        .await?;
        Ok(account)
    })
    .await
}

/// The link that lets the named official take the role.
#[derive(Serialize)]
struct LiaisonHandover<'a> {
    full_name: &'a str,
    municipality_name: &'a str,
    department_name: &'a str,
    confirm_url: String,
    valid_days: i64,
}

impl mail::Message for LiaisonHandover<'_> {
    const TEMPLATE: &'static str = "liaison_handover";
    fn subject(&self) -> String {
        format!(
            "Usted es el nuevo enlace municipal de {} en Aula Territorial",
            self.municipality_name
        )
    }
}
