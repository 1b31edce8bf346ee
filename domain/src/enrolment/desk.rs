//! A desk: the people enrolling themselves into one cohort (or one programme's edition) at the
//! same moment are decided together (issue 50, items 1 and 3; issue 69, item 3). When a
//! popular cohort opens, its people arrive in the same seconds; one by one, each would take the
//! cohort's lock, read its enrolments, insert, audit, queue a notice and commit while the next
//! waits for the lock. At the desk, the first person of a cohort starts a task that takes
//! everyone waiting at that moment (at most [`MOST`]) and decides them in one transaction
//! ([`super::together`]: one lock, one read of the cohort's enrolments, one insert, one audit
//! and one outbox statement), then the next batch, until nobody waits. Each person still gets
//! her own answer — her seat, her place in the waiting list, or her own refusal — and only
//! after the batch is committed.
//!
//! The order is kept: a batch is taken in arrival order and decided in that order, and batches
//! follow one another. Several instances each run their desks; the cohort's lock orders their
//! batches. A batch that fails as a whole (a database error, a race with a coordinator on the
//! same person) is decided again one person at a time, so each gets her own error; a busy
//! database answers everyone «ocupado» (503), as it would have one by one.
//!
//! The mechanism is one for every kind of desk ([`Errand`]): the queue per key, the task that
//! serves it, the batch-or-one-by-one decision and each person's share of the statements. A
//! cohort's desk ([`enrol_self`], keyed by cohort) and an edition's
//! (`programmes::enrolment::enrol_self`, keyed by edition) differ only in what decides a batch.

use super::{Ask, EnrolmentView, Requester};
use crate::accounts::actor::Actor;
use crate::config::AppConfig;
use crate::entities::participant;
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::templates::Templates;
use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The most people one batch decides: its statements stay bounded (an enrolment row binds 15
/// values, an outbox row 11) and the first of a batch waits for at most this many decisions.
pub const MOST: usize = 64;

/// What a kind of desk decides: a batch of people, signed in as themselves, asking at once
/// for the same key (a cohort, an edition).
pub trait Errand: Sized + 'static {
    /// What each person is answered.
    type Answer: Send + 'static;
    /// What the key is, for the logs and the error of a desk that stopped («cohorte»).
    const KEY: &'static str;
    /// This kind's desks, one per database.
    fn desks() -> &'static Desks<Self>;
    /// Decides the people who asked as themselves (`asks`, in arrival order, each with her
    /// person) for `key` in the transaction `txn`: each one's answer, in the same order. An
    /// `Err` of the whole rolls the batch back; the desk then decides each person alone.
    fn together<'a>(
        txn: &'a crate::db::Txn,
        notifier: &'a Notifier<'a>,
        key: i32,
        asks: &'a [Ask<'a>],
    ) -> impl Future<Output = AppResult<Vec<AppResult<Self::Answer>>>> + Send + 'a;
}

/// The desks of one kind in this process, one per database.
pub struct Desks<E: Errand> {
    by_database: Mutex<BTreeMap<String, Arc<Desk<E>>>>,
}

impl<E: Errand> Desks<E> {
    pub const fn new() -> Self {
        Desks {
            by_database: Mutex::new(BTreeMap::new()),
        }
    }
}

impl<E: Errand> Default for Desks<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// One database's desks of a kind: the people waiting, per key. A key is present exactly while
/// its task runs (the task removes it, under this lock, when it finds nobody waiting).
pub struct Desk<E: Errand> {
    waiting: Mutex<HashMap<i32, VecDeque<Waiting<E>>>>,
}

/// A person waiting at a desk, and where her answer goes.
struct Waiting<E: Errand> {
    actor: Actor,
    answer: oneshot::Sender<Answer<E::Answer>>,
}

/// An answer, and the statements its batch sent on its behalf (its share: the batch's count
/// divided among its people, rounded up), which [`crate::db::count_statements`] adds to the
/// asking task's count.
type Answer<A> = (AppResult<A>, u64);

fn desk_of<E: Errand>(db: &DatabaseConnection) -> Arc<Desk<E>> {
    E::desks()
        .by_database
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(crate::db::database_key(db))
        .or_insert_with(|| {
            Arc::new(Desk {
                waiting: Mutex::default(),
            })
        })
        .clone()
}

