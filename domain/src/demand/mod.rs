//! Municipal demand (issue 16): what an alcaldía asks ESAP to train it in, and its path
//! open → planned (a cohort answers it) → met (people of the municipality completed that
//! cohort), or declined with a reason.
//!
//! Who raises a demand: the municipality's liaison (enlace municipal), a gobernación reviewer
//! for a municipality of their department (their demand counts as endorsed), or a coordinator
//! (a direction's coordinator within its departments). Issue 49: a demand is an entity's
//! ([`AssistedEntity`], the alcaldía unless told); a gobernación's demand has its department
//! and no municipality, and only its department's reviewer and ESAP staff raise and read it. Who sees it: [`DemandScope`], the same
//! territory rule as reports, applied in every query (out of scope → 404). Every change is
//! audited; the author is emailed when the demand is planned, met or declined.
//!
//! Issue 32: a demand can be pointed (referred) to the provider that can answer it
//! ([`referrals`]), and an open demand nobody planned for [`STALE_AFTER_DAYS`] is flagged
//! stale ([`is_stale`], the one rule every view uses).

pub mod demo;
pub mod planning;
pub mod referrals;
pub mod reports;
pub mod workbook;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{
    AssistedEntity, DemandPriority, DemandStatus, DescriptorSubject, Modality, Role,
};
use crate::entities::{capacity, demand, municipality, user};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Email, Notifier};
use crate::rows::Found;
use crate::rows::Rows;
use crate::{parse, validate};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The most people one demand may ask to train.
pub const MAX_PEOPLE: i64 = 10_000;

/// Days an open demand may wait with nothing planned before it is flagged stale.
pub const STALE_AFTER_DAYS: i64 = 60;

/// Whole days between the day a demand was raised and the day of `now`, both as read in
/// Colombia (the «hace N días» people see).
pub fn age_days(created_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (crate::time::local(now).date_naive() - crate::time::local(created_at).date_naive()).num_days()
}

/// The stale rule (issue 32), the one place it is decided: a demand still open
/// [`STALE_AFTER_DAYS`] days after it was raised, with nothing planned for it (no cohort), is
/// stale at `now`. Planned, met and declined demands never are.
pub fn is_stale(demand: &demand::Model, now: DateTime<Utc>) -> bool {
    demand.status == DemandStatus::Open
        && demand.cohort_id.is_none()
        && age_days(demand.created_at, now) >= STALE_AFTER_DAYS
}

/// Which demands a caller may see (and act on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemandScope {
    /// National coordinators and admins.
    All,
    /// A territorial direction's coordinator: its departments.
    Departments(Vec<String>),
    /// A gobernación reviewer.
    Department(String),
    /// A liaison: their municipality.
    Municipality(String),
}

impl DemandScope {
    /// Instructors and participants have no business with demand: 403.
    pub fn of(user: &Actor) -> AppResult<Self> {
        match user.role {
            Role::Admin => Ok(DemandScope::All),
            Role::Coordinator => Ok(match user.direction_departments() {
                Some(codes) => DemandScope::Departments(codes.to_vec()),
                None => DemandScope::All,
            }),
            // Without a territory, nothing (never everything).
            Role::Reviewer => Ok(DemandScope::Department(
                user.department_code.clone().unwrap_or_default(),
            )),
            Role::Liaison => Ok(DemandScope::Municipality(
                user.municipality_code.clone().unwrap_or_default(),
            )),
            Role::Instructor | Role::Participant => Err(AppError::Forbidden),
        }
    }

    /// Whether a place (a municipality by its DANE code, or none for a gobernación, and its
    /// department) lies in the scope: a liaison's covers no gobernación.
    pub fn covers(&self, municipality_code: Option<&str>, department_code: &str) -> bool {
        match self {
            DemandScope::All => true,
            DemandScope::Departments(codes) => codes.iter().any(|c| c == department_code),
            DemandScope::Department(code) => code == department_code,
            DemandScope::Municipality(code) => municipality_code == Some(code.as_str()),
        }
    }

    /// The demands in scope, as a condition on `demands`.
    /// A liaison's never holds a gobernación's demand (it has no municipality).
    pub fn condition(&self) -> Condition {
        let in_departments =
            |codes: Vec<String>| Condition::all().add(demand::Column::DepartmentCode.is_in(codes));
        match self {
            DemandScope::All => Condition::all(),
            DemandScope::Departments(codes) => in_departments(codes.clone()),
            DemandScope::Department(code) => in_departments(vec![code.clone()]),
            DemandScope::Municipality(code) => {
                Condition::all().add(demand::Column::MunicipalityCode.eq(code.as_str()))
            }
        }
    }
}

