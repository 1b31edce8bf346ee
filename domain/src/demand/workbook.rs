//! The coordinators' views of demand as workbooks: the demand report («Mapa», «Sin atender»,
//! «Más antiguas») and the national overlap report («Traslapes»).

use super::reports::DemandReport;
use crate::cohorts::overlap::Pair;
use crate::error::AppResult;
use crate::spreadsheets::{Cell, Column, ExportBook};

/// Stems of the workbooks' file names (their place and day follow: `reports::named`).
pub const DEMAND_FILE: &str = "demanda-municipal";
pub const OVERLAPS_FILE: &str = "traslapes-de-cohortes";

/// The demand report's workbook (built on a blocking thread).
pub async fn demand(
    report: &DemandReport,
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let (report, generated_by) = (report.clone(), generated_by.to_string());
    crate::blocking::run(move || build_demand(&report, &filters, &generated_by)).await
}

fn build_demand(
    report: &DemandReport,
    filters: &[(String, String)],
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let mut book = ExportBook::new("Demanda municipal de formación", filters, generated_by);
    {
        let mut sheet = book.sheet(
            "Mapa",
            &[
                Column::text("Departamento", 20.0),
                Column::code("Código DANE", 12.0),
                Column::text("Municipio", 26.0),
                Column::text("Capacidad", 30.0),
                Column::integer("Demandas abiertas", 12.0),
                Column::integer("Personas solicitadas", 12.0),
                Column::integer("Cupos planeados", 12.0),
                Column::integer("Personas que aprobaron", 12.0),
                Column::integer("Atendidas", 10.0),
                Column::integer("Declinadas", 10.0),
            ],
        )?;
        for r in &report.items {
            sheet.row(&[
                Cell::Text(r.department_name.clone()),
                Cell::Text(r.municipality_code.clone().unwrap_or_default()),
                Cell::Text(r.municipality_name.clone()),
                Cell::Text(r.capacity_name.clone()),
                Cell::Int(r.open),
                Cell::Int(r.people_requested),
                Cell::Int(r.planned_seats),
                Cell::Int(r.completed),
                Cell::Int(r.met),
                Cell::Int(r.declined),
            ])?;
        }
    }
    {
        let mut sheet = book.sheet(
            "Sin atender",
            &[
                Column::text("Prioridad", 10.0),
                Column::text("Antigüedad", 16.0),
                Column::integer("Abiertas", 10.0),
                Column::integer("Planeadas", 10.0),
                Column::integer("Personas", 10.0),
            ],
        )?;
        for u in &report.unmet {
            sheet.row(&[
                Cell::Text(u.priority.label().into()),
                Cell::Text(u.age.into()),
                Cell::Int(u.open),
                Cell::Int(u.planned),
                Cell::Int(u.people),
            ])?;
        }
    }
    {
        let mut sheet = book.sheet(
            "Más antiguas",
            &[
                Column::date("Registrada", 12.0),
                Column::text("Municipio", 24.0),
                Column::text("Departamento", 18.0),
                Column::text("Capacidad", 28.0),
                Column::text("Tema", 40.0),
                Column::integer("Personas", 10.0),
                Column::text("Prioridad", 10.0),
                Column::text("Respaldada por la gobernación", 14.0),
                Column::text("Sin respuesta hace 60 días o más", 14.0),
                Column::text("Remitida a", 36.0),
            ],
        )?;
        for d in &report.oldest_open {
            sheet.row(&[
                Cell::Date(d.created_at.date_naive()),
                Cell::Text(d.place_name.clone()),
                Cell::Text(d.department_name.clone()),
                Cell::Text(d.capacity_name.clone()),
                Cell::Text(d.topic.clone()),
                Cell::Int(i64::from(d.people_estimate)),
                Cell::Text(d.priority.label().into()),
                Cell::Text(if d.endorsed { "Sí" } else { "No" }.into()),
                Cell::Text(if d.stale { "Sí" } else { "No" }.into()),
                Cell::Text(
                    d.referrals
                        .iter()
                        .map(|r| r.provider.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ])?;
        }
    }
    book.save_to_buffer()
}

fn kind(kind: crate::joint::OfferKind) -> &'static str {
    match kind {
        crate::joint::OfferKind::Cohort => "Cohorte",
        crate::joint::OfferKind::Assistance => "Asistencia técnica",
    }
}

/// The overlap report's workbook (built on a blocking thread).
pub async fn overlaps(
    pairs: &[Pair],
    filters: Vec<(String, String)>,
    generated_by: &str,
) -> AppResult<Vec<u8>> {
    let (pairs, generated_by) = (pairs.to_vec(), generated_by.to_string());
    crate::blocking::run(move || {
        let mut book = ExportBook::new(
            "Cohortes y asistencias técnicas que se traslapan",
            &filters,
            &generated_by,
        );
        {
            let mut sheet = book.sheet(
                "Traslapes",
                &[
                    Column::text("Tipo", 12.0),
                    Column::integer("Número", 9.0),
                    Column::text("Nombre", 36.0),
                    Column::text("Oferente", 28.0),
                    Column::date("Inicio", 12.0),
                    Column::date("Fin", 12.0),
                    Column::text("Tipo de la otra", 12.0),
                    Column::integer("Número de la otra", 9.0),
                    Column::text("Nombre de la otra", 36.0),
                    Column::text("Oferente de la otra", 28.0),
                    Column::date("Inicio de la otra", 12.0),
                    Column::date("Fin de la otra", 12.0),
                    Column::text("Capacidades compartidas", 30.0),
                    Column::text("Lugares compartidos", 30.0),
                    Column::integer("Días en común", 10.0),
                ],
            )?;
            for p in &pairs {
                sheet.row(&[
                    Cell::Text(kind(p.first.kind).into()),
                    Cell::Int(i64::from(p.first.id)),
                    Cell::Text(p.first.name.clone()),
                    Cell::Text(p.first.provider.name.clone()),
                    Cell::Date(p.first.start_date),
                    Cell::Date(p.first.end_date),
                    Cell::Text(kind(p.second.kind).into()),
                    Cell::Int(i64::from(p.second.id)),
                    Cell::Text(p.second.name.clone()),
                    Cell::Text(p.second.provider.name.clone()),
                    Cell::Date(p.second.start_date),
                    Cell::Date(p.second.end_date),
                    Cell::Text(p.capacities.join(", ")),
                    Cell::Text(p.places.join(", ")),
                    Cell::Int(p.overlap_days),
                ])?;
            }
        }
        book.save_to_buffer()
    })
    .await
}
