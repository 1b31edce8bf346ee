//! CONPES's sectoral and population descriptors (issue 49, CONPES 4100 §5.3.1): the sectors of
//! the national budget and the policy's population groups, editable reference data beside the
//! functional descriptors (the capacities). Courses, assistances and demands carry them
//! (`descriptor_links`); the offer view, the demand lists and open data filter by them.
//!
//! One piece serves both lists ([`DescriptorKind`]) and every subject ([`DescriptorSubject`]):
//! the subjects' own modules only call [`check`], [`set`], [`of`] and [`tagged`].

pub mod demo;

use crate::audit::{self, Change};
use crate::entities::values::{DescriptorKind, DescriptorSubject};
use crate::entities::{descriptor, descriptor_link};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use crate::territory::read_csv;
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

const SECTORS_CSV: &str = include_str!("../../../seed/sectors.csv");
const POPULATION_GROUPS_CSV: &str = include_str!("../../../seed/population_groups.csv");

const MAX_NAME_CHARS: usize = 120;

/// Ids per `IN (...)` list.
const CHUNK: usize = 1_000;

/// What the lists and messages call each kind.
pub fn label(kind: DescriptorKind) -> &'static str {
    match kind {
        DescriptorKind::Sector => "sector",
        DescriptorKind::PopulationGroup => "grupo poblacional",
    }
}

/// The field of an input that carries `kind`'s ids.
pub fn field(kind: DescriptorKind) -> &'static str {
    match kind {
        DescriptorKind::Sector => "sector_ids",
        DescriptorKind::PopulationGroup => "population_group_ids",
    }
}

#[derive(Deserialize)]
struct SeedRow {
    code: String,
    sort_order: i32,
    name: String,
}

/// Loads each list from `seed/` when it is empty (the lists are editable afterwards and never
/// overwritten).
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let now = crate::time::now();
    for (kind, file, text) in [
        (DescriptorKind::Sector, "sectors.csv", SECTORS_CSV),
        (
            DescriptorKind::PopulationGroup,
            "population_groups.csv",
            POPULATION_GROUPS_CSV,
        ),
    ] {
        if descriptor::Entity::find()
            .filter(descriptor::Column::Kind.eq(kind))
            .count(db)
            .await?
            > 0
        {
            continue;
        }
        let rows: Vec<SeedRow> = read_csv(file, text)?;
        descriptor::Entity::insert_many(rows.into_iter().map(|row| descriptor::ActiveModel {
            kind: Set(kind),
            code: Set(row.code),
            name: Set(row.name),
            sort_order: Set(row.sort_order),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// A sector or a population group, as the lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Descriptor)]
pub struct DescriptorView {
    pub id: i32,
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "vivienda_agua")]
    pub code: String,
    #[schema(example = "Vivienda, ciudad y territorio (agua potable y saneamiento básico)")]
    pub name: String,
    /// Inactive ones cannot be chosen any more (what carries them keeps them). Extension.
    pub active: bool,
}

impl From<descriptor::Model> for DescriptorView {
    fn from(d: descriptor::Model) -> Self {
        DescriptorView {
            id: d.id,
            code: d.code,
            name: d.name,
            active: d.active,
        }
    }
}

/// A descriptor carried by a course, an assistance or a demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DescriptorRef)]
pub struct DescriptorRef {
    pub id: i32,
    pub code: String,
    pub name: String,
}

/// The descriptors one course, assistance or demand carries, in their lists' order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tags {
    pub sectors: Vec<DescriptorRef>,
    pub population_groups: Vec<DescriptorRef>,
}

/// A descriptor as sent: `code` and `name` to create one; on PATCH every field is optional
/// and `code` may only repeat the current one.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = DescriptorInput)]
pub struct DescriptorInput {
    /// Lower case without accents, digits and underscore (at most 60); unique in its list;
    /// never changes (open data and other systems use it).
    #[schema(pattern = "^[a-z0-9_]{1,60}$", example = "agua_potable")]
    pub code: Option<String>,
    /// One line, at most 120 characters.
    #[schema(max_length = 120, example = "Agua potable y saneamiento básico")]
    pub name: Option<String>,
    /// Default `true` when creating; `false` retires it from the choices.
    pub active: Option<bool>,
}

/// The ids a course, assistance or demand sends, checked by [`check`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Chosen<'a> {
    pub sector_ids: Option<&'a [i32]>,
    pub population_group_ids: Option<&'a [i32]>,
}

