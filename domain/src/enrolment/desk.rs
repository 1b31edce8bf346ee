//! A cohort's desk: the people enrolling themselves into one cohort at the same moment are
//! decided together (issue 50, items 1 and 3). When a popular cohort opens, its people arrive
//! in the same seconds; one by one, each would take the cohort's lock, read its enrolments,
//! insert, audit, queue a notice and commit while the next waits for the lock. At the desk, the
//! first person of a cohort starts a task that takes everyone waiting at that moment (at most
//! [`MOST`]) and decides them in one transaction ([`super::together`]: one lock, one read of the
//! cohort's enrolments, one insert, one audit and one outbox statement), then the next batch,
//! until nobody waits. Each person still gets her own answer — her seat, her place in the
//! waiting list, or her own refusal — and only after the batch is committed.
//!
//! The order is kept: a batch is taken in arrival order and decided in that order, and batches
//! follow one another. Several instances each run their desks; the cohort's lock orders their
//! batches. A batch that fails as a whole (a database error, a race with a coordinator on the
//! same person) is decided again one person at a time, so each gets her own error; a busy
//! database answers everyone «ocupado» (503), as it would have one by one.

use super::{Ask, EnrolmentView, Requester};
use crate::accounts::actor::Actor;
use crate::config::AppConfig;
use crate::entities::participant;
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::templates::Templates;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most people one batch decides: its statements stay bounded (an enrolment row binds 15
/// values, an outbox row 11) and the first of a batch waits for at most this many decisions.
pub const MOST: usize = 64;

/// The desks of this process, one per database.
static DESKS: std::sync::LazyLock<Mutex<HashMap<String, Arc<Desk>>>> =
    std::sync::LazyLock::new(Default::default);

/// One database's desks: the people waiting, per cohort. A cohort is present exactly while its
/// task runs (the task removes it, under this lock, when it finds nobody waiting).
#[derive(Default)]
struct Desk {
    waiting: Mutex<HashMap<i32, VecDeque<Waiting>>>,
}

/// A person waiting at a cohort's desk, and where her answer goes.
struct Waiting {
    actor: Actor,
    answer: oneshot::Sender<Answer>,
}

/// An answer, and the statements its batch sent on its behalf (its share: the batch's count
/// divided among its people, rounded up), which [`crate::db::count_statements`] adds to the
/// asking task's count.
type Answer = (AppResult<EnrolmentView>, u64);

fn desk_of(db: &DatabaseConnection) -> Arc<Desk> {
    DESKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(crate::db::database_key(db))
        .or_default()
        .clone()
}

impl Desk {
    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<i32, VecDeque<Waiting>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The person signed in as `actor` enrols herself in the cohort `cohort_id`: every rule of
/// [`super::enrol`] for a participant, decided together with whoever asks for the same cohort
/// at the same moment (her participant row is read with theirs, in the batch's transaction: an
/// account without one is refused, 403). Returns once her enrolment is committed (or refused).
pub async fn enrol_self(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    cohort_id: i32,
    actor: &Actor,
) -> AppResult<EnrolmentView> {
    let desk = desk_of(db);
    let (answer, answered) = oneshot::channel();
    let first = {
        let mut waiting = desk.waiting();
        let queued = Waiting {
            actor: actor.clone(),
            answer,
        };
        match waiting.get_mut(&cohort_id) {
            // The cohort's task runs: it takes her in its next batch.
            Some(queue) => {
                queue.push_back(queued);
                false
            }
            // Nobody serves the cohort: she starts its task.
            None => {
                waiting.insert(cohort_id, VecDeque::from([queued]));
                true
            }
        }
    };
    if first {
        let serving = Serving {
            desk: desk.clone(),
            cohort_id,
            done: false,
        };
        let (db, templates, config) = (
            db.clone(),
            notifier.templates.clone(),
            notifier.config.clone(),
        );
        tokio::spawn(async move { serving.serve(&db, &templates, &config).await });
    }
    match answered.await {
        Ok((answer, statements)) => {
            crate::db::count_more(statements);
            answer
        }
        Err(_) => Err(AppError::Internal(
            "la mesa de inscripción de la cohorte se detuvo".into(),
        )),
    }
}

/// A cohort's task while it runs: it serves the cohort's queue until it is empty and, even
/// when it stops unexpectedly, leaves the cohort for the next person to start again (the
/// people it held get an error, never a wait without end).
struct Serving {
    desk: Arc<Desk>,
    cohort_id: i32,
    /// Set when it stopped because nobody waits (the cohort is then no longer its own).
    done: bool,
}

impl Serving {
    async fn serve(mut self, db: &DatabaseConnection, templates: &Templates, config: &AppConfig) {
        let notifier = Notifier { templates, config };
        loop {
            let batch: Vec<Waiting> = {
                let mut waiting = self.desk.waiting();
                let Some(queue) = waiting.get_mut(&self.cohort_id) else {
                    return;
                };
                if queue.is_empty() {
                    // Nobody waits: the next person starts the cohort's task again. Decided
                    // under the queues' lock, so nobody is queued behind a task that stopped.
                    waiting.remove(&self.cohort_id);
                    self.done = true;
                    return;
                }
                let take = queue.len().min(MOST);
                queue.drain(..take).collect()
            };
            let (answers, statements) =
                crate::db::count_statements(decide(db, &notifier, self.cohort_id, &batch)).await;
            let share = statements.div_ceil(batch.len().max(1) as u64);
            for (waiting, answer) in batch.into_iter().zip(answers) {
                if waiting.answer.send((answer, share)).is_err() {
                    // She left before her answer (the request was dropped); what was decided
                    // stands, as it would had she stayed.
                    tracing::debug!(cohort = self.cohort_id, "inscripción sin quien la espere");
                }
            }
        }
    }
}

impl Drop for Serving {
    /// However the task ends, the cohort is free for the next person; if it ended abnormally
    /// (a panic) the people still queued are answered with an error by their dropped senders.
    fn drop(&mut self) {
        if !self.done {
            self.desk.waiting().remove(&self.cohort_id);
        }
    }
}

/// Decides a batch in one transaction; when that fails as a whole, each person alone.
async fn decide(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    cohort_id: i32,
    batch: &[Waiting],
) -> Vec<AppResult<EnrolmentView>> {
    let together = crate::db::write_deferred(db, async |txn| {
        decide_in(txn, notifier, cohort_id, batch).await
    })
    .await;
    match together {
        Ok(answers) => answers,
        Err(AppError::Busy) => batch.iter().map(|_| Err(AppError::Busy)).collect(),
        Err(error) if batch.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::warn!(%error, cohort = cohort_id, people = batch.len(),
                "una tanda de inscripciones falló entera; se decide persona por persona");
            let mut answers = Vec::with_capacity(batch.len());
            for alone in batch.chunks(1) {
                let answer = crate::db::write_deferred(db, async |txn| {
                    decide_in(txn, notifier, cohort_id, alone).await
                })
                .await
                .map(|mut answers| answers.pop());
                answers.push(match answer {
                    Ok(Some(answer)) => answer,
                    Ok(None) => Err(AppError::Internal("inscripción sin respuesta".into())),
                    Err(error) => Err(error),
                });
            }
            answers
        }
    }
}

/// Decides `batch` in the transaction `txn`: the people behind the accounts in one read, then
/// [`super::together`]. An account without its person is refused (403), the others go on.
async fn decide_in(
    txn: &crate::db::Txn,
    notifier: &Notifier<'_>,
    cohort_id: i32,
    batch: &[Waiting],
) -> AppResult<Vec<AppResult<EnrolmentView>>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let people: HashMap<i32, participant::Model> = participant::Entity::find()
        .filter(participant::Column::UserId.is_in(batch.iter().map(|w| w.actor.id)))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|person| person.user_id.map(|user| (user, person)))
        .collect();
    // The same account twice in one batch (a button pressed twice) is the same person: each
    // press asks with her row, and `together` refuses the second.
    let found: Vec<Option<participant::Model>> = batch
        .iter()
        .map(|w| people.get(&w.actor.id).cloned())
        .collect();
    let requesters: Vec<Requester<'_>> = batch
        .iter()
        .map(|waiting| Requester::Participant(&waiting.actor))
        .collect();
    let asks: Vec<Ask<'_>> = found
        .iter()
        .zip(&requesters)
        .filter_map(|(person, requester)| person.as_ref().map(|person| Ask { person, requester }))
        .collect();
    let mut decided = super::together(txn, notifier, cohort_id, &asks)
        .await?
        .into_iter();
    Ok(found
        .iter()
        .map(|person| match person {
            Some(_) => decided
                .next()
                .unwrap_or_else(|| Err(AppError::Internal("inscripción sin respuesta".into()))),
            None => Err(AppError::Forbidden),
        })
        .collect())
}
