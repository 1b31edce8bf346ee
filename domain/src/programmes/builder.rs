//! What the edition builder offers a coordinator for each module (issue 64): the cohorts of
//! the module's course it manages, not closed or cancelled and in no edition yet, earliest
//! first. `editions::create` checks the choice again (the same rules and more: no direct
//! enrolments, prerequisites in time); this only keeps the choosers short.

use super::ProgrammeView;
use crate::accounts::actor::Actor;
use crate::cohorts::scope::CohortScope;
use crate::entities::values::CohortStatus;
use crate::entities::{cohort, programme_edition_cohort};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The cohorts `actor` may put in an edition of `programme`, by the module's course.
pub async fn candidates<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    programme: &ProgrammeView,
) -> AppResult<HashMap<i32, Vec<cohort::Model>>> {
    let mut by_course: HashMap<i32, Vec<cohort::Model>> = HashMap::new();
    if !actor.is_staff() || programme.modules.is_empty() {
        return Ok(by_course);
    }
    let taken: Vec<i32> = programme_edition_cohort::Entity::find()
        .select_only()
        .column(programme_edition_cohort::Column::CohortId)
        .into_tuple()
        .all(db)
        .await?;
    let found = cohort::Entity::find()
        .filter(CohortScope::of(Some(actor)).condition())
        .filter(cohort::Column::CourseId.is_in(programme.modules.iter().map(|m| m.course_id)))
        .filter(cohort::Column::Status.is_not_in([CohortStatus::Closed, CohortStatus::Cancelled]))
        .filter(cohort::Column::Id.is_not_in(taken))
        .order_by_asc(cohort::Column::StartDate)
        .order_by_asc(cohort::Column::Id)
        .all(db)
        .await?;
    for cohort in found {
        by_course.entry(cohort.course_id).or_default().push(cohort);
    }
    Ok(by_course)
}
