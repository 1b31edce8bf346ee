//! Pages for indicators and impact (issue 15), one file per screen: a municipality's training
//! beside its indicators (`municipality`: `/municipios/<code>`), ESAP's comparison
//! (`comparison`: `/reportes/impacto`, and its Excel file), «¿Dónde formar?» (`priorities`:
//! `/reportes/prioridades`, from which a coordinator starts a cohort with the chosen
//! municipalities) and the indicators themselves (`list`: `/indicadores`, the administrator's
//! edits of names and capacity links, and the import of new years).

use crate::accounts::guards::{AdminUser, MunicipalityReader, ReportReader, StaffUser};
use crate::error::{AppResult, DomainResult};
use crate::spreadsheets::download::Download;
use crate::web::csrf::{CsrfForm, csrf_protected};
use crate::web::import::{DraftUploadForm, KeptOutcome};
use crate::web::{DepartmentChoice, IdChoice as Choice, KeptKey, Page};
use crate::web::{Failure, PageResult};
use domain::error::{AppError, FieldError};
use domain::indicators::chart::series_chart;
use domain::indicators::impact::{
    CapacityImpact, Comparison, ComparisonQuery, IndicatorSeries, Preset, Unit,
};
use domain::indicators::import::{ObservationImport, ObservationSummary};
use domain::indicators::priorities::{Priorities, PriorityQuery};
use domain::indicators::{IndicatorInput, IndicatorView};
use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;

mod comparison;
mod list;
mod municipality;
mod priorities;

use comparison::*;
use list::*;
use municipality::*;
use priorities::*;

pub fn routes() -> Vec<Route> {
    routes![
        municipality_page,
        comparison_page,
        comparison_download,
        priorities_page,
        priorities_download,
        indicators_page,
        indicator_submit,
        import_submit
    ]
}

/// Capacities for a select, by their order.
async fn capacity_choices(
    db: &DatabaseConnection,
    selected: Option<i32>,
) -> DomainResult<Vec<Choice>> {
    Ok(domain::capacities::in_order(db)
        .await?
        .into_iter()
        .map(|c| Choice {
            selected: Some(c.id) == selected,
            id: c.id,
            name: c.name,
        })
        .collect())
}

fn signed(change: f64, places: usize) -> String {
    let text = domain::format::decimal(change, places);
    if change > 0.0 && !text.starts_with('-') && text != domain::format::decimal(0.0, places) {
        format!("+{text}")
    } else {
        text
    }
}
