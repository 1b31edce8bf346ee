//! Pages for satisfaction and follow-up (issue 17): answering a survey (`/encuestas/<id>`,
//! no JavaScript, one radio group per question) and the satisfaction report
//! (`/reportes/satisfaccion` and its workbook), scoped like the API.

use crate::accounts::guards::{CurrentUser, ParticipantUser};
use crate::error::{AppResult, DomainResult};
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Failure, PageResult};
use crate::web::{OwnedChoice as Choice, Page, capacity_choices};
use domain::entities::values::{Application, Role, SurveyKind};
use domain::error::{AppError, FieldError};
use domain::surveys::reports::{By, Cache, SatisfactionQuery, SatisfactionReport};
use domain::surveys::{DIMENSIONS, PendingSurvey, ResponseInput};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![survey_page, survey_submit, report_page, report_download]
}

/// The five steps of every satisfaction question.
const SCALE: [(&str, &str); 5] = [
    ("1", "1 · Muy malo"),
    ("2", "2 · Malo"),
    ("3", "3 · Aceptable"),
    ("4", "4 · Bueno"),
    ("5", "5 · Excelente"),
];

/// The survey form as the page sends it.
#[derive(Clone, Debug, Default, FromForm, Serialize)]
struct SurveyForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    #[field(default = String::new())]
    calidad: String,
    #[field(default = String::new())]
    pertinencia: String,
    #[field(default = String::new())]
    oportunidad: String,
    #[field(default = String::new())]
    metodologia: String,
    #[field(default = String::new())]
    instructor: String,
    #[field(default = String::new())]
    logistica: String,
    #[field(default = String::new())]
    aplicacion: String,
    #[field(default = String::new())]
    sigue_en_entidad: String,
    #[field(default = String::new())]
    comment: String,
}
csrf_protected!(SurveyForm);

impl SurveyForm {
    fn value(&self, key: &str) -> &str {
        match key {
            "calidad" => &self.calidad,
            "pertinencia" => &self.pertinencia,
            "oportunidad" => &self.oportunidad,
            "metodologia" => &self.metodologia,
            "instructor" => &self.instructor,
            "logistica" => &self.logistica,
            "aplicacion" => &self.aplicacion,
            "sigue_en_entidad" => &self.sigue_en_entidad,
            _ => "",
        }
    }

    /// The API's input: what was chosen, as the domain checks it (an unanswered question is
    /// left out, so the domain names it).
    fn input(&self, kind: SurveyKind) -> ResponseInput {
        let mut answers = std::collections::BTreeMap::new();
        match kind {
            SurveyKind::Satisfaction => {
                for (key, _, _) in DIMENSIONS {
                    let text = self.value(key).trim();
                    if !text.is_empty() {
                        let value = text
                            .parse::<i64>()
                            .map_or_else(|_| serde_json::Value::from(text), Into::into);
                        answers.insert(key.to_string(), value);
                    }
                }
            }
            SurveyKind::FollowUp => {
                if !self.aplicacion.trim().is_empty() {
                    answers.insert("aplicacion".into(), self.aplicacion.trim().into());
                }
                match self.sigue_en_entidad.trim() {
                    "si" => {
                        answers.insert("sigue_en_entidad".into(), true.into());
                    }
                    "no" => {
                        answers.insert("sigue_en_entidad".into(), false.into());
                    }
                    _ => {}
                }
            }
        }
        ResponseInput {
            answers,
            comment: Some(self.comment.clone()),
        }
    }
}

