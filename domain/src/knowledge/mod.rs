//! The knowledge bank (issue 48, item 1): what stays when people leave. A provider's guides,
//! tools, templates, recordings, lessons learned and good practices, each with a file (kept in
//! the database, [`files`]) or a link, tagged by capacity, management-cycle stage and municipal
//! category, and tied to where it came from (a course, a cohort, an assistance, its visit or a
//! product handed over at the visit — the product *is* the resource: `visit_product_id` points
//! at it, nothing is copied).
//!
//! - Writes: a provider's coordinators add their provider's resources (an admin, any
//!   provider's, by the origin's provider or ESAP's); a resource starts as a draft and only its
//!   own provider's coordinators (or an admin) publish it ([`publish`]) or withdraw it
//!   ([`unpublish`]); another provider's is a 404. Every change is audited.
//! - Reads ([`can_read`]): a published resource marked `publico` by anyone, `cuentas` by anyone
//!   signed in; drafts and withdrawn ones only by whoever may publish them.
//! - Search ([`search`]): published ones, by text (`LIKE` over the folded `search_text`),
//!   capacity, kind, stage and category; anonymous callers get the public ones.
//! - Downloads ([`download`]) of a published resource are counted once per account or client
//!   address per day, robots left out ([`downloads`], issue 62).
//! - Storage ([`storage`], issue 62): a quota per provider, an upload rate per account, files
//!   in the database or under `files_dir`; [`delete`] lets a resource's bytes go and leaves a
//!   «retirado» page where it was published.

pub mod demo;
pub mod downloads;
pub mod files;
pub mod storage;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::values::{ResourceKind, ResourceStage, ResourceStatus, ResourceVisibility};
use crate::entities::{
    assistance, assistance_visit, capacity, cohort, cohort_municipality, course, provider,
    resource, resource_capacity, resource_category, resource_file, visit_product,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use chrono::NaiveDate;
use files::Upload;
use sea_orm::sea_query::{LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

const MAX_TITLE_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 8_000;
const MAX_URL_CHARS: usize = 500;
const MAX_QUERY_CHARS: usize = 100;

/// The municipal categories a resource may be meant for (Ley 617: «E» especial, 1 to 6).
pub const CATEGORIES: [&str; 7] = ["E", "1", "2", "3", "4", "5", "6"];

/// A category as people read it.
pub fn category_label(code: &str) -> String {
    if code == "E" {
        "Especial".to_string()
    } else {
        format!("Categoría {code}")
    }
}

/// What a resource is sent with (the API's multipart body and the page's form): text as typed;
/// the domain parses and checks every field and answers all the problems at once.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ResourceInput)]
pub struct ResourceInput {
    /// One line, at most 200 characters.
    pub title: String,
    /// What it is and what it is for, at most 8,000 characters.
    pub description: String,
    #[schema(value_type = ResourceKind)]
    pub kind: String,
    /// An `http://` or `https://` address, instead of a file.
    pub url: Option<String>,
    /// At least one capacity id (`GET /capacities`).
    #[schema(value_type = Vec<i32>)]
    pub capacity_ids: Vec<String>,
    /// The management-cycle stage it serves.
    #[schema(value_type = Option<ResourceStage>)]
    pub stage: Option<String>,
    /// The municipal categories it is meant for: `E`, `1`…`6`.
    pub municipality_categories: Vec<String>,
    /// `cuentas` (anyone signed in; the default) or `publico` (anyone, and open data).
    #[schema(value_type = Option<ResourceVisibility>)]
    pub visibility: Option<String>,
    /// Lessons learned and good practices: required.
    pub context: Option<String>,
    pub problem: Option<String>,
    pub what_was_done: Option<String>,
    pub what_worked: Option<String>,
    pub evidence: Option<String>,
    /// Where it came from: a course, a cohort (its course follows), an assistance, one of its
    /// visits or a product handed over at a visit (its visit and assistance follow). Of the
    /// resource's own provider.
    #[schema(value_type = Option<i32>)]
    pub course_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub cohort_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub assistance_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub visit_id: Option<String>,
    #[schema(value_type = Option<i32>)]
    pub visit_product_id: Option<String>,
}

/// A capacity a resource is tagged with.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ResourceCapacity)]
pub struct CapacityRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// Something a resource came from, by id and name.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OriginRef {
    pub id: i32,
    pub name: String,
}

/// Where a resource came from; every part may be missing.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ResourceOrigin {
    pub course: Option<OriginRef>,
    pub cohort: Option<OriginRef>,
    pub assistance: Option<OriginRef>,
    /// The visit, named by its date.
    pub visit: Option<OriginRef>,
    /// The product handed over at the visit that this resource is.
    pub visit_product: Option<OriginRef>,
    /// The municipality the assistance or visit was in (DANE code), if any.
    pub municipality_code: Option<String>,
}

/// The structure of a lesson learned or a good practice.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Lesson {
    pub context: String,
    pub problem: String,
    pub what_was_done: String,
    pub what_worked: String,
    pub evidence: String,
}

/// A resource's file (its bytes at `download_url`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResourceFileView {
    pub name: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    #[schema(example = "/api/v1/resources/3/file")]
    pub download_url: String,
}

/// A resource of the knowledge bank. No personal data: who uploaded or published it is not
/// part of it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Resource)]
pub struct ResourceView {
    pub id: i32,
    pub provider: crate::providers::ProviderRef,
    pub kind: ResourceKind,
    pub kind_label: &'static str,
    pub title: String,
    pub description: String,
    /// The link, for a resource without a file.
    pub url: Option<String>,
    pub file: Option<ResourceFileView>,
    pub stage: Option<ResourceStage>,
    pub stage_label: Option<&'static str>,
    pub capacities: Vec<CapacityRef>,
    pub municipality_categories: Vec<String>,
    /// Lessons learned and good practices.
    pub lesson: Option<Lesson>,
    pub visibility: ResourceVisibility,
    pub visibility_label: &'static str,
    pub status: ResourceStatus,
    pub status_label: &'static str,
    pub origin: ResourceOrigin,
    /// Downloads of the file while published.
    pub downloads: i64,
    /// RFC 3339 with the Colombian offset.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// **Extension** (issue 62): when its provider deleted it (its file and link are gone).
    #[schema(format = DateTime)]
    pub deleted_at: Option<String>,
}

/// The search's filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub capacity: Option<i32>,
    pub kind: Option<ResourceKind>,
    pub stage: Option<ResourceStage>,
    pub category: Option<String>,
    /// Staff only: `draft` or `unpublished` lists the caller's provider's (an admin's: all);
    /// `None` or `published`: the published ones.
    pub status: Option<ResourceStatus>,
}

