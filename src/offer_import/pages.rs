//! «Importar cohortes» and «Importar asistencias»: a provider's coordinator sends the
//! spreadsheet it keeps, reviews what it would do («Revisar sin guardar»), then imports it (the file previewed is kept:
//! «Importar» sends only its draft's token); the
//! page shows what changed or every problem with its row (422, nothing saved). Like the other
//! import pages, through `web::import::kept`. And the assistances' monthly follow-up
//! workbook the assistances page links to.

use crate::accounts::guards::StaffUser;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::spreadsheets::download::Download;
use crate::web::csrf::CsrfForm;
use crate::web::import::{DraftUploadForm, KeptOutcome};
use crate::web::{Failure, Page, PageResult};
use domain::error::FieldError;
use domain::offer_import::RecordImportSummary;
use domain::offer_import::assistances::AssistanceImport;
use domain::offer_import::cohorts::CohortImport;
use domain::spreadsheets::pipeline::Import;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::future::Future;

pub fn routes() -> Vec<Route> {
    routes![
        cohorts_page,
        cohorts_submit,
        cohorts_template,
        assistances_page,
        assistances_submit,
        assistances_template,
        follow_up_download
    ]
}

const TEMPLATE: &str = "record_import";
const COHORTS_TITLE: &str = "Importar cohortes";
const ASSISTANCES_TITLE: &str = "Importar asistencias";

/// Which import a page is.
#[derive(Serialize)]
struct Kind {
    /// The page's path (the form posts to it, the template is below it).
    path: &'static str,
    title: &'static str,
    /// `true`: cohorts (sessions); `false`: assistances (milestones and visits).
    cohorts: bool,
    /// The import its drafts are kept for (`spreadsheets::drafts`).
    #[serde(skip)]
    draft_kind: &'static str,
}

const COHORTS: Kind = Kind {
    path: "/coordinacion/cohortes/importar",
    title: COHORTS_TITLE,
    cohorts: true,
    draft_kind: "cohorts",
};
const ASSISTANCES: Kind = Kind {
    path: "/asistencias/importar",
    title: ASSISTANCES_TITLE,
    cohorts: false,
    draft_kind: "assistances",
};

/// The import page: the form, the template, and what a file did (or would do) or its problems.
#[derive(Serialize)]
struct ImportView {
    kind: Kind,
    summary: Option<RecordImportSummary>,
    errors: Vec<FieldError>,
    /// After a clean preview: the kept file's token, which «Importar» sends alone.
    draft: Option<String>,
}

fn empty(page: &Page<'_>, kind: Kind) -> PageResult {
    page.render(
        TEMPLATE,
        kind.title,
        ImportView {
            kind,
            summary: None,
            errors: Vec::new(),
            draft: None,
        },
    )
}

/// A file of `kind` from its page: «Revisar» previews, «Importar» saves; the page shows what
/// changed (or would change), or every problem found with its row (422), nothing saved.
async fn submitted<I: Import<Summary = RecordImportSummary>>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    (staff, kind): (&StaffUser, Kind),
    accion: Option<&str>,
    form: &DraftUploadForm<'_>,
    opening: impl Future<Output = domain::error::AppResult<I>> + Send,
) -> PageResult {
    let KeptOutcome {
        status,
        summary,
        errors,
        draft,
    } = form
        .kept(db, opening, staff.id, kind.draft_kind, (accion, "importar"))
        .await?;
    let title = kind.title;
    let rendered = page.render(
        TEMPLATE,
        title,
        ImportView {
            kind,
            summary,
            errors,
            draft,
        },
    );
    Failure::unless_ok(status, rendered?)
}

/// Cohorts from a spreadsheet: the template, the upload, and the outcome.
#[get("/coordinacion/cohortes/importar")]
async fn cohorts_page(page: Page<'_>, _staff: StaffUser) -> PageResult {
    empty(&page, COHORTS)
}

/// A file of cohorts from the page ([`submitted`]).
#[post("/coordinacion/cohortes/importar?<accion>", data = "<form>")]
async fn cohorts_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    notifier: Mailer<'_>,
    accion: Option<&str>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let opening = CohortImport::open(&staff, &notifier);
    submitted(db, &page, (&staff, COHORTS), accion, &form.0, opening).await
}

#[get("/coordinacion/cohortes/importar/plantilla.xlsx")]
async fn cohorts_template(_staff: StaffUser) -> AppResult<Download> {
    super::api::cohorts_template_download().await
}

/// Assistances from a spreadsheet: the template, the upload, and the outcome.
#[get("/asistencias/importar")]
async fn assistances_page(page: Page<'_>, _staff: StaffUser) -> PageResult {
    empty(&page, ASSISTANCES)
}

/// A file of assistances from the page, as for cohorts.
#[post("/asistencias/importar?<accion>", data = "<form>")]
async fn assistances_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    notifier: Mailer<'_>,
    accion: Option<&str>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let opening = AssistanceImport::open(&staff, &notifier);
    submitted(db, &page, (&staff, ASSISTANCES), accion, &form.0, opening).await
}

#[get("/asistencias/importar/plantilla.xlsx")]
async fn assistances_template(_staff: StaffUser) -> AppResult<Download> {
    super::api::assistances_template_download().await
}

/// The monthly follow-up by milestone (`mes` as `AAAA-MM`; this month when empty).
#[get("/asistencias/seguimiento.xlsx?<mes>")]
async fn follow_up_download(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    mes: Option<&str>,
) -> AppResult<Download> {
    super::api::follow_up_download(db.inner(), &staff, mes, None).await
}
