//! Filters as people read them (issue 45): names instead of codes and ids — «Departamento:
//! Caquetá · Municipio: Puerto Rico · Cohorte: Planeación Territorial · Caquetá 2026», dates
//! as `22 nov. 2026` — on report pages and in the header block of workbooks; and the file
//! name of a workbook with its scope and the day it was drawn
//! (`informe-asistencia-caqueta-2026-11-26.xlsx`).

use crate::entities::{capacity, cohort, course, department, municipality, provider};
use crate::error::AppResult;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait};

/// One filter in force, with its raw value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    Department(String),
    Municipality(String),
    Cohort(i32),
    Course(i32),
    Capacity(i32),
    Provider(i32),
    From(NaiveDate),
    To(NaiveDate),
    /// Anything already in words: (what, value).
    Text(&'static str, String),
}

/// The filters as (what, value) pairs with names: a code or id that names nothing any more
/// is shown as it is.
pub async fn describe<C: ConnectionTrait>(
    db: &C,
    filters: &[Filter],
) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(filters.len());
    for filter in filters {
        let (what, value) = match filter {
            Filter::Department(code) => (
                "Departamento",
                department::Entity::find_by_id(code.clone())
                    .one(db)
                    .await?
                    .map_or_else(|| code.clone(), |d| d.name),
            ),
            Filter::Municipality(code) => (
                "Municipio",
                match municipality::Entity::find_by_id(code.clone())
                    .one(db)
                    .await?
                {
                    Some(m) => {
                        let department = crate::territory::department_name(db, &m.department_code)
                            .await
                            .unwrap_or_default();
                        if department.is_empty() {
                            m.name
                        } else {
                            format!("{} ({department})", m.name)
                        }
                    }
                    None => code.clone(),
                },
            ),
            Filter::Cohort(id) => (
                "Cohorte",
                cohort::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .map_or_else(|| id.to_string(), |c| c.name),
            ),
            Filter::Course(id) => (
                "Curso",
                course::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .map_or_else(|| id.to_string(), |c| c.name),
            ),
            Filter::Capacity(id) => (
                "Capacidad",
                capacity::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .map_or_else(|| id.to_string(), |c| c.name),
            ),
            Filter::Provider(id) => (
                "Oferente",
                provider::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .map_or_else(|| id.to_string(), |p| p.name),
            ),
            Filter::From(day) => ("Desde", crate::format::date(*day)),
            Filter::To(day) => ("Hasta", crate::format::date(*day)),
            Filter::Text(what, value) => (*what, value.clone()),
        };
        out.push((what.to_string(), value));
    }
    Ok(out)
}

/// A workbook's file name: what it is, its place (the municipality or department described,
/// else «colombia») and the day, in lower case ASCII: `informe-asistencia-caqueta-2026-11-26.xlsx`.
pub fn file_name(stem: &str, described: &[(String, String)], day: NaiveDate) -> String {
    let place = described
        .iter()
        .find(|(what, _)| what == "Municipio")
        .or_else(|| described.iter().find(|(what, _)| what == "Departamento"))
        .map(|(_, name)| name.split(" (").next().unwrap_or(name).to_string())
        .unwrap_or_else(|| "colombia".to_string());
    format!("{stem}-{}-{}.xlsx", slug(&place), day.format("%Y-%m-%d"))
}

/// Lower case ASCII words joined by dashes: «San José del Fragua» → `san-jose-del-fragua`.
pub fn slug(text: &str) -> String {
    crate::text::fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Today in Bogotá, for file names.
pub fn today() -> NaiveDate {
    crate::time::local(crate::time::now()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_place_and_the_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let caqueta = vec![("Departamento".to_string(), "Caquetá".to_string())];
        assert_eq!(
            file_name("participantes", &caqueta, day),
            "participantes-caqueta-2026-11-26.xlsx"
        );
        let place = vec![
            ("Departamento".to_string(), "Caquetá".to_string()),
            (
                "Municipio".to_string(),
                "San José del Fragua (Caquetá)".to_string(),
            ),
        ];
        assert_eq!(
            file_name("informe-asistencia", &place, day),
            "informe-asistencia-san-jose-del-fragua-2026-11-26.xlsx"
        );
        assert_eq!(
            file_name("oferta", &[], day),
            "oferta-colombia-2026-11-26.xlsx"
        );
        assert_eq!(slug("Bogotá, D.C."), "bogota-d-c");
    }
}
