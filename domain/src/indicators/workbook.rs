//! ESAP's comparison as a workbook: «Grupos», «Estratos», «Municipios», each with the caveat
//! in its header block; and «¿Dónde formar?» (issue 45): the whole ranking, with its reasons
//! and whether the percentile is of a synthetic value.

use super::impact::{Comparison, Group};
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook, SheetWriter};

pub const COMPARISON_FILE: &str = "comparacion-impacto.xlsx";
/// Stem of «¿Dónde formar?»'s file name (its place and day follow: `reports::named`).
pub const PRIORITIES_FILE: &str = "donde-formar";

/// «¿Dónde formar?» as a workbook: one row per municipality ranked, as the page shows it
/// (built on a blocking thread).
pub async fn priorities(
    ranked: &super::priorities::Priorities,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let (ranked, generated_by) = (ranked.clone(), generated_by.to_string());
    crate::blocking::run(move || build_priorities(&ranked, &filters, &generated_by)).await
}

fn build_priorities(
    ranked: &super::priorities::Priorities,
    filters: &[(String, String)],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let period = format!("{}–{}", ranked.recent_from, ranked.recent_to);
    let mut book = ExportBook::new("¿Dónde formar?", filters, generated_by);
    let notes = vec![
        "Puntaje de 0 a 100: PDET (20), categoría 6 (15) o 5 (10), debilidad en los indicadores de la capacidad frente al país (hasta 30), poco recibido en los dos últimos años (20 o 10) y demanda abierta de la alcaldía (10 o 15).".to_string(),
        "El percentil es el de la última medición real del municipio (0 = el más débil del país ese año). Un valor sintético (bases de demostración y de prueba) solo cuenta donde no hay medición real, y se marca.".to_string(),
        ranked.weighting.clone(),
    ];
    let mut sheet = book.sheet_with_notes(
        "Municipios",
        &notes,
        &[
            Column::integer("Puesto", 8.0),
            Column::code("Código DANE", 12.0),
            Column::text("Municipio", 26.0),
            Column::text("Departamento", 20.0),
            Column::decimal("Puntaje", 9.0, 1),
            Column::text("PDET", 7.0),
            Column::text("Subregión PDET", 28.0),
            Column::text("Categoría", 10.0),
            Column::decimal("Percentil más débil", 11.0, 0),
            Column::text("Indicador (año)", 40.0),
            Column::text("Valor sintético (no real)", 12.0),
            Column::integer(format!("Aprobaron en {period}"), 12.0),
            Column::integer(format!("Asistencias técnicas en {period}"), 12.0),
            Column::integer("Personas en demanda abierta", 12.0),
            Column::text("Razones", 70.0),
        ],
    )?;
    for r in &ranked.items {
        sheet.row(&[
            Cell::Int(r.rank as i64),
            Cell::Text(r.municipality_code.clone()),
            Cell::Text(r.municipality_name.clone()),
            Cell::Text(r.department_name.clone()),
            Cell::Number(r.score),
            yes_no(r.pdet),
            r.pdet_subregion.clone().into(),
            r.category.clone().into(),
            r.indicator_percentile
                .map_or_else(|| Cell::Text("sin medición".into()), Cell::Number),
            r.weakest_indicator.clone().into(),
            if r.indicator_percentile.is_some() {
                yes_no(r.weakest_synthetic)
            } else {
                Cell::Empty
            },
            Cell::Int(r.completed_recent),
            Cell::Int(r.assistances_recent),
            Cell::Int(r.open_demand_people),
            Cell::Text(r.reasons.join("; ")),
        ])?;
    }
    book.save_to_buffer()
}

/// The workbook of a comparison (built on a blocking thread).
pub async fn comparison(comparison: &Comparison, generated_by: &str) -> AppResult<Vec<u8>> {
    let (comparison, generated_by) = (comparison.clone(), generated_by.to_string());
    crate::blocking::run(move || build(&comparison, &generated_by)).await
}

fn group_columns() -> Vec<Column> {
    vec![
        Column::text("Grupo", 30.0),
        Column::integer("Municipios", 11.0),
        Column::decimal("Mediana del cambio", 14.0, 2),
        Column::decimal("Media del cambio", 14.0, 2),
        Column::text("Menos de 5 municipios", 12.0),
        Column::integer("Costo ejecutado (pesos)", 16.0),
        Column::integer("Formación (pesos)", 14.0),
        Column::integer("Asistencia técnica (pesos)", 14.0),
        Column::integer("Formación de replicadores (pesos)", 14.0),
        Column::integer("Costo por municipio con costo (pesos)", 16.0),
        Column::integer("Costo por persona certificada (pesos)", 16.0),
        Column::integer("Costo por punto de cambio (pesos)", 16.0),
        Column::text("Municipios sin costo registrado (excluidos)", 40.0),
    ]
}

