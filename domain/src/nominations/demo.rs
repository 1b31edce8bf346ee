//! The demo's nominations (issue 35): seats kept per municipality in the open cohort and El
//! Paujíl's liaison's nominations.

use crate::entities::values::NominationStatus;
use crate::entities::{cohort, cohort_seat_quota, nomination, participant};
use crate::error::{AppError, AppResult};
use crate::people::demo::People;
use crate::time::now;
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// Issue 35: the open cohort shared by Caquetá and Meta keeps seats for three pilots until a
/// week before enrolment closes, and El Paujíl's liaison has nominated two people: a registered
/// official of the alcaldía who confirmed, and someone not yet registered who has not.
pub async fn seat_quotas<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    liaison_id: i32,
    people: &People,
    enrolled: &[usize],
) -> AppResult<()> {
    for (code, seats) in [("18256", 5), ("50325", 5), ("18592", 3)] {
        cohort_seat_quota::Entity::insert(cohort_seat_quota::ActiveModel {
            cohort_id: Set(cohort_id),
            municipality_code: Set(code.to_string()),
            seats: Set(seats),
        })
        .exec_without_returning(db)
        .await?;
    }
    let cohort = cohort::Entity::find_by_id(cohort_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la cohorte abierta".into()))?;
    let mut model: cohort::ActiveModel = cohort.clone().into();
    model.quota_release_on = Set(Some(cohort.enrolment_closes - Duration::days(7)));
    model.update(db).await?;
    let official = people
        .all()
        .iter()
        .enumerate()
        .find(|(i, p)| {
            p.municipality == "18256" && p.entity_type == "alcaldia" && !enrolled.contains(i)
        })
        .map(|(_, p)| p.id)
        .ok_or_else(|| AppError::Internal("demo: falta un funcionario de El Paujíl".into()))?;
    let person = participant::Entity::find_by_id(official)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el participante".into()))?;
    let at = now();
    let rows = [
        (
            Some(person.id),
            person.document_number.clone(),
            person.first_names.clone(),
            person.last_names.clone(),
            person.email.clone().unwrap_or_default(),
            NominationStatus::Confirmed,
        ),
        (
            None,
            "1117598765".to_string(),
            "Deisy Johana".to_string(),
            "Losada Cabrera".to_string(),
            "deisy.losada@elpaujil-caqueta.example".to_string(),
            NominationStatus::Pending,
        ),
    ];
    for (participant_id, document, first, last, email, status) in rows {
        nomination::Entity::insert(nomination::ActiveModel {
            cohort_id: Set(cohort_id),
            municipality_code: Set("18256".into()),
            participant_id: Set(participant_id),
            document_type: Set("CC".into()),
            document_number: Set(document),
            first_names: Set(first),
            last_names: Set(last),
            email: Set(email),
            status: Set(status),
            // The demo's emailed links are not known to anyone: a random token's hash.
            confirm_token_hash: Set((status == NominationStatus::Pending).then(|| {
                crate::accounts::secrets::token_hash(&crate::accounts::secrets::random_token())
            })),
            confirmed_at: Set((status == NominationStatus::Confirmed).then_some(at)),
            decision_reason: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
            enrolment_id: Set(None),
            nominated_by: Set(Some(liaison_id)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
