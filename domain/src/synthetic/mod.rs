//! `aula-territorial seed --synthetic national [--scale 0.01] [--seed 2026]`: synthetic data of
//! national size on the current database, for benchmarks. Seeded and reproducible (the same
//! seed and scale give the same rows; dates are anchored to 2026-11-01, not to today).
//!
//! At scale 1: 250,000 participants, 5,000 closed cohorts over four years with 10 sessions
//! each (50,000 sessions), 100 enrolments per cohort (500,000), a mark per enrolment and
//! session (5,000,000) and a certificate per completer (about 60 %). Skewed like the real
//! country: capitals weigh 7×, PDET municipalities 3× (people) and cohorts prefer PDET
//! municipalities; half of a cohort's people come from its own municipality where there are
//! enough, the rest from its department. About 70 % consented to sensitive data (with sex,
//! ethnic group, disability and victim status roughly as in the country, more in PDET
//! territory), so the differential approach has something to count. Everyone got a satisfaction
//! survey (about 65 % answered) and, where 90 days passed, a follow-up (about 40 %). Indicator values for 2024
//! and 2025 are added, marked synthetic, with a modest effect of the training (issue 15). Rows are written in batches inside one transaction.

pub mod accounts;
mod plans;

use crate::entities::values::{
    CertificateStatus, CohortStatus, ConsentKind, DocumentType, EnrolmentStatus, Mark, MarkSource,
    Modality, SurveyKind,
};
use crate::entities::{
    attendance_mark, capacity, certificate, cohort, cohort_municipality, cohort_session, consent,
    course, course_capacity, enrolment, entity_departure, municipality, participant,
};
use crate::error::{AppError, AppResult};
use crate::rows::Rows;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Document numbers of synthetic people start with this (real cédulas never have 11 digits
/// starting 99).
pub const PREFIX: &str = "99";
const SESSIONS: usize = 10;
const PER_COHORT: usize = 100;
const BATCH: usize = 500;
/// Indicator years made up after the last real ones (2023), up to the year before the anchor.
const SYNTHETIC_YEARS: std::ops::RangeInclusive<i32> = 2024..=2025;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub participants: usize,
    pub cohorts: usize,
    pub sessions: usize,
    pub enrolments: usize,
    pub marks: usize,
    pub certificates: usize,
    /// Synthetic indicator observations of the years after the real ones.
    pub indicator_values: usize,
    /// Survey invitations and anonymous answers (issue 17).
    pub surveys: usize,
    pub responses: usize,
    /// Technical assistances and their visits (issue 33).
    pub assistances: usize,
    pub visits: usize,
    /// Plans of the anchor's year and cost items of its cohorts (issue 47).
    pub plans: usize,
    pub cost_items: usize,
}

fn scaled(n: f64, scale: f64) -> usize {
    ((n * scale).round() as usize).max(1)
}

const FIRST: &[&str] = &[
    "María", "José", "Luz", "Carlos", "Ana", "Luis", "Diana", "Jorge", "Paola", "Andrés",
    "Claudia", "Juan", "Sandra", "Óscar", "Yolanda", "Édgar",
];
const LAST: &[&str] = &[
    "Rodríguez",
    "Gómez",
    "Martínez",
    "López",
    "García",
    "Pérez",
    "Muñoz",
    "Rojas",
    "Díaz",
    "Vargas",
    "Castro",
    "Ortiz",
    "Peña",
    "Córdoba",
    "Mosquera",
    "Quintero",
];

async fn insert_all<C, A>(db: &C, rows: Vec<A>) -> AppResult<()>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// On PostgreSQL, when the connection may, switches this transaction's triggers off (`SET
/// LOCAL session_replication_role = replica`): the figures' row triggers would otherwise name
/// a cohort once per row written — five million times at scale 1, most of the generation's
/// time — for a flush that rebuilds everything anyway. The caller then rebuilds the figures
/// before committing. Only a superuser may; others (and SQLite, whose triggers are cheap) keep
/// the triggers. The rows written here satisfy their foreign keys by construction.
async fn quiet_figure_triggers<C: ConnectionTrait>(txn: &C) -> AppResult<bool> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(false);
    }
    let superuser = txn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT current_setting('is_superuser') = 'on' AS superuser",
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "superuser"))
        .transpose()?
        .unwrap_or(false);
    if superuser {
        txn.execute_unprepared("SET LOCAL session_replication_role = replica")
            .await?;
    }
    Ok(superuser)
}

