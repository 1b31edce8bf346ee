//! Loading new years of indicators without a developer: a DNP/TerriData file (`.xlsx` or
//! `.csv`) through the one import pipeline. Two shapes are read, told apart by their headers:
//!
//! - long: `codigo_dane, indicador, anio, valor` (the indicator by its code), one value a row;
//! - wide: `codigo_dane, anio, <code>, <code>…`, one municipality and year a row.
//!
//! Both may carry `fuente` (where the values come from; the indicator's source otherwise) and
//! descriptive columns (`municipio`, `departamento`), which are ignored. Values take a decimal
//! point or a decimal comma; the category takes «E» or 1 to 6. All or nothing, every problem
//! with its row; re-loading the same file changes nothing; real values replace synthetic ones.

use crate::accounts::actor::Actor;
use crate::audit::{self, Change};
use crate::entities::indicator::CATEGORY_UNIT;
use crate::entities::{indicator, indicator_observation, municipality};
use crate::error::{AppError, AppResult, FieldError};
use crate::rows::Rows;
use crate::spreadsheets::{Import, ImportTable};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

pub const COL_CODE: &str = "codigo_dane";
pub const COL_YEAR: &str = "anio";
/// How files title the year: «anio», «Año» (read as `ano`), «vigencia».
const YEAR_HEADERS: &[&str] = &[COL_YEAR, "ano", "vigencia"];
pub const COL_INDICATOR: &str = "indicador";
pub const COL_VALUE: &str = "valor";
pub const COL_SOURCE: &str = "fuente";
/// Descriptive columns a TerriData export carries beside the values: read past.
const DESCRIPTIVE: &[&str] = &[
    "municipio",
    "nombre_municipio",
    "entidad",
    "departamento",
    "nombre_departamento",
    "codigo_departamento",
];
/// Changes a summary lists (the counts cover them all).
pub const LISTED_CHANGES: usize = 100;
/// The earliest year accepted.
const FIRST_YEAR: i32 = 2000;

/// One value as read from the file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RawObservation {
    pub row: usize,
    /// The column the value came from (wide form) or «valor».
    pub column: String,
    pub municipality: String,
    pub indicator: String,
    pub year: String,
    pub value: String,
    pub source: String,
}

/// A value that changes what is recorded.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ObservationChange {
    #[schema(minimum = 2)]
    pub row: usize,
    #[schema(example = "18256")]
    pub municipality_code: String,
    pub municipality_name: String,
    pub indicator: String,
    pub year: i32,
    /// The value recorded before, as people read it; none when new.
    pub before: Option<String>,
    pub after: String,
}

/// What an import of observations would change (dry run) or changed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ObservationImportSummary)]
pub struct ObservationSummary {
    pub dry_run: bool,
    /// Values for a municipality, indicator and year that had none.
    pub created: usize,
    /// Values that replace a different (or synthetic) one.
    pub updated: usize,
    /// Values equal to what is recorded.
    pub unchanged: usize,
    /// The first changes, in file order (at most 100).
    pub changes: Vec<ObservationChange>,
}

/// A checked value and what it does.
pub struct Planned {
    row: usize,
    indicator_id: i32,
    municipality_code: String,
    year: i32,
    value: f64,
    source: String,
    /// The recorded observation it replaces (id, value, source, synthetic).
    existing: Option<(i32, f64, String, bool)>,
}

impl Planned {
    fn changes(&self) -> bool {
        self.existing
            .as_ref()
            .is_none_or(|(_, value, source, synthetic)| {
                *synthetic || (value - self.value).abs() > 1e-9 || *source != self.source
            })
    }
}

pub struct Plan {
    planned: Vec<Planned>,
    summary: ObservationSummary,
}

/// An import of observations, opened: admins and coordinators load indicators.
pub struct ObservationImport<'a> {
    user: &'a Actor,
}

impl<'a> ObservationImport<'a> {
    pub async fn open(user: &'a Actor) -> AppResult<Self> {
        if user.is_staff() {
            Ok(ObservationImport { user })
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl Import for ObservationImport<'_> {
    type Row = RawObservation;
    type Plan = Plan;
    type Summary = ObservationSummary;

    const HEADERS: &'static [&'static str] = &[COL_CODE];

    async fn lock(&self, db: &impl ConnectionTrait) -> AppResult<Self> {
        // Imports of observations take turns (SQLite's writers already do).
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("SELECT pg_advisory_xact_lock(4091015)")
                .await?;
        }
        Ok(ObservationImport { user: self.user })
    }

