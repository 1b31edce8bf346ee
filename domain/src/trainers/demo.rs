//! The demo's trainers (issue 48): a closed cohort that trains trainers in Planeación
//! Territorial for the Caquetá pilots. The demo participant (Puerto Rico) and an official of
//! El Paujíl completed it and were endorsed as replicators; a third (San José del Fragua)
//! completed it and waits for the endorsement; a fourth did not complete it. Their replicas in
//! the pilots: one with the attendees by name, two as a count, and one waiting for review.

use crate::accounts::demo::Accounts;
use crate::cohorts::demo::DemoCohort;
use crate::enrolment::demo::enrol;
use crate::entities::values::{
    CohortStatus, EnrolmentStatus, Mark, MarkSource, Modality, ReplicaAudience, ReplicaReview,
};
use crate::entities::{
    assessment, attendance_mark, cohort, cohort_session, course_capacity, enrolment, replica,
    replica_attendee, replicator, replicator_capacity, score,
};
use crate::error::{AppError, AppResult};
use crate::people::demo::People;
use crate::rows::Found;
use crate::rows::Rows;
use crate::territory::demo::PILOT_MUNICIPALITIES;
use crate::time::{from_local, now, today};
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// The trainers' cohort (by `accounts.coordinator`, taught by `accounts.instructor`), its
/// people's results, the replicators it endorsed and their replicas.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    people: &People,
) -> AppResult<()> {
    let day = today();
    let trainers = DemoCohort {
        course_code: "PT",
        name: "Formación de formadores en Planeación Territorial · Caquetá 2026",
        modality: Modality::Presencial,
        status: CohortStatus::Closed,
        start: day - Duration::days(120),
        sessions: 4,
        seats: 20,
        venue: "Auditorio de la Gobernación del Caquetá, Florencia",
        municipalities: &PILOT_MUNICIPALITIES[..4],
        departments: &[],
        assessments: &[("Diseño de una réplica", 100)],
    };
    let cohort_id = trainers
        .create(db, accounts.coordinator, accounts.instructor)
        .await?;
    cohort::Entity::update_many()
        .col_expr(cohort::Column::TrainsTrainers, true.into())
        .filter(cohort::Column::Id.eq(cohort_id))
        .exec(db)
        .await?;
    history(db, cohort_id, people, accounts.instructor).await?;
    let (replicators, capacity_id) =
        replicators(db, cohort_id, people, accounts.coordinator).await?;
    replicas(db, &replicators, capacity_id).await
}

