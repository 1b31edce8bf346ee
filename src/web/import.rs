//! The web side of the import pipeline (`spreadsheets::pipeline`), one for every import: the
//! uploaded file, the API's answer (`?dry_run=true` or the real import) and the page flow
//! upload → preview page → confirm.
//!
//! ```text
//! Upload { file }  (the API's multipart body) ; upload_error(errors) -> AppError
//! read_file(&TempFile) -> DomainResult<Source<Row>>
//! answer(db, opening, &TempFile, dry_run) -> AppResult<Json<Summary>>
//! DraftUploadForm { csrf_token, file?, draft } ; kept(db, opening, user, kind, file?, draft, mode)
//!   -> KeptOutcome { status, summary, errors, draft }   (pages that show their own outcome)
//! DraftUploadForm::kept(db, opening, user, kind, (accion, save)) -> the same, for the form
//! trait ImportPage: Import { TEMPLATE, TITLE, CHANGED_MEANWHILE, BACK, SAVED, cohort, confirmation }
//! UploadForm { csrf_token, file } ; preview(&page, db, opening, &TempFile) -> page or (status, page)
//! ConfirmForm { csrf_token, filas } ; confirm(db, opening, ConfirmForm) -> Flash<Redirect>
//! ```
//!
//! `opening` is the import's own `open(…)` future (who may import into what): each flow awaits
//! it at its place, so every import answers in the same order.
//!
//! The preview page shows what saving would change and carries it, as the rows that make the
//! changes (JSON in one hidden field, `filas`), to the confirmation, which checks them again
//! against what is recorded then (people may have changed things meanwhile) and saves them.

use super::csrf::{CsrfProtected, csrf_protected};
use super::{Failure, Page, PageResult};
use crate::error::{AppResult, DomainResult};
use domain::entities::cohort;
use domain::error::{AppError, FieldError};
use domain::spreadsheets::pipeline::{self, Import, Mode, Source};
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// The API's upload: a multipart body with the file in the field «file».
#[derive(FromForm, utoipa::ToSchema)]
#[schema(as = SpreadsheetUpload)]
pub struct Upload<'r> {
    /// The `.xlsx` or `.csv` file, at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: TempFile<'r>,
}

/// A multipart body Rocket could not read: too large (413), or without the file (422).
pub fn upload_error(errors: rocket::form::Errors<'_>) -> AppError {
    if errors.iter().any(|e| e.status() == Status::PayloadTooLarge) {
        AppError::TooLarge
    } else {
        AppError::invalid(
            "file",
            "Adjunte el archivo (.xlsx o .csv) en el campo «file».",
        )
    }
}

/// The uploaded bytes (bounded) and the file's name as the person's computer gave it.
pub async fn read_file<Row>(file: &TempFile<'_>) -> DomainResult<Source<Row>> {
    let (bytes, name) = read_bytes(file).await?;
    Ok(Source::File { bytes, name })
}

/// [`read_file`]'s bytes and name.
async fn read_bytes(file: &TempFile<'_>) -> DomainResult<(Vec<u8>, String)> {
    if file.len() as usize > domain::spreadsheets::MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge);
    }
    Ok((file_bytes(file).await?, file_name(file)))
}

/// An uploaded file's bytes, read whole (the caller bounds its size first).
pub async fn file_bytes(file: &TempFile<'_>) -> DomainResult<Vec<u8>> {
    use rocket::tokio::io::AsyncReadExt;
    let mut bytes = Vec::with_capacity(file.len() as usize);
    let mut reader = file
        .open()
        .await
        .map_err(|e| AppError::Internal(format!("archivo subido: {e}")))?;
    reader
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| AppError::Internal(format!("archivo subido: {e}")))?;
    Ok(bytes)
}

/// An uploaded file's name as the person's computer gave it (empty when it gave none).
pub fn file_name(file: &TempFile<'_>) -> String {
    file.raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
        .unwrap_or_default()
}

/// The API: the file imported (or only previewed, `dry_run`), the summary as JSON. The body
/// is read first, then the import opened, then the file parsed.
pub async fn answer<I: Import>(
    db: &DatabaseConnection,
    opening: impl Future<Output = DomainResult<I>> + Send,
    file: &TempFile<'_>,
    dry_run: bool,
) -> AppResult<Json<I::Summary>> {
    let source = read_file(file).await?;
    let import = opening.await?;
    let summary = pipeline::run(db, &import, source, Mode::dry_run(dry_run)).await?;
    Ok(Json(summary))
}

/// A file sent from an import page that keeps what it previewed (issue 61): the file, or —
/// for «Importar» after «Revisar sin guardar» — only the token of the draft the preview kept
/// (`spreadsheets::drafts`), so the file is chosen once.
#[derive(FromForm)]
pub struct DraftUploadForm<'r> {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub file: Option<TempFile<'r>>,
    #[field(default = String::new())]
    pub draft: String,
}

