//! `/api/v1/self-assessment/instrument`, `/api/v1/municipalities/{code}/self-assessments` and
//! `/api/v1/self-assessments/{id}/validation`.

use crate::accounts::guards::{CurrentUser, MunicipalityReader};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed};
use domain::self_assessment::assessments::{
    self, NewSelfAssessment, SelfAssessmentView, Validation,
};
use domain::self_assessment::instrument::{self, InstrumentView};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![current_instrument, submit, list, validate]
}

/// The self-assessment instrument
///
/// Roles: any signed-in account. The current version: per capacity its questions, each with
/// the descriptors of levels 1 to 4.
#[utoipa::path(
    tag = "self-assessment",
    operation_id = "getSelfAssessmentInstrument",
    responses(
        (status = 200, description = "The current version of the instrument.", body = InstrumentView),
    )
)]
#[get("/self-assessment/instrument")]
pub async fn current_instrument(
    db: &State<DatabaseConnection>,
    _user: CurrentUser,
) -> AppResult<Json<InstrumentView>> {
    Ok(Json(instrument::current(db.inner()).await?))
}

/// Submit a municipality's self-assessment
///
/// Roles: the municipality's liaison (another municipality → 404; other roles 403). Every
/// question of the current instrument answered once, with `level` 1–4 and its `evidence`
/// (422 with every problem, nothing written). `entity_type` defaults to `alcaldia`. At most one
/// per entity of the municipality and calendar quarter, a returned one aside (409). `levels`:
/// per capacity, the mean of its questions' levels rounded down. Self-reported.
#[utoipa::path(
    tag = "self-assessment",
    operation_id = "createSelfAssessment",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18256")),
    request_body = NewSelfAssessment,
    responses(
        (status = 201, description = "The self-assessment, submitted.", body = SelfAssessmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/municipalities/<code>/self-assessments", data = "<body>")]
pub async fn submit(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
    body: crate::api::JsonBody<NewSelfAssessment>,
) -> AppResult<Created<SelfAssessmentView>> {
    let view = assessments::submit(db.inner(), &user, code, &body.into_inner()).await?;
    Ok(created(view))
}

/// A municipality's self-assessments
///
/// Roles: staff, the department's reviewer, the municipality's liaison (outside the caller's
/// territory → 404). Newest first, with each one's levels per capacity and state; returned
/// whole.
#[utoipa::path(
    tag = "self-assessment",
    operation_id = "listSelfAssessments",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18256")),
    responses(
        (status = 200, description = "Its self-assessments.", body = List<SelfAssessmentView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/municipalities/<code>/self-assessments")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
) -> AppResult<Json<List<SelfAssessmentView>>> {
    Ok(Json(List::whole(
        assessments::of_municipality(db.inner(), &user, code).await?,
    )))
}

/// Validate or return a self-assessment
///
/// Roles: the reviewer of the municipality's department (another department's reviewer → 404;
/// staff and liaisons 403). `{"accepted": true}` validates it (an alcaldía's becomes its year's
/// self-assessed level, an indicator labelled «autorreportado»); `{"accepted": false, "note"}`
/// returns it (the note is required, 422) and the liaison may submit again in the quarter.
/// Already reviewed → 409.
#[utoipa::path(
    tag = "self-assessment",
    operation_id = "validateSelfAssessment",
    params(("id" = i32, Path, description = "Self-assessment id.", example = 1)),
    request_body = Validation,
    responses(
        (status = 200, description = "The self-assessment, reviewed.", body = SelfAssessmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/self-assessments/<id>/validation", data = "<body>")]
pub async fn validate(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<Validation>,
) -> AppResult<Json<SelfAssessmentView>> {
    Ok(Json(
        assessments::validate(db.inner(), &user, id, &body.into_inner()).await?,
    ))
}
