//! `/api/v1/assistances`, `/api/v1/milestones`: technical assistance. A provider's
//! coordinators write their provider's; reading is scoped like the reports (MunicipalityReader:
//! staff, gobernaciones for their department, liaisons for their municipality).

use crate::accounts::guards::{MunicipalityReader, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::mail::Mailer;
use crate::openapi::responses::{Conflict, Forbidden, Gone, NotFound, ValidationFailed};
use domain::assistance::agreed::{
    self, AcceptanceInput, Acceptor, ContactConfirmationInput, DiagnosisInput, DiagnosisView,
    WorkPlanInput, WorkPlanView,
};
use domain::assistance::agreements::{
    self, AgreementItem, AgreementPatch, AgreementView, PlacedAgreement,
};
use domain::assistance::visits::{self, VisitInput, VisitView};
use domain::assistance::{
    self, AssistanceInput, AssistanceView, EvaluationInput, Evaluator, ListFilter, MilestoneInput,
    MilestoneView, StatusInput,
};
use domain::entities::values::{AgreementStatus, AssistanceStatus};
use domain::error::AppError;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, put, routes};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        update,
        change_status,
        add_milestone,
        mark_milestone,
        add_visit,
        list_visits,
        list_agreements,
        agreements_list,
        change_agreement,
        record_diagnosis,
        write_work_plan,
        accept_work_plan,
        accept_work_plan_by_link,
        confirm_contact,
        evaluate_as_liaison,
        evaluate_by_link,
        list_xlsx,
        record_xlsx
    ]
}

/// How many assistances a workbook lists at most.
const WORKBOOK_MAX: u64 = 5_000;

impl AssistanceQuery {
    fn filter(&self) -> AppResult<ListFilter> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(AssistanceStatus::parse(s).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    "El estado debe ser planned, in_progress, closed o cancelled.",
                )
            })?),
            None => None,
        };
        Ok(ListFilter {
            department: domain::parse::text(self.department.as_deref()),
            municipality: domain::parse::text(self.municipality.as_deref())
                .map(|m| domain::territory::normalize_municipality_code(&m)),
            capacity: self.capacity,
            provider: self.provider,
            status,
            sector: self.sector,
        })
    }
}

/// The list of assistances as a workbook, for `user` (the API's and the page's download).
pub async fn list_workbook(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    filter: &ListFilter,
) -> AppResult<crate::spreadsheets::download::Download> {
    let (rows, _) = assistance::list(db, user, filter, 1, WORKBOOK_MAX).await?;
    let mut described = Vec::new();
    if let Some(d) = &filter.department {
        described.push(("Departamento".to_string(), d.clone()));
    }
    if let Some(m) = &filter.municipality {
        described.push(("Municipio".to_string(), m.clone()));
    }
    if let Some(p) = filter.provider {
        described.push(("Oferente".to_string(), p.to_string()));
    }
    let bytes = assistance::workbook::list(rows, described, &user.full_name).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(
        assistance::workbook::LIST_FILE,
        bytes,
    ))
}

/// One assistance's record as a workbook, if `user` reads it.
pub async fn record_workbook(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    assistance::find_visible(db, user, id).await?;
    let view = assistance::view(db, id).await?;
    let visits = visits::list(db, id).await?;
    let bytes = assistance::workbook::record(view, visits, &user.full_name).await?;
    Ok(crate::spreadsheets::download::Download::xlsx(
        &assistance::workbook::record_file(id),
        bytes,
    ))
}

/// Technical assistances as a workbook
///
/// Roles and filters as `GET /assistances` (sheet «Asistencias», up to 5,000 rows): one row an
/// assistance with its municipality, entity, provider, capacities, span, state, visits,
/// milestones (done, overdue) and the entity's evaluation.
#[utoipa::path(
    tag = "assistance",
    operation_id = "listAssistancesXlsx",
    params(AssistanceQuery),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
    )
)]
#[get("/assistances.xlsx?<query..>")]
pub async fn list_xlsx(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    query: AssistanceQuery,
) -> AppResult<crate::spreadsheets::download::Download> {
    list_workbook(db.inner(), &user, &query.filter()?).await
}

