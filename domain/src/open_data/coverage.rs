//! The coverage as open data: per municipality × capacity × year, the people trained,
//! completed and certified ([`super::COVERAGE`]), read from the figures model
//! (`capacity_year_figures`, kept on every write): one query, whatever the size of the data.
//! Counts from 1 to 4 are suppressed ([`super::suppressed`]).

use super::{COVERAGE, suppressed};
use crate::entities::{capacity, capacity_year_figure, department, municipality};
use crate::error::AppResult;
use crate::spreadsheets::{CsvField, CsvFile};
use sea_orm::{
    ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryOrder, QuerySelect, RelationTrait,
};
use serde::Serialize;

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
        ]
    }
}

#[derive(FromQueryResult)]
struct Found {
    municipality_code: String,
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
/// query over `capacity_year_figures`.
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
    Ok(found
        .into_iter()
        .map(|f| CoverageRow {
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
        })
        .collect())
}

/// The coverage as a CSV file ([`crate::spreadsheets::CsvFile`]).
pub fn csv(rows: &[CoverageRow]) -> Vec<u8> {
    let mut file = CsvFile::new(&COVERAGE.header());
    for row in rows {
        file.row(&row.fields());
    }
    file.into_bytes()
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
        let text = String::from_utf8(csv(&[row()])).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "\"05001\",\"Medellín\",\"05\",\"Antioquia\",\"PT\",\"Planeación territorial\",\
             2026,12,,0"
        );
    }
}