impl CsrfProtected for DraftUploadForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl DraftUploadForm<'_> {
    /// [`kept`] for this form's file or draft: the action (`accion`) named `save` saves, any
    /// other previews.
    pub async fn kept<I: Import>(
        &self,
        db: &DatabaseConnection,
        opening: impl Future<Output = DomainResult<I>> + Send,
        user_id: i32,
        kind: &str,
        (accion, save): (Option<&str>, &str),
    ) -> DomainResult<KeptOutcome<I::Summary>> {
        let mode = if accion == Some(save) {
            Mode::Save
        } else {
            Mode::Preview
        };
        kept(
            db,
            opening,
            user_id,
            kind,
            self.file.as_ref(),
            &self.draft,
            mode,
        )
        .await
    }
}

/// The file chosen, if one was (a form without a choice may still send an empty part).
pub fn chosen<'a, 'r>(file: Option<&'a TempFile<'r>>) -> Option<&'a TempFile<'r>> {
    file.filter(|f| f.len() > 0)
}

/// What an import page shows after a file (or a draft) was sent: the status, the summary or
/// every problem with its row, and — after a clean preview — the token of the kept draft the
/// page's «Importar» sends.
pub struct KeptOutcome<S> {
    pub status: Status,
    pub summary: Option<S>,
    pub errors: Vec<FieldError>,
    pub draft: Option<String>,
}

/// The import opened, then: «Revisar» previews the chosen file and, when it passes, keeps it
/// as a draft of `user_id` for `kind`; «Importar» saves the chosen file, or else the draft
/// `draft` names (claimed: once; released again when the save refuses it). A 422 carries every
/// problem (a missing file, a draft unknown, another account's, expired or used included);
/// other failures are the error page's.
pub async fn kept<I: Import>(
    db: &DatabaseConnection,
    opening: impl Future<Output = DomainResult<I>> + Send,
    user_id: i32,
    kind: &str,
    file: Option<&TempFile<'_>>,
    draft: &str,
    mode: Mode,
) -> DomainResult<KeptOutcome<I::Summary>> {
    use domain::spreadsheets::drafts;
    let choose = || AppError::invalid("file", "Elija el archivo (.xlsx o .csv) que desea subir.");
    let result = async {
        let import = opening.await?;
        match (mode, chosen(file)) {
            (Mode::Preview, Some(file)) => {
                let (bytes, name) = read_bytes(file).await?;
                let source = Source::File {
                    bytes: bytes.clone(),
                    name: name.clone(),
                };
                let summary = pipeline::run(db, &import, source, Mode::Preview).await?;
                let token = drafts::keep(db, user_id, kind, &name, bytes).await?;
                Ok((summary, Some(token)))
            }
            (Mode::Preview, None) => Err(choose()),
            (Mode::Save, Some(file)) => {
                let source = read_file(file).await?;
                Ok((pipeline::run(db, &import, source, Mode::Save).await?, None))
            }
            (Mode::Save, None) if draft.trim().is_empty() => Err(choose()),
            (Mode::Save, None) => {
                let source = drafts::take(db, user_id, kind, draft).await?;
                match pipeline::run(db, &import, source, Mode::Save).await {
                    Ok(summary) => Ok((summary, None)),
                    Err(error) => {
                        drafts::release(db, draft).await?;
                        Err(error)
                    }
                }
            }
        }
    }
    .await;
    match result {
        Ok((summary, draft)) => Ok(KeptOutcome {
            status: Status::Ok,
            summary: Some(summary),
            errors: Vec::new(),
            draft,
        }),
        Err(AppError::Validation(errors)) => Ok(KeptOutcome {
            status: Status::UnprocessableEntity,
            summary: None,
            errors,
            draft: None,
        }),
        Err(other) => Err(other),
    }
}

/// An import into a cohort with a preview page and a confirmation (the offline sheets). Its
/// summary lists the changes, which the confirmation sends back as the rows that make them.
pub trait ImportPage: Import<Row: Serialize + DeserializeOwned> {
    /// The preview page: its template (given `cohort`, `changes`, `unchanged`, `has_changes`,
    /// `errors` and the `confirmation` for the form) and its title.
    const TEMPLATE: &'static str;
    const TITLE: &'static str;
    /// Said before the problems when the confirmed rows no longer pass the checks.
    const CHANGED_MEANWHILE: &'static str;
    /// The page the confirmation comes back to, from the cohort's id.
    const BACK: fn(i32) -> String;
    /// What the person reads after saving: «{what}: {n} {one or many}.», with the number of
    /// changes saved, as (what, one, many).
    const SAVED: (&'static str, &'static str, &'static str);

    /// The cohort the rows go into.
    fn cohort(&self) -> &cohort::Model;

    /// The rows that make the summary's changes.
    fn confirmation(summary: &Self::Summary) -> Vec<Self::Row>;
}

/// A file sent from a page, with the form's CSRF token.
#[derive(FromForm)]
pub struct UploadForm<'r> {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub file: TempFile<'r>,
}

