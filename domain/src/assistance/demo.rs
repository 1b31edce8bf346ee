//! The demo's technical assistance (issue 33): ESAP accompanies El Paujíl's alcaldía on
//! planning (in progress: three visits with their agreements and products, a milestone done
//! and one overdue — and it overlaps ESAP's Planeación Territorial and DNP's workshop there)
//! and Puerto Rico's on its own revenue (in progress); ESAP accompanied Mapiripán's alcaldía on
//! planning and Función Pública El Paujíl's concejo on its control role (both closed with the
//! objective reached and evaluated by the entity); and, issue 49, the Gobernación del
//! Caquetá on following its municipalities' plans. Each starts from a diagnosis and a work
//! plan the entity accepted.

use crate::accounts::demo::Accounts;
use crate::entities::values::{
    AcceptanceVia, AgreementStatus, AssistanceStatus, AssistedEntity, DeliverySource, Modality,
    ProductKind,
};
use crate::entities::{
    assistance, assistance_capacity, assistance_diagnosis, assistance_milestone, assistance_staff,
    assistance_visit, assistance_work_plan, capacity, imported_record, provider, visit_agreement,
    visit_attendee, visit_product, work_plan_activity,
};
use crate::error::{AppError, AppResult};
use crate::time::{now, today};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// One demo assistance: (provider, place, entity, capacity, objective, starts, ends, status,
/// the staff member who keeps it).
type Row = (
    i32,
    &'static str,
    AssistedEntity,
    &'static str,
    &'static str,
    NaiveDate,
    NaiveDate,
    AssistanceStatus,
    i32,
);

/// A work plan's texts: (findings, evidence, activities, products).
type PlanTexts = (
    &'static str,
    &'static str,
    Vec<&'static str>,
    Vec<&'static str>,
);

/// What the steps of one demo assistance read.
struct Shape<'a> {
    saved: &'a assistance::Model,
    place: &'a str,
    capacity: &'a str,
    council: bool,
    closed: bool,
    staff: i32,
    at: DateTime<Utc>,
    day: NaiveDate,
}

