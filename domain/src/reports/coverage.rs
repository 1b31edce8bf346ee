//! Capacity coverage: per municipality and capacity, how many distinct people were trained
//! (enrolled in a cohort of a course that targets the capacity), completed, were certified, and
//! how many of the certified are still registered with that municipality. Four grouped queries
//! plus the names, whatever the size of the data.

use crate::accounts::actor::Actor;
use crate::entities::values::{CertificateStatus, EnrolmentStatus};
use crate::entities::{
    capacity, certificate, cohort, course_capacity, enrolment, municipality, participant,
};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, RelationTrait, Select,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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
}

impl CoverageFilters {
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(d) = &self.department {
            out.push(("Departamento".into(), d.clone()));
        }
        if let Some(m) = &self.municipality {
            out.push(("Municipio".into(), m.clone()));
        }
        if let Some(c) = self.capacity {
            out.push(("Capacidad".into(), c.to_string()));
        }
        if let Some(p) = self.pdet {
            out.push(("PDET".into(), if p { "sí" } else { "no" }.into()));
        }
        if let Some(c) = &self.category {
            out.push(("Categoría".into(), c.clone()));
        }
        out
    }

    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(d) = &self.department {
            c = c.add(municipality::Column::DepartmentCode.eq(d.clone()));
        }
        if let Some(m) = &self.municipality {
            c = c.add(enrolment::Column::MunicipalityCode.eq(m.clone()));
        }
        if let Some(id) = self.capacity {
            c = c.add(course_capacity::Column::CapacityId.eq(id));
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

/// Joins a query that reaches `enrolments` to the cohort, the capacities its course targets
/// and the enrolment's municipality, filtered.
fn scoped<E: EntityTrait>(select: Select<E>, filters: &CoverageFilters) -> Select<E> {
    select
        .join(JoinType::InnerJoin, enrolment::Relation::Cohort.def())
        .join_rev(
            JoinType::InnerJoin,
            course_capacity::Entity::belongs_to(cohort::Entity)
                .from(course_capacity::Column::CourseId)
                .to(cohort::Column::CourseId)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            enrolment::Entity::belongs_to(municipality::Entity)
                .from(enrolment::Column::MunicipalityCode)
                .to(municipality::Column::Code)
                .into(),
        )
        .filter(filters.condition())
}

/// One row per municipality (of the enrolment) and capacity.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = CapacityCoverageRow)]
pub struct CoverageRow {
    pub municipality_code: String,
    pub municipality_name: String,
    pub department_code: String,
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
}

#[derive(FromQueryResult)]
struct Count {
    municipality_code: String,
    capacity_id: i32,
    n: i64,
}

type Key = (String, i32);

async fn counts<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    select: Select<E>,
    filters: &CoverageFilters,
) -> AppResult<HashMap<Key, i64>> {
    Ok(scoped(
        select
            .select_only()
            .column(enrolment::Column::MunicipalityCode)
            .column(course_capacity::Column::CapacityId)
            .column_as(
                Expr::expr(Func::count_distinct(Expr::col((
                    enrolment::Entity,
                    enrolment::Column::ParticipantId,
                )))),
                "n",
            ),
        filters,
    )
    .group_by(enrolment::Column::MunicipalityCode)
    .group_by(course_capacity::Column::CapacityId)
    .into_model::<Count>()
    .all(db)
    .await?
    .into_iter()
    .map(|c| ((c.municipality_code, c.capacity_id), c.n))
    .collect())
}

pub async fn coverage<C: ConnectionTrait>(
    db: &C,
    filters: &CoverageFilters,
) -> AppResult<Vec<CoverageRow>> {
    if filters.nothing {
        return Ok(Vec::new());
    }
    let trained = counts(
        db,
        enrolment::Entity::find().filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled,
            EnrolmentStatus::Completed,
            EnrolmentStatus::NotCompleted,
        ])),
        filters,
    )
    .await?;
    if trained.is_empty() {
        return Ok(Vec::new());
    }
    let completed = counts(
        db,
        enrolment::Entity::find().filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed)),
        filters,
    )
    .await?;
    let certified_query = || {
        certificate::Entity::find()
            .join(
                JoinType::InnerJoin,
                certificate::Entity::belongs_to(enrolment::Entity)
                    .from(certificate::Column::EnrolmentId)
                    .to(enrolment::Column::Id)
                    .into(),
            )
            .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
    };
    let certified = counts(db, certified_query(), filters).await?;
    let still = counts(
        db,
        certified_query()
            .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
            .filter(
                Expr::col((participant::Entity, participant::Column::MunicipalityCode)).eq(
                    Expr::col((enrolment::Entity, enrolment::Column::MunicipalityCode)),
                ),
            ),
        filters,
    )
    .await?;
    let mut codes: Vec<String> = trained.keys().map(|(m, _)| m.clone()).collect();
    codes.sort();
    codes.dedup();
    let places: HashMap<String, municipality::Model> = municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ordered: BTreeMap<Key, i64> = trained.into_iter().collect();
    let mut rows: Vec<CoverageRow> = ordered
        .into_iter()
        .map(|(key, n)| {
            let place = places.get(&key.0);
            let cap = capacities.get(&key.1);
            CoverageRow {
                municipality_name: place.map(|m| m.name.clone()).unwrap_or_default(),
                department_code: place
                    .map(|m| m.department_code.clone())
                    .unwrap_or_else(|| key.0.get(..2).unwrap_or_default().to_string()),
                pdet: place.is_some_and(|m| m.pdet_subregion_id.is_some()),
                category: place.and_then(|m| m.category.clone()),
                capacity_id: key.1,
                capacity_code: cap.map(|c| c.code.clone()).unwrap_or_default(),
                capacity_name: cap.map(|c| c.name.clone()).unwrap_or_default(),
                participants_trained: n,
                completed: completed.get(&key).copied().unwrap_or(0),
                certified: certified.get(&key).copied().unwrap_or(0),
                still_in_entity: still.get(&key).copied().unwrap_or(0),
                municipality_code: key.0,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        crate::text::fold(&a.municipality_name)
            .cmp(&crate::text::fold(&b.municipality_name))
            .then(a.municipality_code.cmp(&b.municipality_code))
            .then(
                capacities
                    .get(&a.capacity_id)
                    .map(|c| c.sort_order)
                    .cmp(&capacities.get(&b.capacity_id).map(|c| c.sort_order)),
            )
            .then(a.capacity_id.cmp(&b.capacity_id))
    });
    Ok(rows)
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
}