impl<E: Errand> Desk<E> {
    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<i32, VecDeque<Waiting<E>>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The person signed in as `actor` asks at `key`'s desk of kind `E`: decided together with
/// whoever asks for the same key at the same moment. Returns once her answer is committed (or
/// refused).
pub async fn ask<E: Errand>(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    key: i32,
    actor: &Actor,
) -> AppResult<E::Answer> {
    let desk = desk_of::<E>(db);
    let (answer, answered) = oneshot::channel();
    let first = {
        let mut waiting = desk.waiting();
        let queued = Waiting {
            actor: actor.clone(),
            answer,
        };
        match waiting.get_mut(&key) {
            // The key's task runs: it takes her in its next batch.
            Some(queue) => {
                queue.push_back(queued);
                false
            }
            // Nobody serves the key: she starts its task.
            None => {
                waiting.insert(key, VecDeque::from([queued]));
                true
            }
        }
    };
    if first {
        let serving = Serving {
            desk: desk.clone(),
            key,
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
        Err(_) => Err(AppError::Internal(format!(
            "la mesa de inscripción de la {} se detuvo",
            E::KEY
        ))),
    }
}

/// A key's task while it runs: it serves the key's queue until it is empty and, even when it
/// stops unexpectedly, leaves the key for the next person to start again (the people it held
/// get an error, never a wait without end).
struct Serving<E: Errand> {
    desk: Arc<Desk<E>>,
    key: i32,
    /// Set when it stopped because nobody waits (the key is then no longer its own).
    done: bool,
}

impl<E: Errand> Serving<E> {
    async fn serve(mut self, db: &DatabaseConnection, templates: &Templates, config: &AppConfig) {
        let notifier = Notifier { templates, config };
        loop {
            let batch: Vec<Waiting<E>> = {
                let mut waiting = self.desk.waiting();
                let Some(queue) = waiting.get_mut(&self.key) else {
                    return;
                };
                if queue.is_empty() {
                    // Nobody waits: the next person starts the key's task again. Decided
                    // under the queues' lock, so nobody is queued behind a task that stopped.
                    waiting.remove(&self.key);
                    self.done = true;
                    return;
                }
                let take = queue.len().min(MOST);
                queue.drain(..take).collect()
            };
            let people: Vec<&Actor> = batch.iter().map(|waiting| &waiting.actor).collect();
            let (answers, statements) =
                crate::db::count_statements(decide::<E>(db, &notifier, self.key, &people)).await;
            let share = statements.div_ceil(batch.len().max(1) as u64);
            for (waiting, answer) in batch.into_iter().zip(answers) {
                if waiting.answer.send((answer, share)).is_err() {
                    // She left before her answer (the request was dropped); what was decided
                    // stands, as it would had she stayed.
                    tracing::debug!(key = self.key, "inscripción sin quien la espere");
                }
            }
        }
    }
}

impl<E: Errand> Drop for Serving<E> {
    /// However the task ends, the key is free for the next person; if it ended abnormally (a
    /// panic) the people still queued are answered with an error by their dropped senders.
    fn drop(&mut self) {
        if !self.done {
            self.desk.waiting().remove(&self.key);
        }
    }
}

/// Decides a batch in one transaction; when that fails as a whole, each person alone.
async fn decide<E: Errand>(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    key: i32,
    people: &[&Actor],
) -> Vec<AppResult<E::Answer>> {
    let together = crate::db::write_deferred(db, async |txn| {
        decide_in::<E>(txn, notifier, key, people).await
    })
    .await;
    match together {
        Ok(answers) => answers,
        Err(AppError::Busy) => people.iter().map(|_| Err(AppError::Busy)).collect(),
        Err(error) if people.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::warn!(%error, key, what = E::KEY, people = people.len(),
                "una tanda de inscripciones falló entera; se decide persona por persona");
            let mut answers = Vec::with_capacity(people.len());
            for alone in people.chunks(1) {
                let answer = crate::db::write_deferred(db, async |txn| {
                    decide_in::<E>(txn, notifier, key, alone).await
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

/// The people behind the accounts in one read, each asking as herself, decided together by
/// `E`. An account without its person is refused (403), the others go on.
async fn decide_in<E: Errand>(
    txn: &crate::db::Txn,
    notifier: &Notifier<'_>,
    key: i32,
    people: &[&Actor],
) -> AppResult<Vec<AppResult<E::Answer>>> {
    let found = people_of(txn, people).await?;
    let requesters: Vec<Requester<'_>> = people
        .iter()
        .map(|actor| Requester::Participant(actor))
        .collect();
    let asks: Vec<Ask<'_>> = found
        .iter()
        .zip(&requesters)
        .filter_map(|(person, requester)| person.as_ref().map(|person| Ask { person, requester }))
        .collect();
    let decided = E::together(txn, notifier, key, &asks).await?;
    Ok(answers_of(&found, decided))
}

/// The people behind the accounts of a batch, in one read: each account's person, in order
/// (none for an account without one, which its desk refuses, 403).
async fn people_of(
    txn: &crate::db::Txn,
    accounts: &[&Actor],
) -> AppResult<Vec<Option<participant::Model>>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let people: HashMap<i32, participant::Model> = participant::Entity::find()
        .filter(participant::Column::UserId.is_in(accounts.iter().map(|actor| actor.id)))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|person| person.user_id.map(|user| (user, person)))
        .collect();
    // The same account twice in one batch (a button pressed twice) is the same person: each
    // press asks with her row, and the decision refuses the second.
    Ok(accounts
        .iter()
        .map(|actor| people.get(&actor.id).cloned())
        .collect())
}

/// The answers of a batch whose `found` people were decided (`decided`, in order): an account
/// without its person is refused (403), the others get theirs.
fn answers_of<A>(
    found: &[Option<participant::Model>],
    decided: Vec<AppResult<A>>,
) -> Vec<AppResult<A>> {
    let mut decided = decided.into_iter();
    found
        .iter()
        .map(|person| match person {
            Some(_) => decided
                .next()
                .unwrap_or_else(|| Err(AppError::Internal("inscripción sin respuesta".into()))),
            None => Err(AppError::Forbidden),
        })
        .collect()
}

/// The cohorts' desks: people enrolling themselves in a cohort.
pub struct Cohorts;

static COHORTS: Desks<Cohorts> = Desks::new();

impl Errand for Cohorts {
    type Answer = EnrolmentView;
    const KEY: &'static str = "cohorte";
    fn desks() -> &'static Desks<Self> {
        &COHORTS
    }
    /// [`super::together`].
    async fn together<'a>(
        txn: &'a crate::db::Txn,
        notifier: &'a Notifier<'a>,
        cohort_id: i32,
        asks: &'a [Ask<'a>],
    ) -> AppResult<Vec<AppResult<EnrolmentView>>> {
        super::together(txn, notifier, cohort_id, asks).await
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
    ask::<Cohorts>(db, notifier, cohort_id, actor).await
}
