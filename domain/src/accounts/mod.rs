//! Accounts: users, roles, department scope, passwords.

pub mod actor;
pub mod demo;
pub mod email_change;
pub mod outbox;
pub mod password_reset;
pub mod passwords;
pub mod secrets;
pub mod sessions;
pub mod sign_in;
pub mod throttle;

use crate::audit::{self, Change};
use crate::entities::department;
use crate::entities::user;
use crate::entities::values::Role;
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

/// An account to create. Its password is hashed when the value is built
/// ([`passwords::NewPassword::hash`]), before the transaction that stores it opens.
pub struct NewUser {
    pub email: String,
    pub password: passwords::NewPassword,
    pub full_name: String,
    pub role: Role,
    pub department_code: Option<String>,
    /// A liaison's municipality (required for liaisons, refused for other roles).
    pub municipality_code: Option<String>,
    /// A coordinator's territorial direction (coordinators only; none = national).
    pub territorial_direction_id: Option<i32>,
    /// A coordinator's provider (coordinators only; none = ESAP).
    pub provider_id: Option<i32>,
}

/// Lower-cased and trimmed: emails are compared case-insensitively (the kernel's rule, which
/// every address typed anywhere goes through).
pub use crate::validate::normalize_email;

/// Whether a (normalised) address is one the mailer sends to: [`crate::validate::is_email`],
/// the one check of every stored address.
pub fn is_valid_email(email: &str) -> bool {
    crate::validate::is_email(email)
}

/// A user as the API and the admin pages show it (never the password hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: i32,
    #[schema(format = Email)]
    pub email: String,
    #[schema(example = "Jorge Iván Cuéllar")]
    pub full_name: String,
    pub role: Role,
    /// The role in Spanish, as people read it, naming whose it is for coordinators
    /// («Coordinación · DNP», «Coordinación · ESAP Dirección Territorial Meta»).
    #[schema(example = "Coordinación · DNP")]
    pub role_label: String,
    /// A reviewer's department (DANE code); `null` for other roles.
    pub department_code: Option<String>,
    /// A liaison's municipality (DANE code); `null` for other roles.
    pub municipality_code: Option<String>,
    /// A coordinator's territorial direction; `null` = national (and for other roles).
    pub territorial_direction_id: Option<i32>,
    /// A coordinator's provider; `null` = ESAP (and for other roles).
    pub provider_id: Option<i32>,
    /// Inactive accounts cannot sign in.
    pub active: bool,
}

impl From<user::Model> for UserView {
    fn from(model: user::Model) -> Self {
        UserView {
            id: model.id,
            email: model.email,
            full_name: model.full_name,
            role: model.role,
            role_label: model.role.label().to_string(),
            department_code: model.department_code,
            municipality_code: model.municipality_code,
            territorial_direction_id: model.territorial_direction_id,
            provider_id: model.provider_id,
            active: model.active,
        }
    }
}

/// The role as the page header and the API name it: a coordinator with their provider's short
/// name (and territorial direction, if any) — «Coordinación · DNP», «Coordinación · ESAP
/// Dirección Territorial Meta» —, every other role by its name.
pub fn role_label(role: Role, provider: Option<&str>, direction: Option<&str>) -> String {
    match (role, provider) {
        (Role::Coordinator, Some(provider)) => {
            let provider = crate::providers::short_name(provider);
            match direction {
                Some(direction) => format!("Coordinación · {provider} {direction}"),
                None => format!("Coordinación · {provider}"),
            }
        }
        _ => role.label().to_string(),
    }
}

