//! `/api/v1/departments` and `/api/v1/municipalities` (any signed-in user).

use crate::accounts::guards::{AdminUser, CurrentUser, StaffUser};
use crate::api::{List, Paging};
use crate::error::AppResult;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        departments,
        municipalities,
        directions,
        create_direction,
        update_direction,
        holidays
    ]
}

/// The year `GET /holidays` answers for: 1900–2200 (the Gregorian computus holds far beyond,
/// but no plan or session lies outside).
const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// List Colombia's public holidays
///
/// No sign-in needed (public reference data). The eighteen public holidays of `year` (default:
/// this year in Bogotá), already moved to Monday where Ley 51 de 1983 moves them, with the
/// Easter-based days; by date. A year outside 1900–2200 → 422. Sessions on one of these days
/// carry a `festivo` warning, and legal terms (habeas data) count business days without them.
#[utoipa::path(
    tag = "reference",
    operation_id = "listHolidays",
    security(()),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "Calendar year, 1900–2200 (default: this year).", example = 2026),
    ),
    responses(
        (status = 200, description = "The year's holidays, by date.", body = List<domain::holidays::Holiday>),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[get("/holidays?<year>")]
pub async fn holidays(year: Option<&str>) -> AppResult<Json<List<domain::holidays::Holiday>>> {
    let year = match year.map(str::trim) {
        None | Some("") => chrono::Datelike::year(&domain::time::today()),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|year| HOLIDAY_YEARS.contains(year))
            .ok_or_else(|| {
                domain::error::AppError::invalid("year", "El año debe estar entre 1900 y 2200.")
            })?,
    };
    Ok(Json(List::whole(domain::holidays::of_year(year))))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Department)]
pub struct DepartmentView {
    /// DANE code, as a string.
    #[schema(example = "18")]
    code: String,
    #[schema(example = "Caquetá")]
    name: String,
}

/// List departments
///
/// Roles: any signed-in user. Ordered by DANE code.
#[utoipa::path(
    tag = "reference",
    operation_id = "listDepartments",
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Page number, from 1 to 1,000,000."),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Items per page, 1–500."),
    ),
    responses((status = 200, description = "A page of departments.", body = List<DepartmentView>))
)]
#[get("/departments?<page>&<per_page>")]
async fn departments(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
    page: Option<i64>,
    per_page: Option<i64>,
) -> AppResult<Json<List<DepartmentView>>> {
    let (page, per_page) = Paging { page, per_page }.resolve()?;
    let (rows, total) = domain::territory::departments_page(db.inner(), page, per_page).await?;
    let items = rows
        .into_iter()
        .map(|d| DepartmentView {
            code: d.code,
            name: d.name,
        })
        .collect();
    Ok(Json(List::page(items, total, page, per_page)))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Municipality)]
pub struct MunicipalityView {
    /// DANE code, as a string.
    #[schema(example = "18094")]
    code: String,
    #[schema(example = "Belén de los Andaquíes")]
    name: String,
    #[schema(example = "18")]
    department_code: String,
    /// Municipal category (Ley 617): `E` or 1–6.
    #[schema(example = "6")]
    category: Option<String>,
    /// Name of the PDET subregion, null when not PDET.
    #[schema(example = "Cuenca del Caguán y Piedemonte Caqueteño")]
    pdet_subregion: Option<String>,
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MunicipalityQuery {
    /// DANE code of the department.
    #[param(example = "18")]
    department: Option<String>,
    /// `true`: only PDET municipalities; `false`: only non-PDET.
    #[param(inline, value_type = Option<domain::parse::QueryBool>)]
    pdet: crate::parse::QueryFlag,
    /// Municipal category (Ley 617), `E` or 1–6; anything else is a 422.
    #[param(inline, value_type = Option<domain::territory::Category>)]
    category: Option<String>,
    /// Part of the name; case and accents are ignored.
    #[param(example = "paujil")]
    q: Option<String>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List municipalities
///
/// Roles: any signed-in user. Ordered by DANE code.
#[utoipa::path(
    tag = "reference",
    operation_id = "listMunicipalities",
    params(MunicipalityQuery),
    responses((status = 200, description = "A page of municipalities.", body = List<MunicipalityView>))
)]
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
    let filter = domain::territory::MunicipalityFilter {
        department: query.department.clone(),
        pdet: query.pdet.value("pdet")?,
        category: query.category.clone(),
        text: query.q.clone(),
    };
    let (rows, total) =
        domain::territory::municipalities_page(db.inner(), &filter, page, per_page).await?;
    let items = rows
        .into_iter()
        .map(|(m, region)| MunicipalityView {
            code: m.code,
            name: m.name,
            department_code: m.department_code,
            category: m.category,
            pdet_subregion: region,
        })
        .collect();
    Ok(Json(List::page(items, total, page, per_page)))
}

/// List territorial directions
///
/// Roles: admin and coordinators. ESAP's direcciones territoriales, each with its departments
/// (a coordinator with a direction manages only the cohorts of its departments).
#[utoipa::path(
    tag = "demand",
    operation_id = "listTerritorialDirections",
    responses(
        (status = 200, description = "Every direction, by name.", body = List<domain::territory::directions::Direction>),
        (status = 403, response = crate::openapi::responses::Forbidden),
    )
)]
#[get("/territorial-directions")]
pub async fn directions(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
) -> AppResult<Json<List<domain::territory::directions::Direction>>> {
    let items = domain::territory::directions::list(db.inner()).await?;
    Ok(Json(List::whole(items)))
}

/// Create a territorial direction
///
/// Roles: admin. `name` and `department_codes` are required; a department belongs to one
/// direction at most (422). Audited.
#[utoipa::path(
    tag = "demand",
    operation_id = "createTerritorialDirection",
    request_body = domain::territory::directions::DirectionInput,
    responses(
        (status = 201, description = "The direction.", body = domain::territory::directions::Direction),
        (status = 403, response = crate::openapi::responses::Forbidden),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[post("/territorial-directions", data = "<body>")]
pub async fn create_direction(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    body: crate::api::JsonBody<domain::territory::directions::DirectionInput>,
) -> AppResult<crate::api::Created<domain::territory::directions::Direction>> {
    let view = domain::db::write(db, async |txn| {
        domain::territory::directions::create(txn, admin.id, &body.into_inner()).await
    })
    .await?;
    Ok(crate::api::created(view))
}

/// Change a territorial direction
///
/// Roles: admin. Absent fields stay; `department_codes` replaces the departments. Audited.
#[utoipa::path(
    tag = "demand",
    operation_id = "updateTerritorialDirection",
    params(("id" = i32, Path, description = "Direction id.", example = 1)),
    request_body = domain::territory::directions::DirectionInput,
    responses(
        (status = 200, description = "The direction.", body = domain::territory::directions::Direction),
        (status = 403, response = crate::openapi::responses::Forbidden),
        (status = 404, response = crate::openapi::responses::NotFound),
        (status = 422, response = crate::openapi::responses::ValidationFailed),
    )
)]
#[patch("/territorial-directions/<id>", data = "<body>")]
pub async fn update_direction(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    body: crate::api::JsonBody<domain::territory::directions::DirectionInput>,
) -> AppResult<Json<domain::territory::directions::Direction>> {
    Ok(domain::db::write(db, async |txn| {
        let view =
            domain::territory::directions::update(txn, admin.id, id, &body.into_inner()).await?;
        Ok(Json(view))
    })
    .await?)
}
