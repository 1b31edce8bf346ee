//! The demo's joint delivery (issue 49): offers delivered together by two providers.

use crate::entities::{assistance, provider};
use crate::error::{AppError, AppResult};
use crate::joint::OfferKind;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Issue 49's joint delivery: ESAP's open Rendición de Cuentas for Caquetá and Meta is
/// delivered together with Función Pública (the policy's lead: its coordinator reads the
/// cohort and sees it in its offer, «en conjunto con»), and ESAP's accompaniment of Puerto
/// Rico's revenue together with DNP.
pub async fn load<C: ConnectionTrait>(db: &C, accountability_id: i32) -> AppResult<()> {
    let named = |part: &'static str| async move {
        provider::Entity::find()
            .filter(provider::Column::Name.contains(part))
            .one(db)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| AppError::Internal(format!("demo: falta el oferente {part}")))
    };
    let function_public = named("Función Pública").await?;
    let dnp = named("(DNP)").await?;
    super::write(db, OfferKind::Cohort, accountability_id, &[function_public]).await?;
    let revenue = assistance::Entity::find()
        .filter(assistance::Column::ProviderId.eq(crate::providers::ESAP))
        .filter(assistance::Column::MunicipalityCode.eq("18592"))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("demo: falta la asistencia de Puerto Rico".into()))?;
    super::write(db, OfferKind::Assistance, revenue.id, &[dnp]).await
}
