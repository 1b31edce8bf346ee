//! The kernel's database ([`kernel::db`]: the connection, the one way to write), connected
//! with the figures model's hooks registered: every connection the product opens comes from
//! here, so every commit keeps the figures in step (`figures::install`).

pub use kernel::db::*;

use crate::error::AppError;
use sea_orm::DatabaseConnection;

/// [`connect_with`] the default lock wait and pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection, AppError> {
    connect_with(url, DEFAULT_BUSY_SECONDS, None).await
}

/// The kernel's [`kernel::db::connect_with`], after registering the figures model's hooks.
pub async fn connect_with(
    url: &str,
    busy_seconds: u64,
    connections: Option<u32>,
) -> Result<DatabaseConnection, AppError> {
    crate::figures::install();
    kernel::db::connect_with(url, busy_seconds, connections).await
}
