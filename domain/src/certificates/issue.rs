//! Issuing, re-issuing, revoking and verifying certificates. A certificate is a snapshot: it
//! copies what it states at issue and never reads the person or the course again.

use super::code;
use super::pdf::{self, CertificateDocument};
use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts;
use crate::entities::values::{CertificateStatus, CohortStatus};
use crate::entities::{
    capacity, certificate, cohort, course, course_capacity, department, enrolment, municipality,
    participant,
};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::mail::{self, Attachment, Email};
use crate::people::scope::PersonScope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;

/// Who issues, as printed on every certificate.
pub const ISSUER: &str = "Escuela Superior de Administración Pública – ESAP";

/// `1117512345` → `******2345`: enough to recognise, not enough to impersonate.
pub fn mask_document(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let visible = chars.len().min(4);
    let hidden = chars.len() - visible;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// Attendance % of a snapshot, as people read it ("87,5 %").
pub fn attendance_text(attended: i32, total: i32) -> String {
    if total == 0 {
        return "0 %".into();
    }
    let tenths = (i64::from(attended) * 1000 + i64::from(total) / 2) / i64::from(total);
    let text = if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{},{}", tenths / 10, tenths % 10)
    };
    format!("{text} %")
}

/// A grade in thousandths as printed ("3.25", "4.0").
pub fn grade_text(milli: i32) -> String {
    let whole = milli / 1000;
    let rest = milli % 1000;
    let decimals = format!("{rest:03}");
    let trimmed = decimals.trim_end_matches('0');
    if trimmed.is_empty() {
        format!("{whole}.0")
    } else {
        format!("{whole}.{trimmed}")
    }
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
    let superseded_by = match cert.superseded_by_id {
        Some(id) => certificate::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| c.code),
        None => None,
    };
    Ok(Verification {
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
    })
}

