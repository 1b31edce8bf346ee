//! Issuing, re-issuing, revoking and verifying certificates. A certificate is a snapshot: it
//! copies what it states at issue and never reads the person or the course again.

use super::code;
use super::pdf::{self, CertificateDocument, Signer};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts;
use crate::config::AppConfig;
use crate::entities::values::{CertificateStatus, CohortStatus};
use crate::entities::{
    capacity, certificate, cohort, course, course_capacity, department, enrolment, municipality,
    participant,
};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::mail::{self, Attachment, Email};
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use std::collections::HashSet;

/// Who issues, as printed on every certificate.
pub const ISSUER: &str = "Escuela Superior de Administración Pública – ESAP";

/// `1117512345` → `******2345`: enough to recognise, not enough to impersonate.
pub fn mask_document(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let visible = chars.len().min(4);
    let hidden = chars.len() - visible;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// The public verification record (contract of `GET /api/v1/certificates/{code}`): a
/// snapshot taken at issue.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Certificate)]
pub struct Verification {
    /// Five dash-separated groups of four symbols; digits 2–9 and A–Z without I L O U.
    #[schema(example = "7KQ9-M3XR-T2HW-PZ4N-C8DV")]
    pub code: String,
    pub status: CertificateStatus,
    /// The status in Spanish.
    #[schema(example = "Válido")]
    pub status_label: &'static str,
    #[schema(example = "María Fernanda Muñoz Peña")]
    pub full_name: String,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    /// All but the last four characters replaced by `*`.
    #[schema(example = "******2345")]
    pub document_number_masked: String,
    /// The course's name.
    pub course: String,
    /// Names of the capacities the course strengthens.
    pub capacities: Vec<String>,
    pub hours: i32,
    pub start_date: chrono::NaiveDate,
    pub end_date: chrono::NaiveDate,
    /// The municipality's name at enrolment.
    #[schema(example = "Belén de los Andaquíes")]
    pub municipality: String,
    /// The department's name.
    #[schema(example = "Caquetá")]
    pub department: String,
    #[schema(minimum = 0, maximum = 5)]
    pub final_grade: Option<f64>,
    #[schema(minimum = 0, maximum = 100, example = 87.5)]
    pub attendance_pct: f64,
    #[schema(example = "Escuela Superior de Administración Pública – ESAP")]
    pub issuer: String,
    #[schema(format = DateTime)]
    pub issued_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    /// The code of the certificate that replaces this one, when superseded.
    pub superseded_by: Option<String>,
}

pub async fn verification<C: ConnectionTrait>(
    db: &C,
    cert: &certificate::Model,
) -> AppResult<Verification> {
    Ok(verifications(db, vec![cert.clone()]).await?.remove(0))
}

/// [`verification`] of several certificates, in their order, with one query for the codes
/// of those that replaced them.
pub async fn verifications<C: ConnectionTrait>(
    db: &C,
    certs: Vec<certificate::Model>,
) -> AppResult<Vec<Verification>> {
    let replacing: Vec<i32> = certs.iter().filter_map(|c| c.superseded_by_id).collect();
    let codes: std::collections::HashMap<i32, String> = if replacing.is_empty() {
        Default::default()
    } else {
        certificate::Entity::find()
            .filter(certificate::Column::Id.is_in(replacing))
            .all_mapped(db, |c| (c.id, c.code))
            .await?
    };
    Ok(certs
        .iter()
        .map(|cert| {
            let superseded_by = cert.superseded_by_id.and_then(|id| codes.get(&id).cloned());
            view_of(cert, superseded_by)
        })
        .collect())
}

fn view_of(cert: &certificate::Model, superseded_by: Option<String>) -> Verification {
    Verification {
        code: cert.code.clone(),
        status: cert.status,
        status_label: cert.status.label(),
        full_name: cert.full_name.clone(),
        document_type: cert.document_type.as_str().to_string(),
        document_number_masked: mask_document(&cert.document_number),
        course: cert.course_name.clone(),
        capacities: cert
            .capacity_names
            .split(" · ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        hours: cert.hours,
        start_date: cert.start_date,
        end_date: cert.end_date,
        municipality: cert.municipality_name.clone(),
        department: cert.department_name.clone(),
        final_grade: cert.final_grade_milli.map(|m| f64::from(m) / 1000.0),
        attendance_pct: if cert.sessions_total == 0 {
            0.0
        } else {
            f64::from(cert.sessions_attended) * 100.0 / f64::from(cert.sessions_total)
        },
        issuer: cert.issuer.clone(),
        issued_at: crate::time::date_time(cert.issued_at),
        revoked_at: cert.revoked_at.map(crate::time::date_time),
        revocation_reason: cert.revocation_reason.clone(),
        superseded_by,
    }
}

/// Finds a certificate by what a person typed (any case, with or without dashes).
pub async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    typed: &str,
) -> AppResult<certificate::Model> {
    let code = code::normalize(typed).ok_or(AppError::NotFound)?;
    certificate::Entity::find()
        .filter(certificate::Column::Code.eq(code))
        .found(db)
        .await
}

/// The PDF of a certificate, from its snapshot only, rendered on a blocking thread
/// ([`crate::blocking::run`]): drawing one is CPU work.
pub async fn render_pdf(cert: &certificate::Model, config: &AppConfig) -> AppResult<Vec<u8>> {
    let document = document(cert, config);
    crate::blocking::run(move || pdf::render(&document)).await
}

/// What the PDF of a certificate prints.
fn document(cert: &certificate::Model, config: &AppConfig) -> CertificateDocument {
    CertificateDocument {
        code: cert.code.clone(),
        full_name: cert.full_name.clone(),
        document_type: cert.document_type.as_str().to_string(),
        document_number: cert.document_number.clone(),
        course_name: cert.course_name.clone(),
        capacity_names: cert
            .capacity_names
            .split(" · ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        hours: cert.hours,
        start_date: cert.start_date,
        end_date: cert.end_date,
        municipality_name: cert.municipality_name.clone(),
        department_name: cert.department_name.clone(),
        final_grade: cert.final_grade_milli.map(crate::format::grade),
        attendance_pct: crate::format::percent(
            cert.sessions_attended.into(),
            cert.sessions_total.into(),
        ),
        issued_at: cert.issued_at,
        issuer: cert.issuer.clone(),
        // A certificate issued in another provider's name (issue 32) is headed by it.
        provider: (cert.issuer != ISSUER).then(|| cert.issuer.clone()),
        signer: signer(cert, config),
        verification_url: verification_url(&config.public_url, &cert.code),
    }
}

/// Who signs a certificate (issue 61): ESAP's are signed by the person and position of the
/// settings (`certificate_signer_name`, `certificate_signer_position`); another provider's
/// (issue 32: its name is the issuer) by «Coordinación de formación» of that provider, as
/// providers keep no signer of their own. Read when the PDF is drawn, not kept in the
/// certificate's snapshot.
pub fn signer(cert: &certificate::Model, config: &AppConfig) -> Signer {
    signer_for(&cert.issuer, config)
}

/// Who signs a certificate issued by `issuer` (see [`signer`]); a programme's too.
pub fn signer_for(issuer: &str, config: &AppConfig) -> Signer {
    if issuer == ISSUER {
        Signer {
            name: config.certificate_signer_name.trim().to_string(),
            position: config.certificate_signer_position.trim().to_string(),
        }
    } else {
        Signer {
            name: "Coordinación de formación".into(),
            position: issuer.to_string(),
        }
    }
}

pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/verificar/{code}", public_url.trim_end_matches('/'))
}

/// The page that downloads a certificate's verifiable credential as a file.
pub fn credential_download_url(public_url: &str, code: &str) -> String {
    format!(
        "{}/credenciales/{code}.json",
        public_url.trim_end_matches('/')
    )
}

/// An enrolment that got no certificate, and why.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SkippedEnrolment)]
pub struct Skipped {
    pub enrolment_id: i32,
    pub full_name: String,
    #[schema(example = "Ya tiene un certificado vigente.")]
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IssueOutcome {
    pub issued: Vec<Verification>,
    pub skipped: Vec<Skipped>,
}

/// Everything a certificate copies about a cohort, read once per cohort.
struct CohortFacts {
    cohort: cohort::Model,
    course: course::Model,
    capacity_names: String,
    /// Who issues it: ESAP as it always was, or the name of the provider whose cohort it is
    /// (issue 32).
    issuer: String,
}

async fn cohort_facts<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<CohortFacts> {
    let cohort = cohorts::find(db, cohort_id).await?;
    let course = course::Entity::find_by_id(cohort.course_id)
        .found(db)
        .await?;
    let names: Vec<String> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .find_also_related(capacity::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c.map(|c| c.name))
        .collect();
    let issuer = if cohort.provider_id == crate::providers::ESAP {
        ISSUER.to_string()
    } else {
        crate::providers::get(db, cohort.provider_id).await?.name
    };
    Ok(CohortFacts {
        cohort,
        course,
        capacity_names: names.join(" · "),
        issuer,
    })
}

/// A certificate about to be issued: the row it will be and, when its holder has an email,
/// that email with the PDF attached. Both are made before the transaction that writes the row
/// and queues the email, so the transaction is short and holds no CPU work, and the email with
/// its PDF exists exactly when the certificate does.
struct Draft {
    /// The row to insert (`id` is 0 until then).
    snapshot: certificate::Model,
    person: participant::Model,
    /// The PDF for the snapshot's code, when there is somebody to email it to.
    pdf: Option<Vec<u8>>,
}

impl Draft {
    /// The certificate of an enrolment, as it stands now, under a fresh code.
    async fn new<C: ConnectionTrait>(
        db: &C,
        notifier: &Notifier<'_>,
        facts: &CohortFacts,
        row: &enrolment::Model,
        person: participant::Model,
        result: &crate::results::ResultRow,
        actor: i32,
    ) -> AppResult<Draft> {
        let place = municipality::Entity::find_by_id(row.municipality_code.clone())
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
        let snapshot = certificate::Model {
            id: 0,
            code: String::new(),
            enrolment_id: row.id,
            cohort_id: facts.cohort.id,
            participant_id: person.id,
            status: CertificateStatus::Valid,
            full_name: person.full_name(),
            document_type: person.document_type,
            document_number: person.document_number.clone(),
            course_code: facts.course.code.clone(),
            course_name: facts.course.name.clone(),
            capacity_names: facts.capacity_names.clone(),
            hours: facts.course.hours,
            start_date: facts.cohort.start_date,
            end_date: facts.cohort.end_date,
            municipality_code: row.municipality_code.clone(),
            municipality_name: place.map(|m| m.name).unwrap_or_default(),
            department_name,
            final_grade_milli: result.final_grade_milli,
            sessions_attended: result.sessions_attended,
            sessions_total: result.sessions_total,
            issuer: facts.issuer.clone(),
            issued_at: crate::time::now(),
            issued_by: Some(actor),
            revoked_at: None,
            revoked_by: None,
            revocation_reason: None,
            superseded_by_id: None,
        };
        Draft {
            snapshot,
            person,
            pdf: None,
        }
        .with_fresh_code(notifier)
        .await
    }

    /// The same certificate under a newly drawn code, its PDF rendered again (on a blocking
    /// thread) when it will be emailed.
    async fn with_fresh_code(mut self, notifier: &Notifier<'_>) -> AppResult<Draft> {
        self.snapshot.code = code::generate();
        self.pdf = match self.person.email {
            Some(_) => Some(render_pdf(&self.snapshot, notifier.config).await?),
            None => None,
        };
        Ok(self)
    }

    /// Writes the row and queues the email with its PDF, in the transaction `db`.
    async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        notifier: &Notifier<'_>,
        reissue: bool,
    ) -> AppResult<certificate::Model> {
        let mut row = self.snapshot.into_active_model().reset_all();
        row.id = NotSet;
        let cert = row.insert(db).await?;
        if let (Some(to), Some(pdf)) = (self.person.email, self.pdf) {
            let message = CertificateIssued {
                full_name: &cert.full_name,
                course: &cert.course_name,
                code: &cert.code,
                verification_url: verification_url(&notifier.config.public_url, &cert.code),
                credential_url: credential_download_url(&notifier.config.public_url, &cert.code),
                reissue,
            };
            let email = Email::of(to, &message)?
                .attach(Attachment {
                    filename: format!("certificado-{}.pdf", cert.code),
                    content_type: "application/pdf".into(),
                    content: pdf,
                })
                .once(format!("certificado:{}", cert.id));
            mail::enqueue(db, notifier, email).await?;
        }
        Ok(cert)
    }
}

/// How many times codes are drawn before giving up (with ≈ 98 random bits, the second draw
/// is already never needed).
const CODE_DRAWS: usize = 5;

/// Runs `work` with `drafts` in a writing transaction of its own ([`crate::db::write`]) once
/// no draft's code is taken. A taken code is drawn again, and its PDF rendered again, with the
/// transaction closed (it wrote nothing).
async fn write_with_free_codes<T>(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    mut drafts: Vec<Draft>,
    work: impl AsyncFnOnce(&crate::db::Txn, Vec<Draft>) -> AppResult<T>,
) -> AppResult<T> {
    let mut work = Some(work);
    for _ in 0..CODE_DRAWS {
        let outcome = crate::db::write(db, async |txn| {
            let codes: Vec<String> = drafts.iter().map(|d| d.snapshot.code.clone()).collect();
            let taken: HashSet<String> = certificate::Entity::find()
                .filter(certificate::Column::Code.is_in(codes))
                .all_mapped(txn, |c| c.code)
                .await?;
            if !taken.is_empty() {
                return Ok(Err(taken));
            }
            let Some(work) = work.take() else {
                return Err(AppError::Internal("la escritura ya se hizo".into()));
            };
            Ok(Ok(work(txn, std::mem::take(&mut drafts)).await?))
        })
        .await?;
        let taken = match outcome {
            Ok(value) => return Ok(value),
            Err(taken) => taken,
        };
        let mut redrawn = Vec::with_capacity(drafts.len());
        for draft in drafts.drain(..) {
            redrawn.push(if taken.contains(&draft.snapshot.code) {
                draft.with_fresh_code(notifier).await?
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

const NOT_CLOSED: &str =
    "Cierre la cohorte antes de expedir los certificados: así sus resultados quedan fijos.";
const ALREADY_VALID: &str = "Ya tiene un certificado vigente.";

/// A cohort's valid certificates (its zip of PDFs).
pub async fn valid_of_cohort<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Vec<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(cohort_id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(db)
        .await?)
}

/// Valid certificates of a cohort, by enrolment.
async fn valid_certificates<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<HashSet<i32>> {
    Ok(valid_of_cohort(db, cohort_id)
        .await?
        .into_iter()
        .map(|c| c.enrolment_id)
        .collect())
}

/// A certificate issued (`certificate.issued`).
#[derive(Serialize)]
struct Issued<'a> {
    code: &'a str,
    enrolment_id: i32,
}

/// Issues a certificate to every enrolment that meets the completion rule and has none yet;
/// the rest are skipped with their reason. Issuing again issues nothing new.
///
/// Three steps: the snapshots are read (no transaction), their PDFs rendered (blocking
/// threads), then one write transaction locks the cohort, checks again that it is closed and
/// which enrolments already hold a valid certificate (issued meanwhile: skipped), and writes
/// every row, its audit entry and its email, all or nothing.
pub async fn issue_for_cohort(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    cohort_id: i32,
) -> AppResult<IssueOutcome> {
    crate::cohorts::find_managed(db, actor, cohort_id).await?;
    let facts = cohort_facts(db, cohort_id).await?;
    if facts.cohort.status != CohortStatus::Closed {
        return Err(AppError::Conflict(NOT_CLOSED.into()));
    }
    let results = crate::results::for_cohort(db, cohort_id, &PersonScope::All).await?;
    let enrolments: std::collections::HashMap<i32, enrolment::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .all_mapped(db, |e| (e.id, e))
        .await?;
    let existing = valid_certificates(db, cohort_id).await?;
    let mut skipped = Vec::new();
    let mut drafts = Vec::new();
    for result in results {
        if !result.eligible_for_certificate {
            let reason = if result.reasons.is_empty() {
                "No cumple la regla de aprobación.".to_string()
            } else {
                result.reasons.join("; ")
            };
            skipped.push(Skipped {
                enrolment_id: result.enrolment_id,
                full_name: result.full_name.clone(),
                reason,
            });
            continue;
        }
        if existing.contains(&result.enrolment_id) {
            skipped.push(Skipped {
                enrolment_id: result.enrolment_id,
                full_name: result.full_name.clone(),
                reason: ALREADY_VALID.into(),
            });
            continue;
        }
        let Some(row) = enrolments.get(&result.enrolment_id) else {
            continue;
        };
        let person = participant::Entity::find_by_id(row.participant_id)
            .found(db)
            .await?;
        drafts.push(Draft::new(db, notifier, &facts, row, person, &result, actor.id).await?);
    }

    write_with_free_codes(db, notifier, drafts, async |txn, drafts| {
        if cohorts::lock(txn, cohort_id).await?.status != CohortStatus::Closed {
            return Err(AppError::Conflict(NOT_CLOSED.into()));
        }
        let existing = valid_certificates(txn, cohort_id).await?;
        let mut outcome = IssueOutcome {
            issued: Vec::new(),
            skipped,
        };
        for draft in drafts {
            if existing.contains(&draft.snapshot.enrolment_id) {
                outcome.skipped.push(Skipped {
                    enrolment_id: draft.snapshot.enrolment_id,
                    full_name: draft.person.full_name(),
                    reason: ALREADY_VALID.into(),
                });
                continue;
            }
            let cert = draft.write(txn, notifier, false).await?;
            audit::record(
                txn,
                Change {
                    actor: Some(actor.id),
                    action: "certificate.issued",
                    subject_type: "certificate",
                    subject_id: cert.id.to_string(),
                    before: None,
                    after: serde_json::to_value(Issued {
                        code: &cert.code,
                        enrolment_id: cert.enrolment_id,
                    })
                    .ok(),
                },
            )
            .await?;
            outcome.issued.push(verification(txn, &cert).await?);
        }
        Ok(outcome)
    })
    .await
}

/// Valid certificates about to be replaced by fresh snapshots: one certificate re-issued after
/// a correction of the course or the cohort, or every valid certificate of a person whose data
/// a coordinator corrects (`crate::people::correction`). The drafts are made (read, rendered)
/// before the write transaction; [`Replacements::write`] then inserts each new certificate
/// and marks the old one superseded by it, in the caller's transaction, only if the old one
/// is still valid (a revocation or another re-issue may have come first: 409).
pub struct Replacements {
    olds: Vec<certificate::Model>,
    drafts: Vec<Draft>,
}

fn not_valid(old: &certificate::Model) -> AppError {
    AppError::Conflict(format!(
        "El certificado está {}: solo se reexpide uno vigente.",
        old.status.label().to_lowercase()
    ))
}

impl Replacements {
    /// Drafts for the valid certificates of `person` as given (a correction not yet written:
    /// its names and document), with `municipality` as the enrolments' municipality when it
    /// is corrected too; `only` one of them when given.
    pub async fn of_person(
        db: &DatabaseConnection,
        notifier: &Notifier<'_>,
        actor: i32,
        person: &participant::Model,
        municipality: Option<&str>,
        only: Option<i32>,
    ) -> AppResult<Replacements> {
        let mut query = certificate::Entity::find()
            .filter(certificate::Column::ParticipantId.eq(person.id))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid));
        if let Some(id) = only {
            query = query.filter(certificate::Column::Id.eq(id));
        }
        let olds = query.order_by_asc(certificate::Column::Id).all(db).await?;
        Self::drafted(db, notifier, actor, person, olds, |_| municipality).await
    }

    /// Drafts for the valid certificates of `person` (as given) from the enrolments
    /// `enrolments` only — a provider's correction re-issues its own certificates, never
    /// another's (issue 46) — those of the enrolments `moved` carrying `municipality`.
    pub async fn of_enrolments(
        db: &DatabaseConnection,
        notifier: &Notifier<'_>,
        actor: i32,
        person: &participant::Model,
        enrolments: &[i32],
        moved: &[i32],
        municipality: &str,
    ) -> AppResult<Replacements> {
        let olds = certificate::Entity::find()
            .filter(certificate::Column::ParticipantId.eq(person.id))
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
            .filter(certificate::Column::EnrolmentId.is_in(enrolments.to_vec()))
            .order_by_asc(certificate::Column::Id)
            .all(db)
            .await?;
        Self::drafted(db, notifier, actor, person, olds, |enrolment| {
            moved.contains(&enrolment).then_some(municipality)
        })
        .await
    }

    /// A draft for each of `olds`, with the municipality `municipality_of` its enrolment gives
    /// (`None`: the enrolment's own).
    async fn drafted<'m>(
        db: &DatabaseConnection,
        notifier: &Notifier<'_>,
        actor: i32,
        person: &participant::Model,
        olds: Vec<certificate::Model>,
        municipality_of: impl Fn(i32) -> Option<&'m str>,
    ) -> AppResult<Replacements> {
        let mut drafts = Vec::with_capacity(olds.len());
        for old in &olds {
            let facts = cohort_facts(db, old.cohort_id).await?;
            let mut row = enrolment::Entity::find_by_id(old.enrolment_id)
                .found(db)
                .await?;
            if let Some(code) = municipality_of(row.id) {
                row.municipality_code = code.to_string();
            }
            // This enrolment's result only, not the whole cohort's.
            let result = crate::results::compute(
                db,
                &facts.cohort,
                &PersonScope::Enrolment(row.id),
                Some(&[row.id]),
            )
            .await?
            .pop()
            .ok_or(AppError::NotFound)?;
            drafts.push(
                Draft::new(db, notifier, &facts, &row, person.clone(), &result, actor).await?,
            );
        }
        Ok(Replacements { olds, drafts })
    }

    /// Nothing to replace (the transaction still opens through [`Replacements::write_then`]).
    pub fn none() -> Replacements {
        Replacements {
            olds: Vec::new(),
            drafts: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.olds.is_empty()
    }

    /// Runs `work` in a writing transaction of its own ([`crate::db::write`]), opened once no
    /// new code is taken, handing it these replacements to [`Replacements::write`].
    pub async fn write_then<T>(
        self,
        db: &DatabaseConnection,
        notifier: &Notifier<'_>,
        work: impl AsyncFnOnce(&crate::db::Txn, Replacements) -> AppResult<T>,
    ) -> AppResult<T> {
        let olds = self.olds;
        write_with_free_codes(db, notifier, self.drafts, async |txn, drafts| {
            work(txn, Replacements { olds, drafts }).await
        })
        .await
    }

    /// Writes every new certificate (its email queued) and supersedes its old one, with an
    /// audit entry each; `(old code, new certificate)` per replacement.
    pub async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        notifier: &Notifier<'_>,
        actor: &Actor,
    ) -> AppResult<Vec<(String, certificate::Model)>> {
        let mut written = Vec::with_capacity(self.olds.len());
        for (old, draft) in self.olds.into_iter().zip(self.drafts) {
            let new = draft.write(db, notifier, true).await?;
            let superseded = certificate::Entity::update_many()
                .col_expr(
                    certificate::Column::Status,
                    Expr::value(CertificateStatus::Superseded.as_str()),
                )
                .col_expr(certificate::Column::SupersededById, Expr::value(new.id))
                .filter(certificate::Column::Id.eq(old.id))
                .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
                .exec(db)
                .await?;
            if superseded.rows_affected != 1 {
                let now = certificate::Entity::find_by_id(old.id).found(db).await?;
                return Err(not_valid(&now));
            }
            audit::record(
                db,
                Change {
                    actor: Some(actor.id),
                    action: "certificate.reissued",
                    subject_type: "certificate",
                    subject_id: old.id.to_string(),
                    before: serde_json::to_value(WasValid {
                        code: &old.code,
                        full_name: &old.full_name,
                        status: CertificateStatus::Valid,
                    })
                    .ok(),
                    after: serde_json::to_value(Superseded {
                        status: CertificateStatus::Superseded,
                        superseded_by: &new.code,
                        full_name: &new.full_name,
                    })
                    .ok(),
                },
            )
            .await?;
            written.push((old.code, new));
        }
        Ok(written)
    }
}

/// A valid certificate before a re-issue supersedes it (`certificate.reissued`).
#[derive(Serialize)]
struct WasValid<'a> {
    code: &'a str,
    full_name: &'a str,
    status: CertificateStatus,
}

