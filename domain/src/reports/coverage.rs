//! Capacity coverage: per municipality and capacity, how many distinct people were trained
//! (enrolled in a cohort of a course that targets the capacity), completed, were certified, and
//! how many of the certified are still registered with that municipality — and, beside the
//! training, the technical assistances the municipality received on the capacity (every
//! provider's, not cancelled, and the closed ones). Read from the figures model
//! (`crate::figures`): two queries whatever the size of the data.

use crate::accounts::actor::Actor;
use crate::entities::{
    assistance_figure, capacity, capacity_figure, department, municipality, replica_figure,
};
use crate::error::{AppError, AppResult};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, RelationTrait,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The filters of the coverage report as they arrive in the query string (the web layer reads
/// them as `reports::CoverageParams`).
#[derive(Clone, Debug, Default)]
pub struct CoverageQuery {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity: Option<i32>,
    pub pdet: crate::parse::QueryBool,
    pub category: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoverageFilters {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub capacity: Option<i32>,
    pub pdet: Option<bool>,
    pub category: Option<String>,
    pub nothing: bool,
}

impl CoverageQuery {
    pub fn resolve(&self, user: &Actor) -> AppResult<CoverageFilters> {
        let clean = super::non_empty;
        let category = clean(&self.category).map(|c| c.to_uppercase());
        if let Some(c) = &category
            && !crate::territory::CATEGORIES.contains(&c.as_str())
        {
            return Err(AppError::invalid(
                "category",
                "La categoría debe ser E o un número de 1 a 6.",
            ));
        }
        let mut filters = CoverageFilters {
            department: clean(&self.department),
            municipality: clean(&self.municipality),
            capacity: self.capacity,
            pdet: self.pdet.value("pdet")?,
            category,
            nothing: false,
        };
        filters.nothing = super::limit_to_scope(
            user,
            &mut filters.department,
            filters.municipality.as_deref(),
        );
        Ok(filters)
    }

    /// [`CoverageQuery::resolve`] after the place filters are checked against the reference
    /// (issue 61, as `ReportQuery::resolve_checked`): a municipality (name or DANE code) or a
    /// department that does not exist is a 422 naming it, with the other problems, never a
    /// filter that silently matches nothing.
    pub async fn resolve_checked<C: ConnectionTrait>(
        mut self,
        db: &C,
        user: &Actor,
    ) -> AppResult<CoverageFilters> {
        let places = super::ReportQuery {
            department: self.department.clone(),
            municipality: self.municipality.clone(),
            ..Default::default()
        };
        let (places, mut errors) = places.resolve_places(db).await?;
        self.department = places.department;
        self.municipality = places.municipality;
        match self.resolve(user) {
            Ok(filters) if errors.is_empty() => Ok(filters),
            Ok(_) => Err(AppError::Validation(errors)),
            Err(AppError::Validation(more)) => {
                errors.extend(more);
                Err(AppError::Validation(errors))
            }
            Err(other) => Err(other),
        }
    }
}

impl CoverageFilters {
    /// The filters in force, as people read them: names, not codes.
    pub async fn describe<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
    ) -> AppResult<Vec<(String, String)>> {
        use super::named::Filter;
        let filters: Vec<Filter> = [
            self.department.clone().map(Filter::Department),
            self.municipality.clone().map(Filter::Municipality),
            self.capacity.map(Filter::Capacity),
            self.pdet
                .map(|p| Filter::Text("PDET", if p { "Sí" } else { "No" }.into())),
            self.category.clone().map(|c| Filter::Text("Categoría", c)),
        ]
        .into_iter()
        .flatten()
        .collect();
        super::named::describe(db, &filters).await
    }

    /// The filters on a figures table's (department, municipality, capacity) columns and on
    /// the joined municipality.
    fn condition<Col: ColumnTrait>(&self, [department, place, capacity]: [Col; 3]) -> Condition {
        let mut c = Condition::all();
        if let Some(d) = &self.department {
            c = c.add(department.eq(d.clone()));
        }
        if let Some(m) = &self.municipality {
            c = c.add(place.eq(m.clone()));
        }
        if let Some(id) = self.capacity {
            c = c.add(capacity.eq(id));
        }
        match self.pdet {
            Some(true) => c = c.add(municipality::Column::PdetSubregionId.is_not_null()),
            Some(false) => c = c.add(municipality::Column::PdetSubregionId.is_null()),
            None => {}
        }
        if let Some(cat) = &self.category {
            c = c.add(municipality::Column::Category.eq(cat.clone()));
        }
        c
    }
}

/// One row per municipality (of the enrolment) and capacity.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = CapacityCoverageRow)]
pub struct CoverageRow {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
    pub department_name: String,
    pub pdet: bool,
    pub category: Option<String>,
    pub capacity_id: i32,
    pub capacity_code: String,
    pub capacity_name: String,
    /// Distinct people trained.
    pub participants_trained: i64,
    pub completed: i64,
    pub certified: i64,
    /// Certified people whose current municipality is still the one they trained for.
    pub still_in_entity: i64,
    /// Technical assistances on the capacity (every provider's, not cancelled, any year).
    pub assistances: i64,
    /// Of those, the closed ones.
    pub assistances_closed: i64,
    /// Second-generation reach (issue 48): people reached by replicas of certified
    /// replicators on the capacity in the municipality, any year. Never part of
    /// `participants_trained`.
    pub people_reached_by_replicas: i64,
}

#[derive(FromQueryResult)]
struct Found {
    municipality_code: String,
    capacity_id: i32,
    department_code: String,
    // INTEGER columns (PostgreSQL decodes them as i32 only).
    trained: i32,
    completed: i32,
    certified: i32,
    still_in_entity: i32,
    municipality_name: String,
    department_name: String,
    pdet_subregion_id: Option<i32>,
    category: Option<String>,
    capacity_code: String,
    capacity_name: String,
    sort_order: i32,
}

/// The coverage report, read from the figures model (`capacity_figures`): one query.
pub async fn coverage<C: ConnectionTrait>(
    db: &C,
    filters: &CoverageFilters,
) -> AppResult<Vec<CoverageRow>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    let trained: Vec<Found> = capacity_figure::Entity::find()
        .join(
            JoinType::InnerJoin,
            capacity_figure::Relation::Municipality.def(),
        )
        .join(
            JoinType::InnerJoin,
            capacity_figure::Relation::Capacity.def(),
        )
        .join(
            JoinType::InnerJoin,
            capacity_figure::Entity::belongs_to(department::Entity)
                .from(capacity_figure::Column::DepartmentCode)
                .to(department::Column::Code)
                .into(),
        )
        .select_only()
        .column(capacity_figure::Column::MunicipalityCode)
        .column(capacity_figure::Column::CapacityId)
        .column(capacity_figure::Column::DepartmentCode)
        .column(capacity_figure::Column::Trained)
        .column(capacity_figure::Column::Completed)
        .column(capacity_figure::Column::Certified)
        .column(capacity_figure::Column::StillInEntity)
        .column_as(municipality::Column::Name, "municipality_name")
        .column_as(department::Column::Name, "department_name")
        .column(municipality::Column::PdetSubregionId)
        .column(municipality::Column::Category)
        .column_as(capacity::Column::Code, "capacity_code")
        .column_as(capacity::Column::Name, "capacity_name")
        .column(capacity::Column::SortOrder)
        .filter(filters.condition([
            capacity_figure::Column::DepartmentCode,
            capacity_figure::Column::MunicipalityCode,
            capacity_figure::Column::CapacityId,
        ]))
        .into_model()
        .all(db)
        .await?;
    let found = merge_assistances(trained, assisted(db, filters).await?);
    let mut found = merge_replicas(found, replicated(db, filters).await?);
    found.sort_by_cached_key(|(f, _)| {
        (
            crate::text::fold(&f.municipality_name),
            f.municipality_code.clone(),
            f.sort_order,
            f.capacity_id,
        )
    });
    Ok(found
        .into_iter()
        .map(
            |(f, [assistances, assistances_closed, replicas])| CoverageRow {
                municipality_code: f.municipality_code,
                municipality_name: f.municipality_name,
                department_code: f.department_code,
                department_name: f.department_name,
                pdet: f.pdet_subregion_id.is_some(),
                category: f.category,
                capacity_id: f.capacity_id,
                capacity_code: f.capacity_code,
                capacity_name: f.capacity_name,
                participants_trained: i64::from(f.trained),
                completed: i64::from(f.completed),
                certified: i64::from(f.certified),
                still_in_entity: i64::from(f.still_in_entity),
                assistances,
                assistances_closed,
                people_reached_by_replicas: replicas,
            },
        )
        .collect())
}

