//! Pages: the public verification page (linked from the certificate's QR code), the search
//! box's target, the PDF for its holder, coordinators' issue/revoke/re-issue buttons and the
//! cohort's ZIP of certificates.

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::cohorts::pages::Section;
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::Page;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Failure, PageResult};
use domain::certificates::issue::{self, Verification};
use domain::config::AppConfig;
use domain::entities::certificate;
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::http::{ContentType, Header, Status};
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect, Responder};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::io::Write;

pub fn routes() -> Vec<Route> {
    routes![
        mine,
        verify_page,
        search,
        pdf_page,
        issue_submit,
        revoke_confirm,
        revoke_submit,
        reissue_confirm,
        reissue_submit,
        zip_download
    ]
}

/// The verification page: the certificate found for the code typed, or why there is none.
#[derive(Serialize)]
struct VerifyView<'a> {
    found: bool,
    /// A course's certificate, or a programme's (with its modules).
    certificate: Option<super::api::Record>,
    typed: &'a str,
    /// The search box was sent empty.
    missing: bool,
    /// The credential form's text box (empty here; see `credentials::pages`).
    pasted: &'static str,
    /// The credential form's problem (none here).
    problem: Option<String>,
}

#[get("/verificar/<code>")]
async fn verify_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    code: &str,
    address: crate::web::ClientAddress,
) -> PageResult {
    match super::api::verify_code(db, code, address.0).await {
        Ok(view) => page.render(
            "certificate_verify",
            "Verificación de certificado",
            VerifyView {
                found: true,
                certificate: Some(view),
                typed: code,
                missing: false,
                pasted: "",
                problem: None,
            },
        ),
        Err(AppError::NotFound) => {
            let html = page.render(
                "certificate_verify",
                "Verificación de certificado",
                VerifyView {
                    found: false,
                    certificate: None,
                    typed: code,
                    missing: false,
                    pasted: "",
                    problem: None,
                },
            )?;
            Err(Failure::from((Status::NotFound, html)))
        }
        Err(other) => Err(Failure::from(other)),
    }
}

/// What the search box answers: the code's page, or the form again.
#[derive(rocket::Responder)]
enum Search {
    Found(Box<Redirect>),
    Form(PageResult),
}

/// The home page's search box. Without a code (or an empty box) it shows the form with a
/// message: redirecting to `/verificar/` would land here again, in a loop.
#[get("/verificar?<codigo>")]
fn search(page: Page<'_>, codigo: Option<&str>) -> Search {
    let typed = codigo.unwrap_or("").trim();
    if typed.is_empty() {
        return Search::Form(page.render(
            "certificate_verify",
            "Verificación de certificado",
            VerifyView {
                found: false,
                certificate: None,
                typed: "",
                missing: true,
                pasted: "",
                problem: None,
            },
        ));
    }
    let code = domain::certificates::code::normalize(typed).unwrap_or_else(|| typed.to_string());
    Search::Found(Box::new(Redirect::to(format!(
        "/verificar/{}",
        domain::text::urlencode(&code)
    ))))
}

/// A PDF download named after its code.
pub struct PdfFile(pub String, pub Vec<u8>);

impl<'r> Responder<'r, 'static> for PdfFile {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build_from((ContentType::PDF, self.1).respond_to(request)?)
            .header(Header::new(
                "Content-Disposition",
                format!("inline; filename=\"{}\"", self.0),
            ))
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

/// «Mis certificados»: the participant's certificates, each with its PDF, its verifiable
/// credential and its public page.
#[derive(Serialize)]
struct MineView {
    certificates: Vec<Verification>,
}

#[get("/mis-certificados")]
async fn mine(
    db: &State<DatabaseConnection>,
    user: crate::accounts::guards::ParticipantUser,
    page: Page<'_>,
) -> PageResult {
    let certificates =
        match domain::people::profile::participant_of_user(db.inner(), user.id).await? {
            Some(person) => issue::of_participant(db.inner(), person.id).await?,
            None => Vec::new(),
        };
    page.render(
        "my_certificates",
        "Mis certificados",
        MineView { certificates },
    )
}

/// `/certificados/{code}.pdf`, the link the verification page and the home page show.
#[get("/certificados/<file>")]
async fn pdf_page(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    user: CurrentUser,
    file: &str,
) -> AppResult<PdfFile> {
    let code = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    let (_, bytes) = super::api::pdf_for(db, config, &user, code).await?;
    Ok(PdfFile(format!("certificado-{code}.pdf"), bytes))
}

