//! A participant's profile: validation shared by self-registration, profile corrections and
//! (later) spreadsheet imports, and the registration itself.

use super::{
    DATA_CONSENT_VERSION, ENTITY_TYPES, ETHNIC_GROUPS, LEVELS, SENSITIVE_CONSENT_VERSION, SEXES,
};
use crate::accounts::{self, NewUser};
use crate::audit::{self, Change};
use crate::config::AppConfig;
use crate::entities::values::{ConsentKind, DocumentType, Role};
use crate::entities::{consent, municipality, participant, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email};
use crate::templates::Templates;
use crate::time::now;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TryIntoModel,
};
use serde::Deserialize;
use serde_json::json;

/// What a person fills in (API body and form alike); every field optional so that a missing
/// one gets its own Spanish message rather than a generic parse error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProfileInput {
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub first_names: Option<String>,
    pub last_names: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub municipality_code: Option<String>,
    pub entity_type: Option<String>,
    pub entity_name: Option<String>,
    pub position: Option<String>,
    pub level: Option<String>,
    // Optional sensitive data (differential approach), only with its own consent.
    pub sensitive_data_consent: Option<bool>,
    pub sex: Option<String>,
    pub ethnic_group: Option<String>,
    pub has_disability: Option<bool>,
    pub is_conflict_victim: Option<bool>,
}

/// A validated, normalised profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub document_type: DocumentType,
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub municipality_code: String,
    pub entity_type: String,
    pub entity_name: Option<String>,
    pub position: Option<String>,
    pub level: String,
    pub sensitive: Option<SensitiveData>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct SensitiveData {
    pub sex: Option<String>,
    pub ethnic_group: Option<String>,
    pub has_disability: Option<bool>,
    pub is_conflict_victim: Option<bool>,
}

/// NFC (so a name typed with combining accents, `Jose\u{301}`, is `José`), trimmed, `None`
/// when empty.
fn trimmed(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(crate::validate::nfc)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Document numbers as people type them: `1.234.567`, `1 234 567`, `1234567-` → `1234567`.
pub fn normalize_document(document_type: DocumentType, raw: &str) -> Result<String, &'static str> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '-' | '\u{a0}'))
        .collect::<String>()
        .to_uppercase();
    let (numeric, min, max) = match document_type {
        DocumentType::Cc => (true, 3, 10),
        DocumentType::Ce => (true, 3, 10),
        DocumentType::Ppt => (true, 5, 10),
        DocumentType::Pa => (false, 5, 15),
    };
    let valid_chars = if numeric {
        cleaned.chars().all(|c| c.is_ascii_digit())
    } else {
        cleaned.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let length_ok = (min..=max).contains(&cleaned.len());
    match (valid_chars, length_ok, document_type) {
        (true, true, _) if numeric && cleaned.starts_with('0') => {
            Err("El número de documento no puede empezar por cero.")
        }
        (true, true, _) => Ok(cleaned),
        (_, _, DocumentType::Cc) => {
            Err("La cédula de ciudadanía debe tener entre 3 y 10 dígitos, sin letras.")
        }
        (_, _, DocumentType::Ce) => {
            Err("La cédula de extranjería debe tener entre 3 y 10 dígitos, sin letras.")
        }
        (_, _, DocumentType::Ppt) => Err("El PPT debe tener entre 5 y 10 dígitos, sin letras."),
        (_, _, DocumentType::Pa) => Err("El pasaporte debe tener entre 5 y 15 letras o números."),
    }
}

/// DANE codes that lost their leading zero in a spreadsheet (`5001` → `05001`).
pub fn normalize_municipality_code(raw: &str) -> String {
    let code = raw.trim();
    if code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code.to_string()
    }
}

fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("57")
        .filter(|d| d.len() == 10)
        .unwrap_or(&digits)
        .to_string();
    (digits.len() == 7 || digits.len() == 10).then_some(digits)
}

