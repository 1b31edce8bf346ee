//! `/api/v1`: a cohort's assessment items, scores per item, the scores grid as `.xlsx`
//! (download, upload with dry run) and the cohort's results.

use super::sheet::{self, ScoreUploadSummary, ScoresImport};
use super::{AssessmentInput, AssessmentView, ScoreInput, ScoreView};
use crate::accounts::guards::{CurrentUser, StaffOrInstructor};
use crate::api::{Created, List, created};
use crate::attendance::{Access, cohort_access};
use crate::error::{AppError, AppResult};
use crate::parse::QueryFlag;
use crate::people::scope::PersonScope;
use crate::results::ResultRow;
use crate::spreadsheets::Download;
use crate::web::import::{self, Upload};
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

#[derive(Serialize)]
struct Items {
    items: Vec<AssessmentView>,
    total: u64,
    page: u64,
    per_page: u64,
    /// Σ weights; results are final only at 100.
    weights_total: i32,
}

#[post("/cohorts/<id>/assessments", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<AssessmentInput>,
) -> AppResult<Created<AssessmentView>> {
    let txn = crate::db::begin(db).await?;
    let (cohort, access) = cohort_access(&txn, &user, id).await?;
    access.require_manage()?;
    let view = super::create(&txn, user.id, &cohort, &body).await?;
    txn.commit().await?;
    Ok(created(view))
}

#[get("/cohorts/<id>/assessments")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<Items>> {
    let (cohort, _) = cohort_access(db.inner(), &user, id).await?;
    let items = super::list(db.inner(), cohort.id).await?;
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
    crate::entities::assessment::Model,
    crate::entities::cohort::Model,
    Access,
)> {
    let item = super::find(db, id).await?;
    let (cohort, access) = cohort_access(db, user, item.cohort_id).await?;
    Ok((item, cohort, access))
}

#[patch("/assessments/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<AssessmentInput>,
) -> AppResult<Json<AssessmentView>> {
    let txn = crate::db::begin(db).await?;
    let (item, cohort, access) = item_access(&txn, &user, id).await?;
    access.require_manage()?;
    let view = super::update(&txn, user.id, &cohort, item, &body).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[delete("/assessments/<id>")]
async fn remove(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
) -> AppResult<rocket::http::Status> {
    let txn = crate::db::begin(db).await?;
    let (item, cohort, access) = item_access(&txn, &user, id).await?;
    access.require_manage()?;
    super::remove(&txn, user.id, &cohort, item).await?;
    txn.commit().await?;
    Ok(rocket::http::Status::NoContent)
}

#[put("/assessments/<id>/scores", data = "<body>")]
async fn put_scores(
    db: &State<DatabaseConnection>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<Vec<ScoreInput>>,
) -> AppResult<Json<Vec<ScoreView>>> {
    let txn = crate::db::begin(db).await?;
    let (item, cohort, access) = item_access(&txn, &user, id).await?;
    access.require_manage()?;
    let planned = super::plan_scores(&txn, &cohort, &item, &body).await?;
    super::save_scores(&txn, user.id, &cohort, &planned).await?;
    let ids: Vec<i32> = planned.iter().map(|p| p.enrolment_id).collect();
    let mut scores = super::scores_of(&txn, &item, &PersonScope::All, Some(&ids)).await?;
    txn.commit().await?;
    scores.sort_by_key(|s| ids.iter().position(|id| *id == s.enrolment_id));
    Ok(Json(scores))
}

#[get("/assessments/<id>/scores")]
async fn get_scores(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<ScoreView>>> {
    let (item, _, access) = item_access(db.inner(), &user, id).await?;
    let items = super::scores_of(db.inner(), &item, &access.people(), None).await?;
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

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

#[derive(Serialize)]
struct Results {
    items: Vec<ResultRow>,
    total: u64,
    page: u64,
    per_page: u64,
    cohort_id: i32,
    /// Results are frozen (the cohort is closed).
    closed: bool,
    min_attendance_pct: i32,
    pass_mark: f64,
}

#[get("/cohorts/<id>/results")]
async fn results(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<Results>> {
    let (cohort, access) = cohort_access(db.inner(), &user, id).await?;
    let items = crate::results::compute(db.inner(), &cohort, &access.people(), None).await?;
    let total = items.len() as u64;
    Ok(Json(Results {
        items,
        total,
        page: 1,
        per_page: total.max(1),
        cohort_id: cohort.id,
        closed: cohort.status == crate::entities::values::CohortStatus::Closed,
        min_attendance_pct: cohort.min_attendance_pct,
        pass_mark: crate::parse::grade_value(cohort.pass_mark_tenths),
    }))
}
