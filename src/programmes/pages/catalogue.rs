//! The public catalogue of programmes (`/programas`), a programme's page with its modules,
//! capacities and editions, and the coordinator's forms: «Nuevo programa», «Publicar» and
//! «Nueva edición» (one cohort chooser per module).

use super::{person_of, takes_enrolments};
use crate::accounts::guards::StaffUser;
use crate::web::csrf::{CsrfForm, PlainForm, csrf_protected};
use crate::web::form::number_field;
use crate::web::rows::{filled, index, numbered, row_problem};
use crate::web::{Choice, OwnedChoice, Page, PageResult};
use domain::entities::values::{ProgrammeEnrolmentStatus, ProgrammeKind, ProgrammeStatus};
use domain::error::{AppError, FieldError};
use domain::programmes::editions::{self, EditionInput, EditionView};
use domain::programmes::{self, ModuleInput, ProgrammeInput, ProgrammeView};
use rocket::Either;
use rocket::form::FromForm;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub(super) fn routes() -> Vec<Route> {
    routes![
        list_page,
        programme_page,
        publish_submit,
        edition_submit,
        new_page,
        create_submit
    ]
}

/// A programme as a card of the catalogue.
#[derive(Serialize)]
struct ProgrammeCard<'a> {
    id: i32,
    name: &'a str,
    kind_label: &'static str,
    provider: &'a str,
    hours: i32,
    modules: usize,
    capacities: Vec<String>,
    draft: bool,
}

#[derive(Serialize)]
struct ListView<'a> {
    programmes: Vec<ProgrammeCard<'a>>,
    /// A coordinator or an admin: «Nuevo programa».
    creates: bool,
}

