//! Pages: a participant enrols from the cohort's public page and cancels from home; a
//! coordinator enrols by document (with an audited exception), cancels with a reason and
//! admits from the waiting list.

use crate::accounts::guards::{CurrentUser, ParticipantUser, StaffUser};
use crate::cohorts::pages::{EnrolValues, Section, Typed, section_again};
use crate::mail::Mailer;
use crate::web::Page;
use crate::web::PageResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, CohortRef};
use domain::enrolment::invitations::{self, Named, StaffEnrolment};
use domain::entities::values::EnrolmentStatus;
use domain::error::AppError;
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        import_template_page,
        enrol_self,
        cancel_confirm,
        cancel_submit,
        staff_enrol,
        roster_page,
        admit_submit,
        invitation_page,
        invitation_accept,
        invitation_decline_confirm,
        invitation_decline
    ]
}

/// Where a refused enrolment form is shown again (issue 45).
enum From {
    /// The cohort's public page (a participant's «Inscribirme»).
    CohortPage(i32),
    /// The coordinator's «Inscripciones» of the cohort, with «Inscribir a una persona» as typed.
    Enrolments(i32, Option<EnrolValues>),
    /// The participant's home.
    Home,
}

/// Saved: to `to` with `success`'s message; refused: the page the form was sent from again.
async fn outcome<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    to: String,
    from: From,
    result: Result<T, AppError>,
    success: impl FnOnce(T) -> String,
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |value| Flash::success(Redirect::to(to), success(value)),
        async |errors| match from {
            From::CohortPage(id) => {
                crate::cohorts::public::page_again(db, page, id, None, &errors).await
            }
            From::Enrolments(id, enrol) => {
                let typed = Typed {
                    enrol,
                    ..Typed::default()
                };
                section_again(db, page, id, Section::Enrolments, typed, &errors).await
            }
            From::Home => crate::home::pages::home_again(db, page, &errors).await,
        },
    )
    .await
}

fn enrolled_message(view: domain::enrolment::EnrolmentView) -> String {
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
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    // Decided at the cohort's desk, together with whoever enrols at the same moment.
    let result = domain::enrolment::desk::enrol_self(db, &notifier, id, &me)
        .await
        .map_err(|error| match error {
            // An account without its person: the page does not exist for it.
            AppError::Forbidden => AppError::NotFound,
            other => other,
        });
    outcome(
        db,
        &page,
        format!("/cohortes/{id}"),
        From::CohortPage(id),
        result,
        enrolled_message,
    )
    .await
}

#[derive(FromForm)]
struct CancelForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = String::new())]
    back: String,
    /// Sent by the confirmation page: the enrolment is cancelled only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(CancelForm);

/// What cancelling the enrolment will do, said before (issue 45): whose place in which cohort,
/// the seat going to the first person waiting, the email, and that coming back means enrolling
/// again. A coordinator gives the reason here.
async fn cancel_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    id: i32,
    typed_reason: &str,
) -> PageResult {
    let facts = domain::enrolment::cancellation_facts(db, user, id).await?;
    let back = if facts.own {
        "/".to_string()
    } else {
        Section::Enrolments.path(facts.cohort_id)
    };
    let question = if facts.own {
        format!("¿Cancelar su inscripción en «{}»?", facts.cohort_name)
    } else {
        format!(
            "¿Cancelar la inscripción de {} en «{}»?",
            facts.full_name, facts.cohort_name
        )
    };
    let mut confirmation = Confirmation::new(
        question,
        format!("/inscripciones/{id}/cancelar"),
        "Sí, cancelar la inscripción",
        back.clone(),
    )
    .hidden("back", back);
    confirmation = confirmation.fact(match (facts.status, facts.waiting) {
        (EnrolmentStatus::Waitlisted, _) => "Sale de la lista de espera.".to_string(),
        (_, 0) => "Libera un cupo de la cohorte.".to_string(),
        (_, 1) => "Libera un cupo, que pasa a la persona que está en la lista de espera (se le \
                   avisa por correo)."
            .to_string(),
        (_, n) => format!(
            "Libera un cupo, que pasa a la primera de las {n} personas de la lista de espera \
             (se le avisa por correo)."
        ),
    });
    if facts.attended > 0 {
        confirmation = confirmation.fact(match facts.attended {
            1 => "La asistencia registrada (1 sesión) queda en el historial, pero ya no cuenta \
                  para aprobar."
                .to_string(),
            n => format!(
                "La asistencia registrada ({n} sesiones) queda en el historial, pero ya no \
                 cuenta para aprobar."
            ),
        });
    }
    confirmation = if facts.own {
        confirmation.fact("Le enviamos un correo de confirmación.")
    } else {
        confirmation
            .fact(format!(
                "{} recibe un correo con el motivo.",
                facts.full_name
            ))
            .reason(
                "Motivo (lo recibe la persona por correo; opcional)",
                false,
                typed_reason,
            )
    };
    confirmation
        .fact("Para volver a la cohorte hay que inscribirse de nuevo, si quedan cupos.")
        .render(page, "Cancelar la inscripción")
}

