//! The demo's enrolments: people enrolled with a history of marks, scores and results
//! ([`with_history`]), and a pending invitation (issue 46).

use crate::entities::values::{EnrolmentStatus, InvitationStatus, Mark, MarkSource};
use crate::entities::{
    assessment, attendance_mark, cohort, cohort_session, enrolment, enrolment_invitation,
    participant, score,
};
use crate::error::{AppError, AppResult};
use crate::people::demo::{People, Person};
use crate::rows::Found;
use crate::time::now;
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::ops::Range;

/// One pending invitation (issue 46) of `cohort_id` to the person `invited`, from `inviter`.
pub async fn invitation<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    inviter: i32,
    invited: &Person,
) -> AppResult<()> {
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la cohorte abierta".into()))?;
    let person = participant::Entity::find_by_id(invited.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la persona invitada".into()))?;
    enrolment_invitation::Entity::insert(enrolment_invitation::ActiveModel {
        cohort_id: Set(cohort.id),
        named: Set(format!(
            "{}:{}",
            person.document_type.as_str(),
            person.document_number
        )),
        participant_id: Set(Some(person.id)),
        invited_by: Set(Some(inviter)),
        override_reason: Set(None),
        token_hash: Set(None),
        status: Set(InvitationStatus::Pending),
        enrolment_id: Set(None),
        created_at: Set(now() - Duration::days(1)),
        expires_at: Set(crate::enrolment::invitations::expiry(&cohort, false)),
        decided_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Enrols `person` in `cohort_id` with `status`, as the demo's history has it (no author).
pub async fn enrol<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    person: &Person,
    status: EnrolmentStatus,
) -> AppResult<i32> {
    let at = now();
    Ok(enrolment::Entity::insert(enrolment::ActiveModel {
        cohort_id: Set(cohort_id),
        participant_id: Set(person.id),
        status: Set(status),
        waitlist_seq: Set(None),
        municipality_code: Set(person.municipality.clone()),
        entity_type: Set(person.entity_type.clone()),
        eligibility_override: Set(false),
        override_reason: Set(None),
        created_by: Set(None),
        cancelled_at: Set(None),
        cancellation_reason: Set(None),
        sessions_total: Set(None),
        sessions_attended: Set(None),
        final_grade_milli: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id)
}

/// Enrols people and records marks for the sessions that already started and scores for
/// each assessment; for a closed cohort also freezes results (completed or not completed).
/// A person's marks and scores follow a fixed pattern seeded by their index in `people`.
pub async fn with_history<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &People,
    chosen: Range<usize>,
    instructor: i32,
    closed: bool,
) -> AppResult<()> {
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let cohort = cohort::Entity::find_by_id(cohort_id).found(db).await?;
    let at = now();
    for i in chosen {
        let enrolment_id = enrol(db, cohort_id, people.at(i), EnrolmentStatus::Enrolled).await?;
        let mut attended = 0;
        for (j, session) in sessions.iter().enumerate() {
            if session.starts_at > at {
                continue;
            }
            // A fixed, varied pattern: mostly present, some late, excused or absent.
            let mark = match (i * 3 + j * 5) % 11 {
                0 | 7 => Mark::Ausente,
                4 => Mark::Tarde,
                9 => Mark::Excusado,
                _ => Mark::Presente,
            };
            attended += i32::from(mark.counts_as_attended());
            attendance_mark::Entity::insert(attendance_mark::ActiveModel {
                session_id: Set(session.id),
                enrolment_id: Set(enrolment_id),
                status: Set(mark),
                note: Set((mark == Mark::Excusado).then(|| "Incapacidad médica".to_string())),
                source: Set(MarkSource::Manual),
                recorded_by: Set(Some(instructor)),
                recorded_at: Set(session.ends_at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        let scored = if closed {
            assessments.len()
        } else {
            1.min(assessments.len())
        };
        let mut given = std::collections::HashMap::new();
        for (k, item) in assessments.iter().take(scored).enumerate() {
            let tenths = 24 + ((i * 7 + k * 13) % 27) as i32; // 2.4 … 5.0
            given.insert(item.id, tenths);
            score::Entity::insert(score::ActiveModel {
                assessment_id: Set(item.id),
                enrolment_id: Set(enrolment_id),
                score_tenths: Set(tenths),
                recorded_by: Set(Some(instructor)),
                recorded_at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        if closed {
            let total = sessions.len() as i32;
            // The one completion rule closing applies (results::evaluate).
            let items: Vec<crate::results::Item> = assessments
                .iter()
                .map(|a| crate::results::Item {
                    id: a.id,
                    name: a.name.clone(),
                    weight: a.weight,
                })
                .collect();
            let (grade, reasons) = crate::results::evaluate(
                crate::results::Rule::of(&cohort),
                total,
                attended,
                &items,
                &given,
            );
            let completed = reasons.is_empty();
            enrolment::Entity::update(enrolment::ActiveModel {
                id: Set(enrolment_id),
                status: Set(if completed {
                    EnrolmentStatus::Completed
                } else {
                    EnrolmentStatus::NotCompleted
                }),
                sessions_total: Set(Some(total)),
                sessions_attended: Set(Some(attended)),
                final_grade_milli: Set(grade),
                ..Default::default()
            })
            .exec(db)
            .await?;
        }
    }
    Ok(())
}
