//! Amending an approved plan: the reason and the lines that change, each problem beside its
//! line's field.

use super::*;

#[derive(Serialize)]
pub(super) struct AmendLine {
    id: i32,
    position: i32,
    title: String,
    removed: bool,
    open: bool,
    fields: LineFields,
}

#[derive(Serialize)]
pub(super) struct AmendView {
    plan: PlanView,
    next_version: i32,
    reason: String,
    lines: Vec<AmendLine>,
    new_line: LineFields,
    new_line_open: bool,
}

#[derive(FromForm)]
pub(super) struct AmendForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    reason: String,
    #[field(default = Vec::new())]
    lines: Vec<LineForm>,
}
csrf_protected!(AmendForm);

/// The amendment page: every line of the current version as it stands (or as typed), and an
/// empty new line; refused, each problem beside its line's field.
pub(super) async fn amend_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    row: &plan::Model,
    typed: Option<&AmendForm>,
    errors: &[FieldError],
) -> PageResult {
    let scope = plans::PlanScope::of(db, user).await?;
    let view = plans::view(db, &scope, row, None).await?;
    let catalogue = Catalogue::load(db, row).await?;
    let has_problem = |prefix: &str| errors.iter().any(|e| e.field.starts_with(prefix));
    let count = view.lines.len();
    let lines = view
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = format!("l{}.", line.id);
            let form = typed
                .and_then(|t| {
                    t.lines
                        .iter()
                        .find(|l| l.line_id.trim() == line.id.to_string())
                })
                .cloned()
                .unwrap_or_else(|| LineForm::of(line));
            AmendLine {
                id: line.id,
                position: line.position,
                title: format!(
                    "{} · {}",
                    line.capacity.name,
                    domain::format::pesos(line.budget_total)
                ),
                removed: form.removed,
                open: has_problem(&prefix),
                fields: catalogue.fields(&form, &prefix, &format!("lines[{i}].")),
            }
        })
        .collect();
    let new_form = typed
        .and_then(|t| t.lines.iter().find(|l| l.line_id.trim().is_empty()))
        .cloned()
        .unwrap_or_default();
    let new_line_open = !new_form.is_blank();
    let next_version = view.current_version + 1;
    page.render_form(
        "plan_amend",
        "Modificar el plan",
        AmendView {
            new_line: catalogue.fields(&new_form, "nueva.", &format!("lines[{count}].")),
            new_line_open,
            reason: typed.map(|t| t.reason.clone()).unwrap_or_default(),
            lines,
            next_version,
            plan: view,
        },
        errors,
    )
}

#[get("/planes/<id>/modificar")]
pub(super) async fn amend_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    plans::ensure_open(&row)?;
    if row.status == PlanStatus::Draft {
        // A draft's lines are changed directly.
        return Ok(Either::Right(Redirect::to(format!("/planes/{id}"))));
    }
    amend_html(db, &page, &staff, &row, None, &[])
        .await
        .map(Either::Left)
}

#[post("/planes/<id>/modificaciones", data = "<form>")]
pub(super) async fn amend_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<AmendForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    // Each line sent, the prefix its problems are shown under, and its budget's sources.
    let mut items = Vec::new();
    let mut shown_as: Vec<(String, Vec<BudgetSource>)> = Vec::new();
    for line in &form.lines {
        let line_id = line.line_id.trim().parse::<i32>().ok();
        if line_id.is_none() && line.is_blank() {
            continue;
        }
        let (input, sources) = line.input();
        let removed = line_id.is_some() && line.removed;
        items.push(AmendedLineInput {
            line_id,
            removed: Some(removed),
            capacity_id: input.capacity_id,
            course_id: input.course_id,
            targets: input.targets,
            goals: input.goals,
            budget: input.budget,
            ..Default::default()
        });
        shown_as.push((
            line_id.map_or_else(|| "nueva.".to_string(), |id| format!("l{id}.")),
            sources,
        ));
    }
    let input = AmendmentInput {
        reason: Some(form.reason.clone()),
        lines: Some(items),
        ..Default::default()
    };
    let result = domain::db::write(db, async |txn| {
        lifecycle::amend(txn, &staff, id, &input).await
    })
    .await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                format!(
                    "Modificación guardada: el plan está en su versión {}.",
                    view.current_version
                ),
            )
        },
        async |errors| {
            let row = plans::find_managed(db.inner(), &staff, id).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    if let Some(rest) = e.field.strip_prefix("lines[")
                        && let Some((index, field)) = rest.split_once("].")
                        && let Some((prefix, sources)) =
                            index.parse::<usize>().ok().and_then(|i| shown_as.get(i))
                    {
                        e.field = match field {
                            "line_id" | "removed" => format!("{prefix}line"),
                            field => format!("{prefix}{}", page_field(field, sources)),
                        };
                    }
                    e
                })
                .collect();
            amend_html(db, &page, &staff, &row, Some(&form), &errors).await
        },
    )
    .await
}
