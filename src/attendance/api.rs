//! `/api/v1`: attendance of a session (take, read), self check-in and its code, the offline
//! sheets (download, upload with dry run) and a participant's own progress.

use super::checkin::{self, CodeView, Outcome};
use super::progress::{self, Progress};
use super::sheet::{self, SheetImport, SheetOf, UploadSummary};
use super::{Access, MarkInput, MarkView, RosterEntry};
use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffOrInstructor};
use crate::api::List;
use crate::cohorts::sessions::SessionView;
use crate::config::AppConfig;
use crate::entities::values::MarkSource;
use crate::error::{AppError, AppResult};
use crate::mail::{Mailer, Notifier};
use crate::parse::QueryFlag;
use crate::people::scope::PersonScope;
use crate::spreadsheets::Download;
use crate::web::import::{self, Upload};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, put, routes};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    routes![
        put_attendance,
        get_attendance,
        check_in,
        check_in_code,
        session_sheet,
        cohort_sheet,
        session_import,
        cohort_import,
        my_progress
    ]
}

#[put("/sessions/<id>/attendance", data = "<body>")]
async fn put_attendance(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<Vec<MarkInput>>,
) -> AppResult<Json<Vec<MarkView>>> {
    let txn = crate::db::begin(db).await?;
    let (session, cohort, access) = super::session_access(&txn, &user, id).await?;
    access.require_manage()?;
    let planned = super::plan_session_marks(&txn, &cohort, &session, &body).await?;
    super::save_marks(
        &txn,
        &notifier,
        user.id,
        &cohort,
        &planned,
        MarkSource::Manual,
    )
    .await?;
    let ids: Vec<i32> = planned.iter().map(|p| p.enrolment_id).collect();
    let mut marks = super::session_marks(&txn, &session, &PersonScope::All, Some(&ids)).await?;
    txn.commit().await?;
    // In the order they were sent.
    marks.sort_by_key(|m| ids.iter().position(|id| *id == m.enrolment_id));
    Ok(Json(marks))
}

#[derive(Serialize)]
struct SessionAttendance {
    items: Vec<MarkView>,
    total: u64,
    page: u64,
    per_page: u64,
    session: SessionView,
    /// Enrolled people without a mark yet (not shown to participants).
    unmarked: Vec<RosterEntry>,
}

#[get("/sessions/<id>/attendance")]
async fn get_attendance(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<SessionAttendance>> {
    let (session, _cohort, access) = super::session_access(db.inner(), &user, id).await?;
    let people = access.people();
    let (items, unmarked) = match access {
        Access::Own(enrolment_id) => (
            super::session_marks(db.inner(), &session, &people, Some(&[enrolment_id])).await?,
            Vec::new(),
        ),
        Access::Manage | Access::Read(_) => {
            let items = super::session_marks(db.inner(), &session, &people, None).await?;
            let unmarked = super::enrolled(db.inner(), session.cohort_id, &people)
                .await?
                .into_iter()
                .filter(|r| !items.iter().any(|m| m.enrolment_id == r.enrolment_id))
                .collect();
            (items, unmarked)
        }
    };
    let total = items.len() as u64;
    Ok(Json(SessionAttendance {
        items,
        total,
        page: 1,
        per_page: total.max(1),
        session: SessionView::from(session),
        unmarked,
    }))
}

#[derive(Deserialize)]
struct CodeBody {
    code: Option<String>,
}

#[post("/sessions/<id>/check-in", data = "<body>")]
async fn check_in(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    body: crate::api::JsonBody<CodeBody>,
) -> AppResult<Json<MarkView>> {
    let txn = crate::db::begin(db).await?;
    let (session, cohort, access) = super::session_access(&txn, &me, id).await?;
    let Access::Own(enrolment_id) = access else {
        return Err(AppError::Forbidden.into());
    };
    let outcome = checkin::check_in(
        &txn,
        &notifier,
        me.id,
        enrolment_id,
        &cohort,
        &session,
        body.code.as_deref().unwrap_or(""),
    )
    .await?;
    // A wrong code is committed too: it counts against the throttle.
    txn.commit().await?;
    match outcome {
        Outcome::Marked(mark) => Ok(Json(mark)),
        Outcome::WrongCode => Err(AppError::invalid("code", checkin::WRONG_CODE).into()),
    }
}

#[get("/sessions/<id>/check-in-code")]
async fn check_in_code(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: StaffOrInstructor,
    id: i32,
) -> AppResult<Json<CodeView>> {
    let (session, _, access) = super::session_access(db.inner(), &user, id).await?;
    access.require_manage()?;
    Ok(Json(checkin::current_code(
        &session,
        &config.public_url,
        crate::time::now(),
    )))
}

fn sheet_name(cohort: &crate::entities::cohort::Model, session: Option<i32>) -> String {
    match session {
        Some(id) => format!("asistencia-cohorte-{}-sesion-{id}.xlsx", cohort.id),
        None => format!("asistencia-cohorte-{}.xlsx", cohort.id),
    }
}

#[get("/sessions/<id>/attendance.xlsx")]
async fn session_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (session, cohort, access) = super::session_access(db.inner(), &user, id).await?;
    if matches!(access, Access::Own(_)) {
        return Err(AppError::Forbidden.into());
    }
    let bytes = sheet::workbook(
        db.inner(),
        &cohort,
        Some(&session),
        &access.people(),
        &user.full_name,
    )
    .await?;
    Ok(Download::xlsx(
        &sheet_name(&cohort, Some(session.id)),
        bytes,
    ))
}

#[get("/cohorts/<id>/attendance.xlsx")]
async fn cohort_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (cohort, access) = super::cohort_access(db.inner(), &user, id).await?;
    if matches!(access, Access::Own(_)) {
        return Err(AppError::Forbidden.into());
    }
    let bytes =
        sheet::workbook(db.inner(), &cohort, None, &access.people(), &user.full_name).await?;
    Ok(Download::xlsx(&sheet_name(&cohort, None), bytes))
}

/// An upload of the offline sheet through the API (see `sheet::SheetImport`).
async fn import_sheet(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    user: &StaffOrInstructor,
    sheet: SheetOf,
    dry_run: QueryFlag,
    upload: &Upload<'_>,
) -> AppResult<Json<UploadSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let sheet = SheetImport::open(db, user, notifier, sheet);
    import::answer(db, sheet, &upload.file, dry_run).await
}

#[post("/sessions/<id>/attendance/import?<dry_run>", data = "<upload>")]
async fn session_import(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    dry_run: QueryFlag,
    upload: rocket::form::Form<Upload<'_>>,
) -> AppResult<Json<UploadSummary>> {
    import_sheet(db, &notifier, &user, SheetOf::Session(id), dry_run, &upload).await
}

#[post("/cohorts/<id>/attendance/import?<dry_run>", data = "<upload>")]
async fn cohort_import(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    dry_run: QueryFlag,
    upload: rocket::form::Form<Upload<'_>>,
) -> AppResult<Json<UploadSummary>> {
    import_sheet(db, &notifier, &user, SheetOf::Cohort(id), dry_run, &upload).await
}

#[get("/me/progress")]
async fn my_progress(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<Progress>>> {
    let items = match crate::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => progress::for_participant(db.inner(), person.id).await?,
        None => Vec::new(),
    };
    let total = items.len() as u64;
    Ok(Json(List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }))
}
