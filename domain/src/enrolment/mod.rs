//! Enrolment: a person in a cohort. Eligibility (open cohort, inside the window, targeted
//! territory, not already enrolled), hard seat limits with a first-in first-out waiting list,
//! cancellations that promote, and the notifications of each step.
//!
//! Concurrency: every change that counts seats takes the cohort's lock (`cohorts::lock`: on
//! PostgreSQL `SELECT … FOR UPDATE`, the row's lock; on SQLite the writer already holds the
//! file's) before it counts. Either way, requests for the same cohort are serialised inside
//! their transactions, so the count they see is the count they write against: no overbooking,
//! no two equal waiting-list tickets. The unique indexes back this up. What does not decide a
//! seat is read before the lock (issue 50).

pub mod demo;
pub mod desk;
pub mod import;
pub mod invitations;
pub mod notices;
pub mod reminders;
pub mod seats;
pub mod status;

use status::{Cancelled, StatusAudit};

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::cohorts::{self, scope::CohortScope};
use crate::entities::values::{CohortStatus, EnrolmentStatus};
use crate::entities::{cohort, enrolment, municipality, participant};
use crate::error::{AppError, AppResult};
use crate::mail::Notifier;
use crate::people::scope::PersonScope;
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// Who asks for the enrolment.
pub enum Requester<'a> {
    /// The participant, for themself.
    Participant(&'a Actor),
    /// A coordinator, possibly overriding territorial eligibility and the window (with a reason).
    Staff {
        user: &'a Actor,
        override_reason: Option<String>,
    },
    /// A coordinator accepting a liaison's nomination (issue 35): every rule applies, no
    /// override.
    Nomination(&'a Actor),
    /// A person accepting a coordinator's invitation (issue 46), signed in as herself: every
    /// rule applies, with the inviter's override (and its reason) if it had one.
    Invitation {
        person: &'a Actor,
        override_reason: Option<String>,
    },
    /// A coordinator enrolling a person its own enrolment import has just registered (issue
    /// 46): nobody else reached her before, every rule applies, no override.
    NewPerson(&'a Actor),
}

impl Requester<'_> {
    pub fn user_id(&self) -> i32 {
        match self {
            Requester::Participant(u) | Requester::Nomination(u) | Requester::NewPerson(u) => u.id,
            Requester::Staff { user, .. } => user.id,
            Requester::Invitation { person, .. } => person.id,
        }
    }
    /// The staff member acting, whose cohorts and territory bound what they reach.
    pub fn staff(&self) -> Option<&Actor> {
        match self {
            Requester::Staff { user, .. }
            | Requester::Nomination(user)
            | Requester::NewPerson(user) => Some(user),
            Requester::Participant(_) | Requester::Invitation { .. } => None,
        }
    }
    /// The cohorts the requester may enrol in: the staff member's managed ones, the person's
    /// published ones.
    pub fn scope(&self) -> CohortScope {
        CohortScope::of(Some(match self {
            Requester::Participant(u)
            | Requester::Nomination(u)
            | Requester::NewPerson(u)
            | Requester::Staff { user: u, .. }
            | Requester::Invitation { person: u, .. } => *u,
        }))
    }
    pub fn override_reason(&self) -> Option<&str> {
        match self {
            Requester::Staff {
                override_reason, ..
            }
            | Requester::Invitation {
                override_reason, ..
            } => override_reason.as_deref(),
            Requester::Participant(_) | Requester::Nomination(_) | Requester::NewPerson(_) => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Enrolment)]
pub struct EnrolmentView {
    pub id: i32,
    pub cohort_id: i32,
    pub participant_id: i32,
    pub status: EnrolmentStatus,
    /// 1-based place in the waiting list; null unless waitlisted.
    #[schema(minimum = 1)]
    pub waitlist_position: Option<u64>,
}

/// 1-based place in the cohort's waiting list (earlier tickets still waiting + 1).
pub async fn waitlist_position<C: ConnectionTrait>(
    db: &C,
    row: &enrolment::Model,
) -> AppResult<Option<u64>> {
    let (EnrolmentStatus::Waitlisted, Some(seq)) = (row.status, row.waitlist_seq) else {
        return Ok(None);
    };
    let ahead = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(row.cohort_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .filter(enrolment::Column::WaitlistSeq.lt(seq))
        .count(db)
        .await?;
    Ok(Some(ahead + 1))
}

pub async fn view<C: ConnectionTrait>(db: &C, row: &enrolment::Model) -> AppResult<EnrolmentView> {
    Ok(EnrolmentView {
        id: row.id,
        cohort_id: row.cohort_id,
        participant_id: row.participant_id,
        status: row.status,
        waitlist_position: waitlist_position(db, row).await?,
    })
}

/// Enrols a participant (or waitlists them when seats are taken). Run inside a transaction.
/// The cohort must be in the requester's scope (404 otherwise, as if it did not exist). A
/// coordinator naming a person (`Requester::Staff`) must reach her (404 otherwise): the staff
/// paths go through [`invitations::enrol_named`], which invites the others.
///
/// Issue 50: what does not decide the seat (the cohort's targets, its course and sessions for
/// the notice) is read before the cohort's lock, so that under it only the lock, one read of
/// the cohort's enrolments, one of the asking people's, the insert, its audit and its notice
/// remain. People enrolling themselves at the same moment are decided together by their
/// cohort's desk ([`desk`]), through the same rules ([`together`]).
pub async fn enrol<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort_id: i32,
    person: &participant::Model,
    requester: &Requester<'_>,
) -> AppResult<EnrolmentView> {
    together(db, notifier, cohort_id, &[Ask { person, requester }])
        .await?
        .pop()
        .unwrap_or_else(|| Err(AppError::Internal("inscripción sin respuesta".into())))
}

/// One person asking for a seat, and who asks.
pub struct Ask<'a> {
    pub person: &'a participant::Model,
    pub requester: &'a Requester<'a>,
}

/// Decides `asks` into one cohort together, in their order, under one lock of the cohort, and
/// writes them in one statement each for the enrolments, their audit and their notices: each
/// ask gets its own answer, in the order given (a refused one writes nothing; the others go on).
/// An `Err` of the whole is a database error: nothing of it is kept (the caller's transaction
/// rolls back). Every ask shares the first one's scope of cohorts (a cohort's desk holds only
/// people enrolling themselves; [`enrol`] asks once). Run inside a transaction.
pub async fn together<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    cohort_id: i32,
    asks: &[Ask<'_>],
) -> AppResult<Vec<AppResult<EnrolmentView>>> {
    let Some(first) = asks.first() else {
        return Ok(Vec::new());
    };
    // What each ask brings before the cohort is read: its reach, its reason to override.
    let mut answers: Vec<AppResult<Option<String>>> = Vec::with_capacity(asks.len());
    for ask in asks {
        answers.push(before_the_lock(db, ask).await?);
    }
    if answers.iter().all(Result::is_err) {
        return Ok(only_refusals(answers));
    }
    let targets = cohorts::targets_of(db, &[cohort_id])
        .await?
        .remove(&cohort_id)
        .unwrap_or_default();
    let details = if asks.iter().any(|ask| ask.person.email.is_some()) {
        Some(notices::Details::of(db, cohort_id).await?)
    } else {
        None
    };
    // A staff member enrols only in the cohorts it manages (a direction's coordinator, in its
    // departments); a person, in the published ones.
    let cohort = match cohorts::lock_in_scope(db, &first.requester.scope(), cohort_id).await {
        Ok(cohort) => cohort,
        Err(AppError::NotFound) => {
            return Ok(asks.iter().map(|_| Err(AppError::NotFound)).collect());
        }
        Err(other) => return Err(other),
    };
    // Issue 64: a module's cohort of a programme's edition is entered through the edition.
    if let Some(edition) = edition_of(db, cohort.id).await? {
        return Ok(asks
            .iter()
            .map(|_| Err(module_of_edition(&edition)))
            .collect());
    }
    refuse_closed_or_elsewhere(db, asks, &mut answers, &cohort, &targets).await?;
    // One read of the cohort's enrolments and one of the asking people's answer the rest
    // (issue 50): the seats taken, the waiting list, who holds one already.
    let asking: Vec<i32> = asks
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| answer.is_ok())
        .map(|(ask, _)| ask.person.id)
        .collect();
    if asking.is_empty() {
        return Ok(only_refusals(answers));
    }
    let standing = standing(db, cohort.id).await?;
    let holding = holders(db, cohort.id, &asking).await?;
    // The seat limit and the seats kept per municipality (issue 35).
    let book = seats::SeatBook::with_enrolled(db, &cohort, standing.enrolled.max(0) as u64).await?;
    let decided = seat_each(
        asks,
        answers,
        &cohort,
        &standing,
        holding,
        book,
        crate::time::now(),
    );
    let rows: Vec<enrolment::ActiveModel> = decided
        .iter()
        .filter_map(|d| d.as_ref().ok().map(|decision| decision.row.clone()))
        .collect();
    let ids = insert_rows(db, rows).await?;
    let (views, changes, emails) =
        written(notifier, asks, decided, &ids, &cohort, details.as_ref())?;
    audit::record_many(db, changes).await?;
    crate::mail::enqueue_many(db, notifier, emails).await?;
    Ok(views)
}