/// Finds a certificate by what a person typed (any case, with or without dashes).
pub async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    typed: &str,
) -> AppResult<certificate::Model> {
    let code = code::normalize(typed).ok_or(AppError::NotFound)?;
    certificate::Entity::find()
        .filter(certificate::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The PDF of a certificate, from its snapshot only.
pub fn render_pdf(cert: &certificate::Model, public_url: &str) -> AppResult<Vec<u8>> {
    pdf::render(&CertificateDocument {
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
        final_grade: cert.final_grade_milli.map(grade_text),
        attendance_pct: attendance_text(cert.sessions_attended, cert.sessions_total),
        issued_on: crate::time::local(cert.issued_at).date_naive(),
        issuer: cert.issuer.clone(),
        verification_url: verification_url(public_url, &cert.code),
    })
}

pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/verificar/{code}", public_url.trim_end_matches('/'))
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
}

async fn cohort_facts<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<CohortFacts> {
    let cohort = cohorts::find(db, cohort_id).await?;
    let course = course::Entity::find_by_id(cohort.course_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let names: Vec<String> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .find_also_related(capacity::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, c)| c.map(|c| c.name))
        .collect();
    Ok(CohortFacts {
        cohort,
        course,
        capacity_names: names.join(" · "),
    })
}

/// Writes one certificate snapshot for an enrolment.
async fn write_snapshot<C: ConnectionTrait>(
    db: &C,
    facts: &CohortFacts,
    row: &enrolment::Model,
    person: &participant::Model,
    result: &crate::results::ResultRow,
    actor: i32,
) -> AppResult<certificate::Model> {
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
    // A fresh code; on the (astronomically unlikely) clash the unique index refuses and we draw again.
    for _ in 0..5 {
        let inserted = certificate::ActiveModel {
            code: Set(code::generate()),
            enrolment_id: Set(row.id),
            cohort_id: Set(facts.cohort.id),
            participant_id: Set(person.id),
            status: Set(CertificateStatus::Valid),
            full_name: Set(person.full_name()),
            document_type: Set(person.document_type),
            document_number: Set(person.document_number.clone()),
            course_code: Set(facts.course.code.clone()),
            course_name: Set(facts.course.name.clone()),
            capacity_names: Set(facts.capacity_names.clone()),
            hours: Set(facts.course.hours),
            start_date: Set(facts.cohort.start_date),
            end_date: Set(facts.cohort.end_date),
            municipality_code: Set(row.municipality_code.clone()),
            municipality_name: Set(place.as_ref().map(|m| m.name.clone()).unwrap_or_default()),
            department_name: Set(department_name.clone()),
            final_grade_milli: Set(result.final_grade_milli),
            sessions_attended: Set(result.sessions_attended),
            sessions_total: Set(result.sessions_total),
            issuer: Set(ISSUER.to_string()),
            issued_at: Set(crate::time::now()),
            issued_by: Set(Some(actor)),
            revoked_at: Set(None),
            revoked_by: Set(None),
            revocation_reason: Set(None),
            superseded_by_id: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await;
        match inserted {
            Ok(model) => return Ok(model),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(
        "no se pudo generar un código de certificado único".into(),
    ))
}

/// Emails the participant their certificate (verification link, PDF attached).
async fn deliver<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cert: &certificate::Model,
    person: &participant::Model,
    reissue: bool,
) -> AppResult<()> {
    let Some(to) = person.email.clone() else {
        return Ok(());
    };
    let pdf = render_pdf(cert, &notifier.config.public_url)?;
    let message = CertificateIssued {
        full_name: &cert.full_name,
        course: &cert.course_name,
        code: &cert.code,
        verification_url: verification_url(&notifier.config.public_url, &cert.code),
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
    Ok(())
}

/// Issues a certificate to every enrolment that meets the completion rule and has none yet;
/// the rest are skipped with their reason. Issuing again issues nothing new. Run in a
/// transaction.
pub async fn issue_for_cohort<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    cohort_id: i32,
) -> AppResult<IssueOutcome> {
    let facts = cohort_facts(db, cohort_id).await?;
    if facts.cohort.status != CohortStatus::Closed {
        return Err(AppError::Conflict(
            "Cierre la cohorte antes de expedir los certificados: así sus resultados quedan fijos."
                .into(),
        ));
    }
    let results = crate::results::for_cohort(db, cohort_id, &PersonScope::All).await?;
    let enrolments: std::collections::HashMap<i32, enrolment::Model> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let existing: std::collections::HashSet<i32> = certificate::Entity::find()
        .filter(certificate::Column::CohortId.eq(cohort_id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.enrolment_id)
        .collect();
    let mut outcome = IssueOutcome {
        issued: Vec::new(),
        skipped: Vec::new(),
    };
    for result in results {
        if !result.eligible_for_certificate {
            let reason = if result.reasons.is_empty() {
                "No cumple la regla de aprobación.".to_string()
            } else {
                result.reasons.join("; ")
            };
            outcome.skipped.push(Skipped {
                enrolment_id: result.enrolment_id,
                full_name: result.full_name.clone(),
                reason,
            });
            continue;
        }
        if existing.contains(&result.enrolment_id) {
            outcome.skipped.push(Skipped {
                enrolment_id: result.enrolment_id,
                full_name: result.full_name.clone(),
                reason: "Ya tiene un certificado vigente.".into(),
            });
            continue;
        }
        let Some(row) = enrolments.get(&result.enrolment_id) else {
            continue;
        };
        let person = participant::Entity::find_by_id(row.participant_id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let cert = write_snapshot(db, &facts, row, &person, &result, actor.id).await?;
        audit::record(
            db,
            Change {
                actor: Some(actor.id),
                action: "certificate.issued",
                subject_type: "certificate",
                subject_id: cert.id.to_string(),
                before: None,
                after: Some(json!({"code": cert.code, "enrolment_id": row.id})),
            },
        )
        .await?;
        deliver(db, notifier, &cert, &person, false).await?;
        outcome.issued.push(verification(db, &cert).await?);
    }
    Ok(outcome)
}

/// After a correction (e.g. a misspelt name), issues a fresh snapshot; the old certificate
/// stays verifiable as superseded, pointing to the new one.
pub async fn reissue<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: &Actor,
    typed: &str,
) -> AppResult<Verification> {
    let old = find_by_code(db, typed).await?;
    if old.status != CertificateStatus::Valid {
        return Err(AppError::Conflict(format!(
            "El certificado está {}: solo se reexpide uno vigente.",
            old.status.label().to_lowercase()
        )));
    }
    let facts = cohort_facts(db, old.cohort_id).await?;
    let row = enrolment::Entity::find_by_id(old.enrolment_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let person = participant::Entity::find_by_id(old.participant_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let result = crate::results::for_cohort(db, old.cohort_id, &PersonScope::All)
        .await?
        .into_iter()
        .find(|r| r.enrolment_id == old.enrolment_id)
        .ok_or(AppError::NotFound)?;
    let new = write_snapshot(db, &facts, &row, &person, &result, actor.id).await?;
    let mut model: certificate::ActiveModel = old.clone().into();
    model.status = Set(CertificateStatus::Superseded);
    model.superseded_by_id = Set(Some(new.id));
    model.update(db).await?;
    audit::record(db, Change {
        actor: Some(actor.id),
        action: "certificate.reissued",
        subject_type: "certificate",
        subject_id: old.id.to_string(),
        before: Some(json!({"code": old.code, "full_name": old.full_name, "status": CertificateStatus::Valid})),
        after: Some(json!({"status": CertificateStatus::Superseded, "superseded_by": new.code, "full_name": new.full_name})),
    })
    .await?;
    deliver(db, notifier, &new, &person, true).await?;
    verification(db, &new).await
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
    let cert = find_by_code(db, typed).await?;
    if cert.status != CertificateStatus::Valid {
        return Err(AppError::Conflict(format!(
            "El certificado ya está {}.",
            cert.status.label().to_lowercase()
        )));
    }
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
            before: Some(json!({"status": CertificateStatus::Valid})),
            after: Some(json!({"status": CertificateStatus::Revoked, "reason": reason})),
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
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(verification(db, &row).await?);
    }
    Ok(out)
}

/// Whether the caller may download this certificate's PDF (it shows the full document
/// number): its holder and coordinators.
pub async fn may_download<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    cert: &certificate::Model,
) -> AppResult<bool> {
    if user.is_staff() {
        return Ok(true);
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
        assert_eq!(attendance_text(8, 10), "80 %");
        assert_eq!(attendance_text(7, 8), "87,5 %");
        assert_eq!(grade_text(3250), "3.25");
        assert_eq!(grade_text(4000), "4.0");
        assert_eq!(grade_text(3333), "3.333");
    }
}
