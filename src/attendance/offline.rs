//! Attendance where the network fails (issue 66), the web side of
//! `domain::attendance::offline` and `domain::attendance::evidence`: batches of offline marks
//! (the API's and the page script's `/asistencia/lotes/{id}`, which answer alike), offline
//! check-ins, and a session's evidence files.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffOrInstructor};
use crate::api::{Created, JsonBody, List, created};
use crate::error::{AppResult, DomainResult};
use crate::knowledge::api::{ResourceDownload, read_upload};
use crate::mail::Mailer;
use crate::openapi::responses::{Forbidden, NotFound, PayloadTooLarge, ValidationFailed};
use crate::web::csrf::{CSRF_COOKIE, CsrfRejected};
use domain::accounts::actor::Actor;
use domain::attendance::checkin::Outcome;
use domain::attendance::evidence::{self, EvidenceView};
use domain::attendance::offline::{self, BatchAnswer, BatchInput};
use domain::attendance::{Access, MarkView};
use domain::config::AppConfig;
use domain::error::AppError;
use domain::knowledge::storage::Storage;
use domain::mail::Notifier;
use rocket::form::{Errors, Form};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::outcome::Outcome as GuardOutcome;
use rocket::request::{self, FromRequest, Request};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

/// The API's routes (mounted under `/api/v1` with the attendance area's).
pub fn api_routes() -> Vec<Route> {
    routes![
        post_batch,
        offline_check_in,
        post_evidence,
        list_evidence,
        evidence_file
    ]
}

/// The page scripts' routes (mounted at `/` with the attendance pages).
pub fn page_routes() -> Vec<Route> {
    routes![page_batch, page_check_in]
}

/// The header a page's script sends its CSRF token in (the value of the `csrf_token` field
/// the page's forms carry).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Applies a batch as `actor` (the API's and the page's): the caller's access first (404,
/// 403), then the body (400).
async fn apply(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    actor: &Actor,
    id: i32,
    body: serde_json::Value,
) -> DomainResult<BatchAnswer> {
    domain::db::write(db, async |txn| {
        offline::apply_batch(txn, notifier, actor, id, body).await
    })
    .await
}

/// Record a batch of attendance marks taken offline
///
/// **Issue 66.** Roles: the session's instructors and staff in scope (reviewers and
/// participants → 403; another instructor's cohort → 404). Each mark carries an idempotency
/// `key` (unique per session, 1–100 characters) and `marked_at`, the device's time of the
/// mark (RFC 3339 with its offset), which stays the mark's time. Answers 200 with one result
/// per mark, in the order sent: `applied` (written); `unchanged` (the key was received before:
/// nothing is done again, `first_outcome` repeats the first answer); `superseded` (a later
/// mark stands); `conflict` (a coordinator or admin corrected the person's mark after
/// `marked_at`: nothing is overwritten, `reason` says who and when); `refused` (`reason`: no
/// offset, an unknown status or enrolment, a person not enrolled, `marked_at` more than 30
/// seconds in the future, a session that has not started, a closed or cancelled cohort).
/// `current` is the person's mark after the batch. A body that is not a batch (no `marks`
/// array, a field of the wrong type, more than 500 marks) → 400. Audited like every mark.
#[utoipa::path(
    tag = "attendance",
    operation_id = "postAttendanceBatch",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body = BatchInput,
    responses(
        (status = 200, description = "What was done with each mark.", body = BatchAnswer),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[post("/sessions/<id>/attendance/batches", data = "<body>")]
pub async fn post_batch(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    id: i32,
    body: JsonBody<serde_json::Value>,
) -> AppResult<Json<BatchAnswer>> {
    Ok(Json(
        apply(db, &notifier, &user, id, body.into_inner()).await?,
    ))
}

/// A page script's request that carries the CSRF token in [`CSRF_HEADER`], matching the
/// browser's CSRF cookie (403 otherwise, said as an expired form).
pub struct CsrfHeader;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfHeader {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let sent = request.headers().get_one(CSRF_HEADER).unwrap_or("").trim();
        let matches = !sent.is_empty()
            && request
                .cookies()
                .get_private(CSRF_COOKIE)
                .is_some_and(|cookie| {
                    domain::accounts::secrets::constant_time_eq(cookie.value(), sent)
                });
        if matches {
            GuardOutcome::Success(CsrfHeader)
        } else {
            request.local_cache(|| CsrfRejected(true));
            GuardOutcome::Error((Status::Forbidden, ()))
        }
    }
}

