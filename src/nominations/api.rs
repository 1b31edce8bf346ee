//! `/api/v1` for seats per municipality and nominations (issue 35): a liaison proposes people
//! of their municipality for a cohort offered to it; the person confirms through the emailed
//! link; the cohort's coordinator accepts (enrolled under the quota, or waitlisted) or declines
//! with a reason. Out of scope → 404.

use crate::accounts::guards::{CurrentUser, MaybeUser};
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use domain::entities::values::Role;
use domain::error::AppError;
use domain::nominations::{DecisionInput, NominationInput, NominationView, QuotaRow};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![nominate, list, decide, confirm, seat_quotas]
}

/// Nominate a person for a cohort
///
/// Roles: liaisons (others 403), for their own municipality. The cohort must be published (a
/// draft → 404), offered to the municipality (422 `cohort_id`) and open with enrolment not yet
/// closed (409). Either `participant_id` (a person registered in the municipality) or
/// `document_type`, `document_number`, `first_names`, `last_names` and `email` of someone not
/// yet registered (a registered person with that document whom the liaison reaches is used
/// instead; anyone else with it is nominated as typed). A `participant_id` the liaison does not
/// reach (`people::scope::reaches`), or of another municipality, is answered as an unknown one
/// (422 `participant_id`, no name, no email). The email must be one the mailer sends to (422
/// `email`). One live nomination per cohort and document (409); someone already enrolled →
/// 409. The person is emailed a link to confirm: to her account's sign-in address when she has
/// an account, else to the address on her record or the one typed (then only her account,
/// with the nominated document, confirms).
#[utoipa::path(
    tag = "nominations",
    operation_id = "nominate",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    request_body = NominationInput,
    responses(
        (status = 201, description = "Nomination created, pending the person's confirmation.", body = NominationView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/cohorts/<id>/nominations", data = "<body>")]
async fn nominate(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<NominationInput>,
) -> AppResult<Created<NominationView>> {
    Ok(domain::db::write(db, async |txn| {
        let view =
            domain::nominations::nominate(txn, &notifier, &user, id, &body.into_inner()).await?;
        Ok(created(view))
    })
    .await?)
}

/// A cohort's nominations
///
/// Roles: the coordinators who manage the cohort (a territorial direction's: the people of its
/// departments) see all; a liaison sees their municipality's (cohort not offered to it → 422);
/// others 403. Newest first, at most 1,000.
#[utoipa::path(
    tag = "nominations",
    operation_id = "listNominations",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The nominations.", body = List<NominationView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/cohorts/<id>/nominations")]
async fn list(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<NominationView>>> {
    let rows = domain::nominations::for_cohort(db.inner(), &user, id).await?;
    Ok(Json(List::whole(rows)))
}

/// Accept or decline a nomination
///
/// Roles: admin and the coordinators who manage the cohort (others 403; another's cohort →
/// 404). `{"accept": true}` enrols the person under their municipality's quota, or waitlists
/// them, with every enrolment rule (window, territory, seats; no override): the nomination
/// must be confirmed by the person (409) and the person registered (409). `{"accept": false,
/// "reason"}` declines (reason required, 422); the person and the liaison are told why.
/// Already decided → 409.
#[utoipa::path(
    tag = "nominations",
    operation_id = "decideNomination",
    params(("id" = i32, Path, description = "Nomination id.", example = 1)),
    request_body = DecisionInput,
    responses(
        (status = 200, description = "The decided nomination.", body = NominationView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/nominations/<id>/decision", data = "<body>")]
async fn decide(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    body: crate::api::JsonBody<DecisionInput>,
) -> AppResult<Json<NominationView>> {
    if !matches!(user.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden.into());
    }
    let view = domain::db::write(db, async |txn| {
        domain::nominations::decide(txn, &notifier, &user, id, &body.into_inner()).await
    })
    .await?;
    Ok(Json(view))
}

/// Confirm a nomination (the emailed link)
///
/// Only the person nominated confirms (issue 46). The link alone is the proof when it was
/// emailed to the address her account signs in with (no authentication needed). Otherwise —
/// someone nominated before registering, or a nomination emailed to an address the liaison
/// typed — it confirms only with the bearer token of the account whose participant record has
/// the nomination's document (registering through the link's `/registro?postulacion=` also
/// confirms it); anyone else → 409 saying so, nothing written. The bearer token is optional;
/// one that is not valid → 401. Once (409 the second time); a link that is not one, or of a
/// decided nomination → 404. The liaison is told.
#[utoipa::path(
    tag = "nominations",
    operation_id = "confirmNomination",
    security((), ("bearerAuth" = [])),
    params(("token" = String, Path, description = "The token of the emailed link.")),
    responses(
        (status = 200, description = "The confirmed nomination.", body = NominationView),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/nomination-confirmations/<token>")]
async fn confirm(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: MaybeUser,
    token: &str,
) -> AppResult<Json<NominationView>> {
    Ok(domain::db::write(db, async |txn| {
        let by = user.0.as_deref();
        let view = domain::nominations::confirm(txn, &notifier, token, by).await?;
        Ok(Json(view))
    })
    .await?)
}

/// A cohort's seats per municipality
///
/// Roles: admin and the coordinators who manage the cohort (others 403; another's → 404).
/// Per municipality with a quota or a nomination: the quota, people nominated (live),
/// confirmed, enrolled and waitlisted.
#[utoipa::path(
    tag = "nominations",
    operation_id = "cohortSeatQuotas",
    params(("id" = i32, Path, description = "Cohort id.", example = 1)),
    responses(
        (status = 200, description = "The cohort's seats per municipality.", body = List<QuotaRow>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/cohorts/<id>/seat-quotas")]
async fn seat_quotas(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    id: i32,
) -> AppResult<Json<List<QuotaRow>>> {
    if !matches!(user.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden.into());
    }
    let rows = domain::nominations::quota_board(db.inner(), &user, id).await?;
    Ok(Json(List::whole(rows)))
}