/// Refuses, in place, each ask still standing that the cohort does not take: a cohort not
/// open to it ([`check_open`]), or a person from a municipality the cohort is not offered to
/// without an override (the places it is offered to named, read once).
async fn refuse_closed_or_elsewhere<C: ConnectionTrait>(
    db: &C,
    asks: &[Ask<'_>],
    answers: &mut [AppResult<Option<String>>],
    cohort: &cohort::Model,
    targets: &cohorts::Targets,
) -> AppResult<()> {
    let mut places: Option<String> = None;
    for (ask, answer) in asks.iter().zip(answers.iter_mut()) {
        let Ok(override_reason) = answer else {
            continue;
        };
        if let Err(refused) = check_open(cohort, override_reason.is_some()) {
            *answer = Err(refused);
            continue;
        }
        if !targets.offers(&ask.person.municipality_code) && override_reason.is_none() {
            if places.is_none() {
                places = Some(cohorts::place_names(db, targets).await?.join("; "));
            }
            let home = municipality::Entity::find_by_id(ask.person.municipality_code.clone())
                .one(db)
                .await?
                .map_or(ask.person.municipality_code.clone(), |m| m.name);
            *answer = Err(AppError::invalid(
                "municipality_code",
                format!(
                    "Esta cohorte se ofrece a {}; {home} no está incluido.",
                    places.as_deref().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// Each ask in order, under the cohort's lock: refused (already refused, or the person holds
/// a seat already — also the second of two presses in one batch), or its row with a seat
/// when `book` has one for the person's municipality, else a place at the end of the waiting
/// list (a new ticket is the last one handed out + 1, so everyone still waiting is ahead).
fn seat_each(
    asks: &[Ask<'_>],
    answers: Vec<AppResult<Option<String>>>,
    cohort: &cohort::Model,
    standing: &Standing,
    mut holding: std::collections::HashSet<i32>,
    mut book: seats::SeatBook,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<AppResult<Decision>> {
    let (mut last_ticket, mut waiting) = (
        standing.last_ticket.unwrap_or(0),
        standing.waiting.max(0) as u64,
    );
    let mut decided: Vec<AppResult<Decision>> = Vec::with_capacity(asks.len());
    for (ask, answer) in asks.iter().zip(answers) {
        let override_reason = match answer {
            Ok(reason) => reason,
            Err(refused) => {
                decided.push(Err(refused));
                continue;
            }
        };
        let person = ask.person;
        // Also the second of two presses of the same button in one batch.
        if !holding.insert(person.id) {
            decided.push(Err(AppError::Conflict(format!(
                "{} ya tiene una inscripción vigente en esta cohorte.",
                person.full_name()
            ))));
            continue;
        }
        // A new ticket is the last one handed out + 1, so everyone still waiting is ahead.
        let (status, waitlist_seq, position) = if book.fits(&person.municipality_code) {
            book.take(&person.municipality_code);
            (EnrolmentStatus::Enrolled, None, None)
        } else {
            last_ticket += 1;
            waiting += 1;
            (
                EnrolmentStatus::Waitlisted,
                Some(last_ticket),
                Some(waiting),
            )
        };
        decided.push(Ok(Decision {
            row: enrolment::ActiveModel {
                cohort_id: Set(cohort.id),
                participant_id: Set(person.id),
                status: Set(status),
                waitlist_seq: Set(waitlist_seq),
                municipality_code: Set(person.municipality_code.clone()),
                entity_type: Set(person.entity_type.clone()),
                eligibility_override: Set(override_reason.is_some()),
                override_reason: Set(override_reason.clone()),
                created_by: Set(Some(ask.requester.user_id())),
                cancelled_at: Set(None),
                cancellation_reason: Set(None),
                sessions_total: Set(None),
                sessions_attended: Set(None),
                final_grade_milli: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            },
            status,
            position,
            override_reason,
        }));
    }
    decided
}

/// Each ask's answer, the audit rows and the notices of a decided batch.
type Written = (
    Vec<AppResult<EnrolmentView>>,
    Vec<Change<'static>>,
    Vec<crate::mail::Email>,
);

/// What the decided asks leave once their rows are in (`ids`: participant → enrolment): each
/// ask's answer in order, the audit of each enrolment made and — with the cohort's `details`,
/// read when someone asking has an address — the notice of each.
fn written(
    notifier: &Notifier<'_>,
    asks: &[Ask<'_>],
    decided: Vec<AppResult<Decision>>,
    ids: &std::collections::HashMap<i32, i32>,
    cohort: &cohort::Model,
    details: Option<&notices::Details>,
) -> AppResult<Written> {
    let mut views = Vec::with_capacity(asks.len());
    let mut changes = Vec::new();
    let mut emails = Vec::new();
    for (ask, decision) in asks.iter().zip(decided) {
        let Decision {
            status,
            position,
            override_reason,
            ..
        } = match decision {
            Ok(decision) => decision,
            Err(refused) => {
                views.push(Err(refused));
                continue;
            }
        };
        let person = ask.person;
        let id = ids
            .get(&person.id)
            .copied()
            .ok_or_else(|| AppError::Internal("inscripción sin número".into()))?;
        changes.push(Change {
            actor: Some(ask.requester.user_id()),
            action: if override_reason.is_some() {
                "enrolment.created_with_override"
            } else {
                "enrolment.created"
            },
            subject_type: "enrolment",
            subject_id: id.to_string(),
            before: None,
            after: serde_json::to_value(Enrolled {
                status,
                waitlist_position: position,
                override_reason: override_reason.as_deref(),
                cohort_id: cohort.id,
                participant_id: person.id,
            })
            .ok(),
        });
        if let Some(details) = details {
            let notice = match position {
                None => notices::Notice::Enrolled,
                Some(position) => notices::Notice::Waitlisted { position },
            };
            emails.extend(notices::email(
                notifier, cohort, details, person, id, notice,
            )?);
        }
        views.push(Ok(EnrolmentView {
            id,
            cohort_id: cohort.id,
            participant_id: person.id,
            status,
            waitlist_position: position,
        }));
    }
    Ok((views, changes, emails))
}

/// What an ask brings before the cohort is read: refused (the person beyond a staff member's
/// reach, an override without its reason), or the override's reason if it has one.
pub async fn before_the_lock<C: ConnectionTrait>(
    db: &C,
    ask: &Ask<'_>,
) -> AppResult<AppResult<Option<String>>> {
    let (person, requester) = (ask.person, ask.requester);
    if let Some(user) = requester.staff()
        && !PersonScope::of(user).covers_municipality(&person.municipality_code)
    {
        // A territorial direction's coordinator does not reach people of other departments:
        // no override crosses its territory (for it, the person does not exist).
        return Ok(Err(AppError::NotFound));
    }
    if let Requester::Staff { user, .. } = requester
        && !invitations::enrols_directly(db, user, person).await?
    {
        // Issue 46: a coordinator enrols by id or document only the people it already
        // reaches; anyone else is invited (`invitations::enrol_named`) and enrols by accepting.
        return Ok(Err(AppError::NotFound));
    }
    let override_reason = match crate::validate::single_line(
        "override_reason",
        requester.override_reason().unwrap_or(""),
        crate::validate::REASON_MAX,
    ) {
        Ok(reason) => reason,
        Err(e) => return Ok(Err(AppError::Validation(vec![e]))),
    };
    if requester.override_reason().is_some() && override_reason.is_none() {
        return Ok(Err(AppError::invalid(
            "override_reason",
            "Escriba el motivo para inscribir por excepción.",
        )));
    }
    Ok(Ok(override_reason))
}

/// The edition (id and name) whose module `cohort_id` is, if any (issue 64). Read from the
/// table, so the enrolment area keeps the edition's rule without calling the programmes area.
pub async fn edition_of<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
) -> AppResult<Option<(i32, String)>> {
    use crate::entities::{programme_edition, programme_edition_cohort};
    let Some(link) = programme_edition_cohort::Entity::find()
        .filter(programme_edition_cohort::Column::CohortId.eq(cohort_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(programme_edition::Entity::find_by_id(link.edition_id)
        .one(db)
        .await?
        .map(|edition| (edition.id, edition.name)))
}

/// The refusal of a direct enrolment (or cancellation) in a module's cohort (409).
fn module_of_edition(edition: &(i32, String)) -> AppError {
    AppError::Conflict(format!(
        "Esta cohorte es un módulo de la edición «{}»: la inscripción se hace (y se cancela) en la edición, para todos sus módulos a la vez.",
        edition.1
    ))
}

/// The audit row of an enrolment made (`enrolment.created`, `…_with_override`).
#[derive(Serialize)]
struct Enrolled<'a> {
    status: EnrolmentStatus,
    waitlist_position: Option<u64>,
    override_reason: Option<&'a str>,
    cohort_id: i32,
    participant_id: i32,
}

/// A waiting person given a seat of their own: the status and the cohort's seats
/// (`enrolment.admitted_from_waitlist`).
#[derive(Serialize)]
struct Admitted {
    status: EnrolmentStatus,
    seats: i32,
}

/// An ask given a seat or a waiting-list place: its row to insert, and what its answer says.
struct Decision {
    row: enrolment::ActiveModel,
    status: EnrolmentStatus,
    position: Option<u64>,
    override_reason: Option<String>,
}

/// The answers of asks all refused before the lock (an `Ok` among them is never left here).
fn only_refusals(answers: Vec<AppResult<Option<String>>>) -> Vec<AppResult<EnrolmentView>> {
    answers
        .into_iter()
        .map(|answer| match answer {
            Err(refused) => Err(refused),
            Ok(_) => Err(AppError::Internal("inscripción sin decidir".into())),
        })
        .collect()
}

pub fn check_open(cohort: &cohort::Model, overriding: bool) -> AppResult<()> {
    if cohort.status != CohortStatus::Open {
        return Err(AppError::Conflict(format!(
            "La cohorte «{}» no recibe inscripciones: está {}.",
            cohort.name,
            cohort.status.label().to_lowercase()
        )));
    }
    let today = crate::time::today();
    if !overriding && (today < cohort.enrolment_opens || today > cohort.enrolment_closes) {
        return Err(AppError::Conflict(format!(
            "Las inscripciones de «{}» van del {} al {}.",
            cohort.name,
            crate::format::date(cohort.enrolment_opens),
            crate::format::date(cohort.enrolment_closes)
        )));
    }
    Ok(())
}

/// What an enrolment decides from the cohort's enrolments, read in one statement under the
/// cohort's lock (issue 50): the people enrolled, the people waiting and the last
/// waiting-list ticket handed out.
#[derive(sea_orm::FromQueryResult)]
struct Standing {
    enrolled: i64,
    waiting: i64,
    last_ticket: Option<i32>,
}

async fn standing<C: ConnectionTrait>(db: &C, cohort_id: i32) -> AppResult<Standing> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
    let count_if = |condition: Expr| -> Expr {
        Func::coalesce([
            Func::sum(Expr::case(condition, 1).finally(0)).into(),
            Expr::val(0),
        ])
        .into()
    };
    let query = Query::select()
        .expr_as(
            count_if(Expr::col(enrolment::Column::Status).eq(EnrolmentStatus::Enrolled)),
            "enrolled",
        )
        .expr_as(
            count_if(Expr::col(enrolment::Column::Status).eq(EnrolmentStatus::Waitlisted)),
            "waiting",
        )
        .expr_as(
            Expr::col(enrolment::Column::WaitlistSeq).max(),
            "last_ticket",
        )
        .from(enrolment::Entity)
        .and_where(Expr::col(enrolment::Column::CohortId).eq(cohort_id))
        .to_owned();
    Standing::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("sin conteo de inscripciones".into()))
}

/// Which of `people` hold an enrolment in force (enrolled, waiting or finished) in the cohort.
async fn holders<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    people: &[i32],
) -> AppResult<std::collections::HashSet<i32>> {
    let held: Vec<i32> = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::ParticipantId.is_in(people.iter().copied()))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .select_only()
        .column(enrolment::Column::ParticipantId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(held.into_iter().collect())
}

/// Inserts the decided rows in one statement; each one's id by its person (one row per person:
/// the decision refused the second).
pub async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<enrolment::ActiveModel>,
) -> AppResult<std::collections::HashMap<i32, i32>> {
    let columns = [enrolment::Column::ParticipantId, enrolment::Column::Id];
    let inserted = kernel::bulk::insert_returning(db, rows, columns, || {
        AppError::Conflict(
            "Ya existe una inscripción vigente para esta persona en esta cohorte.".into(),
        )
    })
    .await?;
    Ok(inserted
        .into_iter()
        .map(|[person, id]| (person, id))
        .collect())
}

/// Promotes waiting people, first come first served, while seats are free. Run inside the
/// transaction that freed them (after `cohorts::lock`).
pub async fn fill_seats<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    actor: Option<i32>,
    cohort: &cohort::Model,
) -> AppResult<Vec<i32>> {
    let mut promoted = Vec::new();
    let mut book = seats::SeatBook::load(db, cohort).await?;
    let mut details: Option<notices::Details> = None;
    while book.any_free() {
        // The first person waiting who fits: before the release, a seat kept for a
        // municipality goes to its first person waiting, not to whoever is ahead.
        let waiting = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.eq(cohort.id))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
            .order_by_asc(enrolment::Column::WaitlistSeq)
            .all(db)
            .await?;
        let Some(next) = waiting
            .into_iter()
            .find(|row| book.fits(&row.municipality_code))
        else {
            break;
        };
        book.take(&next.municipality_code);
        let updated = promote(db, next).await?;
        audit::record(
            db,
            Change {
                actor,
                action: "enrolment.promoted",
                subject_type: "enrolment",
                subject_id: updated.id.to_string(),
                before: serde_json::to_value(StatusAudit::of(EnrolmentStatus::Waitlisted)).ok(),
                after: serde_json::to_value(StatusAudit::of(EnrolmentStatus::Enrolled)).ok(),
            },
        )
        .await?;
        if let Some(person) = participant::Entity::find_by_id(updated.participant_id)
            .one(db)
            .await?
            && person.email.is_some()
        {
            // The cohort's details once for everyone promoted.
            if details.is_none() {
                details = Some(notices::Details::of(db, cohort.id).await?);
            }
            if let Some(details) = &details {
                notices::send_with(
                    db,
                    notifier,
                    cohort,
                    details,
                    &person,
                    &updated,
                    notices::Notice::Promoted,
                )
                .await?;
            }
        }
        promoted.push(updated.id);
    }
    Ok(promoted)
}

async fn promote<C: ConnectionTrait>(db: &C, row: enrolment::Model) -> AppResult<enrolment::Model> {
    let mut model: enrolment::ActiveModel = row.into();
    model.status = Set(EnrolmentStatus::Enrolled);
    model.waitlist_seq = Set(None);
    model.updated_at = Set(crate::time::now());
    Ok(model.update(db).await?)
}

/// A participant's enrolment in a cohort that was not cancelled, if there is one.
pub async fn current_of<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    participant_id: i32,
) -> AppResult<Option<enrolment::Model>> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .filter(enrolment::Column::Status.ne(EnrolmentStatus::Cancelled))
        .one(db)
        .await?)
}

/// A participant's enrolments, newest first, each with its cohort (those whose cohort exists).
pub async fn of_participant_with_cohorts<C: ConnectionTrait>(
    db: &C,
    participant_id: i32,
) -> AppResult<Vec<(enrolment::Model, cohort::Model)>> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(participant_id))
        .order_by_desc(enrolment::Column::Id)
        .find_also_related(cohort::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(row, cohort)| Some((row, cohort?)))
        .collect())
}

