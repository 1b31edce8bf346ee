//! Courses: what is taught, for how many hours, and which municipal capacities it targets.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::descriptors::{self, DescriptorRef};
use crate::entities::values::{DescriptorSubject, Modality};
use crate::entities::{capacity, course, course_capacity};
use crate::error::{AppError, AppResult, FieldError};
use crate::parse;
use crate::providers::ProviderRef;
use crate::rows::Found;
use crate::validate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Stages of the cycle of public management a course can serve (value = label).
pub const MANAGEMENT_STAGES: &[&str] = &[
    "Planeación",
    "Programación presupuestal",
    "Financiación",
    "Ejecución",
    "Seguimiento y evaluación",
    "Rendición de cuentas",
];

/// [`MANAGEMENT_STAGES`] as a string enum of the API description.
pub struct ManagementStage;

impl utoipa::PartialSchema for ManagementStage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(MANAGEMENT_STAGES.iter().copied()))
            .description(Some(
                "Stage of the cycle of public management the course serves.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ManagementStage {}

/// What a coordinator sends to create or change a course: `code`, `name`, `hours` and
/// `capacity_ids` are required to create one; every field is optional on PATCH.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CourseInput {
    /// Upper case without accents, digits and dashes (lower case is upper-cased); unique.
    #[schema(example = "PDT-101")]
    pub code: Option<String>,
    /// Printed on certificates: one line, at most 160 characters.
    #[schema(
        max_length = 160,
        example = "Formulación del plan de desarrollo territorial"
    )]
    pub name: Option<String>,
    pub description: Option<String>,
    #[schema(minimum = 1, maximum = 1000, example = 40)]
    pub hours: Option<i64>,
    #[schema(value_type = Option<Modality>)]
    pub default_modality: Option<String>,
    #[schema(value_type = Option<ManagementStage>)]
    pub management_stage: Option<String>,
    /// Active capacities the course strengthens (at least one).
    #[schema(max_items = 5000)]
    pub capacity_ids: Option<Vec<i32>>,
    /// Active sectors (`GET /sectors`) it serves; on PATCH replaces them. Issue 49.
    #[schema(max_items = 5000)]
    pub sector_ids: Option<Vec<i32>>,
    /// Active population groups (`GET /population-groups`) it serves; on PATCH replaces them.
    #[schema(max_items = 5000)]
    pub population_group_ids: Option<Vec<i32>>,
    /// Minimum attendance to complete, in percent (default 80).
    #[schema(minimum = 0, maximum = 100, example = 80)]
    pub min_attendance_pct: Option<i64>,
    /// Pass mark on the Colombian 0.0–5.0 scale, one decimal (default 3.0).
    #[schema(minimum = 0, maximum = 5, example = 3.0)]
    pub pass_mark: Option<f64>,
    /// `true` retires the course (no new cohorts); `false` brings it back.
    pub retired: Option<bool>,
    /// **Extension.** The provider that offers it (admins; a coordinator's courses are its
    /// provider's). Default: ESAP for an admin. Set when creating only.
    pub provider_id: Option<i32>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CapacityRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Course)]
pub struct CourseView {
    pub id: i32,
    #[schema(example = "PDT-101")]
    pub code: String,
    pub name: String,
    pub description: String,
    pub hours: i32,
    pub default_modality: Modality,
    #[schema(value_type = Option<ManagementStage>)]
    pub management_stage: Option<String>,
    #[schema(minimum = 0, maximum = 100)]
    pub min_attendance_pct: i32,
    #[schema(minimum = 0, maximum = 5)]
    pub pass_mark: f64,
    pub retired: bool,
    pub capacities: Vec<CapacityRef>,
    /// CONPES's sectoral descriptors.
    pub sectors: Vec<DescriptorRef>,
    /// CONPES's population descriptors.
    pub population_groups: Vec<DescriptorRef>,
    /// The provider that offers it.
    pub provider: ProviderRef,
}

impl CourseInput {
    fn descriptors(&self) -> descriptors::Chosen<'_> {
        descriptors::Chosen {
            sector_ids: self.sector_ids.as_deref(),
            population_group_ids: self.population_group_ids.as_deref(),
        }
    }
}

