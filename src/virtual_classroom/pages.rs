//! The page that starts a launch: `/cohortes/{id}/aula-virtual/{link_id}` sends the signed-in
//! person to the tool's login initiation (third-party initiated login), or says why not (403);
//! and the «Aula virtual» panel of a cohort's sessions page with its form (the screen answers
//! the form: `crate::cohorts::pages`).

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

/// The sessions page's «Aula virtual» panel for the cohort's coordinator: its links, the tools
/// to link, the latest launches.
#[derive(serde::Serialize)]
pub struct ClassroomPanel {
    pub links: Vec<domain::virtual_classroom::links::LinkView>,
    pub tools: Vec<crate::web::IdChoice>,
    pub launches: Vec<domain::virtual_classroom::launch::LaunchView>,
    /// More launches than shown.
    pub more_launches: bool,
}

/// Launches the panel shows.
const PANEL_LAUNCHES: usize = 20;

pub async fn panel(
    db: &DatabaseConnection,
    cohort_id: i32,
) -> domain::error::AppResult<ClassroomPanel> {
    // Paths of this site (the page links them), not absolute URLs.
    let platform = domain::virtual_classroom::Platform::new("");
    let mut launches = launch::of_cohort(db, cohort_id).await?;
    let more_launches = launches.len() > PANEL_LAUNCHES;
    launches.truncate(PANEL_LAUNCHES);
    Ok(ClassroomPanel {
        links: domain::virtual_classroom::links::of_cohort(db, &platform, cohort_id).await?,
        tools: domain::virtual_classroom::tools::list(db, &platform)
            .await?
            .into_iter()
            .map(|t| crate::web::IdChoice {
                id: t.id,
                name: t.name,
                selected: false,
            })
            .collect(),
        launches,
        more_launches,
    })
}

/// The coordinator's form that links the cohort to a tool (`aula.*` on the sessions page).
#[derive(rocket::form::FromForm, serde::Serialize)]
pub(crate) struct LinkForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    tool_id: String,
    #[field(default = String::new())]
    title: String,
    /// The published course's `id` in Moodle (its custom parameter); optional.
    #[field(default = String::new())]
    moodle_id: String,
}
crate::web::csrf::csrf_protected!(LinkForm);

impl LinkForm {
    /// The link as the domain takes it: a tool that is no number names none (0), which the
    /// rules refuse by name.
    pub(crate) fn input(&self) -> domain::virtual_classroom::links::LinkInput {
        let custom = Some(self.moodle_id.trim())
            .filter(|m| !m.is_empty())
            .map(|m| std::collections::BTreeMap::from([("id".to_string(), m.to_string())]));
        domain::virtual_classroom::links::LinkInput {
            tool_id: self
                .tool_id
                .trim()
                .parse()
                .ok()
                .or_else(|| (!self.tool_id.trim().is_empty()).then_some(0)),
            title: Some(self.title.clone()),
            custom,
        }
    }
}
