//! The entity's acceptance of the work plan (by its territory or through the emailed link) and
//! the confirmation of its contact.

use super::*;

#[derive(FromForm, Serialize)]
pub(super) struct AcceptanceForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    accepted_by: String,
    #[field(default = String::new())]
    position: String,
    /// The version and the hash of the text shown (issue 62).
    #[field(default = String::new())]
    #[serde(skip)]
    version: String,
    #[field(default = String::new())]
    #[serde(skip)]
    content_hash: String,
}
csrf_protected!(AcceptanceForm);

impl AcceptanceForm {
    fn input(&self) -> AcceptanceInput {
        AcceptanceInput {
            accepted_by: Some(self.accepted_by.clone()),
            position: Some(self.position.clone()),
            version: self.version.trim().parse().ok(),
            content_hash: Some(self.content_hash.clone()),
        }
    }
}

/// The problems of the form's hidden `version` and `content_hash` said for the whole form: no
/// field shows them (the page was not the current one, or was altered).
pub(super) fn hidden_as_form<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    result.map_err(|error| match error {
        AppError::Validation(errors) => AppError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "version" || e.field == "content_hash" {
                        e.field = String::new();
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    })
}

#[derive(FromForm, Serialize)]
pub(super) struct ContactConfirmationForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    contact_email: String,
}
csrf_protected!(ContactConfirmationForm);

/// The municipality's liaison or the department's reviewer confirms the entity's contact
/// (issue 62): the link to accept a version waiting goes out to it now.
#[post("/asistencias/<id>/contacto/confirmacion", data = "<form>")]
pub(super) async fn contact_confirmation_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    notifier: crate::mail::Mailer<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<ContactConfirmationForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = agreed::ContactConfirmationInput {
        contact_email: Some(form.contact_email.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        agreed::confirm_contact(txn, &notifier, &user, id, &input).await
    })
    .await;
    back(
        db,
        &page,
        id,
        result,
        "Contacto de la entidad confirmado: si un plan de trabajo espera su aceptación, el \
         contacto recibe el enlace para aceptarlo.",
        ("contacto", &form),
    )
    .await
}

/// The municipality's liaison or the department's reviewer accepts the work plan for the
/// entity.
#[post("/asistencias/<id>/plan-de-trabajo/aceptacion", data = "<form>")]
pub(super) async fn liaison_acceptance_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<AcceptanceForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        agreed::accept(txn, Acceptor::Territory(&user, id), &input).await
    })
    .await;
    let result = hidden_as_form(result);
    back(
        db,
        &page,
        id,
        result,
        "Plan de trabajo aceptado por la entidad: la asistencia puede iniciar.",
        ("aceptacion", &form),
    )
    .await
}

#[derive(Serialize)]
pub(super) struct AcceptanceLinkView {
    assistance: AssistanceView,
    token: String,
    /// The link's version is the current one and waits for acceptance.
    waiting: bool,
    /// Why the link no longer accepts (issue 62), answered 410.
    void: Option<&'static str>,
    /// Accepted just now.
    done: bool,
}

pub(super) const ACCEPTANCE_TITLE: &str = "Plan de trabajo de la asistencia técnica";

/// The page of a link: 410 when it was voided (the plan or the contact changed after it was
/// sent), with why.
pub(super) fn link_page(page: &Page<'_>, view: AcceptanceLinkView) -> PageResult {
    let status = if view.void.is_some() {
        rocket::http::Status::Gone
    } else {
        rocket::http::Status::Ok
    };
    crate::web::Failure::unless_ok(
        status,
        page.render("work_plan_acceptance", ACCEPTANCE_TITLE, view)?,
    )
}

/// The diagnosis and the plan the entity's contact reaches from the email (no account), with
/// the form to accept it (carrying the version and the hash of the text shown).
#[get("/aceptar-plan/<token>")]
pub(super) async fn link_acceptance_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let link = agreed::by_acceptance_link(db.inner(), token).await?;
    link_page(
        &page,
        AcceptanceLinkView {
            assistance: link.assistance,
            token: token.to_string(),
            waiting: link.waiting,
            void: link.void,
            done: false,
        },
    )
}

#[post("/aceptar-plan/<token>", data = "<form>")]
pub(super) async fn link_acceptance_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
    form: CsrfForm<AcceptanceForm>,
) -> PageResult {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db.inner(), async |txn| {
        agreed::accept(txn, Acceptor::Link(token), &input).await
    })
    .await;
    let result = hidden_as_form(result);
    let link = agreed::by_acceptance_link(db.inner(), token).await?;
    match result {
        Ok(_) => page.render(
            "work_plan_acceptance",
            ACCEPTANCE_TITLE,
            AcceptanceLinkView {
                assistance: link.assistance,
                token: String::new(),
                waiting: false,
                void: None,
                done: true,
            },
        ),
        Err(AppError::Gone(_)) => link_page(
            &page,
            AcceptanceLinkView {
                assistance: link.assistance,
                token: token.to_string(),
                waiting: false,
                void: link.void,
                done: false,
            },
        ),
        Err(error) => {
            let errors = crate::web::form::problems(error)?;
            Err(crate::web::Failure::form_again(page.render_refused_typed(
                "work_plan_acceptance",
                ACCEPTANCE_TITLE,
                AcceptanceLinkView {
                    assistance: link.assistance,
                    token: token.to_string(),
                    waiting: link.waiting,
                    void: link.void,
                    done: false,
                },
                &errors,
                "",
                &form,
            )))
        }
    }
}
