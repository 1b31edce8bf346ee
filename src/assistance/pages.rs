//! Technical assistance pages (issue 33), usable on a phone in the field: the list, a new
//! assistance, its workspace (plan, milestones, visits, state, evaluation), the printable
//! closing summary, and the entity's evaluation through the emailed link.

use crate::accounts::guards::{CurrentUser, MunicipalityReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Choice, Page, PageResult};
use domain::assistance::agreed::{
    self, AcceptanceInput, Acceptor, ActivityInput, DiagnosisInput, WorkPlanInput, WorkPlanView,
};
use domain::assistance::agreements::{self, AgreementItem, AgreementPatch};
use domain::assistance::visits::{self, AgreementInput, AttendeeInput, ProductInput, VisitInput};
use domain::assistance::{
    self, AssistanceInput, AssistanceView, EvaluationInput, Evaluator, ListFilter, MilestoneInput,
    StatusInput,
};
use domain::entities::capacity;
use domain::entities::values::{AssistanceStatus, AssistedEntity, Role};
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter, QueryOrder};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        list_page,
        new_page,
        create_submit,
        workspace,
        closing_summary,
        milestone_submit,
        milestone_done_submit,
        visit_submit,
        agreement_submit,
        diagnosis_submit,
        plan_submit,
        liaison_acceptance_submit,
        contact_confirmation_submit,
        link_acceptance_page,
        link_acceptance_submit,
        status_submit,
        liaison_evaluation_submit,
        link_evaluation_page,
        link_evaluation_submit,
        list_download,
        record_download
    ]
}

/// The list page's workbook (the same rows as the page).
#[get("/asistencias.xlsx?<estado>")]
async fn list_download(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    estado: Option<&str>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let filter = ListFilter {
        status: estado.and_then(AssistanceStatus::parse),
        provider: user.managed_provider(),
        ..Default::default()
    };
    super::api::list_workbook(db.inner(), &user, &filter).await
}

/// An assistance's whole record as a workbook.
#[get("/asistencias/<id>/ficha.xlsx")]
async fn record_download(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    super::api::record_workbook(db.inner(), &user, id).await
}

const PER_PAGE: u64 = 25;

#[derive(Serialize)]
struct ListView {
    rows: Vec<AssistanceView>,
    total: u64,
    may_create: bool,
    /// `AAAA-MM`, the follow-up's default month.
    this_month: String,
}

#[get("/asistencias?<estado>")]
async fn list_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    estado: Option<&str>,
) -> PageResult {
    let filter = ListFilter {
        status: estado.and_then(AssistanceStatus::parse),
        // A coordinator's list is its own provider's work; the others read their territory's.
        provider: user.managed_provider(),
        ..Default::default()
    };
    let (rows, total) = assistance::list(db.inner(), &user, &filter, 1, PER_PAGE).await?;
    page.render(
        "assistances",
        "Asistencia técnica",
        ListView {
            rows,
            total,
            may_create: user.is_staff(),
            this_month: domain::time::today().format("%Y-%m").to_string(),
        },
    )
}

#[derive(Serialize)]
struct CapacityBox {
    id: i32,
    name: String,
    checked: bool,
}

#[derive(Serialize, Default)]
struct NewFields {
    municipality_code: String,
    department_code: String,
    objective: String,
    starts_on: String,
    ends_on: String,
    modality: String,
    entity_type: String,
    contact_email: String,
}

#[derive(Serialize)]
struct NewView<'a> {
    /// The entities that may be assisted (issue 49: a gobernación, by its department).
    entities: Vec<Choice<'static>>,
    departments: Vec<Choice<'a>>,
    capacities: Vec<CapacityBox>,
    /// CONPES's sectors and population groups, ticked when chosen (issue 49).
    descriptors: crate::descriptors::pages::Checks,
    form: NewFields,
    /// The municipality's open demands the assistance may answer (issue 45: a demand referred
    /// to the coordinator's provider among them), ticked when chosen.
    demands: Vec<DemandBox>,
    /// The providers it may be delivered together with (issue 49), ticked when chosen.
    co_providers: Vec<crate::web::OwnedChoice>,
}

#[derive(Serialize)]
struct DemandBox {
    id: i32,
    label: String,
    checked: bool,
}