fn group_cells(g: &Group) -> Vec<Cell> {
    vec![
        Cell::Text(g.label.clone()),
        Cell::Int(g.municipalities as i64),
        g.median_change.map_or(Cell::Empty, Cell::Number),
        g.mean_change.map_or(Cell::Empty, Cell::Number),
        Cell::Text(
            if g.small {
                "Sí: lea con cuidado"
            } else {
                "No"
            }
            .into(),
        ),
        Cell::Int(g.cost.executed),
        Cell::Int(g.cost.training),
        Cell::Int(g.cost.assistance),
        Cell::Int(g.cost.replicas),
        g.cost.per_municipality.map_or(Cell::Empty, Cell::Int),
        g.cost.per_person_certified.map_or(Cell::Empty, Cell::Int),
        g.cost.per_point_of_change.map_or(Cell::Empty, Cell::Int),
        Cell::Text(g.cost.municipalities_without_cost.join(", ")),
    ]
}

fn yes_no(value: bool) -> Cell {
    Cell::Text(if value { "Sí" } else { "No" }.into())
}

fn build(c: &Comparison, generated_by: &str) -> AppResult<Vec<u8>> {
    let filters = vec![
        ("Capacidad".to_string(), super::impact::capacity_label(c)),
        ("Indicador".to_string(), c.indicator_name.clone()),
        (
            "Años".to_string(),
            format!("{} a {}", c.from_year, c.to_year),
        ),
        (
            "Umbral".to_string(),
            format!(
                "{} {} en {} antes de {}",
                c.threshold,
                c.unit.nouns().1,
                if c.capacity.is_some() {
                    "la capacidad"
                } else {
                    "cualquier capacidad"
                },
                c.to_year
            ),
        ),
    ];
    let mut book = ExportBook::new(
        "Formación e indicadores: comparación",
        &filters,
        generated_by,
    );
    let notes = vec![c.caveat.clone()];
    let group_notes = vec![c.caveat.clone(), super::impact::COST_METHOD.to_string()];
    {
        let mut sheet = book.sheet_with_notes("Grupos", &group_notes, &group_columns())?;
        for g in &c.groups {
            sheet.row(&group_cells(g))?;
        }
    }
    {
        let mut columns = vec![Column::text("Categoría", 10.0), Column::text("PDET", 7.0)];
        columns.extend(group_columns());
        let mut sheet: SheetWriter<'_> =
            book.sheet_with_notes("Estratos", &group_notes, &columns)?;
        for s in &c.strata {
            for g in &s.groups {
                let mut cells = vec![
                    Cell::Text(s.category.clone().unwrap_or_else(|| "Sin categoría".into())),
                    yes_no(s.pdet),
                ];
                cells.extend(group_cells(g));
                sheet.row(&cells)?;
            }
        }
    }
    {
        let mut sheet = book.sheet_with_notes(
            "Municipios",
            &notes,
            &[
                Column::code("Código DANE", 12.0),
                Column::text("Municipio", 28.0),
                Column::text("Departamento", 20.0),
                Column::text("Categoría", 10.0),
                Column::text("PDET", 7.0),
                Column::integer("Aprobaciones antes del año final", 14.0),
                Column::integer("Asistencias técnicas cerradas antes del año final", 14.0),
                Column::decimal(format!("Valor {}", c.from_year), 12.0, 2),
                Column::decimal(format!("Valor {}", c.to_year), 12.0, 2),
                Column::decimal("Cambio", 10.0, 2),
                Column::text("Valor sintético (no real)", 12.0),
            ],
        )?;
        for r in &c.rows {
            sheet.row(&[
                Cell::Text(r.municipality_code.clone()),
                Cell::Text(r.municipality_name.clone()),
                Cell::Text(r.department_name.clone()),
                r.category.clone().into(),
                yes_no(r.pdet),
                Cell::Int(r.completed),
                Cell::Int(r.assistances),
                Cell::Number(r.from_value),
                Cell::Number(r.to_value),
                Cell::Number(r.change),
                yes_no(r.synthetic),
            ])?;
        }
    }
    book.save_to_buffer()
}
