//! `/api/v1` for the handover (empalme, issue 48): one municipality's record.

use crate::accounts::guards::CurrentUser;
use crate::error::AppResult;
use crate::openapi::responses::NotFound;
use domain::handover::Handover;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![handover]
}

/// A municipality's handover (empalme)
///
/// Roles: the municipality's liaison, the department's reviewer, administrators and ESAP's
/// coordinators (a territorial direction's, in its departments); anyone else, or an unknown
/// code → 404. Who was trained for the municipality and certified, and who is still in the
/// entity (`still_in_entity`, `left`: counts of `trained`); every technical assistance of the
/// municipality's entities with its `open_agreements` (pending) and `pending_milestones` (not
/// reached, of assistances not cancelled); the products handed over (`resources`); the
/// demands not yet met nor declined (`open_demands`); each indicator's earliest and latest
/// year (`indicators`).
#[utoipa::path(
    tag = "handover",
    operation_id = "municipalityHandover",
    params(("code" = String, Path, description = "DANE code of the municipality.", example = "18256")),
    responses(
        (status = 200, description = "The municipality's handover.", body = Handover),
        (status = 404, response = NotFound),
    )
)]
#[get("/municipalities/<code>/handover")]
async fn handover(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    code: &str,
) -> AppResult<Json<Handover>> {
    Ok(Json(
        domain::handover::assemble(db.inner(), &user, code, domain::time::today()).await?,
    ))
}