/// Four of the Caquetá people in the trainers' cohort: three completed it, Édgar did not.
async fn history<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &People,
    instructor: i32,
) -> AppResult<()> {
    let sessions = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?;
    let at = now();
    // (person, completed): the demo participant, El Paujíl, San José del Fragua; Belén not.
    for (person, completed) in [
        (People::MARIA_FERNANDA, true),
        (People::HECTOR_FABIAN, true),
        (People::SANDRA_MILENA, true),
        (People::EDGAR, false),
    ] {
        let enrolment_id =
            enrol(db, cohort_id, people.at(person), EnrolmentStatus::Enrolled).await?;
        for (n, session) in sessions.iter().enumerate() {
            let mark = if completed || n == 0 {
                Mark::Presente
            } else {
                Mark::Ausente
            };
            attendance_mark::Entity::insert(attendance_mark::ActiveModel {
                session_id: Set(session.id),
                enrolment_id: Set(enrolment_id),
                status: Set(mark),
                note: Set(None),
                source: Set(MarkSource::Manual),
                recorded_by: Set(Some(instructor)),
                recorded_at: Set(session.ends_at),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        let tenths = if completed { 45 } else { 28 };
        for item in &assessments {
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
        let total = sessions.len() as i32;
        enrolment::Entity::update(enrolment::ActiveModel {
            id: Set(enrolment_id),
            status: Set(if completed {
                EnrolmentStatus::Completed
            } else {
                EnrolmentStatus::NotCompleted
            }),
            sessions_total: Set(Some(total)),
            sessions_attended: Set(Some(if completed { total } else { 1 })),
            final_grade_milli: Set(Some(tenths * 100)),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    Ok(())
}

/// María Fernanda and Héctor Fabián, endorsed by `coordinator` as replicators of the course's
/// capacities; with the capacity their replicas are of.
async fn replicators<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &People,
    coordinator: i32,
) -> AppResult<(Vec<i32>, i32)> {
    let day = today();
    let course_id = cohort::Entity::find_by_id(cohort_id)
        .found(db)
        .await?
        .course_id;
    let capacities: Vec<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.eq(course_id))
        .all_mapped(db, |c| c.capacity_id)
        .await?;
    let capacity_id = *capacities
        .first()
        .ok_or_else(|| AppError::Internal("demo: el curso PT no tiene capacidades".into()))?;
    let since = day - Duration::days(90);
    let until = super::default_until(since);
    let mut replicators = Vec::new();
    for person in [People::MARIA_FERNANDA, People::HECTOR_FABIAN] {
        let saved = replicator::Entity::insert(replicator::ActiveModel {
            participant_id: Set(people.at(person).id),
            cohort_id: Set(cohort_id),
            department_code: Set("18".into()),
            since: Set(since),
            until: Set(until),
            endorsed_by: Set(Some(coordinator)),
            endorsed_at: Set(from_local(since, 10, 0)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for id in &capacities {
            replicator_capacity::Entity::insert(replicator_capacity::ActiveModel {
                replicator_id: Set(saved),
                capacity_id: Set(*id),
            })
            .exec_without_returning(db)
            .await?;
        }
        replicators.push(saved);
    }
    Ok((replicators, capacity_id))
}

/// The replicas of `replicators` in the pilots, of `capacity_id`.
async fn replicas<C: ConnectionTrait>(
    db: &C,
    replicators: &[i32],
    capacity_id: i32,
) -> AppResult<()> {
    let day = today();
    // (replicator, days ago, municipality, audience, names or a count).
    type DemoReplica<'a> = (usize, i64, &'a str, ReplicaAudience, &'a [&'a str], i32);
    let replicas: [DemoReplica; 3] = [
        (
            0,
            60,
            "18256",
            ReplicaAudience::Servidores,
            &[
                "Luz Dary Ortiz",
                "Fabio Nelson Rojas",
                "Sandra Milena Vargas",
                "Edwin Arley Cuéllar",
                "Nidia Esperanza Toro",
                "Wilmer Andrés Polanía",
            ],
            0,
        ),
        (0, 30, "18592", ReplicaAudience::ConsejoPlaneacion, &[], 18),
        (1, 12, "18094", ReplicaAudience::Jovenes, &[], 25),
    ];
    for (who, ago, place, audience, names, count) in replicas {
        let date = day - Duration::days(ago);
        let id = replica::Entity::insert(replica::ActiveModel {
            replicator_id: Set(replicators[who]),
            date: Set(date),
            municipality_code: Set(place.to_string()),
            department_code: Set("18".into()),
            capacity_id: Set(capacity_id),
            audience: Set(audience),
            people_reached: Set(if names.is_empty() {
                count
            } else {
                names.len() as i32
            }),
            by_count: Set(names.is_empty()),
            recorded_by: Set(None),
            created_at: Set(from_local(date, 18, 0)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        for name in names {
            replica_attendee::Entity::insert(replica_attendee::ActiveModel {
                replica_id: Set(id),
                full_name: Set(name.to_string()),
                position: Set(None),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
        }
        crate::figures::replicas::refresh(db, place).await?;
    }
    // Issue 62: a count beyond what one replica counts alone (`replica_review_attendees`)
    // waits at «Réplicas por revisar» for a coordinator, and counts nowhere until approved.
    replica::Entity::insert(replica::ActiveModel {
        replicator_id: Set(replicators[1]),
        date: Set(day - Duration::days(3)),
        municipality_code: Set("18256".into()),
        department_code: Set("18".into()),
        capacity_id: Set(capacity_id),
        audience: Set(ReplicaAudience::OrganizacionesComunitarias),
        people_reached: Set(140),
        by_count: Set(true),
        recorded_by: Set(None),
        created_at: Set(from_local(day - Duration::days(3), 19, 0)),
        review: Set(ReplicaReview::Pending),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
