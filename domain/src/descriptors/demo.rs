//! The demo's descriptors (issue 49): CONPES's sectors and population groups on the demo's
//! courses, assistances and demands.

use crate::entities::values::{DescriptorKind, DescriptorSubject};
use crate::entities::{assistance, assistance_capacity, course, course_capacity, demand};
use crate::error::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// The sectoral demands issue 49's demo adds (water, farming), by topic.
pub const DEMO_WATER_TOPIC: &str = "Proyectos de agua potable y saneamiento básico rural";
pub const DEMO_FARMING_TOPIC: &str = "Plan de extensión agropecuaria con enfoque de género";

/// Issue 49's demo: CONPES's sectoral and population descriptors on the courses, the
/// assistances and the demands — each by the sector its capacity serves, and the water and
/// farming demands by theirs — so the offer view, the demand map and open data filter by
/// sector.
pub async fn load<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    let id = async |kind: DescriptorKind, code: &str| -> AppResult<i32> {
        super::id_by_code(db, kind, code)
            .await?
            .ok_or_else(|| AppError::Internal(format!("demo: falta el descriptor {code}")))
    };
    let sector_of = |capacity: &str| -> &'static str {
        match capacity {
            "movilizacion_recursos" => "hacienda",
            "gobierno_abierto_transparencia" => "funcion_publica",
            "ordenamiento_territorial" => "vivienda_agua",
            _ => "planeacion",
        }
    };
    let capacity_codes: HashMap<i32, String> = crate::capacities::ids_by_code(db)
        .await?
        .into_iter()
        .map(|(code, id)| (id, code))
        .collect();
    // Every record tagged by its first capacity's sector; the PDET planning course and the
    // sectoral demands also by the groups they serve.
    let mut tags: Vec<(
        DescriptorSubject,
        i32,
        &'static str,
        &'static [&'static str],
    )> = Vec::new();
    for c in course::Entity::find().all(db).await? {
        let first = course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.eq(c.id))
            .one(db)
            .await?
            .and_then(|l| capacity_codes.get(&l.capacity_id).cloned())
            .unwrap_or_default();
        let groups: &[&str] = if c.code == "PT" {
            &["victimas", "campesinos"]
        } else {
            &[]
        };
        tags.push((DescriptorSubject::Course, c.id, sector_of(&first), groups));
    }
    for a in assistance::Entity::find().all(db).await? {
        let first = assistance_capacity::Entity::find()
            .filter(assistance_capacity::Column::AssistanceId.eq(a.id))
            .one(db)
            .await?
            .and_then(|l| capacity_codes.get(&l.capacity_id).cloned())
            .unwrap_or_default();
        tags.push((DescriptorSubject::Assistance, a.id, sector_of(&first), &[]));
    }
    for d in demand::Entity::find().all(db).await? {
        let (sector, groups): (&'static str, &'static [&'static str]) = match d.topic.as_str() {
            DEMO_WATER_TOPIC => ("vivienda_agua", &["campesinos"]),
            DEMO_FARMING_TOPIC => ("agricultura", &["mujeres", "campesinos"]),
            _ => (
                sector_of(
                    capacity_codes
                        .get(&d.capacity_id)
                        .map_or("", |c| c.as_str()),
                ),
                &[],
            ),
        };
        tags.push((DescriptorSubject::Demand, d.id, sector, groups));
    }
    for (subject, subject_id, sector, groups) in tags {
        let sector_ids = vec![id(DescriptorKind::Sector, sector).await?];
        let mut group_ids = Vec::new();
        for code in groups {
            group_ids.push(id(DescriptorKind::PopulationGroup, code).await?);
        }
        super::set(
            db,
            subject,
            subject_id,
            super::Chosen {
                sector_ids: Some(&sector_ids),
                population_group_ids: Some(&group_ids),
            },
        )
        .await?;
    }
    Ok(())
}
