//! One demand (`/demandas/<id>`) and what the caller may do to it: edit, decline, endorse, refer.

use super::*;

#[derive(Serialize)]
pub(super) struct ShowView {
    demand: DemandView,
    /// The author, while it is open.
    editable: Option<FormView>,
    may_decline: bool,
    /// The decline form's reason as typed when it came back refused.
    decline_reason: String,
    may_endorse: bool,
    /// «Remitir a un oferente»: reviewers of the department and coordinators, while open.
    refer: Option<ReferView>,
    /// «Atender esta demanda» (issue 45): staff, while it is open — with a cohort or a
    /// technical assistance of their offer.
    answer: Option<AnswerView>,
}

/// How the caller's offer may answer an open demand: a new cohort for its municipality (the
/// form lists the municipality's open demands) or a new assistance with it chosen.
#[derive(Serialize)]
pub(super) struct AnswerView {
    /// The caller's provider, when the demand was referred to it.
    referred_to: Option<String>,
}

/// The referral form: the active providers not yet pointed to, the note as typed, problems.
#[derive(Serialize)]
pub(super) struct ReferView {
    providers: Vec<Choice>,
    note: String,
}

/// A page's state when it is shown again with a form's values as typed.
pub(super) enum Again {
    Edit(Box<DemandForm>),
    Refer(ReferForm),
    Decline(String),
    /// «Respaldar»: a button, nothing typed.
    Endorse,
}

/// The demand page again for a refused form (`again` as typed, `errors` beside its fields).
pub(super) async fn show_again(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    id: i32,
    again: Again,
    errors: Vec<FieldError>,
) -> PageResult {
    let errors = match &again {
        Again::Edit(_) | Again::Endorse => errors,
        Again::Refer(_) => crate::web::form::scoped("remitir", errors),
        Again::Decline(_) => crate::web::form::scoped("declinar", errors),
    };
    let view = show_view(db, user, id, Some(again)).await?;
    let title = format!("Demanda: {}", view.demand.topic);
    page.render_refused("demand", &title, view, &errors)
}

pub(super) async fn show_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: i32,
    again: Option<Again>,
) -> DomainResult<ShowView> {
    let (form, referral, decline_reason) = match again {
        Some(Again::Edit(form)) => (Some(*form), None, String::new()),
        Some(Again::Refer(form)) => (None, Some(form), String::new()),
        Some(Again::Decline(reason)) => (None, None, reason),
        Some(Again::Endorse) | None => (None, None, String::new()),
    };
    let row = domain::demand::find_in_scope(db, user, id).await?;
    let demand = domain::demand::view(db, row).await?;
    let open = demand.status == DemandStatus::Open;
    let editable = if open && demand.created_by == user.id {
        let form = form.unwrap_or_else(|| DemandForm::of(&demand));
        Some(form_view(db, user, form).await?)
    } else {
        None
    };
    let refer = if open && (user.role == Role::Reviewer || user.is_staff()) {
        let form = referral.unwrap_or_default();
        let pointed: Vec<i32> = demand.referrals.iter().map(|r| r.provider.id).collect();
        let mut providers =
            provider_choices(db, form.provider_id.trim().parse().ok(), true).await?;
        providers.retain(|p| !pointed.iter().any(|id| id.to_string() == p.value));
        Some(ReferView {
            providers,
            note: form.note,
        })
    } else {
        None
    };
    let answer = (open && user.is_staff()).then(|| AnswerView {
        referred_to: user.managed_provider().and_then(|mine| {
            demand
                .referrals
                .iter()
                .find(|r| r.provider.id == mine)
                .map(|r| r.provider.name.clone())
        }),
    });
    Ok(ShowView {
        refer,
        answer,
        may_decline: open && user.is_staff(),
        decline_reason,
        may_endorse: user.role == Role::Reviewer
            && !demand.endorsed
            && matches!(demand.status, DemandStatus::Open | DemandStatus::Planned),
        editable,
        demand,
    })
}

