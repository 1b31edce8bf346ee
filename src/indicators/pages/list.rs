//! The indicators (`/indicadores`): the list, the administrator's edits of names and capacity links, and the import of new years.

use super::*;

#[derive(Serialize)]
pub(super) struct IndicatorRow {
    indicator: IndicatorView,
    /// The edit form's values: the indicator's, or what was typed when it came back refused
    /// (then `open`, so its box shows).
    edit: IndicatorEdit,
    /// The prefix of the edit form's fields in the page's problems.
    form: String,
    capacities: Vec<Choice>,
    capacity_names: String,
    years: String,
}

#[derive(Serialize)]
pub(super) struct IndicatorsView {
    indicators: Vec<IndicatorRow>,
    is_admin: bool,
    is_staff: bool,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
    /// After a clean preview: the kept file's token, which «Cargar» sends alone.
    draft: Option<String>,
}

/// The edit form of an indicator as shown.
#[derive(Serialize)]
pub(super) struct IndicatorEdit {
    name: String,
    source: String,
    unit: String,
    note: String,
    higher_is_better: bool,
    open: bool,
}

/// The prefix of an indicator's edit form on the page (`indicador-3.name`).
pub(super) fn edit_prefix(id: i32) -> String {
    format!("indicador-{id}")
}

pub(super) async fn indicators_view(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
) -> DomainResult<IndicatorsView> {
    indicators_view_typed(db, user, summary, errors, None).await
}

/// The page, with one indicator's edit form as typed when it comes back refused.
pub(super) async fn indicators_view_typed(
    db: &DatabaseConnection,
    user: &domain::accounts::actor::Actor,
    summary: Option<ObservationSummary>,
    errors: Vec<FieldError>,
    typed: Option<(i32, &IndicatorForm)>,
) -> DomainResult<IndicatorsView> {
    let capacities = domain::capacities::in_order(db).await?;
    let spans = domain::indicators::year_spans(db).await?;
    let mut rows = Vec::new();
    for indicator in domain::indicators::list(db).await? {
        let typed = typed.filter(|(id, _)| *id == indicator.id).map(|(_, f)| f);
        let chosen = typed.map_or(&indicator.capacity_ids, |f| &f.capacity_ids);
        let edit = match typed {
            Some(form) => IndicatorEdit {
                name: form.name.clone(),
                source: form.source.clone(),
                unit: form.unit.clone(),
                note: form.note.clone(),
                higher_is_better: form.higher_is_better == "si",
                open: true,
            },
            None => IndicatorEdit {
                name: indicator.name.clone(),
                source: indicator.source.clone(),
                unit: indicator.unit.clone(),
                note: indicator.note.clone(),
                higher_is_better: indicator.higher_is_better,
                open: false,
            },
        };
        rows.push(IndicatorRow {
            edit,
            form: edit_prefix(indicator.id),
            capacities: capacities
                .iter()
                .map(|c| Choice {
                    id: c.id,
                    name: c.name.clone(),
                    selected: chosen.contains(&c.id),
                })
                .collect(),
            capacity_names: capacities
                .iter()
                .filter(|c| indicator.capacity_ids.contains(&c.id))
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            years: match spans.get(&indicator.id) {
                Some((a, b)) if a == b => a.to_string(),
                Some((a, b)) => format!("{a} a {b}"),
                None => "sin datos".into(),
            },
            indicator,
        });
    }
    Ok(IndicatorsView {
        indicators: rows,
        is_admin: user.role == domain::entities::values::Role::Admin,
        is_staff: user.is_staff(),
        summary,
        errors,
        draft: None,
    })
}

/// The indicators, their capacities and years; the import of new years (staff) and the edits
/// (admin).
#[get("/indicadores")]
pub(super) async fn indicators_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: ReportReader,
) -> PageResult {
    let view = indicators_view(db.inner(), &user, None, Vec::new()).await?;
    page.render("indicators", "Indicadores de las capacidades", view)
}

#[derive(FromForm)]
pub(super) struct IndicatorForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    source: String,
    #[field(default = String::new())]
    unit: String,
    #[field(default = String::new())]
    note: String,
    #[field(default = String::new())]
    higher_is_better: String,
    #[field(default = Vec::new())]
    capacity_ids: Vec<i32>,
}
csrf_protected!(IndicatorForm);

/// An administrator's edit of an indicator: texts, direction and capacities.
#[post("/indicadores/<id>", data = "<form>")]
pub(super) async fn indicator_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<IndicatorForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = IndicatorInput {
        code: None,
        name: Some(form.name.clone()),
        source: Some(form.source.clone()),
        unit: Some(form.unit.clone()),
        higher_is_better: Some(form.higher_is_better == "si"),
        note: Some(form.note.clone()),
        capacity_ids: Some(form.capacity_ids.clone()),
    };
    crate::web::form::saved_or_again(
        domain::indicators::update(db.inner(), &admin, id, input).await,
        |saved| {
            Flash::success(
                Redirect::to(format!("/indicadores#indicador-{id}")),
                format!("Indicador «{}» guardado.", saved.name),
            )
        },
        async |errors| {
            let view =
                indicators_view_typed(db.inner(), &admin, None, Vec::new(), Some((id, &form)))
                    .await?;
            let errors = crate::web::form::scoped(&edit_prefix(id), errors);
            page.render_refused(
                "indicators",
                "Indicadores de las capacidades",
                view,
                &errors,
            )
        },
    )
    .await
}

/// A file of observations from the page: «Revisar» previews, «Cargar» saves; the page shows
/// what changed (or would change), or every problem found with its row (422).
#[post("/indicadores/cargar?<accion>", data = "<form>")]
pub(super) async fn import_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    staff: StaffUser,
    accion: Option<String>,
    form: CsrfForm<DraftUploadForm<'_>>,
) -> PageResult {
    let KeptOutcome {
        status,
        summary,
        errors,
        draft,
    } = form
        .0
        .kept(
            db.inner(),
            ObservationImport::open(&staff),
            staff.id,
            "indicators",
            (accion.as_deref(), "cargar"),
        )
        .await?;
    let rendered = async {
        let mut view = indicators_view(db.inner(), &staff, summary, errors).await?;
        view.draft = draft;
        page.render("indicators", "Indicadores de las capacidades", view)
    }
    .await;
    Failure::unless_ok(status, rendered?)
}
