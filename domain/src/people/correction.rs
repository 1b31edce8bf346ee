//! A coordinator corrects a person's identifying data (issue 18): names, document, contact
//! email or municipality, with a reason. A participant cannot change their own document (it
//! identifies them across cohorts), so without this nobody could fix a mistyped cédula.
//!
//! One transaction: the person and their account's name are corrected, the enrolments that
//! carried the mistaken municipality carry the right one, the valid certificates are re-issued
//! with the corrected data through the superseded chain (`certificates::issue::Replacements`),
//! the change is audited with its reason, and the person is told by email — at the old address
//! too when the contact email itself changed.
//!
//! Issue 46 narrowed it twice:
//!
//! - **Only the owner moves an account.** A correction never changes the email somebody signs
//!   in with (any role, whoever corrects): she changes it herself on «Mi perfil», confirmed
//!   from the new address (`accounts::email_change`). The contact email of a person without an
//!   account is still corrected here.
//! - **A provider corrects only what is its own** (`people::ownership`). A coordinator changes
//!   its own enrolments (their municipality) and re-issues its own certificates, never another
//!   provider's. Names, document, contact email and municipality of residence live on the
//!   person's one row, shared by every provider: a coordinator changes them only when
//!   everything she holds is its own; otherwise names, document and email are refused (422:
//!   she asks for her name's change herself, reviewed; an admin corrects the rest) and a
//!   municipality's correction moves its own enrolments only. An admin corrects everything.

use super::registration::{self, ProfileInput};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::certificates::issue::{Replacements, mask_document, verification_url};
use crate::cohorts::scope::CohortScope;
use crate::entities::values::{DocumentType, Role};
use crate::entities::{cohort, enrolment, municipality, participant, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::people::ownership::{self, Holdings};
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

/// What the coordinator typed: every field as it should be (the form starts with the current
/// values; a missing field keeps its value), and why.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CorrectionInput {
    pub first_names: Option<String>,
    pub last_names: Option<String>,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub email: Option<String>,
    pub municipality_code: Option<String>,
    pub reason: Option<String>,
}

/// One corrected field, as the email and the page list it.
#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// A certificate replaced by the correction.
#[derive(Clone, Debug, Serialize)]
pub struct Reissued {
    pub old_code: String,
    pub new_code: String,
    pub course: String,
    pub verification_url: String,
}

impl Reissued {
    /// Writes `replacements` ([`Replacements::write`]); each new certificate as the outcome
    /// and the email name it.
    pub(crate) async fn write<C: ConnectionTrait>(
        replacements: Replacements,
        db: &C,
        notifier: &Notifier<'_>,
        actor: &Actor,
    ) -> AppResult<Vec<Reissued>> {
        Ok(replacements
            .write(db, notifier, actor)
            .await?
            .into_iter()
            .map(|(old_code, new)| Reissued {
                old_code,
                verification_url: verification_url(&notifier.config.public_url, &new.code),
                new_code: new.code,
                course: new.course_name,
            })
            .collect())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CorrectionOutcome {
    pub full_name: String,
    pub changes: Vec<FieldChange>,
    pub reissued: Vec<Reissued>,
    /// Whether the person was emailed (not when they have no email).
    pub notified: bool,
    /// What the correction left alone and why (another provider's records), for the page.
    pub note: Option<String>,
}

/// The person, if `actor` may correct them: coordinators and admins; a territorial
/// direction's coordinator only people enrolled for a municipality of its departments in one
/// of its cohorts. A person whose account has a staff role (anything but participant) is
/// corrected by an admin only. Anyone else gets 404, as if the person did not exist.
pub async fn find_correctable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    participant_id: i32,
) -> AppResult<participant::Model> {
    if !matches!(actor.role, Role::Coordinator | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let person = participant::Entity::find_by_id(participant_id)
        .found(db)
        .await?;
    if actor.role != Role::Admin
        && person.user_id.is_some()
        && account_role(db, &person).await? != Some(Role::Participant)
    {
        return Err(AppError::NotFound);
    }
    // ESAP's national coordinators and admins correct anyone; a direction's or another
    // provider's coordinator, the people enrolled in a cohort it manages, within its scope.
    let people = PersonScope::of(actor);
    if people.is_restricted() {
        let scope = CohortScope::of(Some(actor));
        let cohorts: Vec<i32> = enrolment::Entity::find()
            .filter(enrolment::Column::ParticipantId.eq(person.id))
            .filter(people.condition())
            .all_mapped(db, |e| e.cohort_id)
            .await?;
        let managed = cohort::Entity::find()
            .filter(cohort::Column::Id.is_in(cohorts))
            .filter(scope.condition())
            .count(db)
            .await?;
        if managed == 0 {
            return Err(AppError::NotFound);
        }
    }
    Ok(person)
}

/// What the correction form says before it is sent (issue 46).
#[derive(Clone, Debug)]
pub struct CorrectionFacts {
    /// The valid certificates of `actor`'s own that a correction of her identity or of the
    /// municipality may re-issue (another provider's are never re-issued).
    pub certificates: Vec<crate::certificates::issue::Verification>,
    /// The other providers she is enrolled with («ESAP y DNP»), when there are any: her names,
    /// document and email are then not `actor`'s to change.
    pub shared_with: Option<String>,
}

pub async fn facts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    participant_id: i32,
) -> AppResult<CorrectionFacts> {
    use crate::entities::certificate;
    use crate::entities::values::CertificateStatus;
    let holdings = ownership::holdings(db, actor, participant_id).await?;
    let own: Vec<i32> = holdings.own.iter().map(|e| e.id).collect();
    let rows = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(participant_id))
        .filter(certificate::Column::EnrolmentId.is_in(own))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(db)
        .await?;
    Ok(CorrectionFacts {
        certificates: crate::certificates::issue::verifications(db, rows).await?,
        shared_with: (!holdings.all_own()).then(|| holdings.others_named()),
    })
}

