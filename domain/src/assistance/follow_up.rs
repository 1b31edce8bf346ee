//! A provider's monthly follow-up of its assistances by milestone (issue 49, item 6), in the
//! shape of the monthly report providers already send (SETA's «seguimiento por hitos»): one row
//! per assistance × milestone (an assistance without milestones: one row), with the
//! milestone's planned and actual dates and its state at the end of the month, and the
//! assistance's visits in the month. The assistances are those running during the month
//! (their span overlaps it), of the caller's provider for a coordinator (within its direction's
//! departments), of any provider or the one asked for an admin.

use super::{AssistanceScope, AssistanceView};
use crate::accounts::actor::Actor;
use crate::entities::{assistance, assistance_visit, imported_record};
use crate::error::{AppError, AppResult};
use crate::plans::progress::Period;
use crate::spreadsheets::{Cell, Column, ExportBook};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// At most this many assistances in one report.
const MAX_ASSISTANCES: u64 = 5_000;

/// The month of a report: `AAAA-MM` (422 otherwise); none, the current month.
pub fn month_of(text: Option<&str>) -> AppResult<Period> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            let today = crate::time::today();
            Ok(Period::Month(
                chrono::Datelike::year(&today),
                chrono::Datelike::month(&today),
            ))
        }
        Some(text) => match Period::parse(text) {
            Some(month @ Period::Month(..)) => Ok(month),
            _ => Err(AppError::invalid(
                "month",
                format!("«{text}» no es un mes: escríbalo como AAAA-MM (por ejemplo 2026-06)."),
            )),
        },
    }
}

/// The file's name.
pub fn file_name(month: Period) -> String {
    format!("seguimiento-asistencias-{}.xlsx", month.key())
}

/// A milestone's state at the end of the month.
fn state(
    due_on: NaiveDate,
    done_on: Option<NaiveDate>,
    first: NaiveDate,
    last: NaiveDate,
) -> &'static str {
    match done_on.filter(|d| *d <= last) {
        Some(done) if done >= first => "Cumplido en el mes",
        Some(_) => "Cumplido antes",
        None if due_on < first => "Vencido",
        None if due_on <= last => "Vence en el mes",
        None => "Pendiente",
    }
}

/// The report as a workbook: `provider` narrows an admin's (a coordinator's is always its own
/// provider's).
pub async fn workbook<C: ConnectionTrait>(
    db: &C,
    user: &Actor,
    provider: Option<i32>,
    month: Period,
) -> AppResult<Vec<u8>> {
    if !user.is_staff() {
        return Err(AppError::Forbidden);
    }
    let (first, last) = (month.first_day(), month.last_day());
    let provider = user.managed_provider().or(provider);
    let mut select = assistance::Entity::find()
        .filter(AssistanceScope::of(user)?.condition())
        .filter(assistance::Column::StartsOn.lte(last))
        .filter(assistance::Column::EndsOn.gte(first));
    if let Some(p) = provider {
        select = select.filter(assistance::Column::ProviderId.eq(p));
    }
    let rows = select
        .order_by_asc(assistance::Column::MunicipalityCode)
        .order_by_asc(assistance::Column::Id)
        .limit(MAX_ASSISTANCES)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|a| a.id).collect();
    let mut references: HashMap<i32, String> = HashMap::new();
    let mut visits: HashMap<i32, i64> = HashMap::new();
    for chunk in ids.chunks(crate::bulk::INSERT_CHUNK) {
        for r in imported_record::Entity::find()
            .filter(imported_record::Column::AssistanceId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(id) = r.assistance_id {
                references.insert(id, r.reference);
            }
        }
        for v in assistance_visit::Entity::find()
            .filter(assistance_visit::Column::AssistanceId.is_in(chunk.to_vec()))
            .filter(assistance_visit::Column::Date.between(first, last))
            .all(db)
            .await?
        {
            *visits.entry(v.assistance_id).or_default() += 1;
        }
    }
    let views = super::views(db, rows).await?;
    let mut filters = vec![("Mes".to_string(), month.label())];
    if let Some(p) = provider {
        filters.push((
            "Oferente".to_string(),
            crate::providers::get(db, p).await?.name,
        ));
    }
    let generated_by = user.full_name.clone();
    crate::blocking::run(move || {
        let mut book = ExportBook::new(
            "Seguimiento mensual de asistencia técnica por hitos",
            &filters,
            &generated_by,
        );
        {
            let mut sheet = book.sheet(
                "Seguimiento",
                &[
                    Column::text("Referencia", 16.0),
                    Column::integer("Asistencia", 9.0),
                    Column::text("Oferente", 24.0),
                    Column::code("Código DANE", 10.0),
                    Column::text("Municipio", 22.0),
                    Column::text("Entidad", 22.0),
                    Column::text("Capacidades", 30.0),
                    Column::text("Estado de la asistencia", 14.0),
                    Column::integer("Visitas en el mes", 9.0),
                    Column::text("Hito", 34.0),
                    Column::date("Fecha planeada", 12.0),
                    Column::date("Fecha real", 12.0),
                    Column::text("Estado del hito", 18.0),
                ],
            )?;
            for a in &views {
                let head = |a: &AssistanceView| -> Vec<Cell> {
                    vec![
                        references
                            .get(&a.id)
                            .map_or(Cell::Empty, |r| Cell::Text(r.clone())),
                        Cell::Int(i64::from(a.id)),
                        Cell::Text(a.provider.name.clone()),
                        a.municipality_code.clone().map_or(Cell::Empty, Cell::Text),
                        Cell::Text(a.place_name.clone()),
                        Cell::Text(a.entity_label.to_string()),
                        Cell::Text(
                            a.capacities
                                .iter()
                                .map(|c| c.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        Cell::Text(a.status_label.to_string()),
                        Cell::Int(visits.get(&a.id).copied().unwrap_or(0)),
                    ]
                };
                if a.milestones.is_empty() {
                    let mut cells = head(a);
                    cells.extend([
                        Cell::Text("Sin hitos en el plan".into()),
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                    ]);
                    sheet.row(&cells)?;
                }
                for m in &a.milestones {
                    let mut cells = head(a);
                    cells.extend([
                        Cell::Text(m.title.clone()),
                        Cell::Date(m.due_on),
                        m.done_on
                            .filter(|d| *d <= last)
                            .map_or(Cell::Empty, Cell::Date),
                        Cell::Text(state(m.due_on, m.done_on, first, last).to_string()),
                    ]);
                    sheet.row(&cells)?;
                }
            }
        }
        book.save_to_buffer()
    })
    .await
}
