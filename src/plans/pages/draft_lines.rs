//! Adding a line to a draft plan or changing one of its lines.

use super::*;

#[derive(Serialize)]
pub(super) struct LinePageView {
    plan_id: i32,
    plan_name: String,
    heading: String,
    action: String,
    button: &'static str,
    fields: LineFields,
}

/// Where a form for the lines of plan `row` leads instead, when the plan is not an open draft:
/// an approved plan is amended; a plan whose year ended changes no more (409, the domain's
/// `plans::ensure_open`).
pub(super) fn not_a_draft(row: &plan::Model) -> AppResult<Option<Redirect>> {
    plans::ensure_open(row)?;
    Ok((row.status != PlanStatus::Draft)
        .then(|| Redirect::to(format!("/planes/{}/modificar", row.id))))
}

/// The page of a new line, or of a draft's line (`line`), as it opens or refused.
pub(super) async fn line_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    row: &plan::Model,
    line: Option<i32>,
    form: &LineForm,
    errors: &[FieldError],
) -> PageResult {
    let catalogue = Catalogue::load(db, row).await?;
    let (heading, action, button) = match line {
        None => (
            "Nueva línea del plan".to_string(),
            format!("/planes/{}/lineas", row.id),
            "Agregar la línea",
        ),
        Some(id) => (
            "Cambiar la línea".to_string(),
            format!("/planes/{}/lineas/{id}", row.id),
            "Guardar la línea",
        ),
    };
    page.render_form(
        "plan_line",
        &heading,
        LinePageView {
            plan_id: row.id,
            plan_name: row.name.clone(),
            heading: heading.clone(),
            action,
            button,
            fields: catalogue.fields(form, "", "line."),
        },
        errors,
    )
}

#[get("/planes/<id>/lineas/nueva")]
pub(super) async fn new_line_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    if let Some(elsewhere) = not_a_draft(&row)? {
        return Ok(Either::Right(elsewhere));
    }
    line_html(
        db,
        &page,
        &row,
        None,
        &<LineForm as Default>::default(),
        &[],
    )
    .await
    .map(Either::Left)
}

#[derive(FromForm)]
pub(super) struct LineSubmission {
    #[field(default = String::new())]
    csrf_token: String,
    line: LineForm,
}
csrf_protected!(LineSubmission);

/// The answer to a line's form: back to the plan, or the form again with each problem beside
/// its field.
pub(super) async fn line_answer<T>(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &CurrentUser,
    (id, line): (i32, Option<i32>),
    result: domain::error::AppResult<T>,
    (form, sources): (&LineForm, &[BudgetSource]),
) -> PageResult<Flash<Redirect>> {
    crate::web::form::saved_or_again(
        result,
        |_| {
            Flash::success(
                Redirect::to(format!("/planes/{id}")),
                match line {
                    None => "Línea agregada al plan.",
                    Some(_) => "Línea guardada.",
                },
            )
        },
        async |errors| {
            let row = plans::find_managed(db, user, id).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    e.field = page_field(&e.field, sources);
                    e
                })
                .collect();
            line_html(db, page, &row, line, form, &errors).await
        },
    )
    .await
}

#[post("/planes/<id>/lineas", data = "<form>")]
pub(super) async fn add_line_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    form: CsrfForm<LineSubmission>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0.line;
    let (input, sources) = form.input();
    let result = domain::db::write(db, async |txn| lines::add(txn, &staff, id, &input).await).await;
    line_answer(db, &page, &staff, (id, None), result, (&form, &sources)).await
}

#[get("/planes/<id>/lineas/<line>/editar")]
pub(super) async fn edit_line_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    line: i32,
) -> PageResult<Either<RawHtml<String>, Redirect>> {
    let row = plans::find_managed(db.inner(), &staff, id).await?;
    let view = lines::line_view(db.inner(), &staff, &row, line).await?;
    if let Some(elsewhere) = not_a_draft(&row)? {
        return Ok(Either::Right(elsewhere));
    }
    line_html(db, &page, &row, Some(line), &LineForm::of(&view), &[])
        .await
        .map(Either::Left)
}

#[post("/planes/<id>/lineas/<line>", data = "<form>")]
pub(super) async fn edit_line_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    id: i32,
    line: i32,
    form: CsrfForm<LineSubmission>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0.line;
    let (input, sources) = form.input();
    let result = domain::db::write(db, async |txn| {
        lines::edit(txn, &staff, id, line, &input).await
    })
    .await;
    line_answer(
        db,
        &page,
        &staff,
        (id, Some(line)),
        result,
        (&form, &sources),
    )
    .await
}
