//! `/api/v1/programmes` and `/api/v1/programme-editions` (issue 64): the provider's
//! coordinator writes programmes and builds editions; anyone signed in reads published
//! programmes; a person enrols once in an edition; staff and reviewers follow its progress.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound};
use domain::entities::values::Role;
use domain::error::AppError;
use domain::programmes::editions::{self, EditionInput, EditionView};
use domain::programmes::enrolment::{
    self, ProgrammeEnrolmentView, RecognitionInput, RecognitionView,
};
use domain::programmes::progress::{self, MyProgramme, PersonProgress};
use domain::programmes::{self, ProgrammeInput, ProgrammeView};
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        publish,
        list,
        show,
        create_edition,
        edition,
        edition_calendar,
        enrol,
        cancel,
        recognise,
        edition_progress,
        mine
    ]
}

/// A whole list as one page (programmes, editions and their people are bounded).
fn whole<T>(items: Vec<T>) -> List<T> {
    let total = items.len() as u64;
    List {
        items,
        total,
        page: 1,
        per_page: total.max(1),
    }
}

/// Create a programme
///
/// Roles: staff; a coordinator's programme is its provider's (an admin's, ESAP's). Created as
/// a draft. Modules are courses of the catalogue in an order, required or elective, with
/// optional prerequisites (`after`); `hours` defaults to the required modules' hours plus the
/// fewest elective hours that complete the rule; capacities are the union of the modules'.
/// A course twice, an unknown or retired course, prerequisites outside the programme or in a
/// circle, or more electives required than offered → 422. Audited.
#[utoipa::path(
    tag = "programmes",
    operation_id = "createProgramme",
    request_body = ProgrammeInput,
    responses(
        (status = 201, description = "Programme created (draft).", body = ProgrammeView),
        (status = 403, response = Forbidden),
    )
)]
#[post("/programmes", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<ProgrammeInput>,
) -> AppResult<Created<ProgrammeView>> {
    let view =
        domain::db::write(db, async |txn| programmes::create(txn, &staff, &body).await).await?;
    Ok(created(view))
}

/// Publish a programme
///
/// Roles: staff of its provider (another provider's → 404). Published programmes show on the
/// public catalogue and their editions take enrolments. Publishing twice answers the same.
#[utoipa::path(
    tag = "programmes",
    operation_id = "publishProgramme",
    params(("id" = i32, Path, description = "Programme id.", example = 1)),
    responses(
        (status = 200, description = "The published programme.", body = ProgrammeView),
        (status = 404, response = NotFound),
        (status = 403, response = Forbidden),
    )
)]
#[post("/programmes/<id>/publication")]
async fn publish(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> AppResult<Json<ProgrammeView>> {
    let view =
        domain::db::write(db, async |txn| programmes::publish(txn, &staff, id).await).await?;
    Ok(Json(view))
}

/// List programmes
///
/// Roles: any signed-in user: published programmes, and the drafts of the caller's provider
/// (every draft for an admin). By name; returned whole.
#[utoipa::path(
    tag = "programmes",
    operation_id = "listProgrammes",
    responses((status = 200, description = "The programmes.", body = List<ProgrammeView>))
)]
#[get("/programmes")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
) -> AppResult<Json<List<ProgrammeView>>> {
    Ok(Json(whole(
        programmes::list(db.inner(), Some(&user)).await?,
    )))
}

