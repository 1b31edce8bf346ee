//! «Cambios de nombre»: the changes of name people of the coordinator's cohorts asked for on
//! «Mi perfil», and its decision on each (issue 46; the rules are in
//! `domain::people::name_change`). Approving re-issues certificates and rejecting emails the
//! reason, so each opens a confirmation first (`docs/INTERFACE.md`).

use crate::accounts::guards::StaffUser;
use crate::mail::Mailer;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::error::FieldError;
use domain::people::name_change::{self, DecisionInput, NameChangeView};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![list_page, approve_confirm, reject_confirm, decide_submit]
}

const LIST: &str = "/coordinacion/cambios-de-nombre";

#[derive(Serialize)]
struct ListView {
    changes: Vec<NameChangeView>,
}

/// The pending changes the caller reviews, oldest first.
#[get("/coordinacion/cambios-de-nombre")]
async fn list_page(db: &State<DatabaseConnection>, page: Page<'_>, user: StaffUser) -> PageResult {
    let changes = name_change::reviewable(db.inner(), &user).await?;
    page.render("name_changes", "Cambios de nombre", ListView { changes })
}

/// What approving will do, said before: her name everywhere, her certificates re-issued, the
/// email.
async fn approve_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &StaffUser,
    id: i32,
    errors: &[FieldError],
) -> PageResult {
    let (view, _, person) = name_change::find_reviewable(db, user, id).await?;
    let mut confirmation = Confirmation::new(
        format!(
            "¿Aprobar el cambio de nombre de {} a {}?",
            view.current_name(),
            view.requested_name()
        ),
        format!("{LIST}/{id}"),
        "Sí, aprobar el cambio de nombre",
        LIST,
    )
    .hidden("decision", "aprobar")
    .restoring()
    .fact(format!(
        "Compárelo antes con su documento de identidad: {} {}.",
        view.document_type, view.document_number
    ))
    .fact(format!(
        "Su nombre pasa a ser «{}» en su registro, su cuenta y las listas de todas sus cohortes.",
        view.requested_name()
    ));
    confirmation = if view.certificates.is_empty() {
        confirmation.fact("No tiene certificados vigentes: ninguno se reexpide.")
    } else {
        confirmation.list(
            "Sus certificados vigentes, de todos los oferentes, se reexpiden con el nombre nuevo \
             (los actuales quedan como reemplazados y siguen verificables):",
            view.certificates.clone(),
        )
    };
    confirmation = match &person.email {
        Some(email) => confirmation.fact(format!("Le enviamos un correo a {email}.")),
        None => confirmation.fact("No tiene correo registrado: avísele por otro medio."),
    };
    confirmation.render_refused(page, "Aprobar un cambio de nombre", errors)
}

/// What rejecting will do, with the reason asked for.
async fn reject_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &StaffUser,
    id: i32,
    typed_reason: &str,
    errors: &[FieldError],
) -> PageResult {
    let (view, _, person) = name_change::find_reviewable(db, user, id).await?;
    let mut confirmation = Confirmation::new(
        format!(
            "¿Rechazar el cambio de nombre de {} a {}?",
            view.current_name(),
            view.requested_name()
        ),
        format!("{LIST}/{id}"),
        "Sí, rechazar el cambio",
        LIST,
    )
    .hidden("decision", "rechazar")
    .reason(
        "Motivo del rechazo (lo recibe la persona; por ejemplo, «no coincide con su cédula»)",
        true,
        typed_reason,
    )
    .fact(format!(
        "Su nombre sigue siendo «{}», también en sus certificados.",
        view.current_name()
    ));
    confirmation = match &person.email {
        Some(email) => confirmation.fact(format!(
            "Le enviamos el motivo a {email}; puede pedir el cambio de nuevo desde «Mi perfil»."
        )),
        None => confirmation.fact("No tiene correo registrado: avísele por otro medio."),
    };
    confirmation.render_refused(page, "Rechazar un cambio de nombre", errors)
}

#[get("/coordinacion/cambios-de-nombre/<id>")]
async fn approve_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffUser,
    id: i32,
) -> PageResult {
    approve_confirmation(db, &page, &user, id, &[]).await
}

#[get("/coordinacion/cambios-de-nombre/<id>/rechazar")]
async fn reject_confirm(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: StaffUser,
    id: i32,
) -> PageResult {
    reject_confirmation(db, &page, &user, id, "", &[]).await
}

#[derive(FromForm)]
struct DecisionForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// `aprobar` or `rechazar`.
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    reason: String,
    /// Sent by the confirmation page: the decision acts only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(DecisionForm);

/// The decision, from its confirmation.
#[post("/coordinacion/cambios-de-nombre/<id>", data = "<form>")]
async fn decide_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: StaffUser,
    id: i32,
    form: CsrfForm<DecisionForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    let reject = form.decision == "rechazar";
    if !form.confirmed {
        let again = if reject {
            reject_confirmation(db, &page, &user, id, &form.reason, &[]).await?
        } else {
            approve_confirmation(db, &page, &user, id, &[]).await?
        };
        return Ok(Either::Right(again));
    }
    let input = DecisionInput {
        accept: Some(!reject),
        reason: Some(form.reason.clone()),
    };
    let result = name_change::decide(db, &notifier, &user, id, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            let message = if reject {
                format!(
                    "Cambio de nombre rechazado: {} conserva su nombre y le enviamos el motivo.",
                    view.current_name()
                )
            } else {
                format!(
                    "Cambio de nombre aprobado: ahora es {}{}.",
                    view.current_name(),
                    if view.certificates.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; certificados reexpedidos: {}",
                            view.certificates.join(", ")
                        )
                    }
                )
            };
            Flash::success(Redirect::to(LIST), message)
        },
        async |errors| {
            if reject {
                reject_confirmation(db, &page, &user, id, &form.reason, &errors).await
            } else {
                approve_confirmation(db, &page, &user, id, &errors).await
            }
        },
    )
    .await
    .map(Either::Left)
}