/// The accounts as the API shows them, each role labelled with whose it is (the providers and
/// directions are read once, and only when there is a coordinator).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    models: Vec<user::Model>,
) -> AppResult<Vec<UserView>> {
    let any_coordinator = models.iter().any(|m| m.role == Role::Coordinator);
    let (providers, directions) = if any_coordinator {
        (
            crate::providers::names(db).await?,
            crate::territory::directions::list(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
        )
    } else {
        (
            std::collections::HashMap::new(),
            std::collections::HashMap::new(),
        )
    };
    Ok(models
        .into_iter()
        .map(|model| {
            let label = role_label(
                model.role,
                providers
                    .get(&model.provider_id.unwrap_or(crate::providers::ESAP))
                    .map(|p| p.name.as_str()),
                model
                    .territorial_direction_id
                    .and_then(|id| directions.get(&id))
                    .map(String::as_str),
            );
            UserView {
                role_label: label,
                ..UserView::from(model)
            }
        })
        .collect())
}

/// One account as the API shows it ([`views`]).
pub async fn view<C: ConnectionTrait>(db: &C, model: user::Model) -> AppResult<UserView> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<user::Model> {
    user::Entity::find_by_id(id).found(db).await
}

/// The names of these accounts, by id (an id of no account has none).
pub async fn names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<std::collections::HashMap<i32, String>> {
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all_mapped(db, |u| (u.id, u.full_name))
        .await?)
}

/// The account with this email (normalised as accounts store it), if any.
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

/// The active instructors, by name (those a cohort may be given).
pub async fn active_instructors<C: ConnectionTrait>(db: &C) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Instructor))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::FullName)
        .all(db)
        .await?)
}

/// Users by role and text (email or name), newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    role: Option<Role>,
    text: Option<&str>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<UserView>, u64)> {
    let mut query = user::Entity::find().order_by_desc(user::Column::Id);
    if let Some(role) = role {
        query = query.filter(user::Column::Role.eq(role));
    }
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(user::Column::Email.contains(text.to_lowercase()))
                .add(user::Column::FullName.contains(text)),
        );
    }
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = views(db, paginator.fetch_page(page.saturating_sub(1)).await?).await?;
    Ok((items, total))
}

fn check_department_for_role(role: Role, department: Option<&str>, errors: &mut Vec<FieldError>) {
    match (role, department) {
        (Role::Reviewer, None) => errors.push(FieldError::new(
            "department_code",
            "Un revisor de gobernación debe tener un departamento.",
        )),
        (Role::Reviewer, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.push(FieldError::new(
            "department_code",
            "Solo los revisores de gobernación tienen departamento.",
        )),
    }
}

/// A liaison has a municipality that exists, and only a liaison has one; only a coordinator
/// has a territorial direction, and it exists.
async fn check_territory<C: ConnectionTrait>(
    db: &C,
    role: Role,
    municipality_code: Option<&str>,
    direction: Option<i32>,
    provider: Option<i32>,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    match (role, municipality_code) {
        (Role::Liaison, None) => errors.push(FieldError::new(
            "municipality_code",
            "Un enlace municipal debe tener su municipio (código DANE).",
        )),
        (Role::Liaison, Some(code)) => {
            if crate::entities::municipality::Entity::find_by_id(code.to_string())
                .one(db)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "municipality_code",
                    format!("No existe un municipio con el código DANE «{code}»."),
                ));
            }
        }
        (_, None) => {}
        (_, Some(_)) => errors.push(FieldError::new(
            "municipality_code",
            "Solo los enlaces municipales tienen municipio.",
        )),
    }
    match (role, direction) {
        (_, None) => {}
        (Role::Coordinator, Some(id)) => {
            if crate::entities::territorial_direction::Entity::find_by_id(id)
                .one(db)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "territorial_direction_id",
                    "La dirección territorial no existe.",
                ));
            }
        }
        (_, Some(_)) => errors.push(FieldError::new(
            "territorial_direction_id",
            "Solo los coordinadores tienen dirección territorial.",
        )),
    }
    match (role, provider) {
        (_, None) => {}
        (Role::Coordinator, Some(id)) => {
            if let Err(AppError::Validation(mut refused)) =
                crate::providers::require_active(db, "provider_id", id).await
            {
                errors.append(&mut refused);
            } else if direction.is_some() {
                errors.push(FieldError::new(
                    "territorial_direction_id",
                    "Las direcciones territoriales son de la ESAP: un coordinador de otro oferente no tiene dirección.",
                ));
            }
        }
        (_, Some(_)) => errors.push(FieldError::new(
            "provider_id",
            "Solo los coordinadores pertenecen a un oferente.",
        )),
    }
    Ok(())
}

