//! The indicators of the reference data (`seed/indicators.csv`) and their observations from the
//! real files beside it: MDM 2020 (`mdm.csv`), the municipal category 2020–2023
//! (`categories.csv`) and the IDF 2020–2023 (`idf.csv`). Each indicator is created, with its
//! links and observations, only when no indicator has its code: an administrator's edits are
//! never overwritten, and a later release adds its new indicators to an existing database.
//!
//! What is left out, on purpose (see `seed/README.md`): empty cells (not measured); the 2022
//! category (the annex repeats 2023); IDF rows of municipalities that did not report (every raw
//! indicator but the debt empty: DNP scored them 0, which is missing data, not performance).

use crate::entities::{indicator, indicator_capacity};
use crate::error::{AppError, AppResult};
use crate::rows::Rows;
use crate::territory::read_csv;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

const INDICATORS_CSV: &str = include_str!("../../../seed/indicators.csv");
const MDM_CSV: &str = include_str!("../../../seed/mdm.csv");
const IDF_CSV: &str = include_str!("../../../seed/idf.csv");
const CATEGORIES_CSV: &str = include_str!("../../../seed/categories.csv");

/// The IDF's raw indicators other than the debt: all empty in a row means the municipality did
/// not report that year.
const IDF_REPORTED: &[&str] = &[
    "dependencia_transferencias",
    "relevancia_fbk",
    "ahorro_corriente",
    "balance_primario",
    "holgura",
    "capacidad_programacion_recaudo_ingresos",
    "capacidad_ejecucion_inversion",
];

/// The category year whose annex repeats the next year's categories.
const REPEATED_CATEGORY_YEAR: i32 = 2022;

#[derive(Deserialize)]
struct SeedIndicator {
    code: String,
    name: String,
    source: String,
    unit: String,
    higher_is_better: bool,
    /// Capacity codes separated by `;`.
    capacities: String,
    /// `mdm`, `idf` or `categories`.
    file: String,
    column: String,
    note: String,
}

/// Creates the seed indicators missing from the database, with their links and observations.
/// Returns how many were created.
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<usize> {
    let wanted: Vec<SeedIndicator> = read_csv("indicators.csv", INDICATORS_CSV)?;
    let present: HashSet<String> = indicator::Entity::find()
        .filter(indicator::Column::Code.is_in(wanted.iter().map(|w| w.code.clone())))
        .all_mapped(db, |i| i.code)
        .await?;
    let capacity_ids = crate::capacities::ids_by_code(db).await?;
    let mut created = 0;
    for seed in wanted.iter().filter(|w| !present.contains(&w.code)) {
        let inserted = indicator::Entity::insert(indicator::ActiveModel {
            code: Set(seed.code.clone()),
            name: Set(seed.name.clone()),
            source: Set(seed.source.clone()),
            unit: Set(seed.unit.clone()),
            higher_is_better: Set(seed.higher_is_better),
            note: Set(seed.note.clone()),
            ..Default::default()
        })
        .exec(db)
        .await?;
        let id = inserted.last_insert_id;
        let links = seed
            .capacities
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|code| {
                capacity_ids
                    .get(code)
                    .map(|capacity_id| indicator_capacity::ActiveModel {
                        indicator_id: Set(id),
                        capacity_id: Set(*capacity_id),
                    })
                    .ok_or_else(|| {
                        AppError::Internal(format!("seed/indicators.csv: capacidad {code}"))
                    })
            })
            .collect::<AppResult<Vec<_>>>()?;
        if !links.is_empty() {
            indicator_capacity::Entity::insert_many(links)
                .exec_without_returning(db)
                .await?;
        }
        let rows = observations(seed)?;
        super::insert_observations(
            db,
            rows.into_iter()
                .map(|(code, year, value, source)| super::NewObservation {
                    indicator_id: id,
                    municipality_code: code,
                    year,
                    value,
                    source,
                    synthetic: false,
                }),
        )
        .await?;
        created += 1;
    }
    Ok(created)
}

/// (municipality, year, value, source) of one seed indicator, from its file.
fn observations(seed: &SeedIndicator) -> AppResult<Vec<(String, i32, f64, String)>> {
    let (name, text) = match seed.file.as_str() {
        "mdm" => ("mdm.csv", MDM_CSV),
        "idf" => ("idf.csv", IDF_CSV),
        "categories" => ("categories.csv", CATEGORIES_CSV),
        other => {
            return Err(AppError::Internal(format!(
                "seed/indicators.csv: archivo {other}"
            )));
        }
    };
    let broken = |e: &dyn std::fmt::Display| AppError::Internal(format!("seed/{name}: {e}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| broken(&e))?.clone();
    let at: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    let column = |h: &str| {
        at.get(h)
            .copied()
            .ok_or_else(|| broken(&format!("falta la columna {h}")))
    };
    let (code_at, year_at, value_at) =
        (column("dane_code")?, column("year")?, column(&seed.column)?);
    let reported = if seed.file == "idf" {
        IDF_REPORTED
            .iter()
            .map(|h| column(h))
            .collect::<AppResult<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| broken(&e))?;
        let year: i32 = record[year_at].parse().map_err(|e| broken(&e))?;
        let cell = record[value_at].trim();
        let value = match seed.file.as_str() {
            "categories" if year == REPEATED_CATEGORY_YEAR => None,
            "categories" => category_value(cell),
            _ => cell.parse::<f64>().ok(),
        };
        // An empty cell is "not measured": no observation rather than an invented value.
        let Some(value) = value else { continue };
        if !reported.is_empty() && reported.iter().all(|i| record[*i].trim().is_empty()) {
            continue;
        }
        let source = match seed.file.as_str() {
            "mdm" => format!("DNP – Medición de Desempeño Municipal {year}"),
            _ => format!("DNP – anexo del Índice de Desempeño Fiscal, vigencia {year}"),
        };
        out.push((record[code_at].to_string(), year, value, source));
    }
    Ok(out)
}

/// The category as an ordinal value: «E» is 0, «1» to «6» are themselves.
pub fn category_value(text: &str) -> Option<f64> {
    match text.trim() {
        "E" | "e" => Some(0.0),
        digit => digit
            .parse::<u8>()
            .ok()
            .filter(|d| (1..=6).contains(d))
            .map(f64::from),
    }
}