/// The assistance figures summed over providers and years per municipality × capacity, with
/// the same joins and filters as the training's.
#[derive(FromQueryResult)]
struct Assisted {
    municipality_code: String,
    capacity_id: i32,
    department_code: String,
    assistances: i64,
    closed: i64,
    municipality_name: String,
    department_name: String,
    pdet_subregion_id: Option<i32>,
    category: Option<String>,
    capacity_code: String,
    capacity_name: String,
    sort_order: i32,
}

/// The assistance figures: assistances and the closed ones.
async fn assisted<C: ConnectionTrait>(
    db: &C,
    filters: &CoverageFilters,
) -> AppResult<Vec<Assisted>> {
    use assistance_figure::Column as F;
    let places = [F::DepartmentCode, F::MunicipalityCode, F::CapacityId];
    summed_by_place::<_, assistance_figure::Entity>(
        db,
        filters,
        places,
        [F::Assistances, F::Closed],
    )
    .await
}

/// The replica figures (issue 48) summed over years per municipality × capacity, with the
/// same joins and filters as the training's (`assistances` holds the people reached).
async fn replicated<C: ConnectionTrait>(
    db: &C,
    filters: &CoverageFilters,
) -> AppResult<Vec<Assisted>> {
    use replica_figure::Column as F;
    let places = [F::DepartmentCode, F::MunicipalityCode, F::CapacityId];
    summed_by_place::<_, replica_figure::Entity>(
        db,
        filters,
        places,
        [F::PeopleReached, F::Replicas],
    )
    .await
}