async fn check_department_exists<C: ConnectionTrait>(
    db: &C,
    department: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    if let Some(code) = department
        && department::Entity::find_by_id(code.to_string())
            .one(db)
            .await?
            .is_none()
    {
        errors.push(FieldError::new(
            "department_code",
            format!("No existe el departamento con código DANE «{code}»."),
        ));
    }
    Ok(())
}

/// `create_user` plus its audit entry (admin screens and API).
pub async fn create_user_audited<C: ConnectionTrait>(
    db: &C,
    actor: Option<i32>,
    new: NewUser,
) -> AppResult<user::Model> {
    let created = create_user(db, new).await?;
    audit::record(
        db,
        Change {
            actor,
            action: "user.created",
            subject_type: "user",
            subject_id: created.id.to_string(),
            before: None,
            after: Some(serde_json::to_value(UserView::from(created.clone())).unwrap_or_default()),
        },
    )
    .await?;
    Ok(created)
}

/// What a reviewer is told after proposing a liaison: only what they sent, checked and
/// normalised. It is the same whether the address already had an account or not, so a
/// proposal cannot be used to learn who has one (see [`propose_liaison`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = LiaisonProposalReceived)]
pub struct LiaisonProposal {
    /// Always `pending_review`: the administrators decide.
    #[schema(example = "pending_review")]
    pub status: &'static str,
    /// The (normalised) e-mail proposed.
    #[schema(example = "enlace.puertorico@example.org")]
    pub email: String,
    #[schema(example = "Yesica Paola Trujillo")]
    pub full_name: String,
    #[schema(example = "18592")]
    pub municipality_code: String,
    #[schema(
        example = "Propuesta enviada a los administradores: si corresponde, activarán a enlace.puertorico@example.org como enlace municipal de Puerto Rico."
    )]
    pub detail: String,
}

/// A liaison proposed whose email already has an account (`user.liaison_proposed_existing`).
#[derive(Serialize)]
struct ProposedExisting<'a> {
    proposed_name: &'a str,
    municipality_code: &'a str,
}

