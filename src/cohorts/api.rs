//! `/api/v1/cohorts` and their sessions. Coordinators write; every read goes through the
//! caller's scope (out of scope answers 404).

use super::scope::CohortScope;
use super::sessions::{self, Recurrence, SessionInput, SessionView};
use super::{CohortInput, CohortView, ListFilter};
use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::entities::values::{CohortStatus, Modality};
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::Mailer;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, delete, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        update,
        list_sessions,
        add_session,
        generate_sessions,
        update_session,
        delete_session
    ]
}

#[derive(FromForm)]
struct CohortQuery {
    status: Option<String>,
    department: Option<String>,
    municipality: Option<String>,
    capacity: Option<i32>,
    course: Option<i32>,
    modality: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl CohortQuery {
    fn filter(&self) -> AppResult<ListFilter> {
        let mut errors = Vec::new();
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => {
                let parsed = CohortStatus::parse(s);
                if parsed.is_none() {
                    errors.push(FieldError::new("status", "Estado desconocido."));
                }
                parsed
            }
            None => None,
        };
        let modality = match self.modality.as_deref().filter(|s| !s.is_empty()) {
            Some(m) => {
                let parsed = Modality::parse(m);
                if parsed.is_none() {
                    errors.push(FieldError::new("modality", "Modalidad desconocida."));
                }
                parsed
            }
            None => None,
        };
        let from = crate::parse::date("from", self.from.as_deref(), false, &mut errors);
        let to = crate::parse::date("to", self.to.as_deref(), false, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors).into());
        }
        Ok(ListFilter {
            status,
            department: crate::parse::text(self.department.as_deref()),
            municipality: crate::parse::text(self.municipality.as_deref())
                .map(|m| crate::people::registration::normalize_municipality_code(&m)),
            capacity_id: self.capacity,
            course_id: self.course,
            modality,
            from,
            to,
            text: crate::parse::text(self.q.as_deref()),
        })
    }
}

#[get("/cohorts?<query..>")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    query: CohortQuery,
) -> AppResult<Json<List<CohortView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let scope = CohortScope::of(Some(&user));
    let (items, total) = super::list(db.inner(), &scope, &query.filter()?, page, per_page).await?;
    Ok(Json(List {
        items,
        total,
        page,
        per_page,
    }))
}

#[post("/cohorts", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<CohortInput>,
) -> AppResult<Created<CohortView>> {
    let txn = crate::db::begin(db).await?;
    let view = super::create(&txn, staff.id, &body).await?;
    txn.commit().await?;
    Ok(created(view))
}

#[get("/cohorts/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<CohortView>> {
    super::find_in_scope(db.inner(), &CohortScope::of(Some(&user)), id).await?;
    Ok(Json(super::view(db.inner(), id).await?))
}

#[patch("/cohorts/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CohortInput>,
) -> AppResult<Json<CohortView>> {
    let txn = crate::db::begin(db).await?;
    let view = super::update(&txn, &notifier, staff.id, id, &body).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[get("/cohorts/<id>/sessions")]
async fn list_sessions(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<SessionView>>> {
    super::find_in_scope(db.inner(), &CohortScope::of(Some(&user)), id).await?;
    let items: Vec<SessionView> = sessions::list(db.inner(), id)
        .await?
        .into_iter()
        .map(SessionView::from)
        .collect();
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

#[post("/cohorts/<id>/sessions", data = "<body>")]
async fn add_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<SessionInput>,
) -> AppResult<Created<SessionView>> {
    let txn = crate::db::begin(db).await?;
    let cohort = super::find(&txn, id).await?;
    let view = sessions::add(&txn, staff.id, &cohort, &body).await?;
    txn.commit().await?;
    Ok(created(view))
}

#[post("/cohorts/<id>/sessions/generate", data = "<body>")]
async fn generate_sessions(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<Recurrence>,
) -> AppResult<Created<List<SessionView>>> {
    let txn = crate::db::begin(db).await?;
    let cohort = super::find(&txn, id).await?;
    let items = sessions::generate(&txn, staff.id, &cohort, &body).await?;
    txn.commit().await?;
    let total = items.len() as u64;
    Ok(created(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}

#[patch("/sessions/<id>", data = "<body>")]
async fn update_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<SessionInput>,
) -> AppResult<Json<SessionView>> {
    let txn = crate::db::begin(db).await?;
    let session = sessions::find(&txn, id).await?;
    let cohort = super::find(&txn, session.cohort_id).await?;
    let view = sessions::update(&txn, staff.id, &cohort, id, &body).await?;
    txn.commit().await?;
    Ok(Json(view))
}

#[delete("/sessions/<id>")]
async fn delete_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Status> {
    let txn = crate::db::begin(db).await?;
    let session = sessions::find(&txn, id).await?;
    let cohort = super::find(&txn, session.cohort_id).await?;
    sessions::remove(&txn, staff.id, &cohort, id).await?;
    txn.commit().await?;
    Ok(Status::NoContent)
}
