//! `/api/v1/cohorts` and their sessions. Coordinators write; every read goes through the
//! caller's scope (out of scope answers 404).

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound};
use domain::cohorts::scope::CohortScope;
use domain::cohorts::sessions::{self, Recurrence, SessionInput, SessionView};
use domain::cohorts::{CohortInput, CohortView, ListFilter};
use domain::entities::values::{CohortStatus, Modality};
use domain::error::{AppError, FieldError};
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
        closing,
        reopen,
        list_sessions,
        add_session,
        generate_sessions,
        update_session,
        delete_session
    ]
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CohortQuery {
    #[param(inline, value_type = Option<CohortStatus>)]
    status: Option<String>,
    /// DANE code: cohorts targeting this department or any of its municipalities.
    #[param(example = "18")]
    department: Option<String>,
    /// DANE code: cohorts offered to this municipality (directly, through its department, or
    /// nationally).
    #[param(example = "18094")]
    municipality: Option<String>,
    /// Capacity id targeted by the cohort's course.
    capacity: Option<i32>,
    /// Course id.
    course: Option<i32>,
    /// Provider id: only that provider's cohorts.
    provider: Option<i32>,
    /// Extension filter (not in the contract).
    #[param(inline, value_type = Option<Modality>)]
    modality: Option<String>,
    /// Extension filter: cohorts still running on or after this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    from: Option<String>,
    /// Extension filter: cohorts starting on or before this date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    to: Option<String>,
    /// Extension filter: every word in the cohort's or its course's name (or the course's
    /// code), whatever the case and accents; at most 100 characters.
    q: Option<String>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
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
        let from = domain::parse::date("from", self.from.as_deref(), false, &mut errors);
        let to = domain::parse::date("to", self.to.as_deref(), false, &mut errors);
        let text = domain::parse::search("q", self.q.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Validation(errors).into());
        }
        Ok(ListFilter {
            status,
            department: domain::parse::text(self.department.as_deref()),
            municipality: domain::parse::text(self.municipality.as_deref())
                .map(|m| domain::territory::normalize_municipality_code(&m)),
            capacity_id: self.capacity,
            course_id: self.course,
            provider_id: self.provider,
            modality,
            from,
            to,
            text,
        })
    }
}

/// List cohorts in the caller's scope
///
/// Roles: any signed-in user, filtered by scope: staff see all (a coordinator with a
/// territorial direction, its departments); instructors the cohorts they teach; reviewers
/// published cohorts of their department; participants published cohorts (not drafts).
/// Newest start date first. `warnings` is always empty in lists (computed only for a single
/// cohort).
#[utoipa::path(
    tag = "cohorts",
    operation_id = "listCohorts",
    params(CohortQuery),
    responses((status = 200, description = "A page of cohorts.", body = List<CohortView>))
)]
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
    let scope = CohortScope::reading(Some(&user));
    let (items, total) =
        domain::cohorts::list(db.inner(), &scope, &query.filter()?, page, per_page).await?;
    Ok(Json(List {
        items: items.into_iter().map(|c| c.as_read_by(user.role)).collect(),
        total,
        page,
        per_page,
    }))
}

/// Create a cohort (status draft)
///
/// Roles: staff. The cohort starts as `draft`. `modality`, `min_attendance_pct` and
/// `pass_mark` default to the course's. Presencial and mixta cohorts need `venue`; virtual
/// ones `venue` or `meeting_url`. No municipality and no department means the whole country.
/// Overlaps with other cohorts (same capacity, same place, overlapping dates) come back as
/// `warnings`, never as errors. Audited.
#[utoipa::path(
    tag = "cohorts",
    operation_id = "createCohort",
    request_body(content = CohortInput, example = json!({
        "course_id": 2,
        "name": "Plan de desarrollo – Caquetá 2027",
        "modality": "presencial",
        "start_date": "2027-02-01",
        "end_date": "2027-03-31",
        "enrolment_opens": "2027-01-10",
        "enrolment_closes": "2027-01-31",
        "seats": 30,
        "venue": "Casa de la Cultura, Belén de los Andaquíes",
        "municipality_codes": ["18094", "18256"],
        "department_codes": [],
        "instructor_ids": [7],
        "min_attendance_pct": 80,
        "pass_mark": 3.0
    })),
    responses(
        (status = 201, description = "Cohort created, with overlap warnings.", body = CohortView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/cohorts", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    body: crate::api::JsonBody<CohortInput>,
) -> AppResult<Created<CohortView>> {
    let view = domain::db::write(db, async |txn| {
        domain::cohort_flow::create(txn, &notifier, &staff, &body).await
    })
    .await?;
    Ok(created(view))
}

/// One cohort, with overlap warnings
///
/// Roles: any signed-in user within scope; out of scope → 404.
#[utoipa::path(
    tag = "cohorts",
    operation_id = "getCohort",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The cohort.", body = CohortView),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<CohortView>> {
    domain::cohorts::find_in_scope(db.inner(), &CohortScope::reading(Some(&user)), id).await?;
    Ok(Json(
        domain::cohorts::view(db.inner(), id)
            .await?
            .as_read_by(user.role),
    ))
}