/// A gobernación reviewer proposes a liaison (enlace municipal) for a municipality of their
/// department (issue 16). The proposal is checked first (422 with every problem: the
/// municipality, the email's form, the name; nothing written). Then:
///
/// - a new address: the account is created inactive, with a random password nobody knows,
///   audited; every active administrator is emailed (`liaison_proposed`), activates it, and
///   the liaison then sets their password through «¿Olvidó su contraseña?»;
/// - an address that already has an account: nothing is created; the administrators are
///   emailed that it was proposed and already has an account, with its name, role and state
///   (`liaison_proposed_existing`), so they can change its role if it corresponds; audited.
///
/// Either way the reviewer gets the same [`LiaisonProposal`] (issue 30: the answer must not
/// tell whether the address has an account; what differs goes by email to the administrators,
/// as registration does). `password` is hashed before the transaction in both cases (argon2 is
/// CPU work): pass `NewPassword::hash(&secrets::random_hex())`.
pub async fn propose_liaison<C: ConnectionTrait>(
    db: &C,
    notifier: &crate::mail::Notifier<'_>,
    reviewer: &crate::accounts::actor::Actor,
    email: &str,
    full_name: &str,
    municipality_code: &str,
    password: passwords::NewPassword,
) -> AppResult<LiaisonProposal> {
    if reviewer.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let code = municipality_code.trim();
    let place = crate::entities::municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .filter(|m| Some(m.department_code.as_str()) == reviewer.department_code.as_deref());
    if code.is_empty() {
        errors.push(FieldError::new(
            "municipality_code",
            "Elija el municipio del enlace.",
        ));
    } else if place.is_none() {
        errors.push(FieldError::new(
            "municipality_code",
            "Solo puede proponer enlaces para los municipios de su departamento.",
        ));
    }
    let email = normalize_email(email);
    if !is_valid_email(&email) {
        errors.push(FieldError::new(
            "email",
            "Escriba un correo electrónico válido.",
        ));
    }
    let name = full_name_of(full_name, &mut errors);
    let (Some(place), Some(name), true) = (place, name, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let answer = LiaisonProposal {
        status: "pending_review",
        detail: format!(
            "Propuesta enviada a los administradores: si corresponde, activarán a {email} como \
             enlace municipal de {}.",
            place.name
        ),
        email: email.clone(),
        full_name: name.clone(),
        municipality_code: place.code.clone(),
    };
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?;
    if let Some(existing) = existing {
        // Told to the administrators only; the reviewer's answer is the same as for a new one.
        for admin in &admins {
            let message = LiaisonProposedExisting {
                full_name: &admin.full_name,
                proposer: &reviewer.full_name,
                proposed_name: &name,
                proposed_email: &existing.email,
                municipality: &place.name,
                account_name: &existing.full_name,
                account_role: existing.role.label(),
                account_active: existing.active,
            };
            let email = crate::mail::Email::of(admin.email.clone(), &message)?.once(format!(
                "liaison_proposed_existing:{}:{}:{}:{}",
                existing.id, place.code, reviewer.id, admin.id
            ));
            crate::mail::enqueue(db, notifier, email).await?;
        }
        audit::record(
            db,
            Change {
                actor: Some(reviewer.id),
                action: "user.liaison_proposed_existing",
                subject_type: "user",
                subject_id: existing.id.to_string(),
                before: None,
                after: serde_json::to_value(ProposedExisting {
                    proposed_name: &name,
                    municipality_code: &place.code,
                })
                .ok(),
            },
        )
        .await?;
        return Ok(answer);
    }
    let created = create_user(
        db,
        NewUser {
            email,
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
    let proposed = model.update(db).await?;
    // Every active administrator is told there is an account to review.
    for admin in &admins {
        let message = LiaisonProposed {
            full_name: &admin.full_name,
            proposer: &reviewer.full_name,
            proposed_name: &proposed.full_name,
            proposed_email: &proposed.email,
            municipality: &place.name,
        };
        let email = crate::mail::Email::of(admin.email.clone(), &message)?
            .once(format!("liaison_proposed:{}:{}", proposed.id, admin.id));
        crate::mail::enqueue(db, notifier, email).await?;
    }
    audit::record(
        db,
        Change {
            actor: Some(reviewer.id),
            action: "user.liaison_proposed",
            subject_type: "user",
            subject_id: proposed.id.to_string(),
            before: None,
            after: serde_json::to_value(UserView::from(proposed.clone())).ok(),
        },
    )
    .await?;
    Ok(answer)
}

/// To an administrator: a gobernación proposed as liaison an address that already has an
/// account (nothing was created; the reviewer was not told).
#[derive(Serialize)]
struct LiaisonProposedExisting<'a> {
    full_name: &'a str,
    proposer: &'a str,
    proposed_name: &'a str,
    proposed_email: &'a str,
    municipality: &'a str,
    account_name: &'a str,
    account_role: &'a str,
    account_active: bool,
}

impl crate::mail::Message for LiaisonProposedExisting<'_> {
    const TEMPLATE: &'static str = "liaison_proposed_existing";

    fn subject(&self) -> String {
        format!(
            "Enlace municipal propuesto para {}: el correo ya tiene una cuenta",
            self.municipality
        )
    }
}

/// To an administrator: a gobernación proposed a liaison whose account waits for activation.
#[derive(Serialize)]
struct LiaisonProposed<'a> {
    full_name: &'a str,
    proposer: &'a str,
    proposed_name: &'a str,
    proposed_email: &'a str,
    municipality: &'a str,
}

impl crate::mail::Message for LiaisonProposed<'_> {
    const TEMPLATE: &'static str = "liaison_proposed";

    fn subject(&self) -> String {
        format!(
            "Enlace municipal propuesto para {}: active la cuenta",
            self.municipality
        )
    }
}

