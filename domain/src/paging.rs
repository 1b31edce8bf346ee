//! Pagination of lists (the API contract's convention): `page` ≥ 1, 1 ≤ `per_page` ≤ 500.

use crate::error::{AppError, AppResult};

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

#[derive(Clone, Copy, Debug, Default)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    /// (page ≥ 1, 1 ≤ per_page ≤ 500), or 422 with a Spanish message.
    pub fn resolve(&self) -> AppResult<(u64, u64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE as i64);
        if page < 1 {
            return Err(AppError::invalid("page", "La página debe ser 1 o mayor."));
        }
        if !(1..=MAX_PER_PAGE as i64).contains(&per_page) {
            return Err(AppError::invalid(
                "per_page",
                format!("per_page debe estar entre 1 y {MAX_PER_PAGE}."),
            ));
        }
        Ok((page as u64, per_page as u64))
    }
}
