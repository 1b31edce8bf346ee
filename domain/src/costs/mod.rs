//! Costs (issue 47): a cohort's or an assistance's cost items — kind, basis, amount in whole
//! pesos, stage (planned, committed, executed), the day incurred and the plan line they answer.
//!
//! An item's value is its amount times its units: one when fixed; per participant, the
//! cohort's people trained (counted enrolments, from the maintained `cohort_figures`) or the
//! assistance's attendees recorded at its visits; per session, the cohort's sessions scheduled
//! (counted in `cohort_sessions`) or the assistance's visits. So a per-participant item
//! follows the enrolments as they change, and [`values`] is the one place that says it.

pub mod demo;
pub mod import;
pub mod items;

use crate::entities::values::CostBasis;
use crate::entities::{assistance_visit, cohort_figure, cohort_session, cost_item, visit_attendee};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use std::collections::HashMap;

/// How many units a cohort's or an assistance's items count by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Units {
    pub participants: i64,
    pub sessions: i64,
}

impl Units {
    pub fn of(self, basis: CostBasis) -> i64 {
        match basis {
            CostBasis::Fijo => 1,
            CostBasis::PorParticipante => self.participants,
            CostBasis::PorSesion => self.sessions,
        }
    }
}

/// The units of these cohorts: people trained (from `cohort_figures`) and sessions scheduled
/// (counted in `cohort_sessions`, by its cohort index: a cohort nobody has enrolled in yet has
/// no figures row, and its per-session items still count its sessions).
pub async fn cohort_units<C: ConnectionTrait>(
    db: &C,
    cohorts: &[i32],
) -> AppResult<HashMap<i32, Units>> {
    let mut out: HashMap<i32, Units> = HashMap::new();
    for chunk in cohorts.chunks(1_000) {
        let rows: Vec<(i32, i32)> = cohort_figure::Entity::find()
            .select_only()
            .column(cohort_figure::Column::CohortId)
            // Enrolled, completed or not completed: the people trained.
            .column(cohort_figure::Column::Enrolled)
            .filter(cohort_figure::Column::CohortId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (cohort_id, enrolled) in rows {
            out.entry(cohort_id).or_default().participants += i64::from(enrolled);
        }
        let sessions: Vec<(i32, i64)> = cohort_session::Entity::find()
            .select_only()
            .column(cohort_session::Column::CohortId)
            .column_as(cohort_session::Column::Id.count(), "n")
            .filter(cohort_session::Column::CohortId.is_in(chunk.to_vec()))
            .group_by(cohort_session::Column::CohortId)
            .into_tuple()
            .all(db)
            .await?;
        for (cohort_id, n) in sessions {
            out.entry(cohort_id).or_default().sessions = n;
        }
    }
    Ok(out)
}

/// The units of these assistances (attendees recorded at their visits, and their visits).
pub async fn assistance_units<C: ConnectionTrait>(
    db: &C,
    assistances: &[i32],
) -> AppResult<HashMap<i32, Units>> {
    let mut out: HashMap<i32, Units> = HashMap::new();
    for chunk in assistances.chunks(1_000) {
        let visits: Vec<(i32, i64)> = assistance_visit::Entity::find()
            .select_only()
            .column(assistance_visit::Column::AssistanceId)
            .column_as(assistance_visit::Column::Id.count(), "n")
            .filter(assistance_visit::Column::AssistanceId.is_in(chunk.to_vec()))
            .group_by(assistance_visit::Column::AssistanceId)
            .into_tuple()
            .all(db)
            .await?;
        for (id, n) in visits {
            out.entry(id).or_default().sessions = n;
        }
        let attendees: Vec<(i32, i64)> = visit_attendee::Entity::find()
            .select_only()
            .column(assistance_visit::Column::AssistanceId)
            .column_as(visit_attendee::Column::Id.count(), "n")
            .join(
                JoinType::InnerJoin,
                visit_attendee::Entity::belongs_to(assistance_visit::Entity)
                    .from(visit_attendee::Column::VisitId)
                    .to(assistance_visit::Column::Id)
                    .into(),
            )
            .filter(assistance_visit::Column::AssistanceId.is_in(chunk.to_vec()))
            .group_by(assistance_visit::Column::AssistanceId)
            .into_tuple()
            .all(db)
            .await?;
        for (id, n) in attendees {
            out.entry(id).or_default().participants = n;
        }
    }
    Ok(out)
}

/// Each item's value in whole pesos (amount × units), by item id.
pub async fn values<C: ConnectionTrait>(
    db: &C,
    items: &[cost_item::Model],
) -> AppResult<HashMap<i32, i64>> {
    let cohorts: Vec<i32> = items.iter().filter_map(|i| i.cohort_id).collect();
    let assistances: Vec<i32> = items.iter().filter_map(|i| i.assistance_id).collect();
    let cohort_units = cohort_units(db, &cohorts).await?;
    let assistance_units = assistance_units(db, &assistances).await?;
    Ok(items
        .iter()
        .map(|item| {
            let units = match (item.cohort_id, item.assistance_id) {
                (Some(id), _) => cohort_units.get(&id).copied().unwrap_or_default(),
                (None, Some(id)) => assistance_units.get(&id).copied().unwrap_or_default(),
                (None, None) => Units::default(),
            };
            (item.id, item.amount.saturating_mul(units.of(item.basis)))
        })
        .collect())
}
