//! A programme certified as a whole (issue 64, item 5): a coordinator who manages an edition
//! issues the programme's certificate to every person of it who met the programme's rule
//! ([`super::progress::rule`]: every required module completed or recognised, the electives,
//! the prerequisites) and holds none yet. Like a course's, the certificate is a snapshot: the
//! person, the programme, its hours and dates, and the modules that counted (name, hours,
//! completed or recognised, and the code of the module's certificate). Its verification, its
//! PDF and its Open Badges 3.0 credential are read from that snapshot; only «review needed»
//! is computed live, from the module certificates it names (one revoked since: the programme
//! certificate is to be reviewed). Nothing in the certificates area calls up into programmes:
//! this module reads the certificates, never the other way round.

use super::editions::{self, Edition};
use super::progress::{self, ModuleState, PersonProgress, ProgrammeRef, ProgrammeState};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::certificates::code;
use crate::certificates::issue::{ISSUER, credential_download_url, mask_document};
use crate::certificates::pdf::{self, CertificateDocument, ModuleRow, ProgrammePart};
use crate::config::AppConfig;
use crate::entities::values::{CertificateStatus, ProgrammeKind};
use crate::entities::{
    certificate, department, municipality, participant, programme_certificate, programme_edition,
};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Attachment, Email, Notifier};
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How a module counted towards the programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProgrammeCertificateModuleStatus)]
pub enum ModuleCounted {
    Completed,
    Recognised,
}

impl ModuleCounted {
    pub fn label(self) -> &'static str {
        match self {
            ModuleCounted::Completed => "Aprobado",
            ModuleCounted::Recognised => "Reconocido",
        }
    }
}

/// One module of a programme certificate's snapshot (the `modules` JSON of its row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProgrammeCertificateModule)]
pub struct ModuleLine {
    #[schema(example = "Gestión Presupuestal")]
    pub course_name: String,
    pub hours: i32,
    pub status: ModuleCounted,
    /// The module's certificate (or the one its recognition rests on), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")]
    pub certificate_code: Option<String>,
}

/// The modules a programme certificate states, in the programme's order.
pub fn modules_of(cert: &programme_certificate::Model) -> Vec<ModuleLine> {
    serde_json::from_str(&cert.modules).unwrap_or_default()
}

/// A certificate issued to a person of the edition.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeCertificateIssued)]
pub struct IssuedTo {
    #[schema(example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")]
    pub code: String,
    pub participant_id: i32,
}

/// A person of the edition who got no certificate, and why.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeCertificateSkipped)]
pub struct SkippedPerson {
    pub participant_id: i32,
    pub full_name: String,
    #[schema(
        example = "Aún no cumple la regla del programa: falta el módulo obligatorio «Gestión Tributaria»."
    )]
    pub reason: String,
}

/// The answer of `POST /programme-editions/{id}/certificates`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeCertificatesOutcome)]
pub struct EditionOutcome {
    pub issued: Vec<IssuedTo>,
    pub skipped: Vec<SkippedPerson>,
}

const ALREADY_VALID: &str = "Ya tiene un certificado vigente de este programa.";

