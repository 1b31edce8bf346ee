//! The alliance's view of the whole offer (issue 32): per municipality × capacity × provider,
//! what was offered there and what it achieved; the municipalities that received nothing on a
//! capacity; the overlaps between providers; and the open demand no provider has answered.
//! Above `reports`, `cohorts` and `demand`, whose rules it reads.
//!
//! A municipality received a cohort when the cohort targets it (directly or through its
//! department) or when its people enrolled in it (a national cohort counts only there).
//! Drafts and cancelled cohorts are not offer. Achievements come from the figures model
//! (`cohort_figures`): nothing is recomputed from enrolments on a request.

use crate::accounts::actor::Actor;
use crate::cohorts::overlap::{self, OfferKind, OverlapQuery, Pair};
use crate::entities::values::{CohortStatus, DemandStatus, DescriptorSubject};
use crate::entities::{
    assistance, assistance_figure, capacity, cohort, cohort_department, cohort_figure,
    cohort_municipality, course_capacity, demand, demand_referral, municipality,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::providers::ProviderRef;
use crate::rows::Rows;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The filters as they arrive in the query string.
#[derive(Clone, Debug, Default)]
pub struct OfferQuery {
    pub department: Option<String>,
    pub capacity: Option<i32>,
    pub provider: Option<i32>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A sector id (issue 49).
    pub sector: Option<i32>,
}

/// The filters after validation and the caller's scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfferFilters {
    pub department: Option<String>,
    pub capacity: Option<i32>,
    pub provider: Option<i32>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Only the courses (their cohorts), assistances and demands that carry this sector.
    pub sector: Option<i32>,
    /// A reviewer asked for another department: the view is empty.
    pub nothing: bool,
}