/// Finds an enrolment the caller may act on: their own (participants) or any (staff).
/// Anything else is 404, as if it did not exist.
pub async fn find_for<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<(enrolment::Model, participant::Model)> {
    let (row, person) = enrolment::Entity::find_by_id(id)
        .find_also_related(participant::Entity)
        .found(db)
        .await?;
    let person = person.ok_or(AppError::NotFound)?;
    if user.is_staff() {
        // A direction's coordinator: only the enrolments of its cohorts, of its departments'
        // people.
        cohorts::find_managed(db, user, row.cohort_id).await?;
        if !PersonScope::of(user).covers_municipality(&row.municipality_code) {
            return Err(AppError::NotFound);
        }
        Ok((row, person))
    } else if person.user_id == Some(user.id) {
        Ok((row, person))
    } else {
        Err(AppError::NotFound)
    }
}

/// What cancelling enrolment `id` would do (issue 45: the confirmation says it first), under
/// the same rules as [`cancel`]: the caller's own or one a coordinator manages (404
/// otherwise); already cancelled or finished, or a cohort that is history → 409.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancellationFacts {
    pub full_name: String,
    pub cohort_id: i32,
    pub cohort_name: String,
    /// Enrolled (a seat is freed) or waitlisted.
    pub status: EnrolmentStatus,
    /// People waiting for a seat in the cohort (the first one takes the freed seat).
    pub waiting: u64,
    /// Sessions the person already attended (the record stays, the place does not).
    pub attended: i32,
    /// The person cancels their own enrolment (not a coordinator).
    pub own: bool,
}

