//! The coverage as open data: per municipality × capacity × year, the people trained,
//! completed and certified, and the technical assistances received ([`super::COVERAGE`]), read
//! from the figures model (`capacity_year_figures` and `assistance_figures`, kept on every
//! write): two queries, whatever the size of the data. Counts of people from 1 to 4 are
//! suppressed ([`super::suppressed`]), and so is any of a row's trained, completed and
//! certified that differs from another by 1 to 4 ([`super::suppress_differences`], issue 62);
//! counts of assistances are not (they are actions of public entities for public entities,
//! not people).

use super::{COVERAGE, suppressed};
use crate::entities::{
    assistance_figure, capacity, capacity_year_figure, department, municipality, replica_figure,
};
use crate::error::AppResult;
use crate::rows::Rows;
use crate::spreadsheets::{CsvField, CsvFlavour};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One municipality × capacity × year with someone trained; the keys are the columns of the
/// data dictionary (`/datos-abiertos`), and a count of 1 to 4 is `null` (suppressed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OpenDataCoverageRow)]
pub struct CoverageRow {
    /// DIVIPOLA code (5 digits) of the enrolment's municipality.
    #[serde(rename = "codigo_municipio")]
    #[schema(example = "18256")]
    pub municipality_code: String,
    #[serde(rename = "nombre_municipio")]
    #[schema(example = "El Paujíl")]
    pub municipality_name: String,
    /// DIVIPOLA code (2 digits).
    #[serde(rename = "codigo_departamento")]
    #[schema(example = "18")]
    pub department_code: String,
    #[serde(rename = "nombre_departamento")]
    #[schema(example = "Caquetá")]
    pub department_name: String,
    #[serde(rename = "codigo_capacidad")]
    pub capacity_code: String,
    #[serde(rename = "nombre_capacidad")]
    pub capacity_name: String,
    /// The cohorts' start year.
    #[serde(rename = "anio")]
    #[schema(example = 2026)]
    pub year: i32,
    /// Distinct people trained; `null` from 1 to 4.
    #[serde(rename = "personas_formadas")]
    #[schema(required = true, minimum = 0)]
    pub trained: Option<i64>,
    /// Of them, those who completed; `null` from 1 to 4.
    #[serde(rename = "personas_aprobadas")]
    #[schema(required = true, minimum = 0)]
    pub completed: Option<i64>,
    /// Of them, those holding a valid certificate; `null` from 1 to 4.
    #[serde(rename = "personas_certificadas")]
    #[schema(required = true, minimum = 0)]
    pub certified: Option<i64>,
    /// Technical assistances (every provider's, not cancelled) on the capacity that started in
    /// the year.
    #[serde(rename = "asistencias_tecnicas")]
    #[schema(minimum = 0)]
    pub assistances: i64,
    /// Of them, the closed ones.
    #[serde(rename = "asistencias_tecnicas_cerradas")]
    #[schema(minimum = 0)]
    pub assistances_closed: i64,
    /// Second-generation reach (issue 48): people reached in the year by replicas on the
    /// capacity in the municipality, never part of `personas_formadas`; `null` from 1 to 4.
    #[serde(rename = "personas_alcanzadas_replicas")]
    #[schema(required = true, minimum = 0)]
    pub people_reached_by_replicas: Option<i64>,
}

impl CoverageRow {
    /// The row's CSV fields, in the dictionary's order.
    pub fn fields(&self) -> Vec<CsvField> {
        vec![
            self.municipality_code.as_str().into(),
            self.municipality_name.as_str().into(),
            self.department_code.as_str().into(),
            self.department_name.as_str().into(),
            self.capacity_code.as_str().into(),
            self.capacity_name.as_str().into(),
            self.year.into(),
            self.trained.into(),
            self.completed.into(),
            self.certified.into(),
            self.assistances.into(),
            self.assistances_closed.into(),
            self.people_reached_by_replicas.into(),
        ]
    }
}