/// A certificate superseded by its re-issue, with the new one's code and name.
#[derive(Serialize)]
struct Superseded<'a> {
    status: CertificateStatus,
    superseded_by: &'a str,
    full_name: &'a str,
}

/// After a correction (e.g. of the course's name), issues a fresh snapshot of one valid
/// certificate; the old one stays verifiable as superseded, pointing to the new one (see
/// [`Replacements`]).
pub async fn reissue(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    typed: &str,
) -> AppResult<Verification> {
    let old = reissuable(db, actor, typed).await?.certificate;
    let person = participant::Entity::find_by_id(old.participant_id)
        .found(db)
        .await?;
    let replacements =
        Replacements::of_person(db, notifier, actor.id, &person, None, Some(old.id)).await?;
    if replacements.is_empty() {
        // Revoked or re-issued since it was read.
        return Err(not_valid(&old));
    }
    replacements
        .write_then(db, notifier, async |txn, replacements| {
            let written = replacements.write(txn, notifier, actor).await?;
            let Some((_, new)) = written.into_iter().next() else {
                return Err(AppError::Internal("falta el certificado nuevo".into()));
            };
            let view = verification(txn, &new).await?;
            Ok(view)
        })
        .await
}

/// A certificate's status around a revocation, with the reason after it (`certificate.revoked`).
#[derive(Serialize)]
struct Revoked<'a> {
    status: CertificateStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Revokes with a reason (409 when it is not valid); the participant is told.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    typed: &str,
    reason: &str,
) -> AppResult<Verification> {
    let reason = crate::validate::single_line("reason", reason, crate::validate::REASON_MAX)
        .map_err(|e| AppError::Validation(vec![e]))?
        .ok_or_else(|| AppError::invalid("reason", "Escriba el motivo de la revocación."))?;
    let cert = revocable(db, actor, typed).await?.certificate;
    let mut model: certificate::ActiveModel = cert.clone().into();
    model.status = Set(CertificateStatus::Revoked);
    model.revoked_at = Set(Some(crate::time::now()));
    model.revoked_by = Set(Some(actor.id));
    model.revocation_reason = Set(Some(reason.clone()));
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "certificate.revoked",
            subject_type: "certificate",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(Revoked {
                status: CertificateStatus::Valid,
                reason: None,
            })
            .ok(),
            after: serde_json::to_value(Revoked {
                status: CertificateStatus::Revoked,
                reason: Some(&reason),
            })
            .ok(),
        },
    )
    .await?;
    if let Some(person) = participant::Entity::find_by_id(saved.participant_id)
        .one(db)
        .await?
        && let Some(to) = person.email
    {
        let message = CertificateRevoked {
            full_name: &saved.full_name,
            course: &saved.course_name,
            code: &saved.code,
            reason: &reason,
            verification_url: verification_url(&notifier.config.public_url, &saved.code),
        };
        let email = Email::of(to, &message)?.once(format!("certificado-revocado:{}", saved.id));
        mail::enqueue(db, notifier, email).await?;
    }
    verification(db, &saved).await
}