/// Letters, spaces, apostrophes, hyphens and periods, at most 80, and only letters the
/// certificate's fonts can print (names go on certificates).
fn name_ok(name: &str) -> bool {
    name.chars().count() <= crate::validate::PERSON_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.'))
        && crate::certificates::pdf::unprintable(name).is_empty()
}

/// Checks and normalises a profile; collects every problem at once.
pub async fn validate<C: ConnectionTrait>(db: &C, input: &ProfileInput) -> AppResult<Profile> {
    let mut errors = Vec::new();
    let document_type = match trimmed(&input.document_type).map(|t| t.to_uppercase()) {
        None => {
            errors.push(FieldError::new(
                "document_type",
                "Elija el tipo de documento.",
            ));
            None
        }
        Some(text) => {
            let parsed = DocumentType::parse(&text);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "document_type",
                    "El tipo de documento debe ser CC, CE, PA o PPT.",
                ));
            }
            parsed
        }
    };
    let document_number = match (document_type, trimmed(&input.document_number)) {
        (_, None) => {
            errors.push(FieldError::new(
                "document_number",
                "Escriba el número de documento.",
            ));
            None
        }
        (None, Some(_)) => None,
        (Some(kind), Some(raw)) => match normalize_document(kind, &raw) {
            Ok(number) => Some(number),
            Err(message) => {
                errors.push(FieldError::new("document_number", message));
                None
            }
        },
    };
    let first_names = trimmed(&input.first_names);
    match &first_names {
        None => errors.push(FieldError::new("first_names", "Escriba sus nombres.")),
        Some(name) if !name_ok(name) => errors.push(FieldError::new(
            "first_names",
            "Los nombres solo pueden tener letras, espacios, apóstrofos o guiones (máximo 80).",
        )),
        _ => {}
    }
    let last_names = trimmed(&input.last_names);
    match &last_names {
        None => errors.push(FieldError::new("last_names", "Escriba sus apellidos.")),
        Some(name) if !name_ok(name) => errors.push(FieldError::new(
            "last_names",
            "Los apellidos solo pueden tener letras, espacios, apóstrofos o guiones (máximo 80).",
        )),
        _ => {}
    }
    let email = trimmed(&input.email).map(|e| accounts::normalize_email(&e));
    if let Some(address) = &email
        && !accounts::is_valid_email(address)
    {
        errors.push(FieldError::new(
            "email",
            "Escriba un correo electrónico válido.",
        ));
    }
    let phone = match trimmed(&input.phone) {
        None => None,
        Some(raw) => {
            let normalized = normalize_phone(&raw);
            if normalized.is_none() {
                errors.push(FieldError::new(
                    "phone",
                    "El teléfono debe tener 10 dígitos (celular) o 7 dígitos (fijo).",
                ));
            }
            normalized
        }
    };
    let municipality_code =
        trimmed(&input.municipality_code).map(|c| normalize_municipality_code(&c));
    match &municipality_code {
        None => errors.push(FieldError::new(
            "municipality_code",
            "Elija el municipio donde trabaja.",
        )),
        Some(code) => {
            if municipality::Entity::find_by_id(code.clone())
                .one(db)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "municipality_code",
                    format!("No existe un municipio con código DANE «{code}»."),
                ));
            }
        }
    }
    let entity_type = trimmed(&input.entity_type);
    if !entity_type
        .as_deref()
        .is_some_and(|e| ENTITY_TYPES.iter().any(|(v, _)| *v == e))
    {
        errors.push(FieldError::new(
            "entity_type",
            "Elija el tipo de entidad de la lista.",
        ));
    }
    let level = trimmed(&input.level);
    if !level
        .as_deref()
        .is_some_and(|l| LEVELS.iter().any(|(v, _)| *v == l))
    {
        errors.push(FieldError::new(
            "level",
            "Elija el nivel del cargo de la lista.",
        ));
    }
    let position = crate::validate::line("position", input.position.as_deref(), 120, &mut errors);
    let entity_name = crate::validate::line(
        "entity_name",
        input.entity_name.as_deref(),
        160,
        &mut errors,
    );

    let sex = trimmed(&input.sex);
    let ethnic_group = trimmed(&input.ethnic_group);
    let any_sensitive = sex.is_some()
        || ethnic_group.is_some()
        || input.has_disability.is_some()
        || input.is_conflict_victim.is_some();
    let sensitive = if input.sensitive_data_consent == Some(true) {
        if sex
            .as_deref()
            .is_some_and(|s| !SEXES.iter().any(|(v, _)| *v == s))
        {
            errors.push(FieldError::new(
                "sex",
                "Elija una opción de sexo de la lista.",
            ));
        }
        if ethnic_group
            .as_deref()
            .is_some_and(|s| !ETHNIC_GROUPS.iter().any(|(v, _)| *v == s))
        {
            errors.push(FieldError::new(
                "ethnic_group",
                "Elija un grupo étnico de la lista.",
            ));
        }
        Some(SensitiveData {
            sex,
            ethnic_group,
            has_disability: input.has_disability,
            is_conflict_victim: input.is_conflict_victim,
        })
    } else {
        if any_sensitive {
            errors.push(FieldError::new(
                "sensitive_data_consent",
                "Para registrar datos de enfoque diferencial debe autorizar expresamente su tratamiento.",
            ));
        }
        None
    };

    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Profile {
        document_type: document_type.ok_or(AppError::Internal("tipo de documento".into()))?,
        document_number: document_number.ok_or(AppError::Internal("documento".into()))?,
        first_names: first_names.unwrap_or_default(),
        last_names: last_names.unwrap_or_default(),
        email,
        phone,
        municipality_code: municipality_code.unwrap_or_default(),
        entity_type: entity_type.unwrap_or_default(),
        entity_name,
        position,
        level: level.unwrap_or_default(),
        sensitive,
    })
}

