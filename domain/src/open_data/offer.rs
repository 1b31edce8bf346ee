//! The offer as open data: every published cohort of every provider and every technical
//! assistance not cancelled ([`super::OFFER`]; `tipo` tells them apart, issue 67).

use super::{LIST_SEPARATOR, OFFER};
use crate::entities::values::{
    AssistanceStatus, AssistedEntity, CohortStatus, DescriptorKind, DescriptorSubject, Modality,
};
use crate::entities::{
    assistance, assistance_capacity, capacity, cohort, cohort_department, cohort_municipality,
    course, course_capacity, provider,
};
use crate::error::AppResult;
use crate::spreadsheets::{CsvField, CsvFlavour};
use chrono::NaiveDate;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// The statuses published: open, in progress and closed. Drafts are not public, and a
/// cancelled cohort may have been cancelled while still a draft.
pub const PUBLISHED: [CohortStatus; 3] = [
    CohortStatus::Open,
    CohortStatus::InProgress,
    CohortStatus::Closed,
];

/// The OpenAPI example of an offer's municipalities.
fn codes_example() -> [&'static str; 1] {
    ["18256"]
}

/// One published cohort or technical assistance; the keys are the columns of the data
/// dictionary (`/datos-abiertos`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OpenDataOfferRow)]
pub struct OfferRow {
    /// The cohort's id; null in an assistance's row.
    #[serde(rename = "id_cohorte")]
    #[schema(required = true)]
    pub cohort_id: Option<i32>,
    #[serde(rename = "nombre_cohorte")]
    #[schema(example = "Taller KPT · El Paujíl 2026")]
    pub cohort_name: String,
    #[serde(rename = "oferente")]
    #[schema(example = "Departamento Nacional de Planeación (DNP)")]
    pub provider: String,
    /// The provider's NIT with its check digit, when recorded.
    #[serde(rename = "nit_oferente")]
    #[schema(required = true, example = "899999011-0")]
    pub provider_nit: Option<String>,
    #[serde(rename = "codigo_curso")]
    pub course_code: String,
    #[serde(rename = "nombre_curso")]
    pub course_name: String,
    /// The course's hours; null in an assistance's row.
    #[serde(rename = "intensidad_horaria")]
    #[schema(required = true)]
    pub hours: Option<i32>,
    #[serde(rename = "codigos_capacidad")]
    pub capacity_codes: Vec<String>,
    #[serde(rename = "capacidades")]
    pub capacity_names: Vec<String>,
    /// `nacional`, `departamental`, `municipal` or `mixto`.
    #[serde(rename = "alcance")]
    #[schema(example = "municipal")]
    pub reach: &'static str,
    /// DIVIPOLA codes (2 digits) of the departments it is offered to.
    #[serde(rename = "codigos_departamento")]
    pub department_codes: Vec<String>,
    /// DIVIPOLA codes (5 digits) of the municipalities it is offered to.
    #[serde(rename = "codigos_municipio")]
    #[schema(example = codes_example)]
    pub municipality_codes: Vec<String>,
    #[serde(rename = "fecha_inicio")]
    pub start_date: NaiveDate,
    #[serde(rename = "fecha_fin")]
    pub end_date: NaiveDate,
    /// `presencial`, `virtual` or `mixta`.
    #[serde(rename = "modalidad")]
    pub modality: &'static str,
    /// The cohort's seats; null in an assistance's row.
    #[serde(rename = "cupos")]
    #[schema(required = true)]
    pub seats: Option<i32>,
    /// A cohort's `abierta`, `en_curso` or `cerrada`; an assistance's `planeada`, `en_curso`
    /// or `cerrada`.
    #[serde(rename = "estado")]
    pub status: &'static str,
    /// The course's sectors (CONPES's sectoral descriptors, issue 49).
    #[serde(rename = "codigos_sector")]
    pub sector_codes: Vec<String>,
    #[serde(rename = "sectores")]
    pub sector_names: Vec<String>,
    /// The course's population groups (CONPES's population descriptors).
    #[serde(rename = "codigos_grupo_poblacional")]
    pub population_group_codes: Vec<String>,
    #[serde(rename = "grupos_poblacionales")]
    pub population_group_names: Vec<String>,
    /// `cohorte` or `asistencia_tecnica`.
    #[serde(rename = "tipo")]
    #[schema(example = "cohorte")]
    pub kind: &'static str,
    /// The assistance's id; null in a cohort's row.
    #[serde(rename = "id_asistencia")]
    #[schema(required = true)]
    pub assistance_id: Option<i32>,
}

