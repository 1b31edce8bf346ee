//! The demo's certificates: those of a closed cohort's completed enrolments.

use crate::entities::values::{CertificateStatus, EnrolmentStatus};
use crate::entities::{
    capacity, certificate, cohort, course, course_capacity, department, enrolment, municipality,
    participant,
};
use crate::error::AppResult;
use crate::rows::Found;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// Certificates for the completed enrolments of a closed demo cohort, issued at `at` by
/// `issuer` (the snapshot a certificate keeps, as `certificates::issue` writes it; no email:
/// the demo's people have no mailbox).
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    issuer: i32,
    at: DateTime<Utc>,
) -> AppResult<()> {
    issue_to(db, cohort_id, None, issuer, at).await
}

/// [`issue`] for one person of the cohort only (`Some(participant)`), or for all.
pub async fn issue_to<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    only: Option<i32>,
    issuer: i32,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let cohort = cohort::Entity::find_by_id(cohort_id).found(db).await?;
    let course = course::Entity::find_by_id(cohort.course_id)
        .found(db)
        .await?;
    let mut capacity_names = Vec::new();
    for link in course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course.id))
        .all(db)
        .await?
    {
        if let Some(c) = capacity::Entity::find_by_id(link.capacity_id)
            .one(db)
            .await?
        {
            capacity_names.push(c.name);
        }
    }
    let provider = crate::providers::get(db, cohort.provider_id).await?;
    for row in enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .filter(only.map_or(sea_orm::Condition::all(), |id| {
            sea_orm::Condition::all().add(enrolment::Column::ParticipantId.eq(id))
        }))
        .all(db)
        .await?
    {
        let person = participant::Entity::find_by_id(row.participant_id)
            .found(db)
            .await?;
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
        certificate::Entity::insert(certificate::ActiveModel {
            code: Set(super::code::generate()),
            enrolment_id: Set(row.id),
            cohort_id: Set(cohort_id),
            participant_id: Set(person.id),
            status: Set(CertificateStatus::Valid),
            full_name: Set(person.full_name()),
            document_type: Set(person.document_type),
            document_number: Set(person.document_number.clone()),
            course_code: Set(course.code.clone()),
            course_name: Set(course.name.clone()),
            capacity_names: Set(capacity_names.join(", ")),
            hours: Set(course.hours),
            start_date: Set(cohort.start_date),
            end_date: Set(cohort.end_date),
            municipality_code: Set(row.municipality_code.clone()),
            municipality_name: Set(place.map(|m| m.name).unwrap_or_default()),
            department_name: Set(department_name),
            final_grade_milli: Set(row.final_grade_milli),
            sessions_attended: Set(row.sessions_attended.unwrap_or(0)),
            sessions_total: Set(row.sessions_total.unwrap_or(0)),
            issuer: Set(provider.name.clone()),
            issued_at: Set(at),
            issued_by: Set(Some(issuer)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
