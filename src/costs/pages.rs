//! The «Costos» of a cohort (a section of the coordinator's cohort workspace) and of an
//! assistance (a section of its page): the items as cards on a phone, the totals by stage in
//! pesos, a form to add one, a stage to change and a delete through its confirmation; and the
//! page that imports executed costs from a spreadsheet. Rules in `domain::costs`. The panel
//! imports no screen: its forms that come back to a screen are answered in `super::screens`.

use crate::accounts::guards::StaffUser;
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::import::DraftUploadForm;
use crate::web::sections::Section;
use crate::web::{Failure, Page, PageResult};
use domain::costs::import::{CostImport, CostImportSummary};
use domain::costs::items::{self, CostInput, CostView, LineChoice, StageTotals, Target};
use domain::entities::values::{CostBasis, CostKind, CostStage};
use domain::error::{AppError, FieldError};
use domain::plans::Whole;
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        delete_confirm,
        delete_submit,
        import_page,
        import_submit,
        import_template
    ]
}

/// A value and its Spanish name, for a form's options.
#[derive(Serialize)]
pub struct Named {
    value: &'static str,
    label: &'static str,
}

/// An item as its card shows it: the line it answers named.
#[derive(Serialize)]
pub struct CostRow {
    #[serde(flatten)]
    item: CostView,
    /// Counted once: no «valor × unidades».
    fixed: bool,
    line_label: Option<String>,
}

/// The «Costos» section of a cohort or an assistance.
#[derive(Serialize)]
pub struct CostsPanel {
    items: Vec<CostRow>,
    count: usize,
    totals: StageTotals,
    /// Whether the reader adds, changes and deletes them.
    manages: bool,
    /// Where the form to add one posts.
    action: String,
    kinds: Vec<Named>,
    bases: Vec<Named>,
    stages: Vec<Named>,
    lines: Vec<LineChoice>,
    /// «sesión» (a cohort) or «visita» (an assistance): what `por_sesion` counts.
    per_session: &'static str,
}

/// The «Costos» section of `target` for a reader who manages it or only reads it.
pub async fn panel(
    db: &DatabaseConnection,
    target: &Target,
    manages: bool,
) -> AppResult<CostsPanel> {
    let views = items::list(db, target).await?;
    let lines = items::answerable_lines(db, target).await?;
    let totals = StageTotals::of(&views);
    let items: Vec<CostRow> = views
        .into_iter()
        .map(|item| CostRow {
            fixed: item.basis == CostBasis::Fijo,
            line_label: item.plan_line_id.map(|id| {
                lines
                    .iter()
                    .find(|l| l.id == id)
                    .map_or_else(|| format!("Línea {id}"), |l| l.label.clone())
            }),
            item,
        })
        .collect();
    let (action, per_session) = match target {
        Target::Cohort(c) => (format!("/coordinacion/cohortes/{}/costos", c.id), "sesión"),
        Target::Assistance(a) => (format!("/asistencias/{}/costos", a.id), "visita"),
    };
    Ok(CostsPanel {
        count: items.len(),
        items,
        totals,
        manages,
        action,
        kinds: CostKind::ALL
            .iter()
            .map(|k| Named {
                value: k.as_str(),
                label: k.label(),
            })
            .collect(),
        bases: CostBasis::ALL
            .iter()
            .map(|b| Named {
                value: b.as_str(),
                label: match (b, per_session) {
                    (CostBasis::PorSesion, "visita") => "Por visita",
                    (CostBasis::PorSesion, _) => "Por sesión",
                    _ => b.label(),
                },
            })
            .collect(),
        stages: CostStage::ALL
            .iter()
            .map(|s| Named {
                value: s.as_str(),
                label: s.label(),
            })
            .collect(),
        lines,
        per_session,
    })
}

