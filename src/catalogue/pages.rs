//! Coordinators' pages for the course catalogue.

use crate::accounts::guards::StaffUser;
use crate::error::AppResult;
use crate::web::PageResult;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::form::{decimal_field, number_field};
use crate::web::{Choice, Page};
use domain::catalogue::courses::{self, CourseInput, CourseView, MANAGEMENT_STAGES};
use domain::entities::values::Modality;
use domain::error::{AppError, FieldError};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![list_page, create_submit, edit_page, update_submit]
}

#[derive(FromForm, Default, Clone)]
pub struct CourseForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    hours: String,
    #[field(default = String::new())]
    default_modality: String,
    #[field(default = String::new())]
    management_stage: String,
    #[field(default = Vec::new())]
    capacity_ids: Vec<i32>,
    #[field(default = Vec::new())]
    sector_ids: Vec<i32>,
    #[field(default = Vec::new())]
    population_group_ids: Vec<i32>,
    #[field(default = String::new())]
    min_attendance_pct: String,
    #[field(default = String::new())]
    pass_mark: String,
    #[field(default = String::new())]
    retired: String,
}

csrf_protected!(CourseForm);

impl CourseForm {
    fn input(&self) -> Result<CourseInput, AppError> {
        let mut errors = Vec::new();
        let input = CourseInput {
            code: Some(self.code.clone()),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            hours: number_field("hours", &self.hours, &mut errors),
            default_modality: Some(self.default_modality.clone()).filter(|m| !m.is_empty()),
            management_stage: Some(self.management_stage.clone()),
            capacity_ids: Some(self.capacity_ids.clone()),
            sector_ids: Some(self.sector_ids.clone()),
            population_group_ids: Some(self.population_group_ids.clone()),
            min_attendance_pct: number_field(
                "min_attendance_pct",
                &self.min_attendance_pct,
                &mut errors,
            ),
            pass_mark: decimal_field("pass_mark", &self.pass_mark, &mut errors),
            retired: match self.retired.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            provider_id: None,
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

/// The course form (`course_fields`): the values to show, its choices and the errors.
#[derive(Serialize)]
struct CourseFormView<'a> {
    form: CourseValues<'a>,
    capacities: Vec<CapacityCheck>,
    descriptors: crate::descriptors::pages::Checks,
    modalities: Vec<Choice<'static>>,
    stages: Vec<StageChoice>,
    errors: &'a [FieldError],
}

/// The text fields of the course form as typed.
#[derive(Serialize)]
struct CourseValues<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    hours: &'a str,
    min_attendance_pct: &'a str,
    pass_mark: &'a str,
}

/// A capacity as a checkbox.
#[derive(Serialize)]
struct CapacityCheck {
    id: i32,
    name: String,
    checked: bool,
}

/// A stage of the public-management cycle in its select (the value is its label).
#[derive(Serialize)]
struct StageChoice {
    value: &'static str,
    selected: bool,
}

/// The course list and the new-course form.
#[derive(Serialize)]
struct CoursesView<'a> {
    #[serde(flatten)]
    form: CourseFormView<'a>,
    courses: Vec<CourseView>,
    /// The catalogue is national: a territorial direction's coordinator reads it only.
    editable: bool,
}

/// A course's page: its form and its state.
#[derive(Serialize)]
struct CourseEditView<'a> {
    #[serde(flatten)]
    form: CourseFormView<'a>,
    course: &'a CourseView,
    editable: bool,
    /// Another provider's course: shown read-only, with whose it is.
    other_provider: bool,
    /// «Productos y materiales en el banco» (issue 48): its materials in the knowledge bank.
    resources: Vec<domain::knowledge::ResourceView>,
    bank_add: Option<String>,
    unbanked: Vec<domain::assistance::visits::ProductView>,
}

/// Whether the signed-in person may change the catalogue (see
/// `catalogue::courses::require_national`).
fn editable(page: &Page<'_>) -> bool {
    page.user
        .as_ref()
        .is_some_and(|u| courses::require_national(u).is_ok())
}

async fn form_view<'a>(
    db: &DatabaseConnection,
    form: &'a CourseForm,
    errors: &'a [FieldError],
) -> AppResult<CourseFormView<'a>> {
    let capacities = domain::capacities::active_in_order(db)
        .await?
        .into_iter()
        .map(|c| CapacityCheck {
            checked: form.capacity_ids.contains(&c.id),
            id: c.id,
            name: c.name,
        })
        .collect();
    let modalities = [Modality::Presencial, Modality::Virtual, Modality::Mixta]
        .into_iter()
        .map(|m| Choice {
            value: m.as_str(),
            label: m.label(),
            selected: form.default_modality == m.as_str(),
        })
        .collect();
    let stages = MANAGEMENT_STAGES
        .iter()
        .map(|&s| StageChoice {
            value: s,
            selected: form.management_stage == s,
        })
        .collect();
    Ok(CourseFormView {
        form: CourseValues {
            code: &form.code,
            name: &form.name,
            description: &form.description,
            hours: &form.hours,
            min_attendance_pct: &form.min_attendance_pct,
            pass_mark: &form.pass_mark,
        },
        capacities,
        descriptors: crate::descriptors::pages::Checks::of(
            db,
            &form.sector_ids,
            &form.population_group_ids,
        )
        .await?,
        modalities,
        stages,
        errors,
    })
}