impl OfferQuery {
    /// Validates the dates (422) and applies the caller's scope: a gobernación reads its own
    /// department (silently); staff read the whole country. Aggregates without people, so a
    /// territorial direction's coordinator reads them nationally, as the other planning views.
    pub fn resolve(&self, user: &Actor) -> AppResult<OfferFilters> {
        let mut errors = Vec::new();
        let from = crate::parse::date("from", self.from.as_deref(), false, &mut errors);
        let to = crate::parse::date("to", self.to.as_deref(), false, &mut errors);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            errors.push(FieldError::new(
                "to",
                "La fecha final no puede ser anterior a la inicial.",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut department = crate::reports::non_empty(&self.department);
        let nothing = crate::reports::limit_to_scope(user, &mut department, None);
        Ok(OfferFilters {
            department,
            capacity: self.capacity,
            provider: self.provider,
            from,
            to,
            sector: self.sector,
            nothing,
        })
    }
}

impl OfferFilters {
    /// (what, value) pairs for the workbook's header block, with names, not codes.
    pub async fn describe<C: ConnectionTrait>(&self, db: &C) -> AppResult<Vec<(String, String)>> {
        use crate::reports::named::Filter;
        let sector = match self.sector {
            Some(id) => crate::descriptors::name(db, id)
                .await?
                .map(|name| Filter::Text("Sector", name)),
            None => None,
        };
        let filters: Vec<Filter> = [
            self.department.clone().map(Filter::Department),
            self.capacity.map(Filter::Capacity),
            sector,
            self.provider.map(Filter::Provider),
            self.from.map(Filter::From),
            self.to.map(Filter::To),
        ]
        .into_iter()
        .flatten()
        .collect();
        crate::reports::named::describe(db, &filters).await
    }
}

/// What one provider offered one municipality on one capacity, and what it achieved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OfferRow)]
pub struct OfferRow {
    #[schema(example = "18256")]
    pub municipality_code: String,
    pub municipality_name: String,
    #[schema(example = "18")]
    pub department_code: String,
    pub department_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    /// The lead provider: a joint cohort or assistance counts once, in its lead's row.
    pub provider: ProviderRef,
    /// The providers some of the row's cohorts or assistances are delivered together with
    /// (issue 49): the page says «en conjunto con …». With the provider filter, the row of a
    /// cohort the chosen provider co-delivers is its lead's, with the chosen one here.
    pub joint_with: Vec<ProviderRef>,
    /// Cohorts it received (targeting it or its department, or with its people enrolled).
    pub cohorts: i64,
    /// Seats of the cohorts that target it or its department. A cohort offered to several
    /// municipalities, or whose course strengthens several capacities, counts its seats in each
    /// of its rows, so this column is not to be summed: [`OfferReport::seats_total`] counts
    /// each cohort once.
    pub seats: i64,
    /// Its people enrolled (enrolled, completed or not completed).
    pub enrolled: i64,
    /// Its people who completed (closed cohorts).
    pub completed: i64,
    /// Valid certificates of its people.
    pub certified: i64,
    /// Technical assistances it received (not cancelled; issue 33), all time.
    pub assistances: i64,
    /// Of those, closed.
    pub assistances_closed: i64,
    /// Their visits.
    pub visits: i64,
}

/// What one provider's technical assistance to a gobernación (issue 49) amounts to on one
/// capacity: counted for its department, never for a municipality (its capital included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OfferGobernacionRow)]
pub struct GobernacionRow {
    #[schema(example = "18")]
    pub department_code: String,
    pub department_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    pub provider: ProviderRef,
    /// Assistances to the gobernación (not cancelled), all time.
    pub assistances: i64,
    /// Of those, closed.
    pub assistances_closed: i64,
    /// Their visits.
    pub visits: i64,
}

/// A municipality that received nothing on a capacity (with the filters chosen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OfferGap)]
pub struct Gap {
    pub municipality_code: String,
    pub municipality_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
}

/// An open demand of the department with nothing planned: no provider has answered it yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = UnansweredDemand)]
pub struct UnansweredDemand {
    pub id: i32,
    /// None for a gobernación's (issue 49).
    pub municipality_code: Option<String>,
    /// The municipality's name, or «Gobernación de …».
    pub municipality_name: String,
    pub capacity_id: i32,
    pub capacity_name: String,
    pub topic: String,
    pub raised_on: chrono::NaiveDate,
    /// Providers it was pointed to (they have not planned anything yet).
    pub referred_to: Vec<ProviderRef>,
}

/// The whole view.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = OfferReport)]
pub struct OfferReport {
    pub items: Vec<OfferRow>,
    pub total: usize,
    /// The technical assistance to gobernaciones, by department (issue 49). Extension.
    pub gobernaciones: Vec<GobernacionRow>,
    /// Seats offered in the whole report, each cohort's once (the rows repeat a shared
    /// cohort's seats). Extension.
    pub seats_total: i64,
    /// Municipality × capacity cells that received nothing; only when a department is chosen
    /// (the whole country would list tens of thousands).
    pub without_offer: Vec<Gap>,
    /// Pairs of cohorts of different providers on a same capacity, place and time.
    pub overlaps: Vec<Pair>,
    pub unanswered_demands: Vec<UnansweredDemand>,
}

/// Statuses that are offer: published and not cancelled.
const OFFERED: [CohortStatus; 3] = [
    CohortStatus::Open,
    CohortStatus::InProgress,
    CohortStatus::Closed,
];

/// What one municipality received of one cohort: whether the cohort targets it, and its
/// people's (enrolled, completed, certified) when they enrolled.
type Received = (bool, Option<(i64, i64, i64)>);

#[derive(Default)]
struct Cell {
    cohorts: BTreeSet<i32>,
    /// Co-providers of its cohorts and assistances (issue 49).
    joint_with: BTreeSet<i32>,
    seats: i64,
    enrolled: i64,
    completed: i64,
    certified: i64,
    assistances: i64,
    assistances_closed: i64,
    visits: i64,
}

/// The view for `filters` (already scoped).
pub async fn report<C: ConnectionTrait>(db: &C, filters: &OfferFilters) -> AppResult<OfferReport> {
    if filters.nothing {
        return Ok(OfferReport {
            items: Vec::new(),
            total: 0,
            gobernaciones: Vec::new(),
            seats_total: 0,
            without_offer: Vec::new(),
            overlaps: Vec::new(),
            unanswered_demands: Vec::new(),
        });
    }
    let department = filters.department.as_deref();
    let cohorts = offered_cohorts(db, filters).await?;
    let capacities_of = capacities_of(db, filters).await?;
    let places = places_in_view(db, department).await?;
    let received = received(db, department, &cohorts, &places).await?;
    let (mut cells, seated) = cohort_cells(db, &cohorts, &capacities_of, &received).await?;
    let departmental = add_assistances(db, filters, &places, &mut cells).await?;
    mark_joint_assistances(db, filters, &places, &mut cells).await?;
    let capacities: Vec<capacity::Model> = capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?;
    let capacity_names: HashMap<i32, String> =
        capacities.iter().map(|c| (c.id, c.name.clone())).collect();
    let providers = crate::providers::names(db).await?;
    let department_names = crate::territory::department_names(db).await?;
    let mut items = offer_rows(
        &cells,
        &places,
        &department_names,
        &capacity_names,
        &providers,
    );
    let gobernaciones =
        gobernacion_rows(departmental, &department_names, &capacity_names, &providers);
    items.sort_by_cached_key(|r| {
        (
            crate::text::fold(&r.municipality_name),
            r.municipality_code.clone(),
            r.capacity_id,
            r.provider.id != crate::providers::ESAP,
            r.provider.name.clone(),
        )
    });

    let without_offer = without_offer(filters, &cells, &places, &capacities);
    // Overlaps between providers (with a sector, those where one side carries it), and the
    // demand nobody answered.
    let overlaps = provider_overlaps(db, filters, &cohorts).await?;
    let unanswered_demands = unanswered(db, filters, &places, &capacity_names, &providers).await?;
    let seats_total = seated
        .iter()
        .filter_map(|id| cohorts.get(id))
        .map(|(_, _, seats)| i64::from(*seats))
        .sum();
    Ok(OfferReport {
        total: items.len(),
        items,
        gobernaciones,
        seats_total,
        without_offer,
        overlaps,
        unanswered_demands,
    })
}

/// Offered cohorts by id: (course, provider, seats).
type Cohorts = HashMap<i32, (i32, i32, i32)>;
/// The municipalities in view: code → (name, department code).
type Places = BTreeMap<String, (String, String)>;
/// The rows: per municipality × capacity × provider.
type Cells = BTreeMap<(String, i32, i32), Cell>;
/// A gobernación's technical assistance per department × capacity × provider: assistances,
/// closed, visits.
type Departmental = BTreeMap<(String, i32, i32), [i64; 3]>;

/// The cohorts that are offer under `filters`.
async fn offered_cohorts<C: ConnectionTrait>(db: &C, filters: &OfferFilters) -> AppResult<Cohorts> {
    // The cohorts that are offer under the filters, with their capacities.
    let mut select = cohort::Entity::find()
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::CourseId)
        .column(cohort::Column::ProviderId)
        .column(cohort::Column::Seats)
        .filter(cohort::Column::Status.is_in(OFFERED));
    // A provider's offer: what it leads and the cohorts it co-delivers (issue 49).
    if let Some(p) = filters.provider {
        select = select.filter(
            sea_orm::Condition::any()
                .add(cohort::Column::ProviderId.eq(p))
                .add(crate::joint::co_delivered_by(OfferKind::Cohort, p)),
        );
    }
    if let Some(from) = filters.from {
        select = select.filter(cohort::Column::EndDate.gte(from));
    }
    if let Some(to) = filters.to {
        select = select.filter(cohort::Column::StartDate.lte(to));
    }
    if let Some(sector) = filters.sector {
        select = select.filter(crate::descriptors::tagged(
            cohort::Column::CourseId,
            DescriptorSubject::Course,
            sector,
        ));
    }
    let cohorts: HashMap<i32, (i32, i32, i32)> = select
        .into_tuple::<(i32, i32, i32, i32)>()
        .all_mapped(db, |(id, course, provider, seats)| {
            (id, (course, provider, seats))
        })
        .await?;
    Ok(cohorts)
}

/// The capacities of each course (only `filters`' capacity, when it names one).
async fn capacities_of<C: ConnectionTrait>(
    db: &C,
    filters: &OfferFilters,
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let mut capacities_of: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut links = course_capacity::Entity::find();
    if let Some(c) = filters.capacity {
        links = links.filter(course_capacity::Column::CapacityId.eq(c));
    }
    for link in links.all(db).await? {
        capacities_of
            .entry(link.course_id)
            .or_default()
            .push(link.capacity_id);
    }
    Ok(capacities_of)
}

async fn places_in_view<C: ConnectionTrait>(db: &C, department: Option<&str>) -> AppResult<Places> {
    // The municipalities in view, with their department.
    let mut places = municipality::Entity::find()
        .select_only()
        .column(municipality::Column::Code)
        .column(municipality::Column::Name)
        .column(municipality::Column::DepartmentCode);
    if let Some(d) = department {
        places = places.filter(municipality::Column::DepartmentCode.eq(d));
    }
    let places: BTreeMap<String, (String, String)> = places
        .into_tuple::<(String, String, String)>()
        .all_mapped(db, |(code, name, dept)| (code, (name, dept)))
        .await?;
    Ok(places)
}

/// What each municipality in view received of each cohort: targeted (directly or with its
/// whole department) and its people's figures.
async fn received<C: ConnectionTrait>(
    db: &C,
    department: Option<&str>,
    cohorts: &Cohorts,
    places: &Places,
) -> AppResult<HashMap<(i32, String), Received>> {
    let by_department: HashMap<&str, Vec<&str>> =
        places
            .iter()
            .fold(HashMap::new(), |mut acc, (code, (_, dept))| {
                acc.entry(dept.as_str()).or_default().push(code.as_str());
                acc
            });

    let mut received: HashMap<(i32, String), Received> = HashMap::new();
    let mut direct = cohort_municipality::Entity::find();
    if let Some(d) = department {
        direct = direct.filter(cohort_municipality::Column::MunicipalityCode.starts_with(d));
    }
    for row in direct.all(db).await? {
        if cohorts.contains_key(&row.cohort_id) && places.contains_key(&row.municipality_code) {
            received
                .entry((row.cohort_id, row.municipality_code))
                .or_default()
                .0 = true;
        }
    }
    let mut whole = cohort_department::Entity::find();
    if let Some(d) = department {
        whole = whole.filter(cohort_department::Column::DepartmentCode.eq(d));
    }
    for row in whole.all(db).await? {
        if !cohorts.contains_key(&row.cohort_id) {
            continue;
        }
        for code in by_department
            .get(row.department_code.as_str())
            .into_iter()
            .flatten()
        {
            received
                .entry((row.cohort_id, code.to_string()))
                .or_default()
                .0 = true;
        }
    }
    let mut figures = cohort_figure::Entity::find()
        .select_only()
        .column(cohort_figure::Column::CohortId)
        .column(cohort_figure::Column::MunicipalityCode)
        .column(cohort_figure::Column::Enrolled)
        .column(cohort_figure::Column::Completed)
        .column(cohort_figure::Column::Certified)
        .filter(cohort_figure::Column::Enrolled.gt(0));
    if let Some(d) = department {
        figures = figures.filter(cohort_figure::Column::DepartmentCode.eq(d));
    }
    for (cohort_id, code, enrolled, completed, certified) in figures
        .into_tuple::<(i32, String, i32, i32, i32)>()
        .all(db)
        .await?
    {
        if cohorts.contains_key(&cohort_id) && places.contains_key(&code) {
            received.entry((cohort_id, code)).or_default().1 = Some((
                i64::from(enrolled),
                i64::from(completed),
                i64::from(certified),
            ));
        }
    }
    Ok(received)
}

/// The cohorts' share of the rows, and the cohorts whose seats some row shows.
async fn cohort_cells<C: ConnectionTrait>(
    db: &C,
    cohorts: &Cohorts,
    capacities_of: &HashMap<i32, Vec<i32>>,
    received: &HashMap<(i32, String), Received>,
) -> AppResult<(Cells, BTreeSet<i32>)> {
    let ids: Vec<i32> = cohorts.keys().copied().collect();
    let partners = crate::joint::ids_of(db, OfferKind::Cohort, &ids).await?;
    // Grouped per municipality × capacity × provider.
    let mut cells: BTreeMap<(String, i32, i32), Cell> = BTreeMap::new();
    // The cohorts whose seats some row shows: their seats count once in the total.
    let mut seated: BTreeSet<i32> = BTreeSet::new();
    for ((cohort_id, code), (targeted, figures)) in received {
        let Some((course, provider, seats)) = cohorts.get(cohort_id) else {
            continue;
        };
        for capacity_id in capacities_of.get(course).into_iter().flatten() {
            let cell = cells
                .entry((code.clone(), *capacity_id, *provider))
                .or_default();
            cell.cohorts.insert(*cohort_id);
            cell.joint_with
                .extend(partners.get(cohort_id).into_iter().flatten());
            if *targeted {
                cell.seats += i64::from(*seats);
                seated.insert(*cohort_id);
            }
            if let Some((enrolled, completed, certified)) = figures {
                cell.enrolled += enrolled;
                cell.completed += completed;
                cell.certified += certified;
            }
        }
    }
    Ok((cells, seated))
}

/// Adds technical assistance to the rows; returns the gobernaciones' own.
async fn add_assistances<C: ConnectionTrait>(
    db: &C,
    filters: &OfferFilters,
    places: &Places,
    cells: &mut Cells,
) -> AppResult<Departmental> {
    let department = filters.department.as_deref();
    // Technical assistance, from its figures; with a sector, computed for the assistances
    // that carry it (the kept figures are not per sector).
    let assisted = match filters.sector {
        None => {
            let mut kept = assistance_figure::Entity::find();
            if let Some(d) = department {
                kept = kept.filter(assistance_figure::Column::DepartmentCode.eq(d));
            }
            kept.all(db).await?
        }
        Some(sector) => {
            crate::figures::assistance::computed_for(
                db,
                crate::descriptors::tagged(
                    assistance::Column::Id,
                    DescriptorSubject::Assistance,
                    sector,
                ),
            )
            .await?
        }
    };
    // Assistances are counted by the year they started: the dates filter whole years.
    let from_year = filters.from.map(|d| chrono::Datelike::year(&d));
    let to_year = filters.to.map(|d| chrono::Datelike::year(&d));
    // A gobernación's (its place is its department) counts for the department alone.
    let mut departmental: BTreeMap<(String, i32, i32), [i64; 3]> = BTreeMap::new();
    for row in assisted {
        if filters.provider.is_some_and(|p| p != row.provider_id)
            || filters.capacity.is_some_and(|c| c != row.capacity_id)
            || from_year.is_some_and(|y| row.year < y)
            || to_year.is_some_and(|y| row.year > y)
        {
            continue;
        }
        if crate::figures::assistance::is_departmental(&row) {
            if department.is_some_and(|d| d != row.department_code) {
                continue;
            }
            let cell = departmental
                .entry((row.department_code, row.capacity_id, row.provider_id))
                .or_default();
            cell[0] += i64::from(row.assistances);
            cell[1] += i64::from(row.closed);
            cell[2] += i64::from(row.visits);
            continue;
        }
        if !places.contains_key(&row.municipality_code) {
            continue;
        }
        let cell = cells
            .entry((row.municipality_code, row.capacity_id, row.provider_id))
            .or_default();
        cell.assistances += i64::from(row.assistances);
        cell.assistances_closed += i64::from(row.closed);
        cell.visits += i64::from(row.visits);
    }
    Ok(departmental)
}

fn offer_rows(
    cells: &Cells,
    places: &Places,
    department_names: &HashMap<String, String>,
    capacity_names: &HashMap<i32, String>,
    providers: &HashMap<i32, ProviderRef>,
) -> Vec<OfferRow> {
    cells
        .iter()
        .map(|((code, capacity_id, provider_id), cell)| {
            let (name, dept) = places.get(code).cloned().unwrap_or_default();
            OfferRow {
                municipality_name: name,
                department_name: department_names.get(&dept).cloned().unwrap_or_default(),
                department_code: dept,
                municipality_code: code.clone(),
                capacity_id: *capacity_id,
                capacity_name: capacity_names.get(capacity_id).cloned().unwrap_or_default(),
                provider: providers
                    .get(provider_id)
                    .cloned()
                    .unwrap_or_else(|| ProviderRef {
                        id: *provider_id,
                        name: String::new(),
                    }),
                joint_with: cell
                    .joint_with
                    .iter()
                    .filter_map(|id| providers.get(id).cloned())
                    .collect(),
                cohorts: cell.cohorts.len() as i64,
                seats: cell.seats,
                enrolled: cell.enrolled,
                completed: cell.completed,
                certified: cell.certified,
                assistances: cell.assistances,
                assistances_closed: cell.assistances_closed,
                visits: cell.visits,
            }
        })
        .collect()
}

fn gobernacion_rows(
    departmental: Departmental,
    department_names: &HashMap<String, String>,
    capacity_names: &HashMap<i32, String>,
    providers: &HashMap<i32, ProviderRef>,
) -> Vec<GobernacionRow> {
    departmental
        .into_iter()
        .map(
            |((department_code, capacity_id, provider_id), [assistances, closed, visits])| {
                GobernacionRow {
                    department_name: department_names
                        .get(&department_code)
                        .cloned()
                        .unwrap_or_default(),
                    department_code,
                    capacity_id,
                    capacity_name: capacity_names
                        .get(&capacity_id)
                        .cloned()
                        .unwrap_or_default(),
                    provider: providers
                        .get(&provider_id)
                        .cloned()
                        .unwrap_or_else(|| ProviderRef {
                            id: provider_id,
                            name: String::new(),
                        }),
                    assistances,
                    assistances_closed: closed,
                    visits,
                }
            },
        )
        .collect()
}

/// The cells with nothing, for a department.
fn without_offer(
    filters: &OfferFilters,
    cells: &Cells,
    places: &Places,
    capacities: &[capacity::Model],
) -> Vec<Gap> {
    let department = filters.department.as_deref();
    let mut without_offer = Vec::new();
    if department.is_some() {
        let served: BTreeSet<(&str, i32)> = cells
            .keys()
            .map(|(code, capacity_id, _)| (code.as_str(), *capacity_id))
            .collect();
        let mut sorted: Vec<(&String, &String)> = places
            .iter()
            .map(|(code, (name, _))| (code, name))
            .collect();
        sorted.sort_by_cached_key(|(code, name)| (crate::text::fold(name), (*code).clone()));
        for c in capacities
            .iter()
            .filter(|c| filters.capacity.is_none_or(|id| id == c.id))
        {
            for (code, name) in &sorted {
                if !served.contains(&(code.as_str(), c.id)) {
                    without_offer.push(Gap {
                        municipality_code: (*code).clone(),
                        municipality_name: (*name).clone(),
                        capacity_id: c.id,
                        capacity_name: c.name.clone(),
                    });
                }
            }
        }
    }

    without_offer
}

async fn provider_overlaps<C: ConnectionTrait>(
    db: &C,
    filters: &OfferFilters,
    cohorts: &Cohorts,
) -> AppResult<Vec<Pair>> {
    let tagged_assistances = match filters.sector {
        Some(sector) => Some(
            crate::descriptors::subjects_tagged(db, DescriptorSubject::Assistance, sector).await?,
        ),
        None => None,
    };
    let overlaps: Vec<Pair> = overlap::report(
        db,
        &OverlapQuery {
            department: filters.department.clone(),
            from: filters.from,
            to: filters.to,
        },
    )
    .await?
    .into_iter()
    .filter(|p| p.across_providers)
    .filter(|p| {
        tagged_assistances.as_ref().is_none_or(|assisted| {
            [&p.first, &p.second].iter().any(|side| match side.kind {
                OfferKind::Cohort => cohorts.contains_key(&side.id),
                OfferKind::Assistance => assisted.contains(&side.id),
            })
        })
    })
    .filter(|p| {
        filters
            .provider
            .is_none_or(|id| p.first.provider.id == id || p.second.provider.id == id)
    })
    .collect();
    Ok(overlaps)
}

/// Marks the rows whose technical assistances are delivered jointly (issue 49): the
/// assistances with co-providers, not cancelled, in view under the filters — a few rows, read
/// directly (the figures count each assistance once, for its lead provider).
async fn mark_joint_assistances<C: ConnectionTrait>(
    db: &C,
    filters: &OfferFilters,
    places: &BTreeMap<String, (String, String)>,
    cells: &mut BTreeMap<(String, i32, i32), Cell>,
) -> AppResult<()> {
    use crate::entities::values::AssistanceStatus;
    use crate::entities::{assistance, assistance_capacity, assistance_co_provider};
    let joint: Vec<i32> = assistance_co_provider::Entity::find()
        .select_only()
        .column(assistance_co_provider::Column::AssistanceId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    if joint.is_empty() {
        return Ok(());
    }
    let mut select = assistance::Entity::find()
        .filter(assistance::Column::Id.is_in(joint.clone()))
        .filter(assistance::Column::Status.ne(AssistanceStatus::Cancelled));
    if let Some(p) = filters.provider {
        select = select.filter(assistance::Column::ProviderId.eq(p));
    }
    // Counted by the year they started, as their figures.
    if let Some(from) = filters.from {
        select = select.filter(assistance::Column::StartsOn.gte(
            chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&from), 1, 1).unwrap_or(from),
        ));
    }
    if let Some(to) = filters.to {
        select = select.filter(assistance::Column::StartsOn.lte(
            chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 12, 31).unwrap_or(to),
        ));
    }
    let rows = select.all(db).await?;
    let ids: Vec<i32> = rows.iter().map(|a| a.id).collect();
    let partners = crate::joint::ids_of(db, OfferKind::Assistance, &ids).await?;
    let mut capacities: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in assistance_capacity::Entity::find()
        .filter(assistance_capacity::Column::AssistanceId.is_in(ids))
        .all(db)
        .await?
    {
        if filters.capacity.is_none_or(|c| c == link.capacity_id) {
            capacities
                .entry(link.assistance_id)
                .or_default()
                .push(link.capacity_id);
        }
    }
    for row in rows {
        // A gobernación's (no municipality) is in the department's own section.
        let Some(code) = row.municipality_code.as_ref() else {
            continue;
        };
        if !places.contains_key(code) {
            continue;
        }
        for capacity_id in capacities.get(&row.id).into_iter().flatten() {
            if let Some(cell) = cells.get_mut(&(code.clone(), *capacity_id, row.provider_id)) {
                cell.joint_with
                    .extend(partners.get(&row.id).into_iter().flatten());
            }
        }
    }
    Ok(())
}