/// The open demands of `municipality_code` in the caller's scope (none until a municipality is
/// typed), oldest first; `chosen` ticked.
async fn demand_boxes(
    db: &DatabaseConnection,
    user: &CurrentUser,
    municipality_code: &str,
    chosen: &[i32],
) -> crate::error::DomainResult<Vec<DemandBox>> {
    let code = domain::territory::normalize_municipality_code(municipality_code);
    if code.is_empty() {
        return Ok(Vec::new());
    }
    let filter = domain::demand::DemandFilter {
        municipality: Some(code),
        status: Some(domain::entities::values::DemandStatus::Open),
        ..Default::default()
    };
    let (mut rows, _) = domain::demand::list(db, user, &filter, 1, 50).await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|d| DemandBox {
            checked: chosen.contains(&d.id),
            label: format!(
                "{} · {} · {}{}",
                d.topic,
                d.capacity_name,
                domain::format::plural(d.people_estimate.into(), "persona", "personas"),
                match d.referrals.is_empty() {
                    true => String::new(),
                    false => format!(
                        " · remitida a {}",
                        d.referrals
                            .iter()
                            .map(|r| domain::providers::short_name(&r.provider.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            ),
            id: d.id,
        })
        .collect())
}

/// The new-assistance page: as it opens (no `errors`) or refused, the values as typed.
async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    form: NewFields,
    chosen: (&[i32], &[i32], &[i32]),
    tags: (&[i32], &[i32]),
    errors: &[FieldError],
) -> PageResult {
    let (chosen_capacities, chosen_demands, chosen_co_providers) = chosen;
    let descriptors = crate::descriptors::pages::Checks::of(db, tags.0, tags.1).await?;
    let capacities = capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CapacityBox {
            checked: chosen_capacities.contains(&c.id),
            id: c.id,
            name: c.name,
        })
        .collect();
    let demands = demand_boxes(db, user, &form.municipality_code, chosen_demands).await?;
    let entities = entity_choices(&form.entity_type);
    let all_departments = domain::territory::departments(db).await?;
    let departments = all_departments
        .iter()
        .map(|d| Choice {
            value: &d.code,
            label: &d.name,
            selected: d.code == form.department_code,
        })
        .collect();
    // The lead is the coordinator's provider (an admin's: ESAP, as `assistance::create`).
    let lead = user.managed_provider().unwrap_or(domain::providers::ESAP);
    let co_providers =
        crate::web::OwnedChoice::co_providers(db, Some(lead), chosen_co_providers).await?;
    page.render_form(
        "assistance_new",
        "Nueva asistencia técnica",
        NewView {
            entities,
            departments,
            capacities,
            descriptors,
            form,
            demands,
            co_providers,
        },
        errors,
    )
}

/// The entities an assistance accompanies or a demand is raised for (issue 49), in Spanish;
/// `typed` chosen (empty: the alcaldía).
pub(crate) fn entity_choices(typed: &str) -> Vec<Choice<'static>> {
    let chosen = match typed {
        "" => AssistedEntity::Alcaldia.as_str(),
        typed => typed,
    };
    AssistedEntity::iter()
        .map(|e| Choice {
            value: e.as_str(),
            label: e.label(),
            selected: e.as_str() == chosen,
        })
        .collect()
}

/// The new-assistance form; `?demanda=<id>` (from the demand's page, «Atender esta demanda»)
/// fills in its municipality and capacity and ticks it.
#[get("/asistencias/nueva?<demanda>")]
async fn new_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    demanda: Option<i32>,
) -> PageResult {
    let mut form = NewFields::default();
    let (mut capacities, mut demands) = (Vec::new(), Vec::new());
    let mut tags = domain::descriptors::Tags::default();
    if let Some(id) = demanda {
        let wanted = domain::demand::find_in_scope(db.inner(), &staff, id).await?;
        tags = domain::descriptors::of_one(
            db.inner(),
            domain::entities::values::DescriptorSubject::Demand,
            wanted.id,
        )
        .await?;
        form.entity_type = wanted.entity_type.as_str().to_string();
        form.municipality_code = wanted.municipality_code.unwrap_or_default();
        if wanted.entity_type.is_departmental() {
            form.department_code = wanted.department_code;
        }
        capacities.push(wanted.capacity_id);
        demands.push(wanted.id);
    }
    let sectors = crate::descriptors::pages::ids(&tags.sectors);
    let groups = crate::descriptors::pages::ids(&tags.population_groups);
    new_html(
        db,
        &page,
        &staff,
        form,
        (&capacities, &demands, &[]),
        (&sectors, &groups),
        &[],
    )
    .await
}

#[derive(FromForm)]
struct NewForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    municipality_code: String,
    /// A gobernación's department (issue 49).
    #[field(default = String::new())]
    department_code: String,
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = Vec::new())]
    capacity_ids: Vec<i32>,
    #[field(default = String::new())]
    objective: String,
    #[field(default = String::new())]
    starts_on: String,
    #[field(default = String::new())]
    ends_on: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    contact_email: String,
    /// The demands it answers (issue 45).
    #[field(default = Vec::new())]
    demand_ids: Vec<i32>,
    #[field(default = Vec::new())]
    sector_ids: Vec<i32>,
    #[field(default = Vec::new())]
    population_group_ids: Vec<i32>,
    /// The providers it is delivered together with (issue 49).
    #[field(default = Vec::new())]
    co_provider_ids: Vec<i32>,
}
csrf_protected!(NewForm);

