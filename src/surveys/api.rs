//! `/api/v1` for satisfaction and follow-up (issue 17): a participant's pending surveys and
//! their answers; the satisfaction report (JSON and workbook) for coordinators (a direction's:
//! its departments) and reviewers (their department). No response body ever says who answered
//! what.

use crate::accounts::guards::{CurrentUser, ParticipantUser};
use crate::api::{Created, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed};
use domain::error::AppError;
use domain::surveys::reports::{By, Cache, SatisfactionQuery, SatisfactionReport};
use domain::surveys::{PendingSurvey, Recorded, ResponseInput};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![mine, respond, report, report_xlsx]
}

/// The caller's pending surveys
///
/// Roles: participant. The surveys open now and not answered yet, soonest to close first.
#[utoipa::path(
    tag = "surveys",
    operation_id = "listMySurveys",
    responses(
        (status = 200, description = "Pending surveys.", body = Vec<PendingSurvey>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/surveys")]
async fn mine(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<Vec<PendingSurvey>>> {
    Ok(Json(
        domain::surveys::pending(db.inner(), &me, domain::time::now()).await?,
    ))
}

/// Answer a survey
///
/// Roles: participant, for their own survey (another person's: 404). Satisfaction:
/// `answers` holds `calidad`, `pertinencia`, `oportunidad`, `metodologia`, `instructor` and
/// `logistica`, each 1–5. Follow-up: `aplicacion` (`si`, `parcialmente`, `no`) and
/// `sigue_en_entidad` (boolean), which updates whether the person is still in the entity.
/// `comment` is optional (up to 2.000 characters). Once only (409 the second time) and only
/// while open (409 after it closes). The answer is stored apart from the caller's identity.
#[utoipa::path(
    tag = "surveys",
    operation_id = "answerSurvey",
    params(("id" = i32, Path, description = "The survey.")),
    request_body = ResponseInput,
    responses(
        (status = 201, description = "Recorded.", body = Recorded),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/surveys/<id>/responses", data = "<body>")]
async fn respond(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
    id: i32,
    body: crate::api::JsonBody<ResponseInput>,
) -> AppResult<Created<Recorded>> {
    Ok(domain::db::write(db, async |txn| {
        let recorded =
            domain::surveys::answer(txn, &me, id, &body.into_inner(), domain::time::now()).await?;
        Ok(created(recorded))
    })
    .await?)
}

/// The satisfaction report's filters.
#[derive(Debug, Default, FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionParams {
    /// DANE code of a department (of the participants' municipalities).
    #[param(example = "18")]
    pub(crate) department: Option<String>,
    /// Capacity id.
    pub(crate) capacity: Option<i32>,
    /// Course id.
    pub(crate) course: Option<i32>,
    /// Cohort id.
    pub(crate) cohort: Option<i32>,
    /// The quarter in which the cohorts ended, `2026-T4`.
    #[param(example = "2026-T4")]
    pub(crate) quarter: Option<String>,
    /// The breakdown: `cohort` (default), `course`, `capacity`, `department` or `quarter`.
    #[param(value_type = Option<By>)]
    pub(crate) by: Option<String>,
}

impl SatisfactionParams {
    /// The domain's query; 422 for an unknown breakdown or a malformed quarter.
    pub(crate) fn query(&self) -> AppResult<SatisfactionQuery> {
        let by = match self.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            None => By::default(),
            Some(text) => By::parse(text).ok_or_else(|| {
                AppError::invalid(
                    "by",
                    "Agrupe por cohort, course, capacity, department o quarter.",
                )
            })?,
        };
        let quarter = match self.quarter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(domain::surveys::reports::parse_quarter(text)?),
        };
        Ok(SatisfactionQuery {
            department: self.department.clone(),
            capacity: self.capacity,
            course: self.course,
            cohort: self.cohort,
            quarter,
            by,
        })
    }
}

/// The satisfaction report
///
/// Roles: admin and coordinators (a direction's coordinator: its departments), reviewers
/// (their department); others 403. Satisfaction surveys sent (`invited`) and answered
/// (`responded`), the response rate, and each dimension's mean (`items`); the follow-up's
/// answers; and the breakdown chosen with `by` (`groups`). A group with fewer than 5 answers
/// gives `null` means (also when narrowing to departments leaves 1 to 4 answers of the same
/// cohorts outside them). Coordinators also get `instructors`, and with `cohort=` the
/// cohort's comments without names. No answer is ever returned with who gave it.
#[utoipa::path(
    tag = "surveys",
    operation_id = "reportSatisfaction",
    params(SatisfactionParams),
    responses(
        (status = 200, description = "The report.", body = SatisfactionReport),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/satisfaction?<params..>", rank = 2)]
async fn report(
    db: &State<DatabaseConnection>,
    cache: &State<Cache>,
    user: CurrentUser,
    params: SatisfactionParams,
) -> AppResult<Json<std::sync::Arc<SatisfactionReport>>> {
    Ok(Json(
        domain::surveys::reports::cached(db.inner(), cache, &user, &params.query()?).await?,
    ))
}

/// The satisfaction report as a workbook
///
/// Same roles and parameters as `GET /reports/satisfaction`: sheets «Resumen», the
/// breakdown, «Seguimiento», and for coordinators «Instructores» and a cohort's
/// «Comentarios».
#[utoipa::path(
    tag = "surveys",
    operation_id = "reportSatisfactionXlsx",
    params(SatisfactionParams),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/satisfaction.xlsx?<params..>", rank = 1)]
async fn report_xlsx(
    db: &State<DatabaseConnection>,
    cache: &State<Cache>,
    user: CurrentUser,
    params: SatisfactionParams,
) -> AppResult<crate::spreadsheets::download::Download> {
    workbook(db.inner(), cache, &user, &params.query()?).await
}

/// The report's workbook for `user` (the API's and the page's download).
pub(crate) async fn workbook(
    db: &DatabaseConnection,
    cache: &Cache,
    user: &domain::accounts::actor::Actor,
    query: &SatisfactionQuery,
) -> AppResult<crate::spreadsheets::download::Download> {
    let report = domain::surveys::reports::cached(db, cache, user, query).await?;
    let mut filters =
        crate::demand::api::report_filters(db, query.department.as_deref(), query.capacity).await?;
    filters.extend(names(db, query).await?);
    filters.push(("Agrupado por".into(), query.by.label().into()));
    let bytes = domain::surveys::workbook::satisfaction(&report, filters, &user.full_name).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(
        domain::surveys::workbook::FILE,
        bytes,
    ))
}

/// The course, cohort and quarter filters as a workbook's header names them.
async fn names(
    db: &DatabaseConnection,
    query: &SatisfactionQuery,
) -> crate::error::DomainResult<Vec<(String, String)>> {
    let course = match query.course {
        Some(id) => domain::catalogue::courses::name_of(db, id).await?,
        None => None,
    };
    let cohort = match query.cohort {
        Some(id) => domain::cohorts::name_of(db, id).await?,
        None => None,
    };
    let (course, cohort) = (
        course.unwrap_or_else(|| "Todos".into()),
        cohort.unwrap_or_else(|| "Todas".into()),
    );
    Ok(vec![
        ("Curso".into(), course),
        ("Cohorte".into(), cohort),
        (
            "Trimestre".into(),
            query.quarter.clone().unwrap_or_else(|| "Todos".into()),
        ),
    ])
}
