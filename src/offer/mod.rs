//! The web side of `domain::offer`: the alliance's view of the whole offer, as JSON, a
//! workbook and a page.

pub mod api;
pub mod pages;