/// What a caller sends to raise a demand (all fields but `priority`, which defaults to
/// «media») or to change one (any subset; `status` and `reason` to decline it).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DemandInput {
    /// Which entity asks (issue 49); `alcaldia` when left out on creation.
    #[schema(value_type = Option<AssistedEntity>)]
    pub entity_type: Option<String>,
    /// The municipality, for every entity but a gobernación.
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    /// The department (DANE code), for a gobernación only.
    #[schema(example = "18")]
    pub department_code: Option<String>,
    pub capacity_id: Option<i32>,
    #[schema(max_length = 160, example = "Formulación de proyectos para regalías")]
    pub topic: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    #[schema(minimum = 1, maximum = 10000, example = 12)]
    pub people_estimate: Option<i64>,
    #[schema(value_type = Option<Modality>)]
    pub modality: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub wanted_from: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub wanted_to: Option<String>,
    #[schema(value_type = Option<DemandPriority>)]
    pub priority: Option<String>,
    /// PATCH by a coordinator: `declined` (with `reason`).
    #[schema(value_type = Option<DemandStatus>)]
    pub status: Option<String>,
    /// Why it was declined; told to the author.
    pub reason: Option<String>,
    /// Active sectors (`GET /sectors`) the demand is about; on PATCH replaces them. Issue 49.
    #[schema(max_items = 5000)]
    pub sector_ids: Option<Vec<i32>>,
    /// Active population groups (`GET /population-groups`); on PATCH replaces them.
    #[schema(max_items = 5000)]
    pub population_group_ids: Option<Vec<i32>>,
}

impl DemandInput {
    fn descriptors(&self) -> crate::descriptors::Chosen<'_> {
        crate::descriptors::Chosen {
            sector_ids: self.sector_ids.as_deref(),
            population_group_ids: self.population_group_ids.as_deref(),
        }
    }
}

/// A demand as people and the API see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Demand)]
pub struct DemandView {
    pub id: i32,
    /// None for a gobernación's.
    #[schema(example = "18256")]
    pub municipality_code: Option<String>,
    pub municipality_name: Option<String>,
    pub department_code: String,
    pub department_name: String,
    /// Who asks, as people read it: the municipality's name, or «Gobernación de Caquetá»
    /// (issue 49).
    pub place_name: String,
    /// Which entity asks.
    pub entity_type: AssistedEntity,
    /// The entity in Spanish («Gobernación»).
    pub entity_label: &'static str,
    pub capacity_id: i32,
    pub capacity_name: String,
    pub topic: String,
    pub description: String,
    pub people_estimate: i32,
    pub modality: Modality,
    /// The modality in Spanish («Mixta»).
    pub modality_label: &'static str,
    pub wanted_from: NaiveDate,
    pub wanted_to: NaiveDate,
    pub priority: DemandPriority,
    /// The priority in Spanish («Alta»).
    pub priority_label: &'static str,
    pub status: DemandStatus,
    /// «Abierta», «Planeada», «Atendida», «Declinada».
    pub status_label: &'static str,
    pub decline_reason: Option<String>,
    /// The cohort planned to answer it.
    pub cohort_id: Option<i32>,
    /// The id of who raised it.
    pub created_by: i32,
    pub created_by_name: String,
    pub endorsed: bool,
    pub endorsed_by_name: Option<String>,
    pub endorsed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
    pub planned_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub met_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Days since it was raised.
    pub age_days: i64,
    /// Still open [`STALE_AFTER_DAYS`] days or more after it was raised, with nothing planned
    /// (issue 32).
    pub stale: bool,
    /// The providers it was pointed to, oldest first.
    pub referrals: Vec<referrals::ReferralView>,
    /// CONPES's sectoral descriptors.
    pub sectors: Vec<crate::descriptors::DescriptorRef>,
    /// CONPES's population descriptors.
    pub population_groups: Vec<crate::descriptors::DescriptorRef>,
}

fn local(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::FixedOffset> {
    crate::time::local(at).fixed_offset()
}

/// The municipalities of these demands, by DANE code.
async fn places_of<C: ConnectionTrait>(
    db: &C,
    rows: &[demand::Model],
) -> AppResult<HashMap<String, municipality::Model>> {
    let codes: Vec<String> = rows
        .iter()
        .filter_map(|d| d.municipality_code.clone())
        .collect();
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all_mapped(db, |m| (m.code.clone(), m))
        .await?)
}