/// A valid certificate someone may revoke or re-issue, and where its person is told (issue 45:
/// the confirmation pages say it before).
#[derive(Clone, Debug)]
pub struct Actionable {
    pub certificate: certificate::Model,
    /// The person's email, where revoking or re-issuing is sent (none: nobody is emailed).
    pub email: Option<String>,
}

async fn actionable<C: ConnectionTrait>(
    db: &C,
    certificate: certificate::Model,
) -> AppResult<Actionable> {
    let email = participant::Entity::find_by_id(certificate.participant_id)
        .one(db)
        .await?
        .and_then(|p| p.email);
    Ok(Actionable { certificate, email })
}

/// The certificate `typed` if `actor` may revoke it: one they manage (404 otherwise), valid
/// (409 otherwise).
pub async fn revocable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    typed: &str,
) -> AppResult<Actionable> {
    let cert = find_managed(db, actor, typed).await?;
    if cert.status != CertificateStatus::Valid {
        return Err(AppError::Conflict(format!(
            "El certificado ya está {}.",
            cert.status.label().to_lowercase()
        )));
    }
    actionable(db, cert).await
}

/// The certificate `typed` if `actor` may re-issue it: one they manage (404 otherwise), valid
/// (409 otherwise).
pub async fn reissuable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    typed: &str,
) -> AppResult<Actionable> {
    let old = find_managed(db, actor, typed).await?;
    if old.status != CertificateStatus::Valid {
        return Err(not_valid(&old));
    }
    actionable(db, old).await
}