#[post("/coordinacion/cohortes/<id>/certificados", data = "<_form>")]
async fn issue_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: crate::web::Page<'_>,
    staff: StaffUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let back = Redirect::to(Section::Certificates.path(id));
    crate::web::form::saved_or_again(
        issue::issue_for_cohort(db, &notifier, &staff, id).await,
        |outcome| {
            Flash::success(
                back,
                format!(
                    "Certificados expedidos: {}. Sin certificado: {}.",
                    outcome.issued.len(),
                    outcome.skipped.len()
                ),
            )
        },
        async |errors| {
            crate::cohorts::pages::section_again(
                db.inner(),
                &page,
                id,
                Section::Certificates,
                crate::cohorts::pages::Typed::default(),
                &errors,
            )
            .await
        },
    )
    .await
}

#[derive(FromForm)]
struct RevokeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
    /// Sent by the confirmation page: revoking and re-issuing act only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(RevokeForm);

/// Whose certificate, of which course, under which code: what both confirmations name.
fn certificate_line(cert: &certificate::Model) -> String {
    format!(
        "{} · {} · código {}",
        cert.full_name, cert.course_name, cert.code
    )
}

/// What revoking will do, said before (issue 45): the reason becomes public on the
/// verification page, the credential is revoked, the person is told.
async fn revoke_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    code: &str,
    typed_reason: &str,
    errors: &[FieldError],
) -> PageResult {
    let found = issue::revocable(db, staff, code).await?;
    let cert = &found.certificate;
    let mut confirmation = Confirmation::new(
        format!("¿Revocar el certificado de {}?", cert.full_name),
        format!("/coordinacion/certificados/{}/revocar", cert.code),
        "Sí, revocar el certificado",
        Section::Certificates.path(cert.cohort_id),
    )
    .reason(
        "Motivo de la revocación (se publica en la página de verificación)",
        true,
        typed_reason,
    )
    .fact(certificate_line(cert))
    .fact(format!(
        "El motivo queda público: cualquiera que verifique el código {} en /verificar/{} lee \
         que fue revocado y por qué. Escríbalo sin datos personales.",
        cert.code, cert.code
    ))
    .fact("Su credencial verificable pasa a revocada en la lista de estado publicada.");
    confirmation = match &found.email {
        Some(email) => confirmation.fact(format!(
            "{} recibe un correo en {email} con el motivo.",
            cert.full_name
        )),
        None => confirmation.fact("La persona no tiene correo registrado: nadie recibe aviso."),
    };
    confirmation
        .fact("No se puede deshacer: para volver a certificarla hay que expedir otro.")
        .render_refused(page, "Revocar un certificado", errors)
}

#[get("/coordinacion/certificados/<code>/revocar")]
async fn revoke_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    code: &str,
) -> PageResult {
    revoke_confirmation(db, &page, &staff, code, "", &[]).await
}

/// What re-issuing will do, said before (issue 45).
async fn reissue_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    code: &str,
    errors: &[FieldError],
) -> PageResult {
    let found = issue::reissuable(db, staff, code).await?;
    let cert = &found.certificate;
    let mut confirmation = Confirmation::new(
        format!("¿Reexpedir el certificado de {}?", cert.full_name),
        format!("/coordinacion/certificados/{}/reexpedir", cert.code),
        "Sí, reexpedir el certificado",
        Section::Certificates.path(cert.cohort_id),
    )
    .fact(certificate_line(cert))
    .fact(
        "Se expide un certificado nuevo, con un código nuevo y los datos actuales de la \
         persona y del curso.",
    )
    .fact(format!(
        "El certificado {} queda como «Reemplazado»: su página de verificación remite al \
         nuevo, y el PDF que la persona tenga deja de ser el vigente.",
        cert.code
    ));
    confirmation = match &found.email {
        Some(email) => confirmation.fact(format!(
            "{} recibe el certificado nuevo por correo en {email}.",
            cert.full_name
        )),
        None => confirmation.fact("La persona no tiene correo registrado: nadie recibe aviso."),
    };
    confirmation.render_refused(page, "Reexpedir un certificado", errors)
}

#[get("/coordinacion/certificados/<code>/reexpedir")]
async fn reissue_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    code: &str,
) -> PageResult {
    reissue_confirmation(db, &page, &staff, code, &[]).await
}