/// Refuses (409) to cancel an enrolment that is no longer active or whose cohort is history.
pub fn check_cancellable(row: &enrolment::Model, cohort: &cohort::Model) -> AppResult<()> {
    if !matches!(
        row.status,
        EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted
    ) {
        return Err(AppError::Conflict(format!(
            "La inscripción ya está {}.",
            row.status.label().to_lowercase()
        )));
    }
    if cohort.status.is_final() {
        return Err(AppError::Conflict(
            "La cohorte ya terminó: su inscripción no se puede cancelar.".into(),
        ));
    }
    Ok(())
}

pub async fn cancellation_facts<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<CancellationFacts> {
    let (row, person) = find_for(db, user, id).await?;
    let cohort = cohorts::find(db, row.cohort_id).await?;
    check_cancellable(&row, &cohort)?;
    let waiting = cohorts::count_enrolments(db, cohort.id, EnrolmentStatus::Waitlisted).await?;
    let attended = crate::results::mark_counts(db, cohort.id, Some(&[row.id]))
        .await?
        .get(&row.id)
        .map_or(0, |c| c.attended);
    Ok(CancellationFacts {
        full_name: person.full_name(),
        cohort_id: cohort.id,
        cohort_name: cohort.name,
        status: row.status,
        waiting,
        attended,
        own: person.user_id == Some(user.id),
    })
}

