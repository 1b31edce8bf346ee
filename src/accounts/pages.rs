//! Pages: sign in and out, password reset, and the admin screens for users, the audit log and
//! the email outbox.

use super::guards::{self, AdminUser};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::{Choice, DepartmentChoice, Failure, Page, Pager};
use domain::accounts::{NewUser, UserChanges, UserView, password_reset, safe_next, sign_in};
use domain::audit::{self, EntryView};
use domain::entities::values::{OutboxStatus, Role};
use domain::entities::{department, outbox, user};
use domain::error::{AppError, FieldError};
use domain::text::urlencode;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::json;

pub fn routes() -> Vec<Route> {
    routes![
        sign_in_page,
        sign_in_submit,
        sign_out,
        forgot_page,
        forgot_submit,
        reset_page,
        reset_submit,
        email_confirm_page,
        email_confirm_submit,
        email_undo_page,
        email_undo_submit,
        users_page,
        create_user_submit,
        update_user_submit,
        audit_page,
        outbox_page,
        outbox_retry,
    ]
}

/// The sign-in form: where to go afterwards, the email typed and why it failed
/// (`unconfirmed`: the password is the one of a registration never confirmed, and the page
/// offers to send its link again).
#[derive(Serialize)]
struct SignInView<'a> {
    next: String,
    email: &'a str,
    error: Option<String>,
    unconfirmed: bool,
}

#[get("/ingresar?<siguiente>")]
fn sign_in_page(page: Page<'_>, siguiente: Option<&str>) -> PageResult {
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
struct SignInForm {
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
async fn sign_in_submit(
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

#[post("/salir", data = "<_form>")]
async fn sign_out(
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Redirect> {
    guards::end_session(db.inner(), cookies).await?;
    Ok(Redirect::to("/"))
}

/// The forgotten-password form, and whether a link was just sent.
#[derive(Serialize)]
struct ForgotView {
    sent: bool,
}

#[get("/contrasena/olvido")]
fn forgot_page(page: Page<'_>) -> PageResult {
    page.render(
        "password_forgot",
        "Recuperar contraseña",
        ForgotView { sent: false },
    )
}

#[derive(FromForm)]
struct ForgotForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
}
csrf_protected!(ForgotForm);

#[post("/contrasena/olvido", data = "<form>")]
async fn forgot_submit(
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
struct ResetView<'a> {
    token: &'a str,
    usable: bool,
}

#[get("/contrasena/restablecer/<token>")]
async fn reset_page(db: &State<DatabaseConnection>, page: Page<'_>, token: &str) -> PageResult {
    let usable = password_reset::is_usable(db, token).await?;
    page.render(
        "password_reset",
        "Nueva contraseña",
        ResetView { token, usable },
    )
}

#[derive(FromForm)]
struct ResetForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    password_confirmation: String,
}
csrf_protected!(ResetForm);

#[post("/contrasena/restablecer/<token>", data = "<form>")]
async fn reset_submit(
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

// ---- Email changes -------------------------------------------------------------------------

/// The confirmation of a new email (`new_email`, masked: the link still works).
#[derive(Serialize)]
struct EmailConfirmView<'a> {
    token: &'a str,
    new_email: Option<String>,
}

/// The page of the link sent to a corrected email: a button, so that a mail scanner opening
/// the link changes nothing.
#[get("/correo/confirmar/<token>")]
async fn email_confirm_page(
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
async fn email_confirm_submit(
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
struct EmailUndoView<'a> {
    token: &'a str,
    restore_email: Option<String>,
}

#[get("/correo/deshacer/<token>")]
async fn email_undo_page(
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
async fn email_undo_submit(
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

// ---- Admin: users --------------------------------------------------------------------------

const PER_PAGE: u64 = 50;

async fn departments(db: &DatabaseConnection) -> AppResult<Vec<department::Model>> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Name)
        .all(db)
        .await?)
}

fn role_options(selected: Option<Role>) -> Vec<Choice<'static>> {
    [
        Role::Admin,
        Role::Coordinator,
        Role::Instructor,
        Role::Participant,
        Role::Reviewer,
        Role::Liaison,
    ]
    .into_iter()
    .map(|r| Choice {
        value: r.as_str(),
        label: r.label(),
        selected: Some(r) == selected,
    })
    .collect()
}

/// The users page: each user with their own form, the filters and the new-user form.
#[derive(Serialize)]
struct UsersView<'a> {
    rows: Vec<UserRow<'a>>,
    roles: Vec<Choice<'static>>,
    q: &'a str,
    departments: Vec<DepartmentName<'a>>,
    pager: Pager,
    /// The new user's provider, when a coordinator.
    providers: Vec<IdChoice>,
    new: NewUserFields<'a>,
    /// The new user's role and department, as chosen.
    new_roles: Vec<Choice<'static>>,
    new_departments: Vec<DepartmentChoice<'a>>,
}