/// Capacities targeted by each course.
pub async fn capacities_of<C: ConnectionTrait>(
    db: &C,
    course_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<CapacityRef>>> {
    let links = course_capacity::Entity::find()
        .filter(course_capacity::Column::CourseId.is_in(course_ids.to_vec()))
        .find_also_related(capacity::Entity)
        .order_by_asc(course_capacity::Column::CapacityId)
        .all(db)
        .await?;
    let mut by_course: HashMap<i32, Vec<CapacityRef>> = HashMap::new();
    for (link, found) in links {
        if let Some(c) = found {
            by_course
                .entry(link.course_id)
                .or_default()
                .push(CapacityRef {
                    id: c.id,
                    code: c.code,
                    name: c.name,
                });
        }
    }
    Ok(by_course)
}

pub async fn views<C: ConnectionTrait>(
    db: &C,
    courses: Vec<course::Model>,
) -> AppResult<Vec<CourseView>> {
    let ids: Vec<i32> = courses.iter().map(|c| c.id).collect();
    let mut capacities = capacities_of(db, &ids).await?;
    let mut tags = descriptors::of(db, DescriptorSubject::Course, &ids).await?;
    let providers = crate::providers::names(db).await?;
    Ok(courses
        .into_iter()
        .map(|c| {
            let tags = tags.remove(&c.id).unwrap_or_default();
            CourseView {
                provider: providers
                    .get(&c.provider_id)
                    .cloned()
                    .unwrap_or_else(|| ProviderRef {
                        id: c.provider_id,
                        name: format!("Oferente {}", c.provider_id),
                    }),
                capacities: capacities.remove(&c.id).unwrap_or_default(),
                id: c.id,
                code: c.code,
                name: c.name,
                description: c.description,
                hours: c.hours,
                default_modality: c.default_modality,
                management_stage: c.management_stage,
                min_attendance_pct: c.min_attendance_pct,
                pass_mark: parse::grade_value(c.pass_mark_tenths),
                retired: c.retired_at.is_some(),
                sectors: tags.sectors,
                population_groups: tags.population_groups,
            }
        })
        .collect())
}

/// A course's name, if there is such a course.
pub async fn name_of<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<String>> {
    Ok(course::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.name))
}

/// Every course's id and name, by name (a select's rows).
pub async fn names<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(i32, String)>> {
    use sea_orm::QuerySelect;
    Ok(course::Entity::find()
        .select_only()
        .column(course::Column::Id)
        .column(course::Column::Name)
        .order_by_asc(course::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}

/// Every course (retired ones too), by name: the cohort form's choices.
pub async fn all_by_name<C: ConnectionTrait>(db: &C) -> AppResult<Vec<course::Model>> {
    Ok(course::Entity::find()
        .order_by_asc(course::Column::Name)
        .all(db)
        .await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<course::Model> {
    course::Entity::find_by_id(id).found(db).await
}

pub async fn view<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<CourseView> {
    let model = find(db, id).await?;
    views(db, vec![model])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Courses by text (code or name), capacity and provider; retired ones only when asked.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    text: Option<&str>,
    capacity_id: Option<i32>,
    provider_id: Option<i32>,
    include_retired: bool,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<CourseView>, u64)> {
    let mut query = course::Entity::find().order_by_asc(course::Column::Name);
    if !include_retired {
        query = query.filter(course::Column::RetiredAt.is_null());
    }
    if let Some(provider_id) = provider_id {
        query = query.filter(course::Column::ProviderId.eq(provider_id));
    }
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(course::Column::Code.contains(text.to_uppercase()))
                .add(course::Column::Name.contains(text)),
        );
    }
    if let Some(capacity_id) = capacity_id {
        query = query.filter(
            course::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(course_capacity::Column::CourseId)
                    .from(course_capacity::Entity)
                    .and_where(course_capacity::Column::CapacityId.eq(capacity_id))
                    .to_owned(),
            ),
        );
    }
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows).await?, total))
}

pub(crate) fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 20
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// The name as stored, once [`check`] accepted it (NFC, trimmed).
fn clean_name(input: &CourseInput) -> Option<String> {
    validate::certificate_text("name", input.name.as_deref()?, validate::TITLE_MAX)
        .ok()
        .flatten()
}

/// The description as stored, once [`check`] accepted it.
fn clean_description(input: &CourseInput) -> Option<String> {
    validate::multi_line(
        "description",
        input.description.as_deref()?,
        validate::DESCRIPTION_MAX,
    )
    .ok()
    .flatten()
}

