//! Pages for municipal demand (issue 16): the list (`/demandas`, scoped like the API), raising
//! one (`/demandas/nueva`), and one demand (`/demandas/<id>`) with what the caller may do to
//! it: its author edits it while open, a coordinator declines it with a reason, a gobernación
//! reviewer endorses it.

use crate::accounts::guards::CurrentUser;
use crate::error::{AppResult, DomainResult};
use crate::mail::Mailer;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{KeptKey, OwnedChoice as Choice, Page, capacity_choices};
use domain::demand::{DemandFilter, DemandInput, DemandView};
use domain::entities::municipality;
use domain::entities::values::{DemandPriority, DemandStatus, Modality, Role};
use domain::error::{AppError, FieldError};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::BTreeSet;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        show_page,
        edit_submit,
        decline_submit,
        endorse_submit,
        refer_submit,
        report_page,
        report_download,
        overlaps_page,
        overlaps_download,
        propose_liaison_submit
    ]
}

const PER_PAGE: u64 = 50;

fn choices<T: Copy + PartialEq>(
    all: &[T],
    selected: Option<T>,
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).to_string(),
            label: label(*v).to_string(),
            selected: Some(*v) == selected,
        })
        .collect()
}

const STATUSES: [DemandStatus; 4] = [
    DemandStatus::Open,
    DemandStatus::Planned,
    DemandStatus::Met,
    DemandStatus::Declined,
];
const PRIORITIES: [DemandPriority; 3] = [
    DemandPriority::Alta,
    DemandPriority::Media,
    DemandPriority::Baja,
];
const MODALITIES: [Modality; 3] = [Modality::Presencial, Modality::Virtual, Modality::Mixta];

/// Whether the caller may raise demands (and see the link to do it).
fn may_raise(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Coordinator | Role::Reviewer | Role::Liaison
    )
}

#[derive(Serialize)]
struct ListView {
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

/// The providers for a select, by name (ESAP first); `active` only the active ones.
async fn provider_choices(
    db: &DatabaseConnection,
    selected: Option<i32>,
    active: bool,
) -> DomainResult<Vec<Choice>> {
    let rows = if active {
        domain::providers::active(db).await?
    } else {
        domain::providers::list(db).await?
    };
    Ok(Choice::of_rows(
        rows.into_iter().map(|p| (p.id, p.name)).collect(),
        selected,
    ))
}

/// The caller's demands (a liaison: their municipality's; a reviewer: their department's);
/// `oferente` keeps those pointed to a provider.
#[get("/demandas?<estado>&<capacidad>&<oferente>&<sector>&<pagina>")]
#[allow(clippy::too_many_arguments)]
async fn list_page(
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
struct ListFilters<'a> {
    estado: Option<&'a str>,
    capacidad: Option<i32>,
    oferente: Option<i32>,
    sector: Option<i32>,
    pagina: Option<u64>,
}

/// The list of demands; `proposal` the liaison proposal's values as typed when it came back
/// refused.
async fn list_view(
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

/// The demand form's fields as the page sends them.
#[derive(Clone, Debug, Default, FromForm, Serialize)]
struct DemandForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    /// Which entity asks (issue 49); empty is the alcaldía.
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A gobernación's department.
    #[field(default = String::new())]
    department_code: String,
    capacity_id: Option<i32>,
    #[field(default = String::new())]
    topic: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    people_estimate: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    wanted_from: String,
    #[field(default = String::new())]
    wanted_to: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = Vec::new())]
    sector_ids: Vec<i32>,
    #[field(default = Vec::new())]
    population_group_ids: Vec<i32>,
}
csrf_protected!(DemandForm);

impl DemandForm {
    /// The domain's input and, when a field could not be read (a number typed in words), its
    /// problem: the domain's rules still run over the rest (`input`), so every problem shows
    /// at once.
    async fn input(&self, db: &DatabaseConnection, user: &CurrentUser) -> AppResult<DemandInput> {
        let people = self.people_estimate.trim();
        let (people_estimate, unreadable) = if people.is_empty() {
            (None, None)
        } else {
            match people.replace('.', "").parse::<i64>() {
                Ok(n) => (Some(n), None),
                Err(_) => (
                    None,
                    Some(FieldError::new(
                        "people_estimate",
                        "Escriba cuántas personas se formarían, en números.",
                    )),
                ),
            }
        };
        let text = |v: &str| Some(v.to_string());
        let input = DemandInput {
            entity_type: text(&self.entity_type),
            municipality_code: text(&self.municipality_code),
            department_code: text(&self.department_code),
            capacity_id: self.capacity_id,
            topic: text(&self.topic),
            description: text(&self.description),
            people_estimate,
            modality: text(&self.modality),
            wanted_from: text(&self.wanted_from),
            wanted_to: text(&self.wanted_to),
            priority: text(&self.priority),
            status: None,
            reason: None,
            sector_ids: Some(self.sector_ids.clone()),
            population_group_ids: Some(self.population_group_ids.clone()),
        };
        match unreadable {
            None => Ok(input),
            Some(problem) => {
                let mut errors = vec![problem];
                errors.extend(
                    domain::demand::problems_of(db, user, &input)
                        .await?
                        .into_iter()
                        .filter(|e| e.field != "people_estimate"),
                );
                Err(AppError::Validation(errors).into())
            }
        }
    }