impl<'a> Chosen<'a> {
    fn each(self) -> [(DescriptorKind, Option<&'a [i32]>); 2] {
        [
            (DescriptorKind::Sector, self.sector_ids),
            (DescriptorKind::PopulationGroup, self.population_group_ids),
        ]
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 60
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn name_of(text: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match crate::validate::single_line("name", text, MAX_NAME_CHARS) {
        Ok(Some(name)) => Some(name),
        Ok(None) => {
            errors.push(FieldError::new(
                "name",
                format!("Escriba el nombre (máximo {MAX_NAME_CHARS} caracteres)."),
            ));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// One list, in its order, one page: (items, total, page, per_page).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    kind: DescriptorKind,
    paging: &crate::paging::Paging,
) -> AppResult<(Vec<DescriptorView>, u64, u64, u64)> {
    let (page, per_page) = paging.resolve()?;
    let paginator = ordered(kind).paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(DescriptorView::from)
        .collect();
    Ok((items, total, page, per_page))
}

fn ordered(kind: DescriptorKind) -> sea_orm::Select<descriptor::Entity> {
    descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(kind))
        .order_by_asc(descriptor::Column::SortOrder)
        .order_by_asc(descriptor::Column::Id)
}

/// The whole list (the forms' checkboxes and the filters' selects): active ones only unless
/// `with_inactive`.
pub async fn all<C: ConnectionTrait>(
    db: &C,
    kind: DescriptorKind,
    with_inactive: bool,
) -> AppResult<Vec<DescriptorView>> {
    let mut query = ordered(kind);
    if !with_inactive {
        query = query.filter(descriptor::Column::Active.eq(true));
    }
    Ok(query.all_mapped(db, DescriptorView::from).await?)
}

async fn find<C: ConnectionTrait>(
    db: &C,
    kind: DescriptorKind,
    id: i32,
) -> AppResult<descriptor::Model> {
    descriptor::Entity::find_by_id(id)
        .filter(descriptor::Column::Kind.eq(kind))
        .found(db)
        .await
}

async fn audited<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    action: &'static str,
    id: i32,
    before: Option<&DescriptorView>,
    after: Option<&DescriptorView>,
) -> AppResult<()> {
    audit::record(
        db,
        Change {
            actor: Some(actor),
            action,
            subject_type: "descriptor",
            subject_id: id.to_string(),
            before: before.and_then(|v| serde_json::to_value(v).ok()),
            after: after.and_then(|v| serde_json::to_value(v).ok()),
        },
    )
    .await
}

/// Adds a sector or population group (admins): `code` and `name` required, every problem at
/// once (422), audited.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    kind: DescriptorKind,
    input: &DescriptorInput,
) -> AppResult<DescriptorView> {
    let code = input.code.as_deref().unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let name = name_of(input.name.as_deref().unwrap_or(""), &mut errors);
    if !is_code(&code) {
        errors.push(FieldError::new(
            "code",
            "El código usa solo minúsculas sin tildes, números y guion bajo (máximo 60).",
        ));
    } else if descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(kind))
        .filter(descriptor::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(
            "code",
            format!("Ya existe un {} con este código.", label(kind)),
        ));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let next_order = descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(kind))
        .count(db)
        .await? as i32
        + 1;
    let at = crate::time::now();
    let saved = descriptor::ActiveModel {
        kind: Set(kind),
        code: Set(code),
        name: Set(name),
        sort_order: Set(next_order),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let view = DescriptorView::from(saved);
    audited(db, actor, "descriptor.created", view.id, None, Some(&view)).await?;
    Ok(view)
}

/// Renames, retires or brings back a descriptor (admins): the code never changes, audited.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    kind: DescriptorKind,
    id: i32,
    input: &DescriptorInput,
) -> AppResult<DescriptorView> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref() {
        Some(text) => name_of(text, &mut errors),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let current = find(db, kind, id).await?;
    if input
        .code
        .as_deref()
        .is_some_and(|c| c.trim() != current.code)
    {
        return Err(AppError::invalid(
            "code",
            "El código no cambia: los datos abiertos y otros sistemas lo usan.",
        ));
    }
    let before = DescriptorView::from(current.clone());
    let mut model: descriptor::ActiveModel = current.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(active) = input.active {
        model.active = Set(active);
    }
    model.updated_at = Set(crate::time::now());
    let after = DescriptorView::from(model.update(db).await?);
    audited(
        db,
        actor,
        "descriptor.updated",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes a descriptor nothing carries (admins, audited); one in use is a 409: it is
/// deactivated instead, so what was classified keeps its classification.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    actor: i32,
    kind: DescriptorKind,
    id: i32,
) -> AppResult<()> {
    let current = find(db, kind, id).await?;
    let uses = descriptor_link::Entity::find()
        .filter(descriptor_link::Column::DescriptorId.eq(id))
        .count(db)
        .await?;
    if uses > 0 {
        return Err(AppError::Conflict(format!(
            "«{}» clasifica {uses} {}: desactívelo en lugar de borrarlo.",
            current.name,
            if uses == 1 { "registro" } else { "registros" }
        )));
    }
    let before = DescriptorView::from(current);
    descriptor::Entity::delete_by_id(id).exec(db).await?;
    audited(db, actor, "descriptor.deleted", id, Some(&before), None).await
}

/// Checks the ids a subject sends (each list at most [`crate::validate::LIST_MAX`]; every id
/// an active descriptor of its list), adding one Spanish message per wrong list to `errors`.
/// `current` are the ids the subject already carries: keeping an inactive one is allowed.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    chosen: Chosen<'_>,
    current: &[i32],
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    for (kind, ids) in chosen.each() {
        let Some(ids) = ids else { continue };
        if !crate::validate::list(field(kind), Some(ids), errors) || ids.is_empty() {
            continue;
        }
        let wanted: BTreeSet<i32> = ids.iter().copied().collect();
        let found: BTreeSet<i32> = descriptor::Entity::find()
            .filter(descriptor::Column::Id.is_in(wanted.iter().copied()))
            .filter(descriptor::Column::Kind.eq(kind))
            .all(db)
            .await?
            .into_iter()
            .filter(|d| d.active || current.contains(&d.id))
            .map(|d| d.id)
            .collect();
        if found != wanted {
            errors.push(FieldError::new(
                field(kind),
                match kind {
                    DescriptorKind::Sector => {
                        "Alguno de los sectores elegidos no existe o está inactivo."
                    }
                    DescriptorKind::PopulationGroup => {
                        "Alguno de los grupos poblacionales elegidos no existe o está inactivo."
                    }
                },
            ));
        }
    }
    Ok(())
}