/// A self-registration: the profile plus account and consent.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RegistrationInput {
    #[serde(flatten)]
    pub profile: ProfileInput,
    pub password: Option<String>,
    pub data_consent: Option<bool>,
}

/// Creates the participant's account, profile and consent records and queues the welcome
/// email, all in one transaction. A person a coordinator already imported (same document, no
/// account yet, and no other email on file) gets the account attached to that record.
pub async fn register(
    db: &DatabaseConnection,
    templates: &Templates,
    config: &AppConfig,
    input: &RegistrationInput,
) -> AppResult<user::Model> {
    let txn = crate::db::begin(db).await?;
    let mut errors = Vec::new();
    let profile = match validate(&txn, &input.profile).await {
        Ok(profile) => Some(profile),
        Err(AppError::Validation(found)) => {
            errors.extend(found);
            None
        }
        Err(other) => return Err(other),
    };
    if input
        .profile
        .email
        .as_deref()
        .is_none_or(|e| e.trim().is_empty())
    {
        errors.push(FieldError::new(
            "email",
            "Escriba su correo electrónico: con él ingresará.",
        ));
    }
    if input.data_consent != Some(true) {
        errors.push(FieldError::new(
            "data_consent",
            "Debe autorizar el tratamiento de sus datos personales (Ley 1581 de 2012) para registrarse.",
        ));
    }
    let password = input.password.clone().unwrap_or_default();
    if let Err(message) = accounts::passwords::check_strength(&password) {
        errors.push(FieldError::new("password", message));
    }
    let mut existing = None;
    if let Some(profile) = &profile {
        if let Some(email) = &profile.email
            && user::Entity::find()
                .filter(user::Column::Email.eq(email.as_str()))
                .one(&txn)
                .await?
                .is_some()
        {
            errors.push(FieldError::new(
                "email",
                "Ya existe una cuenta con este correo electrónico.",
            ));
        }
        existing = participant::Entity::find()
            .filter(participant::Column::DocumentType.eq(profile.document_type))
            .filter(participant::Column::DocumentNumber.eq(profile.document_number.as_str()))
            .one(&txn)
            .await?;
        if let Some(person) = &existing {
            let other_email = person
                .email
                .as_deref()
                .is_some_and(|e| Some(e) != profile.email.as_deref());
            if person.user_id.is_some() || other_email {
                errors.push(FieldError::new(
                    "document_number",
                    "Ya existe una persona registrada con este documento. Si es usted, recupere su contraseña o escriba a la coordinación.",
                ));
            }
        }
    }
    let Some(profile) = profile.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };

    let user = accounts::create_user(
        &txn,
        NewUser {
            email: profile.email.clone().unwrap_or_default(),
            password,
            full_name: format!("{} {}", profile.first_names, profile.last_names),
            role: Role::Participant,
            department_code: None,
        },
    )
    .await?;
    let person = save_profile(&txn, existing, Some(user.id), &profile).await?;
    record_consent(
        &txn,
        person.id,
        ConsentKind::DataProcessing,
        DATA_CONSENT_VERSION,
    )
    .await?;
    if profile.sensitive.is_some() {
        record_consent(
            &txn,
            person.id,
            ConsentKind::SensitiveData,
            SENSITIVE_CONSENT_VERSION,
        )
        .await?;
    }
    audit::record(
        &txn,
        Change {
            actor: Some(user.id),
            action: "participant.registered",
            subject_type: "participant",
            subject_id: person.id.to_string(),
            before: None,
            after: Some(json!({"user_id": user.id, "municipality_code": person.municipality_code})),
        },
    )
    .await?;
    mail::enqueue(
        &txn,
        templates,
        config,
        Email {
            to: user.email.clone(),
            subject: "Le damos la bienvenida a Aula Territorial".into(),
            template: "welcome",
            data: json!({"full_name": user.full_name, "email": user.email}),
            attachments: Vec::new(),
            dedupe_key: Some(format!("welcome:{}", user.id)),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Inserts or updates the participant row from a validated profile.
pub async fn save_profile<C: ConnectionTrait>(
    db: &C,
    existing: Option<participant::Model>,
    user_id: Option<i32>,
    profile: &Profile,
) -> AppResult<participant::Model> {
    let at = now();
    let mut model = match existing {
        Some(person) => {
            let mut model: participant::ActiveModel = person.into();
            model.updated_at = Set(at);
            model
        }
        None => participant::ActiveModel {
            created_at: Set(at),
            updated_at: Set(at),
            sex: Set(None),
            ethnic_group: Set(None),
            has_disability: Set(None),
            is_conflict_victim: Set(None),
            ..Default::default()
        },
    };
    if let Some(id) = user_id {
        model.user_id = Set(Some(id));
    }
    model.document_type = Set(profile.document_type);
    model.document_number = Set(profile.document_number.clone());
    model.first_names = Set(profile.first_names.clone());
    model.last_names = Set(profile.last_names.clone());
    model.email = Set(profile.email.clone());
    model.phone = Set(profile.phone.clone());
    model.municipality_code = Set(profile.municipality_code.clone());
    model.entity_type = Set(profile.entity_type.clone());
    model.entity_name = Set(profile.entity_name.clone());
    model.position = Set(profile.position.clone());
    model.level = Set(profile.level.clone());
    if let Some(data) = &profile.sensitive {
        model.sex = Set(data.sex.clone());
        model.ethnic_group = Set(data.ethnic_group.clone());
        model.has_disability = Set(data.has_disability);
        model.is_conflict_victim = Set(data.is_conflict_victim);
    }
    Ok(model.save(db).await?.try_into_model()?)
}

pub async fn record_consent<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
    kind: ConsentKind,
    version: &str,
) -> AppResult<()> {
    consent::Entity::insert(consent::ActiveModel {
        participant_id: Set(participant_id),
        kind: Set(kind),
        text_version: Set(version.to_string()),
        granted_at: Set(now()),
        withdrawn_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