#[derive(Serialize)]
struct Option_ {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct Question {
    key: &'static str,
    label: &'static str,
    question: &'static str,
    /// Why it is not shown with the others (the entity question changes the person's record).
    note: Option<&'static str>,
    error: Option<String>,
    options: Vec<Option_>,
}

#[derive(Serialize)]
struct SurveyView {
    survey: PendingSurvey,
    follow_up: bool,
    /// Why it cannot be answered now (already answered, closed, not yet open).
    closed: Option<String>,
    questions: Vec<Question>,
    comment: String,
    comment_label: &'static str,
    errors: Vec<FieldError>,
}

fn options(all: &[(&'static str, &'static str)], chosen: &str) -> Vec<Option_> {
    all.iter()
        .map(|(value, label)| Option_ {
            value,
            label,
            checked: *value == chosen,
        })
        .collect()
}

fn survey_view(
    own: &domain::surveys::OwnSurvey,
    form: &SurveyForm,
    errors: Vec<FieldError>,
) -> SurveyView {
    let error = |key: &str| {
        errors
            .iter()
            .find(|e| e.field == format!("answers.{key}"))
            .map(|e| e.message.clone())
    };
    let follow_up = own.survey.kind == SurveyKind::FollowUp;
    let questions = if follow_up {
        let applied: Vec<(&'static str, &'static str)> =
            [Application::Si, Application::Parcialmente, Application::No]
                .iter()
                .map(|a| (a.as_str(), a.label()))
                .collect();
        vec![
            Question {
                key: "aplicacion",
                label: "Aplicación",
                question: "¿Ha aplicado en su trabajo lo que aprendió en el curso?",
                note: None,
                error: error("aplicacion"),
                options: options(&applied, &form.aplicacion),
            },
            Question {
                key: "sigue_en_entidad",
                label: "Entidad",
                question: "¿Sigue trabajando en la misma entidad en la que estaba cuando hizo el curso?",
                note: Some(
                    "Esta respuesta actualiza su registro: con ella ESAP sabe cuántas personas formadas siguen en cada alcaldía. Las demás respuestas son anónimas.",
                ),
                error: error("sigue_en_entidad"),
                options: options(&[("si", "Sí"), ("no", "No")], &form.sigue_en_entidad),
            },
        ]
    } else {
        DIMENSIONS
            .iter()
            .map(|(key, label, question)| Question {
                key,
                label,
                question,
                note: None,
                error: error(key),
                options: options(&SCALE, form.value(key)),
            })
            .collect()
    };
    SurveyView {
        survey: own.view(),
        follow_up,
        closed: own.closed_reason(domain::time::now()),
        questions,
        comment: form.comment.clone(),
        comment_label: if follow_up {
            "Un ejemplo de cómo lo aplicó (opcional)"
        } else {
            "Comentario (opcional)"
        },
        errors,
    }
}

fn title(own: &domain::surveys::OwnSurvey) -> String {
    format!("{}: {}", own.survey.kind.label(), own.cohort.name)
}

/// One of the caller's surveys: the questions, or why it cannot be answered.
#[get("/encuestas/<id>")]
async fn survey_page(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
) -> PageResult {
    let own = domain::surveys::find_own(db.inner(), &me, id).await?;
    let view = survey_view(&own, &<SurveyForm as Default>::default(), Vec::new());
    page.render("survey", &title(&own), view)
}

#[post("/encuestas/<id>", data = "<form>")]
async fn survey_submit(
    db: &State<DatabaseConnection>,
    page: Page<'_>,
    me: ParticipantUser,
    id: i32,
    form: CsrfForm<SurveyForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let own = domain::surveys::find_own(db.inner(), &me, id).await?;
    let result = domain::db::write(db, async |txn| {
        domain::surveys::answer(
            txn,
            &me,
            id,
            &form.input(own.survey.kind),
            domain::time::now(),
        )
        .await?;
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(Flash::success(
            Redirect::to("/"),
            "¡Gracias! Registramos su respuesta de forma confidencial.",
        )),
        Err(error) => {
            let errors = crate::web::form::problems(error)?;
            let view = survey_view(&own, &form, errors.clone());
            Err(Failure::form_again(page.render_refused(
                "survey",
                &title(&own),
                view,
                &errors,
            )))
        }
    }
}

#[derive(Serialize)]
struct ItemView {
    label: String,
    mean: String,
    /// The mean for a `<meter>` (decimal point), empty when hidden.
    value: String,
}

#[derive(Serialize)]
struct GroupView {
    label: String,
    invited: String,
    responded: String,
    rate: String,
    means: Vec<String>,
    overall: String,
    follow_up_responded: String,
    applied: String,
}

#[derive(Serialize)]
struct InstructorView {
    name: String,
    cohorts: String,
    n: String,
    instructor: String,
    overall: String,
}

#[derive(Serialize)]
struct ShareView {
    label: String,
    count: String,
    share: String,
}

#[derive(Serialize)]
struct ReportView<'a> {
    invited: String,
    responded: String,
    rate: String,
    overall: String,
    suppressed: bool,
    items: Vec<ItemView>,
    follow_up_invited: String,
    follow_up_responded: String,
    follow_up_rate: String,
    follow_up_suppressed: bool,
    applied: Vec<ShareView>,
    by_label: &'static str,
    dimension_labels: Vec<&'static str>,
    groups: Vec<GroupView>,
    instructors: Option<Vec<InstructorView>>,
    comments: Option<Vec<String>>,
    follow_up_comments: Option<Vec<String>>,
    min_group: i64,
    territorial: bool,
    departments: Vec<crate::web::DepartmentChoice<'a>>,
    capacities: Vec<Choice>,
    courses: Vec<Choice>,
    groupings: Vec<Choice>,
    cohort: Option<String>,
    cohort_id: String,
    quarter: String,
    xlsx: String,
}

fn mean(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| domain::format::decimal(v, 1))
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| domain::format::percent_value(v * 100.0))
}

