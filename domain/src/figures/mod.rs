//! The figures model (issue 20): the counts every report reads, kept current on write.
//!
//! Three derived tables, never edited by hand:
//! - `cohort_figures`: per cohort × municipality of the enrolment (enrolled, waitlisted,
//!   cancelled, completed, not completed, attended, certified, still in the entity, sessions
//!   scheduled);
//! - `capacity_people`: per person × capacity × municipality of the enrolment, with whether the
//!   person completed, was certified and is still there — the distinct people of coverage;
//! - `capacity_figures`: those people summed per municipality × capacity (and
//!   `capacity_year_figures` per year);
//! - `assistance_figures` ([`assistance`]): technical assistance per place (a municipality,
//!   or a department for a gobernación's) × capacity × provider × year, refreshed by the
//!   assistance area in its writing transaction;
//! - `place_figures` and `trend_figures` ([`scope`]): the `cohort_figures` rows summed per
//!   provider × municipality, and per closed cohort × department — what a scope's picture on
//!   the homes reads (issue 69), and `provider_people`: each person once per provider and
//!   department of her counted enrolments (a provider's distinct people);
//! - `replica_figures` ([`replicas`]): people reached by replicas (second-generation reach,
//!   issue 48) per municipality × capacity × year, refreshed by the trainers area in the
//!   transaction that writes a replica.
//!
//! How they stay current: triggers on every source table (enrolments, marks, certificates,
//! sessions, a course's capacities, a person's municipality) name the touched cohort (and
//! person) in `figures_dirty`, inside the writing transaction, so the names are committed with
//! the write. [`flush`] recomputes those cohorts from their source rows ([`refresh`]) and
//! deletes the rows it read. Where it runs (issue 50):
//! - in a server, off the write path: `db::commit` only wakes this instance's figures worker
//!   ([`worker`]), which waits a short window (`figures_delay_ms`) so a burst's writes are
//!   recomputed together, then flushes them in one transaction and moves the figures' version
//!   on ([`settle`]); a report shows a write within the bound DECISIONS states;
//! - everywhere else (the command line, imports, the demo loader, the tests that do not ask for
//!   the worker): in the writing transaction itself, just before `COMMIT`, as before.
//!
//! A write path cannot forget, and a crash between a commit and its flush loses nothing (the
//! names are durable; a worker takes them on start). [`rebuild`] recomputes everything from
//! scratch (the `rebuild-figures` command, after bulk loads), with the same row computations as
//! [`refresh`], so "maintained = rebuilt" is a meaningful test.

pub mod assistance;
pub mod delivery;
pub mod place;
pub mod replicas;
pub mod scope;
pub mod worker;

pub use worker::settle;

use crate::entities::values::{
    CertificateStatus, CohortStatus, ConsentKind, EnrolmentStatus, Mark,
};
use crate::entities::{
    attendance_mark, capacity_figure, capacity_person, capacity_year_figure, certificate, cohort,
    cohort_figure, cohort_session, consent, course_capacity, differential_person, enrolment,
    entity_departure, figures_dirty, municipality, participant,
};
use crate::error::AppResult;
use chrono::Datelike;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel,
    JoinType, ModelTrait, QueryFilter, QuerySelect, RelationTrait,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Enrolment states that count as trained (enrolled, completed, not completed).
pub const COUNTED: [EnrolmentStatus; 3] = [
    EnrolmentStatus::Enrolled,
    EnrolmentStatus::Completed,
    EnrolmentStatus::NotCompleted,
];

/// Cohort states whose people count as trained in the coverage («personas formadas»): a cohort
/// that has started (in progress) or finished (closed). People enrolled in a cohort that has not
/// started, or that was cancelled, are not trained yet (issue 45). The cohort's status is one of
/// the figures' sources (its change names the cohort), so the count follows it.
pub const STARTED: [CohortStatus; 2] = [CohortStatus::InProgress, CohortStatus::Closed];

/// Cohort states that have never been started: the lifecycle goes draft → open → in progress
/// and never back, so people enrolled in a cohort in one of these states have no coverage rows
/// from it (issue 61).
pub const NEVER_STARTED: [CohortStatus; 2] = [CohortStatus::Draft, CohortStatus::Open];

/// Beyond this many dirty cohorts a flush rebuilds everything (set-based) instead of cohort by
/// cohort: after a migration or a bulk load.
const REBUILD_ABOVE: usize = 400;

/// Rows per statement (parameters stay far below every backend's limit).
const CHUNK: usize = 1_000;

