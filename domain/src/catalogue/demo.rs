//! The demo's courses of other providers (issue 32): DNP's workshop on its territorial
//! planning kit and Función Pública's own course.

use crate::entities::values::Modality;
use crate::entities::{capacity, course, course_capacity};
use crate::error::{AppError, AppResult};
use crate::time::now;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// DNP's (`dnp`) and Función Pública's (`function_public`) courses, each for territorial
/// planning.
pub async fn courses<C: ConnectionTrait>(db: &C, dnp: i32, function_public: i32) -> AppResult<()> {
    let at = now();
    let capacity_id = |code: &'static str| async move {
        capacity::Entity::find()
            .filter(capacity::Column::Code.eq(code))
            .one(db)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta la capacidad {code}")))
    };
    for (provider_id, code, name, description, hours, capacity) in [
        (
            dnp,
            "DNP-KPT",
            "Taller del Kit de Planeación Territorial (KPT)",
            "Uso del Kit de Planeación Territorial del DNP para el seguimiento del plan de desarrollo.",
            16,
            "planeacion_territorial",
        ),
        (
            function_public,
            "DAFP-MIPG",
            "Modelo Integrado de Planeación y Gestión (MIPG) en el municipio",
            "Implementación de las políticas de gestión y desempeño del MIPG y el FURAG en las alcaldías.",
            24,
            "planeacion_territorial",
        ),
    ] {
        let saved = course::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            description: Set(description.into()),
            hours: Set(hours),
            default_modality: Set(Modality::Presencial),
            management_stage: Set(Some("Planeación".into())),
            min_attendance_pct: Set(super::DEFAULT_MIN_ATTENDANCE_PCT),
            pass_mark_tenths: Set(super::DEFAULT_PASS_MARK_TENTHS),
            retired_at: Set(None),
            provider_id: Set(provider_id),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        course_capacity::ActiveModel {
            course_id: Set(saved.id),
            capacity_id: Set(capacity_id(capacity).await?),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
