//! Capacity coverage: per municipality and capacity, how many distinct people were trained
//! (enrolled in a cohort of a course that targets the capacity), completed, were certified, and
//! how many of the certified are still registered with that municipality. Read from the
//! figures model (`crate::figures`): one query whatever the size of the data.

use crate::accounts::actor::Actor;
use crate::entities::{capacity, capacity_figure, department, municipality};
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
            c = c.add(capacity_figure::Column::DepartmentCode.eq(d.clone()));
        }
        if let Some(m) = &self.municipality {
            c = c.add(capacity_figure::Column::MunicipalityCode.eq(m.clone()));
        }
        if let Some(id) = self.capacity {
            c = c.add(capacity_figure::Column::CapacityId.eq(id));
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
    let mut found: Vec<Found> = capacity_figure::Entity::find()
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
        .filter(filters.condition())
        .into_model()
        .all(db)
        .await?;
    found.sort_by_cached_key(|f| {
        (
            crate::text::fold(&f.municipality_name),
            f.municipality_code.clone(),
            f.sort_order,
            f.capacity_id,
        )
    });
    Ok(found
        .into_iter()
        .map(|f| CoverageRow {
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
        })
        .collect())
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