/// The page script's queue of offline marks: as `POST /api/v1/sessions/{id}/attendance/batches`,
/// with the session cookie and the CSRF token in `X-CSRF-Token`; errors are problem+json.
#[post("/asistencia/lotes/<id>", data = "<body>")]
pub async fn page_batch(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffOrInstructor,
    _csrf: CsrfHeader,
    id: i32,
    body: JsonBody<serde_json::Value>,
) -> AppResult<Json<BatchAnswer>> {
    Ok(Json(
        apply(db, &notifier, &user, id, body.into_inner()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = OfflineCheckInRequest)]
pub struct OfflineCheckInBody {
    /// The six digits the phone read or the person typed (spaces and dashes are ignored).
    #[schema(value_type = String, required = true, example = "482913")]
    code: Option<String>,
    /// When, by the phone's clock: RFC 3339 with its offset.
    #[schema(value_type = String, format = DateTime, required = true, example = "2026-11-28T09:02:10-05:00")]
    checked_in_at: Option<String>,
}

/// A participant's check-in made without signal
///
/// **Issue 66.** Roles: a participant enrolled in the cohort (other roles → 403; not enrolled
/// → 404). Accepted (201, the caller's mark) when `code` was the session's code at
/// `checked_in_at` (that minute's or the previous one's), `checked_in_at` lies in the
/// session's check-in window (15 minutes before the start to the end) and is not more than 30
/// seconds in the future. The mark is presente up to 15 minutes after the start, tarde later,
/// with `checked_in_at` as its time; a mark that already counts as attended, or a later mark,
/// is left as it is. Otherwise 422 on `code` (another session's code, a code of another
/// moment) or `checked_in_at` (no offset, outside the window, in the future), on `enrolment`
/// for a waitlisted person; closed or cancelled cohort → 409. Wrong codes count against the
/// check-in throttle (429).
#[utoipa::path(
    tag = "attendance",
    operation_id = "offlineCheckIn",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body = OfflineCheckInBody,
    responses(
        (status = 201, description = "The caller's mark.", body = MarkView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = crate::openapi::responses::Conflict),
        (status = 429, response = crate::openapi::responses::TooManyRequests),
    )
)]
#[post("/sessions/<id>/check-ins/offline", data = "<body>")]
pub async fn offline_check_in(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    body: JsonBody<OfflineCheckInBody>,
) -> AppResult<Created<MarkView>> {
    check_in_as(db, &notifier, &me, id, body.into_inner()).await
}

/// The check-in page's script sends a check-in made without signal here when the signal
/// returns: as `POST /api/v1/sessions/{id}/check-ins/offline`, with the session cookie and the
/// CSRF token in `X-CSRF-Token`; errors are problem+json.
#[post("/sesiones/<id>/registro/sin-conexion", data = "<body>")]
pub async fn page_check_in(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    _csrf: CsrfHeader,
    id: i32,
    body: JsonBody<OfflineCheckInBody>,
) -> AppResult<Created<MarkView>> {
    check_in_as(db, &notifier, &me, id, body.into_inner()).await
}