/// The `tipo` of a cohort's row and of an assistance's.
pub const COHORT: &str = "cohorte";
pub const ASSISTANCE: &str = "asistencia_tecnica";

impl OfferRow {
    /// The row's CSV fields, in the dictionary's order.
    pub fn fields(&self) -> Vec<CsvField> {
        let list = |items: &[String]| CsvField::Text(items.join(LIST_SEPARATOR));
        vec![
            CsvField::Number(self.cohort_id.map(i64::from)),
            self.cohort_name.as_str().into(),
            self.provider.as_str().into(),
            self.provider_nit.clone().unwrap_or_default().into(),
            self.course_code.as_str().into(),
            self.course_name.as_str().into(),
            CsvField::Number(self.hours.map(i64::from)),
            list(&self.capacity_codes),
            list(&self.capacity_names),
            self.reach.into(),
            list(&self.department_codes),
            list(&self.municipality_codes),
            self.start_date.to_string().into(),
            self.end_date.to_string().into(),
            self.modality.into(),
            CsvField::Number(self.seats.map(i64::from)),
            self.status.into(),
            list(&self.sector_codes),
            list(&self.sector_names),
            list(&self.population_group_codes),
            list(&self.population_group_names),
            self.kind.into(),
            CsvField::Number(self.assistance_id.map(i64::from)),
        ]
    }
}

/// Where a cohort is offered, as the `alcance` column says it.
fn reach(departments: &[String], municipalities: &[String]) -> &'static str {
    match (departments.is_empty(), municipalities.is_empty()) {
        (true, true) => "nacional",
        (false, true) => "departamental",
        (true, false) => "municipal",
        (false, false) => "mixto",
    }
}

fn status_value(status: CohortStatus) -> &'static str {
    match status {
        CohortStatus::Open => "abierta",
        CohortStatus::InProgress => "en_curso",
        CohortStatus::Closed => "cerrada",
        // Not published (see `PUBLISHED`); named for completeness.
        CohortStatus::Draft => "borrador",
        CohortStatus::Cancelled => "cancelada",
    }
}

fn modality_value(modality: Modality) -> &'static str {
    match modality {
        Modality::Presencial => "presencial",
        Modality::Virtual => "virtual",
        Modality::Mixta => "mixta",
    }
}

#[derive(FromQueryResult)]
struct Found {
    id: i32,
    name: String,
    course_id: i32,
    modality: Modality,
    status: CohortStatus,
    start_date: NaiveDate,
    end_date: NaiveDate,
    seats: i32,
    provider_name: String,
    provider_nit: Option<String>,
    course_code: String,
    course_name: String,
    hours: i32,
}

/// The ids of the published cohorts, as a subquery.
fn published_ids() -> SelectStatement {
    Query::select()
        .column(cohort::Column::Id)
        .from(cohort::Entity)
        .and_where(cohort::Column::Status.is_in(PUBLISHED))
        .to_owned()
}

/// Every published cohort (of a course that carries the sector whose code is `sector`, when
/// given; an unknown code gives none), by id, then every technical assistance not cancelled,
/// by id (none when `sector` is given: an assistance has no course, so no sector): a few
/// set-based queries (cohorts with their course and provider, the courses' capacities and
/// descriptors, the municipalities and the departments targeted; assistances with their
/// provider and capacities), whatever the size of the offer.
pub async fn rows<C: ConnectionTrait>(db: &C, sector: Option<&str>) -> AppResult<Vec<OfferRow>> {
    let by_sector = sector.map(str::trim).is_some_and(|c| !c.is_empty());
    let mut rows = cohort_rows(db, sector).await?;
    if !by_sector {
        rows.extend(assistance_rows(db).await?);
    }
    Ok(rows)
}

/// The statuses of the assistances published: every one but the cancelled.
const ASSISTANCES_PUBLISHED: [AssistanceStatus; 3] = [
    AssistanceStatus::Planned,
    AssistanceStatus::InProgress,
    AssistanceStatus::Closed,
];

#[derive(FromQueryResult)]
struct FoundAssistance {
    id: i32,
    municipality_code: Option<String>,
    department_code: String,
    entity_type: AssistedEntity,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    modality: Modality,
    status: AssistanceStatus,
    provider_name: String,
    provider_nit: Option<String>,
}