/// A user and the choices of their row's form.
#[derive(Serialize)]
struct UserRow<'a> {
    user: UserView,
    roles: Vec<Choice<'static>>,
    departments: Vec<DepartmentChoice<'a>>,
    /// A coordinator's territorial direction to choose (none = national).
    directions: Vec<IdChoice>,
    /// A coordinator's provider to choose (ESAP first).
    providers: Vec<IdChoice>,
    is_coordinator: bool,
    active: bool,
    /// The prefix of this row's fields in the page's problems.
    form: String,
}

#[derive(Serialize)]
struct IdChoice {
    id: i32,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct DepartmentName<'a> {
    code: &'a str,
    name: &'a str,
}

/// What the new-user form shows again after a refusal.
#[derive(Serialize)]
struct NewUserFields<'a> {
    email: &'a str,
    full_name: &'a str,
    role: &'a str,
    department_code: &'a str,
    municipality_code: &'a str,
    provider_id: &'a str,
}

const NO_NEW_USER: NewUserFields<'static> = NewUserFields {
    email: "",
    full_name: "",
    role: "coordinator",
    department_code: "",
    municipality_code: "",
    provider_id: "",
};

/// The users page (a filter, a page of the list), with the new-user form as given.
async fn users_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    (role, q, page_number): (Option<&str>, Option<&str>, Option<u64>),
    new: NewUserFields<'_>,
    typed_row: Option<(i32, &UpdateUserForm)>,
    errors: &[FieldError],
) -> PageResult {
    let role = role.and_then(Role::parse);
    let page_number = crate::api::page_number(page_number);
    let (items, total) = domain::accounts::list(db, role, q, page_number, PER_PAGE).await?;
    let departments = departments(db).await?;
    let directions = domain::territory::directions::list(db).await?;
    let providers = domain::providers::active(db).await?;
    let provider_choices = |selected: i32| {
        providers
            .iter()
            .map(|p| IdChoice {
                id: p.id,
                name: p.name.clone(),
                selected: p.id == selected,
            })
            .collect::<Vec<_>>()
    };
    let rows = items
        .into_iter()
        .map(|u| {
            // A refused row shows what was chosen, not what is saved.
            let typed = typed_row.filter(|(id, _)| *id == u.id).map(|(_, f)| f);
            let role = typed.and_then(|f| Role::parse(&f.role)).unwrap_or(u.role);
            let department = typed.map_or(u.department_code.as_deref(), |f| {
                Some(f.department_code.as_str())
            });
            let direction = typed.map_or(u.territorial_direction_id, |f| {
                f.territorial_direction_id
                    .as_deref()
                    .and_then(|d| d.trim().parse().ok())
            });
            let provider = typed
                .and_then(|f| f.provider_id.as_deref())
                .and_then(|p| p.trim().parse().ok())
                .or(u.provider_id)
                .unwrap_or(domain::providers::ESAP);
            UserRow {
                roles: role_options(Some(role)),
                departments: DepartmentChoice::list(&departments, department),
                directions: directions
                    .iter()
                    .map(|d| IdChoice {
                        id: d.id,
                        name: d.name.clone(),
                        selected: direction == Some(d.id),
                    })
                    .collect(),
                providers: provider_choices(provider),
                is_coordinator: u.role == Role::Coordinator,
                active: typed.map_or(u.active, |f| f.active),
                form: row_prefix(u.id),
                user: u,
            }
        })
        .collect();
    let query = format!(
        "rol={}&q={}",
        role.map(Role::as_str).unwrap_or(""),
        urlencode(q.unwrap_or(""))
    );
    let view = UsersView {
        rows,
        roles: role_options(role),
        q: q.unwrap_or(""),
        departments: departments
            .iter()
            .map(|d| DepartmentName {
                code: &d.code,
                name: &d.name,
            })
            .collect(),
        pager: Pager::new("/admin/usuarios", &query, page_number, PER_PAGE, total),
        providers: provider_choices(new.provider_id.parse().unwrap_or(domain::providers::ESAP)),
        new_roles: role_options(Role::parse(new.role)),
        new_departments: DepartmentChoice::list(&departments, Some(new.department_code)),
        new,
    };
    if errors.is_empty() {
        page.render("admin_users", "Usuarios", view)
    } else {
        page.render_refused("admin_users", "Usuarios", view, errors)
    }
}

