//! A participant's own data: what they see, what they may correct, and the full export.

use super::SENSITIVE_CONSENT_VERSION;
use super::registration::{self, Profile, ProfileInput};
use crate::audit::{self, Change};
use crate::entities::values::{CertificateStatus, ConsentKind, EnrolmentStatus, Mark, Role};
use crate::entities::{
    attendance_mark, certificate, consent, enrolment, municipality, participant, score, user,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Notifier;
use crate::time::now;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

/// A participant's profile as shown to them and to staff.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Participant)]
pub struct ParticipantView {
    pub id: i32,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    #[schema(example = "1098765432")]
    pub document_number: String,
    pub first_names: String,
    pub last_names: String,
    #[schema(format = Email)]
    pub email: Option<String>,
    pub phone: Option<String>,
    /// DANE code of the municipality.
    #[schema(example = "18094")]
    pub municipality_code: String,
    #[schema(example = "Belén de los Andaquíes")]
    pub municipality_name: Option<String>,
    pub department_code: Option<String>,
    #[schema(value_type = super::EntityType)]
    pub entity_type: String,
    pub entity_name: Option<String>,
    pub position: Option<String>,
    #[schema(value_type = super::Level)]
    pub level: String,
    /// Express consent for the differential-approach data.
    pub sensitive_data_consent: bool,
    #[schema(value_type = Option<super::Sex>)]
    pub sex: Option<String>,
    #[schema(value_type = Option<super::EthnicGroup>)]
    pub ethnic_group: Option<String>,
    pub has_disability: Option<bool>,
    pub is_conflict_victim: Option<bool>,
}

async fn has_active_consent<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
    kind: ConsentKind,
) -> AppResult<bool> {
    Ok(consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(participant_id))
        .filter(consent::Column::Kind.eq(kind))
        .filter(consent::Column::WithdrawnAt.is_null())
        .one(db)
        .await?
        .is_some())
}

async fn view<C: ConnectionTrait>(
    db: &C,
    person: participant::Model,
) -> AppResult<ParticipantView> {
    let place = municipality::Entity::find_by_id(person.municipality_code.clone())
        .one(db)
        .await?;
    Ok(ParticipantView {
        sensitive_data_consent: has_active_consent(db, person.id, ConsentKind::SensitiveData)
            .await?,
        id: person.id,
        document_type: person.document_type.as_str().to_string(),
        document_number: person.document_number,
        first_names: person.first_names,
        last_names: person.last_names,
        email: person.email,
        phone: person.phone,
        municipality_name: place.as_ref().map(|m| m.name.clone()),
        department_code: place.map(|m| m.department_code),
        municipality_code: person.municipality_code,
        entity_type: person.entity_type,
        entity_name: person.entity_name,
        position: person.position,
        level: person.level,
        sex: person.sex,
        ethnic_group: person.ethnic_group,
        has_disability: person.has_disability,
        is_conflict_victim: person.is_conflict_victim,
    })
}

