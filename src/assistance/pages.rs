//! Technical assistance pages (issue 33), usable on a phone in the field: the list, a new
//! assistance, its workspace (plan, milestones, visits, state, evaluation), the printable
//! closing summary, and the entity's evaluation through the emailed link.

use crate::accounts::guards::{CurrentUser, MunicipalityReader, StaffUser};
use crate::error::AppResult;
use crate::web::confirm::Confirmation;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::assistance::visits::{self, AgreementInput, AttendeeInput, ProductInput, VisitInput};
use domain::assistance::{
    self, AssistanceInput, AssistanceView, EvaluationInput, Evaluator, ListFilter, MilestoneInput,
    StatusInput,
};
use domain::entities::capacity;
use domain::entities::values::{AssistanceStatus, Role};
use domain::error::{AppError, FieldError};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
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
    objective: String,
    starts_on: String,
    ends_on: String,
    modality: String,
    entity_type: String,
    contact_email: String,
}

#[derive(Serialize)]
struct NewView {
    capacities: Vec<CapacityBox>,
    form: NewFields,
    /// The municipality's open demands the assistance may answer (issue 45: a demand referred
    /// to the coordinator's provider among them), ticked when chosen.
    demands: Vec<DemandBox>,
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
    chosen: (&[i32], &[i32]),
    errors: &[FieldError],
) -> PageResult {
    let (chosen_capacities, chosen_demands) = chosen;
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
    page.render_form(
        "assistance_new",
        "Nueva asistencia técnica",
        NewView {
            capacities,
            form,
            demands,
        },
        errors,
    )
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
    if let Some(id) = demanda {
        let wanted = domain::demand::find_in_scope(db.inner(), &staff, id).await?;
        form.municipality_code = wanted.municipality_code;
        capacities.push(wanted.capacity_id);
        demands.push(wanted.id);
    }
    new_html(db, &page, &staff, form, (&capacities, &demands), &[]).await
}

#[derive(FromForm)]
struct NewForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    municipality_code: String,
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
        entity_type: Some(form.entity_type.clone()),
        capacity_ids: Some(form.capacity_ids.clone()),
        objective: Some(form.objective.clone()),
        starts_on: Some(form.starts_on.clone()),
        ends_on: Some(form.ends_on.clone()),
        modality: Some(form.modality.clone()),
        contact_email: Some(form.contact_email.clone()),
        demand_ids: Some(form.demand_ids.clone()),
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
                (&form.capacity_ids, &form.demand_ids),
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
    let title = format!("Asistencia técnica · {}", view.municipality_name);
    let costs = crate::costs::pages::assistance_panel(db, user, id, manages).await?;
    Ok((
        title,
        WorkspaceView {
            costs,
            visits: visits::list(db, id).await?,
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
    let title = format!("Resumen de cierre · {}", view.municipality_name);
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
    result: AppResult<T>,
    done: &str,
    (form, typed): (&str, &F),
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result.map_err(|e| e.0),
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

/// Runs one write in its own transaction.
async fn write<T, F>(db: &DatabaseConnection, work: F) -> AppResult<T>
where
    F: AsyncFnOnce(&domain::db::Txn) -> domain::error::AppResult<T>,
{
    let txn = domain::db::begin(db).await?;
    let out = work(&txn).await?;
    domain::db::commit(txn).await?;
    Ok(out)
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
    let result = write(db, async |txn| {
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
    let result = write(db, async |txn| {
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
    /// One attendee per line: «Nombre — cargo».
    #[field(default = String::new())]
    attendees: String,
    /// One per line: «compromiso | responsable | AAAA-MM-DD».
    #[field(default = String::new())]
    agreements: String,
    /// One per line: «título | tipo».
    #[field(default = String::new())]
    products: String,
}
csrf_protected!(VisitForm);

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

impl VisitForm {
    fn input(&self) -> VisitInput {
        VisitInput {
            date: Some(self.date.clone()),
            modality: Some(self.modality.clone()),
            hours: self.hours.trim().replace(',', ".").parse().ok(),
            topics: Some(self.topics.clone()),
            attendees: Some(
                lines(&self.attendees)
                    .map(|l| {
                        let (name, position) =
                            l.split_once('—').or(l.split_once(" - ")).unwrap_or((l, ""));
                        AttendeeInput {
                            full_name: Some(name.trim().to_string()),
                            position: Some(position.trim().to_string()),
                            ..Default::default()
                        }
                    })
                    .collect(),
            ),
            agreements: Some(
                lines(&self.agreements)
                    .map(|l| {
                        let mut parts = l.split('|').map(str::trim);
                        AgreementInput {
                            text: parts.next().map(str::to_string),
                            owner: parts.next().map(str::to_string),
                            due_on: parts.next().map(str::to_string),
                        }
                    })
                    .collect(),
            ),
            products: Some(
                lines(&self.products)
                    .map(|l| {
                        let mut parts = l.split('|').map(str::trim);
                        ProductInput {
                            title: parts.next().map(str::to_string),
                            kind: parts.next().map(str::to_lowercase),
                        }
                    })
                    .collect(),
            ),
        }
    }
}

#[post("/asistencias/<id>/visitas", data = "<form>")]
async fn visit_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<VisitForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = form.input();
    let result = write(db, async |txn| {
        visits::record(txn, &staff, id, &input).await
    })
    .await;
    back(
        db,
        &page,
        id,
        result,
        "Visita registrada.",
        ("visita", &form),
    )
    .await
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
            view.municipality_name
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
            None => "La entidad no tiene correo de contacto: nadie recibe el enlace para \
                     evaluarla."
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
            Err(refused) => back(db, &page, id, Err::<(), _>(refused), "", (prefix, &form))
                .await
                .map(Either::Left),
        };
    }
    let result = write(db, async |txn| {
        assistance::change_status(txn, &notifier, &staff, id, &input).await
    })
    .await;
    let done = match form.status.as_str() {
        "in_progress" => "La asistencia está en curso.",
        "closed" => "Asistencia cerrada: la entidad recibe el enlace para evaluarla.",
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
    let result = write(db, async |txn| {
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
    let result = write(db.inner(), async |txn| {
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
            let errors = crate::web::form::problems(error.0)?;
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