fn count(n: i64) -> String {
    domain::format::thousands(n)
}

impl ReportView<'_> {
    fn of(report: &SatisfactionReport) -> Self {
        ReportView {
            invited: count(report.invited),
            responded: count(report.responded),
            rate: share(report.response_rate),
            overall: mean(report.overall),
            suppressed: report.suppressed,
            items: report
                .items
                .iter()
                .map(|i| ItemView {
                    label: i.label.clone(),
                    mean: mean(i.mean),
                    value: i.mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
                })
                .collect(),
            follow_up_invited: count(report.follow_up.invited),
            follow_up_responded: count(report.follow_up.responded),
            follow_up_rate: share(report.follow_up.response_rate),
            follow_up_suppressed: report.follow_up.suppressed,
            applied: report
                .follow_up
                .applied
                .iter()
                .map(|a| ShareView {
                    label: a.label.clone(),
                    count: a.count.map_or_else(|| "—".into(), count),
                    share: share(a.share),
                })
                .collect(),
            by_label: report.by.label(),
            dimension_labels: DIMENSIONS.iter().map(|(_, label, _)| *label).collect(),
            groups: report
                .groups
                .iter()
                .map(|g| GroupView {
                    label: g.label.clone(),
                    invited: count(g.invited),
                    responded: count(g.responded),
                    rate: share(g.response_rate),
                    means: g.means.iter().map(|m| mean(*m)).collect(),
                    overall: mean(g.overall),
                    follow_up_responded: count(g.follow_up_responded),
                    applied: share(g.applied_share),
                })
                .collect(),
            instructors: report.instructors.as_ref().map(|rows| {
                rows.iter()
                    .map(|r| InstructorView {
                        name: r.name.clone(),
                        cohorts: count(r.cohorts),
                        n: count(r.n),
                        instructor: mean(r.instructor_mean),
                        overall: mean(r.overall),
                    })
                    .collect()
            }),
            comments: report.comments.clone(),
            follow_up_comments: report.follow_up_comments.clone(),
            min_group: report.min_group,
            territorial: false,
            departments: Vec::new(),
            capacities: Vec::new(),
            courses: Vec::new(),
            groupings: Vec::new(),
            cohort: None,
            cohort_id: String::new(),
            quarter: String::new(),
            xlsx: String::new(),
        }
    }
}

/// The courses for a select, by name.
async fn course_choices(
    db: &DatabaseConnection,
    selected: Option<i32>,
) -> DomainResult<Vec<Choice>> {
    let rows = domain::catalogue::courses::names(db).await?;
    Ok(Choice::of_rows(rows, selected))
}

/// The page's filters, in Spanish, as the API's query.
#[allow(clippy::too_many_arguments)]
fn page_query(
    departamento: Option<String>,
    capacidad: Option<i32>,
    curso: Option<i32>,
    cohorte: Option<i32>,
    trimestre: Option<String>,
    por: Option<String>,
) -> AppResult<SatisfactionQuery> {
    super::api::SatisfactionParams {
        department: departamento,
        capacity: capacidad,
        course: curso,
        cohort: cohorte,
        quarter: trimestre,
        by: por,
    }
    .query()
}