/// Courses to schedule: the existing ones, or five synthetic ones (one per capacity).
async fn courses<C: ConnectionTrait>(db: &C) -> AppResult<Vec<course::Model>> {
    let existing = course::Entity::find()
        .order_by_asc(course::Column::Id)
        .all(db)
        .await?;
    if !existing.is_empty() {
        return Ok(existing);
    }
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?;
    let at = anchor_time();
    for (n, cap) in capacities.iter().enumerate() {
        let created = course::ActiveModel {
            code: Set(format!("SIN-{}", n + 1)),
            name: Set(format!("Curso sintético: {}", cap.name)),
            description: Set("Curso generado para pruebas de carga.".into()),
            hours: Set(40),
            default_modality: Set(Modality::Presencial),
            management_stage: Set(None),
            min_attendance_pct: Set(80),
            pass_mark_tenths: Set(30),
            retired_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        course_capacity::Entity::insert(course_capacity::ActiveModel {
            course_id: Set(created.id),
            capacity_id: Set(cap.id),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(course::Entity::find()
        .order_by_asc(course::Column::Id)
        .all(db)
        .await?)
}

/// Providers the synthetic offer is spread over: ESAP and, when the database has fewer than
/// five, synthetic ones up to five (issue 32), each with a course per capacity. Returns, per
/// provider, its courses; ESAP's are [`courses`].
async fn providers_and_courses<C: ConnectionTrait>(
    db: &C,
    esap_courses: Vec<course::Model>,
) -> AppResult<Vec<(i32, Vec<course::Model>)>> {
    use crate::entities::provider;
    use crate::entities::values::ProviderKind;
    let at = anchor_time();
    let mut others: Vec<i32> = provider::Entity::find()
        .filter(provider::Column::Id.ne(crate::providers::ESAP))
        .order_by_asc(provider::Column::Id)
        .all_mapped(db, |p| p.id)
        .await?;
    for n in others.len()..4 {
        let created = provider::ActiveModel {
            name: Set(format!("Oferente sintético {}", n + 1)),
            kind: Set(ProviderKind::Otra),
            nit: Set(None),
            department_code: Set(None),
            active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        others.push(created.id);
    }
    let capacities = capacity::Entity::find()
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?;
    let mut out = vec![(crate::providers::ESAP, esap_courses)];
    for provider_id in others.into_iter().take(4) {
        let mut courses = course::Entity::find()
            .filter(course::Column::ProviderId.eq(provider_id))
            .order_by_asc(course::Column::Id)
            .all(db)
            .await?;
        if courses.is_empty() {
            for (n, cap) in capacities.iter().enumerate() {
                let created = course::ActiveModel {
                    code: Set(format!("SIN-P{provider_id}-{}", n + 1)),
                    name: Set(format!(
                        "Curso sintético del oferente {provider_id}: {}",
                        cap.name
                    )),
                    description: Set("Curso generado para pruebas de carga.".into()),
                    hours: Set(24),
                    default_modality: Set(Modality::Presencial),
                    management_stage: Set(None),
                    min_attendance_pct: Set(80),
                    pass_mark_tenths: Set(30),
                    retired_at: Set(None),
                    provider_id: Set(provider_id),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                course_capacity::Entity::insert(course_capacity::ActiveModel {
                    course_id: Set(created.id),
                    capacity_id: Set(cap.id),
                })
                .exec_without_returning(db)
                .await?;
                courses.push(created);
            }
        }
        out.push((provider_id, courses));
    }
    Ok(out)
}

/// Technical assistances at a realistic rate (issue 33): about 1,200 over 2024–2026 at full
/// scale — some 400 a year, a third of the country's municipalities — weighted to PDET
/// municipalities like the cohorts; six in ten by ESAP; mostly alcaldías; four to eight months
/// each, with a visit about every month. Those that ended before the anchor are closed (three in
/// four with the objective reached) or, one in twenty, cancelled; the others are in progress
/// or, when not started, planned. Returns (assistances, visits).
async fn assistances<C: ConnectionTrait>(
    db: &C,
    rng: &mut StdRng,
    places: &[municipality::Model],
    place_dist: &WeightedIndex<f64>,
    providers: &[i32],
    scale: f64,
) -> AppResult<(usize, usize)> {
    use crate::entities::assistance;
    let capacities = active_capacities(db).await?;
    if capacities.is_empty() || providers.is_empty() {
        return Ok((0, 0));
    }
    let provider_dist = assistance_provider_dist(providers)?;
    // 15 January 2024.
    let first = anchor() - Duration::days(1_021);
    let n = scaled(1_200.0, scale);
    let last_id = assistance::Entity::find()
        .order_by_desc(assistance::Column::Id)
        .one(db)
        .await?
        .map_or(0, |a| a.id);
    let mut plans = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let place = &places[place_dist.sample(rng)];
        let (row, plan) =
            planned_assistance(rng, place, first, providers, &provider_dist, &capacities);
        rows.push(row);
        plans.push(plan);
    }
    insert_all(db, rows).await?;
    let ids: Vec<i32> = assistance::Entity::find()
        .filter(assistance::Column::Id.gt(last_id))
        .order_by_asc(assistance::Column::Id)
        .all_mapped(db, |a| a.id)
        .await?;
    let (links, visits) = assistance_links_and_visits(rng, ids, plans);
    let n_visits = visits.len();
    insert_all(db, links).await?;
    insert_all(db, visits).await?;
    // Written in bulk, nothing named the places: their figures and delivery facts are computed
    // here, once (a rebuild at the end does it again when the triggers were quiet).
    crate::figures::assistance::rebuild(db).await?;
    crate::figures::delivery::rebuild_assistances(db).await?;
    Ok((n, n_visits))
}

/// An assistance's capacities, first day, last day visited and number of visits, kept until
/// its id is known.
type AssistancePlan = (Vec<i32>, NaiveDate, NaiveDate, i64);

/// The ids of the active capacities, in order.
async fn active_capacities<C: ConnectionTrait>(db: &C) -> AppResult<Vec<i32>> {
    use crate::entities::capacity;
    Ok(capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::Id)
        .all_mapped(db, |c| c.id)
        .await?)
}

/// Which provider gives an assistance: six in ten by ESAP.
fn assistance_provider_dist(providers: &[i32]) -> AppResult<WeightedIndex<f64>> {
    WeightedIndex::new(providers.iter().map(|p| {
        if *p == crate::providers::ESAP {
            9.0
        } else {
            1.5
        }
    }))
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// One assistance in `place` starting from `first`: its row and what its links and visits
/// need.
fn planned_assistance(
    rng: &mut StdRng,
    place: &municipality::Model,
    first: NaiveDate,
    providers: &[i32],
    provider_dist: &WeightedIndex<f64>,
    capacities: &[i32],
) -> (crate::entities::assistance::ActiveModel, AssistancePlan) {
    use crate::entities::assistance;
    use crate::entities::values::{AssistanceStatus, AssistedEntity, Modality};
    let at = anchor_time();
    let starts = first + Duration::days(rng.random_range(0..(anchor() - first).num_days() + 60));
    let ends = starts + Duration::days(rng.random_range(120..=240));
    let status = if ends < anchor() {
        if rng.random_bool(0.05) {
            AssistanceStatus::Cancelled
        } else {
            AssistanceStatus::Closed
        }
    } else if starts <= anchor() {
        AssistanceStatus::InProgress
    } else {
        AssistanceStatus::Planned
    };
    let closed = status == AssistanceStatus::Closed;
    let entity = match rng.random_range(0..20) {
        0..=15 => AssistedEntity::Alcaldia,
        16 | 17 => AssistedEntity::Concejo,
        18 => AssistedEntity::Personeria,
        _ => AssistedEntity::ConsejoTerritorialPlaneacion,
    };
    let reached = closed.then(|| rng.random_bool(0.75));
    let usefulness = closed.then(|| rng.random_range(3..=5));
    let row = assistance::ActiveModel {
        provider_id: Set(providers[provider_dist.sample(rng)]),
        municipality_code: Set(Some(place.code.clone())),
        department_code: Set(place.department_code.clone()),
        entity_type: Set(entity),
        objective: Set(format!(
            "Acompañamiento sintético a la entidad de {} (datos de prueba).",
            place.name
        )),
        starts_on: Set(starts),
        ends_on: Set(ends),
        modality: Set(Modality::Mixta),
        status: Set(status),
        cancellation_reason: Set((status == AssistanceStatus::Cancelled)
            .then(|| "Cambio de prioridades de la entidad (dato sintético).".to_string())),
        objective_reached: Set(reached),
        closing_summary: Set(closed.then(|| "Cierre sintético (datos de prueba).".to_string())),
        contact_email: Set(None),
        evaluation_token_hash: Set(None),
        evaluation_usefulness: Set(usefulness),
        evaluation_comment: Set(None),
        evaluated_at: Set(closed.then_some(at)),
        created_by: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        closed_at: Set(closed.then_some(at)),
        ..Default::default()
    };
    let mut chosen = vec![capacities[rng.random_range(0..capacities.len())]];
    if rng.random_bool(0.3) {
        let other = capacities[rng.random_range(0..capacities.len())];
        if other != chosen[0] {
            chosen.push(other);
        }
    }
    let until = ends.min(anchor() - Duration::days(1));
    let visits = if status == AssistanceStatus::Cancelled || until < starts {
        0
    } else {
        ((until - starts).num_days() / 30 + 1).min(8)
    };
    (row, (chosen, starts, until, visits))
}

/// The capacity links and the visits of the assistances written (`ids`, in the order of
/// `plans`).
fn assistance_links_and_visits(
    rng: &mut StdRng,
    ids: Vec<i32>,
    plans: Vec<AssistancePlan>,
) -> (
    Vec<crate::entities::assistance_capacity::ActiveModel>,
    Vec<crate::entities::assistance_visit::ActiveModel>,
) {
    use crate::entities::values::Modality;
    use crate::entities::{assistance_capacity, assistance_visit};
    let at = anchor_time();
    let mut links = Vec::new();
    let mut visits = Vec::new();
    for (id, (chosen, starts, until, count)) in ids.into_iter().zip(plans) {
        for capacity_id in chosen {
            links.push(assistance_capacity::ActiveModel {
                assistance_id: Set(id),
                capacity_id: Set(capacity_id),
            });
        }
        for k in 0..count {
            visits.push(assistance_visit::ActiveModel {
                assistance_id: Set(id),
                date: Set((starts + Duration::days(30 * k + rng.random_range(0..10))).min(until)),
                modality: Set(if rng.random_bool(0.6) {
                    Modality::Presencial
                } else {
                    Modality::Virtual
                }),
                hours_tenths: Set(rng.random_range(20..=60)),
                topics: Set("Visita sintética (datos de prueba).".into()),
                created_by: Set(None),
                created_at: Set(at),
                ..Default::default()
            });
        }
    }
    (links, visits)
}

#[allow(clippy::expect_used, reason = "a literal valid date")]
fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date")
}

#[allow(clippy::expect_used, reason = "a literal valid time")]
fn anchor_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// Up to `PER_COHORT` distinct people for a cohort in `place`: half of them (as far as there are)
/// from the municipality itself, the rest from anywhere in its department — as a cohort held in
/// a municipality gathers its own staff and neighbours'.
fn cohort_people(
    rng: &mut StdRng,
    by_place: &HashMap<usize, Vec<usize>>,
    by_department: &HashMap<&str, Vec<usize>>,
    places: &[municipality::Model],
    place: usize,
) -> Vec<usize> {
    let local = by_place.get(&place).map(Vec::as_slice).unwrap_or(&[]);
    let mut chosen: Vec<usize> =
        rand::seq::index::sample(rng, local.len(), (PER_COHORT / 2).min(local.len()))
            .into_iter()
            .map(|i| local[i])
            .collect();
    let pool = by_department
        .get(places[place].department_code.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let taken: std::collections::HashSet<usize> = chosen.iter().copied().collect();
    let wanted = (PER_COHORT + chosen.len()).min(pool.len());
    chosen.extend(
        rand::seq::index::sample(rng, pool.len(), wanted)
            .into_iter()
            .map(|i| pool[i])
            .filter(|p| !taken.contains(p))
            .take(PER_COHORT - chosen.len()),
    );
    chosen
}

/// Generates the data. Refuses (409) if synthetic people already exist.
pub async fn generate(db: &DatabaseConnection, scale: f64, seed: u64) -> AppResult<Summary> {
    if !(scale > 0.0 && scale <= 1.0) {
        return Err(AppError::invalid(
            "scale",
            "La escala debe ser mayor que 0 y a lo sumo 1.",
        ));
    }
    let mut summary = crate::db::write(db, async |txn| write_all(txn, scale, seed).await).await?;
    // Later indicator years, with a modest effect of the training just written (its figures
    // were computed at the commit above): marked synthetic.
    summary.indicator_values = crate::db::write(db, async |txn| {
        crate::indicators::synthetic::add_years(txn, SYNTHETIC_YEARS, None, seed).await
    })
    .await?;
    // Statistics for the planner now (PostgreSQL: not whenever autovacuum gets to millions of
    // new rows; SQLite keeps none until asked). Without them PostgreSQL guessed a handful of
    // consents and scanned them all on every figures flush (0.75 s per write), and SQLite
    // counted a cohort's certificates by walking the 300,000 valid ones (0.37 s per write).
    db.execute_unprepared("ANALYZE").await?;
    Ok(summary)
}

/// Everything but the later indicator years, in one transaction. Refuses (409) if synthetic
/// people already exist. One random sequence, drawn in this order: people, cohorts,
/// enrolments, their records.
async fn write_all<C: ConnectionTrait>(txn: &C, scale: f64, seed: u64) -> AppResult<Summary> {
    let already = participant::Entity::find()
        .filter(participant::Column::DocumentNumber.starts_with(PREFIX))
        .filter(participant::Column::DocumentType.eq(DocumentType::Cc))
        .one(txn)
        .await?;
    if already.is_some() {
        return Err(AppError::Conflict(
            "Esta base de datos ya tiene datos sintéticos.".into(),
        ));
    }
    let quiet_triggers = quiet_figure_triggers(txn).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let at = anchor_time();
    let world = World::read(txn).await?;
    let mut summary = Summary::default();
    let people = people(txn, &mut rng, &world, scale, at).await?;
    summary.participants = people.ids.len();
    let cohorts = cohorts(txn, &mut rng, &world, scale, seed, at).await?;
    summary.cohorts = cohorts.ids.len();
    summary.sessions = cohorts.sessions.values().map(Vec::len).sum();
    let patterns = enrolments(txn, &mut rng, &world, &people, &cohorts, at).await?;
    records(txn, &mut rng, &world, &cohorts, &patterns, at, &mut summary).await?;
    let World {
        places,
        cohort_dist,
        offer,
        ..
    } = &world;
    crate::surveys::tallies::rebuild(txn).await?;
    let providers: Vec<i32> = offer.iter().map(|(provider, _)| *provider).collect();
    (summary.assistances, summary.visits) = assistances(
        txn,
        &mut StdRng::seed_from_u64(seed ^ 33),
        places,
        cohort_dist,
        &providers,
        scale,
    )
    .await?;
    (summary.plans, summary.cost_items) = plans::generate(
        txn,
        &mut StdRng::seed_from_u64(seed ^ 47),
        &providers,
        scale,
    )
    .await?;
    if quiet_triggers {
        // Nothing named the cohorts written: the figures are computed from scratch, once.
        crate::figures::rebuild(txn).await?;
        crate::instances::bump(txn, crate::instances::Cached::Figures).await?;
    }
    Ok(summary)
}

/// The country and the offer the data is drawn from.
struct World {
    places: Vec<municipality::Model>,
    /// Where people live: more in PDET territory and department capitals.
    people_dist: WeightedIndex<f64>,
    /// Where cohorts are given: more in PDET territory.
    cohort_dist: WeightedIndex<f64>,
    /// Each provider's courses.
    offer: Vec<(i32, Vec<course::Model>)>,
    courses: Vec<course::Model>,
    provider_dist: WeightedIndex<f64>,
}

impl World {
    async fn read<C: ConnectionTrait>(txn: &C) -> AppResult<World> {
        let places = municipality::Entity::find()
            .order_by_asc(municipality::Column::Code)
            .all(txn)
            .await?;
        if places.is_empty() {
            return Err(AppError::Internal("faltan los municipios".into()));
        }
        let weights: Vec<f64> = places
            .iter()
            .map(|m| {
                1.0 + if m.pdet_subregion_id.is_some() {
                    2.0
                } else {
                    0.0
                } + if m.is_department_capital { 6.0 } else { 0.0 }
            })
            .collect();
        let people_dist =
            WeightedIndex::new(&weights).map_err(|e| AppError::Internal(e.to_string()))?;
        let cohort_weights: Vec<f64> = places
            .iter()
            .map(|m| {
                if m.pdet_subregion_id.is_some() {
                    3.0
                } else {
                    1.0
                }
            })
            .collect();
        let cohort_dist =
            WeightedIndex::new(&cohort_weights).map_err(|e| AppError::Internal(e.to_string()))?;
        let esap_courses: Vec<course::Model> = courses(txn)
            .await?
            .into_iter()
            .filter(|c| c.provider_id == crate::providers::ESAP)
            .collect();
        let mut offer = providers_and_courses(txn, esap_courses).await?;
        offer.retain(|(_, courses)| !courses.is_empty());
        let courses: Vec<course::Model> = offer.iter().flat_map(|(_, c)| c.clone()).collect();
        // ESAP gives most of the offer; the four other providers a tenth each.
        let provider_dist = WeightedIndex::new(offer.iter().map(|(provider, _)| {
            if *provider == crate::providers::ESAP {
                6.0
            } else {
                1.0
            }
        }))
        .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(World {
            places,
            people_dist,
            cohort_dist,
            offer,
            courses,
            provider_dist,
        })
    }
}

/// The people written: where each lives (an index into the places) and their ids, in order.
struct People {
    home: Vec<usize>,
    ids: Vec<i32>,
}

/// The source of the authorization of the synthetic people imported from enrolment sheets.
const SYNTHETIC_IMPORT_SOURCE: &str = "Planilla de inscripción del oferente (datos sintéticos)";

/// People and their consents.
async fn people<C: ConnectionTrait>(
    txn: &C,
    rng: &mut StdRng,
    world: &World,
    scale: f64,
    at: chrono::DateTime<Utc>,
) -> AppResult<People> {
    let World {
        places,
        people_dist,
        ..
    } = world;
    let n_people = scaled(250_000.0, scale);
    let mut home: Vec<usize> = Vec::with_capacity(n_people);
    let mut rows = Vec::with_capacity(n_people);
    // Who consented to sensitive data (about 70 %), decided with the person.
    let mut sensitive: Vec<bool> = Vec::with_capacity(n_people);
    for n in 0..n_people {
        let place = people_dist.sample(rng);
        home.push(place);
        let consents = rng.random_bool(0.7);
        sensitive.push(consents);
        let ethnic_group = consents.then(|| {
            let r: f64 = rng.random();
            // Roughly the country's self-recognition (DANE 2018), more in PDET territory.
            let pdet = places[place].pdet_subregion_id.is_some();
            match r {
                r if r < if pdet { 0.12 } else { 0.04 } => "indigena",
                r if r < if pdet { 0.30 } else { 0.09 } => "afrocolombiano",
                r if r < if pdet { 0.301 } else { 0.091 } => "rrom",
                _ => "ninguno",
            }
            .to_string()
        });
        let has_disability = consents.then(|| rng.random_bool(0.05));
        let is_conflict_victim = consents.then(|| {
            rng.random_bool(if places[place].pdet_subregion_id.is_some() {
                0.35
            } else {
                0.12
            })
        });
        rows.push(participant::ActiveModel {
            user_id: Set(None),
            document_type: Set(DocumentType::Cc),
            document_number: Set(format!("{PREFIX}{n:09}")),
            first_names: Set(FIRST[rng.random_range(0..FIRST.len())].to_string()),
            last_names: Set(format!(
                "{} {}",
                LAST[rng.random_range(0..LAST.len())],
                LAST[rng.random_range(0..LAST.len())]
            )),
            email: Set(None),
            phone: Set(None),
            municipality_code: Set(places[place].code.clone()),
            entity_type: Set("alcaldia".into()),
            entity_name: Set(None),
            position: Set(None),
            level: Set("profesional".into()),
            sex: Set(Some(
                if rng.random_bool(0.55) {
                    "mujer"
                } else {
                    "hombre"
                }
                .into(),
            )),
            ethnic_group: Set(ethnic_group),
            has_disability: Set(has_disability),
            is_conflict_victim: Set(is_conflict_victim),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
    }
    insert_all(txn, rows).await?;
    let person_ids: Vec<i32> = participant::Entity::find()
        .select_only()
        .column(participant::Column::Id)
        .filter(participant::Column::DocumentNumber.starts_with(PREFIX))
        .filter(participant::Column::DocumentType.eq(DocumentType::Cc))
        .order_by_asc(participant::Column::DocumentNumber)
        .into_tuple()
        .all(txn)
        .await?;
    let mut consents = Vec::new();
    for (id, sensitive) in person_ids.iter().zip(&sensitive) {
        let kinds: &[(ConsentKind, &str)] = if *sensitive {
            &[
                (
                    ConsentKind::DataProcessing,
                    crate::people::DATA_CONSENT_VERSION,
                ),
                (
                    ConsentKind::SensitiveData,
                    crate::people::SENSITIVE_CONSENT_VERSION,
                ),
            ]
        } else {
            &[(
                ConsentKind::DataProcessing,
                crate::people::DATA_CONSENT_VERSION,
            )]
        };
        // Issue 67: people who gave no sensitive data came from their provider's enrolment
        // sheets: their authorization is the one the import declared (no account declares it
        // in synthetic data); the others registered themselves.
        let imported = !*sensitive;
        for (kind, version) in kinds {
            consents.push(consent::ActiveModel {
                participant_id: Set(*id),
                kind: Set(*kind),
                text_version: Set(version.to_string()),
                granted_at: Set(at),
                withdrawn_at: Set(None),
                source: Set(imported.then(|| crate::habeas::declared::IMPORT.to_string())),
                source_detail: Set(imported.then(|| SYNTHETIC_IMPORT_SOURCE.to_string())),
                ..Default::default()
            });
        }
    }
    insert_all(txn, consents).await?;
    Ok(People {
        home,
        ids: person_ids,
    })
}

/// The cohorts written: their ids, each one's (place, course, start), and their sessions.
struct Cohorts {
    ids: Vec<i32>,
    targets: Vec<(usize, i32, NaiveDate)>,
    sessions: HashMap<i32, Vec<i32>>,
}

/// Cohorts, their target municipality and sessions.
async fn cohorts<C: ConnectionTrait>(
    txn: &C,
    rng: &mut StdRng,
    world: &World,
    scale: f64,
    seed: u64,
    at: chrono::DateTime<Utc>,
) -> AppResult<Cohorts> {
    let World {
        places,
        cohort_dist,
        offer,
        provider_dist,
        ..
    } = world;
    // Cohorts, their target municipality and sessions.
    let n_cohorts = scaled(5_000.0, scale);
    let prefix = format!("Cohorte sintética {seed} ");
    let mut targets = Vec::with_capacity(n_cohorts);
    let mut rows = Vec::with_capacity(n_cohorts);
    for n in 0..n_cohorts {
        let place = cohort_dist.sample(rng);
        let (provider_id, offered) = &offer[provider_dist.sample(rng)];
        let course = &offered[rng.random_range(0..offered.len())];
        let start = anchor() - Duration::days(rng.random_range(70..1460));
        targets.push((place, course.id, start));
        rows.push(cohort::ActiveModel {
            course_id: Set(course.id),
            provider_id: Set(*provider_id),
            name: Set(format!("{prefix}{n:06}")),
            modality: Set(Modality::Presencial),
            status: Set(CohortStatus::Closed),
            start_date: Set(start),
            end_date: Set(start + Duration::days(7 * (SESSIONS as i64 - 1))),
            enrolment_opens: Set(start - Duration::days(30)),
            enrolment_closes: Set(start - Duration::days(2)),
            seats: Set(PER_COHORT as i32),
            venue: Set(Some(format!("Alcaldía de {}", places[place].name))),
            meeting_url: Set(None),
            min_attendance_pct: Set(80),
            pass_mark_tenths: Set(30),
            cancellation_reason: Set(None),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            closed_at: Set(Some(at)),
            ..Default::default()
        });
    }
    insert_all(txn, rows).await?;
    let cohort_ids: Vec<i32> = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .filter(cohort::Column::Name.starts_with(&prefix))
        .order_by_asc(cohort::Column::Name)
        .into_tuple()
        .all(txn)
        .await?;
    let mut links = Vec::new();
    let mut sessions = Vec::new();
    for (id, (place, _, start)) in cohort_ids.iter().zip(&targets) {
        links.push(cohort_municipality::ActiveModel {
            cohort_id: Set(*id),
            municipality_code: Set(places[*place].code.clone()),
        });
        for s in 0..SESSIONS {
            let day = *start + Duration::days(7 * s as i64);
            sessions.push(cohort_session::ActiveModel {
                cohort_id: Set(*id),
                starts_at: Set(crate::time::from_local(day, 14, 0)),
                ends_at: Set(crate::time::from_local(day, 17, 0)),
                topic: Set(format!("Sesión {}", s + 1)),
                location: Set(None),
                check_in_secret: Set(format!("sintetica-{id}-{s}")),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            });
        }
    }
    insert_all(txn, links).await?;
    insert_all(txn, sessions).await?;
    let mut session_ids: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in cohort_ids.chunks(BATCH) {
        let rows: Vec<(i32, i32)> = cohort_session::Entity::find()
            .select_only()
            .column(cohort_session::Column::Id)
            .column(cohort_session::Column::CohortId)
            .filter(cohort_session::Column::CohortId.is_in(chunk.to_vec()))
            .order_by_asc(cohort_session::Column::StartsAt)
            .into_tuple()
            .all(txn)
            .await?;
        for (id, cohort_id) in rows {
            session_ids.entry(cohort_id).or_default().push(id);
        }
    }
    Ok(Cohorts {
        ids: cohort_ids,
        targets,
        sessions: session_ids,
    })
}

/// Each enrolment's marks, by (cohort, person).
type Patterns = HashMap<(i32, i32), [Mark; SESSIONS]>;

/// Enrolments with their marks decided up front (frozen results, as at closing).
async fn enrolments<C: ConnectionTrait>(
    txn: &C,
    rng: &mut StdRng,
    world: &World,
    people: &People,
    cohorts: &Cohorts,
    at: chrono::DateTime<Utc>,
) -> AppResult<Patterns> {
    let places = &world.places;
    let People {
        home,
        ids: person_ids,
    } = people;
    let Cohorts {
        ids: cohort_ids,
        targets,
        ..
    } = cohorts;
    let mut by_department: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_place: HashMap<usize, Vec<usize>> = HashMap::new();
    for (n, place) in home.iter().enumerate() {
        by_place.entry(*place).or_default().push(n);
        by_department
            .entry(places[*place].department_code.as_str())
            .or_default()
            .push(n);
    }
    // Enrolments with their marks decided up front (frozen results, as at closing).
    let mut patterns: HashMap<(i32, i32), [Mark; SESSIONS]> = HashMap::new();
    let mut rows = Vec::new();
    for (id, (place, _, _)) in cohort_ids.iter().zip(targets) {
        for person in cohort_people(rng, &by_place, &by_department, places, *place) {
            let diligence: f64 = rng.random_range(0.56..1.0);
            let mut marks = [Mark::Ausente; SESSIONS];
            for mark in &mut marks {
                let r: f64 = rng.random();
                *mark = if r < diligence {
                    if rng.random_bool(0.1) {
                        Mark::Tarde
                    } else {
                        Mark::Presente
                    }
                } else if rng.random_bool(0.3) {
                    Mark::Excusado
                } else {
                    Mark::Ausente
                };
            }
            let attended = marks.iter().filter(|m| m.counts_as_attended()).count() as i32;
            let completed = attended * 100 >= 80 * SESSIONS as i32;
            patterns.insert((*id, person_ids[person]), marks);
            rows.push(enrolment::ActiveModel {
                cohort_id: Set(*id),
                participant_id: Set(person_ids[person]),
                status: Set(if completed {
                    EnrolmentStatus::Completed
                } else {
                    EnrolmentStatus::NotCompleted
                }),
                waitlist_seq: Set(None),
                municipality_code: Set(places[home[person]].code.clone()),
                entity_type: Set("alcaldia".into()),
                eligibility_override: Set(false),
                override_reason: Set(None),
                created_by: Set(None),
                cancelled_at: Set(None),
                cancellation_reason: Set(None),
                sessions_total: Set(Some(SESSIONS as i32)),
                sessions_attended: Set(Some(attended)),
                final_grade_milli: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            });
        }
    }
    insert_all(txn, rows).await?;
    Ok(patterns)
}

/// Marks, certificates, surveys and their answers, and departures, cohort by cohort batch.
async fn records<C: ConnectionTrait>(
    txn: &C,
    rng: &mut StdRng,
    world: &World,
    cohorts: &Cohorts,
    patterns: &Patterns,
    at: chrono::DateTime<Utc>,
    summary: &mut Summary,
) -> AppResult<()> {
    let World {
        places, courses, ..
    } = world;
    let Cohorts {
        ids: cohort_ids,
        targets,
        sessions: session_ids,
    } = cohorts;
    // Marks and certificates, cohort by cohort batch.
    let course_of: HashMap<i32, &course::Model> = courses.iter().map(|c| (c.id, c)).collect();
    let cohort_info: HashMap<i32, (i32, NaiveDate)> = cohort_ids
        .iter()
        .zip(targets)
        .map(|(id, (_, course, start))| (*id, (*course, *start)))
        .collect();
    let names: HashMap<&str, &str> = places
        .iter()
        .map(|m| (m.code.as_str(), m.name.as_str()))
        .collect();
    let department_of: HashMap<&str, &str> = places
        .iter()
        .map(|m| (m.code.as_str(), m.department_code.as_str()))
        .collect();
    let mut departed: std::collections::HashSet<(i32, String)> = std::collections::HashSet::new();
    for chunk in cohort_ids.chunks(50) {
        let enrolments = enrolment::Entity::find()
            .filter(enrolment::Column::CohortId.is_in(chunk.to_vec()))
            .find_also_related(participant::Entity)
            .order_by_asc(enrolment::Column::Id)
            .all(txn)
            .await?;
        let mut marks = Vec::new();
        let mut certificates = Vec::new();
        let mut surveys = Vec::new();
        let mut responses = Vec::new();
        let mut departures = Vec::new();
        for (e, person) in enrolments {
            let (Some(pattern), Some(person)) =
                (patterns.get(&(e.cohort_id, e.participant_id)), person)
            else {
                continue;
            };
            marks.extend(enrolment_marks(&e, &session_ids[&e.cohort_id], pattern, at));
            // Issue 17: the satisfaction survey the day after the end (about 65 % answer) and
            // the follow-up 90 days later where that is before the anchor (about 40 %).
            let end = cohort_info[&e.cohort_id].1 + Duration::days(7 * (SESSIONS as i64 - 1));
            let department = department_of
                .get(e.municipality_code.as_str())
                .copied()
                .unwrap_or_default();
            for (kind, opens, rate) in survey_kinds(end) {
                let seeded = crate::surveys::seeded(
                    kind,
                    e.id,
                    e.cohort_id,
                    department,
                    crate::time::from_local(opens, 9, 0),
                    rng.random_bool(rate),
                    rng.random(),
                );
                surveys.push(seeded.survey);
                responses.extend(seeded.response);
                if seeded.left_entity
                    && departed.insert((e.participant_id, e.municipality_code.clone()))
                {
                    departures.push(entity_departure::ActiveModel {
                        participant_id: Set(e.participant_id),
                        municipality_code: Set(e.municipality_code.clone()),
                        reported_at: Set(crate::time::from_local(opens, 12, 0)),
                    });
                }
            }
            if e.status == EnrolmentStatus::Completed {
                let (course_id, start) = cohort_info[&e.cohort_id];
                let course = course_of[&course_id];
                certificates.push(synthetic_certificate(
                    rng, &e, &person, course, start, &names, at,
                ));
            }
            summary.enrolments += 1;
        }
        summary.marks += marks.len();
        summary.certificates += certificates.len();
        insert_all(txn, marks).await?;
        insert_all(txn, certificates).await?;
        summary.surveys += surveys.len();
        summary.responses += responses.len();
        insert_all(txn, surveys).await?;
        insert_all(txn, responses).await?;
        insert_all(txn, departures).await?;
    }
    Ok(())
}

/// One enrolment's attendance marks, session by session as its pattern says.
fn enrolment_marks(
    e: &enrolment::Model,
    sessions: &[i32],
    pattern: &[Mark; SESSIONS],
    at: chrono::DateTime<Utc>,
) -> Vec<attendance_mark::ActiveModel> {
    let mut marks = Vec::new();
    for (session, mark) in sessions.iter().zip(pattern) {
        marks.push(attendance_mark::ActiveModel {
            session_id: Set(*session),
            enrolment_id: Set(e.id),
            status: Set(*mark),
            note: Set(None),
            source: Set(MarkSource::Manual),
            recorded_by: Set(None),
            recorded_at: Set(at),
            ..Default::default()
        });
    }
    marks
}

/// The surveys sent for a cohort that ends on `end` (kind, opening day, answer rate): the
/// satisfaction survey, and the follow-up where it opens before the anchor.
fn survey_kinds(end: NaiveDate) -> Vec<(SurveyKind, NaiveDate, f64)> {
    let mut kinds = vec![(SurveyKind::Satisfaction, end + Duration::days(1), 0.65)];
    if end + Duration::days(crate::surveys::FOLLOW_UP_AFTER_DAYS) < anchor() {
        kinds.push((
            SurveyKind::FollowUp,
            end + Duration::days(crate::surveys::FOLLOW_UP_AFTER_DAYS),
            0.4,
        ));
    }
    kinds
}

/// The certificate of a completed enrolment, with a random code.
fn synthetic_certificate(
    rng: &mut StdRng,
    e: &enrolment::Model,
    person: &participant::Model,
    course: &course::Model,
    start: NaiveDate,
    names: &HashMap<&str, &str>,
    at: chrono::DateTime<Utc>,
) -> certificate::ActiveModel {
    let symbols: Vec<u8> = (0..crate::certificates::code::SYMBOLS)
        .map(|_| {
            let alphabet = crate::certificates::code::ALPHABET;
            alphabet[rng.random_range(0..alphabet.len())]
        })
        .collect();
    certificate::ActiveModel {
        code: Set(crate::certificates::code::with_dashes(&symbols)),
        enrolment_id: Set(e.id),
        cohort_id: Set(e.cohort_id),
        participant_id: Set(person.id),
        status: Set(CertificateStatus::Valid),
        full_name: Set(person.full_name()),
        document_type: Set(person.document_type),
        document_number: Set(person.document_number.clone()),
        course_code: Set(course.code.clone()),
        course_name: Set(course.name.clone()),
        capacity_names: Set(String::new()),
        hours: Set(course.hours),
        start_date: Set(start),
        end_date: Set(start + Duration::days(7 * (SESSIONS as i64 - 1))),
        municipality_code: Set(e.municipality_code.clone()),
        municipality_name: Set(names
            .get(e.municipality_code.as_str())
            .map(|n| n.to_string())
            .unwrap_or_default()),
        department_name: Set(String::new()),
        final_grade_milli: Set(None),
        sessions_attended: Set(e.sessions_attended.unwrap_or(0)),
        sessions_total: Set(SESSIONS as i32),
        issuer: Set("ESAP".into()),
        issued_at: Set(at),
        issued_by: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revocation_reason: Set(None),
        superseded_by_id: Set(None),
        ..Default::default()
    }
}
