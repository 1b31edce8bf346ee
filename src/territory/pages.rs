//! `/admin/direcciones` (issue 16): administrators group departments into ESAP's territorial
//! directions; coordinators are assigned to one on the users page.

use crate::accounts::guards::AdminUser;
use crate::error::AppResult;
use crate::web::Page;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use domain::territory::directions::{self, DirectionInput};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![directions_page, create_submit, update_submit]
}

#[derive(Serialize)]
struct DepartmentBox {
    code: String,
    name: String,
    checked: bool,
    /// The direction it belongs to, when another.
    elsewhere: Option<String>,
}

#[derive(Serialize)]
struct DirectionRow {
    id: i32,
    name: String,
    departments: Vec<DepartmentBox>,
}

#[derive(Serialize)]
struct DirectionsView {
    directions: Vec<DirectionRow>,
    /// The new direction's departments: those of no direction yet.
    free: Vec<DepartmentBox>,
}

#[get("/admin/direcciones")]
async fn directions_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    let all = directions::list(db.inner()).await?;
    let departments = domain::territory::departments(db.inner()).await?;
    let owner = |code: &str| {
        all.iter()
            .find(|d| d.department_codes.iter().any(|c| c == code))
    };
    let boxes = |mine: Option<i32>| {
        departments
            .iter()
            .map(|d| {
                let owned = owner(&d.code);
                DepartmentBox {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    checked: owned.is_some_and(|o| Some(o.id) == mine),
                    elsewhere: owned.filter(|o| Some(o.id) != mine).map(|o| o.name.clone()),
                }
            })
            .collect::<Vec<_>>()
    };
    let view = DirectionsView {
        directions: all
            .iter()
            .map(|d| DirectionRow {
                id: d.id,
                name: d.name.clone(),
                departments: boxes(Some(d.id)),
            })
            .collect(),
        free: boxes(None)
            .into_iter()
            .filter(|b| b.elsewhere.is_none())
            .collect(),
    };
    page.render("admin_directions", "Direcciones territoriales", view)
}

#[derive(FromForm)]
struct DirectionForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = Vec::new())]
    department_codes: Vec<String>,
}
csrf_protected!(DirectionForm);

fn outcome(result: AppResult<directions::Direction>, done: &str) -> PageResult<Flash<Redirect>> {
    crate::web::saved_or_refused(
        Redirect::to("/admin/direcciones"),
        result.map_err(|e| e.0),
        |saved| format!("Dirección «{}» {done}.", saved.name),
    )
}

#[post("/admin/direcciones", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    form: CsrfForm<DirectionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DirectionInput {
        name: Some(form.name),
        department_codes: Some(form.department_codes),
    };
    let result = async {
        let txn = domain::db::begin(db).await?;
        let saved = directions::create(&txn, admin.id, &input).await?;
        domain::db::commit(txn).await?;
        Ok(saved)
    }
    .await;
    outcome(result, "creada")
}

#[post("/admin/direcciones/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<DirectionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DirectionInput {
        name: Some(form.name),
        department_codes: Some(form.department_codes),
    };
    let result = async {
        let txn = domain::db::begin(db).await?;
        let saved = directions::update(&txn, admin.id, id, &input).await?;
        domain::db::commit(txn).await?;
        Ok(saved)
    }
    .await;
    outcome(result, "guardada")
}
