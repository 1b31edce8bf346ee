//! The web side of `domain::programmes` (issue 64): diplomados, programas and rutas, their
//! editions, enrolment once in the edition, progress module by module.

pub mod api;
pub mod certificates;
pub mod pages;
pub mod reports;