/// The prefix of a user's row form on the users page (`usuario-7.role`).
fn row_prefix(id: i32) -> String {
    format!("usuario-{id}")
}

#[get("/admin/usuarios?<rol>&<q>&<pagina>")]
async fn users_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    rol: Option<&str>,
    q: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    users_html(db, &page, (rol, q, pagina), NO_NEW_USER, None, &[]).await
}

#[derive(FromForm)]
struct NewUserForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    role: String,
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A coordinator's provider (empty or ESAP's = ESAP).
    #[field(default = String::new())]
    provider_id: String,
}
csrf_protected!(NewUserForm);

#[post("/admin/usuarios", data = "<form>")]
async fn create_user_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    form: CsrfForm<NewUserForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let role =
            Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "Elija un rol."))?;
        let password = domain::accounts::passwords::NewPassword::hash(&form.password).await?;
        domain::db::write(db, async |txn| {
            let user = domain::accounts::create_user_audited(
                txn,
                Some(admin.id),
                NewUser {
                    email: form.email.clone(),
                    password,
                    full_name: form.full_name.clone(),
                    role,
                    department_code: Some(form.department_code.trim().to_string())
                        .filter(|c| !c.is_empty()),
                    municipality_code: Some(form.municipality_code.trim().to_string())
                        .filter(|c| !c.is_empty()),
                    territorial_direction_id: None,
                    provider_id: form
                        .provider_id
                        .trim()
                        .parse::<i32>()
                        .ok()
                        .filter(|_| role == Role::Coordinator),
                },
            )
            .await?;
            Ok(user)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |user| {
            Flash::success(
                Redirect::to("/admin/usuarios"),
                format!("Usuario {} creado.", user.email),
            )
        },
        async |errors| {
            let new = NewUserFields {
                email: &form.email,
                full_name: &form.full_name,
                role: &form.role,
                department_code: &form.department_code,
                municipality_code: &form.municipality_code,
                provider_id: &form.provider_id,
            };
            let errors = crate::web::form::scoped("nuevo", errors);
            users_html(db, &page, (None, None, None), new, None, &errors).await
        },
    )
    .await
}

#[derive(FromForm)]
struct UpdateUserForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    role: String,
    #[field(default = String::new())]
    department_code: String,
    /// Only in a coordinator's row: a direction's id, or empty for national.
    territorial_direction_id: Option<String>,
    /// Only in a coordinator's row: its provider's id.
    provider_id: Option<String>,
    #[field(default = false)]
    active: bool,
}
csrf_protected!(UpdateUserForm);

