//! Programmes (issue 64): a diplomado, programa de formación or ruta de aprendizaje made of
//! courses of the catalogue (its modules), in an order, required or elective («n de m»), some
//! only after others. Its hours are the stated ones or computed from the modules; its
//! capacities are the union of its modules' (never typed twice).
//!
//! - this module: the programme in the catalogue (create, publish, read);
//! - [`editions`]: an edition groups one cohort per module;
//! - [`enrolment`]: a person enrols once in the edition, in every module or in none, with
//!   modules recognised from earlier certificates;
//! - [`progress`]: module by module, for the person, the coordinator and the gobernación;
//! - [`certificates`]: the programme's certificate when the rule is met.
//!
//! The arrows: programmes reads the catalogue, cohorts, enrolment and certificates; none of
//! them calls programmes. The one rule the lower areas keep for it — a cohort of an edition
//! refuses direct enrolment — they read from the `programme_edition_cohorts` table.

pub mod builder;
pub mod calendar;
pub mod certificates;
pub mod completions;
pub mod demo;
pub mod editions;
pub mod enrolment;
pub mod notices;
pub mod progress;
pub mod workbook;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{ProgrammeKind, ProgrammeStatus};
use crate::entities::{
    course, course_capacity, programme, programme_module, programme_prerequisite,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::providers::ProviderRef;
use crate::rows::Found;
use crate::rows::Rows;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many modules a programme may have.
pub const MODULES_MAX: usize = 30;
/// How old a certificate may be to recognise a module, unless the programme says otherwise.
pub const DEFAULT_RECOGNITION_YEARS: i32 = 5;

/// A module as a coordinator sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ModuleInput {
    pub course_id: i32,
    /// Its place in the programme (1, 2, …).
    #[schema(minimum = 1, maximum = 30)]
    pub order: i32,
    /// `false`: elective.
    pub required: bool,
    /// Courses of the programme this module comes after (its prerequisites).
    #[serde(default)]
    #[schema(max_items = 30)]
    pub after: Vec<i32>,
}

/// What a coordinator sends to create a programme.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ProgrammeInput {
    /// Upper case without accents, digits and dashes; unique.
    #[schema(example = "DGPT")]
    pub code: String,
    #[schema(example = "Diplomado en Gestión Pública Territorial")]
    pub name: String,
    /// `diplomado`, `programa` or `ruta`.
    #[schema(value_type = ProgrammeKind)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// Stated hours; default: the required modules' hours plus the fewest elective hours
    /// that complete the rule.
    #[schema(minimum = 1, maximum = 5000)]
    pub hours: Option<i64>,
    #[schema(max_items = 30)]
    pub modules: Vec<ModuleInput>,
    /// How many elective modules complete it (default 0).
    #[schema(minimum = 0, maximum = 30)]
    pub electives_required: Option<i64>,
    /// **Extension.** How old (in years) a certificate may be to recognise a module
    /// (default 5).
    #[schema(minimum = 1, maximum = 30)]
    pub recognition_years: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ProgrammeModule)]
pub struct ModuleView {
    pub course_id: i32,
    pub course_name: String,
    pub course_code: String,
    pub order: i32,
    pub required: bool,
    pub after: Vec<i32>,
    pub hours: i32,
    /// The course's provider (another provider's course makes the programme joint).
    pub provider_id: i32,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Programme)]
pub struct ProgrammeView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub kind: ProgrammeKind,
    pub kind_label: &'static str,
    pub description: String,
    pub status: ProgrammeStatus,
    pub provider: ProviderRef,
    pub modules: Vec<ModuleView>,
    pub electives_required: i32,
    /// Stated, or computed from the modules.
    pub hours: i32,
    /// The union of its modules' capacities.
    pub capacity_ids: Vec<i32>,
    pub recognition_years: i32,
}

impl ProgrammeView {
    /// How many modules complete the programme: the required ones plus the electives asked.
    pub fn modules_needed(&self) -> usize {
        self.modules.iter().filter(|m| m.required).count() + self.electives_required as usize
    }

    pub fn module(&self, course_id: i32) -> Option<&ModuleView> {
        self.modules.iter().find(|m| m.course_id == course_id)
    }
}

/// The hours of a programme not stated: the required modules' plus the fewest elective hours
/// that complete the rule.
pub fn computed_hours(modules: &[ModuleView], electives_required: i32) -> i32 {
    let required: i32 = modules.iter().filter(|m| m.required).map(|m| m.hours).sum();
    let mut electives: Vec<i32> = modules
        .iter()
        .filter(|m| !m.required)
        .map(|m| m.hours)
        .collect();
    electives.sort_unstable();
    required
        + electives
            .iter()
            .take(electives_required.max(0) as usize)
            .sum::<i32>()
}