    async fn rows(
        &self,
        db: &impl ConnectionTrait,
        table: ImportTable,
    ) -> AppResult<Vec<RawObservation>> {
        let Some(year_column) = YEAR_HEADERS.iter().copied().find(|h| table.has(h)) else {
            return Err(AppError::Validation(vec![FieldError::in_row(
                1,
                "file",
                "Falta la columna del año: titúlela «anio» (o «Año», «vigencia»).",
            )]));
        };
        let has_source = table.has(COL_SOURCE);
        let source = |row: &crate::spreadsheets::ImportRow| {
            if has_source {
                row.get(COL_SOURCE).to_string()
            } else {
                String::new()
            }
        };
        if table.has(COL_INDICATOR) || table.has(COL_VALUE) {
            if !(table.has(COL_INDICATOR) && table.has(COL_VALUE)) {
                return Err(AppError::Validation(vec![FieldError::in_row(
                    1,
                    "file",
                    "En formato largo el archivo necesita las columnas «codigo_dane», «indicador», \
                     «anio» y «valor».",
                )]));
            }
            return Ok(table
                .rows
                .iter()
                .map(|row| RawObservation {
                    row: row.number,
                    column: COL_VALUE.to_string(),
                    municipality: row.get(COL_CODE).to_string(),
                    indicator: row.get(COL_INDICATOR).to_string(),
                    year: row.get(year_column).to_string(),
                    value: row.get(COL_VALUE).to_string(),
                    source: source(row),
                })
                .collect());
        }
        // Wide: every other column is an indicator's code.
        let codes: HashSet<String> = indicator::Entity::find().all_mapped(db, |i| i.code).await?;
        let mut value_columns = Vec::new();
        let mut unknown = Vec::new();
        for header in &table.headers {
            if [COL_CODE, COL_SOURCE].contains(&header.as_str())
                || YEAR_HEADERS.contains(&header.as_str())
                || DESCRIPTIVE.contains(&header.as_str())
                || header.is_empty()
            {
                continue;
            }
            if codes.contains(header) {
                value_columns.push(header.clone());
            } else {
                unknown.push(format!("«{header}»"));
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::Validation(vec![FieldError::in_row(
                1,
                "file",
                format!(
                    "Estas columnas no son el código de ningún indicador: {}. Use el código tal \
                     como aparece en la lista de indicadores, o el formato largo (codigo_dane, \
                     indicador, anio, valor).",
                    unknown.join(", ")
                ),
            )]));
        }
        if value_columns.is_empty() {
            return Err(AppError::Validation(vec![FieldError::in_row(
                1,
                "file",
                "El archivo no tiene columnas de indicadores: en formato ancho, después de \
                 «codigo_dane» y «anio» va una columna por indicador, titulada con su código.",
            )]));
        }
        let mut out = Vec::new();
        for row in &table.rows {
            for column in &value_columns {
                let value = row.get(column);
                // An empty cell is a value not measured: nothing to load.
                if value.is_empty() {
                    continue;
                }
                out.push(RawObservation {
                    row: row.number,
                    column: column.clone(),
                    municipality: row.get(COL_CODE).to_string(),
                    indicator: column.clone(),
                    year: row.get(year_column).to_string(),
                    value: value.to_string(),
                    source: source(row),
                });
            }
        }
        Ok(out)
    }

    async fn plan(&self, db: &impl ConnectionTrait, rows: Vec<RawObservation>) -> AppResult<Plan> {
        check(db, rows).await
    }

    fn preview(&self, plan: Plan) -> ObservationSummary {
        plan.summary
    }

    async fn save(&self, db: &impl ConnectionTrait, plan: Plan) -> AppResult<ObservationSummary> {
        let mut created = Vec::new();
        // (indicator, year) → (before, after) of the values changed, for the audit log.
        let mut audited: BTreeMap<(i32, i32), (serde_json::Map<_, _>, serde_json::Map<_, _>)> =
            BTreeMap::new();
        for p in plan.planned.into_iter().filter(Planned::changes) {
            let entry = audited.entry((p.indicator_id, p.year)).or_default();
            entry.1.insert(p.municipality_code.clone(), p.value.into());
            match p.existing {
                None => created.push(super::NewObservation {
                    indicator_id: p.indicator_id,
                    municipality_code: p.municipality_code,
                    year: p.year,
                    value: p.value,
                    source: p.source,
                    synthetic: false,
                }),
                Some((id, before, _, _)) => {
                    entry.0.insert(p.municipality_code.clone(), before.into());
                    indicator_observation::Entity::update(indicator_observation::ActiveModel {
                        id: Set(id),
                        value: Set(p.value),
                        source: Set(p.source),
                        synthetic: Set(false),
                        ..Default::default()
                    })
                    .exec(db)
                    .await?;
                }
            }
        }
        super::insert_observations(db, created).await?;
        super::changed(db).await?;
        audit::record_many(
            db,
            audited
                .into_iter()
                .map(|((indicator_id, year), (before, after))| Change {
                    actor: Some(self.user.id),
                    action: "indicator_observations.imported",
                    subject_type: "indicator",
                    subject_id: format!("{indicator_id}/{year}"),
                    before: (!before.is_empty()).then_some(serde_json::Value::Object(before)),
                    after: Some(serde_json::Value::Object(after)),
                })
                .collect(),
        )
        .await?;
        Ok(ObservationSummary {
            dry_run: false,
            ..plan.summary
        })
    }
}