/// Every technical assistance not cancelled, by id, with its provider and capacities (never
/// its objective, contact or people: only what a cohort's row says).
async fn assistance_rows<C: ConnectionTrait>(db: &C) -> AppResult<Vec<OfferRow>> {
    let found: Vec<FoundAssistance> = assistance::Entity::find()
        .join(
            JoinType::InnerJoin,
            assistance::Entity::belongs_to(provider::Entity)
                .from(assistance::Column::ProviderId)
                .to(provider::Column::Id)
                .into(),
        )
        .select_only()
        .column(assistance::Column::Id)
        .column(assistance::Column::MunicipalityCode)
        .column(assistance::Column::DepartmentCode)
        .column(assistance::Column::EntityType)
        .column(assistance::Column::StartsOn)
        .column(assistance::Column::EndsOn)
        .column(assistance::Column::Modality)
        .column(assistance::Column::Status)
        .column_as(provider::Column::Name, "provider_name")
        .column_as(provider::Column::Nit, "provider_nit")
        .filter(assistance::Column::Status.is_in(ASSISTANCES_PUBLISHED))
        .order_by_asc(assistance::Column::Id)
        .into_model()
        .all(db)
        .await?;
    let mut capacities: HashMap<i32, (Vec<String>, Vec<String>)> = HashMap::new();
    let linked: Vec<(i32, String, String)> = assistance_capacity::Entity::find()
        .join(
            JoinType::InnerJoin,
            assistance_capacity::Entity::belongs_to(capacity::Entity)
                .from(assistance_capacity::Column::CapacityId)
                .to(capacity::Column::Id)
                .into(),
        )
        .select_only()
        .column(assistance_capacity::Column::AssistanceId)
        .column(capacity::Column::Code)
        .column(capacity::Column::Name)
        .order_by_asc(assistance_capacity::Column::AssistanceId)
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (assistance_id, code, name) in linked {
        let entry = capacities.entry(assistance_id).or_default();
        entry.0.push(code);
        entry.1.push(name);
    }
    Ok(found
        .into_iter()
        .map(|a| {
            let (capacity_codes, capacity_names) = capacities.remove(&a.id).unwrap_or_default();
            let (department_codes, municipality_codes) = match a.municipality_code {
                Some(code) => (Vec::new(), vec![code]),
                None => (vec![a.department_code], Vec::new()),
            };
            OfferRow {
                cohort_id: None,
                cohort_name: format!("Asistencia técnica a {}", a.entity_type.label()),
                provider: a.provider_name,
                provider_nit: a.provider_nit,
                course_code: String::new(),
                course_name: String::new(),
                hours: None,
                capacity_codes,
                capacity_names,
                reach: reach(&department_codes, &municipality_codes),
                department_codes,
                municipality_codes,
                start_date: a.starts_on,
                end_date: a.ends_on,
                modality: modality_value(a.modality),
                seats: None,
                status: match a.status {
                    AssistanceStatus::Planned => "planeada",
                    AssistanceStatus::InProgress => "en_curso",
                    AssistanceStatus::Closed => "cerrada",
                    AssistanceStatus::Cancelled => "cancelada",
                },
                sector_codes: Vec::new(),
                sector_names: Vec::new(),
                population_group_codes: Vec::new(),
                population_group_names: Vec::new(),
                kind: ASSISTANCE,
                assistance_id: Some(a.id),
            }
        })
        .collect())
}

