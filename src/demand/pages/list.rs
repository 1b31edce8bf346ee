//! The list of demands with its filters, and a reviewer's proposal of a liaison from it.

use super::*;

#[derive(Serialize)]
pub(super) struct ListView {
    items: Vec<DemandView>,
    total: u64,
    statuses: Vec<Choice>,
    capacities: Vec<Choice>,
    /// The sectors, for the «Sector» filter (issue 49).
    sectors: Vec<Choice>,
    /// Every provider, for the «Remitida a» filter.
    providers: Vec<Choice>,
    may_raise: bool,
    /// Staff and reviewers also read the overlap report.
    reads_reports: bool,
    /// A reviewer's municipalities, for proposing a liaison.
    liaison_municipalities: Option<Vec<Choice>>,
    /// The liaison proposal's name and email as typed when it came back refused.
    proposal_name: String,
    proposal_email: String,
    pager: crate::web::Pager,
}

/// The caller's demands (a liaison: their municipality's; a reviewer: their department's);
/// `oferente` keeps those pointed to a provider.
#[get("/demandas?<estado>&<capacidad>&<oferente>&<sector>&<pagina>")]
#[allow(clippy::too_many_arguments)]
pub(super) async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    estado: Option<&str>,
    capacidad: Option<i32>,
    oferente: Option<i32>,
    sector: Option<i32>,
    pagina: Option<u64>,
) -> PageResult {
    let filters = ListFilters {
        estado,
        capacidad,
        oferente,
        sector,
        pagina,
    };
    let view = list_view(db.inner(), &user, &filters, None).await?;
    page.render("demands", "Demandas de formación", view)
}

/// The list's filters as the address carries them.
#[derive(Default)]
pub(super) struct ListFilters<'a> {
    estado: Option<&'a str>,
    capacidad: Option<i32>,
    oferente: Option<i32>,
    sector: Option<i32>,
    pagina: Option<u64>,
}

/// The list of demands; `proposal` the liaison proposal's values as typed when it came back
/// refused.
pub(super) async fn list_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    filters: &ListFilters<'_>,
    proposal: Option<&LiaisonForm>,
) -> DomainResult<ListView> {
    let ListFilters {
        estado,
        capacidad,
        oferente,
        sector,
        pagina,
    } = *filters;
    let status = estado.and_then(DemandStatus::parse);
    let filter = DemandFilter {
        status,
        capacity_id: capacidad,
        provider_id: oferente,
        sector_id: sector,
        ..Default::default()
    };
    let number = crate::api::page_number(pagina);
    let (items, total) = domain::demand::list(db, user, &filter, number, PER_PAGE).await?;
    let query = format!(
        "estado={}&capacidad={}&oferente={}&sector={}",
        estado.unwrap_or_default(),
        capacidad.map(|c| c.to_string()).unwrap_or_default(),
        oferente.map(|c| c.to_string()).unwrap_or_default(),
        sector.map(|c| c.to_string()).unwrap_or_default()
    );
    Ok(ListView {
        items,
        total,
        statuses: choices(&STATUSES, status, DemandStatus::as_str, DemandStatus::label),
        capacities: capacity_choices(db, capacidad).await?,
        sectors: crate::descriptors::pages::sector_choices(db, sector).await?,
        providers: provider_choices(db, oferente, false).await?,
        may_raise: may_raise(user),
        reads_reports: user.is_staff() || user.role == Role::Reviewer,
        liaison_municipalities: if user.role == Role::Reviewer {
            let chosen = proposal.map_or("", |p| p.municipality_code.as_str());
            Some(municipality_choices(db, user, chosen).await?)
        } else {
            None
        },
        proposal_name: proposal.map(|p| p.full_name.clone()).unwrap_or_default(),
        proposal_email: proposal.map(|p| p.email.clone()).unwrap_or_default(),
        pager: crate::web::Pager::new("/demandas", &query, number, PER_PAGE, total),
    })
}

#[derive(FromForm)]
pub(super) struct LiaisonForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    municipality_code: String,
}
csrf_protected!(LiaisonForm);

/// A gobernación reviewer proposes a liaison for a municipality of their department; the
/// administrators decide. The page says the same whether or not the address already has an
/// account (`accounts::propose_liaison`).
#[post("/enlaces/proponer", data = "<form>")]
pub(super) async fn propose_liaison_submit(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    page: Page<'_>,
    user: CurrentUser,
    form: CsrfForm<LiaisonForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let back = Redirect::to("/demandas");
    let result = async {
        let password = domain::accounts::passwords::NewPassword::hash(
            &domain::accounts::secrets::random_hex(),
        )
        .await?;
        domain::db::write(db, async |txn| {
            let proposal = domain::accounts::propose_liaison(
                txn,
                &notifier,
                &user,
                &form.email,
                &form.full_name,
                &form.municipality_code,
                password,
            )
            .await?;
            Ok(proposal)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        // The same words whether or not the address already has an account.
        |proposal| Flash::success(back, proposal.detail),
        async |errors| {
            let view = list_view(db.inner(), &user, &ListFilters::default(), Some(&form)).await?;
            let errors = crate::web::form::scoped("enlace", errors);
            page.render_refused("demands", "Demandas de formación", view, &errors)
        },
    )
    .await
}