/// The «Costos» of assistance `id` if `user` reads them (none otherwise: a liaison's page has
/// no costs).
pub async fn assistance_panel(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    id: i32,
    manages: bool,
) -> AppResult<Option<CostsPanel>> {
    match items::assistance_read(db, user, id).await {
        Ok(target) => Ok(Some(panel(db, &target, manages).await?)),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The form to add a cost item, as typed.
#[derive(FromForm, Serialize)]
pub struct CostForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    basis: String,
    #[field(default = String::new())]
    amount: String,
    #[field(default = String::new())]
    stage: String,
    #[field(default = String::new())]
    plan_line_id: String,
    #[field(default = String::new())]
    incurred_on: String,
    #[field(default = String::new())]
    description: String,
}
csrf_protected!(CostForm);

impl CostForm {
    pub(super) fn input(&self) -> CostInput {
        let line = match self.plan_line_id.trim() {
            "" => None,
            // A choice of the list; anything else names no line (0), which the rules refuse.
            text => Some(Some(text.parse::<i32>().unwrap_or(0))),
        };
        CostInput {
            kind: Some(self.kind.clone()),
            basis: Some(self.basis.clone()),
            amount: Whole::typed(&self.amount),
            stage: Some(self.stage.clone()),
            plan_line_id: line,
            incurred_on: Some(self.incurred_on.clone()),
            description: Some(self.description.clone()),
        }
    }
}

pub(super) fn added(view: &CostView) -> String {
    format!(
        "Costo de {} agregado: {}.",
        view.kind_label.to_lowercase(),
        domain::format::pesos(view.value)
    )
}

/// A cost's stage as chosen on its card.
#[derive(FromForm, Serialize)]
pub struct StageForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    pub(super) stage: String,
}
csrf_protected!(StageForm);

/// The page a cost item's changes come back to.
fn back_to(target: &Target) -> String {
    match target {
        Target::Cohort(c) => Section::Costs.path(c.id),
        Target::Assistance(a) => format!("/asistencias/{}#costos", a.id),
    }
}

/// Deleting a cost item: what it is and what it takes out of the plan's execution.
#[get("/costos/<id>/eliminar")]
async fn delete_confirm(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let (item, target) = items::find_managed(db.inner(), &staff, id).await?;
    let view = items::views(db.inner(), vec![item])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    let mut confirmation = Confirmation::new(
        format!(
            "¿Eliminar el costo de {} por {}?",
            view.kind_label.to_lowercase(),
            domain::format::pesos(view.value)
        ),
        format!("/costos/{id}/eliminar"),
        "Sí, eliminar el costo",
        back_to(&target),
    )
    .fact(format!(
        "Etapa: {}; fecha: {}.",
        view.stage_label.to_lowercase(),
        domain::format::date(view.incurred_on)
    ));
    if view.plan_line_id.is_some() {
        confirmation = confirmation.fact(format!(
            "Sale de la ejecución del plan: el {} de la línea baja en {}.",
            view.stage_label.to_lowercase(),
            domain::format::pesos(view.value)
        ));
    }
    confirmation
        .fact("Queda constancia en el registro de auditoría, pero el costo no se puede recuperar.")
        .render(&page, "Eliminar el costo")
}

#[post("/costos/<id>/eliminar", data = "<_form>")]
async fn delete_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let (item, target) = items::find_managed(db.inner(), &staff, id).await?;
    domain::db::write(db, async |txn| items::remove(txn, staff.id, item).await).await?;
    Ok(Flash::success(
        Redirect::to(back_to(&target)),
        "Costo eliminado.",
    ))
}

/// The import page: the form, the template, and what a file did (or would do) or its problems.
#[derive(Default, Serialize)]
struct ImportView {
    summary: Option<CostImportSummary>,
    errors: Vec<FieldError>,
    /// After a clean preview: the kept file's token, which «Importar» sends alone.
    draft: Option<String>,
}

/// Executed costs from a spreadsheet: the template, the upload, and the outcome.
#[get("/costos/importar")]
async fn import_page(page: Page<'_>, _staff: StaffUser) -> PageResult {
    page.render(
        "costs_import",
        "Importar costos ejecutados",
        ImportView::default(),
    )
}

/// A file of executed costs from the page: «Revisar» previews, «Importar» saves; the page
/// shows what changed (or would change), or every problem found with its row (422), nothing
/// saved.
#[post("/costos/importar?<accion>", data = "<form>")]
async fn import_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    accion: Option<String>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let outcome = form
        .0
        .kept(
            db.inner(),
            CostImport::open(&staff),
            staff.id,
            "costs",
            (accion.as_deref(), "importar"),
        )
        .await?;
    let view = ImportView {
        summary: outcome.summary,
        errors: outcome.errors,
        draft: outcome.draft,
    };
    let rendered = page.render("costs_import", "Importar costos ejecutados", view)?;
    Failure::unless_ok(outcome.status, rendered)
}

/// The import's template.
#[get("/costos/importar/plantilla.xlsx")]
async fn import_template(_staff: StaffUser) -> AppResult<crate::spreadsheets::download::Download> {
    crate::costs::api::template_download().await
}