fn blank_form() -> CourseForm {
    CourseForm {
        min_attendance_pct: domain::catalogue::DEFAULT_MIN_ATTENDANCE_PCT.to_string(),
        pass_mark: domain::format::grade_tenths(domain::catalogue::DEFAULT_PASS_MARK_TENTHS),
        default_modality: "mixta".into(),
        ..<CourseForm as Default>::default()
    }
}

/// The course list with the new-course form showing `form` and `errors`.
async fn list_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    form: &CourseForm,
    errors: &[FieldError],
) -> PageResult {
    // A coordinator's own provider's courses (an admin's, every provider's).
    let (courses, _) = courses::list(
        db,
        None,
        None,
        page.user.as_deref().and_then(|u| u.managed_provider()),
        true,
        1,
        500,
    )
    .await?;
    let form = form_view(db, form, errors).await?;
    let editable = editable(page);
    page.render_form(
        "courses",
        "Cursos",
        CoursesView {
            form,
            courses,
            editable,
        },
        errors,
    )
}

/// A course's page with its form showing `form` and `errors`.
async fn edit_html(
    db: &DatabaseConnection,
    page: &Page<'_>,
    course: &CourseView,
    form: &CourseForm,
    errors: &[FieldError],
) -> PageResult {
    let form = form_view(db, form, errors).await?;
    // Another provider's course opens read-only, saying whose it is (issue 45): never an
    // edit form that answers «No encontrado» on saving.
    let keeps_courses = editable(page);
    let own = page
        .user
        .as_deref()
        .and_then(|u| u.managed_provider())
        .is_none_or(|own| own == course.provider.id);
    let editable = keeps_courses && own;
    let other_provider = keeps_courses && !own;
    let resources = match page.user.as_deref() {
        Some(reader) => domain::knowledge::of_origin(db, reader, None, Some(course.id)).await?,
        None => Vec::new(),
    };
    let bank_add = page
        .user
        .as_deref()
        .is_some_and(|u| domain::knowledge::manages(u, course.provider.id))
        .then(|| format!("/conocimiento/nuevo?curso={}", course.id));
    page.render_form(
        "course_edit",
        &course.name,
        CourseEditView {
            form,
            course,
            editable,
            other_provider,
            resources,
            bank_add,
            unbanked: Vec::new(),
        },
        errors,
    )
}

#[get("/coordinacion/cursos")]
async fn list_page(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
    page: Page<'_>,
) -> PageResult {
    list_html(db, &page, &blank_form(), &[]).await
}

#[post("/coordinacion/cursos", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    form: CsrfForm<CourseForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = match form.input() {
        Ok(input) => {
            domain::db::write(db, async |txn| courses::create(txn, &staff, &input).await).await
        }
        Err(error) => Err(error),
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to("/coordinacion/cursos"),
                format!("Curso «{}» creado.", view.name),
            )
        },
        async |errors| list_html(db, &page, &form, &errors).await,
    )
    .await
}

#[get("/coordinacion/cursos/<id>")]
async fn edit_page(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> PageResult {
    let view = courses::view(db.inner(), id).await?;
    let form = CourseForm {
        code: view.code.clone(),
        name: view.name.clone(),
        description: view.description.clone(),
        hours: view.hours.to_string(),
        default_modality: view.default_modality.as_str().to_string(),
        management_stage: view.management_stage.clone().unwrap_or_default(),
        capacity_ids: view.capacities.iter().map(|c| c.id).collect(),
        sector_ids: crate::descriptors::pages::ids(&view.sectors),
        population_group_ids: crate::descriptors::pages::ids(&view.population_groups),
        min_attendance_pct: view.min_attendance_pct.to_string(),
        pass_mark: format!("{:.1}", view.pass_mark),
        ..<CourseForm as Default>::default()
    };
    edit_html(db, &page, &view, &form, &[]).await
}

#[post("/coordinacion/cursos/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CourseForm>,
) -> PageResult<Flash<Redirect>> {
    let form = form.0;
    let result = match form.input() {
        Ok(mut input) => {
            // The retire/reactivate button sends only that; keep the rest as it is.
            if input.retired.is_some() && form.name.is_empty() {
                input = CourseInput {
                    retired: input.retired,
                    ..Default::default()
                };
            }
            domain::db::write(db, async |txn| {
                courses::update(txn, &staff, id, &input).await
            })
            .await
        }
        Err(error) => Err(error),
    };
    crate::web::form::saved_or_again(
        result,
        |view| {
            Flash::success(
                Redirect::to(format!("/coordinacion/cursos/{id}")),
                if view.retired {
                    format!("Curso «{}» retirado.", view.name)
                } else {
                    format!("Curso «{}» guardado.", view.name)
                },
            )
        },
        async |errors| {
            let view = courses::view(db.inner(), id).await?;
            edit_html(db, &page, &view, &form, &errors).await
        },
    )
    .await
}
