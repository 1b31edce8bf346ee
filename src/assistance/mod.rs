//! The web side of `domain::assistance`: its JSON routes.

pub mod api;