/// The published cohorts' rows (see [`rows`]).
async fn cohort_rows<C: ConnectionTrait>(db: &C, sector: Option<&str>) -> AppResult<Vec<OfferRow>> {
    let mut select = cohort::Entity::find();
    if let Some(code) = sector.map(str::trim).filter(|c| !c.is_empty()) {
        let Some(id) = crate::descriptors::id_by_code(db, DescriptorKind::Sector, code).await?
        else {
            return Ok(Vec::new());
        };
        select = select.filter(crate::descriptors::tagged(
            cohort::Column::CourseId,
            DescriptorSubject::Course,
            id,
        ));
    }
    let found = published_cohorts(db, select).await?;
    let capacities = course_capacities(db).await?;
    use {cohort_department as cd, cohort_municipality as cm};
    let mut municipalities =
        targeted::<_, cm::Entity>(db, cm::Column::CohortId, cm::Column::MunicipalityCode).await?;
    let mut departments =
        targeted::<_, cd::Entity>(db, cd::Column::CohortId, cd::Column::DepartmentCode).await?;
    let course_ids: Vec<i32> = found
        .iter()
        .map(|f| f.course_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let tags = crate::descriptors::of(db, DescriptorSubject::Course, &course_ids).await?;
    Ok(found
        .into_iter()
        .map(|f| {
            let (capacity_codes, capacity_names) =
                capacities.get(&f.course_id).cloned().unwrap_or_default();
            let course_tags = tags.get(&f.course_id).cloned().unwrap_or_default();
            let department_codes = departments.remove(&f.id).unwrap_or_default();
            let municipality_codes = municipalities.remove(&f.id).unwrap_or_default();
            offer_row(
                f,
                (capacity_codes, capacity_names),
                &course_tags,
                department_codes,
                municipality_codes,
            )
        })
        .collect())
}

/// The published cohorts `select` finds, with their course and provider, by id.
async fn published_cohorts<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<cohort::Entity>,
) -> AppResult<Vec<Found>> {
    Ok(select
        .join(JoinType::InnerJoin, cohort::Relation::Course.def())
        .join(
            JoinType::InnerJoin,
            cohort::Entity::belongs_to(provider::Entity)
                .from(cohort::Column::ProviderId)
                .to(provider::Column::Id)
                .into(),
        )
        .select_only()
        .column(cohort::Column::Id)
        .column(cohort::Column::Name)
        .column(cohort::Column::CourseId)
        .column(cohort::Column::Modality)
        .column(cohort::Column::Status)
        .column(cohort::Column::StartDate)
        .column(cohort::Column::EndDate)
        .column(cohort::Column::Seats)
        .column_as(provider::Column::Name, "provider_name")
        .column_as(provider::Column::Nit, "provider_nit")
        .column_as(course::Column::Code, "course_code")
        .column_as(course::Column::Name, "course_name")
        .column(course::Column::Hours)
        .filter(cohort::Column::Status.is_in(PUBLISHED))
        .order_by_asc(cohort::Column::Id)
        .into_model()
        .all(db)
        .await?)
}

/// The capacity codes and names of every course with a published cohort, by course id.
async fn course_capacities<C: ConnectionTrait>(
    db: &C,
) -> AppResult<HashMap<i32, (Vec<String>, Vec<String>)>> {
    let mut capacities: HashMap<i32, (Vec<String>, Vec<String>)> = HashMap::new();
    let linked: Vec<(i32, String, String)> = course_capacity::Entity::find()
        .join(
            JoinType::InnerJoin,
            course_capacity::Relation::Capacity.def(),
        )
        .select_only()
        .column(course_capacity::Column::CourseId)
        .column(capacity::Column::Code)
        .column(capacity::Column::Name)
        .filter(
            course_capacity::Column::CourseId.in_subquery(
                Query::select()
                    .column(cohort::Column::CourseId)
                    .from(cohort::Entity)
                    .and_where(cohort::Column::Status.is_in(PUBLISHED))
                    .to_owned(),
            ),
        )
        .order_by_asc(course_capacity::Column::CourseId)
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (course_id, code, name) in linked {
        let entry = capacities.entry(course_id).or_default();
        entry.0.push(code);
        entry.1.push(name);
    }
    Ok(capacities)
}

/// The places each published cohort targets (the municipalities or the departments: `code`
/// of a cohort's targets table), by cohort id, in code order.
async fn targeted<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    cohort_id: E::Column,
    code: E::Column,
) -> AppResult<HashMap<i32, Vec<String>>> {
    let mut places: HashMap<i32, Vec<String>> = HashMap::new();
    let targeted: Vec<(i32, String)> = E::find()
        .select_only()
        .column(cohort_id)
        .column(code)
        .filter(cohort_id.in_subquery(published_ids()))
        .order_by_asc(cohort_id)
        .order_by_asc(code)
        .into_tuple()
        .all(db)
        .await?;
    for (cohort_id, code) in targeted {
        places.entry(cohort_id).or_default().push(code);
    }
    Ok(places)
}

/// The codes and the names of `list`, in its order.
fn codes_and_names(list: &[crate::descriptors::DescriptorRef]) -> (Vec<String>, Vec<String>) {
    list.iter()
        .map(|d| (d.code.clone(), d.name.clone()))
        .unzip()
}

