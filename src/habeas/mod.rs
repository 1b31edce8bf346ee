//! The web side of `domain::habeas` (Ley 1581 de 2012, issue 67): a person's data requests and
//! the views of her record («Mis datos», `/api/v1/me/data-requests`, `/api/v1/me/data-access`),
//! and the administrator's list and resolution (`/admin/solicitudes-de-datos`,
//! `/api/v1/data-requests`).

pub mod api;
pub mod pages;
