//! The demo's self-assessments (issue 68): El Paujíl's alcaldía rated itself two quarters ago
//! (validated by the Gobernación del Caquetá's reviewer) and last quarter (submitted, waiting
//! for her), so this quarter's is still open to its liaison.

use super::assessments::{review_in, write_submitted};
use super::instrument;
use crate::entities::municipality;
use crate::error::{AppError, AppResult};
use crate::rows::Found;
use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, EntityTrait};

/// El Paujíl (Caquetá).
pub const PLACE: &str = "18256";

/// The first day of the quarter `back` quarters before the one of `on`.
fn quarter_start(on: NaiveDate, back: i32) -> AppResult<NaiveDate> {
    let index = on.year() * 4 + (super::quarter_of(on) - 1) - back;
    let (year, quarter) = (index.div_euclid(4), index.rem_euclid(4) + 1);
    NaiveDate::from_ymd_opt(year, (quarter as u32 - 1) * 3 + 1, 1)
        .ok_or_else(|| AppError::Internal(format!("el trimestre {quarter} de {year}")))
}

pub async fn load<C: ConnectionTrait>(db: &C, liaison: i32, reviewer: i32) -> AppResult<()> {
    let place = municipality::Entity::find_by_id(PLACE.to_string())
        .found(db)
        .await?;
    let instrument = instrument::current(db).await?;
    let today = crate::time::today();
    // Levels per question, in the instrument's order: the first rating, then the second.
    let first = [2, 1, 1, 2, 2, 1, 2, 2, 1, 1];
    let second = [2, 2, 2, 2, 3, 2, 3, 2, 1, 2];
    let evidence = [
        "Plan de desarrollo 2024-2027 aprobado por el concejo; sin informe de seguimiento.",
        "Acta de la sesión del consejo territorial de planeación.",
        "Base de predial de la secretaría de hacienda, sin depurar.",
        "Estatuto tributario (acuerdo municipal) vigente.",
        "Informe de ejecución presupuestal del trimestre.",
        "Proyectos registrados en el banco de programas y proyectos.",
        "Informe de la audiencia pública de rendición de cuentas.",
        "Sección de transparencia del sitio web de la alcaldía.",
        "EOT vigente; expediente municipal sin actualizar.",
        "Oficio al gestor catastral sobre la actualización.",
    ];
    for (back, levels, validated) in [(2, first, true), (1, second, false)] {
        let on = quarter_start(today, back)? + chrono::Duration::days(20);
        let answers: Vec<super::assessments::CheckedAnswer> = instrument
            .questions()
            .enumerate()
            .map(|(i, q)| {
                (
                    q.id,
                    q.capacity_id,
                    levels[i % levels.len()],
                    evidence[i % evidence.len()].to_string(),
                )
            })
            .collect();
        let id =
            write_submitted(db, liaison, &place, instrument.id, "alcaldia", &answers, on).await?;
        if validated {
            review_in(
                db,
                reviewer,
                id,
                true,
                Some("Evidencias revisadas en la visita de la gobernación.".into()),
            )
            .await?;
        }
    }
    Ok(())
}
