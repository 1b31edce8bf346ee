//! The pages of the self-assessment (issue 68): the liaison's form
//! (`/municipios/<code>/autodiagnostico/nuevo`), the list of what waits for validation or the
//! liaison's own (`/autodiagnosticos`), one self-assessment with the reviewer's validation
//! (`/autodiagnosticos/<id>`) and the administrator's instrument (`/admin/autodiagnostico`).

use crate::accounts::guards::{AdminUser, MunicipalityReader};
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, PageResult};
use domain::entities::values::Role;
use domain::error::{AppError, FieldError};
use domain::self_assessment::assessments::{
    self, AnswerInput, NewSelfAssessment, SelfAssessmentView, Validation,
};
use domain::self_assessment::instrument::{self, InstrumentView, QuestionEdit};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![
        new_form,
        submit,
        list,
        detail,
        validate,
        admin_instrument,
        admin_edit
    ]
}

const LIST: &str = "/autodiagnosticos";

// ---- The liaison's form ----------------------------------------------------------------------

#[derive(FromForm, Default, Clone, Serialize)]
pub struct AnswerRow {
    #[field(default = None)]
    question_id: Option<i32>,
    #[field(default = String::new())]
    level: String,
    #[field(default = String::new())]
    evidence: String,
}

#[derive(FromForm, Default, Clone, Serialize)]
pub struct AssessmentForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    entity_type: String,
    #[field(default = Vec::new())]
    answers: Vec<AnswerRow>,
}
csrf_protected!(AssessmentForm);

#[derive(Serialize)]
struct LevelChoice {
    level: i32,
    descriptor: String,
    checked: bool,
}

#[derive(Serialize)]
struct QuestionField {
    /// The answer's index in the form (`answers[i]`).
    i: usize,
    id: i32,
    text: String,
    levels: Vec<LevelChoice>,
    evidence: String,
}

#[derive(Serialize)]
struct CapacityFields {
    name: String,
    description: String,
    questions: Vec<QuestionField>,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct FormView {
    code: String,
    municipality_name: String,
    version: i32,
    capacities: Vec<CapacityFields>,
    entities: Vec<Choice>,
}

/// The domain's `answers[i].level` / `answers[i].evidence` as the page's fields
/// (`nivel-<question>`, `evidencia-<question>`), by the question the form's row `i` answers.
fn page_errors(errors: Vec<FieldError>, form: &AssessmentForm) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("answers[")
                && let Some((index, field)) = rest.split_once("].")
                && let Ok(index) = index.parse::<usize>()
                && let Some(question) = form.answers.get(index).and_then(|a| a.question_id)
            {
                e.field = match field {
                    "evidence" => format!("evidencia-{question}"),
                    _ => format!("nivel-{question}"),
                };
            }
            e
        })
        .collect()
}

async fn form_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &MunicipalityReader,
    code: &str,
    form: &AssessmentForm,
    errors: &[FieldError],
) -> PageResult {
    let place = domain::reports::place::find(db, user, code).await?;
    if user.role != Role::Liaison {
        return Err(AppError::Forbidden.into());
    }
    let instrument = instrument::current(db).await?;
    let mut i = 0;
    let capacities = instrument
        .capacities
        .iter()
        .map(|c| CapacityFields {
            name: c.name.clone(),
            description: c.description.clone(),
            questions: c
                .questions
                .iter()
                .map(|q| {
                    let typed = form.answers.iter().find(|a| a.question_id == Some(q.id));
                    let field = QuestionField {
                        i,
                        id: q.id,
                        text: q.text.clone(),
                        levels: q
                            .levels
                            .iter()
                            .map(|l| LevelChoice {
                                level: l.level,
                                descriptor: l.descriptor.clone(),
                                checked: typed.is_some_and(|a| a.level == l.level.to_string()),
                            })
                            .collect(),
                        evidence: typed.map(|a| a.evidence.clone()).unwrap_or_default(),
                    };
                    i += 1;
                    field
                })
                .collect(),
        })
        .collect();
    let chosen = match form.entity_type.as_str() {
        "" => "alcaldia",
        typed => typed,
    };
    let view = FormView {
        code: place.code.clone(),
        municipality_name: place.name.clone(),
        version: instrument.version,
        capacities,
        entities: assessments::entity_choices()
            .into_iter()
            .map(|(value, label)| Choice {
                value,
                label,
                selected: value == chosen,
            })
            .collect(),
    };
    page.render_form(
        "self_assessment_form",
        &format!("Autodiagnóstico de {}", place.name),
        view,
        errors,
    )
}

/// The liaison's form: one group per capacity, each question's levels as choices with their
/// descriptors, and its evidence.
#[get("/municipios/<code>/autodiagnostico/nuevo")]
async fn new_form(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
) -> PageResult {
    form_html(
        db.inner(),
        &page,
        &user,
        code,
        &<AssessmentForm as Default>::default(),
        &[],
    )
    .await
}

#[post("/municipios/<code>/autodiagnostico", data = "<form>")]
async fn submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    code: &str,
    form: CsrfForm<AssessmentForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = NewSelfAssessment {
        entity_type: Some(form.entity_type.clone()),
        answers: Some(
            form.answers
                .iter()
                .map(|a| AnswerInput {
                    question_id: a.question_id,
                    level: a.level.trim().parse().ok(),
                    evidence: Some(a.evidence.clone()),
                })
                .collect(),
        ),
    };
    let result = assessments::submit(db.inner(), &user, code, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/autodiagnosticos/{}", view.id)),
                format!(
                    "Enviamos el autodiagnóstico de {} ({}) a la gobernación para su validación.",
                    view.municipality_name, view.period
                ),
            )
        },
        async |errors| {
            let errors = page_errors(errors, &form);
            form_html(db.inner(), &page, &user, code, &form, &errors).await
        },
    )
    .await
}

