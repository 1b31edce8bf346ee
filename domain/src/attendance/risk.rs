//! At risk: a participant whose recorded absences (ausente or excusado) already make the
//! cohort's minimum attendance unreachable, even attending every other scheduled session:
//! `(scheduled − missed) × 100 < minimum % × scheduled`. They are warned by email once, and the
//! cohort's coordinator (its creator, or every active coordinator when it has none) gets one
//! email listing the people who just became at risk. "Once" is kept by an audit entry
//! `enrolment.at_risk` per enrolment (and by the emails' dedupe keys).

use crate::audit::{self, Change};
use crate::entities::values::Role;
use crate::entities::{audit_log, cohort, course, enrolment, participant, user};
use crate::error::AppResult;
use crate::mail::Notifier;
use crate::mail::{self, Email};
use crate::results;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashSet;

pub const AUDIT_ACTION: &str = "enrolment.at_risk";

/// The arithmetic of the minimum (the basis of attendance's, below this module).
pub use super::basis::{absences_left, at_risk};

/// Who hears about people at risk in a cohort: its creator when an active coordinator or
/// admin, otherwise every active coordinator.
pub async fn coordinators<C: ConnectionTrait>(
    db: &C,
    cohort: &cohort::Model,
) -> AppResult<Vec<user::Model>> {
    if let Some(id) = cohort.created_by
        && let Some(creator) = user::Entity::find_by_id(id).one(db).await?
        && creator.active
        && matches!(creator.role, Role::Coordinator | Role::Admin)
    {
        return Ok(vec![creator]);
    }
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Coordinator))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// The counts that put an enrolment at risk of not completing (`enrolment.at_risk`).
#[derive(Serialize)]
struct AtRisk {
    sessions_total: i32,
    sessions_attended: i32,
    sessions_missed: i32,
    min_attendance_pct: i32,
}

/// After marks of these enrolments changed: warns those who just became at risk (once).
pub async fn warn_newly_at_risk<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: i32,
    cohort: &cohort::Model,
    enrolment_ids: &[i32],
) -> AppResult<Vec<i32>> {
    if enrolment_ids.is_empty() {
        return Ok(Vec::new());
    }
    let total = results::sessions_total(db, cohort.id).await?;
    let counts = results::mark_counts(db, cohort.id, Some(enrolment_ids)).await?;
    let risky: Vec<i32> = enrolment_ids
        .iter()
        .copied()
        .filter(|id| {
            let missed = counts.get(id).map_or(0, |c| c.missed);
            at_risk(total, missed, cohort.min_attendance_pct)
        })
        .collect();
    if risky.is_empty() {
        return Ok(Vec::new());
    }
    let warned: HashSet<String> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(AUDIT_ACTION))
        .filter(audit_log::Column::SubjectType.eq("enrolment"))
        .filter(audit_log::Column::SubjectId.is_in(risky.iter().map(|id| id.to_string())))
        .all_mapped(db, |row| row.subject_id)
        .await?;
    let mut newly: Vec<i32> = risky
        .into_iter()
        .filter(|id| !warned.contains(&id.to_string()))
        .collect();
    if newly.is_empty() {
        return Ok(Vec::new());
    }
    newly.sort_unstable();
    let people = enrolment::Entity::find()
        .filter(enrolment::Column::Id.is_in(newly.clone()))
        .find_also_related(participant::Entity)
        .all(db)
        .await?;
    let course_name = course::Entity::find_by_id(cohort.course_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let min = cohort.min_attendance_pct;
    let mut changes = Vec::new();
    let mut listed = Vec::new();
    for (row, person) in &people {
        let Some(person) = person else { continue };
        let c = counts.get(&row.id).copied().unwrap_or_default();
        changes.push(Change {
            actor: Some(actor),
            action: AUDIT_ACTION,
            subject_type: "enrolment",
            subject_id: row.id.to_string(),
            before: None,
            after: serde_json::to_value(AtRisk {
                sessions_total: total,
                sessions_attended: c.attended,
                sessions_missed: c.missed,
                min_attendance_pct: min,
            })
            .ok(),
        });
        let best = crate::format::percent_against(
            i64::from(total - c.missed),
            i64::from(total),
            i64::from(min),
        );
        listed.push(PersonAtRisk {
            full_name: person.full_name(),
            document: format!(
                "{} {}",
                person.document_type.as_str(),
                person.document_number
            ),
            attended: c.attended,
            missed: c.missed,
            best: best.clone(),
        });
        if let Some(to) = person.email.clone() {
            let message = AttendanceAtRisk {
                full_name: person.full_name(),
                cohort: &cohort.name,
                course: &course_name,
                total,
                attended: c.attended,
                missed: c.missed,
                best,
                min,
            };
            let email = Email::of(to, &message)?.once(format!("asistencia_en_riesgo:{}", row.id));
            mail::enqueue(db, notifier, email).await?;
        }
    }
    audit::record_many(db, changes).await?;
    if listed.is_empty() {
        return Ok(newly);
    }
    let ids_key = newly
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join("-");
    for recipient in coordinators(db, cohort).await? {
        let message = AttendanceAtRiskStaff {
            full_name: &recipient.full_name,
            cohort: &cohort.name,
            cohort_id: cohort.id,
            course: &course_name,
            total,
            min,
            people: &listed,
        };
        let email = Email::of(recipient.email.clone(), &message)?.once(format!(
            "asistencia_en_riesgo_coordinacion:{}:{}:{ids_key}",
            cohort.id, recipient.id
        ));
        mail::enqueue(db, notifier, email).await?;
    }
    Ok(newly)
}