#[derive(FromQueryResult)]
struct Found {
    municipality_code: String,
    capacity_id: i32,
    department_code: String,
    year: i32,
    // INTEGER columns (PostgreSQL decodes them as i32 only).
    trained: i32,
    completed: i32,
    certified: i32,
    municipality_name: String,
    department_name: String,
    capacity_code: String,
    capacity_name: String,
}

/// Every row, ordered by municipality code, capacity (the catalogue's order) and year: one
/// query over `capacity_year_figures`, one over `assistance_figures`.
pub async fn rows<C: ConnectionTrait>(db: &C) -> AppResult<Vec<CoverageRow>> {
    let found: Vec<Found> = capacity_year_figure::Entity::find()
        .join(
            JoinType::InnerJoin,
            capacity_year_figure::Relation::Municipality.def(),
        )
        .join(
            JoinType::InnerJoin,
            capacity_year_figure::Relation::Capacity.def(),
        )
        .join(
            JoinType::InnerJoin,
            capacity_year_figure::Entity::belongs_to(department::Entity)
                .from(capacity_year_figure::Column::DepartmentCode)
                .to(department::Column::Code)
                .into(),
        )
        .select_only()
        .column(capacity_year_figure::Column::MunicipalityCode)
        .column(capacity_year_figure::Column::CapacityId)
        .column(capacity_year_figure::Column::DepartmentCode)
        .column(capacity_year_figure::Column::Year)
        .column(capacity_year_figure::Column::Trained)
        .column(capacity_year_figure::Column::Completed)
        .column(capacity_year_figure::Column::Certified)
        .column_as(municipality::Column::Name, "municipality_name")
        .column_as(department::Column::Name, "department_name")
        .column_as(capacity::Column::Code, "capacity_code")
        .column_as(capacity::Column::Name, "capacity_name")
        .order_by_asc(capacity_year_figure::Column::MunicipalityCode)
        .order_by_asc(capacity::Column::SortOrder)
        .order_by_asc(capacity_year_figure::Column::CapacityId)
        .order_by_asc(capacity_year_figure::Column::Year)
        .into_model()
        .all(db)
        .await?;
    // (municipality, capacity, year) → (not cancelled, closed), summed over providers.
    let mut assisted: BTreeMap<(String, i32, i32), (i64, i64)> = BTreeMap::new();
    let mut departments_of: BTreeMap<String, String> = BTreeMap::new();
    for f in assistance_figure::Entity::find().all(db).await? {
        let cell = assisted
            .entry((f.municipality_code.clone(), f.capacity_id, f.year))
            .or_default();
        cell.0 += i64::from(f.assistances);
        cell.1 += i64::from(f.closed);
        departments_of.insert(f.municipality_code, f.department_code);
    }
    // (municipality, capacity, year) → people reached by replicas (issue 48).
    let mut replicated: BTreeMap<(String, i32, i32), i64> = BTreeMap::new();
    for f in replica_figure::Entity::find().all(db).await? {
        *replicated
            .entry((f.municipality_code.clone(), f.capacity_id, f.year))
            .or_default() += i64::from(f.people_reached);
        assisted
            .entry((f.municipality_code.clone(), f.capacity_id, f.year))
            .or_default();
        departments_of.insert(f.municipality_code, f.department_code);
    }
    let mut out: Vec<(i32, CoverageRow)> = Vec::with_capacity(found.len());
    for f in found {
        let key = (f.municipality_code.clone(), f.capacity_id, f.year);
        let (assistances, assistances_closed) = assisted.remove(&key).unwrap_or_default();
        let reached = replicated.get(&key).copied().unwrap_or_default();
        out.push((
            f.capacity_id,
            CoverageRow {
                municipality_code: f.municipality_code,
                municipality_name: f.municipality_name,
                department_code: f.department_code,
                department_name: f.department_name,
                capacity_code: f.capacity_code,
                capacity_name: f.capacity_name,
                year: f.year,
                trained: suppressed(i64::from(f.trained)),
                completed: suppressed(i64::from(f.completed)),
                certified: suppressed(i64::from(f.certified)),
                assistances,
                assistances_closed,
                people_reached_by_replicas: suppressed(reached),
            },
        ));
    }
    if assisted.is_empty() {
        return Ok(out.into_iter().map(|(_, row)| complementary(row)).collect());
    }
    // Municipality × capacity × year with assistance or replicas and no training: rows of
    // their own.
    let capacities: HashMap<i32, capacity::Model> = capacity::Entity::find()
        .all_mapped(db, |c| (c.id, c))
        .await?;
    let codes: Vec<String> = departments_of.keys().cloned().collect();
    let mut places: HashMap<String, String> = HashMap::new();
    for chunk in codes.chunks(1_000) {
        for m in municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            places.insert(m.code, m.name);
        }
    }
    let department_names = crate::territory::department_names(db).await?;
    for ((code, capacity_id, year), (assistances, assistances_closed)) in assisted {
        let reached = replicated
            .get(&(code.clone(), capacity_id, year))
            .copied()
            .unwrap_or_default();
        let (Some(capacity), Some(name)) = (capacities.get(&capacity_id), places.get(&code)) else {
            continue;
        };
        let department_code = departments_of.get(&code).cloned().unwrap_or_default();
        out.push((
            capacity_id,
            CoverageRow {
                municipality_code: code,
                municipality_name: name.clone(),
                department_name: department_names
                    .get(&department_code)
                    .cloned()
                    .unwrap_or_default(),
                department_code,
                capacity_code: capacity.code.clone(),
                capacity_name: capacity.name.clone(),
                year,
                trained: Some(0),
                completed: Some(0),
                certified: Some(0),
                assistances,
                assistances_closed,
                people_reached_by_replicas: suppressed(reached),
            },
        ));
    }
    let order: HashMap<i32, (i32, i32)> = capacities
        .values()
        .map(|c| (c.id, (c.sort_order, c.id)))
        .collect();
    out.sort_by(|(a_capacity, a), (b_capacity, b)| {
        (&a.municipality_code, order.get(a_capacity), a.year).cmp(&(
            &b.municipality_code,
            order.get(b_capacity),
            b.year,
        ))
    });
    Ok(out.into_iter().map(|(_, row)| complementary(row)).collect())
}