impl Filter {
    /// The filters as sent (`kind`, `stage`, `status` as codes; `capacity` as an id), with a
    /// Spanish 422 for a value that is not one of the lists.
    pub fn parse(
        q: Option<&str>,
        capacity: Option<&str>,
        kind: Option<&str>,
        stage: Option<&str>,
        category: Option<&str>,
        status: Option<&str>,
    ) -> AppResult<Filter> {
        let mut errors = Vec::new();
        let q = crate::parse::text(q);
        if q.as_ref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            errors.push(FieldError::new(
                "q",
                format!("La búsqueda puede tener máximo {MAX_QUERY_CHARS} caracteres."),
            ));
        }
        let capacity = match crate::parse::text(capacity) {
            None => None,
            Some(text) => match text.parse::<i32>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError::new(
                        "capacity",
                        "Elija una capacidad de la lista.",
                    ));
                    None
                }
            },
        };
        let kind = parsed(
            kind,
            "kind",
            "Elija un tipo de recurso de la lista.",
            ResourceKind::parse,
            &mut errors,
        );
        let stage = parsed(
            stage,
            "stage",
            "Elija una etapa de la lista.",
            ResourceStage::parse,
            &mut errors,
        );
        let status = parsed(
            status,
            "status",
            "El estado debe ser draft, published o unpublished.",
            ResourceStatus::parse,
            &mut errors,
        );
        let category = crate::parse::text(category);
        if category
            .as_deref()
            .is_some_and(|c| !CATEGORIES.contains(&c))
        {
            errors.push(FieldError::new(
                "category",
                "La categoría debe ser E o un número del 1 al 6.",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(Filter {
            q,
            capacity,
            kind,
            stage,
            category,
            status,
        })
    }
}

fn parsed<T>(
    value: Option<&str>,
    field: &str,
    message: &str,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let text = crate::parse::text(value)?;
    let found = parse(&text);
    if found.is_none() {
        errors.push(FieldError::new(field, message));
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Who reads and who manages

/// Whether `reader` (none: anonymous) reads `row`: a published public one anyone, a published
/// one for accounts anyone signed in, a draft or a withdrawn one whoever may publish it.
pub fn can_read(row: &resource::Model, reader: Option<&Actor>) -> bool {
    if row.deleted_at.is_some() {
        // Its «retirado» page: for whoever read it when it was deleted.
        return reader.is_some_and(|actor| manages(actor, row.provider_id))
            || (deleted_while_published(row)
                && (row.visibility == ResourceVisibility::Publico || reader.is_some()));
    }
    match row.status {
        ResourceStatus::Published => {
            row.visibility == ResourceVisibility::Publico || reader.is_some()
        }
        _ => reader.is_some_and(|actor| manages(actor, row.provider_id)),
    }
}

/// Whether `row` was published when it was deleted: [`delete`] withdraws a published resource
/// and deletes it at the same instant, so both moments are equal (a resource withdrawn earlier
/// has an earlier `unpublished_at`, a draft none).
fn deleted_while_published(row: &resource::Model) -> bool {
    row.deleted_at.is_some() && row.unpublished_at == row.deleted_at
}

/// Whether `actor` manages `provider`'s resources: an admin every provider's, a coordinator
/// its own provider's.
pub fn manages(actor: &Actor, provider: i32) -> bool {
    actor.is_staff()
        && match actor.managed_provider() {
            Some(own) => own == provider,
            None => true,
        }
}

/// The resource if `reader` reads it; 404 otherwise.
pub async fn find_readable<C: ConnectionTrait>(
    db: &C,
    reader: Option<&Actor>,
    id: i32,
) -> AppResult<resource::Model> {
    resource::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| can_read(row, reader))
        .ok_or(AppError::NotFound)
}

/// The resource if `actor` manages it (its provider's coordinators, admins); 403 for roles
/// that manage none, 404 for another provider's.
pub async fn find_managed<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<resource::Model> {
    if !actor.is_staff() {
        return Err(AppError::Forbidden);
    }
    resource::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| manages(actor, row.provider_id))
        .ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// Adding a resource

/// Where a new resource comes from, checked.
#[derive(Default)]
struct Origin {
    provider_id: Option<i32>,
    course_id: Option<i32>,
    cohort_id: Option<i32>,
    assistance_id: Option<i32>,
    visit_id: Option<i32>,
    visit_product_id: Option<i32>,
}

fn id_of(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i32> {
    let text = crate::parse::text(value)?;
    match text.parse::<i32>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.push(FieldError::new(field, "Debe ser un número de la lista."));
            None
        }
    }
}

/// One origin's provider, or a problem on its field when it does not exist or `actor` does not
/// manage it (an admin manages all).
fn owned(
    actor: &Actor,
    field: &str,
    provider: Option<i32>,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    match provider {
        Some(p) if manages(actor, p) => Some(p),
        _ => {
            errors.push(FieldError::new(
                field,
                format!("{what} no existe o no es de su oferente."),
            ));
            None
        }
    }
}

/// A visit's product with its visit and that visit's assistance, those that exist.
async fn product_chain<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> AppResult<(
    Option<visit_product::Model>,
    Option<assistance_visit::Model>,
    Option<assistance::Model>,
)> {
    let product = visit_product::Entity::find_by_id(id).one(db).await?;
    let visit = match &product {
        Some(p) => {
            assistance_visit::Entity::find_by_id(p.visit_id)
                .one(db)
                .await?
        }
        None => None,
    };
    let owner = match &visit {
        Some(v) => {
            assistance::Entity::find_by_id(v.assistance_id)
                .one(db)
                .await?
        }
        None => None,
    };
    Ok((product, visit, owner))
}

/// A visit's product, if `actor` manages its assistance's provider (issue 62, item 5: the
/// form's prefill resolves the record through the scope [`create`]'s own check applies);
/// anyone else's is nothing, as if it did not exist.
pub async fn product_in_scope<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<Option<visit_product::Model>> {
    let (product, _, owner) = product_chain(db, id).await?;
    Ok(product.filter(|_| owner.is_some_and(|a| manages(actor, a.provider_id))))
}

/// The records a new resource comes from, as the form names them.
#[derive(Clone, Copy, Debug, Default)]
pub struct OriginIds {
    pub visit_product_id: Option<i32>,
    pub assistance_id: Option<i32>,
    pub cohort_id: Option<i32>,
    pub course_id: Option<i32>,
}

/// «Producto entregado «…»», «Asistencia técnica: …», «Cohorte «…»», «Curso «…»»: the first
/// origin named, only of records `actor` manages (issue 62, item 5); another provider's
/// record names nothing.
pub async fn origin_label<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    ids: OriginIds,
) -> AppResult<Option<String>> {
    let mine = |provider: i32| manages(actor, provider);
    if let Some(p) = ids.visit_product_id
        && let Some(product) = product_in_scope(db, actor, p).await?
    {
        return Ok(Some(format!("Producto entregado «{}»", product.title)));
    }
    if let Some(a) = ids.assistance_id
        && let Some(found) = assistance::Entity::find_by_id(a).one(db).await?
        && mine(found.provider_id)
    {
        return Ok(Some(format!("Asistencia técnica: {}", found.objective)));
    }
    if let Some(c) = ids.cohort_id
        && let Some(found) = cohort::Entity::find_by_id(c).one(db).await?
        && mine(found.provider_id)
    {
        return Ok(Some(format!("Cohorte «{}»", found.name)));
    }
    if let Some(c) = ids.course_id
        && let Some(found) = course::Entity::find_by_id(c).one(db).await?
        && mine(found.provider_id)
    {
        return Ok(Some(format!("Curso «{}»", found.name)));
    }
    Ok(None)
}