/// The views of `rows`, with names read in a few queries.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<demand::Model>,
) -> AppResult<Vec<DemandView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let places = places_of(db, &rows).await?;
    let departments = crate::territory::department_names(db).await?;
    let capacities: HashMap<i32, String> =
        crate::capacities::names(db).await?.into_iter().collect();
    let people: Vec<i32> = rows
        .iter()
        .flat_map(|d| std::iter::once(d.created_by).chain(d.endorsed_by))
        .collect();
    let names = crate::accounts::names(db, people).await?;
    let now = crate::time::now();
    let ids: Vec<i32> = rows.iter().map(|d| d.id).collect();
    let mut referred = referrals::of_demands(db, &ids).await?;
    let mut tags = crate::descriptors::of(db, DescriptorSubject::Demand, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let stale = is_stale(&d, now);
            let municipality_name = d
                .municipality_code
                .as_ref()
                .map(|code| places.get(code).map(|m| m.name.clone()).unwrap_or_default());
            let department_name = departments
                .get(&d.department_code)
                .cloned()
                .unwrap_or_default();
            let tags = tags.remove(&d.id).unwrap_or_default();
            DemandView {
                sectors: tags.sectors,
                population_groups: tags.population_groups,
                id: d.id,
                place_name: municipality_name
                    .clone()
                    .unwrap_or_else(|| governorate_name(&department_name)),
                municipality_name,
                department_name,
                department_code: d.department_code,
                municipality_code: d.municipality_code,
                entity_type: d.entity_type,
                entity_label: d.entity_type.label(),
                capacity_name: capacities.get(&d.capacity_id).cloned().unwrap_or_default(),
                capacity_id: d.capacity_id,
                topic: d.topic,
                description: d.description,
                people_estimate: d.people_estimate,
                modality: d.modality,
                modality_label: d.modality.label(),
                wanted_from: d.wanted_from,
                wanted_to: d.wanted_to,
                priority: d.priority,
                priority_label: d.priority.label(),
                status: d.status,
                status_label: d.status.label(),
                decline_reason: d.decline_reason,
                cohort_id: d.cohort_id,
                created_by: d.created_by,
                created_by_name: names.get(&d.created_by).cloned().unwrap_or_default(),
                endorsed: d.endorsed_by.is_some(),
                endorsed_by_name: d.endorsed_by.and_then(|id| names.get(&id).cloned()),
                endorsed_at: d.endorsed_at.map(local),
                age_days: age_days(d.created_at, now),
                stale,
                referrals: referred.remove(&d.id).unwrap_or_default(),
                created_at: local(d.created_at),
                updated_at: local(d.updated_at),
                planned_at: d.planned_at.map(local),
                met_at: d.met_at.map(local),
            }
        })
        .collect())
}

pub async fn view<C: ConnectionTrait>(db: &C, row: demand::Model) -> AppResult<DemandView> {
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("demanda sin vista".into()))
}

/// How people read a gobernación by its department's name («Gobernación de Caquetá»).
pub fn governorate_name(department_name: &str) -> String {
    format!("Gobernación de {department_name}")
}

/// Who asks, as people read it: the municipality's name, or «Gobernación de …» (issue 49).
pub async fn place_label<C: ConnectionTrait>(db: &C, demand: &demand::Model) -> AppResult<String> {
    Ok(match &demand.municipality_code {
        Some(code) => municipality::Entity::find_by_id(code.clone())
            .one(db)
            .await?
            .map(|m| m.name)
            .unwrap_or_default(),
        None => {
            governorate_name(&crate::territory::department_name(db, &demand.department_code).await?)
        }
    })
}

/// The demand if the caller's scope covers it; otherwise 404, as if it did not exist.
pub async fn find_in_scope<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
) -> AppResult<demand::Model> {
    let scope = DemandScope::of(user)?;
    demand::Entity::find_by_id(id)
        .filter(scope.condition())
        .found(db)
        .await
}

/// The municipalities a caller may raise demands for, by name (a direction: its departments';
/// a reviewer: their department's; a liaison: theirs).
pub async fn municipalities_in_scope<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
) -> AppResult<Vec<municipality::Model>> {
    let query = municipality::Entity::find().order_by_asc(municipality::Column::Name);
    let query = match DemandScope::of(user)? {
        DemandScope::All => query,
        DemandScope::Departments(codes) => {
            query.filter(municipality::Column::DepartmentCode.is_in(codes))
        }
        DemandScope::Department(code) => {
            query.filter(municipality::Column::DepartmentCode.eq(code))
        }
        DemandScope::Municipality(code) => query.filter(municipality::Column::Code.eq(code)),
    };
    Ok(query.all(db).await?)
}

/// A municipality's open demand for a capacity (or for all), as «¿Dónde formar?» weighs it.
#[derive(Clone, Debug, Default)]
pub struct OpenDemand {
    pub demands: i64,
    pub people: i64,
    /// Endorsed by the gobernación or of high priority.
    pub backed: bool,
}

/// Open demand per municipality (DANE code), for `capacity` or for every capacity.
pub async fn open_by_municipality<C: ConnectionTrait>(
    db: &C,
    capacity: Option<i32>,
) -> AppResult<HashMap<String, OpenDemand>> {
    let mut query = demand::Entity::find().filter(demand::Column::Status.eq(DemandStatus::Open));
    if let Some(id) = capacity {
        query = query.filter(demand::Column::CapacityId.eq(id));
    }
    let mut out: HashMap<String, OpenDemand> = HashMap::new();
    // A gobernación's demand is no municipality's (issue 49).
    for row in query.all(db).await? {
        let Some(code) = row.municipality_code else {
            continue;
        };
        let entry = out.entry(code).or_default();
        entry.demands += 1;
        entry.people += i64::from(row.people_estimate);
        entry.backed |= row.endorsed_by.is_some() || row.priority == DemandPriority::Alta;
    }
    Ok(out)
}