/// The assistances, kept by `accounts.coordinator` (ESAP's) and
/// `accounts.coordinator_function_public`, with `accounts.instructor` on every team.
pub async fn load<C: ConnectionTrait>(db: &C, accounts: &Accounts) -> AppResult<()> {
    let at = now();
    let day = today();
    let function_public = provider::Entity::find()
        .filter(provider::Column::Name.contains("Función Pública"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta Función Pública".into()))?;
    for (n, row) in rows(accounts, function_public.id, day)
        .into_iter()
        .enumerate()
    {
        let (_, place, entity, capacity, _, _, _, status, staff) = row;
        let saved = insert(db, accounts, n, row, at).await?;
        let shape = Shape {
            saved: &saved,
            place,
            capacity,
            council: entity == AssistedEntity::Concejo,
            closed: status == AssistanceStatus::Closed,
            staff,
            at,
            day,
        };
        milestones(db, &shape).await?;
        let visits = if place == "18256" && !shape.council {
            3
        } else {
            1
        };
        for (n, topics) in [
            "Diagnóstico con el equipo de la entidad y acuerdo del plan de trabajo",
            "Revisión de las metas y de la batería de indicadores",
            "Prueba del tablero de seguimiento con los datos del trimestre",
        ]
        .into_iter()
        .take(visits)
        .enumerate()
        {
            visit(db, &shape, n, topics).await?;
        }
        agreed_plan(db, &shape, accounts.liaison_el_paujil).await?;
        crate::figures::assistance::refresh(db, place).await?;
    }
    Ok(())
}

/// The five assistances (`function_public`: Función Pública's provider id).
fn rows(accounts: &Accounts, function_public: i32, day: NaiveDate) -> [Row; 5] {
    [
        (
            crate::providers::ESAP,
            "18256",
            AssistedEntity::Alcaldia,
            "planeacion_territorial",
            "Que la Secretaría de Planeación haga seguimiento trimestral al plan de desarrollo con el tablero de indicadores y lo presente al consejo territorial de planeación.",
            day - Duration::days(100),
            day + Duration::days(80),
            AssistanceStatus::InProgress,
            accounts.coordinator,
        ),
        (
            crate::providers::ESAP,
            "50325",
            AssistedEntity::Alcaldia,
            "planeacion_territorial",
            "Que la alcaldía formule el plan indicativo y el plan de acción de la vigencia con metas medibles.",
            mapiripan_start(day),
            day - Duration::days(40),
            AssistanceStatus::Closed,
            accounts.coordinator,
        ),
        (
            crate::providers::ESAP,
            "18592",
            AssistedEntity::Alcaldia,
            "movilizacion_recursos",
            "Que la Secretaría de Hacienda actualice el estatuto de rentas y ponga en marcha un plan de fiscalización del impuesto predial.",
            day - Duration::days(60),
            day + Duration::days(120),
            AssistanceStatus::InProgress,
            accounts.coordinator,
        ),
        (
            function_public,
            "18256",
            AssistedEntity::Concejo,
            "gobierno_abierto_transparencia",
            "Que el concejo ejerza el control político del plan de desarrollo con informes de seguimiento trimestrales.",
            day - Duration::days(200),
            day - Duration::days(20),
            AssistanceStatus::Closed,
            accounts.coordinator_function_public,
        ),
        // Issue 49: a gobernación, by its department (no municipality).
        (
            crate::providers::ESAP,
            "18",
            AssistedEntity::Gobernacion,
            "planeacion_territorial",
            "Que la Secretaría de Planeación de la Gobernación del Caquetá acompañe a sus municipios en el seguimiento de los planes de desarrollo con un tablero común.",
            day - Duration::days(30),
            day + Duration::days(150),
            AssistanceStatus::InProgress,
            accounts.coordinator,
        ),
    ]
}

/// Where ESAP's Mapiripán accompaniment (closed 40 days before `day`) starts: 260 days before
/// `day`, but never before the 1st of January of the year the Meta planning cohort
/// (`DemoCohort::planning_meta`) starts in — both answer the Meta plan's planning line, and a
/// cost item names only a line of the plan of the year its cohort or assistance starts in
/// (`costs::items::answerable_lines`), so both start in the same year whatever the day.
pub(crate) fn mapiripan_start(day: NaiveDate) -> NaiveDate {
    let meta = crate::cohorts::demo::DemoCohort::planning_meta(day).start;
    let first_of_year = NaiveDate::from_ymd_opt(meta.year(), 1, 1).unwrap_or(meta);
    (day - Duration::days(260)).max(first_of_year)
}

/// Saves the assistance `row` (the `n`th), with its reference in the provider's spreadsheet,
/// its capacity and its team.
async fn insert<C: ConnectionTrait>(
    db: &C,
    accounts: &Accounts,
    n: usize,
    (provider_id, place, entity, capacity, objective, starts, ends, status, staff): Row,
    at: DateTime<Utc>,
) -> AppResult<assistance::Model> {
    // A DANE municipality code starts with its department's.
    let (municipality, department) = match entity.is_departmental() {
        true => (None, place),
        false => (Some(place.to_string()), &place[..2]),
    };
    let closed = status == AssistanceStatus::Closed;
    let council = entity == AssistedEntity::Concejo;
    let summary = if council {
        "El concejo aprobó su agenda de control político y recibió dos informes de seguimiento con la matriz entregada."
    } else {
        "La alcaldía adoptó el plan indicativo por decreto y publicó el plan de acción con sus metas; el equipo de planeación sabe actualizarlos."
    };
    // Issue 62: where the entity accepted through the emailed link, its contact was
    // confirmed by the territory (the department's reviewer, or the municipality's
    // liaison); El Paujíl's alcaldía's is not, so its version 2 waits for its liaison, who
    // accepts it on the page or confirms the contact to have the link sent.
    let contact = format!("contacto.{place}@aulaterritorial.example");
    let confirmer = (place != "18256" || council)
        .then(|| accounts.confirmer_in(department, municipality.as_deref()))
        .flatten();
    let saved = assistance::ActiveModel {
        provider_id: Set(provider_id),
        municipality_code: Set(municipality),
        department_code: Set(department.into()),
        entity_type: Set(entity),
        objective: Set(objective.into()),
        starts_on: Set(starts),
        ends_on: Set(ends),
        modality: Set(Modality::Mixta),
        status: Set(status),
        cancellation_reason: Set(None),
        objective_reached: Set(closed.then_some(true)),
        closing_summary: Set(closed.then(|| summary.to_string())),
        contact_confirmed_by: Set(confirmer),
        contact_confirmed_at: Set(confirmer.map(|_| at - Duration::days(69))),
        contact_confirmed_email: Set(confirmer.map(|_| contact.clone())),
        contact_email: Set(Some(contact)),
        evaluation_token_hash: Set(None),
        evaluation_usefulness: Set(closed.then_some(4)),
        evaluation_comment: Set(closed.then(|| {
            if council {
                "Útil: ahora el concejo pide los informes a tiempo. Faltó una sesión sobre presupuesto."
            } else {
                "Muy útil: el equipo quedó con las herramientas. Pedimos acompañamiento para la rendición de cuentas."
            }
            .to_string()
        })),
        evaluated_at: Set(closed.then(|| at - Duration::days(10))),
        created_by: Set(Some(staff)),
        created_at: Set(at - Duration::days(70)),
        updated_at: Set(at),
        closed_at: Set(closed.then(|| at - Duration::days(15))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Issue 49: the provider brought its assistances in from the spreadsheet it keeps (the
    // import of assistances finds them by this reference; the follow-up shows it).
    imported_record::ActiveModel {
        provider_id: Set(provider_id),
        kind: Set(DeliverySource::Assistance),
        reference: Set(format!("AT-{}-{:03}", starts.year(), n + 1)),
        assistance_id: Set(Some(saved.id)),
        cohort_id: Set(None),
        created_at: Set(at - Duration::days(70)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    assistance_capacity::ActiveModel {
        assistance_id: Set(saved.id),
        capacity_id: Set(capacity_id(db, capacity).await?),
    }
    .insert(db)
    .await?;
    for user_id in [staff, accounts.instructor] {
        assistance_staff::ActiveModel {
            assistance_id: Set(saved.id),
            user_id: Set(user_id),
        }
        .insert(db)
        .await?;
    }
    Ok(saved)
}

async fn capacity_id<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<i32> {
    capacity::Entity::find()
        .filter(capacity::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
}

/// Three milestones: the diagnosis done; the proposal and the socialisation done if closed.
async fn milestones<C: ConnectionTrait>(db: &C, shape: &Shape<'_>) -> AppResult<()> {
    for (title, due, done) in [
        (
            "Diagnóstico de la situación",
            shape.saved.starts_on + Duration::days(20),
            Some(shape.saved.starts_on + Duration::days(18)),
        ),
        (
            "Propuesta de ajuste entregada",
            shape.day - Duration::days(7),
            shape
                .closed
                .then_some(shape.saved.ends_on - Duration::days(5)),
        ),
        (
            "Socialización con el equipo",
            shape.saved.ends_on - Duration::days(10),
            shape
                .closed
                .then_some(shape.saved.ends_on - Duration::days(3)),
        ),
    ] {
        assistance_milestone::ActiveModel {
            assistance_id: Set(shape.saved.id),
            title: Set(title.into()),
            due_on: Set(due),
            done_on: Set(done),
            created_at: Set(shape.at),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The `n`th visit (on `topics`) with its attendee, agreements and product.
async fn visit<C: ConnectionTrait>(
    db: &C,
    shape: &Shape<'_>,
    n: usize,
    topics: &str,
) -> AppResult<()> {
    let offset = 14 + 31 * n as i64;
    let visit = assistance_visit::ActiveModel {
        assistance_id: Set(shape.saved.id),
        date: Set(shape.saved.starts_on + Duration::days(offset)),
        modality: Set(if n == 1 {
            Modality::Virtual
        } else {
            Modality::Presencial
        }),
        hours_tenths: Set(if n == 1 { 20 } else { 40 }),
        topics: Set(topics.into()),
        created_by: Set(Some(shape.staff)),
        created_at: Set(shape.at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    visit_attendee::ActiveModel {
        visit_id: Set(visit.id),
        participant_id: Set(None),
        full_name: Set("Gloria Inés Vargas".into()),
        position: Set(Some(
            if shape.council {
                "Presidenta del concejo"
            } else if shape.capacity == "planeacion_territorial" {
                "Secretaria de Planeación"
            } else {
                "Secretaria de Hacienda"
            }
            .into(),
        )),
        document_number: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    agreements(db, shape, visit.id, n, offset).await?;
    product(db, shape, visit.id, n).await
}

/// The agreement of the `n`th visit (`offset` days after the start): done two weeks after
/// the visit, except the latest ones still pending and El Paujíl's second, dropped.
async fn agreements<C: ConnectionTrait>(
    db: &C,
    shape: &Shape<'_>,
    visit: i32,
    n: usize,
    offset: i64,
) -> AppResult<()> {
    let done = shape.saved.starts_on + Duration::days(offset + 14);
    let (status, done_on, note, reason) = if !shape.closed && shape.place == "18256" && n == 1 {
        (
            AgreementStatus::Dropped,
            None,
            None,
            Some(
                "La alcaldía adoptó la batería de indicadores del DNP: sus fichas ya traen la línea de base.",
            ),
        )
    } else if shape.closed || done < shape.day - Duration::days(20) {
        (
            AgreementStatus::Done,
            Some(done),
            Some("Entregado al equipo de la asistencia en la fecha."),
            None,
        )
    } else {
        (AgreementStatus::Pending, None, None, None)
    };
    visit_agreement::ActiveModel {
        visit_id: Set(visit),
        text: Set(match n {
            0 => "Reunir la información de los últimos tres años",
            1 => "Ajustar las fichas de los indicadores sin línea de base",
            _ => "Cargar los datos del trimestre en el tablero",
        }
        .into()),
        owner: Set(if shape.council {
            "Secretaría del concejo"
        } else if shape.capacity == "planeacion_territorial" {
            "Secretaría de Planeación"
        } else {
            "Secretaría de Hacienda"
        }
        .into()),
        due_on: Set(shape.saved.starts_on + Duration::days(offset + 16)),
        // Issue 49: done two weeks after the visit, except the latest ones still
        // pending (El Paujíl's third, overdue) and El Paujíl's second, dropped.
        status: Set(status),
        done_on: Set(done_on),
        note: Set(note.map(str::to_string)),
        reason: Set(reason.map(str::to_string)),
        status_changed_by: Set((status != AgreementStatus::Pending).then_some(shape.staff)),
        status_changed_at: Set((status != AgreementStatus::Pending).then_some(shape.at)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Puerto Rico's alcaldía also agreed a step still ahead: pending, not yet due.
    if shape.place == "18592" && n == 0 {
        visit_agreement::ActiveModel {
            visit_id: Set(visit),
            text: Set("Presentar al concejo el proyecto de estatuto de rentas".into()),
            owner: Set("Secretaría de Hacienda".into()),
            due_on: Set(shape.day + Duration::days(20)),
            status: Set(AgreementStatus::Pending),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The product handed over at the `n`th visit.
async fn product<C: ConnectionTrait>(
    db: &C,
    shape: &Shape<'_>,
    visit: i32,
    n: usize,
) -> AppResult<()> {
    visit_product::ActiveModel {
        visit_id: Set(visit),
        title: Set(match (shape.council, shape.capacity, n) {
            (true, _, _) => "Matriz de seguimiento del plan de desarrollo",
            (false, "planeacion_territorial", 0) => "Guía para la formulación del plan indicativo",
            (false, "planeacion_territorial", 1) => "Plantilla de fichas de indicadores",
            (false, "planeacion_territorial", _) => "Tablero de seguimiento del plan de desarrollo",
            _ => "Plantilla de estatuto de rentas",
        }
        .into()),
        kind: Set(match (shape.council, n) {
            (true, _) | (false, 2) => ProductKind::Herramienta,
            (false, 0) if shape.capacity == "planeacion_territorial" => ProductKind::Documento,
            _ => ProductKind::Plantilla,
        }),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Issue 49's demo: every assistance starts from a diagnosis and a work plan the entity
/// accepted — El Paujíl's alcaldía by its liaison, the others by their contact through the
/// emailed link. El Paujíl's alcaldía's plan was then changed (a workshop added): its version 2
/// waits for the entity's acceptance, which its liaison gives on the assistance's page.
async fn agreed_plan<C: ConnectionTrait>(db: &C, shape: &Shape<'_>, liaison: i32) -> AppResult<()> {
    let (saved, staff, council) = (shape.saved, shape.staff, shape.council);
    let written = saved.created_at;
    let starts = saved.starts_on;
    let (findings, evidence, activities, products) = plan_texts(council, shape.capacity);
    assistance_diagnosis::ActiveModel {
        assistance_id: Set(saved.id),
        findings: Set(findings.into()),
        evidence: Set(Some(evidence.into())),
        recorded_by: Set(Some(staff)),
        recorded_at: Set(written),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let by_liaison = saved.municipality_code.as_deref() == Some("18256") && !council;
    let span = (saved.ends_on - starts).num_days().max(3);
    let mut versions = vec![(1, activities.clone(), true)];
    if by_liaison && !saved.status.is_final() {
        let mut changed = activities.clone();
        changed.push("Taller de rendición de cuentas con el consejo territorial de planeación");
        versions.push((2, changed, false));
    }
    for (version, activities, accepted) in versions {
        let plan = assistance_work_plan::ActiveModel {
            assistance_id: Set(saved.id),
            version: Set(version),
            products_expected: Set(serde_json::to_string(&products)
                .map_err(|e| AppError::Internal(format!("demo: {e}")))?),
            written_by: Set(Some(staff)),
            written_at: Set(written + Duration::days(7 * version as i64)),
            accepted_by: Set(accepted.then(|| {
                if council {
                    "Gloria Inés Vargas"
                } else {
                    "Jhon Fredy Calderón"
                }
                .to_string()
            })),
            accepted_position: Set(accepted.then(|| {
                if council {
                    "Presidenta del concejo"
                } else {
                    "Alcalde"
                }
                .to_string()
            })),
            accepted_via: Set(accepted.then_some(if by_liaison {
                AcceptanceVia::Liaison
            } else {
                AcceptanceVia::Link
            })),
            accepted_user_id: Set(if accepted && by_liaison {
                Some(liaison)
            } else {
                None
            }),
            accepted_at: Set(accepted.then(|| written + Duration::days(10))),
            acceptance_token_hash: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let count = activities.len() as i64;
        for (position, text) in activities.into_iter().enumerate() {
            work_plan_activity::ActiveModel {
                work_plan_id: Set(plan.id),
                position: Set(position as i32),
                text: Set(text.into()),
                due_on: Set(starts + Duration::days(span * (position as i64 + 1) / (count + 1))),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The diagnosis (findings, evidence) and the work plan (activities, products) of an
/// assistance to a council or an alcaldía on `capacity`.
fn plan_texts(council: bool, capacity: &str) -> PlanTexts {
    match (council, capacity) {
        (true, _) => (
            "El concejo no recibe informes de avance del plan de desarrollo: aprueba el presupuesto sin saber qué metas van rezagadas, y sus debates de control político no tienen cifras.",
            "Actas de las sesiones del último año y el reglamento interno del concejo.",
            vec![
                "Taller sobre el control político del plan de desarrollo",
                "Agenda de control político del año con el concejo",
                "Primer informe trimestral de seguimiento debatido en sesión",
            ],
            vec![
                "Agenda de control político aprobada",
                "Matriz de seguimiento del plan de desarrollo",
            ],
        ),
        (false, "planeacion_territorial") => (
            "El plan de desarrollo no tiene plan indicativo ni seguimiento: las metas no tienen línea de base y la Secretaría de Planeación no reporta su avance.",
            "Plan de desarrollo adoptado, reporte del último FUT y entrevista con la Secretaría de Planeación.",
            vec![
                "Revisión de las metas y de la batería de indicadores",
                "Formulación del plan indicativo con el equipo de planeación",
                "Prueba del tablero de seguimiento con los datos del trimestre",
            ],
            vec![
                "Plan indicativo adoptado",
                "Tablero de seguimiento del plan de desarrollo",
            ],
        ),
        _ => (
            "El estatuto de rentas es de 2009: no incluye las tarifas del predial actualizadas ni el procedimiento de fiscalización, y la cartera del predial supera el recaudo de dos años.",
            "Estatuto de rentas vigente y estado de la cartera del impuesto predial.",
            vec![
                "Revisión del estatuto de rentas con la Secretaría de Hacienda",
                "Proyecto de estatuto de rentas actualizado",
                "Plan de fiscalización del impuesto predial",
            ],
            vec![
                "Proyecto de estatuto de rentas",
                "Plan de fiscalización del predial",
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapiripan_and_the_meta_cohort_start_in_the_same_year_on_every_day() {
        let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        // Two years, one of them leap (2028).
        for offset in 0..731 {
            let day = first + Duration::days(offset);
            let meta = crate::cohorts::demo::DemoCohort::planning_meta(day).start;
            let mapiripan = mapiripan_start(day);
            assert_eq!(mapiripan.year(), meta.year(), "{day}");
            assert!(mapiripan >= day - Duration::days(260), "{day}");
            assert!(
                mapiripan <= meta,
                "{day}: it starts no later than the cohort"
            );
            assert!(
                mapiripan < day - Duration::days(40),
                "{day}: before it closes"
            );
        }
    }
}
