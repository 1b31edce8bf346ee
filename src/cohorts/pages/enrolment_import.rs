//! Uploading an enrolment file from the cohort's workspace (the import pipeline:
//! `domain::spreadsheets::pipeline`): the workspace comes back with what the file did or why it
//! did nothing.

use super::{Section, detail_view, render_section};
use crate::accounts::guards::StaffUser;
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::CsrfForm;
use domain::error::{AppError, FieldError};
use domain::habeas::declared::Declared;
use domain::spreadsheets::pipeline::Mode;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::{State, post};
use sea_orm::DatabaseConnection;
use serde::Serialize;

#[derive(FromForm)]
pub(super) struct ImportForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    file: Option<rocket::fs::TempFile<'r>>,
    /// `preview` (dry run) or `import`.
    #[field(default = String::new())]
    mode: String,
    /// The token of the file a preview kept: «Importar» sends it instead of the file.
    #[field(default = String::new())]
    draft: String,
    /// «Declaro que cada persona del archivo autorizó el tratamiento de sus datos» (issue 67):
    /// required to import, not to preview.
    #[field(default = false)]
    declaracion: bool,
    /// Where that authorization comes from.
    #[field(default = String::new())]
    fuente_autorizacion: String,
}

impl crate::web::csrf::CsrfProtected for ImportForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Upload from the cohort page (the import pipeline: `spreadsheets::pipeline`): a preview of
/// what would happen per row, or the real, all-or-nothing import (confirmed with «Importar»
/// under the preview, which sends only the kept file's token, or by uploading a file with
/// «Importar»). Either way the cohort page comes back with the outcome or the
/// problems (row, column, message).
#[post("/coordinacion/cohortes/<id>/importar", data = "<form>")]
pub(super) async fn import_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: crate::web::Page<'_>,
    id: i32,
    form: CsrfForm<ImportForm<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let form = form.0;
    let mode = if form.mode == "import" {
        Mode::Save
    } else {
        Mode::Preview
    };
    // Importing needs the declaration of the people's authorization (issue 67); a preview
    // does not. Refused, nothing is read nor written and a kept draft stays usable.
    let declared = match mode {
        Mode::Save => Some(Declared::from_page(
            form.declaracion,
            &form.fuente_autorizacion,
        )),
        Mode::Preview => None,
    };
    let result = match &declared {
        Some(Err(AppError::Validation(errors))) => Ok(crate::web::import::KeptOutcome {
            status: Status::UnprocessableEntity,
            summary: None,
            errors: errors.clone(),
            draft: None,
        }),
        _ => {
            let declared = declared.as_ref().and_then(|d| d.as_ref().ok());
            crate::web::import::kept(
                db.inner(),
                domain::enrolment::import::EnrolmentImport::open(
                    db.inner(),
                    &staff,
                    &notifier,
                    id,
                    declared,
                ),
                staff.id,
                &format!("enrolment:{id}"),
                form.file.as_ref(),
                &form.draft,
                mode,
            )
            .await
        }
    };
    // A refused declaration keeps the previewed file's token, so «Importar» can be pressed
    // again under the preview once the box is ticked.
    let refused_declaration = matches!(declared, Some(Err(_)));
    let typed = Declaration {
        declared: form.declaracion,
        source: form.fuente_autorizacion.clone(),
    };
    let (status, outcome) = match result {
        Ok(kept) => (
            kept.status,
            ImportOutcome {
                summary: kept.summary,
                errors: kept.errors,
                draft: kept.draft.or_else(|| {
                    (refused_declaration && !form.draft.trim().is_empty())
                        .then(|| form.draft.clone())
                }),
                declaration: typed,
                refused_declaration,
            },
        ),
        Err(error @ (AppError::TooLarge | AppError::Conflict(_))) => (
            crate::error::status_of(&error),
            ImportOutcome {
                summary: None,
                errors: vec![FieldError::new("file", error.to_string())],
                draft: None,
                declaration: typed,
                refused_declaration: false,
            },
        ),
        Err(other) => return Err(other.into()),
    };
    let mut view = detail_view(
        db,
        &staff,
        page.kept_warnings(),
        id,
        Section::Enrolments,
        None,
        &[],
    )
    .await?;
    view.import = Some(outcome);
    Ok((status, render_section(&page, Section::Enrolments, view)?))
}

/// What an enrolment import did (or why it did nothing), shown at the top of the cohort page.
#[derive(Serialize)]
pub(crate) struct ImportOutcome {
    summary: Option<domain::enrolment::import::ImportSummary>,
    errors: Vec<FieldError>,
    /// After a clean preview: the kept file's token, which «Importar» sends alone.
    draft: Option<String>,
    /// The declaration of the people's authorization as typed (kept for «Importar»).
    declaration: Declaration,
    /// Refused for want of the declaration (the file was not read).
    refused_declaration: bool,
}

/// The import form's declaration of the people's authorization, as typed.
#[derive(Serialize)]
pub(crate) struct Declaration {
    declared: bool,
    source: String,
}
