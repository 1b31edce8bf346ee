//! ESAP's direcciones territoriales (issue 16): admin-managed groups of departments. A
//! coordinator with a direction sees and manages only the cohorts that target its departments
//! and creates cohorts only there; without one, a coordinator is national.

use crate::audit::{self, Change};
use crate::entities::{department, territorial_direction, territorial_direction_department};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The OpenAPI example of a direction's departments.
fn departments_example() -> [&'static str; 2] {
    ["18", "86"]
}

/// A direction with its departments (DANE codes, in order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = TerritorialDirection)]
pub struct Direction {
    pub id: i32,
    #[schema(example = "Dirección Territorial Caquetá")]
    pub name: String,
    #[schema(example = departments_example)]
    pub department_codes: Vec<String>,
}

/// What an admin sends to create (both fields) or change (either) a direction.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DirectionInput {
    #[schema(max_length = 160)]
    pub name: Option<String>,
    /// Replaces the departments; a department belongs to one direction at most.
    #[schema(max_items = 5000)]
    pub department_codes: Option<Vec<String>>,
}

/// Every direction, by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Direction>> {
    let links = territorial_direction_department::Entity::find()
        .order_by_asc(territorial_direction_department::Column::DepartmentCode)
        .all(db)
        .await?;
    Ok(territorial_direction::Entity::find()
        .order_by_asc(territorial_direction::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|d| Direction {
            department_codes: links
                .iter()
                .filter(|l| l.direction_id == d.id)
                .map(|l| l.department_code.clone())
                .collect(),
            id: d.id,
            name: d.name,
        })
        .collect())
}

pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Direction> {
    let row = territorial_direction::Entity::find_by_id(id)
        .found(db)
        .await?;
    let department_codes = territorial_direction_department::Entity::find()
        .filter(territorial_direction_department::Column::DirectionId.eq(id))
        .order_by_asc(territorial_direction_department::Column::DepartmentCode)
        .all_mapped(db, |l| l.department_code)
        .await?;
    Ok(Direction {
        id: row.id,
        name: row.name,
        department_codes,
    })
}

/// Checks the input (every problem at once): a unique name, existing departments that belong
/// to no other direction.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &DirectionInput,
    current: Option<i32>,
) -> AppResult<(Option<String>, Option<BTreeSet<String>>)> {
    let mut errors = Vec::new();
    let name = match &input.name {
        Some(text) => match validate::single_line("name", text, validate::TITLE_MAX) {
            Ok(Some(name)) => {
                let taken = territorial_direction::Entity::find()
                    .filter(territorial_direction::Column::Name.eq(name.as_str()))
                    .one(db)
                    .await?
                    .is_some_and(|d| Some(d.id) != current);
                if taken {
                    errors.push(FieldError::new(
                        "name",
                        "Ya existe una dirección territorial con ese nombre.",
                    ));
                }
                Some(name)
            }
            Ok(None) => {
                errors.push(FieldError::new(
                    "name",
                    "Escriba el nombre de la dirección.",
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None if current.is_none() => {
            errors.push(FieldError::new(
                "name",
                "Escriba el nombre de la dirección.",
            ));
            None
        }
        None => None,
    };
    let departments = match &input.department_codes {
        Some(codes) if !validate::list("department_codes", Some(codes), &mut errors) => None,
        Some(codes) => {
            let codes: BTreeSet<String> = codes.iter().map(|c| c.trim().to_string()).collect();
            let known: BTreeSet<String> = department::Entity::find()
                .filter(department::Column::Code.is_in(codes.clone()))
                .all_mapped(db, |d| d.code)
                .await?;
            for code in codes.difference(&known) {
                errors.push(FieldError::new(
                    "department_codes",
                    format!("No existe un departamento con el código DANE «{code}»."),
                ));
            }
            for taken in territorial_direction_department::Entity::find()
                .filter(
                    territorial_direction_department::Column::DepartmentCode.is_in(codes.clone()),
                )
                .all(db)
                .await?
                .into_iter()
                .filter(|l| Some(l.direction_id) != current)
            {
                errors.push(FieldError::new(
                    "department_codes",
                    format!(
                        "El departamento {} ya pertenece a otra dirección territorial.",
                        taken.department_code
                    ),
                ));
            }
            if codes.is_empty() {
                errors.push(FieldError::new(
                    "department_codes",
                    "Una dirección territorial cubre al menos un departamento.",
                ));
            }
            Some(codes)
        }
        None if current.is_none() => {
            errors.push(FieldError::new(
                "department_codes",
                "Indique los departamentos de la dirección.",
            ));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((name, departments))
}

async fn write_departments<C: ConnectionTrait>(
    db: &C,
    id: i32,
    codes: &BTreeSet<String>,
) -> AppResult<()> {
    territorial_direction_department::Entity::delete_many()
        .filter(territorial_direction_department::Column::DirectionId.eq(id))
        .exec(db)
        .await?;
    for code in codes {
        territorial_direction_department::ActiveModel {
            direction_id: Set(id),
            department_code: Set(code.clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Creates a direction (admins), audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    input: &DirectionInput,
) -> AppResult<Direction> {
    let (name, departments) = check(db, input, None).await?;
    let at = crate::time::now();
    let saved = territorial_direction::ActiveModel {
        name: Set(name.unwrap_or_default()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    write_departments(db, saved.id, &departments.unwrap_or_default()).await?;
    let after = get(db, saved.id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "territorial_direction.created",
            subject_type: "territorial_direction",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}

/// Renames a direction or replaces its departments (admins), audited.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    id: i32,
    input: &DirectionInput,
) -> AppResult<Direction> {
    let before = get(db, id).await?;
    let (name, departments) = check(db, input, Some(id)).await?;
    if let Some(name) = name {
        territorial_direction::ActiveModel {
            id: Set(id),
            name: Set(name),
            updated_at: Set(crate::time::now()),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    if let Some(codes) = departments {
        write_departments(db, id, &codes).await?;
    }
    let after = get(db, id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "territorial_direction.updated",
            subject_type: "territorial_direction",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}
