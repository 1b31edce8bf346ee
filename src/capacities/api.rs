//! `/api/v1/capacities`: everyone signed in reads; admins create and edit (editable reference
//! data, audited).

use crate::accounts::guards::{AdminUser, CurrentUser};
use crate::api::{Created, List, Paging, created};
use crate::audit::{self, Change};
use crate::entities::capacity;
use crate::error::{AppError, AppResult, FieldError};
use crate::openapi::responses::{Forbidden, NotFound};
use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, post, routes};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![list, create, update]
}

/// A municipal capacity a course strengthens.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Capacity)]
pub struct CapacityView {
    id: i32,
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "planeacion_territorial")]
    code: String,
    #[schema(example = "Planeación territorial")]
    name: String,
    description: String,
    /// Inactive capacities cannot be chosen for courses.
    active: bool,
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

/// List municipal capacities
///
/// Roles: any signed-in user. Includes inactive capacities (see `active`).
#[utoipa::path(
    tag = "reference",
    operation_id = "listCapacities",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of capacities.", body = List<CapacityView>))
)]
#[get("/capacities?<page>&<per_page>")]
async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<CapacityView>>> {
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let paginator = capacity::Entity::find()
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .paginate(db.inner(), per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(CapacityView::from)
        .collect();
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

/// A capacity as sent: `code` and `name` are required to create one; on PATCH every field is
/// optional and `code` may only repeat the current one.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = CapacityInput)]
struct CapacityBody {
    /// Lower case without accents, digits and underscore (at most 60); unique; never changes
    /// (other systems use it).
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "gestion_del_riesgo")]
    code: Option<String>,
    /// Printed on certificates: one line, at most 120 characters.
    #[schema(max_length = 120, example = "Gestión del riesgo")]
    name: Option<String>,
    description: Option<String>,
    /// Default `true` when creating.
    active: Option<bool>,
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

/// Create a capacity
///
/// Roles: admin. `code` and `name` are required. Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "createCapacity",
    request_body = CapacityBody,
    responses(
        (status = 201, description = "Capacity created.", body = CapacityView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/capacities", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<CapacityBody>,
) -> AppResult<Created<CapacityView>> {
    let code = body.code.as_deref().unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let name = capacity_name(body.name.as_deref().unwrap_or(""), &mut errors);
    let description = capacity_description(body.description.as_deref(), &mut errors);
    let txn = crate::db::begin(db).await?;
    if !is_code(&code) {
        errors.push(FieldError::new(
            "code",
            "El código usa solo minúsculas sin tildes, números y guion bajo (máximo 60).",
        ));
    } else if capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(
            "code",
            "Ya existe una capacidad con este código.",
        ));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(AppError::Validation(errors).into());
    };
    let next_order = capacity::Entity::find().count(&txn).await? as i32 + 1;
    let at = crate::time::now();
    let saved = capacity::ActiveModel {
        code: Set(code),
        name: Set(name),
        description: Set(description.unwrap_or_default()),
        sort_order: Set(next_order),
        active: Set(body.active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change {
            actor: Some(admin.id),
            action: "capacity.created",
            subject_type: "capacity",
            subject_id: saved.id.to_string(),
            before: None,
            after: serde_json::to_value(CapacityView::from(saved.clone())).ok(),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(created(saved.into()))
}

/// Change a capacity
///
/// Roles: admin. The code never changes (other systems use it): a different `code` is a 422.
/// Audited.
#[utoipa::path(
    tag = "reference",
    operation_id = "updateCapacity",
    params(("id" = i32, Path, description = "Capacity id.", example = 1)),
    request_body = CapacityBody,
    responses(
        (status = 200, description = "The updated capacity.", body = CapacityView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/capacities/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<CapacityBody>,
) -> AppResult<Json<CapacityView>> {
    let mut errors = Vec::new();
    let name = match body.name.as_deref() {
        Some(text) => capacity_name(text, &mut errors),
        None => None,
    };
    let description = capacity_description(body.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let txn = crate::db::begin(db).await?;
    let current = capacity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if body
        .code
        .as_deref()
        .is_some_and(|c| c.trim() != current.code)
    {
        return Err(AppError::invalid(
            "code",
            "El código de una capacidad no cambia: otros sistemas lo usan.",
        )
        .into());
    }
    let before = CapacityView::from(current.clone());
    let mut model: capacity::ActiveModel = current.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if body.description.is_some() {
        model.description = Set(description.unwrap_or_default());
    }
    if let Some(active) = body.active {
        model.active = Set(active);
    }
    model.updated_at = Set(crate::time::now());
    let saved = model.update(&txn).await?;
    audit::record(
        &txn,
        Change {
            actor: Some(admin.id),
            action: "capacity.updated",
            subject_type: "capacity",
            subject_id: saved.id.to_string(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(CapacityView::from(saved.clone())).ok(),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(Json(saved.into()))
}