/// A municipality's demands in the caller's scope, newest first, without names (one query: the
/// municipality's page names them from what it already has).
pub async fn of_municipality<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    municipality_code: &str,
) -> AppResult<Vec<demand::Model>> {
    Ok(demand::Entity::find()
        .filter(DemandScope::of(user)?.condition())
        .filter(demand::Column::MunicipalityCode.eq(municipality_code))
        .order_by_desc(demand::Column::CreatedAt)
        .order_by_desc(demand::Column::Id)
        .all(db)
        .await?)
}

/// How many open demands the caller's scope holds (the home pages' figure).
pub async fn open_count<C: ConnectionTrait>(db: &C, user: &Actor) -> AppResult<u64> {
    Ok(demand::Entity::find()
        .filter(DemandScope::of(user)?.condition())
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .count(db)
        .await?)
}

/// The caller's stale demands ([`is_stale`] at `now`), oldest first: how many there are, and
/// the first `limit` of them as views (the home pages' list).
pub async fn stale<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    now: DateTime<Utc>,
    limit: usize,
) -> AppResult<(usize, Vec<DemandView>)> {
    let mut rows: Vec<demand::Model> = demand::Entity::find()
        .filter(DemandScope::of(user)?.condition())
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .filter(demand::Column::CohortId.is_null())
        .order_by_asc(demand::Column::CreatedAt)
        .order_by_asc(demand::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|d| is_stale(d, now))
        .collect();
    let count = rows.len();
    rows.truncate(limit);
    Ok((count, views(db, rows).await?))
}

/// Filters of the list (the API and the pages).
#[derive(Clone, Debug, Default)]
pub struct DemandFilter {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity_id: Option<i32>,
    pub status: Option<DemandStatus>,
    /// Only the demands pointed to this provider (issue 32).
    pub provider_id: Option<i32>,
    /// Only the demands about this sector (issue 49).
    pub sector_id: Option<i32>,
}

/// The caller's demands, newest first; filters outside the scope give an empty page.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    filter: &DemandFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<DemandView>, u64)> {
    let scope = DemandScope::of(user)?;
    let mut condition = scope.condition();
    if let Some(code) = crate::reports::non_empty(&filter.department) {
        condition = condition.add(demand::Column::DepartmentCode.eq(code));
    }
    if let Some(code) = crate::reports::non_empty(&filter.municipality) {
        condition = condition.add(demand::Column::MunicipalityCode.eq(code));
    }
    if let Some(id) = filter.capacity_id {
        condition = condition.add(demand::Column::CapacityId.eq(id));
    }
    if let Some(status) = filter.status {
        condition = condition.add(demand::Column::Status.eq(status));
    }
    if let Some(provider) = filter.provider_id {
        condition = condition.add(referrals::pointed_to(provider));
    }
    if let Some(sector) = filter.sector_id {
        condition = condition.add(crate::descriptors::tagged(
            demand::Column::Id,
            DescriptorSubject::Demand,
            sector,
        ));
    }
    let paginator = demand::Entity::find()
        .filter(condition)
        .order_by_desc(demand::Column::CreatedAt)
        .order_by_desc(demand::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows).await?, total))
}

/// The checked fields of a demand (every problem at once).
struct Fields {
    entity_type: AssistedEntity,
    /// The municipality (None for a gobernación) and the department.
    place: Option<(Option<municipality::Model>, String)>,
    capacity_id: Option<i32>,
    topic: Option<String>,
    description: Option<String>,
    people_estimate: Option<i32>,
    modality: Option<Modality>,
    wanted_from: Option<NaiveDate>,
    wanted_to: Option<NaiveDate>,
    priority: Option<DemandPriority>,
}

async fn check<C: ConnectionTrait>(
    db: &C,
    scope: &DemandScope,
    input: &DemandInput,
    current: Option<&demand::Model>,
) -> AppResult<Fields> {
    let creating = current.is_none();
    let mut errors = Vec::new();
    let (entity_type, place) = check_place(db, scope, input, current, &mut errors).await?;
    let capacity_id = check_capacity(db, input, creating, &mut errors).await?;
    let topic = check_text(
        "topic",
        &input.topic,
        validate::TITLE_MAX,
        false,
        creating,
        &mut errors,
    );
    let description = check_text(
        "description",
        &input.description,
        validate::DESCRIPTION_MAX,
        true,
        creating,
        &mut errors,
    );
    let people_estimate = check_people(input, creating, &mut errors);
    let modality = check_modality(input, creating, &mut errors);
    let (wanted_from, wanted_to) = check_period(input, current, creating, &mut errors);
    let priority = check_priority(input, creating, &mut errors);
    let carried = match current {
        Some(c) => crate::descriptors::current(db, DescriptorSubject::Demand, c.id).await?,
        None => Vec::new(),
    };
    crate::descriptors::check(db, input.descriptors(), &carried, &mut errors).await?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Fields {
        entity_type,
        place,
        capacity_id,
        topic,
        description,
        people_estimate,
        modality,
        wanted_from,
        wanted_to,
        priority,
    })
}