async fn cohort_of(db: &DatabaseConnection, code: &str) -> AppResult<i32> {
    Ok(issue::find_by_code(db, code).await?.cohort_id)
}

#[post("/coordinacion/certificados/<code>/revocar", data = "<form>")]
async fn revoke_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    code: &str,
    form: CsrfForm<RevokeForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.confirmed {
        return Ok(Either::Right(
            revoke_confirmation(db, &page, &staff, code, &form.reason, &[]).await?,
        ));
    }
    let cohort = cohort_of(db, code).await?;
    let result = domain::db::write(db, async |txn| {
        issue::revoke(txn, &notifier, &staff, code, &form.reason).await?;
        Ok(())
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |()| {
            Flash::success(
                Redirect::to(Section::Certificates.path(cohort)),
                format!("Certificado {code} revocado."),
            )
        },
        async |errors| {
            let what = Confirmed::Revoke(&form.reason);
            refused_again(db, &page, &staff, (code, cohort), what, errors).await
        },
    )
    .await
    .map(Either::Left)
}

/// What was confirmed on a certificate.
enum Confirmed<'a> {
    /// A revocation, with the reason as typed.
    Revoke(&'a str),
    Reissue,
}

/// A refused revocation or re-issue: its confirmation again with the problems (and the reason
/// as typed), or, when the certificate no longer allows it, the cohort's certificates with them.
async fn refused_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    (code, cohort): (&str, i32),
    what: Confirmed<'_>,
    errors: Vec<FieldError>,
) -> PageResult {
    let confirmation = match what {
        Confirmed::Revoke(reason) => {
            revoke_confirmation(db, page, staff, code, reason, &errors).await
        }
        Confirmed::Reissue => reissue_confirmation(db, page, staff, code, &errors).await,
    };
    match confirmation {
        Err(crate::web::Failure::Error(_)) => {
            crate::cohorts::pages::section_again(
                db,
                page,
                cohort,
                Section::Certificates,
                crate::cohorts::pages::Typed::default(),
                &errors,
            )
            .await
        }
        other => other,
    }
}

#[post("/coordinacion/certificados/<code>/reexpedir", data = "<form>")]
async fn reissue_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    page: Page<'_>,
    code: &str,
    form: CsrfForm<RevokeForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        return Ok(Either::Right(
            reissue_confirmation(db, &page, &staff, code, &[]).await?,
        ));
    }
    let cohort = cohort_of(db, code).await?;
    crate::web::form::saved_or_again(
        issue::reissue(db, &notifier, &staff, code).await,
        |new| {
            Flash::success(
                Redirect::to(Section::Certificates.path(cohort)),
                format!(
                    "Certificado reexpedido con el código {}; el anterior queda como reemplazado.",
                    new.code
                ),
            )
        },
        async |errors| {
            refused_again(
                db,
                &page,
                &staff,
                (code, cohort),
                Confirmed::Reissue,
                errors,
            )
            .await
        },
    )
    .await
    .map(Either::Left)
}

/// Every valid certificate of a cohort as PDFs in one ZIP.
pub struct ZipFile(String, Vec<u8>);

impl<'r> Responder<'r, 'static> for ZipFile {
    fn respond_to(self, request: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build_from((ContentType::ZIP, self.1).respond_to(request)?)
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.0),
            ))
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

#[get("/coordinacion/cohortes/<id>/certificados.zip")]
async fn zip_download(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    staff: StaffUser,
    id: i32,
) -> AppResult<ZipFile> {
    domain::cohorts::find_managed(db.inner(), &staff, id).await?;
    let certificates = issue::valid_of_cohort(db.inner(), id).await?;
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for cert in &certificates {
        let pdf = issue::render_pdf(cert, config).await?;
        let name = format!(
            "{}-{}.pdf",
            domain::text::fold(&cert.full_name).replace(' ', "-"),
            cert.code
        );
        archive
            .start_file(name, options)
            .map_err(|e| AppError::Internal(format!("zip: {e}")))?;
        archive
            .write_all(&pdf)
            .map_err(|e| AppError::Internal(format!("zip: {e}")))?;
    }
    let bytes = archive
        .finish()
        .map_err(|e| AppError::Internal(format!("zip: {e}")))?
        .into_inner();
    Ok(ZipFile(format!("certificados-cohorte-{id}.zip"), bytes))
}
