//! The web side of `domain::handover` (issue 48, item 4): the JSON record, the page, its
//! PDF, and the passing of the liaison role.

pub mod api;
pub mod pages;