pub async fn participant_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> AppResult<Option<participant::Model>> {
    Ok(participant::Entity::find()
        .filter(participant::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

pub async fn profile_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> AppResult<Option<ParticipantView>> {
    match participant_of_user(db, user_id).await? {
        Some(person) => Ok(Some(view(db, person).await?)),
        None => Ok(None),
    }
}

/// What a participant's own change of her profile did besides saving it (issue 46).
#[derive(Clone, Debug)]
pub struct OwnUpdate {
    pub view: ParticipantView,
    /// Her change of name waits for the coordination's review.
    pub name_pending: bool,
    /// The new sign-in email waiting for its confirmation from that address.
    pub email_pending: Option<String>,
}

/// What of a participant's own changes still waits, for «Mi perfil».
#[derive(Clone, Debug, Default, Serialize)]
pub struct OwnPending {
    /// The names she asked for, in review: (first names, last names).
    pub first_names: Option<String>,
    pub last_names: Option<String>,
    /// The new sign-in email she asked for, waiting for its confirmation.
    pub email: Option<String>,
}

impl OwnPending {
    pub fn name(&self) -> Option<String> {
        match (&self.first_names, &self.last_names) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            _ => None,
        }
    }
}

/// The changes of `user_id`'s own that wait: a name in review, an email to confirm.
pub async fn own_pending<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<OwnPending> {
    let mut pending = OwnPending {
        email: crate::accounts::email_change::pending_of(db, user_id).await?,
        ..OwnPending::default()
    };
    if let Some(person) = participant_of_user(db, user_id).await?
        && let Some(change) = super::name_change::pending_of(db, person.id).await?
    {
        pending.first_names = Some(change.first_names);
        pending.last_names = Some(change.last_names);
    }
    Ok(pending)
}

/// A participant corrects their profile. The document identifies the person across cohorts,
/// so it is kept as it is (a coordinator corrects it). Giving the sensitive-data consent
/// records it; withdrawing it erases those data.
///
/// Issue 46: only she moves her account, and not by her session alone. A new sign-in email is
/// stored as pending and takes effect when the new address confirms it; the old address is
/// told at once, with a link that undoes it for a week (`accounts::email_change`). Once she has
/// an enrolment, a new name waits for the review of her cohorts' coordination
/// (`people::name_change`); her record and her certificates keep the approved one meanwhile.
pub async fn update_own(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    user_id: i32,
    input: &ProfileInput,
) -> AppResult<OwnUpdate> {
    crate::db::write(db, async |txn| {
        let person = participant_of_user(txn, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut input = input.clone();
        input.document_type = Some(person.document_type.as_str().to_string());
        input.document_number = Some(person.document_number.clone());
        let mut profile: Profile = registration::validate(txn, &input).await?;
        let email = profile.email.clone().ok_or_else(|| {
            AppError::invalid("email", "Escriba su correo electrónico: con él ingresará.")
        })?;
        let account = crate::accounts::find(txn, user_id).await?;
        if email != account.email
            && user::Entity::find()
                .filter(user::Column::Email.eq(email.as_str()))
                .one(txn)
                .await?
                .is_some()
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "email",
                "Ya existe una cuenta con este correo electrónico.",
            )]));
        }
        let name = super::name_change::request_own(
            txn,
            &person,
            &profile.first_names,
            &profile.last_names,
        )
        .await?;
        if name != super::name_change::OwnName::Apply {
            // Her record keeps the approved name (a change waits for its review).
            profile.first_names = person.first_names.clone();
            profile.last_names = person.last_names.clone();
        }
        let email_pending = if email != account.email {
            // A session cannot make the product mail a stranger's address over and over.
            if !crate::accounts::throttle::allow_notice(txn, &email).await? {
                return Err(AppError::invalid(
                    "email",
                    "Ya enviamos varios enlaces a esa dirección en la última hora: espere un rato \
                     antes de pedir el cambio de nuevo.",
                ));
            }
            crate::accounts::email_change::request(txn, notifier, &account, &email, user_id)
                .await?;
            Some(email)
        } else {
            None
        };
        // The sign-in email moves only when the new address confirms it.
        profile.email = Some(account.email.clone());
        let had_consent = has_active_consent(txn, person.id, ConsentKind::SensitiveData).await?;
        let before = view(txn, person.clone()).await?;
        let mut saved = registration::save_profile(txn, Some(person), None, &profile).await?;
        match (had_consent, profile.sensitive.is_some()) {
            (false, true) => {
                registration::record_consent(
                    txn,
                    saved.id,
                    ConsentKind::SensitiveData,
                    SENSITIVE_CONSENT_VERSION,
                )
                .await?
            }
            (true, false) => {
                consent::Entity::update_many()
                    .col_expr(consent::Column::WithdrawnAt, Expr::value(now()))
                    .filter(consent::Column::ParticipantId.eq(saved.id))
                    .filter(consent::Column::Kind.eq(ConsentKind::SensitiveData))
                    .filter(consent::Column::WithdrawnAt.is_null())
                    .exec(txn)
                    .await?;
                let mut model: participant::ActiveModel = saved.into();
                model.sex = Set(None);
                model.ethnic_group = Set(None);
                model.has_disability = Set(None);
                model.is_conflict_victim = Set(None);
                saved = model.update(txn).await?;
            }
            _ => {}
        }
        let mut account: user::ActiveModel = account.into();
        account.full_name = Set(format!("{} {}", saved.first_names, saved.last_names));
        account.updated_at = Set(now());
        account.update(txn).await?;
        let after = view(txn, saved).await?;
        audit::record(
            txn,
            Change {
                actor: Some(user_id),
                action: "participant.profile_updated",
                subject_type: "participant",
                subject_id: after.id.to_string(),
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
            },
        )
        .await?;
        Ok(OwnUpdate {
            view: after,
            name_pending: name == super::name_change::OwnName::Pending,
            email_pending,
        })
    })
    .await
}

/// Everything the product holds about a user (Ley 1581: the right to know one's data): the
/// file "Descargar todos mis datos" gives and `/api/v1/me/data` answers. Times are RFC 3339
/// in Colombia; a user who is not a participant has only the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonalData {
    #[schema(format = DateTime)]
    pub generated_at: String,
    pub account: AccountRecord,
    pub participant: Option<ParticipantView>,
    pub consents: Vec<ConsentRecord>,
    pub enrolments: Vec<EnrolmentRecord>,
    pub attendance: Vec<AttendanceRecord>,
    pub scores: Vec<ScoreRecord>,
    pub certificates: Vec<CertificateRecord>,
}