#[get("/inscripciones/<id>/cancelar")]
async fn cancel_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
) -> PageResult {
    cancel_confirmation(db, &page, &user, id, "").await
}

#[post("/inscripciones/<id>/cancelar", data = "<form>")]
async fn cancel_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<CancelForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.confirmed {
        return Ok(Either::Right(
            cancel_confirmation(db, &page, &user, id, &form.reason).await?,
        ));
    }
    let result = domain::db::write(db, async |txn| {
        let view = domain::enrolment::cancel(txn, &notifier, &user, id, Some(&form.reason)).await?;
        Ok(view)
    })
    .await;
    // The coordinator's «Inscripciones» of a cohort, or the participant's home.
    let roster_of = form
        .back
        .strip_prefix("/coordinacion/cohortes/")
        .filter(|_| domain::accounts::is_local_path(&form.back))
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse::<i32>().ok());
    let (back, from) = match roster_of {
        Some(cohort) => (form.back.clone(), From::Enrolments(cohort, None)),
        None => ("/".to_string(), From::Home),
    };
    outcome(db, &page, back, from, result, |_| {
        "La inscripción quedó cancelada.".to_string()
    })
    .await
    .map(Either::Left)
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
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<StaffEnrolForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let named = Named::parse(None, Some(&form.document_type), Some(&form.document_number))?;
        let override_reason = form
            .override_eligibility
            .then(|| form.override_reason.clone());
        domain::db::write(db, async |txn| {
            let outcome =
                invitations::enrol_named(txn, &notifier, &staff, id, &named, override_reason)
                    .await?;
            Ok(outcome)
        })
        .await
    }
    .await;
    let typed = EnrolValues {
        document_type: form.document_type,
        document_number: form.document_number,
        override_eligibility: form.override_eligibility,
        override_reason: form.override_reason,
    };
    outcome(
        db,
        &page,
        Section::Enrolments.path(id),
        From::Enrolments(id, Some(typed)),
        result,
        |outcome| match outcome {
            StaffEnrolment::Enrolled { view, full_name } => match view.waitlist_position {
                Some(position) => {
                    format!("{full_name} quedó en lista de espera (puesto {position}).")
                }
                None => format!("Inscripción confirmada: {full_name}."),
            },
            StaffEnrolment::Invited => INVITED.to_string(),
        },
    )
    .await
}

/// What a coordinator is told after naming a person it does not reach (issue 46): the same
/// words whoever it named, registered or not.
pub const INVITED: &str = "Esta persona no está entre las que usted ya atiende, así que no quedó \
     inscrita: si tiene una cuenta en Aula Territorial, recibió por correo una invitación a la \
     cohorte y quedará inscrita cuando la acepte. Vea las invitaciones más abajo.";

#[post("/coordinacion/inscripciones/<id>/admitir", data = "<_form>")]
async fn admit_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let (row, _) = domain::enrolment::find_for(db.inner(), &staff, id).await?;
    let result = domain::db::write(db, async |txn| {
        let view = domain::enrolment::admit_from_waitlist(txn, &notifier, &staff, id).await?;
        Ok(view)
    })
    .await;
    outcome(
        db,
        &page,
        Section::Enrolments.path(row.cohort_id),
        From::Enrolments(row.cohort_id, None),
        result,
        |_| "Admitido con un cupo adicional.".to_string(),
    )
    .await
}

/// The cohort page's link to the import template: the same workbook as the API's, for a
/// coordinator signed in with the browser (the API answers bearer tokens only).
#[get("/coordinacion/cohortes/<id>/plantilla-inscripciones.xlsx")]
async fn import_template_page(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
) -> crate::error::AppResult<crate::spreadsheets::download::Download> {
    super::api::template_download(db, &staff, id).await
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
) -> PageResult {
    if user.role == domain::entities::values::Role::Participant {
        return Err(AppError::Forbidden.into());
    }
    let cohort = domain::cohorts::find_in_scope(
        db.inner(),
        &domain::cohorts::scope::CohortScope::of(Some(&user)),
        id,
    )
    .await?;
    let wanted = estado.and_then(domain::entities::values::EnrolmentStatus::parse);
    let text = q.map(domain::text::fold).filter(|t| !t.is_empty());
    let people = domain::people::scope::PersonScope::of(&user);
    let hidden = domain::people::scope::hidden_in_cohort(db.inner(), &people, id).await?;
    let rows: Vec<domain::enrolment::RosterRow> =
        domain::enrolment::roster(db.inner(), id, &people)
            .await?
            .into_iter()
            .filter(|r| wanted.is_none_or(|s| r.status == s))
            .filter(|r| {
                text.as_ref().is_none_or(|t| {
                    domain::text::fold(&r.full_name).contains(t.as_str())
                        || r.document_number.contains(t.as_str())
                        || domain::text::fold(&r.municipality_name).contains(t.as_str())
                })
            })
            .collect();
    let statuses: Vec<Choice<'static>> = [
        domain::entities::values::EnrolmentStatus::Enrolled,
        domain::entities::values::EnrolmentStatus::Waitlisted,
        domain::entities::values::EnrolmentStatus::Completed,
        domain::entities::values::EnrolmentStatus::NotCompleted,
        domain::entities::values::EnrolmentStatus::Cancelled,
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

#[derive(Serialize)]
struct RosterView<'a> {
    cohort: CohortRef<'a>,
    rows: Vec<domain::enrolment::RosterRow>,
    total: usize,
    statuses: Vec<Choice<'static>>,
    q: &'a str,
    hidden_note: Option<String>,
}

