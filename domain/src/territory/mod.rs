//! Territorial entities: departments, municipalities (DANE/DIVIPOLA), PDET subregions.
//! Reference data comes from `seed/` (real public sources, see `seed/README.md`).

pub mod demo;
pub mod directions;

use crate::entities::values::MunicipalityKind;
use crate::entities::{capacity, course, department, municipality, pdet_subregion};
use crate::error::{AppError, AppResult};
use crate::rows::Rows;
use crate::text::fold;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The year of `seed/categories.csv` used as the current category and DNP group.
pub const CURRENT_CATEGORY_YEAR: &str = "2023";

/// Municipal categories (Ley 617 de 2000): special, then first to sixth.
pub const CATEGORIES: &[&str] = &["E", "1", "2", "3", "4", "5", "6"];

/// [`CATEGORIES`] as a string enum of the API description.
pub struct Category;

impl utoipa::PartialSchema for Category {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(CATEGORIES.iter().copied()))
            .description(Some("Municipal category (Ley 617 de 2000): `E` or 1–6."))
            .into()
    }
}

impl utoipa::ToSchema for Category {}

const DEPARTMENTS_CSV: &str = include_str!("../../../seed/departments.csv");
const MUNICIPALITIES_CSV: &str = include_str!("../../../seed/municipalities.csv");
const PDET_CSV: &str = include_str!("../../../seed/pdet_subregions.csv");
const CATEGORIES_CSV: &str = include_str!("../../../seed/categories.csv");

#[derive(Deserialize)]
struct DepartmentRow {
    department_code: String,
    name: String,
}

#[derive(Deserialize)]
struct MunicipalityRow {
    dane_code: String,
    department_code: String,
    name: String,
    kind: String,
    latitude: f64,
    longitude: f64,
    pdet_subregion: String,
}

#[derive(Deserialize)]
struct PdetRow {
    pdet_subregion: String,
}

#[derive(Deserialize)]
struct CategoryRow {
    dane_code: String,
    year: String,
    category: String,
    dnp_capacity_group: String,
    is_department_capital: String,
}

/// DANE codes that lost their leading zero in a spreadsheet (`5001` → `05001`).
pub fn normalize_municipality_code(raw: &str) -> String {
    let code = raw.trim();
    if code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code.to_string()
    }
}

/// Parses one of the embedded CSV files; a malformed seed file is a build defect.
pub(crate) fn read_csv<T: for<'de> Deserialize<'de>>(
    name: &str,
    source: &str,
) -> AppResult<Vec<T>> {
    csv::Reader::from_reader(source.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| AppError::Internal(format!("seed/{name}: {e}")))
}

fn empty_to_none(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Loads departments, PDET subregions and municipalities (with their current category) when
/// the tables are empty. Returns whether anything was loaded.
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    if department::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let departments: Vec<DepartmentRow> = read_csv("departments.csv", DEPARTMENTS_CSV)?;
    department::Entity::insert_many(departments.into_iter().map(|row| department::ActiveModel {
        code: Set(row.department_code),
        name: Set(row.name),
    }))
    .exec_without_returning(db)
    .await?;

    let subregions: Vec<PdetRow> = read_csv("pdet_subregions.csv", PDET_CSV)?;
    pdet_subregion::Entity::insert_many(subregions.into_iter().map(|row| {
        pdet_subregion::ActiveModel {
            name: Set(row.pdet_subregion),
            ..Default::default()
        }
    }))
    .exec_without_returning(db)
    .await?;
    let subregion_ids: HashMap<String, i32> = pdet_subregion::Entity::find()
        .all_mapped(db, |s| (s.name, s.id))
        .await?;

    let categories: HashMap<String, CategoryRow> =
        read_csv::<CategoryRow>("categories.csv", CATEGORIES_CSV)?
            .into_iter()
            .filter(|row| row.year == CURRENT_CATEGORY_YEAR)
            .map(|row| (row.dane_code.clone(), row))
            .collect();

    let rows: Vec<MunicipalityRow> = read_csv("municipalities.csv", MUNICIPALITIES_CSV)?;
    let mut models = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = MunicipalityKind::parse(&row.kind).ok_or_else(|| {
            AppError::Internal(format!("seed/municipalities.csv: tipo {}", row.kind))
        })?;
        let pdet_subregion_id = match empty_to_none(&row.pdet_subregion) {
            Some(name) => Some(*subregion_ids.get(&name).ok_or_else(|| {
                AppError::Internal(format!("seed: subregión PDET desconocida {name}"))
            })?),
            None => None,
        };
        let category = categories.get(&row.dane_code);
        models.push(municipality::ActiveModel {
            search_name: Set(fold(&row.name)),
            code: Set(row.dane_code),
            department_code: Set(row.department_code),
            name: Set(row.name),
            kind: Set(kind),
            latitude: Set(row.latitude),
            longitude: Set(row.longitude),
            category: Set(category.and_then(|c| empty_to_none(&c.category))),
            dnp_capacity_group: Set(category.and_then(|c| empty_to_none(&c.dnp_capacity_group))),
            is_department_capital: Set(category.is_some_and(|c| c.is_department_capital == "1")),
            pdet_subregion_id: Set(pdet_subregion_id),
        });
    }
    for chunk in models.chunks(200) {
        municipality::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(true)
}