#[post("/asistencias", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    form: CsrfForm<NewForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = AssistanceInput {
        municipality_code: Some(form.municipality_code.clone()),
        department_code: Some(form.department_code.clone()),
        entity_type: Some(form.entity_type.clone()),
        capacity_ids: Some(form.capacity_ids.clone()),
        objective: Some(form.objective.clone()),
        starts_on: Some(form.starts_on.clone()),
        ends_on: Some(form.ends_on.clone()),
        modality: Some(form.modality.clone()),
        contact_email: Some(form.contact_email.clone()),
        demand_ids: Some(form.demand_ids.clone()),
        sector_ids: Some(form.sector_ids.clone()),
        population_group_ids: Some(form.population_group_ids.clone()),
        co_provider_ids: Some(form.co_provider_ids.clone()),
        ..Default::default()
    };
    let txn = domain::db::begin(db).await?;
    let result = match assistance::create(&txn, &notifier, &staff, &input).await {
        Ok(view) => {
            domain::db::commit(txn).await?;
            Ok(view)
        }
        Err(error) => Err(error),
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/asistencias/{}", view.id)),
                "Asistencia técnica creada: agregue sus hitos y registre las visitas.",
            )
        },
        async |errors| {
            let again = NewFields {
                municipality_code: form.municipality_code,
                department_code: form.department_code,
                objective: form.objective,
                starts_on: form.starts_on,
                ends_on: form.ends_on,
                modality: form.modality,
                entity_type: form.entity_type,
                contact_email: form.contact_email,
            };
            new_html(
                db,
                &page,
                &staff,
                again,
                (&form.capacity_ids, &form.demand_ids, &form.co_provider_ids),
                (&form.sector_ids, &form.population_group_ids),
                &errors,
            )
            .await
        },
    )
    .await
}

#[derive(Serialize)]
struct WorkspaceView {
    assistance: AssistanceView,
    visits: Vec<visits::VisitView>,
    manages: bool,
    /// Opened by a coordinator of another provider (issue 45): whose it is, read-only.
    managed_by: Option<String>,
    /// The municipality's liaison may give the entity's evaluation.
    may_evaluate: bool,
    open: bool,
    planned: bool,
    in_progress: bool,
    closed: bool,
    /// Its cost items, for those who read them (issue 47).
    costs: Option<crate::costs::pages::CostsPanel>,
    /// Every agreement of its visits with its state (issue 49), and how many in each.
    agreements: Vec<AgreementItem>,
    agreement_counts: AgreementCounts,
    /// The visit form's row groups (empty ones, or as typed when refused).
    visit_rows: VisitRows,
    /// The work plan form's row groups (issue 49): the current plan's, or as typed.
    plan_rows: PlanRows,
    /// The municipality's liaison or the department's reviewer may accept the plan's current
    /// version for the entity.
    may_accept: bool,
    /// They may confirm the entity's contact (issue 62): it has one, not yet confirmed.
    may_confirm_contact: bool,
    /// A version waits and no link went out: the contact is missing or not confirmed.
    link_withheld: bool,
    /// «Productos y materiales en el banco» (issue 48): its resources the reader sees, the
    /// products handed over that are not in the bank yet (for who manages it) and the link to
    /// add a material.
    resources: Vec<domain::knowledge::ResourceView>,
    unbanked: Vec<visits::ProductView>,
    bank_add: Option<String>,
}

/// How many agreements of an assistance are in each state.
#[derive(Serialize, Default)]
struct AgreementCounts {
    total: usize,
    pending: usize,
    overdue: usize,
    done: usize,
    dropped: usize,
}

impl AgreementCounts {
    fn of(items: &[AgreementItem]) -> Self {
        use domain::entities::values::AgreementStatus;
        let count = |s: AgreementStatus| items.iter().filter(|a| a.agreement.status == s).count();
        AgreementCounts {
            total: items.len(),
            pending: count(AgreementStatus::Pending),
            overdue: items.iter().filter(|a| a.agreement.overdue).count(),
            done: count(AgreementStatus::Done),
            dropped: count(AgreementStatus::Dropped),
        }
    }
}

#[get("/asistencias/<id>")]
async fn workspace(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
) -> PageResult {
    let (title, view) = workspace_view(db.inner(), &user, id).await?;
    page.render("assistance", &title, view)
}