/// The capacities' names by id, in the house's order.
async fn capacity_names(db: &DatabaseConnection) -> domain::error::AppResult<Vec<(i32, String)>> {
    Ok(domain::capacities::active_in_order(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

fn names_of(all: &[(i32, String)], ids: &[i32]) -> Vec<String> {
    all.iter()
        .filter(|(id, _)| ids.contains(id))
        .map(|(_, name)| name.clone())
        .collect()
}

/// The published programmes (and, for a coordinator, its provider's drafts), by name.
#[get("/programas")]
async fn list_page(db: &State<DatabaseConnection>, page: Page<'_>) -> PageResult {
    let actor = page.user.as_deref();
    let found = programmes::list(db.inner(), actor).await?;
    let capacities = capacity_names(db.inner()).await?;
    let programmes = found
        .iter()
        .map(|p| ProgrammeCard {
            id: p.id,
            name: &p.name,
            kind_label: p.kind_label,
            provider: &p.provider.name,
            hours: p.hours,
            modules: p.modules.len(),
            capacities: names_of(&capacities, &p.capacity_ids),
            draft: p.status == ProgrammeStatus::Draft,
        })
        .collect();
    page.render(
        "programmes",
        "Programas: diplomados y rutas de aprendizaje",
        ListView {
            programmes,
            creates: actor.is_some_and(|a| a.is_staff()),
        },
    )
}

/// A module as the programme's page lists it.
#[derive(Serialize)]
struct ModuleRow {
    order: i32,
    course_name: String,
    course_code: String,
    hours: i32,
    required: bool,
    /// The modules it comes after, by name.
    after: Vec<String>,
}

/// An edition as the programme's page lists it, with the participant's place in it.
#[derive(Serialize)]
struct EditionRow {
    #[serde(flatten)]
    view: EditionView,
    /// The signed-in participant's enrolment here, said in words.
    mine: Option<String>,
    can_enrol: bool,
}

/// «Nueva edición»: one chooser per module.
#[derive(Serialize)]
struct BuilderModule {
    /// The module's index (its field is `edicion.cohort_ids-{i}`).
    i: usize,
    order: i32,
    course_name: String,
    required: bool,
    choices: Vec<OwnedChoice>,
}

#[derive(Serialize)]
struct Builder {
    name: String,
    modules: Vec<BuilderModule>,
    /// Some module has no cohort to choose: the form says which.
    missing: Vec<String>,
}

#[derive(Serialize)]
struct ProgrammePage<'a> {
    programme: &'a ProgrammeView,
    status_label: &'static str,
    draft: bool,
    capacities: Vec<String>,
    modules: Vec<ModuleRow>,
    required_count: usize,
    electives_offered: usize,
    editions: Vec<EditionRow>,
    /// The coordinator who manages it: «Publicar», «Nueva edición».
    manages: bool,
    builder: Option<Builder>,
    anonymous: bool,
}

/// «Nueva edición» as typed (empty on a first visit).
#[derive(FromForm, Default)]
struct EditionForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    /// One per module, in the programme's order ("" when none chosen).
    #[field(default = Vec::new())]
    cohorts: Vec<String>,
}
csrf_protected!(EditionForm);

fn edition_status_word(status: ProgrammeEnrolmentStatus, position: Option<u64>) -> String {
    match (status, position) {
        (ProgrammeEnrolmentStatus::Waitlisted, Some(n)) => {
            format!("Usted está en la lista de espera (puesto {n}).")
        }
        (ProgrammeEnrolmentStatus::Waitlisted, None) => {
            "Usted está en la lista de espera.".to_string()
        }
        _ => "Su inscripción en esta edición está confirmada.".to_string(),
    }
}

/// The programme's page for the caller, with «Nueva edición» showing `form` and `errors`.
async fn programme_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    id: i32,
    form: &EditionForm,
    errors: &[FieldError],
) -> PageResult {
    let actor = page.user.as_deref();
    let programme = programmes::view(db, actor, id).await?;
    let manages = match actor {
        Some(a) if a.is_staff() => programmes::find_managed(db, a, id).await.is_ok(),
        _ => false,
    };
    let person = person_of(db, page.user.as_ref()).await?;
    let mut editions_rows = Vec::new();
    for view in editions::of_programme(db, id).await? {
        let mine = match &person {
            Some(person) => {
                match domain::programmes::enrolment::current(db, view.id, person.id).await? {
                    Some(row) => {
                        let edition = editions::load(db, view.id).await?;
                        let placed =
                            domain::programmes::enrolment::view(db, &edition, &row).await?;
                        Some(edition_status_word(row.status, placed.waitlist_position))
                    }
                    None => None,
                }
            }
            None => None,
        };
        editions_rows.push(EditionRow {
            can_enrol: person.is_some()
                && mine.is_none()
                && programme.status == ProgrammeStatus::Published
                && takes_enrolments(view.status),
            mine,
            view,
        });
    }
    let builder = match actor {
        Some(a) if manages => Some(builder(db, a, &programme, form).await?),
        _ => None,
    };
    let name_of = |course: i32| {
        programme
            .module(course)
            .map(|m| m.course_name.clone())
            .unwrap_or_default()
    };
    let modules = programme
        .modules
        .iter()
        .map(|m| ModuleRow {
            order: m.order,
            course_name: m.course_name.clone(),
            course_code: m.course_code.clone(),
            hours: m.hours,
            required: m.required,
            after: m.after.iter().map(|a| name_of(*a)).collect(),
        })
        .collect();
    let capacities = names_of(&capacity_names(db).await?, &programme.capacity_ids);
    let view = ProgrammePage {
        status_label: match programme.status {
            ProgrammeStatus::Draft => "Borrador: aún no está en el catálogo",
            ProgrammeStatus::Published => "Publicado en el catálogo",
        },
        draft: programme.status == ProgrammeStatus::Draft,
        capacities,
        modules,
        required_count: programme.modules.iter().filter(|m| m.required).count(),
        electives_offered: programme.modules.iter().filter(|m| !m.required).count(),
        editions: editions_rows,
        manages,
        builder,
        anonymous: page.user.is_none(),
        programme: &programme,
    };
    page.render_form("programme", &programme.name, view, errors)
}

/// «Nueva edición» for a coordinator who manages the programme: per module, the cohorts of
/// its course it manages and no edition holds yet.
async fn builder(
    db: &DatabaseConnection,
    actor: &domain::accounts::actor::Actor,
    programme: &ProgrammeView,
    form: &EditionForm,
) -> domain::error::AppResult<Builder> {
    let candidates = domain::programmes::builder::candidates(db, actor, programme).await?;
    let mut missing = Vec::new();
    let modules = programme
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let chosen = form.cohorts.get(i).and_then(|c| c.parse::<i32>().ok());
            let cohorts = candidates.get(&m.course_id).cloned().unwrap_or_default();
            if cohorts.is_empty() {
                missing.push(m.course_name.clone());
            }
            BuilderModule {
                i,
                order: m.order,
                course_name: m.course_name.clone(),
                required: m.required,
                choices: OwnedChoice::of_rows(
                    cohorts
                        .into_iter()
                        .map(|c| {
                            (
                                c.id,
                                format!(
                                    "{} · del {} al {} · {}",
                                    c.name,
                                    domain::format::date(c.start_date),
                                    domain::format::date(c.end_date),
                                    c.status.label()
                                ),
                            )
                        })
                        .collect(),
                    chosen,
                ),
            }
        })
        .collect();
    Ok(Builder {
        name: form.name.clone(),
        modules,
        missing,
    })
}

#[get("/programas/<id>")]
async fn programme_page(db: &State<DatabaseConnection>, page: Page<'_>, id: i32) -> PageResult {
    programme_html(db, &page, id, &<EditionForm as Default>::default(), &[]).await
}

