//! `/api/v1/courses`: coordinators write, everyone signed in reads.

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound};
use domain::catalogue::courses::{self, CourseInput, CourseView};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![list, create, show, update]
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CourseQuery {
    /// Text in the code or the name.
    q: Option<String>,
    /// Only courses that target this capacity id.
    capacity: Option<i32>,
    /// Only this provider's courses.
    provider: Option<i32>,
    /// Include retired courses (default `false`).
    #[param(inline, value_type = Option<domain::parse::QueryBool>)]
    retired: crate::parse::QueryFlag,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List courses
///
/// Roles: any signed-in user. Ordered by name; retired courses only with `retired=true`.
#[utoipa::path(
    tag = "courses",
    operation_id = "listCourses",
    params(CourseQuery),
    responses((status = 200, description = "A page of courses.", body = List<CourseView>))
)]
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
        query.provider,
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

/// Create a course
///
/// Roles: staff (admin, coordinator). `code`, `name`, `hours` and `capacity_ids` are
/// required. Audited.
#[utoipa::path(
    tag = "courses",
    operation_id = "createCourse",
    request_body = CourseInput,
    responses(
        (status = 201, description = "Course created.", body = CourseView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/courses", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<CourseInput>,
) -> AppResult<Created<CourseView>> {
    let view = domain::db::write(db, async |txn| courses::create(txn, &staff, &body).await).await?;
    Ok(created(view))
}

/// One course
///
/// Roles: any signed-in user.
#[utoipa::path(
    tag = "courses",
    operation_id = "getCourse",
    params(("id" = i32, Path, description = "Course id.", example = 1)),
    responses(
        (status = 200, description = "The course.", body = CourseView),
        (status = 404, response = NotFound),
    )
)]
#[get("/courses/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    id: i32,
) -> AppResult<Json<CourseView>> {
    Ok(Json(courses::view(db.inner(), id).await?))
}

/// Change a course
///
/// Roles: staff. Any subset of fields; `retired: true` retires it (no new cohorts), `false`
/// brings it back. Audited.
#[utoipa::path(
    tag = "courses",
    operation_id = "updateCourse",
    params(("id" = i32, Path, description = "Course id.", example = 1)),
    request_body = CourseInput,
    responses(
        (status = 200, description = "The updated course.", body = CourseView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[patch("/courses/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CourseInput>,
) -> AppResult<Json<CourseView>> {
    let view = domain::db::write(db, async |txn| {
        courses::update(txn, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}
