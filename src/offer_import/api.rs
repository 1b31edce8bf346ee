//! `/api/v1/imports/cohorts`, `/api/v1/imports/assistances` (and their templates) and
//! `/api/v1/assistances/follow-up.xlsx`: a provider's coordinator brings in the cohorts and
//! assistances it already keeps in spreadsheets, for its own provider only, through the one
//! import pipeline (`web::import::answer`).

use crate::accounts::guards::StaffUser;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Forbidden, NotFound, PayloadTooLarge, ValidationFailed};
use crate::parse::QueryFlag;
use crate::spreadsheets::download::Download;
use crate::web::import::{Upload, upload_error};
use domain::offer_import::RecordImportSummary;
use domain::offer_import::assistances::AssistanceImport;
use domain::offer_import::cohorts::CohortImport;
use rocket::form::{Errors, Form};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        import_cohorts,
        cohorts_template,
        import_assistances,
        assistances_template,
        follow_up_xlsx
    ]
}

/// Import cohorts with their sessions
///
/// Roles: staff; a coordinator imports its own provider's cohorts (courses of another provider
/// do not exist for it; a territorial direction's, in its departments). Multipart `file`
/// (`.xlsx` or `.csv`), one row per session with the cohort's `referencia` repeated (the
/// cohort's columns on its first row): `referencia`, `curso` (the course's code), `nombre`,
/// `modalidad`, `inicio`, `fin`, `inscripciones_desde`, `inscripciones_hasta`, `cupos`,
/// `lugar`, `enlace`, `municipios`, `departamentos`, `sesion_fecha`, `sesion_hora_inicio`,
/// `sesion_hora_fin`, `sesion_tema`, `sesion_lugar`. Each cohort and session is checked by the
/// rules of one created by hand. **All or nothing**: any bad row → 422 with every problem
/// (`errors: [{row, field, message}]`, in Spanish). `dry_run=true` previews. Counted by cohort:
/// the same file again changes nothing (`unchanged`); a corrected row updates its cohort (a
/// session is matched by its start). New cohorts are drafts. Audited.
#[utoipa::path(
    tag = "imports",
    operation_id = "importCohorts",
    params(
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = RecordImportSummary),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/imports/cohorts?<dry_run>", data = "<upload>")]
pub async fn import_cohorts(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    notifier: Mailer<'_>,
    dry_run: QueryFlag,
    upload: Result<Form<Upload<'_>>, Errors<'_>>,
) -> AppResult<Json<RecordImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = CohortImport::open(&staff, &notifier);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// The template of the import of cohorts
///
/// Roles: staff. One sheet with the columns, an example row (a cohort with its first session)
/// and a drop-down list for `modalidad`; every column in Text format
/// (`plantilla-cohortes.xlsx`).
#[utoipa::path(
    tag = "imports",
    operation_id = "downloadCohortImportTemplate",
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/imports/cohorts/template.xlsx")]
pub async fn cohorts_template(_staff: StaffUser) -> AppResult<Download> {
    cohorts_template_download().await
}

/// The cohorts' template (the API's and the import page's link).
pub async fn cohorts_template_download() -> AppResult<Download> {
    Ok(Download::xlsx(
        "plantilla-cohortes.xlsx",
        domain::offer_import::cohorts::template().await?,
    ))
}

/// Import assistances with their milestones and visits
///
/// Roles: staff; a coordinator imports its own provider's assistances (a territorial
/// direction's, in its departments; an admin's are ESAP's, as by hand). Multipart `file`
/// (`.xlsx` or `.csv`), one row per milestone or visit with the assistance's `referencia`
/// repeated (its columns on its first row): `referencia`, `municipio` (DANE code), `entidad`,
/// `capacidades` (codes separated by `;`), `objetivo`, `inicio`, `fin`, `modalidad`,
/// `correo_contacto`, `hito`, `hito_fecha`, `hito_cumplido`, `visita_fecha`, `visita_horas`,
/// `visita_modalidad`, `visita_temas`. Each part is checked by the rules of the one recorded by
/// hand. **All or nothing**, 422 with every problem; `dry_run=true` previews. Counted by
/// assistance: the same file again changes nothing; a milestone is matched by its title (its
/// done date may change), a visit by its date. Audited.
#[utoipa::path(
    tag = "imports",
    operation_id = "importAssistances",
    params(
        ("dry_run" = Option<domain::parse::QueryBool>, Query, description = "`true`: validate and preview without writing (default `false`)."),
    ),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "What was (or, in a dry run, would be) done.", body = RecordImportSummary),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/imports/assistances?<dry_run>", data = "<upload>")]
pub async fn import_assistances(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    notifier: Mailer<'_>,
    dry_run: QueryFlag,
    upload: Result<Form<Upload<'_>>, Errors<'_>>,
) -> AppResult<Json<RecordImportSummary>> {
    let dry_run = dry_run.or("dry_run", false)?;
    let upload = upload.map_err(upload_error)?;
    let opening = AssistanceImport::open(&staff, &notifier);
    crate::web::import::answer(db, opening, &upload.file, dry_run).await
}

/// The template of the import of assistances
///
/// Roles: staff. One sheet with the columns, an example row and drop-down lists for `entidad`,
/// `modalidad` and `visita_modalidad`; every column in Text format
/// (`plantilla-asistencias.xlsx`).
#[utoipa::path(
    tag = "imports",
    operation_id = "downloadAssistanceImportTemplate",
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/imports/assistances/template.xlsx")]
pub async fn assistances_template(_staff: StaffUser) -> AppResult<Download> {
    assistances_template_download().await
}

/// The assistances' template (the API's and the import page's link).
pub async fn assistances_template_download() -> AppResult<Download> {
    Ok(Download::xlsx(
        "plantilla-asistencias.xlsx",
        domain::offer_import::assistances::template().await?,
    ))
}

/// The monthly follow-up of assistances by milestone
///
/// **Extension** (issue 49). Roles: staff; a coordinator's is its own provider's assistances
/// (within its direction's departments), an admin's any provider's or `provider`'s. One row
/// per assistance running in `month` × milestone (sheet «Seguimiento»): reference, assistance,
/// provider, municipality, entity, capacities, state, visits in the month, milestone, planned
/// and actual dates, and the milestone's state at the end of the month («Cumplido en el mes»,
/// «Cumplido antes», «Vence en el mes», «Vencido», «Pendiente»). `month` as `YYYY-MM` (the
/// current month when absent; anything else → 422); an admin's unknown `provider` → 404.
#[utoipa::path(
    tag = "assistance",
    operation_id = "assistanceFollowUpXlsx",
    params(
        ("month" = Option<String>, Query, description = "`YYYY-MM`.", example = "2026-06"),
        ("provider" = Option<i32>, Query, description = "Provider id (admins)."),
    ),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/assistances/follow-up.xlsx?<month>&<provider>")]
pub async fn follow_up_xlsx(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    month: Option<&str>,
    provider: Option<i32>,
) -> AppResult<Download> {
    follow_up_download(db.inner(), &staff, month, provider).await
}

/// The follow-up workbook (the API's and the assistances page's link).
pub async fn follow_up_download(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    month: Option<&str>,
    provider: Option<i32>,
) -> AppResult<Download> {
    use domain::assistance::follow_up;
    let month = follow_up::month_of(month)?;
    let bytes = follow_up::workbook(db, user, provider, month).await?;
    Ok(Download::xlsx(&follow_up::file_name(month), bytes))
}
