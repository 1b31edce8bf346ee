//! The self-assessment of capacities (autodiagnóstico; issue 68, item 2): a municipal entity
//! rates itself, capacity by capacity, on a short instrument (questions with levels 1 to 4 and
//! their descriptors, evidence for every answer); the department's reviewer validates it.
//!
//! - [`instrument`]: the versioned instrument, seeded from the capacities of the brief, edited
//!   by the administrator (each edit a new version; answers keep the version they answered).
//! - [`assessments`]: the municipality's liaison submits (at most one per entity and quarter,
//!   rejected ones aside), the department's reviewer validates or rejects, and whoever reads
//!   the municipality reads its series.
//! - [`indicator`]: the validated levels of each alcaldía as yearly observations of a
//!   «self-assessed» indicator per capacity (labelled «autorreportado»), kept on validation and
//!   rebuilt from the self-assessments, so the municipality page and the impact comparison read
//!   them like MDM and IDF.

pub mod assessments;
pub mod demo;
pub mod indicator;
pub mod instrument;

/// A self-assessment's states, as stored: submitted, then validated or rejected by the
/// department's reviewer. Here, below both `assessments` (which moves them) and `indicator`
/// (which reads the validated ones), so neither imports the other for them.
pub const SUBMITTED: &str = "submitted";
pub const VALIDATED: &str = "validated";
pub const REJECTED: &str = "rejected";

/// The levels of the instrument: 1 (lowest) to 4.
pub const LEVELS: std::ops::RangeInclusive<i32> = 1..=4;

/// The quarter (1–4) of a month (1–12).
pub fn quarter_of(date: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    ((date.month() as i32) - 1) / 3 + 1
}
