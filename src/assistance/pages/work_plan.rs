//! The diagnosis and the work plan (activities and products expected as row groups).

use super::*;

#[derive(FromForm, Serialize)]
pub(super) struct DiagnosisForm {
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
pub(super) async fn diagnosis_submit(
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
pub(super) struct ActivityRow {
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    due_on: String,
}

/// A product expected's row of the work plan form.
#[derive(FromForm, Serialize, Clone, Default)]
pub(super) struct ExpectedRow {
    #[field(default = String::new())]
    title: String,
}

/// Empty row groups of a first work plan: activities, products expected.
pub(super) const PLAN_ROWS: (usize, usize) = (3, 1);

/// The work plan form's row groups as drawn.
#[derive(Serialize)]
pub(super) struct PlanRows {
    activities: Vec<Numbered<ActivityRow>>,
    products: Vec<Numbered<ExpectedRow>>,
}

impl PlanRows {
    /// The rows of the plan's current version (the form changes it), or empty ones.
    pub(super) fn of_plan(plan: Option<&WorkPlanView>) -> Self {
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
pub(super) struct PlanForm {
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
pub(super) async fn plan_submit(
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