/// Two columns of a figures table summed per municipality × capacity (as `assistances` and
/// `closed`), joined to the municipality, capacity and department and filtered like the
/// training's. `places` are the table's department, municipality and capacity columns.
async fn summed_by_place<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    filters: &CoverageFilters,
    places: [E::Column; 3],
    [first, second]: [E::Column; 2],
) -> AppResult<Vec<Assisted>> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let sum = |column: E::Column| {
        Expr::expr(Expr::col((E::default(), column)).sum())
            .cast_as(sea_orm::sea_query::Alias::new("BIGINT"))
    };
    let [department_code, municipality_code, capacity_id] = places;
    Ok(E::find()
        .join(
            JoinType::InnerJoin,
            E::belongs_to(municipality::Entity)
                .from(municipality_code)
                .to(municipality::Column::Code)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            E::belongs_to(capacity::Entity)
                .from(capacity_id)
                .to(capacity::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            E::belongs_to(department::Entity)
                .from(department_code)
                .to(department::Column::Code)
                .into(),
        )
        .select_only()
        .column(municipality_code)
        .column(capacity_id)
        .column(department_code)
        .column_as(sum(first), "assistances")
        .column_as(sum(second), "closed")
        .column_as(municipality::Column::Name, "municipality_name")
        .column_as(department::Column::Name, "department_name")
        .column(municipality::Column::PdetSubregionId)
        .column(municipality::Column::Category)
        .column_as(capacity::Column::Code, "capacity_code")
        .column_as(capacity::Column::Name, "capacity_name")
        .column(capacity::Column::SortOrder)
        .filter(filters.condition(places))
        .group_by(municipality_code)
        .group_by(capacity_id)
        .group_by(department_code)
        .group_by(municipality::Column::Name)
        .group_by(department::Column::Name)
        .group_by(municipality::Column::PdetSubregionId)
        .group_by(municipality::Column::Category)
        .group_by(capacity::Column::Code)
        .group_by(capacity::Column::Name)
        .group_by(capacity::Column::SortOrder)
        .into_model()
        .all(db)
        .await?)
}

/// Puts the assistances (not cancelled, closed) beside the training rows; a municipality ×
/// capacity with assistance and no training gets a row of its own.
fn merge_assistances(trained: Vec<Found>, assisted: Vec<Assisted>) -> Vec<(Found, [i64; 3])> {
    let out = trained.into_iter().map(|f| (f, [0, 0, 0])).collect();
    merge(out, assisted, |a, counts| {
        counts[0] = a.assistances;
        counts[1] = a.closed;
    })
}

