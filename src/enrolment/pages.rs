//! Pages: a participant enrols from the cohort's public page and cancels from home; a
//! coordinator enrols by document (with an audited exception), cancels with a reason and
//! admits from the waiting list.

use super::Requester;
use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::cohorts::pages::{Section, detail_view, render_section};
use crate::error::{AppError, FieldError, WebError};
use crate::mail::Mailer;
use crate::spreadsheets::pipeline::{self, Mode};
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, CohortRef};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        import_template_page,
        enrol_self,
        cancel_submit,
        staff_enrol,
        roster_page,
        admit_submit,
        import_submit
    ]
}

/// The outcome of an action as a one-time message on the page it came from.
fn outcome<T>(
    to: String,
    result: Result<T, AppError>,
    success: impl FnOnce(T) -> String,
) -> Result<Flash<Redirect>, WebError> {
    match result {
        Ok(value) => Ok(Flash::success(Redirect::to(to), success(value))),
        Err(AppError::Validation(errors)) => Ok(Flash::error(
            Redirect::to(to),
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(error @ (AppError::Conflict(_) | AppError::NotFound)) => {
            Ok(Flash::error(Redirect::to(to), error.to_string()))
        }
        Err(other) => Err(other.into()),
    }
}

fn enrolled_message(view: super::EnrolmentView) -> String {
    match view.waitlist_position {
        Some(position) => format!(
            "Los cupos están completos: quedó en la lista de espera, en el puesto {position}. Le avisaremos por correo."
        ),
        None => "¡Listo! Su inscripción quedó confirmada; le enviamos los detalles por correo."
            .to_string(),
    }
}

#[post("/cohortes/<id>/inscribirme", data = "<_form>")]
async fn enrol_self(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    me: ParticipantUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> Result<Flash<Redirect>, WebError> {
    let result = async {
        let txn = crate::db::begin(db).await?;
        let person = crate::people::profile::participant_of_user(&txn, me.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let view =
            super::enrol(&txn, &notifier, id, person.id, &Requester::Participant(&me)).await?;
        crate::db::commit(txn).await?;
        Ok(view)
    }
    .await;
    outcome(format!("/cohortes/{id}"), result, enrolled_message)
}

#[derive(FromForm)]
struct CancelForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = String::new())]
    back: String,
}
csrf_protected!(CancelForm);

#[post("/inscripciones/<id>/cancelar", data = "<form>")]
async fn cancel_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<CancelForm>,
) -> Result<Flash<Redirect>, WebError> {
    let form = form.0;
    let result = async {
        let txn = crate::db::begin(db).await?;
        let view = super::cancel(&txn, &notifier, &user, id, Some(&form.reason)).await?;
        crate::db::commit(txn).await?;
        Ok(view)
    }
    .await;
    let back = match form.back.as_str() {
        path if path.starts_with("/coordinacion/cohortes/")
            && crate::accounts::is_local_path(path) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    };
    outcome(back, result, |_| {
        "La inscripción quedó cancelada.".to_string()
    })
}

#[derive(FromForm)]
struct StaffEnrolForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    document_type: String,
    #[field(default = String::new())]
    document_number: String,
    #[field(default = false)]
    override_eligibility: bool,
    #[field(default = String::new())]
    override_reason: String,
}
csrf_protected!(StaffEnrolForm);

#[post("/coordinacion/cohortes/<id>/inscripciones", data = "<form>")]
async fn staff_enrol(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<StaffEnrolForm>,
) -> Result<Flash<Redirect>, WebError> {
    let form = form.0;
    let result = async {
        let txn = crate::db::begin(db).await?;
        let person = crate::people::named(
            &txn,
            None,
            Some(&form.document_type),
            Some(&form.document_number),
        )
        .await?;
        let override_reason = form
            .override_eligibility
            .then(|| form.override_reason.clone());
        let view = super::enrol(
            &txn,
            &notifier,
            id,
            person.id,
            &Requester::Staff {
                user: &staff,
                override_reason,
            },
        )
        .await?;
        crate::db::commit(txn).await?;
        Ok((view, person.full_name()))
    }
    .await;
    outcome(
        Section::Enrolments.path(id),
        result,
        |(view, name)| match view.waitlist_position {
            Some(position) => format!("{name} quedó en lista de espera (puesto {position})."),
            None => format!("Inscripción confirmada: {name}."),
        },
    )
}