/// The enrolment's person has a sensitive-data consent in force: the condition under which
/// their differential data (sex, ethnic group, disability, conflict victim) is counted
/// anywhere. A correlated `EXISTS`, answered from the consents' index per person: `IN (SELECT
/// …)` made SQLite list every consent of the country (and PostgreSQL without statistics scan
/// them) on every flush — 1.45 s per write at national scale (issue 36).
pub(crate) fn sensitive_data_consented() -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(consent::Entity)
            .and_where(
                Expr::col((consent::Entity, consent::Column::ParticipantId))
                    .equals((enrolment::Entity, enrolment::Column::ParticipantId)),
            )
            .and_where(
                Expr::col((consent::Entity, consent::Column::Kind)).eq(ConsentKind::SensitiveData),
            )
            .and_where(Expr::col((consent::Entity, consent::Column::WithdrawnAt)).is_null())
            .to_owned(),
    )
}

/// Registers the figures' hooks with the kernel's database ([`kernel::db::Figures`]): every
/// commit then brings the figures up to date in its transaction ([`flush`]), or leaves them to
/// this process's [`worker`]. Called by the domain's `db::connect`; the first call registers.
pub fn install() {
    kernel::db::install_figures(kernel::db::Figures {
        flush: |txn| Box::pin(flush(txn)),
        worker: worker::of,
    });
}

/// Recomputes the cohorts named in `figures_dirty` (see the module's comment), and in each the
/// rows of the people named, then deletes the rows it read — by id, so a row a writer commits
/// meanwhile stays for the next flush. Called by [`kernel::db::commit`] when this database has
/// no figures worker ([`worker`]: the command line, the tests that ask for it), and by the
/// worker's [`settle`] otherwise. Says whether anything was recomputed.
pub async fn flush<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    let mut named = dirty(db).await?;
    if named.ids.is_empty() {
        return Ok(false);
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // One flusher at a time: the deltas of `capacity_figures` read the rows the previous
        // flusher committed. Held until this transaction ends, right after. (SQLite's writers
        // already take turns.) Leftovers committed meanwhile are taken too.
        db.execute_unprepared("SELECT pg_advisory_xact_lock(4091020)")
            .await?;
        named = dirty(db).await?;
        if named.ids.is_empty() {
            return Ok(false);
        }
    }
    if named.touched.len() > REBUILD_ABOVE {
        rebuild(db).await?;
    } else {
        refresh(db, &named.touched).await?;
    }
    for chunk in named.ids.chunks(CHUNK) {
        figures_dirty::Entity::delete_many()
            .filter(figures_dirty::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(true)
}

/// What `figures_dirty` names: the rows read, and the cohorts in order, each with the people
/// named beside it (`None`: the cohort was named alone, so every person of it).
struct Named {
    ids: Vec<i32>,
    touched: BTreeMap<i32, Option<BTreeSet<i32>>>,
}

async fn dirty<C: ConnectionTrait>(db: &C) -> AppResult<Named> {
    let rows: Vec<(i32, i32, Option<i32>)> = figures_dirty::Entity::find()
        .select_only()
        .column(figures_dirty::Column::Id)
        .column(figures_dirty::Column::CohortId)
        .column(figures_dirty::Column::ParticipantId)
        .into_tuple()
        .all(db)
        .await?;
    let mut named = Named {
        ids: Vec::with_capacity(rows.len()),
        touched: BTreeMap::new(),
    };
    for (id, cohort_id, person) in rows {
        named.ids.push(id);
        let people = named
            .touched
            .entry(cohort_id)
            .or_insert_with(|| Some(BTreeSet::new()));
        match person {
            None => *people = None,
            Some(person) => {
                if let Some(named) = people {
                    named.insert(person);
                }
            }
        }
    }
    Ok(named)
}

/// Recomputes these cohorts' figures, and the capacity and differential rows of the people
/// named beside each (of every person of a cohort named alone: `None`). Every statement covers
/// all the cohorts (and people) at once (issue 50: a flush after a burst names twenty cohorts
/// and two thousand people; one by one it took twenty times the statements), and each person is
/// recomputed once however many of the cohorts named her.
pub async fn refresh<C: ConnectionTrait>(
    db: &C,
    touched: &BTreeMap<i32, Option<BTreeSet<i32>>>,
) -> AppResult<()> {
    let ids: Vec<i32> = touched.keys().copied().collect();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = cohort_rows(db, Some(&ids)).await?;
    // The rows they replace: the scope sums move by the difference (`scope`).
    let before = cohort_figure::Entity::find()
        .filter(cohort_figure::Column::CohortId.is_in(ids.clone()))
        .all(db)
        .await?;
    cohort_figure::Entity::delete_many()
        .filter(cohort_figure::Column::CohortId.is_in(ids.clone()))
        .exec(db)
        .await?;
    scope::refresh(db, &ids, &before, &rows).await?;
    insert_all(db, rows).await?;
    delivery::refresh_cohorts(db, &ids).await?;
    // Coverage (`capacity_people`) counts only the enrolments of started cohorts: a person
    // named by a change in a cohort that has never started (draft or open: an enrolment, a
    // cancellation, the waiting list moving) keeps her coverage rows, and only her
    // differential row is recomputed (it counts every counted enrolment). Issue 50: on an
    // enrolment day every name is of this kind.
    //
    // Any other cohort named at all has every person's coverage recomputed (issue 61), not
    // only the people named: the triggers of the sources that concern the whole cohort (its
    // status, start date and course, the course's capacities) name it alone only when nothing
    // names it yet, and a person's name waiting for the worker (committed up to a window
    // before) or written earlier in the same transaction (a cancellation cancels the
    // enrolments first) satisfied that check. A cohort that moved to «en curso» while one
    // enrolment's name waited recomputed that one person, and everyone enrolled before the
    // previous flush stayed out of the coverage; a running cohort cancelled left its people
    // counted. Whatever names a started cohort now means all its people.
    let never_started: HashSet<i32> = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .filter(cohort::Column::Id.is_in(ids.clone()))
        .filter(cohort::Column::Status.is_in(NEVER_STARTED))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut everyone: BTreeSet<i32> = BTreeSet::new();
    let mut covered: BTreeSet<i32> = BTreeSet::new();
    let mut whole: Vec<i32> = Vec::new();
    for (id, named) in touched {
        match named {
            Some(people) if never_started.contains(id) => everyone.extend(people),
            _ => whole.push(*id),
        }
    }
    if !whole.is_empty() {
        let all: Vec<i32> = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::ParticipantId)
            .distinct()
            .filter(enrolment::Column::CohortId.is_in(whole))
            .into_tuple()
            .all(db)
            .await?;
        everyone.extend(&all);
        covered.extend(all);
    }
    let everyone: Vec<i32> = everyone.into_iter().collect();
    for chunk in everyone.chunks(CHUNK) {
        refresh_differential(db, chunk).await?;
        scope::refresh_people(db, chunk).await?;
    }
    let covered: Vec<i32> = covered.into_iter().collect();
    for chunk in covered.chunks(CHUNK) {
        refresh_people(db, chunk).await?;
    }
    Ok(())
}