/// The workspace of assistance `id` as `user` sees it, and its title.
async fn workspace_view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: i32,
) -> AppResult<(String, WorkspaceView)> {
    assistance::find_visible(db, user, id).await?;
    let view = assistance::view(db, id).await?;
    let manages = match assistance::find_managed(db, user, id).await {
        Ok(_) => true,
        Err(AppError::NotFound | AppError::Forbidden) => false,
        Err(other) => return Err(other.into()),
    };
    let title = format!("Asistencia técnica · {}", view.place_name);
    // Issue 62: who of the territory accepts for the entity and confirms its contact.
    let territory = matches!(user.role, Role::Liaison | Role::Reviewer);
    let costs = crate::costs::pages::assistance_panel(db, user, id, manages).await?;
    let agreements = agreements::of_assistance(db, user, id).await?;
    let visit_list = visits::list(db, id).await?;
    let resources = domain::knowledge::of_origin(db, user, Some(id), None).await?;
    let banked: std::collections::BTreeSet<i32> =
        domain::knowledge::banked_products(db, id).await?;
    let unbanked = if manages {
        visit_list
            .iter()
            .flat_map(|v| v.products.iter())
            .filter(|p| !banked.contains(&p.id))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Ok((
        title,
        WorkspaceView {
            resources,
            unbanked,
            bank_add: manages.then(|| format!("/conocimiento/nuevo?asistencia={id}")),
            costs,
            agreement_counts: AgreementCounts::of(&agreements),
            agreements,
            visit_rows: VisitRows::empty(),
            plan_rows: PlanRows::of_plan(view.work_plan.as_ref()),
            may_accept: territory
                && !view.status.is_final()
                && view
                    .work_plan
                    .as_ref()
                    .is_some_and(|p| p.acceptance.is_none()),
            may_confirm_contact: territory
                && !view.status.is_final()
                && view.contact_email.is_some()
                && !view.contact_confirmed,
            link_withheld: !view.status.is_final()
                && !view.contact_confirmed
                && view
                    .work_plan
                    .as_ref()
                    .is_some_and(|p| p.acceptance.is_none()),
            visits: visit_list,
            manages,
            managed_by: (user.is_staff() && !manages).then(|| view.provider.name.clone()),
            may_evaluate: user.role == Role::Liaison
                && view.status == AssistanceStatus::Closed
                && view.evaluation.is_none(),
            open: !view.status.is_final(),
            planned: view.status == AssistanceStatus::Planned,
            in_progress: view.status == AssistanceStatus::InProgress,
            closed: view.status == AssistanceStatus::Closed,
            assistance: view,
        },
    ))
}

/// The closing summary the entity prints.
#[get("/asistencias/<id>/cierre")]
async fn closing_summary(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
) -> PageResult {
    assistance::find_visible(db.inner(), &user, id).await?;
    let view = assistance::view(db.inner(), id).await?;
    if view.status != AssistanceStatus::Closed {
        return Err(AppError::Conflict(
            "El resumen de cierre existe cuando la asistencia se cierra.".into(),
        )
        .into());
    }
    let title = format!("Resumen de cierre · {}", view.place_name);
    let agreements = agreements::of_assistance(db.inner(), &user, id).await?;
    page.render(
        "assistance_summary",
        &title,
        WorkspaceView {
            visits: visits::list(db.inner(), id).await?,
            manages: false,
            managed_by: None,
            may_evaluate: false,
            open: false,
            planned: false,
            in_progress: false,
            closed: true,
            costs: None,
            agreement_counts: AgreementCounts::of(&agreements),
            agreements,
            visit_rows: VisitRows::empty(),
            plan_rows: PlanRows::of_plan(None),
            may_accept: false,
            may_confirm_contact: false,
            link_withheld: false,
            resources: domain::knowledge::of_origin(db.inner(), &user, Some(id), None).await?,
            unbanked: Vec::new(),
            bank_add: None,
            assistance: view,
        },
    )
}

/// Back to the workspace with what happened: the success message; or, refused, the workspace
/// again with the form (its fields under `form`: `visita`, `hito`…) as typed and each problem
/// beside its field.
pub(crate) async fn back<T, F: Serialize>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    result: domain::error::AppResult<T>,
    done: &str,
    (form, typed): (&str, &F),
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |_| Flash::success(Redirect::to(format!("/asistencias/{id}")), done.to_string()),
        async |errors| {
            let user = page.require_user()?;
            let (title, view) = workspace_view(db, user, id).await?;
            let errors = crate::web::form::scoped(form, errors);
            page.render_refused_typed("assistance", &title, view, &errors, form, typed)
        },
    )
    .await
}

#[derive(FromForm, Serialize)]
struct MilestoneForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    due_on: String,
}
csrf_protected!(MilestoneForm);

#[post("/asistencias/<id>/hitos", data = "<form>")]
async fn milestone_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<MilestoneForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = MilestoneInput {
        title: Some(form.title.clone()),
        due_on: Some(form.due_on.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        assistance::add_milestone(txn, &staff, id, &input).await
    })
    .await;
    back(db, &page, id, result, "Hito agregado.", ("hito", &form)).await
}

#[derive(FromForm, Serialize)]
struct DoneForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    done_on: String,
    #[field(default = 0)]
    assistance_id: i32,
}
csrf_protected!(DoneForm);

#[post("/hitos/<milestone>", data = "<form>")]
async fn milestone_done_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    milestone: i32,
    form: CsrfForm<DoneForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let done = Some(form.done_on.trim()).filter(|d| !d.is_empty());
    let result = domain::db::write(db, async |txn| {
        assistance::mark_milestone(txn, &staff, milestone, Some(done)).await
    })
    .await;
    let prefix = format!("hito-{milestone}");
    back(
        db,
        &page,
        form.assistance_id,
        result,
        "Hito actualizado.",
        (&prefix, &form),
    )
    .await
}

/// An attendee's row of the visit form: a name and position, or a registered participant's
/// number.
#[derive(FromForm, Serialize, Clone, Default)]
struct AttendeeRow {
    #[field(default = String::new())]
    full_name: String,
    #[field(default = String::new())]
    position: String,
    #[field(default = String::new())]
    participant_id: String,
}

/// An agreement's row of the visit form.
#[derive(FromForm, Serialize, Clone, Default)]
struct AgreementRow {
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    owner: String,
    #[field(default = String::new())]
    due_on: String,
}

/// A product's row of the visit form.
#[derive(FromForm, Serialize, Clone, Default)]
struct ProductRow {
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    kind: String,
}

/// The visit form: its fields, and its lists as groups of rows (issue 49: no lines to type
/// with separators). «Agregar otra fila» (`more` = `attendees`, `agreements` or `products`)
/// sends the form to draw it again as typed with one more row in that list; nothing is saved.
#[derive(FromForm, Serialize)]
struct VisitForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    date: String,
    #[field(default = String::new())]
    modality: String,
    #[field(default = String::new())]
    hours: String,
    #[field(default = String::new())]
    topics: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    attendees: Vec<AttendeeRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    agreements: Vec<AgreementRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    products: Vec<ProductRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(VisitForm);