async fn check_origin<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &ResourceInput,
    errors: &mut Vec<FieldError>,
) -> AppResult<Origin> {
    let mut origin = Origin::default();
    let mut providers = BTreeSet::new();
    if let Some(id) = id_of(
        "visit_product_id",
        input.visit_product_id.as_deref(),
        errors,
    ) {
        let (_, visit, owner) = product_chain(db, id).await?;
        if let Some(p) = owned(
            actor,
            "visit_product_id",
            owner.as_ref().map(|a| a.provider_id),
            "El producto",
            errors,
        ) {
            providers.insert(p);
            if resource::Entity::find()
                .filter(resource::Column::VisitProductId.eq(id))
                .count(db)
                .await?
                > 0
            {
                errors.push(FieldError::new(
                    "visit_product_id",
                    "Este producto ya está en el banco de conocimiento.",
                ));
            }
            origin.visit_product_id = Some(id);
            origin.visit_id = visit.as_ref().map(|v| v.id);
            origin.assistance_id = owner.as_ref().map(|a| a.id);
        }
    }
    if let Some(id) = id_of("visit_id", input.visit_id.as_deref(), errors) {
        let visit = assistance_visit::Entity::find_by_id(id).one(db).await?;
        let owner = match &visit {
            Some(v) => {
                assistance::Entity::find_by_id(v.assistance_id)
                    .one(db)
                    .await?
            }
            None => None,
        };
        if let Some(p) = owned(
            actor,
            "visit_id",
            owner.as_ref().map(|a| a.provider_id),
            "La visita",
            errors,
        ) {
            providers.insert(p);
            if origin.visit_id.is_some_and(|v| v != id) {
                errors.push(FieldError::new(
                    "visit_id",
                    "La visita no es la del producto elegido.",
                ));
            }
            origin.visit_id = Some(id);
            if origin.assistance_id.is_none() {
                origin.assistance_id = owner.as_ref().map(|a| a.id);
            }
        }
    }
    if let Some(id) = id_of("assistance_id", input.assistance_id.as_deref(), errors) {
        let owner = assistance::Entity::find_by_id(id).one(db).await?;
        if let Some(p) = owned(
            actor,
            "assistance_id",
            owner.as_ref().map(|a| a.provider_id),
            "La asistencia técnica",
            errors,
        ) {
            providers.insert(p);
            if origin.assistance_id.is_some_and(|a| a != id) {
                errors.push(FieldError::new(
                    "assistance_id",
                    "La asistencia técnica no es la de la visita o el producto elegidos.",
                ));
            }
            origin.assistance_id = Some(id);
        }
    }
    if let Some(id) = id_of("cohort_id", input.cohort_id.as_deref(), errors) {
        let found = cohort::Entity::find_by_id(id).one(db).await?;
        if let Some(p) = owned(
            actor,
            "cohort_id",
            found.as_ref().map(|c| c.provider_id),
            "La cohorte",
            errors,
        ) {
            providers.insert(p);
            origin.cohort_id = Some(id);
            origin.course_id = found.map(|c| c.course_id);
        }
    }
    if let Some(id) = id_of("course_id", input.course_id.as_deref(), errors) {
        let found = course::Entity::find_by_id(id).one(db).await?;
        if let Some(p) = owned(
            actor,
            "course_id",
            found.as_ref().map(|c| c.provider_id),
            "El curso",
            errors,
        ) {
            providers.insert(p);
            if origin.course_id.is_some_and(|c| c != id) {
                errors.push(FieldError::new(
                    "course_id",
                    "El curso no es el de la cohorte elegida.",
                ));
            }
            origin.course_id = Some(id);
        }
    }
    if providers.len() > 1 {
        errors.push(FieldError::new(
            "",
            "El curso, la cohorte y la asistencia de origen deben ser de un mismo oferente.",
        ));
    }
    origin.provider_id = providers.into_iter().next();
    Ok(origin)
}

fn required_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match crate::validate::multi_line(field, value.unwrap_or(""), max) {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            errors.push(FieldError::new(field, missing));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// The text the search matches: title, description and lesson fields, folded (lower case, no
/// accents), on one line.
fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| crate::text::fold(p))
        .collect::<Vec<_>>()
        .join(" \n ")
}

/// [`create_stored`] without quota or rate, its file in the database (the demo data).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &ResourceInput,
    upload: Option<Upload>,
) -> AppResult<ResourceView> {
    create_stored(db, actor, input, upload, &storage::Storage::unbounded()).await
}

