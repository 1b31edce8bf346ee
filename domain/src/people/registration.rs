//! A participant's profile: validation shared by self-registration, profile corrections and
//! (later) spreadsheet imports, and the registration itself.

use super::{
    DATA_CONSENT_VERSION, ENTITY_TYPES, ETHNIC_GROUPS, LEVELS, SENSITIVE_CONSENT_VERSION, SEXES,
};
use crate::accounts::{self, throttle};
use crate::audit::{self, Change};
use crate::entities::values::{ConsentKind, DocumentType, Role};
use crate::entities::{consent, municipality, participant, registration_confirmation, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::mail::{self, Email};
use crate::time::now;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a person fills in (API body and form alike); every field optional so that a missing
/// one gets its own Spanish message rather than a generic parse error. Text fields are
/// trimmed; empty means absent. The differential-approach fields (`sex`, `ethnic_group`,
/// `has_disability`, `is_conflict_victim`) are accepted only with
/// `sensitive_data_consent: true`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ProfileInput {
    #[schema(value_type = Option<DocumentType>)]
    pub document_type: Option<String>,
    /// Dots, spaces and dashes are removed. CC/CE 3–10 digits, PPT 5–10 digits, PA 5–15
    /// letters or digits; numeric ones cannot start with 0.
    #[schema(example = "1098765432")]
    pub document_number: Option<String>,
    #[schema(max_length = 80, example = "María Fernanda")]
    pub first_names: Option<String>,
    #[schema(max_length = 80, example = "Muñoz Peña")]
    pub last_names: Option<String>,
    #[schema(format = Email, example = "maria.munoz@example.org")]
    pub email: Option<String>,
    /// 10 digits (mobile) or 7 (landline); a `57` prefix is dropped.
    #[schema(example = "3101234567")]
    pub phone: Option<String>,
    /// DANE code (a lost leading zero, e.g. `5001`, is restored).
    #[schema(example = "18094")]
    pub municipality_code: Option<String>,
    #[schema(value_type = Option<super::EntityType>)]
    pub entity_type: Option<String>,
    #[schema(max_length = 160, example = "Alcaldía de Belén de los Andaquíes")]
    pub entity_name: Option<String>,
    #[schema(max_length = 120, example = "Secretaria de Planeación")]
    pub position: Option<String>,
    #[schema(value_type = Option<super::Level>)]
    pub level: Option<String>,
    // Optional sensitive data (differential approach), only with its own consent.
    /// Express consent for the differential-approach data.
    pub sensitive_data_consent: Option<bool>,
    #[schema(value_type = Option<super::Sex>)]
    pub sex: Option<String>,
    #[schema(value_type = Option<super::EthnicGroup>)]
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
        && crate::fonts::unprintable(name).is_empty()
}