#[post("/coordinacion/inscripciones/<id>/admitir", data = "<_form>")]
async fn admit_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> Result<Flash<Redirect>, WebError> {
    let (row, _) = super::find_for(db.inner(), &staff, id).await?;
    let result = async {
        let txn = crate::db::begin(db).await?;
        let view = super::admit_from_waitlist(&txn, &notifier, &staff, id).await?;
        crate::db::commit(txn).await?;
        Ok(view)
    }
    .await;
    outcome(Section::Enrolments.path(row.cohort_id), result, |_| {
        "Admitido con un cupo adicional.".to_string()
    })
}

/// The cohort page's link to the import template: the same workbook as the API's, for a
/// coordinator signed in with the browser (the API answers bearer tokens only).
#[get("/coordinacion/cohortes/<id>/plantilla-inscripciones.xlsx")]
async fn import_template_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> crate::error::AppResult<crate::spreadsheets::Download> {
    super::api::template_download(db, &staff, id).await
}

#[derive(FromForm)]
struct ImportForm<'r> {
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
async fn import_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: crate::web::Page<'_>,
    id: i32,
    form: CsrfForm<ImportForm<'_>>,
) -> Result<(Status, RawHtml<String>), WebError> {
    let form = form.0;
    let dry_run = form.mode != "import";
    let result = async {
        let file = form.file.as_ref().ok_or_else(|| {
            AppError::invalid("file", "Elija el archivo (.xlsx o .csv) que desea subir.")
        })?;
        let source = crate::web::import::read_file(file).await?;
        let import =
            super::import::EnrolmentImport::open(db.inner(), &staff, &notifier, id).await?;
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
    let mut view = detail_view(db, &staff, id, Section::Enrolments, None, &[]).await?;
    view.import = Some(outcome);
    Ok((status, render_section(&page, Section::Enrolments, view)?))
}

/// The cohort's roster for coordinators, its instructors and reviewers of its department:
/// status, municipality, entity, position and contact, filterable by status and text.
#[get("/cohortes/<id>/inscritos?<estado>&<q>")]
async fn roster_page(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    page: crate::web::Page<'_>,
    id: i32,
    estado: Option<&str>,
    q: Option<&str>,
) -> Result<RawHtml<String>, WebError> {
    if user.role == crate::entities::values::Role::Participant {
        return Err(AppError::Forbidden.into());
    }
    let cohort = crate::cohorts::find_in_scope(
        db.inner(),
        &crate::cohorts::scope::CohortScope::of(Some(&user)),
        id,
    )
    .await?;
    let wanted = estado.and_then(crate::entities::values::EnrolmentStatus::parse);
    let text = q.map(crate::text::fold).filter(|t| !t.is_empty());
    let people = crate::people::scope::PersonScope::of(&user);
    let hidden = crate::people::scope::hidden_in_cohort(db.inner(), &people, id).await?;
    let rows: Vec<super::RosterRow> = super::roster(db.inner(), id, &people)
        .await?
        .into_iter()
        .filter(|r| wanted.is_none_or(|s| r.status == s))
        .filter(|r| {
            text.as_ref().is_none_or(|t| {
                crate::text::fold(&r.full_name).contains(t.as_str())
                    || r.document_number.contains(t.as_str())
                    || crate::text::fold(&r.municipality_name).contains(t.as_str())
            })
        })
        .collect();
    let statuses: Vec<Choice<'static>> = [
        crate::entities::values::EnrolmentStatus::Enrolled,
        crate::entities::values::EnrolmentStatus::Waitlisted,
        crate::entities::values::EnrolmentStatus::Completed,
        crate::entities::values::EnrolmentStatus::NotCompleted,
        crate::entities::values::EnrolmentStatus::Cancelled,
    ]
    .into_iter()
    .map(|s| Choice {
        value: s.as_str(),
        label: s.label(),
        selected: Some(s) == wanted,
    })
    .collect();
    page.render(
        "roster",
        &format!("Personas inscritas · {}", cohort.name),
        RosterView {
            cohort: CohortRef::of(&cohort),
            total: rows.len(),
            rows,
            statuses,
            q: q.unwrap_or(""),
            hidden_note: people.hidden_note(hidden),
        },
    )
}

/// What an enrolment import did (or why it did nothing), shown at the top of the cohort page.
#[derive(Serialize)]
pub struct ImportOutcome {
    summary: Option<super::import::ImportSummary>,
    errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct RosterView<'a> {
    cohort: CohortRef<'a>,
    rows: Vec<super::RosterRow>,
    total: usize,
    statuses: Vec<Choice<'static>>,
    q: &'a str,
    hidden_note: Option<String>,
}