/// The place of a demand under `Fields::place`.
type Place = Option<(Option<municipality::Model>, String)>;

/// The kind of entity and its place, and whether the user's scope covers that place.
async fn check_place<C: ConnectionTrait>(
    db: &C,
    scope: &DemandScope,
    input: &DemandInput,
    current: Option<&demand::Model>,
    errors: &mut Vec<FieldError>,
) -> AppResult<(AssistedEntity, Place)> {
    let entity_type = crate::territory::entity_kind(
        input.entity_type.as_deref(),
        current.map(|c| c.entity_type),
        errors,
    );
    let place = crate::territory::entity_place(
        db,
        entity_type,
        input.municipality_code.as_deref(),
        input.department_code.as_deref(),
        current.map(|c| (c.municipality_code.as_deref(), c.department_code.as_str())),
        errors,
    )
    .await?;
    if let Some((municipality, department)) = &place {
        let code = municipality.as_ref().map(|m| m.code.as_str());
        if !scope.covers(code, department) {
            errors.push(match (code, scope) {
                (None, DemandScope::Municipality(_)) => FieldError::new(
                    "entity_type",
                    "La demanda de una gobernación la registra su revisor departamental o ESAP, \
                     no el enlace de un municipio.",
                ),
                (None, _) => FieldError::new(
                    "department_code",
                    "Solo puede registrar demandas de la gobernación de su territorio.",
                ),
                (Some(_), _) => FieldError::new(
                    "municipality_code",
                    "Solo puede registrar demandas de los municipios de su territorio.",
                ),
            });
        }
    }
    Ok((entity_type, place))
}

/// The capacity to strengthen: it must exist, and a new demand must name one.
async fn check_capacity<C: ConnectionTrait>(
    db: &C,
    input: &DemandInput,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<i32>> {
    let mut capacity_id = None;
    match input.capacity_id {
        Some(id) => {
            if capacity::Entity::find_by_id(id).one(db).await?.is_some() {
                capacity_id = Some(id);
            } else {
                errors.push(FieldError::new("capacity_id", "La capacidad no existe."));
            }
        }
        None if creating => errors.push(FieldError::new(
            "capacity_id",
            "Indique la capacidad que se quiere fortalecer.",
        )),
        None => {}
    }
    Ok(capacity_id)
}

/// A text field (single or multi line): not empty, within `max`, required when creating.
fn check_text(
    field: &str,
    value: &Option<String>,
    max: usize,
    multi: bool,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match value {
        Some(v) => {
            let checked = if multi {
                validate::multi_line(field, v, max)
            } else {
                validate::single_line(field, v, max)
            };
            validate::required(field, checked, "Este campo no puede quedar vacío.", errors)
        }
        None if creating => {
            errors.push(FieldError::new(field, "Este campo es obligatorio."));
            None
        }
        None => None,
    }
}

/// How many people would be trained: between 1 and `MAX_PEOPLE`, required when creating.
fn check_people(input: &DemandInput, creating: bool, errors: &mut Vec<FieldError>) -> Option<i32> {
    let mut people_estimate = None;
    match input.people_estimate {
        Some(n) if (1..=MAX_PEOPLE).contains(&n) => people_estimate = Some(n as i32),
        Some(_) => errors.push(FieldError::new(
            "people_estimate",
            "Las personas a formar deben estar entre 1 y 10.000.",
        )),
        None if creating => errors.push(FieldError::new(
            "people_estimate",
            "Indique cuántas personas se formarían.",
        )),
        None => {}
    }
    people_estimate
}

/// The modality: presencial, virtual or mixta, required when creating.
fn check_modality(
    input: &DemandInput,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> Option<Modality> {
    let mut modality = None;
    match input.modality.as_deref().map(str::trim) {
        Some(text) => match Modality::parse(text) {
            Some(m) => modality = Some(m),
            None => errors.push(FieldError::new(
                "modality",
                "La modalidad debe ser presencial, virtual o mixta.",
            )),
        },
        None if creating => errors.push(FieldError::new("modality", "Indique la modalidad.")),
        None => {}
    }
    modality
}

/// The wanted period: both dates, in order, and a newly given end not in the past.
fn check_period(
    input: &DemandInput,
    current: Option<&demand::Model>,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let wanted_from = parse::date(
        "wanted_from",
        input.wanted_from.as_deref(),
        creating,
        errors,
    );
    let wanted_to = parse::date("wanted_to", input.wanted_to.as_deref(), creating, errors);
    let from = wanted_from.or(current.map(|c| c.wanted_from));
    let to = wanted_to.or(current.map(|c| c.wanted_to));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(FieldError::new(
                "wanted_to",
                "El final del periodo deseado no puede ser anterior a su inicio.",
            ));
        } else if wanted_to.is_some() && t < crate::time::today() {
            errors.push(FieldError::new(
                "wanted_to",
                "El periodo deseado ya pasó: indique fechas futuras.",
            ));
        }
    }
    (wanted_from, wanted_to)
}