/// A value as typed: a decimal point or comma (with `.` as thousands separator when there is a
/// comma); the category as «E» or 1 to 6.
fn parse_value(text: &str, unit: &str) -> Result<f64, String> {
    if unit == CATEGORY_UNIT {
        return super::category_value(text).ok_or_else(|| {
            format!("«{text}» no es una categoría: escriba E o un número de 1 a 6.")
        });
    }
    let cleaned: String = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else {
        text.to_string()
    };
    let value: f64 = cleaned
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("«{text}» no es un número."))?;
    if unit.contains("0 a 100") && !(0.0..=100.0).contains(&value) {
        return Err(format!(
            "{} está fuera de la escala de 0 a 100.",
            crate::format::decimal(value, 2)
        ));
    }
    Ok(value)
}

async fn check<C: ConnectionTrait>(db: &C, rows: Vec<RawObservation>) -> AppResult<Plan> {
    let indicators: HashMap<String, indicator::Model> = indicator::Entity::find()
        .all_mapped(db, |i| (i.code.clone(), i))
        .await?;
    let names = municipality_names(db, &rows).await?;
    let (mut errors, planned) = checked_rows(rows, &indicators, &names);
    errors.sort_by_key(|e| e.row);
    let mut planned =
        crate::spreadsheets::all_or_nothing(errors, planned, "El archivo no tiene ningún valor.")?;
    let recorded = recorded_observations(db, &planned).await?;
    let summary = compared(&mut planned, &recorded, &indicators, &names);
    Ok(Plan { planned, summary })
}

/// The names of the municipalities the file names that exist, by DANE code.
async fn municipality_names<C: ConnectionTrait>(
    db: &C,
    rows: &[RawObservation],
) -> AppResult<HashMap<String, String>> {
    let codes: HashSet<String> = rows
        .iter()
        .map(|r| crate::territory::normalize_municipality_code(&r.municipality))
        .collect();
    let mut names: HashMap<String, String> = HashMap::new();
    let codes: Vec<String> = codes.into_iter().collect();
    for chunk in codes.chunks(crate::bulk::INSERT_CHUNK) {
        for m in municipality::Entity::find()
            .filter(municipality::Column::Code.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            names.insert(m.code, m.name);
        }
    }
    Ok(names)
}

/// Every row checked: the problems found (unsorted) and the values to write.
fn checked_rows(
    rows: Vec<RawObservation>,
    indicators: &HashMap<String, indicator::Model>,
    names: &HashMap<String, String>,
) -> (Vec<FieldError>, Vec<Planned>) {
    let this_year = chrono::Datelike::year(&crate::time::today());
    let mut errors = Vec::new();
    let mut seen: HashMap<(i32, String, i32), usize> = HashMap::new();
    let mut planned = Vec::new();
    for raw in rows {
        let Some((code, indicator, year, value)) =
            checked_row(&raw, indicators, names, this_year, &mut errors)
        else {
            continue;
        };
        if let Some(first) = seen.insert((indicator.id, code.clone(), year), raw.row) {
            errors.push(FieldError::in_row(
                raw.row,
                &raw.column,
                format!(
                    "El valor de {} para {} en {year} ya está en la fila {first}.",
                    indicator.code,
                    names.get(&code).map_or(code.as_str(), String::as_str)
                ),
            ));
            continue;
        }
        let source = if raw.source.trim().is_empty() {
            indicator.source.clone()
        } else {
            raw.source.trim().chars().take(200).collect()
        };
        planned.push(Planned {
            row: raw.row,
            indicator_id: indicator.id,
            municipality_code: code,
            year,
            value,
            source,
            existing: None,
        });
    }
    (errors, planned)
}