impl CsrfProtected for UploadForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Upload → the preview page of what saving the file would change, with the confirmation; or
/// the same page with every problem found (row, column, message) and 422. Other failures get
/// the error page.
pub async fn preview<I: ImportPage>(
    page: &Page<'_>,
    db: &DatabaseConnection,
    opening: impl Future<Output = DomainResult<I>> + Send,
    file: &TempFile<'_>,
) -> PageResult {
    let import = opening.await?;
    let outcome = async {
        let source = read_file(file).await?;
        pipeline::run(db, &import, source, Mode::Preview).await
    }
    .await;
    let (status, summary, errors) = match outcome {
        Ok(summary) => (Status::Ok, Some(summary), Vec::new()),
        Err(AppError::Validation(errors)) => (Status::UnprocessableEntity, None, errors),
        Err(error) => return Err(Failure::from(error)),
    };
    let rows = summary.as_ref().map(I::confirmation).unwrap_or_default();
    let confirmation = serde_json::to_string(&rows)
        .map_err(|e| AppError::Internal(format!("confirmación: {e}")))?;
    let cohort = import.cohort();
    let view = PreviewView {
        cohort: CohortHeading {
            id: cohort.id,
            name: &cohort.name,
        },
        summary: summary.as_ref(),
        has_changes: !rows.is_empty(),
        confirmation,
        errors: &errors,
    };
    Failure::unless_ok(status, page.render(I::TEMPLATE, I::TITLE, view)?)
}

/// What a preview page shows: the cohort, what saving would change (`changes`, `unchanged`;
/// nothing when the file was refused), the rows its confirmation sends back, the problems.
#[derive(Serialize)]
struct PreviewView<'a, S> {
    cohort: CohortHeading<'a>,
    #[serde(flatten)]
    summary: Option<&'a S>,
    has_changes: bool,
    /// JSON of the rows that make the changes, for the form's hidden field `filas`.
    confirmation: String,
    errors: &'a [FieldError],
}

#[derive(Serialize)]
struct CohortHeading<'a> {
    id: i32,
    name: &'a str,
}

/// A preview's confirmation: the rows it showed, as JSON.
#[derive(FromForm)]
pub struct ConfirmForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    filas: String,
}

csrf_protected!(ConfirmForm);

/// Preview → confirm: the rows checked again and saved, all or nothing, and back to the
/// import's page with what changed; when they no longer pass the checks (or the cohort no
/// longer takes them, or the form came garbled), the preview page again with the reason, 422,
/// and nothing saved (issue 45: one way to answer a form).
pub async fn confirm<I: ImportPage>(
    page: &Page<'_>,
    db: &DatabaseConnection,
    opening: impl Future<Output = DomainResult<I>> + Send,
    form: ConfirmForm,
) -> PageResult<Flash<Redirect>> {
    let import = opening.await?;
    let back = Redirect::to(I::BACK(import.cohort().id));
    // Read strictly (a repeated key is a garbled form), and no more rows than an import takes:
    // the form comes from the browser and may have been changed.
    let rows: Result<Vec<I::Row>, AppError> = if form.filas.trim().is_empty() {
        Ok(Vec::new())
    } else {
        domain::strict_json::parse(&form.filas)
            .ok()
            .and_then(|value| serde_json::from_value(value).ok())
            .ok_or_else(|| {
                AppError::invalid(
                    "filas",
                    "La confirmación llegó incompleta: suba la planilla de nuevo.",
                )
            })
    };
    let result = match rows {
        Ok(rows) if rows.len() > domain::spreadsheets::MAX_IMPORT_ROWS => Err(AppError::invalid(
            "filas",
            format!(
                "La confirmación tiene {} filas y una importación admite máximo {}: divida la \
                 planilla y súbala por partes.",
                domain::format::thousands(rows.len() as i64),
                domain::format::thousands(domain::spreadsheets::MAX_IMPORT_ROWS as i64)
            ),
        )),
        Ok(rows) => pipeline::run(db, &import, Source::Rows(rows), Mode::Save)
            .await
            .map_err(|error| match error {
                // Say why rows that passed the preview no longer pass.
                AppError::Validation(mut errors) => {
                    let why = I::CHANGED_MEANWHILE.trim();
                    if !why.is_empty() {
                        errors.insert(0, FieldError::new("", why));
                    }
                    AppError::Validation(errors)
                }
                other => other,
            }),
        Err(error) => Err(error),
    };
    super::form::saved_or_again(
        result,
        |summary| {
            let (what, one, many) = I::SAVED;
            let n = I::confirmation(&summary).len() as i64;
            Flash::success(
                back,
                format!("{what}: {}.", domain::format::plural(n, one, many)),
            )
        },
        async |errors| {
            let cohort = import.cohort();
            let view = PreviewView::<I::Summary> {
                cohort: CohortHeading {
                    id: cohort.id,
                    name: &cohort.name,
                },
                summary: None,
                has_changes: false,
                confirmation: String::new(),
                errors: &errors,
            };
            page.render_refused(I::TEMPLATE, I::TITLE, view, &errors)
        },
    )
    .await
}
