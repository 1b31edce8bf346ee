//! `/api/v1/plans`: the year's plan (issue 47). Coordinators write their provider's plans (a
//! territorial direction's coordinator, its direction's; an admin any); reading is for staff
//! and gobernaciones (`ReportReader`: liaisons, instructors and participants get 403), scoped by
//! `domain::plans::PlanScope` (out of scope: 404).

use crate::accounts::guards::{ReportReader, StaffUser};
use crate::api::{Created, List, Paging, created};
use crate::error::AppResult;
use crate::openapi::responses::{Conflict, Forbidden, NotFound, ValidationFailed, Workbook};
use crate::spreadsheets::download::Download;
use crate::web::{KeptJson, KeptKey};
use domain::plans::comparison::{self as plan_comparison, Comparison};
use domain::plans::lifecycle::{self, AmendmentInput, ApprovalInput};
use domain::plans::lines::{self, LineInput};
use domain::plans::progress::{self as plan_progress, Progress};
use domain::plans::{self, LineView, ListFilter, PlanInput, PlanSummary, PlanView};
use rocket::response::content::RawJson;
use rocket::serde::json::Json;
use rocket::{FromForm, Route, State, get, patch, post, routes};
use sea_orm::DatabaseConnection;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        progress,
        progress_xlsx,
        comparison,
        add_line,
        change_line,
        approve,
        amend
    ]
}

#[derive(FromForm, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// The vigencia (year).
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    year: Option<i32>,
    /// Provider id.
    provider: Option<i32>,
    /// Page number, from 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<i64>,
    /// Items per page, 1–500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    per_page: Option<i64>,
}

/// List plans
///
/// Roles: coordinators (every approved plan, and the drafts they write), admins (all),
/// gobernaciones (approved plans that reach their department; of another territory's plan, the
/// lines that reach it are counted). Newest year first, ESAP first.
#[utoipa::path(
    tag = "plans",
    operation_id = "listPlans",
    params(PlanQuery),
    responses(
        (status = 200, description = "A page of plans.", body = List<PlanSummary>),
        (status = 403, response = Forbidden),
    )
)]
#[get("/plans?<query..>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    query: PlanQuery,
) -> AppResult<Json<List<PlanSummary>>> {
    let (page, per_page) = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .resolve()?;
    let filter = ListFilter {
        year: query.year,
        provider: query.provider,
    };
    let (items, total) = plans::list(db.inner(), &user, &filter, page, per_page).await?;
    Ok(Json(List::page(items, total, page, per_page)))
}

/// Create a plan
///
/// Roles: staff. A coordinator's plan is its provider's (a territorial direction's
/// coordinator: its direction's); an admin names the provider (ESAP when absent). A direction
/// only for ESAP; a gobernación's plan is its department's. The year is this one or the next.
/// One plan per provider, year and direction or department: a second is a 409. Starts as a
/// draft, version 1, without lines. Audited.
#[utoipa::path(
    tag = "plans",
    operation_id = "createPlan",
    request_body = PlanInput,
    responses(
        (status = 201, description = "The plan.", body = PlanView),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/plans", data = "<body>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    body: crate::api::JsonBody<PlanInput>,
) -> AppResult<Created<PlanView>> {
    let view = domain::db::write(db, async |txn| plans::create(txn, &staff, &body).await).await?;
    Ok(created(view))
}