/// A person at risk, as the coordination's email lists them.
#[derive(serde::Serialize)]
struct PersonAtRisk {
    full_name: String,
    document: String,
    attended: i32,
    missed: i32,
    best: String,
}

/// To the participant: the minimum is out of reach.
#[derive(serde::Serialize)]
struct AttendanceAtRisk<'a> {
    full_name: String,
    cohort: &'a str,
    course: &'a str,
    total: i32,
    attended: i32,
    missed: i32,
    best: String,
    min: i32,
}

impl mail::Message for AttendanceAtRisk<'_> {
    const TEMPLATE: &'static str = "attendance_at_risk";
    fn subject(&self) -> String {
        format!("Su asistencia en {} ya no alcanza el mínimo", self.cohort)
    }
}

/// To the coordination: who in a cohort can no longer reach the minimum.
#[derive(serde::Serialize)]
struct AttendanceAtRiskStaff<'a> {
    full_name: &'a str,
    cohort: &'a str,
    cohort_id: i32,
    course: &'a str,
    total: i32,
    min: i32,
    people: &'a [PersonAtRisk],
}

impl mail::Message for AttendanceAtRiskStaff<'_> {
    const TEMPLATE: &'static str = "attendance_at_risk_staff";
    fn subject(&self) -> String {
        format!(
            "{} en riesgo de no aprobar por asistencia: {}",
            if self.people.len() == 1 {
                "1 participante".to_string()
            } else {
                format!("{} participantes", self.people.len())
            },
            self.cohort
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_risk_means_the_minimum_is_out_of_reach() {
        // 10 sessions, minimum 80 %: two absences still allow 80 %, three do not.
        assert!(!at_risk(10, 2, 80));
        assert!(at_risk(10, 3, 80));
        assert_eq!(absences_left(10, 0, 80), 2);
        assert_eq!(absences_left(10, 2, 80), 0);
        assert_eq!(absences_left(10, 3, 80), -1);
        // 6 sessions, 80 %: 5 needed (4.8 rounded up), one absence allowed.
        assert_eq!(absences_left(6, 0, 80), 1);
        assert!(at_risk(6, 2, 80));
        assert!(!at_risk(0, 0, 80));
    }
}
