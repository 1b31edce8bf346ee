//! Pagination of lists (the API contract's convention): 1 ≤ `page` ≤ 1,000,000,
//! 1 ≤ `per_page` ≤ 500.

use crate::error::{AppError, AppResult};

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;
/// The last page a list may be asked for: far beyond any list of the product, and small
/// enough that `page × per_page` (the database offset) never overflows.
pub const MAX_PAGE: u64 = 1_000_000;

/// A page number as the pages read it (`?pagina=`): from 1 to [`MAX_PAGE`], whatever was
/// typed.
pub fn page_number(pagina: Option<u64>) -> u64 {
    pagina.unwrap_or(1).clamp(1, MAX_PAGE)
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Paging {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl Paging {
    /// (1 ≤ page ≤ 1,000,000, 1 ≤ per_page ≤ 500), or 422 with a Spanish message.
    pub fn resolve(&self) -> AppResult<(u64, u64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE as i64);
        if !(1..=MAX_PAGE as i64).contains(&page) {
            return Err(AppError::invalid(
                "page",
                "La página debe estar entre 1 y 1.000.000.",
            ));
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
