//! `/api/v1/departments` and `/api/v1/municipalities` (any signed-in user).

use crate::accounts::guards::CurrentUser;
use crate::api::{List, Paging};
use crate::entities::{department, municipality, pdet_subregion};
use crate::error::{AppError, AppResult};
use crate::text::fold;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, routes};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![departments, municipalities]
}

#[derive(Serialize)]
pub struct DepartmentView {
    code: String,
    name: String,
}

#[get("/departments?<page>&<per_page>")]
async fn departments(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<DepartmentView>>> {
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let paginator = department::Entity::find()
        .order_by_asc(department::Column::Code)
        .paginate(db.inner(), per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|d| DepartmentView {
            code: d.code,
            name: d.name,
        })
        .collect();
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

#[derive(Serialize)]
pub struct MunicipalityView {
    code: String,
    name: String,
    department_code: String,
    category: Option<String>,
    pdet_subregion: Option<String>,
}

#[derive(FromForm)]
struct MunicipalityQuery {
    department: Option<String>,
    pdet: crate::parse::QueryFlag,
    category: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[get("/municipalities?<query..>")]
async fn municipalities(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    query: MunicipalityQuery,
) -> AppResult<Json<List<MunicipalityView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let mut select = municipality::Entity::find()
        .find_also_related(pdet_subregion::Entity)
        .order_by_asc(municipality::Column::Code);
    if let Some(code) = query
        .department
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        select = select.filter(municipality::Column::DepartmentCode.eq(code));
    }
    match query.pdet.value("pdet")? {
        Some(true) => select = select.filter(municipality::Column::PdetSubregionId.is_not_null()),
        Some(false) => select = select.filter(municipality::Column::PdetSubregionId.is_null()),
        None => {}
    }
    if let Some(category) = query
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let category = category.to_uppercase();
        if !["E", "1", "2", "3", "4", "5", "6"].contains(&category.as_str()) {
            return Err(AppError::invalid(
                "category",
                "La categoría debe ser E o un número de 1 a 6.",
            )
            .into());
        }
        select = select.filter(municipality::Column::Category.eq(category));
    }
    if let Some(text) = query.q.as_deref().map(fold).filter(|t| !t.is_empty()) {
        select = select.filter(municipality::Column::SearchName.contains(text.as_str()));
    }
    let paginator = select.paginate(db.inner(), per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|(m, region)| MunicipalityView {
            code: m.code,
            name: m.name,
            department_code: m.department_code,
            category: m.category,
            pdet_subregion: region.map(|r| r.name),
        })
        .collect();
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}
