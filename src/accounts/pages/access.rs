//! Signing in and out, and the password reset (`/ingresar`, `/salir`, `/contrasena/…`).

use super::*;

/// The sign-in form: where to go afterwards, the email typed and why it failed
/// (`unconfirmed`: the password is the one of a registration never confirmed, and the page
/// offers to send its link again).
#[derive(Serialize)]
pub(super) struct SignInView<'a> {
    next: String,
    email: &'a str,
    error: Option<String>,
    unconfirmed: bool,
}

#[get("/ingresar?<siguiente>")]
pub(super) fn sign_in_page(page: Page<'_>, siguiente: Option<&str>) -> PageResult {
    page.render(
        "sign_in",
        "Ingresar",
        SignInView {
            next: safe_next(siguiente),
            email: "",
            error: None,
            unconfirmed: false,
        },
    )
}

#[derive(FromForm)]
pub(super) struct SignInForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    siguiente: Option<String>,
}
csrf_protected!(SignInForm);

#[post("/ingresar", data = "<form>")]
pub(super) async fn sign_in_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    cookies: &CookieJar<'_>,
    config: &rocket::Config,
    address: crate::web::ClientAddress,
    form: CsrfForm<SignInForm>,
) -> PageResult<Redirect> {
    let form = form.0;
    let outcome = sign_in::attempt(db, &form.email, &form.password, address.0).await;
    match outcome {
        Ok(sign_in::Attempt::SignedIn(user)) => {
            guards::start_session(
                db.inner(),
                cookies,
                user.id,
                crate::web::csrf::secure_cookies(config),
            )
            .await?;
            // Issue 48: a liaison's first sign-in of a new municipal administration opens
            // their municipality's handover instead of the home (once per period).
            let mut next = safe_next(form.siguiente.as_deref());
            if next == "/"
                && let Some(handover) =
                    domain::handover::landing(db.inner(), &user, domain::time::today()).await?
            {
                next = handover;
            }
            Ok(Redirect::to(next))
        }
        Ok(sign_in::Attempt::Unconfirmed) => {
            let html = page.render(
                "sign_in",
                "Ingresar",
                SignInView {
                    next: safe_next(form.siguiente.as_deref()),
                    email: &form.email,
                    error: None,
                    unconfirmed: true,
                },
            )?;
            Err(Failure::from((Status::UnprocessableEntity, html)))
        }
        Err(error @ (AppError::InvalidCredentials | AppError::Throttled(_))) => {
            let html = page.render(
                "sign_in",
                "Ingresar",
                SignInView {
                    next: safe_next(form.siguiente.as_deref()),
                    email: &form.email,
                    error: Some(error.to_string()),
                    unconfirmed: false,
                },
            )?;
            Err(Failure::showing(&error, html))
        }
        Err(other) => Err(Failure::from(other)),
    }
}

/// Signing out also drops what the browser kept of this site (issue 66: the service worker's
/// copies of the person's pages and the queue of marks), with `Clear-Site-Data`.
#[post("/salir", data = "<_form>")]
pub(super) async fn sign_out(
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    _form: CsrfForm<PlainForm>,
) -> PageResult<crate::web::offline::ClearSiteData<Redirect>> {
    guards::end_session(db.inner(), cookies).await?;
    Ok(crate::web::offline::ClearSiteData(Redirect::to("/")))
}

/// The forgotten-password form, and whether a link was just sent.
#[derive(Serialize)]
pub(super) struct ForgotView {
    sent: bool,
}

#[get("/contrasena/olvido")]
pub(super) fn forgot_page(page: Page<'_>) -> PageResult {
    page.render(
        "password_forgot",
        "Recuperar contraseña",
        ForgotView { sent: false },
    )
}

#[derive(FromForm)]
pub(super) struct ForgotForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
}
csrf_protected!(ForgotForm);

#[post("/contrasena/olvido", data = "<form>")]
pub(super) async fn forgot_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    address: crate::web::ClientAddress,
    form: CsrfForm<ForgotForm>,
) -> PageResult {
    password_reset::request(db, &notifier, &form.0.email, address.0).await?;
    page.render(
        "password_forgot",
        "Recuperar contraseña",
        ForgotView { sent: true },
    )
}

/// The new-password form of a reset link (`usable`: the link still works).
#[derive(Serialize)]
pub(super) struct ResetView<'a> {
    token: &'a str,
    usable: bool,
}

#[get("/contrasena/restablecer/<token>")]
pub(super) async fn reset_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let usable = password_reset::is_usable(db, token).await?;
    page.render(
        "password_reset",
        "Nueva contraseña",
        ResetView { token, usable },
    )
}

#[derive(FromForm)]
pub(super) struct ResetForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    password_confirmation: String,
}
csrf_protected!(ResetForm);

#[post("/contrasena/restablecer/<token>", data = "<form>")]
pub(super) async fn reset_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
    form: CsrfForm<ResetForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result =
        password_reset::reset(db, token, &form.password, &form.password_confirmation).await;
    // A link used or expired is not the form's problem: nothing typed can mend it (409 page).
    if let Err(error @ AppError::Conflict(_)) = result {
        return Err(Failure::from(error));
    }
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to("/ingresar"),
                "Su contraseña fue cambiada. Ya puede ingresar con la nueva.",
            )
        },
        async |errors| {
            let view = ResetView {
                token,
                usable: true,
            };
            page.render_refused("password_reset", "Nueva contraseña", view, &errors)
        },
    )
    .await
}