/// Checks a programme before anything is written: every field, every module's course known
/// and once, the prerequisites among its own modules and without a circle, electives offered.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &ProgrammeInput,
) -> AppResult<(HashMap<i32, course::Model>, String, String)> {
    let mut errors = Vec::new();
    let code = input.code.trim().to_uppercase();
    if !crate::catalogue::courses::valid_code(&code) {
        errors.push(FieldError::new(
            "code",
            "El código usa mayúsculas sin tildes, números y guiones (máximo 20).",
        ));
    } else if programme::Entity::find()
        .filter(programme::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(
            "code",
            format!("Ya existe un programa con el código «{code}»."),
        ));
    }
    let name = match validate::certificate_text("name", &input.name, validate::TITLE_MAX) {
        Ok(Some(name)) => name,
        Ok(None) => {
            errors.push(FieldError::new("name", "Escriba el nombre del programa."));
            String::new()
        }
        Err(error) => {
            errors.push(error);
            String::new()
        }
    };
    if ProgrammeKind::parse(input.kind.trim()).is_none() {
        errors.push(FieldError::new(
            "kind",
            "El tipo es «diplomado», «programa» o «ruta».",
        ));
    }
    if let Err(error) =
        validate::multi_line("description", &input.description, validate::DESCRIPTION_MAX)
    {
        errors.push(error);
    }
    if input.hours.is_some_and(|h| !(1..=5000).contains(&h)) {
        errors.push(FieldError::new(
            "hours",
            "La intensidad horaria va de 1 a 5.000 horas.",
        ));
    }
    if input
        .recognition_years
        .is_some_and(|y| !(1..=30).contains(&y))
    {
        errors.push(FieldError::new(
            "recognition_years",
            "Los años para reconocer un módulo van de 1 a 30.",
        ));
    }
    let courses = check_modules(db, input, &mut errors).await?;
    if errors.is_empty() {
        Ok((courses, code, name))
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The modules' part of [`check`]: the courses they name, read once.
async fn check_modules<C: ConnectionTrait>(
    db: &C,
    input: &ProgrammeInput,
    errors: &mut Vec<FieldError>,
) -> AppResult<HashMap<i32, course::Model>> {
    if input.modules.is_empty() {
        errors.push(FieldError::new(
            "modules",
            "Un programa tiene al menos un módulo.",
        ));
        return Ok(HashMap::new());
    }
    if input.modules.len() > MODULES_MAX {
        errors.push(FieldError::new(
            "modules",
            format!("Un programa tiene a lo sumo {MODULES_MAX} módulos."),
        ));
        return Ok(HashMap::new());
    }
    let ids: Vec<i32> = input.modules.iter().map(|m| m.course_id).collect();
    let courses: HashMap<i32, course::Model> = course::Entity::find()
        .filter(course::Column::Id.is_in(ids.clone()))
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let mut seen = HashSet::new();
    for (i, module) in input.modules.iter().enumerate() {
        let field = format!("modules[{i}].course_id");
        match courses.get(&module.course_id) {
            None => errors.push(FieldError::new(
                field,
                format!("No existe el curso {}.", module.course_id),
            )),
            Some(course) if course.retired_at.is_some() => errors.push(FieldError::new(
                field,
                format!("El curso «{}» está retirado del catálogo.", course.name),
            )),
            Some(course) if !seen.insert(module.course_id) => errors.push(FieldError::new(
                field,
                format!("El curso «{}» está dos veces en el programa.", course.name),
            )),
            Some(_) => {}
        }
        if !(1..=MODULES_MAX as i32).contains(&module.order) {
            errors.push(FieldError::new(
                format!("modules[{i}].order"),
                format!("El orden va de 1 a {MODULES_MAX}."),
            ));
        }
        for after in &module.after {
            if *after == module.course_id || !ids.contains(after) {
                errors.push(FieldError::new(
                    format!("modules[{i}].after"),
                    "Un prerrequisito es otro módulo del mismo programa.",
                ));
            }
        }
    }
    if has_cycle(&input.modules) {
        errors.push(FieldError::new(
            "modules",
            "Los prerrequisitos forman un círculo: ningún módulo podría empezar.",
        ));
    }
    let electives = input.modules.iter().filter(|m| !m.required).count() as i64;
    let asked = input.electives_required.unwrap_or(0);
    if asked < 0 || asked > electives {
        errors.push(FieldError::new(
            "electives_required",
            format!(
                "El programa ofrece {electives} módulo(s) electivo(s); no puede exigir {asked}."
            ),
        ));
    }
    Ok(courses)
}

/// Whether the prerequisites go round in a circle (no module could start).
fn has_cycle(modules: &[ModuleInput]) -> bool {
    let mut done: BTreeSet<i32> = BTreeSet::new();
    loop {
        let ready: Vec<i32> = modules
            .iter()
            .filter(|m| !done.contains(&m.course_id))
            .filter(|m| {
                m.after
                    .iter()
                    .all(|a| done.contains(a) || *a == m.course_id)
            })
            .map(|m| m.course_id)
            .collect();
        if ready.is_empty() {
            return modules.iter().any(|m| !done.contains(&m.course_id));
        }
        done.extend(ready);
    }
}

/// The audit row of a programme created or published.
#[derive(Serialize)]
struct Audited<'a> {
    code: &'a str,
    name: &'a str,
    status: ProgrammeStatus,
    modules: Vec<i32>,
}

