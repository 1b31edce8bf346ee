//! `/api/v1`: a cohort's assessment items, scores per item, the scores grid as `.xlsx`
//! (download, upload with dry run) and the cohort's results.

use crate::accounts::guards::{CurrentUser, StaffOrInstructor};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, PayloadTooLarge, Workbook};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{self, Upload};
use domain::assessment::sheet::{self, ScoreUploadSummary, ScoresImport};
use domain::assessment::{AssessmentInput, AssessmentView, ScoreInput, ScoreView};
use domain::attendance::{Access, cohort_access};
use domain::error::AppError;
use domain::results::ResultRow;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, patch, post, put, routes};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        update,
        remove,
        put_scores,
        get_scores,
        scores_sheet,
        scores_import,
        results
    ]
}

/// The assessment items of a cohort in the list envelope, with the sum of their weights.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AssessmentList)]
struct Items {
    items: Vec<AssessmentView>,
    total: u64,
    page: u64,
    per_page: u64,
    /// Σ weights; results are final only at 100.
    #[schema(minimum = 0, maximum = 100)]
    weights_total: i32,
}

/// Add an assessment item to a cohort
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; another
/// instructor's cohort → 404). Weights are whole percentages (1–100); the weights of a cohort
/// may not sum more than 100 (results are final only at 100). A name already used in the
/// cohort, a missing name or weight, or a sum over 100 → 422. Closed or cancelled cohort →
/// 409. Audited.
#[utoipa::path(
    tag = "assessments",
    operation_id = "createAssessment",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = AssessmentInput,
    responses(
        (status = 201, description = "Assessment created.", body = AssessmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/assessments", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<AssessmentInput>,
) -> AppResult<Created<AssessmentView>> {
    Ok(domain::db::write(db, async |txn| {
        let (cohort, access) = cohort_access(txn, &user, id).await?;
        access.require_manage()?;
        let view = domain::assessment::create(txn, user.id, &cohort, &body).await?;
        Ok(created(view))
    })
    .await?)
}

/// The assessment items of a cohort
///
/// Roles: staff, the cohort's instructors, reviewers in scope and participants enrolled in
/// the cohort; out of scope → 404. In order; returned whole, with the sum of the weights.
#[utoipa::path(
    tag = "assessments",
    operation_id = "listAssessments",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The cohort's assessments.", body = Items),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/assessments")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<Items>> {
    let (cohort, _) = cohort_access(db.inner(), &user, id).await?;
    let items = domain::assessment::list(db.inner(), cohort.id).await?;
    let total = items.len() as u64;
    Ok(Json(Items {
        weights_total: items.iter().map(|i| i.weight).sum(),
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

/// The item, its cohort and the caller's access.
async fn item_access<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    id: i32,
) -> AppResult<(
    domain::entities::assessment::Model,
    domain::entities::cohort::Model,
    Access,
)> {
    let item = domain::assessment::find(db, id).await?;
    let (cohort, access) = cohort_access(db, user, item.cohort_id).await?;
    Ok((item, cohort, access))
}

/// Rename an assessment item or change its weight
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; out of scope
/// → 404). `name` and `weight` are optional; the same rules as creating apply. Closed or
/// cancelled cohort → 409. Audited.
///
/// **Extension** (not in api-v1.md): items are corrected after they are created.
#[utoipa::path(
    tag = "assessments",
    operation_id = "updateAssessment",
    params(("id" = i32, Path, description = "Assessment id.", example = 1)),
    request_body = AssessmentInput,
    responses(
        (status = 200, description = "The updated assessment.", body = AssessmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[patch("/assessments/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<AssessmentInput>,
) -> AppResult<Json<AssessmentView>> {
    Ok(domain::db::write(db, async |txn| {
        let (item, cohort, access) = item_access(txn, &user, id).await?;
        access.require_manage()?;
        let view = domain::assessment::update(txn, user.id, &cohort, item, &body).await?;
        Ok(Json(view))
    })
    .await?)
}

/// Delete an assessment item without scores
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; out of scope
/// → 404). An item with scores (history), or of a closed or cancelled cohort → 409. Audited.
///
/// **Extension** (not in api-v1.md): removes items created by mistake.
#[utoipa::path(
    tag = "assessments",
    operation_id = "deleteAssessment",
    params(("id" = i32, Path, description = "Assessment id.", example = 1)),
    responses(
        (status = 204, description = "Assessment deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/assessments/<id>")]
async fn remove(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
) -> AppResult<rocket::http::Status> {
    Ok(domain::db::write(db, async |txn| {
        let (item, cohort, access) = item_access(txn, &user, id).await?;
        access.require_manage()?;
        domain::assessment::remove(txn, user.id, &cohort, item).await?;
        Ok(rocket::http::Status::NoContent)
    })
    .await?)
}

/// Record scores for an assessment
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; out of scope
/// → 404). Scores on the Colombian 0.0–5.0 scale (one decimal); `"score": null` removes a
/// score. All or nothing: every problem is answered at once as a 422 with fields
/// `[n].score`, `[n].enrolment_id` (`n` the position in the array): an empty array, a score
/// out of range, an enrolment of another cohort, waitlisted, cancelled or already with final
/// results, or the same enrolment twice. Closed or cancelled cohort → 409. Audited. Answers
/// 200 with the recorded scores in the order sent (removed ones are not listed).
#[utoipa::path(
    tag = "assessments",
    operation_id = "putScores",
    params(("id" = i32, Path, description = "Assessment id.", example = 1)),
    request_body = Vec<ScoreInput>,
    responses(
        (status = 200, description = "The scores recorded.", body = Vec<ScoreView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[put("/assessments/<id>/scores", data = "<body>")]
async fn put_scores(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<Vec<ScoreInput>>,
) -> AppResult<Json<Vec<ScoreView>>> {
    let (ids, mut scores) = domain::db::write(db, async |txn| {
        let (item, cohort, access) = item_access(txn, &user, id).await?;
        access.require_manage()?;
        let planned =
            domain::assessment::plan_scores(txn, &access.people(), &cohort, &item, &body).await?;
        domain::assessment::save_scores(txn, user.id, &cohort, &planned).await?;
        let ids: Vec<i32> = planned.iter().map(|p| p.enrolment_id).collect();
        let scores =
            domain::assessment::scores_of(txn, &item, &access.people(), Some(&ids)).await?;
        Ok((ids, scores))
    })
    .await?;
    scores.sort_by_key(|s| ids.iter().position(|id| *id == s.enrolment_id));
    Ok(Json(scores))
}

/// The scores of an assessment
///
/// Roles: staff and the cohort's instructors (everyone), reviewers in scope (the people of
/// their department), a participant enrolled in the cohort (only their own score). Out of
/// scope → 404. Returned whole.
///
/// **Extension** (not in api-v1.md): the contract only writes scores.
#[utoipa::path(
    tag = "assessments",
    operation_id = "getScores",
    params(("id" = i32, Path, description = "Assessment id.", example = 1)),
    responses(
        (status = 200, description = "The recorded scores.", body = List<ScoreView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/assessments/<id>/scores")]
async fn get_scores(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<ScoreView>>> {
    let (item, _, access) = item_access(db.inner(), &user, id).await?;
    let items = domain::assessment::scores_of(db.inner(), &item, &access.people(), None).await?;
    Ok(Json(List::whole(items)))
}

/// The scores grid of a cohort
///
/// Staff, the cohort's instructors and reviewers in scope (reviewers get only the people of
/// their department); out of scope → 404; participants 403. Sheet «Calificaciones»: one row
/// per enrolled person («Inscripción», document, name) and one column per assessment item
/// titled with its name, with the recorded scores (0,0–5,0, checked by Excel); filled
/// offline and uploaded back with `POST /cohorts/{id}/scores/import`. File
/// `calificaciones-cohorte-{id}.xlsx`.
///
/// **Extension** (not in api-v1.md): scores are written where there is no connection.
#[utoipa::path(
    tag = "assessments",
    operation_id = "cohortScoresXlsx",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/scores.xlsx")]
async fn scores_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    if matches!(access, Access::Own(_)) {
        return Err(AppError::Forbidden.into());
    }
    let bytes = sheet::workbook(db.inner(), &cohort, &access.people(), &user.full_name).await?;
    Ok(Download::xlsx(
        &format!("calificaciones-cohorte-{}.xlsx", cohort.id),
        bytes,
    ))
}

/// Upload the filled scores grid of a cohort
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403). The file is
/// the grid of `GET /cohorts/{id}/scores.xlsx` (`.xlsx` or `.csv`); an empty cell leaves the
/// score as it is. **All or nothing**: any bad cell (a score out of 0.0–5.0, an enrolment
/// that cannot receive scores, a person twice) → 422 with `errors: [{row, field, message}]`
/// and nothing written; a file with no score written → 422 on `file`. `dry_run=true`
/// answers the changes without writing. A cohort without assessment items, or closed or
/// cancelled → 409. File limits as in `POST /cohorts/{id}/enrolments/import` (413 above
/// 5 MiB). Audited.
///
/// **Extension** (not in api-v1.md): scores are written where there is no connection.
#[utoipa::path(
    tag = "assessments",
    operation_id = "importScores",
    params(
        ("id" = i32, Path, description = "Cohort id.", example = 1),
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) changed.", body = domain::spreadsheets::ImportSummary<domain::assessment::sheet::ScoreChange>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
    )
)]
#[post("/cohorts/<id>/scores/import?<dry_run>", data = "<upload>")]
async fn scores_import(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    dry_run: QueryFlag,
    upload: rocket::form::Form<Upload<'_>>,
) -> AppResult<Json<ScoreUploadSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let scores = ScoresImport::open(db.inner(), &user, id);
    import::answer(db, scores, &upload.file, dry_run).await
}

/// The results of a cohort in the list envelope, with its completion rule.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ResultList)]
struct Results {
    items: Vec<ResultRow>,
    total: u64,
    page: u64,
    per_page: u64,
    cohort_id: i32,
    /// Results are frozen (the cohort is closed).
    closed: bool,
    #[schema(minimum = 0, maximum = 100)]
    min_attendance_pct: i32,
    #[schema(minimum = 0, maximum = 5)]
    pass_mark: f64,
}

/// Attendance, grade and completion of each enrolment
///
/// Roles: staff and the cohort's instructors (everyone), reviewers in scope (the people of
/// their department), a participant enrolled in the cohort (only their own row). Out of scope
/// → 404. One row per enrolled person, returned whole, with the cohort's completion rule;
/// frozen once the cohort is closed (`closed: true`).
#[utoipa::path(
    tag = "assessments",
    operation_id = "getCohortResults",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "One row per enrolment.", body = Results),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/results")]
async fn results(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<Results>> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    let items = domain::results::compute(db.inner(), &cohort, &access.people(), None).await?;
    let total = items.len() as u64;
    Ok(Json(Results {
        items,
        total,
        page: 1,
        per_page: total.max(1),
        cohort_id: cohort.id,
        closed: cohort.status == domain::entities::values::CohortStatus::Closed,
        min_attendance_pct: cohort.min_attendance_pct,
        pass_mark: domain::parse::grade_value(cohort.pass_mark_tenths),
    }))
}