/// A row with complementary suppression (issue 62, item 4): the certified are among the
/// completed, who are among the trained, so no two of them published may differ by 1 to 4
/// (trained 10, completed 7 would name the 3 who did not complete).
fn complementary(mut row: CoverageRow) -> CoverageRow {
    let mut cells = [row.trained, row.completed, row.certified];
    super::suppress_differences(&mut cells, |_, _| true);
    [row.trained, row.completed, row.certified] = cells;
    row
}

/// The rows as the CSV file in `flavour` ([`super::Dataset::csv`]).
pub fn csv(rows: &[CoverageRow], flavour: CsvFlavour) -> Vec<u8> {
    COVERAGE.csv(flavour, rows.iter().map(CoverageRow::fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CoverageRow {
        CoverageRow {
            municipality_code: "05001".into(),
            municipality_name: "Medellín".into(),
            department_code: "05".into(),
            department_name: "Antioquia".into(),
            capacity_code: "PT".into(),
            capacity_name: "Planeación territorial".into(),
            year: 2026,
            trained: Some(12),
            completed: None,
            certified: Some(0),
            assistances: 2,
            assistances_closed: 1,
            people_reached_by_replicas: None,
        }
    }

    #[test]
    fn json_keys_and_csv_fields_follow_the_dictionary() {
        let json =
            crate::open_data::assert_follows_dictionary(&COVERAGE, &row(), row().fields().len());
        assert_eq!(json["personas_aprobadas"], serde_json::Value::Null);
        assert_eq!(json["codigo_municipio"], "05001");
    }

    #[test]
    fn the_csv_keeps_codes_as_text_and_leaves_suppressed_counts_empty() {
        let text = String::from_utf8(csv(&[row()], CsvFlavour::Standard)).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "\"05001\",\"Medellín\",\"05\",\"Antioquia\",\"PT\",\"Planeación territorial\",\
             2026,12,,0,2,1,"
        );
    }
}