/// Empty row groups of a new visit form: attendees, agreements, products.
const VISIT_ROWS: (usize, usize, usize) = (3, 2, 1);

/// At most this many row groups of one list on the page (the API takes more).
const VISIT_ROWS_MAX: usize = 60;

/// A row group as the template draws it: its index in the form (`i`, for the field names and
/// their problems), its number for people (`n`) and what it holds.
#[derive(Serialize)]
pub(crate) struct Numbered<T> {
    i: usize,
    n: usize,
    #[serde(flatten)]
    row: T,
}

/// The visit form's row groups as drawn: empty ones for a new visit, or those typed.
#[derive(Serialize)]
struct VisitRows {
    attendees: Vec<Numbered<AttendeeRow>>,
    agreements: Vec<Numbered<AgreementRow>>,
    products: Vec<Numbered<ProductRow>>,
}

pub(crate) fn numbered<T: Clone + Default>(
    rows: &[T],
    at_least: usize,
    extra: bool,
) -> Vec<Numbered<T>> {
    let mut rows = rows.to_vec();
    rows.truncate(VISIT_ROWS_MAX);
    let wanted = if extra {
        (rows.len() + 1).min(VISIT_ROWS_MAX)
    } else {
        rows.len().max(at_least)
    };
    rows.resize(wanted.max(rows.len()), T::default());
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| Numbered { i, n: i + 1, row })
        .collect()
}

impl VisitRows {
    fn empty() -> Self {
        VisitRows::of(&[], &[], &[], "")
    }

    fn of(
        attendees: &[AttendeeRow],
        agreements: &[AgreementRow],
        products: &[ProductRow],
        more: &str,
    ) -> Self {
        VisitRows {
            attendees: numbered(attendees, VISIT_ROWS.0, more == "attendees"),
            agreements: numbered(agreements, VISIT_ROWS.1, more == "agreements"),
            products: numbered(products, VISIT_ROWS.2, more == "products"),
        }
    }
}

/// The form indexes of rows picked by [`filled`].
pub(crate) fn index<T>(rows: &[(usize, &T)]) -> Vec<usize> {
    rows.iter().map(|(i, _)| *i).collect()
}

/// The rows of `rows` that hold something, with their index in the form.
pub(crate) fn filled<T>(rows: &[T], blank: impl Fn(&T) -> bool) -> Vec<(usize, &T)> {
    rows.iter().enumerate().filter(|(_, r)| !blank(r)).collect()
}

impl VisitForm {
    fn rows(&self) -> VisitRows {
        VisitRows::of(
            &self.attendees,
            &self.agreements,
            &self.products,
            &self.more,
        )
    }

    /// The input, and for each list the form index of each row sent (blank rows are left
    /// out), to put the domain's problems (`agreements[1]`) beside their row group.
    fn input(&self) -> (VisitInput, [Vec<usize>; 3]) {
        let attendees = filled(&self.attendees, |a| {
            a.full_name.trim().is_empty()
                && a.position.trim().is_empty()
                && a.participant_id.trim().is_empty()
        });
        let agreements = filled(&self.agreements, |a| {
            a.text.trim().is_empty() && a.owner.trim().is_empty() && a.due_on.trim().is_empty()
        });
        let products = filled(&self.products, |p| p.title.trim().is_empty());
        let input = VisitInput {
            date: Some(self.date.clone()),
            modality: Some(self.modality.clone()),
            hours: self.hours.trim().replace(',', ".").parse().ok(),
            topics: Some(self.topics.clone()),
            attendees: Some(
                attendees
                    .iter()
                    .map(|(_, a)| AttendeeInput {
                        // A number that is not one names nobody: refused as any unknown one.
                        participant_id: match a.participant_id.trim() {
                            "" => None,
                            text => Some(text.parse().unwrap_or(0)),
                        },
                        full_name: Some(a.full_name.trim().to_string()),
                        position: Some(a.position.trim().to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            agreements: Some(
                agreements
                    .iter()
                    .map(|(_, a)| AgreementInput {
                        text: Some(a.text.clone()),
                        owner: Some(a.owner.clone()),
                        due_on: Some(a.due_on.clone()),
                    })
                    .collect(),
            ),
            products: Some(
                products
                    .iter()
                    .map(|(_, p)| ProductInput {
                        title: Some(p.title.clone()),
                        kind: Some(p.kind.clone()),
                    })
                    .collect(),
            ),
        };
        (
            input,
            [index(&attendees), index(&agreements), index(&products)],
        )
    }
}

/// A problem of the domain's `agreements[1].due_on` as the page names it: `agreements-3`, the
/// row group that held the second agreement sent (the form's fourth, when one was left blank).
/// `sent`: each list's name and the form index of each row sent.
pub(crate) fn row_problem(mut error: FieldError, sent: &[(&str, &[usize])]) -> FieldError {
    for (list, rows) in sent {
        let Some(rest) = error.field.strip_prefix(&format!("{list}[")) else {
            continue;
        };
        let n: Option<usize> = rest.split(']').next().and_then(|n| n.parse().ok());
        if let Some(i) = n.and_then(|n| rows.get(n)) {
            error.field = format!("{list}-{i}");
        }
    }
    error
}

#[post("/asistencias/<id>/visitas", data = "<form>")]
async fn visit_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<VisitForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    // «Agregar otra fila»: the form again as typed, with one more row; nothing is saved.
    if !form.more.is_empty() {
        let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
        view.visit_rows = form.rows();
        return page
            .render_refused_typed("assistance", &title, view, &[], "visita", &form)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        visits::record(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/asistencias/{id}")),
                "Visita registrada.",
            )
        },
        async |errors| {
            let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
            view.visit_rows = form.rows();
            let lists = [
                ("attendees", &sent[0][..]),
                ("agreements", &sent[1][..]),
                ("products", &sent[2][..]),
            ];
            let errors: Vec<FieldError> =
                errors.into_iter().map(|e| row_problem(e, &lists)).collect();
            let errors = crate::web::form::scoped("visita", errors);
            page.render_refused_typed("assistance", &title, view, &errors, "visita", &form)
        },
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm, Serialize)]
struct AgreementForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    done_on: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = String::new())]
    reason: String,
}
csrf_protected!(AgreementForm);

