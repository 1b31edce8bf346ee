//! `/admin/oferentes` (issue 32): administrators keep the providers whose offer the product
//! gathers; coordinators are assigned to one on the users page.

use crate::accounts::guards::AdminUser;
use crate::error::AppResult;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{OwnedChoice, Page};
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
struct ProviderRow {
    provider: ProviderView,
    /// The prefix of this row's fields in the page's problems.
    form: String,
    values: Values,
    kinds: Vec<OwnedChoice>,
    departments: Vec<OwnedChoice>,
    is_esap: bool,
}

#[derive(Serialize)]
struct ProvidersView {
    rows: Vec<ProviderRow>,
    new: Values,
    kinds: Vec<OwnedChoice>,
    departments: Vec<OwnedChoice>,
}

#[get("/admin/oferentes")]
async fn providers_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
) -> PageResult {
    let view = providers_view(db.inner(), None).await?;
    page.render("admin_providers", "Oferentes", view)
}

/// Which of the page's forms was sent: a provider's (by id) or the new one.
#[derive(Clone, Copy, PartialEq)]
enum Sent {
    New,
    Provider(i32),
}

impl Sent {
    /// The prefix of the form's fields on the page (`nuevo.name`, `oferente-3.name`).
    fn prefix(self) -> String {
        match self {
            Sent::New => "nuevo".to_string(),
            Sent::Provider(id) => format!("oferente-{id}"),
        }
    }
}

/// The page, with the sent form's values as typed when it comes back refused.
async fn providers_view(
    db: &DatabaseConnection,
    typed: Option<(Sent, &ProviderForm)>,
) -> AppResult<ProvidersView> {
    let all = providers::list(db).await?;
    let departments = domain::territory::departments(db).await?;
    let kinds = |chosen: &str| {
        ProviderKind::iter()
            .map(|k| OwnedChoice {
                value: k.as_str().to_string(),
                label: k.label().to_string(),
                selected: k.as_str() == chosen,
            })
            .collect::<Vec<_>>()
    };
    let places = |chosen: &str| {
        departments
            .iter()
            .map(|d| OwnedChoice {
                value: d.code.clone(),
                label: d.name.clone(),
                selected: d.code == chosen,
            })
            .collect::<Vec<_>>()
    };
    let typed_for = |sent: Sent| typed.filter(|(s, _)| *s == sent).map(|(_, form)| form);
    let rows = all
        .into_iter()
        .map(|p| {
            let values = match typed_for(Sent::Provider(p.id)) {
                Some(form) => Values::of_form(form),
                None => Values {
                    name: p.name.clone(),
                    kind: p.kind.as_str().to_string(),
                    nit: p.nit.clone().unwrap_or_default(),
                    department_code: p.department_code.clone().unwrap_or_default(),
                    active: p.active,
                },
            };
            ProviderRow {
                kinds: kinds(&values.kind),
                departments: places(&values.department_code),
                is_esap: p.id == providers::ESAP,
                form: Sent::Provider(p.id).prefix(),
                values,
                provider: p,
            }
        })
        .collect();
    let new = typed_for(Sent::New)
        .map(Values::of_form)
        .unwrap_or_default();
    Ok(ProvidersView {
        rows,
        kinds: kinds(&new.kind),
        departments: places(&new.department_code),
        new,
    })
}

/// A provider's form as shown: its saved values, or what was typed.
#[derive(Serialize, Default)]
struct Values {
    name: String,
    kind: String,
    nit: String,
    department_code: String,
    active: bool,
}

impl Values {
    fn of_form(form: &ProviderForm) -> Self {
        Values {
            name: form.name.clone(),
            kind: form.kind.clone(),
            nit: form.nit.clone(),
            department_code: form.department_code.clone(),
            active: form.active,
        }
    }
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
    fn input(&self) -> ProviderInput {
        ProviderInput {
            name: Some(self.name.clone()),
            kind: Some(self.kind.clone()),
            nit: Some(self.nit.clone()),
            department_code: Some(self.department_code.clone()),
            active: Some(self.active),
        }
    }
}

/// Saved: back to the list with its message; refused: the page again with `form` as typed.
async fn outcome(
    db: &DatabaseConnection,
    page: &Page<'_>,
    sent: Sent,
    form: &ProviderForm,
    result: AppResult<ProviderView>,
    done: &str,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result.map_err(|e| e.0),
        |saved| {
            Flash::success(
                Redirect::to("/admin/oferentes"),
                format!("Oferente «{}» {done}.", saved.name),
            )
        },
        async |errors| {
            let view = providers_view(db, Some((sent, form))).await?;
            let errors = crate::web::form::scoped(&sent.prefix(), errors);
            page.render_refused("admin_providers", "Oferentes", view, &errors)
        },
    )
    .await
}

#[post("/admin/oferentes", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    form: CsrfForm<ProviderForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        let saved = providers::create(txn, admin.id, &input).await?;
        Ok(saved)
    })
    .await
    .map_err(crate::error::WebError::from);
    outcome(db, &page, Sent::New, &form, result, "creado").await
}

#[post("/admin/oferentes/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<ProviderForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        let saved = providers::update(txn, admin.id, id, &input).await?;
        Ok(saved)
    })
    .await
    .map_err(crate::error::WebError::from);
    outcome(db, &page, Sent::Provider(id), &form, result, "guardado").await
}