/// Creates a programme of the actor's provider (an admin's: ESAP's), as a draft. Checked
/// whole before anything is written.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &ProgrammeInput,
) -> AppResult<ProgrammeView> {
    if !actor.is_staff() {
        return Err(AppError::Forbidden);
    }
    // Like the courses it is made of, a programme is national: a territorial direction's
    // coordinator builds editions of it from its cohorts, not the programme (403).
    crate::catalogue::courses::require_national(actor)?;
    let (_courses, code, name) = check(db, input).await?;
    let at = crate::time::now();
    let saved = programme::ActiveModel {
        provider_id: Set(actor.managed_provider().unwrap_or(crate::providers::ESAP)),
        code: Set(code),
        name: Set(name),
        kind: Set(ProgrammeKind::parse(input.kind.trim()).unwrap_or(ProgrammeKind::Diplomado)),
        description: Set(validate::multi_line(
            "description",
            &input.description,
            validate::DESCRIPTION_MAX,
        )
        .ok()
        .flatten()
        .unwrap_or_default()),
        hours: Set(input.hours.map(|h| h as i32)),
        electives_required: Set(input.electives_required.unwrap_or(0) as i32),
        recognition_years: Set(input
            .recognition_years
            .map_or(DEFAULT_RECOGNITION_YEARS, |y| y as i32)),
        status: Set(ProgrammeStatus::Draft),
        created_by: Set(Some(actor.id)),
        created_at: Set(at),
        updated_at: Set(at),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let modules: Vec<programme_module::ActiveModel> = input
        .modules
        .iter()
        .map(|m| programme_module::ActiveModel {
            programme_id: Set(saved.id),
            course_id: Set(m.course_id),
            position: Set(m.order),
            required: Set(m.required),
            ..Default::default()
        })
        .collect();
    programme_module::Entity::insert_many(modules)
        .exec(db)
        .await?;
    let prerequisites: Vec<programme_prerequisite::ActiveModel> = input
        .modules
        .iter()
        .flat_map(|m| {
            m.after
                .iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|after| programme_prerequisite::ActiveModel {
                    programme_id: Set(saved.id),
                    course_id: Set(m.course_id),
                    after_course_id: Set(*after),
                    ..Default::default()
                })
        })
        .collect();
    if !prerequisites.is_empty() {
        programme_prerequisite::Entity::insert_many(prerequisites)
            .exec(db)
            .await?;
    }
    let view = view_of(db, saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "programme.created",
            subject_type: "programme",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(Audited {
                code: &view.code,
                name: &view.name,
                status: view.status,
                modules: view.modules.iter().map(|m| m.course_id).collect(),
            })
            .ok(),
        },
    )
    .await?;
    Ok(view)
}

/// Publishes a programme of the actor's provider on the catalogue (a published one stays).
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<ProgrammeView> {
    let current = find_managed(db, actor, id).await?;
    crate::catalogue::courses::require_national(actor)?;
    if current.status == ProgrammeStatus::Published {
        return view_of(db, current).await;
    }
    let at = crate::time::now();
    let mut model: programme::ActiveModel = current.into();
    model.status = Set(ProgrammeStatus::Published);
    model.published_at = Set(Some(at));
    model.updated_at = Set(at);
    let saved = model.update(db).await?;
    let view = view_of(db, saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "programme.published",
            subject_type: "programme",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(Audited {
                code: &view.code,
                name: &view.name,
                status: view.status,
                modules: view.modules.iter().map(|m| m.course_id).collect(),
            })
            .ok(),
        },
    )
    .await?;
    Ok(view)
}

/// The programme `actor` may change: any for an admin, its provider's for a coordinator
/// (another's is a 404, as if it did not exist); nobody else.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<programme::Model> {
    if !actor.is_staff() {
        return Err(AppError::NotFound);
    }
    let found = programme::Entity::find_by_id(id).found(db).await?;
    match actor.managed_provider() {
        Some(provider) if provider != found.provider_id => Err(AppError::NotFound),
        _ => Ok(found),
    }
}

