//! The knowledge bank (issue 48): its JSON routes, its pages and its download.

pub mod api;
pub mod pages;
