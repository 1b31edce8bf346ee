//! Indicators as data over time (issue 15): what is measured yearly per municipality (MDM and
//! its management components, the IDF and its components, the municipal category), which
//! capacities each one measures, and its observations per municipality and year — seeded from
//! DNP's files, loaded for new years by importing TerriData files, edited by administrators.
//!
//! Reading them: [`impact`] (a municipality's training beside its indicators, and ESAP's
//! comparison of trained and untrained municipalities) and [`priorities`] (where to train
//! next). Synthetic years ([`synthetic`]) exist only in demo and benchmark databases and are
//! always marked.

pub mod chart;
pub mod cost;
pub mod impact;
pub mod import;
pub mod priorities;
mod seed;
pub mod synthetic;
pub mod workbook;

pub use seed::{category_value, load_reference};

/// Groups of fewer municipalities are flagged: their median says little (and no cost per
/// point of change is given for them). Here, below both `impact` and `cost`, which read it.
pub const SMALL_GROUP: usize = 5;

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::indicator::CATEGORY_UNIT;
use crate::entities::values::Role;
use crate::entities::{
    capacity, indicator, indicator_capacity, indicator_observation, municipality,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Found;
use crate::rows::Rows;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// An indicator with the capacities it measures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Indicator)]
pub struct IndicatorView {
    pub id: i32,
    #[schema(example = "idf_puntaje")]
    pub code: String,
    #[schema(example = "IDF – Índice de Desempeño Fiscal")]
    pub name: String,
    #[schema(example = "DNP – Índice de Desempeño Fiscal (nueva metodología)")]
    pub source: String,
    #[schema(example = "puntaje de 0 a 100")]
    pub unit: String,
    pub higher_is_better: bool,
    /// A caveat for readers (a change of method, missing years); may be empty.
    pub note: String,
    pub capacity_ids: Vec<i32>,
}

impl IndicatorView {
    /// A value as people read it: the category as «E» or «1»…«6», any other value with one
    /// decimal and a decimal comma.
    pub fn display(&self, value: f64) -> String {
        display(&self.unit, value)
    }
}

/// A value of an indicator with this unit, as people read it.
pub fn display(unit: &str, value: f64) -> String {
    if unit == CATEGORY_UNIT {
        if value.round() == 0.0 {
            "E".to_string()
        } else {
            crate::format::decimal(value, 0)
        }
    } else {
        crate::format::decimal(value, 1)
    }
}

/// Moves the indicators' version on (in the transaction `db` of the change, on every
/// instance's next read): derived figures cached from observations or an indicator's links
/// (the priorities' percentiles) are then recomputed.
pub(crate) async fn changed<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    crate::instances::bump(db, crate::instances::Cached::Indicators).await
}

/// Every indicator with its capacities, by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<IndicatorView>> {
    let mut links: HashMap<i32, Vec<i32>> = HashMap::new();
    for link in indicator_capacity::Entity::find()
        .order_by_asc(indicator_capacity::Column::CapacityId)
        .all(db)
        .await?
    {
        links
            .entry(link.indicator_id)
            .or_default()
            .push(link.capacity_id);
    }
    Ok(indicator::Entity::find()
        .order_by_asc(indicator::Column::Name)
        .all_mapped(db, |i| view(i, &mut links))
        .await?)
}

fn view(i: indicator::Model, links: &mut HashMap<i32, Vec<i32>>) -> IndicatorView {
    IndicatorView {
        capacity_ids: links.remove(&i.id).unwrap_or_default(),
        id: i.id,
        code: i.code,
        name: i.name,
        source: i.source,
        unit: i.unit,
        higher_is_better: i.higher_is_better,
        note: i.note,
    }
}

/// One indicator (404 when unknown).
pub async fn get<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<IndicatorView> {
    let model = indicator::Entity::find_by_id(id).found(db).await?;
    let mut links = HashMap::from([(id, capacity_links(db, id).await?)]);
    Ok(view(model, &mut links))
}

