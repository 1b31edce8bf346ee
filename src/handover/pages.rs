//! The handover (empalme) pages (issue 48, item 4): `/municipios/<code>/empalme`, its PDF
//! for printing, the administrator's form that names the next liaison, and the page where the
//! named official takes the role (`/enlace/asumir/<token>`).

use crate::accounts::guards::{AdminUser, MunicipalityReader};
use crate::certificates::pages::PdfFile;
use crate::mail::Mailer;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Failure, Page, PageResult};
use domain::entities::values::Role;
use domain::error::{AppError, FieldError};
use domain::handover::passing::{self, LiaisonState, Pending};
use domain::handover::{self, Handover};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        handover_page,
        handover_pdf,
        name_liaison_submit,
        take_role_page,
        take_role_submit
    ]
}

/// How many items each section lists (its heading's count).
#[derive(Serialize)]
struct Counts {
    trained: usize,
    assistances: usize,
    open_agreements: usize,
    pending_milestones: usize,
    resources: usize,
    open_demands: usize,
    indicators: usize,
    uncovered_positions: usize,
}

impl Counts {
    fn of(h: &Handover) -> Self {
        Counts {
            trained: h.trained.len(),
            assistances: h.assistances.len(),
            open_agreements: h.open_agreements.len(),
            pending_milestones: h.pending_milestones.len(),
            resources: h.resources.len(),
            open_demands: h.open_demands.len(),
            indicators: h.indicators.len(),
            uncovered_positions: h.uncovered_positions.len(),
        }
    }
}

#[derive(Serialize)]
struct HandoverView {
    counts: Counts,
    handover: Handover,
    /// For administrators: who holds the liaison role and the successors named.
    liaison: Option<LiaisonState>,
    is_liaison: bool,
    pdf_url: String,
}

async fn handover_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &domain::accounts::actor::Actor,
    code: &str,
    refused: Option<(&[FieldError], &NameForm)>,
) -> PageResult {
    let handover = handover::assemble(db, user, code, domain::time::today()).await?;
    let liaison = match user.role {
        Role::Admin => Some(passing::state(db, &handover.municipality.code).await?),
        _ => None,
    };
    let title = format!("Empalme de {}", handover.municipality.name);
    let view = HandoverView {
        pdf_url: format!("/municipios/{}/empalme.pdf", handover.municipality.code),
        is_liaison: user.role == Role::Liaison,
        counts: Counts::of(&handover),
        handover,
        liaison,
    };
    match refused {
        Some((errors, typed)) => {
            page.render_refused_typed("handover", &title, view, errors, "enlace", typed)
        }
        None => page.render("handover", &title, view),
    }
}

/// The handover of a municipality: who was trained and is still in the entity, the technical
/// assistance with its open agreements and pending milestones, the products handed over, the
/// demands still open and the indicators before and after (404 outside the caller's scope).
#[get("/municipios/<code>/empalme")]
async fn handover_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult {
    handover_html(db, &page, &user, code, None).await
}

/// The same, as a PDF to print (A4 portrait).
#[get("/municipios/<code>/empalme.pdf")]
async fn handover_pdf(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult<PdfFile> {
    let handover = handover::assemble(db.inner(), &user, code, domain::time::today()).await?;
    let name = format!(
        "empalme-{}-{}.pdf",
        handover.municipality.code,
        handover.issued_on.format("%Y-%m-%d")
    );
    Ok(PdfFile(name, handover::render_pdf(handover).await?))
}

/// The administrator's form that names the next liaison.
#[derive(FromForm, Serialize)]
struct NameForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    email: String,
}
csrf_protected!(NameForm);

/// An administrator names the next liaison of the municipality: an account waiting for its
/// owner's confirmation, and the emailed link to take the role.
#[post("/municipios/<code>/empalme/enlace", data = "<form>")]
async fn name_liaison_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    admin: AdminUser,
    page: Page<'_>,
    code: &str,
    form: CsrfForm<NameForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let password =
        domain::accounts::passwords::NewPassword::hash(&domain::accounts::secrets::random_hex())
            .await?;
    let result = passing::name_successor(
        db,
        &notifier,
        &admin,
        code,
        &form.email,
        &form.full_name,
        password,
    )
    .await;
    crate::web::form::saved_or_again(
        result,
        |named| {
            Flash::success(
                Redirect::to(format!("{}#enlace", handover::page_path(code))),
                format!(
                    "Enviamos a {} el enlace para asumir el rol; el enlace actual sigue activo \
                     hasta que {} confirme.",
                    named.email, named.full_name
                ),
            )
        },
        async |errors| {
            let errors = crate::web::form::scoped("enlace", errors);
            handover_html(db, &page, &admin, code, Some((&errors, &form))).await
        },
    )
    .await
}

#[derive(Serialize)]
struct TakeRoleView<'a> {
    token: &'a str,
    pending: Option<Pending>,
}

/// The page of the link emailed to the named liaison: what taking the role does (whose
/// accounts end), and the password to choose. A button, so a mail scanner opening the link
/// changes nothing.
#[get("/enlace/asumir/<token>")]
async fn take_role_page(db: &State<DatabaseConnection>, page: Page<'_>, token: &str) -> PageResult {
    let pending = passing::pending(db.inner(), token).await?;
    page.render(
        "liaison_take_role",
        "Asumir el rol de enlace municipal",
        TakeRoleView { token, pending },
    )
}

#[derive(FromForm)]
struct TakeRoleForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    password_confirmation: String,
}
csrf_protected!(TakeRoleForm);

#[post("/enlace/asumir/<token>", data = "<form>")]
async fn take_role_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
    form: CsrfForm<TakeRoleForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let pending = passing::pending(db.inner(), token).await?;
    let result = passing::confirm(db, token, &form.password, &form.password_confirmation).await;
    // A link used or expired is not the form's problem: nothing typed can mend it (409 page).
    if let Err(error @ AppError::Conflict(_)) = result {
        return Err(Failure::from(error));
    }
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to("/ingresar"),
                "Ya es el enlace municipal. Ingrese con su correo y la contraseña que eligió.",
            )
        },
        async |errors| {
            page.render_refused(
                "liaison_take_role",
                "Asumir el rol de enlace municipal",
                TakeRoleView { token, pending },
                &errors,
            )
        },
    )
    .await
}