/// The role of the person's account, if they have one.
async fn account_role<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
) -> AppResult<Option<Role>> {
    Ok(match person.user_id {
        Some(id) => Some(crate::accounts::find(db, id).await?.role),
        None => None,
    })
}

/// What a correction will do.
struct Plan {
    /// The person's row as the correction leaves it.
    after: participant::Model,
    changes: Vec<FieldChange>,
    reason: String,
    /// The municipality the caller's own enrolments that carried the old one will carry
    /// (`None`: the municipality is not corrected).
    enrolments_to: Option<String>,
    note: Option<String>,
}

/// Names, document and email live on the person's one row: a coordinator that does not own
/// everything she holds does not change them (issue 46).
fn shared_field(person: &participant::Model, holdings: &Holdings, what: &str) -> String {
    format!(
        "{} también está inscrita en cohortes de {} que su coordinación no gestiona: {what} es \
         el mismo para todos los oferentes, así que una coordinación no lo cambia sola. {}",
        person.full_name(),
        holdings.others_named(),
        if what.starts_with("su nombre") {
            "Ella puede pedir el cambio de nombre desde «Mi perfil» (lo revisa la coordinación \
             de uno de sus cursos), o la administración de Aula Territorial lo corrige."
        } else {
            "La administración de Aula Territorial lo corrige."
        }
    )
}

/// The message for a changed sign-in email.
const SIGN_IN_EMAIL: &str = "Esta persona ingresa a Aula Territorial con este correo: su correo de ingreso \
     no se cambia con una corrección de datos. Solo ella lo cambia, desde «Mi perfil», y el \
     cambio se aplica cuando lo confirma desde la nueva dirección.";