/// The satisfaction report: what participants thought, the follow-up, per group.
#[get("/reportes/satisfaccion?<departamento>&<capacidad>&<curso>&<cohorte>&<trimestre>&<por>")]
#[allow(clippy::too_many_arguments)]
async fn report_page(
    db: &State<DatabaseConnection>,
    cache: &State<Cache>,
    page: Page<'_>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    curso: Option<i32>,
    cohorte: Option<i32>,
    trimestre: Option<String>,
    por: Option<String>,
) -> PageResult {
    let query = page_query(
        departamento.clone(),
        capacidad,
        curso,
        cohorte,
        trimestre.clone(),
        por,
    )?;
    let report = domain::surveys::reports::cached(db.inner(), cache, &user, &query).await?;
    let departments = domain::territory::departments(db.inner()).await?;
    let capacities = capacity_choices(db.inner(), capacidad).await?;
    let courses = course_choices(db.inner(), curso).await?;
    // The cohort named through the scope its own page applies (issue 62, item 5): one the
    // caller may not read names nothing.
    let cohort_name = match cohorte {
        Some(id) => {
            let scope = domain::cohorts::scope::CohortScope::reading(Some(&user));
            match domain::cohorts::find_in_scope(db.inner(), &scope, id).await {
                Ok(found) => Some(found.name),
                Err(AppError::NotFound) => None,
                Err(error) => return Err(error.into()),
            }
        }
        None => None,
    };
    let link = format!(
        "departamento={}&capacidad={}&curso={}&cohorte={}&trimestre={}&por={}",
        departamento.as_deref().unwrap_or_default(),
        capacidad.map(|c| c.to_string()).unwrap_or_default(),
        curso.map(|c| c.to_string()).unwrap_or_default(),
        cohorte.map(|c| c.to_string()).unwrap_or_default(),
        query.quarter.as_deref().unwrap_or_default(),
        query.by.as_str(),
    );
    let view = ReportView {
        territorial: user.role == Role::Reviewer,
        departments: crate::web::DepartmentChoice::list(&departments, departamento.as_deref()),
        capacities,
        courses,
        groupings: By::ALL
            .iter()
            .map(|b| Choice {
                value: b.as_str().into(),
                label: b.label().into(),
                selected: *b == query.by,
            })
            .collect(),
        cohort: cohort_name,
        cohort_id: cohorte.map(|c| c.to_string()).unwrap_or_default(),
        quarter: query.quarter.clone().unwrap_or_default(),
        xlsx: format!("/reportes/satisfaccion.xlsx?{link}"),
        ..ReportView::of(&report)
    };
    page.render(
        "satisfaction_report",
        "Satisfacción de los participantes",
        view,
    )
}

/// The satisfaction report's workbook, from the page (a signed-in browser, not a token).
#[get("/reportes/satisfaccion.xlsx?<departamento>&<capacidad>&<curso>&<cohorte>&<trimestre>&<por>")]
#[allow(clippy::too_many_arguments)]
async fn report_download(
    db: &State<DatabaseConnection>,
    cache: &State<Cache>,
    user: CurrentUser,
    departamento: Option<String>,
    capacidad: Option<i32>,
    curso: Option<i32>,
    cohorte: Option<i32>,
    trimestre: Option<String>,
    por: Option<String>,
) -> AppResult<crate::spreadsheets::download::Download> {
    let query = page_query(departamento, capacidad, curso, cohorte, trimestre, por)?;
    super::api::workbook(db.inner(), cache, &user, &query).await
}

/// The satisfaction figures in one line, as the home pages and the cohort page show them.
#[derive(Serialize)]
pub(crate) struct Line {
    invited: String,
    responded: String,
    rate: String,
    overall: String,
    follow_up_responded: String,
    applied: String,
    link: String,
}

/// The line over `query` for `user` (through `cache` when given); `None` for roles that do
/// not read the report.
pub(crate) async fn line(
    db: &DatabaseConnection,
    cache: Option<&Cache>,
    user: &domain::accounts::actor::Actor,
    query: &SatisfactionQuery,
    link: String,
) -> AppResult<Option<Line>> {
    if !(user.is_staff() || user.role == Role::Reviewer) {
        return Ok(None);
    }
    let report = match cache {
        Some(cache) => domain::surveys::reports::cached(db, cache, user, query).await?,
        None => std::sync::Arc::new(domain::surveys::reports::report(db, user, query).await?),
    };
    let applied = report
        .follow_up
        .applied
        .iter()
        .take(2)
        .map(|a| a.share)
        .sum::<Option<f64>>();
    Ok(Some(Line {
        invited: count(report.invited),
        responded: count(report.responded),
        rate: share(report.response_rate),
        overall: mean(report.overall),
        follow_up_responded: count(report.follow_up.responded),
        applied: share(applied),
        link,
    }))
}