/// The account (never its password hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountRecord {
    pub id: i32,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub department_code: Option<String>,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub kind: ConsentKind,
    pub text_version: String,
    #[schema(format = DateTime)]
    pub granted_at: String,
    #[schema(format = DateTime)]
    pub withdrawn_at: Option<String>,
    /// Where it comes from (issue 67): `null`, given by her here; `import`, declared by whoever
    /// imported her (`declared_by_name`) with the source they declared (`source_detail`).
    #[schema(example = "import")]
    pub source: Option<String>,
    #[schema(example = "Formato físico de inscripción firmado el 12/11/2026")]
    pub source_detail: Option<String>,
    pub declared_by_name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrolmentRecord {
    pub id: i32,
    pub cohort_id: i32,
    pub status: EnrolmentStatus,
    pub municipality_code: String,
    pub entity_type: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    pub cancellation_reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendanceRecord {
    pub enrolment_id: i32,
    pub session_id: i32,
    pub status: Mark,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreRecord {
    pub enrolment_id: i32,
    pub assessment_id: i32,
    /// On the Colombian 0.0–5.0 scale.
    #[schema(minimum = 0, maximum = 5)]
    pub score: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateRecord {
    pub code: String,
    pub status: CertificateStatus,
    pub course: String,
    #[schema(format = DateTime)]
    pub issued_at: String,
}

/// The personal data of `user_id` (see [`PersonalData`]).
pub async fn personal_data_export<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
) -> AppResult<PersonalData> {
    use crate::time::date_time;
    let account = crate::accounts::find(db, user_id).await?;
    let mut export = PersonalData {
        generated_at: date_time(now()),
        account: AccountRecord {
            id: account.id,
            email: account.email,
            full_name: account.full_name,
            role: account.role,
            department_code: account.department_code,
            active: account.active,
            created_at: date_time(account.created_at),
            last_login_at: account.last_login_at.map(date_time),
        },
        participant: None,
        consents: Vec::new(),
        enrolments: Vec::new(),
        attendance: Vec::new(),
        scores: Vec::new(),
        certificates: Vec::new(),
    };
    let Some(person) = participant_of_user(db, user_id).await? else {
        return Ok(export);
    };
    let person_id = person.id;
    export.participant = Some(view(db, person).await?);
    let consents = consent::Entity::find()
        .filter(consent::Column::ParticipantId.eq(person_id))
        .order_by_asc(consent::Column::Id)
        .all(db)
        .await?;
    let declarers =
        crate::habeas::declared::declarers(db, consents.iter().filter_map(|c| c.declared_by))
            .await?;
    export.consents = consents
        .into_iter()
        .map(|c| ConsentRecord {
            kind: c.kind,
            text_version: c.text_version,
            granted_at: date_time(c.granted_at),
            withdrawn_at: c.withdrawn_at.map(date_time),
            declared_by_name: c.declared_by.and_then(|id| declarers.get(&id).cloned()),
            source: c.source,
            source_detail: c.source_detail,
        })
        .collect();
    let enrolments = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(person_id))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let enrolment_ids: Vec<i32> = enrolments.iter().map(|e| e.id).collect();
    export.enrolments = enrolments
        .into_iter()
        .map(|e| EnrolmentRecord {
            id: e.id,
            cohort_id: e.cohort_id,
            status: e.status,
            municipality_code: e.municipality_code,
            entity_type: e.entity_type,
            created_at: date_time(e.created_at),
            cancelled_at: e.cancelled_at.map(date_time),
            cancellation_reason: e.cancellation_reason,
        })
        .collect();
    export.attendance = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::EnrolmentId.is_in(enrolment_ids.clone()))
        .order_by_asc(attendance_mark::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| AttendanceRecord {
            enrolment_id: m.enrolment_id,
            session_id: m.session_id,
            status: m.status,
            note: m.note,
            recorded_at: date_time(m.recorded_at),
        })
        .collect();
    export.scores = score::Entity::find()
        .filter(score::Column::EnrolmentId.is_in(enrolment_ids))
        .order_by_asc(score::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ScoreRecord {
            enrolment_id: s.enrolment_id,
            assessment_id: s.assessment_id,
            score: crate::parse::grade_value(s.score_tenths),
        })
        .collect();
    export.certificates = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(person_id))
        .order_by_asc(certificate::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CertificateRecord {
            code: c.code,
            status: c.status,
            course: c.course_name,
            issued_at: date_time(c.issued_at),
        })
        .collect();
    Ok(export)
}
