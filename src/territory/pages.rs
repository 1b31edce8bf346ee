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
    /// The prefix of this direction's fields in the page's problems.
    form: String,
    name: String,
    departments: Vec<DepartmentBox>,
}

#[derive(Serialize)]
struct DirectionsView {
    directions: Vec<DirectionRow>,
    /// The new direction's departments: those of no direction yet.
    free: Vec<DepartmentBox>,
    /// The new direction's name as typed.
    new_name: String,
}

#[get("/admin/direcciones")]
async fn directions_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    let view = directions_view(db.inner(), None).await?;
    page.render("admin_directions", "Direcciones territoriales", view)
}

/// The prefix of a direction's form fields on the page (`direccion-2.name`), or the new one's
/// (`nueva.name`).
fn prefix(sent: Option<i32>) -> String {
    match sent {
        Some(id) => format!("direccion-{id}"),
        None => "nueva".to_string(),
    }
}

/// The page, with the sent form (`Some(id)` a direction's, `None` the new one) as typed when it
/// comes back refused.
async fn directions_view(
    db: &DatabaseConnection,
    typed: Option<(Option<i32>, &DirectionForm)>,
) -> AppResult<DirectionsView> {
    let all = directions::list(db).await?;
    let departments = domain::territory::departments(db).await?;
    let owner = |code: &str| {
        all.iter()
            .find(|d| d.department_codes.iter().any(|c| c == code))
    };
    let typed_for = |sent: Option<i32>| typed.filter(|(s, _)| *s == sent).map(|(_, form)| form);
    let boxes = |mine: Option<i32>| {
        let typed = typed_for(mine);
        departments
            .iter()
            .map(|d| {
                let owned = owner(&d.code);
                let checked = match typed {
                    Some(form) => form.department_codes.contains(&d.code),
                    None => owned.is_some_and(|o| Some(o.id) == mine),
                };
                DepartmentBox {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    checked,
                    elsewhere: owned.filter(|o| Some(o.id) != mine).map(|o| o.name.clone()),
                }
            })
            .collect::<Vec<_>>()
    };
    Ok(DirectionsView {
        directions: all
            .iter()
            .map(|d| DirectionRow {
                id: d.id,
                form: prefix(Some(d.id)),
                name: typed_for(Some(d.id))
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| d.name.clone()),
                departments: boxes(Some(d.id)),
            })
            .collect(),
        free: boxes(None)
            .into_iter()
            .filter(|b| b.elsewhere.is_none())
            .collect(),
        new_name: typed_for(None).map(|f| f.name.clone()).unwrap_or_default(),
    })
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

/// Saved: back to the list with its message; refused: the page again with `form` as typed.
async fn outcome(
    db: &DatabaseConnection,
    page: &Page<'_>,
    sent: Option<i32>,
    form: &DirectionForm,
    result: AppResult<directions::Direction>,
    done: &str,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result.map_err(|e| e.0),
        |saved| {
            Flash::success(
                Redirect::to("/admin/direcciones"),
                format!("Dirección «{}» {done}.", saved.name),
            )
        },
        async |errors| {
            let view = directions_view(db, Some((sent, form))).await?;
            let errors = crate::web::form::scoped(&prefix(sent), errors);
            page.render_refused(
                "admin_directions",
                "Direcciones territoriales",
                view,
                &errors,
            )
        },
    )
    .await
}

#[post("/admin/direcciones", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    form: CsrfForm<DirectionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DirectionInput {
        name: Some(form.name.clone()),
        department_codes: Some(form.department_codes.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        let saved = directions::create(txn, admin.id, &input).await?;
        Ok(saved)
    })
    .await
    .map_err(crate::error::WebError::from);
    outcome(db, &page, None, &form, result, "creada").await
}

#[post("/admin/direcciones/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<DirectionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DirectionInput {
        name: Some(form.name.clone()),
        department_codes: Some(form.department_codes.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        let saved = directions::update(txn, admin.id, id, &input).await?;
        Ok(saved)
    })
    .await
    .map_err(crate::error::WebError::from);
    outcome(db, &page, Some(id), &form, result, "guardada").await
}
