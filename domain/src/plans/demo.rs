//! The demo's plans (issue 47): ESAP's plan of the year for the Dirección Territorial Meta —
//! approved by its committee in January with three lines (budget execution in the Meta pilots,
//! territorial planning in the PDET municipalities, accountability in all of the direction's
//! territory), its first line amended in June with its reason — and DNP's smaller plan, still
//! a draft.

use super::Goals;
use super::lines::{Figures, insert_version};
use crate::accounts::demo::Accounts;
use crate::entities::values::{BudgetSource, PlanStatus, TargetRule};
use crate::entities::{
    capacity, course, plan, plan_line, plan_version, provider, territorial_direction,
};
use crate::error::{AppError, AppResult};
use crate::time::{from_local, today};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// The Meta direction's plan (by its coordinator) and DNP's (by its coordinator).
pub async fn load<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<()> {
    let direction = territorial_direction::Entity::find()
        .filter(territorial_direction::Column::Name.eq("Dirección Territorial Meta"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la dirección del Meta".into()))?;
    let dnp = provider::Entity::find()
        .filter(provider::Column::Name.contains("(DNP)"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta el DNP".into()))?;
    meta(db, direction.id, accounts.coordinator_meta).await?;
    dnp_draft(db, dnp.id, accounts.coordinator_dnp).await
}

/// A date of this year at `hour`, never after today (a demo loaded in March has its amendment
/// today).
fn this_year_on(month: u32, dom: u32, hour: u32) -> DateTime<Utc> {
    let day = today();
    let date = NaiveDate::from_ymd_opt(day.year(), month, dom)
        .unwrap_or(day)
        .min(day);
    from_local(date, hour, 0)
}

async fn capacity<C: ConnectionTrait>(db: &C, code: &'static str) -> AppResult<i32> {
    capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
}

async fn course<C: ConnectionTrait>(db: &C, code: &'static str) -> AppResult<i32> {
    course::Entity::find()
        .filter(course::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| AppError::Internal(format!("demo: falta el curso {code}")))
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

/// ESAP's plan for the Dirección Territorial Meta (`direction`), by its coordinator `by`:
/// approved in January, amended in June.
async fn meta<C: ConnectionTrait>(db: &C, direction: i32, by: i32) -> AppResult<()> {
    let year = today().year();
    // ESAP · Dirección Territorial Meta: approved in January, amended in June.
    let created = this_year_on(1, 15, 9);
    let approved = this_year_on(1, 30, 16);
    let amended = this_year_on(6, 16, 11);
    let meta = plan::Entity::insert(plan::ActiveModel {
        provider_id: Set(crate::providers::ESAP),
        year: Set(year),
        territorial_direction_id: Set(Some(direction)),
        department_code: Set(None),
        name: Set(format!(
            "Plan de formación y asistencia técnica {year} · Dirección Territorial Meta"
        )),
        status: Set(PlanStatus::Amended),
        version: Set(2),
        approval_act: Set(Some(format!(
            "Acta 01 de {year} del Comité Territorial de Formación, 30 de enero"
        ))),
        approved_by: Set(Some(by)),
        approved_at: Set(Some(approved)),
        created_by: Set(Some(by)),
        created_at: Set(created),
        updated_at: Set(amended),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    for (number, reason, at) in [
        (1, None, created),
        (
            2,
            Some(
                "Cooperación internacional aporta $ 20.000.000 para acompañar a las alcaldías de \
                 Mapiripán y Puerto Concordia en el cierre presupuestal (comité territorial del \
                 12 de junio): la línea de gestión presupuestal suma dos asistencias técnicas \
                 cerradas a sus metas."
                    .to_string(),
            ),
            amended,
        ),
    ] {
        plan_version::Entity::insert(plan_version::ActiveModel {
            plan_id: Set(meta),
            number: Set(number),
            reason: Set(reason),
            created_by: Set(Some(by)),
            created_at: Set(at),
        })
        .exec_without_returning(db)
        .await?;
    }
    meta_lines(db, meta, created).await
}

/// The Meta plan's three lines (`plan`, written at `created`), the first amended in version 2.
async fn meta_lines<C: ConnectionTrait>(
    db: &C,
    plan: i32,
    created: DateTime<Utc>,
) -> AppResult<()> {
    let budget_line = Figures {
        capacity_id: capacity(db, "ejecucion_recursos").await?,
        course_id: Some(course(db, "GPR").await?),
        rule: None,
        municipalities: codes(&["50325", "50450", "50577"]),
        goals: Goals {
            cohorts: Some(2),
            people_trained: Some(50),
            people_certified: Some(40),
            assistances_closed: None,
            municipalities_reached: Some(3),
        },
        budget: vec![
            (BudgetSource::Inversion, 48_000_000),
            (BudgetSource::Funcionamiento, 12_000_000),
        ],
    };
    let planning_line = Figures {
        capacity_id: capacity(db, "planeacion_territorial").await?,
        course_id: Some(course(db, "PT").await?),
        rule: Some(TargetRule::Pdet),
        municipalities: Vec::new(),
        // Met ahead of the year's pace by the first semester's cohort in the Meta pilots and the
        // Mapiripán accompaniment (the demo's line ahead; the other two are behind).
        goals: Goals {
            cohorts: Some(1),
            people_trained: Some(10),
            people_certified: Some(6),
            assistances_closed: Some(1),
            municipalities_reached: Some(3),
        },
        budget: vec![
            (BudgetSource::Inversion, 95_000_000),
            (BudgetSource::Cooperacion, 30_000_000),
        ],
    };
    let accountability_line = Figures {
        capacity_id: capacity(db, "gobierno_abierto_transparencia").await?,
        course_id: Some(course(db, "RPC").await?),
        rule: None,
        municipalities: Vec::new(),
        goals: Goals {
            cohorts: Some(1),
            people_trained: Some(40),
            people_certified: Some(30),
            assistances_closed: None,
            municipalities_reached: Some(10),
        },
        budget: vec![(BudgetSource::Funcionamiento, 18_000_000)],
    };
    let mut amended_budget_line = budget_line.clone();
    amended_budget_line.goals.assistances_closed = Some(2);
    amended_budget_line
        .budget
        .insert(1, (BudgetSource::Cooperacion, 20_000_000));
    for (position, version_1, version_2) in [
        (1, &budget_line, Some(&amended_budget_line)),
        (2, &planning_line, None),
        (3, &accountability_line, None),
    ] {
        let line = plan_line::ActiveModel {
            plan_id: Set(plan),
            position: Set(position),
            added_in_version: Set(1),
            created_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await?;
        insert_version(db, &line, 1, 1, version_1).await?;
        match version_2 {
            Some(changed) => insert_version(db, &line, 2, 2, changed).await?,
            None => insert_version(db, &line, 2, 1, version_1).await?,
        }
    }
    Ok(())
}

/// DNP's (`dnp`) plan of the year, by its coordinator `by`: one line, still a draft.
async fn dnp_draft<C: ConnectionTrait>(db: &C, dnp: i32, by: i32) -> AppResult<()> {
    let year = today().year();
    let created = this_year_on(11, 3, 10);
    let dnp_plan = plan::Entity::insert(plan::ActiveModel {
        provider_id: Set(dnp),
        year: Set(year),
        territorial_direction_id: Set(None),
        department_code: Set(None),
        name: Set(format!("Plan de asistencia técnica del DNP {year}")),
        status: Set(PlanStatus::Draft),
        version: Set(1),
        approval_act: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        created_by: Set(Some(by)),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    plan_version::Entity::insert(plan_version::ActiveModel {
        plan_id: Set(dnp_plan),
        number: Set(1),
        reason: Set(None),
        created_by: Set(Some(by)),
        created_at: Set(created),
    })
    .exec_without_returning(db)
    .await?;
    let line = plan_line::ActiveModel {
        plan_id: Set(dnp_plan),
        position: Set(1),
        added_in_version: Set(1),
        created_at: Set(created),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let kit = Figures {
        capacity_id: capacity(db, "planeacion_territorial").await?,
        course_id: Some(course(db, "DNP-KPT").await?),
        rule: None,
        municipalities: codes(&["18094", "18256", "18592", "18610"]),
        goals: Goals {
            cohorts: Some(2),
            people_trained: Some(60),
            people_certified: Some(45),
            assistances_closed: Some(1),
            municipalities_reached: Some(4),
        },
        budget: vec![(BudgetSource::Funcionamiento, 25_000_000)],
    };
    insert_version(db, &line, 1, 1, &kit).await
}
