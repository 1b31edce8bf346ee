//! `/admin/aula-virtual`: the admin registers the virtual classrooms (LTI 1.3 tools) and reads,
//! for each, what to enter on the tool's side (issuer, client ID, deployment ID, endpoints).

use super::platform_of;
use crate::accounts::guards::AdminUser;
use crate::web::Page;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use domain::config::AppConfig;
use domain::virtual_classroom::tools::{self, ToolInput, ToolView};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![tools_page, register_submit]
}

/// The registration form as typed.
#[derive(FromForm, Serialize, Default, Clone)]
struct ToolForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    login_url: String,
    #[field(default = String::new())]
    target_link_uri: String,
    /// One per line.
    #[field(default = String::new())]
    redirect_uris: String,
    #[field(default = String::new())]
    jwks_url: String,
    #[field(default = String::new())]
    deep_link_url: String,
    #[field(default = false)]
    share_name: bool,
    #[field(default = false)]
    share_email: bool,
}
csrf_protected!(ToolForm);

impl ToolForm {
    fn input(&self) -> ToolInput {
        let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        ToolInput {
            name: text(&self.name),
            login_url: text(&self.login_url),
            target_link_uri: text(&self.target_link_uri),
            redirect_uris: self
                .redirect_uris
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            jwks_url: text(&self.jwks_url),
            public_jwk: None,
            deep_link_url: text(&self.deep_link_url),
            share_name: self.share_name,
            share_email: self.share_email,
            scopes: None,
        }
    }
}

#[derive(Serialize)]
struct ToolsView {
    tools: Vec<ToolView>,
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_url: String,
    new: ToolForm,
}

async fn view(
    db: &DatabaseConnection,
    config: &AppConfig,
    typed: ToolForm,
) -> domain::error::AppResult<ToolsView> {
    let platform = platform_of(config);
    Ok(ToolsView {
        tools: tools::list(db, &platform).await?,
        issuer: platform.issuer.clone(),
        authorization_endpoint: platform.authorization_endpoint(),
        token_endpoint: platform.token_endpoint(),
        jwks_url: platform.jwks_url(),
        new: typed,
    })
}

#[get("/admin/aula-virtual")]
async fn tools_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    let view = view(db.inner(), config, <ToolForm as Default>::default()).await?;
    page.render("admin_virtual_classroom", "Aula virtual", view)
}

#[post("/admin/aula-virtual", data = "<form>")]
async fn register_submit(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    admin: AdminUser,
    page: Page<'_>,
    form: CsrfForm<ToolForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let platform = platform_of(config);
    let result = domain::db::write(db, async |txn| {
        tools::register(txn, &platform, &admin, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |saved| {
            Flash::success(
                Redirect::to("/admin/aula-virtual"),
                format!(
                    "Aula virtual «{}» registrada: ingrese en ella los datos de la plataforma que aparecen abajo.",
                    saved.name
                ),
            )
        },
        async |errors| {
            let view = view(db.inner(), config, form.clone()).await?;
            let errors = crate::web::form::scoped("nuevo", errors);
            page.render_refused("admin_virtual_classroom", "Aula virtual", view, &errors)
        },
    )
    .await
}