/// Records an offline check-in as `me` (the API's and the page's).
async fn check_in_as(
    db: &DatabaseConnection,
    notifier: &Notifier<'_>,
    me: &ParticipantUser,
    id: i32,
    body: OfflineCheckInBody,
) -> AppResult<Created<MarkView>> {
    let code = body.code.as_deref().unwrap_or("");
    let at = body.checked_in_at.as_deref();
    let outcome = domain::db::write(db, async |txn| {
        let (session, cohort, access) = domain::attendance::session_access(txn, me, id).await?;
        let Access::Own(enrolment_id) = access else {
            return Err(AppError::Forbidden);
        };
        offline::check_in_offline(
            txn,
            notifier,
            me.id,
            enrolment_id,
            &cohort,
            &session,
            code,
            at,
        )
        .await
    })
    .await?;
    match outcome {
        Outcome::Marked(mark) => Ok(created(mark)),
        Outcome::WrongCode => Err(AppError::invalid(
            "code",
            "El código no era el de esta sesión a esa hora: no se puede aceptar el registro.",
        )
        .into()),
    }
}

/// The multipart body of an evidence file.
#[derive(FromForm, utoipa::ToSchema)]
#[schema(as = SessionEvidenceUpload)]
pub struct EvidenceForm<'r> {
    /// A photo or scan of the signed sheet: PDF, PNG or JPEG, at most 10 MiB (checked by
    /// extension and content).
    #[schema(value_type = String, format = Binary)]
    pub file: Option<TempFile<'r>>,
}

/// Attach evidence to a session
///
/// **Issue 66.** A photo or scan of the signed attendance sheet. Roles: the session's
/// instructors and staff in scope (reviewers, liaisons and participants → 403; out of scope →
/// 404). Multipart `file`: PDF, PNG or JPEG (checked by extension and content; 422 on `file`
/// otherwise, or with a name holding a folder or `..`), at most 10 MiB (413), at most 20 files
/// per session (422). Kept like the knowledge bank's files. Audited
/// (`session_evidence.created`).
#[utoipa::path(
    tag = "attendance",
    operation_id = "postSessionEvidence",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The evidence file.", body = EvidenceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/sessions/<id>/evidence", data = "<form>")]
pub async fn post_evidence(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    id: i32,
    form: Result<Form<EvidenceForm<'_>>, Errors<'_>>,
) -> AppResult<Created<EvidenceView>> {
    let form = form.map_err(|errors| {
        if errors.iter().any(|e| e.status() == Status::PayloadTooLarge) {
            AppError::TooLarge
        } else {
            AppError::invalid(
                "file",
                "Envíe el archivo como multipart/form-data, en el campo «file».",
            )
        }
    })?;
    let upload = read_upload(form.file.as_ref())
        .await?
        .ok_or_else(|| AppError::invalid("file", "Elija el archivo de la planilla firmada."))?;
    let storage = Storage::of(config);
    let view = domain::db::write(db.inner(), async |txn| {
        evidence::upload(txn, &user, id, upload, &storage).await
    })
    .await?;
    Ok(created(view))
}

/// The evidence of a session
///
/// **Issue 66.** Roles: the session's instructors and staff in scope, and the reviewers of
/// the cohort's department (liaisons and participants → 403; out of scope → 404). Oldest
/// first, returned whole; each item's `url` downloads the file.
#[utoipa::path(
    tag = "attendance",
    operation_id = "listSessionEvidence",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    responses(
        (status = 200, description = "The session's evidence files.", body = List<EvidenceView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/sessions/<id>/evidence")]
pub async fn list_evidence(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<EvidenceView>>> {
    let items = evidence::list(db.inner(), &user, id).await?;
    Ok(Json(List::whole(items)))
}

/// One evidence file of a session
///
/// **Issue 66.** The same readers as `GET /sessions/{id}/evidence`; another session's file →
/// 404. An attachment with its checked type, never cached by shared caches.
#[utoipa::path(
    tag = "attendance",
    operation_id = "getSessionEvidenceFile",
    params(
        ("id" = i32, Path, description = "Session id.", example = 1),
        ("evidence_id" = i32, Path, description = "Evidence id.", example = 1),
    ),
    responses(
        (status = 200, description = "The file.", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
        )),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/sessions/<id>/evidence/<evidence_id>")]
pub async fn evidence_file(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    id: i32,
    evidence_id: i32,
) -> AppResult<ResourceDownload> {
    let download =
        evidence::download(db.inner(), &user, id, evidence_id, &Storage::of(config)).await?;
    Ok(ResourceDownload::open(download).await?)
}