/// Why `person` does not meet the programme's rule, in Spanish: the required modules still
/// missing, the electives short, the modules that count only after another.
pub fn rule_not_met(edition: &Edition, person: &PersonProgress) -> String {
    let programme = &edition.programme;
    let states: HashMap<i32, ModuleState> = person
        .modules
        .iter()
        .map(|m| (m.course_id, m.status))
        .collect();
    let counts = |id: i32| states.get(&id).is_some_and(|s| s.counts());
    let name = |id: i32| {
        programme
            .module(id)
            .map_or_else(|| id.to_string(), |m| m.course_name.clone())
    };
    let quoted = |names: Vec<String>| {
        names
            .iter()
            .map(|n| format!("«{n}»"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    let required: Vec<String> = programme
        .modules
        .iter()
        .filter(|m| m.required && !counts(m.course_id))
        .map(|m| m.course_name.clone())
        .collect();
    match required.len() {
        0 => {}
        1 => parts.push(format!("falta el módulo obligatorio {}", quoted(required))),
        _ => parts.push(format!(
            "faltan los módulos obligatorios {}",
            quoted(required)
        )),
    }
    let counted_electives = programme
        .modules
        .iter()
        .filter(|m| !m.required && counts(m.course_id) && m.after.iter().all(|a| counts(*a)))
        .count();
    let needed = usize::try_from(programme.electives_required.max(0)).unwrap_or(0);
    if counted_electives < needed {
        let short = needed - counted_electives;
        let open: Vec<String> = programme
            .modules
            .iter()
            .filter(|m| !m.required && !counts(m.course_id))
            .map(|m| m.course_name.clone())
            .collect();
        let what = if short == 1 {
            "falta 1 módulo electivo".to_string()
        } else {
            format!("faltan {short} módulos electivos")
        };
        parts.push(if open.is_empty() {
            what
        } else {
            format!("{what} (de {})", quoted(open))
        });
    }
    for module in &programme.modules {
        if !counts(module.course_id) {
            continue;
        }
        let before: Vec<String> = module
            .after
            .iter()
            .filter(|a| !counts(**a) && programme.module(**a).is_some_and(|m| !m.required))
            .map(|a| name(*a))
            .collect();
        if !before.is_empty() {
            parts.push(format!(
                "«{}» cuenta solo después de {}",
                module.course_name,
                quoted(before)
            ));
        }
    }
    if parts.is_empty() {
        format!(
            "Aún no cumple la regla del {}.",
            programme.kind_label.to_lowercase()
        )
    } else {
        format!(
            "Aún no cumple la regla del {}: {}.",
            programme.kind_label.to_lowercase(),
            parts.join("; ")
        )
    }
}

/// Who issues a programme's certificate: ESAP as for its courses, or the programme's provider.
fn issuer_of(edition: &Edition) -> String {
    if edition.programme.provider.id == crate::providers::ESAP {
        ISSUER.to_string()
    } else {
        edition.programme.provider.name.clone()
    }
}

/// The modules that count for `person`, as the snapshot states them.
fn counted_modules(edition: &Edition, person: &PersonProgress) -> Vec<ModuleLine> {
    person
        .modules
        .iter()
        .filter_map(|m| {
            let status = match m.status {
                ModuleState::Completed => ModuleCounted::Completed,
                ModuleState::Recognised => ModuleCounted::Recognised,
                _ => return None,
            };
            Some(ModuleLine {
                course_name: m.course_name.clone(),
                hours: edition.programme.module(m.course_id).map_or(0, |v| v.hours),
                status,
                certificate_code: m.certificate_code.clone(),
            })
        })
        .collect()
}

/// A programme certificate about to be issued, with the PDF emailed to its holder; both made
/// before the write transaction (as a course's certificates are).
struct Draft {
    snapshot: programme_certificate::Model,
    email: Option<String>,
    pdf: Option<Vec<u8>>,
}

impl Draft {
    async fn new<C: ConnectionTrait>(
        db: &C,
        config: &AppConfig,
        edition: &Edition,
        person: &PersonProgress,
        actor: i32,
    ) -> AppResult<Draft> {
        let holder = participant::Entity::find_by_id(person.participant_id)
            .found(db)
            .await?;
        let place = municipality::Entity::find_by_id(person.municipality_code.clone())
            .one(db)
            .await?;
        let department_name = match &place {
            Some(m) => department::Entity::find_by_id(m.department_code.clone())
                .one(db)
                .await?
                .map(|d| d.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let cohorts = edition.ordered_cohorts();
        let start_date = cohorts.iter().map(|c| c.start_date).min();
        let end_date = cohorts.iter().map(|c| c.end_date).max();
        let (Some(start_date), Some(end_date)) = (start_date, end_date) else {
            return Err(AppError::Conflict(
                "La edición no tiene cohortes: no hay fechas que certificar.".into(),
            ));
        };
        let modules = serde_json::to_string(&counted_modules(edition, person))
            .map_err(|e| AppError::Internal(format!("módulos del certificado: {e}")))?;
        let snapshot = programme_certificate::Model {
            id: 0,
            code: String::new(),
            programme_enrolment_id: person.programme_enrolment_id,
            edition_id: edition.row.id,
            programme_id: edition.programme.id,
            participant_id: holder.id,
            status: CertificateStatus::Valid,
            full_name: holder.full_name(),
            document_type: holder.document_type,
            document_number: holder.document_number.clone(),
            programme_code: edition.programme.code.clone(),
            programme_name: edition.programme.name.clone(),
            programme_kind: edition.programme.kind,
            hours: edition.programme.hours,
            start_date,
            end_date,
            municipality_code: person.municipality_code.clone(),
            municipality_name: place.map(|m| m.name).unwrap_or_default(),
            department_name,
            modules,
            issuer: issuer_of(edition),
            issued_at: crate::time::now(),
            issued_by: Some(actor),
            revoked_at: None,
            revoked_by: None,
            revocation_reason: None,
        };
        Draft {
            snapshot,
            email: holder.email,
            pdf: None,
        }
        .with_fresh_code(config)
        .await
    }

    /// The same certificate under a newly drawn code, its PDF drawn again when it is emailed.
    async fn with_fresh_code(mut self, config: &AppConfig) -> AppResult<Draft> {
        self.snapshot.code = code::generate();
        self.pdf = match self.email {
            Some(_) => Some(render_pdf(&self.snapshot, config).await?),
            None => None,
        };
        Ok(self)
    }

    /// Writes the row, its audit entry and its email with the PDF, in the transaction `db`.
    async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        notifier: &Notifier<'_>,
        actor: i32,
    ) -> AppResult<programme_certificate::Model> {
        let mut row = self.snapshot.into_active_model().reset_all();
        row.id = NotSet;
        let cert = row.insert(db).await?;
        audit::record(
            db,
            Change {
                actor: Some(actor),
                action: "programme_certificate.issued",
                subject_type: "programme_certificate",
                subject_id: cert.id.to_string(),
                before: None,
                after: serde_json::to_value(Issued {
                    code: &cert.code,
                    programme_enrolment_id: cert.programme_enrolment_id,
                    participant_id: cert.participant_id,
                })
                .ok(),
            },
        )
        .await?;
        if let (Some(to), Some(pdf)) = (self.email, self.pdf) {
            let public_url = &notifier.config.public_url;
            let message = ProgrammeCertificateIssued {
                full_name: &cert.full_name,
                programme: &cert.programme_name,
                completed: completed_phrase(cert.programme_kind),
                code: &cert.code,
                verification_url: crate::certificates::issue::verification_url(
                    public_url, &cert.code,
                ),
                credential_url: credential_download_url(public_url, &cert.code),
            };
            let email = Email::of(to, &message)?
                .attach(Attachment {
                    filename: format!("certificado-{}.pdf", cert.code),
                    content_type: "application/pdf".into(),
                    content: pdf,
                })
                .once(format!("certificado-programa:{}", cert.id));
            mail::enqueue(db, notifier, email).await?;
        }
        Ok(cert)
    }
}

/// A programme certificate issued (`programme_certificate.issued`).
#[derive(Serialize)]
struct Issued<'a> {
    code: &'a str,
    programme_enrolment_id: i32,
    participant_id: i32,
}

/// People of `ids` who already hold a valid certificate of the programme.
async fn holders<C: ConnectionTrait>(
    db: &C,
    programme_id: i32,
    ids: &[i32],
) -> AppResult<HashSet<i32>> {
    Ok(programme_certificate::Entity::find()
        .filter(programme_certificate::Column::ProgrammeId.eq(programme_id))
        .filter(programme_certificate::Column::ParticipantId.is_in(ids.to_vec()))
        .filter(programme_certificate::Column::Status.eq(CertificateStatus::Valid))
        .all_mapped(db, |c| c.participant_id)
        .await?)
}

/// Codes of `codes` already taken by a course's or a programme's certificate: the two share
/// one verification page, so a code is unique across both.
async fn taken_codes<C: ConnectionTrait>(db: &C, codes: &[String]) -> AppResult<HashSet<String>> {
    let mut taken: HashSet<String> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Code)
        .filter(certificate::Column::Code.is_in(codes.to_vec()))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    taken.extend(
        programme_certificate::Entity::find()
            .select_only()
            .column(programme_certificate::Column::Code)
            .filter(programme_certificate::Column::Code.is_in(codes.to_vec()))
            .into_tuple::<String>()
            .all(db)
            .await?,
    );
    Ok(taken)
}

/// How many times codes are drawn before giving up.
const CODE_DRAWS: usize = 5;

/// Issues the programme's certificate to every enrolled person of the edition (whom the
/// coordinator's scope covers) who met the programme's rule and holds no valid one; the
/// others are skipped with the reason. Issuing again issues nothing new. Each holder is
/// emailed the PDF. Audited.
///
/// The snapshots are read and their PDFs drawn first (no transaction); one write transaction
/// then locks the edition, checks again who already holds a certificate (issued meanwhile:
/// skipped) and that no code is taken (by a course's or a programme's certificate: drawn
/// again), and writes every row, audit entry and email, all or nothing.
pub async fn issue_for_edition(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<EditionOutcome> {
    let Prepared {
        edition,
        ids,
        skipped,
        mut drafts,
    } = prepare(db, notifier, actor, edition_id).await?;
    for _ in 0..CODE_DRAWS {
        let outcome = crate::db::write(db, async |txn| {
            programme_edition::Entity::find_by_id(edition.row.id)
                .lock_exclusive()
                .found(txn)
                .await?;
            let codes: Vec<String> = drafts.iter().map(|d| d.snapshot.code.clone()).collect();
            let taken = taken_codes(txn, &codes).await?;
            if !taken.is_empty() {
                return Ok(Err(taken));
            }
            let existing = holders(txn, edition.programme.id, &ids).await?;
            let mut outcome = EditionOutcome {
                issued: Vec::new(),
                skipped: skipped.clone(),
            };
            for draft in std::mem::take(&mut drafts) {
                if existing.contains(&draft.snapshot.participant_id) {
                    outcome.skipped.push(SkippedPerson {
                        participant_id: draft.snapshot.participant_id,
                        full_name: draft.snapshot.full_name.clone(),
                        reason: ALREADY_VALID.into(),
                    });
                    continue;
                }
                let cert = draft.write(txn, notifier, actor.id).await?;
                outcome.issued.push(IssuedTo {
                    code: cert.code,
                    participant_id: cert.participant_id,
                });
            }
            Ok(Ok(outcome))
        })
        .await?;
        let taken = match outcome {
            Ok(outcome) => return Ok(outcome),
            Err(taken) => taken,
        };
        let mut redrawn = Vec::with_capacity(drafts.len());
        for draft in drafts.drain(..) {
            redrawn.push(if taken.contains(&draft.snapshot.code) {
                draft.with_fresh_code(notifier.config).await?
            } else {
                draft
            });
        }
        drafts = redrawn;
    }
    Err(AppError::Internal(
        "no se pudo generar un código de certificado único".into(),
    ))
}

/// What issuing reads first: the edition, its people's ids, those skipped (with why) and the
/// drafts of the others (PDFs drawn).
struct Prepared {
    edition: Edition,
    ids: Vec<i32>,
    skipped: Vec<SkippedPerson>,
    drafts: Vec<Draft>,
}

async fn prepare<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<Prepared> {
    let edition = editions::find_managed(db, actor, edition_id).await?;
    let people = progress::of_edition(db, &edition, &PersonScope::of(actor)).await?;
    let ids: Vec<i32> = people.iter().map(|p| p.participant_id).collect();
    let existing = holders(db, edition.programme.id, &ids).await?;
    let mut skipped = Vec::new();
    let mut drafts = Vec::new();
    for person in &people {
        if person.status != ProgrammeState::Completed {
            skipped.push(SkippedPerson {
                participant_id: person.participant_id,
                full_name: person.full_name.clone(),
                reason: rule_not_met(&edition, person),
            });
        } else if existing.contains(&person.participant_id) {
            skipped.push(SkippedPerson {
                participant_id: person.participant_id,
                full_name: person.full_name.clone(),
                reason: ALREADY_VALID.into(),
            });
        } else {
            drafts.push(Draft::new(db, notifier.config, &edition, person, actor.id).await?);
        }
    }
    Ok(Prepared {
        edition,
        ids,
        skipped,
        drafts,
    })
}

/// [`issue_for_edition`] inside the caller's transaction, for the demo loader (one
/// transaction; nobody else writes meanwhile): the same people, drafts and rows, a code drawn
/// again while taken.
pub async fn issue_within<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<EditionOutcome> {
    let Prepared {
        skipped, drafts, ..
    } = prepare(db, notifier, actor, edition_id).await?;
    let mut outcome = EditionOutcome {
        issued: Vec::new(),
        skipped,
    };
    for mut draft in drafts {
        for _ in 0..CODE_DRAWS {
            if taken_codes(db, std::slice::from_ref(&draft.snapshot.code))
                .await?
                .is_empty()
            {
                break;
            }
            draft = draft.with_fresh_code(notifier.config).await?;
        }
        let cert = draft.write(db, notifier, actor.id).await?;
        outcome.issued.push(IssuedTo {
            code: cert.code,
            participant_id: cert.participant_id,
        });
    }
    Ok(outcome)
}

/// Whether the certificate is to be reviewed: a module certificate its snapshot names has
/// been revoked since. Computed at each reading, never stored.
pub async fn review_needed<C: ConnectionTrait>(
    db: &C,
    cert: &programme_certificate::Model,
) -> AppResult<bool> {
    let codes: Vec<String> = modules_of(cert)
        .into_iter()
        .filter_map(|m| m.certificate_code)
        .collect();
    if codes.is_empty() {
        return Ok(false);
    }
    let revoked = certificate::Entity::find()
        .filter(certificate::Column::Code.is_in(codes))
        .filter(certificate::Column::Status.eq(CertificateStatus::Revoked))
        .one(db)
        .await?;
    Ok(revoked.is_some())
}

/// Finds a programme certificate by what a person typed (any case, with or without dashes).
pub async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    typed: &str,
) -> AppResult<programme_certificate::Model> {
    let code = code::normalize(typed).ok_or(AppError::NotFound)?;
    programme_certificate::Entity::find()
        .filter(programme_certificate::Column::Code.eq(code))
        .found(db)
        .await
}

/// The public verification record of a programme certificate: the fields of a course
/// certificate's (`course` is the programme's name; no grade nor attendance of its own), the
/// programme, its modules and whether it is to be reviewed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeCertificate)]
pub struct Verification {
    #[schema(example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")]
    pub code: String,
    pub status: CertificateStatus,
    #[schema(example = "Válido")]
    pub status_label: &'static str,
    pub full_name: String,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    #[schema(example = "******2345")]
    pub document_number_masked: String,
    /// The programme's name (as `programme.name`).
    pub course: String,
    pub programme: ProgrammeRef,
    /// «Diplomado», «Programa de formación», «Ruta de aprendizaje».
    pub kind_label: &'static str,
    pub modules: Vec<ModuleLine>,
    /// A module certificate behind it has been revoked since it was issued.
    pub review_needed: bool,
    pub hours: i32,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
    pub municipality: String,
    pub department: String,
    /// Always null: a programme has no grade of its own.
    pub final_grade: Option<f64>,
    /// Always null: attendance is each module's.
    pub attendance_pct: Option<f64>,
    pub issuer: String,
    #[schema(format = DateTime)]
    pub issued_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
}

pub async fn verification<C: ConnectionTrait>(
    db: &C,
    cert: &programme_certificate::Model,
) -> AppResult<Verification> {
    Ok(Verification {
        code: cert.code.clone(),
        status: cert.status,
        status_label: cert.status.label(),
        full_name: cert.full_name.clone(),
        document_type: cert.document_type.as_str().to_string(),
        document_number_masked: mask_document(&cert.document_number),
        course: cert.programme_name.clone(),
        programme: ProgrammeRef {
            id: cert.programme_id,
            name: cert.programme_name.clone(),
            kind: cert.programme_kind,
        },
        kind_label: cert.programme_kind.label(),
        modules: modules_of(cert),
        review_needed: review_needed(db, cert).await?,
        hours: cert.hours,
        start_date: cert.start_date,
        end_date: cert.end_date,
        municipality: cert.municipality_name.clone(),
        department: cert.department_name.clone(),
        final_grade: None,
        attendance_pct: None,
        issuer: cert.issuer.clone(),
        issued_at: crate::time::date_time(cert.issued_at),
        revoked_at: cert.revoked_at.map(crate::time::date_time),
        revocation_reason: cert.revocation_reason.clone(),
    })
}

/// A participant's programme certificates, newest first.
pub async fn of_participant<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Vec<Verification>> {
    let rows = programme_certificate::Entity::find()
        .filter(programme_certificate::Column::ParticipantId.eq(participant_id))
        .order_by_desc(programme_certificate::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(verification(db, row).await?);
    }
    Ok(out)
}

/// «el diplomado», «el programa de formación», «la ruta de aprendizaje».
fn completed_phrase(kind: ProgrammeKind) -> String {
    let label = kind.label().to_lowercase();
    match kind {
        ProgrammeKind::Ruta => format!("la {label}"),
        ProgrammeKind::Diplomado | ProgrammeKind::Programa => format!("el {label}"),
    }
}

/// What the PDF of a programme certificate prints, from its snapshot only.
fn document(
    cert: &programme_certificate::Model,
    config: &AppConfig,
) -> (CertificateDocument, ProgrammePart) {
    let document = CertificateDocument {
        code: cert.code.clone(),
        full_name: cert.full_name.clone(),
        document_type: cert.document_type.as_str().to_string(),
        document_number: cert.document_number.clone(),
        course_name: cert.programme_name.clone(),
        capacity_names: Vec::new(),
        hours: cert.hours,
        start_date: cert.start_date,
        end_date: cert.end_date,
        municipality_name: cert.municipality_name.clone(),
        department_name: cert.department_name.clone(),
        final_grade: None,
        attendance_pct: String::new(),
        issued_at: cert.issued_at,
        issuer: cert.issuer.clone(),
        provider: (cert.issuer != ISSUER).then(|| cert.issuer.clone()),
        signer: crate::certificates::issue::signer_for(&cert.issuer, config),
        verification_url: crate::certificates::issue::verification_url(
            &config.public_url,
            &cert.code,
        ),
    };
    let part = ProgrammePart {
        completed: completed_phrase(cert.programme_kind),
        modules: modules_of(cert)
            .into_iter()
            .map(|m| ModuleRow {
                name: m.course_name,
                hours: m.hours,
                status: m.status.label().to_string(),
                certificate_code: m.certificate_code,
            })
            .collect(),
    };
    (document, part)
}

/// The PDF of a programme certificate, drawn on a blocking thread.
pub async fn render_pdf(
    cert: &programme_certificate::Model,
    config: &AppConfig,
) -> AppResult<Vec<u8>> {
    let (document, part) = document(cert, config);
    crate::blocking::run(move || pdf::render_programme(&document, &part)).await
}

/// Whether `user` may download the PDF (it shows the full document number): its holder, and
/// staff who manage the edition and whose scope covers the person's municipality.
pub async fn may_download<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cert: &programme_certificate::Model,
) -> AppResult<bool> {
    if user.is_staff() {
        return match editions::find_managed(db, user, cert.edition_id).await {
            Ok(_) => Ok(PersonScope::of(user).covers_municipality(&cert.municipality_code)),
            Err(AppError::NotFound) => Ok(false),
            Err(other) => Err(other),
        };
    }
    Ok(participant::Entity::find_by_id(cert.participant_id)
        .one(db)
        .await?
        .is_some_and(|p| p.user_id == Some(user.id)))
}

/// «Su certificado del diplomado»: the PDF attached, and how anyone can verify it.
#[derive(Serialize)]
struct ProgrammeCertificateIssued<'a> {
    full_name: &'a str,
    programme: &'a str,
    /// «el diplomado», …
    completed: String,
    code: &'a str,
    verification_url: String,
    credential_url: String,
}

impl mail::Message for ProgrammeCertificateIssued<'_> {
    const TEMPLATE: &'static str = "programme_certificate_issued";
    fn subject(&self) -> String {
        format!("Certificado: {}", self.programme)
    }
}