    fn of(view: &DemandView) -> Self {
        DemandForm {
            entity_type: view.entity_type.as_str().to_string(),
            municipality_code: view.municipality_code.clone().unwrap_or_default(),
            department_code: if view.entity_type.is_departmental() {
                view.department_code.clone()
            } else {
                String::new()
            },
            capacity_id: Some(view.capacity_id),
            topic: view.topic.clone(),
            description: view.description.clone(),
            people_estimate: view.people_estimate.to_string(),
            modality: view.modality.as_str().to_string(),
            wanted_from: view.wanted_from.to_string(),
            wanted_to: view.wanted_to.to_string(),
            priority: view.priority.as_str().to_string(),
            sector_ids: crate::descriptors::pages::ids(&view.sectors),
            population_group_ids: crate::descriptors::pages::ids(&view.population_groups),
            ..Default::default()
        }
    }
}

#[derive(Serialize)]
struct FormView {
    form: DemandForm,
    /// The entities that may ask (issue 49), in Spanish.
    entities: Vec<Choice>,
    /// The municipalities the caller may choose (a liaison: theirs only).
    municipalities: Vec<Choice>,
    /// The departments whose gobernación the caller may choose (a reviewer: theirs only; a
    /// liaison: none).
    departments: Vec<Choice>,
    capacities: Vec<Choice>,
    modalities: Vec<Choice>,
    priorities: Vec<Choice>,
    /// CONPES's sectors and population groups, ticked as chosen (issue 49).
    descriptors: crate::descriptors::pages::Checks,
}

/// The municipalities in the caller's territory, by name (a direction: its departments').
async fn municipality_choices(
    db: &DatabaseConnection,
    user: &CurrentUser,
    selected: &str,
) -> DomainResult<Vec<Choice>> {
    let scope = domain::demand::DemandScope::of(user)?;
    let mut query = municipality::Entity::find().order_by_asc(municipality::Column::Name);
    query = match &scope {
        domain::demand::DemandScope::All => query,
        domain::demand::DemandScope::Departments(codes) => {
            query.filter(municipality::Column::DepartmentCode.is_in(codes.clone()))
        }
        domain::demand::DemandScope::Department(code) => {
            query.filter(municipality::Column::DepartmentCode.eq(code.as_str()))
        }
        domain::demand::DemandScope::Municipality(code) => {
            query.filter(municipality::Column::Code.eq(code.as_str()))
        }
    };
    let departments = domain::territory::department_names(db).await?;
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|m| Choice {
            selected: m.code == selected,
            label: format!(
                "{} ({})",
                m.name,
                departments
                    .get(&m.department_code)
                    .cloned()
                    .unwrap_or_default()
            ),
            value: m.code,
        })
        .collect())
}

async fn form_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    form: DemandForm,
) -> DomainResult<FormView> {
    Ok(FormView {
        descriptors: crate::descriptors::pages::Checks::of(
            db,
            &form.sector_ids,
            &form.population_group_ids,
        )
        .await?,
        entities: crate::assistance::pages::entity_choices(&form.entity_type)
            .into_iter()
            .map(|c| Choice {
                value: c.value.to_string(),
                label: c.label.to_string(),
                selected: c.selected,
            })
            .collect(),
        municipalities: municipality_choices(db, user, &form.municipality_code).await?,
        departments: {
            let scope = domain::demand::DemandScope::of(user)?;
            domain::territory::departments(db)
                .await?
                .into_iter()
                .filter(|d| scope.covers(None, &d.code))
                .map(|d| Choice {
                    selected: d.code == form.department_code,
                    value: d.code,
                    label: d.name,
                })
                .collect()
        },
        capacities: capacity_choices(db, form.capacity_id).await?,
        modalities: choices(
            &MODALITIES,
            Modality::parse(&form.modality),
            Modality::as_str,
            Modality::label,
        ),
        priorities: choices(
            &PRIORITIES,
            DemandPriority::parse(&form.priority).or(Some(DemandPriority::Media)),
            DemandPriority::as_str,
            DemandPriority::label,
        ),
        form,
    })
}