/// One programme
///
/// Roles: any signed-in user for a published one; a draft only its provider's staff (404
/// otherwise).
#[utoipa::path(
    tag = "programmes",
    operation_id = "getProgramme",
    params(("id" = i32, Path, description = "Programme id.", example = 1)),
    responses(
        (status = 200, description = "The programme.", body = ProgrammeView),
        (status = 404, response = NotFound),
    )
)]
#[get("/programmes/<id>")]
async fn show(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<ProgrammeView>> {
    Ok(Json(programmes::view(db.inner(), Some(&user), id).await?))
}

/// Build an edition
///
/// Roles: staff of the programme's provider. At most one cohort per module (an edition built
/// from some modules waits in preparation — `draft` — for the others, taking no enrolment
/// until every module has its cohort), each a cohort of that
/// module's course that the caller manages, in no other edition, with no direct enrolment,
/// not closed or cancelled; a module's cohort starts no earlier than the end of the cohorts
/// of the modules it comes `after`. Otherwise 422, naming the cohort. Audited.
#[utoipa::path(
    tag = "programmes",
    operation_id = "createProgrammeEdition",
    params(("id" = i32, Path, description = "Programme id.", example = 1)),
    request_body = EditionInput,
    responses(
        (status = 201, description = "Edition built.", body = EditionView),
        (status = 404, response = NotFound),
        (status = 403, response = Forbidden),
    )
)]
#[post("/programmes/<id>/editions", data = "<body>")]
async fn create_edition(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<EditionInput>,
) -> AppResult<Created<EditionView>> {
    let view = domain::db::write(db, async |txn| {
        editions::create(txn, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// One edition
///
/// Roles: any signed-in user once its programme is published; its provider's staff always.
/// Its cohorts in the programme's order; seats are the smallest of theirs.
#[utoipa::path(
    tag = "programmes",
    operation_id = "getProgrammeEdition",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    responses(
        (status = 200, description = "The edition.", body = EditionView),
        (status = 404, response = NotFound),
    )
)]
#[get("/programme-editions/<id>")]
async fn edition(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<EditionView>> {
    let found = editions::find(db.inner(), &user, id).await?;
    Ok(Json(editions::view(db.inner(), &found).await?))
}

/// An edition's calendar
///
/// Roles: staff who manage the edition, a reviewer who reads it, a person enrolled or waiting
/// in it (404 for anyone else). Every module's sessions in one iCalendar feed, each event the
/// one its cohort's own feed carries (same UID).
#[utoipa::path(
    tag = "programmes",
    operation_id = "getEditionCalendar",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    responses(
        (status = 200, description = "The edition's sessions (text/calendar).", content_type = "text/calendar", body = String),
        (status = 404, response = NotFound),
    )
)]
#[get("/programme-editions/<id>/calendar.ics")]
async fn edition_calendar(
    db: &State<DatabaseConnection>,
    config: &State<domain::config::AppConfig>,
    user: CurrentUser,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    let found = domain::programmes::calendar::readable(db.inner(), &user, id).await?;
    let body =
        domain::programmes::calendar::edition_calendar(db.inner(), &found, &config.public_url)
            .await?;
    Ok(crate::spreadsheets::download::Download::calendar(
        &format!("edicion-{id}.ics"),
        body,
    ))
}

/// Participants send no body; staff name the person.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[schema(as = EditionEnrolRequest)]
struct EnrolBody {
    participant_id: Option<i32>,
    /// Staff only: skip the territory and window checks; requires `override_reason`.
    override_eligibility: Option<bool>,
    /// Required (non-empty) with `override_eligibility`; audited.
    override_reason: Option<String>,
}

/// Enrol in an edition (every module at once)
///
/// Roles: a participant for herself (no body), staff who manage the edition for a person they
/// reach (`participant_id`; others → 404). The person is enrolled in every module's cohort
/// (except the modules recognised from her valid certificates of the module's course within
/// the programme's years, where she is in no roster) or, when one of them has no seat for
/// her, on the edition's waiting list and in no cohort's. Each module's rules apply as for a
/// cohort (open, inside the window, targeted territory: 409/422, staff may override with a
/// reason). Already enrolled or waiting → 409. Emails: each module's confirmation with its
/// calendar, or the edition's waiting-list place.
#[utoipa::path(
    tag = "programmes",
    operation_id = "enrolInEdition",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    request_body = Option<EnrolBody>,
    responses(
        (status = 201, description = "Enrolled or waitlisted.", body = ProgrammeEnrolmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/programme-editions/<id>/enrolments", data = "<body>")]
async fn enrol(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::OptionalJson<EnrolBody>,
) -> AppResult<Created<ProgrammeEnrolmentView>> {
    let body = body.0.unwrap_or_default();
    if user.role == Role::Participant && body.participant_id.is_none() {
        // Decided at the edition's desk, together with whoever enrols at the same moment.
        let view = enrolment::enrol_self(db, &notifier, id, &user).await?;
        return Ok(created(view));
    }
    let override_reason = match body.override_eligibility {
        Some(true) => Some(body.override_reason.unwrap_or_default()),
        _ => None,
    };
    let view = domain::db::write(db, async |txn| {
        enrolment::enrol_as(
            txn,
            &notifier,
            &user,
            id,
            body.participant_id,
            override_reason.clone(),
        )
        .await
    })
    .await?;
    Ok(created(view))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CancelEditionEnrolmentRequest)]
struct CancelBody {
    /// Why (optional); kept with the enrolment.
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Leave an edition (every module)
///
/// Roles: the participant herself, or staff who manage the edition (people they reach).
/// She leaves every module's cohort still running (her attendance stays on record) or the
/// waiting list; a place freed in every module goes to the first person waiting. Already
/// cancelled, or the edition finished → 409.
#[utoipa::path(
    tag = "programmes",
    operation_id = "cancelEditionEnrolment",
    params(
        ("id" = i32, Path, description = "Edition id.", example = 1),
        ("enrolment_id" = i32, Path, description = "Edition enrolment id.", example = 1),
    ),
    request_body = Option<CancelBody>,
    responses(
        (status = 200, description = "The cancelled enrolment.", body = ProgrammeEnrolmentView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[delete("/programme-editions/<id>/enrolments/<enrolment_id>", data = "<body>")]
async fn cancel(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    enrolment_id: i32,
    body: crate::api::OptionalJson<CancelBody>,
) -> AppResult<Json<ProgrammeEnrolmentView>> {
    if !matches!(
        user.role,
        Role::Participant | Role::Admin | Role::Coordinator
    ) {
        return Err(AppError::Forbidden.into());
    }
    let reason = body.0.and_then(|b| b.reason);
    let view = domain::db::write(db, async |txn| {
        enrolment::cancel(txn, &notifier, &user, id, enrolment_id, reason.as_deref()).await
    })
    .await?;
    Ok(Json(view))
}

/// Recognise a module by hand
///
/// Roles: staff who manage the edition. The person (enrolled or waiting in it) does not take
/// the module (she leaves its cohort; the seat goes to the edition's waiting list). `reason`
/// is required (422). Already recognised, or not in the edition → 409. Audited.
#[utoipa::path(
    tag = "programmes",
    operation_id = "recogniseModule",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    request_body = RecognitionInput,
    responses(
        (status = 201, description = "Module recognised.", body = RecognitionView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 403, response = Forbidden),
    )
)]
#[post("/programme-editions/<id>/recognitions", data = "<body>")]
async fn recognise(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<RecognitionInput>,
) -> AppResult<Created<RecognitionView>> {
    let view = domain::db::write(db, async |txn| {
        enrolment::recognise(txn, &notifier, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// An edition's progress, module by module
///
/// Roles: staff who manage the edition (their people); a reviewer, her department's people
/// only (silently filtered). One item per person enrolled: each module's state (pending,
/// in_progress with attendance on the one basis, completed, not_completed, recognised),
/// completed/required modules and the programme's status.
#[utoipa::path(
    tag = "programmes",
    operation_id = "getEditionProgress",
    params(("id" = i32, Path, description = "Edition id.", example = 1)),
    responses(
        (status = 200, description = "Progress per person.", body = List<PersonProgress>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/programme-editions/<id>/progress", rank = 2)]
async fn edition_progress(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<PersonProgress>>> {
    if !matches!(user.role, Role::Admin | Role::Coordinator | Role::Reviewer) {
        return Err(AppError::Forbidden.into());
    }
    let (_, items) = progress::for_actor(db.inner(), &user, id).await?;
    Ok(Json(whole(items)))
}

/// My programmes
///
/// Roles: participant. Each edition she is enrolled in or waiting for, newest first, with
/// each module's state, what is left and the programme's certificate once issued.
#[utoipa::path(
    tag = "programmes",
    operation_id = "listMyProgrammes",
    responses(
        (status = 200, description = "Her programmes.", body = List<MyProgramme>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/me/programmes")]
async fn mine(
    db: &State<DatabaseConnection>,
    user: ParticipantUser,
) -> AppResult<Json<List<MyProgramme>>> {
    let Some(person) = domain::people::profile::participant_of_user(db.inner(), user.id).await?
    else {
        return Ok(Json(whole(Vec::new())));
    };
    Ok(Json(whole(
        progress::of_participant(db.inner(), person.id).await?,
    )))
}
