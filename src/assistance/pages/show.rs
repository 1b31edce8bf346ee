//! An assistance's workspace (plan, milestones, visits, agreements, state, evaluation, costs,
//! materials in the bank), the printable closing summary, and the way back to the workspace
//! from each of its forms.

use super::*;

#[derive(Serialize)]
pub(super) struct WorkspaceView {
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
    pub(super) visit_rows: VisitRows,
    /// The work plan form's row groups (issue 49): the current plan's, or as typed.
    pub(super) plan_rows: PlanRows,
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
    /// Issue 68: the entity's latest self-assessment, where its diagnosis starts.
    self_assessment: Option<domain::self_assessment::assessments::SelfAssessmentView>,
    /// Closed, and the entity has not rated itself this quarter: a new one is asked for.
    ask_self_assessment: bool,
    /// The municipality's liaison, who fills it.
    may_self_assess: bool,
}

/// How many agreements of an assistance are in each state.
#[derive(Serialize, Default)]
pub(super) struct AgreementCounts {
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
pub(super) async fn workspace(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
) -> PageResult {
    let (title, view) = workspace_view(db.inner(), &user, id).await?;
    page.render("assistance", &title, view)
}

/// The workspace of assistance `id` as `user` sees it, and its title.
pub(super) async fn workspace_view(
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
    // Issue 68: the diagnosis starts from the entity's latest self-assessment; once closed, a
    // new one measures the change.
    let self_assessment = match &view.municipality_code {
        Some(code) => {
            domain::self_assessment::assessments::latest_of(db, code, view.entity_type.as_str())
                .await?
        }
        None => None,
    };
    let today = domain::time::today();
    let this_quarter = (
        chrono::Datelike::year(&today),
        domain::self_assessment::quarter_of(today),
    );
    let ask_self_assessment = view.status == AssistanceStatus::Closed
        && view.municipality_code.is_some()
        && self_assessment
            .as_ref()
            .is_none_or(|a| (a.year, a.quarter) != this_quarter);
    Ok((
        title,
        WorkspaceView {
            may_self_assess: user.role == Role::Liaison,
            ask_self_assessment,
            self_assessment,
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
pub(super) async fn closing_summary(
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
            self_assessment: None,
            ask_self_assessment: false,
            may_self_assess: false,
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