#[post("/programas/<id>/publicar", data = "<_form>")]
async fn publish_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    _form: CsrfForm<PlainForm>,
) -> PageResult<Flash<Redirect>> {
    let result =
        domain::db::write(db, async |txn| programmes::publish(txn, &staff, id).await).await;
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/programas/{id}")),
                format!("«{}» quedó publicado en el catálogo.", view.name),
            )
        },
        async |errors| {
            programme_html(db, &page, id, &<EditionForm as Default>::default(), &errors).await
        },
    )
    .await
}

/// The domain's `cohort_ids[n]` as the page names it: the chooser of the module that sent it
/// (`edicion.cohort_ids-2`).
fn edition_problems(errors: Vec<FieldError>, sent: &[usize]) -> Vec<FieldError> {
    let errors = errors
        .into_iter()
        .map(|e| row_problem(e, &[("cohort_ids", sent)]))
        .collect();
    crate::web::form::scoped("edicion", errors)
}

#[post("/programas/<id>/ediciones", data = "<form>")]
async fn edition_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<EditionForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let mut problems = Vec::new();
    let chosen: Vec<(usize, i32)> = form
        .cohorts
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.trim().is_empty())
        .filter_map(|(i, c)| {
            number_field(&format!("cohort_ids-{i}"), c, &mut problems)
                .and_then(|n| i32::try_from(n).ok())
                .map(|n| (i, n))
        })
        .collect();
    let sent: Vec<usize> = chosen.iter().map(|(i, _)| *i).collect();
    let input = EditionInput {
        name: form.name.clone(),
        cohort_ids: chosen.iter().map(|(_, c)| *c).collect(),
    };
    let result = if problems.is_empty() {
        domain::db::write(db, async |txn| {
            editions::create(txn, &staff, id, &input).await
        })
        .await
    } else {
        Err(AppError::Validation(problems))
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/ediciones/{}", view.id)),
                format!(
                    "Edición «{}» creada con {} módulos.",
                    view.name,
                    view.cohorts.len()
                ),
            )
        },
        async |errors| {
            let errors = edition_problems(errors, &sent);
            programme_html(db, &page, id, &form, &errors).await
        },
    )
    .await
}

/// A module's row of «Nuevo programa» as typed.
#[derive(FromForm, Serialize, Clone, Default)]
struct ModuleForm {
    #[field(default = String::new())]
    course_id: String,
    #[field(default = String::new())]
    order: String,
    /// `obligatorio` or `electivo`.
    #[field(default = String::new())]
    kind: String,
    /// The numbers of the rows (1, 2, …) this module comes after.
    #[field(default = Vec::new())]
    after: Vec<usize>,
}

/// «Nuevo programa» as typed.
#[derive(FromForm, Default)]
struct ProgrammeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    kind: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    hours: String,
    #[field(default = String::new())]
    electives_required: String,
    #[field(default = String::new())]
    recognition_years: String,
    #[field(default = Vec::new())]
    modules: Vec<ModuleForm>,
    /// «Agregar otra fila de módulo»: the form again with one more row; nothing is saved.
    #[field(default = String::new())]
    more: String,
}
csrf_protected!(ProgrammeForm);

/// Empty module rows of a new programme (a diplomado of four modules).
const MODULE_ROWS: usize = 4;

impl ProgrammeForm {
    fn blank() -> Self {
        ProgrammeForm {
            kind: ProgrammeKind::Diplomado.as_str().to_string(),
            electives_required: "0".into(),
            recognition_years: programmes::DEFAULT_RECOGNITION_YEARS.to_string(),
            ..Default::default()
        }
    }

    /// The rows that name a course.
    fn sent(&self) -> Vec<(usize, &ModuleForm)> {
        filled(&self.modules, |m| m.course_id.trim().is_empty())
    }

    /// The programme as the domain takes it, or the numbers that do not read; the rows sent.
    fn input(&self) -> (Result<ProgrammeInput, AppError>, Vec<usize>) {
        let mut errors = Vec::new();
        let sent = self.sent();
        let course_of = |n: usize| -> i32 {
            self.modules
                .get(n.wrapping_sub(1))
                .and_then(|m| m.course_id.trim().parse().ok())
                // A row left blank: no course, which the domain refuses beside this row.
                .unwrap_or(0)
        };
        let modules = sent
            .iter()
            .map(|(i, m)| ModuleInput {
                course_id: m.course_id.trim().parse().unwrap_or(0),
                order: number_field(&format!("modules-{i}"), &m.order, &mut errors)
                    .and_then(|n| i32::try_from(n).ok())
                    .unwrap_or(*i as i32 + 1),
                required: m.kind != "electivo",
                after: m
                    .after
                    .iter()
                    .filter(|n| **n != *i + 1)
                    .map(|n| course_of(*n))
                    .collect(),
            })
            .collect();
        let input = ProgrammeInput {
            code: self.code.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            description: self.description.clone(),
            hours: number_field("hours", &self.hours, &mut errors),
            modules,
            electives_required: number_field(
                "electives_required",
                &self.electives_required,
                &mut errors,
            ),
            recognition_years: number_field(
                "recognition_years",
                &self.recognition_years,
                &mut errors,
            ),
        };
        let rows = index(&sent);
        if errors.is_empty() {
            (Ok(input), rows)
        } else {
            (Err(AppError::Validation(errors)), rows)
        }
    }
}