/// One demand, with what the caller may do to it.
#[get("/demandas/<id>")]
pub(super) async fn show_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
) -> PageResult {
    let view = show_view(db.inner(), &user, id, None).await?;
    let title = format!("Demanda: {}", view.demand.topic);
    page.render("demand", &title, view)
}

/// The author's changes while the demand is open.
#[post("/demandas/<id>", data = "<form>")]
pub(super) async fn edit_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<DemandForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let input = form.input(db, &user).await.map_err(|e| e.0)?;
        domain::db::write(db, async |txn| {
            domain::demand::update(txn, &notifier, &user, id, &input).await?;
            Ok(())
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |()| {
            Flash::success(
                Redirect::to(format!("/demandas/{id}")),
                "Cambios guardados.",
            )
        },
        async |errors| show_again(db, &page, &user, id, Again::Edit(Box::new(form)), errors).await,
    )
    .await
}

#[derive(FromForm)]
pub(super) struct DeclineForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(DeclineForm);

/// A coordinator declines an open demand, with the reason the author is told.
#[post("/demandas/<id>/declinar", data = "<form>")]
pub(super) async fn decline_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<DeclineForm>,
) -> PageResult<Flash<Redirect>> {
    let input = DemandInput {
        status: Some(DemandStatus::Declined.as_str().to_string()),
        reason: Some(form.0.reason.clone()),
        ..Default::default()
    };
    let back = Redirect::to(format!("/demandas/{id}"));
    let result = domain::db::write(db, async |txn| {
        domain::demand::update(txn, &notifier, &user, id, &input).await?;
        Ok(())
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |()| {
            Flash::success(
                back,
                "Demanda declinada; se le informó a quien la registró.",
            )
        },
        async |errors| {
            show_again(db, &page, &user, id, Again::Decline(form.0.reason), errors).await
        },
    )
    .await
}

#[derive(FromForm)]
pub(super) struct EndorseForm {
    #[field(default = String::new())]
    csrf_token: String,
}
csrf_protected!(EndorseForm);

/// The gobernación backs a demand of one of its municipalities.
#[post("/demandas/<id>/respaldar", data = "<_form>")]
pub(super) async fn endorse_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    _form: CsrfForm<EndorseForm>,
) -> PageResult<Flash<Redirect>> {
    let result = domain::db::write(db, async |txn| {
        domain::demand::endorse(txn, &user, id).await?;
        Ok(())
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |()| {
            Flash::success(
                Redirect::to(format!("/demandas/{id}")),
                "La gobernación respalda esta demanda.",
            )
        },
        async |errors| show_again(db, &page, &user, id, Again::Endorse, errors).await,
    )
    .await
}

#[derive(Default, FromForm)]
pub(super) struct ReferForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    provider_id: String,
    #[field(default = String::new())]
    note: String,
}
csrf_protected!(ReferForm);

/// «Remitir a un oferente»: a reviewer of the department or a coordinator points the open
/// demand to a provider; its coordinators are emailed.
#[post("/demandas/<id>/remitir", data = "<form>")]
pub(super) async fn refer_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    id: i32,
    form: CsrfForm<ReferForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let provider_id =
            match form.provider_id.trim() {
                "" => None,
                text => Some(text.parse::<i32>().map_err(|_| {
                    AppError::invalid("provider_id", "Elija un oferente de la lista.")
                })?),
            };
        let input = domain::demand::referrals::ReferralInput {
            provider_id,
            note: Some(form.note.clone()),
        };
        domain::db::write(db, async |txn| {
            let referral =
                domain::demand::referrals::refer(txn, &notifier, &user, id, &input).await?;
            Ok(referral)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |referral| {
            Flash::success(
                Redirect::to(format!("/demandas/{id}")),
                format!(
                    "Demanda remitida a {}; se avisó por correo a su coordinación.",
                    referral.provider.name
                ),
            )
        },
        async |errors| show_again(db, &page, &user, id, Again::Refer(form), errors).await,
    )
    .await
}