/// The person as the correction leaves them, and the fields it changes; every problem at
/// once (the registration's own rules for names, document, email and municipality, then
/// whose they are to change).
async fn corrected<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
    holdings: &Holdings,
    input: &CorrectionInput,
) -> AppResult<Plan> {
    let profile_input = profile_input_for(person, input);
    let (profile, mut errors) = match registration::validate(db, &profile_input).await {
        Ok(profile) => (Some(profile), Vec::new()),
        Err(AppError::Validation(errors)) => (None, errors),
        Err(other) => return Err(other),
    };
    let reason = check_reason(input, &mut errors);
    let (Some(profile), Some(reason)) = (profile, reason) else {
        return Err(AppError::Validation(errors));
    };
    check_sign_in_email(person, &profile, &mut errors);
    let shared = !holdings.all_own();
    if shared {
        check_shared_fields(person, holdings, &profile, &mut errors);
    }
    let municipality_changed = profile.municipality_code != person.municipality_code;
    check_municipality_moves(
        person,
        holdings,
        shared && municipality_changed,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (after, enrolments_to, note) =
        apply_profile(person, holdings, profile, municipality_changed, shared);
    let changes = list_changes(db, person, &after, enrolments_to.as_deref(), shared).await?;
    if changes.is_empty() {
        return Err(AppError::invalid(
            "first_names",
            "Los datos escritos son los mismos que ya tiene la persona: no hay nada que corregir.",
        ));
    }
    Ok(Plan {
        after,
        changes,
        reason,
        enrolments_to,
        note,
    })
}

/// The registration's input for the person as typed, her current values where left blank.
fn profile_input_for(person: &participant::Model, input: &CorrectionInput) -> ProfileInput {
    let keep = |typed: &Option<String>, current: &str| {
        Some(typed.clone().unwrap_or_else(|| current.to_string()))
    };
    ProfileInput {
        document_type: keep(&input.document_type, person.document_type.as_str()),
        document_number: keep(&input.document_number, &person.document_number),
        first_names: keep(&input.first_names, &person.first_names),
        last_names: keep(&input.last_names, &person.last_names),
        email: match &input.email {
            Some(typed) => Some(typed.clone()),
            None => person.email.clone(),
        },
        phone: person.phone.clone(),
        municipality_code: keep(&input.municipality_code, &person.municipality_code),
        entity_type: Some(person.entity_type.clone()),
        entity_name: person.entity_name.clone(),
        position: person.position.clone(),
        level: Some(person.level.clone()),
        ..Default::default()
    }
}

fn check_reason(input: &CorrectionInput, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::validate::required(
        "reason",
        crate::validate::single_line(
            "reason",
            input.reason.as_deref().unwrap_or(""),
            crate::validate::REASON_MAX,
        ),
        "Escriba el motivo de la corrección (por ejemplo, «documento mal digitado en el registro»).",
        errors,
    )
}

/// An account's sign-in email is its owner's to change, never a correction's (issue 46).
fn check_sign_in_email(
    person: &participant::Model,
    profile: &registration::Profile,
    errors: &mut Vec<FieldError>,
) {
    if person.user_id.is_some() && profile.email != person.email {
        errors.push(FieldError::new("email", SIGN_IN_EMAIL));
    }
}

/// Names, document and contact email of a person who also holds others' enrolments.
fn check_shared_fields(
    person: &participant::Model,
    holdings: &Holdings,
    profile: &registration::Profile,
    errors: &mut Vec<FieldError>,
) {
    if profile.first_names != person.first_names {
        errors.push(FieldError::new(
            "first_names",
            shared_field(person, holdings, "su nombre"),
        ));
    }
    if profile.last_names != person.last_names {
        errors.push(FieldError::new(
            "last_names",
            shared_field(person, holdings, "su nombre"),
        ));
    }
    if profile.document_type != person.document_type
        || profile.document_number != person.document_number
    {
        errors.push(FieldError::new(
            "document_number",
            shared_field(person, holdings, "su documento"),
        ));
    }
    if person.user_id.is_none() && profile.email != person.email {
        errors.push(FieldError::new(
            "email",
            shared_field(person, holdings, "su correo de contacto"),
        ));
    }
}

/// A shared person's municipality change must move at least one of the caller's enrolments.
fn check_municipality_moves(
    person: &participant::Model,
    holdings: &Holdings,
    shared_change: bool,
    errors: &mut Vec<FieldError>,
) {
    let moving = holdings
        .own
        .iter()
        .filter(|e| e.municipality_code == person.municipality_code)
        .count();
    if shared_change && moving == 0 {
        errors.push(FieldError::new(
            "municipality_code",
            format!(
                "Ninguna inscripción de {} en las cohortes de su coordinación es por su municipio \
                 actual: no hay nada que corregir aquí. Su municipio de residencia lo cambia ella \
                 desde «Mi perfil», porque también está inscrita en cohortes de {}.",
                person.full_name(),
                holdings.others_named()
            ),
        ));
    }
}

/// The person's row with the corrected profile, where her enrolments move and the note.
fn apply_profile(
    person: &participant::Model,
    holdings: &Holdings,
    profile: registration::Profile,
    municipality_changed: bool,
    shared: bool,
) -> (participant::Model, Option<String>, Option<String>) {
    let mut after = person.clone();
    after.first_names = profile.first_names;
    after.last_names = profile.last_names;
    after.document_type = profile.document_type;
    after.document_number = profile.document_number;
    after.email = profile.email;
    // Her municipality of residence is hers and every provider's: only its own enrolments move
    // when she holds others'.
    let (enrolments_to, note) = match (municipality_changed, shared) {
        (false, _) => (None, None),
        (true, false) => {
            after.municipality_code = profile.municipality_code.clone();
            (Some(profile.municipality_code), None)
        }
        (true, true) => (
            Some(profile.municipality_code),
            Some(format!(
                "Su municipio de residencia no cambió: también está inscrita en cohortes de {}, \
                 y ella lo cambia desde «Mi perfil». Cambió el municipio de sus inscripciones en \
                 las cohortes de su coordinación.",
                holdings.others_named()
            )),
        ),
    };
    (after, enrolments_to, note)
}

/// The fields the correction changes, before and after.
async fn list_changes<C: ConnectionTrait>(
    db: &C,
    person: &participant::Model,
    after: &participant::Model,
    enrolments_to: Option<&str>,
    shared: bool,
) -> AppResult<Vec<FieldChange>> {
    let mut changes = Vec::new();
    let mut change = |label: &'static str, before: String, after: String| {
        if before != after {
            changes.push(FieldChange {
                label,
                before,
                after,
            });
        }
    };
    change(
        "Nombres",
        person.first_names.clone(),
        after.first_names.clone(),
    );
    change(
        "Apellidos",
        person.last_names.clone(),
        after.last_names.clone(),
    );
    change(
        "Documento",
        format!(
            "{} {}",
            person.document_type.as_str(),
            person.document_number
        ),
        format!("{} {}", after.document_type.as_str(), after.document_number),
    );
    change(
        EMAIL_LABEL,
        person.email.clone().unwrap_or_default(),
        after.email.clone().unwrap_or_default(),
    );
    if let Some(to) = enrolments_to {
        change(
            if shared {
                "Municipio de las inscripciones"
            } else {
                "Municipio"
            },
            place_name(db, &person.municipality_code).await?,
            place_name(db, to).await?,
        );
    }
    Ok(changes)
}

