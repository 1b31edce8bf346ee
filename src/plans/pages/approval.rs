//! Approving a draft plan: the confirmation (what it will do, the act to type) and its answer.

use super::*;

/// What approving does, said before (the house's confirmation), with the act to type.
pub(super) async fn approval_confirmation(
    db: &DatabaseConnection,
    page: &Page<'_>,
    staff: &StaffUser,
    id: i32,
    typed_act: &str,
    errors: &[FieldError],
) -> PageResult {
    let facts = lifecycle::approval_facts(db, staff, id).await?;
    let plan = &facts.plan;
    let lines: Vec<String> = plan
        .lines
        .iter()
        .map(|l| {
            format!(
                "Línea {} · {} · {} · {}",
                l.position,
                l.capacity.name,
                l.targets_label,
                domain::format::pesos(l.budget_total)
            )
        })
        .collect();
    let confirmation = Confirmation::new(
        format!("¿Aprobar el plan «{}»?", plan.name),
        format!("/planes/{id}/aprobacion"),
        "Sí, aprobar el plan",
        format!("/planes/{id}"),
    )
    .restoring()
    .refused(facts.refused.clone())
    .list(
        format!(
            "Queda aprobado el plan de {} — {}, vigencia {} — con {} y un presupuesto de {}:",
            plan.provider.name,
            plan.territory_label,
            plan.year,
            domain::format::plural(plan.lines.len() as i64, "línea", "líneas"),
            domain::format::pesos(plan.budget.total)
        ),
        lines,
    )
    .fact(
        "Sus cifras quedan como la versión 1 y ya no se editan: cualquier cambio será una \
         modificación con su motivo, que crea una nueva versión y conserva esta.",
    )
    .fact(format!(
        "Queda registrado que {} registró la aprobación hoy, con el acto que escriba.",
        staff.full_name
    ))
    .ask(
        "act",
        "Acto que aprueba el plan (resolución o acta del comité, con su número y fecha)",
        true,
        typed_act,
    );
    if errors.is_empty() {
        confirmation.render(page, "Aprobar el plan")
    } else {
        confirmation.render_refused(page, "Aprobar el plan", errors)
    }
}

#[get("/planes/<id>/aprobar")]
pub(super) async fn approval_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult {
    approval_confirmation(db, &page, &staff, id, "", &[]).await
}

#[derive(FromForm)]
pub(super) struct ApprovalForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    act: String,
    /// Sent by the confirmation page: approving acts only with it.
    #[field(default = false)]
    confirmed: bool,
}
csrf_protected!(ApprovalForm);

#[post("/planes/<id>/aprobacion", data = "<form>")]
pub(super) async fn approve_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<ApprovalForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.confirmed {
        return approval_confirmation(db, &page, &staff, id, &form.act, &[])
            .await
            .map(Either::Right);
    }
    let input = ApprovalInput {
        act: Some(form.act.clone()),
    };
    let result = domain::db::write(db, async |txn| {
        lifecycle::approve(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                "Plan aprobado: sus cifras quedan como la versión 1.",
            )
        },
        async |errors| approval_confirmation(db, &page, &staff, id, &form.act, &errors).await,
    )
    .await
    .map(Either::Left)
}