/// A participant's certificates, newest first.
pub async fn of_participant<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Vec<Verification>> {
    let rows = certificate::Entity::find()
        .filter(certificate::Column::ParticipantId.eq(participant_id))
        .order_by_desc(certificate::Column::Id)
        .all(db)
        .await?;
    verifications(db, rows).await
}

/// The certificate `typed` if `actor` manages it: staff of its cohort (a territorial
/// direction's coordinator: its cohorts, and only for people of its departments). Anything
/// else is 404, as if it did not exist.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    typed: &str,
) -> AppResult<certificate::Model> {
    let cert = find_by_code(db, typed).await?;
    if !manages(db, actor, &cert).await? {
        return Err(AppError::NotFound);
    }
    Ok(cert)
}

/// Whether `actor` manages this certificate (see [`find_managed`]).
async fn manages<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    cert: &certificate::Model,
) -> AppResult<bool> {
    if !actor.is_staff() {
        return Ok(false);
    }
    match crate::cohorts::find_managed(db, actor, cert.cohort_id).await {
        Ok(_) => {}
        Err(AppError::NotFound) => return Ok(false),
        Err(other) => return Err(other),
    }
    let enrolment = crate::entities::enrolment::Entity::find_by_id(cert.enrolment_id)
        .one(db)
        .await?;
    let place = enrolment.map_or(cert.municipality_code.clone(), |e| e.municipality_code);
    Ok(crate::people::scope::PersonScope::of(actor).covers_municipality(&place))
}