/// Checks a course for create (`current` = None, every required field present) or update.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &CourseInput,
    current: Option<&course::Model>,
) -> AppResult<()> {
    let mut errors = Vec::new();
    let creating = current.is_none();
    if let Some(code) = input.code.as_deref().map(|c| c.trim().to_uppercase()) {
        if !valid_code(&code) {
            errors.push(FieldError::new(
                "code",
                "El código usa mayúsculas sin tildes, números y guiones (máximo 20).",
            ));
        } else if current.is_none_or(|c| c.code != code)
            && course::Entity::find()
                .filter(course::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
                .is_some()
        {
            errors.push(FieldError::new(
                "code",
                format!("Ya existe un curso con el código «{code}»."),
            ));
        }
    } else if creating {
        errors.push(FieldError::new("code", "Escriba el código del curso."));
    }
    // The course name is printed on certificates: only what their fonts can draw.
    match validate::certificate_text(
        "name",
        input.name.as_deref().unwrap_or(""),
        validate::TITLE_MAX,
    ) {
        Ok(None) if creating || input.name.is_some() => {
            errors.push(FieldError::new("name", "Escriba el nombre del curso."))
        }
        Err(error) => errors.push(error),
        _ => {}
    }
    if let Some(description) = &input.description
        && let Err(error) =
            validate::multi_line("description", description, validate::DESCRIPTION_MAX)
    {
        errors.push(error);
    }
    match input.hours {
        None if creating => errors.push(FieldError::new("hours", "Escriba la intensidad horaria.")),
        Some(h) if !(1..=1000).contains(&h) => errors.push(FieldError::new(
            "hours",
            "La intensidad horaria debe estar entre 1 y 1000 horas.",
        )),
        _ => {}
    }
    if let Some(m) = input.default_modality.as_deref()
        && Modality::parse(m.trim()).is_none()
    {
        errors.push(FieldError::new(
            "default_modality",
            "La modalidad debe ser presencial, virtual o mixta.",
        ));
    }
    if let Some(stage) = parse::text(input.management_stage.as_deref())
        && !MANAGEMENT_STAGES.contains(&stage.as_str())
    {
        errors.push(FieldError::new(
            "management_stage",
            "Elija una etapa del ciclo de la gestión pública de la lista.",
        ));
    }
    match &input.capacity_ids {
        None if creating => errors.push(FieldError::new(
            "capacity_ids",
            "Elija al menos una capacidad que el curso fortalece.",
        )),
        Some(ids) if ids.is_empty() => errors.push(FieldError::new(
            "capacity_ids",
            "Elija al menos una capacidad que el curso fortalece.",
        )),
        Some(ids) if !validate::list("capacity_ids", Some(ids), &mut errors) => {}
        Some(ids) => {
            let found = capacity::Entity::find()
                .filter(capacity::Column::Id.is_in(ids.clone()))
                .filter(capacity::Column::Active.eq(true))
                .count(db)
                .await?;
            let distinct: std::collections::HashSet<_> = ids.iter().collect();
            if found as usize != distinct.len() {
                errors.push(FieldError::new(
                    "capacity_ids",
                    "Alguna de las capacidades elegidas no existe o está inactiva.",
                ));
            }
        }
        None => {}
    }
    let carried = match current {
        Some(c) => descriptors::current(db, DescriptorSubject::Course, c.id).await?,
        None => Vec::new(),
    };
    descriptors::check(db, input.descriptors(), &carried, &mut errors).await?;
    if let Some(pct) = input.min_attendance_pct {
        parse::percent("min_attendance_pct", pct, &mut errors);
    }
    if let Some(mark) = input.pass_mark {
        parse::grade_tenths("pass_mark", mark, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

async fn set_capacities<C: ConnectionTrait>(db: &C, course_id: i32, ids: &[i32]) -> AppResult<()> {
    course_capacity::Entity::delete_many()
        .filter(course_capacity::Column::CourseId.eq(course_id))
        .exec(db)
        .await?;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    course_capacity::Entity::insert_many(unique.into_iter().map(|capacity_id| {
        course_capacity::ActiveModel {
            course_id: Set(course_id),
            capacity_id: Set(capacity_id),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The course catalogue is national: its names are printed on every department's
/// certificates, so a territorial direction's coordinator reads it but does not change it
/// (403).
pub fn require_national(actor: &Actor) -> AppResult<()> {
    if actor.direction_departments().is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// The course `actor` may change: any for an admin, its provider's for a coordinator (another
/// provider's is a 404, as if it did not exist).
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<course::Model> {
    let course = find(db, id).await?;
    match actor.managed_provider() {
        Some(provider) if provider != course.provider_id => Err(AppError::NotFound),
        _ => Ok(course),
    }
}

/// The provider a new course belongs to: a coordinator's own (naming another is a 422), or
/// the one an admin chose (ESAP by default).
async fn provider_of_new<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &CourseInput,
) -> AppResult<i32> {
    match (actor.managed_provider(), input.provider_id) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::invalid(
            "provider_id",
            "Solo puede crear cursos de su propio oferente.",
        )),
        (Some(own), _) => Ok(own),
        (None, Some(asked)) => Ok(crate::providers::require_active(db, "provider_id", asked)
            .await?
            .id),
        (None, None) => Ok(crate::providers::ESAP),
    }
}

pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &CourseInput,
) -> AppResult<CourseView> {
    require_national(actor)?;
    check(db, input, None).await?;
    let provider_id = provider_of_new(db, actor, input).await?;
    let at = crate::time::now();
    let saved = course::ActiveModel {
        code: Set(input
            .code
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_uppercase()),
        name: Set(clean_name(input).unwrap_or_default()),
        description: Set(clean_description(input).unwrap_or_default()),
        hours: Set(input.hours.unwrap_or(1) as i32),
        default_modality: Set(input
            .default_modality
            .as_deref()
            .and_then(|m| Modality::parse(m.trim()))
            .unwrap_or(Modality::Mixta)),
        management_stage: Set(parse::text(input.management_stage.as_deref())),
        min_attendance_pct: Set(input
            .min_attendance_pct
            .map_or(super::DEFAULT_MIN_ATTENDANCE_PCT, |p| p as i32)),
        pass_mark_tenths: Set(input
            .pass_mark
            .map_or(super::DEFAULT_PASS_MARK_TENTHS, |m| {
                (m * 10.0).round() as i32
            })),
        retired_at: Set(None),
        provider_id: Set(provider_id),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    set_capacities(
        db,
        saved.id,
        input.capacity_ids.as_deref().unwrap_or_default(),
    )
    .await?;
    descriptors::set(db, DescriptorSubject::Course, saved.id, input.descriptors()).await?;
    let view = view(db, saved.id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "course.created",
            subject_type: "course",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(&view).ok(),
        },
    )
    .await?;
    Ok(view)
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    input: &CourseInput,
) -> AppResult<CourseView> {
    require_national(actor)?;
    let current = find_managed(db, actor, id).await?;
    if input.provider_id.is_some_and(|p| p != current.provider_id) {
        return Err(AppError::invalid(
            "provider_id",
            "El oferente de un curso no cambia: cree el curso en el otro oferente.",
        ));
    }
    check(db, input, Some(&current)).await?;
    let before = view(db, id).await?;
    let mut model: course::ActiveModel = current.clone().into();
    if let Some(code) = &input.code {
        model.code = Set(code.trim().to_uppercase());
    }
    if let Some(name) = clean_name(input) {
        model.name = Set(name);
    }
    if input.description.is_some() {
        model.description = Set(clean_description(input).unwrap_or_default());
    }
    if let Some(hours) = input.hours {
        model.hours = Set(hours as i32);
    }
    if let Some(modality) = input
        .default_modality
        .as_deref()
        .and_then(|m| Modality::parse(m.trim()))
    {
        model.default_modality = Set(modality);
    }
    if input.management_stage.is_some() {
        model.management_stage = Set(parse::text(input.management_stage.as_deref()));
    }
    if let Some(pct) = input.min_attendance_pct {
        model.min_attendance_pct = Set(pct as i32);
    }
    if let Some(mark) = input.pass_mark {
        model.pass_mark_tenths = Set((mark * 10.0).round() as i32);
    }
    let retiring = match input.retired {
        Some(true) if current.retired_at.is_none() => {
            model.retired_at = Set(Some(crate::time::now()));
            true
        }
        Some(false) => {
            model.retired_at = Set(None);
            false
        }
        _ => false,
    };
    model.updated_at = Set(crate::time::now());
    model.update(db).await?;
    if let Some(ids) = &input.capacity_ids {
        set_capacities(db, id, ids).await?;
    }
    descriptors::set(db, DescriptorSubject::Course, id, input.descriptors()).await?;
    let after = view(db, id).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: if retiring {
                "course.retired"
            } else {
                "course.updated"
            },
            subject_type: "course",
            subject_id: id.to_string(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}