async fn capacity_links<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Vec<i32>> {
    Ok(indicator_capacity::Entity::find()
        .filter(indicator_capacity::Column::IndicatorId.eq(id))
        .order_by_asc(indicator_capacity::Column::CapacityId)
        .all_mapped(db, |l| l.capacity_id)
        .await?)
}

/// Capacity id → the indicators that measure it (by name).
pub async fn by_capacity<C: ConnectionTrait>(
    db: &C,
) -> AppResult<BTreeMap<i32, Vec<IndicatorView>>> {
    let mut out: BTreeMap<i32, Vec<IndicatorView>> = BTreeMap::new();
    for indicator in list(db).await? {
        for capacity_id in &indicator.capacity_ids {
            out.entry(*capacity_id).or_default().push(indicator.clone());
        }
    }
    Ok(out)
}

/// An indicator as an administrator creates or edits it (absent fields stay as they are).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = IndicatorInput)]
pub struct IndicatorInput {
    /// Lower case letters, digits and `_` (1 to 60): the column title of wide imports.
    #[schema(example = "mdm_puntaje")]
    pub code: Option<String>,
    pub name: Option<String>,
    pub source: Option<String>,
    pub unit: Option<String>,
    pub higher_is_better: Option<bool>,
    pub note: Option<String>,
    #[schema(max_items = 5000)]
    pub capacity_ids: Option<Vec<i32>>,
}

