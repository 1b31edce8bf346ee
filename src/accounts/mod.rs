//! Accounts: users, roles, department scope, passwords.

pub mod passwords;

use crate::entities::department;
use crate::entities::user;
use crate::entities::values::Role;
use crate::error::{AppError, AppResult, FieldError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub struct NewUser {
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub role: Role,
    pub department_code: Option<String>,
}

/// Lower-cased and trimmed: emails are compared case-insensitively.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately plain check: something@domain.tld without spaces.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// Creates a user after checking every rule; nothing is written when any fails.
pub async fn create_user<C: ConnectionTrait>(db: &C, new: NewUser) -> AppResult<user::Model> {
    let email = normalize_email(&new.email);
    let full_name = new.full_name.trim().to_string();
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
    if let Err(message) = passwords::check_strength(&new.password) {
        errors.push(FieldError::new("password", message));
    }
    if full_name.is_empty() {
        errors.push(FieldError::new("full_name", "Escriba el nombre completo."));
    }
    match (new.role, new.department_code.as_deref()) {
        (Role::Reviewer, None) => errors.push(FieldError::new(
            "department_code",
            "Un revisor de gobernación debe tener un departamento.",
        )),
        (Role::Reviewer, Some(code)) => {
            if department::Entity::find_by_id(code.to_string())
                .one(db)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "department_code",
                    format!("No existe el departamento con código DANE «{code}»."),
                ));
            }
        }
        (_, Some(_)) => errors.push(FieldError::new(
            "department_code",
            "Solo los revisores de gobernación tienen departamento.",
        )),
        (_, None) => {}
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = crate::time::now();
    let model = user::ActiveModel {
        email: Set(email),
        password_hash: Set(passwords::hash(&new.password)?),
        full_name: Set(full_name),
        role: Set(new.role),
        department_code: Set(new.department_code),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    };
    let inserted = user::Entity::insert(model).exec(db).await?;
    user::Entity::find_by_id(inserted.last_insert_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}
