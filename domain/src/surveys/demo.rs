//! The demo's surveys (issue 17): what participants thought. The Meta budget cohort's
//! satisfaction survey is open (6 of 9 answered); the earlier Caquetá cohort's closed long ago
//! (10 of 12), and its follow-up is open with the demo participant still to answer it.

use crate::entities::values::SurveyKind;
use crate::entities::{enrolment, entity_departure, survey, survey_response};
use crate::error::AppResult;
use crate::time::{from_local, now, today};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// The surveys of `budget_meta` (open) and `earlier_caqueta` (the cohort closed two years ago:
/// satisfaction closed, follow-up open); `the_participant` has not answered the latter's.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    budget_meta: i32,
    earlier_caqueta: i32,
    the_participant: i32,
) -> AppResult<()> {
    let at = now();
    let day = today();
    survey(
        db,
        budget_meta,
        SurveyKind::Satisfaction,
        at - Duration::days(3),
        6,
        None,
    )
    .await?;
    let earlier_end = from_local(day - Duration::days(730) + Duration::days(7 * 4 + 1), 9, 0);
    survey(
        db,
        earlier_caqueta,
        SurveyKind::Satisfaction,
        earlier_end,
        10,
        Some(the_participant),
    )
    .await?;
    survey(
        db,
        earlier_caqueta,
        SurveyKind::FollowUp,
        at - Duration::days(4),
        6,
        Some(the_participant),
    )
    .await
}

/// A survey of `kind` for everyone in `cohort_id`, opened `opens_at`; the first `answered`
/// (never `pending`, the demo participant) answered it, with seeded answers.
async fn survey<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    kind: SurveyKind,
    opens_at: DateTime<Utc>,
    answered: usize,
    pending: Option<i32>,
) -> AppResult<()> {
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?;
    let departments = crate::territory::departments_of(
        db,
        rows.iter().map(|e| e.municipality_code.clone()).collect(),
    )
    .await?;
    let mut count = 0;
    for e in rows {
        let department = departments
            .get(&e.municipality_code)
            .cloned()
            .unwrap_or_default();
        let answers = count < answered && pending != Some(e.participant_id);
        count += usize::from(answers);
        let kind_offset = if kind == SurveyKind::FollowUp { 7 } else { 0 };
        let seeded = super::seeded(
            kind,
            e.id,
            cohort_id,
            &department,
            opens_at,
            answers,
            e.id as u64 * 31 + kind_offset,
        );
        survey::Entity::insert(seeded.survey)
            .exec_without_returning(db)
            .await?;
        if let Some(response) = seeded.response {
            survey_response::Entity::insert(response)
                .exec_without_returning(db)
                .await?;
        }
        if seeded.left_entity {
            entity_departure::Entity::insert(entity_departure::ActiveModel {
                participant_id: Set(e.participant_id),
                municipality_code: Set(e.municipality_code.clone()),
                reported_at: Set(opens_at + Duration::days(2)),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    super::tallies::refresh(db, cohort_id).await
}