/// Figures for the home page.
#[derive(Serialize)]
pub struct Summary {
    pub departments: u64,
    pub municipalities: u64,
    pub pdet_municipalities: u64,
    pub pdet_subregions: u64,
    pub capacities: u64,
    pub courses: u64,
    pub capacity_list: Vec<CapacityCard>,
}

#[derive(Serialize)]
pub struct CapacityCard {
    pub name: String,
    pub description: String,
}

/// The home page's figures in two statements (the capacities, then every count at once): the
/// home is read by everyone, also while a burst of enrolments holds most of the pool's
/// connections, and each statement is one more wait for one (issue 50, item 4).
pub async fn summary<C: ConnectionTrait>(db: &C) -> AppResult<Summary> {
    use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
    let capacity_list = capacity::Entity::find()
        .filter(capacity::Column::Active.eq(true))
        .order_by_asc(capacity::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CapacityCard {
            name: c.name,
            description: c.description,
        })
        .collect::<Vec<_>>();
    // Each count a subquery of one SELECT: (its column, what it counts).
    let mut counts = Query::select();
    for (name, mut counted) in [
        (
            "departments",
            Query::select().from(department::Entity).to_owned(),
        ),
        (
            "municipalities",
            Query::select().from(municipality::Entity).to_owned(),
        ),
        (
            "pdet_municipalities",
            Query::select()
                .from(municipality::Entity)
                .and_where(municipality::Column::PdetSubregionId.is_not_null())
                .to_owned(),
        ),
        (
            "pdet_subregions",
            Query::select().from(pdet_subregion::Entity).to_owned(),
        ),
        (
            "courses",
            Query::select()
                .from(course::Entity)
                .and_where(course::Column::RetiredAt.is_null())
                .to_owned(),
        ),
    ] {
        counted.expr(Expr::col(Asterisk).count());
        counts.expr_as(
            Expr::SubQuery(None, Box::new(counted.into())),
            Alias::new(name),
        );
    }
    let row = db
        .query_one(&counts)
        .await?
        .ok_or_else(|| AppError::Internal("recuento del territorio sin fila".into()))?;
    let of = |name: &str| -> AppResult<u64> {
        let n: i64 = row.try_get("", name)?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(Summary {
        departments: of("departments")?,
        municipalities: of("municipalities")?,
        pdet_municipalities: of("pdet_municipalities")?,
        pdet_subregions: of("pdet_subregions")?,
        capacities: capacity_list.len() as u64,
        courses: of("courses")?,
        capacity_list,
    })
}

/// Finds a municipality from what a person typed in a form: its DANE code, or its name
/// (accents and case ignored) within the chosen department. Err carries a Spanish message.
pub async fn resolve_municipality<C: ConnectionTrait>(
    db: &C,
    department_code: &str,
    typed: &str,
) -> AppResult<Result<String, String>> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(Err("Escriba el municipio donde trabaja.".into()));
    }
    if typed.chars().all(|c| c.is_ascii_digit()) {
        let code = normalize_municipality_code(typed);
        return Ok(
            match municipality::Entity::find_by_id(code.clone())
                .one(db)
                .await?
            {
                Some(_) => Ok(code),
                None => Err(format!("No existe un municipio con código DANE «{code}».")),
            },
        );
    }
    if department_code.trim().is_empty() {
        return Ok(Err("Elija primero el departamento.".into()));
    }
    let folded = fold(typed);
    let candidates = municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(department_code.trim()))
        .filter(municipality::Column::SearchName.contains(folded.as_str()))
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?;
    if let Some(exact) = candidates.iter().find(|m| m.search_name == folded) {
        return Ok(Ok(exact.code.clone()));
    }
    Ok(match candidates.as_slice() {
        [only] => Ok(only.code.clone()),
        [] => Err(format!(
            "No encontramos «{typed}» en el departamento elegido."
        )),
        several => Err(format!(
            "«{typed}» coincide con varios municipios: {}. Escriba el nombre completo.",
            several
                .iter()
                .take(6)
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

/// Departments for form selects, by name.
/// «Caquetá» for `18`; the code itself when it names no department (pages never show a bare
/// code where a person expects a name).
pub async fn department_name<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<String> {
    Ok(department::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .map_or_else(|| code.to_string(), |d| d.name))
}

/// A municipality's name by its DANE code; empty when no municipality has it.
pub async fn municipality_name<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<String> {
    Ok(municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .map(|m| m.name)
        .unwrap_or_default())
}

/// One page (`page` ≥ 1) of departments, by DANE code: (rows, total).
pub async fn departments_page<C: ConnectionTrait>(
    db: &C,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<department::Model>, u64)> {
    let paginator = department::Entity::find()
        .order_by_asc(department::Column::Code)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    Ok((paginator.fetch_page(page.saturating_sub(1)).await?, total))
}

/// What the municipalities' list keeps: a department, PDET or not, a category (`E` or 1–6),
/// part of the name (case and accents ignored).
#[derive(Clone, Debug, Default)]
pub struct MunicipalityFilter {
    pub department: Option<String>,
    pub pdet: Option<bool>,
    pub category: Option<String>,
    pub text: Option<String>,
}

/// One page (`page` ≥ 1) of municipalities by DANE code, each with its PDET subregion's name:
/// (rows, total). A category other than [`CATEGORIES`] is a problem on `category`.
pub async fn municipalities_page<C: ConnectionTrait>(
    db: &C,
    filter: &MunicipalityFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<(municipality::Model, Option<String>)>, u64)> {
    let mut select = municipality::Entity::find()
        .find_also_related(pdet_subregion::Entity)
        .order_by_asc(municipality::Column::Code);
    if let Some(code) = filter
        .department
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        select = select.filter(municipality::Column::DepartmentCode.eq(code));
    }
    match filter.pdet {
        Some(true) => select = select.filter(municipality::Column::PdetSubregionId.is_not_null()),
        Some(false) => select = select.filter(municipality::Column::PdetSubregionId.is_null()),
        None => {}
    }
    if let Some(category) = filter
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let category = category.to_uppercase();
        if !CATEGORIES.contains(&category.as_str()) {
            return Err(AppError::invalid(
                "category",
                "La categoría debe ser E o un número de 1 a 6.",
            ));
        }
        select = select.filter(municipality::Column::Category.eq(category));
    }
    if let Some(text) = filter.text.as_deref().map(fold).filter(|t| !t.is_empty()) {
        select = select.filter(municipality::Column::SearchName.contains(text.as_str()));
    }
    let paginator = select.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator
        .fetch_page(page.saturating_sub(1))
        .await?
        .into_iter()
        .map(|(m, region)| (m, region.map(|r| r.name)))
        .collect();
    Ok((rows, total))
}

/// A department's municipalities by name, PDET ones only when `pdet_only`, of `category`
/// when given (the coverage map's rows, gaps included).
pub async fn municipalities_of_kind<C: ConnectionTrait>(
    db: &C,
    department_code: &str,
    pdet_only: bool,
    category: Option<&str>,
) -> AppResult<Vec<municipality::Model>> {
    let mut find = municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(department_code));
    if pdet_only {
        find = find.filter(municipality::Column::PdetSubregionId.is_not_null());
    }
    if let Some(category) = category {
        find = find.filter(municipality::Column::Category.eq(category));
    }
    Ok(find
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?)
}

/// Whether a department with this DANE code exists.
pub async fn department_exists<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<bool> {
    Ok(department::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .is_some())
}

/// Every department's name by its DANE code.
pub async fn department_names<C: ConnectionTrait>(db: &C) -> AppResult<HashMap<String, String>> {
    Ok(department::Entity::find()
        .all_mapped(db, |d| (d.code, d.name))
        .await?)
}

/// The department of each of these municipalities, by the municipality's DANE code.
pub async fn departments_of<C: ConnectionTrait>(
    db: &C,
    municipalities: Vec<String>,
) -> AppResult<HashMap<String, String>> {
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(municipalities))
        .all_mapped(db, |m| (m.code, m.department_code))
        .await?)
}

