//! `/api/v1/courses`: coordinators write, everyone signed in reads.

use super::courses::{self, CourseInput, CourseView};
use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![list, create, show, update]
}

#[derive(FromForm)]
struct CourseQuery {
    q: Option<String>,
    capacity: Option<i32>,
    retired: crate::parse::QueryFlag,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[get("/courses?<query..>")]
async fn list(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    query: CourseQuery,
) -> AppResult<Json<List<CourseView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let (items, total) = courses::list(
        db.inner(),
        query.q.as_deref(),
        query.capacity,
        query.retired.or("retired", false)?,
        page,
        per_page,
    )
    .await?;
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

#[post("/courses", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<CourseInput>,
) -> AppResult<Created<CourseView>> {
    let txn = crate::db::begin(db).await?;
    let view = courses::create(&txn, staff.id, &body).await?;
    txn.commit().await?;
    Ok(created(view))
}

#[get("/courses/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    id: i32,
) -> AppResult<Json<CourseView>> {
    Ok(Json(courses::view(db.inner(), id).await?))
}

#[patch("/courses/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CourseInput>,
) -> AppResult<Json<CourseView>> {
    let txn = crate::db::begin(db).await?;
    let view = courses::update(&txn, staff.id, id, &body).await?;
    txn.commit().await?;
    Ok(Json(view))
}
