//! Reference data from real public sources (`seed/`): territory, capacities and their MDM
//! indicators, and the programme's course lines. Idempotent: each part loads only into empty
//! tables, all in one transaction.

use crate::error::AppResult;
use sea_orm::DatabaseConnection;

pub async fn ensure_loaded(db: &DatabaseConnection) -> AppResult<()> {
    let txn = crate::db::begin(db).await?;
    if crate::territory::load_reference(&txn).await? {
        tracing::info!("reference data: departments, municipalities and PDET subregions loaded");
    }
    crate::capacities::load_reference(&txn).await?;
    crate::catalogue::load_reference(&txn).await?;
    crate::db::commit(txn).await?;
    Ok(())
}
