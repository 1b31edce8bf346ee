//! `/api/v1/registrations`: a participant signs up (no authentication), then confirms through
//! the emailed link. `/api/v1/name-changes`: the changes of name people asked for, reviewed by
//! the coordination of their cohorts (issue 46).

use crate::accounts::api::UserWithProfile;
use crate::accounts::guards::StaffUser;
use crate::api::{Created, List, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed};
use crate::web::ClientAddress;
use domain::error::AppError;
use domain::people::name_change::{self, DecisionInput, NameChangeView};
use domain::people::registration::{self, Received, RegistrationInput};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    routes![register, confirm, name_changes, decide_name_change]
}

/// A participant signs up (step 1 of 2)
///
/// Public (no authentication). **Changed from the contract** (which said 201 with the user,
/// and 422 for a duplicate document or e-mail) so that registering never tells who already
/// has an account (issue 13). The status stays the contract's 201, but what is created is the
/// pending registration, not yet the account:
///
/// - Missing consent, unknown municipality, weak password or any malformed field → 422 with
///   `errors`; nothing is written.
/// - Otherwise always **201** with the same body, whether or not the e-mail or document
///   exist. An e-mail goes out through the outbox: to a new person, a single-use link (valid
///   48 h) that creates the account (`POST /registrations/confirmations`); to a person a
///   coordinator imported (same document, no account yet) registering with the e-mail on
///   file, the same link, which attaches the account to that record; to the owner of an
///   existing account (same e-mail, or same document), a notice saying how to sign in or
///   reset the password; to the e-mail on file of an imported record when another e-mail was
///   given, a notice saying to register with the e-mail on file.
/// - Throttled per client address: 10 accepted registrations, then 60 s doubling up to 1 h
///   (429 with `Retry-After`).
///
/// Optional differential-approach data (`sex`, `ethnic_group`, `has_disability`,
/// `is_conflict_victim`) requires `sensitive_data_consent: true`.
#[utoipa::path(
    tag = "people",
    operation_id = "register",
    security(()),
    request_body = RegistrationInput,
    responses(
        (status = 201, description = "Received; the next step was e-mailed. Same body for everybody.", body = Received),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/registrations", data = "<body>")]
async fn register(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    address: ClientAddress,
    body: crate::api::JsonBody<RegistrationInput>,
) -> AppResult<(Status, Json<Received>)> {
    let received = registration::register(db, &notifier, &body, address.0, "/").await?;
    Ok((Status::Created, Json(received)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RegistrationConfirmation)]
struct Confirmation {
    /// The last part of the emailed link.
    #[schema(value_type = String, required = true)]
    token: Option<String>,
}

/// A participant confirms their registration (step 2 of 2)
///
/// Public (no authentication). `token` is the last part of the emailed link
/// (`/registro/confirmar/{token}`, which people follow in the browser). Creates the account
/// and the participant profile (or attaches the account to the imported record being
/// claimed), records the consents and queues a welcome e-mail, in one transaction. The link
/// works once: used, expired or unknown → 409; if the e-mail or document got an account in
/// the meantime → 409.
#[utoipa::path(
    tag = "people",
    operation_id = "confirmRegistration",
    security(()),
    request_body = Confirmation,
    responses(
        (status = 201, description = "The new user with their participant profile.", body = UserWithProfile),
        (status = 409, response = Conflict),
    )
)]
#[post("/registrations/confirmations", data = "<body>")]
async fn confirm(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    body: crate::api::JsonBody<Confirmation>,
) -> AppResult<Created<UserWithProfile>> {
    let token = body.token.as_deref().map(str::trim).unwrap_or("");
    if token.is_empty() {
        return Err(
            AppError::invalid("token", "Escriba el código del enlace de confirmación.").into(),
        );
    }
    let (user, _) = registration::confirm(db, &notifier, token).await?;
    let participant = domain::people::profile_of_user(db.inner(), user.id).await?;
    Ok(created(UserWithProfile {
        user: user.into(),
        participant,
    }))
}

/// The changes of name waiting for the caller's review
///
/// Roles: admin (every one) and coordinators: the changes asked for by people with an
/// enrolment in a cohort the coordinator manages (a territorial direction's: people of its
/// departments); others 403. Oldest first, returned whole.
///
/// **Extension** (not in api-v1.md, issue 46): once a participant has an enrolment, the name
/// she gives on «Mi perfil» waits here; her record and certificates keep the approved name.
#[utoipa::path(
    tag = "people",
    operation_id = "listNameChanges",
    responses(
        (status = 200, description = "The pending changes of name.", body = List<NameChangeView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/name-changes")]
async fn name_changes(
    db: &State<DatabaseConnection>,
    user: StaffUser,
) -> AppResult<Json<List<NameChangeView>>> {
    let rows = name_change::reviewable(db.inner(), &user).await?;
    Ok(Json(List::whole(rows)))
}

/// Approve or reject a change of name
///
/// Roles: admin and the coordinators who review it (others 403; a change of somebody without
/// an enrolment in the caller's cohorts → 404). `{"accept": true}` applies the name to her
/// record and account and re-issues every valid certificate of hers with it (the old ones stay
/// verifiable as superseded); `{"accept": false, "reason"}` rejects it (reason required, 422).
/// Either way she is e-mailed, and it is audited. No longer pending → 409.
///
/// **Extension** (not in api-v1.md, issue 46).
#[utoipa::path(
    tag = "people",
    operation_id = "decideNameChange",
    params(("id" = i32, Path, description = "Name change id.", example = 1)),
    request_body = DecisionInput,
    responses(
        (status = 200, description = "The decided change.", body = NameChangeView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/name-changes/<id>/decision", data = "<body>")]
async fn decide_name_change(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: StaffUser,
    id: i32,
    body: crate::api::JsonBody<DecisionInput>,
) -> AppResult<Json<NameChangeView>> {
    let view = name_change::decide(db, &notifier, &user, id, &body.into_inner()).await?;
    Ok(Json(view))
}
