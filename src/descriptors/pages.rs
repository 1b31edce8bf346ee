//! `/admin/descriptores` (issue 49): administrators keep CONPES's sectoral and population
//! descriptors (add, rename, retire); and the checkbox lists the course, assistance and
//! demand forms share ([`Checks`], template `descriptor_fields`).

use crate::accounts::guards::AdminUser;
use crate::error::{AppResult, DomainResult};
use crate::web::Page;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use domain::descriptors::{self, DescriptorInput, DescriptorRef, DescriptorView};
use domain::entities::values::DescriptorKind;
use domain::error::AppError;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![admin_page, create_submit, update_submit]
}

const PAGE: &str = "/admin/descriptores";
const TITLE: &str = "Sectores y grupos poblacionales";

/// A descriptor as a checkbox of a form.
#[derive(Serialize)]
pub struct Check {
    id: i32,
    name: String,
    checked: bool,
}

/// The two checkbox lists of a course, assistance or demand form (`descriptor_fields`): the
/// active descriptors, and the inactive ones the record still carries.
#[derive(Serialize)]
pub struct Checks {
    sectors: Vec<Check>,
    population_groups: Vec<Check>,
}

impl Checks {
    /// The lists with `sector_ids` and `population_group_ids` checked (as saved, or as typed
    /// on a refused form).
    pub async fn of(
        db: &DatabaseConnection,
        sector_ids: &[i32],
        population_group_ids: &[i32],
    ) -> DomainResult<Self> {
        let list = async |kind, chosen: &[i32]| -> DomainResult<Vec<Check>> {
            Ok(descriptors::all(db, kind, true)
                .await?
                .into_iter()
                .filter(|d| d.active || chosen.contains(&d.id))
                .map(|d| Check {
                    checked: chosen.contains(&d.id),
                    id: d.id,
                    name: d.name,
                })
                .collect())
        };
        Ok(Checks {
            sectors: list(DescriptorKind::Sector, sector_ids).await?,
            population_groups: list(DescriptorKind::PopulationGroup, population_group_ids).await?,
        })
    }
}

/// The ids of a saved record's descriptors (to fill its edit form).
pub fn ids(list: &[DescriptorRef]) -> Vec<i32> {
    list.iter().map(|d| d.id).collect()
}

/// The active sectors for a filter's select (`sector` / `sector=` in the address), `chosen`
/// selected.
pub async fn sector_choices(
    db: &DatabaseConnection,
    chosen: Option<i32>,
) -> DomainResult<Vec<crate::web::OwnedChoice>> {
    let rows = descriptors::all(db, DescriptorKind::Sector, false)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(crate::web::OwnedChoice::of_rows(rows, chosen))
}

/// Which list a page address names.
fn kind_of(list: &str) -> Result<DescriptorKind, AppError> {
    match list {
        "sectores" => Ok(DescriptorKind::Sector),
        "grupos-poblacionales" => Ok(DescriptorKind::PopulationGroup),
        _ => Err(AppError::NotFound),
    }
}

fn slug(kind: DescriptorKind) -> &'static str {
    match kind {
        DescriptorKind::Sector => "sectores",
        DescriptorKind::PopulationGroup => "grupos-poblacionales",
    }
}

#[derive(FromForm)]
struct DescriptorForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    active: String,
}
csrf_protected!(DescriptorForm);

/// One descriptor's row: its form, with what was typed when it came back refused.
#[derive(Serialize)]
struct Row {
    id: i32,
    code: String,
    /// The prefix of its fields in the page's problems (`sectores-3`).
    form: String,
    name: String,
    active: bool,
}

#[derive(Serialize)]
struct ListView {
    title: &'static str,
    slug: &'static str,
    /// The new one's form prefix (`sectores-nuevo`) and values as typed.
    new_form: String,
    new_code: String,
    new_name: String,
    items: Vec<Row>,
}

#[derive(Serialize)]
struct AdminView {
    lists: Vec<ListView>,
}

fn prefix(kind: DescriptorKind, id: Option<i32>) -> String {
    match id {
        Some(id) => format!("{}-{id}", slug(kind)),
        None => format!("{}-nuevo", slug(kind)),
    }
}

/// The page, with `typed` (the list, the row or `None` for the new one, the form) as typed.
async fn admin_view(
    db: &DatabaseConnection,
    typed: Option<(DescriptorKind, Option<i32>, &DescriptorForm)>,
) -> AppResult<AdminView> {
    let mut lists = Vec::new();
    for (kind, title) in [
        (DescriptorKind::Sector, "Sectores"),
        (DescriptorKind::PopulationGroup, "Grupos poblacionales"),
    ] {
        let typed_for = |id: Option<i32>| {
            typed
                .filter(|(k, sent, _)| *k == kind && *sent == id)
                .map(|(_, _, form)| form)
        };
        let items = descriptors::all(db, kind, true)
            .await?
            .into_iter()
            .map(|d: DescriptorView| {
                let typed = typed_for(Some(d.id));
                Row {
                    form: prefix(kind, Some(d.id)),
                    name: typed.map_or(d.name, |f| f.name.clone()),
                    active: typed.map_or(d.active, |f| f.active == "true"),
                    id: d.id,
                    code: d.code,
                }
            })
            .collect();
        let new = typed_for(None);
        lists.push(ListView {
            title,
            slug: slug(kind),
            new_form: prefix(kind, None),
            new_code: new.map(|f| f.code.clone()).unwrap_or_default(),
            new_name: new.map(|f| f.name.clone()).unwrap_or_default(),
            items,
        });
    }
    Ok(AdminView { lists })
}

#[get("/admin/descriptores")]
async fn admin_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    page.render("admin_descriptors", TITLE, admin_view(db, None).await?)
}

/// Saved: back to the page with its message; refused: the page again with `form` as typed.
async fn outcome(
    db: &DatabaseConnection,
    page: &Page<'_>,
    sent: (DescriptorKind, Option<i32>),
    form: &DescriptorForm,
    result: Result<DescriptorView, AppError>,
    done: &str,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |saved| Flash::success(Redirect::to(PAGE), format!("«{}» {done}.", saved.name)),
        async |errors| {
            let view = admin_view(db, Some((sent.0, sent.1, form))).await?;
            let errors = crate::web::form::scoped(&prefix(sent.0, sent.1), errors);
            page.render_refused("admin_descriptors", TITLE, view, &errors)
        },
    )
    .await
}

#[post("/admin/descriptores/<list>", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    list: &str,
    form: CsrfForm<DescriptorForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let kind = kind_of(list)?;
    let input = DescriptorInput {
        code: Some(form.code.clone()),
        name: Some(form.name.clone()),
        active: Some(true),
    };
    let result = domain::db::write(db, async |txn| {
        let saved = descriptors::create(txn, admin.id, kind, &input).await?;
        Ok(saved)
    })
    .await;
    outcome(db, &page, (kind, None), &form, result, "agregado").await
}

#[post("/admin/descriptores/<list>/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    list: &str,
    id: i32,
    form: CsrfForm<DescriptorForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let kind = kind_of(list)?;
    let input = DescriptorInput {
        code: None,
        name: Some(form.name.clone()),
        active: Some(form.active == "true"),
    };
    let result = domain::db::write(db, async |txn| {
        let saved = descriptors::update(txn, admin.id, kind, id, &input).await?;
        Ok(saved)
    })
    .await;
    outcome(db, &page, (kind, Some(id)), &form, result, "guardado").await
}
