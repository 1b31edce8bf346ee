//! Where a cohort is offered (municipalities, departments) and who teaches it.

use crate::entities::{
    cohort_department, cohort_instructor, cohort_municipality, department, municipality,
};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

/// Targets and instructors of a cohort.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub municipalities: Vec<String>,
    pub departments: Vec<String>,
    pub instructors: Vec<i32>,
}

impl Targets {
    /// Whether the cohort is offered where a person works (no target: the whole country).
    pub fn offers(&self, municipality_code: &str) -> bool {
        let national = self.municipalities.is_empty() && self.departments.is_empty();
        national
            || self.municipalities.iter().any(|m| m == municipality_code)
            || self
                .departments
                .iter()
                .any(|d| municipality_code.starts_with(d.as_str()))
    }
}

pub async fn targets_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Targets>> {
    let mut map: HashMap<i32, Targets> = ids.iter().map(|id| (*id, Targets::default())).collect();
    for row in cohort_municipality::Entity::find()
        .filter(cohort_municipality::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_municipality::Column::MunicipalityCode)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .municipalities
            .push(row.municipality_code);
    }
    for row in cohort_department::Entity::find()
        .filter(cohort_department::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_department::Column::DepartmentCode)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .departments
            .push(row.department_code);
    }
    for row in cohort_instructor::Entity::find()
        .filter(cohort_instructor::Column::CohortId.is_in(ids.to_vec()))
        .order_by_asc(cohort_instructor::Column::UserId)
        .all(db)
        .await?
    {
        map.entry(row.cohort_id)
            .or_default()
            .instructors
            .push(row.user_id);
    }
    Ok(map)
}

pub(super) async fn write_targets<C: ConnectionTrait>(
    db: &C,
    cohort_id: i32,
    targets: &Targets,
) -> AppResult<()> {
    cohort_municipality::Entity::delete_many()
        .filter(cohort_municipality::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    cohort_department::Entity::delete_many()
        .filter(cohort_department::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    cohort_instructor::Entity::delete_many()
        .filter(cohort_instructor::Column::CohortId.eq(cohort_id))
        .exec(db)
        .await?;
    if !targets.municipalities.is_empty() {
        cohort_municipality::Entity::insert_many(targets.municipalities.iter().map(|code| {
            cohort_municipality::ActiveModel {
                cohort_id: Set(cohort_id),
                municipality_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !targets.departments.is_empty() {
        cohort_department::Entity::insert_many(targets.departments.iter().map(|code| {
            cohort_department::ActiveModel {
                cohort_id: Set(cohort_id),
                department_code: Set(code.clone()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !targets.instructors.is_empty() {
        cohort_instructor::Entity::insert_many(targets.instructors.iter().map(|id| {
            cohort_instructor::ActiveModel {
                cohort_id: Set(cohort_id),
                user_id: Set(*id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Names of the places a cohort is offered to, for people ("todo el país" when none).
pub async fn place_names<C: ConnectionTrait>(db: &C, targets: &Targets) -> AppResult<Vec<String>> {
    let mut names = Vec::new();
    let departments: HashMap<String, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    for code in &targets.departments {
        names.push(format!(
            "Departamento de {}",
            departments
                .get(code)
                .cloned()
                .unwrap_or_else(|| code.clone())
        ));
    }
    for m in municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(targets.municipalities.clone()))
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?
    {
        let department = departments
            .get(&m.department_code)
            .cloned()
            .unwrap_or_default();
        names.push(format!("{} ({department})", m.name));
    }
    if names.is_empty() {
        names.push("Todo el país".to_string());
    }
    Ok(names)
}