/// Whether `actor` (none: the public) reads the programme: published ones, and its own
/// provider's drafts (every draft for an admin).
pub fn may_read(actor: Option<&Actor>, found: &programme::Model) -> bool {
    found.status == ProgrammeStatus::Published
        || actor.is_some_and(|a| {
            a.is_staff()
                && a.managed_provider()
                    .is_none_or(|provider| provider == found.provider_id)
        })
}

/// The programme as `actor` reads it (404 for a draft of another provider).
pub async fn find<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
    id: i32,
) -> AppResult<programme::Model> {
    let found = programme::Entity::find_by_id(id).found(db).await?;
    if may_read(actor, &found) {
        Ok(found)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn view<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
    id: i32,
) -> AppResult<ProgrammeView> {
    let found = find(db, actor, id).await?;
    view_of(db, found).await
}

/// The programmes `actor` reads (published ones and its provider's drafts), by name.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
) -> AppResult<Vec<ProgrammeView>> {
    let all = programme::Entity::find()
        .order_by_asc(programme::Column::Name)
        .order_by_asc(programme::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::new();
    for found in all.into_iter().filter(|p| may_read(actor, p)) {
        views.push(view_of(db, found).await?);
    }
    Ok(views)
}

/// The view of a programme read: its modules with their courses, hours and capacities.
pub async fn view_of<C: ConnectionTrait>(
    db: &C,
    found: programme::Model,
) -> AppResult<ProgrammeView> {
    let rows = programme_module::Entity::find()
        .filter(programme_module::Column::ProgrammeId.eq(found.id))
        .order_by_asc(programme_module::Column::Position)
        .order_by_asc(programme_module::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|m| m.course_id).collect();
    let courses: HashMap<i32, course::Model> = course::Entity::find()
        .filter(course::Column::Id.is_in(ids.clone()))
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let mut after: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in programme_prerequisite::Entity::find()
        .filter(programme_prerequisite::Column::ProgrammeId.eq(found.id))
        .order_by_asc(programme_prerequisite::Column::AfterCourseId)
        .all(db)
        .await?
    {
        after
            .entry(link.course_id)
            .or_default()
            .push(link.after_course_id);
    }
    let modules: Vec<ModuleView> = rows
        .iter()
        .filter_map(|m| {
            let course = courses.get(&m.course_id)?;
            Some(ModuleView {
                course_id: m.course_id,
                course_name: course.name.clone(),
                course_code: course.code.clone(),
                order: m.position,
                required: m.required,
                after: after.remove(&m.course_id).unwrap_or_default(),
                hours: course.hours,
                provider_id: course.provider_id,
            })
        })
        .collect();
    let capacity_ids: BTreeSet<i32> = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.is_in(ids))
        .all_mapped(db, |link| link.capacity_id)
        .await?;
    let hours = found
        .hours
        .unwrap_or_else(|| computed_hours(&modules, found.electives_required));
    Ok(ProgrammeView {
        id: found.id,
        provider: crate::providers::reference(db, found.provider_id).await?,
        kind_label: found.kind.label(),
        code: found.code,
        name: found.name,
        kind: found.kind,
        description: found.description,
        status: found.status,
        modules,
        electives_required: found.electives_required,
        hours,
        capacity_ids: capacity_ids.into_iter().collect(),
        recognition_years: found.recognition_years,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(course_id: i32, after: &[i32]) -> ModuleInput {
        ModuleInput {
            course_id,
            order: course_id,
            required: true,
            after: after.to_vec(),
        }
    }

    #[test]
    fn prerequisites_in_a_circle_are_found_and_a_chain_is_not() {
        assert!(!has_cycle(&[
            module(1, &[]),
            module(2, &[1]),
            module(3, &[2, 1])
        ]));
        assert!(has_cycle(&[
            module(1, &[3]),
            module(2, &[1]),
            module(3, &[2])
        ]));
        assert!(has_cycle(&[
            module(1, &[2]),
            module(2, &[1]),
            module(3, &[])
        ]));
    }

    fn shown(hours: i32, required: bool) -> ModuleView {
        ModuleView {
            course_id: hours,
            course_name: String::new(),
            course_code: String::new(),
            order: 1,
            required,
            after: Vec::new(),
            hours,
            provider_id: 1,
        }
    }

    #[test]
    fn hours_not_stated_are_the_required_ones_plus_the_fewest_electives_that_complete() {
        let modules = [
            shown(40, true),
            shown(32, true),
            shown(24, false),
            shown(16, false),
            shown(20, false),
        ];
        assert_eq!(computed_hours(&modules, 0), 72);
        assert_eq!(computed_hours(&modules, 2), 72 + 16 + 20);
    }
}
