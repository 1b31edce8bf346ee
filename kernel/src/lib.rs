//! Aula Territorial's ground floor: what every area of the product stands on and none of it
//! owns — the database connection and its one way to write ([`db::write`]), the settings,
//! errors, the one set of text rules ([`validate`]), parsing and Spanish formats, time in
//! Bogotá, mail through the outbox, the audit trail, the caches shared by instances,
//! templates, spreadsheets and the fonts of the PDFs.
//!
//! It depends on no area (`domain` re-exports its modules, so an area writes `crate::db`):
//! the crate graph is `entities` ← `kernel` ← `domain` ← the web app, and the compiler
//! refuses a reach-up. Where the kernel must let an area act — the figures model keeping
//! in step with every commit — the area registers a hook ([`db::install_figures`]).

/// The entities live in their own crate, below everything else.
pub use entities;

pub mod audit;
pub mod backup;
pub mod blocking;
pub mod bulk;
pub mod cache;
pub mod calendar;
pub mod config;
pub mod database_url;
pub mod db;
pub mod error;
pub mod fonts;
pub mod format;
pub mod holidays;
pub mod instances;
pub mod mail;
pub mod metrics;
pub mod network;
pub mod paging;
pub mod parse;
pub mod rows;
pub mod spreadsheets;
pub mod strict_json;
pub mod templates;
pub mod text;
pub mod time;
pub mod validate;
pub mod words;