/// Checks and normalises a profile; collects every problem at once.
pub async fn validate<C: ConnectionTrait>(db: &C, input: &ProfileInput) -> AppResult<Profile> {
    let mut errors = Vec::new();
    let document_type = check_document_type(input, &mut errors);
    let document_number = check_document_number(document_type, input, &mut errors);
    let first_names = check_name(
        "first_names",
        &input.first_names,
        "Escriba sus nombres.",
        "Los nombres solo pueden tener letras, espacios, apóstrofos o guiones (máximo 80).",
        &mut errors,
    );
    let last_names = check_name(
        "last_names",
        &input.last_names,
        "Escriba sus apellidos.",
        "Los apellidos solo pueden tener letras, espacios, apóstrofos o guiones (máximo 80).",
        &mut errors,
    );
    let email = check_email(input, &mut errors);
    let phone = check_phone(input, &mut errors);
    let municipality_code = check_municipality(db, input, &mut errors).await?;
    let entity_type = check_choice(
        "entity_type",
        &input.entity_type,
        ENTITY_TYPES,
        "Elija el tipo de entidad de la lista.",
        &mut errors,
    );
    let level = check_choice(
        "level",
        &input.level,
        LEVELS,
        "Elija el nivel del cargo de la lista.",
        &mut errors,
    );
    let position = crate::validate::line("position", input.position.as_deref(), 120, &mut errors);
    let entity_name = crate::validate::line(
        "entity_name",
        input.entity_name.as_deref(),
        160,
        &mut errors,
    );
    let sensitive = check_sensitive(input, &mut errors);

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

fn check_document_type(input: &ProfileInput, errors: &mut Vec<FieldError>) -> Option<DocumentType> {
    match trimmed(&input.document_type).map(|t| t.to_uppercase()) {
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
    }
}

fn check_document_number(
    document_type: Option<DocumentType>,
    input: &ProfileInput,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match (document_type, trimmed(&input.document_number)) {
        (_, None) => {
            errors.push(FieldError::new(
                "document_number",
                "Escriba el número de documento.",
            ));
            None
        }
        (None, Some(_)) => None,
        (Some(kind), Some(raw)) => match crate::validate::document_number(kind, &raw) {
            Ok(number) => Some(number),
            Err(message) => {
                errors.push(FieldError::new("document_number", message));
                None
            }
        },
    }
}

/// First or last names: required, no invisible characters, `name_ok`.
fn check_name(
    field: &'static str,
    raw: &Option<String>,
    missing: &'static str,
    invalid: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let name = trimmed(raw);
    match &name {
        None => errors.push(FieldError::new(field, missing)),
        Some(name) if crate::validate::invisible(field, name).is_some() => {
            errors.extend(crate::validate::invisible(field, name))
        }
        Some(name) if !name_ok(name) => errors.push(FieldError::new(field, invalid)),
        _ => {}
    }
    name
}

fn check_email(input: &ProfileInput, errors: &mut Vec<FieldError>) -> Option<String> {
    let email = trimmed(&input.email).map(|e| accounts::normalize_email(&e));
    if let Some(address) = &email
        && !accounts::is_valid_email(address)
    {
        errors.push(FieldError::new(
            "email",
            "Escriba un correo electrónico válido.",
        ));
    }
    email
}

fn check_phone(input: &ProfileInput, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = trimmed(&input.phone)?;
    let normalized = normalize_phone(&raw);
    if normalized.is_none() {
        errors.push(FieldError::new(
            "phone",
            "El teléfono debe tener 10 dígitos (celular) o 7 dígitos (fijo).",
        ));
    }
    normalized
}

async fn check_municipality<C: ConnectionTrait>(
    db: &C,
    input: &ProfileInput,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<String>> {
    let municipality_code = trimmed(&input.municipality_code)
        .map(|c| crate::territory::normalize_municipality_code(&c));
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
    Ok(municipality_code)
}

/// A required value from a fixed list (`entity_type`, `level`).
fn check_choice(
    field: &'static str,
    raw: &Option<String>,
    choices: &[(&str, &str)],
    message: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = trimmed(raw);
    if !value
        .as_deref()
        .is_some_and(|e| choices.iter().any(|(v, _)| *v == e))
    {
        errors.push(FieldError::new(field, message));
    }
    value
}

/// The differential-approach data, accepted only with its own consent.
fn check_sensitive(input: &ProfileInput, errors: &mut Vec<FieldError>) -> Option<SensitiveData> {
    let sex = trimmed(&input.sex);
    let ethnic_group = trimmed(&input.ethnic_group);
    let any_sensitive = sex.is_some()
        || ethnic_group.is_some()
        || input.has_disability.is_some()
        || input.is_conflict_victim.is_some();
    if input.sensitive_data_consent == Some(true) {
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
    }
}

/// A self-registration: the profile plus account and consent. Required: `document_type`,
/// `document_number`, `first_names`, `last_names`, `email`, `password`, `municipality_code`,
/// `entity_type`, `level` and `data_consent: true`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RegistrationInput {
    #[serde(flatten)]
    pub profile: ProfileInput,
    /// At least 10 characters, letters combined with numbers or symbols.
    #[schema(value_type = String, required = true, format = Password, min_length = 10)]
    pub password: Option<String>,
    /// Consent to the processing of personal data (Ley 1581 de 2012); anything but `true` is
    /// a 422.
    #[schema(value_type = bool, required = true)]
    pub data_consent: Option<bool>,
    /// The token of a nomination's emailed link (`/registro?postulacion=<token>`), when the
    /// registration starts from it: confirming the registration confirms that nomination if
    /// the document registered is the nominated one (issue 46). Never stored.
    #[serde(default, skip_serializing)]
    pub nomination_token: Option<String>,
}

/// Hours a registration link stays usable.
pub const CONFIRMATION_HOURS: i64 = 48;

/// What every accepted registration answers, whoever already exists: the address the next
/// step was emailed to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RegistrationReceived)]
pub struct Received {
    /// Always `pending_confirmation`.
    #[schema(example = "pending_confirmation")]
    pub status: &'static str,
    /// The (normalised) e-mail the next step was sent to.
    pub email: String,
    #[schema(
        example = "Recibimos su registro. Enviamos un mensaje a ana@example.org con los pasos para activar su cuenta."
    )]
    pub detail: String,
}