// ---- Lists and one self-assessment -----------------------------------------------------------

#[derive(Serialize)]
struct ListView {
    is_liaison: bool,
    is_reviewer: bool,
    municipality_code: Option<String>,
    items: Vec<SelfAssessmentView>,
}

/// What waits for validation (a reviewer's department; every one for staff), or the liaison's
/// municipality's self-assessments with the way to a new one.
#[get("/autodiagnosticos")]
async fn list(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
) -> PageResult {
    let is_liaison = user.role == Role::Liaison;
    let items = match (&user.municipality_code, is_liaison) {
        (Some(code), true) => assessments::of_municipality(db.inner(), &user, code).await?,
        _ => assessments::pending_for(db.inner(), &user).await?,
    };
    page.render(
        "self_assessments",
        "Autodiagnóstico de capacidades",
        ListView {
            is_liaison,
            is_reviewer: user.role == Role::Reviewer,
            municipality_code: user.municipality_code.clone().filter(|_| is_liaison),
            items,
        },
    )
}

#[derive(FromForm, Default, Clone, Serialize)]
struct ValidationForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    accepted: String,
    #[field(default = String::new())]
    note: String,
}
csrf_protected!(ValidationForm);

#[derive(Serialize)]
struct DetailView {
    item: SelfAssessmentView,
    /// The department's reviewer, while it waits: the validation form.
    can_validate: bool,
    pending: bool,
}

async fn detail_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    user: &MunicipalityReader,
    id: i32,
    errors: &[FieldError],
    typed: &ValidationForm,
) -> PageResult {
    let item = assessments::get(db, user, id).await?;
    let pending = item.status == assessments::SUBMITTED;
    let title = format!(
        "Autodiagnóstico de {} ({})",
        item.municipality_name, item.period
    );
    let view = DetailView {
        can_validate: pending && user.role == Role::Reviewer,
        pending,
        item,
    };
    if errors.is_empty() {
        page.render("self_assessment", &title, view)
    } else {
        page.render_refused_typed("self_assessment", &title, view, errors, "", typed)
    }
}

/// One self-assessment: its levels and every answer with its evidence; the department's
/// reviewer validates it or returns it here.
#[get("/autodiagnosticos/<id>")]
async fn detail(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
) -> PageResult {
    detail_html(
        db.inner(),
        &page,
        &user,
        id,
        &[],
        &<ValidationForm as Default>::default(),
    )
    .await
}

#[post("/autodiagnosticos/<id>/validacion", data = "<form>")]
async fn validate(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    user: MunicipalityReader,
    id: i32,
    form: CsrfForm<ValidationForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let input = Validation {
        accepted: match form.accepted.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        note: Some(form.note.clone()),
    };
    let result = assessments::validate(db.inner(), &user, id, &input).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(LIST),
                format!(
                    "Autodiagnóstico de {} ({}): {}.",
                    view.municipality_name,
                    view.period,
                    view.status_label.to_lowercase()
                ),
            )
        },
        async |errors| detail_html(db.inner(), &page, &user, id, &errors, &form).await,
    )
    .await
}

// ---- The administrator's instrument ------------------------------------------------------------

#[derive(FromForm, Default, Clone, Serialize)]
struct QuestionForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    text: String,
    #[field(default = String::new())]
    level_1: String,
    #[field(default = String::new())]
    level_2: String,
    #[field(default = String::new())]
    level_3: String,
    #[field(default = String::new())]
    level_4: String,
}
csrf_protected!(QuestionForm);

#[derive(Serialize)]
struct InstrumentPage {
    instrument: InstrumentView,
    /// The question whose form was refused (its fields come back as typed).
    refused: Option<i32>,
}

async fn instrument_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    refused: Option<(i32, &QuestionForm)>,
    errors: &[FieldError],
) -> PageResult {
    let view = InstrumentPage {
        instrument: instrument::current(db).await?,
        refused: refused.map(|(id, _)| id),
    };
    let title = "Instrumento de autodiagnóstico";
    match refused {
        Some((id, typed)) if !errors.is_empty() => page.render_refused_typed(
            "admin_self_assessment",
            title,
            view,
            &crate::web::form::scoped(&format!("pregunta-{id}"), errors.to_vec()),
            &format!("pregunta-{id}"),
            typed,
        ),
        _ => page.render("admin_self_assessment", title, view),
    }
}

/// The current version of the instrument, each question editable (an edit is a new version).
#[get("/admin/autodiagnostico")]
async fn admin_instrument(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    _admin: AdminUser,
) -> PageResult {
    instrument_html(db.inner(), &page, None, &[]).await
}

#[post("/admin/autodiagnostico/preguntas/<id>", data = "<form>")]
async fn admin_edit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    admin: AdminUser,
    id: i32,
    form: CsrfForm<QuestionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let edit = QuestionEdit {
        text: Some(form.text.clone()),
        level_1: Some(form.level_1.clone()),
        level_2: Some(form.level_2.clone()),
        level_3: Some(form.level_3.clone()),
        level_4: Some(form.level_4.clone()),
    };
    let result = instrument::edit_question(db.inner(), &admin, id, &edit).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to("/admin/autodiagnostico"),
                format!(
                    "Guardamos la versión {} del instrumento; los autodiagnósticos ya enviados \
                     conservan la versión que respondieron.",
                    view.version
                ),
            )
        },
        async |errors| instrument_html(db.inner(), &page, Some((id, &form)), &errors).await,
    )
    .await
}
