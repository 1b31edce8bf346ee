//! Changing a cohort and what it sets off, in one transaction (issue 31).
//!
//! The cohorts area changes the cohort and announces what happened
//! ([`CohortEvent`]); the areas above it react here, in order: demand (the demands it answers
//! are linked, re-checked, met or opened again), surveys (people are invited when it closes)
//! and enrolment (the waiting list moves when seats are added). This module sits above all of
//! them, so every arrow points down: no area calls up into another. Handlers create and change
//! cohorts through it; the caller owns the transaction.

use crate::accounts::actor::Actor;
use crate::cohorts::events::CohortEvent;
use crate::cohorts::{self, CohortInput, CohortView};
use crate::error::AppResult;
use crate::mail::Notifier;
use sea_orm::ConnectionTrait;

/// Creates a draft cohort and links the demands it answers (see [`cohorts::create`]).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    input: &CohortInput,
) -> AppResult<CohortView> {
    let (view, events) = cohorts::create(db, user, input).await?;
    react(db, notifier, user, view.id, &events).await?;
    Ok(view)
}

/// Changes a cohort's fields or status (see [`cohorts::update`]) and lets the areas react;
/// the view returned is read after they did.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &CohortInput,
) -> AppResult<CohortView> {
    let (_, events) = cohorts::update(db, notifier, user, id, input).await?;
    react(db, notifier, user, id, &events).await?;
    cohorts::view(db, id).await
}

/// Reopens a closed cohort while no certificate has been issued from it (see
/// [`crate::cohorts::closing::reopen`]) and lets the areas react; the view returned is read
/// after they did.
pub async fn reopen<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
) -> AppResult<CohortView> {
    let (_, events) = cohorts::closing::reopen(db, user, id).await?;
    react(db, notifier, user, id, &events).await?;
    cohorts::view(db, id).await
}

/// Each area's reaction to what happened to cohort `id`, in the order it happened.
async fn react<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    events: &[CohortEvent],
) -> AppResult<()> {
    for event in events {
        let cohort = cohorts::find(db, id).await?;
        match event {
            CohortEvent::DemandsChosen(ids) => {
                crate::demand::planning::link(db, notifier, user, &cohort, ids).await?;
            }
            CohortEvent::Reshaped => {
                let ids = crate::demand::planning::planned_ids(db, id).await?;
                crate::demand::planning::link(db, notifier, user, &cohort, &ids).await?;
            }
            CohortEvent::Closed => {
                crate::demand::planning::on_closed(db, notifier, user.id, &cohort).await?;
                crate::surveys::on_closed(db, notifier, &cohort).await?;
            }
            CohortEvent::Reopened { closed_at } => {
                crate::demand::planning::on_reopened(db, user.id, &cohort, *closed_at).await?;
            }
            CohortEvent::Cancelled => {
                crate::demand::planning::on_cancelled(db, user.id, &cohort).await?;
            }
            CohortEvent::SeatsAdded => {
                crate::enrolment::fill_seats(db, notifier, Some(user.id), &cohort).await?;
            }
        }
    }
    Ok(())
}