/// Puts the people reached by replicas beside the rows; a municipality × capacity reached by
/// replicas only gets a row of its own (zero direct training).
fn merge_replicas(
    out: Vec<(Found, [i64; 3])>,
    replicated: Vec<Assisted>,
) -> Vec<(Found, [i64; 3])> {
    merge(out, replicated, |r, counts| counts[2] = r.assistances)
}

/// Puts each summed row's counts (by `put`) beside the row of its municipality × capacity;
/// one without a row gets a row of its own, with zero training.
fn merge(
    mut out: Vec<(Found, [i64; 3])>,
    rows: Vec<Assisted>,
    put: impl Fn(&Assisted, &mut [i64; 3]),
) -> Vec<(Found, [i64; 3])> {
    let at: std::collections::HashMap<(String, i32), usize> = out
        .iter()
        .enumerate()
        .map(|(i, (f, _))| ((f.municipality_code.clone(), f.capacity_id), i))
        .collect();
    for a in rows {
        match at.get(&(a.municipality_code.clone(), a.capacity_id)) {
            Some(&i) => put(&a, &mut out[i].1),
            None => {
                let mut counts = [0, 0, 0];
                put(&a, &mut counts);
                out.push((
                    Found {
                        municipality_code: a.municipality_code,
                        capacity_id: a.capacity_id,
                        department_code: a.department_code,
                        trained: 0,
                        completed: 0,
                        certified: 0,
                        still_in_entity: 0,
                        municipality_name: a.municipality_name,
                        department_name: a.department_name,
                        pdet_subregion_id: a.pdet_subregion_id,
                        category: a.category,
                        capacity_code: a.capacity_code,
                        capacity_name: a.capacity_name,
                        sort_order: a.sort_order,
                    },
                    counts,
                ));
            }
        }
    }
    out
}

/// Coverage summed over a group of municipalities (a department, or the whole report) for one
/// capacity. Sums of the municipalities' counts: someone trained in two municipalities counts
/// in both, as the history stays with each entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CoverageRollup)]
pub struct Rollup {
    /// The department's DANE code, or `None` for the whole report.
    pub department_code: Option<String>,
    pub capacity_id: i32,
    pub capacity_name: String,
    pub municipalities: i64,
    pub pdet_municipalities: i64,
    pub participants_trained: i64,
    pub completed: i64,
    pub certified: i64,
    pub still_in_entity: i64,
    pub assistances: i64,
    pub assistances_closed: i64,
    /// Second-generation reach: people reached by replicas (never in `participants_trained`).
    pub people_reached_by_replicas: i64,
}

/// (by department, national) roll-ups of the rows, ordered by department and capacity.
pub fn rollups(rows: &[CoverageRow]) -> (Vec<Rollup>, Vec<Rollup>) {
    let mut departments: BTreeMap<(String, i32), Rollup> = BTreeMap::new();
    let mut national: BTreeMap<i32, Rollup> = BTreeMap::new();
    for row in rows {
        let empty = |department: Option<String>| Rollup {
            department_code: department,
            capacity_id: row.capacity_id,
            capacity_name: row.capacity_name.clone(),
            municipalities: 0,
            pdet_municipalities: 0,
            participants_trained: 0,
            completed: 0,
            certified: 0,
            still_in_entity: 0,
            assistances: 0,
            assistances_closed: 0,
            people_reached_by_replicas: 0,
        };
        let d = departments
            .entry((row.department_code.clone(), row.capacity_id))
            .or_insert_with(|| empty(Some(row.department_code.clone())));
        add(d, row);
        let n = national
            .entry(row.capacity_id)
            .or_insert_with(|| empty(None));
        add(n, row);
    }
    (
        departments.into_values().collect(),
        national.into_values().collect(),
    )
}

fn add(total: &mut Rollup, row: &CoverageRow) {
    total.municipalities += 1;
    total.pdet_municipalities += i64::from(row.pdet);
    total.participants_trained += row.participants_trained;
    total.completed += row.completed;
    total.certified += row.certified;
    total.still_in_entity += row.still_in_entity;
    total.assistances += row.assistances;
    total.assistances_closed += row.assistances_closed;
    total.people_reached_by_replicas += row.people_reached_by_replicas;
}