/// One row's municipality code, indicator, year and value, or its problems added to `errors`.
fn checked_row<'a>(
    raw: &RawObservation,
    indicators: &'a HashMap<String, indicator::Model>,
    names: &HashMap<String, String>,
    this_year: i32,
    errors: &mut Vec<FieldError>,
) -> Option<(String, &'a indicator::Model, i32, f64)> {
    let mut problems = Vec::new();
    let code = crate::territory::normalize_municipality_code(&raw.municipality);
    if code.is_empty() {
        problems.push(FieldError::in_row(
            raw.row,
            COL_CODE,
            "Falta el código DANE del municipio.",
        ));
    } else if !names.contains_key(&code) {
        problems.push(FieldError::in_row(
            raw.row,
            COL_CODE,
            format!("No existe un municipio con código DANE «{code}»."),
        ));
    }
    let indicator = indicators.get(raw.indicator.trim());
    if indicator.is_none() {
        problems.push(FieldError::in_row(
            raw.row,
            COL_INDICATOR,
            if raw.indicator.trim().is_empty() {
                "Falta el código del indicador.".to_string()
            } else {
                format!(
                    "No existe un indicador con código «{}».",
                    raw.indicator.trim()
                )
            },
        ));
    }
    let year = raw
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (FIRST_YEAR..=this_year).contains(y));
    if year.is_none() {
        problems.push(FieldError::in_row(
            raw.row,
            COL_YEAR,
            format!(
                "«{}» no es un año entre {FIRST_YEAR} y {this_year}.",
                raw.year.trim()
            ),
        ));
    }
    let value = indicator.map(|i| parse_value(raw.value.trim(), &i.unit));
    if let Some(Err(message)) = &value {
        problems.push(FieldError::in_row(raw.row, &raw.column, message.clone()));
    }
    if !problems.is_empty() {
        errors.extend(problems);
        return None;
    }
    let (Some(indicator), Some(year), Some(Ok(value))) = (indicator, year, value) else {
        return None;
    };
    Some((code, indicator, year, value))
}

/// What is recorded for the indicators and years of the file.
async fn recorded_observations<C: ConnectionTrait>(
    db: &C,
    planned: &[Planned],
) -> AppResult<HashMap<(i32, String, i32), indicator_observation::Model>> {
    let indicator_ids: Vec<i32> = planned
        .iter()
        .map(|p| p.indicator_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let years: Vec<i32> = planned
        .iter()
        .map(|p| p.year)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    Ok(indicator_observation::Entity::find()
        .filter(indicator_observation::Column::IndicatorId.is_in(indicator_ids))
        .filter(indicator_observation::Column::Year.is_in(years))
        .all_mapped(db, |o| {
            ((o.indicator_id, o.municipality_code.clone(), o.year), o)
        })
        .await?)
}

/// Marks each planned value with what is recorded for it and counts (and lists the first of)
/// the values the import creates, updates or leaves unchanged.
fn compared(
    planned: &mut [Planned],
    recorded: &HashMap<(i32, String, i32), indicator_observation::Model>,
    indicators: &HashMap<String, indicator::Model>,
    names: &HashMap<String, String>,
) -> ObservationSummary {
    let by_id: HashMap<i32, &indicator::Model> = indicators.values().map(|i| (i.id, i)).collect();
    let mut summary = ObservationSummary {
        dry_run: true,
        created: 0,
        updated: 0,
        unchanged: 0,
        changes: Vec::new(),
    };
    for p in planned.iter_mut() {
        p.existing = recorded
            .get(&(p.indicator_id, p.municipality_code.clone(), p.year))
            .map(|o| (o.id, o.value, o.source.clone(), o.synthetic));
        if !p.changes() {
            summary.unchanged += 1;
            continue;
        }
        if p.existing.is_some() {
            summary.updated += 1;
        } else {
            summary.created += 1;
        }
        if summary.changes.len() < LISTED_CHANGES {
            let indicator = by_id[&p.indicator_id];
            summary.changes.push(ObservationChange {
                row: p.row,
                municipality_code: p.municipality_code.clone(),
                municipality_name: names.get(&p.municipality_code).cloned().unwrap_or_default(),
                indicator: indicator.name.clone(),
                year: p.year,
                before: p.existing.as_ref().map(|(_, v, _, synthetic)| {
                    let text = super::display(&indicator.unit, *v);
                    if *synthetic {
                        format!("{text} (sintético)")
                    } else {
                        text
                    }
                }),
                after: super::display(&indicator.unit, p.value),
            });
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_a_point_or_a_comma_and_scores_stay_in_their_scale() {
        assert_eq!(parse_value("49.4386", "puntaje de 0 a 100"), Ok(49.4386));
        assert_eq!(parse_value("49,4386", "puntaje de 0 a 100"), Ok(49.4386));
        assert_eq!(parse_value("1.234,5", "pesos"), Ok(1234.5));
        assert!(parse_value("101", "puntaje de 0 a 100").is_err());
        assert!(parse_value("abc", "pesos").is_err());
        assert!(parse_value("NaN", "pesos").is_err());
        assert_eq!(parse_value("E", CATEGORY_UNIT), Ok(0.0));
        assert_eq!(parse_value("6", CATEGORY_UNIT), Ok(6.0));
        assert!(parse_value("7", CATEGORY_UNIT).is_err());
    }
}
