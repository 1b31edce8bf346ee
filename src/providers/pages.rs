//! `/admin/oferentes` (issue 32): administrators keep the providers whose offer the product
//! gathers; coordinators are assigned to one on the users page.

use crate::accounts::guards::AdminUser;
use crate::error::AppResult;
use crate::web::Page;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use domain::entities::values::ProviderKind;
use domain::providers::{self, ProviderInput, ProviderView};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{DatabaseConnection, Iterable};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![providers_page, create_submit, update_submit]
}

#[derive(Serialize)]
struct Option_ {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct ProviderRow {
    provider: ProviderView,
    kinds: Vec<Option_>,
    departments: Vec<Option_>,
    is_esap: bool,
}

#[derive(Serialize)]
struct ProvidersView {
    rows: Vec<ProviderRow>,
    kinds: Vec<Option_>,
    departments: Vec<Option_>,
}

#[get("/admin/oferentes")]
async fn providers_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    let all = providers::list(db.inner()).await?;
    let departments = domain::territory::departments(db.inner()).await?;
    let kinds = |chosen: Option<ProviderKind>| {
        ProviderKind::iter()
            .map(|k| Option_ {
                value: k.as_str().to_string(),
                label: k.label().to_string(),
                selected: Some(k) == chosen,
            })
            .collect::<Vec<_>>()
    };
    let places = |chosen: Option<&str>| {
        departments
            .iter()
            .map(|d| Option_ {
                value: d.code.clone(),
                label: d.name.clone(),
                selected: Some(d.code.as_str()) == chosen,
            })
            .collect::<Vec<_>>()
    };
    let view = ProvidersView {
        rows: all
            .into_iter()
            .map(|p| ProviderRow {
                kinds: kinds(Some(p.kind)),
                departments: places(p.department_code.as_deref()),
                is_esap: p.id == providers::ESAP,
                provider: p,
            })
            .collect(),
        kinds: kinds(None),
        departments: places(None),
    };
    page.render("admin_providers", "Oferentes", view)
}

#[derive(FromForm)]
struct ProviderForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    nit: String,
    #[field(default = String::new())]
    department_code: String,
    #[field(default = false)]
    active: bool,
}
csrf_protected!(ProviderForm);

impl ProviderForm {
    fn input(self) -> ProviderInput {
        ProviderInput {
            name: Some(self.name),
            kind: Some(self.kind),
            nit: Some(self.nit),
            department_code: Some(self.department_code),
            active: Some(self.active),
        }
    }
}

fn outcome(result: AppResult<ProviderView>, done: &str) -> PageResult<Flash<Redirect>> {
    crate::web::saved_or_refused(
        Redirect::to("/admin/oferentes"),
        result.map_err(|e| e.0),
        |saved| format!("Oferente «{}» {done}.", saved.name),
    )
}

#[post("/admin/oferentes", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    form: CsrfForm<ProviderForm>,
) -> PageResult<Flash<Redirect>> {
    let input = form.0.input();
    let result = async {
        let txn = domain::db::begin(db).await?;
        let saved = providers::create(&txn, admin.id, &input).await?;
        domain::db::commit(txn).await?;
        Ok(saved)
    }
    .await;
    outcome(result, "creado")
}

#[post("/admin/oferentes/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<ProviderForm>,
) -> PageResult<Flash<Redirect>> {
    let input = form.0.input();
    let result = async {
        let txn = domain::db::begin(db).await?;
        let saved = providers::update(&txn, admin.id, id, &input).await?;
        domain::db::commit(txn).await?;
        Ok(saved)
    }
    .await;
    outcome(result, "guardado")
}