/// Whether the caller may download this certificate's PDF (it shows the full document
/// number): its holder, and the staff who manage it ([`find_managed`]).
pub async fn may_download<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cert: &certificate::Model,
) -> AppResult<bool> {
    if user.is_staff() {
        return manages(db, user, cert).await;
    }
    Ok(participant::Entity::find_by_id(cert.participant_id)
        .one(db)
        .await?
        .is_some_and(|p| p.user_id == Some(user.id)))
}

/// «Su certificado»: the PDF attached, and how anyone can verify it.
#[derive(Serialize)]
struct CertificateIssued<'a> {
    full_name: &'a str,
    course: &'a str,
    code: &'a str,
    verification_url: String,
    /// The verifiable credential's download (issue 19).
    credential_url: String,
    reissue: bool,
}

impl mail::Message for CertificateIssued<'_> {
    const TEMPLATE: &'static str = "certificate_issued";
    fn subject(&self) -> String {
        format!("Su certificado: {}", self.course)
    }
}

/// «Certificado revocado», with the reason.
#[derive(Serialize)]
struct CertificateRevoked<'a> {
    full_name: &'a str,
    course: &'a str,
    code: &'a str,
    reason: &'a str,
    verification_url: String,
}

impl mail::Message for CertificateRevoked<'_> {
    const TEMPLATE: &'static str = "certificate_revoked";
    fn subject(&self) -> String {
        format!("Certificado revocado: {}", self.course)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_print_like_people_read() {
        assert_eq!(mask_document("1117512345"), "******2345");
        assert_eq!(mask_document("123"), "123");
    }
}