/// Open demands in view (nothing planned), oldest first, with the providers they were pointed
/// to.
async fn unanswered<C: ConnectionTrait>(
    db: &C,
    filters: &OfferFilters,
    places: &BTreeMap<String, (String, String)>,
    capacity_names: &HashMap<i32, String>,
    providers: &HashMap<i32, ProviderRef>,
) -> AppResult<Vec<UnansweredDemand>> {
    let mut select = demand::Entity::find()
        .filter(demand::Column::Status.eq(DemandStatus::Open))
        .order_by_asc(demand::Column::CreatedAt)
        .limit(1_000);
    if let Some(d) = &filters.department {
        select = select.filter(demand::Column::DepartmentCode.eq(d.as_str()));
    }
    if let Some(c) = filters.capacity {
        select = select.filter(demand::Column::CapacityId.eq(c));
    }
    if let Some(sector) = filters.sector {
        select = select.filter(crate::descriptors::tagged(
            demand::Column::Id,
            DescriptorSubject::Demand,
            sector,
        ));
    }
    let demands = select.all(db).await?;
    let ids: Vec<i32> = demands.iter().map(|d| d.id).collect();
    let mut referred: HashMap<i32, Vec<ProviderRef>> = HashMap::new();
    for row in demand_referral::Entity::find()
        .filter(demand_referral::Column::DemandId.is_in(ids))
        .order_by_asc(demand_referral::Column::CreatedAt)
        .all(db)
        .await?
    {
        if let Some(p) = providers.get(&row.provider_id) {
            referred.entry(row.demand_id).or_default().push(p.clone());
        }
    }
    let pointed_to = |d: &demand::Model| {
        filters.provider.is_none_or(|p| {
            referred
                .get(&d.id)
                .is_some_and(|list| list.iter().any(|r| r.id == p))
        })
    };
    // A gobernación's demand is in view with its department's municipalities (issue 49).
    let in_view = |d: &demand::Model| match &d.municipality_code {
        Some(code) => places.contains_key(code),
        None => places.values().any(|(_, dept)| *dept == d.department_code),
    };
    let kept: Vec<demand::Model> = demands
        .into_iter()
        .filter(|d| in_view(d) && pointed_to(d))
        .collect();
    let departments = crate::territory::department_names(db).await?;
    Ok(kept
        .into_iter()
        .map(|d| UnansweredDemand {
            municipality_name: match &d.municipality_code {
                Some(code) => places.get(code).map(|p| p.0.clone()).unwrap_or_default(),
                None => crate::demand::governorate_name(
                    departments
                        .get(&d.department_code)
                        .map_or("", String::as_str),
                ),
            },
            capacity_name: capacity_names
                .get(&d.capacity_id)
                .cloned()
                .unwrap_or_default(),
            referred_to: referred.remove(&d.id).unwrap_or_default(),
            raised_on: crate::time::local(d.created_at).date_naive(),
            id: d.id,
            municipality_code: d.municipality_code,
            capacity_id: d.capacity_id,
            topic: d.topic,
        })
        .collect())
}