/// The priority: alta, media or baja; a new demand without one is media.
fn check_priority(
    input: &DemandInput,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> Option<DemandPriority> {
    let mut priority = None;
    match input.priority.as_deref().map(str::trim) {
        Some(text) => match DemandPriority::parse(text) {
            Some(p) => priority = Some(p),
            None => errors.push(FieldError::new(
                "priority",
                "La prioridad debe ser alta, media o baja.",
            )),
        },
        None if creating => priority = Some(DemandPriority::Media),
        None => {}
    }
    priority
}

/// Every problem the demand's rules find in `input`, without writing anything: for a form that
/// could not read one of its fields (a number typed in words) and must still say everything
/// else that is wrong at once (issue 45).
pub async fn problems_of<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &DemandInput,
) -> AppResult<Vec<FieldError>> {
    let scope = DemandScope::of(user)?;
    match check(db, &scope, input, None).await {
        Ok(_) => Ok(Vec::new()),
        Err(AppError::Validation(errors)) => Ok(errors),
        Err(other) => Err(other),
    }
}

/// Raises a demand (open), audited. A reviewer's own demand counts as endorsed by the
/// gobernación.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    input: &DemandInput,
) -> AppResult<DemandView> {
    let scope = DemandScope::of(user)?;
    if input.status.is_some() || input.reason.is_some() {
        return Err(AppError::invalid(
            "status",
            "Una demanda nueva empieza abierta: omita el estado.",
        ));
    }
    let fields = check(db, &scope, input, None).await?;
    let (Some((municipality, department_code)), Some(capacity_id), Some(topic), Some(description)) = (
        fields.place,
        fields.capacity_id,
        fields.topic,
        fields.description,
    ) else {
        return Err(AppError::Internal("demanda incompleta tras validar".into()));
    };
    let at = crate::time::now();
    let endorsed = user.role == Role::Reviewer;
    let saved = demand::ActiveModel {
        municipality_code: Set(municipality.map(|m| m.code)),
        department_code: Set(department_code),
        entity_type: Set(fields.entity_type),
        capacity_id: Set(capacity_id),
        topic: Set(topic),
        description: Set(description),
        people_estimate: Set(fields.people_estimate.unwrap_or(1)),
        modality: Set(fields.modality.unwrap_or(Modality::Presencial)),
        wanted_from: Set(fields.wanted_from.unwrap_or_default()),
        wanted_to: Set(fields.wanted_to.unwrap_or_default()),
        priority: Set(fields.priority.unwrap_or(DemandPriority::Media)),
        status: Set(DemandStatus::Open),
        decline_reason: Set(None),
        cohort_id: Set(None),
        created_by: Set(user.id),
        endorsed_by: Set(endorsed.then_some(user.id)),
        endorsed_at: Set(endorsed.then_some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        planned_at: Set(None),
        met_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::descriptors::set(db, DescriptorSubject::Demand, saved.id, input.descriptors()).await?;
    let view = view(db, saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action: "demand.created",
            subject_type: "demand",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Changes a demand: its author while it is open (any field), or a coordinator declining it
/// with a reason (the author is emailed). Planned, met and declined demands are history for
/// their authors (409); `planned` and `met` come from cohorts, never from here (422).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    user: &Actor,
    id: i32,
    input: &DemandInput,
) -> AppResult<DemandView> {
    let current = find_in_scope(db, user, id).await?;
    let scope = DemandScope::of(user)?;
    let before = view(db, current.clone()).await?;
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match DemandStatus::parse(text) {
            Some(DemandStatus::Declined) => Some(DemandStatus::Declined),
            Some(s) if s == current.status => None,
            _ => {
                return Err(AppError::invalid(
                    "status",
                    "Solo se puede declinar una demanda («declined»); se planea al vincularla \
                     a una cohorte y se atiende al cerrarla.",
                ));
            }
        },
    };
    let mut model: demand::ActiveModel = current.clone().into();
    let at = crate::time::now();
    let action;
    if status == Some(DemandStatus::Declined) {
        if !user.is_staff() {
            return Err(AppError::Forbidden);
        }
        if current.status != DemandStatus::Open {
            return Err(AppError::Conflict(format!(
                "La demanda está {}: solo se declina una demanda abierta.",
                current.status.label().to_lowercase()
            )));
        }
        let reason = input
            .reason
            .as_deref()
            .map(|r| validate::single_line("reason", r, validate::REASON_MAX))
            .transpose()
            .map_err(|e| AppError::Validation(vec![e]))?
            .flatten()
            .ok_or_else(|| {
                AppError::invalid(
                    "reason",
                    "Diga por qué se declina: se le informa a quien la pidió.",
                )
            })?;
        model.status = Set(DemandStatus::Declined);
        model.decline_reason = Set(Some(reason.clone()));
        action = "demand.declined";
        tell_author(
            db,
            notifier,
            &current,
            Outcome::Declined { reason: &reason },
        )
        .await?;
    } else {
        if current.created_by != user.id {
            return Err(AppError::Forbidden);
        }
        if current.status != DemandStatus::Open {
            return Err(AppError::Conflict(format!(
                "La demanda está {}: ya no se puede modificar.",
                current.status.label().to_lowercase()
            )));
        }
        let fields = check(db, &scope, input, Some(&current)).await?;
        if let Some((municipality, department)) = fields.place {
            model.municipality_code = Set(municipality.map(|m| m.code));
            model.department_code = Set(department);
        }
        model.entity_type = Set(fields.entity_type);
        if let Some(v) = fields.capacity_id {
            model.capacity_id = Set(v);
        }
        if let Some(v) = fields.topic {
            model.topic = Set(v);
        }
        if let Some(v) = fields.description {
            model.description = Set(v);
        }
        if let Some(v) = fields.people_estimate {
            model.people_estimate = Set(v);
        }
        if let Some(v) = fields.modality {
            model.modality = Set(v);
        }
        if let Some(v) = fields.wanted_from {
            model.wanted_from = Set(v);
        }
        if let Some(v) = fields.wanted_to {
            model.wanted_to = Set(v);
        }
        if let Some(v) = fields.priority {
            model.priority = Set(v);
        }
        crate::descriptors::set(db, DescriptorSubject::Demand, id, input.descriptors()).await?;
        action = "demand.updated";
    }
    model.updated_at = Set(at);
    let saved = model.update(db).await?;
    let after = view(db, saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(user.id),
            action,
            subject_type: "demand",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}

/// Whether the gobernación backs a demand (`demand.endorsed`).
#[derive(Serialize)]
struct Endorsement {
    endorsed: bool,
}

/// The gobernación backs a demand of one of its municipalities (a reviewer of its department);
/// once. Met and declined demands are history (409).
pub async fn endorse<C: ConnectionTrait>(db: &C, user: &Actor, id: i32) -> AppResult<DemandView> {
    let current = find_in_scope(db, user, id).await?;
    if user.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    if current.endorsed_by.is_some() {
        return Err(AppError::Conflict(
            "La gobernación ya respaldó esta demanda.".into(),
        ));
    }
    if matches!(current.status, DemandStatus::Met | DemandStatus::Declined) {
        return Err(AppError::Conflict(format!(
            "La demanda está {}: ya no se puede respaldar.",
            current.status.label().to_lowercase()
        )));
    }
    let at = crate::time::now();
    let mut model: demand::ActiveModel = current.into();
    model.endorsed_by = Set(Some(user.id));
    model.endorsed_at = Set(Some(at));
    model.updated_at = Set(at);
    let saved = planning::save_audited(
        db,
        Some(user.id),
        "demand.endorsed",
        model,
        Endorsement { endorsed: false },
        |_| Endorsement { endorsed: true },
    )
    .await?;
    view(db, saved).await
}

/// What happened to a demand, as its author is told.
pub(crate) enum Outcome<'a> {
    Planned {
        cohort: &'a str,
        start_date: NaiveDate,
    },
    Met {
        cohort: &'a str,
        completed: u64,
    },
    Declined {
        reason: &'a str,
    },
    /// A provider's technical assistance answers it (issue 33).
    PlannedByAssistance {
        assistance_id: i32,
        provider: &'a str,
        starts_on: NaiveDate,
    },
    /// A technical assistance that answered it closed with its objective reached.
    MetByAssistance {
        assistance_id: i32,
        provider: &'a str,
    },
}

#[derive(Serialize)]
struct DemandNews<'a> {
    full_name: &'a str,
    topic: &'a str,
    municipality: String,
    /// «planeada», «atendida» or «declinada».
    state: &'static str,
    cohort: Option<&'a str>,
    start_date: Option<String>,
    completed: Option<String>,
    reason: Option<&'a str>,
    /// The provider of the technical assistance that answers it.
    assistance_provider: Option<&'a str>,
    demand_id: i32,
}

impl mail::Message for DemandNews<'_> {
    const TEMPLATE: &'static str = "demand_news";

    fn subject(&self) -> String {
        format!("Su demanda de formación fue {}: {}", self.state, self.topic)
    }
}

