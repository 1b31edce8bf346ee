//! Uploading an enrolment file from the cohort's workspace (the import pipeline:
//! `domain::spreadsheets::pipeline`): the workspace comes back with what the file did or why it
//! did nothing.

use super::{Section, detail_view, render_section};
use crate::accounts::guards::StaffUser;
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::CsrfForm;
use domain::error::{AppError, FieldError};
use domain::spreadsheets::pipeline::{self, Mode};
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
}

impl crate::web::csrf::CsrfProtected for ImportForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Upload from the cohort page (the import pipeline: `spreadsheets::pipeline`): a preview of
/// what would happen per row, or the real, all-or-nothing import (confirmed by uploading the
/// same file with «Importar»). Either way the cohort page comes back with the outcome or the
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
    let dry_run = form.mode != "import";
    let result = async {
        let file = form.file.as_ref().ok_or_else(|| {
            AppError::invalid("file", "Elija el archivo (.xlsx o .csv) que desea subir.")
        })?;
        let source = crate::web::import::read_file(file).await?;
        let import =
            domain::enrolment::import::EnrolmentImport::open(db.inner(), &staff, &notifier, id)
                .await?;
        pipeline::run(db, &import, source, Mode::dry_run(dry_run)).await
    }
    .await;
    let (status, outcome) = match result {
        Ok(summary) => (
            Status::Ok,
            ImportOutcome {
                summary: Some(summary),
                errors: Vec::new(),
            },
        ),
        Err(error @ (AppError::Validation(_) | AppError::TooLarge | AppError::Conflict(_))) => {
            let errors = match &error {
                AppError::Validation(errors) => errors.clone(),
                other => vec![FieldError::new("file", other.to_string())],
            };
            (
                crate::error::status_of(&error),
                ImportOutcome {
                    summary: None,
                    errors,
                },
            )
        }
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
}
