//! Pages for nominations (issue 35): the liaison proposes people from a cohort's page
//! (`POST /cohortes/<id>/postulaciones`), the person confirms at the emailed link
//! (`/postulaciones/<token>`), the coordinator accepts or declines from the cohort's
//! «Inscripciones» (`POST /coordinacion/postulaciones/<id>`).

use crate::accounts::guards::{CurrentUser, StaffUser};
use crate::mail::Mailer;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::nominations::{DecisionInput, LinkStep, NominationInput, NominationView};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        nominate_submit,
        confirm_page,
        confirm_submit,
        decline_confirm,
        decide_submit
    ]
}

#[derive(FromForm)]
struct NominationForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    document_type: String,
    #[field(default = String::new())]
    document_number: String,
    #[field(default = String::new())]
    first_names: String,
    #[field(default = String::new())]
    last_names: String,
    #[field(default = String::new())]
    email: String,
}
csrf_protected!(NominationForm);

/// The liaison proposes a person of their municipality for the cohort.
#[post("/cohortes/<id>/postulaciones", data = "<form>")]
async fn nominate_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<NominationForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = NominationInput {
        participant_id: None,
        document_type: Some(form.document_type.clone()),
        document_number: Some(form.document_number.clone()),
        first_names: Some(form.first_names.clone()),
        last_names: Some(form.last_names.clone()),
        email: Some(form.email.clone()),
    };
    let back = Redirect::to(format!("/cohortes/{id}#postulaciones"));
    let result = domain::db::write(db, async |txn| {
        domain::nominations::nominate(txn, &notifier, &user, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                back,
                format!(
                    "Postulación registrada: le escribimos a {} para que la confirme.",
                    view.full_name
                ),
            )
        },
        async |errors| {
            let typed = crate::cohorts::public::NominationValues {
                document_type: form.document_type,
                document_number: form.document_number,
                first_names: form.first_names,
                last_names: form.last_names,
                email: form.email,
                refused: true,
            };
            crate::cohorts::public::page_again(db, &page, id, Some(typed), &errors).await
        },
    )
    .await
}

#[derive(Serialize)]
struct ConfirmView {
    nomination: NominationView,
    token: String,
    /// What the visitor can do with the link (one of the four is true).
    done: bool,
    can_confirm: bool,
    sign_in: bool,
    other_person: bool,
    /// Confirmed just now, by this visitor.
    just_confirmed: bool,
}

fn confirm_view(nomination: NominationView, step: LinkStep, token: &str) -> ConfirmView {
    ConfirmView {
        nomination,
        token: token.to_string(),
        done: step == LinkStep::Done,
        can_confirm: step == LinkStep::Confirm,
        sign_in: step == LinkStep::SignIn,
        other_person: step == LinkStep::OtherPerson,
        just_confirmed: false,
    }
}

/// The emailed link: the nomination and what the visitor can do with it (issue 46: a nominee
/// without an account confirms only signed in with the nominated document).
#[get("/postulaciones/<token>")]
async fn confirm_page(db: &State<DatabaseConnection>, page: Page<'_>, token: &str) -> PageResult {
    let by = page.user.as_deref();
    let (nomination, step) = domain::nominations::link_state(db.inner(), token, by).await?;
    page.render(
        "nomination_confirm",
        "Confirme su postulación",
        confirm_view(nomination, step, token),
    )
}

#[derive(FromForm)]
struct ConfirmForm {
    #[field(default = String::new())]
    csrf_token: String,
}
csrf_protected!(ConfirmForm);

#[post("/postulaciones/<token>", data = "<_form>")]
async fn confirm_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    token: &str,
    _form: CsrfForm<ConfirmForm>,
) -> PageResult {
    let by = page.user.as_deref();
    let nomination = domain::db::write(db, async |txn| {
        domain::nominations::confirm(txn, &notifier, token, by).await
    })
    .await?;
    let mut view = confirm_view(nomination, LinkStep::Done, token);
    view.just_confirmed = true;
    page.render("nomination_confirm", "Confirme su postulación", view)
}

