//! `/api/v1/alliances`: a gobernación's alliance and its tables (issue 48). Whoever keeps an
//! alliance (an admin, the department's gobernación) writes it; its tables are recorded by the
//! same and by its lead provider's coordinators; reading is scoped in the query
//! (`domain::alliances::AllianceScope`): out of scope is a 404.

use crate::accounts::guards::{CurrentUser, ReportReader};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::openapi::responses::{Forbidden, NotFound, ValidationFailed};
use domain::alliances::meetings::{self, AgreementPatch, AgreementView, MeetingInput, MeetingView};
use domain::alliances::{self, AllianceInput, AllianceView};
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, put, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        update,
        add_meeting,
        list_meetings,
        change_agreement
    ]
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllianceQuery {
    /// DANE code of the department.
    #[param(example = "18")]
    department: Option<String>,
}

/// List alliances
///
/// Roles: staff and reviewers, each the alliances it reads: admins and ESAP's national
/// coordinators all; a territorial direction's coordinator its departments'; a reviewer its
/// department's; another provider's coordinator those it leads or is a member of (and its
/// department's, for a gobernación). Liaisons, instructors and participants → 403. Returned
/// whole, by department and launch.
#[utoipa::path(
    tag = "alliances",
    operation_id = "listAlliances",
    params(AllianceQuery),
    responses(
        (status = 200, description = "The alliances.", body = List<AllianceView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/alliances?<query..>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: AllianceQuery,
) -> AppResult<Json<List<AllianceView>>> {
    let items = alliances::list(db.inner(), &user, query.department.as_deref()).await?;
    Ok(Json(List::whole(items)))
}

/// Create an alliance
///
/// Roles: an admin (any department), or the department's gobernación — its reviewers, or the
/// coordinators of a provider of kind `gobernacion` of that department; another department →
/// 422 on `department_code`; the roles that keep no alliance → 403. `lead_provider_id` absent:
/// the department's gobernación when it is a provider. `members`: at least one, each
/// `{"provider_id"}` or `{"name", "kind"}`; `renewed_on` after `launched_on`. Every problem at
/// once (422), nothing stored. Audited.
#[utoipa::path(
    tag = "alliances",
    operation_id = "createAlliance",
    request_body = AllianceInput,
    responses(
        (status = 201, description = "The alliance.", body = AllianceView),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/alliances", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    body: crate::api::JsonBody<AllianceInput>,
) -> AppResult<Created<AllianceView>> {
    let view =
        domain::db::write(db, async |txn| alliances::create(txn, &user, &body).await).await?;
    Ok(created(view))
}

/// One alliance
///
/// **Extension.** Roles: as the list; any other caller (another department's reviewer, a
/// provider that is not a member, a liaison, a participant) → 404.
#[utoipa::path(
    tag = "alliances",
    operation_id = "getAlliance",
    params(("id" = i32, Path, description = "Alliance id.", example = 1)),
    responses(
        (status = 200, description = "The alliance.", body = AllianceView),
        (status = 404, response = NotFound),
    )
)]
#[get("/alliances/<id>")]
pub async fn show(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<AllianceView>> {
    Ok(Json(alliances::get(db.inner(), &user, id).await?))
}

/// Change an alliance
///
/// **Extension.** The whole record as for `POST /alliances` (name, lead, launch, renewal,
/// members, implementation plan); `department_code` absent or the same (it does not change).
/// Roles: whoever keeps it (an admin, the department's gobernación); its other readers → 403;
/// anyone else → 404. Every problem at once (422), nothing stored. Audited.
#[utoipa::path(
    tag = "alliances",
    operation_id = "updateAlliance",
    params(("id" = i32, Path, description = "Alliance id.", example = 1)),
    request_body = AllianceInput,
    responses(
        (status = 200, description = "The alliance.", body = AllianceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[put("/alliances/<id>", data = "<body>")]
pub async fn update(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<AllianceInput>,
) -> AppResult<Json<AllianceView>> {
    let view = domain::db::write(db, async |txn| {
        alliances::update(txn, &user, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Record a table (mesa) of an alliance
///
/// Roles: whoever keeps the alliance and its lead provider's coordinators; its other readers →
/// 403; anyone else → 404. `date` not in the future; `agenda`; `attendees` (at least one)
/// `[{"name", "organisation"}]`; `agreements` `[{"text", "owner", "due_on"}]`, each due on or
/// after the table; optional `modality` and `place`. Every problem at once (422), nothing
/// stored. Audited.
#[utoipa::path(
    tag = "alliances",
    operation_id = "recordAllianceMeeting",
    params(("id" = i32, Path, description = "Alliance id.", example = 1)),
    request_body = MeetingInput,
    responses(
        (status = 201, description = "The table.", body = MeetingView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/alliances/<id>/meetings", data = "<body>")]
pub async fn add_meeting(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<MeetingInput>,
) -> AppResult<Created<MeetingView>> {
    let view = domain::db::write(db, async |txn| {
        meetings::record(txn, &user, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// The tables of an alliance
///
/// Roles: as `GET /alliances/{id}` (anyone else → 404). Newest first, each with its attendees
/// and agreements (`status` `open` or `done`, `overdue` when open past its due date); returned
/// whole.
#[utoipa::path(
    tag = "alliances",
    operation_id = "listAllianceMeetings",
    params(("id" = i32, Path, description = "Alliance id.", example = 1)),
    responses(
        (status = 200, description = "Every table.", body = List<MeetingView>),
        (status = 404, response = NotFound),
    )
)]
#[get("/alliances/<id>/meetings")]
pub async fn list_meetings(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<MeetingView>>> {
    Ok(Json(List::whole(
        meetings::list(db.inner(), &user, id).await?,
    )))
}

/// Follow up an agreement of a table
///
/// **Extension.** Roles: as for recording a table. `status` `done` with `done_on` (today when
/// absent; not in the future, not before its table) and an optional `note`, or `open` again
/// (clears both). An agreement of another table or alliance → 404. Audited.
#[utoipa::path(
    tag = "alliances",
    operation_id = "changeAllianceAgreement",
    params(
        ("id" = i32, Path, description = "Alliance id.", example = 1),
        ("meeting_id" = i32, Path, description = "Table id.", example = 1),
        ("agreement_id" = i32, Path, description = "Agreement id.", example = 1),
    ),
    request_body = AgreementPatch,
    responses(
        (status = 200, description = "The agreement.", body = AgreementView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch(
    "/alliances/<id>/meetings/<meeting_id>/agreements/<agreement_id>",
    data = "<body>"
)]
pub async fn change_agreement(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
    meeting_id: i32,
    agreement_id: i32,
    body: crate::api::JsonBody<AgreementPatch>,
) -> AppResult<Json<AgreementView>> {
    let view = domain::db::write(db, async |txn| {
        meetings::change_agreement(txn, &user, id, meeting_id, agreement_id, &body).await
    })
    .await?;
    Ok(Json(view))
}