/// Replaces these people's capacity rows with freshly computed ones and moves the sums of
/// `capacity_figures` and `capacity_year_figures` by the difference.
async fn refresh_people<C: ConnectionTrait>(db: &C, people: &[i32]) -> AppResult<()> {
    let old: BTreeSet<capacity_person::Model> = capacity_person::Entity::find()
        .filter(capacity_person::Column::ParticipantId.is_in(people.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .collect();
    let new: BTreeSet<capacity_person::Model> =
        person_rows(db, Some(people)).await?.into_iter().collect();
    if old == new {
        return Ok(());
    }
    capacity_person::Entity::delete_many()
        .filter(capacity_person::Column::ParticipantId.is_in(people.to_vec()))
        .exec(db)
        .await?;
    let (old_sums, new_sums) = (sums(&old), sums(&new));
    insert_all(db, new).await?;
    let mut deltas = new_sums;
    for (key, (department, counts)) in old_sums {
        deltas
            .entry(key)
            .or_insert_with(|| (department, Counts::default()))
            .1
            .subtract(&counts);
    }
    for ((municipality_code, capacity_id, year), (department_code, d)) in deltas {
        if d.is_zero() {
            continue;
        }
        if !d
            .move_row(db, &municipality_code, capacity_id, year)
            .await?
        {
            insert_sums(
                db,
                Sums::from([((municipality_code, capacity_id, year), (department_code, d))]),
            )
            .await?;
        }
    }
    capacity_figure::Entity::delete_many()
        .filter(capacity_figure::Column::Trained.lte(0))
        .exec(db)
        .await?;
    capacity_year_figure::Entity::delete_many()
        .filter(capacity_year_figure::Column::Trained.lte(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces these people's `differential_people` rows (when they changed).
async fn refresh_differential<C: ConnectionTrait>(db: &C, people: &[i32]) -> AppResult<()> {
    let old: BTreeSet<differential_person::Model> = differential_person::Entity::find()
        .filter(differential_person::Column::ParticipantId.is_in(people.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .collect();
    let new: BTreeSet<differential_person::Model> = differential_rows(db, Some(people))
        .await?
        .into_iter()
        .collect();
    if old != new {
        differential_person::Entity::delete_many()
            .filter(differential_person::Column::ParticipantId.is_in(people.to_vec()))
            .exec(db)
            .await?;
        insert_all(db, new).await?;
    }
    Ok(())
}

/// The counted enrolments (enrolled, completed, not completed), each as its person and the
/// department of its municipality, distinct: what `differential_people` and
/// `provider_people` ([`scope`]) are made of.
pub(crate) fn counted_with_department() -> sea_orm::Select<enrolment::Entity> {
    enrolment::Entity::find()
        .join(
            JoinType::InnerJoin,
            enrolment::Entity::belongs_to(municipality::Entity)
                .from(enrolment::Column::MunicipalityCode)
                .to(municipality::Column::Code)
                .into(),
        )
        .select_only()
        .column(enrolment::Column::ParticipantId)
        .column(municipality::Column::DepartmentCode)
        .filter(enrolment::Column::Status.is_in(COUNTED))
        .distinct()
}

/// The `differential_people` rows of these people, or of everyone (`None`): each consenting
/// person (active consent for sensitive data) once per department where they have a counted
/// enrolment, with their attributes as they are now.
async fn differential_rows<C: ConnectionTrait>(
    db: &C,
    people: Option<&[i32]>,
) -> AppResult<Vec<differential_person::Model>> {
    let mut select = counted_with_department()
        .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
        .column(participant::Column::Sex)
        .column(participant::Column::EthnicGroup)
        .column(participant::Column::HasDisability)
        .column(participant::Column::IsConflictVictim)
        .filter(sensitive_data_consented());
    if let Some(ids) = people {
        select = select.filter(enrolment::Column::ParticipantId.is_in(ids.to_vec()));
    }
    Ok(select.into_model().all(db).await?)
}

/// (municipality, capacity, year — `None` for all years) → (department, counts).
type Sums = BTreeMap<(String, i32, Option<i32>), (String, Counts)>;

/// The sums of these person rows: per year, and per all years counting each person once.
fn sums(rows: &BTreeSet<capacity_person::Model>) -> Sums {
    let mut out = Sums::new();
    // (person, capacity, municipality) → the person's flags over the years.
    let mut people: BTreeMap<(i32, i32, &str), (&str, [bool; 3])> = BTreeMap::new();
    for row in rows {
        out.entry((
            row.municipality_code.clone(),
            row.capacity_id,
            Some(row.year),
        ))
        .or_insert_with(|| (row.department_code.clone(), Counts::default()))
        .1
        .add([row.completed, row.certified, row.still_in_entity]);
        let person = people
            .entry((row.participant_id, row.capacity_id, &row.municipality_code))
            .or_insert((&row.department_code, [false; 3]));
        person.1[0] |= row.completed;
        person.1[1] |= row.certified;
        person.1[2] |= row.still_in_entity;
    }
    for ((_, capacity_id, municipality_code), (department_code, flags)) in people {
        out.entry((municipality_code.to_string(), capacity_id, None))
            .or_insert_with(|| (department_code.to_string(), Counts::default()))
            .1
            .add(flags);
    }
    out
}

/// Inserts sums as new rows of `capacity_figures` (all years) and `capacity_year_figures`.
async fn insert_sums<C: ConnectionTrait>(db: &C, sums: Sums) -> AppResult<()> {
    let mut all = Vec::new();
    let mut yearly = Vec::new();
    for ((municipality_code, capacity_id, year), (department_code, c)) in sums {
        match year {
            None => all.push(capacity_figure::Model {
                municipality_code,
                capacity_id,
                department_code,
                trained: c.trained,
                completed: c.completed,
                certified: c.certified,
                still_in_entity: c.still_in_entity,
            }),
            Some(year) => yearly.push(capacity_year_figure::Model {
                municipality_code,
                capacity_id,
                year,
                department_code,
                trained: c.trained,
                completed: c.completed,
                certified: c.certified,
                still_in_entity: c.still_in_entity,
            }),
        }
    }
    insert_all(db, all).await?;
    insert_all(db, yearly).await
}

/// Counts of `capacity_figures` (or their change).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    trained: i32,
    completed: i32,
    certified: i32,
    still_in_entity: i32,
}

impl Counts {
    /// One more person with these flags (completed, certified, still in the entity).
    fn add(&mut self, [completed, certified, still]: [bool; 3]) {
        self.trained += 1;
        self.completed += i32::from(completed);
        self.certified += i32::from(certified);
        self.still_in_entity += i32::from(still);
    }

    fn subtract(&mut self, other: &Counts) {
        self.trained -= other.trained;
        self.completed -= other.completed;
        self.certified -= other.certified;
        self.still_in_entity -= other.still_in_entity;
    }

    fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    /// Adds these counts to the row of `capacity_figures` (all years: `year` is `None`) or of
    /// `capacity_year_figures`; `false` when there is no such row yet.
    async fn move_row<C: ConnectionTrait>(
        &self,
        db: &C,
        municipality_code: &str,
        capacity_id: i32,
        year: Option<i32>,
    ) -> AppResult<bool> {
        let table = match year {
            Some(_) => "capacity_year_figures",
            None => "capacity_figures",
        };
        let mut update = Query::update();
        update.table(Alias::new(table));
        for (column, n) in [
            ("trained", self.trained),
            ("completed", self.completed),
            ("certified", self.certified),
            ("still_in_entity", self.still_in_entity),
        ] {
            update.value(Alias::new(column), Expr::col(Alias::new(column)).add(n));
        }
        update
            .and_where(Expr::col(Alias::new("municipality_code")).eq(municipality_code))
            .and_where(Expr::col(Alias::new("capacity_id")).eq(capacity_id));
        if let Some(year) = year {
            update.and_where(Expr::col(Alias::new("year")).eq(year));
        }
        Ok(db.execute(&update).await?.rows_affected() > 0)
    }
}

/// Recomputes every figure from the source rows (the assistance figures too, in the caller's
/// transaction) and empties `figures_dirty`. Returns (cohort × municipality rows, person × capacity rows).
pub async fn rebuild<C: ConnectionTrait>(db: &C) -> AppResult<(usize, usize)> {
    if db.get_database_backend() == DbBackend::Postgres {
        // Not beside a flush (a server's figures worker while the command line rebuilds).
        db.execute_unprepared("SELECT pg_advisory_xact_lock(4091020)")
            .await?;
    }
    // First: what a writer names after this statement (committed while the rebuild reads)
    // stays for the next flush.
    figures_dirty::Entity::delete_many().exec(db).await?;
    cohort_figure::Entity::delete_many().exec(db).await?;
    capacity_person::Entity::delete_many().exec(db).await?;
    capacity_figure::Entity::delete_many().exec(db).await?;
    capacity_year_figure::Entity::delete_many().exec(db).await?;
    differential_person::Entity::delete_many().exec(db).await?;
    insert_all(db, differential_rows(db, None).await?).await?;
    scope::rebuild_people(db).await?;
    let cohorts = cohort_rows(db, None).await?;
    let n_cohorts = cohorts.len();
    scope::rebuild(db, &cohorts).await?;
    insert_all(db, cohorts).await?;
    let people: BTreeSet<capacity_person::Model> =
        person_rows(db, None).await?.into_iter().collect();
    let n_people = people.len();
    let totals = sums(&people);
    insert_all(db, people).await?;
    insert_sums(db, totals).await?;
    assistance::rebuild(db).await?;
    replicas::rebuild(db).await?;
    delivery::rebuild(db).await?;
    Ok((n_cohorts, n_people))
}

/// Every figure, in a fixed order, to compare a maintained state with a rebuilt one.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub cohorts: Vec<cohort_figure::Model>,
    pub differential: Vec<differential_person::Model>,
    pub people: Vec<capacity_person::Model>,
    pub capacities: Vec<capacity_figure::Model>,
    pub years: Vec<capacity_year_figure::Model>,
    pub assistances: Vec<crate::entities::assistance_figure::Model>,
    pub deliveries: Vec<crate::entities::delivery_fact::Model>,
    pub replicas: Vec<crate::entities::replica_figure::Model>,
    pub places: Vec<crate::entities::place_figure::Model>,
    pub trends: Vec<crate::entities::trend_figure::Model>,
    pub provider_people: Vec<crate::entities::provider_person::Model>,
}

/// The rows of [`scope`]'s three tables, in order.
pub type ScopeSnapshot = (
    Vec<crate::entities::place_figure::Model>,
    Vec<crate::entities::trend_figure::Model>,
    Vec<crate::entities::provider_person::Model>,
);

pub async fn snapshot<C: ConnectionTrait>(db: &C) -> AppResult<Snapshot> {
    let (places, trends, provider_people) = scope::all(db).await?;
    let mut out = Snapshot {
        cohorts: cohort_figure::Entity::find().all(db).await?,
        differential: differential_person::Entity::find().all(db).await?,
        people: capacity_person::Entity::find().all(db).await?,
        capacities: capacity_figure::Entity::find().all(db).await?,
        years: capacity_year_figure::Entity::find().all(db).await?,
        assistances: assistance::all(db).await?,
        deliveries: delivery::all(db).await?,
        replicas: replicas::all(db).await?,
        places,
        trends,
        provider_people,
    };
    out.cohorts.sort();
    out.differential.sort();
    out.people.sort();
    out.capacities.sort();
    out.years.sort();
    Ok(out)
}

/// Inserts rows of one table (`bulk::insert_many`).
async fn insert_all<C, M>(db: &C, rows: impl IntoIterator<Item = M>) -> AppResult<()>
where
    C: ConnectionTrait,
    M: ModelTrait + IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
{
    let rows: Vec<_> = rows.into_iter().map(M::into_active_model).collect();
    crate::bulk::insert_many(db, rows).await
}

/// Municipality code → (department code, folded name), for these codes.
async fn places<C: ConnectionTrait>(
    db: &C,
    codes: BTreeSet<String>,
) -> AppResult<HashMap<String, (String, String)>> {
    let codes: Vec<String> = codes.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let found: Vec<(String, String, String)> = municipality::Entity::find()
            .select_only()
            .column(municipality::Column::Code)
            .column(municipality::Column::DepartmentCode)
            .column(municipality::Column::Name)
            .filter(municipality::Column::Code.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            found
                .into_iter()
                .map(|(code, department, name)| (code, (department, crate::text::fold(&name)))),
        );
    }
    Ok(out)
}

/// The department of a municipality (its code's first two digits when it is unknown).
fn department_of(places: &HashMap<String, (String, String)>, code: &str) -> String {
    places
        .get(code)
        .map(|p| p.0.clone())
        .unwrap_or_else(|| code.get(..2).unwrap_or_default().to_string())
}

/// Marks that count as attended (presente, tarde), joined to their enrolment.
pub(crate) fn attended_marks() -> sea_orm::Select<attendance_mark::Entity> {
    attendance_mark::Entity::find()
        .join(
            JoinType::InnerJoin,
            attendance_mark::Relation::Enrolment.def(),
        )
        .filter(attendance_mark::Column::Status.is_in([Mark::Presente, Mark::Tarde]))
}

/// Valid certificates (not revoked, not superseded), joined to their enrolment.
pub(crate) fn valid_certificates() -> sea_orm::Select<certificate::Entity> {
    certificate::Entity::find()
        .join(
            JoinType::InnerJoin,
            certificate::Entity::belongs_to(enrolment::Entity)
                .from(certificate::Column::EnrolmentId)
                .to(enrolment::Column::Id)
                .into(),
        )
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
}

#[derive(FromQueryResult)]
struct StatusGroup {
    cohort_id: i32,
    municipality_code: String,
    status: EnrolmentStatus,
    n: i64,
    frozen: Option<i64>,
}

#[derive(FromQueryResult)]
struct Group {
    cohort_id: i32,
    municipality_code: String,
    n: i64,
}

/// The `cohort_figures` rows of these cohorts, or of all (`None`), from the source rows: five
/// grouped queries and the departments.
async fn cohort_rows<C: ConnectionTrait>(
    db: &C,
    cohorts: Option<&[i32]>,
) -> AppResult<Vec<cohort_figure::Model>> {
    let only = |column: enrolment::Column| match cohorts {
        Some(ids) => column.is_in(ids.iter().copied()),
        None => Expr::val(true),
    };
    let statuses: Vec<StatusGroup> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::MunicipalityCode)
        .column(enrolment::Column::Status)
        .column_as(enrolment::Column::Id.count(), "n")
        .column_as(enrolment::Column::SessionsAttended.sum(), "frozen")
        .filter(only(enrolment::Column::CohortId))
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::MunicipalityCode)
        .group_by(enrolment::Column::Status)
        .into_model()
        .all(db)
        .await?;
    let mut rows: BTreeMap<(i32, String), cohort_figure::Model> = BTreeMap::new();
    for s in statuses {
        let row = rows
            .entry((s.cohort_id, s.municipality_code.clone()))
            .or_insert_with(|| empty_row(s.cohort_id, s.municipality_code.clone()));
        let n = s.n as i32;
        match s.status {
            EnrolmentStatus::Waitlisted => row.waitlisted += n,
            EnrolmentStatus::Cancelled => row.cancelled += n,
            counted => {
                row.enrolled += n;
                row.attended += s.frozen.unwrap_or(0) as i32;
                match counted {
                    EnrolmentStatus::Completed => row.completed += n,
                    EnrolmentStatus::NotCompleted => row.not_completed += n,
                    _ => {}
                }
            }
        }
    }
    // Marks of the people not frozen yet (frozen ones were counted from their enrolment).
    let marks: Vec<Group> = attended_marks()
        .select_only()
        .column(enrolment::Column::CohortId)
        .column(enrolment::Column::MunicipalityCode)
        .column_as(attendance_mark::Column::Id.count(), "n")
        .filter(enrolment::Column::SessionsAttended.is_null())
        .filter(enrolment::Column::Status.is_in(COUNTED))
        .filter(only(enrolment::Column::CohortId))
        .group_by(enrolment::Column::CohortId)
        .group_by(enrolment::Column::MunicipalityCode)
        .into_model()
        .all(db)
        .await?;
    for g in marks {
        if let Some(row) = rows.get_mut(&(g.cohort_id, g.municipality_code)) {
            row.attended += g.n as i32;
        }
    }
    let certified = || {
        valid_certificates()
            .select_only()
            .column(enrolment::Column::CohortId)
            .column(enrolment::Column::MunicipalityCode)
            .column_as(certificate::Column::Id.count(), "n")
            .filter(enrolment::Column::Status.is_in(COUNTED))
            .filter(only(enrolment::Column::CohortId))
            .group_by(enrolment::Column::CohortId)
            .group_by(enrolment::Column::MunicipalityCode)
    };
    let valid: Vec<Group> = certified().into_model().all(db).await?;
    for g in valid {
        if let Some(row) = rows.get_mut(&(g.cohort_id, g.municipality_code)) {
            row.certified += g.n as i32;
        }
    }
    let still: Vec<Group> = certified()
        .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
        .filter(
            Expr::col((participant::Entity, participant::Column::MunicipalityCode)).eq(Expr::col(
                (enrolment::Entity, enrolment::Column::MunicipalityCode),
            )),
        )
        .filter(Expr::exists(departed()).not())
        .into_model()
        .all(db)
        .await?;
    for g in still {
        if let Some(row) = rows.get_mut(&(g.cohort_id, g.municipality_code)) {
            row.still_in_entity += g.n as i32;
        }
    }
    let mut sessions = cohort_session::Entity::find()
        .select_only()
        .column(cohort_session::Column::CohortId)
        .column_as(cohort_session::Column::Id.count(), "n")
        .group_by(cohort_session::Column::CohortId);
    if let Some(ids) = cohorts {
        sessions = sessions.filter(cohort_session::Column::CohortId.is_in(ids.iter().copied()));
    }
    let sessions: HashMap<i32, i64> = sessions.into_tuple().all(db).await?.into_iter().collect();
    let mut closed = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .filter(cohort::Column::Status.eq(CohortStatus::Closed));
    if let Some(ids) = cohorts {
        closed = closed.filter(cohort::Column::Id.is_in(ids.iter().copied()));
    }
    let closed: HashSet<i32> = closed.into_tuple().all(db).await?.into_iter().collect();
    let places = places(db, rows.keys().map(|(_, m)| m.clone()).collect()).await?;
    Ok(rows
        .into_values()
        .map(|mut row| {
            row.sessions_scheduled = sessions.get(&row.cohort_id).copied().unwrap_or(0) as i32;
            row.closed = closed.contains(&row.cohort_id);
            row.department_code = department_of(&places, &row.municipality_code);
            row.municipality_sort = places
                .get(&row.municipality_code)
                .map(|p| p.1.clone())
                .unwrap_or_default();
            row
        })
        .collect())
}

/// The departure (follow-up: "no longer in the entity") of the enrolment's person from the
/// enrolment's municipality, as a correlated subquery.
fn departed() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(entity_departure::Entity)
        .and_where(
            Expr::col((
                entity_departure::Entity,
                entity_departure::Column::ParticipantId,
            ))
            .equals((enrolment::Entity, enrolment::Column::ParticipantId)),
        )
        .and_where(
            Expr::col((
                entity_departure::Entity,
                entity_departure::Column::MunicipalityCode,
            ))
            .equals((enrolment::Entity, enrolment::Column::MunicipalityCode)),
        )
        .take()
}

fn empty_row(cohort_id: i32, municipality_code: String) -> cohort_figure::Model {
    cohort_figure::Model {
        cohort_id,
        municipality_code,
        department_code: String::new(),
        municipality_sort: String::new(),
        closed: false,
        enrolled: 0,
        waitlisted: 0,
        cancelled: 0,
        completed: 0,
        not_completed: 0,
        attended: 0,
        certified: 0,
        still_in_entity: 0,
        sessions_scheduled: 0,
    }
}

#[derive(FromQueryResult)]
struct Trained {
    participant_id: i32,
    capacity_id: i32,
    municipality_code: String,
    start_date: chrono::NaiveDate,
    status: EnrolmentStatus,
}

#[derive(FromQueryResult)]
struct Certified {
    participant_id: i32,
    capacity_id: i32,
    municipality_code: String,
    start_date: chrono::NaiveDate,
}

/// The `capacity_people` rows of these people, or of everyone (`None`): one row per person,
/// capacity (of the cohort's course) and municipality (of the enrolment) with a counted
/// enrolment; certified when one of those enrolments holds a valid certificate; still in the
/// entity when certified, the person's municipality is still that one and they have not said in
/// a follow-up survey that they left its entity.
async fn person_rows<C: ConnectionTrait>(
    db: &C,
    people: Option<&[i32]>,
) -> AppResult<Vec<capacity_person::Model>> {
    let only = || match people {
        Some(ids) => enrolment::Column::ParticipantId.is_in(ids.to_vec()),
        None => Expr::val(true),
    };
    let by_capacity = |select: sea_orm::Select<enrolment::Entity>| {
        select
            .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
            .join_rev(
                JoinType::InnerJoin,
                course_capacity::Entity::belongs_to(cohort::Entity)
                    .from(course_capacity::Column::CourseId)
                    .to(cohort::Column::CourseId)
                    .into(),
            )
            .select_only()
            .column(enrolment::Column::ParticipantId)
            .column(course_capacity::Column::CapacityId)
            .column(enrolment::Column::MunicipalityCode)
            .column(cohort::Column::StartDate)
            .filter(enrolment::Column::Status.is_in(COUNTED))
            .filter(cohort::Column::Status.is_in(STARTED))
            .filter(only())
            .distinct()
    };
    let trained: Vec<Trained> = by_capacity(enrolment::Entity::find())
        .column(enrolment::Column::Status)
        .into_model()
        .all(db)
        .await?;
    let certified: Vec<Certified> = by_capacity(
        enrolment::Entity::find().join_rev(
            JoinType::InnerJoin,
            certificate::Entity::belongs_to(enrolment::Entity)
                .from(certificate::Column::EnrolmentId)
                .to(enrolment::Column::Id)
                .into(),
        ),
    )
    .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
    .into_model()
    .all(db)
    .await?;
    let mut rows: BTreeMap<(i32, i32, String, i32), capacity_person::Model> = BTreeMap::new();
    for t in trained {
        let year = t.start_date.year();
        let row = rows
            .entry((
                t.participant_id,
                t.capacity_id,
                t.municipality_code.clone(),
                year,
            ))
            .or_insert_with(|| capacity_person::Model {
                participant_id: t.participant_id,
                capacity_id: t.capacity_id,
                municipality_code: t.municipality_code,
                year,
                department_code: String::new(),
                completed: false,
                certified: false,
                still_in_entity: false,
            });
        row.completed |= t.status == EnrolmentStatus::Completed;
    }
    for c in certified {
        let key = (
            c.participant_id,
            c.capacity_id,
            c.municipality_code,
            c.start_date.year(),
        );
        if let Some(row) = rows.get_mut(&key) {
            row.certified = true;
        }
    }
    // Where each certified person is now.
    let mut ids: Vec<i32> = rows
        .values()
        .filter(|r| r.certified)
        .map(|r| r.participant_id)
        .collect();
    ids.dedup();
    let mut now: HashMap<i32, String> = HashMap::new();
    let mut departed: HashSet<(i32, String)> = HashSet::new();
    for chunk in ids.chunks(CHUNK * 5) {
        let found: Vec<(i32, String)> = participant::Entity::find()
            .select_only()
            .column(participant::Column::Id)
            .column(participant::Column::MunicipalityCode)
            .filter(participant::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        now.extend(found);
        let left: Vec<(i32, String)> = entity_departure::Entity::find()
            .select_only()
            .column(entity_departure::Column::ParticipantId)
            .column(entity_departure::Column::MunicipalityCode)
            .filter(entity_departure::Column::ParticipantId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        departed.extend(left);
    }
    let places = places(db, rows.keys().map(|(_, _, m, _)| m.clone()).collect()).await?;
    Ok(rows
        .into_values()
        .map(|mut row| {
            row.still_in_entity = row.certified
                && now.get(&row.participant_id) == Some(&row.municipality_code)
                && !departed.contains(&(row.participant_id, row.municipality_code.clone()));
            row.department_code = department_of(&places, &row.municipality_code);
            row
        })
        .collect())
}