/// An agreement marked done, dropped or pending again from its assistance's page.
#[post("/compromisos/<agreement>", data = "<form>")]
async fn agreement_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    agreement: i32,
    form: CsrfForm<AgreementForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    // The page to come back to is the agreement's assistance's, whatever the form says.
    let assistance_id = agreements::assistance_of(db.inner(), &staff, agreement).await?;
    let input = AgreementPatch {
        status: Some(form.status.clone()),
        done_on: Some(form.done_on.clone()),
        note: Some(form.note.clone()),
        reason: Some(form.reason.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        agreements::change_status(txn, &staff, agreement, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "done" => "Compromiso marcado como cumplido.",
        "dropped" => "Compromiso descartado.",
        _ => "El compromiso vuelve a estar pendiente.",
    };
    let prefix = format!("compromiso-{agreement}");
    back(db, &page, assistance_id, result, done, (&prefix, &form)).await
}

#[derive(FromForm, Serialize)]
struct StatusForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    reason: String,
    objective_reached: Option<String>,
    #[field(default = String::new())]
    summary: String,
    /// Sent by the confirmation page: closing and cancelling act only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(StatusForm);

/// What closing or cancelling will do, said before (issue 45), with what was typed carried
/// to the confirmation's form. The rules are checked first: a change they refuse answers as
/// any refused change does.
async fn status_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    id: i32,
    form: &StatusForm,
    input: &StatusInput,
) -> AppResult<PageResult> {
    let facts = assistance::status_change_facts(db, staff, id, input).await?;
    let view = assistance::view(db, id).await?;
    let closing = facts.to == AssistanceStatus::Closed;
    let mut confirmation = Confirmation::new(
        format!(
            "¿{} la asistencia a {} de {}?",
            if closing { "Cerrar" } else { "Cancelar" },
            view.entity_label,
            view.place_name
        ),
        format!("/asistencias/{id}/estado"),
        if closing {
            "Sí, cerrar la asistencia"
        } else {
            "Sí, cancelar la asistencia"
        },
        format!("/asistencias/{id}"),
    )
    .hidden("status", facts.to.as_str());
    if closing {
        confirmation = confirmation
            .hidden(
                "objective_reached",
                form.objective_reached.clone().unwrap_or_default(),
            )
            .hidden("summary", form.summary.clone())
            .fact(format!(
                "Queda cerrada con el objetivo {} y este resumen: «{}».",
                if input.objective_reached == Some(true) {
                    "alcanzado"
                } else {
                    "no alcanzado"
                },
                form.summary.trim()
            ));
    } else {
        confirmation = confirmation.reason("Motivo de la cancelación", true, &form.reason);
    }
    confirmation = confirmation.fact(match facts.visits {
        0 => "No se registran más visitas ni hitos.".to_string(),
        1 => "Su visita queda en el historial; no se registran más visitas ni hitos.".to_string(),
        n => {
            format!("Sus {n} visitas quedan en el historial; no se registran más visitas ni hitos.")
        }
    });
    let met = facts.demands_become == domain::entities::values::DemandStatus::Met;
    confirmation = confirmation.fact(match (facts.demands, met) {
        (0, _) => "No atiende demandas registradas.".to_string(),
        (1, true) => {
            "La demanda que atiende queda atendida (se avisa a quien la registró).".to_string()
        }
        (1, false) => "La demanda que atiende vuelve a quedar abierta.".to_string(),
        (n, true) => format!(
            "Las {n} demandas que atiende quedan atendidas (se avisa a quienes las registraron)."
        ),
        (n, false) => format!("Las {n} demandas que atiende vuelven a quedar abiertas."),
    });
    if closing {
        confirmation = confirmation.fact(match &facts.evaluation_to {
            Some(email) => format!("La entidad recibe en {email} el enlace para evaluarla."),
            None => "La entidad no tiene un correo de contacto confirmado por su territorio: \
                     nadie recibe el enlace para evaluarla; la evalúa su enlace municipal al \
                     ingresar."
                .to_string(),
        });
    }
    Ok(confirmation.fact("No se puede deshacer.").render(
        page,
        if closing {
            "Cerrar la asistencia"
        } else {
            "Cancelar la asistencia"
        },
    ))
}

