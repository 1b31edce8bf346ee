//! The home page: for visitors, and for each signed-in role.

pub mod pages;
pub mod warm;
