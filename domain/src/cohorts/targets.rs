//! Where a cohort is offered (municipalities, departments) and who teaches it.

use crate::entities::{
    cohort_department, cohort_instructor, cohort_municipality, department, municipality,
};
use crate::error::AppResult;
use crate::rows::Rows;
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

/// The targets and instructors of some cohorts, read in one statement (the three link tables
/// as one union: every cohort view reads them, and each round trip costs on PostgreSQL).
pub async fn targets_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Targets>> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{DynIden, Expr, ExprTrait, IntoIden, Order, Query, UnionType};
    #[derive(FromQueryResult)]
    struct Link {
        cohort_id: i32,
        /// 0: a municipality, 1: a department, 2: an instructor.
        kind: i32,
        code: String,
        user_id: i32,
    }
    let mut map: HashMap<i32, Targets> = ids.iter().map(|id| (*id, Targets::default())).collect();
    if ids.is_empty() {
        return Ok(map);
    }
    let (kind, code, user_id) = ("kind", "code", "user_id");
    let branch = |table: DynIden, cohort: DynIden, kind_value: i32, code_expr: Expr, user: Expr| {
        Query::select()
            .expr_as(Expr::col((table.clone(), cohort.clone())), "cohort_id")
            .expr_as(Expr::val(kind_value), kind)
            .expr_as(code_expr, code)
            .expr_as(user, user_id)
            .from(table.clone())
            .and_where(Expr::col((table, cohort)).is_in(ids.iter().copied()))
            .to_owned()
    };
    let mut query = branch(
        cohort_municipality::Entity.into_iden(),
        cohort_municipality::Column::CohortId.into_iden(),
        0,
        Expr::col(cohort_municipality::Column::MunicipalityCode),
        Expr::val(0),
    );
    query
        .union(
            UnionType::All,
            branch(
                cohort_department::Entity.into_iden(),
                cohort_department::Column::CohortId.into_iden(),
                1,
                Expr::col(cohort_department::Column::DepartmentCode),
                Expr::val(0),
            ),
        )
        .union(
            UnionType::All,
            branch(
                cohort_instructor::Entity.into_iden(),
                cohort_instructor::Column::CohortId.into_iden(),
                2,
                Expr::val(""),
                Expr::col(cohort_instructor::Column::UserId),
            ),
        )
        .order_by(kind, Order::Asc)
        .order_by(code, Order::Asc)
        .order_by(user_id, Order::Asc);
    let statement = db.get_database_backend().build(&query);
    for link in Link::find_by_statement(statement).all(db).await? {
        let targets = map.entry(link.cohort_id).or_default();
        match link.kind {
            0 => targets.municipalities.push(link.code),
            1 => targets.departments.push(link.code),
            _ => targets.instructors.push(link.user_id),
        }
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

/// Names of the places a cohort is offered to, for people ("todo el país" when none): the
/// departments by name, then the municipalities by name with their department's.
pub async fn place_names<C: ConnectionTrait>(db: &C, targets: &Targets) -> AppResult<Vec<String>> {
    if targets.municipalities.is_empty() && targets.departments.is_empty() {
        return Ok(vec!["Todo el país".to_string()]);
    }
    let municipalities = if targets.municipalities.is_empty() {
        Vec::new()
    } else {
        municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(targets.municipalities.clone()))
            .order_by_asc(municipality::Column::Name)
            .all(db)
            .await?
    };
    let mut wanted: Vec<String> = targets.departments.clone();
    wanted.extend(municipalities.iter().map(|m| m.department_code.clone()));
    wanted.sort();
    wanted.dedup();
    let departments: HashMap<String, String> = department::Entity::find()
        .filter(department::Column::Code.is_in(wanted))
        .all_mapped(db, |d| (d.code, d.name))
        .await?;
    let mut names: Vec<String> = targets
        .departments
        .iter()
        .map(|code| format!("Departamento de {}", departments.get(code).unwrap_or(code)))
        .collect();
    for m in municipalities {
        let department = departments
            .get(&m.department_code)
            .map(String::as_str)
            .unwrap_or_default();
        names.push(format!("{} ({department})", m.name));
    }
    Ok(names)
}
