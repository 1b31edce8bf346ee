//! The course catalogue: course lines and the capacities each targets.

pub mod courses;
pub mod demo;

use crate::entities::values::Modality;
use crate::entities::{course, course_capacity};
use crate::error::{AppError, AppResult};
use crate::territory::read_csv;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;

const COURSE_LINES_CSV: &str = include_str!("../../../seed/course_lines.csv");

/// Default completion rule (domain brief): ≥ 80 % attendance and final grade ≥ 3.0.
pub const DEFAULT_MIN_ATTENDANCE_PCT: i32 = 80;
pub const DEFAULT_PASS_MARK_TENTHS: i32 = 30;

#[derive(Deserialize)]
struct CourseLineRow {
    code: String,
    name: String,
    hours: i32,
    default_modality: String,
    management_stage: String,
    capacity_codes: String,
    description: String,
}

/// Loads the five course lines of the programme when there are no courses yet.
pub async fn load_reference<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if course::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let capacity_ids = crate::capacities::ids_by_code(db).await?;
    let now = crate::time::now();
    for row in read_csv::<CourseLineRow>("course_lines.csv", COURSE_LINES_CSV)? {
        let modality = Modality::parse(&row.default_modality).ok_or_else(|| {
            AppError::Internal(format!("seed: modalidad {}", row.default_modality))
        })?;
        let inserted = course::Entity::insert(course::ActiveModel {
            code: Set(row.code),
            name: Set(row.name),
            description: Set(row.description),
            hours: Set(row.hours),
            default_modality: Set(modality),
            management_stage: Set(Some(row.management_stage)),
            min_attendance_pct: Set(DEFAULT_MIN_ATTENDANCE_PCT),
            pass_mark_tenths: Set(DEFAULT_PASS_MARK_TENTHS),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?;
        for code in row.capacity_codes.split(';') {
            let capacity_id = *capacity_ids
                .get(code)
                .ok_or_else(|| AppError::Internal(format!("seed: capacidad desconocida {code}")))?;
            course_capacity::Entity::insert(course_capacity::ActiveModel {
                course_id: Set(inserted.last_insert_id),
                capacity_id: Set(capacity_id),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}
