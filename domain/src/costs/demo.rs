//! The demo's costs (issue 47): what the Meta planning cohort and ESAP's Mapiripán
//! accompaniment cost against the Meta plan's territorial planning line.

use super::items::{Target, answerable_lines};
use crate::accounts::demo::Accounts;
use crate::entities::values::{AssistanceStatus, CostBasis, CostKind, CostStage};
use crate::entities::{assistance, cohort, cost_item};
use crate::error::{AppError, AppResult};
use crate::time::{now, today};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// A demo cost item: (cohort, assistance, plan line, kind, basis, amount, stage, date,
/// description, author).
type CostRow = (
    Option<i32>,
    Option<i32>,
    Option<i32>,
    CostKind,
    CostBasis,
    i64,
    CostStage,
    NaiveDate,
    &'static str,
    i32,
);

/// Issue 47's demo costs: the Meta planning cohort (`meta_cohort`) and ESAP's Mapiripán
/// accompaniment answer the Meta plan's territorial planning line (instructors per session,
/// the venue, materials per participant, the trips per visit — executed; the platform
/// committed), so its «Avance» shows the budget's execution and the cost per person
/// certified; `budget_cohort` (Gestión Presupuestal · Meta) carries a planned venue that
/// answers no line. A line is named only where the rules would accept it
/// (`costs::items::answerable_lines`: a demo loaded in January has last year's cohorts).
pub async fn load<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    budget_cohort: i32,
    meta_cohort: i32,
) -> AppResult<()> {
    let cohort_of = |id: i32| async move {
        cohort::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: falta la cohorte {id}")))
    };
    let mapiripan = assistance::Entity::find()
        .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
        .filter(assistance::Column::MunicipalityCode.eq("50325"))
        .filter(assistance::Column::Status.eq(AssistanceStatus::Closed))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la asistencia de Mapiripán".into()))?;
    let meta = cohort_of(meta_cohort).await?;
    let budget = cohort_of(budget_cohort).await?;
    // The territorial planning line (the Meta plan's only line a planning activity answers).
    let line_of = |target: Target| async move {
        Ok::<_, AppError>(
            answerable_lines(db, &target)
                .await?
                .into_iter()
                .find(|l| l.label.contains("Meta"))
                .map(|l| l.id),
        )
    };
    let meta_line = line_of(Target::Cohort(meta.clone())).await?;
    let mapiripan_line = line_of(Target::Assistance(mapiripan.clone())).await?;
    let rows = rows(
        accounts,
        &meta,
        &mapiripan,
        &budget,
        meta_line,
        mapiripan_line,
    );
    let at = now();
    for (cohort_id, assistance_id, line, kind, basis, amount, stage, on, note, by) in rows {
        cost_item::Entity::insert(cost_item::ActiveModel {
            provider_id: Set(crate::providers::ESAP),
            cohort_id: Set(cohort_id),
            assistance_id: Set(assistance_id),
            plan_line_id: Set(line),
            kind: Set(kind),
            basis: Set(basis),
            amount: Set(amount),
            stage: Set(stage),
            incurred_on: Set(on),
            description: Set(Some(note.to_string())),
            reference: Set(None),
            created_by: Set(Some(by)),
            created_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The demo's cost items of `meta` and `mapiripan` (on their plan lines) and of `budget`.
fn rows(
    accounts: &Accounts,
    meta: &cohort::Model,
    mapiripan: &assistance::Model,
    budget: &cohort::Model,
    meta_line: Option<i32>,
    mapiripan_line: Option<i32>,
) -> [CostRow; 7] {
    let day = today();
    let meta_end = meta.end_date.min(day);
    [
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Instructores,
            CostBasis::PorSesion,
            1_800_000,
            CostStage::Ejecutado,
            meta_end,
            "Honorarios de dos instructores por sesión",
            accounts.coordinator_meta,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Sede,
            CostBasis::Fijo,
            4_500_000,
            CostStage::Ejecutado,
            meta.start_date.min(day),
            "Auditorio y conexión en Villavicencio",
            accounts.coordinator_meta,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Materiales,
            CostBasis::PorParticipante,
            120_000,
            CostStage::Ejecutado,
            meta.start_date.min(day),
            "Guías impresas y cartilla del plan indicativo",
            accounts.coordinator_meta,
        ),
        (
            Some(meta.id),
            None,
            meta_line,
            CostKind::Plataforma,
            CostBasis::Fijo,
            2_000_000,
            CostStage::Comprometido,
            meta_end,
            "Sala virtual del segundo semestre",
            accounts.coordinator_meta,
        ),
        (
            None,
            Some(mapiripan.id),
            mapiripan_line,
            CostKind::Viajes,
            CostBasis::PorSesion,
            1_350_000,
            CostStage::Ejecutado,
            mapiripan.ends_on.min(day),
            "Transporte y viáticos por visita a Mapiripán",
            accounts.coordinator,
        ),
        (
            None,
            Some(mapiripan.id),
            mapiripan_line,
            CostKind::Instructores,
            CostBasis::Fijo,
            6_000_000,
            CostStage::Ejecutado,
            mapiripan.ends_on.min(day),
            "Asesor en planeación territorial",
            accounts.coordinator,
        ),
        (
            Some(budget.id),
            None,
            None,
            CostKind::Sede,
            CostBasis::Fijo,
            3_000_000,
            CostStage::Planeado,
            budget.start_date.min(day),
            "Salón de la Casa de la Cultura de El Paujíl",
            accounts.coordinator,
        ),
    ]
}