/// Who, if anyone, the submitted email and document already belong to.
enum Match {
    /// Nobody: a new person.
    New,
    /// An account already uses the email.
    AccountEmail(user::Model),
    /// The document belongs to a person with an account (under another email).
    AccountDocument(user::Model),
    /// A record a coordinator imported, with this very email on file: it can be claimed.
    Claim(participant::Model),
    /// An imported record with another email on file.
    RecordOtherEmail(participant::Model),
    /// An imported record with no email on file: nobody can prove online that it is theirs.
    RecordWithoutEmail,
}

/// A self-registration. Checks the form (422 with every problem, nothing written), then
/// answers the same whoever already exists — nobody learns from it who has an account — and
/// emails the next step through the outbox: a confirmation link to a new person (or to a
/// person claiming the record a coordinator imported, at the email on file), or a notice to
/// the owner of the existing account or record. The account exists only once the link is
/// followed ([`confirm`]). Throttled per client address (each attempt may send an email).
pub async fn register(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    input: &RegistrationInput,
    address: Option<IpAddr>,
    next: &str,
) -> AppResult<Received> {
    let key = format!("registro:{}", throttle::address_key(address));
    throttle::check(db, &[&key]).await?;
    let (profile, password) = check(db, input).await?;
    // Only registrations that pass the checks count: each one costs a password hash and an
    // email, which is what the limit protects.
    throttle::record_failure(db, &key, throttle::REGISTRATIONS_PER_ADDRESS).await?;
    let email = profile.email.clone().unwrap_or_default();
    let password_hash = accounts::passwords::hash(&password).await?;
    let nomination_id = match input.nomination_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => crate::nominations::pending_by_link(db, token).await?,
        _ => None,
    };
    let confirmation = Pending {
        email,
        password_hash,
        next,
        nomination_id,
    };
    receive(db, notifier, input, profile, confirmation).await
}

/// What a registration's confirmation row keeps besides the form.
struct Pending<'a> {
    email: String,
    password_hash: String,
    next: &'a str,
    /// The nomination whose link started the registration, still waiting.
    nomination_id: Option<i32>,
}