#[post("/admin/usuarios/<id>", data = "<form>")]
async fn update_user_submit(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<UpdateUserForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let role =
            Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "Elija un rol."))?;
        domain::db::write(db, async |txn| {
            let user = domain::accounts::update_user(
                txn,
                admin.id,
                id,
                UserChanges {
                    full_name: None,
                    role: Some(role),
                    department_code: Some(
                        Some(form.department_code.trim().to_string()).filter(|c| !c.is_empty()),
                    ),
                    municipality_code: None,
                    territorial_direction_id: form
                        .territorial_direction_id
                        .as_deref()
                        .map(|id| id.trim().parse::<i32>().ok()),
                    provider_id: form
                        .provider_id
                        .as_deref()
                        .map(|id| id.trim().parse::<i32>().ok()),
                    active: Some(form.active),
                },
            )
            .await?;
            Ok(user)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |user| {
            Flash::success(
                Redirect::to("/admin/usuarios"),
                format!("Usuario {} actualizado.", user.email),
            )
        },
        async |errors| {
            let errors = crate::web::form::scoped(&row_prefix(id), errors);
            users_html(
                db,
                &page,
                (None, None, None),
                NO_NEW_USER,
                Some((id, &form)),
                &errors,
            )
            .await
        },
    )
    .await
}

// ---- Admin: audit log ------------------------------------------------------------------------

#[get("/admin/auditoria?<accion>&<tipo>&<objeto>&<actor>&<desde>&<hasta>&<pagina>")]
#[allow(clippy::too_many_arguments)]
async fn audit_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    accion: Option<&str>,
    tipo: Option<&str>,
    objeto: Option<&str>,
    actor: Option<&str>,
    desde: Option<&str>,
    hasta: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    let parse_date = |text: Option<&str>, field: &str| -> AppResult<Option<chrono::NaiveDate>> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(field, "Use fechas con el formato AAAA-MM-DD."))
                .map_err(Into::into),
        }
    };
    let actor_text = actor.map(str::trim).filter(|a| !a.is_empty());
    let actor_id = match actor_text {
        Some(email) => Some(
            user::Entity::find()
                .filter(user::Column::Email.eq(domain::accounts::normalize_email(email)))
                .one(db.inner())
                .await?
                .map_or(-1, |u| u.id),
        ),
        None => None,
    };
    let filter = audit::Filter {
        action: accion.map(str::to_string),
        subject_type: tipo.map(str::to_string),
        subject_id: objeto.map(str::to_string),
        actor_user_id: actor_id,
        from: parse_date(desde, "desde")?,
        to: parse_date(hasta, "hasta")?,
    };
    let page_number = crate::api::page_number(pagina);
    let (entries, total) = audit::list(db.inner(), &filter, page_number, PER_PAGE).await?;
    let query = format!(
        "accion={}&tipo={}&objeto={}&actor={}&desde={}&hasta={}",
        urlencode(accion.unwrap_or("")),
        urlencode(tipo.unwrap_or("")),
        urlencode(objeto.unwrap_or("")),
        urlencode(actor.unwrap_or("")),
        urlencode(desde.unwrap_or("")),
        urlencode(hasta.unwrap_or("")),
    );
    page.render(
        "admin_audit",
        "Auditoría",
        AuditView {
            entries,
            filter: AuditFilter {
                accion: accion.unwrap_or(""),
                tipo: tipo.unwrap_or(""),
                objeto: objeto.unwrap_or(""),
                actor: actor.unwrap_or(""),
                desde: desde.unwrap_or(""),
                hasta: hasta.unwrap_or(""),
            },
            pager: Pager::new("/admin/auditoria", &query, page_number, PER_PAGE, total),
        },
    )
}

/// The audit log page: a page of entries and the filters as typed.
#[derive(Serialize)]
struct AuditView<'a> {
    entries: Vec<EntryView>,
    filter: AuditFilter<'a>,
    pager: Pager,
}

