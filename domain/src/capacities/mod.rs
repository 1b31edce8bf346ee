//! Municipal capacities (what a municipality can do for itself). The indicators that measure
//! them are `indicators`.

use crate::audit::{self, Change};
use crate::entities::capacity;
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::territory::read_csv;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const CAPACITIES_CSV: &str = include_str!("../../../seed/capacities.csv");

#[derive(Deserialize)]
struct CapacityRow {
    code: String,
    sort_order: i32,
    name: String,
    description: String,
}

/// Capacity code → id.
pub async fn ids_by_code<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<String, i32>> {
    Ok(capacity::Entity::find()
        .all_mapped(db, |c| (c.code, c.id))
        .await?)
}

/// Loads the capacity taxonomy when the table is empty (capacities are editable afterwards and
/// never overwritten).
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let now = crate::time::now();
    if capacity::Entity::find().count(db).await? == 0 {
        let rows: Vec<CapacityRow> = read_csv("capacities.csv", CAPACITIES_CSV)?;
        capacity::Entity::insert_many(rows.into_iter().map(|row| capacity::ActiveModel {
            code: Set(row.code),
            name: Set(row.name),
            description: Set(row.description),
            sort_order: Set(row.sort_order),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A municipal capacity a course strengthens.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Capacity)]
pub struct CapacityView {
    pub id: i32,
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "planeacion_territorial")]
    pub code: String,
    #[schema(example = "Planeación territorial")]
    pub name: String,
    pub description: String,
    /// Inactive capacities cannot be chosen for courses.
    pub active: bool,
}

impl From<capacity::Model> for CapacityView {
    fn from(c: capacity::Model) -> Self {
        CapacityView {
            id: c.id,
            code: c.code,
            name: c.name,
            description: c.description,
            active: c.active,
        }
    }
}

/// A capacity as sent: `code` and `name` are required to create one; on PATCH every field is
/// optional and `code` may only repeat the current one.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CapacityInput)]
pub struct CapacityInput {
    /// Lower case without accents, digits and underscore (at most 60); unique; never changes
    /// (other systems use it).
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "gestion_del_riesgo")]
    pub code: Option<String>,
    /// Printed on certificates: one line, at most 120 characters.
    #[schema(max_length = 120, example = "Gestión del riesgo")]
    pub name: Option<String>,
    pub description: Option<String>,
    /// Default `true` when creating.
    pub active: Option<bool>,
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 60
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Capacity names are printed on certificates: required, one line, drawable by their fonts.
fn capacity_name(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match crate::validate::certificate_text("name", text, MAX_NAME_CHARS) {
        Ok(Some(name)) => Some(name),
        Ok(None) => {
            errors.push(FieldError::new(
                "name",
                format!("Escriba el nombre de la capacidad (máximo {MAX_NAME_CHARS} caracteres)."),
            ));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

fn capacity_description(text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::validate::lines(
        "description",
        text,
        crate::validate::DESCRIPTION_MAX,
        errors,
    )
}

const MAX_NAME_CHARS: usize = 120;

/// Every capacity, in their order (for the pages' choices).
pub async fn in_order<C: ConnectionTrait>(db: &C) -> AppResult<Vec<capacity::Model>> {
    Ok(capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?)
}

/// The active capacities, in their order (what new offer and the filters choose from).
pub async fn active_in_order<C: ConnectionTrait>(db: &C) -> AppResult<Vec<capacity::Model>> {
    Ok(capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?)
}

/// A capacity's name, if there is such a capacity.
pub async fn name_of<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<String>> {
    Ok(capacity::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.name))
}

/// Every capacity's id and name, by name.
pub async fn names<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(i32, String)>> {
    Ok(capacity::Entity::find()
        .select_only()
        .column(capacity::Column::Id)
        .column(capacity::Column::Name)
        .order_by_asc(capacity::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}

/// Every capacity's name by its id.
pub async fn names_by_id<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<i32, String>> {
    Ok(names(db).await?.into_iter().collect())
}

/// Every capacity, in their order, one page (`page` ≥ 1, `per_page` ≤ 500): (items, total).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    paging: &crate::paging::Paging,
) -> AppResult<(Vec<CapacityView>, u64, u64, u64)> {
    let (page, per_page) = paging.resolve()?;
    let paginator = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(CapacityView::from)
        .collect();
    Ok((items, total, page, per_page))
}

/// Creates a capacity (admins): `code` and `name` required, every problem at once (422),
/// audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    input: &CapacityInput,
) -> AppResult<CapacityView> {
    let code = input.code.as_deref().unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let name = capacity_name(input.name.as_deref().unwrap_or(""), &mut errors);
    let description = capacity_description(input.description.as_deref(), &mut errors);
    if !is_code(&code) {
        errors.push(FieldError::new(
            "code",
            "El código usa solo minúsculas sin tildes, números y guion bajo (máximo 60).",
        ));
    } else if capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(
            "code",
            "Ya existe una capacidad con este código.",
        ));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let next_order = capacity::Entity::find().count(db).await? as i32 + 1;
    let at = crate::time::now();
    let saved = capacity::ActiveModel {
        code: Set(code),
        name: Set(name),
        description: Set(description.unwrap_or_default()),
        sort_order: Set(next_order),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "capacity.created",
            subject_type: "capacity",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(CapacityView::from(saved.clone())).ok(),
        },
    )
    .await?;
    Ok(saved.into())
}

/// Changes a capacity (admins): the code never changes (other systems use it), audited.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    id: i32,
    input: &CapacityInput,
) -> AppResult<CapacityView> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        Some(text) => capacity_name(text, &mut errors),
        None => None,
    };
    let description = capacity_description(input.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let current = capacity::Entity::find_by_id(id).found(db).await?;
    if input
        .code
        .as_deref()
        .is_some_and(|c| c.trim() != current.code)
    {
        return Err(AppError::invalid(
            "code",
            "El código de una capacidad no cambia: otros sistemas lo usan.",
        ));
    }
    let before = CapacityView::from(current.clone());
    let mut model: capacity::ActiveModel = current.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if input.description.is_some() {
        model.description = Set(description.unwrap_or_default());
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    model.updated_at = Set(crate::time::now());
    let saved = model.update(db).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action: "capacity.updated",
            subject_type: "capacity",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(CapacityView::from(saved.clone())).ok(),
        },
    )
    .await?;
    Ok(saved.into())
}
