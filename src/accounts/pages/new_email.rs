//! Confirming a new email address and undoing a change (`/correo/…`).

use super::*;

/// The confirmation of a new email (`new_email`, masked: the link still works).
#[derive(Serialize)]
pub(super) struct EmailConfirmView<'a> {
    token: &'a str,
    new_email: Option<String>,
}

/// The page of the link sent to a corrected email: a button, so that a mail scanner opening
/// the link changes nothing.
#[get("/correo/confirmar/<token>")]
pub(super) async fn email_confirm_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let new_email = domain::accounts::email_change::pending_for_link(db, token).await?;
    page.render(
        "email_confirm",
        "Confirmar correo",
        EmailConfirmView { token, new_email },
    )
}

#[post("/correo/confirmar/<token>", data = "<_form>")]
pub(super) async fn email_confirm_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    cookies: &CookieJar<'_>,
    token: &str,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    match domain::accounts::email_change::confirm(db, &notifier, token).await {
        Ok(_) => {
            // Every session of the person ended, this browser's too.
            guards::end_session(db.inner(), cookies).await?;
            Ok(Flash::success(
                Redirect::to("/ingresar"),
                "Su correo quedó confirmado. Ingrese con el nuevo correo y su contraseña de \
                 siempre.",
            ))
        }
        Err(other) => Err(Failure::from(other)),
    }
}

/// The page of the link that undoes a change of email, sent to the old address (issue 46):
/// the address it restores (masked), and a button, so that a mail scanner opening the link
/// changes nothing.
#[derive(Serialize)]
pub(super) struct EmailUndoView<'a> {
    token: &'a str,
    restore_email: Option<String>,
}

#[get("/correo/deshacer/<token>")]
pub(super) async fn email_undo_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let restore_email = domain::accounts::email_change::undo_for_link(db, token).await?;
    page.render(
        "email_undo",
        "Deshacer el cambio de correo",
        EmailUndoView {
            token,
            restore_email,
        },
    )
}

#[post("/correo/deshacer/<token>", data = "<_form>")]
pub(super) async fn email_undo_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    cookies: &CookieJar<'_>,
    token: &str,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let account = domain::accounts::email_change::undo(db, &notifier, token).await?;
    // Every session of the account ended, this browser's too.
    guards::end_session(db.inner(), cookies).await?;
    Ok(Flash::success(
        Redirect::to("/ingresar"),
        format!(
            "Listo: su cuenta volvió a {} y cerramos todas sus sesiones. Si alguien más pudo \
             conocer su contraseña, elija una nueva con «¿Olvidó su contraseña?».",
            domain::accounts::email_change::mask_email(&account.email)
        ),
    ))
}
