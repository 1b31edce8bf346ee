//! The demo's key positions (issue 68): Puerto Rico's (Caquetá, PDET) five, one of them the
//! treasury, left three weeks ago by José Ángel Quintero Díaz — certified in Gestión
//! Tributaria (movilización de recursos) from the Caquetá cohort two years ago — and not held
//! again, so the Caquetá reviewer's home and Puerto Rico's page show it.

use crate::entities::values::EnrolmentStatus;
use crate::entities::{cohort, course_capacity, enrolment, key_position, key_position_departure};
use crate::error::{AppError, AppResult};
use crate::people::demo::People;
use crate::time::{from_local, now, today};
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

const PLACE: &str = "18592";

/// (title, capacity code, holder who is a person of the demo, holder who is only a name,
/// appointment, days since possession).
type DemoPosition = (
    &'static str,
    &'static str,
    Option<i32>,
    Option<&'static str>,
    Option<&'static str>,
    Option<i64>,
);

pub async fn load<C: ConnectionTrait>(
    db: &C,
    people: &People,
    reviewer: i32,
    coordinator: i32,
) -> AppResult<()> {
    let capacities = crate::capacities::ids_by_code(db).await?;
    let capacity = |code: &str| {
        capacities
            .get(code)
            .copied()
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    let planner = people.at(People::MARIA_FERNANDA).id;
    let treasurer = people.at(People::JOSE_ANGEL).id;
    // His certificate of the Gestión Tributaria cohort he completed (Caquetá, two years ago).
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::ParticipantId.eq(treasurer))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
        .all(db)
        .await?;
    let taxes = capacity("movilizacion_recursos")?;
    for row in completed {
        let Some(cohort) = cohort::Entity::find_by_id(row.cohort_id).one(db).await? else {
            continue;
        };
        let holds = course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.eq(cohort.course_id))
            .filter(course_capacity::Column::CapacityId.eq(taxes))
            .one(db)
            .await?
            .is_some();
        if holds {
            let issued = from_local(cohort.end_date + Duration::days(10), 10, 0);
            crate::certificates::demo::issue_to(
                db,
                row.cohort_id,
                Some(treasurer),
                coordinator,
                issued,
            )
            .await?;
            break;
        }
    }
    let day = today();
    let at = now();
    let positions: [DemoPosition; 5] = [
        (
            "Secretario(a) de Planeación",
            "planeacion_territorial",
            Some(planner),
            None,
            Some("libre_nombramiento"),
            Some(330),
        ),
        (
            "Secretario(a) de Hacienda",
            "ejecucion_recursos",
            None,
            Some("Luis Alberto Perdomo Cuéllar"),
            Some("libre_nombramiento"),
            Some(600),
        ),
        (
            "Tesorero(a)",
            "movilizacion_recursos",
            None,
            None,
            None,
            None,
        ),
        (
            "Jefe(a) de Control Interno",
            "gobierno_abierto_transparencia",
            None,
            Some("Gloria Inés Manrique Sierra"),
            Some("periodo"),
            Some(1060),
        ),
        (
            "Profesional de Ordenamiento Territorial",
            "ordenamiento_territorial",
            None,
            Some("Jhon Fredy Silva Lozada"),
            Some("contrato"),
            Some(120),
        ),
    ];
    for (title, code, person, name, appointment, days) in positions {
        let row = key_position::Entity::insert(key_position::ActiveModel {
            municipality_code: Set(PLACE.into()),
            title: Set(title.into()),
            capacity_id: Set(capacity(code)?),
            holder_participant_id: Set(person),
            holder_name: Set(name.map(str::to_string)),
            appointment: Set(appointment.map(str::to_string)),
            since: Set(days.map(|d| day - Duration::days(d))),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(db)
        .await?;
        if title == "Tesorero(a)" {
            let left_on = day - Duration::days(21);
            key_position_departure::Entity::insert(key_position_departure::ActiveModel {
                position_id: Set(row.last_insert_id),
                holder_participant_id: Set(Some(treasurer)),
                holder_name: Set(None),
                appointment: Set(Some("provisional".into())),
                since: Set(Some(day - Duration::days(800))),
                left_on: Set(left_on),
                reason: Set(Some("Renuncia: pasó a la Gobernación del Caquetá".into())),
                certified: Set(true),
                recorded_by: Set(Some(reviewer)),
                recorded_at: Set(at - Duration::days(20)),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await?;
            crate::people::departures::record(
                db,
                treasurer,
                PLACE,
                false,
                from_local(left_on, 0, 0),
            )
            .await?;
        }
    }
    Ok(())
}