/// The municipalities of a department, by name (none for an empty or unknown code).
pub async fn municipalities_of<C: ConnectionTrait>(
    db: &C,
    department_code: &str,
) -> AppResult<Vec<municipality::Model>> {
    if department_code.is_empty() {
        return Ok(Vec::new());
    }
    Ok(municipality::Entity::find()
        .filter(municipality::Column::DepartmentCode.eq(department_code))
        .order_by_asc(municipality::Column::Name)
        .all(db)
        .await?)
}

pub async fn departments<C: ConnectionTrait>(db: &C) -> AppResult<Vec<department::Model>> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Name)
        .all(db)
        .await?)
}

/// A list of municipalities as a coordinator types it: DANE codes or names separated by
/// commas, semicolons or new lines; a name shared by several municipalities ("Puerto Rico")
/// needs its department in parentheses ("Puerto Rico (Caquetá)") or the code.
/// Returns the codes, or one Spanish message per entry that could not be resolved. More than
/// `validate::LIST_MAX` entries are refused before any is looked up (each is one query).
pub async fn resolve_municipality_list<C: ConnectionTrait>(
    db: &C,
    typed: &str,
) -> AppResult<Result<Vec<String>, Vec<String>>> {
    let entries = typed
        .split([',', ';', '\n'])
        .filter(|e| !e.trim().is_empty())
        .count();
    if let Err(error) = crate::validate::list_length("municipality_codes", entries) {
        return Ok(Err(vec![error.message]));
    }
    let departments: HashMap<String, String> = department::Entity::find()
        .all_mapped(db, |d| (fold(&d.name), d.code))
        .await?;
    let department_names = department_names(db).await?;
    let mut codes = Vec::new();
    let mut problems = Vec::new();
    for entry in typed
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if entry.chars().all(|c| c.is_ascii_digit()) {
            let code = normalize_municipality_code(entry);
            match municipality::Entity::find_by_id(code.clone())
                .one(db)
                .await?
            {
                Some(_) => codes.push(code),
                None => problems.push(format!("No existe un municipio con código DANE «{entry}».")),
            }
            continue;
        }
        let (name, department) = match entry.split_once('(') {
            Some((name, rest)) => (name.trim(), Some(rest.trim_end_matches(')').trim())),
            None => (entry, None),
        };
        let mut query =
            municipality::Entity::find().filter(municipality::Column::SearchName.eq(fold(name)));
        if let Some(department) = department {
            match departments.get(&fold(department)) {
                Some(code) => {
                    query = query.filter(municipality::Column::DepartmentCode.eq(code.as_str()))
                }
                None => {
                    problems.push(format!("No existe el departamento «{department}»."));
                    continue;
                }
            }
        }
        let found = query.all(db).await?;
        match found.as_slice() {
            [only] => codes.push(only.code.clone()),
            [] => problems.push(format!("No encontramos el municipio «{entry}».")),
            several => problems.push(format!(
                "Hay {} municipios llamados «{name}»: escriba el código DANE o el departamento entre paréntesis, p. ej. «{name} ({})».",
                several.len(),
                department_names.get(&several[0].department_code).map_or("…", String::as_str)
            )),
        }
    }
    codes.sort();
    codes.dedup();
    Ok(if problems.is_empty() {
        Ok(codes)
    } else {
        Err(problems)
    })
}

