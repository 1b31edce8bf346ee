//! The page that starts a launch: `/cohortes/{id}/aula-virtual/{link_id}` sends the signed-in
//! person to the tool's login initiation (third-party initiated login), or says why not (403).

use super::platform::refused;
use super::platform_of;
use crate::accounts::guards::CurrentUser;
use crate::web::{Page, PageResult};
use domain::config::AppConfig;
use domain::virtual_classroom::launch;
use rocket::response::Redirect;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![start]
}

/// Starts the launch of the cohort's link for the signed-in person.
#[get("/cohortes/<id>/aula-virtual/<link_id>")]
async fn start(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
    link_id: i32,
) -> PageResult<Redirect> {
    let platform = platform_of(config);
    let outcome = domain::db::write(db, async |txn| {
        launch::begin(txn, &platform, &user, id, link_id).await
    })
    .await?;
    match outcome {
        Ok(login) => Ok(Redirect::to(login.url())),
        Err(refusal) => Err(refused(&page, &refusal)),
    }
}