/// A module row as drawn: its values and its «después de» boxes (the other rows).
#[derive(Serialize)]
struct ModuleRowView {
    /// Its index in the form and its number for people.
    i: usize,
    n: usize,
    course_id: String,
    order: String,
    elective: bool,
    courses: Vec<OwnedChoice>,
    after: Vec<AfterBox>,
}

#[derive(Serialize)]
struct AfterBox {
    n: usize,
    checked: bool,
}

#[derive(Serialize)]
struct NewView<'a> {
    form: NewValues<'a>,
    kinds: Vec<Choice<'static>>,
    modules: Vec<ModuleRowView>,
}

#[derive(Serialize)]
struct NewValues<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    hours: &'a str,
    electives_required: &'a str,
    recognition_years: &'a str,
}

async fn new_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    form: &ProgrammeForm,
    errors: &[FieldError],
) -> PageResult {
    // Every course of the catalogue: a module may be a co-provider's (a joint programme).
    let (courses, _) =
        domain::catalogue::courses::list(db, None, None, None, false, 1, 500).await?;
    let rows = numbered(&form.modules, MODULE_ROWS, form.more == "modules");
    let count = rows.len();
    let modules = (0..count)
        .map(|i| {
            let typed = form.modules.get(i).cloned().unwrap_or_default();
            let chosen = typed.course_id.trim().parse::<i32>().ok();
            ModuleRowView {
                i,
                n: i + 1,
                order: if typed.order.is_empty() {
                    (i + 1).to_string()
                } else {
                    typed.order.clone()
                },
                elective: typed.kind == "electivo",
                courses: OwnedChoice::of_rows(
                    courses
                        .iter()
                        .map(|c| {
                            (
                                c.id,
                                format!("{} · {} ({} h)", c.name, c.provider.name, c.hours),
                            )
                        })
                        .collect(),
                    chosen,
                ),
                after: (1..=count)
                    .filter(|n| *n != i + 1)
                    .map(|n| AfterBox {
                        n,
                        checked: typed.after.contains(&n),
                    })
                    .collect(),
                course_id: typed.course_id,
            }
        })
        .collect::<Vec<_>>();
    let kinds = [
        ProgrammeKind::Diplomado,
        ProgrammeKind::Programa,
        ProgrammeKind::Ruta,
    ]
    .into_iter()
    .map(|k| Choice {
        value: k.as_str(),
        label: k.label(),
        selected: form.kind == k.as_str(),
    })
    .collect();
    page.render_form(
        "programme_new",
        "Nuevo programa",
        NewView {
            form: NewValues {
                code: &form.code,
                name: &form.name,
                description: &form.description,
                hours: &form.hours,
                electives_required: &form.electives_required,
                recognition_years: &form.recognition_years,
            },
            kinds,
            modules,
        },
        errors,
    )
}

#[get("/coordinacion/programas/nuevo")]
async fn new_page(db: &State<DatabaseConnection>, _staff: StaffUser, page: Page<'_>) -> PageResult {
    new_html(db, &page, &ProgrammeForm::blank(), &[]).await
}

#[post("/coordinacion/programas", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    form: CsrfForm<ProgrammeForm>,
) -> PageResult<Either<Flash<Redirect>, RawHtml<String>>> {
    let form = form.0;
    if !form.more.is_empty() {
        return new_html(db, &page, &form, &[]).await.map(Either::Right);
    }
    let (input, sent) = form.input();
    let result = match input {
        Ok(input) => {
            domain::db::write(db, async |txn| {
                programmes::create(txn, &staff, &input).await
            })
            .await
        }
        Err(error) => Err(error),
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/programas/{}", view.id)),
                format!(
                    "Programa «{}» creado como borrador: revíselo y publíquelo cuando esté listo.",
                    view.name
                ),
            )
        },
        async |errors| {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| row_problem(e, &[("modules", &sent)]))
                .collect();
            new_html(db, &page, &form, &errors).await
        },
    )
    .await
    .map(Either::Left)
}
