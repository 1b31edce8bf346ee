//! Coordinators' pages for the course catalogue.

use super::courses::{self, CourseInput, MANAGEMENT_STAGES};
use crate::accounts::guards::StaffUser;
use crate::entities::capacity;
use crate::entities::values::Modality;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::{Page, failure};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

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
    #[field(default = String::new())]
    min_attendance_pct: String,
    #[field(default = String::new())]
    pass_mark: String,
    #[field(default = String::new())]
    retired: String,
}

csrf_protected!(CourseForm);

/// Numbers typed in a form; a wrong one is a field error, not a crash.
pub fn number_field(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("«{text}» no es un número entero."),
            ));
            None
        }
    }
}

pub fn decimal_field(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return None;
    }
    match text.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(FieldError::new(field, format!("«{text}» no es un número.")));
            None
        }
    }
}

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
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

async fn form_context(
    db: &DatabaseConnection,
    form: &CourseForm,
    errors: &[FieldError],
) -> AppResult<Value> {
    let capacities: Vec<Value> = capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|c| json!({"id": c.id, "name": c.name, "checked": form.capacity_ids.contains(&c.id)}))
        .collect();
    let modalities: Vec<Value> = [Modality::Presencial, Modality::Virtual, Modality::Mixta]
        .iter()
        .map(|m| json!({"value": m.as_str(), "label": (*m).label(), "selected": form.default_modality == m.as_str()}))
        .collect();
    let stages: Vec<Value> = MANAGEMENT_STAGES
        .iter()
        .map(|s| json!({"value": s, "selected": form.management_stage == *s}))
        .collect();
    Ok(json!({
        "form": {"code": form.code, "name": form.name, "description": form.description, "hours": form.hours,
                 "min_attendance_pct": form.min_attendance_pct, "pass_mark": form.pass_mark},
        "capacities": capacities,
        "modalities": modalities,
        "stages": stages,
        "errors": errors,
    }))
}

fn blank_form() -> CourseForm {
    CourseForm {
        min_attendance_pct: super::DEFAULT_MIN_ATTENDANCE_PCT.to_string(),
        pass_mark: crate::parse::grade_text(super::DEFAULT_PASS_MARK_TENTHS),
        default_modality: "mixta".into(),
        ..<CourseForm as Default>::default()
    }
}

async fn list_context(
    db: &DatabaseConnection,
    form: &CourseForm,
    errors: &[FieldError],
) -> AppResult<Value> {
    let (items, _) = courses::list(db, None, None, true, 1, 500).await?;
    let mut context = form_context(db, form, errors).await?;
    context["courses"] = serde_json::to_value(items).unwrap_or_default();
    Ok(context)
}

#[get("/coordinacion/cursos")]
async fn list_page(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
    page: Page<'_>,
) -> AppResult<RawHtml<String>> {
    let context = list_context(db, &blank_form(), &[]).await?;
    page.render("courses", "Cursos", context)
}

#[post("/coordinacion/cursos", data = "<form>")]
async fn create_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    form: CsrfForm<CourseForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let result = async {
        let input = form.input()?;
        let txn = crate::db::begin(db).await?;
        let view = courses::create(&txn, staff.id, &input).await?;
        txn.commit().await?;
        Ok::<_, AppError>(view)
    }
    .await;
    match result {
        Ok(view) => Ok(Flash::success(
            Redirect::to("/coordinacion/cursos"),
            format!("Curso «{}» creado.", view.name),
        )),
        Err(AppError::Validation(errors)) => match list_context(db, &form, &errors)
            .await
            .and_then(|c| page.render("courses", "Cursos", c))
        {
            Ok(html) => Err((Status::UnprocessableEntity, html)),
            Err(e) => Err(failure(&page, e.into())),
        },
        Err(other) => Err(failure(&page, other)),
    }
}

#[get("/coordinacion/cursos/<id>")]
async fn edit_page(
    db: &State<DatabaseConnection>,
    _staff: StaffUser,
    page: Page<'_>,
    id: i32,
) -> AppResult<RawHtml<String>> {
    let view = courses::view(db.inner(), id).await?;
    let form = CourseForm {
        code: view.code.clone(),
        name: view.name.clone(),
        description: view.description.clone(),
        hours: view.hours.to_string(),
        default_modality: view.default_modality.as_str().to_string(),
        management_stage: view.management_stage.clone().unwrap_or_default(),
        capacity_ids: view.capacities.iter().map(|c| c.id).collect(),
        min_attendance_pct: view.min_attendance_pct.to_string(),
        pass_mark: format!("{:.1}", view.pass_mark),
        ..<CourseForm as Default>::default()
    };
    let mut context = form_context(db, &form, &[]).await?;
    context["course"] = serde_json::to_value(&view).unwrap_or_default();
    page.render("course_edit", &view.name, context)
}

#[post("/coordinacion/cursos/<id>", data = "<form>")]
async fn update_submit(
    db: &State<DatabaseConnection>,
    staff: StaffUser,
    page: Page<'_>,
    id: i32,
    form: CsrfForm<CourseForm>,
) -> Result<Flash<Redirect>, (Status, RawHtml<String>)> {
    let form = form.0;
    let result = async {
        let mut input = form.input()?;
        // The retire/reactivate button sends only that; keep the rest as it is.
        if input.retired.is_some() && form.name.is_empty() {
            input = CourseInput {
                retired: input.retired,
                ..Default::default()
            };
        }
        let txn = crate::db::begin(db).await?;
        let view = courses::update(&txn, staff.id, id, &input).await?;
        txn.commit().await?;
        Ok::<_, AppError>(view)
    }
    .await;
    match result {
        Ok(view) => Ok(Flash::success(
            Redirect::to(format!("/coordinacion/cursos/{id}")),
            if view.retired {
                format!("Curso «{}» retirado.", view.name)
            } else {
                format!("Curso «{}» guardado.", view.name)
            },
        )),
        Err(AppError::Validation(errors)) => {
            let render = async {
                let view = courses::view(db.inner(), id).await?;
                let mut context = form_context(db, &form, &errors).await?;
                context["course"] = serde_json::to_value(&view).unwrap_or_default();
                page.render("course_edit", &view.name, context)
            };
            match render.await {
                Ok(html) => Err((Status::UnprocessableEntity, html)),
                Err(e) => Err(failure(&page, e.into())),
            }
        }
        Err(other) => Err(failure(&page, other)),
    }
}
