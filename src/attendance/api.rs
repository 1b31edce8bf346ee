//! `/api/v1`: attendance of a session (take, read), self check-in and its code, the offline
//! sheets (download, upload with dry run) and a participant's own progress.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffOrInstructor};
use crate::api::List;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{
    Conflict, Forbidden, NotFound, PayloadTooLarge, TooManyRequests, Workbook,
};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{self, Upload};
use domain::attendance::checkin::{self, CodeView, Outcome};
use domain::attendance::progress::{self, Progress};
use domain::attendance::sheet::{self, SheetImport, SheetOf, UploadSummary};
use domain::attendance::{Access, MarkInput, MarkView, RosterEntry};
use domain::cohorts::sessions::SessionView;
use domain::config::AppConfig;
use domain::entities::values::MarkSource;
use domain::error::AppError;
use domain::mail::Notifier;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, put, routes};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

pub fn routes() -> Vec<Route> {
    let mut routes = routes![
        put_attendance,
        get_attendance,
        check_in,
        check_in_code,
        session_sheet,
        cohort_sheet,
        session_import,
        cohort_import,
        my_progress
    ];
    // Issue 66: offline batches, offline check-ins, evidence.
    routes.extend(super::offline::api_routes());
    routes
}

/// Record attendance marks for a session
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; another
/// instructor's cohort → 404). One mark per enrolment (`status` also accepts the Spanish
/// labels and the initials P, T, E, A); a mark already recorded is replaced. All or nothing:
/// every problem is answered at once as a 422 with fields `[n].status`, `[n].enrolment_id`,
/// `[n].note` (`n` the position in the array): an empty array, an unknown status, an
/// enrolment of another cohort, waitlisted, cancelled or already with final results, or the
/// same enrolment twice. A session that has not started, or a closed or cancelled cohort →
/// 409. Audited; a participant whose absences put the certificate at risk is e-mailed.
/// Answers 200 with the marks in the order sent.
#[utoipa::path(
    tag = "attendance",
    operation_id = "putAttendance",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body = Vec<MarkInput>,
    responses(
        (status = 200, description = "The marks recorded.", body = Vec<MarkView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[put("/sessions/<id>/attendance", data = "<body>")]
async fn put_attendance(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    body: crate::api::JsonBody<Vec<MarkInput>>,
) -> AppResult<Json<Vec<MarkView>>> {
    let (ids, mut marks) = domain::db::write(db, async |txn| {
        let (session, cohort, access) = domain::attendance::session_access(txn, &user, id).await?;
        access.require_manage()?;
        let planned =
            domain::attendance::plan_session_marks(txn, &access.people(), &cohort, &session, &body)
                .await?;
        domain::attendance::save_marks(
            txn,
            &notifier,
            user.id,
            &cohort,
            &planned,
            MarkSource::Manual,
        )
        .await?;
        let ids: Vec<i32> = planned.iter().map(|p| p.enrolment_id).collect();
        let marks =
            domain::attendance::session_marks(txn, &session, &access.people(), Some(&ids)).await?;
        Ok((ids, marks))
    })
    .await?;
    // In the order they were sent.
    marks.sort_by_key(|m| ids.iter().position(|id| *id == m.enrolment_id));
    Ok(Json(marks))
}

/// The marks of a session in the list envelope, with the session.
#[derive(Serialize, utoipa::ToSchema)]
struct SessionAttendance {
    items: Vec<MarkView>,
    total: u64,
    page: u64,
    per_page: u64,
    session: SessionView,
    /// Enrolled people without a mark yet (not shown to participants).
    unmarked: Vec<RosterEntry>,
}

/// The attendance marks of a session
///
/// Roles: staff and the cohort's instructors (everyone), reviewers in scope (the people of
/// their department), a participant enrolled in the cohort (only their own mark). Out of
/// scope → 404. Returned whole, with the session and (except for participants) the enrolled
/// people who have no mark yet.
#[utoipa::path(
    tag = "attendance",
    operation_id = "getAttendance",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    responses(
        (status = 200, description = "The marks of the session.", body = SessionAttendance),
        (status = 404, response = NotFound),
    )
)]
#[get("/sessions/<id>/attendance")]
async fn get_attendance(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<SessionAttendance>> {
    let (session, cohort, access) =
        domain::attendance::session_access(db.inner(), &user, id).await?;
    let people = access.people();
    let (items, unmarked) = match access {
        Access::Own(enrolment_id) => (
            domain::attendance::session_marks(db.inner(), &session, &people, Some(&[enrolment_id]))
                .await?,
            Vec::new(),
        ),
        Access::Manage(_) | Access::Read(_) => {
            let items =
                domain::attendance::session_marks(db.inner(), &session, &people, None).await?;
            let unmarked = domain::attendance::enrolled(db.inner(), session.cohort_id, &people)
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
        session: SessionView::of(&cohort, session),
        unmarked,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = CheckInRequest)]
struct CodeBody {
    /// The six digits the instructor shows (spaces and dashes are ignored).
    #[schema(value_type = String, required = true, example = "482913")]
    code: Option<String>,
}

/// A participant checks in with the session's code
///
/// Roles: participant enrolled in the cohort (other roles → 403; not enrolled → 404). The
/// code is the six digits the instructor shows (spaces and dashes are ignored); the current
/// and the previous minute's codes are accepted. Marks `presente` up to 15 minutes after the
/// start, `tarde` later; a mark that already counts as attended is left as it is. Wrong or
/// expired code → 422 on `code`; outside the window (15 minutes before the start to the end)
/// or a closed or cancelled cohort → 409; waitlisted → 422 on `enrolment`; 10 wrong codes in
/// 15 minutes for the session → 429 with `Retry-After`. Answers 200 with the caller's mark.
#[utoipa::path(
    tag = "attendance",
    operation_id = "checkIn",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body = CodeBody,
    responses(
        (status = 200, description = "The caller's mark.", body = MarkView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/sessions/<id>/check-in", data = "<body>")]
async fn check_in(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    body: crate::api::JsonBody<CodeBody>,
) -> AppResult<Json<MarkView>> {
    let code = body.code.as_deref().unwrap_or("");
    let outcome = super::check_in(db, &notifier, &me, id, code).await?;
    match outcome {
        Outcome::Marked(mark) => Ok(Json(mark)),
        Outcome::WrongCode => Err(AppError::invalid("code", checkin::WRONG_CODE).into()),
    }
}

/// The current check-in code of a session
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403; another
/// instructor's cohort → 404). The code changes every minute (`rotates_at`) and is accepted
/// until `valid_until`; `open` says whether check-in is open now. `url` is the link the QR
/// code carries (the check-in page with the code).
#[utoipa::path(
    tag = "attendance",
    operation_id = "getCheckInCode",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    responses(
        (status = 200, description = "The code, until when it is valid and the check-in window.", body = CodeView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/sessions/<id>/check-in-code")]
async fn check_in_code(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: StaffOrInstructor,
    id: i32,
) -> AppResult<Json<CodeView>> {
    let (session, _, access) = domain::attendance::session_access(db.inner(), &user, id).await?;
    access.require_manage()?;
    Ok(Json(checkin::current_code(
        &session,
        &config.public_url,
        domain::time::now(),
    )))
}

fn sheet_name(cohort: &domain::entities::cohort::Model, session: Option<i32>) -> String {
    match session {
        Some(id) => format!("asistencia-cohorte-{}-sesion-{id}.xlsx", cohort.id),
        None => format!("asistencia-cohorte-{}.xlsx", cohort.id),
    }
}

/// The offline attendance sheet of one session
///
/// Staff, the cohort's instructors and reviewers in scope (reviewers get only the people of
/// their department); out of scope → 404; participants 403. The sheet «Asistencia» has one
/// row per enrolled person with the current mark, a drop-down list in «Asistencia» and a
/// free «Nota»; it is filled offline and uploaded back with
/// `POST /sessions/{id}/attendance/import`. File
/// `asistencia-cohorte-{cohorte}-sesion-{id}.xlsx`.
///
/// **Extension** (not in api-v1.md): attendance is taken where there is no connection.
#[utoipa::path(
    tag = "attendance",
    operation_id = "sessionAttendanceXlsx",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/sessions/<id>/attendance.xlsx")]
async fn session_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (session, cohort, access) =
        domain::attendance::session_access(db.inner(), &user, id).await?;
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

/// The attendance sheet of one cohort
///
/// Staff, the cohort's instructors and reviewers in scope; out of scope → 404; participants
/// 403. Sheets «Asistencia» (the offline sheet: a row per person and session, uploadable
/// with `POST /cohorts/{id}/attendance/import`), «Resumen» (results) and «Matriz»
/// (participants × sessions with each mark, attended, scheduled, % and eligibility for a
/// certificate).
#[utoipa::path(
    tag = "attendance",
    operation_id = "cohortAttendanceXlsx",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/attendance.xlsx")]
async fn cohort_sheet(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Download> {
    let (cohort, access) = domain::attendance::cohort_access(db.inner(), &user, id).await?;
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

/// Upload the filled attendance sheet of one session
///
/// Roles: staff or the cohort's instructors (reviewers and participants → 403). The file is
/// the sheet of `GET /sessions/{id}/attendance.xlsx` (columns «Sesión», «Inscripción»,
/// «Asistencia», «Nota»; `.xlsx` or `.csv`). A row with an empty «Asistencia» is left as it
/// is. **All or nothing**: any bad row (unknown mark, a row of another session, a session
/// that has not started, an enrolment that cannot receive marks, a person twice) → 422 with
/// `errors: [{row, field, message}]` and nothing written; a file with no mark written → 422
/// on `file`. `dry_run=true` answers the changes without writing. Closed or cancelled cohort
/// → 409. File limits as in `POST /cohorts/{id}/enrolments/import` (413 above 5 MiB).
/// Audited.
///
/// **Extension** (not in api-v1.md): attendance is taken where there is no connection.
#[utoipa::path(
    tag = "attendance",
    operation_id = "importSessionAttendance",
    params(
        ("id" = i32, Path, description = "Session id.", example = 1),
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) changed.", body = domain::spreadsheets::ImportSummary<domain::attendance::sheet::SheetChange>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
    )
)]
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

/// Upload the filled attendance sheet of a whole cohort
///
/// Like `POST /sessions/{id}/attendance/import`, for the «Asistencia» sheet of
/// `GET /cohorts/{id}/attendance.xlsx`: rows of any session of the cohort.
///
/// **Extension** (not in api-v1.md): attendance is taken where there is no connection.
#[utoipa::path(
    tag = "attendance",
    operation_id = "importCohortAttendance",
    params(
        ("id" = i32, Path, description = "Cohort id.", example = 1),
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) changed.", body = domain::spreadsheets::ImportSummary<domain::attendance::sheet::SheetChange>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
    )
)]
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

/// The caller's progress in each of their cohorts
///
/// Roles: participant (other roles → 403). One item per enrolment of the caller (empty when
/// they have no participant profile): each session with its mark, each assessment with its
/// score, the attendance so far against the cohort's minimum, the partial grade, whether the
/// certificate is at risk and a one-sentence Spanish summary; once the cohort is closed, its
/// frozen result. Returned whole.
///
/// **Extension** (not in api-v1.md): participants follow their own progress.
#[utoipa::path(
    tag = "attendance",
    operation_id = "getMyProgress",
    responses(
        (status = 200, description = "The caller's progress.", body = List<Progress>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/progress")]
async fn my_progress(
    db: &State<DatabaseConnection>,
    me: ParticipantUser,
) -> AppResult<Json<List<Progress>>> {
    let items = match domain::people::profile::participant_of_user(db.inner(), me.id).await? {
        Some(person) => progress::for_participant(db.inner(), person.id).await?,
        None => Vec::new(),
    };
    Ok(Json(List::whole(items)))
}