/// Change a cohort's fields and/or status
///
/// Roles: staff. Any subset of fields plus `status`. Transitions: `draft → open →
/// in_progress → closed`, or `cancelled` from draft, open or in progress; an illegal
/// transition is 409. Opening needs at least one session (409). Closed and cancelled cohorts
/// cannot change (409). Cancelling cancels every enrolment and e-mails the people
/// (`cancellation_reason`). More seats promote people from the waiting list. Fewer seats than
/// people enrolled, or dates that leave sessions outside, → 422. Audited.
#[utoipa::path(
    tag = "cohorts",
    operation_id = "updateCohort",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = CohortInput,
    responses(
        (status = 200, description = "The updated cohort.", body = CohortView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[patch("/cohorts/<id>", data = "<body>")]
async fn update(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<CohortInput>,
) -> AppResult<Json<CohortView>> {
    let view = domain::db::write(db, async |txn| {
        domain::cohort_flow::update(txn, &notifier, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// What closing a cohort would do
///
/// **Extension** (not in api-v1.md): closing freezes every result, so it is said before it
/// happens (issue 45). Roles: staff who manage the cohort. The sessions still ahead, the
/// assessments some enrolled people have no score in (how many), who would be recorded as not
/// completing and why (`not_completing`: the people the caller may see; the others counted in
/// `not_completing_hidden`), how many would complete, and `refused`: why closing would be
/// refused now (`null` when it would not). A cohort that cannot move to closed from its status
/// → 409. Reads only; `PATCH /cohorts/{id}` with `"status": "closed"` closes as before.
#[utoipa::path(
    tag = "cohorts",
    operation_id = "cohortClosingFacts",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "What closing would do.", body = domain::cohorts::closing::ClosingFacts),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[get("/cohorts/<id>/closing")]
async fn closing(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<domain::cohorts::closing::ClosingFacts>> {
    Ok(Json(
        domain::cohorts::closing::facts(db.inner(), &staff, id).await?,
    ))
}

/// Reopen a closed cohort
///
/// **Extension** (not in api-v1.md, whose lifecycle ends at `closed`; `PATCH` keeps refusing
/// `closed → in_progress`, 409): a cohort closed by mistake goes back to `in_progress` while
/// no certificate has been issued from it (issue 45). Roles: staff who manage the cohort. The
/// people recorded as completing or not are enrolled again (the values frozen at closing
/// cleared); the demands its closing met, or gave back for want of a completer, are planned
/// again; the figures follow. Not closed, or a certificate already issued (valid, revoked or
/// replaced) → 409. Audited (`cohort.reopened`).
#[utoipa::path(
    tag = "cohorts",
    operation_id = "reopenCohort",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The reopened cohort, in progress.", body = CohortView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/reopening")]
async fn reopen(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<CohortView>> {
    let view = domain::db::write(db, async |txn| {
        domain::cohort_flow::reopen(txn, &notifier, &staff, id).await
    })
    .await?;
    Ok(Json(view))
}

/// The sessions of a cohort
///
/// Roles: any signed-in user within scope. Ordered by start; returned whole (not paginated).
#[utoipa::path(
    tag = "sessions",
    operation_id = "listSessions",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "All sessions of the cohort.", body = List<SessionView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/sessions")]
async fn list_sessions(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<SessionView>>> {
    let cohort =
        domain::cohorts::find_in_scope(db.inner(), &CohortScope::reading(Some(&user)), id).await?;
    let items: Vec<SessionView> = sessions::list(db.inner(), id)
        .await?
        .into_iter()
        .map(|s| SessionView::of(&cohort, s))
        .collect();
    Ok(Json(List::whole(items)))
}

/// Add a session
///
/// Roles: staff. `starts_at`, `ends_at` and `topic` are required. Times are RFC 3339 with
/// offset (without offset → 422). A session lasts at most 12 hours and must lie within the
/// cohort's dates (local Bogotá dates). Closed or cancelled cohort → 409. Audited.
///
/// `modality` (presencial, virtual, mixta; omitted: the cohort's) and `lti_link_id` (one of
/// the cohort's own virtual-classroom links; another cohort's → 422 on `lti_link_id`) say
/// where it happens: the answer's `place`, `launch_url` (the launch page, for a virtual or
/// mixta session with a link) and `meeting_url`. With its own modality or link, a virtual or
/// mixta session needs a link or a room (422 on `lti_link_id`), a presencial or mixta one a
/// place (422 on `location`), and a presencial one opens no virtual classroom (422).
#[utoipa::path(
    tag = "sessions",
    operation_id = "addSession",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = SessionInput,
    responses(
        (status = 201, description = "Session created.", body = SessionView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/sessions", data = "<body>")]
async fn add_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<SessionInput>,
) -> AppResult<Created<SessionView>> {
    Ok(domain::db::write(db, async |txn| {
        let cohort = domain::cohorts::find_managed(txn, &staff, id).await?;
        let view = sessions::add(txn, staff.id, &cohort, &body).await?;
        Ok(created(view))
    })
    .await?)
}

/// Create sessions from a weekly recurrence
///
/// Roles: staff. Creates one session per matching weekday between `from` and `to`
/// (inclusive, within the cohort's dates), at the given local times, numbered after the
/// existing sessions ("Sesión 3", …). All or nothing; at most 200 sessions. Closed or
/// cancelled cohort → 409.
///
/// **Extension** (not in api-v1.md): scheduling a whole course term one session at a time is
/// tedious and error-prone; the coordinators' pages offer the same.
#[utoipa::path(
    tag = "sessions",
    operation_id = "generateSessions",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = Recurrence,
    responses(
        (status = 201, description = "The sessions created, in the list envelope.", body = List<SessionView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/cohorts/<id>/sessions/generate", data = "<body>")]
async fn generate_sessions(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<Recurrence>,
) -> AppResult<Created<List<SessionView>>> {
    let items = domain::db::write(db, async |txn| {
        let cohort = domain::cohorts::find_managed(txn, &staff, id).await?;
        sessions::generate(txn, staff.id, &cohort, &body).await
    })
    .await?;
    Ok(created(List::whole(items)))
}

/// Change a session
///
/// Roles: staff. Any subset of `starts_at`, `ends_at`, `topic`, `location` (an empty
/// `location` clears it), `modality` and `lti_link_id` (`null` for either: back to the
/// cohort's modality, no link). Same rules as creating; closed or cancelled cohort → 409.
/// Audited.
///
/// **Extension** (not in api-v1.md): sessions get rescheduled; without it a wrong session
/// could only be deleted and re-created.
#[utoipa::path(
    tag = "sessions",
    operation_id = "updateSession",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    request_body = SessionInput,
    responses(
        (status = 200, description = "The updated session.", body = SessionView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[patch("/sessions/<id>", data = "<body>")]
async fn update_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<SessionInput>,
) -> AppResult<Json<SessionView>> {
    Ok(domain::db::write(db, async |txn| {
        let session = sessions::find(txn, id).await?;
        let cohort = domain::cohorts::find_managed(txn, &staff, session.cohort_id).await?;
        let view = sessions::update(txn, staff.id, &cohort, id, &body).await?;
        Ok(Json(view))
    })
    .await?)
}

/// Delete a session without attendance
///
/// Roles: staff. A session with attendance marks (history) or of a closed or cancelled
/// cohort cannot be deleted (409). Audited.
///
/// **Extension** (not in api-v1.md): removes sessions created by mistake (e.g. by a
/// recurrence) before anyone takes attendance.
#[utoipa::path(
    tag = "sessions",
    operation_id = "deleteSession",
    params(("id" = i32, Path, description = "Session id.", example = 1)),
    responses(
        (status = 204, description = "Session deleted."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/sessions/<id>")]
async fn delete_session(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Status> {
    Ok(domain::db::write(db, async |txn| {
        let session = sessions::find(txn, id).await?;
        let cohort = domain::cohorts::find_managed(txn, &staff, session.cohort_id).await?;
        sessions::remove(txn, staff.id, &cohort, id).await?;
        Ok(Status::NoContent)
    })
    .await?)
}