/// The descriptor ids `subject` `id` carries now (for [`check`] on a change).
pub async fn current<C: ConnectionTrait>(
    db: &C,
    subject: DescriptorSubject,
    id: i32,
) -> AppResult<Vec<i32>> {
    Ok(descriptor_link::Entity::find()
        .filter(descriptor_link::Column::SubjectType.eq(subject))
        .filter(descriptor_link::Column::SubjectId.eq(id))
        .all_mapped(db, |l| l.descriptor_id)
        .await?)
}

/// Replaces the descriptors of each list that `chosen` carries (a list left out stays as it
/// is), once [`check`] accepted them.
pub async fn set<C: ConnectionTrait>(
    db: &C,
    subject: DescriptorSubject,
    id: i32,
    chosen: Chosen<'_>,
) -> AppResult<()> {
    for (kind, ids) in chosen.each() {
        let Some(ids) = ids else { continue };
        descriptor_link::Entity::delete_many()
            .filter(descriptor_link::Column::SubjectType.eq(subject))
            .filter(descriptor_link::Column::SubjectId.eq(id))
            .filter(
                descriptor_link::Column::DescriptorId.in_subquery(
                    Query::select()
                        .column(descriptor::Column::Id)
                        .from(descriptor::Entity)
                        .and_where(descriptor::Column::Kind.eq(kind))
                        .to_owned(),
                ),
            )
            .exec(db)
            .await?;
        let unique: BTreeSet<i32> = ids.iter().copied().collect();
        if unique.is_empty() {
            continue;
        }
        descriptor_link::Entity::insert_many(unique.into_iter().map(|descriptor_id| {
            descriptor_link::ActiveModel {
                subject_type: Set(subject),
                subject_id: Set(id),
                descriptor_id: Set(descriptor_id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The descriptors of each of `ids` (of `subject`), in their lists' order.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    subject: DescriptorSubject,
    ids: &[i32],
) -> AppResult<HashMap<i32, Tags>> {
    let mut out: HashMap<i32, Tags> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = descriptor_link::Entity::find()
            .filter(descriptor_link::Column::SubjectType.eq(subject))
            .filter(descriptor_link::Column::SubjectId.is_in(chunk.to_vec()))
            .find_also_related(descriptor::Entity)
            .order_by_asc(descriptor::Column::SortOrder)
            .order_by_asc(descriptor::Column::Id)
            .all(db)
            .await?;
        for (link, found) in rows {
            let Some(d) = found else { continue };
            let tags = out.entry(link.subject_id).or_default();
            let list = match d.kind {
                DescriptorKind::Sector => &mut tags.sectors,
                DescriptorKind::PopulationGroup => &mut tags.population_groups,
            };
            list.push(DescriptorRef {
                id: d.id,
                code: d.code,
                name: d.name,
            });
        }
    }
    Ok(out)
}

/// The descriptors of one subject.
pub async fn of_one<C: ConnectionTrait>(
    db: &C,
    subject: DescriptorSubject,
    id: i32,
) -> AppResult<Tags> {
    Ok(of(db, subject, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// `id_column IN (the subjects that carry descriptor)`: the filter of a list by a sector or a
/// population group.
pub fn tagged<T: ColumnTrait>(
    id_column: T,
    subject: DescriptorSubject,
    descriptor: i32,
) -> SimpleExpr {
    id_column.in_subquery(
        Query::select()
            .column(descriptor_link::Column::SubjectId)
            .from(descriptor_link::Entity)
            .and_where(descriptor_link::Column::SubjectType.eq(subject))
            .and_where(descriptor_link::Column::DescriptorId.eq(descriptor))
            .to_owned(),
    )
}

/// The ids of `subject` that carry `descriptor` (for views that filter in memory).
pub async fn subjects_tagged<C: ConnectionTrait>(
    db: &C,
    subject: DescriptorSubject,
    descriptor: i32,
) -> AppResult<BTreeSet<i32>> {
    Ok(descriptor_link::Entity::find()
        .filter(descriptor_link::Column::SubjectType.eq(subject))
        .filter(descriptor_link::Column::DescriptorId.eq(descriptor))
        .all_mapped(db, |l| l.subject_id)
        .await?)
}

/// A descriptor's name (a filter's header in a workbook), if it exists.
pub async fn name<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<String>> {
    Ok(descriptor::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|d| d.name))
}

/// The id of `kind`'s descriptor with `code`, if any (open data filters by code).
pub async fn id_by_code<C: ConnectionTrait>(
    db: &C,
    kind: DescriptorKind,
    code: &str,
) -> AppResult<Option<i32>> {
    Ok(descriptor::Entity::find()
        .filter(descriptor::Column::Kind.eq(kind))
        .filter(descriptor::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|d| d.id))
}