#[post("/asistencias/<id>/estado", data = "<form>")]
async fn status_submit(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<StatusForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    let input = StatusInput {
        status: Some(form.status.clone()),
        reason: Some(form.reason.clone()),
        objective_reached: match form.objective_reached.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        summary: Some(form.summary.clone()),
    };
    let final_state = matches!(
        AssistanceStatus::parse(form.status.trim()),
        Some(AssistanceStatus::Closed | AssistanceStatus::Cancelled)
    );
    // Closing and cancelling have a form each: the problems go beside the one sent.
    let prefix = match form.status.as_str() {
        "closed" => "cierre",
        "cancelled" => "cancelacion",
        _ => "estado",
    };
    if final_state && !form.confirmed {
        return match status_confirmation(db, &page, &staff, id, &form, &input).await {
            Ok(rendered) => rendered.map(Either::Right),
            Err(refused) => back(db, &page, id, Err::<(), _>(refused.0), "", (prefix, &form))
                .await
                .map(Either::Left),
        };
    }
    let result = domain::db::write(db, async |txn| {
        assistance::change_status(txn, &notifier, &staff, id, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "in_progress" => "La asistencia está en curso.",
        "closed" => "Asistencia cerrada.",
        _ => "Asistencia cancelada.",
    };
    back(db, &page, id, result, done, (prefix, &form))
        .await
        .map(Either::Left)
}

#[derive(FromForm, Serialize)]
struct EvaluationForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = 0)]
    usefulness: i64,
    #[field(default = String::new())]
    comment: String,
}
csrf_protected!(EvaluationForm);

impl EvaluationForm {
    fn input(&self) -> EvaluationInput {
        EvaluationInput {
            usefulness: Some(self.usefulness),
            comment: Some(self.comment.clone()),
        }
    }
}

#[post("/asistencias/<id>/evaluacion", data = "<form>")]
async fn liaison_evaluation_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<EvaluationForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db, async |txn| {
        assistance::evaluate(txn, Evaluator::Liaison(&user, id), &input).await
    })
    .await;
    back(
        db,
        &page,
        id,
        result,
        "Gracias: la evaluación de la entidad quedó registrada.",
        ("evaluacion", &form),
    )
    .await
}

#[derive(Serialize)]
struct LinkView {
    assistance: AssistanceView,
    token: String,
    done: bool,
}

/// The evaluation form the entity's contact reaches from the email (no account needed).
#[get("/evaluar-asistencia/<token>")]
async fn link_evaluation_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
) -> PageResult {
    let view = assistance::by_evaluation_link(db.inner(), token).await?;
    page.render(
        "assistance_evaluation",
        "Evalúe la asistencia técnica",
        LinkView {
            done: view.evaluation.is_some(),
            assistance: view,
            token: token.to_string(),
        },
    )
}

#[post("/evaluar-asistencia/<token>", data = "<form>")]
async fn link_evaluation_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    token: &str,
    form: CsrfForm<EvaluationForm>,
) -> PageResult {
    let form = form.0;
    let input = form.input();
    let result = domain::db::write(db.inner(), async |txn| {
        assistance::evaluate(txn, Evaluator::Link(token), &input).await
    })
    .await;
    match result {
        Ok(view) => page.render(
            "assistance_evaluation",
            "Evalúe la asistencia técnica",
            LinkView {
                done: true,
                assistance: view,
                token: String::new(),
            },
        ),
        Err(error) => {
            let errors = crate::web::form::problems(error)?;
            let view = assistance::by_evaluation_link(db.inner(), token).await?;
            Err(crate::web::Failure::form_again(page.render_refused_typed(
                "assistance_evaluation",
                "Evalúe la asistencia técnica",
                LinkView {
                    assistance: view,
                    token: token.to_string(),
                    done: false,
                },
                &errors,
                "",
                &form,
            )))
        }
    }
}

#[derive(FromForm, Serialize)]
struct DiagnosisForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    findings: String,
    #[field(default = String::new())]
    evidence: String,
}
csrf_protected!(DiagnosisForm);

/// The diagnosis recorded (or replaced) from the assistance's page.
#[post("/asistencias/<id>/diagnostico", data = "<form>")]
async fn diagnosis_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<DiagnosisForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = DiagnosisInput {
        findings: Some(form.findings.clone()),
        evidence: Some(form.evidence.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        agreed::record_diagnosis(txn, &staff, id, &input).await
    })
    .await;
    back(
        db,
        &page,
        id,
        result,
        "Diagnóstico registrado.",
        ("diagnostico", &form),
    )
    .await
}

/// An activity's row of the work plan form.
#[derive(FromForm, Serialize, Clone, Default)]
struct ActivityRow {
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    due_on: String,
}

/// A product expected's row of the work plan form.
#[derive(FromForm, Serialize, Clone, Default)]
struct ExpectedRow {
    #[field(default = String::new())]
    title: String,
}

