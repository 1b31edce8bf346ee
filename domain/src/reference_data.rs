//! Reference data from real public sources (`seed/`): territory, capacities, CONPES's sectors
//! and population groups, the indicators
//! that measure them (MDM, IDF, category) with their observations, and the programme's course lines. Idempotent: each part loads only what is
//! missing, all in one transaction.

use crate::error::AppResult;
use sea_orm::DatabaseConnection;

pub async fn ensure_loaded(db: &DatabaseConnection) -> AppResult<()> {
    crate::db::write(db, async |txn| {
        if crate::territory::load_reference(txn).await? {
            tracing::info!(
                "reference data: departments, municipalities and PDET subregions loaded"
            );
        }
        crate::capacities::load_reference(txn).await?;
        crate::self_assessment::instrument::load_reference(txn).await?;
        crate::descriptors::load_reference(txn).await?;
        let indicators = crate::indicators::load_reference(txn).await?;
        if indicators > 0 {
            tracing::info!("reference data: {indicators} indicators and their observations loaded");
        }
        crate::catalogue::load_reference(txn).await?;
        Ok(())
    })
    .await
}