/// The offer row of the cohort `f` with its capacities, descriptors and targets.
fn offer_row(
    f: Found,
    (capacity_codes, capacity_names): (Vec<String>, Vec<String>),
    course_tags: &crate::descriptors::Tags,
    department_codes: Vec<String>,
    municipality_codes: Vec<String>,
) -> OfferRow {
    let (sector_codes, sector_names) = codes_and_names(&course_tags.sectors);
    let (population_group_codes, population_group_names) =
        codes_and_names(&course_tags.population_groups);
    OfferRow {
        cohort_id: Some(f.id),
        cohort_name: f.name,
        provider: f.provider_name,
        provider_nit: f.provider_nit,
        course_code: f.course_code,
        course_name: f.course_name,
        hours: Some(f.hours),
        capacity_codes,
        capacity_names,
        reach: reach(&department_codes, &municipality_codes),
        department_codes,
        municipality_codes,
        start_date: f.start_date,
        end_date: f.end_date,
        modality: modality_value(f.modality),
        seats: Some(f.seats),
        status: status_value(f.status),
        sector_codes,
        sector_names,
        population_group_codes,
        population_group_names,
        kind: COHORT,
        assistance_id: None,
    }
}

/// The rows as the CSV file in `flavour` ([`super::Dataset::csv`]).
pub fn csv(rows: &[OfferRow], flavour: CsvFlavour) -> Vec<u8> {
    OFFER.csv(flavour, rows.iter().map(OfferRow::fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> OfferRow {
        OfferRow {
            cohort_id: Some(7),
            cohort_name: "Taller KPT · El Paujíl 2026".into(),
            provider: "Departamento Nacional de Planeación (DNP)".into(),
            provider_nit: Some("899999011-0".into()),
            course_code: "DNP-KPT".into(),
            course_name: "Taller del Kit de Planeación Territorial (KPT)".into(),
            hours: Some(16),
            capacity_codes: vec!["PT".into(), "GAT".into()],
            capacity_names: vec!["Planeación territorial".into(), "Gobierno abierto".into()],
            reach: "mixto",
            department_codes: vec!["05".into()],
            municipality_codes: vec!["18256".into(), "18592".into()],
            start_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
            modality: "presencial",
            seats: Some(30),
            status: "abierta",
            sector_codes: vec!["vivienda_agua".into()],
            sector_names: vec!["Vivienda, ciudad y territorio".into()],
            population_group_codes: Vec::new(),
            population_group_names: Vec::new(),
            kind: COHORT,
            assistance_id: None,
        }
    }

    #[test]
    fn json_keys_and_csv_fields_follow_the_dictionary() {
        let json =
            crate::open_data::assert_follows_dictionary(&OFFER, &row(), row().fields().len());
        assert_eq!(json["codigos_departamento"], serde_json::json!(["05"]));
        assert_eq!(json["fecha_inicio"], "2026-03-02");
    }

    #[test]
    fn the_csv_joins_lists_and_quotes_codes() {
        let text = String::from_utf8(csv(&[row()], CsvFlavour::Standard)).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("\u{FEFF}{}", OFFER.header().join(","))
        );
        assert_eq!(
            lines.next().unwrap(),
            "7,\"Taller KPT · El Paujíl 2026\",\"Departamento Nacional de Planeación (DNP)\",\
             \"899999011-0\",\"DNP-KPT\",\"Taller del Kit de Planeación Territorial (KPT)\",16,\
             \"PT;GAT\",\"Planeación territorial;Gobierno abierto\",\"mixto\",\"05\",\
             \"18256;18592\",\"2026-03-02\",\"2026-04-30\",\"presencial\",30,\"abierta\",\
             \"vivienda_agua\",\"Vivienda, ciudad y territorio\",\"\",\"\",\"cohorte\","
        );
    }

    /// The Excel flavour: the same header and fields, split on `;` (lists stay whole in their
    /// quoted field), codes with their zeros.
    #[test]
    fn the_excel_flavour_splits_on_semicolons() {
        let text = String::from_utf8(csv(&[row()], CsvFlavour::ExcelColombia)).unwrap();
        let body = text.strip_prefix(crate::spreadsheets::BOM).expect("a BOM");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(body.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, OFFER.header());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.len(), OFFER.columns.len());
        assert_eq!(&record[10], "05");
        assert_eq!(&record[11], "18256;18592");
        assert!(text.ends_with("\"\";\"\";\"cohorte\";\r\n"), "{text}");
    }

    #[test]
    fn reach_names_where_it_is_offered() {
        let some = vec!["x".to_string()];
        assert_eq!(reach(&[], &[]), "nacional");
        assert_eq!(reach(&some, &[]), "departamental");
        assert_eq!(reach(&[], &some), "municipal");
        assert_eq!(reach(&some, &some), "mixto");
    }
}