/// Cancels an enrolment (the participant themself or a coordinator, with a reason); a freed
/// seat goes to the first person waiting. Run inside a transaction.
pub async fn cancel<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    reason: Option<&str>,
) -> AppResult<EnrolmentView> {
    let (row, person) = find_for(db, user, id).await?;
    if let Some(edition) = edition_of(db, row.cohort_id).await? {
        return Err(module_of_edition(&edition));
    }
    let cohort = cohorts::lock(db, row.cohort_id).await?;
    // Re-read under the lock: another request may have changed it meanwhile.
    let row = enrolment::Entity::find_by_id(row.id).found(db).await?;
    check_cancellable(&row, &cohort)?;
    let saved = cancel_row(db, notifier, user, &cohort, &person, row, reason).await?;
    view(db, &saved).await
}

/// Cancels `row` of `cohort` (locked by the caller, the row re-read under the lock and
/// cancellable): the status, its audit, the person's notice, and a freed seat to the first
/// person waiting. [`cancel`] and an edition's cancellation (issue 64) both end here.
pub async fn cancel_row<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    cohort: &cohort::Model,
    person: &participant::Model,
    row: enrolment::Model,
    reason: Option<&str>,
) -> AppResult<enrolment::Model> {
    let reason =
        crate::validate::single_line("reason", reason.unwrap_or(""), crate::validate::REASON_MAX)
            .map_err(|e| AppError::Validation(vec![e]))?
            .unwrap_or_else(|| {
                if user.is_staff() {
                    "Cancelada por la coordinación".to_string()
                } else {
                    "Cancelada por el participante".to_string()
                }
            });
    let was = row.status;
    let mut model: enrolment::ActiveModel = row.into();
    model.status = Set(EnrolmentStatus::Cancelled);
    model.waitlist_seq = Set(None);
    model.cancelled_at = Set(Some(crate::time::now()));
    model.cancellation_reason = Set(Some(reason.clone()));
    model.updated_at = Set(crate::time::now());
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "enrolment.cancelled",
            subject_type: "enrolment",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(StatusAudit::of(was)).ok(),
            after: serde_json::to_value(Cancelled::because(&reason)).ok(),
        },
    )
    .await?;
    notices::send(
        db,
        notifier,
        cohort,
        person,
        &saved,
        notices::Notice::Cancelled {
            reason,
            by_staff: user.is_staff(),
        },
    )
    .await?;
    if was == EnrolmentStatus::Enrolled {
        fill_seats(db, notifier, Some(user.id), cohort).await?;
    }
    Ok(saved)
}

