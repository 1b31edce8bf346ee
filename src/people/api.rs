//! `/api/v1/registrations`: a participant signs up (no authentication), then confirms through
//! the emailed link.

use crate::accounts::api::UserWithProfile;
use crate::api::{Created, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, TooManyRequests};
use crate::web::ClientAddress;
use domain::error::AppError;
use domain::people::registration::{self, Received, RegistrationInput};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    routes![register, confirm]
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
