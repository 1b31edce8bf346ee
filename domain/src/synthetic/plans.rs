//! The synthetic country's plans and costs (issue 47), at a realistic rate: for the anchor's
//! year, ESAP's national plan (a line per capacity) and one per territorial direction (three
//! lines), and a national plan for each other provider of the offer (two lines) — all approved
//! in January — with goals near what the country actually delivers in a year (some lines ahead,
//! some behind); and on every cohort of that year three cost items (instructors per session,
//! the venue, materials per participant), answering its provider's national line for the
//! cohort's capacity, most executed and some still committed.

use crate::entities::values::{
    BudgetSource, CostBasis, CostKind, CostStage, PlanStatus, TargetRule,
};
use crate::entities::{
    capacity, cohort, cost_item, course_capacity, plan, plan_line, plan_version,
    territorial_direction,
};
use crate::error::AppResult;
use crate::plans::Goals;
use crate::plans::lines::{Figures, insert_version};
use crate::rows::Rows;
use chrono::{Datelike, Duration, TimeZone, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// (plans, cost items) written.
pub async fn generate<C: ConnectionTrait>(
    db: &C,
    rng: &mut StdRng,
    providers: &[i32],
    scale: f64,
) -> AppResult<(usize, usize)> {
    let year = super::anchor().year();
    let approved = Utc
        .with_ymd_and_hms(year, 1, 30, 21, 0, 0)
        .single()
        .unwrap_or_else(super::anchor_time);
    let capacities: Vec<i32> = capacity::Entity::find()
        .order_by_asc(capacity::Column::Id)
        .all_mapped(db, |c| c.id)
        .await?;
    let directions = territorial_direction::Entity::find()
        .order_by_asc(territorial_direction::Column::Id)
        .all(db)
        .await?;
    // What a line of `share` of the country's yearly offer would aim at.
    let goals = |rng: &mut StdRng, share: f64| {
        let aim = |n: f64, rng: &mut StdRng| {
            let pace = rng.random_range(0.7..1.5);
            Some(((n * share * scale * pace).round() as i32).max(1))
        };
        Goals {
            cohorts: aim(60.0, rng),
            people_trained: aim(5_000.0, rng),
            people_certified: aim(3_200.0, rng),
            assistances_closed: aim(60.0, rng),
            municipalities_reached: aim(150.0, rng).map(|m| m.min(1_100)),
        }
    };
    let mut plans = 0;
    // The national line of each provider per capacity (what its costs answer).
    let mut national: HashMap<(i32, i32), i32> = HashMap::new();
    let write_plan = async |provider_id: i32,
                            direction: Option<&territorial_direction::Model>,
                            lines: Vec<Figures>|
           -> AppResult<Vec<i32>> {
        // The demo's plans stay as they are (one plan per provider, year and territory).
        let taken = plan::Entity::find()
            .filter(plan::Column::ProviderId.eq(provider_id))
            .filter(plan::Column::Year.eq(year))
            .filter(match direction {
                Some(d) => plan::Column::TerritorialDirectionId.eq(d.id),
                None => plan::Column::TerritorialDirectionId.is_null(),
            })
            .filter(plan::Column::DepartmentCode.is_null())
            .one(db)
            .await?;
        if taken.is_some() {
            return Ok(Vec::new());
        }
        let name = match direction {
            Some(d) => format!("Plan de formación y asistencia técnica {year} · {}", d.name),
            None => format!("Plan nacional de formación y asistencia técnica {year}"),
        };
        let id = plan::Entity::insert(plan::ActiveModel {
            provider_id: Set(provider_id),
            year: Set(year),
            territorial_direction_id: Set(direction.map(|d| d.id)),
            department_code: Set(None),
            name: Set(name),
            status: Set(PlanStatus::Approved),
            version: Set(1),
            approval_act: Set(Some(format!("Acta 01 de {year} del comité de formación"))),
            approved_by: Set(None),
            approved_at: Set(Some(approved)),
            created_by: Set(None),
            created_at: Set(approved - Duration::days(10)),
            updated_at: Set(approved),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        plan_version::Entity::insert(plan_version::ActiveModel {
            plan_id: Set(id),
            number: Set(1),
            reason: Set(None),
            created_by: Set(None),
            created_at: Set(approved - Duration::days(10)),
        })
        .exec_without_returning(db)
        .await?;
        let mut ids = Vec::new();
        for (n, figures) in lines.iter().enumerate() {
            let line = plan_line::ActiveModel {
                plan_id: Set(id),
                position: Set(n as i32 + 1),
                added_in_version: Set(1),
                created_at: Set(approved - Duration::days(10)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            insert_version(db, &line, 1, 1, figures).await?;
            ids.push(line.id);
        }
        Ok(ids)
    };
    let budget = |rng: &mut StdRng, base: f64| {
        let amount = |rng: &mut StdRng| {
            ((base * scale * rng.random_range(0.6..1.6)) as i64 / 1_000_000 * 1_000_000)
                .max(1_000_000)
        };
        vec![
            (BudgetSource::Inversion, amount(rng)),
            (BudgetSource::Funcionamiento, amount(rng) / 4 + 1_000_000),
        ]
    };
    for &provider_id in providers {
        let esap = provider_id == crate::providers::ESAP;
        let share = if esap {
            0.6 / capacities.len() as f64
        } else {
            0.1 / 2.0
        };
        let chosen: Vec<i32> = if esap {
            capacities.clone()
        } else {
            capacities.iter().copied().take(2).collect()
        };
        let lines: Vec<Figures> = chosen
            .iter()
            .map(|&capacity_id| Figures {
                capacity_id,
                course_id: None,
                rule: None,
                municipalities: Vec::new(),
                goals: goals(rng, share),
                budget: budget(rng, if esap { 900_000_000.0 } else { 150_000_000.0 }),
            })
            .collect();
        let ids = write_plan(provider_id, None, lines).await?;
        plans += usize::from(!ids.is_empty());
        for (capacity_id, line_id) in chosen.into_iter().zip(ids) {
            national.insert((provider_id, capacity_id), line_id);
        }
    }
    if providers.contains(&crate::providers::ESAP) {
        for direction in &directions {
            let share = 0.6 / capacities.len() as f64 / directions.len().max(1) as f64 * 1.5;
            let lines: Vec<Figures> = capacities
                .iter()
                .take(3)
                .enumerate()
                .map(|(n, &capacity_id)| Figures {
                    capacity_id,
                    course_id: None,
                    rule: (n == 1).then_some(TargetRule::Pdet),
                    municipalities: Vec::new(),
                    goals: goals(rng, share),
                    budget: budget(rng, 60_000_000.0),
                })
                .collect();
            let ids = write_plan(crate::providers::ESAP, Some(direction), lines).await?;
            plans += usize::from(!ids.is_empty());
        }
    }

    // Cost items on the year's cohorts.
    let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_else(super::anchor);
    let cohorts = cohort::Entity::find()
        .filter(cohort::Column::StartDate.gte(first))
        .filter(cohort::Column::StartDate.lte(super::anchor()))
        .all(db)
        .await?;
    let capacity_of: HashMap<i32, i32> = course_capacity::Entity::find()
        .all_mapped(db, |l| (l.course_id, l.capacity_id))
        .await?;
    let at = super::anchor_time();
    let mut items = Vec::new();
    for c in &cohorts {
        let line = capacity_of
            .get(&c.course_id)
            .and_then(|cap| national.get(&(c.provider_id, *cap)))
            .copied();
        let executed = c.start_date + Duration::days(rng.random_range(20..80));
        let stage = if executed < super::anchor() {
            CostStage::Ejecutado
        } else {
            CostStage::Comprometido
        };
        for (kind, basis, amount) in [
            (
                CostKind::Instructores,
                CostBasis::PorSesion,
                rng.random_range(25..45) * 10_000,
            ),
            (
                CostKind::Sede,
                CostBasis::Fijo,
                rng.random_range(8..20) * 100_000,
            ),
            (
                CostKind::Materiales,
                CostBasis::PorParticipante,
                rng.random_range(15..40) * 1_000,
            ),
        ] {
            items.push(cost_item::ActiveModel {
                provider_id: Set(c.provider_id),
                cohort_id: Set(Some(c.id)),
                assistance_id: Set(None),
                plan_line_id: Set(line),
                kind: Set(kind),
                basis: Set(basis),
                amount: Set(amount),
                stage: Set(stage),
                incurred_on: Set(executed.min(super::anchor())),
                description: Set(None),
                reference: Set(None),
                created_by: Set(None),
                created_at: Set(at),
                ..Default::default()
            });
        }
    }
    let n = items.len();
    super::insert_all(db, items).await?;
    Ok((plans, n))
}