/// One assistance's record as a workbook
///
/// Roles: as `GET /assistances/{id}`. Sheets «Plan», «Hitos», «Visitas», «Compromisos» and
/// «Productos» (no document numbers).
#[utoipa::path(
    tag = "assistance",
    operation_id = "assistanceRecordXlsx",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    responses(
        (status = 200, response = crate::openapi::responses::Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/assistances/<id>/record.xlsx")]
pub async fn record_xlsx(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<crate::spreadsheets::download::Download> {
    record_workbook(db.inner(), &user, id).await
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssistanceQuery {
    /// DANE code of the department.
    department: Option<String>,
    /// DANE code of the municipality.
    municipality: Option<String>,
    /// Capacity id.
    capacity: Option<i32>,
    /// Provider id.
    provider: Option<i32>,
    #[param(inline, value_type = Option<AssistanceStatus>)]
    status: Option<String>,
    /// Sector id (`GET /sectors`): the assistances that carry it.
    sector: Option<i32>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List technical assistances
///
/// Roles: staff (all; a territorial direction's coordinator, its departments), reviewers
/// (their department), liaisons (their municipality). Newest start first.
#[utoipa::path(
    tag = "assistance",
    operation_id = "listAssistances",
    params(AssistanceQuery),
    responses(
        (status = 200, description = "A page of assistances.", body = List<AssistanceView>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/assistances?<query..>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    query: AssistanceQuery,
) -> AppResult<Json<List<AssistanceView>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let filter = query.filter()?;
    let (items, total) = assistance::list(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Create a technical assistance
///
/// Roles: staff; the assistance is the coordinator's provider's (an admin's, ESAP's). It starts
/// planned; its demands become planned. Every problem at once (422). Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "createAssistance",
    request_body = AssistanceInput,
    responses(
        (status = 201, description = "The assistance.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    body: crate::api::JsonBody<AssistanceInput>,
) -> AppResult<Created<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::create(txn, &notifier, &staff, &body).await
    })
    .await?;
    Ok(created(view))
}

/// One technical assistance
///
/// Roles: as the list; out of scope → 404.
#[utoipa::path(
    tag = "assistance",
    operation_id = "getAssistance",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    responses(
        (status = 200, description = "The assistance.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/assistances/<id>")]
pub async fn show(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<Json<AssistanceView>> {
    assistance::find_visible(db.inner(), &user, id).await?;
    Ok(Json(assistance::view(db.inner(), id).await?))
}

/// Change a technical assistance's plan
///
/// Roles: staff of its provider (another provider's → 404). Any subset of fields; closed or
/// cancelled → 409; the span must contain the visits already recorded. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "updateAssistance",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = AssistanceInput,
    responses(
        (status = 200, description = "The assistance.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/assistances/<id>", data = "<body>")]
pub async fn update(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<AssistanceInput>,
) -> AppResult<Json<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::update(txn, &notifier, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Move a technical assistance along its states
///
/// Roles: staff of its provider. planned → in_progress → closed, or cancelled (with `reason`)
/// from planned or in progress; anything else → 409. Closing needs `objective_reached` and
/// `summary`: its demands are met when the objective was reached (open again otherwise), and
/// the entity's contact is emailed the evaluation link. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "changeAssistanceStatus",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = StatusInput,
    responses(
        (status = 200, description = "The assistance.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/status", data = "<body>")]
pub async fn change_status(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<StatusInput>,
) -> AppResult<Json<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::change_status(txn, &notifier, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Add a milestone to an assistance's plan
///
/// Roles: staff of its provider. Closed or cancelled → 409. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "addAssistanceMilestone",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = MilestoneInput,
    responses(
        (status = 201, description = "The milestone.", body = MilestoneView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/milestones", data = "<body>")]
pub async fn add_milestone(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<MilestoneInput>,
) -> AppResult<Created<MilestoneView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::add_milestone(txn, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// When a milestone was done.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MilestonePatch {
    /// `YYYY-MM-DD`, not in the future; `null` marks it not done. Required.
    #[serde(default, deserialize_with = "crate::api::double_option")]
    #[schema(value_type = Option<chrono::NaiveDate>, required = true)]
    done_on: Option<Option<String>>,
}

/// Mark a milestone done
///
/// Roles: staff of the assistance's provider. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "markAssistanceMilestone",
    params(("id" = i32, Path, description = "Milestone id.", example = 1)),
    request_body = MilestonePatch,
    responses(
        (status = 200, description = "The milestone.", body = MilestoneView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/milestones/<id>", data = "<body>")]
pub async fn mark_milestone(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<MilestonePatch>,
) -> AppResult<Json<MilestoneView>> {
    Ok(domain::db::write(db, async |txn| {
        let done_on = body.done_on.as_ref().map(Option::as_deref);
        let view = assistance::mark_milestone(txn, &staff, id, done_on).await?;
        Ok(Json(view))
    })
    .await?)
}

/// Record a visit of an assistance
///
/// Roles: staff of its provider. A closed or cancelled assistance → 409; a date outside its
/// span (or in the future) → 422. The first visit starts a planned assistance. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "recordAssistanceVisit",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = VisitInput,
    responses(
        (status = 201, description = "The visit.", body = VisitView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/visits", data = "<body>")]
pub async fn add_visit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<VisitInput>,
) -> AppResult<Created<VisitView>> {
    let view =
        domain::db::write(db, async |txn| visits::record(txn, &staff, id, &body).await).await?;
    Ok(created(view))
}

/// The visits of an assistance
///
/// Roles: as the list; newest first; returned whole. Document numbers are never shown.
#[utoipa::path(
    tag = "assistance",
    operation_id = "listAssistanceVisits",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    responses(
        (status = 200, description = "Every visit.", body = List<VisitView>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/assistances/<id>/visits")]
pub async fn list_visits(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<Json<List<VisitView>>> {
    assistance::find_visible(db.inner(), &user, id).await?;
    let items = visits::list(db.inner(), id).await?;
    Ok(Json(List::whole(items)))
}

/// The agreements of an assistance, with their state
///
/// **Extension** (issue 49). Roles: as the list. Every agreement of every visit, newest visit
/// first, each with `status` (`pending`, `done`, `dropped`), `done_on`, `note`, `reason` and
/// `overdue` (pending past its due date); returned whole.
#[utoipa::path(
    tag = "assistance",
    operation_id = "listAssistanceAgreements",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    responses(
        (status = 200, description = "Every agreement.", body = List<AgreementItem>),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/assistances/<id>/agreements")]
pub async fn list_agreements(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
) -> AppResult<Json<List<AgreementItem>>> {
    let items = agreements::of_assistance(db.inner(), &user, id).await?;
    Ok(Json(List::whole(items)))
}

/// Mark an agreement done, dropped or pending
///
/// Roles: staff of the assistance's provider (another provider's → 404; reviewers and liaisons
/// read only → 403). `status` `done` with `done_on` (today when absent; not in the future, not
/// before its visit) and an optional `note`; `dropped` with its `reason`; `pending` clears
/// both. Unknown status, a dropped one without reason or a bad date → 422. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "changeAgreementStatus",
    params(("id" = i32, Path, description = "Agreement id.", example = 1)),
    request_body = AgreementPatch,
    responses(
        (status = 200, description = "The agreement.", body = AgreementView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/agreements/<id>", data = "<body>")]
pub async fn change_agreement(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<AgreementPatch>,
) -> AppResult<Json<AgreementView>> {
    let view = domain::db::write(db, async |txn| {
        agreements::change_status(txn, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// The entity's evaluation, by its municipality's liaison
///
/// **Extension.** Roles: the liaison of the assistance's municipality (others → 404 or 403).
/// Only a closed assistance, once (409). `usefulness` 1–5.
#[utoipa::path(
    tag = "assistance",
    operation_id = "evaluateAssistance",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = EvaluationInput,
    responses(
        (status = 200, description = "The assistance with its evaluation.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/evaluation", data = "<body>")]
pub async fn evaluate_as_liaison(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<EvaluationInput>,
) -> AppResult<Json<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::evaluate(txn, Evaluator::Liaison(&user, id), &body).await
    })
    .await?;
    Ok(Json(view))
}

/// The entity's evaluation, through the emailed link
///
/// **Extension.** Public: the secret of the link emailed to the entity's contact when the
/// assistance closed (unknown or used → 404; already evaluated → 409).
#[utoipa::path(
    tag = "assistance",
    operation_id = "evaluateAssistanceByLink",
    security(()),
    params(("token" = String, Path, description = "The link's secret.")),
    request_body = EvaluationInput,
    responses(
        (status = 200, description = "The assistance with its evaluation.", body = AssistanceView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistance-evaluations/<token>", data = "<body>")]
pub async fn evaluate_by_link(
    db: &State<DatabaseConnection>,
    token: &str,
    body: crate::api::JsonBody<EvaluationInput>,
) -> AppResult<Json<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        assistance::evaluate(txn, Evaluator::Link(token), &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Record an assistance's diagnosis
///
/// **Extension** (issue 49). Roles: staff of its provider (another provider's → 404; those who
/// only read → 403). `findings` required, `evidence` (a link or text) optional; recording it
/// again replaces it. Closed or cancelled → 409. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "recordAssistanceDiagnosis",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = DiagnosisInput,
    responses(
        (status = 201, description = "The diagnosis, with who recorded it and when.", body = DiagnosisView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/diagnosis", data = "<body>")]
pub async fn record_diagnosis(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<DiagnosisInput>,
) -> AppResult<Created<DiagnosisView>> {
    let view = domain::db::write(db, async |txn| {
        agreed::record_diagnosis(txn, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}

/// Write an assistance's work plan
///
/// Roles: staff of its provider. `activities` (at least one, each with `text` and `due_on`
/// within the assistance's span) and `products_expected` (at least one); every problem at once
/// (422). The answer carries the plan's `version` and its `content_hash`: any change makes the
/// next version, which needs its own acceptance — a version waiting is never rewritten, and
/// the links sent for it are voided (410 on use); the same plan again changes nothing. A new
/// version is emailed, with the link to accept it, to the entity's contact only when the
/// territory confirmed it (`contact_confirmed`). Closed or cancelled → 409. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "writeAssistanceWorkPlan",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = WorkPlanInput,
    responses(
        (status = 200, description = "The plan's current version.", body = WorkPlanView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[put("/assistances/<id>/work-plan", data = "<body>")]
pub async fn write_work_plan(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<WorkPlanInput>,
) -> AppResult<Json<WorkPlanView>> {
    let view = domain::db::write(db, async |txn| {
        agreed::write_plan(txn, &notifier, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// The entity accepts the work plan, by its territory signed in
///
/// Roles: the liaison of the assistance's municipality or the reviewer of its department
/// (outside their territory → 404; other roles → 403). Accepts exactly the version and text
/// shown: `accepted_by`, `position`, `version` and `content_hash` (of `GET
/// /assistances/{id}`'s `work_plan`) required (422); another version or text than the current
/// one → 409; no plan, a version already accepted, a closed or cancelled assistance → 409.
/// Recorded with who, their position, how (`liaison`, `reviewer`) and when; audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "acceptAssistanceWorkPlan",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = AcceptanceInput,
    responses(
        (status = 201, description = "The plan with its acceptance.", body = WorkPlanView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/work-plan/acceptance", data = "<body>")]
pub async fn accept_work_plan(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<AcceptanceInput>,
) -> AppResult<Created<WorkPlanView>> {
    let view = domain::db::write(db, async |txn| {
        agreed::accept(txn, Acceptor::Territory(&user, id), &body).await
    })
    .await?;
    Ok(created(view))
}

/// The entity accepts the work plan, through the emailed link
///
/// **Extension.** Public: the secret of the link emailed to the entity's confirmed contact
/// (unknown → 404; a version already accepted, a closed or cancelled assistance → 409; a link
/// voided because the plan or the contact changed after it was sent → 410). `version` and
/// `content_hash` as on the page the link opens. As the territory's acceptance otherwise.
#[utoipa::path(
    tag = "assistance",
    operation_id = "acceptAssistanceWorkPlanByLink",
    security(()),
    params(("token" = String, Path, description = "The link's secret.")),
    request_body = AcceptanceInput,
    responses(
        (status = 201, description = "The plan with its acceptance.", body = WorkPlanView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/work-plan-acceptances/<token>", data = "<body>")]
pub async fn accept_work_plan_by_link(
    db: &State<DatabaseConnection>,
    token: &str,
    body: crate::api::JsonBody<AcceptanceInput>,
) -> AppResult<Created<WorkPlanView>> {
    let view = domain::db::write(db, async |txn| {
        agreed::accept(txn, Acceptor::Link(token), &body).await
    })
    .await?;
    Ok(created(view))
}

/// The territory confirms the entity's contact
///
/// **Extension** (issue 62). Roles: the liaison of the assistance's municipality or the
/// reviewer of its department (outside their territory → 404; other roles → 403). Confirms
/// that `contact_email` — which must be the assistance's current contact (another, or none →
/// 409) — is the entity's: only a confirmed contact receives the link to accept the work plan,
/// and it receives it now if a version waits. Changing the contact (or the place) afterwards
/// clears the confirmation and voids the links pending. Confirming again changes nothing.
/// Closed or cancelled → 409. Audited.
#[utoipa::path(
    tag = "assistance",
    operation_id = "confirmAssistanceContact",
    params(("id" = i32, Path, description = "Assistance id.", example = 1)),
    request_body = ContactConfirmationInput,
    responses(
        (status = 201, description = "The assistance, its contact confirmed.", body = AssistanceView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/assistances/<id>/contact-confirmation", data = "<body>")]
pub async fn confirm_contact(
    db: &State<DatabaseConnection>,
    notifier: Mailer<'_>,
    user: MunicipalityReader,
    id: i32,
    body: crate::api::JsonBody<ContactConfirmationInput>,
) -> AppResult<Created<AssistanceView>> {
    let view = domain::db::write(db, async |txn| {
        agreed::confirm_contact(txn, &notifier, &user, id, &body).await
    })
    .await?;
    Ok(created(view))
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    /// DANE code of the municipality.
    municipality: Option<String>,
    #[param(inline, value_type = Option<AgreementStatus>)]
    status: Option<String>,
    /// `true`: only the pending ones past their due date.
    overdue: Option<bool>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// Agreements of the visits, across assistances
///
/// Roles: scoped like the reports — ESAP's staff all (a territorial direction's coordinator,
/// its departments'), a coordinator of another provider its provider's, reviewers their
/// department's, liaisons their municipality's. Oldest due first, each with its assistance's
/// place and provider. `status` (`pending`, `done`, `dropped`) and `overdue=true` (pending past
/// the due date) filter.
#[utoipa::path(
    tag = "assistance",
    operation_id = "listAgreements",
    params(AgreementQuery),
    responses(
        (status = 200, description = "A page of agreements.", body = List<PlacedAgreement>),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/agreements?<query..>")]
pub async fn agreements_list(
    db: &State<DatabaseConnection>,
    user: MunicipalityReader,
    query: AgreementQuery,
) -> AppResult<Json<List<PlacedAgreement>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let status = match query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(AgreementStatus::parse(s).ok_or_else(|| {
            AppError::invalid("status", "El estado debe ser pending, done o dropped.")
        })?),
        None => None,
    };
    let filter = agreements::ListFilter {
        municipality: domain::parse::text(query.municipality.as_deref())
            .map(|m| domain::territory::normalize_municipality_code(&m)),
        status,
        overdue: query.overdue.unwrap_or(false),
        provider: None,
    };
    let (items, total) = agreements::list(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}
