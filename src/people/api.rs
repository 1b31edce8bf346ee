//! `/api/v1/registrations`: a participant signs up (no authentication), then confirms through
//! the emailed link.

use super::registration::{self, Received, RegistrationInput};
use crate::accounts::UserView;
use crate::api::{Created, created};
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use crate::web::ClientAddress;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, post, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Vec<Route> {
    routes![register, confirm]
}

/// 201 (the contract's status: a registration was received and its confirmation created) with
/// the same body whether or not the email or document already exist.
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

#[derive(Deserialize)]
struct Confirmation {
    token: Option<String>,
}

/// The token from the emailed link → 201 the new account with its participant profile.
#[post("/registrations/confirmations", data = "<body>")]
async fn confirm(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    body: crate::api::JsonBody<Confirmation>,
) -> AppResult<Created<Value>> {
    let token = body.token.as_deref().map(str::trim).unwrap_or("");
    if token.is_empty() {
        return Err(
            AppError::invalid("token", "Escriba el código del enlace de confirmación.").into(),
        );
    }
    let (user, _) = registration::confirm(db, &notifier, token).await?;
    let participant = super::profile_of_user(db.inner(), user.id).await?;
    let mut view = serde_json::to_value(UserView::from(user)).unwrap_or_default();
    view["participant"] = serde_json::to_value(participant).unwrap_or_default();
    Ok(created(view))
}