/// A coordinator gives a waiting person a seat now: the cohort gets one more seat for them
/// (seats stay a hard limit), audited.
pub async fn admit_from_waitlist<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
) -> AppResult<EnrolmentView> {
    let (row, person) = find_for(db, user, id).await?;
    let cohort = cohorts::lock(db, row.cohort_id).await?;
    let row = enrolment::Entity::find_by_id(row.id).found(db).await?;
    if row.status != EnrolmentStatus::Waitlisted {
        return Err(AppError::Conflict(
            "Solo se puede admitir a quien está en lista de espera.".into(),
        ));
    }
    let mut model: cohort::ActiveModel = cohort.clone().into();
    model.seats = Set(cohort.seats + 1);
    let cohort = model.update(db).await?;
    let saved = promote(db, row).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "enrolment.admitted_from_waitlist",
            subject_type: "enrolment",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(Admitted {
                status: EnrolmentStatus::Waitlisted,
                seats: cohort.seats - 1,
            })
            .ok(),
            after: serde_json::to_value(Admitted {
                status: EnrolmentStatus::Enrolled,
                seats: cohort.seats,
            })
            .ok(),
        },
    )
    .await?;
    notices::send(
        db,
        notifier,
        &cohort,
        &person,
        &saved,
        notices::Notice::Promoted,
    )
    .await?;
    view(db, &saved).await
}