/// Where an entity is (issue 49, item 3), the one rule of assistances and demands: a
/// gobernación by its department (DANE code) and no municipality, every other entity by its
/// municipality (and the municipality's department). A field left out keeps `current`
/// (municipality, department) when it still fits the entity. Problems go to `errors` (None);
/// the caller checks its own territory on what comes back.
pub async fn entity_place<C: ConnectionTrait>(
    db: &C,
    entity_type: crate::entities::values::AssistedEntity,
    municipality_code: Option<&str>,
    department_code: Option<&str>,
    current: Option<(Option<&str>, &str)>,
    errors: &mut Vec<crate::error::FieldError>,
) -> AppResult<Option<(Option<municipality::Model>, String)>> {
    use crate::error::FieldError;
    fn given(text: Option<&str>) -> Option<&str> {
        text.map(str::trim).filter(|t| !t.is_empty())
    }
    if entity_type.is_departmental() {
        if given(municipality_code).is_some() {
            errors.push(FieldError::new(
                "municipality_code",
                "Una gobernación es del departamento: indique el departamento, no un municipio.",
            ));
        }
        let code = given(department_code)
            .or(current.map(|(_, department)| department))
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let Some(code) = code else {
            errors.push(FieldError::new(
                "department_code",
                "Indique el departamento de la gobernación (código DANE).",
            ));
            return Ok(None);
        };
        if !department_exists(db, &code).await? {
            errors.push(FieldError::new(
                "department_code",
                format!("No existe un departamento con el código DANE «{code}»."),
            ));
            return Ok(None);
        }
        return Ok(Some((None, code)));
    }
    if given(department_code).is_some() {
        errors.push(FieldError::new(
            "department_code",
            "Solo una gobernación se indica por el departamento: indique el municipio.",
        ));
    }
    let code = given(municipality_code)
        .map(normalize_municipality_code)
        .or(current.and_then(|(m, _)| m.map(str::to_string)));
    let Some(code) = code else {
        errors.push(FieldError::new(
            "municipality_code",
            "Indique el municipio (código DANE).",
        ));
        return Ok(None);
    };
    let Some(found) = municipality::Entity::find_by_id(code.clone())
        .one(db)
        .await?
    else {
        errors.push(FieldError::new(
            "municipality_code",
            format!("No existe un municipio con el código DANE «{code}»."),
        ));
        return Ok(None);
    };
    let department = found.department_code.clone();
    Ok(Some((Some(found), department)))
}

/// The entity asked for (issue 49, item 3), assistances' and demands' one reading: as typed,
/// else `current`, else the alcaldía; an unknown kind goes to `errors`.
pub fn entity_kind(
    text: Option<&str>,
    current: Option<crate::entities::values::AssistedEntity>,
    errors: &mut Vec<crate::error::FieldError>,
) -> crate::entities::values::AssistedEntity {
    use crate::entities::values::AssistedEntity;
    match text.map(str::trim) {
        None | Some("") => current.unwrap_or(AssistedEntity::Alcaldia),
        Some(text) => AssistedEntity::parse(text).unwrap_or_else(|| {
            errors.push(crate::error::FieldError::new(
                "entity_type",
                "La entidad debe ser alcaldia, concejo, personeria, consejo_territorial_planeacion, \
                 gobernacion, esquema_asociativo u organizacion_comunitaria.",
            ));
            AssistedEntity::Alcaldia
        }),
    }
}