/// Empty row groups of a first work plan: activities, products expected.
const PLAN_ROWS: (usize, usize) = (3, 1);

/// The work plan form's row groups as drawn.
#[derive(Serialize)]
struct PlanRows {
    activities: Vec<Numbered<ActivityRow>>,
    products: Vec<Numbered<ExpectedRow>>,
}

impl PlanRows {
    /// The rows of the plan's current version (the form changes it), or empty ones.
    fn of_plan(plan: Option<&WorkPlanView>) -> Self {
        let activities: Vec<ActivityRow> = plan
            .map(|p| {
                p.activities
                    .iter()
                    .map(|a| ActivityRow {
                        text: a.text.clone(),
                        due_on: a.due_on.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let products: Vec<ExpectedRow> = plan
            .map(|p| {
                p.products_expected
                    .iter()
                    .map(|t| ExpectedRow { title: t.clone() })
                    .collect()
            })
            .unwrap_or_default();
        PlanRows::of(&activities, &products, "")
    }

    fn of(activities: &[ActivityRow], products: &[ExpectedRow], more: &str) -> Self {
        PlanRows {
            activities: numbered(activities, PLAN_ROWS.0, more == "activities"),
            products: numbered(products, PLAN_ROWS.1, more == "products"),
        }
    }
}

/// The work plan form: activities and products expected as row groups; «Agregar otra fila»
/// (`more` = `activities` or `products`) draws it again as typed with one more row, saving
/// nothing.
#[derive(FromForm, Serialize)]
struct PlanForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = Vec::new())]
    #[serde(skip)]
    activities: Vec<ActivityRow>,
    #[field(default = Vec::new())]
    #[serde(skip)]
    products: Vec<ExpectedRow>,
    #[field(default = String::new())]
    #[serde(skip)]
    more: String,
}
csrf_protected!(PlanForm);

impl PlanForm {
    fn rows(&self) -> PlanRows {
        PlanRows::of(&self.activities, &self.products, &self.more)
    }

    /// The input, and for each list the form index of each row sent (blank rows left out).
    fn input(&self) -> (WorkPlanInput, [Vec<usize>; 2]) {
        let activities = filled(&self.activities, |a| {
            a.text.trim().is_empty() && a.due_on.trim().is_empty()
        });
        let products = filled(&self.products, |p| p.title.trim().is_empty());
        let input = WorkPlanInput {
            activities: Some(
                activities
                    .iter()
                    .map(|(_, a)| ActivityInput {
                        text: Some(a.text.clone()),
                        due_on: Some(a.due_on.clone()),
                    })
                    .collect(),
            ),
            products_expected: Some(products.iter().map(|(_, p)| p.title.clone()).collect()),
        };
        (input, [index(&activities), index(&products)])
    }
}

/// The work plan written from the assistance's page.
#[post("/asistencias/<id>/plan-de-trabajo", data = "<form>")]
async fn plan_submit(
    db: &State<DatabaseConnection>,
    notifier: crate::mail::Mailer<'_>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<PlanForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.more.is_empty() {
        let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
        view.plan_rows = form.rows();
        return page
            .render_refused_typed("assistance", &title, view, &[], "plan", &form)
            .map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = domain::db::write(db, async |txn| {
        agreed::write_plan(txn, &notifier, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |plan| {
            Flash::success(
                Redirect::to(format!("/asistencias/{id}#plan-de-trabajo")),
                match plan.acceptance {
                    Some(_) => format!("El plan de trabajo (versión {}) sigue aceptado.", plan.version),
                    None => format!(
                        "Plan de trabajo guardado (versión {}): espera la aceptación de la entidad.",
                        plan.version
                    ),
                },
            )
        },
        async |errors| {
            let (title, mut view) = workspace_view(db.inner(), &staff, id).await?;
            view.plan_rows = form.rows();
            let lists = [("activities", &sent[0][..]), ("products_expected", &sent[1][..])];
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| row_problem(e, &lists))
                .map(|mut e| {
                    if let Some(rest) = e.field.strip_prefix("products_expected") {
                        e.field = format!("products{rest}");
                    }
                    e
                })
                .collect();
            let errors = crate::web::form::scoped("plan", errors);
            page.render_refused_typed("assistance", &title, view, &errors, "plan", &form)
        },
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm, Serialize)]
struct AcceptanceForm {
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
fn hidden_as_form<T>(result: Result<T, AppError>) -> Result<T, AppError> {
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
struct ContactConfirmationForm {
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
async fn contact_confirmation_submit(
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
async fn liaison_acceptance_submit(
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
struct AcceptanceLinkView {
    assistance: AssistanceView,
    token: String,
    /// The link's version is the current one and waits for acceptance.
    waiting: bool,
    /// Why the link no longer accepts (issue 62), answered 410.
    void: Option<&'static str>,
    /// Accepted just now.
    done: bool,
}

const ACCEPTANCE_TITLE: &str = "Plan de trabajo de la asistencia técnica";

/// The page of a link: 410 when it was voided (the plan or the contact changed after it was
/// sent), with why.
fn link_page(page: &Page<'_>, view: AcceptanceLinkView) -> PageResult {
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
async fn link_acceptance_page(
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
async fn link_acceptance_submit(
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