#[derive(Serialize)]
struct InvitationPage<'a> {
    invitation: invitations::InvitationView,
    token: &'a str,
    pending: bool,
}

/// The invitation behind an emailed link, for the person it names (anyone else, a visitor
/// after signing in included: 404): who asks, the cohort, and the buttons to accept or decline.
async fn invitation_view(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    token: &str,
    errors: &[domain::error::FieldError],
) -> PageResult {
    let invitation = invitations::by_link(db, user, token).await?;
    let view = InvitationPage {
        pending: invitation.status == domain::entities::values::InvitationStatus::Pending,
        invitation,
        token,
    };
    if errors.is_empty() {
        page.render("invitation", "Invitación a inscribirse", view)
    } else {
        page.render_refused("invitation", "Invitación a inscribirse", view, errors)
    }
}

#[get("/invitaciones/<token>")]
async fn invitation_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    token: &str,
) -> PageResult {
    invitation_view(db, &page, &user, token, &[]).await
}

/// She accepts: enrolled (or on the waiting list) as if she had enrolled herself; refused (not
/// eligible, no longer open) on the invitation's page.
#[post("/invitaciones/<token>/aceptar", data = "<_form>")]
async fn invitation_accept(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    token: &str,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let result = domain::db::write(db, async |txn| {
        let view = invitations::accept(txn, &notifier, &user, token).await?;
        Ok(view)
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| Flash::success(Redirect::to("/"), enrolled_message(view)),
        async |errors| invitation_view(db, &page, &user, token, &errors).await,
    )
    .await
}

#[derive(FromForm)]
struct DeclineForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// Sent by the confirmation page: the invitation is declined only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(DeclineForm);

/// What declining does, said before: she is not enrolled, and only a new invitation (or
/// enrolling herself, where she may) brings her back.
async fn decline_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    token: &str,
) -> PageResult {
    let invitation = invitations::by_link(db, user, token).await?;
    let refused =
        (invitation.status != domain::entities::values::InvitationStatus::Pending).then(|| {
            format!(
                "Esta invitación ya está {}.",
                invitation.status_label.to_lowercase()
            )
        });
    Confirmation::new(
        format!("¿Rechazar la invitación a «{}»?", invitation.facts.cohort),
        format!("/invitaciones/{token}/rechazar"),
        "Sí, rechazar la invitación",
        format!("/invitaciones/{token}"),
    )
    .refused(refused)
    .fact(format!(
        "No se inscribe en «{}»: {} ({}) verá la invitación como rechazada, sin más datos.",
        invitation.facts.cohort, invitation.invited_by, invitation.organisation
    ))
    .fact(
        "Para participar después, la coordinación tendría que invitarle de nuevo, o usted \
         inscribirse por su cuenta si la cohorte se ofrece a su municipio.",
    )
    .render(page, "Rechazar la invitación")
}

#[get("/invitaciones/<token>/rechazar")]
async fn invitation_decline_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    token: &str,
) -> PageResult {
    decline_confirmation(db, &page, &user, token).await
}

#[post("/invitaciones/<token>/rechazar", data = "<form>")]
async fn invitation_decline(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    token: &str,
    form: CsrfForm<DeclineForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    if !form.0.confirmed {
        return Ok(Either::Right(
            decline_confirmation(db, &page, &user, token).await?,
        ));
    }
    let result = domain::db::write(db, async |txn| {
        let view = invitations::decline(txn, &user, token).await?;
        Ok(view)
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to("/"),
                format!("Rechazó la invitación a «{}».", view.facts.cohort),
            )
        },
        async |errors| invitation_view(db, &page, &user, token, &errors).await,
    )
    .await
    .map(Either::Left)
}