/// One plan, in any of its versions
///
/// Roles: as the list; out of scope → 404. `version` (1 … `current_version`) reads the plan as
/// that version left it: an amendment never rewrites an earlier version's figures. A version
/// the plan does not have → 404.
#[utoipa::path(
    tag = "plans",
    operation_id = "getPlan",
    params(
        ("id" = i32, Path, description = "Plan id.", example = 1),
        ("version" = Option<i32>, Query, description = "The version to read (the current one by default).", minimum = 1),
    ),
    responses(
        (status = 200, description = "The plan.", body = PlanView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
#[get("/plans/<id>?<version>")]
pub async fn show(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
    version: Option<i32>,
) -> AppResult<Json<PlanView>> {
    let (row, scope) = plans::find_visible(db.inner(), &user, id).await?;
    Ok(Json(plans::view(db.inner(), &scope, &row, version).await?))
}

/// A plan against reality
///
/// Roles: whoever reads the plan (a gobernación reading another territory's plan: the lines
/// that reach it, with totals over them). Per line and for the plan: each goal's `achieved`
/// (from 1 January to the end of the period), `achieved_in_period`, `expected_to_date` (a
/// straight line through the year), `gap` and `behind` (below 90 % of what is expected); the
/// `budget` (`planned`: the plan's; `committed`, `executed`, `estimated`: its cost items by the
/// end of the period); the cost per person certified, per assistance closed with its objective
/// reached and per municipality reached (executed cost over each). `period`: `2026-06`,
/// `2026-Q2`, `2026-S1`, or none for the year to date. A period that has ended answers the
/// figures frozen when it closed (`closed`, `frozen_at`), whatever was written later.
#[utoipa::path(
    tag = "plans",
    operation_id = "getPlanProgress",
    params(
        ("id" = i32, Path, description = "Plan id.", example = 1),
        ("period" = Option<String>, Query, description = "A month (`2026-06`), a quarter (`2026-Q2`) or a semester (`2026-S1`) of the plan's year; none: the year to date.", example = "2026-Q2"),
    ),
    responses(
        (status = 200, description = "The plan's progress.", body = Progress),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/plans/<id>/progress?<period>")]
pub async fn progress(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
    period: Option<&str>,
    kept: KeptJson<'_>,
) -> AppResult<RawJson<String>> {
    let (row, scope) = plans::find_visible(db.inner(), &user, id).await?;
    let period = plan_progress::period_of(&row, period)?;
    // Kept per scope for the figures' and the planning's versions, like the plan page.
    let key = KeptKey::page(format!("/api/v1/plans/{}/progress", row.id))
        .with("period", period.map(plan_progress::Period::key));
    let db = db.inner().clone();
    kept.answer(&user, key, move || async move {
        plan_progress::progress(&db, &scope, &row, period).await
    })
    .await
}

/// A plan's workbook (its «ficha técnica»)
///
/// Same roles, scope and `period` as `GET /plans/{id}/progress`. Sheets «Ficha técnica» (per
/// line and goal: indicator, year's target, achieved, achieved in the period, expected to
/// date, gap, share of the target, state; then the plan's totals), «Avance por mes» (every
/// month of the year begun so far; closed months as frozen), «Presupuesto» (per line and
/// source) and «Ejecución» (budget, committed, executed, estimated, execution share and the
/// costs per person certified, per assistance closed and per municipality reached). Pesos as
/// `$ 12.000.000`, dates as dd/mm/aaaa.
#[utoipa::path(
    tag = "plans",
    operation_id = "getPlanProgressXlsx",
    params(
        ("id" = i32, Path, description = "Plan id.", example = 1),
        ("period" = Option<String>, Query, description = "A month (`2026-06`), a quarter (`2026-Q2`) or a semester (`2026-S1`) of the plan's year; none: the year to date.", example = "2026-Q2"),
    ),
    responses(
        (status = 200, response = Workbook),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/plans/<id>/progress.xlsx?<period>")]
pub async fn progress_xlsx(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    id: i32,
    period: Option<&str>,
) -> AppResult<Download> {
    progress_download(db.inner(), &user, id, period).await
}

/// The plan's progress workbook for `period` (the API's and the plan page's «ficha técnica»).
pub async fn progress_download(
    db: &DatabaseConnection,
    user: &ReportReader,
    id: i32,
    period: Option<&str>,
) -> AppResult<Download> {
    let (row, scope) = plans::find_visible(db, user, id).await?;
    let period = plan_progress::period_of(&row, period)?;
    let (name, bytes) =
        domain::plans::workbook::progress_workbook(db, &scope, &row, period, &user.full_name)
            .await?;
    Ok(Download::xlsx(&name, bytes))
}

/// Compare territorial directions and providers on one year
///
/// Roles: admins and ESAP's national coordinators read every row; a territorial direction's
/// coordinator, its direction's; another provider's coordinator, its provider's; a
/// gobernación's reviewer, its gobernación's (liaisons, instructors, participants: 403). Per
/// territorial direction (ESAP's plans for it, ESAP's delivery in its departments) and per
/// provider (all its plans and delivery) with approved plans that year, listed by name — no
/// ranking: `goals_met` (goals at or above what a straight line through the year expects by
/// today, out of those of which something is expected), `timeliness` (cohorts of the year
/// started by today whose first session was on their start date), `milestones_on_time`
/// (assistances' milestones due by today done by their date), `satisfaction` (mean of the
/// six dimensions, cells of five answers or more), `completion` (people who completed closed
/// cohorts of the year) and `cost_per_person_certified` (executed cost of the plans' lines
/// over the people certified on them) — each with its `n`; `small_group` where `n` is below
/// 5 (shown, not to be compared). `year`: four digits (this year by default), otherwise 422.
/// Each row's `point_of_change` (issue 68): the executed cost items of the vigencia split
/// among the municipalities it reached (as the impact comparison splits them) and the cost
/// per point of change of `indicator` (the IDF by default; an unknown one → 422) from the year
/// before the vigencia to the vigencia: the measured reached municipalities' executed cost ÷
/// (their median change − that of the other municipalities of the same departments).
#[utoipa::path(
    tag = "plans",
    operation_id = "comparePlans",
    params(
        ("year" = Option<String>, Query, description = "The vigencia, four digits (this year by default).", example = "2026"),
        ("indicator" = Option<i32>, Query, description = "The indicator of the cost per point of change (the IDF by default)."),
    ),
    responses(
        (status = 200, description = "The comparison.", body = Comparison),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
#[get("/reports/plans/comparison?<year>&<indicator>")]
pub async fn comparison(
    db: &State<DatabaseConnection>,
    user: ReportReader,
    year: Option<&str>,
    indicator: Option<i32>,
    kept: KeptJson<'_>,
) -> AppResult<RawJson<String>> {
    let year = plan_comparison::year_of(year)?;
    // Kept per scope, year and indicator like the other reports (satisfaction included).
    let key = KeptKey::page("/api/v1/reports/plans/comparison")
        .with("year", Some(year))
        .with("indicator", indicator)
        .showing_satisfaction();
    let (db, reader) = (db.inner().clone(), user.0.clone());
    kept.answer(&user, key, move || async move {
        plan_comparison::comparison(&db, &reader, year, indicator).await
    })
    .await
}

/// Add a line to a draft plan
///
/// Roles: staff who write the plan (others' → 404). A capacity, optionally a course of the
/// plan's provider that develops it, targets (municipalities of the plan's territory, or a
/// rule, or neither: the whole territory), at least one goal (whole numbers from zero) and a
/// budget by source (whole pesos above zero, each source once). An approved plan → 409: it
/// changes only through an amendment. Every problem at once (422), nothing written. Audited.
#[utoipa::path(
    tag = "plans",
    operation_id = "addPlanLine",
    params(("id" = i32, Path, description = "Plan id.", example = 2)),
    request_body = LineInput,
    responses(
        (status = 201, description = "The line.", body = LineView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/plans/<id>/lines", data = "<body>")]
pub async fn add_line(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<LineInput>,
) -> AppResult<Created<LineView>> {
    let view = domain::db::write(db, async |txn| lines::add(txn, &staff, id, &body).await).await?;
    Ok(created(view))
}

/// Change a line of a draft plan
///
/// **Extension.** Roles: as adding a line. A field left out keeps its value; one sent replaces
/// it whole (`targets`, `goals`, `budget`); `course_id: null` removes the course. An approved
/// plan → 409 (amend it instead). Audited with the figures before and after.
#[utoipa::path(
    tag = "plans",
    operation_id = "changePlanLine",
    params(
        ("id" = i32, Path, description = "Plan id.", example = 2),
        ("line_id" = i32, Path, description = "Line id.", example = 4),
    ),
    request_body = LineInput,
    responses(
        (status = 200, description = "The line.", body = LineView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[patch("/plans/<id>/lines/<line_id>", data = "<body>")]
pub async fn change_line(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    line_id: i32,
    body: crate::api::JsonBody<LineInput>,
) -> AppResult<Json<LineView>> {
    let view = domain::db::write(db, async |txn| {
        lines::edit(txn, &staff, id, line_id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Approve a plan by its act
///
/// Roles: staff who write the plan. Records the act (a resolución or an acta del comité), who
/// recorded it and when; the figures become version 1 and are never rewritten. Already
/// approved, its year ended, or no lines → 409; no act → 422. Audited.
#[utoipa::path(
    tag = "plans",
    operation_id = "approvePlan",
    params(("id" = i32, Path, description = "Plan id.", example = 2)),
    request_body = ApprovalInput,
    responses(
        (status = 200, description = "The approved plan.", body = PlanView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/plans/<id>/approval", data = "<body>")]
pub async fn approve(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<ApprovalInput>,
) -> AppResult<Json<PlanView>> {
    let view = domain::db::write(db, async |txn| {
        lifecycle::approve(txn, &staff, id, &body).await
    })
    .await?;
    Ok(Json(view))
}

/// Amend an approved plan
///
/// Roles: staff who write the plan. A new version with its `reason`: each item of `lines` with
/// a `line_id` changes that line of the current version (fields left out keep their value) or,
/// with `removed: true`, takes it out; an item without `line_id` adds a line. The other lines
/// pass unchanged; earlier versions stay readable as they were (`GET /plans/{id}?version=N`).
/// A draft or a plan whose year ended → 409; no reason, no lines, a line not in the plan, or
/// nothing changed → 422. Audited.
#[utoipa::path(
    tag = "plans",
    operation_id = "amendPlan",
    params(("id" = i32, Path, description = "Plan id.", example = 1)),
    request_body = AmendmentInput,
    responses(
        (status = 201, description = "The plan in its new version.", body = PlanView),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    )
)]
#[post("/plans/<id>/amendments", data = "<body>")]
pub async fn amend(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    id: i32,
    body: crate::api::JsonBody<AmendmentInput>,
) -> AppResult<Created<PlanView>> {
    let view = domain::db::write(db, async |txn| {
        lifecycle::amend(txn, &staff, id, &body).await
    })
    .await?;
    Ok(created(view))
}