fn admin_only(user: &Actor) -> AppResult<()> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Checks an input against the indicator it edits (`None`: a new one); every problem at once.
/// Returns the input with its texts as they are stored: through `validate` (NFC, trimmed, no
/// control or invisible characters, bounded), since people read them in every report.
async fn check<C: ConnectionTrait>(
    db: &C,
    input: &IndicatorInput,
    current: Option<&indicator::Model>,
) -> AppResult<IndicatorInput> {
    let mut errors = Vec::new();
    let required = |field: &str,
                    value: &Option<String>,
                    max: usize,
                    errors: &mut Vec<FieldError>|
     -> Option<String> {
        match value.as_deref() {
            None => {
                if current.is_none() {
                    errors.push(FieldError::new(field, "Es obligatorio."));
                }
                None
            }
            Some(text) => match crate::validate::single_line(field, text, max) {
                Ok(Some(text)) => Some(text),
                Ok(None) => {
                    errors.push(FieldError::new(field, "No puede quedar vacío."));
                    None
                }
                Err(error) => {
                    errors.push(error);
                    None
                }
            },
        }
    };
    let cleaned = IndicatorInput {
        code: input.code.as_deref().map(|c| c.trim().to_string()),
        name: required("name", &input.name, 200, &mut errors),
        source: required("source", &input.source, 200, &mut errors),
        unit: required("unit", &input.unit, 100, &mut errors),
        higher_is_better: input.higher_is_better,
        note: input.note.as_deref().map(|text| {
            crate::validate::multi_line("note", text, 2_000)
                .map_err(|error| errors.push(error))
                .ok()
                .flatten()
                .unwrap_or_default()
        }),
        capacity_ids: input.capacity_ids.clone(),
    };
    match input.code.as_deref().map(str::trim) {
        None if current.is_none() => errors.push(FieldError::new("code", "Es obligatorio.")),
        Some("") => errors.push(FieldError::new("code", "No puede quedar vacío.")),
        _ => {}
    }
    if let Some(code) = input
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || code.chars().count() > 60
        {
            errors.push(FieldError::new(
                "code",
                "Use solo minúsculas sin tildes, dígitos y «_» (hasta 60).",
            ));
        } else if current.is_none_or(|c| c.code != code)
            && indicator::Entity::find()
                .filter(indicator::Column::Code.eq(code))
                .one(db)
                .await?
                .is_some()
        {
            errors.push(FieldError::new(
                "code",
                "Ya existe un indicador con ese código.",
            ));
        }
    }
    if let Some(ids) = &input.capacity_ids
        && crate::validate::list("capacity_ids", Some(ids), &mut errors)
    {
        let known = capacity::Entity::find()
            .filter(capacity::Column::Id.is_in(ids.clone()))
            .count(db)
            .await?;
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if known as usize != distinct.len() {
            errors.push(FieldError::new(
                "capacity_ids",
                "Alguna de las capacidades no existe.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(cleaned)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value.as_deref().map(|v| v.trim().to_string())
}

/// Creates an indicator (admin), audited.
pub async fn create(
    db: &DatabaseConnection,
    user: &Actor,
    input: IndicatorInput,
) -> AppResult<IndicatorView> {
    admin_only(user)?;
    crate::db::write(db, async |txn| {
        let input = check(txn, &input, None).await?;
        let inserted = indicator::Entity::insert(indicator::ActiveModel {
            code: Set(trimmed(&input.code).unwrap_or_default()),
            name: Set(trimmed(&input.name).unwrap_or_default()),
            source: Set(trimmed(&input.source).unwrap_or_default()),
            unit: Set(trimmed(&input.unit).unwrap_or_default()),
            higher_is_better: Set(input.higher_is_better.unwrap_or(true)),
            note: Set(trimmed(&input.note).unwrap_or_default()),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let id = inserted.last_insert_id;
        set_links(txn, id, input.capacity_ids.as_deref().unwrap_or_default()).await?;
        changed(txn).await?;
        let created = get(txn, id).await?;
        audit::record(
            txn,
            Change {
                actor: Some(user.id),
                action: "indicator.created",
                subject_type: "indicator",
                subject_id: id.to_string(),
                before: None,
                after: Some(audited(&created)),
            },
        )
        .await?;
        Ok(created)
    })
    .await
}

/// Edits an indicator (admin): its texts, direction and the capacities it measures; audited.
pub async fn update(
    db: &DatabaseConnection,
    user: &Actor,
    id: i32,
    input: IndicatorInput,
) -> AppResult<IndicatorView> {
    admin_only(user)?;
    crate::db::write(db, async |txn| {
        let current = indicator::Entity::find_by_id(id).found(txn).await?;
        let input = check(txn, &input, Some(&current)).await?;
        let before = get(txn, id).await?;
        let mut active: indicator::ActiveModel = current.into();
        if let Some(code) = trimmed(&input.code) {
            active.code = Set(code);
        }
        if let Some(name) = trimmed(&input.name) {
            active.name = Set(name);
        }
        if let Some(source) = trimmed(&input.source) {
            active.source = Set(source);
        }
        if let Some(unit) = trimmed(&input.unit) {
            active.unit = Set(unit);
        }
        if let Some(higher) = input.higher_is_better {
            active.higher_is_better = Set(higher);
        }
        if let Some(note) = trimmed(&input.note) {
            active.note = Set(note);
        }
        indicator::Entity::update(active).exec(txn).await?;
        if let Some(ids) = &input.capacity_ids {
            indicator_capacity::Entity::delete_many()
                .filter(indicator_capacity::Column::IndicatorId.eq(id))
                .exec(txn)
                .await?;
            set_links(txn, id, ids).await?;
        }
        changed(txn).await?;
        let after = get(txn, id).await?;
        audit::record(
            txn,
            Change {
                actor: Some(user.id),
                action: "indicator.updated",
                subject_type: "indicator",
                subject_id: id.to_string(),
                before: Some(audited(&before)),
                after: Some(audited(&after)),
            },
        )
        .await?;
        Ok(after)
    })
    .await
}

fn audited(view: &IndicatorView) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or(serde_json::Value::Null)
}

async fn set_links<C: ConnectionTrait>(db: &C, id: i32, capacity_ids: &[i32]) -> AppResult<()> {
    let mut ids = capacity_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    crate::bulk::insert_many(
        db,
        ids.into_iter()
            .map(|capacity_id| indicator_capacity::ActiveModel {
                indicator_id: Set(id),
                capacity_id: Set(capacity_id),
            })
            .collect(),
    )
    .await
}

/// An observation to insert.
pub struct NewObservation {
    pub indicator_id: i32,
    pub municipality_code: String,
    pub year: i32,
    pub value: f64,
    pub source: String,
    pub synthetic: bool,
}

/// Inserts observations in multi-row statements.
pub async fn insert_observations<C: ConnectionTrait>(
    db: &C,
    rows: impl IntoIterator<Item = NewObservation>,
) -> AppResult<()> {
    changed(db).await?;
    crate::bulk::insert_many(
        db,
        rows.into_iter()
            .map(|o| indicator_observation::ActiveModel {
                indicator_id: Set(o.indicator_id),
                municipality_code: Set(o.municipality_code),
                year: Set(o.year),
                value: Set(o.value),
                source: Set(o.source),
                synthetic: Set(o.synthetic),
                ..Default::default()
            })
            .collect(),
    )
    .await
}

/// An observation as the API lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Observation)]
pub struct ObservationView {
    #[schema(example = "18256")]
    pub municipality_code: String,
    #[schema(example = 2023)]
    pub year: i32,
    #[schema(example = 55.4735)]
    pub value: f64,
    pub source: String,
    /// Made up by the national generator (demo and benchmark databases only): not real data.
    pub synthetic: bool,
}

/// Filters of an indicator's observations.
#[derive(Clone, Debug, Default)]
pub struct ObservationQuery {
    pub department: Option<String>,
    pub municipality: Option<String>,
    pub year: Option<i32>,
}

/// A page of an indicator's observations (by municipality, then year); a reviewer sees only
/// their department's (silently).
pub async fn observations<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    id: i32,
    query: &ObservationQuery,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<ObservationView>, u64)> {
    indicator::Entity::find_by_id(id).found(db).await?;
    let mut department = crate::reports::non_empty(&query.department);
    let municipality = crate::reports::non_empty(&query.municipality);
    let nothing = crate::reports::limit_to_scope(user, &mut department, municipality.as_deref());
    if nothing {
        return Ok((Vec::new(), 0));
    }
    let mut condition = Condition::all().add(indicator_observation::Column::IndicatorId.eq(id));
    if let Some(code) = &municipality {
        condition =
            condition.add(indicator_observation::Column::MunicipalityCode.eq(code.as_str()));
    }
    if let Some(department) = &department {
        condition = condition.add(
            indicator_observation::Column::MunicipalityCode.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(municipality::Column::Code)
                    .from(municipality::Entity)
                    .and_where(municipality::Column::DepartmentCode.eq(department.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(year) = query.year {
        condition = condition.add(indicator_observation::Column::Year.eq(year));
    }
    let paginator = indicator_observation::Entity::find()
        .filter(condition)
        .order_by_asc(indicator_observation::Column::MunicipalityCode)
        .order_by_asc(indicator_observation::Column::Year)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page.saturating_sub(1))
        .await?
        .into_iter()
        .map(|o| ObservationView {
            municipality_code: o.municipality_code,
            year: o.year,
            value: o.value,
            source: o.source,
            synthetic: o.synthetic,
        })
        .collect();
    Ok((items, total))
}

/// The years an indicator has observations for, oldest first.
pub async fn observed_years<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Vec<i32>> {
    use sea_orm::QuerySelect;
    Ok(indicator_observation::Entity::find()
        .select_only()
        .column(indicator_observation::Column::Year)
        .filter(indicator_observation::Column::IndicatorId.eq(id))
        .distinct()
        .order_by_asc(indicator_observation::Column::Year)
        .into_tuple::<i32>()
        .all(db)
        .await?)
}

/// The first and last observed year of every indicator with observations, in one query.
pub async fn year_spans<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<i32, (i32, i32)>> {
    use sea_orm::QuerySelect;
    Ok(indicator_observation::Entity::find()
        .select_only()
        .column(indicator_observation::Column::IndicatorId)
        .column_as(indicator_observation::Column::Year.min(), "first_year")
        .column_as(indicator_observation::Column::Year.max(), "last_year")
        .group_by(indicator_observation::Column::IndicatorId)
        .into_tuple::<(i32, i32, i32)>()
        .all_mapped(db, |(id, first, last)| (id, (first, last)))
        .await?)
}
