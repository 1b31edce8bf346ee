//! The web side of `domain::positions` (issue 68, item 3): a municipality's key positions
//! (cargos clave) — `/municipios/<code>/cargos` and `/api/v1/municipalities/{code}/positions`
//! — their holders, departures and the spreadsheet import.

pub mod api;
pub mod pages;