#[derive(FromForm)]
struct DecisionForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// `aceptar` or `rechazar`.
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    reason: String,
    /// The cohort whose «Inscripciones» the form was sent from.
    cohort_id: Option<i32>,
    /// Sent by the confirmation page: declining acts only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(DecisionForm);

/// What declining the nomination will do, said before (issue 45): who is told, with the
/// reason, and that it is final.
async fn decline_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &StaffUser,
    id: i32,
    typed_reason: &str,
    errors: &[domain::error::FieldError],
) -> PageResult {
    let (nomination, notices) = domain::nominations::declinable(db, user, id).await?;
    let back = format!(
        "/coordinacion/cohortes/{}/inscripciones#postulaciones",
        nomination.cohort_id
    );
    let mut confirmation = Confirmation::new(
        format!(
            "¿Rechazar la postulación de {} a «{}»?",
            nomination.full_name, nomination.cohort_name
        ),
        format!("/coordinacion/postulaciones/{id}"),
        "Sí, rechazar la postulación",
        back,
    )
    .hidden("decision", "rechazar")
    .hidden("cohort_id", nomination.cohort_id.to_string())
    .reason(
        "Motivo del rechazo (lo reciben la persona y el enlace)",
        true,
        typed_reason,
    )
    .fact(format!(
        "La postulación por {} queda rechazada: la persona no se inscribe y la postulación ya \
         no se puede aceptar.",
        nomination.municipality_name
    ))
    .fact(format!(
        "{} recibe un correo en {} con el motivo.",
        nomination.full_name, notices.nominee_email
    ));
    if let Some(liaison) = notices.liaison {
        confirmation = confirmation.fact(format!(
            "{liaison}, el enlace que hizo la postulación, también recibe el motivo."
        ));
    }
    confirmation.render_refused(page, "Rechazar una postulación", errors)
}

#[get("/coordinacion/postulaciones/<id>/rechazar")]
async fn decline_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffUser,
    id: i32,
) -> PageResult {
    decline_confirmation(db, &page, &user, id, "", &[]).await
}

/// The coordinator accepts or declines a nomination from the cohort's «Inscripciones».
#[post("/coordinacion/postulaciones/<id>", data = "<form>")]
async fn decide_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: StaffUser,
    id: i32,
    form: CsrfForm<DecisionForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if form.decision == "rechazar" && !form.confirmed {
        return Ok(Either::Right(
            decline_confirmation(db, &page, &user, id, &form.reason, &[]).await?,
        ));
    }
    let input = DecisionInput {
        accept: match form.decision.as_str() {
            "aceptar" => Some(true),
            "rechazar" => Some(false),
            _ => None,
        },
        reason: Some(form.reason.clone()),
    };
    let back = Redirect::to(match form.cohort_id {
        Some(cohort) => format!("/coordinacion/cohortes/{cohort}/inscripciones#postulaciones"),
        None => "/coordinacion/cohortes".to_string(),
    });
    let result = domain::db::write(db, async |txn| {
        domain::nominations::decide(txn, &notifier, &user, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                back,
                format!(
                    "Postulación de {}: {}.",
                    view.full_name,
                    view.status_label.to_lowercase()
                ),
            )
        },
        async |errors| {
            // Declining is refused on its confirmation, with the reason as typed.
            if form.decision == "rechazar" {
                return decline_confirmation(db, &page, &user, id, &form.reason, &errors).await;
            }
            // The nomination's cohort, whatever the form said it was sent from.
            let cohort = domain::nominations::cohort_of(db.inner(), &user, id).await?;
            let errors = crate::web::form::scoped(&format!("postulacion-{id}"), errors);
            crate::cohorts::pages::section_again(
                db.inner(),
                &page,
                cohort,
                crate::cohorts::pages::Section::Enrolments,
                crate::cohorts::pages::Typed::default(),
                &errors,
            )
            .await
        },
    )
    .await
    .map(Either::Left)
}
