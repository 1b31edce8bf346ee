//! `/api/v1/registrations`: a participant signs up (no authentication).

use super::registration::{self, RegistrationInput};
use crate::accounts::UserView;
use crate::api::{Created, created};
use crate::config::AppConfig;
use crate::error::AppResult;
use crate::templates::Templates;
use rocket::{Route, State, post, routes};
use sea_orm::DatabaseConnection;
use serde_json::Value;

pub fn routes() -> Vec<Route> {
    routes![register]
}

#[post("/registrations", data = "<body>")]
async fn register(
    db: &State<DatabaseConnection>,
    templates: &State<Templates>,
    config: &State<AppConfig>,
    body: crate::api::JsonBody<RegistrationInput>,
) -> AppResult<Created<Value>> {
    let user = registration::register(db, templates, config, &body).await?;
    let participant = super::profile_of_user(db.inner(), user.id).await?;
    let mut view = serde_json::to_value(UserView::from(user)).unwrap_or_default();
    view["participant"] = serde_json::to_value(participant).unwrap_or_default();
    Ok(created(view))
}