/// What an admin may change on an account.
#[derive(Default)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub department_code: Option<Option<String>>,
    pub municipality_code: Option<Option<String>>,
    pub territorial_direction_id: Option<Option<i32>>,
    pub provider_id: Option<Option<i32>>,
    pub active: Option<bool>,
}

/// Applies an admin's changes, audited; deactivation also revokes the user's API tokens.
pub async fn update_user<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    id: i32,
    changes: UserChanges,
) -> AppResult<user::Model> {
    let current = find(db, id).await?;
    let role = changes.role.unwrap_or(current.role);
    let department_given = changes.department_code.is_some();
    let mut department = match changes.department_code {
        Some(code) => code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
        None => current.department_code.clone(),
    };
    // Leaving the reviewer role drops the department scope with it.
    if role != Role::Reviewer && !department_given {
        department = None;
    }
    // Leaving the liaison or coordinator role drops its municipality or direction with it.
    let municipality = match changes.municipality_code {
        Some(code) => code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
        None if role == Role::Liaison => current.municipality_code.clone(),
        None => None,
    };
    let direction = match changes.territorial_direction_id {
        Some(id) => id,
        None if role == Role::Coordinator => current.territorial_direction_id,
        None => None,
    };
    let provider = match changes.provider_id {
        Some(id) => id.filter(|p| *p != crate::providers::ESAP),
        None if role == Role::Coordinator => current.provider_id,
        None => None,
    };
    let active = changes.active.unwrap_or(current.active);
    let mut errors = Vec::new();
    check_department_for_role(role, department.as_deref(), &mut errors);
    check_department_exists(db, department.as_deref(), &mut errors).await?;
    check_territory(
        db,
        role,
        municipality.as_deref(),
        direction,
        provider,
        &mut errors,
    )
    .await?;
    let full_name = match &changes.full_name {
        Some(name) => {
            let clean = full_name_of(name, &mut errors);
            if clean.is_none() {
                return Err(AppError::Validation(errors));
            }
            clean
        }
        None => None,
    };
    if actor == id && (!active || role != Role::Admin) {
        errors.push(FieldError::new(
            "role",
            "No puede quitarse a sí mismo el rol de administrador ni desactivar su propia cuenta.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let before = UserView::from(current.clone());
    let mut model: user::ActiveModel = current.into();
    if let Some(name) = full_name {
        model.full_name = Set(name);
    }
    model.role = Set(role);
    model.department_code = Set(department);
    model.municipality_code = Set(municipality);
    model.territorial_direction_id = Set(direction);
    model.provider_id = Set(provider);
    model.active = Set(active);
    model.updated_at = Set(crate::time::now());
    let updated = model.update(db).await?;
    if !updated.active {
        sessions::end_all(db, updated.id).await?;
    }
    let after = UserView::from(updated.clone());
    let action = if before.role != after.role
        || before.department_code != after.department_code
        || before.municipality_code != after.municipality_code
        || before.territorial_direction_id != after.territorial_direction_id
        || before.provider_id != after.provider_id
    {
        "user.role_changed"
    } else if before.active != after.active {
        if after.active {
            "user.activated"
        } else {
            "user.deactivated"
        }
    } else {
        "user.updated"
    };
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action,
            subject_type: "user",
            subject_id: updated.id.to_string(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(after).ok(),
        },
    )
    .await?;
    Ok(updated)
}

/// Gives an account a new password (hashed before the transaction; a weak one is a 422). Every
/// browser session and API token of the person ends, every outstanding reset link and pending
/// email change is spent, and the sign-in failures counted against the account are forgotten:
/// whoever held the old password, a session opened with it or an older link, is out.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    account: user::Model,
    password: &passwords::NewPassword,
) -> AppResult<user::Model> {
    let hash = password
        .stored()
        .map_err(|message| AppError::invalid("password", message))?;
    let mut model: user::ActiveModel = account.into();
    model.password_hash = Set(hash.to_string());
    model.updated_at = Set(crate::time::now());
    let updated = model.update(db).await?;
    email_change::end_access(db, updated.id).await?;
    throttle::clear_account(db, &updated.email).await?;
    Ok(updated)
}

/// A user's full name: required, one line, printable on certificates (instructors and
/// coordinators sign them), at most 160 characters.
pub(crate) fn full_name_of(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let checked =
        crate::validate::certificate_text("full_name", text, crate::validate::FULL_NAME_MAX);
    crate::validate::required("full_name", checked, "Escriba el nombre completo.", errors)
}

/// Creates a user after checking every rule; nothing is written when any fails.
pub async fn create_user<C: ConnectionTrait>(db: &C, new: NewUser) -> AppResult<user::Model> {
    let email = normalize_email(&new.email);
    let mut errors = Vec::new();
    if !is_valid_email(&email) {
        errors.push(FieldError::new(
            "email",
            "Escriba un correo electrónico válido.",
        ));
    } else if user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(
            "email",
            "Ya existe una cuenta con este correo electrónico.",
        ));
    }
    if let Err(message) = new.password.stored() {
        errors.push(FieldError::new("password", message));
    }
    let full_name = full_name_of(&new.full_name, &mut errors);
    check_department_for_role(new.role, new.department_code.as_deref(), &mut errors);
    check_department_exists(db, new.department_code.as_deref(), &mut errors).await?;
    let municipality_code = new
        .municipality_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let provider_id = new.provider_id.filter(|p| *p != crate::providers::ESAP);
    check_territory(
        db,
        new.role,
        municipality_code.as_deref(),
        new.territorial_direction_id,
        provider_id,
        &mut errors,
    )
    .await?;
    let (Some(full_name), Ok(password_hash), true) =
        (full_name, new.password.stored(), errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let created = insert_user(
        db,
        email,
        password_hash.to_string(),
        full_name,
        new.role,
        new.department_code,
    )
    .await?;
    if municipality_code.is_none()
        && new.territorial_direction_id.is_none()
        && provider_id.is_none()
    {
        return Ok(created);
    }
    let mut model: user::ActiveModel = created.into();
    model.municipality_code = Set(municipality_code);
    model.territorial_direction_id = Set(new.territorial_direction_id);
    model.provider_id = Set(provider_id);
    Ok(model.update(db).await?)
}