/// The form to raise a demand.
#[get("/demandas/nueva")]
async fn new_page(db: &State<DatabaseConnection>, page: Page<'_>, user: CurrentUser) -> PageResult {
    if !may_raise(&user) {
        return Err(AppError::Forbidden.into());
    }
    let form = DemandForm {
        municipality_code: user.municipality_code.clone().unwrap_or_default(),
        ..Default::default()
    };
    let view = form_view(db.inner(), &user, form).await?;
    page.render("demand_new", "Registrar una demanda de formación", view)
}

#[post("/demandas", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    form: CsrfForm<DemandForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = async {
        let input = form.input(db, &user).await.map_err(|e| e.0)?;
        domain::db::write(db, async |txn| {
            let view = domain::demand::create(txn, &user, &input).await?;
            Ok(view)
        })
        .await
    }
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/demandas/{}", view.id)),
                "Demanda registrada. La coordinación de ESAP la verá al planear sus cohortes.",
            )
        },
        async |errors| {
            let view = form_view(db.inner(), &user, form).await?;
            page.render_refused(
                "demand_new",
                "Registrar una demanda de formación",
                view,
                &errors,
            )
        },
    )
    .await
}

#[derive(Serialize)]
struct ShowView {
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
struct AnswerView {
    /// The caller's provider, when the demand was referred to it.
    referred_to: Option<String>,
}

/// The referral form: the active providers not yet pointed to, the note as typed, problems.
#[derive(Serialize)]
struct ReferView {
    providers: Vec<Choice>,
    note: String,
}

/// A page's state when it is shown again with a form's values as typed.
enum Again {
    Edit(Box<DemandForm>),
    Refer(ReferForm),
    Decline(String),
    /// «Respaldar»: a button, nothing typed.
    Endorse,
}

/// The demand page again for a refused form (`again` as typed, `errors` beside its fields).
async fn show_again(
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

async fn show_view(
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
async fn show_page(
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
async fn edit_submit(
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
struct DeclineForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(DeclineForm);

/// A coordinator declines an open demand, with the reason the author is told.
#[post("/demandas/<id>/declinar", data = "<form>")]
async fn decline_submit(
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
struct EndorseForm {
    #[field(default = String::new())]
    csrf_token: String,
}
csrf_protected!(EndorseForm);

/// The gobernación backs a demand of one of its municipalities.
#[post("/demandas/<id>/respaldar", data = "<_form>")]
async fn endorse_submit(
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
struct ReferForm {
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
async fn refer_submit(
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

#[derive(Serialize)]
struct ReportView<'a> {
    report: domain::demand::reports::DemandReport,
    capacities: Vec<Choice>,
    sectors: Vec<Choice>,
    departments: Vec<crate::web::DepartmentChoice<'a>>,
    /// Reviewers and liaisons see their territory: no department filter.
    territorial: bool,
    xlsx: String,
}

/// The demand map: per municipality × capacity, open demand, people requested, seats planned
/// and completed; unmet demand by priority and age; the oldest open demands.
#[get("/reportes/demanda?<departamento>&<capacidad>&<sector>")]
async fn report_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    sector: Option<i32>,
) -> PageResult {
    let departamento = domain::parse::text(departamento.as_deref());
    // Kept per scope and filters for the versions (demands move the planning one; issue 36).
    let key = KeptKey::page("/reportes/demanda")
        .with("departamento", departamento.as_deref())
        .with("capacidad", capacidad)
        .with("sector", sector);
    page.render_kept("Mapa de la demanda", key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let query = domain::demand::reports::DemandReportQuery {
                department: departamento.clone(),
                capacity: capacidad,
                sector,
            };
            let report = domain::demand::reports::report(&db, &user, &query).await?;
            let departments = domain::territory::departments(&db).await?;
            let view = ReportView {
                report,
                capacities: capacity_choices(&db, capacidad).await?,
                sectors: crate::descriptors::pages::sector_choices(&db, sector).await?,
                departments: crate::web::DepartmentChoice::list(
                    &departments,
                    departamento.as_deref(),
                ),
                territorial: matches!(user.role, Role::Reviewer | Role::Liaison),
                xlsx: format!(
                    "/reportes/demanda.xlsx?departamento={}&capacidad={}&sector={}",
                    departamento.as_deref().unwrap_or_default(),
                    capacidad.map(|c| c.to_string()).unwrap_or_default(),
                    sector.map(|c| c.to_string()).unwrap_or_default()
                ),
            };
            drawer.content("demand_report", "Mapa de la demanda", view)
        }
    })
    .await
}

/// The demand map's workbook, from the page (a signed-in browser, not a token).
#[get("/reportes/demanda.xlsx?<departamento>&<capacidad>&<sector>")]
async fn report_download(
    db: &State<DatabaseConnection>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    sector: Option<i32>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let query = domain::demand::reports::DemandReportQuery {
        department: departamento,
        capacity: capacidad,
        sector,
    };
    super::api::demand_workbook(db.inner(), &user, query).await
}

#[derive(Serialize)]
struct OverlapView<'a> {
    pairs: Vec<PairLine>,
    count: usize,
    departments: Vec<crate::web::DepartmentChoice<'a>>,
    is_reviewer: bool,
    from: String,
    to: String,
    xlsx: String,
}

/// A pair as the report shows it: each side linked when the reader may open its page (issue
/// 45: another provider's draft, or an assistance outside a direction's departments, is named
/// only).
#[derive(Serialize)]
struct PairLine {
    #[serde(flatten)]
    pair: domain::cohorts::overlap::Pair,
    first_url: Option<String>,
    second_url: Option<String>,
}

impl PairLine {
    fn lines(
        pairs: Vec<domain::cohorts::overlap::Pair>,
        (cohorts, assistances): (BTreeSet<i32>, BTreeSet<i32>),
    ) -> Vec<PairLine> {
        use domain::cohorts::overlap::{CohortRef, OfferKind};
        let url = |side: &CohortRef| match side.kind {
            OfferKind::Cohort => cohorts
                .contains(&side.id)
                .then(|| format!("/cohortes/{}", side.id)),
            OfferKind::Assistance => assistances
                .contains(&side.id)
                .then(|| format!("/asistencias/{}", side.id)),
        };
        pairs
            .into_iter()
            .map(|pair| PairLine {
                first_url: url(&pair.first),
                second_url: url(&pair.second),
                pair,
            })
            .collect()
    }
}

/// The national overlap report: cohorts on a same capacity and place with overlapping dates.
#[get("/reportes/traslapes?<departamento>&<desde>&<hasta>")]
async fn overlaps_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: crate::accounts::guards::ReportReader,
    departamento: Option<String>,
    desde: Option<String>,
    hasta: Option<String>,
) -> PageResult {
    let text = |value: Option<String>| domain::parse::text(value.as_deref());
    let (departamento, desde, hasta) = (text(departamento), text(desde), text(hasta));
    let params = super::api::OverlapParams {
        department: departamento.clone(),
        from: desde.clone(),
        to: hasta.clone(),
    };
    // Kept per scope, filters and the versions of the figures and the planning data: pairing
    // every cohort and assistance of the scope is the cost (issue 36).
    let title = "Cohortes y asistencias técnicas que se traslapan";
    let key = KeptKey::page("/reportes/traslapes")
        .with("departamento", departamento.as_deref())
        .with("desde", desde.as_deref())
        .with("hasta", hasta.as_deref());
    page.render_kept(title, key, {
        let (db, drawer) = (db.inner().clone(), page.drawer());
        move || async move {
            let pairs = super::api::overlap_pairs(&db, &user, &params).await?;
            let opened = domain::cohorts::overlap::opened_by(&db, &user, &pairs).await?;
            let departments = domain::territory::departments(&db).await?;
            let view = OverlapView {
                count: pairs.len(),
                pairs: PairLine::lines(pairs, opened),
                departments: crate::web::DepartmentChoice::list(
                    &departments,
                    departamento.as_deref(),
                ),
                is_reviewer: user.role == Role::Reviewer,
                xlsx: format!(
                    "/reportes/traslapes.xlsx?departamento={}&desde={}&hasta={}",
                    departamento.as_deref().unwrap_or_default(),
                    desde.as_deref().unwrap_or_default(),
                    hasta.as_deref().unwrap_or_default()
                ),
                from: desde.clone().unwrap_or_default(),
                to: hasta.clone().unwrap_or_default(),
            };
            drawer.content("overlaps", title, view)
        }
    })
    .await
}

/// The overlap report's workbook, from the page.
#[get("/reportes/traslapes.xlsx?<departamento>&<desde>&<hasta>")]
async fn overlaps_download(
    db: &State<DatabaseConnection>,
    user: crate::accounts::guards::ReportReader,
    departamento: Option<String>,
    desde: Option<String>,
    hasta: Option<String>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let params = super::api::OverlapParams {
        department: departamento,
        from: desde,
        to: hasta,
    };
    super::api::overlaps_workbook(db.inner(), &user, &params).await
}

#[derive(FromForm)]
struct LiaisonForm {
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
async fn propose_liaison_submit(
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