/// What the seats column holds: a shared cohort's seats repeat on each of its rows.
pub const SEATS_COLUMN: &str = "Cupos de sus cohortes (se repiten)";

/// The note beside the offer table: the total, each cohort once, and why the column is not
/// summed.
pub fn seats_note(seats_total: i64) -> String {
    format!(
        "Cupos ofrecidos: {} (cada cohorte una vez). Una cohorte ofrecida a varios municipios, o cuyo curso fortalece varias capacidades, repite sus cupos en cada una de sus filas: no sume la columna «{SEATS_COLUMN}».",
        crate::format::thousands(seats_total)
    )
}

/// The view as a workbook: «Oferta», «Sin oferta», «Traslapes entre oferentes», «Demanda sin
/// respuesta» (built on a blocking thread).
pub async fn workbook(
    report: OfferReport,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    use crate::spreadsheets::{Cell, Column, ExportBook};
    let generated_by = generated_by.to_string();
    crate::blocking::run(move || {
        let mut book = ExportBook::new("La oferta en el territorio", &filters, &generated_by);
        {
            let mut sheet = book.sheet_with_notes(
                "Oferta",
                &[seats_note(report.seats_total)],
                &[
                    Column::code("Código DANE", 10.0),
                    Column::text("Municipio", 24.0),
                    Column::text("Departamento", 18.0),
                    Column::text("Capacidad", 30.0),
                    Column::text("Oferente", 30.0),
                    Column::integer("Cohortes", 9.0),
                    Column::integer(SEATS_COLUMN, 14.0),
                    Column::integer("Inscritos", 9.0),
                    Column::integer("Aprobaron", 9.0),
                    Column::integer("Certificados", 9.0),
                    Column::integer("Asistencias técnicas", 11.0),
                    Column::integer("Asistencias cerradas", 11.0),
                    Column::integer("Visitas", 9.0),
                ],
            )?;
            for r in &report.items {
                sheet.row(&[
                    Cell::Text(r.municipality_code.clone()),
                    Cell::Text(r.municipality_name.clone()),
                    Cell::Text(r.department_name.clone()),
                    Cell::Text(r.capacity_name.clone()),
                    Cell::Text(match crate::joint::together_with(&r.joint_with) {
                        Some(joint) => format!("{} ({joint})", r.provider.name),
                        None => r.provider.name.clone(),
                    }),
                    Cell::Int(r.cohorts),
                    Cell::Int(r.seats),
                    Cell::Int(r.enrolled),
                    Cell::Int(r.completed),
                    Cell::Int(r.certified),
                    Cell::Int(r.assistances),
                    Cell::Int(r.assistances_closed),
                    Cell::Int(r.visits),
                ])?;
            }
        }
        {
            let mut sheet = book.sheet(
                "Sin oferta",
                &[
                    Column::code("Código DANE", 10.0),
                    Column::text("Municipio", 24.0),
                    Column::text("Capacidad sin oferta", 36.0),
                ],
            )?;
            for g in &report.without_offer {
                sheet.row(&[
                    Cell::Text(g.municipality_code.clone()),
                    Cell::Text(g.municipality_name.clone()),
                    Cell::Text(g.capacity_name.clone()),
                ])?;
            }
        }
        {
            let mut sheet = book.sheet(
                "Traslapes entre oferentes",
                &[
                    Column::text("Cohorte", 36.0),
                    Column::text("Oferente", 28.0),
                    Column::text("Se cruza con", 36.0),
                    Column::text("Oferente de la otra", 28.0),
                    Column::text("Capacidades", 30.0),
                    Column::text("Lugares", 30.0),
                    Column::integer("Días en común", 10.0),
                ],
            )?;
            for p in &report.overlaps {
                sheet.row(&[
                    Cell::Text(p.first.name.clone()),
                    Cell::Text(p.first.provider.name.clone()),
                    Cell::Text(p.second.name.clone()),
                    Cell::Text(p.second.provider.name.clone()),
                    Cell::Text(p.capacities.join(", ")),
                    Cell::Text(p.places.join(", ")),
                    Cell::Int(p.overlap_days),
                ])?;
            }
        }
        {
            let mut sheet = book.sheet(
                "Demanda sin respuesta",
                &[
                    Column::integer("Demanda", 9.0),
                    Column::code("Código DANE", 10.0),
                    Column::text("Municipio", 24.0),
                    Column::text("Capacidad", 30.0),
                    Column::text("Tema", 40.0),
                    Column::date("Registrada", 12.0),
                    Column::text("Remitida a", 30.0),
                ],
            )?;
            for d in &report.unanswered_demands {
                sheet.row(&[
                    Cell::Int(i64::from(d.id)),
                    Cell::Text(d.municipality_code.clone().unwrap_or_default()),
                    Cell::Text(d.municipality_name.clone()),
                    Cell::Text(d.capacity_name.clone()),
                    Cell::Text(d.topic.clone()),
                    Cell::Date(d.raised_on),
                    Cell::Text(
                        d.referred_to
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ])?;
            }
        }
        book.save_to_buffer()
    })
    .await
}

/// The workbook's file name.
/// The stem of the workbook's file name (its place and day follow: `reports::named`).
pub const FILE: &str = "oferta-en-el-territorio";