/// An account whose password was hashed earlier (a confirmed self-registration). Refuses an
/// email already in use (409).
pub async fn create_user_with_hash<C: ConnectionTrait>(
    db: &C,
    email: &str,
    password_hash: &str,
    full_name: &str,
    role: Role,
) -> AppResult<user::Model> {
    let email = normalize_email(email);
    if user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "Este correo ya tiene una cuenta. Ingrese con él o pida una contraseña nueva.".into(),
        ));
    }
    insert_user(
        db,
        email,
        password_hash.to_string(),
        full_name.trim().to_string(),
        role,
        None,
    )
    .await
}

async fn insert_user<C: ConnectionTrait>(
    db: &C,
    email: String,
    password_hash: String,
    full_name: String,
    role: Role,
    department_code: Option<String>,
) -> AppResult<user::Model> {
    let now = crate::time::now();
    let model = user::ActiveModel {
        email: Set(email),
        password_hash: Set(password_hash),
        full_name: Set(full_name),
        role: Set(role),
        department_code: Set(department_code),
        municipality_code: Set(None),
        territorial_direction_id: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    };
    let inserted = user::Entity::insert(model).exec(db).await?;
    user::Entity::find_by_id(inserted.last_insert_id)
        .found(db)
        .await
}

/// Where to go after signing in or registering: only a same-site relative path, else home.
/// Never an open redirect, and never a value the redirect cannot carry (which would be a 500).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_string(),
        _ => "/".to_string(),
    }
}

/// A path of this site: one leading `/` (not `//` nor `/\`, which browsers read as another
/// host), then only printable ASCII characters allowed in a URL path and query — no
/// whitespace, no control characters, no look-alikes such as U+FF0F or U+3000.
pub fn is_local_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && path.len() <= 2048
        && bytes.iter().enumerate().all(|(i, b)| match b {
            b'%' => bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
            _ => b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(b),
        })
}
