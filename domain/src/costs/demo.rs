//! The demo's costs (issue 47): what the Meta planning cohort and ESAP's Mapiripán
//! accompaniment cost against the Meta plan's territorial planning line; and (issue 68) what
//! ESAP's earlier accompaniments in Caquetá and Meta cost, so the impact comparison shows a
//! cost per point of change ([`earlier_accompaniments`]).

use super::items::{Target, answerable_lines};
use crate::accounts::demo::Accounts;
use crate::entities::values::{
    AssistanceStatus, AssistedEntity, CostBasis, CostKind, CostStage, Modality,
};
use crate::entities::{
    assistance, assistance_capacity, assistance_staff, capacity, cohort, cost_item,
};
use crate::error::{AppError, AppResult};
use crate::time::{now, today};
use chrono::{Duration, NaiveDate};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

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
    earlier_accompaniments(db, accounts).await
}

/// ESAP's closed accompaniments of 2022 on the execution of resources (municipality, what the
/// adviser's fees and trips cost, executed): five alcaldías of Caquetá and five of Meta, none
/// a pilot. The vigencias are fixed, not counted from today: the real IDF measures every
/// municipality in 2022 and 2023, so «Estudio de ESAP» with the IDF from 2022 to 2023 (in
/// Caquetá, in Meta or both) puts them in «De 1 a 4 asistencias técnicas cerradas» and shows
/// its cost per point of change on any day (the demo's own dates are all after 2023).
pub const EARLIER_ACCOMPANIMENTS: [(&str, i64); 10] = [
    ("18410", 9_800_000),
    ("18001", 14_500_000),
    ("18150", 11_200_000),
    ("18753", 12_750_000),
    ("18785", 8_600_000),
    ("50251", 10_400_000),
    ("50110", 9_900_000),
    ("50223", 8_750_000),
    ("50573", 12_300_000),
    ("50001", 15_600_000),
];

/// The vigencia of [`EARLIER_ACCOMPANIMENTS`].
pub const EARLIER_YEAR: i32 = 2022;

/// Saves [`EARLIER_ACCOMPANIMENTS`]: each closed with its objective reached, kept by ESAP's
/// coordinator with the instructor, its cost executed on its last day.
async fn earlier_accompaniments<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<()> {
    let capacity = capacity::Entity::find()
        .filter(capacity::Column::Code.eq("ejecucion_recursos"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la capacidad ejecucion_recursos".into()))?;
    let at = now();
    for (n, (place, amount)) in EARLIER_ACCOMPANIMENTS.into_iter().enumerate() {
        let day = |month: u32, dom: u32| {
            NaiveDate::from_ymd_opt(EARLIER_YEAR, month, dom)
                .ok_or_else(|| AppError::Internal("demo: fecha inválida".into()))
        };
        let starts = day(3, 1)? + Duration::days(7 * n as i64);
        let ends = day(9, 30)?;
        let saved = assistance::ActiveModel {
            provider_id: Set(crate::providers::ESAP),
            municipality_code: Set(Some(place.to_string())),
            department_code: Set(place[..2].to_string()),
            entity_type: Set(AssistedEntity::Alcaldia),
            objective: Set(
                "Que la Secretaría de Hacienda programe y ejecute la inversión del \
                 año con un plan mensual de caja y de contratación."
                    .into(),
            ),
            starts_on: Set(starts),
            ends_on: Set(ends),
            modality: Set(Modality::Presencial),
            status: Set(AssistanceStatus::Closed),
            cancellation_reason: Set(None),
            objective_reached: Set(Some(true)),
            closing_summary: Set(Some(
                "La alcaldía adoptó el plan mensual de caja y de contratación; el equipo de \
                 hacienda lo actualiza cada mes."
                    .into(),
            )),
            contact_email: Set(None),
            created_by: Set(Some(accounts.coordinator)),
            created_at: Set(crate::time::from_local(starts, 9, 0)),
            updated_at: Set(at),
            closed_at: Set(Some(crate::time::from_local(ends, 17, 0))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        assistance_capacity::ActiveModel {
            assistance_id: Set(saved.id),
            capacity_id: Set(capacity.id),
        }
        .insert(db)
        .await?;
        for user_id in [accounts.coordinator, accounts.instructor] {
            assistance_staff::ActiveModel {
                assistance_id: Set(saved.id),
                user_id: Set(user_id),
            }
            .insert(db)
            .await?;
        }
        cost_item::Entity::insert(cost_item::ActiveModel {
            provider_id: Set(crate::providers::ESAP),
            cohort_id: Set(None),
            assistance_id: Set(Some(saved.id)),
            plan_line_id: Set(None),
            kind: Set(CostKind::Instructores),
            basis: Set(CostBasis::Fijo),
            amount: Set(amount),
            stage: Set(CostStage::Ejecutado),
            incurred_on: Set(ends),
            description: Set(Some(
                "Asesor en ejecución de recursos: honorarios y viajes del acompañamiento".into(),
            )),
            reference: Set(None),
            created_by: Set(Some(accounts.coordinator)),
            created_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        crate::figures::assistance::refresh(db, place).await?;
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