/// Adds a resource as a draft of the caller's provider (an admin's: the origin's provider, or
/// ESAP's), with its file or its link. A file beyond the account's hourly rate is a 429 and
/// one beyond the size limit a 413 before anything else; every other problem at once (422);
/// then a file that would take the provider beyond its quota is a 413 naming it. The file is
/// kept where `storage` says (the database, or under `files_dir`). Nothing is written on a
/// refusal. Audited.
pub async fn create_stored<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: &ResourceInput,
    upload: Option<Upload>,
    storage: &storage::Storage,
) -> AppResult<ResourceView> {
    if !actor.is_staff() {
        return Err(AppError::Forbidden);
    }
    if upload.is_some() {
        storage::check_rate(db, storage, actor).await?;
    }
    let mut errors = Vec::new();
    let checked_file = checked_upload(upload.as_ref(), &mut errors)?;
    let title = checked_title(input, &mut errors);
    let description = required_text(
        "description",
        Some(&input.description),
        MAX_TEXT_CHARS,
        "Describa el recurso: qué es y para qué sirve.",
        &mut errors,
    );
    let kind = ResourceKind::parse(input.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Elija el tipo de recurso."));
    }
    let url = checked_url(input, &mut errors);
    check_file_or_link(upload.is_some(), input, &mut errors);
    let capacity_ids = check_capacities(db, &input.capacity_ids, &mut errors).await?;
    let stage = parsed(
        input.stage.as_deref(),
        "stage",
        "Elija una etapa del ciclo de la gestión pública de la lista.",
        ResourceStage::parse,
        &mut errors,
    );
    let categories = checked_categories(input, &mut errors);
    let visibility = checked_visibility(input, &mut errors);
    let lesson = checked_lesson(kind, input, &mut errors);
    let origin = check_origin(db, actor, input, &mut errors).await?;
    let (Some(title), Some(description), Some(kind), Some(visibility), true) =
        (title, description, kind, visibility, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let provider_id = match actor.managed_provider() {
        Some(own) => own,
        None => origin.provider_id.unwrap_or(crate::providers::ESAP),
    };
    if let Some(file) = &upload {
        storage::check_quota(db, storage, provider_id, file.size).await?;
    }
    let place = match (&upload, &storage.files_dir) {
        (Some(_), Some(_)) => Some(storage::new_place()),
        _ => None,
    };
    let now = crate::time::now();
    let search = search_text(&[
        Some(&title),
        Some(&description),
        lesson.context.as_deref(),
        lesson.problem.as_deref(),
        lesson.what_was_done.as_deref(),
        lesson.what_worked.as_deref(),
        lesson.evidence.as_deref(),
    ]);
    let saved = resource::ActiveModel {
        provider_id: Set(provider_id),
        kind: Set(kind),
        title: Set(title),
        description: Set(description),
        url: Set(url),
        file_name: Set(checked_file.as_ref().map(|f| f.name.clone())),
        content_type: Set(checked_file.as_ref().map(|f| f.content_type.to_string())),
        file_size: Set(upload
            .as_ref()
            .map(|f| i64::try_from(f.size).unwrap_or(i64::MAX))),
        file_path: Set(place.clone()),
        stage: Set(stage),
        context: Set(lesson.context),
        problem: Set(lesson.problem),
        what_was_done: Set(lesson.what_was_done),
        what_worked: Set(lesson.what_worked),
        evidence: Set(lesson.evidence),
        visibility: Set(visibility),
        status: Set(ResourceStatus::Draft),
        course_id: Set(origin.course_id),
        cohort_id: Set(origin.cohort_id),
        assistance_id: Set(origin.assistance_id),
        visit_id: Set(origin.visit_id),
        visit_product_id: Set(origin.visit_product_id),
        search_text: Set(search),
        downloads: Set(0),
        created_by: Set(Some(actor.id)),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        published_by: Set(None),
        unpublished_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    keep_file(db, storage, place.as_ref(), saved.id, upload).await?;
    link_capacities_and_categories(db, saved.id, &capacity_ids, categories).await?;
    let view = view(db, saved).await?;
    audited(db, actor.id, "resource.created", &view).await?;
    Ok(view)
}

/// The attached file checked (name, type, size); its problems join `errors`.
fn checked_upload(
    upload: Option<&Upload>,
    errors: &mut Vec<FieldError>,
) -> AppResult<Option<files::Checked>> {
    Ok(match upload {
        Some(file) => match files::check(file) {
            Ok(checked) => Some(checked),
            Err(AppError::Validation(mut problems)) => {
                errors.append(&mut problems);
                None
            }
            Err(other) => return Err(other),
        },
        None => None,
    })
}

/// The title: required, one line.
fn checked_title(input: &ResourceInput, errors: &mut Vec<FieldError>) -> Option<String> {
    match crate::validate::single_line("title", &input.title, MAX_TITLE_CHARS) {
        Ok(Some(title)) => Some(title),
        Ok(None) => {
            errors.push(FieldError::new("title", "Escriba el título del recurso."));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// The link, when written: one line, a whole web address.
fn checked_url(input: &ResourceInput, errors: &mut Vec<FieldError>) -> Option<String> {
    match crate::parse::text(input.url.as_deref()) {
        None => None,
        Some(text) => match crate::validate::single_line("url", &text, MAX_URL_CHARS) {
            Ok(Some(url)) if is_web_address(&url) => Some(url),
            Ok(_) => {
                errors.push(FieldError::new(
                    "url",
                    "El enlace debe ser una dirección web completa, que empiece por https:// o http://.",
                ));
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
    }
}

/// A resource has a file or a link, exactly one of them.
fn check_file_or_link(has_file: bool, input: &ResourceInput, errors: &mut Vec<FieldError>) {
    match (
        has_file,
        input.url.as_deref().is_some_and(|u| !u.trim().is_empty()),
    ) {
        (true, true) => errors.push(FieldError::new(
            "url",
            "Adjunte un archivo o escriba un enlace, no los dos.",
        )),
        (false, false) => errors.push(FieldError::new(
            "file",
            "Adjunte el archivo del recurso o escriba su enlace.",
        )),
        _ => {}
    }
}

/// The municipality categories chosen (blanks skipped); the first unknown one is an error.
fn checked_categories(input: &ResourceInput, errors: &mut Vec<FieldError>) -> BTreeSet<String> {
    let mut categories = BTreeSet::new();
    for code in &input.municipality_categories {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if CATEGORIES.contains(&code) {
            categories.insert(code.to_string());
        } else {
            errors.push(FieldError::new(
                "municipality_categories",
                "Las categorías de municipio son E (especial) y del 1 al 6.",
            ));
            break;
        }
    }
    categories
}

/// Who may see the resource; people with an account unless said otherwise.
fn checked_visibility(
    input: &ResourceInput,
    errors: &mut Vec<FieldError>,
) -> Option<ResourceVisibility> {
    match crate::parse::text(input.visibility.as_deref()) {
        None => Some(ResourceVisibility::Cuentas),
        Some(text) => {
            let found = ResourceVisibility::parse(&text);
            if found.is_none() {
                errors.push(FieldError::new(
                    "visibility",
                    "Elija quién puede verlo: personas con cuenta (cuentas) o cualquiera (publico).",
                ));
            }
            found
        }
    }
}

/// The lesson-learned fields of a resource, each checked.
struct LessonFields {
    context: Option<String>,
    problem: Option<String>,
    what_was_done: Option<String>,
    what_worked: Option<String>,
    evidence: Option<String>,
}

/// The lesson fields: required for a lesson learned, optional otherwise; in form order.
fn checked_lesson(
    kind: Option<ResourceKind>,
    input: &ResourceInput,
    errors: &mut Vec<FieldError>,
) -> LessonFields {
    let lesson_field = |field: &str,
                        value: &Option<String>,
                        missing: &str,
                        errors: &mut Vec<FieldError>| {
        if kind.is_some_and(ResourceKind::is_lesson) {
            required_text(field, value.as_deref(), MAX_TEXT_CHARS, missing, errors)
        } else {
            match crate::validate::multi_line(field, value.as_deref().unwrap_or(""), MAX_TEXT_CHARS)
            {
                Ok(text) => text,
                Err(error) => {
                    errors.push(error);
                    None
                }
            }
        }
    };
    let context = lesson_field(
        "context",
        &input.context,
        "Escriba el contexto: dónde y cuándo ocurrió.",
        errors,
    );
    let problem = lesson_field(
        "problem",
        &input.problem,
        "Escriba el problema que se enfrentó.",
        errors,
    );
    let what_was_done = lesson_field(
        "what_was_done",
        &input.what_was_done,
        "Escriba qué se hizo.",
        errors,
    );
    let what_worked = lesson_field(
        "what_worked",
        &input.what_worked,
        "Escriba qué funcionó (y qué no).",
        errors,
    );
    let evidence = lesson_field(
        "evidence",
        &input.evidence,
        "Escriba la evidencia: qué muestra el resultado.",
        errors,
    );
    LessonFields {
        context,
        problem,
        what_was_done,
        what_worked,
        evidence,
    }
}

/// Keeps the file where the storage says: under `files_dir` at `place`, or in the database.
async fn keep_file<C: ConnectionTrait>(
    db: &C,
    storage: &storage::Storage,
    place: Option<&String>,
    resource_id: i32,
    upload: Option<Upload>,
) -> AppResult<()> {
    if let Some(file) = upload {
        match (place, &storage.files_dir) {
            (Some(place), Some(files_dir)) => storage::keep(files_dir, place, &file).await?,
            _ => {
                resource_file::ActiveModel {
                    resource_id: Set(resource_id),
                    content: Set(file.into_bytes().await?),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// Links the resource to its capacities and municipality categories.
async fn link_capacities_and_categories<C: ConnectionTrait>(
    db: &C,
    resource_id: i32,
    capacity_ids: &BTreeSet<i32>,
    categories: BTreeSet<String>,
) -> AppResult<()> {
    if !capacity_ids.is_empty() {
        resource_capacity::Entity::insert_many(capacity_ids.iter().map(|&capacity_id| {
            resource_capacity::ActiveModel {
                resource_id: Set(resource_id),
                capacity_id: Set(capacity_id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !categories.is_empty() {
        resource_category::Entity::insert_many(categories.into_iter().map(|category| {
            resource_category::ActiveModel {
                resource_id: Set(resource_id),
                category: Set(category),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

fn is_web_address(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !r.contains(' ')
    })
}

async fn check_capacities<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
    errors: &mut Vec<FieldError>,
) -> AppResult<BTreeSet<i32>> {
    let mut wanted = BTreeSet::new();
    for text in ids.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match text.parse::<i32>() {
            Ok(id) => {
                wanted.insert(id);
            }
            Err(_) => {
                errors.push(FieldError::new(
                    "capacity_ids",
                    "Elija las capacidades de la lista.",
                ));
                return Ok(BTreeSet::new());
            }
        }
    }
    if wanted.is_empty() {
        errors.push(FieldError::new(
            "capacity_ids",
            "Elija al menos una capacidad municipal que el recurso fortalece.",
        ));
        return Ok(wanted);
    }
    if wanted.len() > crate::validate::LIST_MAX {
        errors.push(FieldError::new("capacity_ids", "Elija menos capacidades."));
        return Ok(BTreeSet::new());
    }
    let found = capacity::Entity::find()
        .filter(capacity::Column::Id.is_in(wanted.iter().copied()))
        .filter(capacity::Column::Active.eq(true))
        .count(db)
        .await?;
    if found as usize != wanted.len() {
        errors.push(FieldError::new(
            "capacity_ids",
            "Alguna de las capacidades elegidas no existe o está inactiva.",
        ));
    }
    Ok(wanted)
}

/// A resource as its audit rows store it (created, changed, published, withdrawn).
#[derive(Serialize)]
struct ResourceAudit<'a> {
    title: &'a str,
    kind: ResourceKind,
    status: ResourceStatus,
    visibility: ResourceVisibility,
    provider_id: i32,
}

async fn audited<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    action: &'static str,
    view: &ResourceView,
) -> AppResult<()> {
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action,
            subject_type: "resource",
            subject_id: view.id.to_string(),
            before: None,
            after: serde_json::to_value(ResourceAudit {
                title: &view.title,
                kind: view.kind,
                status: view.status,
                visibility: view.visibility,
                provider_id: view.provider.id,
            })
            .ok(),
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Publication

/// What publishing `id` would do, for the confirmation: the resource if `actor` may publish it
/// now; 404 for another provider's, 409 when it is already published.
pub async fn publishable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<resource::Model> {
    let row = find_managed(db, actor, id).await?;
    may_publish(&row)?;
    Ok(row)
}

/// The rule for publishing, for the API and the confirmation alike: 410 when the resource
/// was deleted, 409 when it is already published.
pub fn may_publish(row: &resource::Model) -> AppResult<()> {
    refuse_deleted(row)?;
    if row.status == ResourceStatus::Published {
        return Err(AppError::Conflict("El recurso ya está publicado.".into()));
    }
    Ok(())
}

/// Publishes a draft or a withdrawn resource (its provider's coordinators or an admin;
/// another provider's → 404; already published → 409). Audited.
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<ResourceView> {
    let row = publishable(db, actor, id).await?;
    let now = crate::time::now();
    let mut model: resource::ActiveModel = row.into();
    model.status = Set(ResourceStatus::Published);
    model.published_at = Set(Some(now));
    model.published_by = Set(Some(actor.id));
    model.unpublished_at = Set(None);
    model.updated_at = Set(now);
    let view = view(db, model.update(db).await?).await?;
    audited(db, actor.id, "resource.published", &view).await?;
    Ok(view)
}

/// What withdrawing `id` would do: the resource if `actor` may withdraw it now; 404 for
/// another provider's, 409 when it is not published.
pub async fn withdrawable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<resource::Model> {
    let row = find_managed(db, actor, id).await?;
    may_withdraw(&row)?;
    Ok(row)
}

/// The rule for withdrawing, for the API and the confirmation alike: 410 when the resource
/// was deleted, 409 when it is not published.
pub fn may_withdraw(row: &resource::Model) -> AppResult<()> {
    refuse_deleted(row)?;
    if row.status != ResourceStatus::Published {
        return Err(AppError::Conflict(
            "Solo se retira un recurso publicado.".into(),
        ));
    }
    Ok(())
}

/// 410 for a deleted resource: nothing more is done with it.
fn refuse_deleted(row: &resource::Model) -> AppResult<()> {
    match row.deleted_at {
        Some(at) => Err(AppError::Gone(format!(
            "Este recurso fue retirado del banco de conocimiento y su archivo eliminado el {}.",
            crate::format::date(crate::time::local(at).date_naive())
        ))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Deletion (issue 62)

/// A deleted resource, and where its file lay outside the database (to remove once the
/// deletion committed).
pub struct Deleted {
    pub view: ResourceView,
    pub file_place: Option<String>,
}

/// What deleting `id` would do, for the confirmation: the resource if `actor` may delete it
/// (its provider's coordinators, admins; another provider's → 404, other roles 403; already
/// deleted → 410).
pub async fn deletable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<resource::Model> {
    let row = find_managed(db, actor, id).await?;
    may_delete(&row)?;
    Ok(row)
}

/// The rule for deleting, for the API and the confirmation alike: 410 when it already was.
pub fn may_delete(row: &resource::Model) -> AppResult<()> {
    refuse_deleted(row)
}

/// A resource as it was before its deletion (`resource.deleted`).
#[derive(Serialize)]
struct DeletedResource<'a> {
    title: &'a str,
    status: ResourceStatus,
    visibility: ResourceVisibility,
    provider_id: i32,
    file: Option<DeletedFile<'a>>,
    url: Option<&'a str>,
    visit_product_id: Option<i32>,
    downloads: i64,
}

/// A deleted resource's file: its name and size.
#[derive(Serialize)]
struct DeletedFile<'a> {
    name: &'a str,
    size: i64,
}

/// When a resource was deleted.
#[derive(Serialize)]
struct Deletion<'a> {
    deleted_at: Option<&'a str>,
}

/// Deletes a resource: its file's bytes go (the row in `resource_files`; a file under
/// `files_dir` is for the caller to remove after the commit, [`Deleted::file_place`]), it no
/// longer counts against its provider's quota, leaves the search and open data, and its page
/// says «retirado» to whoever read it (a published one: by its visibility). The row stays,
/// with its downloads. Audited.
pub async fn delete<C: ConnectionTrait>(db: &C, actor: &Actor, id: i32) -> AppResult<Deleted> {
    let row = deletable(db, actor, id).await?;
    let before = view(db, row.clone()).await?;
    let file_place = row.file_path.clone();
    let now = crate::time::now();
    let mut model: resource::ActiveModel = row.clone().into();
    if row.status == ResourceStatus::Published {
        model.status = Set(ResourceStatus::Unpublished);
        // The same instant as `deleted_at`: what `deleted_while_published` reads.
        model.unpublished_at = Set(Some(now));
    }
    model.deleted_at = Set(Some(now));
    model.deleted_by = Set(Some(actor.id));
    // A visit's product is at most one resource: deleted, it may become one again.
    model.visit_product_id = Set(None);
    model.updated_at = Set(now);
    let saved = model.update(db).await?;
    resource_file::Entity::delete_by_id(id).exec(db).await?;
    let view = view(db, saved).await?;
    audit::record(
        db,
        Change {
            actor: Some(actor.id),
            action: "resource.deleted",
            subject_type: "resource",
            subject_id: id.to_string(),
            before: serde_json::to_value(DeletedResource {
                title: &before.title,
                status: before.status,
                visibility: before.visibility,
                provider_id: before.provider.id,
                file: before.file.as_ref().map(|f| DeletedFile {
                    name: &f.name,
                    size: f.size,
                }),
                url: before.url.as_deref(),
                visit_product_id: row.visit_product_id,
                downloads: before.downloads,
            })
            .ok(),
            after: serde_json::to_value(Deletion {
                deleted_at: view.deleted_at.as_deref(),
            })
            .ok(),
        },
    )
    .await?;
    Ok(Deleted { view, file_place })
}

/// Withdraws a published resource: it leaves the search, the public page and open data (its
/// provider still reads it and may publish it again). Audited.
pub async fn unpublish<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<ResourceView> {
    let row = withdrawable(db, actor, id).await?;
    let now = crate::time::now();
    let mut model: resource::ActiveModel = row.into();
    model.status = Set(ResourceStatus::Unpublished);
    model.unpublished_at = Set(Some(now));
    model.updated_at = Set(now);
    let view = view(db, model.update(db).await?).await?;
    audited(db, actor.id, "resource.unpublished", &view).await?;
    Ok(view)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The condition of the resources `reader` finds in the search: published ones (public ones
/// only for anonymous callers); with `status` draft or unpublished, the caller's provider's
/// (staff only: 403 otherwise).
fn listed(reader: Option<&Actor>, status: Option<ResourceStatus>) -> AppResult<Condition> {
    match status {
        None | Some(ResourceStatus::Published) => {
            let mut condition = Condition::all()
                .add(resource::Column::Status.eq(ResourceStatus::Published))
                .add(resource::Column::DeletedAt.is_null());
            if reader.is_none() {
                condition =
                    condition.add(resource::Column::Visibility.eq(ResourceVisibility::Publico));
            }
            Ok(condition)
        }
        Some(status) => {
            let actor = reader.ok_or(AppError::Unauthorized)?;
            if !actor.is_staff() {
                return Err(AppError::Forbidden);
            }
            let mut condition = Condition::all()
                .add(resource::Column::Status.eq(status))
                .add(resource::Column::DeletedAt.is_null());
            if let Some(own) = actor.managed_provider() {
                condition = condition.add(resource::Column::ProviderId.eq(own));
            }
            Ok(condition)
        }
    }
}

/// The search: one page of the resources `reader` finds with `filter`, newest published first,
/// and how many there are.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    reader: Option<&Actor>,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ResourceView>, u64)> {
    let mut query = resource::Entity::find().filter(listed(reader, filter.status)?);
    if let Some(q) = &filter.q {
        for word in crate::text::fold(q).split_whitespace().take(8) {
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            query = query.filter(
                resource::Column::SearchText
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
    }
    if let Some(capacity) = filter.capacity {
        query = query.filter(
            resource::Column::Id.in_subquery(
                Query::select()
                    .column(resource_capacity::Column::ResourceId)
                    .from(resource_capacity::Entity)
                    .and_where(resource_capacity::Column::CapacityId.eq(capacity))
                    .to_owned(),
            ),
        );
    }
    if let Some(category) = &filter.category {
        query = query.filter(
            resource::Column::Id.in_subquery(
                Query::select()
                    .column(resource_category::Column::ResourceId)
                    .from(resource_category::Entity)
                    .and_where(resource_category::Column::Category.eq(category.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(resource::Column::Kind.eq(kind));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(resource::Column::Stage.eq(stage));
    }
    let query = query
        .order_by_desc(resource::Column::PublishedAt)
        .order_by_desc(resource::Column::Id);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((views(db, rows).await?, total))
}

/// One resource for `reader` (404 out of reach; 410 once deleted).
pub async fn get<C: ConnectionTrait>(
    db: &C,
    reader: Option<&Actor>,
    id: i32,
) -> AppResult<ResourceView> {
    let row = find_readable(db, reader, id).await?;
    refuse_deleted(&row)?;
    view(db, row).await
}

/// One resource for its page: as [`get`], and a deleted one too (its page says «retirado»;
/// `deleted_at` is set, its file and link are not shown).
pub async fn get_for_page<C: ConnectionTrait>(
    db: &C,
    reader: Option<&Actor>,
    id: i32,
) -> AppResult<ResourceView> {
    let row = find_readable(db, reader, id).await?;
    view(db, row).await
}

/// A file as it is downloaded: its safe name, content type and content.
pub struct Download {
    pub name: String,
    pub content_type: String,
    pub body: Body,
}

/// Where a downloaded file's bytes are.
pub enum Body {
    Bytes(Vec<u8>),
    /// Under `files_dir` (streamed to the client, never read whole).
    File(std::path::PathBuf),
}

/// The file of a resource `reader` reads (404 otherwise, and for a resource with a link; 410
/// once deleted). A download of a published resource counts once per `visitor` and day, and
/// never for a robot ([`downloads::count`]).
pub async fn download(
    db: &sea_orm::DatabaseConnection,
    reader: Option<&Actor>,
    id: i32,
    visitor: &downloads::Visitor,
    storage: &storage::Storage,
) -> AppResult<Download> {
    let row = find_readable(db, reader, id).await?;
    refuse_deleted(&row)?;
    let (Some(name), Some(content_type)) = (row.file_name.clone(), row.content_type.clone()) else {
        return Err(AppError::NotFound);
    };
    let body = match &row.file_path {
        Some(place) => Body::File(storage::path_of(storage, place)?),
        None => Body::Bytes(
            resource_file::Entity::find_by_id(id)
                .found(db)
                .await?
                .content,
        ),
    };
    if row.status == ResourceStatus::Published {
        downloads::count(db, id, visitor).await?;
    }
    Ok(Download {
        name,
        content_type,
        body,
    })
}

/// The resources that came from `assistance` (directly, its visits or their products) or from
/// `course` (directly or one of its cohorts) that `reader` reads: published ones by
/// visibility, and the drafts and withdrawn ones of a provider whose staff reads.
pub async fn of_origin<C: ConnectionTrait>(
    db: &C,
    reader: &Actor,
    assistance: Option<i32>,
    course: Option<i32>,
) -> AppResult<Vec<ResourceView>> {
    let mut query = resource::Entity::find();
    if let Some(id) = assistance {
        query = query.filter(resource::Column::AssistanceId.eq(id));
    }
    if let Some(id) = course {
        query = query.filter(resource::Column::CourseId.eq(id));
    }
    if assistance.is_none() && course.is_none() {
        return Ok(Vec::new());
    }
    let rows: Vec<resource::Model> = query
        .filter(resource::Column::DeletedAt.is_null())
        .order_by_asc(resource::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .filter(|row| can_read(row, Some(reader)))
        .collect();
    views(db, rows).await
}

/// The products of `assistance`'s visits that are already a resource of the bank (in any
/// state): the assistance's page offers to add the others.
pub async fn banked_products<C: ConnectionTrait>(
    db: &C,
    assistance: i32,
) -> AppResult<BTreeSet<i32>> {
    let ids: Vec<Option<i32>> = resource::Entity::find()
        .select_only()
        .column(resource::Column::VisitProductId)
        .filter(resource::Column::AssistanceId.eq(assistance))
        .filter(resource::Column::VisitProductId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// A resource handed over to a municipality, as the handover (empalme) lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HandedResource)]
pub struct HandedResource {
    pub id: i32,
    pub title: String,
    pub kind: ResourceKind,
    pub kind_label: &'static str,
    /// The link, for a resource without a file.
    pub url: Option<String>,
    /// The file's download, for a resource with one (`/api/v1/resources/{id}/file`).
    pub file_url: Option<String>,
    /// The resource's page (`/conocimiento/{id}`).
    pub page_url: String,
    /// The day it was published.
    pub date: NaiveDate,
    /// «Asistencia técnica» or «Cohorte», and its id.
    pub origin: String,
    /// The assistance it came from, if any.
    pub assistance_id: Option<i32>,
    /// The visit's product it is, if it is one (so a product is listed once, as the resource).
    pub visit_product_id: Option<i32>,
    /// The provider whose resource it is.
    pub provider_name: String,
}

/// The published resources tied to `municipality_code`'s assistances (directly, their visits or
/// their products) and to the cohorts offered to it, newest first: what the municipality
/// received, for the handover page (issue 48, item 4). Drafts and withdrawn ones are left out.
pub async fn handed_to_municipality<C: ConnectionTrait>(
    db: &C,
    municipality_code: &str,
) -> AppResult<Vec<HandedResource>> {
    let assistances = Query::select()
        .column(assistance::Column::Id)
        .from(assistance::Entity)
        .and_where(assistance::Column::MunicipalityCode.eq(municipality_code))
        .to_owned();
    let cohorts = Query::select()
        .column(cohort_municipality::Column::CohortId)
        .from(cohort_municipality::Entity)
        .and_where(cohort_municipality::Column::MunicipalityCode.eq(municipality_code))
        .to_owned();
    let rows = resource::Entity::find()
        .filter(resource::Column::Status.eq(ResourceStatus::Published))
        .filter(
            Condition::any()
                .add(resource::Column::AssistanceId.in_subquery(assistances))
                .add(resource::Column::CohortId.in_subquery(cohorts)),
        )
        .order_by_desc(resource::Column::PublishedAt)
        .order_by_desc(resource::Column::Id)
        .all(db)
        .await?;
    let providers: HashMap<i32, String> = provider::Entity::find()
        .filter(provider::Column::Id.is_in(rows.iter().map(|r| r.provider_id)))
        .all_mapped(db, |p| (p.id, p.name))
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| HandedResource {
            assistance_id: row.assistance_id,
            visit_product_id: row.visit_product_id,
            provider_name: providers.get(&row.provider_id).cloned().unwrap_or_default(),
            id: row.id,
            title: row.title,
            kind: row.kind,
            kind_label: row.kind.label(),
            file_url: row
                .file_name
                .as_ref()
                .map(|_| format!("/api/v1/resources/{}/file", row.id)),
            url: row.url,
            page_url: format!("/conocimiento/{}", row.id),
            date: crate::time::local(row.published_at.unwrap_or(row.created_at)).date_naive(),
            origin: match (row.assistance_id, row.cohort_id) {
                (Some(id), _) => format!("Asistencia técnica {id}"),
                (None, Some(id)) => format!("Cohorte {id}"),
                _ => String::new(),
            },
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Views

async fn view<C: ConnectionTrait>(db: &C, row: resource::Model) -> AppResult<ResourceView> {
    views(db, vec![row]).await?.pop().ok_or(AppError::NotFound)
}

fn short(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        text.to_string()
    } else {
        let cut: String = text.chars().take(most).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The views of `rows`, in their order, with a fixed number of queries whatever their number.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<resource::Model>,
) -> AppResult<Vec<ResourceView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let providers = provider_names(db, &rows).await?;
    let mut capacities = resource_capacities(db, &ids).await?;
    let mut categories = resource_categories(db, &ids).await?;
    let origins = origin_lookups(db, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let origin = origin_of(&row, &origins);
            let lesson = lesson_of(&row);
            let capacities = capacities.remove(&row.id).unwrap_or_default();
            let categories = categories.remove(&row.id).unwrap_or_default();
            let provider = providers.get(&row.provider_id).cloned().unwrap_or_default();
            view_of(row, provider, capacities, categories, lesson, origin)
        })
        .collect())
}

/// The distinct ids `pick` finds in `rows`, in ascending order.
fn distinct_ids(rows: &[resource::Model], pick: fn(&resource::Model) -> Option<i32>) -> Vec<i32> {
    rows.iter()
        .filter_map(pick)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The names of the providers of `rows`, by id.
async fn provider_names<C: ConnectionTrait>(
    db: &C,
    rows: &[resource::Model],
) -> AppResult<HashMap<i32, String>> {
    Ok(provider::Entity::find()
        .filter(
            provider::Column::Id.is_in(rows.iter().map(|r| r.provider_id).collect::<BTreeSet<_>>()),
        )
        .all_mapped(db, |p| (p.id, p.name))
        .await?)
}

/// The capacities of each resource in `ids`, in capacity order.
async fn resource_capacities<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<CapacityRef>>> {
    let mut capacities: HashMap<i32, Vec<CapacityRef>> = HashMap::new();
    for (link, found) in resource_capacity::Entity::find()
        .filter(resource_capacity::Column::ResourceId.is_in(ids.to_vec()))
        .find_also_related(capacity::Entity)
        .order_by_asc(capacity::Column::Id)
        .all(db)
        .await?
    {
        if let Some(c) = found {
            capacities
                .entry(link.resource_id)
                .or_default()
                .push(CapacityRef {
                    id: c.id,
                    code: c.code,
                    name: c.name,
                });
        }
    }
    Ok(capacities)
}

/// The municipality categories of each resource in `ids`, in order.
async fn resource_categories<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<String>>> {
    let mut categories: HashMap<i32, Vec<String>> = HashMap::new();
    for row in resource_category::Entity::find()
        .filter(resource_category::Column::ResourceId.is_in(ids.to_vec()))
        .order_by_asc(resource_category::Column::Category)
        .all(db)
        .await?
    {
        categories
            .entry(row.resource_id)
            .or_default()
            .push(row.category);
    }
    Ok(categories)
}

/// What the resources came from, by id: courses, cohorts, assistances, visits and products.
struct OriginLookups {
    courses: HashMap<i32, String>,
    cohorts: HashMap<i32, String>,
    assistances: HashMap<i32, assistance::Model>,
    visits: HashMap<i32, NaiveDate>,
    products: HashMap<i32, String>,
}

/// The origins of `rows`, one query each for courses, cohorts, assistances, visits, products.
async fn origin_lookups<C: ConnectionTrait>(
    db: &C,
    rows: &[resource::Model],
) -> AppResult<OriginLookups> {
    let courses: HashMap<i32, String> = course::Entity::find()
        .filter(course::Column::Id.is_in(distinct_ids(rows, |r| r.course_id)))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let cohorts: HashMap<i32, String> = cohort::Entity::find()
        .filter(cohort::Column::Id.is_in(distinct_ids(rows, |r| r.cohort_id)))
        .all_mapped(db, |c| (c.id, c.name))
        .await?;
    let assistances: HashMap<i32, assistance::Model> = assistance::Entity::find()
        .filter(assistance::Column::Id.is_in(distinct_ids(rows, |r| r.assistance_id)))
        .all_mapped(db, |a| (a.id, a))
        .await?;
    let visits: HashMap<i32, NaiveDate> = assistance_visit::Entity::find()
        .filter(assistance_visit::Column::Id.is_in(distinct_ids(rows, |r| r.visit_id)))
        .all_mapped(db, |v| (v.id, v.date))
        .await?;
    let products: HashMap<i32, String> = visit_product::Entity::find()
        .filter(visit_product::Column::Id.is_in(distinct_ids(rows, |r| r.visit_product_id)))
        .all_mapped(db, |p| (p.id, p.title))
        .await?;
    Ok(OriginLookups {
        courses,
        cohorts,
        assistances,
        visits,
        products,
    })
}

/// Where `row` came from, named from `origins`.
fn origin_of(row: &resource::Model, origins: &OriginLookups) -> ResourceOrigin {
    let named = |id: Option<i32>, names: &HashMap<i32, String>| {
        id.and_then(|id| {
            names.get(&id).map(|name| OriginRef {
                id,
                name: name.clone(),
            })
        })
    };
    let owner = row
        .assistance_id
        .and_then(|id| origins.assistances.get(&id));
    ResourceOrigin {
        course: named(row.course_id, &origins.courses),
        cohort: named(row.cohort_id, &origins.cohorts),
        assistance: owner.map(|a| OriginRef {
            id: a.id,
            name: format!("Asistencia técnica: {}", short(&a.objective, 90)),
        }),
        visit: row.visit_id.and_then(|id| {
            origins.visits.get(&id).map(|date| OriginRef {
                id,
                name: format!("Visita del {}", crate::format::date(*date)),
            })
        }),
        visit_product: named(row.visit_product_id, &origins.products),
        municipality_code: owner.and_then(|a| a.municipality_code.clone()),
    }
}

/// The lesson of `row`, when it is a lesson with all five parts.
fn lesson_of(row: &resource::Model) -> Option<Lesson> {
    match (
        &row.context,
        &row.problem,
        &row.what_was_done,
        &row.what_worked,
        &row.evidence,
    ) {
        (Some(c), Some(p), Some(d), Some(w), Some(e)) if row.kind.is_lesson() => Some(Lesson {
            context: c.clone(),
            problem: p.clone(),
            what_was_done: d.clone(),
            what_worked: w.clone(),
            evidence: e.clone(),
        }),
        _ => None,
    }
}

/// The view of `row` with its looked-up parts.
fn view_of(
    row: resource::Model,
    provider: String,
    capacities: Vec<CapacityRef>,
    municipality_categories: Vec<String>,
    lesson: Option<Lesson>,
    origin: ResourceOrigin,
) -> ResourceView {
    ResourceView {
        id: row.id,
        provider: crate::providers::ProviderRef {
            id: row.provider_id,
            name: provider,
        },
        kind: row.kind,
        kind_label: row.kind.label(),
        title: row.title,
        description: row.description,
        url: row.url.filter(|_| row.deleted_at.is_none()),
        file: match (row.file_name, row.content_type) {
            _ if row.deleted_at.is_some() => None,
            (Some(name), Some(content_type)) => Some(ResourceFileView {
                name,
                content_type,
                size: row.file_size.unwrap_or(0),
                download_url: format!("/api/v1/resources/{}/file", row.id),
            }),
            _ => None,
        },
        stage: row.stage,
        stage_label: row.stage.map(ResourceStage::label),
        capacities,
        municipality_categories,
        lesson,
        visibility: row.visibility,
        visibility_label: row.visibility.label(),
        status: row.status,
        status_label: row.status.label(),
        origin,
        downloads: row.downloads,
        created_at: crate::time::date_time(row.created_at),
        published_at: row.published_at.map(crate::time::date_time),
        deleted_at: row.deleted_at.map(crate::time::date_time),
    }
}