/// The audit filters, named as the query string names them.
#[derive(Serialize)]
struct AuditFilter<'a> {
    accion: &'a str,
    tipo: &'a str,
    objeto: &'a str,
    actor: &'a str,
    desde: &'a str,
    hasta: &'a str,
}

// ---- Admin: email outbox ---------------------------------------------------------------------

/// The outbox page: a page of emails and how many there are in each state.
#[derive(Serialize)]
struct OutboxView {
    rows: Vec<OutboxRow>,
    counts: Vec<StatusCount>,
    pager: Pager,
}

/// One email of the outbox (times in Colombia).
#[derive(Serialize)]
struct OutboxRow {
    id: i64,
    recipient: String,
    subject: String,
    status: OutboxStatus,
    status_label: &'static str,
    failed: bool,
    attempts: i32,
    last_error: Option<String>,
    created_local: String,
    next_local: String,
    sent_local: Option<String>,
}

/// How many emails are in a state, as a filter link.
#[derive(Serialize)]
struct StatusCount {
    value: &'static str,
    label: &'static str,
    count: u64,
    selected: bool,
}

#[get("/admin/correos?<estado>&<pagina>")]
async fn outbox_page(
    db: &State<DatabaseConnection>,
    _admin: AdminUser,
    page: Page<'_>,
    estado: Option<&str>,
    pagina: Option<u64>,
) -> PageResult {
    let status = estado.and_then(OutboxStatus::parse);
    let mut query = outbox::Entity::find().order_by_desc(outbox::Column::Id);
    if let Some(status) = status {
        query = query.filter(outbox::Column::Status.eq(status));
    }
    let page_number = crate::api::page_number(pagina);
    let paginator = query.paginate(db.inner(), PER_PAGE);
    let total = paginator.num_items().await?;
    let when = domain::format::date_time;
    let rows = paginator
        .fetch_page(page_number - 1)
        .await?
        .into_iter()
        .map(|m| OutboxRow {
            id: m.id,
            status: m.status,
            status_label: m.status.label(),
            failed: m.status == OutboxStatus::Failed,
            attempts: m.attempts,
            created_local: when(m.created_at),
            next_local: when(m.next_attempt_at),
            sent_local: m.sent_at.map(when),
            recipient: m.recipient,
            subject: m.subject,
            last_error: m.last_error,
        })
        .collect();
    let mut counts = Vec::new();
    for status in [
        OutboxStatus::Pending,
        OutboxStatus::Sent,
        OutboxStatus::Failed,
    ] {
        let count = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(status))
            .count(db.inner())
            .await?;
        counts.push(StatusCount {
            value: status.as_str(),
            label: status.label(),
            count,
            selected: Some(status) == estado.and_then(OutboxStatus::parse),
        });
    }
    let query = format!("estado={}", estado.unwrap_or(""));
    page.render(
        "admin_outbox",
        "Correos",
        OutboxView {
            rows,
            counts,
            pager: Pager::new("/admin/correos", &query, page_number, PER_PAGE, total),
        },
    )
}

#[post("/admin/correos/<id>/reintentar", data = "<_form>")]
async fn outbox_retry(
    db: &State<DatabaseConnection>,
    admin: AdminUser,
    id: i64,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let txn = domain::db::begin(db).await?;
    if !domain::mail::retry(&txn, id).await? {
        return Err(AppError::NotFound.into());
    }
    audit::record(
        &txn,
        audit::Change {
            actor: Some(admin.id),
            action: "outbox.retried",
            subject_type: "outbox",
            subject_id: id.to_string(),
            before: Some(json!({"status": OutboxStatus::Failed})),
            after: Some(json!({"status": OutboxStatus::Pending})),
        },
    )
    .await?;
    domain::db::commit(txn).await?;
    Ok(Flash::success(
        Redirect::to("/admin/correos"),
        "El correo volverá a intentarse.",
    ))
}