/// A row of a cohort's roster.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RosterRow {
    /// Enrolment id.
    pub id: i32,
    pub participant_id: i32,
    pub full_name: String,
    #[schema(value_type = crate::entities::values::DocumentType)]
    pub document_type: String,
    pub document_number: String,
    /// The municipality at enrolment (DANE code).
    pub municipality_code: String,
    pub municipality_name: String,
    #[schema(value_type = crate::people::EntityType)]
    pub entity_type: String,
    /// The entity type in Spanish.
    pub entity_label: &'static str,
    pub position: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub status: EnrolmentStatus,
    /// The status in Spanish.
    pub status_label: &'static str,
    #[schema(minimum = 1)]
    pub waitlist_position: Option<u64>,
    /// Enrolled by staff skipping the eligibility checks (audited with its reason).
    pub eligibility_override: bool,
    #[schema(format = DateTime)]
    pub enrolled_at: String,
    /// Attendance with its basis, the same value as the person's progress and the reports
    /// (extension); `null` on the waiting list or cancelled.
    pub attendance: Option<crate::attendance::basis::Attendance>,
}

/// Enrolled people first (by name), then the waiting list in order, then the rest: only the
/// people the caller's scope covers (waiting-list positions stay those of the whole cohort).
pub async fn roster<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    scope: &PersonScope,
) -> AppResult<Vec<RosterRow>> {
    let rows = enrolment::Entity::find()
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(scope.condition())
        .find_also_related(participant::Entity)
        .all(db)
        .await?;
    let codes: Vec<String> = rows
        .iter()
        .map(|(e, _)| e.municipality_code.clone())
        .collect();
    let names: std::collections::HashMap<String, String> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all_mapped(db, |m| (m.code, m.name))
        .await?;
    let waiting: Vec<i32> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::Id)
        .filter(enrolment::Column::CohortId.eq(cohort_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
        .order_by_asc(enrolment::Column::WaitlistSeq)
        .order_by_asc(enrolment::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let cohort = cohort::Entity::find_by_id(cohort_id).found(db).await?;
    let (held, scheduled) = crate::attendance::basis::sessions_of_cohort(db, cohort_id).await?;
    let counts = crate::results::mark_counts(db, cohort_id, None).await?;
    let min = cohort.min_attendance_pct;
    let attendance_of = |e: &enrolment::Model| {
        use crate::attendance::basis::Attendance;
        match (e.status, e.sessions_attended, e.sessions_total) {
            (EnrolmentStatus::Waitlisted | EnrolmentStatus::Cancelled, _, _) => None,
            (_, Some(a), Some(t)) => Some(Attendance::frozen(a, t, min)),
            _ => Some(Attendance::new(
                cohort.status,
                counts.get(&e.id).map_or(0, |c| c.attended),
                held,
                scheduled,
                min,
            )),
        }
    };
    let mut out: Vec<RosterRow> = rows
        .into_iter()
        .filter_map(|(e, p)| p.map(|p| (e, p)))
        .map(|(e, p)| RosterRow {
            attendance: attendance_of(&e),
            id: e.id,
            participant_id: p.id,
            full_name: p.full_name(),
            document_type: p.document_type.as_str().to_string(),
            document_number: p.document_number.clone(),
            municipality_name: names.get(&e.municipality_code).cloned().unwrap_or_default(),
            municipality_code: e.municipality_code.clone(),
            entity_label: crate::people::label(crate::people::ENTITY_TYPES, &e.entity_type),
            entity_type: e.entity_type.clone(),
            position: p.position.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            status: e.status,
            status_label: e.status.label(),
            waitlist_position: (e.status == EnrolmentStatus::Waitlisted)
                .then(|| waiting.iter().position(|id| *id == e.id))
                .flatten()
                .map(|p| p as u64 + 1),
            eligibility_override: e.eligibility_override,
            enrolled_at: crate::time::date_time(e.created_at),
        })
        .collect();
    let rank = |s: EnrolmentStatus| match s {
        EnrolmentStatus::Enrolled | EnrolmentStatus::Completed | EnrolmentStatus::NotCompleted => 0,
        EnrolmentStatus::Waitlisted => 1,
        EnrolmentStatus::Cancelled => 2,
    };
    out.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.waitlist_position.cmp(&b.waitlist_position))
            .then(crate::text::by_name(&a.full_name, &b.full_name))
    });
    Ok(out)
}