/// Emails the demand's author (through the outbox, once per demand and outcome).
pub(crate) async fn tell_author<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier<'_>,
    demand: &demand::Model,
    outcome: Outcome<'_>,
) -> AppResult<()> {
    let Some(author) = user::Entity::find_by_id(demand.created_by).one(db).await? else {
        return Ok(());
    };
    let municipality = place_label(db, demand).await?;
    let mut news = DemandNews {
        full_name: &author.full_name,
        topic: &demand.topic,
        municipality,
        state: "",
        cohort: None,
        start_date: None,
        completed: None,
        reason: None,
        assistance_provider: None,
        demand_id: demand.id,
    };
    let key = match outcome {
        Outcome::Planned { cohort, start_date } => {
            news.state = "planeada";
            news.cohort = Some(cohort);
            news.start_date = Some(crate::format::date(start_date));
            format!(
                "demand_planned:{}:{}",
                demand.id,
                demand.cohort_id.unwrap_or_default()
            )
        }
        Outcome::Met { cohort, completed } => {
            news.state = "atendida";
            news.cohort = Some(cohort);
            news.completed = Some(crate::format::thousands(completed as i64));
            format!("demand_met:{}", demand.id)
        }
        Outcome::Declined { reason } => {
            news.state = "declinada";
            news.reason = Some(reason);
            format!("demand_declined:{}", demand.id)
        }
        Outcome::PlannedByAssistance {
            assistance_id,
            provider,
            starts_on,
        } => {
            news.state = "planeada";
            news.assistance_provider = Some(provider);
            news.start_date = Some(crate::format::date(starts_on));
            format!("demand_planned_assistance:{}:{assistance_id}", demand.id)
        }
        Outcome::MetByAssistance {
            assistance_id,
            provider,
        } => {
            news.state = "atendida";
            news.assistance_provider = Some(provider);
            format!("demand_met_assistance:{}:{assistance_id}", demand.id)
        }
    };
    let email = Email::of(author.email.clone(), &news)?.once(key);
    mail::enqueue(db, notifier, email).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn open_demand(created_at: DateTime<Utc>) -> demand::Model {
        demand::Model {
            id: 1,
            municipality_code: Some("18256".into()),
            department_code: "18".into(),
            entity_type: AssistedEntity::Alcaldia,
            capacity_id: 1,
            topic: "Plan indicativo".into(),
            description: "Seguimiento a metas".into(),
            people_estimate: 10,
            modality: Modality::Mixta,
            wanted_from: created_at.date_naive(),
            wanted_to: created_at.date_naive(),
            priority: DemandPriority::Media,
            status: DemandStatus::Open,
            decline_reason: None,
            cohort_id: None,
            created_by: 1,
            endorsed_by: None,
            endorsed_at: None,
            created_at,
            updated_at: created_at,
            planned_at: None,
            met_at: None,
        }
    }

    #[test]
    fn an_open_demand_nobody_planned_turns_stale_on_its_sixtieth_day() {
        // Raised at 10:00 in Bogotá on 1 March 2026.
        let raised = Utc.with_ymd_and_hms(2026, 3, 1, 15, 0, 0).unwrap();
        let demand = open_demand(raised);
        assert!(!is_stale(&demand, raised));
        // The clock moves: 59 days later (even at the last minute of that day) it is not.
        let day_59 = raised + Duration::days(59);
        assert!(!is_stale(&demand, day_59));
        assert!(!is_stale(
            &demand,
            crate::time::from_local(crate::time::local(day_59).date_naive(), 23, 59)
        ));
        // From the first minute of day 60 in Bogotá it is.
        let day_60 = crate::time::from_local(
            crate::time::local(raised + Duration::days(60)).date_naive(),
            0,
            0,
        );
        assert_eq!(age_days(raised, day_60), 60);
        assert!(is_stale(&demand, day_60));
        assert!(is_stale(&demand, raised + Duration::days(400)));
    }

    #[test]
    fn planned_met_and_declined_demands_are_never_stale() {
        let raised = Utc.with_ymd_and_hms(2026, 3, 1, 15, 0, 0).unwrap();
        let later = raised + Duration::days(120);
        for status in [
            DemandStatus::Planned,
            DemandStatus::Met,
            DemandStatus::Declined,
        ] {
            let demand = demand::Model {
                status,
                ..open_demand(raised)
            };
            assert!(!is_stale(&demand, later), "{status:?}");
        }
        // Open with a cohort named (never left so by planning, but the rule says "nothing
        // planned").
        let planned = demand::Model {
            cohort_id: Some(7),
            ..open_demand(raised)
        };
        assert!(!is_stale(&planned, later));
    }
}
