//! The entity's evaluation of a closed assistance: by the municipality's liaison, or through the
//! emailed link (no account needed).

use super::*;

#[derive(FromForm, Serialize)]
pub(super) struct EvaluationForm {
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
pub(super) async fn liaison_evaluation_submit(
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
pub(super) struct LinkView {
    assistance: AssistanceView,
    token: String,
    done: bool,
}

/// The evaluation form the entity's contact reaches from the email (no account needed).
#[get("/evaluar-asistencia/<token>")]
pub(super) async fn link_evaluation_page(
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
pub(super) async fn link_evaluation_submit(
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