const EMAIL_LABEL: &str = "Correo electrónico";

/// «El Paujíl (Caquetá) · 18256».
pub async fn place_name<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<String> {
    let place = municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?;
    Ok(match place {
        Some(m) => {
            let department = crate::territory::department_name(db, &m.department_code).await?;
            format!("{} ({department}) · {code}", m.name)
        }
        None => code.to_string(),
    })
}

/// Another person or account already holds the corrected document or email: 422.
async fn check_unique<C: ConnectionTrait>(
    db: &C,
    before: &participant::Model,
    after: &participant::Model,
) -> AppResult<()> {
    let mut errors = Vec::new();
    let same_document = participant::Entity::find()
        .filter(participant::Column::DocumentType.eq(after.document_type))
        .filter(participant::Column::DocumentNumber.eq(after.document_number.as_str()))
        .filter(participant::Column::Id.ne(after.id))
        .count(db)
        .await?;
    if same_document > 0 {
        errors.push(FieldError::new(
            "document_number",
            "Otra persona ya está registrada con ese documento. Si es la misma persona, no la \
             corrija aquí: escriba a soporte para unir los dos registros.",
        ));
    }
    if let (Some(email), Some(account)) = (&after.email, before.user_id)
        && after.email != before.email
    {
        let taken = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .filter(user::Column::Id.ne(account))
            .count(db)
            .await?;
        if taken > 0 {
            errors.push(FieldError::new(
                "email",
                "Ya existe una cuenta con este correo electrónico.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A person's identity and place as a correction's audit row stores them
/// (`participant.corrected`).
#[derive(Serialize)]
struct Identity<'a> {
    first_names: &'a str,
    last_names: &'a str,
    document_type: DocumentType,
    document_number: &'a str,
    email: Option<&'a str>,
    municipality_code: &'a str,
}

impl<'a> Identity<'a> {
    fn of(person: &'a participant::Model) -> Self {
        Self {
            first_names: &person.first_names,
            last_names: &person.last_names,
            document_type: person.document_type,
            document_number: &person.document_number,
            email: person.email.as_deref(),
            municipality_code: &person.municipality_code,
        }
    }
}

/// The person as the correction leaves her, with what moved with her and why.
#[derive(Serialize)]
struct Corrected<'a> {
    #[serde(flatten)]
    identity: Identity<'a>,
    enrolments_moved: &'a [i32],
    enrolments_to: Option<&'a str>,
    others_kept: &'a [String],
    reason: &'a str,
    reissued: Vec<ReissuedCodes<'a>>,
}

/// A re-issued certificate in an audit row: its old code and its new one.
#[derive(Serialize)]
pub(crate) struct ReissuedCodes<'a> {
    old: &'a str,
    new: &'a str,
}

impl<'a> ReissuedCodes<'a> {
    pub(crate) fn of(reissued: &'a Reissued) -> Self {
        Self {
            old: &reissued.old_code,
            new: &reissued.new_code,
        }
    }
}

/// Corrects the person `participant_id` (see the module's description).
pub async fn correct(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    participant_id: i32,
    input: &CorrectionInput,
) -> AppResult<CorrectionOutcome> {
    let before = find_correctable(db, actor, participant_id).await?;
    let holdings = ownership::holdings(db, actor, before.id).await?;
    let Plan {
        after,
        changes,
        reason,
        enrolments_to,
        note,
    } = corrected(db, &before, &holdings, input).await?;
    check_unique(db, &before, &after).await?;
    let identity_changed = after.full_name() != before.full_name()
        || after.document_type != before.document_type
        || after.document_number != before.document_number;
    // Its own enrolments that carried the mistaken municipality (they took it from the same
    // profile), and its own certificates to re-issue: all of them when the identity changes
    // (then everything she holds is its own), else those of the enrolments that move.
    let moved: Vec<i32> = match &enrolments_to {
        Some(_) => holdings
            .own
            .iter()
            .filter(|e| e.municipality_code == before.municipality_code)
            .map(|e| e.id)
            .collect(),
        None => Vec::new(),
    };
    let reissue: Vec<i32> = if identity_changed {
        holdings.own.iter().map(|e| e.id).collect()
    } else {
        moved.clone()
    };

    // The new certificates are drafted (and their PDFs rendered) before the transaction.
    let replacements = if reissue.is_empty() {
        Replacements::none()
    } else {
        Replacements::of_enrolments(
            db,
            notifier,
            actor.id,
            &after,
            &reissue,
            &moved,
            enrolments_to
                .as_deref()
                .unwrap_or(before.municipality_code.as_str()),
        )
        .await?
    };
    replacements
        .write_then(db, notifier, async |txn, replacements| {
            check_unchanged(txn, actor, participant_id, &before, &holdings).await?;
            check_unique(txn, &before, &after).await?;

            write_person(txn, &before, &after).await?;
            move_enrolments(txn, &before, enrolments_to.as_deref(), &moved).await?;
            let reissued = Reissued::write(replacements, txn, notifier, actor).await?;
            audit::record(
                txn,
                Change {
                    actor: Some(actor.id),
                    action: "participant.corrected",
                    subject_type: "participant",
                    subject_id: before.id.to_string(),
                    before: serde_json::to_value(Identity::of(&before)).ok(),
                    after: serde_json::to_value(Corrected {
                        identity: Identity::of(&after),
                        enrolments_moved: &moved,
                        enrolments_to: enrolments_to.as_deref(),
                        others_kept: &holdings.others,
                        reason: &reason,
                        reissued: reissued.iter().map(ReissuedCodes::of).collect(),
                    })
                    .ok(),
                },
            )
            .await?;

            let message = DataCorrected {
                by: corrected_by(txn, actor).await?,
                full_name: after.full_name(),
                changes: masked(&changes),
                reason: reason.clone(),
                reissued: reissued.clone(),
            };
            let notified = mail_correction(txn, notifier, &before, &after, &message).await?;
            Ok(CorrectionOutcome {
                full_name: after.full_name(),
                changes,
                reissued,
                notified,
                note,
            })
        })
        .await
}

/// Read again inside the transaction: a concurrent correction, registration or enrolment
/// may have come first.
async fn check_unchanged(
    txn: &crate::db::Txn,
    actor: &Actor,
    participant_id: i32,
    before: &participant::Model,
    holdings: &Holdings,
) -> AppResult<()> {
    let now_person = participant::Entity::find_by_id(participant_id)
        .found(txn)
        .await?;
    let now_holdings = ownership::holdings(txn, actor, before.id).await?;
    let own_ids = |h: &Holdings| h.own.iter().map(|e| e.id).collect::<Vec<_>>();
    if now_person != *before
        || now_holdings.others != holdings.others
        || own_ids(&now_holdings) != own_ids(holdings)
    {
        return Err(AppError::Conflict(
            "Los datos de la persona cambiaron mientras se corregían: vuelva a abrir el \
                 formulario."
                .into(),
        ));
    }
    Ok(())
}

/// Her row is written only when something of it changes (a municipality's correction of a
/// person other providers also train moves its enrolments only); her account's name follows.
async fn write_person(
    txn: &crate::db::Txn,
    before: &participant::Model,
    after: &participant::Model,
) -> AppResult<()> {
    if after != before {
        let mut model: participant::ActiveModel = before.clone().into();
        model.first_names = Set(after.first_names.clone());
        model.last_names = Set(after.last_names.clone());
        model.document_type = Set(after.document_type);
        model.document_number = Set(after.document_number.clone());
        model.email = Set(after.email.clone());
        model.municipality_code = Set(after.municipality_code.clone());
        model.updated_at = Set(crate::time::now());
        model.update(txn).await?;
    }
    if let Some(account) = before.user_id
        && after.full_name() != before.full_name()
    {
        user::Entity::update_many()
            .col_expr(user::Column::FullName, Expr::value(after.full_name()))
            .col_expr(user::Column::UpdatedAt, Expr::value(crate::time::now()))
            .filter(user::Column::Id.eq(account))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The caller's own enrolments that carried the old municipality carry the new one.
async fn move_enrolments(
    txn: &crate::db::Txn,
    before: &participant::Model,
    enrolments_to: Option<&str>,
    moved: &[i32],
) -> AppResult<()> {
    if let Some(to) = enrolments_to
        && !moved.is_empty()
    {
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::MunicipalityCode, Expr::value(to))
            .filter(enrolment::Column::Id.is_in(moved.to_vec()))
            .filter(enrolment::Column::MunicipalityCode.eq(before.municipality_code.as_str()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The email masks documents: the old address may no longer be the person's.
fn masked(changes: &[FieldChange]) -> Vec<FieldChange> {
    changes
        .iter()
        .map(|c| match c.label {
            "Documento" => FieldChange {
                label: c.label,
                before: mask_words(&c.before),
                after: mask_words(&c.after),
            },
            _ => c.clone(),
        })
        .collect()
}

/// Queues the email to her address and, when it changed, to the old one; whether any went.
async fn mail_correction(
    txn: &crate::db::Txn,
    notifier: &Notifier<'_>,
    before: &participant::Model,
    after: &participant::Model,
    message: &DataCorrected,
) -> AppResult<bool> {
    let stamp = crate::time::now().timestamp_micros();
    let mut recipients: Vec<String> = after.email.iter().cloned().collect();
    if let Some(old) = &before.email
        && Some(old) != after.email.as_ref()
    {
        recipients.push(old.clone());
    }
    let notified = !recipients.is_empty();
    for to in recipients {
        let key = format!("datos-corregidos:{}:{stamp}:{to}", before.id);
        mail::enqueue(txn, notifier, Email::of(to, message)?.once(key)).await?;
    }
    Ok(notified)
}

/// «La coordinación de DNP», who the email says corrected the data.
async fn corrected_by<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<String> {
    Ok(match actor.role {
        Role::Admin => "La administración de Aula Territorial".into(),
        _ => {
            let provider = crate::providers::get(db, actor.provider_id).await?;
            format!(
                "La coordinación de {}",
                crate::providers::short_name(&provider.name)
            )
        }
    })
}

/// `CC 1117512345` → `CC ******2345`.
fn mask_words(document: &str) -> String {
    match document.split_once(' ') {
        Some((kind, number)) => format!("{kind} {}", mask_document(number)),
        None => mask_document(document),
    }
}

/// «Corregimos sus datos», with what changed, why and the new certificates.
#[derive(Serialize)]
struct DataCorrected {
    /// «La coordinación de DNP».
    by: String,
    full_name: String,
    changes: Vec<FieldChange>,
    reason: String,
    reissued: Vec<Reissued>,
}

impl mail::Message for DataCorrected {
    const TEMPLATE: &'static str = "data_corrected";
    fn subject(&self) -> String {
        "Corregimos sus datos en Aula Territorial".into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_are_masked_in_the_email() {
        assert_eq!(super::mask_words("CC 1117512345"), "CC ******2345");
    }
}