/// The checks of a registration form: every problem at once (422), nothing written.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    input: &RegistrationInput,
) -> AppResult<(Profile, String)> {
    let mut errors = Vec::new();
    let profile = match validate(db, &input.profile).await {
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
    match profile {
        Some(profile) if errors.is_empty() => Ok((profile, password)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The rest of a registration, once checked.
async fn receive(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    input: &RegistrationInput,
    profile: Profile,
    confirmation: Pending<'_>,
) -> AppResult<Received> {
    let email = confirmation.email.clone();
    crate::db::write(db, async |txn| {
        let full_name = format!("{} {}", profile.first_names, profile.last_names);
        match find_match(txn, &profile).await? {
            Match::New => {
                start_confirmation(txn, notifier, input, &full_name, None, &confirmation).await?
            }
            Match::Claim(person) => {
                start_confirmation(
                    txn,
                    notifier,
                    input,
                    &full_name,
                    Some(person.id),
                    &confirmation,
                )
                .await?
            }
            Match::AccountEmail(owner) => {
                notify(
                    txn,
                    notifier,
                    &owner.email,
                    &owner.full_name,
                    NoticeCase::AccountEmail,
                )
                .await?
            }
            Match::AccountDocument(owner) => {
                notify(
                    txn,
                    notifier,
                    &owner.email,
                    &owner.full_name,
                    NoticeCase::AccountDocument,
                )
                .await?
            }
            Match::RecordOtherEmail(person) => {
                let on_file = person.email.clone().unwrap_or_default();
                let name = format!("{} {}", person.first_names, person.last_names);
                notify(
                    txn,
                    notifier,
                    &on_file,
                    &name,
                    NoticeCase::RecordOtherEmail,
                )
                .await?
            }
            Match::RecordWithoutEmail => {
                notify(
                    txn,
                    notifier,
                    &email,
                    &full_name,
                    NoticeCase::RecordWithoutEmail,
                )
                .await?
            }
        }
        Ok(Received {
            status: "pending_confirmation",
            detail: format!(
                "Recibimos su registro. Enviamos un mensaje a {email} con los pasos para activar su cuenta."
            ),
            email,
        })
    })
    .await
}

async fn find_match<C: ConnectionTrait>(db: &C, profile: &Profile) -> AppResult<Match> {
    let email = profile.email.as_deref().unwrap_or_default();
    if let Some(owner) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
    {
        return Ok(Match::AccountEmail(owner));
    }
    let Some(person) = participant::Entity::find()
        .filter(participant::Column::DocumentType.eq(profile.document_type))
        .filter(participant::Column::DocumentNumber.eq(profile.document_number.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Match::New);
    };
    if let Some(user_id) = person.user_id {
        let owner = accounts::find(db, user_id).await?;
        return Ok(Match::AccountDocument(owner));
    }
    Ok(match person.email.as_deref() {
        Some(on_file) if on_file == email => Match::Claim(person),
        Some(_) => Match::RecordOtherEmail(person),
        None => Match::RecordWithoutEmail,
    })
}

/// Keeps the registration and emails its single-use link.
async fn start_confirmation<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    input: &RegistrationInput,
    full_name: &str,
    participant_id: Option<i32>,
    pending: &Pending<'_>,
) -> AppResult<()> {
    let (email, password_hash, next) = (
        pending.email.as_str(),
        pending.password_hash.as_str(),
        pending.next,
    );
    let token = accounts::secrets::random_token();
    let at = now();
    let stored = RegistrationInput {
        profile: input.profile.clone(),
        password: None,
        data_consent: input.data_consent,
        nomination_token: None,
    };
    registration_confirmation::Entity::insert(registration_confirmation::ActiveModel {
        token_hash: Set(accounts::secrets::token_hash(&token)),
        email: Set(email.to_string()),
        participant_id: Set(participant_id),
        registration_json: Set(
            serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.to_string()))?
        ),
        password_hash: Set(password_hash.to_string()),
        next_path: Set(accounts::safe_next(Some(next))),
        nomination_id: Set(pending.nomination_id),
        created_at: Set(at),
        expires_at: Set(at + Duration::hours(CONFIRMATION_HOURS)),
        used_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let message = RegistrationConfirm {
        full_name,
        confirm_url: confirm_url(notifier, &token),
        valid_hours: CONFIRMATION_HOURS,
        claim: participant_id.is_some(),
    };
    if throttle::allow_notice(db, email).await? {
        mail::enqueue(db, notifier, Email::of(email, &message)?).await?;
    }
    Ok(())
}

/// The page a registration link opens.
fn confirm_url(notifier: &Notifier<'_>, token: &str) -> String {
    format!(
        "{}/registro/confirmar/{token}",
        notifier.config.public_url.trim_end_matches('/')
    )
}

/// Tells the owner of an existing account or record (or the registrant, when nothing can be
/// done online) what happened and what to do.
async fn notify<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    to: &str,
    full_name: &str,
    case: NoticeCase,
) -> AppResult<()> {
    let message = RegistrationNotice {
        full_name,
        account_email: case == NoticeCase::AccountEmail,
        account_document: case == NoticeCase::AccountDocument,
        record_other_email: case == NoticeCase::RecordOtherEmail,
        record_without_email: case == NoticeCase::RecordWithoutEmail,
    };
    // However many registrations name this address, it gets a few emails (issue 30).
    if throttle::allow_notice(db, to).await? {
        mail::enqueue(db, notifier, Email::of(to, &message)?).await?;
    }
    Ok(())
}

/// The registration still waiting at an address: sign-in's rule (below this area, which
/// creates those registrations), read here to send its link again.
pub use crate::accounts::sign_in::{PENDING_DAYS, pending_for};

/// What «Enviarme el enlace de nuevo» answers, whatever the address: nobody learns from it
/// whether a registration is waiting there.
pub const RESENT: &str = "Si hay un registro sin confirmar con ese correo, le enviamos un enlace nuevo para activar la cuenta. El enlace anterior ya no sirve. Revise también la carpeta de correo no deseado.";

/// Sends the link of the registration waiting at `email` again ([`pending_for`]): a fresh
/// token, valid [`CONFIRMATION_HOURS`] from now, with the same email as the registration; the
/// previous links of that address stop working. Nothing happens when no registration waits
/// there, or when the address has an account by now — the caller answers [`RESENT`] all the
/// same. Throttled like registering (per client address), and the recipient gets at most
/// [`throttle::NOTICES_PER_RECIPIENT`] such emails.
pub async fn resend(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    email: &str,
    address: Option<IpAddr>,
) -> AppResult<()> {
    let key = format!("registro:{}", throttle::address_key(address));
    throttle::check(db, &[&key]).await?;
    let email = accounts::normalize_email(email);
    crate::db::write(db, async |txn| {
        throttle::record_failure(txn, &key, throttle::REGISTRATIONS_PER_ADDRESS).await?;
        let has_account = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(txn)
            .await?
            .is_some();
        let pending = match has_account {
            true => None,
            false => pending_for(txn, &email).await?,
        };
        if let Some(row) = pending
            && throttle::allow_notice(txn, &email).await?
        {
            let token = accounts::secrets::random_token();
            let at = now();
            // Every earlier link of this address stops working: only the newest one is valid.
            registration_confirmation::Entity::update_many()
                .col_expr(
                    registration_confirmation::Column::ExpiresAt,
                    Expr::value(at),
                )
                .filter(registration_confirmation::Column::Email.eq(email.as_str()))
                .filter(registration_confirmation::Column::UsedAt.is_null())
                .filter(registration_confirmation::Column::Id.ne(row.id))
                .exec(txn)
                .await?;
            let participant_id = row.participant_id;
            let stored: RegistrationInput = serde_json::from_str(&row.registration_json)
                .map_err(|e| AppError::Internal(format!("registro guardado ilegible: {e}")))?;
            let full_name = format!(
                "{} {}",
                stored
                    .profile
                    .first_names
                    .as_deref()
                    .unwrap_or_default()
                    .trim(),
                stored
                    .profile
                    .last_names
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
            );
            let mut model: registration_confirmation::ActiveModel = row.into();
            model.token_hash = Set(accounts::secrets::token_hash(&token));
            model.expires_at = Set(at + Duration::hours(CONFIRMATION_HOURS));
            model.update(txn).await?;
            let message = RegistrationConfirm {
                full_name: full_name.trim(),
                confirm_url: confirm_url(notifier, &token),
                valid_hours: CONFIRMATION_HOURS,
                claim: participant_id.is_some(),
            };
            mail::enqueue(txn, notifier, Email::of(email.as_str(), &message)?).await?;
        }
        Ok(())
    })
    .await
}

const INVALID_CONFIRMATION: &str = "El enlace de confirmación no es válido, ya fue usado o expiró. Regístrese de nuevo para recibir otro.";

/// The confirmation behind a link, if it can still be used (for showing the page).
pub async fn confirmation_usable(db: &DatabaseConnection, token: &str) -> AppResult<bool> {
    let row = registration_confirmation::Entity::find()
        .filter(
            registration_confirmation::Column::TokenHash.eq(accounts::secrets::token_hash(token)),
        )
        .one(db)
        .await?;
    Ok(row.is_some_and(|r| r.used_at.is_none() && r.expires_at > now()))
}

/// A person registered by confirming her email, and whether she claimed an existing record
/// (`participant.registered`).
#[derive(Serialize)]
struct Registered<'a> {
    user_id: i32,
    municipality_code: &'a str,
    claimed_record: bool,
}

/// Follows a registration link: creates the participant's account (attached to the imported
/// record it claims, if any), profile and consent records and queues the welcome email, all
/// in one transaction; the link works once. Returns the account and where to go next.
pub async fn confirm(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    token: &str,
) -> AppResult<(user::Model, String)> {
    crate::db::write(db, async |txn| {
        let row = registration_confirmation::Entity::find()
            .filter(
                registration_confirmation::Column::TokenHash.eq(accounts::secrets::token_hash(token)),
            )
            .one(txn)
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > now())
            .ok_or_else(|| AppError::Conflict(INVALID_CONFIRMATION.into()))?;
        let spent = registration_confirmation::Entity::update_many()
            .col_expr(
                registration_confirmation::Column::UsedAt,
                Expr::value(now()),
            )
            .filter(registration_confirmation::Column::Id.eq(row.id))
            .filter(registration_confirmation::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        if spent.rows_affected != 1 {
            return Err(AppError::Conflict(INVALID_CONFIRMATION.into()));
        }
        let input: RegistrationInput = serde_json::from_str(&row.registration_json)
            .map_err(|e| AppError::Internal(format!("registro guardado ilegible: {e}")))?;
        let profile = match validate(txn, &input.profile).await {
            Ok(profile) => profile,
            Err(AppError::Validation(_)) => {
                return Err(AppError::Conflict(
                    "Los datos de este registro ya no son válidos. Regístrese de nuevo.".into(),
                ));
            }
            Err(other) => return Err(other),
        };
        // Another registration may have been confirmed since this link was sent.
        let existing = match find_match(txn, &profile).await? {
            Match::New if row.participant_id.is_none() => None,
            Match::Claim(person) if row.participant_id == Some(person.id) => Some(person),
            Match::AccountEmail(_) => {
                return Err(AppError::Conflict(
                    "Este correo ya tiene una cuenta. Ingrese con él o pida una contraseña nueva."
                        .into(),
                ));
            }
            _ => {
                return Err(AppError::Conflict(
                    "Ya existe un registro con este documento. Escriba a la coordinación de su curso."
                        .into(),
                ));
            }
        };
        let user = accounts::create_user_with_hash(
            txn,
            &row.email,
            &row.password_hash,
            &format!("{} {}", profile.first_names, profile.last_names),
            Role::Participant,
        )
        .await?;
        let person = save_profile(txn, existing, Some(user.id), &profile).await?;
        // Started from a nomination's link: confirming the account confirms the nomination, when
        // the document registered is the nominated one (issue 46).
        if let Some(nomination_id) = row.nomination_id {
            crate::nominations::confirm_on_registration(
                txn,
                notifier,
                nomination_id,
                &person,
                user.id,
            )
            .await?;
        }
        record_consent(
            txn,
            person.id,
            ConsentKind::DataProcessing,
            DATA_CONSENT_VERSION,
        )
        .await?;
        if profile.sensitive.is_some() {
            record_consent(
                txn,
                person.id,
                ConsentKind::SensitiveData,
                SENSITIVE_CONSENT_VERSION,
            )
            .await?;
        }
        audit::record(
            txn,
            Change {
                actor: Some(user.id),
                action: "participant.registered",
                subject_type: "participant",
                subject_id: person.id.to_string(),
                before: None,
                after: serde_json::to_value(Registered {
                    user_id: user.id,
                    municipality_code: &person.municipality_code,
                    claimed_record: row.participant_id.is_some(),
                })
                .ok(),
            },
        )
        .await?;
        let message = Welcome {
            full_name: &user.full_name,
            email: &user.email,
        };
        let email = Email::of(user.email.clone(), &message)?.once(format!("welcome:{}", user.id));
        mail::enqueue(txn, notifier, email).await?;
        Ok((user, row.next_path))
    })
    .await
}

/// Inserts or updates the participant row from a validated profile.
pub async fn save_profile<C: ConnectionTrait>(
    db: &C,
    existing: Option<participant::Model>,
    user_id: Option<i32>,
    profile: &Profile,
) -> AppResult<participant::Model> {
    let at = now();
    let moved = existing
        .as_ref()
        .is_some_and(|p| p.municipality_code != profile.municipality_code);
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
    let saved = model.save(db).await?.try_into_model()?;
    if moved {
        // Back in (or newly in) a municipality they once said they had left.
        super::departures::returned(db, saved.id, &saved.municipality_code).await?;
    }
    Ok(saved)
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

/// The single-use link that creates the account (or claims an imported record).
#[derive(Serialize)]
struct RegistrationConfirm<'a> {
    full_name: &'a str,
    confirm_url: String,
    valid_hours: i64,
    claim: bool,
}

impl mail::Message for RegistrationConfirm<'_> {
    const TEMPLATE: &'static str = "registration_confirm";
    fn subject(&self) -> String {
        "Confirme su registro en Aula Territorial".into()
    }
}

/// Why the owner of an account or record is told about a registration attempt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NoticeCase {
    AccountEmail,
    AccountDocument,
    RecordOtherEmail,
    RecordWithoutEmail,
}

/// «Intento de registro»: the template says what happened by which flag is set.
#[derive(Serialize)]
struct RegistrationNotice<'a> {
    full_name: &'a str,
    account_email: bool,
    account_document: bool,
    record_other_email: bool,
    record_without_email: bool,
}

impl mail::Message for RegistrationNotice<'_> {
    const TEMPLATE: &'static str = "registration_notice";
    fn subject(&self) -> String {
        "Intento de registro en Aula Territorial".into()
    }
}

/// Once the account exists.
#[derive(Serialize)]
pub(crate) struct Welcome<'a> {
    pub full_name: &'a str,
    pub email: &'a str,
}

impl mail::Message for Welcome<'_> {
    const TEMPLATE: &'static str = "welcome";
    fn subject(&self) -> String {
        "Le damos la bienvenida a Aula Territorial".into()
    }
}
