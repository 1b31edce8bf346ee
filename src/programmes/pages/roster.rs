//! The edition's roster module by module (`/ediciones/{id}/avance`): one card per person with
//! each module's state and attendance, the people at risk first in view, completed of
//! required and the programme's state. For the staff who manage the edition and, once the
//! programme is published, a reviewer for her department's people (`progress::for_actor`).

use crate::accounts::guards::CurrentUser;
use crate::web::{Page, PageResult};
use domain::entities::values::Role;
use domain::error::AppError;
use domain::programmes::progress::{self, PersonProgress};
use rocket::{Route, State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub(super) fn routes() -> Vec<Route> {
    routes![progress_page]
}

#[derive(Serialize)]
struct ModuleHead {
    course_name: String,
    required: bool,
}

#[derive(Serialize)]
struct RosterView {
    edition_id: i32,
    edition_name: String,
    programme_id: i32,
    programme_name: String,
    modules: Vec<ModuleHead>,
    rows: Vec<PersonProgress>,
    total: usize,
    at_risk: usize,
    completed: usize,
    /// A reviewer reads her department's people only: said above the list.
    department_only: bool,
}

#[get("/ediciones/<id>/avance")]
async fn progress_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    if !(user.is_staff() || user.role == Role::Reviewer) {
        return Err(AppError::Forbidden.into());
    }
    let (edition, rows) = progress::for_actor(db.inner(), &user, id).await?;
    let view = RosterView {
        edition_id: edition.row.id,
        edition_name: edition.row.name.clone(),
        programme_id: edition.programme.id,
        programme_name: edition.programme.name.clone(),
        modules: edition
            .programme
            .modules
            .iter()
            .map(|m| ModuleHead {
                course_name: m.course_name.clone(),
                required: m.required,
            })
            .collect(),
        total: rows.len(),
        at_risk: rows.iter().filter(|r| r.at_risk).count(),
        completed: rows
            .iter()
            .filter(|r| r.status == progress::ProgrammeState::Completed)
            .count(),
        department_only: user.role == Role::Reviewer,
        rows,
    };
    page.render(
        "edition_progress",
        &format!("Avance · {}", view.edition_name),
        view,
    )
}
