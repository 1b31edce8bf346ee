//! The whole edition as one calendar (issue 64): every module cohort's sessions, grouped by
//! module in the programme's order and in date order within each, for the edition's page; and
//! the same sessions as one iCalendar feed (`edition_calendar`), each session the very event
//! its cohort's own feed carries (`enrolment::notices::session_event`: same UID, so a person
//! who imported both sees each session once).
//!
//! The feed is for the edition's people and the staff who manage it (`readable`); the page
//! shows the sessions to whoever reads the programme.

use super::editions::{self, Edition};
use crate::accounts::actor::Actor;
use crate::calendar::{self, Event};
use crate::cohorts::sessions::{self, SessionView};
use crate::entities::{cohort_session, participant};
use crate::error::{AppError, AppResult};
use crate::rows::Found;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

/// One module's sessions in the edition: its cohort and the sessions in date order.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleSessions {
    pub course_id: i32,
    pub course_name: String,
    pub order: i32,
    pub required: bool,
    pub cohort_id: i32,
    pub cohort_name: String,
    /// Where its sessions are held unless a session says otherwise.
    pub venue: Option<String>,
    pub sessions: Vec<SessionView>,
}

/// The edition's modules (those with a cohort), in the programme's order, each with its
/// cohort's sessions in date order.
pub async fn by_module<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
) -> AppResult<Vec<ModuleSessions>> {
    let mut out = Vec::with_capacity(edition.cohorts.len());
    for module in &edition.programme.modules {
        let Some(cohort) = edition.cohorts.get(&module.course_id) else {
            continue;
        };
        out.push(ModuleSessions {
            course_id: module.course_id,
            course_name: module.course_name.clone(),
            order: module.order,
            required: module.required,
            cohort_id: cohort.id,
            cohort_name: cohort.name.clone(),
            venue: cohort.venue.clone(),
            sessions: sessions::list(db, cohort.id)
                .await?
                .into_iter()
                .map(|s| SessionView::of(cohort, s))
                .collect(),
        });
    }
    Ok(out)
}

/// Every session of the edition's cohorts as one iCalendar file named after the edition, in
/// date order. Each event is the one the cohort's own feed carries.
pub async fn edition_calendar<C: ConnectionTrait>(
    db: &C,
    edition: &Edition,
    public_url: &str,
) -> AppResult<String> {
    let cohorts = edition.ordered_cohorts();
    let rows: Vec<cohort_session::Model> = cohort_session::Entity::find()
        .filter(cohort_session::Column::CohortId.is_in(cohorts.iter().map(|c| c.id)))
        .all(db)
        .await?;
    let mut events: Vec<Event> = rows
        .iter()
        .filter_map(|session| {
            let cohort = cohorts.iter().find(|c| c.id == session.cohort_id)?;
            Some(crate::enrolment::notices::session_event(
                cohort, session, public_url,
            ))
        })
        .collect();
    events.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.uid.cmp(&b.uid)));
    Ok(calendar::calendar(&edition.row.name, &events))
}

/// The edition whose feed `actor` may take: the staff who manage it and a person with a
/// current enrolment in it (enrolled or waiting); 404 for anyone else.
pub async fn readable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    edition_id: i32,
) -> AppResult<Edition> {
    if actor.is_staff() {
        return editions::find_managed(db, actor, edition_id).await;
    }
    let edition = editions::load(db, edition_id).await?;
    let person = participant::Entity::find()
        .filter(participant::Column::UserId.eq(actor.id))
        .found(db)
        .await?;
    match super::enrolment::current(db, edition.row.id, person.id).await? {
        Some(_) => Ok(edition),
        None => Err(AppError::NotFound),
    }
}
